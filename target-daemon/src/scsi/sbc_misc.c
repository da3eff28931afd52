/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements PRE-FETCH (10)/(16) as a range check plus a read
 * ahead into the page cache, and READ DEFECT DATA (10)/(12) for a medium
 * without defects. */
#include "scsi/sbc_misc.h"

#include <stdlib.h>

#include "limits_minisan.h"
#include "scsi/sbc.h"
#include "scsi/sense.h"
#include "util/be.h"
#include "util/xalloc.h"

/* SBC-3 "PRE-FETCH (10) command" and "(16)": IMMED in byte 1. */
#define PF_IMMED 0x02

/* SBC-3 "READ DEFECT DATA (10) command" byte 2 and "(12)" byte 1:
 * REQ_PLIST, REQ_GLIST, DEFECT LIST FORMAT; the same bits name PLISTV and
 * GLISTV in byte 1 of the parameter data. */
#define RDD_PLIST 0x10
#define RDD_GLIST 0x08
#define RDD_FORMAT_MASK 0x07
#define RDD10_HDR_LEN 4u
#define RDD12_HDR_LEN 8u

/* SBC-3 "Defect list formats": 001b, 010b and 111b are reserved. */
static int
sbc_misc_format_valid(uint8_t format)
{
	return format != 0x1 && format != 0x2 && format != 0x7;
}

/* SBC-3 "PRE-FETCH (10) command", "PRE-FETCH (16) command" */
enum scsi_cmd_result
sbc_misc_prefetch(struct scsi_task *task)
{
	const uint8_t *cdb = task->cdb;
	uint64_t cap = task->lu_nblocks, lba, n;
	uint32_t bsz = task->lu->block_size;
	uint64_t len;

	if (cdb[0] == SCSI_OP_PRE_FETCH_10) {
		lba = get_be32(&cdb[2]);
		n = get_be16(&cdb[7]);
	} else {
		lba = get_be64(&cdb[2]);
		n = get_be32(&cdb[10]);
	}
	/* "A PREFETCH LENGTH field set to zero specifies that all logical
	 * blocks starting with the one referenced by the LOGICAL BLOCK
	 * ADDRESS field to the last logical block on the medium shall be
	 * transferred to the cache." A range past the capacity is LOGICAL
	 * BLOCK ADDRESS OUT OF RANGE (written not to overflow). */
	if (sbc_check_range(task, lba, n) != 0)
		return SCSI_CMD_COMPLETE;
	if (n == 0)
		n = cap - lba;
	/* Our cache is the host's page cache, which we can neither reserve
	 * nor pin: we never know that the blocks will still be there, which
	 * is the case "the cache does not have sufficient capacity" where
	 * SBC-3 asks for GOOD rather than CONDITION MET. With IMMED set the
	 * status goes back at once; otherwise we read (the start of) the
	 * range so that it is in the page cache when the status goes. */
	if (cdb[1] & PF_IMMED)
		return SCSI_CMD_COMPLETE;
	len = n < MINISAN_PREFETCH_MAX_BYTES / bsz ? n * bsz :
	    MINISAN_PREFETCH_MAX_BYTES;
	free(task->scratch);
	task->scratch = xmalloc((size_t)len);
	task->lba = lba;
	return sbc_submit(task, BS_OP_READ, 0, task->scratch, (size_t)len,
	    sbc_scratch_done);
}

/* SBC-3 "READ DEFECT DATA (10) command", "READ DEFECT DATA (12) command":
 * neither a primary nor a grown defect list has entries. */
enum scsi_cmd_result
sbc_misc_read_defect_data(struct scsi_task *task)
{
	const uint8_t *cdb = task->cdb;
	int is10 = cdb[0] == SCSI_OP_READ_DEFECT_DATA_10;
	uint8_t req = is10 ? cdb[2] : cdb[1];
	uint8_t format = req & RDD_FORMAT_MASK;
	uint8_t *out;

	if (!sbc_misc_format_valid(format)) {
		sense_invalid_cdb(task, is10 ? 2 : 1, 2);
		return SCSI_CMD_COMPLETE;
	}
	/* PLISTV and GLISTV say the lists asked for are in the data (both
	 * empty: DEFECT LIST LENGTH 0), in the format asked for. The (12)
	 * header has a GENERATION CODE, 0 for a list that never changes. */
	if (is10) {
		out = scsi_data_in_alloc(task, RDD10_HDR_LEN,
		    get_be16(&cdb[7]));
	} else {
		out = scsi_data_in_alloc(task, RDD12_HDR_LEN,
		    get_be32(&cdb[6]));
	}
	out[1] = (uint8_t)((req & (RDD_PLIST | RDD_GLIST)) | format);
	return SCSI_CMD_COMPLETE;
}

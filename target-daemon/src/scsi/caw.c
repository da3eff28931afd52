/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements COMPARE AND WRITE, ORWRITE (16) and WRITE ATOMIC
 * (16): their CDB checks, the read of the current blocks where they need
 * it, the compare or OR, and the write. Atomicity comes from the range
 * lock that medium.c holds for them. */
#include "scsi/caw.h"

#include <stdlib.h>

#include "limits_minisan.h"
#include "scsi/sbc.h"
#include "scsi/sense.h"
#include "util/be.h"

/* SBC-3 byte 1 of all three: WRPROTECT/ORPROTECT (bits 7-5) and FUA. */
#define CDB_PROTECT_SHIFT 5
#define CDB_FUA 0x08
#define CDB_LBA 2
/* SBC-3 "COMPARE AND WRITE command": NUMBER OF LOGICAL BLOCKS */
#define CAW_NLB 13
/* SBC-3 "ORWRITE (16) command": TRANSFER LENGTH */
#define ORW_TL 10
/* SBC-4 "WRITE ATOMIC (16) command": ATOMIC BOUNDARY, TRANSFER LENGTH */
#define WA_BOUNDARY 10
#define WA_TL 12

uint8_t
caw_max_compare_blocks(const struct scsi_lun *lu)
{
	(void)lu;
	return (uint8_t)MINISAN_MAX_CAW_BLOCKS;
}

uint32_t
caw_max_atomic_blocks(const struct scsi_lun *lu)
{
	return MINISAN_MAX_ATOMIC_BYTES / lu->block_size;
}

/* We have no protection information: any *PROTECT value is INVALID FIELD
 * IN CDB (SBC-3 "Protection information and commands"). */
static int
caw_check_protect(struct scsi_task *task)
{
	if (task->cdb[1] >> CDB_PROTECT_SHIFT) {
		sense_invalid_cdb(task, 1, 7);
		return -1;
	}
	return 0;
}

/* Durable before GOOD with FUA or without a write cache. */
static int
caw_fua(const struct scsi_task *task)
{
	return (task->cdb[1] & CDB_FUA) || !task->lu_wce;
}

uint64_t
caw_compare_and_write_out_len(const struct scsi_lun *lu, const uint8_t *cdb)
{
	return 2ull * cdb[CAW_NLB] * lu->block_size;
}

/* COMPARE AND WRITE: the blocks are in task->scratch. */
static void
caw_compare_done(struct bs_io *io)
{
	struct scsi_task *task = io->arg;
	size_t len = io->len;

	/* SBC-3 "COMPARE AND WRITE command": "the device server shall ...
	 * terminate the command with CHECK CONDITION status with the sense
	 * key set to MISCOMPARE and the additional sense code set to
	 * MISCOMPARE DURING VERIFY OPERATION. ... the INFORMATION field ...
	 * set to the offset from the start of the Data-Out Buffer to the
	 * first byte of data that was not equal" (sbc_miscompare). */
	if (!sbc_io_failed(io) &&
	    !sbc_miscompare(task, task->scratch, task->data_out, len)) {
		sbc_submit(task, BS_OP_WRITE, caw_fua(task),
		    (void *)(uintptr_t)(task->data_out + len), len,
		    sbc_scratch_done);
		return;
	}
	/* Reports a failed read, frees the blocks and completes. */
	sbc_scratch_done(io);
}

/* SBC-3 "COMPARE AND WRITE command" */
enum scsi_cmd_result
caw_compare_and_write(struct scsi_task *task)
{
	const uint8_t *cdb = task->cdb;
	uint32_t bsz = task->lu->block_size;
	uint64_t lba = get_be64(&cdb[CDB_LBA]);
	uint32_t n = cdb[CAW_NLB];
	uint64_t want = 2ull * n * bsz;

	task->xfer_len = want;
	if (caw_check_protect(task) != 0)
		return SCSI_CMD_COMPLETE;
	/* "If the NUMBER OF LOGICAL BLOCKS field is larger than the value
	 * in the MAXIMUM COMPARE AND WRITE LENGTH field ..., then the
	 * device server shall terminate the command with ... INVALID FIELD
	 * IN CDB." */
	if (n > caw_max_compare_blocks(task->lu)) {
		sense_invalid_cdb(task, CAW_NLB, -1);
		return SCSI_CMD_COMPLETE;
	}
	if (sbc_check_range(task, lba, n) != 0)
		return SCSI_CMD_COMPLETE;
	if (n == 0) {
		/* "A NUMBER OF LOGICAL BLOCKS field set to zero specifies
		 * that no read operations shall be performed, no logical
		 * block data shall be transferred ... This condition shall
		 * not be considered an error." Unless the initiator means to
		 * send more than any COMPARE AND WRITE can carry: that is a
		 * block count the one-byte field could not hold. */
		if (task->edtl > 2ull * caw_max_compare_blocks(task->lu) *
		    bsz)
			sense_invalid_cdb(task, CAW_NLB, -1);
		return SCSI_CMD_COMPLETE;
	}
	if (sbc_check_writable(task) != 0)
		return SCSI_CMD_COMPLETE;
	/* The Data-Out buffer is the verify data then the write data, each
	 * NUMBER OF LOGICAL BLOCKS long: half of it or extra bytes cannot
	 * be told apart from a wrong block count. */
	if (task->edtl != want || task->data_out_len < want) {
		sense_invalid_cdb(task, CAW_NLB, -1);
		return SCSI_CMD_COMPLETE;
	}
	return sbc_read_scratch(task, lba, n, caw_compare_done);
}

uint64_t
caw_write_out_len(const struct scsi_lun *lu, const uint8_t *cdb)
{
	if (cdb[0] == SCSI_OP_WRITE_ATOMIC_16)
		return (uint64_t)get_be16(&cdb[WA_TL]) * lu->block_size;
	return (uint64_t)get_be32(&cdb[ORW_TL]) * lu->block_size;
}

/* ORWRITE: the blocks are in task->scratch; OR the Data-Out into them and
 * write them back. */
static void
caw_or_done(struct bs_io *io)
{
	struct scsi_task *task = io->arg;
	uint8_t *p = task->scratch;

	if (sbc_io_failed(io)) {
		sbc_scratch_done(io);
		return;
	}
	for (size_t i = 0; i < io->len; i++)
		p[i] |= task->data_out[i];
	sbc_submit(task, BS_OP_WRITE, caw_fua(task), p, io->len,
	    sbc_scratch_done);
}

/* SBC-3 "ORWRITE (16) command" */
enum scsi_cmd_result
caw_orwrite(struct scsi_task *task)
{
	const uint8_t *cdb = task->cdb;
	uint32_t bsz = task->lu->block_size;
	uint64_t lba = get_be64(&cdb[CDB_LBA]);
	uint32_t n = get_be32(&cdb[ORW_TL]);
	int64_t out;

	task->xfer_len = (uint64_t)n * bsz;
	if (caw_check_protect(task) != 0)
		return SCSI_CMD_COMPLETE;
	if (task->xfer_len > MINISAN_MAX_XFER_BYTES) {
		sense_invalid_cdb(task, ORW_TL, -1);
		return SCSI_CMD_COMPLETE;
	}
	if (sbc_check_range(task, lba, n) != 0 ||
	    sbc_check_writable(task) != 0 || n == 0)
		return SCSI_CMD_COMPLETE;
	/* As for WRITE: the whole blocks the initiator sent are used, a
	 * partial one cannot be. */
	if ((out = sbc_out_blocks(task, n)) <= 0)
		return SCSI_CMD_COMPLETE;
	return sbc_read_scratch(task, lba, (uint32_t)out, caw_or_done);
}

/* SBC-4 "WRITE ATOMIC (16) command" */
enum scsi_cmd_result
caw_write_atomic16(struct scsi_task *task)
{
	const uint8_t *cdb = task->cdb;
	uint32_t bsz = task->lu->block_size;
	uint64_t lba = get_be64(&cdb[CDB_LBA]);
	uint32_t n = get_be16(&cdb[WA_TL]);

	task->xfer_len = (uint64_t)n * bsz;
	if (caw_check_protect(task) != 0)
		return SCSI_CMD_COMPLETE;
	/* We report MAXIMUM ATOMIC BOUNDARY SIZE 0: "If ... the ATOMIC
	 * BOUNDARY field is not set to zero, then the device server shall
	 * terminate the command with ... INVALID FIELD IN CDB." */
	if (get_be16(&cdb[WA_BOUNDARY]) != 0) {
		sense_invalid_cdb(task, WA_BOUNDARY, -1);
		return SCSI_CMD_COMPLETE;
	}
	if (sbc_check_range(task, lba, n) != 0)
		return SCSI_CMD_COMPLETE;
	/* "If the TRANSFER LENGTH field is greater than the MAXIMUM ATOMIC
	 * TRANSFER LENGTH field ..., then ... INVALID FIELD IN CDB." (ATOMIC
	 * ALIGNMENT and granularity are 0: no restriction.) */
	if (n > caw_max_atomic_blocks(task->lu)) {
		sense_invalid_cdb(task, WA_TL, -1);
		return SCSI_CMD_COMPLETE;
	}
	if (sbc_check_writable(task) != 0 || n == 0)
		return SCSI_CMD_COMPLETE;
	/* All or nothing: a write of fewer blocks than the TRANSFER LENGTH
	 * would not be the atomic write asked for. */
	if (task->edtl < task->xfer_len ||
	    task->data_out_len < task->xfer_len) {
		sense_invalid_cdb(task, WA_TL, -1);
		return SCSI_CMD_COMPLETE;
	}
	task->lba = lba;
	task->nblocks = n;
	return sbc_submit(task, BS_OP_WRITE, caw_fua(task),
	    (void *)(uintptr_t)task->data_out, (size_t)task->xfer_len,
	    sbc_scratch_done);
}

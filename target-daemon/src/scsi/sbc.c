/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the SBC-3 block commands over the backing store:
 * reads, writes and verifies go through bs_submit() and complete from the
 * store's callback; backing-store errors become sense data here. */
#include "scsi/sbc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "limits_minisan.h"
#include "scsi/sense.h"
#include "scsi/ua.h"
#include "util/be.h"
#include "util/bufpool.h"
#include "util/xalloc.h"

/* SBC-3 READ (10) etc. byte 1 */
#define CDB_PROTECT_SHIFT 5 /* RDPROTECT/WRPROTECT/VRPROTECT, bits 7-5 */
#define CDB_FUA 0x08
#define CDB_BYTCHK_SHIFT 1  /* BYTCHK, bits 2-1 (SBC-4 width) */
#define CDB_BYTCHK_COMPARE 0x1

/* SBC-3 "READ CAPACITY (10) command" and "(16)": PMI in the last byte
 * before CONTROL; RETURNED LOGICAL BLOCK ADDRESS saturates for (10). */
#define RC_PMI 0x01
#define RC10_LEN 8u
#define RC16_LEN 32u
#define RC10_LBA_MAX 0xffffffffu
/* SBC-3 "READ CAPACITY (16) parameter data" byte 14 */
#define RC16_LBPME 0x80
#define RC16_LBPRZ 0x40

/* SBC-3 "START STOP UNIT command" byte 4 */
#define SSU_LOEJ 0x02
#define SSU_START 0x01

/* A decoded READ/WRITE/VERIFY/SYNCHRONIZE CACHE CDB. */
struct sbc_cdb {
	uint64_t lba;
	uint32_t nblocks;
	uint8_t flags;    /* byte 1; 0 for the 6-byte CDBs */
	uint16_t tl_byte; /* offset of the TRANSFER LENGTH field */
};

/* The 6/10/12/16-byte layouts share their fields by group code (SBC-3
 * "READ (6) command" ... "READ (16) command"). */
static void
sbc_decode(const uint8_t *cdb, struct sbc_cdb *c)
{
	switch (cdb[0] >> 5) {
	case 0:
		c->lba = get_be24(&cdb[1]) & 0x1fffff;
		/* "A TRANSFER LENGTH field set to zero specifies that 256
		 * logical blocks shall be read." */
		c->nblocks = cdb[4] ? cdb[4] : 256;
		c->flags = 0;
		c->tl_byte = 4;
		break;
	case 5:
		c->lba = get_be32(&cdb[2]);
		c->nblocks = get_be32(&cdb[6]);
		c->flags = cdb[1];
		c->tl_byte = 6;
		break;
	case 4:
		c->lba = get_be64(&cdb[2]);
		c->nblocks = get_be32(&cdb[10]);
		c->flags = cdb[1];
		c->tl_byte = 10;
		break;
	default:
		c->lba = get_be32(&cdb[2]);
		c->nblocks = get_be16(&cdb[7]);
		c->flags = cdb[1];
		c->tl_byte = 7;
		break;
	}
}

int
sbc_check_range(struct scsi_task *task, uint64_t lba, uint64_t n)
{
	uint64_t cap = task->lu_nblocks;

	/* SBC-3 "READ (10) command": an LBA beyond the capacity, or a range
	 * running past it, is LOGICAL BLOCK ADDRESS OUT OF RANGE. Written
	 * so that LBA + TRANSFER LENGTH cannot overflow. */
	if (lba >= cap || n > cap - lba) {
		sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_LBA_OUT_OF_RANGE);
		return -1;
	}
	return 0;
}

int
sbc_check_writable(struct scsi_task *task)
{
	/* SBC-3 "Write protection": writing to a write protected medium is
	 * DATA PROTECT, WRITE PROTECTED. */
	if (task->lu->readonly) {
		sense_set(task, SENSE_KEY_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return -1;
	}
	return 0;
}

/* The checks every medium access shares, in this order: protection
 * information (we have none, so any *PROTECT value is INVALID FIELD IN
 * CDB), the Block Limits MAXIMUM TRANSFER LENGTH, then the capacity. */
static int
sbc_check(struct scsi_task *task, const struct sbc_cdb *c)
{
	if (c->flags >> CDB_PROTECT_SHIFT) {
		sense_invalid_cdb(task, 1, 7);
		return -1;
	}
	if ((uint64_t)c->nblocks * task->lu->block_size >
	    MINISAN_MAX_XFER_BYTES) {
		sense_invalid_cdb(task, c->tl_byte, -1);
		return -1;
	}
	return sbc_check_range(task, c->lba, c->nblocks);
}

/* Number of whole blocks of Data-Out the command may use, given that the
 * initiator may have sent less than the CDB asks for (iSCSI EDTL below the
 * transfer length). Like libiscsi's iSCSIResiduals tests expect, whole
 * blocks are used and the rest reported as residual overflow; a partial
 * block cannot be written, which is INVALID FIELD IN INFORMATION UNIT.
 * Returns -1 with sense set in that case. */
int64_t
sbc_out_blocks(struct scsi_task *task, uint32_t nblocks)
{
	uint32_t bsz = task->lu->block_size;
	uint64_t avail = task->data_out_len < task->edtl ?
	    task->data_out_len : task->edtl;

	if (avail >= (uint64_t)nblocks * bsz)
		return nblocks;
	if (avail % bsz != 0) {
		sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_INVALID_FIELD_IN_IU);
		return -1;
	}
	return (int64_t)(avail / bsz);
}

void
sbc_io_sense(struct scsi_task *task, const struct bs_io *io)
{
	int err = io->result < 0 ? (int)-io->result : EIO;

	switch (err) {
	case ENOSPC:
	case EDQUOT:
		sense_set(task, SENSE_KEY_DATA_PROTECT,
		    ASC_SPACE_ALLOC_FAILED_WRITE_PROTECT);
		break;
	case EROFS:
	case EACCES:
	case EPERM:
		sense_set(task, SENSE_KEY_DATA_PROTECT, ASC_WRITE_PROTECTED);
		break;
	case EIO:
	case ENXIO:
		sense_set(task, SENSE_KEY_MEDIUM_ERROR,
		    io->op == BS_OP_READ ? ASC_UNRECOVERED_READ_ERROR :
		    ASC_WRITE_ERROR);
		break;
	default:
		sense_set(task, SENSE_KEY_HARDWARE_ERROR,
		    ASC_INTERNAL_TARGET_FAILURE);
		break;
	}
}

int
sbc_io_failed(const struct bs_io *io)
{
	if (io->result < 0)
		return 1;
	/* A flush transfers nothing; anything else must be complete. */
	return io->op != BS_OP_FLUSH && (size_t)io->result != io->len;
}

/* Completion of a READ, WRITE or SYNCHRONIZE CACHE. */
static void
sbc_io_done(struct bs_io *io)
{
	struct scsi_task *task = io->arg;

	if (sbc_io_failed(io))
		sbc_io_sense(task, io);
	scsi_task_complete(task);
}

void
sbc_scratch_done(struct bs_io *io)
{
	struct scsi_task *task = io->arg;

	if (sbc_io_failed(io))
		sbc_io_sense(task, io);
	free(task->scratch);
	task->scratch = NULL;
	scsi_task_complete(task);
}

int
sbc_miscompare(struct scsi_task *task, const uint8_t *a, const uint8_t *b,
    size_t len)
{
	uint32_t i = 0;

	if (memcmp(a, b, len) == 0)
		return 0;
	while (a[i] == b[i])
		i++;
	/* SBC-3 "VERIFY (10) command" and "COMPARE AND WRITE command":
	 * MISCOMPARE, MISCOMPARE DURING VERIFY OPERATION, with the INFORMATION
	 * field "set to the offset from the start of the Data-Out Buffer to
	 * the first byte of data that was not equal". */
	sense_set_info(task, SENSE_KEY_MISCOMPARE,
	    ASC_MISCOMPARE_DURING_VERIFY, i);
	return 1;
}

enum scsi_cmd_result
sbc_submit(struct scsi_task *task, enum bs_op op, int fua, void *buf,
    size_t len, void (*done)(struct bs_io *))
{
	struct bs_io *io = &task->io;

	memset(io, 0, sizeof(*io));
	io->op = op;
	io->fua = fua;
	io->offset = task->lba * task->lu->block_size;
	io->buf = buf;
	io->len = len;
	io->done = done;
	io->arg = task;
	/* May complete (and call task->done) before returning: the task is
	 * not touched afterwards. */
	bs_submit(task->lu->bs, io);
	return SCSI_CMD_PENDING;
}

enum scsi_cmd_result
sbc_read_scratch(struct scsi_task *task, uint64_t lba, uint32_t nblocks,
    void (*done)(struct bs_io *))
{
	size_t len = (size_t)nblocks * task->lu->block_size;

	task->lba = lba;
	task->nblocks = nblocks;
	free(task->scratch);
	task->scratch = xmalloc(len);
	return sbc_submit(task, BS_OP_READ, 0, task->scratch, len, done);
}

enum scsi_cmd_result
sbc_read(struct scsi_task *task)
{
	struct sbc_cdb c;
	uint64_t len;

	sbc_decode(task->cdb, &c);
	task->xfer_len = (uint64_t)c.nblocks * task->lu->block_size;
	if (sbc_check(task, &c) != 0)
		return SCSI_CMD_COMPLETE;
	/* DPO and FUA need nothing: reads come from the page cache, which
	 * holds what every completed write put there. Send at most EDTL
	 * bytes; the rest is residual overflow. */
	len = task->xfer_len < task->edtl ? task->xfer_len : task->edtl;
	if (len == 0)
		return SCSI_CMD_COMPLETE;
	task->lba = c.lba;
	task->nblocks = c.nblocks;
	task->data_in = bufpool_get(len);
	task->data_in_len = (uint32_t)len;
	return sbc_submit(task, BS_OP_READ, 0, task->data_in, len,
	    sbc_io_done);
}

static int
sbc_is_write_verify(uint8_t op)
{
	return op == SCSI_OP_WRITE_VERIFY_10 || op == SCSI_OP_WRITE_VERIFY_12 ||
	    op == SCSI_OP_WRITE_VERIFY_16;
}

uint64_t
sbc_write_out_len(const struct scsi_lun *lu, const uint8_t *cdb)
{
	struct sbc_cdb c;

	sbc_decode(cdb, &c);
	return (uint64_t)c.nblocks * lu->block_size;
}

enum scsi_cmd_result
sbc_write(struct scsi_task *task)
{
	int verify = sbc_is_write_verify(task->cdb[0]);
	struct sbc_cdb c;
	int64_t n;
	int fua;

	sbc_decode(task->cdb, &c);
	task->xfer_len = (uint64_t)c.nblocks * task->lu->block_size;
	/* SBC-3 "WRITE AND VERIFY (10) command": BYTCHK is one bit; the
	 * bit above it is reserved (SBC-4's BYTCHK 10b/11b we lack). */
	if (verify && (c.flags & (0x2 << CDB_BYTCHK_SHIFT))) {
		sense_invalid_cdb(task, 1, 2);
		return SCSI_CMD_COMPLETE;
	}
	if (sbc_check(task, &c) != 0)
		return SCSI_CMD_COMPLETE;
	if (sbc_check_writable(task) != 0)
		return SCSI_CMD_COMPLETE;
	if ((n = sbc_out_blocks(task, c.nblocks)) <= 0)
		return SCSI_CMD_COMPLETE;
	/* FUA, WRITE AND VERIFY (the medium is what we verify against) and
	 * a disabled write cache all need the data durable before GOOD. */
	fua = (c.flags & CDB_FUA) || verify || !task->lu_wce;
	task->lba = c.lba;
	task->nblocks = (uint32_t)n;
	/* bs only reads a write buffer: dropping const is safe. */
	return sbc_submit(task, BS_OP_WRITE, fua,
	    (void *)(uintptr_t)task->data_out,
	    (size_t)n * task->lu->block_size, sbc_io_done);
}

uint64_t
sbc_verify_out_len(const struct scsi_lun *lu, const uint8_t *cdb)
{
	struct sbc_cdb c;

	sbc_decode(cdb, &c);
	if (((c.flags >> CDB_BYTCHK_SHIFT) & 0x3) != CDB_BYTCHK_COMPARE)
		return 0;
	return (uint64_t)c.nblocks * lu->block_size;
}

/* VERIFY with BYTCHK=1: the medium has been read into task->scratch;
 * compare it with the Data-Out buffer. */
static void
sbc_verify_done(struct bs_io *io)
{
	struct scsi_task *task = io->arg;

	if (sbc_io_failed(io))
		sbc_io_sense(task, io);
	else
		sbc_miscompare(task, task->scratch, task->data_out, io->len);
	free(task->scratch);
	task->scratch = NULL;
	scsi_task_complete(task);
}

enum scsi_cmd_result
sbc_verify(struct scsi_task *task)
{
	struct sbc_cdb c;
	uint8_t bytchk;
	int64_t n;

	sbc_decode(task->cdb, &c);
	bytchk = (c.flags >> CDB_BYTCHK_SHIFT) & 0x3;
	if (bytchk == CDB_BYTCHK_COMPARE)
		task->xfer_len = (uint64_t)c.nblocks * task->lu->block_size;
	/* BYTCHK 00b: check the range only (our medium has no error
	 * detection to run); 01b: compare with Data-Out; 1xb (SBC-4) are
	 * not supported. */
	if (bytchk > CDB_BYTCHK_COMPARE) {
		sense_invalid_cdb(task, 1, 2);
		return SCSI_CMD_COMPLETE;
	}
	if (sbc_check(task, &c) != 0 || bytchk == 0)
		return SCSI_CMD_COMPLETE;
	if ((n = sbc_out_blocks(task, c.nblocks)) <= 0)
		return SCSI_CMD_COMPLETE;
	return sbc_read_scratch(task, c.lba, (uint32_t)n, sbc_verify_done);
}

enum scsi_cmd_result
sbc_synchronize_cache(struct scsi_task *task)
{
	struct sbc_cdb c;

	/* SBC-3 "SYNCHRONIZE CACHE (10) command": IMMED and SYNC_NV are
	 * accepted; we always answer once the flush is done. NUMBER OF
	 * LOGICAL BLOCKS 0 means through the last block. */
	sbc_decode(task->cdb, &c);
	if (sbc_check_range(task, c.lba, c.nblocks) != 0)
		return SCSI_CMD_COMPLETE;
	if (task->lu->readonly)
		return SCSI_CMD_COMPLETE;
	task->lba = 0;
	return sbc_submit(task, BS_OP_FLUSH, 0, NULL, 0, sbc_io_done);
}

/* The capacity, re-read from the store: a file or device that grew or
 * shrank is reported from now on, and every other I_T nexus gets
 * CAPACITY DATA HAS CHANGED (SBC-3 "Capacity data changes"). */
static uint64_t
sbc_capacity(struct scsi_task *task)
{
	struct scsi_lun *lu = task->lu;
	uint64_t nb = bs_size(lu->bs) / lu->block_size;
	const char *port = scsi_task_port(task);

	if (nb == 0 || nb == task->lu_nblocks)
		return task->lu_nblocks;
	pthread_mutex_lock(&lu->lock);
	if (lu->nblocks != nb) {
		lu->nblocks = nb;
		ua_post_all(&lu->nexuses, ASC_CAPACITY_DATA_CHANGED,
		    port ? ua_nexus_find(&lu->nexuses, port) : NULL);
	}
	pthread_mutex_unlock(&lu->lock);
	task->lu_nblocks = nb;
	return nb;
}

enum scsi_cmd_result
sbc_read_capacity10(struct scsi_task *task)
{
	uint64_t last;
	uint8_t *out;

	/* SBC-3 "READ CAPACITY (10) command": with PMI 0 the LOGICAL BLOCK
	 * ADDRESS field must be 0, else INVALID FIELD IN CDB. */
	if (!(task->cdb[8] & RC_PMI) && get_be32(&task->cdb[2]) != 0) {
		sense_invalid_cdb(task, 2, -1);
		return SCSI_CMD_COMPLETE;
	}
	last = sbc_capacity(task) - 1;
	out = scsi_data_in_alloc(task, RC10_LEN, RC10_LEN);
	/* "If the number of logical blocks exceeds the maximum value that
	 * is able to be specified in the RETURNED LOGICAL BLOCK ADDRESS
	 * field, the device server shall set the RETURNED LOGICAL BLOCK
	 * ADDRESS field to FFFF_FFFFh." */
	put_be32(out, last >= RC10_LBA_MAX ? RC10_LBA_MAX : (uint32_t)last);
	put_be32(&out[4], task->lu->block_size);
	return SCSI_CMD_COMPLETE;
}

enum scsi_cmd_result
sbc_read_capacity16(struct scsi_task *task)
{
	uint32_t alloc = get_be32(&task->cdb[10]);
	uint8_t *out;

	/* SBC-3 "READ CAPACITY (16) command" */
	if (!(task->cdb[14] & RC_PMI) && get_be64(&task->cdb[2]) != 0) {
		sense_invalid_cdb(task, 2, -1);
		return SCSI_CMD_COMPLETE;
	}
	/* One logical block per physical block: the store has no sector
	 * of its own, and a larger exponent makes initiators expect
	 * physical-block granular provisioning that a file cannot keep.
	 * The 4 KiB alignment hint goes in VPD B0 OPTIMAL TRANSFER LENGTH
	 * GRANULARITY instead. */
	out = scsi_data_in_alloc(task, RC16_LEN, alloc);
	put_be64(out, sbc_capacity(task) - 1);
	put_be32(&out[8], task->lu->block_size);
	/* No protection information (PROT_EN 0); LOGICAL BLOCKS PER
	 * PHYSICAL BLOCK EXPONENT; LBPME for a thin provisioned LUN and
	 * LBPRZ where its deallocated blocks read as zeros
	 * (sbc_provision.c). */
	out[13] = 0;
	out[14] = (uint8_t)((task->lu->thin ? RC16_LBPME : 0) |
	    (task->lu->lbprz ? RC16_LBPRZ : 0));
	return SCSI_CMD_COMPLETE;
}

enum scsi_cmd_result
sbc_start_stop_unit(struct scsi_task *task)
{
	struct scsi_lun *lu = task->lu;
	uint8_t b4 = task->cdb[4];

	/* SBC-3 "START STOP UNIT command": with a POWER CONDITION other
	 * than 0h, START and LOEJ are ignored; power conditions are
	 * accepted and have no effect. Without LOEJ there is nothing to
	 * do: a virtual disk is always spinning. IMMED does not matter
	 * since we answer at once. */
	if ((b4 >> 4) != 0 || !(b4 & SSU_LOEJ))
		return SCSI_CMD_COMPLETE;
	if (!lu->removable) {
		sense_invalid_cdb(task, 4, 1);
		return SCSI_CMD_COMPLETE;
	}
	pthread_mutex_lock(&lu->lock);
	/* Loading or ejecting while an I_T nexus prevents medium removal is
	 * ILLEGAL REQUEST, MEDIUM REMOVAL PREVENTED; libiscsi expects it for
	 * a load as well as for an eject. */
	if (ua_any_prevent(&lu->nexuses))
		sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_MEDIUM_REMOVAL_PREVENTED);
	else
		lu->medium_present = (b4 & SSU_START) != 0;
	pthread_mutex_unlock(&lu->lock);
	return SCSI_CMD_COMPLETE;
}

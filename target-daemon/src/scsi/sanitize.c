/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements SANITIZE (SBC-4): the command's checks, the sanitize
 * operation that overwrites or deallocates the whole medium chunk by chunk
 * through the backing store, and the gate that turns other commands away
 * while it runs or after it failed. */
#include "scsi/sanitize.h"

#include <stdlib.h>
#include <string.h>

#include "limits_minisan.h"
#include "scsi/sense.h"
#include "util/be.h"
#include "util/xalloc.h"

/* SBC-4 "SANITIZE command" CDB */
#define SAN_IMMED 0x80
#define SAN_RESERVED_BIT 0x40
#define SAN_AUSE 0x20
#define SAN_PLL 7          /* PARAMETER LIST LENGTH, bytes 7-8 */
#define SAN_RESERVED_FIRST 2
#define SAN_RESERVED_LAST 6

/* SBC-4 "OVERWRITE service action parameter list" */
#define OVW_HDR_LEN 4u
#define OVW_INVERT 0x80
#define OVW_TEST_SHIFT 5
#define OVW_TEST_MASK 0x3
#define OVW_COUNT_MASK 0x1f
#define OVW_IPL 2          /* INITIALIZATION PATTERN LENGTH, bytes 2-3 */

/* SPC-4 4.5.2.4.4 "Progress indication sense-key specific data" in
 * fixed-format sense data: SKSV, then a 16-bit fraction of 65536. */
#define FIXED_SKS 15
#define FIXED_SKSV 0x80
#define PROGRESS_ONE 65536u

enum sanitize_state {
	SAN_RUNNING,   /* OVERWRITE passes or the BLOCK ERASE discard */
	SAN_FLUSHING,  /* making the result durable */
	SAN_DONE,
};

/* A sanitize operation in progress. Owned by its LUN (lu->sanitize) from
 * start until sanitize_finish(), which frees it. */
struct sanitize_op {
	struct scsi_lun *lu;
	struct scsi_task *waiter; /* IMMED 0: completed at the end */
	struct bs_io io;
	uint8_t sa;
	int ause;
	enum sanitize_state state;
	int failed;
	uint8_t *buf;             /* OVERWRITE: the pattern, block by block */
	size_t buflen;
	int invert;               /* INVERT: flip the pattern every pass */
	uint32_t passes, pass;
	uint64_t size, off;       /* bytes of medium; done in this pass */
};

static void sanitize_step(struct sanitize_op *op);

/* How far the operation is, in 65536ths (SPC-4 PROGRESS INDICATION). */
static uint16_t
sanitize_progress(const struct sanitize_op *op)
{
	uint64_t total, done;

	if (op->sa != SANITIZE_SA_OVERWRITE || op->size == 0)
		return 0;
	total = (uint64_t)op->passes * op->size;
	done = (uint64_t)op->pass * op->size + op->off;
	if (op->state != SAN_RUNNING || done >= total)
		return PROGRESS_ONE - 1;
	/* done * 65536 must not overflow: drop low bits of huge media. */
	if (total >> 47) {
		done >>= 16;
		total >>= 16;
	}
	return (uint16_t)(done * PROGRESS_ONE / total);
}

int
sanitize_check(struct scsi_task *task, const struct scsi_cmd_desc *d)
{
	struct scsi_lun *lu = task->lu;
	uint8_t op = task->cdb[0];
	int rc = 0;

	if (lu->sanitize != NULL && op != SCSI_OP_INQUIRY &&
	    op != SCSI_OP_REPORT_LUNS && op != SCSI_OP_REQUEST_SENSE) {
		/* SBC-4 "Sanitize operations": "the device server shall
		 * terminate ... with CHECK CONDITION status, with the sense
		 * key set to NOT READY, the additional sense code set to
		 * LOGICAL UNIT NOT READY, SANITIZE IN PROGRESS, and the
		 * PROGRESS INDICATION field set". */
		uint16_t progress = sanitize_progress(lu->sanitize);

		sense_set(task, SENSE_KEY_NOT_READY, ASC_LU_NOT_READY_SANITIZE);
		task->sense[FIXED_SKS] = FIXED_SKSV;
		put_be16(&task->sense[FIXED_SKS + 1], progress);
		rc = -1;
	} else if (lu->sanitize_failed && d != NULL &&
	    (d->flags & CMD_MEDIUM) && op != SCSI_OP_SANITIZE) {
		/* SBC-4: after a failed sanitize operation, medium access
		 * commands get MEDIUM ERROR, SANITIZE COMMAND FAILED until a
		 * SANITIZE succeeds or EXIT FAILURE MODE ends it. */
		sense_set(task, SENSE_KEY_MEDIUM_ERROR,
		    ASC_SANITIZE_COMMAND_FAILED);
		rc = -1;
	}
	return rc;
}

uint64_t
sanitize_out_len(const struct scsi_lun *lu, const uint8_t *cdb)
{
	(void)lu;
	return get_be16(&cdb[SAN_PLL]);
}

/* Ends the operation: LUN state, then the waiting SANITIZE command. */
static void
sanitize_finish(struct sanitize_op *op)
{
	struct scsi_lun *lu = op->lu;
	struct scsi_task *waiter;
	int failed = op->failed;

	/* Under the lock: sanitize_abort() may take the waiter away. */
	pthread_mutex_lock(&lu->lock);
	waiter = op->waiter;
	lu->sanitize = NULL;
	lu->sanitize_failed = failed;
	lu->sanitize_ause = failed ? op->ause : 0;
	pthread_mutex_unlock(&lu->lock);
	free(op->buf);
	free(op);
	if (waiter == NULL)
		return;
	/* SBC-4: a sanitize operation that fails ends the SANITIZE command
	 * with MEDIUM ERROR, SANITIZE COMMAND FAILED. */
	if (failed)
		sense_set(waiter, SENSE_KEY_MEDIUM_ERROR,
		    ASC_SANITIZE_COMMAND_FAILED);
	scsi_task_complete(waiter);
}

static void
sanitize_io_done(struct bs_io *io)
{
	struct sanitize_op *op = io->arg;

	/* The progress fields are read by sanitize_check() under the LUN
	 * lock, possibly from another thread. */
	pthread_mutex_lock(&op->lu->lock);
	if (io->result < 0 ||
	    (io->op != BS_OP_FLUSH && (size_t)io->result != io->len)) {
		op->failed = 1;
		op->state = SAN_DONE;
	} else if (op->state == SAN_FLUSHING) {
		op->state = SAN_DONE;
	} else if (op->sa == SANITIZE_SA_BLOCK_ERASE) {
		op->state = SAN_FLUSHING;
	} else {
		op->off += io->len;
		if (op->off >= op->size) {
			op->off = 0;
			op->pass++;
			/* SBC-4 INVERT: "the initialization pattern shall be
			 * inverted between consecutive overwrite passes". */
			if (op->invert)
				for (size_t i = 0; i < op->buflen; i++)
					op->buf[i] = (uint8_t)~op->buf[i];
			if (op->pass == op->passes)
				op->state = SAN_FLUSHING;
		}
	}
	pthread_mutex_unlock(&op->lu->lock);
	sanitize_step(op);
}

static void
sanitize_submit(struct sanitize_op *op, enum bs_op bop, uint64_t off,
    void *buf, size_t len)
{
	struct bs_io *io = &op->io;

	memset(io, 0, sizeof(*io));
	io->op = bop;
	io->offset = off;
	io->buf = buf;
	io->len = len;
	io->done = sanitize_io_done;
	io->arg = op;
	/* SBC-3 "SANITIZE command": the old data must be gone from the
	 * medium, not only from a cache, so every chunk is written through
	 * (and a power loss part way leaves the part done overwritten). */
	io->fua = bop == BS_OP_WRITE;
	bs_submit(op->lu->bs, io);
}

/* Issues the next backing-store request, or finishes. */
static void
sanitize_step(struct sanitize_op *op)
{
	uint64_t left;

	switch (op->state) {
	case SAN_RUNNING:
		if (op->sa == SANITIZE_SA_BLOCK_ERASE) {
			sanitize_submit(op, BS_OP_DISCARD, 0, NULL,
			    (size_t)op->size);
			return;
		}
		left = op->size - op->off;
		sanitize_submit(op, BS_OP_WRITE, op->off, op->buf,
		    left < op->buflen ? (size_t)left : op->buflen);
		return;
	case SAN_FLUSHING:
		sanitize_submit(op, BS_OP_FLUSH, 0, NULL, 0);
		return;
	case SAN_DONE:
		sanitize_finish(op);
		return;
	}
}

/* Checks the OVERWRITE parameter list and fills op's pattern buffer.
 * Returns 0, or -1 with sense set. */
static int
sanitize_overwrite_params(struct scsi_task *task, struct sanitize_op *op,
    uint32_t pll)
{
	uint32_t bsz = task->lu->block_size;
	const uint8_t *p = task->data_out;
	uint32_t ipl;
	uint64_t blocks;

	if (task->data_out_len < pll) {
		sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_PARAMETER_LIST_LENGTH_ERROR);
		return -1;
	}
	/* SBC-4 "OVERWRITE service action parameter list": a TEST value
	 * other than 00b is for vendor test modes; an OVERWRITE COUNT of 0
	 * and an INITIALIZATION PATTERN LENGTH of 0 or beyond the logical
	 * block length or the parameter list are INVALID FIELD IN
	 * PARAMETER LIST. */
	if ((p[0] >> OVW_TEST_SHIFT) & OVW_TEST_MASK) {
		sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST, 0, 0, 6);
		return -1;
	}
	if ((p[0] & OVW_COUNT_MASK) == 0) {
		sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST, 0, 0, 4);
		return -1;
	}
	ipl = get_be16(&p[OVW_IPL]);
	if (ipl == 0 || ipl > bsz || ipl > pll - OVW_HDR_LEN) {
		sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST, 0,
		    OVW_IPL, -1);
		return -1;
	}
	op->invert = (p[0] & OVW_INVERT) != 0;
	op->passes = p[0] & OVW_COUNT_MASK;
	/* The pattern repeats from the start of every logical block. */
	blocks = MINISAN_SANITIZE_CHUNK_BYTES / bsz;
	if (blocks > task->lu_nblocks)
		blocks = task->lu_nblocks;
	op->buflen = (size_t)blocks * bsz;
	op->buf = xmalloc(op->buflen);
	for (uint32_t i = 0; i < bsz; i++)
		op->buf[i] = p[OVW_HDR_LEN + i % ipl];
	for (uint64_t b = 1; b < blocks; b++)
		memcpy(op->buf + b * bsz, op->buf, bsz);
	return 0;
}

/* EXIT FAILURE MODE: leave the failure mode of a failed sanitize. */
static enum scsi_cmd_result
sanitize_exit_failure_mode(struct scsi_task *task)
{
	struct scsi_lun *lu = task->lu;

	pthread_mutex_lock(&lu->lock);
	/* SBC-4: after a sanitize that failed with AUSE 0, only another
	 * sanitize operation may end the failure mode. */
	if (lu->sanitize_failed && !lu->sanitize_ause)
		sense_invalid_cdb(task, 1, 4);
	else
		lu->sanitize_failed = 0;
	pthread_mutex_unlock(&lu->lock);
	return SCSI_CMD_COMPLETE;
}

/* SBC-4 "SANITIZE command" */
enum scsi_cmd_result
sanitize_cmd(struct scsi_task *task)
{
	const uint8_t *cdb = task->cdb;
	struct scsi_lun *lu = task->lu;
	uint8_t sa = cdb[1] & SCSI_SA_MASK;
	uint32_t pll = get_be16(&cdb[SAN_PLL]);
	struct sanitize_op *op;
	int immed = (cdb[1] & SAN_IMMED) != 0;

	if (cdb[1] & SAN_RESERVED_BIT) {
		sense_invalid_cdb(task, 1, 6);
		return SCSI_CMD_COMPLETE;
	}
	for (uint16_t i = SAN_RESERVED_FIRST; i <= SAN_RESERVED_LAST; i++) {
		if (cdb[i] != 0) {
			sense_invalid_cdb(task, i, -1);
			return SCSI_CMD_COMPLETE;
		}
	}
	/* SBC-4: BLOCK ERASE and EXIT FAILURE MODE take no parameter list;
	 * an OVERWRITE one is the 4-byte header plus a pattern of at most
	 * one logical block. */
	if (sa == SANITIZE_SA_OVERWRITE ?
	    pll <= OVW_HDR_LEN || pll > lu->block_size + OVW_HDR_LEN :
	    pll != 0) {
		sense_invalid_cdb(task, SAN_PLL, -1);
		return SCSI_CMD_COMPLETE;
	}
	if (sa == SANITIZE_SA_EXIT_FAILURE_MODE)
		return sanitize_exit_failure_mode(task);
	if (lu->readonly) {
		sense_set(task, SENSE_KEY_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return SCSI_CMD_COMPLETE;
	}
	op = xcalloc(1, sizeof(*op));
	op->lu = lu;
	op->sa = sa;
	op->ause = (cdb[1] & SAN_AUSE) != 0;
	op->size = task->lu_nblocks * lu->block_size;
	op->state = SAN_RUNNING;
	if (sa == SANITIZE_SA_OVERWRITE &&
	    sanitize_overwrite_params(task, op, pll) != 0) {
		free(op);
		return SCSI_CMD_COMPLETE;
	}
	/* The range lock (medium.c) holds the whole medium for us, and the
	 * gate has turned away everything since: no operation runs. */
	pthread_mutex_lock(&lu->lock);
	lu->sanitize = op;
	pthread_mutex_unlock(&lu->lock);
	/* "If the IMMED bit is set to one, then the device server shall
	 * return status after the SANITIZE command has been validated"; the
	 * operation goes on without the command. */
	if (!immed)
		op->waiter = task;
	sanitize_step(op);
	return immed ? SCSI_CMD_COMPLETE : SCSI_CMD_PENDING;
}

int
sanitize_abort(struct scsi_task *task)
{
	struct scsi_lun *lu = task->lu;
	int found = 0;

	pthread_mutex_lock(&lu->lock);
	if (lu->sanitize != NULL && lu->sanitize->waiter == task) {
		lu->sanitize->waiter = NULL;
		found = 1;
	}
	pthread_mutex_unlock(&lu->lock);
	return found;
}

void
sanitize_lun_fini(struct scsi_lun *lu)
{
	if (lu->sanitize == NULL)
		return;
	free(lu->sanitize->buf);
	free(lu->sanitize);
	lu->sanitize = NULL;
}

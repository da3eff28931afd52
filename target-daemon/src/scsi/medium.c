/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the ordering of medium accesses: the LBA range each
 * command holds in its LUN's range lock while it runs, and the gate
 * (sanitize in progress or failed, software write protection) checked
 * before and after waiting for it. */
#include "scsi/medium.h"

#include "scsi/sanitize.h"
#include "scsi/sense.h"
#include "util/be.h"

void
medium_range(const uint8_t *cdb, struct medium_range *r)
{
	r->lba = 0;
	r->n = 0;
	r->mode = LBA_LOCK_SHARED;
	switch (cdb[0]) {
	case SCSI_OP_READ_6:
	case SCSI_OP_WRITE_6:
		/* SBC-3 "READ (6) command": 0 blocks means 256 */
		r->lba = get_be24(&cdb[1]) & 0x1fffff;
		r->n = cdb[4] ? cdb[4] : 256;
		return;
	case SCSI_OP_READ_10:
	case SCSI_OP_WRITE_10:
	case SCSI_OP_WRITE_VERIFY_10:
	case SCSI_OP_VERIFY_10:
		r->lba = get_be32(&cdb[2]);
		r->n = get_be16(&cdb[7]);
		break;
	case SCSI_OP_READ_12:
	case SCSI_OP_WRITE_12:
	case SCSI_OP_WRITE_VERIFY_12:
	case SCSI_OP_VERIFY_12:
		r->lba = get_be32(&cdb[2]);
		r->n = get_be32(&cdb[6]);
		break;
	case SCSI_OP_READ_16:
	case SCSI_OP_WRITE_16:
	case SCSI_OP_WRITE_VERIFY_16:
	case SCSI_OP_VERIFY_16:
		r->lba = get_be64(&cdb[2]);
		r->n = get_be32(&cdb[10]);
		break;
	case SCSI_OP_WRITE_SAME_10:
		/* SBC-3 "WRITE SAME (10) command": 0 blocks means through
		 * the last one, which n == 0 already says. */
		r->lba = get_be32(&cdb[2]);
		r->n = get_be16(&cdb[7]);
		return;
	case SCSI_OP_WRITE_SAME_16:
		r->lba = get_be64(&cdb[2]);
		r->n = get_be32(&cdb[10]);
		return;
	case SCSI_OP_UNMAP:
		/* The ranges are in the parameter list: hold the medium
		 * shared, which only atomic commands wait for. */
		return;
	case SCSI_OP_COMPARE_AND_WRITE:
		/* SBC-3 "COMPARE AND WRITE command": "the device server shall
		 * not ... allow any other command to ... modify the specified
		 * logical blocks" between the read and the write. */
		r->lba = get_be64(&cdb[2]);
		r->n = cdb[13];
		r->mode = LBA_LOCK_EXCL;
		break;
	case SCSI_OP_ORWRITE_16:
		r->lba = get_be64(&cdb[2]);
		r->n = get_be32(&cdb[10]);
		r->mode = LBA_LOCK_EXCL;
		break;
	case SCSI_OP_WRITE_ATOMIC_16:
		/* SBC-4 "Atomic writes": no other command sees part of the
		 * write, so readers of the range wait too. */
		r->lba = get_be64(&cdb[2]);
		r->n = get_be16(&cdb[12]);
		r->mode = LBA_LOCK_EXCL;
		break;
	case SCSI_OP_SANITIZE:
		/* SBC-4 "Sanitize operations": the whole medium, once every
		 * access before it has finished. */
		r->mode = LBA_LOCK_EXCL;
		return;
	default:
		r->mode = LBA_LOCK_NONE;
		return;
	}
	/* A transfer of 0 blocks touches nothing (n == 0 would mean the
	 * rest of the medium). */
	if (r->n == 0)
		r->mode = LBA_LOCK_NONE;
}

static void
medium_handle(struct scsi_task *task, const struct scsi_cmd_desc *d)
{
	if (d->fn(task) == SCSI_CMD_COMPLETE)
		task->done(task);
}

/* SPC-4 "Control mode page": the commands that write the medium, which
 * SWP inhibits. */
static int
medium_writes(const uint8_t *cdb)
{
	switch (cdb[0]) {
	case SCSI_OP_WRITE_6:
	case SCSI_OP_WRITE_10:
	case SCSI_OP_WRITE_12:
	case SCSI_OP_WRITE_16:
	case SCSI_OP_WRITE_VERIFY_10:
	case SCSI_OP_WRITE_VERIFY_12:
	case SCSI_OP_WRITE_VERIFY_16:
	case SCSI_OP_WRITE_SAME_10:
	case SCSI_OP_WRITE_SAME_16:
	case SCSI_OP_UNMAP:
	case SCSI_OP_COMPARE_AND_WRITE:
	case SCSI_OP_ORWRITE_16:
	case SCSI_OP_WRITE_ATOMIC_16:
		return 1;
	case SCSI_OP_SANITIZE:
		return (cdb[1] & SCSI_SA_MASK) != SANITIZE_SA_EXIT_FAILURE_MODE;
	default:
		return 0;
	}
}

/* The LUN state that can keep a command from running: a sanitize
 * operation (sanitize.c) and software write protection. Returns 0 if the
 * command may run, -1 with sense set. */
static int
medium_gate(struct scsi_task *task, const struct scsi_cmd_desc *d)
{
	struct scsi_lun *lu = task->lu;
	int rc;

	pthread_mutex_lock(&lu->lock);
	rc = sanitize_check(task, d);
	/* "A software write protect (SWP) bit set to one specifies that
	 * the logical unit shall inhibit writing to the medium": DATA
	 * PROTECT, WRITE PROTECTED, as for a read-only medium. */
	if (rc == 0 && lu->swp && medium_writes(task->cdb)) {
		sense_set(task, SENSE_KEY_DATA_PROTECT, ASC_WRITE_PROTECTED);
		rc = -1;
	}
	pthread_mutex_unlock(&lu->lock);
	return rc;
}

/* The range is held after a wait: run the handler. */
static void
medium_granted(void *arg)
{
	struct scsi_task *task = arg;
	const struct scsi_cmd_desc *d = scsi_cmd_find(task->cdb[0],
	    task->cdb[1] & SCSI_SA_MASK);

	/* Checked again now: a SANITIZE may have started while this command
	 * waited for its range. */
	if (medium_gate(task, d) != 0) {
		task->done(task);
		return;
	}
	medium_handle(task, d);
}

/* Interposed as task->done while the task holds a range. */
static void
medium_done(struct scsi_task *task)
{
	lba_lock_release(&task->lu->ranges, &task->lock);
	task->done = task->lock_done;
	task->lock_done = NULL;
	task->done(task);
}

void
medium_abort(struct scsi_task *task)
{
	struct scsi_lun *lu = task->lu;

	/* SAM-5 "ABORT TASK": a task still waiting for its range has done
	 * nothing yet; withdraw it (lba_lock_cancel() decides under the
	 * table's mutex, racing with a grant in another thread). */
	if (lba_lock_cancel(&lu->ranges, &task->lock)) {
		task->done = task->lock_done;
		task->lock_done = NULL;
		task->status = SCSI_STATUS_TASK_ABORTED;
		task->done(task);
		return;
	}
	if (sanitize_abort(task)) {
		task->status = SCSI_STATUS_TASK_ABORTED;
		task->done(task);
	}
}

void
medium_exec(struct scsi_task *task, const struct scsi_cmd_desc *d)
{
	struct medium_range r;

	task->lock.mode = LBA_LOCK_NONE;
	if (task->lu == NULL) {
		medium_handle(task, d);
		return;
	}
	/* Turn commands away before they queue behind a SANITIZE. */
	if (medium_gate(task, d) != 0) {
		task->done(task);
		return;
	}
	medium_range(task->cdb, &r);
	if (r.mode == LBA_LOCK_NONE) {
		medium_handle(task, d);
		return;
	}
	task->lock_done = task->done;
	task->done = medium_done;
	if (lba_lock_acquire(&task->lu->ranges, &task->lock, r.lba, r.n,
	    r.mode, medium_granted, task))
		medium_handle(task, d);
}

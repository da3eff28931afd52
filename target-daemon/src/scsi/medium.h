/* SPDX-License-Identifier: BSD-2-Clause */
/* The ordering point of a LUN's medium accesses: the last step of
 * scsi_exec(). It works out from the CDB which logical blocks a command
 * reads or writes and how (see medium_range), holds that range in the
 * LUN's LBA range lock (lba_lock.h) from before the handler runs until the
 * task is done, and turns commands away while a SANITIZE operation runs
 * and writes while the control mode page's SWP bit is set. Handlers need
 * not know about it: reads and writes of every command set are ordered
 * against COMPARE AND WRITE, ORWRITE, WRITE ATOMIC and SANITIZE here.
 * Private to scsi/. */
#ifndef MINISAN_SCSI_MEDIUM_H
#define MINISAN_SCSI_MEDIUM_H

#include <stdint.h>

#include "scsi/scsi_impl.h"

/* The blocks a command touches: [lba, lba + n), n == 0 meaning through the
 * last block; mode LBA_LOCK_NONE for a command that touches none. */
struct medium_range {
	uint64_t lba;
	uint64_t n;
	enum lba_lock_mode mode;
};

/* Decodes the range of cdb (a supported, CDB-length-checked command). */
void medium_range(const uint8_t *cdb, struct medium_range *r);

/* Runs handler d of task (whose checks in scsi_exec() passed) in order
 * with the other medium accesses of task->lu, and completes the task when
 * the handler says so. task->done() is called exactly once; the range is
 * released just before. */
void medium_exec(struct scsi_task *task, const struct scsi_cmd_desc *d);

/* scsi_task_abort() for a task on a LUN: ends it now if it still waits for
 * its range or is a SANITIZE waiting for its operation. */
void medium_abort(struct scsi_task *task);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* SBC-4 SANITIZE: OVERWRITE (the initialization pattern written over the
 * whole medium, OVERWRITE COUNT times), BLOCK ERASE (every block
 * deallocated, on a thin provisioned LUN) and EXIT FAILURE MODE. CRYPTO
 * ERASE is not supported: we hold no media encryption key. A sanitize
 * operation belongs to the LUN, not to the command: it runs to its end
 * whatever happens to the task that started it, and while it runs the LUN
 * answers only INQUIRY, REPORT LUNS and REQUEST SENSE. Private to scsi/. */
#ifndef MINISAN_SCSI_SANITIZE_H
#define MINISAN_SCSI_SANITIZE_H

#include "scsi/scsi_impl.h"

/* SBC-4 "SANITIZE command": SERVICE ACTION values. */
#define SANITIZE_SA_OVERWRITE 0x01
#define SANITIZE_SA_BLOCK_ERASE 0x02
#define SANITIZE_SA_CRYPTO_ERASE 0x03
#define SANITIZE_SA_EXIT_FAILURE_MODE 0x1f

/* SANITIZE, every service action we support. */
scsi_cmd_fn sanitize_cmd;
scsi_out_len_fn sanitize_out_len;

/* Whether command d of task (task->lu not NULL) may run now: while a
 * sanitize operation is in progress only INQUIRY, REPORT LUNS and REQUEST
 * SENSE may (others get NOT READY, SANITIZE IN PROGRESS with the progress
 * indication); after a failed one, medium access commands other than
 * SANITIZE get MEDIUM ERROR, SANITIZE COMMAND FAILED. Returns 0 if the
 * command may run, -1 with sense set otherwise. The caller holds
 * task->lu->lock. */
int sanitize_check(struct scsi_task *task, const struct scsi_cmd_desc *d);

/* task is aborted: if it is a SANITIZE waiting for its operation, the
 * operation goes on without it (SBC-4: a sanitize operation is not
 * aborted). Returns 1 if so (the caller ends the task), else 0. */
int sanitize_abort(struct scsi_task *task);

/* Frees an operation still in progress when the LUN goes away (the
 * backing-store engine has stopped by then, so no callback is pending). */
void sanitize_lun_fini(struct scsi_lun *lu);

#endif

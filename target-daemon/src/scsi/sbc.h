/* SPDX-License-Identifier: BSD-2-Clause */
/* SBC-3 block commands: READ, WRITE, VERIFY and WRITE AND VERIFY (6/10/
 * 12/16 as they exist), SYNCHRONIZE CACHE, READ CAPACITY and START STOP
 * UNIT. Private to scsi/: the dispatcher calls these through its opcode
 * table (see scsi_cmd_fn in scsi_impl.h). */
#ifndef MINISAN_SCSI_SBC_H
#define MINISAN_SCSI_SBC_H

#include "scsi/scsi_impl.h"

/* READ (6/10/12/16) */
scsi_cmd_fn sbc_read;
/* WRITE (6/10/12/16) and WRITE AND VERIFY (10/12/16) */
scsi_cmd_fn sbc_write;
scsi_out_len_fn sbc_write_out_len;
/* VERIFY (10/12/16) */
scsi_cmd_fn sbc_verify;
scsi_out_len_fn sbc_verify_out_len;
/* SYNCHRONIZE CACHE (10/16) */
scsi_cmd_fn sbc_synchronize_cache;
scsi_cmd_fn sbc_read_capacity10;
/* SERVICE ACTION IN (16) action 10h: READ CAPACITY (16) */
scsi_cmd_fn sbc_read_capacity16;
scsi_cmd_fn sbc_start_stop_unit;

/* Turns a failed or short backing-store transfer (io->result) into sense
 * data: no space, write protection, medium or hardware error. */
void sbc_io_sense(struct scsi_task *task, const struct bs_io *io);

#endif

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

/* Shared by the SBC command files (sbc*.c, caw.c). */

/* LBA + n blocks within the capacity (task->lu_nblocks), or -1 with
 * LOGICAL BLOCK ADDRESS OUT OF RANGE set. */
int sbc_check_range(struct scsi_task *task, uint64_t lba, uint64_t n);
/* 0 on a writable LUN, or -1 with DATA PROTECT, WRITE PROTECTED set. */
int sbc_check_writable(struct scsi_task *task);
/* 1 if the transfer failed or was short (a flush transfers nothing). */
int sbc_io_failed(const struct bs_io *io);
/* Sets up task->io for len bytes at task->lba and submits it; returns
 * SCSI_CMD_PENDING. done may run before this returns. */
enum scsi_cmd_result sbc_submit(struct scsi_task *task, enum bs_op op,
    int fua, void *buf, size_t len, void (*done)(struct bs_io *));
/* Reads nblocks blocks at lba into a fresh task->scratch (which done
 * frees), with task->lba and task->nblocks set; returns SCSI_CMD_PENDING. */
enum scsi_cmd_result sbc_read_scratch(struct scsi_task *task, uint64_t lba,
    uint32_t nblocks, void (*done)(struct bs_io *));
/* Whole blocks of Data-Out (at most nblocks) the command may use, given
 * what arrived (iSCSI EDTL may be below the transfer length); -1 with
 * INVALID FIELD IN INFORMATION UNIT set for a partial block. */
int64_t sbc_out_blocks(struct scsi_task *task, uint32_t nblocks);
/* A completion that only reports a failed transfer, then frees
 * task->scratch and completes the task. */
void sbc_scratch_done(struct bs_io *io);
/* 0 if the len bytes of a and b are equal; else 1 with MISCOMPARE DURING
 * VERIFY OPERATION and the offset of the first difference set. */
int sbc_miscompare(struct scsi_task *task, const uint8_t *a,
    const uint8_t *b, size_t len);

#endif

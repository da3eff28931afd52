/* SPDX-License-Identifier: BSD-2-Clause */
/* The SBC commands that must look indivisible to every other command:
 * COMPARE AND WRITE and ORWRITE (read, combine, write back) and WRITE
 * ATOMIC (16). The dispatcher (medium.c) holds their blocks exclusively in
 * the LUN's range lock while they run, so no other read or write of those
 * blocks runs in between. Private to scsi/. */
#ifndef MINISAN_SCSI_CAW_H
#define MINISAN_SCSI_CAW_H

#include "scsi/scsi_impl.h"

/* COMPARE AND WRITE: MISCOMPARE with the offset of the first differing
 * byte in the INFORMATION field, or the write. */
scsi_cmd_fn caw_compare_and_write;
scsi_out_len_fn caw_compare_and_write_out_len;
/* ORWRITE (16) */
scsi_cmd_fn caw_orwrite;
/* WRITE ATOMIC (16) */
scsi_cmd_fn caw_write_atomic16;
/* Data-Out of ORWRITE (16) and WRITE ATOMIC (16): TRANSFER LENGTH
 * blocks. */
scsi_out_len_fn caw_write_out_len;

/* Block Limits VPD page values of lu, in logical blocks: MAXIMUM COMPARE
 * AND WRITE LENGTH and MAXIMUM ATOMIC TRANSFER LENGTH. */
uint8_t caw_max_compare_blocks(const struct scsi_lun *lu);
uint32_t caw_max_atomic_blocks(const struct scsi_lun *lu);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* SPC-4 primary commands: INQUIRY, REPORT LUNS, TEST UNIT READY, REQUEST
 * SENSE and PREVENT ALLOW MEDIUM REMOVAL. Mode pages are in mode.h, VPD
 * pages in vpd.h. Private to scsi/: the dispatcher calls these through its
 * opcode table (see scsi_cmd_fn in scsi_impl.h). */
#ifndef MINISAN_SCSI_SPC_H
#define MINISAN_SCSI_SPC_H

#include "scsi/scsi_impl.h"

/* Standard INQUIRY data is 96 bytes: through the version descriptors. */
#define SPC_STD_INQUIRY_LEN 96u

scsi_cmd_fn spc_test_unit_ready;
scsi_cmd_fn spc_request_sense;
scsi_cmd_fn spc_inquiry;
scsi_cmd_fn spc_report_luns;
scsi_cmd_fn spc_prevent_allow;

/* Fills buf (SPC_STD_INQUIRY_LEN bytes) with the standard INQUIRY data of
 * lu, or of "no logical unit" (qualifier 011b) when lu is NULL. */
void spc_std_inquiry(const struct scsi_lun *lu, uint8_t *buf);

#endif

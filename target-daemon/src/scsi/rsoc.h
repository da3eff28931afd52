/* SPDX-License-Identifier: BSD-2-Clause */
/* SPC-4 MAINTENANCE IN commands that describe the device server itself:
 * REPORT SUPPORTED OPERATION CODES, generated from the opcode table and
 * its CDB usage data, and REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS.
 * Private to scsi/. */
#ifndef MINISAN_SCSI_RSOC_H
#define MINISAN_SCSI_RSOC_H

#include "scsi/scsi_impl.h"

/* MAINTENANCE IN action 0Ch: REPORT SUPPORTED OPERATION CODES */
scsi_cmd_fn rsoc_report_opcodes;
/* MAINTENANCE IN action 0Dh: REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS */
scsi_cmd_fn rsoc_report_tmfs;

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* SPC-4 asymmetric logical unit access, implicit only (TPGS 01b in the
 * standard INQUIRY data): one target port group per iSCSI portal group,
 * numbered by its TPGT, always active/optimized. Private to scsi/. */
#ifndef MINISAN_SCSI_TPG_H
#define MINISAN_SCSI_TPG_H

#include "scsi/scsi_impl.h"

/* MAINTENANCE IN action 0Ah: REPORT TARGET PORT GROUPS */
scsi_cmd_fn tpg_report;

#endif

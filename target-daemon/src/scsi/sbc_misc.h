/* SPDX-License-Identifier: BSD-2-Clause */
/* SBC-3 commands about the medium rather than its data: PRE-FETCH (10) and
 * (16), READ DEFECT DATA (10) and (12). Private to scsi/. */
#ifndef MINISAN_SCSI_SBC_MISC_H
#define MINISAN_SCSI_SBC_MISC_H

#include "scsi/scsi_impl.h"

/* PRE-FETCH (10) and (16): range check, then (IMMED 0) a read ahead of at
 * most MINISAN_PREFETCH_MAX_BYTES into the page cache; always GOOD, never
 * CONDITION MET (see sbc_misc.c). */
scsi_cmd_fn sbc_misc_prefetch;
/* READ DEFECT DATA (10) and (12): empty lists. */
scsi_cmd_fn sbc_misc_read_defect_data;

#endif

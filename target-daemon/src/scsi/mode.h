/* SPDX-License-Identifier: BSD-2-Clause */
/* MODE SENSE (6)/(10) and MODE SELECT (6)/(10) with the mode pages of a
 * disk (SPC-4 7.5, SBC-3 6.4). Private to scsi/. */
#ifndef MINISAN_SCSI_MODE_H
#define MINISAN_SCSI_MODE_H

#include "scsi/scsi_impl.h"

/* SPC-4 "Mode page codes": the pages we have, and "return all pages". */
enum mode_page_code {
	MODE_PAGE_CACHING = 0x08,
	MODE_PAGE_CONTROL = 0x0a,
	MODE_PAGE_INFO_EXCEPTIONS = 0x1c,
	MODE_PAGE_ALL = 0x3f,
};

/* SPC-4 "Mode parameter header formats": DEVICE-SPECIFIC PARAMETER bits
 * of a direct access block device (SBC-3 "Mode parameters overview"). */
#define MODE_DSP_WP 0x80
#define MODE_DSP_DPOFUA 0x10

/* SBC-3 "Caching mode page": WCE bit in byte 2. */
#define MODE_CACHING_WCE 0x04

scsi_cmd_fn mode_sense;
scsi_cmd_fn mode_select;
scsi_out_len_fn mode_select_out_len;

#endif

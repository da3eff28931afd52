/* SPDX-License-Identifier: BSD-2-Clause */
/* INQUIRY vital product data pages (SPC-4 7.8, SBC-3 6.5). Private to
 * scsi/. */
#ifndef MINISAN_SCSI_VPD_H
#define MINISAN_SCSI_VPD_H

#include <stdint.h>

#include "scsi/scsi_impl.h"

/* SPC-4 and SBC-3 VPD page codes we return. */
enum vpd_page_code {
	VPD_SUPPORTED_PAGES = 0x00,
	VPD_UNIT_SERIAL = 0x80,
	VPD_DEVICE_ID = 0x83,
	VPD_THIRD_PARTY_COPY = 0x8f,
	VPD_BLOCK_LIMITS = 0xb0,
	VPD_BLOCK_DEVICE_CHARS = 0xb1,
	VPD_LOGICAL_BLOCK_PROV = 0xb2,
};

/* Answers INQUIRY with EVPD=1 for page code page and allocation length
 * alloc on task->lu (not NULL). An unsupported page is INVALID FIELD IN
 * CDB. */
enum scsi_cmd_result vpd_inquiry(struct scsi_task *task, uint8_t page,
    uint16_t alloc);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the INQUIRY vital product data pages of a disk:
 * supported pages, unit serial number, device identification, block
 * limits, block device characteristics and logical block provisioning. */
#include "scsi/vpd.h"

#include <string.h>

#include "limits_minisan.h"
#include "scsi/caw.h"
#include "scsi/sbc_provision.h"
#include "scsi/sense.h"
#include "scsi/xcopy.h"
#include "util/be.h"

#define VPD_HDR_LEN 4u
/* Large enough for the device identification page with two SCSI name
 * strings of the longest designator length. */
#define VPD_BUF_MAX 1024u

/* SPC-4 "Device Identification VPD page": designation descriptor fields */
#define CODE_SET_BINARY 0x1
#define CODE_SET_UTF8 0x3
#define DESIG_PIV 0x80
#define ASSOC_LU (0x0 << 4)
#define ASSOC_TARGET_PORT (0x1 << 4)
#define ASSOC_TARGET_DEVICE (0x2 << 4)
#define DESIG_NAA 0x3
#define DESIG_REL_PORT 0x4
#define DESIG_TPG 0x5
#define DESIG_SCSI_NAME 0x8
/* Designator length is one byte and a SCSI name string is padded to a
 * multiple of four, NUL included: at most 252 bytes. */
#define SCSI_NAME_DESIG_MAX 252u
/* SPC-4 "PROTOCOL IDENTIFIER values": Internet SCSI (iSCSI). */
#define PROTOCOL_ID_ISCSI 0x5

/* SBC-3 "Block Limits VPD page" and "Block Device Characteristics VPD
 * page" have a PAGE LENGTH of 3Ch; SBC-3 "Logical Block Provisioning VPD
 * page" one of 4 without provisioning group descriptors. */
#define VPD_B0_LEN (VPD_HDR_LEN + 0x3c)
#define VPD_B1_LEN (VPD_HDR_LEN + 0x3c)
#define VPD_B2_LEN (VPD_HDR_LEN + 0x04)
#define MEDIUM_ROTATION_NONE 0x0001
#define B1_WABEREQ_READ_GOOD (0x1 << 6)
/* SBC-3 "Block Limits VPD page": UGAVALID, the top bit of the UNMAP
 * GRANULARITY ALIGNMENT field. */
#define B0_UGAVALID 0x80
/* SBC-3 "Logical Block Provisioning VPD page" byte 5 and the PROVISIONING
 * TYPE in byte 6. */
#define B2_LBPU 0x80
#define B2_LBPWS 0x40
#define B2_LBPWS10 0x20
#define B2_LBPRZ 0x04
#define B2_TYPE_THIN 0x2

struct vpd_page {
	enum vpd_page_code code;
	/* Fills buf past the 4-byte header; returns the page's full length. */
	uint32_t (*build)(const struct scsi_task *task, uint8_t *buf);
};

static uint32_t vpd_supported(const struct scsi_task *, uint8_t *);
static uint32_t vpd_serial(const struct scsi_task *, uint8_t *);
static uint32_t vpd_device_id(const struct scsi_task *, uint8_t *);
static uint32_t vpd_block_limits(const struct scsi_task *, uint8_t *);
static uint32_t vpd_block_chars(const struct scsi_task *, uint8_t *);
static uint32_t vpd_provisioning(const struct scsi_task *, uint8_t *);

/* In ascending page code order, as page 00h lists them (SPC-4 "Supported
 * VPD Pages VPD page"). */
static const struct vpd_page vpd_pages[] = {
	{ VPD_SUPPORTED_PAGES, vpd_supported },
	{ VPD_UNIT_SERIAL, vpd_serial },
	{ VPD_DEVICE_ID, vpd_device_id },
	{ VPD_THIRD_PARTY_COPY, xcopy_vpd_page },
	{ VPD_BLOCK_LIMITS, vpd_block_limits },
	{ VPD_BLOCK_DEVICE_CHARS, vpd_block_chars },
	{ VPD_LOGICAL_BLOCK_PROV, vpd_provisioning },
};

#define VPD_NPAGES (sizeof(vpd_pages) / sizeof(vpd_pages[0]))

static uint32_t
vpd_supported(const struct scsi_task *task, uint8_t *buf)
{
	(void)task;
	for (size_t i = 0; i < VPD_NPAGES; i++)
		buf[VPD_HDR_LEN + i] = (uint8_t)vpd_pages[i].code;
	return VPD_HDR_LEN + VPD_NPAGES;
}

static uint32_t
vpd_serial(const struct scsi_task *task, uint8_t *buf)
{
	size_t len = strlen(task->lu->serial);

	/* SPC-4 "Unit Serial Number VPD page": PRODUCT SERIAL NUMBER */
	memcpy(&buf[VPD_HDR_LEN], task->lu->serial, len);
	return VPD_HDR_LEN + (uint32_t)len;
}

/* Appends a designation descriptor header; returns where the designator
 * goes. */
static uint8_t *
vpd_desig(uint8_t *p, uint8_t proto_codeset, uint8_t piv_assoc_type,
    uint8_t len)
{
	p[0] = proto_codeset;
	p[1] = piv_assoc_type;
	p[2] = 0;
	p[3] = len;
	return p + 4;
}

/* Appends a SCSI name string designator (SPC-4 "SCSI name string
 * designator format"): UTF-8, NUL terminated, padded with NULs to a
 * multiple of four. Returns the end. */
static uint8_t *
vpd_name(uint8_t *p, uint8_t assoc, const char *name)
{
	size_t len = strlen(name);
	uint8_t dlen;

	if (len > SCSI_NAME_DESIG_MAX - 1)
		len = SCSI_NAME_DESIG_MAX - 1;
	dlen = (uint8_t)((len + 1 + 3) & ~(size_t)3);
	p = vpd_desig(p, PROTOCOL_ID_ISCSI << 4 | CODE_SET_UTF8,
	    DESIG_PIV | assoc | DESIG_SCSI_NAME, dlen);
	memset(p, 0, dlen);
	memcpy(p, name, len);
	return p + dlen;
}

static uint32_t
vpd_device_id(const struct scsi_task *task, uint8_t *buf)
{
	const struct scsi_nexus *nx = task->nexus;
	uint8_t *p = &buf[VPD_HDR_LEN];

	/* SPC-4 "NAA IEEE Registered designator format": the logical unit
	 * name; naa_id carries the NAA nibble (5h), OUI and vendor part. */
	p = vpd_desig(p, CODE_SET_BINARY, ASSOC_LU | DESIG_NAA, 8);
	put_be64(p, task->lu->naa_id);
	p += 8;
	if (nx != NULL) {
		/* SPC-4 "Relative target port designator format" */
		p = vpd_desig(p, PROTOCOL_ID_ISCSI << 4 | CODE_SET_BINARY,
		    DESIG_PIV | ASSOC_TARGET_PORT | DESIG_REL_PORT, 4);
		put_be16(p, 0);
		put_be16(p + 2, nx->rel_port_id);
		p += 4;
		/* SPC-4 "Target port group designator format" */
		p = vpd_desig(p, PROTOCOL_ID_ISCSI << 4 | CODE_SET_BINARY,
		    DESIG_PIV | ASSOC_TARGET_PORT | DESIG_TPG, 4);
		put_be16(p, 0);
		put_be16(p + 2, nx->tpgt);
		p += 4;
		if (nx->target_port != NULL)
			p = vpd_name(p, ASSOC_TARGET_PORT, nx->target_port);
	}
	if (task->target != NULL && task->target->name != NULL)
		p = vpd_name(p, ASSOC_TARGET_DEVICE, task->target->name);
	return (uint32_t)(p - buf);
}

static uint32_t
vpd_block_limits(const struct scsi_task *task, uint8_t *buf)
{
	uint32_t bsz = task->lu->block_size;
	uint32_t gran = SCSI_PHYS_BLOCK_BYTES / bsz;
	struct sbc_provision_limits lim;

	/* SBC-3 "Block Limits VPD page": reads and writes up to
	 * MINISAN_MAX_XFER_BYTES. OPTIMAL TRANSFER LENGTH stays 0 (not
	 * reported): file systems would take it for a RAID stripe. */
	memset(&buf[VPD_HDR_LEN], 0, VPD_B0_LEN - VPD_HDR_LEN);
	/* MAXIMUM COMPARE AND WRITE LENGTH (caw.c) */
	buf[5] = caw_max_compare_blocks(task->lu);
	put_be16(&buf[6], (uint16_t)gran);
	put_be32(&buf[8], MINISAN_MAX_XFER_BYTES / bsz);
	/* Logical block provisioning (sbc_provision.c): WSNZ 0 (a WRITE
	 * SAME of 0 blocks runs to the end of the medium), the UNMAP limits
	 * (0, "not supported", on a fully provisioned LUN) and the unmap
	 * granularity, aligned at LBA 0 (UGAVALID). */
	sbc_provision_limits(task->lu, &lim);
	put_be32(&buf[20], lim.max_unmap_lbas);
	put_be32(&buf[24], lim.max_unmap_descs);
	if (task->lu->thin) {
		put_be32(&buf[28], lim.unmap_granularity);
		buf[32] = B0_UGAVALID;
	}
	put_be64(&buf[36], lim.max_write_same);
	/* SBC-4 atomic writes (caw.c): MAXIMUM ATOMIC TRANSFER LENGTH; no
	 * ATOMIC ALIGNMENT or TRANSFER LENGTH GRANULARITY restriction (0)
	 * and no atomic boundaries (MAXIMUM ATOMIC TRANSFER LENGTH WITH
	 * ATOMIC BOUNDARY and MAXIMUM ATOMIC BOUNDARY SIZE 0). */
	put_be32(&buf[44], caw_max_atomic_blocks(task->lu));
	return VPD_B0_LEN;
}

static uint32_t
vpd_block_chars(const struct scsi_task *task, uint8_t *buf)
{
	/* SBC-3 "Block Device Characteristics VPD page": non-rotating, no
	 * form factor. */
	memset(&buf[VPD_HDR_LEN], 0, VPD_B1_LEN - VPD_HDR_LEN);
	put_be16(&buf[4], MEDIUM_ROTATION_NONE);
	/* SBC-4 WABEREQ 01b: after a SANITIZE BLOCK ERASE (thin LUNs only,
	 * sanitize.c) reads complete with GOOD (returning zeros or what
	 * the store reads back); WACEREQ 00b: no CRYPTO ERASE. */
	if (task->lu->thin)
		buf[7] = B1_WABEREQ_READ_GOOD;
	return VPD_B1_LEN;
}

static uint32_t
vpd_provisioning(const struct scsi_task *task, uint8_t *buf)
{
	const struct scsi_lun *lu = task->lu;

	/* SBC-3 "Logical Block Provisioning VPD page": a fully provisioned
	 * LUN has every bit 0. A thin one deallocates through UNMAP (LBPU)
	 * and WRITE SAME (16)/(10) with UNMAP (LBPWS, LBPWS10), reads
	 * deallocated blocks as zeros where the store promises it (LBPRZ),
	 * never anchors (ANC_SUP 0) and has no provisioning group (DP 0). */
	memset(&buf[VPD_HDR_LEN], 0, VPD_B2_LEN - VPD_HDR_LEN);
	if (lu->thin) {
		buf[5] = B2_LBPU | B2_LBPWS | B2_LBPWS10 |
		    (lu->lbprz ? B2_LBPRZ : 0);
		buf[6] = B2_TYPE_THIN;
	}
	return VPD_B2_LEN;
}

enum scsi_cmd_result
vpd_inquiry(struct scsi_task *task, uint8_t page, uint16_t alloc)
{
	uint8_t buf[VPD_BUF_MAX];
	uint32_t len;
	uint8_t *out;

	for (size_t i = 0; i < VPD_NPAGES; i++) {
		if (vpd_pages[i].code != page)
			continue;
		memset(buf, 0, VPD_HDR_LEN);
		len = vpd_pages[i].build(task, buf);
		buf[0] = SCSI_TYPE_DISK;
		buf[1] = page;
		put_be16(&buf[2], (uint16_t)(len - VPD_HDR_LEN));
		out = scsi_data_in_alloc(task, len, alloc);
		memcpy(out, buf, len);
		return SCSI_CMD_COMPLETE;
	}
	/* SPC-4 "INQUIRY command": a VPD page the device server does not
	 * implement is INVALID FIELD IN CDB. */
	sense_invalid_cdb(task, 2, -1);
	return SCSI_CMD_COMPLETE;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements REPORT TARGET PORT GROUPS for implicit ALUA: the
 * target port group of the I_T nexus the command came through (its iSCSI
 * portal group) with that nexus' relative target port, active/optimized.
 * The SCSI layer sees one portal group per nexus; a target reachable
 * through several would list each one here once the transport tells us
 * about them (struct scsi_nexus carries only its own). */
#include "scsi/tpg.h"

#include "scsi/sense.h"
#include "util/be.h"

/* SPC-4 "REPORT TARGET PORT GROUPS command": PARAMETER DATA FORMAT in the
 * top three bits of byte 1. */
#define RTPG_FORMAT_SHIFT 5
#define RTPG_FORMAT_LENGTH_ONLY 0x0
#define RTPG_FORMAT_EXTENDED 0x1
#define RTPG_HDR_LEN 4u
#define RTPG_EXT_HDR_LEN 8u
/* SPC-4 "Target port group descriptor format" */
#define TPG_DESC_LEN 8u
#define TPG_PORT_DESC_LEN 4u
#define TPG_PREF 0x80
#define TPG_STATE_ACTIVE_OPTIMIZED 0x0
#define TPG_AO_SUP 0x01
#define TPG_STATUS_NONE 0x00

enum scsi_cmd_result
tpg_report(struct scsi_task *task)
{
	const struct scsi_nexus *nx = task->nexus;
	uint8_t format = task->cdb[1] >> RTPG_FORMAT_SHIFT;
	uint32_t hdr, len;
	uint8_t *out, *p;

	/* SPC-4 "REPORT TARGET PORT GROUPS command" */
	if (format != RTPG_FORMAT_LENGTH_ONLY &&
	    format != RTPG_FORMAT_EXTENDED) {
		sense_invalid_cdb(task, 1, 7);
		return SCSI_CMD_COMPLETE;
	}
	hdr = format == RTPG_FORMAT_EXTENDED ? RTPG_EXT_HDR_LEN :
	    RTPG_HDR_LEN;
	len = hdr + (nx != NULL ? TPG_DESC_LEN + TPG_PORT_DESC_LEN : 0);
	out = scsi_data_in_alloc(task, len, get_be32(&task->cdb[6]));
	/* RETURN DATA LENGTH: the bytes after it. */
	put_be32(out, len - RTPG_HDR_LEN);
	if (format == RTPG_FORMAT_EXTENDED) {
		/* FORMAT TYPE 001b; IMPLICIT TRANSITION TIME 0: we never
		 * change state. */
		out[4] = RTPG_FORMAT_EXTENDED << 4;
	}
	if (nx == NULL)
		return SCSI_CMD_COMPLETE;
	p = out + hdr;
	/* One group, preferred, active/optimized, which is the only state
	 * it supports (AO_SUP); STATUS CODE 0: no transition happened. */
	p[0] = TPG_PREF | TPG_STATE_ACTIVE_OPTIMIZED;
	p[1] = TPG_AO_SUP;
	put_be16(&p[2], nx->tpgt);
	p[5] = TPG_STATUS_NONE;
	p[7] = 1; /* TARGET PORT COUNT */
	/* SPC-4 "Target port descriptor format" */
	put_be16(&p[TPG_DESC_LEN + 2], nx->rel_port_id);
	return SCSI_CMD_COMPLETE;
}

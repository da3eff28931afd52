/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements REPORT SUPPORTED OPERATION CODES, built from the
 * dispatcher's opcode table (scsi_cmd_opcode/scsi_cmd_find and the CDB
 * usage data of every entry), and REPORT SUPPORTED TASK MANAGEMENT
 * FUNCTIONS. */
#include "scsi/rsoc.h"

#include <stdlib.h>
#include <string.h>

#include "scsi/sense.h"
#include "util/be.h"
#include "util/xalloc.h"

/* SPC-4 "REPORT SUPPORTED OPERATION CODES command": CDB byte 2 */
#define RSOC_RCTD 0x80
#define RSOC_OPTIONS_MASK 0x07
enum rsoc_options {
	RSOC_ALL = 0x0,          /* all commands */
	RSOC_ONE_OPCODE = 0x1,   /* one, by operation code */
	RSOC_ONE_SA = 0x2,       /* one, by operation code and action */
	RSOC_ONE_EITHER = 0x3,   /* one; the action only if it has them */
};

/* SPC-4 "All_commands parameter data format": 4-byte header, 8-byte
 * command descriptors, each followed by a 12-byte command timeouts
 * descriptor when RCTD is set. */
#define RSOC_ALL_HDR_LEN 4u
#define RSOC_CMD_DESC_LEN 8u
#define RSOC_CTDP_ALL 0x02     /* command descriptor byte 5 */
#define RSOC_SERVACTV 0x01     /* command descriptor byte 5 */
/* SPC-4 "Command timeouts descriptor format" */
#define RSOC_TIMEOUTS_LEN 12u
#define RSOC_TIMEOUTS_DESC_LEN 0x0a
/* SPC-4 "One_command parameter data format" */
#define RSOC_ONE_HDR_LEN 4u
#define RSOC_CTDP_ONE 0x80     /* byte 1 */
enum rsoc_support {
	RSOC_NOT_SUPPORTED = 0x1,
	RSOC_SUPPORTED = 0x3,  /* in conformance with a SCSI standard */
};
/* Every operation code and every service action of one. */
#define RSOC_MAX_ENTRIES (256u * (SCSI_SA_MASK + 1))

/* SPC-4 "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS command": REPD in
 * CDB byte 2; the parameter data is 4 bytes, or 16 with REPD. */
#define RSTMF_REPD 0x80
#define RSTMF_BASIC_LEN 4u
#define RSTMF_EXT_LEN 16u
#define RSTMF_EXT_ADDITIONAL_LEN 0x0c
/* Byte 0 bits */
#define RSTMF_ATS 0x80   /* ABORT TASK */
#define RSTMF_ATSS 0x40  /* ABORT TASK SET */
#define RSTMF_CACAS 0x20 /* CLEAR ACA */
#define RSTMF_CTSS 0x10  /* CLEAR TASK SET */
#define RSTMF_LURS 0x08  /* LOGICAL UNIT RESET */
#define RSTMF_QTS 0x04   /* QUERY TASK */
#define RSTMF_TRS 0x02   /* TARGET RESET */

/* Whether the LUN the task addresses supports entry d: the commands of
 * logical block provisioning exist only on a thin provisioned LUN. */
static int
rsoc_visible(const struct scsi_task *task, const struct scsi_cmd_desc *d)
{
	return !(d->flags & CMD_THIN) ||
	    (task->lu != NULL && task->lu->thin);
}

/* SPC-4 "Command timeouts descriptor": we promise no processing time, so
 * both timeouts are 0 ("not specified"). */
static void
rsoc_put_timeouts(uint8_t *p)
{
	memset(p, 0, RSOC_TIMEOUTS_LEN);
	put_be16(p, RSOC_TIMEOUTS_DESC_LEN);
}

/* Appends one command descriptor at p; returns its length. */
static uint32_t
rsoc_put_desc(uint8_t *p, uint8_t op, const struct scsi_cmd_desc *d,
    int servactv, int rctd)
{
	memset(p, 0, RSOC_CMD_DESC_LEN);
	p[0] = op;
	put_be16(&p[2], servactv ? d->sa : 0);
	p[5] = (uint8_t)((rctd ? RSOC_CTDP_ALL : 0) |
	    (servactv ? RSOC_SERVACTV : 0));
	put_be16(&p[6], d->usage_len);
	if (!rctd)
		return RSOC_CMD_DESC_LEN;
	rsoc_put_timeouts(p + RSOC_CMD_DESC_LEN);
	return RSOC_CMD_DESC_LEN + RSOC_TIMEOUTS_LEN;
}

static enum scsi_cmd_result
rsoc_all(struct scsi_task *task, int rctd, uint32_t alloc)
{
	uint32_t each = RSOC_CMD_DESC_LEN + (rctd ? RSOC_TIMEOUTS_LEN : 0);
	uint8_t *buf = xmalloc(RSOC_ALL_HDR_LEN + RSOC_MAX_ENTRIES * each);
	uint32_t len = RSOC_ALL_HDR_LEN;
	const struct scsi_cmd_desc *d, *e;

	for (unsigned op = 0; op < 256; op++) {
		if ((d = scsi_cmd_opcode((uint8_t)op)) == NULL)
			continue;
		if (d->sas == NULL) {
			if (rsoc_visible(task, d))
				len += rsoc_put_desc(buf + len, (uint8_t)op, d,
				    0, rctd);
			continue;
		}
		for (e = d->sas; e->usage_len != 0; e++)
			if (rsoc_visible(task, e))
				len += rsoc_put_desc(buf + len, (uint8_t)op, e,
				    1, rctd);
	}
	/* COMMAND DATA LENGTH: the bytes that follow it. */
	put_be32(buf, len - RSOC_ALL_HDR_LEN);
	memcpy(scsi_data_in_alloc(task, len, alloc), buf, len);
	free(buf);
	return SCSI_CMD_COMPLETE;
}

static enum scsi_cmd_result
rsoc_one(struct scsi_task *task, const struct scsi_cmd_desc *e, int rctd,
    uint32_t alloc)
{
	uint32_t len = RSOC_ONE_HDR_LEN;
	uint8_t buf[RSOC_ONE_HDR_LEN + 255 + RSOC_TIMEOUTS_LEN], *out;

	memset(buf, 0, sizeof(buf));
	if (e == NULL || !rsoc_visible(task, e)) {
		/* SUPPORT 001b: the command is not supported; CDB SIZE 0,
		 * no usage data. */
		buf[1] = RSOC_NOT_SUPPORTED;
	} else {
		buf[1] = (uint8_t)((rctd ? RSOC_CTDP_ONE : 0) | RSOC_SUPPORTED);
		put_be16(&buf[2], e->usage_len);
		memcpy(&buf[len], e->usage, e->usage_len);
		len += e->usage_len;
		if (rctd) {
			rsoc_put_timeouts(&buf[len]);
			len += RSOC_TIMEOUTS_LEN;
		}
	}
	out = scsi_data_in_alloc(task, len, alloc);
	memcpy(out, buf, len);
	return SCSI_CMD_COMPLETE;
}

/* SPC-4 "REPORT SUPPORTED OPERATION CODES command" */
enum scsi_cmd_result
rsoc_report_opcodes(struct scsi_task *task)
{
	const uint8_t *cdb = task->cdb;
	int rctd = (cdb[2] & RSOC_RCTD) != 0;
	uint8_t op = cdb[3];
	uint16_t sa = get_be16(&cdb[4]);
	uint32_t alloc = get_be32(&cdb[6]);
	const struct scsi_cmd_desc *d = scsi_cmd_opcode(op), *e = d;

	switch ((enum rsoc_options)(cdb[2] & RSOC_OPTIONS_MASK)) {
	case RSOC_ALL:
		return rsoc_all(task, rctd, alloc);
	case RSOC_ONE_OPCODE:
		/* 001b names an operation code without service actions:
		 * one that has them is INVALID FIELD IN CDB. */
		if (d != NULL && d->sas != NULL) {
			sense_invalid_cdb(task, 3, -1);
			return SCSI_CMD_COMPLETE;
		}
		break;
	case RSOC_ONE_SA:
	case RSOC_ONE_EITHER:
		/* 010b names one with service actions (one without is
		 * INVALID FIELD IN CDB); 011b takes either. */
		if (d != NULL && d->sas == NULL &&
		    (cdb[2] & RSOC_OPTIONS_MASK) == RSOC_ONE_SA) {
			sense_invalid_cdb(task, 3, -1);
			return SCSI_CMD_COMPLETE;
		}
		if (d != NULL && d->sas != NULL)
			e = sa <= SCSI_SA_MASK ?
			    scsi_cmd_find(op, (uint8_t)sa) : NULL;
		break;
	default:
		sense_invalid_cdb(task, 2, 2);
		return SCSI_CMD_COMPLETE;
	}
	return rsoc_one(task, e, rctd, alloc);
}

/* SPC-4 "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS command" */
enum scsi_cmd_result
rsoc_report_tmfs(struct scsi_task *task)
{
	int repd = (task->cdb[2] & RSTMF_REPD) != 0;
	uint32_t len = repd ? RSTMF_EXT_LEN : RSTMF_BASIC_LEN;
	uint8_t *out = scsi_data_in_alloc(task, len, get_be32(&task->cdb[6]));

	/* What iscsi/tmf.c carries out: ABORT TASK, ABORT TASK SET, CLEAR
	 * TASK SET, LOGICAL UNIT RESET and TARGET WARM/COLD RESET (RFC7143
	 * 11.5.1). Not CLEAR ACA (we have no ACA), QUERY TASK or the other
	 * query functions, nor I_T NEXUS RESET. */
	out[0] = RSTMF_ATS | RSTMF_ATSS | RSTMF_CTSS | RSTMF_LURS | RSTMF_TRS;
	/* With REPD, the extended data: no timeouts reported (TMFTMOV 0 and
	 * every timeout-supported bit 0). */
	if (repd)
		out[3] = RSTMF_EXT_ADDITIONAL_LEN;
	return SCSI_CMD_COMPLETE;
}

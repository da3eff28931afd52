/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the SPC-4 primary commands a disk needs: INQUIRY
 * (standard data; VPD pages are in vpd.c), REPORT LUNS, TEST UNIT READY,
 * REQUEST SENSE and PREVENT ALLOW MEDIUM REMOVAL. */
#include "scsi/spc.h"

#include <string.h>

#include "scsi/sense.h"
#include "scsi/ua.h"
#include "scsi/vpd.h"
#include "util/be.h"

/* SPC-4 "Standard INQUIRY data" */
#define INQ_RMB 0x80
#define INQ_VERSION_SPC4 0x06
#define INQ_HISUP 0x10
/* byte 5: TPGS 01b, implicit asymmetric access only (tpg.c); 3PC, EXTENDED
 * COPY (xcopy.c) */
#define INQ_TPGS_IMPLICIT 0x10
#define INQ_3PC 0x08
#define INQ_RESPONSE_FORMAT 0x02
#define INQ_CMDQUE 0x02
#define INQ_VENDOR 8
#define INQ_PRODUCT 16
#define INQ_REVISION 32
#define INQ_VERSION_DESC 58
/* SPC-4 table "Version descriptor values" */
#define VERSION_SAM5 0x00a0
#define VERSION_SPC4 0x0460
#define VERSION_SBC3 0x04c0

/* SPC-4 "INQUIRY command" CDB */
#define INQ_CDB_EVPD 0x01
#define INQ_CDB_CMDDT 0x02

/* SPC-4 "REPORT LUNS command" */
#define REPORT_LUNS_ALL 0x00
#define REPORT_LUNS_WELL_KNOWN 0x01
#define REPORT_LUNS_ALL_AND_WELL_KNOWN 0x02
#define REPORT_LUNS_MIN_ALLOC 16u
#define REPORT_LUNS_HDR 8u
/* SAM-5 "Single level LUN structure": peripheral device addressing up to
 * 255, flat space addressing up to 16383. */
#define LUN_FLAT_SPACE 0x40
#define LUN_FLAT_MAX 16383u

/* SBC-3 "PREVENT ALLOW MEDIUM REMOVAL command": PREVENT field values. */
#define PREVENT_ALLOW 0x0
#define PREVENT_PREVENT 0x1

enum scsi_cmd_result
spc_test_unit_ready(struct scsi_task *task)
{
	/* SPC-4 "TEST UNIT READY command": the gate in scsi_exec() already
	 * reported unit attentions and a missing medium. */
	(void)task;
	return SCSI_CMD_COMPLETE;
}

enum scsi_cmd_result
spc_request_sense(struct scsi_task *task)
{
	struct scsi_lun *lu = task->lu;
	const char *port = scsi_task_port(task);
	uint8_t fixed[SENSE_FIXED_LEN], desc[32];
	struct ua_nexus *nx;
	enum sense_asc asc;
	uint8_t *out;

	/* SPC-4 "REQUEST SENSE command": the sense data of the condition
	 * the next command would report, with GOOD status. A pending unit
	 * attention is reported and cleared. */
	if (lu == NULL) {
		sense_build_fixed(fixed, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_LU_NOT_SUPPORTED);
	} else {
		sense_build_fixed(fixed, SENSE_KEY_NO_SENSE,
		    ASC_NO_ADDITIONAL_SENSE);
		pthread_mutex_lock(&lu->lock);
		nx = port ? ua_nexus_get(&lu->nexuses, port) : NULL;
		if (nx != NULL && ua_take(nx, &asc))
			sense_build_fixed(fixed, SENSE_KEY_UNIT_ATTENTION, asc);
		else if (!lu->medium_present)
			sense_build_fixed(fixed, SENSE_KEY_NOT_READY,
			    ASC_MEDIUM_NOT_PRESENT);
		pthread_mutex_unlock(&lu->lock);
	}
	if (task->cdb[1] & 0x01) { /* DESC: descriptor format wanted */
		uint32_t len = sense_fixed_to_desc(fixed, desc);

		out = scsi_data_in_alloc(task, len, task->cdb[4]);
		memcpy(out, desc, len);
	} else {
		out = scsi_data_in_alloc(task, SENSE_FIXED_LEN, task->cdb[4]);
		memcpy(out, fixed, SENSE_FIXED_LEN);
	}
	return SCSI_CMD_COMPLETE;
}

void
spc_std_inquiry(const struct scsi_lun *lu, uint8_t *buf)
{
	memset(buf, 0, SPC_STD_INQUIRY_LEN);
	buf[0] = lu ? SCSI_TYPE_DISK : SCSI_PQ_NO_LUN;
	buf[1] = lu && lu->removable ? INQ_RMB : 0;
	buf[2] = INQ_VERSION_SPC4;
	buf[3] = INQ_HISUP | INQ_RESPONSE_FORMAT;
	buf[4] = SPC_STD_INQUIRY_LEN - 5;
	buf[5] = lu ? INQ_TPGS_IMPLICIT | INQ_3PC : 0;
	buf[7] = INQ_CMDQUE;
	if (lu != NULL) {
		memcpy(&buf[INQ_VENDOR], lu->vendor, SCSI_VENDOR_LEN);
		memcpy(&buf[INQ_PRODUCT], lu->product, SCSI_PRODUCT_LEN);
		memcpy(&buf[INQ_REVISION], lu->revision, SCSI_REVISION_LEN);
	} else {
		memset(&buf[INQ_VENDOR], ' ',
		    INQ_REVISION + SCSI_REVISION_LEN - INQ_VENDOR);
		memcpy(&buf[INQ_VENDOR], SCSI_DEFAULT_VENDOR,
		    strlen(SCSI_DEFAULT_VENDOR));
		memcpy(&buf[INQ_PRODUCT], SCSI_DEFAULT_PRODUCT,
		    strlen(SCSI_DEFAULT_PRODUCT));
		memcpy(&buf[INQ_REVISION], SCSI_DEFAULT_REVISION,
		    strlen(SCSI_DEFAULT_REVISION));
	}
	put_be16(&buf[INQ_VERSION_DESC], VERSION_SAM5);
	put_be16(&buf[INQ_VERSION_DESC + 2], VERSION_SPC4);
	/* libiscsi's iscsi-test-cu keys its SBC-3 tests on this one. */
	put_be16(&buf[INQ_VERSION_DESC + 4], VERSION_SBC3);
}

enum scsi_cmd_result
spc_inquiry(struct scsi_task *task)
{
	const uint8_t *cdb = task->cdb;
	uint16_t alloc = get_be16(&cdb[3]);
	uint8_t *out;

	/* SPC-4 "INQUIRY command" */
	if (cdb[1] & INQ_CDB_CMDDT) {
		sense_invalid_cdb(task, 1, 1);
		return SCSI_CMD_COMPLETE;
	}
	if (cdb[1] & INQ_CDB_EVPD) {
		if (task->lu == NULL) {
			sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
			    ASC_LU_NOT_SUPPORTED);
			return SCSI_CMD_COMPLETE;
		}
		return vpd_inquiry(task, cdb[2], alloc);
	}
	/* "If the EVPD bit is set to zero, the device server shall return
	 * the standard INQUIRY data. If the PAGE CODE field is not set to
	 * zero when the EVPD bit is set to zero, the command shall be
	 * terminated with CHECK CONDITION status, with the sense key set to
	 * ILLEGAL REQUEST, and the additional sense code set to INVALID
	 * FIELD IN CDB." */
	if (cdb[2] != 0) {
		sense_invalid_cdb(task, 2, -1);
		return SCSI_CMD_COMPLETE;
	}
	out = scsi_data_in_alloc(task, SPC_STD_INQUIRY_LEN, alloc);
	spc_std_inquiry(task->lu, out);
	return SCSI_CMD_COMPLETE;
}

enum scsi_cmd_result
spc_report_luns(struct scsi_task *task)
{
	const struct scsi_target *tgt = task->target;
	uint8_t select = task->cdb[2];
	uint32_t alloc = get_be32(&task->cdb[6]);
	uint32_t count = 0, n;
	uint8_t *out, *p;

	/* SPC-4 "REPORT LUNS command" */
	if (select != REPORT_LUNS_ALL && select != REPORT_LUNS_WELL_KNOWN &&
	    select != REPORT_LUNS_ALL_AND_WELL_KNOWN) {
		sense_invalid_cdb(task, 2, -1);
		return SCSI_CMD_COMPLETE;
	}
	/* An ALLOCATION LENGTH below 16 (room for the header and one LUN)
	 * is INVALID FIELD IN CDB, as SPC-3 required and as Linux LIO and
	 * tgt still answer. */
	if (alloc < REPORT_LUNS_MIN_ALLOC) {
		sense_invalid_cdb(task, 6, -1);
		return SCSI_CMD_COMPLETE;
	}
	n = tgt != NULL && tgt->luns != NULL ? tgt->nluns : 0;
	if (n > LUN_FLAT_MAX + 1)
		n = LUN_FLAT_MAX + 1;
	/* We have no well known logical units: SELECT REPORT 01h lists
	 * nothing, 00h and 02h list the same. */
	if (select != REPORT_LUNS_WELL_KNOWN)
		for (uint32_t i = 0; i < n; i++)
			count += tgt->luns[i] != NULL;
	out = scsi_data_in_alloc(task, REPORT_LUNS_HDR + 8 * count, alloc);
	put_be32(out, 8 * count);
	p = out + REPORT_LUNS_HDR;
	for (uint32_t i = 0; count > 0 && i < n; i++) {
		if (tgt->luns[i] == NULL)
			continue;
		p[0] = i > 0xff ? (uint8_t)(LUN_FLAT_SPACE | i >> 8) : 0;
		p[1] = (uint8_t)i;
		p += 8;
	}
	return SCSI_CMD_COMPLETE;
}

enum scsi_cmd_result
spc_prevent_allow(struct scsi_task *task)
{
	struct scsi_lun *lu = task->lu;
	const char *port = scsi_task_port(task);
	uint8_t prevent = task->cdb[4] & 0x03;

	/* SBC-3 "PREVENT ALLOW MEDIUM REMOVAL command": 10b and 11b are
	 * obsolete. */
	if (prevent != PREVENT_ALLOW && prevent != PREVENT_PREVENT) {
		sense_invalid_cdb(task, 4, 1);
		return SCSI_CMD_COMPLETE;
	}
	/* A fixed medium cannot be removed anyway: accept and forget, as
	 * Linux and Windows send it to any disk. */
	if (!lu->removable || port == NULL)
		return SCSI_CMD_COMPLETE;
	/* Prevention is per I_T nexus; it ends when every nexus that set
	 * it allows removal again, or on nexus loss or reset. */
	pthread_mutex_lock(&lu->lock);
	ua_nexus_get(&lu->nexuses, port)->prevent = prevent == PREVENT_PREVENT;
	pthread_mutex_unlock(&lu->lock);
	return SCSI_CMD_COMPLETE;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the SCSI logical unit object and the command
 * dispatcher: LUN lookup (SPC-4 rules for a LUN that does not exist), unit
 * attention reporting, the opcode table and the task lifecycle. */
#include "scsi/scsi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits_minisan.h"
#include "scsi/mode.h"
#include "scsi/sbc.h"
#include "scsi/scsi_impl.h"
#include "scsi/sense.h"
#include "scsi/spc.h"
#include "scsi/ua.h"
#include "util/xalloc.h"

/* Command flags in the opcode table. */
#define CMD_NO_UA 0x01     /* runs with a pending UA and keeps it */
#define CMD_NO_LUN 0x02    /* answered for a LUN that is not there */
#define CMD_MEDIUM 0x04    /* needs the medium: NOT READY when ejected */

/* SAM-5 "CONTROL byte": bits we do not support. */
#define CDB_CONTROL_NACA 0x04
#define CDB_CONTROL_LINK 0x01

struct scsi_cmd_desc {
	scsi_cmd_fn *fn;
	scsi_out_len_fn *out_len; /* NULL: no Data-Out */
	uint8_t flags;
};

/* Everything not listed is INVALID COMMAND OPERATION CODE. */
static const struct scsi_cmd_desc scsi_cmds[256] = {
	[SCSI_OP_TEST_UNIT_READY] = { spc_test_unit_ready, NULL, CMD_MEDIUM },
	[SCSI_OP_REQUEST_SENSE] = {
	    spc_request_sense, NULL, CMD_NO_UA | CMD_NO_LUN },
	[SCSI_OP_READ_6] = { sbc_read, NULL, CMD_MEDIUM },
	[SCSI_OP_WRITE_6] = { sbc_write, sbc_write_out_len, CMD_MEDIUM },
	[SCSI_OP_INQUIRY] = { spc_inquiry, NULL, CMD_NO_UA | CMD_NO_LUN },
	[SCSI_OP_MODE_SELECT_6] = { mode_select, mode_select_out_len, 0 },
	[SCSI_OP_MODE_SENSE_6] = { mode_sense, NULL, 0 },
	[SCSI_OP_START_STOP_UNIT] = { sbc_start_stop_unit, NULL, 0 },
	[SCSI_OP_PREVENT_ALLOW] = { spc_prevent_allow, NULL, 0 },
	[SCSI_OP_READ_CAPACITY_10] = { sbc_read_capacity10, NULL, CMD_MEDIUM },
	[SCSI_OP_READ_10] = { sbc_read, NULL, CMD_MEDIUM },
	[SCSI_OP_WRITE_10] = { sbc_write, sbc_write_out_len, CMD_MEDIUM },
	[SCSI_OP_WRITE_VERIFY_10] = {
	    sbc_write, sbc_write_out_len, CMD_MEDIUM },
	[SCSI_OP_VERIFY_10] = { sbc_verify, sbc_verify_out_len, CMD_MEDIUM },
	[SCSI_OP_SYNCHRONIZE_CACHE_10] = {
	    sbc_synchronize_cache, NULL, CMD_MEDIUM },
	[SCSI_OP_MODE_SELECT_10] = { mode_select, mode_select_out_len, 0 },
	[SCSI_OP_MODE_SENSE_10] = { mode_sense, NULL, 0 },
	[SCSI_OP_READ_16] = { sbc_read, NULL, CMD_MEDIUM },
	[SCSI_OP_WRITE_16] = { sbc_write, sbc_write_out_len, CMD_MEDIUM },
	[SCSI_OP_WRITE_VERIFY_16] = {
	    sbc_write, sbc_write_out_len, CMD_MEDIUM },
	[SCSI_OP_VERIFY_16] = { sbc_verify, sbc_verify_out_len, CMD_MEDIUM },
	[SCSI_OP_SYNCHRONIZE_CACHE_16] = {
	    sbc_synchronize_cache, NULL, CMD_MEDIUM },
	[SCSI_OP_SERVICE_ACTION_IN_16] = {
	    sbc_service_action_in16, NULL, CMD_MEDIUM },
	[SCSI_OP_REPORT_LUNS] = {
	    spc_report_luns, NULL, CMD_NO_UA | CMD_NO_LUN },
	[SCSI_OP_READ_12] = { sbc_read, NULL, CMD_MEDIUM },
	[SCSI_OP_WRITE_12] = { sbc_write, sbc_write_out_len, CMD_MEDIUM },
	[SCSI_OP_WRITE_VERIFY_12] = {
	    sbc_write, sbc_write_out_len, CMD_MEDIUM },
	[SCSI_OP_VERIFY_12] = { sbc_verify, sbc_verify_out_len, CMD_MEDIUM },
};

/* Copies s into a fixed-width, space-padded INQUIRY field (SPC-4 4.4.1:
 * ASCII data fields are left-aligned and padded with spaces). Returns -1 if
 * s is too long or holds a character outside 20h-7Eh. */
static int
scsi_ascii_field(char *dst, size_t width, const char *s)
{
	size_t len = strlen(s);

	if (len > width)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return -1;
	memset(dst, ' ', width);
	memcpy(dst, s, len);
	return 0;
}

struct scsi_lun *
scsi_lun_new(struct bs *bs, const struct scsi_lun_params *p, char *err,
    size_t errlen)
{
	struct scsi_lun *lu;
	uint32_t bsz = p->block_size;
	uint64_t size = bs_size(bs);
	const char *serial = p->serial;
	char derived[17];

	if (bsz == 0)
		bsz = bs_device_block_size(bs) ? bs_device_block_size(bs) : 512;
	if (bsz != 512 && bsz != 4096) {
		snprintf(err, errlen, "%s: block size %u is not 512 or 4096",
		    bs_path(bs), bsz);
		return NULL;
	}
	if (size / bsz == 0) {
		snprintf(err, errlen, "%s: smaller than one %u-byte block",
		    bs_path(bs), bsz);
		return NULL;
	}
	if (serial == NULL) {
		snprintf(derived, sizeof(derived), "%016llx",
		    (unsigned long long)p->naa_id);
		serial = derived;
	}

	lu = xcalloc(1, sizeof(*lu));
	lu->bs = bs;
	lu->block_size = bsz;
	lu->readonly = p->readonly || bs_is_readonly(bs);
	lu->removable = p->removable;
	lu->naa_id = p->naa_id;
	if (scsi_ascii_field(lu->vendor, sizeof(lu->vendor),
	    p->vendor ? p->vendor : SCSI_DEFAULT_VENDOR) != 0 ||
	    scsi_ascii_field(lu->product, sizeof(lu->product),
	    p->product ? p->product : SCSI_DEFAULT_PRODUCT) != 0 ||
	    scsi_ascii_field(lu->revision, sizeof(lu->revision),
	    p->revision ? p->revision : SCSI_DEFAULT_REVISION) != 0) {
		snprintf(err, errlen, "%s: vendor, product or revision too "
		    "long or not printable ASCII", bs_path(bs));
		free(lu);
		return NULL;
	}
	if (strlen(serial) == 0 || strlen(serial) > SCSI_SERIAL_MAX ||
	    scsi_ascii_field(lu->serial, strlen(serial), serial) != 0) {
		snprintf(err, errlen, "%s: serial must be 1-%d printable "
		    "ASCII characters", bs_path(bs), SCSI_SERIAL_MAX);
		free(lu);
		return NULL;
	}
	lu->serial[strlen(serial)] = '\0';
	pthread_mutex_init(&lu->lock, NULL);
	lu->nblocks = size / bsz;
	lu->medium_present = 1;
	lu->wce = 1;
	ua_table_init(&lu->nexuses);
	return lu;
}

void
scsi_lun_free(struct scsi_lun *lu)
{
	if (lu == NULL)
		return;
	ua_table_fini(&lu->nexuses);
	pthread_mutex_destroy(&lu->lock);
	free(lu);
}

void
scsi_task_init(struct scsi_task *task)
{
	memset(task, 0, sizeof(*task));
}

void
scsi_task_fini(struct scsi_task *task)
{
	free(task->data_in);
	task->data_in = NULL;
	task->data_in_len = 0;
	free(task->scratch);
	task->scratch = NULL;
}

struct scsi_lun *
scsi_target_lun(const struct scsi_target *tgt, uint64_t lun)
{
	if (tgt == NULL || tgt->luns == NULL || lun >= tgt->nluns)
		return NULL;
	return tgt->luns[lun];
}

const char *
scsi_task_port(const struct scsi_task *task)
{
	if (task->nexus == NULL)
		return NULL;
	return task->nexus->initiator_port;
}

uint8_t *
scsi_data_in_alloc(struct scsi_task *task, uint32_t full_len,
    uint32_t alloc_len)
{
	uint8_t *buf = xcalloc(1, full_len ? full_len : 1);

	task->xfer_len = alloc_len < full_len ? alloc_len : full_len;
	free(task->data_in);
	task->data_in = buf;
	task->data_in_len = (uint32_t)(task->xfer_len < task->edtl ?
	    task->xfer_len : task->edtl);
	return buf;
}

void
scsi_task_complete(struct scsi_task *task)
{
	task->done(task);
}

/* SPC-4 "OPERATION CODE byte": the CDB length follows from the group code. */
static uint32_t
scsi_cdb_len(uint8_t op)
{
	switch (op >> 5) {
	case 0:
		return 6;
	case 1:
	case 2:
		return 10;
	case 4:
		return 16;
	case 5:
		return 12;
	default:
		return 0;
	}
}

/* The gate every command to an existing LUN passes, under the LUN lock:
 * report a pending unit attention (SAM-5 "Unit attention condition"),
 * refuse medium access while
 * the medium is ejected, and sample the state the handlers read. Returns 0
 * if the command may run. */
static int
scsi_lun_gate(struct scsi_task *task, uint8_t flags)
{
	struct scsi_lun *lu = task->lu;
	const char *port = scsi_task_port(task);
	struct ua_nexus *nx;
	enum sense_asc asc;
	int rc = 0;

	pthread_mutex_lock(&lu->lock);
	if (port != NULL) {
		nx = ua_nexus_get(&lu->nexuses, port);
		/* SAM-5 "Unit attention condition": INQUIRY, REPORT LUNS
		 * and REQUEST SENSE neither report nor clear a unit
		 * attention; every other command reports it. */
		if (!(flags & CMD_NO_UA) && ua_take(nx, &asc)) {
			sense_set(task, SENSE_KEY_UNIT_ATTENTION, asc);
			rc = -1;
			goto out;
		}
	}
	/* SBC-3 "Removable medium": medium access without a medium is
	 * NOT READY, MEDIUM NOT PRESENT. */
	if ((flags & CMD_MEDIUM) && !lu->medium_present) {
		sense_set(task, SENSE_KEY_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
		rc = -1;
		goto out;
	}
	task->lu_nblocks = lu->nblocks;
	task->lu_wce = lu->wce;
out:
	pthread_mutex_unlock(&lu->lock);
	return rc;
}

void
scsi_exec(struct scsi_task *task)
{
	const struct scsi_cmd_desc *d = &scsi_cmds[task->cdb[0]];
	uint32_t cdb_len = scsi_cdb_len(task->cdb[0]);

	task->status = SCSI_STATUS_GOOD;
	task->sense_len = 0;
	task->xfer_len = 0;
	task->lu = scsi_target_lun(task->target, task->lun);

	if (task->lu == NULL) {
		/* SAM-5 "Incorrect logical unit selection": a LUN that is not
		 * there answers INQUIRY (with qualifier 011b), REPORT LUNS and
		 * REQUEST SENSE; other commands get LOGICAL UNIT NOT
		 * SUPPORTED. */
		if (!(d->flags & CMD_NO_LUN)) {
			sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
			    ASC_LU_NOT_SUPPORTED);
			goto done;
		}
	} else if (scsi_lun_gate(task, d->flags) != 0) {
		goto done;
	}
	if (d->fn == NULL || cdb_len == 0 || cdb_len > task->cdb_len) {
		sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_INVALID_COMMAND_OPCODE);
		goto done;
	}
	/* SAM-5 "CONTROL byte": we support neither ACA (NACA) nor linked
	 * commands. */
	if (task->cdb[cdb_len - 1] & CDB_CONTROL_NACA) {
		sense_invalid_cdb(task, (uint16_t)(cdb_len - 1), 2);
		goto done;
	}
	if (task->cdb[cdb_len - 1] & CDB_CONTROL_LINK) {
		sense_invalid_cdb(task, (uint16_t)(cdb_len - 1), 0);
		goto done;
	}
	if (d->fn(task) == SCSI_CMD_PENDING)
		return;
done:
	task->done(task);
}

uint64_t
scsi_data_out_len(const struct scsi_task *task)
{
	const struct scsi_cmd_desc *d = &scsi_cmds[task->cdb[0]];
	const struct scsi_lun *lu = scsi_target_lun(task->target, task->lun);
	uint64_t len;

	if (lu == NULL || d->out_len == NULL)
		return 0;
	len = d->out_len(lu, task->cdb);
	/* Larger transfers fail with INVALID FIELD IN CDB before touching
	 * data: do not make the transport solicit it. */
	return len > MINISAN_MAX_XFER_BYTES ? 0 : len;
}

/* Resets one LUN: every I_T nexus gets asc, and PREVENT states end (SBC-3
 * "PREVENT ALLOW MEDIUM REMOVAL": a logical unit reset or hard reset ends
 * medium removal prevention). */
static void
scsi_lun_reset_one(struct scsi_lun *lu, enum sense_asc asc)
{
	pthread_mutex_lock(&lu->lock);
	ua_post_all(&lu->nexuses, asc, NULL);
	ua_clear_prevent(&lu->nexuses);
	pthread_mutex_unlock(&lu->lock);
}

void
scsi_lun_reset(struct scsi_target *tgt, uint64_t lun,
    const struct scsi_nexus *nexus)
{
	struct scsi_lun *lu = scsi_target_lun(tgt, lun);

	(void)nexus;
	/* SAM-5 "Logical unit reset": establish a unit attention, BUS
	 * DEVICE RESET FUNCTION OCCURRED, for every I_T nexus, the
	 * requester's included. */
	if (lu != NULL)
		scsi_lun_reset_one(lu, ASC_BUS_DEVICE_RESET);
}

void
scsi_target_reset(struct scsi_target *tgt, const struct scsi_nexus *nexus)
{
	(void)nexus;
	if (tgt == NULL)
		return;
	/* SAM-5 "Hard reset" (what TARGET RESET performs): a unit attention
	 * for every I_T nexus of every logical unit; SCSI BUS RESET OCCURRED
	 * is the code Linux and libiscsi expect for it. */
	for (uint32_t i = 0; i < tgt->nluns; i++)
		if (tgt->luns[i] != NULL)
			scsi_lun_reset_one(tgt->luns[i], ASC_SCSI_BUS_RESET);
}

void
scsi_nexus_loss(struct scsi_target *tgt, const struct scsi_nexus *nexus)
{
	struct scsi_lun *lu;

	if (tgt == NULL || nexus == NULL || nexus->initiator_port == NULL)
		return;
	for (uint32_t i = 0; i < tgt->nluns; i++) {
		if ((lu = tgt->luns[i]) == NULL)
			continue;
		/* SBC-3 "PREVENT ALLOW MEDIUM REMOVAL": I_T nexus loss ends
		 * its prevention; a later nexus from the port starts
		 * afresh. */
		pthread_mutex_lock(&lu->lock);
		ua_nexus_remove(&lu->nexuses, nexus->initiator_port);
		pthread_mutex_unlock(&lu->lock);
	}
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the SCSI logical unit object and the command
 * dispatcher: LUN lookup (SPC-4 rules for a LUN that does not exist), unit
 * attention reporting, the opcode table and the task lifecycle. */
#include "scsi/scsi.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits_minisan.h"
#include "scsi/caw.h"
#include "scsi/medium.h"
#include "scsi/mode.h"
#include "scsi/pr.h"
#include "scsi/rsoc.h"
#include "scsi/sanitize.h"
#include "scsi/sbc.h"
#include "scsi/sbc_misc.h"
#include "scsi/sbc_provision.h"
#include "scsi/scsi_impl.h"
#include "scsi/sense.h"
#include "scsi/spc.h"
#include "scsi/tpg.h"
#include "scsi/ua.h"
#include "scsi/xcopy.h"
#include "util/bufpool.h"
#include "util/xalloc.h"

/* SAM-5 "CONTROL byte": bits we do not support. */
#define CDB_CONTROL_NACA 0x04
#define CDB_CONTROL_LINK 0x01

/* Everything not listed is INVALID COMMAND OPERATION CODE. Each entry
 * carries its CDB USAGE DATA (see struct scsi_cmd_desc); REPORT SUPPORTED
 * OPERATION CODES reports this table. */
static const struct scsi_cmd_desc scsi_cmds[256] = {
	[SCSI_OP_TEST_UNIT_READY] = SCSI_CMD(spc_test_unit_ready, NULL,
	    CMD_MEDIUM, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05),
	[SCSI_OP_REQUEST_SENSE] = SCSI_CMD(spc_request_sense, NULL,
	    CMD_NO_UA | CMD_NO_LUN, 0x03, 0x01, 0x00, 0x00, 0xff, 0x05),
	[SCSI_OP_READ_6] = SCSI_CMD(sbc_read, NULL, CMD_MEDIUM,
	    0x08, 0x1f, 0xff, 0xff, 0xff, 0x05),
	[SCSI_OP_WRITE_6] = SCSI_CMD(sbc_write, sbc_write_out_len, CMD_MEDIUM,
	    0x0a, 0x1f, 0xff, 0xff, 0xff, 0x05),
	[SCSI_OP_INQUIRY] = SCSI_CMD(spc_inquiry, NULL,
	    CMD_NO_UA | CMD_NO_LUN, 0x12, 0x03, 0xff, 0xff, 0xff, 0x05),
	[SCSI_OP_MODE_SELECT_6] = SCSI_CMD(mode_select, mode_select_out_len,
	    0, 0x15, 0x01, 0x00, 0x00, 0xff, 0x05),
	[SCSI_OP_RESERVE_6] = SCSI_CMD(pr_reserve, NULL, 0,
	    0x16, 0x01, 0x00, 0x00, 0x00, 0x05),
	[SCSI_OP_RELEASE_6] = SCSI_CMD(pr_release, NULL, 0,
	    0x17, 0x01, 0x00, 0x00, 0x00, 0x05),
	[SCSI_OP_MODE_SENSE_6] = SCSI_CMD(mode_sense, NULL, 0,
	    0x1a, 0x08, 0xff, 0xff, 0xff, 0x05),
	[SCSI_OP_START_STOP_UNIT] = SCSI_CMD(sbc_start_stop_unit, NULL, 0,
	    0x1b, 0x00, 0x00, 0x00, 0xf3, 0x05),
	[SCSI_OP_PREVENT_ALLOW] = SCSI_CMD(spc_prevent_allow, NULL, 0,
	    0x1e, 0x00, 0x00, 0x00, 0x03, 0x05),
	[SCSI_OP_READ_CAPACITY_10] = SCSI_CMD(sbc_read_capacity10, NULL,
	    CMD_MEDIUM, 0x25, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
	    0x01, 0x05),
	[SCSI_OP_READ_10] = SCSI_CMD(sbc_read, NULL, CMD_MEDIUM,
	    0x28, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0x05),
	[SCSI_OP_WRITE_10] = SCSI_CMD(sbc_write, sbc_write_out_len,
	    CMD_MEDIUM,
	    0x2a, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0x05),
	[SCSI_OP_WRITE_VERIFY_10] = SCSI_CMD(sbc_write, sbc_write_out_len,
	    CMD_MEDIUM,
	    0x2e, 0xf6, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0x05),
	[SCSI_OP_VERIFY_10] = SCSI_CMD(sbc_verify, sbc_verify_out_len,
	    CMD_MEDIUM,
	    0x2f, 0xf6, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0x05),
	[SCSI_OP_PRE_FETCH_10] = SCSI_CMD(sbc_misc_prefetch, NULL, CMD_MEDIUM,
	    0x34, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0x05),
	[SCSI_OP_SYNCHRONIZE_CACHE_10] = SCSI_CMD(sbc_synchronize_cache,
	    NULL, CMD_MEDIUM,
	    0x35, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0x05),
	[SCSI_OP_READ_DEFECT_DATA_10] = SCSI_CMD(sbc_misc_read_defect_data,
	    NULL, CMD_MEDIUM,
	    0x37, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x05),
	[SCSI_OP_WRITE_SAME_10] = SCSI_CMD(sbc_write_same,
	    sbc_write_same_out_len, CMD_MEDIUM,
	    0x41, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0x05),
	[SCSI_OP_UNMAP] = SCSI_CMD(sbc_unmap, sbc_unmap_out_len,
	    CMD_MEDIUM | CMD_THIN,
	    0x42, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x05),
	[SCSI_OP_SANITIZE] = SCSI_SAS(
	    SCSI_SA(SANITIZE_SA_OVERWRITE, sanitize_cmd, sanitize_out_len,
	    CMD_MEDIUM,
	    0x48, 0xa1, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x05),
	    SCSI_SA(SANITIZE_SA_BLOCK_ERASE, sanitize_cmd, NULL,
	    CMD_MEDIUM | CMD_THIN,
	    0x48, 0xa2, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x05),
	    SCSI_SA(SANITIZE_SA_EXIT_FAILURE_MODE, sanitize_cmd, NULL,
	    CMD_MEDIUM,
	    0x48, 0xbf, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x05)),
	[SCSI_OP_MODE_SELECT_10] = SCSI_CMD(mode_select, mode_select_out_len,
	    0, 0x55, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x05),
	[SCSI_OP_RESERVE_10] = SCSI_CMD(pr_reserve, NULL, 0,
	    0x56, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05),
	[SCSI_OP_RELEASE_10] = SCSI_CMD(pr_release, NULL, 0,
	    0x57, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05),
	[SCSI_OP_MODE_SENSE_10] = SCSI_CMD(mode_sense, NULL, 0,
	    0x5a, 0x18, 0xff, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0x05),
	[SCSI_OP_PERSISTENT_RESERVE_IN] = SCSI_SAS(
	    PR_IN_SA(PR_IN_READ_KEYS), PR_IN_SA(PR_IN_READ_RESERVATION),
	    PR_IN_SA(PR_IN_REPORT_CAPABILITIES),
	    PR_IN_SA(PR_IN_READ_FULL_STATUS)),
	[SCSI_OP_PERSISTENT_RESERVE_OUT] = SCSI_SAS(
	    PR_OUT_SA(PR_OUT_REGISTER, 0x00), PR_OUT_SA(PR_OUT_RESERVE, 0xff),
	    PR_OUT_SA(PR_OUT_RELEASE, 0xff), PR_OUT_SA(PR_OUT_CLEAR, 0x00),
	    PR_OUT_SA(PR_OUT_PREEMPT, 0xff),
	    PR_OUT_SA(PR_OUT_PREEMPT_AND_ABORT, 0xff),
	    PR_OUT_SA(PR_OUT_REGISTER_AND_IGNORE, 0x00),
	    PR_OUT_SA(PR_OUT_REGISTER_AND_MOVE, 0x00)),
	[SCSI_OP_EXTENDED_COPY] = SCSI_SAS(
	    SCSI_SA(XCOPY_SA_LID1, xcopy_extended_copy, xcopy_out_len,
	    CMD_MEDIUM, 0x83, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x05)),
	[SCSI_OP_RECEIVE_COPY_RESULTS] = SCSI_SAS(
	    SCSI_SA(XCOPY_RCR_COPY_STATUS, xcopy_receive_copy_results, NULL,
	    0, 0x84, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0xff, 0xff, 0xff, 0xff, 0x00, 0x05),
	    SCSI_SA(XCOPY_RCR_OPERATING_PARAMETERS,
	    xcopy_receive_copy_results, NULL, 0,
	    0x84, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0xff, 0xff, 0xff, 0xff, 0x00, 0x05)),
	[SCSI_OP_READ_16] = SCSI_CMD(sbc_read, NULL, CMD_MEDIUM,
	    0x88, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0x00, 0x05),
	[SCSI_OP_WRITE_16] = SCSI_CMD(sbc_write, sbc_write_out_len,
	    CMD_MEDIUM,
	    0x8a, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0x00, 0x05),
	[SCSI_OP_WRITE_VERIFY_16] = SCSI_CMD(sbc_write, sbc_write_out_len,
	    CMD_MEDIUM,
	    0x8e, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0x00, 0x05),
	[SCSI_OP_COMPARE_AND_WRITE] = SCSI_CMD(caw_compare_and_write,
	    caw_compare_and_write_out_len, CMD_MEDIUM,
	    0x89, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0x00, 0x00, 0x00, 0xff, 0x00, 0x05),
	[SCSI_OP_ORWRITE_16] = SCSI_CMD(caw_orwrite, caw_write_out_len,
	    CMD_MEDIUM,
	    0x8b, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0x00, 0x05),
	[SCSI_OP_VERIFY_16] = SCSI_CMD(sbc_verify, sbc_verify_out_len,
	    CMD_MEDIUM,
	    0x8f, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0x00, 0x05),
	[SCSI_OP_PRE_FETCH_16] = SCSI_CMD(sbc_misc_prefetch, NULL, CMD_MEDIUM,
	    0x90, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0x00, 0x05),
	[SCSI_OP_SYNCHRONIZE_CACHE_16] = SCSI_CMD(sbc_synchronize_cache,
	    NULL, CMD_MEDIUM,
	    0x91, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0x00, 0x05),
	[SCSI_OP_WRITE_SAME_16] = SCSI_CMD(sbc_write_same,
	    sbc_write_same_out_len, CMD_MEDIUM,
	    0x93, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0x00, 0x05),
	[SCSI_OP_WRITE_ATOMIC_16] = SCSI_CMD(caw_write_atomic16,
	    caw_write_out_len, CMD_MEDIUM,
	    0x9c, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0x00, 0x05),
	[SCSI_OP_SERVICE_ACTION_IN_16] = SCSI_SAS(
	    SCSI_SA(SCSI_SAI_READ_CAPACITY_16, sbc_read_capacity16, NULL,
	    CMD_MEDIUM,
	    0x9e, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0x01, 0x05),
	    SCSI_SA(SCSI_SAI_GET_LBA_STATUS, sbc_get_lba_status, NULL,
	    CMD_MEDIUM,
	    0x9e, 0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0x00, 0x05)),
	[SCSI_OP_REPORT_LUNS] = SCSI_CMD(spc_report_luns, NULL,
	    CMD_NO_UA | CMD_NO_LUN, 0xa0, 0x00, 0xff, 0x00, 0x00, 0x00,
	    0xff, 0xff, 0xff, 0xff, 0x00, 0x05),
	[SCSI_OP_MAINTENANCE_IN] = SCSI_SAS(
	    SCSI_SA(SCSI_MI_REPORT_TARGET_PORT_GROUPS, tpg_report, NULL, 0,
	    0xa3, 0xea, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
	    0x00, 0x05),
	    SCSI_SA(SCSI_MI_REPORT_SUPPORTED_OPCODES, rsoc_report_opcodes,
	    NULL, 0, 0xa3, 0x0c, 0x87, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0x00, 0x05),
	    SCSI_SA(SCSI_MI_REPORT_SUPPORTED_TMFS, rsoc_report_tmfs, NULL, 0,
	    0xa3, 0x0d, 0x80, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
	    0x00, 0x05)),
	[SCSI_OP_READ_12] = SCSI_CMD(sbc_read, NULL, CMD_MEDIUM,
	    0xa8, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0x00, 0x05),
	[SCSI_OP_WRITE_12] = SCSI_CMD(sbc_write, sbc_write_out_len,
	    CMD_MEDIUM, 0xaa, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0x00, 0x05),
	[SCSI_OP_WRITE_VERIFY_12] = SCSI_CMD(sbc_write, sbc_write_out_len,
	    CMD_MEDIUM, 0xae, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0x00, 0x05),
	[SCSI_OP_VERIFY_12] = SCSI_CMD(sbc_verify, sbc_verify_out_len,
	    CMD_MEDIUM, 0xaf, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0x00, 0x05),
	[SCSI_OP_READ_DEFECT_DATA_12] = SCSI_CMD(sbc_misc_read_defect_data,
	    NULL, CMD_MEDIUM, 0xb7, 0x1f, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
	    0xff, 0xff, 0x00, 0x05),
};

const struct scsi_cmd_desc *
scsi_cmd_opcode(uint8_t op)
{
	const struct scsi_cmd_desc *d = &scsi_cmds[op];

	return d->fn != NULL || d->sas != NULL ? d : NULL;
}

const struct scsi_cmd_desc *
scsi_cmd_find(uint8_t op, uint8_t sa)
{
	const struct scsi_cmd_desc *d = &scsi_cmds[op];

	if (d->sas == NULL)
		return d->fn != NULL ? d : NULL;
	for (d = d->sas; d->usage_len != 0; d++)
		if (d->sa == sa)
			return d;
	return NULL;
}

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
	if (sbc_provision_setup(lu, p, err, errlen) != 0) {
		free(lu);
		return NULL;
	}
	pthread_mutex_init(&lu->lock, NULL);
	lu->nblocks = size / bsz;
	lu->medium_present = 1;
	lu->wce = 1;
	ua_table_init(&lu->nexuses);
	lba_lock_init(&lu->ranges);
	if ((lu->pr = pr_lun_new(p->pr_file, err, errlen)) == NULL) {
		scsi_lun_free(lu);
		return NULL;
	}
	return lu;
}

void
scsi_lun_free(struct scsi_lun *lu)
{
	if (lu == NULL)
		return;
	ua_table_fini(&lu->nexuses);
	pr_lun_free(lu->pr);
	sanitize_lun_fini(lu);
	xcopy_lun_fini(lu);
	lba_lock_fini(&lu->ranges);
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
	bufpool_put(task->data_in);
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
	uint8_t *buf = bufpool_get(full_len);

	memset(buf, 0, full_len);
	task->xfer_len = alloc_len < full_len ? alloc_len : full_len;
	bufpool_put(task->data_in);
	task->data_in = buf;
	task->data_in_len = (uint32_t)(task->xfer_len < task->edtl ?
	    task->xfer_len : task->edtl);
	return buf;
}

bool
scsi_lun_idle(struct scsi_lun *lu)
{
	bool sanitizing;

	if (__atomic_load_n(&lu->busy, __ATOMIC_ACQUIRE) != 0)
		return false;
	pthread_mutex_lock(&lu->lock);
	sanitizing = lu->sanitize != NULL;
	pthread_mutex_unlock(&lu->lock);
	return !sanitizing;
}

void
scsi_task_account(const struct scsi_task *task, uint64_t elapsed_ns)
{
	struct scsi_lun *lu = task->lu;
	bool ok = task->status == SCSI_STATUS_GOOD ||
	    task->status == SCSI_STATUS_CONDITION_MET;

	if (lu == NULL)
		return;
	__atomic_fetch_sub(&lu->busy, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&lu->st_commands, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&lu->st_latency_ns, elapsed_ns, __ATOMIC_RELAXED);
	if (!ok) {
		__atomic_fetch_add(&lu->st_errors, 1, __ATOMIC_RELAXED);
		return;
	}
	if (task->data_in_len > 0)
		__atomic_fetch_add(&lu->st_read_bytes, task->data_in_len,
		    __ATOMIC_RELAXED);
	if (task->data_out_len > 0)
		__atomic_fetch_add(&lu->st_written_bytes, task->data_out_len,
		    __ATOMIC_RELAXED);
}

void
scsi_lun_get_stats(struct scsi_lun *lu, struct scsi_lun_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&lu->lock);
	out->size_bytes = lu->nblocks * lu->block_size;
	pthread_mutex_unlock(&lu->lock);
	out->block_size = lu->block_size;
	out->readonly = lu->readonly;
	out->commands = __atomic_load_n(&lu->st_commands, __ATOMIC_RELAXED);
	out->read_bytes = __atomic_load_n(&lu->st_read_bytes,
	    __ATOMIC_RELAXED);
	out->written_bytes = __atomic_load_n(&lu->st_written_bytes,
	    __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&lu->st_errors, __ATOMIC_RELAXED);
	out->latency_ns = __atomic_load_n(&lu->st_latency_ns,
	    __ATOMIC_RELAXED);
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
		nx = ua_nexus_get_id(&lu->nexuses, port, task->nexus->id);
		/* SAM-5 "Unit attention condition": INQUIRY, REPORT LUNS
		 * and REQUEST SENSE neither report nor clear a unit
		 * attention; every other command reports it. */
		if (!(flags & CMD_NO_UA) && ua_take(nx, &asc)) {
			sense_set(task, SENSE_KEY_UNIT_ATTENTION, asc);
			rc = -1;
			goto out;
		}
	}
	/* SPC-4 "Persistent reservations overview", SPC-2
	 * "Reservations": reservations of other I_T nexuses (pr.c). */
	if (pr_check(task) != 0) {
		rc = -1;
		goto out;
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
	uint8_t op = task->cdb[0];
	const struct scsi_cmd_desc *d = scsi_cmd_find(op,
	    task->cdb[1] & SCSI_SA_MASK);
	uint8_t flags = d != NULL ? d->flags : 0;
	uint32_t cdb_len = scsi_cdb_len(op);

	task->status = SCSI_STATUS_GOOD;
	task->sense_len = 0;
	task->xfer_len = 0;
	task->lu = scsi_target_lun(task->target, task->lun);
	if (task->lu != NULL)
		__atomic_fetch_add(&task->lu->busy, 1, __ATOMIC_ACQUIRE);

	if (task->lu == NULL) {
		/* SAM-5 "Incorrect logical unit selection": a LUN that is not
		 * there answers INQUIRY (with qualifier 011b), REPORT LUNS and
		 * REQUEST SENSE; other commands get LOGICAL UNIT NOT
		 * SUPPORTED. */
		if (!(flags & CMD_NO_LUN)) {
			sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
			    ASC_LU_NOT_SUPPORTED);
			goto done;
		}
	} else if (scsi_lun_gate(task, flags) != 0) {
		goto done;
	}
	if (cdb_len == 0 || cdb_len > task->cdb_len ||
	    scsi_cmd_opcode(op) == NULL) {
		sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_INVALID_COMMAND_OPCODE);
		goto done;
	}
	/* SPC-4 "SERVICE ACTION field": a service action the operation
	 * code does not have is INVALID FIELD IN CDB. */
	if (d == NULL) {
		sense_invalid_cdb(task, 1, 4);
		goto done;
	}
	if ((flags & CMD_THIN) && (task->lu == NULL || !task->lu->thin)) {
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
	/* In order with the LUN's other medium accesses (medium.c). */
	medium_exec(task, d);
	return;
done:
	task->done(task);
}

void
scsi_task_abort(struct scsi_task *task)
{
	if (task->lu != NULL)
		medium_abort(task);
}

uint64_t
scsi_data_out_len(const struct scsi_task *task)
{
	const struct scsi_cmd_desc *d = scsi_cmd_find(task->cdb[0],
	    task->cdb[1] & SCSI_SA_MASK);
	const struct scsi_lun *lu = scsi_target_lun(task->target, task->lun);
	uint64_t len;

	if (lu == NULL || d == NULL || d->out_len == NULL)
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
	pr_reset(lu);
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
		pr_nexus_loss(lu, nexus->initiator_port);
		xcopy_nexus_loss(lu, nexus->initiator_port);
		pthread_mutex_unlock(&lu->lock);
	}
}

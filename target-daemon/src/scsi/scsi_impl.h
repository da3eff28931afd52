/* SPDX-License-Identifier: BSD-2-Clause */
/* Private to scsi/: the logical unit object and the command handler shape
 * shared by the dispatcher (scsi.c) and the command sets (spc.c, sbc.c,
 * mode.c, vpd.c). Nothing outside scsi/ includes this. */
#ifndef MINISAN_SCSI_SCSI_IMPL_H
#define MINISAN_SCSI_SCSI_IMPL_H

#include <pthread.h>
#include <stdint.h>

#include "scsi/scsi.h"
#include "scsi/ua.h"

#define SCSI_VENDOR_LEN 8
#define SCSI_PRODUCT_LEN 16
#define SCSI_REVISION_LEN 4
/* INQUIRY identification when the configuration gives none. */
#define SCSI_DEFAULT_VENDOR "MINISAN"
#define SCSI_DEFAULT_PRODUCT "minisan disk"
#define SCSI_DEFAULT_REVISION "0001"
/* The physical block we report (READ CAPACITY (16) LOGICAL BLOCKS PER
 * PHYSICAL BLOCK EXPONENT, Block Limits OPTIMAL TRANSFER LENGTH
 * GRANULARITY): the page cache works in 4 KiB pages, so whole, aligned
 * 4 KiB writes never need a read first. */
#define SCSI_PHYS_BLOCK_BYTES 4096u
/* Longest unit serial number we report in VPD page 0x80. */
#define SCSI_SERIAL_MAX 64

/* Operation codes we implement (SPC-4 "Operation codes", SBC-3 "Commands
 * for direct access block devices"). */
enum scsi_opcode {
	SCSI_OP_TEST_UNIT_READY = 0x00,
	SCSI_OP_REQUEST_SENSE = 0x03,
	SCSI_OP_READ_6 = 0x08,
	SCSI_OP_WRITE_6 = 0x0a,
	SCSI_OP_INQUIRY = 0x12,
	SCSI_OP_MODE_SELECT_6 = 0x15,
	SCSI_OP_MODE_SENSE_6 = 0x1a,
	SCSI_OP_START_STOP_UNIT = 0x1b,
	SCSI_OP_PREVENT_ALLOW = 0x1e,
	SCSI_OP_READ_CAPACITY_10 = 0x25,
	SCSI_OP_READ_10 = 0x28,
	SCSI_OP_WRITE_10 = 0x2a,
	SCSI_OP_WRITE_VERIFY_10 = 0x2e,
	SCSI_OP_VERIFY_10 = 0x2f,
	SCSI_OP_SYNCHRONIZE_CACHE_10 = 0x35,
	SCSI_OP_MODE_SELECT_10 = 0x55,
	SCSI_OP_MODE_SENSE_10 = 0x5a,
	SCSI_OP_READ_16 = 0x88,
	SCSI_OP_WRITE_16 = 0x8a,
	SCSI_OP_WRITE_VERIFY_16 = 0x8e,
	SCSI_OP_VERIFY_16 = 0x8f,
	SCSI_OP_SYNCHRONIZE_CACHE_16 = 0x91,
	SCSI_OP_SERVICE_ACTION_IN_16 = 0x9e,
	SCSI_OP_REPORT_LUNS = 0xa0,
	SCSI_OP_READ_12 = 0xa8,
	SCSI_OP_WRITE_12 = 0xaa,
	SCSI_OP_WRITE_VERIFY_12 = 0xae,
	SCSI_OP_VERIFY_12 = 0xaf,
};

/* SBC-3 "READ CAPACITY (16) command": SERVICE ACTION IN (16) action 10h. */
#define SCSI_SAI_READ_CAPACITY_16 0x10

/* SPC-4 "Standard INQUIRY data": PERIPHERAL DEVICE TYPE 00h, a direct
 * access block device. */
#define SCSI_TYPE_DISK 0x00
/* SPC-4 "Standard INQUIRY data": qualifier 011b, type 1Fh: no logical
 * unit at this LUN. */
#define SCSI_PQ_NO_LUN 0x7f

/* One logical unit: a block device view of a backing store. Owned by the
 * configuration (scsi_lun_new/scsi_lun_free); referenced by the target's
 * luns[] and, while a command runs, by task->lu. Everything above lock is
 * immutable after scsi_lun_new(); the rest is guarded by lock, since tasks
 * of several worker threads may address the same LUN. */
struct scsi_lun {
	struct bs *bs;            /* borrowed: closed by the owner */
	uint32_t block_size;      /* 512 or 4096 */
	int readonly;             /* configured or store opened read-only */
	int removable;
	uint64_t naa_id;
	char vendor[SCSI_VENDOR_LEN];     /* space padded, no NUL */
	char product[SCSI_PRODUCT_LEN];   /* space padded, no NUL */
	char revision[SCSI_REVISION_LEN]; /* space padded, no NUL */
	char serial[SCSI_SERIAL_MAX + 1]; /* NUL terminated */

	pthread_mutex_t lock;
	uint64_t nblocks;        /* capacity; > 0, refreshed by READ CAPACITY */
	int medium_present;      /* always 1 unless removable and ejected */
	int wce;                 /* caching mode page WCE bit */
	struct ua_table nexuses; /* per I_T nexus state: UAs, PREVENT */
};

/* What a command handler tells the dispatcher. */
enum scsi_cmd_result {
	SCSI_CMD_COMPLETE, /* status/sense/data are set: call done() */
	SCSI_CMD_PENDING,  /* the handler (or its I/O callback) calls done() */
};

/* A command handler. task->lu is the addressed LUN (NULL only for the
 * commands flagged to run without one), task->xfer_len starts at 0. */
typedef enum scsi_cmd_result scsi_cmd_fn(struct scsi_task *task);

/* Write data a command needs, from its CDB alone (see scsi_data_out_len). */
typedef uint64_t scsi_out_len_fn(const struct scsi_lun *lu,
    const uint8_t *cdb);

/* Prepares the data-in buffer of a command that returns full_len bytes of
 * parameter data and was given alloc_len as its ALLOCATION LENGTH: sets
 * xfer_len = min(alloc_len, full_len) and data_in_len = min(xfer_len,
 * edtl). Returns a zeroed buffer of full_len bytes (at least 1) owned by the
 * task, which the caller fills completely. */
uint8_t *scsi_data_in_alloc(struct scsi_task *task, uint32_t full_len,
    uint32_t alloc_len);

/* Calls task->done(task). Used by I/O completion callbacks. */
void scsi_task_complete(struct scsi_task *task);

/* The LUN a target exposes at number lun, or NULL. */
struct scsi_lun *scsi_target_lun(const struct scsi_target *tgt, uint64_t lun);

/* The task's initiator port name, or NULL when the transport gave none
 * (then no per-nexus state is kept for it). */
const char *scsi_task_port(const struct scsi_task *task);

#endif

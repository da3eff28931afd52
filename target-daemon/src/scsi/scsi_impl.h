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
	SCSI_OP_RESERVE_6 = 0x16,
	SCSI_OP_RELEASE_6 = 0x17,
	SCSI_OP_MODE_SENSE_6 = 0x1a,
	SCSI_OP_START_STOP_UNIT = 0x1b,
	SCSI_OP_PREVENT_ALLOW = 0x1e,
	SCSI_OP_READ_CAPACITY_10 = 0x25,
	SCSI_OP_READ_10 = 0x28,
	SCSI_OP_WRITE_10 = 0x2a,
	SCSI_OP_WRITE_VERIFY_10 = 0x2e,
	SCSI_OP_VERIFY_10 = 0x2f,
	SCSI_OP_PRE_FETCH_10 = 0x34,
	SCSI_OP_SYNCHRONIZE_CACHE_10 = 0x35,
	SCSI_OP_READ_DEFECT_DATA_10 = 0x37,
	SCSI_OP_WRITE_SAME_10 = 0x41,
	SCSI_OP_UNMAP = 0x42,
	SCSI_OP_SANITIZE = 0x48,
	SCSI_OP_MODE_SELECT_10 = 0x55,
	SCSI_OP_RESERVE_10 = 0x56,
	SCSI_OP_RELEASE_10 = 0x57,
	SCSI_OP_MODE_SENSE_10 = 0x5a,
	SCSI_OP_PERSISTENT_RESERVE_IN = 0x5e,
	SCSI_OP_PERSISTENT_RESERVE_OUT = 0x5f,
	SCSI_OP_EXTENDED_COPY = 0x83,
	SCSI_OP_RECEIVE_COPY_RESULTS = 0x84,
	SCSI_OP_READ_16 = 0x88,
	SCSI_OP_COMPARE_AND_WRITE = 0x89,
	SCSI_OP_WRITE_16 = 0x8a,
	SCSI_OP_ORWRITE_16 = 0x8b,
	SCSI_OP_WRITE_VERIFY_16 = 0x8e,
	SCSI_OP_VERIFY_16 = 0x8f,
	SCSI_OP_PRE_FETCH_16 = 0x90,
	SCSI_OP_SYNCHRONIZE_CACHE_16 = 0x91,
	SCSI_OP_WRITE_SAME_16 = 0x93,
	SCSI_OP_WRITE_ATOMIC_16 = 0x9c,
	SCSI_OP_SERVICE_ACTION_IN_16 = 0x9e,
	SCSI_OP_REPORT_LUNS = 0xa0,
	SCSI_OP_MAINTENANCE_IN = 0xa3,
	SCSI_OP_READ_12 = 0xa8,
	SCSI_OP_WRITE_12 = 0xaa,
	SCSI_OP_WRITE_VERIFY_12 = 0xae,
	SCSI_OP_VERIFY_12 = 0xaf,
	SCSI_OP_READ_DEFECT_DATA_12 = 0xb7,
};

/* SBC-3 "READ CAPACITY (16) command": SERVICE ACTION IN (16) action 10h. */
#define SCSI_SAI_READ_CAPACITY_16 0x10
/* SBC-3 "GET LBA STATUS command": SERVICE ACTION IN (16) action 12h. */
#define SCSI_SAI_GET_LBA_STATUS 0x12
/* SPC-4 "REPORT SUPPORTED OPERATION CODES command" and "REPORT SUPPORTED
 * TASK MANAGEMENT FUNCTIONS command": MAINTENANCE IN actions 0Ch, 0Dh. */
#define SCSI_MI_REPORT_SUPPORTED_OPCODES 0x0c
#define SCSI_MI_REPORT_SUPPORTED_TMFS 0x0d
/* SPC-4 "REPORT TARGET PORT GROUPS command": MAINTENANCE IN action 0Ah. */
#define SCSI_MI_REPORT_TARGET_PORT_GROUPS 0x0a
/* SPC-4 "SERVICE ACTION field": bits 4-0 of CDB byte 1 in every command
 * that has service actions. */
#define SCSI_SA_MASK 0x1f

/* SPC-4 "Standard INQUIRY data": PERIPHERAL DEVICE TYPE 00h, a direct
 * access block device. */
#define SCSI_TYPE_DISK 0x00
/* SPC-4 "Standard INQUIRY data": qualifier 011b, type 1Fh: no logical
 * unit at this LUN. */
#define SCSI_PQ_NO_LUN 0x7f

struct pr_lun;

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
	/* SBC-3 "Logical block provisioning": thin is LBPME (UNMAP and
	 * WRITE SAME with UNMAP deallocate through BS_OP_DISCARD); lbprz:
	 * deallocated blocks read as zeros; unmap_gran: OPTIMAL UNMAP
	 * GRANULARITY in blocks (>= 1). See sbc_provision_setup(). */
	int thin;
	int lbprz;
	uint32_t unmap_gran;

	pthread_mutex_t lock;
	uint64_t nblocks;        /* capacity; > 0, refreshed by READ CAPACITY */
	int medium_present;      /* always 1 unless removable and ejected */
	int wce;                 /* caching mode page WCE bit */
	int swp;                 /* control mode page SWP bit: writes get
				  * DATA PROTECT (medium.c) */
	struct ua_table nexuses; /* per I_T nexus state: UAs, PREVENT */
	/* Reservations (pr.c), owned: its state is guarded by lock too,
	 * see struct pr_lun. */
	struct pr_lun *pr;
	/* SBC-4 "Sanitize operations" (sanitize.c): the operation in
	 * progress (owned; NULL if none), and the failure mode a failed one
	 * leaves, with the AUSE bit of the SANITIZE that failed. */
	struct sanitize_op *sanitize;
	int sanitize_failed;
	int sanitize_ause;
	/* SPC-4 EXTENDED COPY results held for RECEIVE COPY RESULTS
	 * (xcopy.c): owned list, newest first. */
	struct xcopy_held *copies;

	/* Counters (scsi_task_account), updated with relaxed atomics: tasks
	 * of several loops may end at once, and no lock is worth taking for
	 * statistics. */
	uint64_t st_commands, st_read_bytes, st_written_bytes, st_errors;
	uint64_t st_latency_ns;
	/* Commands between scsi_exec() and their accounting, plus EXTENDED
	 * COPY jobs that address this LUN from another one (atomic): a LUN
	 * taken out of service closes its store once this is 0. */
	uint32_t busy;

	/* The order of medium accesses (medium.c); has its own mutex. */
	struct lba_lock_table ranges;
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

/* Command flags in the opcode table. */
#define CMD_NO_UA 0x01     /* runs with a pending UA and keeps it */
#define CMD_NO_LUN 0x02    /* answered for a LUN that is not there */
#define CMD_MEDIUM 0x04    /* needs the medium: NOT READY when ejected */
#define CMD_THIN 0x08      /* only on a thin provisioned LUN (lu->thin):
			    * elsewhere INVALID COMMAND OPERATION CODE,
			    * and not reported as supported */

/* One entry of the opcode table (scsi.c): a supported command, or one
 * service action of an operation code that has them. usage is the CDB
 * USAGE DATA that REPORT SUPPORTED OPERATION CODES returns for it (SPC-4
 * "One_command parameter data format"), usage_len bytes long, which is
 * the CDB length: byte 0 is the operation code, the SERVICE ACTION field
 * holds the service action, and every other bit is 1 exactly when the
 * handler evaluates that CDB bit (all bits of a field alike; CONTROL is
 * 05h, NACA and LINK, checked by scsi_exec()). Write entries with the
 * SCSI_CMD/SCSI_SA/SCSI_SAS macros below so the usage stays next to the
 * handler it describes. */
struct scsi_cmd_desc {
	scsi_cmd_fn *fn;           /* NULL: not supported (see sas) */
	scsi_out_len_fn *out_len;  /* NULL: no Data-Out */
	uint8_t flags;             /* CMD_* */
	uint8_t sa;                /* service action (sas[] entries) */
	uint8_t usage_len;         /* CDB length; 0 ends a sas[] list */
	const uint8_t *usage;      /* CDB USAGE DATA, usage_len bytes */
	/* Non-NULL for an operation code with service actions (SERVICE
	 * ACTION field in byte 1 bits 4-0): one entry per supported action,
	 * then { 0 }; the fields above are then unused. */
	const struct scsi_cmd_desc *sas;
};

#define SCSI_USAGE(...)                                                 \
	.usage_len = sizeof((const uint8_t[]){ __VA_ARGS__ }),          \
	.usage = (const uint8_t[]){ __VA_ARGS__ }
/* A command without service actions: handler, Data-Out length function,
 * CMD_* flags, then the CDB USAGE DATA bytes. */
#define SCSI_CMD(fn_, out_len_, flags_, ...)                            \
	{ .fn = (fn_), .out_len = (out_len_), .flags = (flags_),         \
	  SCSI_USAGE(__VA_ARGS__) }
/* One service action: its code, then as SCSI_CMD. */
#define SCSI_SA(sa_, fn_, out_len_, flags_, ...)                        \
	{ .sa = (sa_), .fn = (fn_), .out_len = (out_len_),               \
	  .flags = (flags_), SCSI_USAGE(__VA_ARGS__) }
/* An operation code with service actions: its SCSI_SA entries. */
#define SCSI_SAS(...)                                                   \
	{ .sas = (const struct scsi_cmd_desc[]){ __VA_ARGS__,           \
	  { .usage_len = 0 } } }

/* The table entry of operation code op, or NULL if op is not supported.
 * For an operation code with service actions this is the entry whose
 * sas[] lists them. */
const struct scsi_cmd_desc *scsi_cmd_opcode(uint8_t op);
/* The entry that runs operation code op with service action sa (ignored
 * for an operation code without service actions), or NULL. */
const struct scsi_cmd_desc *scsi_cmd_find(uint8_t op, uint8_t sa);

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

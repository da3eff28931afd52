/* SPDX-License-Identifier: BSD-2-Clause */
/* SCSI disk emulation (SPC-4 / SBC-3) over a backing store. Knows nothing
 * about iSCSI: the transport fills a struct scsi_task, calls scsi_exec(), and
 * gets the task back through task->done(). */
#ifndef MINISAN_SCSI_SCSI_H
#define MINISAN_SCSI_SCSI_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "bs/bs.h"
#include "scsi/lba_lock.h"

#define SCSI_CDB_MAX 16
#define SCSI_SENSE_MAX 96

enum scsi_status {
	SCSI_STATUS_GOOD = 0x00,
	SCSI_STATUS_CHECK_CONDITION = 0x02,
	SCSI_STATUS_CONDITION_MET = 0x04,
	SCSI_STATUS_BUSY = 0x08,
	SCSI_STATUS_RESERVATION_CONFLICT = 0x18,
	SCSI_STATUS_TASK_SET_FULL = 0x28,
	SCSI_STATUS_ACA_ACTIVE = 0x30,
	SCSI_STATUS_TASK_ABORTED = 0x40,
};

enum scsi_task_attr {
	SCSI_ATTR_SIMPLE,
	SCSI_ATTR_ORDERED,
	SCSI_ATTR_HEAD_OF_QUEUE,
	SCSI_ATTR_ACA,
};

struct scsi_lun;

/* What the configuration says about one logical unit. */
struct scsi_lun_params {
	uint32_t block_size;  /* 512 or 4096; 0: the device's, or 512 */
	int readonly;
	int removable;
	const char *serial;   /* VPD 0x80; NULL: derived from naa_id */
	uint64_t naa_id;      /* 64-bit NAA IEEE registered id (VPD 0x83) */
	const char *vendor;   /* 8 chars, NULL: "MINISAN" */
	const char *product;  /* 16 chars, NULL: "minisan disk" */
	const char *revision; /* 4 chars, NULL: version */
	/* File the persistent reservation state is kept in while APTPL is
	 * set (SPC-4 "Preserving persistent reservations and
	 * registrations"), loaded by scsi_lun_new(); NULL: reservations
	 * cannot persist through power loss (APTPL=1 is refused). */
	const char *pr_file;
	/* Thin provisioning (SBC-3 LBPME: UNMAP, WRITE SAME with UNMAP, GET
	 * LBA STATUS report deallocated blocks). 0: automatic, on when the
	 * store can deallocate (a regular file on a file system with hole
	 * punching, a block device with discard); > 0: on, and scsi_lun_new
	 * fails if the store cannot deallocate; < 0: off (fully
	 * provisioned). */
	int thin;
};

/* The SCSI target device a transport session addresses: its LUN table.
 * Owned by the configuration; luns[i] may be NULL (hole). */
struct scsi_target {
	const char *name;          /* iSCSI target name, for VPD 0x83 */
	struct scsi_lun **luns;    /* indexed by LUN number */
	uint32_t nluns;            /* size of luns[] */
	/* PREEMPT AND ABORT (SPC-4 "Preempting and aborting") aborts the
	 * tasks of the preempted I_T nexuses: the SCSI layer calls this once
	 * per preempted initiator port, before the PERSISTENT RESERVE OUT
	 * command completes, without any SCSI layer lock held, on whichever
	 * thread runs that command. initiator_port is "name,i,0x<isid>" as
	 * in struct scsi_nexus, or a bare iSCSI name meaning every port of
	 * that initiator (a registration made from a TransportID without an
	 * ISID); it never covers the nexus of the PERSISTENT RESERVE OUT.
	 * The transport aborts that port's tasks for LUN lun as ABORT TASK
	 * SET would. NULL: nothing to abort. */
	void (*abort_tasks)(struct scsi_target *tgt, uint64_t lun,
	    const char *initiator_port, void *arg);
	void *abort_arg;           /* passed to abort_tasks */
};

/* The target port and I_T nexus a task arrived through. */
struct scsi_nexus {
	const char *initiator_port; /* "iqn...,i,0x<isid>" */
	const char *target_port;    /* "iqn...,t,0x<tpgt>" */
	uint16_t rel_port_id;       /* relative target port identifier */
	uint16_t tpgt;              /* target port group */
	/* Never reused while the daemon runs (0: none), so that per-LUN
	 * tables can recognise the nexus without comparing port names. */
	uint64_t id;
};

/* One SCSI command. Owned by the transport; the SCSI layer owns only
 * data_in (freed by scsi_task_fini) and the private fields. */
struct scsi_task {
	/* filled by the transport before scsi_exec() */
	struct scsi_target *target;
	const struct scsi_nexus *nexus;
	uint64_t lun;                /* LUN number (flat, decoded) */
	uint8_t cdb[SCSI_CDB_MAX];
	uint32_t cdb_len;
	enum scsi_task_attr attr;
	uint32_t edtl;               /* iSCSI Expected Data Transfer Length */
	const uint8_t *data_out;     /* write data received (<= edtl bytes) */
	uint32_t data_out_len;
	void (*done)(struct scsi_task *task);
	void *priv;                  /* the transport's */

	/* set by the SCSI layer before done() */
	uint8_t status;              /* enum scsi_status */
	uint8_t sense[SCSI_SENSE_MAX];
	uint32_t sense_len;
	uint8_t *data_in;            /* read data to send to the initiator */
	uint32_t data_in_len;        /* <= edtl */
	/* Bytes the command itself asked to transfer (the SCSI transfer length
	 * or allocation length): the transport derives residuals from it and
	 * edtl (RFC7143 11.4.5). */
	uint64_t xfer_len;

	/* private to the SCSI layer */
	struct scsi_lun *lu;
	struct bs_io io;
	uint8_t *scratch;
	uint64_t lba;
	uint32_t nblocks;
	int state;
	/* LUN state sampled by scsi_exec() under the LUN lock, so that the
	 * handlers need not lock again */
	uint64_t lu_nblocks;         /* capacity in blocks */
	int lu_wce;                  /* write cache enabled */
	/* The task's place in its LUN's LBA range lock while it runs, and
	 * the transport's done(), which medium.c calls once it has let go
	 * of the range. */
	struct lba_lock_entry lock;
	void (*lock_done)(struct scsi_task *task);
};

/* Creates a LUN over bs (not owned: the caller closes it after
 * scsi_lun_free). Returns NULL with err filled (e.g. size not a multiple of
 * the block size is allowed; a block size other than 512/4096 is not). */
struct scsi_lun *scsi_lun_new(struct bs *bs, const struct scsi_lun_params *p,
    char *err, size_t errlen);
void scsi_lun_free(struct scsi_lun *lu);

/* Prepares a zeroed task. */
void scsi_task_init(struct scsi_task *task);
/* Frees what the SCSI layer allocated for the task. */
void scsi_task_fini(struct scsi_task *task);

/* Executes the task. task->done(task) is called exactly once, possibly
 * before scsi_exec() returns. Never fails otherwise: errors become sense. */
void scsi_exec(struct scsi_task *task);

/* The transport aborts task (ABORT TASK, ABORT TASK SET, CLEAR TASK SET,
 * a reset, connection loss) while it is in the SCSI layer. A task that
 * waits -- for its LBA range, or a SANITIZE for its sanitize operation,
 * which goes on (SBC-4) -- ends now: done() is called before this returns,
 * with TASK ABORTED status. Any other task ends when its I/O does, as it
 * would have without the call. */
void scsi_task_abort(struct scsi_task *task);

/* Number of bytes of write data the command wants, derived from the CDB, so
 * the transport can tell from the CDB alone how much Data-Out to solicit. */
uint64_t scsi_data_out_len(const struct scsi_task *task);

/* Task management effects on the LUN state (unit attentions, reservations).
 * nexus is the I_T nexus that requested it. */
void scsi_lun_reset(struct scsi_target *tgt, uint64_t lun,
    const struct scsi_nexus *nexus);
void scsi_target_reset(struct scsi_target *tgt,
    const struct scsi_nexus *nexus);
/* An I_T nexus is gone (session closed): forget its per-nexus state. */
void scsi_nexus_loss(struct scsi_target *tgt, const struct scsi_nexus *nexus);

/* A LUN's size and what it has done since it was created. */
struct scsi_lun_stats {
	uint64_t size_bytes;
	uint32_t block_size;
	int readonly;
	uint64_t commands;      /* tasks that reached the LUN and ended */
	uint64_t read_bytes;    /* data-in of commands that succeeded */
	uint64_t written_bytes; /* data-out of commands that succeeded */
	uint64_t errors;        /* ended with another status than GOOD or
				 * CONDITION MET */
	uint64_t latency_ns;    /* sum over commands of the time in the SCSI
				 * layer, as the transport measured it */
};

/* Whether nothing uses lu now: no command between scsi_exec() and
 * scsi_task_account(), no copy job addressing it, no SANITIZE going on. A
 * LUN that no table holds any more stays idle from then on, and its store
 * may be closed (its memory stays until scsi_lun_free). */
bool scsi_lun_idle(struct scsi_lun *lu);

/* Reads lu's counters (each one exact; together a near snapshot). */
void scsi_lun_get_stats(struct scsi_lun *lu, struct scsi_lun_stats *out);
/* The transport reports a task whose done() has run, with the time from
 * scsi_exec() to done(). Counted against the LUN scsi_exec() found (none:
 * nothing counted). Lock-free, callable from any thread. */
void scsi_task_account(const struct scsi_task *task, uint64_t elapsed_ns);

/* Fills fixed-format sense data (SPC-4 4.5.3) and CHECK CONDITION status. */
void scsi_task_set_sense(struct scsi_task *task, uint8_t key, uint8_t asc,
    uint8_t ascq);

#endif

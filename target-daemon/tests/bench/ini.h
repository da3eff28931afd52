/* SPDX-License-Identifier: BSD-2-Clause */
/* A minimal iSCSI initiator for the benchmarks (tests/bench/ini*.c): one
 * session, one connection, READ-direction commands only. Every error ends
 * the process with a message (err(3)): a bench tool's only answer to a
 * broken peer is to print no number. */
#ifndef MINISAN_BENCH_INI_H
#define MINISAN_BENCH_INI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "iscsi/pdu.h"

#define INI_SEGMENT_MAX 262144u /* our MaxRecvDataSegmentLength */
#define INI_LOGIN_SEGMENT 8192u /* RFC7143 13.12: in force during login */
#define INI_HDR_MAX (ISCSI_BHS_LEN + 255 * 4 + ISCSI_DIGEST_LEN)
#define INI_DEPTH_MAX 128       /* a task's slot is its ITT's low byte */
#define INI_IDLE_MS 10000       /* no byte moved for this long: give up */

#define SCSI_STATUS_GOOD 0x00
#define SCSI_STATUS_CHECK_CONDITION 0x02
#define SENSE_KEY_UNIT_ATTENTION 0x6

/* One command slot; owned by its struct ini. A used slot's ITT is
 * (generation << 8 | slot index), never 0xffffffff since slot < 128. */
struct ini_task {
	uint8_t *buf;          /* owned; Data-In lands here at its offset */
	uint32_t buf_len;
	uint32_t len;          /* expected data transfer length */
	uint32_t itt;
	uint32_t got;          /* bytes received, in order */
	uint32_t next_datasn;
	uint8_t status;
	uint8_t sense_key;
	bool busy;             /* sent, no status yet */
	bool done;             /* status received, not yet looked at */
};

/* The session and its one connection; owned by the caller of ini_new.
 * Invariants: commands are sent only while cmdsn <= max_cmdsn (RFC7143
 * 4.2.2.1); exp_cmdsn <= cmdsn. */
struct ini {
	int fd;
	bool hdigest, ddigest;      /* in force after login only */
	uint64_t lun;
	uint32_t cmdsn, exp_cmdsn, max_cmdsn, exp_statsn;
	uint32_t generation;
	uint8_t hdr[INI_HDR_MAX];   /* the header being handled */
	uint8_t *scratch;           /* segments not read into a task */
	uint8_t tx[INI_DEPTH_MAX * (ISCSI_BHS_LEN + ISCSI_DIGEST_LEN)];
	size_t tx_len;              /* queued in tx, sent before receiving */
	struct ini_task *tasks;
	int ntasks;
	const char *stop;           /* why no command may be sent, or NULL */
	bool logout_sent, logged_out;
};

/* ini.c: full feature phase */

/* A session for LUN lun with depth task slots of buf_len bytes, connected
 * to addr (numeric HOST:PORT or [V6]:PORT); free with ini_free. */
struct ini *ini_new(const char *addr, uint64_t lun, int depth,
    uint32_t buf_len);
void ini_free(struct ini *s);
/* True if a command may be sent now. */
bool ini_window_open(const struct ini *s);
/* Queues a READ-direction command of len bytes (<= t->buf_len) on the
 * idle slot t; the window must be open. */
void ini_task_send(struct ini *s, struct ini_task *t, const uint8_t *cdb,
    uint32_t len);
/* Sends what is queued, then receives and handles one PDU. */
void ini_pump(struct ini *s);
/* Runs one command on slot 0 to GOOD status and len bytes, retrying a
 * few unit attentions. */
void ini_scsi_sync(struct ini *s, const uint8_t *cdb, uint32_t len,
    const char *what);
/* Logout Request, then PDUs until its response. No task may be busy. */
void ini_logout(struct ini *s);

/* ini_login.c */

/* Logs in with operational negotiation only (no CHAP), offering exactly
 * the digests chosen; fails unless the target takes them. */
void ini_login(struct ini *s, const char *initiator, const char *target,
    bool hdigest, bool ddigest);

/* ini_wire.c: the connection's bytes */

/* A non-blocking TCP connection to addr. */
int ini_wire_connect(const char *addr);
/* Moves every byte of iov[0..n) (consumed as it goes), in or out. */
void ini_wire_io(int fd, struct iovec *iov, int n, bool out);
/* Queues a data-less PDU, with its header digest when one is in force. */
void ini_wire_queue(struct ini *s, const uint8_t *bhs);
void ini_wire_flush(struct ini *s);
/* Sends what is queued, receives the next header into s->hdr, verifies its
 * digest; returns its DataSegmentLength, checked against limit. */
uint32_t ini_wire_recv_header(struct ini *s, uint32_t limit);
/* Receives a len-byte data segment into dst, then padding and digest, and
 * verifies the digest. */
void ini_wire_recv_data(struct ini *s, uint8_t *dst, uint32_t len);

#endif

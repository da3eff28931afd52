/* SPDX-License-Identifier: BSD-2-Clause */
/* One iSCSI connection: receive state machine, transmit queue, and the
 * objects the iSCSI modules share (connection, session, task). Internal to
 * iscsi/. Ownership: the server owns connections and sessions; a session is
 * freed when its last reference (connection or task) goes; a task is owned
 * by its connection's task list, or by itself while orphaned with I/O in
 * flight. */
#ifndef MINISAN_ISCSI_CONN_H
#define MINISAN_ISCSI_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/evloop.h"
#include "iscsi/param.h"
#include "iscsi/pdu.h"
#include "iscsi/server.h"
#include "scsi/scsi.h"

enum conn_state {
	CONN_LOGIN,        /* login phase */
	CONN_FULL_FEATURE, /* full feature phase */
	CONN_LOGGED_OUT,   /* logout response queued: close once sent */
	CONN_CLOSED,       /* closed, waiting to be freed */
};

/* A PDU queued for sending. Owned by the connection's tx queue and freed
 * once its last byte has been written. */
struct tx_pdu {
	struct tx_pdu *next;
	uint8_t hdr[ISCSI_BHS_LEN + ISCSI_DIGEST_LEN];
	uint32_t hdr_len;
	const uint8_t *data;     /* payload: owned or borrowed from task */
	uint32_t data_len;
	uint8_t *owned;          /* freed with the PDU */
	struct iscsi_task *task; /* reference held while data is borrowed */
	uint8_t trailer[3 + ISCSI_DIGEST_LEN]; /* padding + data digest */
	uint32_t trailer_len;
	size_t sent;
};

enum task_state {
	TASK_HELD,      /* waiting for data-buffer budget (a read) */
	TASK_DATA_OUT,  /* receiving write data */
	TASK_EXEC,      /* in the SCSI layer */
	TASK_DONE,      /* response queued */
};

struct tmf_wait;

/* A PDU received ahead of its CmdSN turn (multiple connections), kept until
 * the gap is filled. Owned by the session's held list. */
struct held_pdu {
	struct held_pdu *next;
	struct conn *conn;
	uint8_t bhs[ISCSI_BHS_LEN];
	uint8_t *data;
	uint32_t dsl;
	uint32_t cmd_sn;           /* its own, or its command's (Data-Out) */
	bool data_out;
};

/* An iSCSI task wrapping a SCSI task. */
struct iscsi_task {
	struct scsi_task scsi;     /* first: scsi.priv points back here */
	struct iscsi_task *next;   /* conn task list */
	struct conn *conn;         /* allegiance; NULL when orphaned */
	struct session *sess;      /* holds a session reference */
	int refs;                  /* list membership + tx PDUs + I/O */
	enum task_state state;
	bool aborted;
	bool immediate;
	uint32_t itt;
	uint32_t cmd_sn;
	uint8_t lun_raw[8];
	bool read, write;
	uint8_t *wbuf;             /* write data (edtl bytes) */
	uint32_t wlen;             /* bytes to collect */
	uint32_t wgot;             /* contiguous bytes received */
	uint32_t unsol_end;        /* unsolicited data ends here */
	bool discard;              /* EDTL too large: receive, drop, fail */
	bool r2t_out;              /* an R2T is outstanding */
	uint32_t r2t_end;          /* end offset of the outstanding R2T */
	uint32_t ttt;
	uint32_t r2tsn;
	uint32_t data_sn;          /* Data-In sent, or Data-Out expected */
	struct tmf_wait *tmf;      /* TMF waiting for this task to end */
	uint64_t exec_ns;          /* monotonic time scsi_exec() was called */
	/* data-buffer budget (scsi_cmd.c) */
	struct iscsi_task *wait_next; /* session's budget queue */
	bool mem_wait;             /* on that queue: not started, no R2T */
	uint32_t charge;           /* bytes counted in sess->buf_used */
	uint32_t pinned;           /* bytes counted in sess->buf_pinned */
	uint32_t wbuf_size;        /* bytes allocated at wbuf */
};

struct session {
	struct session *next;      /* its worker's list (under sess_lock) */
	struct iscsi_server *srv;
	struct iscsi_worker *w;    /* the loop that owns it */
	int refs;
	uint8_t isid[6];
	uint16_t tsih;
	enum param_session_type type;
	struct iscsi_target *target; /* NULL for discovery */
	char initiator_name[ISCSI_NAME_MAX + 1];
	char initiator_port[ISCSI_NAME_MAX + 32];
	char target_port[ISCSI_NAME_MAX + 32];
	struct scsi_nexus nexus;
	struct param_set params;
	uint32_t exp_cmd_sn;
	uint32_t max_cmd_sn;
	unsigned ntasks;           /* tasks counted against the window */
	struct conn *conns;        /* via conn->sess_next */
	unsigned nconns;
	struct held_pdu *held;     /* out-of-order PDUs, arrival order */
	unsigned nheld;
	uint32_t held_bytes;       /* data of the held PDUs */
	bool draining;             /* session_run_held is running */
	bool closing;
	/* Data-buffer budget (scsi_cmd.c): buffers of the tasks started,
	 * unsolicited data of the tasks waiting, and the waiting tasks in
	 * CmdSN order (RFC7143 3.2.2.1). */
	uint64_t buf_used;
	uint64_t buf_pinned;
	struct iscsi_task *wait_head, *wait_tail;
	unsigned nwait;
	bool admit_queued;         /* a budget_admit() is deferred */
};

struct login_state;

struct conn {
	struct conn *next;         /* its worker's list */
	struct conn *sess_next;    /* session's connection list */
	struct iscsi_server *srv;
	struct iscsi_worker *w;    /* the loop that owns it */
	struct evloop_watch watch;
	uint64_t id;
	char peer[64];             /* "1.2.3.4:5678" */
	struct sockaddr_storage peer_addr;
	struct sockaddr_storage local;
	uint16_t local_port;
	enum conn_state state;
	struct session *sess;
	uint16_t cid;
	uint32_t stat_sn;
	uint32_t exp_stat_sn;
	bool header_digest;
	bool data_digest;
	uint32_t max_recv_dsl;     /* what we accept */
	uint32_t max_xmit_dsl;     /* what we may send */
	struct param_set params;   /* negotiated (copy of the session's) */
	/* receive state machine */
	int rx_state;
	uint8_t rx_hdr[ISCSI_BHS_LEN + 255 * 4 + ISCSI_DIGEST_LEN];
	uint32_t rx_hdr_want;
	uint32_t rx_got;
	uint8_t *rx_data;
	uint32_t rx_data_want;     /* data + padding + digest */
	/* Read-ahead: one read() takes in as many small PDUs as have
	 * arrived (a bufpool buffer, held only while bytes are left in it) */
	uint8_t *rx_ahead;
	uint32_t rx_ahead_off, rx_ahead_len;
	bool rx_drained;           /* a read came back short: read the socket
				    * again only after the next EPOLLIN */
	bool rx_resume_queued;     /* conn_rx_resume() is deferred */
	/* transmit queue */
	struct tx_pdu *tx_head, **tx_tail;
	size_t tx_bytes;
	struct conn *flush_next;   /* w->flush_head list */
	bool flush_queued;         /* on that list */
	bool rx_paused;
	/* tasks allegiant to this connection */
	struct iscsi_task *tasks;
	unsigned ntasks;
	/* login and text exchanges */
	struct login_state *login;
	uint8_t *text_in;          /* continued Text Request data */
	uint32_t text_in_len;
	uint8_t *text_out;         /* pending Text Response data */
	uint32_t text_out_len, text_out_off;
	uint32_t text_ttt;
	/* liveness */
	uint64_t last_rx;
	uint64_t started;
	uint32_t nop_ttt;          /* outstanding ping, or reserved tag */
	uint64_t nop_sent;
	bool close_after_flush;
	/* Moving to its target's worker (login.c): the login PDU it was
	 * handling goes along and is handled there. */
	bool moving;
	struct iscsi_worker *move_to;
	uint8_t moved_bhs[ISCSI_BHS_LEN];
	uint8_t *moved_data;
	uint32_t moved_dsl;
	struct conn *inbox_next;   /* the worker's inbox */
};

/* Accepts a new connection on fd (takes ownership). */
void conn_new(struct iscsi_server *srv, int fd,
    const struct sockaddr_storage *peer);
/* Closes the connection now: tasks aborted, session reference dropped;
 * freed after the current event batch. reason is logged. */
void conn_close(struct conn *c, const char *reason);
/* Logs with the connection prefix "conn ID PEER [initiator]". */
void conn_log(const struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void conn_debug(const struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Allocates a zeroed tx PDU with opcode op. */
struct tx_pdu *conn_pdu_new(uint8_t op);
/* Fills StatSN (advancing it when advance_statsn), ExpCmdSN and MaxCmdSN,
 * digests and padding, and queues the PDU; it is sent, with whatever else
 * the current batch of events queues, before the loop waits again. */
void conn_send(struct conn *c, struct tx_pdu *p, bool advance_statsn);
/* Closes the connection once everything queued has been sent (at once if
 * nothing is queued). */
void conn_close_after_flush(struct conn *c);
/* Sends a Reject for the PDU whose header is bhs. */
void conn_reject(struct conn *c, const uint8_t *bhs, uint8_t reason);

/* Dispatch targets (implemented in the named files). */
void login_rx(struct conn *c, const uint8_t *bhs, uint8_t *data,
    uint32_t dsl);
void login_state_free(struct login_state *ls);
void scsi_cmd_rx(struct conn *c, const uint8_t *bhs, uint8_t *data,
    uint32_t dsl);
void scsi_data_out_rx(struct conn *c, const uint8_t *bhs, uint8_t *data,
    uint32_t dsl);
void tmf_rx(struct conn *c, const uint8_t *bhs);
void text_rx(struct conn *c, const uint8_t *bhs, uint8_t *data,
    uint32_t dsl);
void logout_rx(struct conn *c, const uint8_t *bhs);

/* A task with I/O in flight that a TMF aborted has ended (tmf.c). */
void tmf_task_ended(struct tmf_wait *w);

/* Task lifetime (scsi_cmd.c). */
void task_put(struct iscsi_task *t);
/* Aborts the task: it is removed from its connection and its response is
 * never sent. If tmf is non-NULL and the task still has I/O in flight, the
 * TMF response waits for it. */
void task_abort(struct iscsi_task *t, struct tmf_wait *tmf);
/* Dispatches a received PDU by opcode (takes ownership of data). */
void conn_dispatch(struct conn *c, const uint8_t *bhs, uint8_t *data,
    uint32_t dsl);
/* Keeps a PDU that arrived ahead of its CmdSN turn (takes data). Returns
 * false (and frees data) if too many are held. */
bool session_hold(struct session *s, struct conn *c, const uint8_t *bhs,
    uint8_t *data, uint32_t dsl, uint32_t cmd_sn, bool data_out);
/* The held SCSI command with this ITT on c, for its Data-Out, or NULL. */
struct held_pdu *session_find_held_cmd(struct session *s,
    const struct conn *c, uint32_t itt);
/* Dispatches held PDUs whose CmdSN turn has come. */
void session_run_held(struct session *s);
/* Drops the held PDUs of a closing connection. */
void session_drop_held(struct session *s, const struct conn *c);

/* Session functions (session.c). */
enum cmdsn_verdict { CMDSN_NOW, CMDSN_HOLD, CMDSN_DROP };
enum cmdsn_verdict session_check_cmdsn(struct session *s,
    const uint8_t *bhs);
void session_update_window(struct session *s);
struct session *session_new(struct iscsi_worker *w);
void session_get(struct session *s);
void session_put(struct session *s);
struct session *session_find(struct iscsi_worker *w, const char *iname,
    const uint8_t *isid, uint16_t tsih, const struct iscsi_target *tgt);
/* Closes every connection of the session (session reinstatement, logout). */
void session_close(struct session *s, const char *reason);
void session_add_conn(struct session *s, struct conn *c);
void session_remove_conn(struct session *s, struct conn *c);
/* Marks the session closing (under the server's sess_lock, which a login
 * on another loop counts sessions under). */
void session_set_closing(struct session *s);
/* Hands c over to its target's worker w (login.c, at the login that names
 * the target): it leaves this loop after the current batch, and the
 * login PDU bhs/data/dsl is handled again there. */
void conn_move(struct conn *c, struct iscsi_worker *w, const uint8_t *bhs,
    uint8_t *data, uint32_t dsl);
/* Worker side: takes over a connection from its inbox. */
void conn_adopt(struct iscsi_worker *w, struct conn *c);
/* Puts c in w's inbox and wakes w, which adopts it (worker.c). */
void iscsi_worker_hand_over(struct iscsi_worker *w, struct conn *c);
struct iscsi_task *session_find_task(struct session *s, uint32_t itt);

/* Discovery (discovery.c): builds the SendTargets answer for value into
 * out. */
struct text_buf;
void discovery_send_targets(struct conn *c, const char *value,
    struct text_buf *out);

#endif

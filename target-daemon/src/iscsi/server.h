/* SPDX-License-Identifier: BSD-2-Clause */
/* The iSCSI target service: what the application layer (main.c) hands to
 * the protocol code (targets, portals, limits) and the entry points it calls.
 * Owned by main; everything in it outlives every connection. */
#ifndef MINISAN_ISCSI_SERVER_H
#define MINISAN_ISCSI_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/evloop.h"
#include "core/net.h"
#include "iscsi/chap.h"
#include "iscsi/param.h"
#include "scsi/scsi.h"

struct conn;
struct session;

/* One exported target: its iSCSI identity and its SCSI device. */
struct iscsi_target {
	char *name;
	char *alias;             /* NULL: none */
	char **allow;            /* initiator names allowed; none: all */
	size_t nallow;
	struct net_cidr *nets;   /* source networks allowed; none: all */
	size_t nnets;
	struct chap_cred chap;   /* user NULL: no CHAP required; owned */
	struct scsi_target scsi; /* scsi.name points to name */
};

/* A listening portal. */
struct iscsi_portal {
	char host[64];           /* numeric, no brackets */
	uint16_t port;
	int wildcard;            /* 0.0.0.0 or :: */
	struct evloop_watch watch;
	struct iscsi_server *srv;
};

struct iscsi_server {
	struct evloop *loop;
	struct param_limits limits;
	struct chap_cred discovery_chap; /* user NULL: none; owned */
	uint16_t tpgt;
	struct iscsi_target **targets;
	size_t ntargets;
	struct iscsi_portal *portals;
	size_t nportals;
	/* live objects, owned here */
	struct conn *conns;
	unsigned nconns;
	struct session *sessions;
	unsigned nsessions;
	uint16_t next_tsih;
	uint64_t stopping;  /* monotonic second shutdown began, or 0 */
	uint64_t next_conn_id;
	uint64_t next_nexus_id;  /* scsi_nexus ids, never reused */
	uint32_t next_ttt;
	/* connections with PDUs queued since the loop last waited, sent
	 * together before it waits again (conn.c) */
	struct conn *flush_head;
	bool flush_hooked;   /* the loop's prepare hook is set */
};

/* Makes the listening portals exactly want[0..n) (host and port set):
 * sockets of portals that stay are kept, new ones listen, the others
 * close; connections are not touched. Returns 0, or the first error (-errno
 * with err naming the portal; err may be NULL) after doing the rest. */
int iscsi_server_set_portals(struct iscsi_server *srv,
    const struct iscsi_portal *want, size_t n, char *err, size_t errlen);
/* Ends every session logged in to t (the target is going away). */
void iscsi_server_drop_target(struct iscsi_server *srv,
    struct iscsi_target *t);
/* Begins an orderly stop: portals close, connections still logging in
 * close, and every logged-in connection is asked to log out (RFC7143
 * 11.9.1 Async Message, event 1) within ISCSI_SHUTDOWN_GRACE_SEC. */
void iscsi_server_shutdown(struct iscsi_server *srv);
/* True once every connection has gone, or the grace time is over; the
 * caller then ends the loop after iscsi_server_close_all(). */
bool iscsi_server_stopped(const struct iscsi_server *srv);
/* Closes every remaining connection; tasks in flight finish unseen. */
void iscsi_server_close_all(struct iscsi_server *srv);

/* A live session as the control socket shows it. The strings are borrowed
 * and valid during the callback only. */
struct iscsi_session_info {
	uint16_t tsih;
	char isid[13];           /* 12 hex digits */
	const char *initiator;   /* InitiatorName */
	const char *target;      /* NULL: discovery session */
	unsigned nconns;
	unsigned ntasks;         /* commands in the CmdSN window */
	struct param_set params; /* negotiated */
};

/* One connection of a session (same lifetime rules). */
struct iscsi_conn_info {
	uint64_t id;
	uint16_t cid;
	const char *peer;        /* "1.2.3.4:5678" */
	char local[64];          /* the portal address it came in on */
	bool header_digest, data_digest;
	uint32_t max_recv_dsl, max_xmit_dsl;
	unsigned ntasks;
};

typedef void iscsi_session_visit_cb(const struct iscsi_session_info *si,
    void *arg);
typedef void iscsi_conn_visit_cb(const struct iscsi_conn_info *ci, void *arg);

/* Calls scb for every logged-in session that is not closing, then ccb for
 * each of its connections. The callbacks must not change the server. */
void iscsi_server_each_session(struct iscsi_server *srv,
    iscsi_session_visit_cb *scb, iscsi_conn_visit_cb *ccb, void *arg);
/* Number of logged-in sessions on t that are not closing. */
unsigned iscsi_server_target_sessions(const struct iscsi_server *srv,
    const struct iscsi_target *t);

#define ISCSI_SHUTDOWN_GRACE_SEC 3
/* Periodic housekeeping: login timeouts, NOP-In pings, dead peers. */
void iscsi_server_tick(void *srv);
/* struct scsi_target's abort_tasks hook (PREEMPT AND ABORT): aborts the
 * tasks for lun of the initiator port ("name,i,0xISID", or a bare name for
 * all of that initiator's ports) on tgt; arg is the server. */
void iscsi_server_abort_tasks(struct scsi_target *tgt, uint64_t lun,
    const char *initiator_port, void *arg);
/* True if the initiator, connecting from peer, may log in to t and see it
 * in SendTargets. */
bool iscsi_target_allows(const struct iscsi_target *t, const char *iname,
    const struct sockaddr_storage *peer);
/* Looks up a target by name (case-insensitive, RFC7143 4.2.7.1). */
struct iscsi_target *iscsi_server_find_target(struct iscsi_server *srv,
    const char *name);

#endif

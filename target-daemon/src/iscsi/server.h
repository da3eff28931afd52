/* SPDX-License-Identifier: BSD-2-Clause */
/* The iSCSI target service: what the application layer (main.c) hands to
 * the protocol code (targets, portals, limits) and the entry points it calls.
 * Owned by main; everything in it outlives every connection. */
#ifndef MINISAN_ISCSI_SERVER_H
#define MINISAN_ISCSI_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
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
	unsigned worker;         /* index of the loop that serves it */
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

struct bs_engine;

/* One event loop and the connections and sessions it owns (worker.c).
 * Worker 0 is the main loop, which also accepts connections and keeps
 * discovery sessions; a normal session lives on its target's worker, so
 * everything that crosses sessions (task management, reservations,
 * reinstatement, MC/S) stays within one thread. Fields above lock are
 * touched by the owning thread only, or by the main thread while the
 * worker is parked (iscsi_server_park). */
struct iscsi_worker {
	struct iscsi_server *srv;
	unsigned index;
	struct evloop *loop;
	struct bs_engine *engine;  /* its LUNs' stores (borrowed); NULL in
				    * the fuzzer */
	struct conn *conns;
	struct session *sessions;
	uint32_t next_ttt;
	/* connections with PDUs queued since the loop last waited, sent
	 * together before it waits again (conn.c) */
	struct conn *flush_head;
	bool flush_hooked;         /* the loop's prepare hook is set */
	/* from other threads, under lock */
	pthread_mutex_t lock;
	struct conn *inbox;        /* connections handed over to it */
	bool stop;
	int wake_fd;               /* eventfd; -1 for the main loop */
	struct evloop_watch wake_watch, engine_watch;
	pthread_t thread;
	bool threaded;
};

struct iscsi_server {
	struct evloop *loop;       /* the main loop */
	struct param_limits limits;
	struct chap_cred discovery_chap; /* user NULL: none; owned */
	uint16_t tpgt;
	struct iscsi_target **targets;
	size_t ntargets;
	struct iscsi_portal *portals;
	size_t nportals;
	/* the loops: workers[0] is &main_worker */
	struct iscsi_worker main_worker;
	struct iscsi_worker **workers;
	unsigned nworkers;
	/* counts over every loop, for the global caps */
	_Atomic unsigned nconns;
	_Atomic unsigned nsessions;
	_Atomic uint64_t next_conn_id;
	_Atomic uint32_t next_tsih;      /* low 16 bits: the last TSIH */
	_Atomic uint64_t next_nexus_id;  /* scsi_nexus ids, never reused */
	/* Linking and unlinking sessions, and their connection counts and
	 * closing flags, happen under sess_lock, so that a login can count an
	 * initiator's sessions on every loop (login.c). */
	pthread_mutex_t sess_lock;
	/* parking the workers (worker.c) */
	pthread_mutex_t park_lock;
	pthread_cond_t park_cond;
	unsigned parked;
	bool parking;
	uint64_t stopping;  /* monotonic second shutdown began, or 0 */
};

/* Makes srv (zeroed, targets and limits to be set by the caller) ready,
 * with loop as the main loop and no other worker. */
void iscsi_server_init(struct iscsi_server *srv, struct evloop *loop);
/* Starts workers 1..n-1, each a thread with its own loop, serving the
 * LUN stores of engines[i] (engines[0] is the main loop's; the caller
 * watches it). Returns 0, or -errno with err set (no worker started). */
int iscsi_server_start_workers(struct iscsi_server *srv, unsigned n,
    struct bs_engine **engines, char *err, size_t errlen);
/* Stops and joins the worker threads (their connections must be gone). */
void iscsi_server_stop_workers(struct iscsi_server *srv);
/* Stops the workers and releases what iscsi_server_init() set up. */
void iscsi_server_fini(struct iscsi_server *srv);
/* Stops every worker at a safe point between two events, so that the
 * caller (the main loop: configuration changes, minisanctl, shutdown)
 * may read and change any session, connection and target; unpark lets
 * them go on. Not nested. */
void iscsi_server_park(struct iscsi_server *srv);
void iscsi_server_unpark(struct iscsi_server *srv);
/* The worker index for a target name, among n (stable, case-blind). */
unsigned iscsi_worker_for_name(const char *name, unsigned n);
/* Number of online CPUs, capped for the worker count's default. */
unsigned iscsi_default_workers(void);

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
/* Periodic housekeeping of the main loop's connections: login timeouts,
 * NOP-In pings, dead peers (each worker runs its own). */
void iscsi_server_tick(void *srv);
/* The same for one worker's connections. */
void iscsi_worker_tick(void *w);
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

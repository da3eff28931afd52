/* SPDX-License-Identifier: BSD-2-Clause */
/* The iSCSI target service: what the application layer (main.c) hands to
 * the protocol code (targets, portals, limits) and the entry points it calls.
 * Owned by main; everything in it outlives every connection. */
#ifndef MINISAN_ISCSI_SERVER_H
#define MINISAN_ISCSI_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/evloop.h"
#include "iscsi/param.h"
#include "scsi/scsi.h"

struct conn;
struct session;

/* One exported target: its iSCSI identity and its SCSI device. */
struct iscsi_target {
	char *name;
	char *alias;             /* NULL: none */
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
	uint64_t next_conn_id;
	uint32_t next_ttt;
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
/* Logs out every session (Async logout request, then close) and closes all
 * connections; tasks in flight finish and are dropped. */
void iscsi_server_shutdown(struct iscsi_server *srv);
/* Periodic housekeeping: login timeouts, NOP-In pings, dead peers. */
void iscsi_server_tick(void *srv);
/* Looks up a target by name (case-insensitive, RFC7143 4.2.7.1). */
struct iscsi_target *iscsi_server_find_target(struct iscsi_server *srv,
    const char *name);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the iSNS client: one non-blocking TCP connection per
 * configured iSNS server, driven by the event loop, that registers the
 * network entity, portals, targets and portal groups (DevAttrReg),
 * refreshes the registration at half the server's registration period,
 * re-registers after a configuration change or a lost connection (with
 * backoff), answers the server's ESI and deregisters (DevDereg) on
 * shutdown. After each full registration it puts the targets into their
 * configured discovery domains (DDReg, learning each DD's DD_ID first) and
 * takes targets that left a domain out of it (DDDereg). The wire format is
 * in isns/isns_pdu.c. */
#include "isns_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "isns/isns_pdu.h"
#include "limits_minisan.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Seconds: connect and reply timeouts, the longest retry delay, and how
 * long a shutdown waits for deregistrations. */
#define ISNS_CONNECT_TIMEOUT 10
#define ISNS_REPLY_TIMEOUT 10
#define ISNS_BACKOFF_MAX 60
#define ISNS_STOP_WAIT 3
/* Bytes read per wakeup (a bounded amount of work per event). */
#define ISNS_READ_MAX 65536

/* What the client registers: a copy of the relevant configuration. */
struct isns_snap_target {
	char *name;
	char *alias;
};

/* A discovery domain and the targets configured into it. */
struct isns_snap_dd {
	char *name;
	char **members; /* target names */
	size_t nmembers;
};

struct isns_snap {
	char *eid;
	uint32_t period;
	uint16_t tpgt;
	struct conf_portal *portals; /* host strings owned */
	size_t nportals;
	struct isns_snap_target *targets;
	size_t ntargets;
	struct isns_snap_dd *dds;
	size_t ndds;
};

enum isns_state {
	ISNS_S_IDLE,       /* not connected; retry at retry_at */
	ISNS_S_CONNECTING, /* connect() in progress */
	ISNS_S_OPEN,       /* connected */
	ISNS_S_DONE,       /* shut down */
};

enum isns_req {
	ISNS_REQ_NONE,
	ISNS_REQ_REG,     /* full registration, replacing */
	ISNS_REQ_REFRESH, /* the same registration as an update */
	ISNS_REQ_DEREG,   /* the whole entity */
	ISNS_REQ_DD_QUERY,  /* the DD_ID of a DD by its name */
	ISNS_REQ_DD_CREATE, /* a DD by its name */
	ISNS_REQ_DD_ADD,    /* members into a DD */
	ISNS_REQ_DD_DEL,    /* members out of a DD */
};

/* Where the discovery-domain work after a registration stands for the
 * snapshot DD at dd_next. */
enum isns_dd_step {
	ISNS_DD_LOOKUP, /* ask for its DD_ID */
	ISNS_DD_CREATE, /* not found: create it */
	ISNS_DD_JOIN,   /* DD_ID known: add the members */
};

/* A DD membership registered on the current connection. */
struct isns_dd_link {
	char *dd;
	char *node;
	uint32_t id;
};

/* One iSNS server. Owned by its client. */
struct isns_peer {
	struct isns_client *c;
	char host[INET6_ADDRSTRLEN];
	uint16_t port;
	char label[INET6_ADDRSTRLEN + 8]; /* "host:port" for logs */
	struct evloop_watch watch;        /* fd -1 while not connected */
	enum isns_state state;
	enum isns_req pending;            /* request awaiting its reply */
	uint16_t pending_xid;
	uint16_t xid;
	uint8_t *tx;                      /* PDUs not yet written */
	size_t txlen, txoff;
	struct isns_rx rx;
	uint64_t retry_at, refresh_at, deadline;
	unsigned backoff;
	int registered;    /* the server acknowledged a registration */
	int dirty;         /* the configuration changed since */
	int reported_down; /* "unreachable" logged since the last success */
	char *source;      /* node name the registration was sent as */
	/* discovery domains: memberships registered (links), memberships
	 * to withdraw (drops), progress through the snapshot's DDs, and the
	 * DD and members of the DD request awaiting its reply */
	struct isns_dd_link *links, *drops;
	size_t nlinks, ndrops;
	struct isns_dd_link *known; /* DD_IDs learnt (node unused) */
	size_t nknown;
	size_t dd_next;
	size_t dd_src; /* member of that DD the lookup is sent as */
	enum isns_dd_step dd_step;
	uint32_t dd_id;
	char *pend_dd;
	char **pend_nodes;
	size_t npend;
	uint32_t pend_id;
};

struct isns_client {
	struct evloop *loop;
	struct isns_snap snap;
	struct isns_peer **peers;
	size_t npeers;
	int stopping;
	uint64_t stop_deadline;
};

static void peer_kick(struct isns_peer *p);
static void peer_ready(struct evloop_watch *w, uint32_t events);

static void
snap_fini(struct isns_snap *s)
{
	free(s->eid);
	for (size_t i = 0; i < s->nportals; i++)
		free(s->portals[i].host);
	free(s->portals);
	for (size_t i = 0; i < s->ntargets; i++) {
		free(s->targets[i].name);
		free(s->targets[i].alias);
	}
	free(s->targets);
	for (size_t i = 0; i < s->ndds; i++) {
		free(s->dds[i].name);
		for (size_t j = 0; j < s->dds[i].nmembers; j++)
			free(s->dds[i].members[j]);
		free(s->dds[i].members);
	}
	free(s->dds);
	memset(s, 0, sizeof(*s));
}

/* Adds target name to the snapshot DD called dd (created if new). */
static void
snap_add_dd_member(struct isns_snap *s, const char *dd, const char *name)
{
	struct isns_snap_dd *d = NULL;

	for (size_t i = 0; i < s->ndds && d == NULL; i++)
		if (strcmp(s->dds[i].name, dd) == 0)
			d = &s->dds[i];
	if (d == NULL) {
		s->dds = xrealloc(s->dds, (s->ndds + 1) * sizeof(*s->dds));
		d = &s->dds[s->ndds++];
		memset(d, 0, sizeof(*d));
		d->name = xstrdup(dd);
	}
	d->members = xrealloc(d->members,
	    (d->nmembers + 1) * sizeof(*d->members));
	d->members[d->nmembers++] = xstrdup(name);
}

/* Whether the snapshot puts target node into the DD called dd. */
static int
snap_has_member(const struct isns_snap *s, const char *dd, const char *node)
{
	for (size_t i = 0; i < s->ndds; i++) {
		if (strcmp(s->dds[i].name, dd) != 0)
			continue;
		for (size_t j = 0; j < s->dds[i].nmembers; j++)
			if (strcmp(s->dds[i].members[j], node) == 0)
				return 1;
	}
	return 0;
}

static void
snap_from(struct isns_snap *s, const struct conf *cf)
{
	char host[256];

	memset(s, 0, sizeof(*s));
	if (cf->isns_entity != NULL) {
		s->eid = xstrdup(cf->isns_entity);
	} else {
		/* RFC4171 6.2.1: the EID is unique; a DNS name is typical */
		if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
			snprintf(host, sizeof(host), "minisan");
		host[sizeof(host) - 1] = '\0';
		s->eid = xstrdup(host);
	}
	s->period = cf->isns_period ? cf->isns_period :
	    MINISAN_ISNS_PERIOD_DEFAULT;
	s->tpgt = cf->tpgt ? cf->tpgt : 1;
	s->portals = xcalloc(cf->nportals ? cf->nportals : 1,
	    sizeof(*s->portals));
	for (size_t i = 0; i < cf->nportals; i++) {
		s->portals[i].host = xstrdup(cf->portals[i].host);
		s->portals[i].port = cf->portals[i].port;
	}
	s->nportals = cf->nportals;
	s->targets = xcalloc(cf->ntargets ? cf->ntargets : 1,
	    sizeof(*s->targets));
	for (size_t i = 0; i < cf->ntargets; i++) {
		s->targets[i].name = xstrdup(cf->targets[i].name);
		if (cf->targets[i].alias != NULL)
			s->targets[i].alias = xstrdup(cf->targets[i].alias);
	}
	s->ntargets = cf->ntargets;
	for (size_t i = 0; i < cf->ntargets; i++) {
		const char *dd = cf->targets[i].isns_dd != NULL ?
		    cf->targets[i].isns_dd : cf->isns_dd;

		if (dd != NULL)
			snap_add_dd_member(s, dd, cf->targets[i].name);
	}
}

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
snap_equal(const struct isns_snap *a, const struct isns_snap *b)
{
	if (!same_str(a->eid, b->eid) || a->period != b->period ||
	    a->tpgt != b->tpgt || a->nportals != b->nportals ||
	    a->ntargets != b->ntargets)
		return 0;
	for (size_t i = 0; i < a->nportals; i++)
		if (strcmp(a->portals[i].host, b->portals[i].host) != 0 ||
		    a->portals[i].port != b->portals[i].port)
			return 0;
	for (size_t i = 0; i < a->ntargets; i++)
		if (strcmp(a->targets[i].name, b->targets[i].name) != 0 ||
		    !same_str(a->targets[i].alias, b->targets[i].alias))
			return 0;
	if (a->ndds != b->ndds)
		return 0;
	for (size_t i = 0; i < a->ndds; i++) {
		if (strcmp(a->dds[i].name, b->dds[i].name) != 0 ||
		    a->dds[i].nmembers != b->dds[i].nmembers)
			return 0;
		for (size_t j = 0; j < a->dds[i].nmembers; j++)
			if (strcmp(a->dds[i].members[j],
			    b->dds[i].members[j]) != 0)
				return 0;
	}
	return 1;
}

static void
links_free(struct isns_dd_link **l, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free((*l)[i].dd);
		free((*l)[i].node);
	}
	free(*l);
	*l = NULL;
	*n = 0;
}

static void
links_add(struct isns_dd_link **l, size_t *n, const char *dd,
    const char *node, uint32_t id)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*l)[i].dd, dd) == 0 &&
		    strcmp((*l)[i].node, node) == 0) {
			(*l)[i].id = id;
			return;
		}
	}
	*l = xrealloc(*l, (*n + 1) * sizeof(**l));
	(*l)[*n].dd = xstrdup(dd);
	(*l)[*n].node = xstrdup(node);
	(*l)[*n].id = id;
	(*n)++;
}

static void
pend_clear(struct isns_peer *p)
{
	free(p->pend_dd);
	p->pend_dd = NULL;
	for (size_t i = 0; i < p->npend; i++)
		free(p->pend_nodes[i]);
	free(p->pend_nodes);
	p->pend_nodes = NULL;
	p->npend = 0;
	p->pend_id = 0;
}

/* Remembers the DD request being sent: the DD, its DD_ID and members. */
static void
pend_set(struct isns_peer *p, const char *dd, uint32_t id,
    char *const *nodes, size_t n)
{
	pend_clear(p);
	p->pend_dd = xstrdup(dd);
	p->pend_id = id;
	p->pend_nodes = xcalloc(n ? n : 1, sizeof(*p->pend_nodes));
	for (size_t i = 0; i < n; i++)
		p->pend_nodes[i] = xstrdup(nodes[i]);
	p->npend = n;
}

static void
peer_close(struct isns_peer *p)
{
	if (p->watch.fd >= 0) {
		evloop_del(p->c->loop, &p->watch);
		close(p->watch.fd);
		p->watch.fd = -1;
	}
	free(p->tx);
	p->tx = NULL;
	p->txlen = p->txoff = 0;
	isns_rx_fini(&p->rx);
	isns_rx_init(&p->rx);
	p->pending = ISNS_REQ_NONE;
	p->deadline = 0;
	pend_clear(p);
	/* DD_IDs learnt on this connection may not hold for the next (a
	 * server that restarted with an empty database numbers DDs anew):
	 * memberships are registered again after the next registration, and
	 * withdrawals not yet sent are given up */
	links_free(&p->links, &p->nlinks);
	links_free(&p->drops, &p->ndrops);
	links_free(&p->known, &p->nknown);
}

/* A DD_ID learnt on this connection for the DD called dd, or 0. */
static uint32_t
known_id(const struct isns_peer *p, const char *dd)
{
	for (size_t i = 0; i < p->nknown; i++)
		if (strcmp(p->known[i].dd, dd) == 0)
			return p->known[i].id;
	return 0;
}

/* The connection is unusable: close it and retry later (or give up when
 * shutting down). why says what happened. */
static void
peer_fail(struct isns_peer *p, const char *why)
{
	int was_open = p->state == ISNS_S_OPEN && p->registered;

	peer_close(p);
	if (p->c->stopping) {
		log_warnx("isns: %s: %s; not deregistered", p->label, why);
		p->state = ISNS_S_DONE;
		return;
	}
	p->state = ISNS_S_IDLE;
	p->retry_at = evloop_now() + p->backoff;
	if (was_open)
		log_warnx("isns: lost connection to %s (%s), retrying in %u s",
		    p->label, why, p->backoff);
	else if (!p->reported_down)
		log_warnx("isns: server %s unreachable (%s), retrying in %u s",
		    p->label, why, p->backoff);
	else
		log_debug("isns: %s: %s, retrying in %u s", p->label, why,
		    p->backoff);
	p->reported_down = 1;
	/* the server may have lost our registration (a restart) */
	p->registered = 0;
	p->backoff = p->backoff * 2 > ISNS_BACKOFF_MAX ? ISNS_BACKOFF_MAX :
	    p->backoff * 2;
}

static void
peer_flush(struct isns_peer *p)
{
	while (p->txoff < p->txlen) {
		ssize_t n = send(p->watch.fd, p->tx + p->txoff,
		    p->txlen - p->txoff, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			peer_fail(p, strerror(n < 0 ? errno : EPIPE));
			return;
		}
		p->txoff += (size_t)n;
	}
	if (p->txoff == p->txlen) {
		free(p->tx);
		p->tx = NULL;
		p->txlen = p->txoff = 0;
	}
	evloop_mod(p->c->loop, &p->watch,
	    EPOLLIN | (p->txlen > 0 ? EPOLLOUT : 0));
}

/* Queues a message for sending; returns 0 or -EMSGSIZE. */
static int
peer_queue(struct isns_peer *p, const struct isns_msg *m)
{
	size_t len;
	uint8_t *pdus = isns_msg_encode(m, ISNS_PDU_PAYLOAD_MAX, &len);

	if (pdus == NULL)
		return -EMSGSIZE;
	p->tx = xrealloc(p->tx, p->txlen + len);
	memcpy(p->tx + p->txlen, pdus, len);
	p->txlen += len;
	free(pdus);
	peer_flush(p);
	return 0;
}

static int
is_wildcard(const char *host)
{
	return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
}

/* The 16-byte form of a portal's address (RFC4171 6.3.1: IPv4 as an
 * IPv4-mapped IPv6 address). A wildcard portal is registered as the
 * address this connection comes from, which the server could reach, when
 * the families match; otherwise it is left out (returns -1). */
static int
portal_ip(const struct isns_peer *p, const char *host, uint8_t ip[16])
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int v6 = strchr(host, ':') != NULL;

	memset(ip, 0, 16);
	if (is_wildcard(host)) {
		if (getsockname(p->watch.fd, (struct sockaddr *)&ss, &sl) < 0)
			return -1;
		if (ss.ss_family == AF_INET && !v6) {
			ip[10] = ip[11] = 0xff;
			memcpy(ip + 12,
			    &((struct sockaddr_in *)&ss)->sin_addr, 4);
			return 0;
		}
		if (ss.ss_family == AF_INET6 && v6) {
			memcpy(ip, &((struct sockaddr_in6 *)&ss)->sin6_addr,
			    16);
			return 0;
		}
		return -1;
	}
	if (v6)
		return inet_pton(AF_INET6, host, ip) == 1 ? 0 : -1;
	ip[10] = ip[11] = 0xff;
	return inet_pton(AF_INET, host, ip + 12) == 1 ? 0 : -1;
}

/* The registration: the entity, its portals, and each target with its
 * portal group (RFC4171 5.6.5.1 DevAttrReg). */
static int
build_reg(struct isns_peer *p, struct isns_msg *m, uint16_t flags)
{
	const struct isns_snap *s = &p->c->snap;
	uint8_t (*ips)[16] = xcalloc(s->nportals ? s->nportals : 1, 16);
	uint16_t *ports = xcalloc(s->nportals ? s->nportals : 1,
	    sizeof(*ports));
	size_t nips = 0;
	int rc = 0;

	for (size_t i = 0; i < s->nportals; i++) {
		size_t j;

		if (portal_ip(p, s->portals[i].host, ips[nips]) < 0)
			continue;
		for (j = 0; j < nips; j++)
			if (memcmp(ips[j], ips[nips], 16) == 0 &&
			    ports[j] == s->portals[i].port)
				break;
		if (j < nips)
			continue; /* a wildcard that resolved to a listed one */
		ports[nips++] = s->portals[i].port;
	}
	isns_msg_init(m, ISNS_FUNC_DEV_ATTR_REG, flags, ++p->xid);
	/* RFC4171 5.6.1: Source, then the Message Key, the Delimiter and the
	 * Operating Attributes. The source is a node being registered. */
	rc |= isns_msg_add_str(m, ISNS_TAG_ISCSI_NAME, s->targets[0].name);
	rc |= isns_msg_add_str(m, ISNS_TAG_EID, s->eid);
	rc |= isns_msg_add_delim(m);
	rc |= isns_msg_add_str(m, ISNS_TAG_EID, s->eid);
	rc |= isns_msg_add_u32(m, ISNS_TAG_ENTITY_PROTOCOL,
	    ISNS_ENTITY_PROTOCOL_ISCSI);
	rc |= isns_msg_add_u32(m, ISNS_TAG_REGISTRATION_PERIOD, s->period);
	for (size_t i = 0; i < nips; i++) {
		rc |= isns_msg_add_ip(m, ISNS_TAG_PORTAL_IP, ips[i]);
		/* RFC4171 6.3.2: port in the low 16 bits, bit 15 clear for
		 * TCP */
		rc |= isns_msg_add_u32(m, ISNS_TAG_PORTAL_PORT, ports[i]);
	}
	for (size_t t = 0; t < s->ntargets; t++) {
		rc |= isns_msg_add_str(m, ISNS_TAG_ISCSI_NAME,
		    s->targets[t].name);
		rc |= isns_msg_add_u32(m, ISNS_TAG_ISCSI_NODE_TYPE,
		    ISNS_NODE_TYPE_TARGET);
		if (s->targets[t].alias != NULL)
			rc |= isns_msg_add_str(m, ISNS_TAG_ISCSI_ALIAS,
			    s->targets[t].alias);
		/* RFC4171 5.6.5.1: a PGT followed by PG portal IP-port
		 * pairs puts those portals of the preceding iSCSI Name into
		 * that portal group */
		rc |= isns_msg_add_u32(m, ISNS_TAG_PG_TAG, s->tpgt);
		for (size_t i = 0; i < nips; i++) {
			rc |= isns_msg_add_ip(m, ISNS_TAG_PG_PORTAL_IP, ips[i]);
			rc |= isns_msg_add_u32(m, ISNS_TAG_PG_PORTAL_PORT,
			    ports[i]);
		}
	}
	free(ips);
	free(ports);
	return rc != 0 ? -EMSGSIZE : 0;
}

/* Sends a request (m is finalised here). A write error fails the
 * connection, which also forgets the request. */
static void
peer_send(struct isns_peer *p, enum isns_req req, struct isns_msg *m)
{
	p->pending = req;
	p->pending_xid = m->xid;
	p->deadline = evloop_now() + ISNS_REPLY_TIMEOUT;
	if (peer_queue(p, m) < 0) {
		log_warnx("isns: %s: message too large (%zu targets)",
		    p->label, p->c->snap.ntargets);
		peer_fail(p, "message too large");
	}
	isns_msg_fini(m);
}

static void
send_reg(struct isns_peer *p, enum isns_req req)
{
	struct isns_msg m;
	uint16_t flags = ISNS_FLAG_CLIENT;

	/* RFC4171 5.6.5.1: with the Replace bit, what is registered for the
	 * entity is replaced, so removed targets and portals disappear */
	if (req == ISNS_REQ_REG)
		flags |= ISNS_FLAG_REPLACE;
	if (build_reg(p, &m, flags) < 0) {
		isns_msg_fini(&m);
		isns_msg_init(&m, 0, 0, 0);
		m.overflow = 1;
	}
	free(p->source);
	p->source = xstrdup(p->c->snap.targets[0].name);
	peer_send(p, req, &m);
}

/* RFC4171 5.6.5.4 DevDereg: removing the entity removes its portals,
 * nodes and portal groups. */
static void
send_dereg(struct isns_peer *p)
{
	struct isns_msg m;

	isns_msg_init(&m, ISNS_FUNC_DEV_DEREG, ISNS_FLAG_CLIENT, ++p->xid);
	isns_msg_add_str(&m, ISNS_TAG_ISCSI_NAME, p->source);
	isns_msg_add_delim(&m);
	isns_msg_add_str(&m, ISNS_TAG_EID, p->c->snap.eid);
	peer_send(p, ISNS_REQ_DEREG, &m);
}

/* The next step for the snapshot DD at dd_next (RFC4171 5.6.5.9: members
 * are added to an existing DD by its DD_ID, so that comes first). The
 * source is a target of that DD: servers show a DD only to its members
 * (and control nodes), which is what lets a restarted minisand find a DD
 * its targets stayed in. */
static void
send_dd_step(struct isns_peer *p)
{
	const struct isns_snap_dd *d = &p->c->snap.dds[p->dd_next];
	const char *src = d->members[0];
	struct isns_msg m;
	enum isns_req req;
	int rc;

	if (p->dd_step == ISNS_DD_LOOKUP && known_id(p, d->name) != 0) {
		/* learnt earlier on this connection (a target that left the
		 * DD and came back no longer makes it visible) */
		p->dd_id = known_id(p, d->name);
		p->dd_step = ISNS_DD_JOIN;
	}
	if (p->dd_step == ISNS_DD_LOOKUP)
		src = d->members[p->dd_src];
	switch (p->dd_step) {
	case ISNS_DD_LOOKUP:
		rc = isns_build_dd_query(&m, ++p->xid, src, d->name);
		req = ISNS_REQ_DD_QUERY;
		break;
	case ISNS_DD_CREATE:
		rc = isns_build_dd_create(&m, ++p->xid, src, d->name);
		req = ISNS_REQ_DD_CREATE;
		break;
	default:
		rc = isns_build_dd_add(&m, ++p->xid, src, p->dd_id,
		    (const char *const *)d->members, d->nmembers);
		req = ISNS_REQ_DD_ADD;
		break;
	}
	if (rc < 0)
		m.overflow = 1;
	pend_set(p, d->name, p->dd_id, d->members, d->nmembers);
	peer_send(p, req, &m);
}

/* Withdraws the memberships in the first drop's DD (RFC4171 5.6.5.10
 * DDDereg with DD Member attributes: the DD itself stays). The source is
 * a node the last registration included, still registered. */
static void
send_dd_drop(struct isns_peer *p)
{
	uint32_t id = p->drops[0].id;
	char **nodes = xcalloc(p->ndrops, sizeof(*nodes));
	char *dd = xstrdup(p->drops[0].dd);
	size_t n = 0, keep = 0;
	struct isns_msg m;

	for (size_t i = 0; i < p->ndrops; i++) {
		if (p->drops[i].id == id) {
			nodes[n++] = p->drops[i].node;
			free(p->drops[i].dd);
		} else {
			p->drops[keep++] = p->drops[i];
		}
	}
	p->ndrops = keep;
	if (isns_build_dd_remove(&m, ++p->xid, p->source, id,
	    (const char *const *)nodes, n) < 0)
		m.overflow = 1;
	pend_set(p, dd, id, nodes, n);
	for (size_t i = 0; i < n; i++)
		free(nodes[i]);
	free(nodes);
	free(dd);
	peer_send(p, ISNS_REQ_DD_DEL, &m);
}

/* Sends what the connection needs next, if nothing is outstanding. */
static void
peer_kick(struct isns_peer *p)
{
	struct isns_client *c = p->c;

	if (p->state != ISNS_S_OPEN || p->pending != ISNS_REQ_NONE)
		return;
	/* withdrawals first, while their source is still registered */
	if (!c->stopping && p->ndrops > 0 && p->registered &&
	    p->source != NULL) {
		send_dd_drop(p);
		return;
	}
	if (c->stopping || c->snap.ntargets == 0) {
		if (p->registered && p->source != NULL) {
			send_dereg(p);
			return;
		}
		if (c->stopping) {
			peer_close(p);
			p->state = ISNS_S_DONE;
		}
		return;
	}
	if (!p->registered || p->dirty)
		send_reg(p, ISNS_REQ_REG);
	else if (p->dd_next < c->snap.ndds)
		send_dd_step(p);
	else if (evloop_now() >= p->refresh_at)
		send_reg(p, ISNS_REQ_REFRESH);
}

/* The registration period the server granted (it may shorten ours). */
static uint32_t
granted_period(const struct isns_peer *p, struct isns_tlv_iter *it)
{
	struct isns_attr a;
	uint32_t v = p->c->snap.period;
	int op = 0;

	while (isns_tlv_next(it, &a) == 1) {
		if (a.tag == ISNS_TAG_DELIMITER)
			op = 1;
		else if (op && a.tag == ISNS_TAG_REGISTRATION_PERIOD &&
		    isns_attr_u32(&a, &v) == 0)
			break;
	}
	return v;
}

/* Gives up on the DD at dd_next until the next full registration. */
static void
dd_skip(struct isns_peer *p)
{
	p->dd_next++;
	p->dd_src = 0;
	p->dd_step = ISNS_DD_LOOKUP;
	p->dd_id = 0;
}

/* The reply to a DD lookup, creation or member addition (pend_* say
 * which DD). */
static void
on_dd_reply(struct isns_peer *p, enum isns_req req, uint32_t status)
{
	uint32_t id = 0;
	int rc;

	if (req == ISNS_REQ_DD_ADD && status == ISNS_STATUS_SUCCESS) {
		links_add(&p->known, &p->nknown, p->pend_dd, "", p->pend_id);
		log_info("isns: %zu target(s) in discovery domain \"%s\" "
		    "(DD_ID %u) on %s", p->npend, p->pend_dd, p->pend_id,
		    p->label);
		/* a reload during the request may have taken a target out
		 * of this DD again: withdraw it then */
		for (size_t i = 0; i < p->npend; i++) {
			if (snap_has_member(&p->c->snap, p->pend_dd,
			    p->pend_nodes[i]))
				links_add(&p->links, &p->nlinks, p->pend_dd,
				    p->pend_nodes[i], p->pend_id);
			else
				links_add(&p->drops, &p->ndrops, p->pend_dd,
				    p->pend_nodes[i], p->pend_id);
		}
	}
	/* after a reload the snapshot's DDs changed: the registration that
	 * follows starts them over */
	if (p->dirty)
		return;
	switch (req) {
	case ISNS_REQ_DD_QUERY:
		rc = status == ISNS_STATUS_SUCCESS ?
		    isns_rsp_dd_id(p->rx.payload, p->rx.len, &id) : -ENOENT;
		if (rc == 0) {
			p->dd_id = id;
			p->dd_step = ISNS_DD_JOIN;
		} else if (p->dd_src + 1 < p->npend) {
			/* not visible to this member: ask as the next one */
			p->dd_src++;
		} else {
			/* not visible to any of them: none is in it yet;
			 * create it (refused if it exists) */
			p->dd_step = ISNS_DD_CREATE;
		}
		break;
	case ISNS_REQ_DD_CREATE:
		if (status == ISNS_STATUS_SUCCESS &&
		    isns_rsp_dd_id(p->rx.payload, p->rx.len, &id) == 0) {
			log_info("isns: created discovery domain \"%s\" "
			    "(DD_ID %u) on %s", p->pend_dd, id, p->label);
			p->dd_id = id;
			p->dd_step = ISNS_DD_JOIN;
		} else if (status == ISNS_STATUS_INVALID_REGISTRATION) {
			/* RFC4171 5.6.5.9: a DD_Symbolic_Name in use is
			 * refused; the DD exists but shows itself only to
			 * its members */
			log_warnx("isns: discovery domain \"%s\" exists on "
			    "%s but none of its members is a target of this "
			    "domain, so its DD_ID cannot be looked up; add "
			    "one target to it on the server (e.g. isnsadm "
			    "--dd-register dd-id=ID member-name=%s)",
			    p->pend_dd, p->label, p->pend_nodes[0]);
			dd_skip(p);
		} else {
			log_warnx("isns: %s refused to create discovery "
			    "domain \"%s\": %s (status %u)", p->label,
			    p->pend_dd, status == ISNS_STATUS_SUCCESS ?
			    "no DD_ID in the reply" : isns_status_str(status),
			    status);
			dd_skip(p);
		}
		break;
	default:
		if (status != ISNS_STATUS_SUCCESS)
			log_warnx("isns: %s refused to add %zu target(s) to "
			    "discovery domain \"%s\" (DD_ID %u): %s (status "
			    "%u)", p->label, p->npend, p->pend_dd, p->pend_id,
			    isns_status_str(status), status);
		dd_skip(p);
		break;
	}
}

static void
on_reply(struct isns_peer *p, uint32_t status, struct isns_tlv_iter *rest)
{
	enum isns_req req = p->pending;
	uint32_t period;

	p->pending = ISNS_REQ_NONE;
	p->deadline = 0;
	switch (req) {
	case ISNS_REQ_REG:
	case ISNS_REQ_REFRESH:
		if (status != ISNS_STATUS_SUCCESS) {
			log_warnx("isns: %s refused the registration: %s "
			    "(status %u)", p->label, isns_status_str(status),
			    status);
			if (req == ISNS_REQ_REFRESH) {
				/* start over with a full registration */
				p->registered = 0;
				break;
			}
			peer_fail(p, "registration refused");
			return;
		}
		period = granted_period(p, rest);
		/* refresh at half the period (RFC4171 6.2.6: the entity is
		 * removed when the period passes without a registration or
		 * query from it) */
		if (period == 0) /* RFC4171 6.2.6: 0 means no expiry */
			p->refresh_at = evloop_now() + p->c->snap.period / 2;
		else
			p->refresh_at = evloop_now() +
			    (period >= 4 ? period / 2 : 2);
		if (req == ISNS_REQ_REG)
			log_info("isns: registered %zu target(s) and %zu "
			    "portal(s) with %s (registration period %u s)",
			    p->c->snap.ntargets, p->c->snap.nportals, p->label,
			    period);
		else
			log_debug("isns: registration with %s refreshed",
			    p->label);
		p->registered = 1;
		p->dirty = 0;
		p->reported_down = 0;
		p->backoff = 1;
		if (req == ISNS_REQ_REG) {
			/* the DD memberships follow each full registration */
			p->dd_next = 0;
			p->dd_src = 0;
			p->dd_step = ISNS_DD_LOOKUP;
		}
		break;
	case ISNS_REQ_DD_QUERY:
	case ISNS_REQ_DD_CREATE:
	case ISNS_REQ_DD_ADD:
		on_dd_reply(p, req, status);
		break;
	case ISNS_REQ_DD_DEL:
		if (status == ISNS_STATUS_SUCCESS)
			log_info("isns: %zu target(s) withdrawn from discovery "
			    "domain \"%s\" (DD_ID %u) on %s", p->npend,
			    p->pend_dd, p->pend_id, p->label);
		else
			log_warnx("isns: %s refused to withdraw %zu target(s) "
			    "from discovery domain \"%s\" (DD_ID %u): %s "
			    "(status %u)", p->label, p->npend, p->pend_dd,
			    p->pend_id, isns_status_str(status), status);
		break;
	case ISNS_REQ_DEREG:
		if (status == ISNS_STATUS_SUCCESS)
			log_info("isns: deregistered from %s", p->label);
		else
			log_warnx("isns: deregistration from %s: %s (status "
			    "%u)", p->label, isns_status_str(status), status);
		p->registered = 0;
		p->dirty = 0;
		break;
	case ISNS_REQ_NONE:
		break;
	}
	pend_clear(p);
	peer_kick(p);
}

/* A complete message from the server. */
static void
on_message(struct isns_peer *p)
{
	const struct isns_hdr *h = &p->rx.first;
	struct isns_tlv_iter rest;
	struct isns_msg m;
	uint32_t status;

	if (!(h->func & ISNS_FUNC_RESPONSE)) {
		/* a server request: we answer ESI; we registered for no SCN
		 * and serve nothing else */
		status = h->func == ISNS_FUNC_ESI ? ISNS_STATUS_SUCCESS :
		    ISNS_STATUS_MSG_NOT_SUPPORTED;
		log_debug("isns: %s: request 0x%04x, answering status %u",
		    p->label, h->func, status);
		if (isns_build_reply(&m, h, p->rx.payload, p->rx.len,
		    status) == 0)
			peer_queue(p, &m);
		isns_msg_fini(&m);
		return;
	}
	if (p->pending == ISNS_REQ_NONE || h->xid != p->pending_xid) {
		log_debug("isns: %s: unexpected reply 0x%04x xid %u",
		    p->label, h->func, h->xid);
		return;
	}
	if (isns_rsp_status(p->rx.payload, p->rx.len, &status, &rest) < 0) {
		peer_fail(p, "reply without a status");
		return;
	}
	on_reply(p, status, &rest);
}

static void
peer_read(struct isns_peer *p)
{
	uint8_t buf[4096];
	size_t total = 0;

	while (total < ISNS_READ_MAX && p->state == ISNS_S_OPEN) {
		ssize_t n = recv(p->watch.fd, buf, sizeof(buf), 0);
		size_t off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			peer_fail(p, n == 0 ? "closed by the server" :
			    strerror(errno));
			return;
		}
		total += (size_t)n;
		while (off < (size_t)n && p->state == ISNS_S_OPEN) {
			long r = isns_rx_feed(&p->rx, buf + off,
			    (size_t)n - off);

			if (r < 0) {
				peer_fail(p, r == -EMSGSIZE ?
				    "message too large" : "protocol error");
				return;
			}
			off += (size_t)r;
			if (p->rx.ready)
				on_message(p);
		}
	}
}

static void
peer_connected(struct isns_peer *p)
{
	int err = 0;
	socklen_t sl = sizeof(err);

	if (getsockopt(p->watch.fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
		err = errno;
	if (err != 0) {
		peer_fail(p, strerror(err));
		return;
	}
	p->state = ISNS_S_OPEN;
	p->deadline = 0;
	log_debug("isns: connected to %s", p->label);
	evloop_mod(p->c->loop, &p->watch, EPOLLIN);
	peer_kick(p);
}

static void
peer_ready(struct evloop_watch *w, uint32_t events)
{
	struct isns_peer *p = w->arg;

	if (p->state == ISNS_S_CONNECTING) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			peer_connected(p);
		return;
	}
	if (p->state != ISNS_S_OPEN)
		return;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		peer_read(p);
	if (p->state == ISNS_S_OPEN && (events & EPOLLOUT))
		peer_flush(p);
}

static void
peer_connect(struct isns_peer *p)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int v6 = strchr(p->host, ':') != NULL, fd, rc;

	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p->port);
		inet_pton(AF_INET6, p->host, &s6->sin6_addr);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(p->port);
		inet_pton(AF_INET, p->host, &s4->sin_addr);
		sl = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0) {
		peer_fail(p, strerror(errno));
		return;
	}
	p->watch.fd = fd;
	p->watch.cb = peer_ready;
	p->watch.arg = p;
	if (evloop_add(p->c->loop, &p->watch, EPOLLOUT) < 0) {
		close(fd);
		p->watch.fd = -1;
		peer_fail(p, "epoll");
		return;
	}
	p->state = ISNS_S_CONNECTING;
	p->deadline = evloop_now() + ISNS_CONNECT_TIMEOUT;
	rc = connect(fd, (struct sockaddr *)&ss, sl);
	if (rc == 0)
		peer_connected(p);
	else if (errno != EINPROGRESS)
		peer_fail(p, strerror(errno));
}

static struct isns_peer *
peer_new(struct isns_client *c, const char *host, uint16_t port)
{
	struct isns_peer *p = xcalloc(1, sizeof(*p));

	p->c = c;
	snprintf(p->host, sizeof(p->host), "%s", host);
	p->port = port;
	if (strchr(host, ':') != NULL)
		snprintf(p->label, sizeof(p->label), "[%s]:%u", host, port);
	else
		snprintf(p->label, sizeof(p->label), "%s:%u", host, port);
	p->watch.fd = -1;
	p->state = ISNS_S_IDLE;
	p->backoff = 1;
	isns_rx_init(&p->rx);
	return p;
}

static void
peer_free(struct isns_peer *p)
{
	peer_close(p);
	isns_rx_fini(&p->rx);
	free(p->source);
	free(p);
}

/* After a reload: memberships in DDs the new snapshot no longer gives
 * their target become withdrawals. */
static void
peer_plan_drops(struct isns_peer *p)
{
	size_t keep = 0;

	for (size_t i = 0; i < p->nlinks; i++) {
		struct isns_dd_link *l = &p->links[i];

		if (snap_has_member(&p->c->snap, l->dd, l->node)) {
			p->links[keep++] = *l;
			continue;
		}
		links_add(&p->drops, &p->ndrops, l->dd, l->node, l->id);
		free(l->dd);
		free(l->node);
	}
	p->nlinks = keep;
}

struct isns_client *
isns_client_new(struct evloop *loop)
{
	struct isns_client *c = xcalloc(1, sizeof(*c));

	c->loop = loop;
	return c;
}

void
isns_client_update(struct isns_client *c, const struct conf *cf)
{
	struct isns_peer **peers;
	struct isns_snap next;
	int changed;

	if (c->stopping)
		return;
	snap_from(&next, cf);
	changed = !snap_equal(&next, &c->snap);
	snap_fini(&c->snap);
	c->snap = next;
	peers = xcalloc(cf->nisns_servers ? cf->nisns_servers : 1,
	    sizeof(*peers));
	for (size_t i = 0; i < cf->nisns_servers; i++) {
		const struct conf_portal *s = &cf->isns_servers[i];

		for (size_t j = 0; j < c->npeers; j++) {
			if (c->peers[j] != NULL &&
			    strcmp(c->peers[j]->host, s->host) == 0 &&
			    c->peers[j]->port == s->port) {
				peers[i] = c->peers[j];
				c->peers[j] = NULL;
				break;
			}
		}
		if (peers[i] == NULL)
			peers[i] = peer_new(c, s->host, s->port);
		if (changed) {
			peers[i]->dirty = 1;
			peer_plan_drops(peers[i]);
		}
	}
	for (size_t j = 0; j < c->npeers; j++) {
		if (c->peers[j] == NULL)
			continue;
		log_info("isns: server %s no longer configured",
		    c->peers[j]->label);
		peer_free(c->peers[j]);
	}
	free(c->peers);
	c->peers = peers;
	c->npeers = cf->nisns_servers;
	for (size_t i = 0; i < c->npeers; i++)
		peer_kick(c->peers[i]);
}

void
isns_client_tick(struct isns_client *c)
{
	uint64_t now = evloop_now();

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->npeers; i++) {
		struct isns_peer *p = c->peers[i];

		switch (p->state) {
		case ISNS_S_IDLE:
			if (c->stopping)
				p->state = ISNS_S_DONE;
			else if (now >= p->retry_at && c->snap.ntargets > 0)
				peer_connect(p);
			break;
		case ISNS_S_CONNECTING:
			if (now >= p->deadline)
				peer_fail(p, "connection timed out");
			break;
		case ISNS_S_OPEN:
			if (p->pending != ISNS_REQ_NONE && now >= p->deadline)
				peer_fail(p, "no reply");
			else
				peer_kick(p);
			break;
		case ISNS_S_DONE:
			break;
		}
	}
}

void
isns_client_shutdown(struct isns_client *c)
{
	if (c == NULL || c->stopping)
		return;
	c->stopping = 1;
	c->stop_deadline = evloop_now() + ISNS_STOP_WAIT;
	for (size_t i = 0; i < c->npeers; i++) {
		struct isns_peer *p = c->peers[i];

		if (p->state == ISNS_S_OPEN)
			peer_kick(p);
		else {
			peer_close(p);
			p->state = ISNS_S_DONE;
		}
	}
}

bool
isns_client_stopped(const struct isns_client *c)
{
	if (c == NULL)
		return true;
	if (c->stopping && evloop_now() >= c->stop_deadline)
		return true;
	for (size_t i = 0; i < c->npeers; i++)
		if (c->peers[i]->state != ISNS_S_DONE)
			return false;
	return true;
}

void
isns_client_free(struct isns_client *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->npeers; i++)
		peer_free(c->peers[i]);
	free(c->peers);
	snap_fini(&c->snap);
	free(c);
}

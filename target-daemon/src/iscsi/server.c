/* SPDX-License-Identifier: BSD-2-Clause */
/* The target service: portals that accept connections, target lookup,
 * periodic liveness checks and orderly shutdown. */
#include "iscsi/server.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/net.h"
#include "iscsi/conn.h"
#include "limits_minisan.h"
#include "util/log.h"

static void
portal_ready(struct evloop_watch *w, uint32_t events)
{
	struct iscsi_portal *p = w->arg;

	(void)events;
	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage peer;
		int fd = net_accept(w->fd, &peer);

		if (fd == -EAGAIN || fd == -EWOULDBLOCK)
			return;
		if (fd < 0) {
			log_warnx("portal %s:%u: accept: %s", p->host, p->port,
			    strerror(-fd));
			return;
		}
		conn_new(p->srv, fd, &peer);
	}
}

static void
portal_close(struct iscsi_server *srv, struct iscsi_portal *p)
{
	if (p->watch.fd < 0)
		return;
	evloop_del(srv->loop, &p->watch);
	close(p->watch.fd);
	p->watch.fd = -1;
}

/* Registers p (fd set) with the loop. Returns 0 or -errno. */
static int
portal_watch(struct iscsi_server *srv, struct iscsi_portal *p)
{
	p->srv = srv;
	p->wildcard = strcmp(p->host, "0.0.0.0") == 0 ||
	    strcmp(p->host, "::") == 0;
	p->watch.cb = portal_ready;
	p->watch.arg = p;
	return evloop_add(srv->loop, &p->watch, EPOLLIN);
}

int
iscsi_server_set_portals(struct iscsi_server *srv,
    const struct iscsi_portal *want, size_t n, char *err, size_t errlen)
{
	struct iscsi_portal *np = calloc(n ? n : 1, sizeof(*np));
	char msg[256];
	int first = 0;

	if (np == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct iscsi_portal *p = &np[i];
		int rc;

		snprintf(p->host, sizeof(p->host), "%s", want[i].host);
		p->port = want[i].port;
		p->watch.fd = -1;
		for (size_t j = 0; j < srv->nportals; j++) {
			struct iscsi_portal *o = &srv->portals[j];

			if (o->watch.fd >= 0 && o->port == p->port &&
			    strcmp(o->host, p->host) == 0) {
				/* keep the socket, move the registration */
				evloop_del(srv->loop, &o->watch);
				p->watch.fd = o->watch.fd;
				o->watch.fd = -1;
				break;
			}
		}
		if (p->watch.fd < 0) {
			rc = net_listen(p->host, p->port, msg, sizeof(msg));
			if (rc < 0) {
				if (first == 0 && err != NULL)
					snprintf(err, errlen, "%s", msg);
				if (first == 0)
					first = rc;
				continue;
			}
			p->watch.fd = rc;
			log_info("listening on %s%s%s:%u",
			    strchr(p->host, ':') ? "[" : "", p->host,
			    strchr(p->host, ':') ? "]" : "", p->port);
		}
		rc = portal_watch(srv, p);
		if (rc < 0) {
			close(p->watch.fd);
			p->watch.fd = -1;
			if (first == 0 && err != NULL)
				snprintf(err, errlen, "epoll: %s",
				    strerror(-rc));
			if (first == 0)
				first = rc;
		}
	}
	for (size_t j = 0; j < srv->nportals; j++) {
		struct iscsi_portal *o = &srv->portals[j];

		if (o->watch.fd >= 0)
			log_info("no longer listening on %s:%u", o->host,
			    o->port);
		portal_close(srv, o);
	}
	free(srv->portals);
	srv->portals = np;
	srv->nportals = n;
	return first;
}

void
iscsi_server_drop_target(struct iscsi_server *srv, struct iscsi_target *t)
{
	struct iscsi_worker *w = srv->workers[t->worker];

	for (struct session *s = w->sessions, *next; s != NULL; s = next) {
		next = s->next;
		if (s->target == t && !s->closing)
			session_close(s,
			    "target removed from the configuration");
	}
}

void
iscsi_server_abort_tasks(struct scsi_target *tgt, uint64_t lun,
    const char *initiator_port, void *arg)
{
	struct iscsi_server *srv = arg;
	bool whole_name = strchr(initiator_port, ',') == NULL;
	/* called on the target's loop, which holds all its sessions */
	struct iscsi_target *it = (struct iscsi_target *)((char *)tgt -
	    offsetof(struct iscsi_target, scsi));
	struct iscsi_worker *w = srv->workers[it->worker];

	for (struct session *s = w->sessions; s != NULL; s = s->next) {
		if (s->target == NULL || &s->target->scsi != tgt)
			continue;
		if (strcasecmp(whole_name ? s->initiator_name :
		    s->initiator_port, initiator_port) != 0)
			continue;
		for (struct conn *c = s->conns; c != NULL; c = c->sess_next) {
			struct iscsi_task *t = c->tasks, *next;

			for (; t != NULL; t = next) {
				next = t->next;
				/* SPC-4 5.13.11.2.4: as ABORT TASK SET would */
				if (t->scsi.lun == lun)
					task_abort(t, NULL);
			}
		}
	}
}

bool
iscsi_target_allows(const struct iscsi_target *t, const char *iname,
    const struct sockaddr_storage *peer)
{
	bool name_ok = t->nallow == 0, net_ok = t->nnets == 0;

	/* RFC7143 4.2.7.1: iSCSI names compare case-insensitively */
	for (size_t i = 0; i < t->nallow && !name_ok; i++)
		name_ok = strcasecmp(t->allow[i], iname) == 0;
	for (size_t i = 0; i < t->nnets && !net_ok; i++)
		net_ok = net_cidr_match(&t->nets[i], peer);
	return name_ok && net_ok;
}

struct iscsi_target *
iscsi_server_find_target(struct iscsi_server *srv, const char *name)
{
	/* RFC7143 4.2.7.1: names compare case-insensitively */
	for (size_t i = 0; i < srv->ntargets; i++)
		if (strcasecmp(srv->targets[i]->name, name) == 0)
			return srv->targets[i];
	return NULL;
}

static void
send_nop_ping(struct conn *c)
{
	struct tx_pdu *p = conn_pdu_new(ISCSI_OP_NOP_IN);

	c->nop_ttt = ++c->w->next_ttt;
	if (c->nop_ttt == ISCSI_RESERVED_TAG)
		c->nop_ttt = ++c->w->next_ttt;
	c->nop_sent = evloop_now();
	p->hdr[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	put_be32(p->hdr + BHS_ITT, ISCSI_RESERVED_TAG);
	put_be32(p->hdr + BHS_TTT, c->nop_ttt);
	/* RFC7143 11.19: an unsolicited NOP-In does not advance StatSN */
	conn_send(c, p, false);
}

void
iscsi_server_tick(void *arg)
{
	struct iscsi_server *srv = arg;

	iscsi_worker_tick(srv->workers[0]);
}

void
iscsi_worker_tick(void *arg)
{
	struct iscsi_worker *w = arg;
	uint64_t now = evloop_now();

	for (struct conn *c = w->conns, *next; c != NULL; c = next) {
		next = c->next;
		if (c->state == CONN_CLOSED || c->moving)
			continue;
		if (c->state == CONN_LOGIN &&
		    now - c->started > MINISAN_LOGIN_TIMEOUT_SEC) {
			conn_close(c, "login timed out");
			continue;
		}
		if (c->close_after_flush &&
		    now - c->last_rx > MINISAN_NOP_TIMEOUT_SEC) {
			conn_close(c, "peer does not read its responses");
			continue;
		}
		if (c->state != CONN_FULL_FEATURE)
			continue;
		if (c->nop_ttt != ISCSI_RESERVED_TAG) {
			if (now - c->nop_sent > MINISAN_NOP_TIMEOUT_SEC)
				conn_close(c, "no answer to NOP-In ping");
			continue;
		}
		if (now - c->last_rx > MINISAN_NOP_INTERVAL_SEC)
			send_nop_ping(c);
	}
}

static void
send_logout_request(struct conn *c)
{
	struct tx_pdu *p = conn_pdu_new(ISCSI_OP_ASYNC_MSG);

	p->hdr[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	put_be32(p->hdr + BHS_ITT, ISCSI_RESERVED_TAG);
	p->hdr[BHS_ASYNC_EVENT] = ASYNC_EVENT_LOGOUT_REQUEST;
	/* Parameter3: the initiator logs out within this many seconds */
	put_be16(p->hdr + BHS_ASYNC_PARAM3, ISCSI_SHUTDOWN_GRACE_SEC);
	conn_send(c, p, true);
}

/* Called with the workers parked (or none): every loop's connections. */
void
iscsi_server_shutdown(struct iscsi_server *srv)
{
	srv->stopping = evloop_now();
	for (size_t i = 0; i < srv->nportals; i++)
		portal_close(srv, &srv->portals[i]);
	for (unsigned i = 0; i < srv->nworkers; i++) {
		struct conn *c = srv->workers[i]->conns, *next;

		for (; c != NULL; c = next) {
			next = c->next;
			if (c->state == CONN_FULL_FEATURE)
				send_logout_request(c);
			else
				conn_close(c, NULL);
		}
	}
}

bool
iscsi_server_stopped(const struct iscsi_server *srv)
{
	/* a connection counts until freed, on whichever loop */
	return srv->nconns == 0 ||
	    evloop_now() - srv->stopping >= ISCSI_SHUTDOWN_GRACE_SEC;
}

/* Called with the workers parked (or none). */
void
iscsi_server_close_all(struct iscsi_server *srv)
{
	for (unsigned i = 0; i < srv->nworkers; i++) {
		struct conn *c = srv->workers[i]->conns, *next;

		for (; c != NULL; c = next) {
			next = c->next;
			conn_close(c, "shutting down");
		}
	}
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* The target service: portals that accept connections, target lookup,
 * periodic liveness checks and orderly shutdown. */
#include "iscsi/server.h"

#include <errno.h>
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

int
iscsi_server_listen(struct iscsi_server *srv, char *err, size_t errlen)
{
	for (size_t i = 0; i < srv->nportals; i++) {
		struct iscsi_portal *p = &srv->portals[i];
		int fd = net_listen(p->host, p->port, err, errlen);
		int rc;

		if (fd < 0)
			return fd;
		p->srv = srv;
		p->wildcard = strcmp(p->host, "0.0.0.0") == 0 ||
		    strcmp(p->host, "::") == 0;
		p->watch.fd = fd;
		p->watch.cb = portal_ready;
		p->watch.arg = p;
		rc = evloop_add(srv->loop, &p->watch, EPOLLIN);
		if (rc < 0) {
			snprintf(err, errlen, "epoll: %s", strerror(-rc));
			close(fd);
			p->watch.fd = -1;
			return rc;
		}
	}
	return 0;
}

void
iscsi_server_unlisten(struct iscsi_server *srv)
{
	for (size_t i = 0; i < srv->nportals; i++) {
		struct iscsi_portal *p = &srv->portals[i];

		if (p->watch.fd < 0)
			continue;
		evloop_del(srv->loop, &p->watch);
		close(p->watch.fd);
		p->watch.fd = -1;
	}
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

	c->nop_ttt = ++c->srv->next_ttt;
	if (c->nop_ttt == ISCSI_RESERVED_TAG)
		c->nop_ttt = ++c->srv->next_ttt;
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
	uint64_t now = evloop_now();

	for (struct conn *c = srv->conns, *next; c != NULL; c = next) {
		next = c->next;
		if (c->state == CONN_CLOSED)
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

void
iscsi_server_shutdown(struct iscsi_server *srv)
{
	iscsi_server_unlisten(srv);
	for (struct conn *c = srv->conns, *next; c != NULL; c = next) {
		next = c->next;
		conn_close(c, NULL);
	}
}

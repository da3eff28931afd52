/* SPDX-License-Identifier: BSD-2-Clause */
/* Connection lifecycle, the resumable receive state machine, the transmit
 * queue with partial writev, and dispatch of received PDUs by opcode. */
#include "iscsi/conn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/net.h"
#include "iscsi/crc32c.h"
#include "limits_minisan.h"
#include "util/log.h"
#include "util/bufpool.h"
#include "util/xalloc.h"

enum rx_state {
	RX_HEADER, /* BHS, then AHS and header digest */
	RX_DATA,   /* data segment, padding and data digest */
};

/* Bytes of outgoing data above which we stop reading from a peer that does
 * not read its responses, so its queue cannot grow without bound. */
#define CONN_TX_HIGH_WATER (8u * 1024 * 1024)
/* PDUs handled per wakeup before yielding to other connections. */
#define CONN_RX_BUDGET 32
#define CONN_TX_IOV 64
/* Read-ahead buffer: holds many command headers, or a 4 KiB write with
 * its header. Data segments at least this long are read straight into
 * their own buffer instead. */
#define CONN_RX_AHEAD (16u * 1024)
/* Data segment limit during login, before anything is negotiated:
 * RFC7143 13.12 default of 8192, raised to what we declare. */
#define CONN_LOGIN_MAX_DSL 8192u

static void conn_ready(struct evloop_watch *w, uint32_t events);
static void conn_flush(struct conn *c);
static void conn_flush_all(void *arg);
static void conn_rx_resume_later(struct conn *c);
static void conn_update_events(struct conn *c);
static void conn_dispatch_in_order(struct conn *c, const uint8_t *bhs,
    uint8_t *data, uint32_t dsl);

static void conn_vlog(const struct conn *c, int debug, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

static void
conn_vlog(const struct conn *c, int debug, const char *fmt, va_list ap)
{
	char msg[768], name[ISCSI_NAME_MAX * 4 + 1] = "";

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (c->sess != NULL)
		log_sanitize(c->sess->initiator_name, ISCSI_NAME_MAX + 1, name,
		    sizeof(name));
	if (debug)
		log_debug("conn %llu %s%s%s%s: %s", (unsigned long long)c->id,
		    c->peer, name[0] ? " [" : "", name, name[0] ? "]" : "",
		    msg);
	else
		log_info("conn %llu %s%s%s%s: %s", (unsigned long long)c->id,
		    c->peer, name[0] ? " [" : "", name, name[0] ? "]" : "",
		    msg);
}

void
conn_log(const struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conn_vlog(c, 0, fmt, ap);
	va_end(ap);
}

void
conn_debug(const struct conn *c, const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity() < 1)
		return;
	va_start(ap, fmt);
	conn_vlog(c, 1, fmt, ap);
	va_end(ap);
}

/* The loop sends what a batch queued just before it waits again. */
static void
conn_hook_flush(struct iscsi_worker *w)
{
	if (!w->flush_hooked) {
		evloop_set_prepare(w->loop, conn_flush_all, w);
		w->flush_hooked = true;
	}
}

/* Puts c on its loop's flush list (once): what it has queued is sent
 * before the loop waits again. */
static void
conn_queue_flush(struct conn *c)
{
	if (c->flush_queued)
		return;
	c->flush_queued = true;
	c->flush_next = c->w->flush_head;
	c->w->flush_head = c;
}

/* Takes c off its loop's connection and flush lists. */
static void
conn_unlink(struct conn *c)
{
	struct conn **pp;

	for (pp = &c->w->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	for (pp = &c->w->flush_head; *pp != NULL; pp = &(*pp)->flush_next) {
		if (*pp == c) {
			*pp = c->flush_next;
			break;
		}
	}
	c->next = c->flush_next = NULL;
	c->flush_queued = false;
}

void
conn_new(struct iscsi_server *srv, int fd, const struct sockaddr_storage *peer)
{
	struct conn *c;
	socklen_t len;
	int rc;

	struct iscsi_worker *w = srv->workers[0];

	if (srv->nconns >= MINISAN_MAX_CONNECTIONS) {
		char addr[64];

		net_format_addr(peer, addr, sizeof(addr));
		log_warnx("refusing connection from %s: %u connections open",
		    addr, (unsigned)srv->nconns);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	c->w = w;
	c->id = ++srv->next_conn_id;
	net_format_addr(peer, c->peer, sizeof(c->peer));
	c->peer_addr = *peer;
	len = sizeof(c->local);
	if (getsockname(fd, (struct sockaddr *)&c->local, &len) < 0)
		memset(&c->local, 0, sizeof(c->local));
	c->state = CONN_LOGIN;
	c->rx_state = RX_HEADER;
	c->rx_hdr_want = ISCSI_BHS_LEN;
	c->max_recv_dsl = CONN_LOGIN_MAX_DSL;
	c->max_xmit_dsl = CONN_LOGIN_MAX_DSL;
	c->tx_tail = &c->tx_head;
	c->started = c->last_rx = evloop_now();
	c->nop_ttt = ISCSI_RESERVED_TAG;
	c->watch.fd = fd;
	c->watch.cb = conn_ready;
	c->watch.arg = c;
	conn_hook_flush(w);
	rc = evloop_add(w->loop, &c->watch, EPOLLIN);
	if (rc < 0) {
		log_warnx("conn %s: epoll: %s", c->peer, strerror(-rc));
		close(fd);
		free(c);
		return;
	}
	c->next = w->conns;
	w->conns = c;
	srv->nconns++;
	conn_debug(c, "connected");
}

/* Deferred, after the batch in which the connection stopped being
 * watched here: nothing of this loop refers to it any more. */
static void
conn_move_now(void *arg)
{
	struct conn *c = arg;

	if (c->state == CONN_CLOSED)
		return; /* closed meanwhile; conn_free follows */
	conn_unlink(c);
	c->w = c->move_to;
	iscsi_worker_hand_over(c->w, c);
}

void
conn_move(struct conn *c, struct iscsi_worker *w, const uint8_t *bhs,
    uint8_t *data, uint32_t dsl)
{
	conn_debug(c, "to worker %u", w->index);
	c->moving = true;
	c->move_to = w;
	memcpy(c->moved_bhs, bhs, ISCSI_BHS_LEN);
	c->moved_data = data;
	c->moved_dsl = dsl;
	evloop_del(c->w->loop, &c->watch);
	evloop_defer(c->w->loop, conn_move_now, c);
}

void
conn_adopt(struct iscsi_worker *w, struct conn *c)
{
	uint8_t bhs[ISCSI_BHS_LEN];
	uint8_t *data = c->moved_data;
	int rc;

	c->moving = false;
	c->moved_data = NULL;
	memcpy(bhs, c->moved_bhs, sizeof(bhs));
	c->next = w->conns;
	w->conns = c;
	conn_hook_flush(w);
	if (c->tx_head != NULL)
		conn_queue_flush(c);
	rc = evloop_add(w->loop, &c->watch, EPOLLIN);
	if (rc < 0) {
		bufpool_put(data);
		conn_close(c, strerror(-rc));
		return;
	}
	conn_dispatch_in_order(c, bhs, data, c->moved_dsl);
	if (c->state != CONN_CLOSED)
		conn_update_events(c);
}

static void
tx_pdu_free(struct tx_pdu *p)
{
	if (p->task != NULL)
		task_put(p->task);
	free(p->owned);
	bufpool_put(p);
}

static void
conn_free(void *arg)
{
	struct conn *c = arg;

	conn_unlink(c);
	c->srv->nconns--;
	while (c->tx_head != NULL) {
		struct tx_pdu *p = c->tx_head;

		c->tx_head = p->next;
		tx_pdu_free(p);
	}
	bufpool_put(c->rx_data);
	bufpool_put(c->rx_ahead);
	free(c->text_in);
	free(c->text_out);
	free(c);
}

void
conn_close(struct conn *c, const char *reason)
{
	if (c->state == CONN_CLOSED)
		return;
	if (reason != NULL)
		conn_log(c, "closing: %s", reason);
	c->state = CONN_CLOSED;
	evloop_del(c->w->loop, &c->watch);
	close(c->watch.fd);
	c->watch.fd = -1;
	while (c->tasks != NULL)
		task_abort(c->tasks, NULL);
	if (c->login != NULL) {
		login_state_free(c->login);
		c->login = NULL;
	}
	if (c->sess != NULL) {
		struct session *s = c->sess;

		session_drop_held(s, c);
		session_remove_conn(s, c);
		c->sess = NULL;
		session_put(s);
	}
	bufpool_put(c->moved_data);
	c->moved_data = NULL;
	evloop_defer(c->w->loop, conn_free, c);
}

struct tx_pdu *
conn_pdu_new(uint8_t op)
{
	struct tx_pdu *p = bufpool_get(sizeof(*p));

	memset(p, 0, sizeof(*p));
	p->hdr[BHS_OPCODE] = op;
	p->hdr_len = ISCSI_BHS_LEN;
	return p;
}

static void
put_digest(uint8_t *p, uint32_t crc)
{
	/* RFC7143 13.1 / RFC 3720 B.4: the CRC is sent least significant
	 * byte first. */
	p[0] = (uint8_t)crc;
	p[1] = (uint8_t)(crc >> 8);
	p[2] = (uint8_t)(crc >> 16);
	p[3] = (uint8_t)(crc >> 24);
}

static uint32_t
get_digest(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

void
conn_send(struct conn *c, struct tx_pdu *p, bool advance_statsn)
{
	struct session *s = c->sess;
	uint8_t op = pdu_opcode(p->hdr);
	uint32_t pad;

	if (c->state == CONN_CLOSED) {
		tx_pdu_free(p);
		return;
	}
	/* Data-In without status, and R2T, carry sequence numbers but do not
	 * advance StatSN (RFC7143 11.7.4, 11.8.3). */
	if (op != ISCSI_OP_DATA_IN || (p->hdr[BHS_FLAGS] & ISCSI_DATAIN_STATUS))
		put_be32(p->hdr + BHS_RSP_STATSN, c->stat_sn);
	if (advance_statsn)
		c->stat_sn++;
	if (s != NULL && op != ISCSI_OP_LOGIN_RSP) {
		session_update_window(s);
		put_be32(p->hdr + BHS_RSP_EXPCMDSN, s->exp_cmd_sn);
		put_be32(p->hdr + BHS_RSP_MAXCMDSN, s->max_cmd_sn);
	}
	pdu_set_dsl(p->hdr, p->data_len);
	if (c->header_digest) {
		put_digest(p->hdr + ISCSI_BHS_LEN, crc32c(p->hdr,
		    ISCSI_BHS_LEN));
		p->hdr_len = ISCSI_BHS_LEN + ISCSI_DIGEST_LEN;
	}
	pad = pdu_pad(p->data_len);
	memset(p->trailer, 0, sizeof(p->trailer));
	p->trailer_len = pad;
	if (c->data_digest && p->data_len > 0) {
		uint32_t crc = crc32c_update(CRC32C_INIT, p->data, p->data_len);

		crc = crc32c_update(crc, p->trailer, pad);
		put_digest(p->trailer + pad, crc32c_final(crc));
		p->trailer_len += ISCSI_DIGEST_LEN;
	}
	p->next = NULL;
	*c->tx_tail = p;
	c->tx_tail = &p->next;
	c->tx_bytes += p->hdr_len + p->data_len + p->trailer_len;
	/* Corked: one writev per connection and batch instead of one per
	 * PDU. A peer that does not read still stops being read at once. */
	c->rx_paused = c->tx_bytes > CONN_TX_HIGH_WATER;
	conn_queue_flush(c);
}

/* The loop is about to wait: sends what the batch queued. */
static void
conn_flush_all(void *arg)
{
	struct iscsi_worker *w = arg;
	struct conn *c;

	while ((c = w->flush_head) != NULL) {
		w->flush_head = c->flush_next;
		c->flush_next = NULL;
		c->flush_queued = false;
		conn_flush(c);
	}
}

void
conn_reject(struct conn *c, const uint8_t *bhs, uint8_t reason)
{
	struct tx_pdu *p = conn_pdu_new(ISCSI_OP_REJECT);

	conn_log(c, "rejecting %s (opcode 0x%02x): reason 0x%02x",
	    pdu_opcode_name(pdu_opcode(bhs)), pdu_opcode(bhs), reason);
	p->hdr[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	p->hdr[BHS_REJECT_REASON] = reason;
	put_be32(p->hdr + BHS_ITT, ISCSI_RESERVED_TAG);
	/* RFC7143 11.17: the data segment is the rejected PDU's header. */
	p->owned = xmalloc(ISCSI_BHS_LEN);
	memcpy(p->owned, bhs, ISCSI_BHS_LEN);
	p->data = p->owned;
	p->data_len = ISCSI_BHS_LEN;
	conn_send(c, p, true);
}

static void
conn_update_events(struct conn *c)
{
	uint32_t ev = 0;

	if (c->state == CONN_CLOSED || c->moving)
		return;
	c->rx_paused = c->tx_bytes > CONN_TX_HIGH_WATER;
	if (!c->rx_paused && !c->close_after_flush) {
		ev |= EPOLLIN;
		conn_rx_resume_later(c);
	}
	/* Wait for room only after a short write: PDUs on the flush list
	 * are written before the loop waits anyway, and switching EPOLLOUT
	 * on and off around that would cost two epoll_ctl per command. */
	if (c->tx_head != NULL && !c->flush_queued)
		ev |= EPOLLOUT;
	evloop_mod(c->w->loop, &c->watch, ev);
}

static void
conn_flush(struct conn *c)
{
	while (c->tx_head != NULL && c->state != CONN_CLOSED) {
		struct iovec iov[CONN_TX_IOV];
		int n = 0;
		ssize_t w;

		for (struct tx_pdu *p = c->tx_head; p != NULL &&
		    n + 3 <= CONN_TX_IOV; p = p->next) {
			size_t skip = p->sent;
			struct iovec parts[3] = {
				{ p->hdr, p->hdr_len },
				{ (void *)p->data, p->data_len },
				{ p->trailer, p->trailer_len },
			};

			for (int i = 0; i < 3; i++) {
				if (skip >= parts[i].iov_len) {
					skip -= parts[i].iov_len;
					continue;
				}
				iov[n].iov_base = (uint8_t *)parts[i].iov_base +
				    skip;
				iov[n].iov_len = parts[i].iov_len - skip;
				skip = 0;
				n++;
			}
		}
		w = writev(c->watch.fd, iov, n);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			conn_close(c, errno == EPIPE || errno == ECONNRESET ?
			    "peer closed the connection" : strerror(errno));
			return;
		}
		c->tx_bytes -= (size_t)w;
		while (w > 0) {
			struct tx_pdu *p = c->tx_head;
			size_t total = p->hdr_len + p->data_len +
			    p->trailer_len;
			size_t left = total - p->sent;

			if ((size_t)w < left) {
				p->sent += (size_t)w;
				break;
			}
			w -= (ssize_t)left;
			c->tx_head = p->next;
			if (c->tx_head == NULL)
				c->tx_tail = &c->tx_head;
			tx_pdu_free(p);
		}
	}
	if (c->state == CONN_CLOSED)
		return;
	if (c->tx_head == NULL && c->close_after_flush) {
		conn_close(c, NULL);
		return;
	}
	conn_update_events(c);
}

void
conn_close_after_flush(struct conn *c)
{
	c->close_after_flush = true;
	conn_flush(c);
}

/* Rejects PDUs that are not allowed in the connection's phase; returns true
 * if the PDU may be dispatched. */
static bool
conn_phase_allows(struct conn *c, const uint8_t *bhs)
{
	uint8_t op = pdu_opcode(bhs);

	if (c->state == CONN_LOGIN) {
		/* RFC7143 6.1: only Login Requests until login completes. */
		if (op != ISCSI_OP_LOGIN_REQ) {
			conn_close(c, "non-login PDU during login");
			return false;
		}
		return true;
	}
	if (op == ISCSI_OP_LOGIN_REQ) {
		conn_reject(c, bhs, REJECT_PROTOCOL_ERROR);
		conn_close_after_flush(c);
		return false;
	}
	if (c->sess->type == PARAM_SESSION_DISCOVERY &&
	    op != ISCSI_OP_TEXT_REQ && op != ISCSI_OP_LOGOUT_REQ &&
	    op != ISCSI_OP_NOP_OUT) {
		/* RFC7143 4.3: a discovery session only carries Text,
		 * Logout and NOP PDUs. */
		conn_reject(c, bhs, REJECT_PROTOCOL_ERROR);
		return false;
	}
	return true;
}

static void
nop_out_rx(struct conn *c, const uint8_t *bhs, uint8_t *data, uint32_t dsl)
{
	uint32_t itt = get_be32(bhs + BHS_ITT);
	uint32_t ttt = get_be32(bhs + BHS_TTT);
	struct tx_pdu *p;

	if (itt == ISCSI_RESERVED_TAG) {
		/* The answer to our NOP-In ping (RFC7143 11.18). */
		if (ttt != ISCSI_RESERVED_TAG && ttt == c->nop_ttt)
			c->nop_ttt = ISCSI_RESERVED_TAG;
		bufpool_put(data);
		return;
	}
	/* RFC7143 11.19: a ping answer echoes the data, with TTT reserved. */
	p = conn_pdu_new(ISCSI_OP_NOP_IN);
	p->hdr[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	memcpy(p->hdr + BHS_LUN, bhs + BHS_LUN, 8);
	put_be32(p->hdr + BHS_ITT, itt);
	put_be32(p->hdr + BHS_TTT, ISCSI_RESERVED_TAG);
	if (dsl > c->max_xmit_dsl)
		dsl = c->max_xmit_dsl;
	if (dsl > 0) {
		p->owned = xmalloc(dsl);
		memcpy(p->owned, data, dsl);
	}
	bufpool_put(data);
	p->data = p->owned;
	p->data_len = dsl;
	conn_send(c, p, true);
}

static void
snack_rx(struct conn *c, const uint8_t *bhs)
{
	/* RFC7143 7.1.4 and 11.16: SNACK support is required only at
	 * ErrorRecoveryLevel > 0; we negotiate 0. */
	conn_reject(c, bhs, REJECT_COMMAND_NOT_SUPPORTED);
}

/* RFC7143 3.2.2.1: PDUs that carry a CmdSN the window orders. */
static bool
op_has_cmdsn(uint8_t op)
{
	switch (op) {
	case ISCSI_OP_NOP_OUT:
	case ISCSI_OP_SCSI_CMD:
	case ISCSI_OP_TMF_REQ:
	case ISCSI_OP_TEXT_REQ:
	case ISCSI_OP_LOGOUT_REQ:
		return true;
	default:
		return false;
	}
}

void
conn_dispatch(struct conn *c, const uint8_t *bhs, uint8_t *data, uint32_t dsl)
{
	uint8_t op = pdu_opcode(bhs);

	c->last_rx = evloop_now();
	if (!conn_phase_allows(c, bhs)) {
		bufpool_put(data);
		return;
	}
	/* Every PDU but Data-Out acknowledges our StatSN. */
	if (c->state == CONN_FULL_FEATURE && op != ISCSI_OP_DATA_OUT)
		c->exp_stat_sn = get_be32(bhs + BHS_CMD_EXPSTATSN);
	if (c->state == CONN_FULL_FEATURE && op_has_cmdsn(op)) {
		switch (session_check_cmdsn(c->sess, bhs)) {
		case CMDSN_DROP:
			bufpool_put(data);
			return;
		case CMDSN_HOLD:
			/* ahead of its turn (multiple connections) */
			if (!session_hold(c->sess, c, bhs, data, dsl,
			    get_be32(bhs + BHS_CMD_CMDSN), false))
				conn_close(c, "too many PDUs held out of order");
			return;
		case CMDSN_NOW:
			break;
		}
	}
	switch (op) {
	case ISCSI_OP_LOGIN_REQ:
		login_rx(c, bhs, data, dsl);
		return;
	case ISCSI_OP_NOP_OUT:
		nop_out_rx(c, bhs, data, dsl);
		return;
	case ISCSI_OP_SCSI_CMD:
		scsi_cmd_rx(c, bhs, data, dsl);
		return;
	case ISCSI_OP_DATA_OUT:
		scsi_data_out_rx(c, bhs, data, dsl);
		return;
	case ISCSI_OP_TEXT_REQ:
		text_rx(c, bhs, data, dsl);
		return;
	case ISCSI_OP_TMF_REQ:
		tmf_rx(c, bhs);
		break;
	case ISCSI_OP_LOGOUT_REQ:
		logout_rx(c, bhs);
		break;
	case ISCSI_OP_SNACK_REQ:
		snack_rx(c, bhs);
		break;
	default:
		conn_reject(c, bhs, REJECT_COMMAND_NOT_SUPPORTED);
		break;
	}
	bufpool_put(data);
}

/* Dispatches, then runs commands that the PDU's CmdSN has unblocked. */
static void
conn_dispatch_in_order(struct conn *c, const uint8_t *bhs, uint8_t *data,
    uint32_t dsl)
{
	struct session *s = c->sess;

	if (s == NULL) {
		conn_dispatch(c, bhs, data, dsl);
		return;
	}
	session_get(s);
	conn_dispatch(c, bhs, data, dsl);
	session_run_held(s);
	session_put(s);
}

static uint32_t
rx_ahead_left(const struct conn *c)
{
	return c->rx_ahead_len - c->rx_ahead_off;
}

/* Returns the read-ahead buffer to the pool once it is empty. */
static void
rx_ahead_release(struct conn *c)
{
	if (c->rx_ahead == NULL || rx_ahead_left(c) > 0)
		return;
	bufpool_put(c->rx_ahead);
	c->rx_ahead = NULL;
	c->rx_ahead_off = c->rx_ahead_len = 0;
}

/* Moves read-ahead bytes into buf, up to want. */
static void
rx_take_ahead(struct conn *c, uint8_t *buf, uint32_t want)
{
	uint32_t n = want - c->rx_got;

	if (n > rx_ahead_left(c))
		n = rx_ahead_left(c);
	memcpy(buf + c->rx_got, c->rx_ahead + c->rx_ahead_off, n);
	c->rx_got += n;
	c->rx_ahead_off += n;
	rx_ahead_release(c);
}

/* Reads into buf until want bytes are there: first what was read ahead,
 * then from the socket, small remainders through the read-ahead buffer
 * so that one read() brings in the PDUs behind this one too. Returns 1
 * when complete, 0 when the socket has nothing more for now, -1 when the
 * connection was closed. */
static int
conn_read(struct conn *c, uint8_t *buf, uint32_t want)
{
	while (c->rx_got < want) {
		uint32_t need = want - c->rx_got;
		uint8_t *dst = buf + c->rx_got;
		size_t ask = need;
		ssize_t r;

		if (rx_ahead_left(c) > 0) {
			rx_take_ahead(c, buf, want);
			continue;
		}
		/* The socket was found empty since the last EPOLLIN: asking
		 * again would cost a read() that says EAGAIN. Epoll is
		 * level-triggered, so data arriving meanwhile wakes us. */
		if (c->rx_drained)
			return 0;
		if (need < CONN_RX_AHEAD) {
			if (c->rx_ahead == NULL)
				c->rx_ahead = bufpool_get(CONN_RX_AHEAD);
			dst = c->rx_ahead;
			ask = CONN_RX_AHEAD;
		}
		r = read(c->watch.fd, dst, ask);
		if (r > 0) {
			c->rx_drained = (size_t)r < ask;
			if (dst == c->rx_ahead) {
				c->rx_ahead_off = 0;
				c->rx_ahead_len = (uint32_t)r;
			} else {
				c->rx_got += (uint32_t)r;
			}
			continue;
		}
		rx_ahead_release(c);
		if (r == 0) {
			conn_close(c, c->state == CONN_FULL_FEATURE ||
			    c->state == CONN_LOGIN ? "peer closed the connection"
			    : NULL);
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		conn_close(c, strerror(errno));
		return -1;
	}
	return 1;
}

/* The header is complete: validates it and sets up the data phase.
 * Returns false if the connection was closed. */
static bool
conn_header_done(struct conn *c)
{
	const uint8_t *bhs = c->rx_hdr;
	uint32_t ahs = pdu_ahs_len(bhs), dsl = pdu_dsl(bhs);
	uint32_t limit = c->max_recv_dsl;

	if (c->rx_hdr_want == ISCSI_BHS_LEN &&
	    (ahs > 0 || c->header_digest)) {
		c->rx_hdr_want += ahs + (c->header_digest ? ISCSI_DIGEST_LEN :
		    0);
		return true;
	}
	if (c->header_digest) {
		uint32_t len = ISCSI_BHS_LEN + ahs;

		if (crc32c(c->rx_hdr, len) != get_digest(c->rx_hdr + len)) {
			/* RFC7143 7.8: a header digest error leaves the
			 * PDU boundary unknown; at ERL 0 drop the
			 * connection. */
			conn_close(c, "header digest error");
			return false;
		}
	}
	if (pdu_opcode(bhs) == ISCSI_OP_LOGIN_REQ ||
	    pdu_opcode(bhs) == ISCSI_OP_TEXT_REQ)
		limit = limit > CONN_LOGIN_MAX_DSL ? limit : CONN_LOGIN_MAX_DSL;
	if (dsl > limit) {
		/* RFC7143 13.12: the initiator must not send more than we
		 * declared; the stream cannot be trusted past this. */
		conn_log(c, "%s with DataSegmentLength %u over the limit %u",
		    pdu_opcode_name(pdu_opcode(bhs)), dsl, limit);
		conn_reject(c, bhs, REJECT_PROTOCOL_ERROR);
		conn_close_after_flush(c);
		return false;
	}
	c->rx_state = RX_DATA;
	c->rx_got = 0;
	c->rx_data_want = dsl + pdu_pad(dsl) +
	    (dsl > 0 && c->data_digest ? ISCSI_DIGEST_LEN : 0);
	c->rx_data = c->rx_data_want ? bufpool_get(c->rx_data_want) : NULL;
	return true;
}

/* The data segment is complete: checks the digest and dispatches. */
static void
conn_data_done(struct conn *c)
{
	uint8_t bhs[ISCSI_BHS_LEN];
	uint32_t dsl = pdu_dsl(c->rx_hdr);
	uint8_t *data = c->rx_data;

	memcpy(bhs, c->rx_hdr, ISCSI_BHS_LEN);
	c->rx_data = NULL;
	c->rx_state = RX_HEADER;
	c->rx_got = 0;
	c->rx_hdr_want = ISCSI_BHS_LEN;
	if (dsl > 0 && c->data_digest) {
		uint32_t padded = dsl + pdu_pad(dsl);

		if (crc32c(data, padded) != get_digest(data + padded)) {
			/* RFC7143 7.8: at ERL 0 a data digest error is
			 * answered with a Reject and the PDU discarded; the
			 * task cannot complete, so the connection ends. */
			conn_reject(c, bhs, REJECT_DATA_DIGEST_ERROR);
			bufpool_put(data);
			conn_close_after_flush(c);
			return;
		}
	}
	conn_dispatch_in_order(c, bhs, data, dsl);
}

static void conn_rx(struct conn *c);

/* Deferred: handles PDUs left in the read-ahead buffer after a wakeup's
 * budget ran out or receiving was paused. It reads nothing from the
 * socket, so a peer that keeps sending cannot hold the loop here. */
static void
conn_rx_resume(void *arg)
{
	struct conn *c = arg;

	c->rx_resume_queued = false;
	if (c->state == CONN_CLOSED || c->moving)
		return;
	c->rx_drained = true;
	conn_rx(c);
	if (c->state != CONN_CLOSED)
		conn_update_events(c);
}

/* Epoll only reports bytes in the socket: PDUs already read ahead need
 * their own wakeup. */
static void
conn_rx_resume_later(struct conn *c)
{
	if (c->rx_resume_queued || c->state == CONN_CLOSED || c->moving ||
	    c->rx_paused || c->close_after_flush || rx_ahead_left(c) == 0)
		return;
	c->rx_resume_queued = true;
	evloop_defer(c->w->loop, conn_rx_resume, c);
}

static void
conn_rx(struct conn *c)
{
	for (int budget = CONN_RX_BUDGET; budget > 0; budget--) {
		int rc;

		if (c->state == CONN_CLOSED || c->rx_paused ||
		    c->close_after_flush || c->moving)
			return;
		if (c->rx_state == RX_HEADER) {
			rc = conn_read(c, c->rx_hdr, c->rx_hdr_want);
			if (rc <= 0)
				return;
			if (!conn_header_done(c))
				return;
			if (c->rx_state == RX_HEADER)
				continue; /* now reading AHS and digest */
		}
		rc = conn_read(c, c->rx_data, c->rx_data_want);
		if (rc <= 0)
			return;
		conn_data_done(c);
	}
	conn_rx_resume_later(c);
}

static void
conn_ready(struct evloop_watch *w, uint32_t events)
{
	struct conn *c = w->arg;

	if (events & EPOLLOUT)
		conn_flush(c);
	if (c->state == CONN_CLOSED)
		return;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		c->rx_drained = false;
		conn_rx(c);
	}
	if (c->state != CONN_CLOSED && !c->moving)
		conn_update_events(c);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Sessions: the table of live sessions, TSIH allocation, reference counts,
 * the CmdSN window (RFC7143 4.2.2.1) and the session's connections. */
#include "iscsi/conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "limits_minisan.h"
#include "util/bufpool.h"
#include "util/xalloc.h"

struct session *
session_new(struct iscsi_worker *w)
{
	struct iscsi_server *srv = w->srv;
	struct session *s = xcalloc(1, sizeof(*s));

	s->srv = srv;
	s->w = w;
	s->refs = 1;
	/* RFC7143 11.12.6: TSIH 0 is reserved. One counter for all loops
	 * keeps TSIHs distinct across targets (minisanctl shows them) until
	 * it wraps; then a tag still in use on this loop, the only place a
	 * session of the same target can be, is skipped. */
	for (;;) {
		uint16_t tsih = (uint16_t)++srv->next_tsih;
		struct session *o;

		if (tsih == 0)
			continue;
		for (o = w->sessions; o != NULL; o = o->next)
			if (o->tsih == tsih)
				break;
		if (o == NULL) {
			s->tsih = tsih;
			break;
		}
	}
	pthread_mutex_lock(&srv->sess_lock);
	s->next = w->sessions;
	w->sessions = s;
	pthread_mutex_unlock(&srv->sess_lock);
	srv->nsessions++;
	return s;
}

void
session_get(struct session *s)
{
	s->refs++;
}

void
session_put(struct session *s)
{
	struct session **pp;

	if (--s->refs > 0)
		return;
	pthread_mutex_lock(&s->srv->sess_lock);
	for (pp = &s->w->sessions; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&s->srv->sess_lock);
	s->srv->nsessions--;
	if (s->target != NULL)
		scsi_nexus_loss(&s->target->scsi, &s->nexus);
	free(s);
}

struct session *
session_find(struct iscsi_worker *w, const char *iname, const uint8_t *isid,
    uint16_t tsih, const struct iscsi_target *tgt)
{
	for (struct session *s = w->sessions; s != NULL; s = s->next) {
		if (s->closing)
			continue;
		if (tsih != 0 && s->tsih != tsih)
			continue;
		if (memcmp(s->isid, isid, sizeof(s->isid)) != 0)
			continue;
		if (strcasecmp(s->initiator_name, iname) != 0)
			continue;
		if (s->target != tgt)
			continue;
		return s;
	}
	return NULL;
}

void
session_add_conn(struct session *s, struct conn *c)
{
	session_get(s);
	c->sess = s;
	c->sess_next = s->conns;
	s->conns = c;
	pthread_mutex_lock(&s->srv->sess_lock);
	s->nconns++;
	pthread_mutex_unlock(&s->srv->sess_lock);
}

void
session_set_closing(struct session *s)
{
	pthread_mutex_lock(&s->srv->sess_lock);
	s->closing = true;
	pthread_mutex_unlock(&s->srv->sess_lock);
}

void
session_remove_conn(struct session *s, struct conn *c)
{
	for (struct conn **pp = &s->conns; *pp != NULL;
	    pp = &(*pp)->sess_next) {
		if (*pp == c) {
			*pp = c->sess_next;
			pthread_mutex_lock(&s->srv->sess_lock);
			s->nconns--;
			pthread_mutex_unlock(&s->srv->sess_lock);
			break;
		}
	}
	/* RFC7143 6.3.6: at ErrorRecoveryLevel 0 the session ends with its
	 * last connection. */
	if (s->nconns == 0)
		session_set_closing(s);
}

void
session_close(struct session *s, const char *reason)
{
	session_get(s);
	session_set_closing(s);
	while (s->conns != NULL)
		conn_close(s->conns, reason);
	session_put(s);
}

struct iscsi_task *
session_find_task(struct session *s, uint32_t itt)
{
	for (struct conn *c = s->conns; c != NULL; c = c->sess_next)
		for (struct iscsi_task *t = c->tasks; t != NULL; t = t->next)
			if (t->itt == itt)
				return t;
	return NULL;
}

void
session_update_window(struct session *s)
{
	uint32_t window = param_cmd_window(&s->params);
	uint32_t room = s->ntasks < window ? window - s->ntasks : 1;
	uint32_t max = s->exp_cmd_sn + room - 1;

	/* RFC7143 4.2.2.1: MaxCmdSN never moves backwards. */
	if (sn_lt(s->max_cmd_sn, max))
		s->max_cmd_sn = max;
}

enum cmdsn_verdict
session_check_cmdsn(struct session *s, const uint8_t *bhs)
{
	uint32_t cmd_sn = get_be32(bhs + BHS_CMD_CMDSN);

	/* RFC7143 4.2.2.1: immediate PDUs do not advance CmdSN. */
	if (pdu_is_immediate(bhs))
		return CMDSN_NOW;
	/* "...the target MUST silently ignore any non-immediate command
	 * outside of this range or non-immediate duplicates within the
	 * range." */
	if (sn_lt(cmd_sn, s->exp_cmd_sn) || sn_lt(s->max_cmd_sn, cmd_sn))
		return CMDSN_DROP;
	if (cmd_sn != s->exp_cmd_sn)
		return CMDSN_HOLD;
	s->exp_cmd_sn++;
	return CMDSN_NOW;
}

bool
session_hold(struct session *s, struct conn *c, const uint8_t *bhs,
    uint8_t *data, uint32_t dsl, uint32_t cmd_sn, bool data_out)
{
	struct held_pdu *h, **pp;

	/* Commands are bounded by the CmdSN window; their Data-Out by
	 * FirstBurstLength each. Count both against twice the window, and
	 * their data against what the window's unsolicited data can be. */
	if (s->nheld >= 2 * MINISAN_CMD_WINDOW ||
	    dsl > MINISAN_UNSOL_MAX - s->held_bytes) {
		bufpool_put(data);
		return false;
	}
	h = xcalloc(1, sizeof(*h));
	h->conn = c;
	memcpy(h->bhs, bhs, ISCSI_BHS_LEN);
	h->data = data;
	h->dsl = dsl;
	h->cmd_sn = cmd_sn;
	h->data_out = data_out;
	s->held_bytes += dsl;
	for (pp = &s->held; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = h;
	s->nheld++;
	return true;
}

struct held_pdu *
session_find_held_cmd(struct session *s, const struct conn *c, uint32_t itt)
{
	for (struct held_pdu *h = s->held; h != NULL; h = h->next)
		if (!h->data_out && h->conn == c &&
		    pdu_opcode(h->bhs) == ISCSI_OP_SCSI_CMD &&
		    get_be32(h->bhs + BHS_ITT) == itt)
			return h;
	return NULL;
}

/* Unlinks and returns the first held PDU matching the predicate. */
static struct held_pdu *
held_take(struct session *s, uint32_t cmd_sn, bool data_out)
{
	for (struct held_pdu **pp = &s->held; *pp != NULL;
	    pp = &(*pp)->next) {
		struct held_pdu *h = *pp;

		if (h->cmd_sn == cmd_sn && h->data_out == data_out) {
			*pp = h->next;
			s->nheld--;
			s->held_bytes -= h->dsl;
			return h;
		}
	}
	return NULL;
}

void
session_run_held(struct session *s)
{
	struct held_pdu *h;

	if (s->draining || s->held == NULL)
		return;
	s->draining = true;
	session_get(s);
	while (!s->closing && (h = held_take(s, s->exp_cmd_sn, false))) {
		uint32_t sn = h->cmd_sn;
		struct held_pdu *d;

		conn_dispatch(h->conn, h->bhs, h->data, h->dsl);
		free(h);
		/* then the Data-Out that followed the command */
		while ((d = held_take(s, sn, true)) != NULL) {
			conn_dispatch(d->conn, d->bhs, d->data, d->dsl);
			free(d);
		}
	}
	s->draining = false;
	session_put(s);
}

void
session_drop_held(struct session *s, const struct conn *c)
{
	struct held_pdu **pp = &s->held;

	while (*pp != NULL) {
		struct held_pdu *h = *pp;

		if (h->conn == c) {
			*pp = h->next;
			s->nheld--;
			s->held_bytes -= h->dsl;
			bufpool_put(h->data);
			free(h);
		} else {
			pp = &h->next;
		}
	}
}

static void
visit_session(const struct session *s, iscsi_session_visit_cb *scb,
    iscsi_conn_visit_cb *ccb, void *arg)
{
	struct iscsi_session_info si;

	memset(&si, 0, sizeof(si));
	si.tsih = s->tsih;
	for (size_t i = 0; i < sizeof(s->isid); i++)
		snprintf(si.isid + 2 * i, 3, "%02x", s->isid[i]);
	si.initiator = s->initiator_name;
	si.target = s->target != NULL ? s->target->name : NULL;
	si.nconns = s->nconns;
	si.ntasks = s->ntasks;
	si.params = s->params;
	scb(&si, arg);
	for (const struct conn *c = s->conns; c != NULL; c = c->sess_next) {
		struct iscsi_conn_info ci;

		memset(&ci, 0, sizeof(ci));
		ci.id = c->id;
		ci.cid = c->cid;
		ci.peer = c->peer;
		net_format_addr(&c->local, ci.local, sizeof(ci.local));
		ci.header_digest = c->header_digest;
		ci.data_digest = c->data_digest;
		ci.max_recv_dsl = c->max_recv_dsl;
		ci.max_xmit_dsl = c->max_xmit_dsl;
		ci.ntasks = c->ntasks;
		ccb(&ci, arg);
	}
}

void
iscsi_server_each_session(struct iscsi_server *srv,
    iscsi_session_visit_cb *scb, iscsi_conn_visit_cb *ccb, void *arg)
{
	for (unsigned i = 0; i < srv->nworkers; i++) {
		const struct session *s = srv->workers[i]->sessions;

		for (; s != NULL; s = s->next)
			if (!s->closing)
				visit_session(s, scb, ccb, arg);
	}
}

unsigned
iscsi_server_target_sessions(const struct iscsi_server *srv,
    const struct iscsi_target *t)
{
	unsigned n = 0;

	const struct iscsi_worker *w = srv->workers[t->worker];

	for (const struct session *s = w->sessions; s != NULL; s = s->next)
		if (s->target == t && !s->closing)
			n++;
	return n;
}

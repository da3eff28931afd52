/* SPDX-License-Identifier: BSD-2-Clause */
/* The login phase (RFC7143 6 and 11.12/11.13): stage transitions, security
 * (AuthMethod) and operational negotiation, continued text in both
 * directions, and the session it creates, joins or reinstates. */
#include "iscsi/conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "iscsi/chap.h"
#include "iscsi/param.h"
#include "iscsi/text.h"
#include "limits_minisan.h"
#include "util/log.h"
#include "util/bufpool.h"
#include "util/xalloc.h"

/* RFC7143 11.12.4: version 0x00 is the only one defined. */
#define ISCSI_VERSION 0x00

/* State of one connection's login. Owned by the connection. */
struct login_state {
	struct param_neg neg;
	uint8_t isid[6];
	uint16_t tsih;
	uint16_t cid;
	uint32_t itt;
	uint32_t cmd_sn;
	int stage;                   /* current stage (CSG expected) */
	bool started;
	bool auth_done;              /* authenticated, or none needed */
	bool chap_active;            /* AuthMethod=CHAP agreed */
	struct chap chap;
	bool target_declared;        /* TPGT/alias sent */
	struct iscsi_target *target;
	struct session *join;        /* session a non-leading conn joins */
	uint8_t *in;                 /* continued request text */
	uint32_t in_len;
	struct text_buf out;         /* response text not yet sent */
	size_t out_off;
	bool out_transit;            /* pending T bit once out is drained */
	int out_nsg;
};

void
login_state_free(struct login_state *ls)
{
	if (ls == NULL)
		return;
	if (ls->join != NULL)
		session_put(ls->join);
	chap_fini(&ls->chap);
	free(ls->in);
	text_buf_fini(&ls->out);
	free(ls);
}

static struct tx_pdu *
login_rsp_new(struct conn *c, struct login_state *ls)
{
	struct tx_pdu *p = conn_pdu_new(ISCSI_OP_LOGIN_RSP);

	p->hdr[BHS_LOGIN_VMAX] = ISCSI_VERSION;
	p->hdr[BHS_LOGIN_VMIN] = ISCSI_VERSION; /* version-active */
	memcpy(p->hdr + BHS_LOGIN_ISID, ls->isid, 6);
	put_be32(p->hdr + BHS_ITT, ls->itt);
	put_be32(p->hdr + BHS_RSP_EXPCMDSN, ls->cmd_sn);
	put_be32(p->hdr + BHS_RSP_MAXCMDSN, ls->cmd_sn +
	    param_cmd_window(&ls->neg.set) - 1);
	(void)c;
	return p;
}

/* Ends the login with a failure status; the connection closes once the
 * response is sent (RFC7143 11.13.5). */
static void
login_fail(struct conn *c, struct login_state *ls, uint16_t status,
    const char *why)
{
	struct tx_pdu *p = login_rsp_new(c, ls);
	char iname[ISCSI_NAME_MAX * 4 + 1], tname[ISCSI_NAME_MAX * 4 + 1];

	log_sanitize(ls->neg.initiator_name, sizeof(ls->neg.initiator_name),
	    iname, sizeof(iname));
	log_sanitize(ls->neg.target_name, sizeof(ls->neg.target_name), tname,
	    sizeof(tname));
	conn_log(c, "login failed (status 0x%04x): %s; initiator '%s', "
	    "target '%s'", status, why, iname, tname);
	p->hdr[BHS_FLAGS] = (uint8_t)(ls->stage << 2);
	put_be16(p->hdr + BHS_LOGIN_TSIH, 0);
	p->hdr[BHS_LOGIN_STATUS_CLASS] = (uint8_t)(status >> 8);
	p->hdr[BHS_LOGIN_STATUS_DETAIL] = (uint8_t)status;
	conn_send(c, p, true);
	conn_close_after_flush(c);
}

/* Sends the next chunk of pending response text. */
static void
login_send_text(struct conn *c, struct login_state *ls, bool final_ok,
    uint16_t tsih)
{
	struct tx_pdu *p = login_rsp_new(c, ls);
	size_t left = ls->out.len - ls->out_off;
	uint32_t n = left > c->max_xmit_dsl ? c->max_xmit_dsl :
	    (uint32_t)left;
	uint8_t flags = (uint8_t)(ls->stage << 2);

	if (n < left) {
		flags |= ISCSI_FLAG_CONTINUE;
	} else if (ls->out_transit) {
		flags |= ISCSI_FLAG_TRANSIT | (uint8_t)ls->out_nsg;
	}
	p->hdr[BHS_FLAGS] = flags;
	if (final_ok && n == left)
		put_be16(p->hdr + BHS_LOGIN_TSIH, tsih);
	if (n > 0) {
		p->owned = xmalloc(n);
		memcpy(p->owned, ls->out.data + ls->out_off, n);
		p->data = p->owned;
		p->data_len = n;
	}
	ls->out_off += n;
	conn_send(c, p, true);
}

static bool
auth_method_has(const char *list, const char *method)
{
	size_t mlen = strlen(method);
	const char *p = list;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if (n == mlen && strncmp(p, method, n) == 0)
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

/* The credentials this login must present, or NULL if none are needed. */
static const struct chap_cred *
login_required_cred(struct conn *c, struct login_state *ls)
{
	const struct chap_cred *cr = ls->neg.session_type ==
	    PARAM_SESSION_DISCOVERY ? &c->srv->discovery_chap :
	    ls->target != NULL ? &ls->target->chap : NULL;

	return cr != NULL && cr->user != NULL ? cr : NULL;
}

/* Security keys (RFC7143 12): AuthMethod, then CHAP. Returns 0 or a login
 * status with *why set. */
static uint16_t
login_security_keys(struct conn *c, struct login_state *ls,
    const struct text_list *kv, struct text_buf *out, const char **why)
{
	const struct chap_cred *cred = login_required_cred(c, ls);
	const char *am = text_find(kv, "AuthMethod");
	bool chap_keys = false;

	for (size_t i = 0; i < kv->n; i++) {
		if (!param_is_security_key(kv->kv[i].key))
			continue;
		if (ls->stage != ISCSI_STAGE_SECURITY) {
			*why = "security key outside the security stage";
			return LOGIN_STATUS_INITIATOR_ERROR;
		}
		chap_keys |= strncmp(kv->kv[i].key, "CHAP_", 5) == 0;
	}
	if (am != NULL) {
		if (cred != NULL && auth_method_has(am, "CHAP")) {
			uint8_t rnd[CHAP_RANDOM_LEN];

			/* RFC7143 12.1.3: challenges must be unpredictable */
			if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
				*why = "no random bytes for a CHAP challenge";
				return LOGIN_STATUS_TARGET_ERROR;
			}
			text_buf_add(out, "AuthMethod", "CHAP");
			chap_fini(&ls->chap);
			chap_start(&ls->chap, cred, rnd);
			explicit_bzero(rnd, sizeof(rnd));
			ls->chap_active = true;
		} else if (cred == NULL && auth_method_has(am, "None")) {
			text_buf_add(out, "AuthMethod", "None");
			ls->auth_done = true;
		} else {
			text_buf_add(out, "AuthMethod", "Reject");
			*why = cred != NULL ? "CHAP required, initiator did not "
			    "offer it" : "initiator insists on authentication "
			    "that is not configured";
			return LOGIN_STATUS_AUTH_FAILED;
		}
	}
	if (chap_keys || (ls->chap_active && am == NULL)) {
		if (!ls->chap_active) {
			*why = "CHAP keys without AuthMethod=CHAP";
			return LOGIN_STATUS_INITIATOR_ERROR;
		}
		if (chap_handle(&ls->chap, kv, out, why) < 0)
			return LOGIN_STATUS_AUTH_FAILED;
		if (ls->chap.state == CHAP_DONE && !ls->auth_done) {
			ls->auth_done = true;
			conn_log(c, "CHAP with %s%s: initiator authenticated",
			    hash_name(ls->chap.alg),
			    ls->chap.cred.mutual_user != NULL ?
			    ", mutual (target authenticated too)" : "");
		}
	}
	return 0;
}

/* Caps what one initiator name holds (RFC7143 11.13.5: 0302 "Out of
 * resources"); a session this login reinstates does not count. */
static uint16_t
login_check_initiator_share(struct conn *c, struct login_state *ls,
    const char **why)
{
	struct iscsi_server *srv = c->srv;
	unsigned sessions = 0, conns = 0;

	/* The initiator may hold sessions on every loop: their lists, the
	 * closing flags and connection counts change under sess_lock, and
	 * the name, target and ISID not after login. */
	pthread_mutex_lock(&srv->sess_lock);
	for (unsigned i = 0; i < srv->nworkers; i++) {
		const struct session *s = srv->workers[i]->sessions;

		for (; s != NULL; s = s->next) {
			if (s->closing || strcasecmp(s->initiator_name,
			    ls->neg.initiator_name) != 0)
				continue;
			if (ls->tsih == 0 && s->target == ls->target &&
			    memcmp(s->isid, ls->isid, sizeof(s->isid)) == 0)
				continue; /* about to be reinstated */
			sessions++;
			conns += s->nconns;
		}
	}
	pthread_mutex_unlock(&srv->sess_lock);
	if (ls->tsih == 0 && sessions >= MINISAN_MAX_SESSIONS_PER_INITIATOR) {
		*why = "initiator holds too many sessions";
		return LOGIN_STATUS_OUT_OF_RESOURCES;
	}
	if (conns >= MINISAN_MAX_CONNS_PER_INITIATOR) {
		*why = "initiator holds too many connections";
		return LOGIN_STATUS_OUT_OF_RESOURCES;
	}
	return 0;
}

/* Checks the leading-connection declarations once they have all arrived
 * (the first request must carry them: RFC7143 6.3). Returns 0 or a login
 * status with *why set. */
static uint16_t
login_check_identity(struct conn *c, struct login_state *ls,
    const char **why)
{
	struct param_neg *n = &ls->neg;

	if (n->initiator_name[0] == '\0') {
		*why = "no InitiatorName";
		return LOGIN_STATUS_MISSING_PARAMETER;
	}
	if (n->session_type == PARAM_SESSION_NONE)
		n->session_type = PARAM_SESSION_NORMAL;
	if (n->session_type == PARAM_SESSION_NORMAL) {
		if (n->target_name[0] == '\0') {
			*why = "no TargetName";
			return LOGIN_STATUS_MISSING_PARAMETER;
		}
		ls->target = iscsi_server_find_target(c->srv, n->target_name);
		if (ls->target == NULL) {
			*why = "no such target";
			return LOGIN_STATUS_NOT_FOUND;
		}
		if (ls->target->worker != c->w->index) {
			/* a reload moved it between the hand-over and now */
			*why = "target moved to another loop, try again";
			return LOGIN_STATUS_SERVICE_UNAVAILABLE;
		}
		if (!iscsi_target_allows(ls->target, n->initiator_name,
		    &c->peer_addr)) {
			/* RFC7143 11.13.5: 0202 "Authorization failure" */
			*why = "initiator or its network not on the target's "
			    "access list";
			return LOGIN_STATUS_FORBIDDEN;
		}
	}
	if (ls->tsih != 0) {
		/* RFC7143 6.3.1: a non-zero TSIH adds a connection. */
		struct session *s = session_find(c->w, n->initiator_name,
		    ls->isid, ls->tsih, ls->target);

		if (s == NULL) {
			*why = "TSIH names no session of this initiator";
			return LOGIN_STATUS_SESSION_DOES_NOT_EXIST;
		}
		if (s->type != n->session_type) {
			*why = "SessionType differs from the session's";
			return LOGIN_STATUS_INITIATOR_ERROR;
		}
		if (s->nconns >= s->params.max_connections) {
			bool replacing = false;

			for (struct conn *o = s->conns; o != NULL;
			    o = o->sess_next)
				replacing |= o->cid == ls->cid;
			if (!replacing) {
				*why = "MaxConnections reached";
				return LOGIN_STATUS_TOO_MANY_CONNECTIONS;
			}
		}
		session_get(s);
		ls->join = s;
	} else if (c->srv->nsessions >= MINISAN_MAX_SESSIONS) {
		*why = "too many sessions";
		return LOGIN_STATUS_OUT_OF_RESOURCES;
	}
	return login_check_initiator_share(c, ls, why);
}

static void
format_port_names(struct session *s, struct iscsi_server *srv)
{
	const char *tname = s->target ? s->target->name : "discovery";

	/* SAM-5 / RFC7143 10.1.1: initiator port "name,i,0xISID", target
	 * port "name,t,0xTPGT". */
	snprintf(s->initiator_port, sizeof(s->initiator_port),
	    "%s,i,0x%02x%02x%02x%02x%02x%02x", s->initiator_name, s->isid[0],
	    s->isid[1], s->isid[2], s->isid[3], s->isid[4], s->isid[5]);
	snprintf(s->target_port, sizeof(s->target_port), "%s,t,0x%04x",
	    tname, srv->tpgt);
	s->nexus.initiator_port = s->initiator_port;
	s->nexus.target_port = s->target_port;
	s->nexus.rel_port_id = 1;
	s->nexus.tpgt = srv->tpgt;
	s->nexus.id = ++srv->next_nexus_id;
}

/* Login complete: binds the connection to a new or existing session. */
static void
login_complete(struct conn *c, struct login_state *ls)
{
	struct param_neg *n = &ls->neg;
	struct session *s = ls->join;

	if (s == NULL) {
		struct session *old = session_find(c->w, n->initiator_name,
		    ls->isid, 0, ls->target);

		if (old != NULL) {
			/* RFC7143 6.3.5: same initiator port and target:
			 * session reinstatement closes the old session. */
			conn_log(c, "reinstating session TSIH %u", old->tsih);
			session_close(old, "session reinstated by a new login");
		}
		s = session_new(c->w);
		memcpy(s->isid, ls->isid, 6);
		s->type = n->session_type;
		s->target = ls->target;
		snprintf(s->initiator_name, sizeof(s->initiator_name), "%s",
		    n->initiator_name);
		format_port_names(s, c->srv);
		s->params = n->set;
		s->exp_cmd_sn = ls->cmd_sn;
		s->max_cmd_sn = ls->cmd_sn + param_cmd_window(&s->params) - 1;
		session_add_conn(s, c);
		session_put(s); /* the connection holds it now */
	} else {
		for (struct conn *o = s->conns; o != NULL; o = o->sess_next) {
			if (o->cid == ls->cid) {
				/* RFC7143 6.3.4: connection reinstatement */
				conn_close(o, "connection reinstated");
				break;
			}
		}
		session_add_conn(s, c);
	}
	c->cid = ls->cid;
	c->params = s->params;
	/* connection-scoped values are this connection's own */
	c->params.max_xmit_dsl = n->set.max_xmit_dsl;
	c->params.header_digest = n->set.header_digest;
	c->params.data_digest = n->set.data_digest;
	c->state = CONN_FULL_FEATURE;
	conn_log(c, "logged in: %s session TSIH %u%s%s, CID %u",
	    s->type == PARAM_SESSION_DISCOVERY ? "discovery" : "normal",
	    s->tsih, s->target ? " to " : "", s->target ? s->target->name : "",
	    c->cid);
	conn_log(c, "negotiated: HeaderDigest=%s DataDigest=%s "
	    "MaxRecvDataSegmentLength=%u/%u MaxBurstLength=%u "
	    "FirstBurstLength=%u InitialR2T=%s ImmediateData=%s",
	    c->params.header_digest ? "CRC32C" : "None",
	    c->params.data_digest ? "CRC32C" : "None",
	    c->params.max_recv_dsl, c->params.max_xmit_dsl,
	    c->params.max_burst_length, c->params.first_burst_length,
	    c->params.initial_r2t ? "Yes" : "No",
	    c->params.immediate_data ? "Yes" : "No");
}

static void
login_respond(struct conn *c, struct login_state *ls, bool transit, int nsg)
{
	bool to_ffp = transit && nsg == ISCSI_STAGE_FULL_FEATURE;
	uint16_t tsih = 0;

	ls->out_transit = transit;
	ls->out_nsg = nsg;
	if (to_ffp && ls->out.len - ls->out_off <= c->max_xmit_dsl) {
		login_complete(c, ls);
		tsih = c->sess->tsih;
		ls->cmd_sn = c->sess->exp_cmd_sn;
	}
	login_send_text(c, ls, to_ffp, tsih);
	if (c->state == CONN_FULL_FEATURE) {
		/* RFC7143 13.1: digests apply once the login is over. */
		c->header_digest = c->params.header_digest;
		c->data_digest = c->params.data_digest;
		c->max_xmit_dsl = c->params.max_xmit_dsl;
		c->max_recv_dsl = c->params.max_recv_dsl;
		login_state_free(c->login);
		c->login = NULL;
	} else if (transit) {
		ls->stage = nsg;
	}
}

/* Validates the header of a login request against the login so far.
 * Returns 0 or a login status. */
static uint16_t
login_check_header(struct conn *c, struct login_state *ls,
    const uint8_t *bhs, const char **why)
{
	uint8_t flags = bhs[BHS_FLAGS];
	int csg = ISCSI_LOGIN_CSG(flags), nsg = ISCSI_LOGIN_NSG(flags);
	bool transit = (flags & ISCSI_FLAG_TRANSIT) != 0;

	if (!ls->started) {
		/* RFC7143 11.12.4: version-min must not exceed ours (and
		 * version-max cannot be below 0x00, the only version). */
		if (bhs[BHS_LOGIN_VMIN] > ISCSI_VERSION) {
			*why = "unsupported iSCSI version";
			return LOGIN_STATUS_UNSUPPORTED_VERSION;
		}
		memcpy(ls->isid, bhs + BHS_LOGIN_ISID, 6);
		ls->tsih = get_be16(bhs + BHS_LOGIN_TSIH);
		ls->cid = get_be16(bhs + BHS_LOGIN_CID);
		ls->itt = get_be32(bhs + BHS_ITT);
		ls->cmd_sn = get_be32(bhs + BHS_CMD_CMDSN);
		c->stat_sn = get_be32(bhs + BHS_CMD_EXPSTATSN);
		ls->stage = csg;
		ls->started = true;
	} else if (memcmp(ls->isid, bhs + BHS_LOGIN_ISID, 6) != 0 ||
	    ls->tsih != get_be16(bhs + BHS_LOGIN_TSIH) ||
	    ls->cid != get_be16(bhs + BHS_LOGIN_CID)) {
		*why = "ISID, TSIH or CID changed during login";
		return LOGIN_STATUS_INITIATOR_ERROR;
	}
	ls->itt = get_be32(bhs + BHS_ITT);
	if (csg != ls->stage || csg == ISCSI_STAGE_FULL_FEATURE || csg == 2) {
		*why = "invalid current stage";
		return LOGIN_STATUS_INITIATOR_ERROR;
	}
	if (transit && (flags & ISCSI_FLAG_CONTINUE)) {
		/* RFC7143 11.12.2: T and C must not both be set. */
		*why = "T and C bits both set";
		return LOGIN_STATUS_INITIATOR_ERROR;
	}
	if (transit && (nsg <= csg || nsg == 2)) {
		*why = "invalid next stage";
		return LOGIN_STATUS_INITIATOR_ERROR;
	}
	return 0;
}

/* On the main loop, the login request that names a target (the first,
 * RFC7143 6.3) sends the connection to the loop that serves it, before
 * any session is looked up or made: there the request is handled again
 * from the start. Returns true if c was handed over (with data). */
static bool
login_route(struct conn *c, const uint8_t *bhs, uint8_t *data, uint32_t dsl)
{
	struct login_state *ls = c->login;
	struct text_list kv = { 0 };
	const char *type, *name;
	struct iscsi_target *t = NULL;
	uint8_t *text;
	size_t len;
	int rc;

	if (c->srv->nworkers < 2 || c->w->index != 0 ||
	    (bhs[BHS_FLAGS] & ISCSI_FLAG_CONTINUE) ||
	    (ls != NULL && ls->target_declared))
		return false;
	/* the text so far (continued requests) and this PDU's */
	len = (ls != NULL ? ls->in_len : 0) + dsl;
	if (len == 0 || len > MINISAN_MAX_TEXT_BYTES)
		return false;
	text = xmalloc(len);
	if (ls != NULL && ls->in_len > 0)
		memcpy(text, ls->in, ls->in_len);
	if (dsl > 0)
		memcpy(text + len - dsl, data, dsl);
	rc = text_parse(text, len, &kv);
	free(text);
	if (rc == 0) {
		type = text_find(&kv, "SessionType");
		name = text_find(&kv, "TargetName");
		if (name != NULL && (type == NULL ||
		    strcmp(type, "Discovery") != 0))
			t = iscsi_server_find_target(c->srv, name);
	}
	text_list_fini(&kv);
	if (t == NULL || t->worker == c->w->index)
		return false; /* handled here, errors included */
	conn_move(c, c->srv->workers[t->worker], bhs, data, dsl);
	return true;
}

void
login_rx(struct conn *c, const uint8_t *bhs, uint8_t *data, uint32_t dsl)
{
	struct login_state *ls = c->login;
	uint8_t flags = bhs[BHS_FLAGS];
	bool transit = (flags & ISCSI_FLAG_TRANSIT) != 0;
	int nsg = ISCSI_LOGIN_NSG(flags);
	struct text_list kv = { 0 };
	struct text_buf out = { 0 };
	const char *why = "";
	uint16_t status;
	int rc;

	if (login_route(c, bhs, data, dsl))
		return;
	if (ls == NULL)
		ls = c->login = xcalloc(1, sizeof(*ls));
	if (!ls->started) {
		status = login_check_header(c, ls, bhs, &why);
		/* a connection joining a session (TSIH != 0) is not leading */
		param_neg_init(&ls->neg, &c->srv->limits, ls->tsih == 0);
	} else {
		status = login_check_header(c, ls, bhs, &why);
	}
	if (status != 0)
		goto fail;
	if (ls->out_off < ls->out.len) {
		/* RFC7143 6.2: the initiator answers our C bit with an
		 * empty request; send the next part. */
		login_respond(c, ls, ls->out_transit, ls->out_nsg);
		goto out;
	}
	text_buf_fini(&ls->out);
	ls->out_off = 0;
	if (ls->in_len + dsl > MINISAN_MAX_TEXT_BYTES) {
		why = "login text too long";
		status = LOGIN_STATUS_INITIATOR_ERROR;
		goto fail;
	}
	if (dsl > 0) {
		ls->in = xrealloc(ls->in, ls->in_len + dsl);
		memcpy(ls->in + ls->in_len, data, dsl);
		ls->in_len += dsl;
	}
	if (flags & ISCSI_FLAG_CONTINUE) {
		/* more text follows: acknowledge with an empty response */
		login_send_text(c, ls, false, 0);
		goto out;
	}
	rc = text_parse(ls->in, ls->in_len, &kv);
	free(ls->in);
	ls->in = NULL;
	ls->in_len = 0;
	if (rc < 0) {
		why = "malformed key=value text";
		status = LOGIN_STATUS_INITIATOR_ERROR;
		goto fail;
	}
	switch (param_negotiate(&ls->neg, &kv, ls->stage ==
	    ISCSI_STAGE_SECURITY ? PARAM_STAGE_SECURITY :
	    PARAM_STAGE_OPERATIONAL, &out)) {
	case PARAM_OK:
		break;
	case PARAM_ERR_DUPLICATE:
		why = "key negotiated twice";
		status = LOGIN_STATUS_INITIATOR_ERROR;
		goto fail;
	case PARAM_ERR_INVALID:
		why = "invalid key value";
		status = LOGIN_STATUS_INITIATOR_ERROR;
		goto fail;
	case PARAM_ERR_WRONG_STAGE:
		why = "key not allowed here";
		status = LOGIN_STATUS_INITIATOR_ERROR;
		goto fail;
	}
	if (!ls->target_declared) {
		status = login_check_identity(c, ls, &why);
		if (status != 0)
			goto fail;
		ls->target_declared = true;
		if (ls->neg.session_type == PARAM_SESSION_NORMAL) {
			/* RFC7143 13.9: TargetPortalGroupTag goes in the
			 * first login response of a normal session. */
			text_buf_add_u32(&out, "TargetPortalGroupTag",
			    c->srv->tpgt);
			if (ls->target->alias != NULL)
				text_buf_add(&out, "TargetAlias",
				    ls->target->alias);
		}
	}
	status = login_security_keys(c, ls, &kv, &out, &why);
	if (status != 0)
		goto fail;
	if (ls->stage != ISCSI_STAGE_SECURITY && !ls->auth_done) {
		if (login_required_cred(c, ls) != NULL) {
			/* RFC7143 6.3: skipping the security stage is only
			 * for targets that need no authentication */
			why = "authentication required";
			status = LOGIN_STATUS_AUTH_FAILED;
			goto fail;
		}
		ls->auth_done = true;
	}
	if (transit && ls->stage == ISCSI_STAGE_SECURITY && !ls->auth_done) {
		if (!ls->chap_active) {
			why = "no acceptable AuthMethod";
			status = LOGIN_STATUS_AUTH_FAILED;
			goto fail;
		}
		/* CHAP still under way: stay in the security stage */
		transit = false;
	}
	/* Our declarations close the operational stage; a login that goes
	 * from security straight to full feature keeps the defaults (and
	 * open-iscsi refuses operational keys in a security response). */
	if (transit && nsg == ISCSI_STAGE_FULL_FEATURE &&
	    ls->stage == ISCSI_STAGE_OPERATIONAL)
		param_neg_finish(&ls->neg, &out);
	ls->out = out;
	memset(&out, 0, sizeof(out));
	login_respond(c, ls, transit, nsg);
	goto out;
fail:
	login_fail(c, ls, status, why);
out:
	text_list_fini(&kv);
	text_buf_fini(&out);
	bufpool_put(data);
}

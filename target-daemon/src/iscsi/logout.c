/* SPDX-License-Identifier: BSD-2-Clause */
/* Logout Request / Response (RFC7143 11.14, 11.15). */
#include "iscsi/conn.h"

#include "util/log.h"

static void
logout_respond(struct conn *c, const uint8_t *bhs, uint8_t response)
{
	struct tx_pdu *p = conn_pdu_new(ISCSI_OP_LOGOUT_RSP);

	p->hdr[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	p->hdr[BHS_RSP_RESPONSE] = response;
	put_be32(p->hdr + BHS_ITT, get_be32(bhs + BHS_ITT));
	/* At ErrorRecoveryLevel 0 nothing is retained for recovery. */
	put_be16(p->hdr + BHS_LOGOUT_TIME2WAIT,
	    (uint16_t)c->params.default_time2wait);
	put_be16(p->hdr + BHS_LOGOUT_TIME2RETAIN, 0);
	conn_send(c, p, true);
}

/* RFC7143 11.14: commands still active on a closing connection end. */
static void
abort_conn_tasks(struct conn *c)
{
	while (c->tasks != NULL)
		task_abort(c->tasks, NULL);
}

void
logout_rx(struct conn *c, const uint8_t *bhs)
{
	struct session *s = c->sess;
	uint8_t reason = bhs[BHS_FLAGS] & 0x7f;
	uint16_t cid = get_be16(bhs + BHS_LOGOUT_CID);

	switch (reason) {
	case LOGOUT_CLOSE_SESSION:
		conn_log(c, "logout: closing session TSIH %u", s->tsih);
		session_set_closing(s);
		for (struct conn *o = s->conns; o != NULL;) {
			struct conn *next = o->sess_next;

			if (o != c)
				conn_close(o, "session logged out");
			o = next;
		}
		break;
	case LOGOUT_CLOSE_CONNECTION:
		if (cid != c->cid) {
			struct conn *o;

			for (o = s->conns; o != NULL; o = o->sess_next)
				if (o->cid == cid)
					break;
			if (o == NULL) {
				logout_respond(c, bhs,
				    LOGOUT_RSP_CID_NOT_FOUND);
				return;
			}
			conn_close(o, "connection logged out by another");
			logout_respond(c, bhs, LOGOUT_RSP_SUCCESS);
			return;
		}
		conn_log(c, "logout: closing connection CID %u", cid);
		break;
	default:
		/* LOGOUT_REMOVE_FOR_RECOVERY needs ErrorRecoveryLevel 2 */
		logout_respond(c, bhs, LOGOUT_RSP_RECOVERY_UNSUPPORTED);
		return;
	}
	abort_conn_tasks(c);
	c->state = CONN_LOGGED_OUT;
	logout_respond(c, bhs, LOGOUT_RSP_SUCCESS);
	conn_close_after_flush(c);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Task management functions (RFC7143 11.5, 11.6; SAM-5 7). The response is
 * sent once every task the function aborted has left the SCSI layer. */
#include "iscsi/conn.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* A TMF response waiting for aborted tasks. Owned by itself: freed when
 * the last task ends. Holds a session reference; the response goes to the
 * connection with the requesting CID if it is still there. */
struct tmf_wait {
	struct session *sess;
	uint16_t cid;
	uint8_t bhs[ISCSI_BHS_LEN];
	uint8_t response;
	bool cold_reset;
	int pending; /* aborted tasks still in the SCSI layer, plus one */
};

/* SAM-5 7.13: a cold reset also ends every I_T nexus of the target; each
 * connection closes once what is queued (the TMF response) is sent. The
 * connections are collected first because closing one may free its
 * session while the list is walked. */
static void
cold_reset_close(struct iscsi_worker *lw, struct iscsi_target *tgt)
{
	struct conn **list = NULL;
	size_t n = 0;

	/* the target's sessions all live on this loop */
	for (struct session *s = lw->sessions; s != NULL; s = s->next) {
		if (s->target != tgt)
			continue;
		for (struct conn *o = s->conns; o != NULL; o = o->sess_next) {
			list = xrealloc(list, (n + 1) * sizeof(*list));
			list[n++] = o;
		}
	}
	/* connections are freed only after this event batch */
	for (size_t i = 0; i < n; i++) {
		if (list[i]->state == CONN_CLOSED)
			continue;
		list[i]->state = CONN_LOGGED_OUT;
		conn_close_after_flush(list[i]);
	}
	free(list);
}

static void
tmf_respond(struct tmf_wait *w)
{
	struct conn *c;

	for (c = w->sess->conns; c != NULL; c = c->sess_next)
		if (c->cid == w->cid && c->state == CONN_FULL_FEATURE)
			break;
	if (c != NULL) {
		struct tx_pdu *p = conn_pdu_new(ISCSI_OP_TMF_RSP);

		p->hdr[BHS_FLAGS] = ISCSI_FLAG_FINAL;
		p->hdr[BHS_RSP_RESPONSE] = w->response;
		put_be32(p->hdr + BHS_ITT, get_be32(w->bhs + BHS_ITT));
		conn_send(c, p, true);
	}
	if (w->cold_reset && w->sess->target != NULL)
		cold_reset_close(w->sess->w, w->sess->target);
	session_put(w->sess);
	free(w);
}

void
tmf_task_ended(struct tmf_wait *w)
{
	if (--w->pending == 0)
		tmf_respond(w);
}

/* Aborts tasks matching (lun, all sessions of the target or just s). */
static void
abort_matching(struct tmf_wait *w, struct session *s, bool all_sessions,
    bool match_lun, uint64_t lun)
{
	for (struct session *o = s->w->sessions; o != NULL; o = o->next) {
		if (o != s && (!all_sessions || o->target != s->target))
			continue;
		for (struct conn *c = o->conns; c != NULL; c = c->sess_next) {
			struct iscsi_task *t = c->tasks;

			while (t != NULL) {
				struct iscsi_task *next = t->next;

				if (!match_lun || t->scsi.lun == lun) {
					if (t->state == TASK_EXEC)
						w->pending++;
					task_abort(t, w);
				}
				t = next;
			}
		}
	}
}

static bool
lun_exists(const struct session *s, uint64_t lun)
{
	const struct scsi_target *st = &s->target->scsi;

	return lun < st->nluns && st->luns[lun] != NULL;
}

void
tmf_rx(struct conn *c, const uint8_t *bhs)
{
	struct session *s = c->sess;
	uint8_t function = bhs[BHS_FLAGS] & 0x7f;
	uint64_t lun = pdu_lun_decode(bhs + BHS_LUN);
	struct tmf_wait *w;

	w = xcalloc(1, sizeof(*w));
	w->sess = s;
	session_get(s);
	w->cid = c->cid;
	memcpy(w->bhs, bhs, ISCSI_BHS_LEN);
	w->pending = 1;
	w->response = TMF_RSP_COMPLETE;
	switch (function) {
	case TMF_ABORT_TASK: {
		uint32_t ref = get_be32(bhs + BHS_TMF_REFTAG);
		uint32_t ref_sn = get_be32(bhs + BHS_TMF_REFCMDSN);
		struct iscsi_task *t = session_find_task(s, ref);

		if (t != NULL) {
			if (t->state == TASK_EXEC)
				w->pending++;
			task_abort(t, w);
		} else if (sn_lt(ref_sn, s->exp_cmd_sn)) {
			/* RFC7143 11.5.1: a task that already completed */
			w->response = TMF_RSP_NO_TASK;
		}
		/* else: not received yet; RFC7143 11.5.1 says respond
		 * Function Complete */
		break;
	}
	case TMF_ABORT_TASK_SET:
		abort_matching(w, s, false, true, lun);
		break;
	case TMF_CLEAR_TASK_SET:
		abort_matching(w, s, true, true, lun);
		break;
	case TMF_LUN_RESET:
		if (!lun_exists(s, lun)) {
			w->response = TMF_RSP_NO_LUN;
			break;
		}
		abort_matching(w, s, true, true, lun);
		scsi_lun_reset(&s->target->scsi, lun, &s->nexus);
		break;
	case TMF_TARGET_WARM_RESET:
	case TMF_TARGET_COLD_RESET:
		abort_matching(w, s, true, false, 0);
		scsi_target_reset(&s->target->scsi, &s->nexus);
		w->cold_reset = function == TMF_TARGET_COLD_RESET;
		break;
	case TMF_CLEAR_ACA:
		/* we never set NACA: no ACA to clear */
		w->response = TMF_RSP_NOT_SUPPORTED;
		break;
	case TMF_TASK_REASSIGN:
		/* RFC7143 11.5.1: needs ErrorRecoveryLevel 2 */
		w->response = TMF_RSP_NO_REASSIGN;
		break;
	default:
		w->response = TMF_RSP_NOT_SUPPORTED;
		break;
	}
	tmf_task_ended(w);
}

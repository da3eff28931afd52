/* SPDX-License-Identifier: BSD-2-Clause */
/* Text Request / Response in full feature phase (RFC7143 11.10, 11.11):
 * SendTargets and renegotiation, with continued text both ways. */
#include "iscsi/conn.h"

#include <stdlib.h>
#include <string.h>

#include "iscsi/text.h"
#include "limits_minisan.h"
#include "util/bufpool.h"
#include "util/xalloc.h"

static void
text_send_chunk(struct conn *c, const uint8_t *bhs)
{
	struct tx_pdu *p = conn_pdu_new(ISCSI_OP_TEXT_RSP);
	uint32_t left = c->text_out_len - c->text_out_off;
	uint32_t n = left > c->max_xmit_dsl ? c->max_xmit_dsl : left;

	memcpy(p->hdr + BHS_LUN, bhs + BHS_LUN, 8);
	put_be32(p->hdr + BHS_ITT, get_be32(bhs + BHS_ITT));
	if (n < left) {
		/* RFC7143 11.11.1: C set, F clear, and a TTT the initiator
		 * returns to ask for the rest. */
		p->hdr[BHS_FLAGS] = ISCSI_FLAG_CONTINUE;
		c->text_ttt = ++c->w->next_ttt;
		if (c->text_ttt == ISCSI_RESERVED_TAG)
			c->text_ttt = ++c->w->next_ttt;
		put_be32(p->hdr + BHS_TTT, c->text_ttt);
	} else {
		p->hdr[BHS_FLAGS] = ISCSI_FLAG_FINAL;
		put_be32(p->hdr + BHS_TTT, ISCSI_RESERVED_TAG);
	}
	if (n > 0) {
		p->owned = xmalloc(n);
		memcpy(p->owned, c->text_out + c->text_out_off, n);
		p->data = p->owned;
		p->data_len = n;
	}
	c->text_out_off += n;
	if (c->text_out_off == c->text_out_len) {
		free(c->text_out);
		c->text_out = NULL;
		c->text_out_len = c->text_out_off = 0;
		c->text_ttt = ISCSI_RESERVED_TAG;
	}
	conn_send(c, p, true);
}

static void
text_answer(struct conn *c, const uint8_t *bhs)
{
	struct text_list kv = { 0 };
	struct text_buf out = { 0 };
	struct param_neg neg;
	int rc;

	rc = text_parse(c->text_in, c->text_in_len, &kv);
	free(c->text_in);
	c->text_in = NULL;
	c->text_in_len = 0;
	if (rc < 0) {
		conn_reject(c, bhs, REJECT_PROTOCOL_ERROR);
		return;
	}
	param_neg_init(&neg, &c->srv->limits, false);
	neg.set = c->params;
	neg.session_type = c->sess->type;
	for (size_t i = 0; i < kv.n; i++)
		if (strcmp(kv.kv[i].key, "SendTargets") == 0)
			discovery_send_targets(c, kv.kv[i].value, &out);
	if (param_negotiate(&neg, &kv, PARAM_STAGE_FULL_FEATURE, &out) !=
	    PARAM_OK) {
		text_list_fini(&kv);
		text_buf_fini(&out);
		conn_reject(c, bhs, REJECT_PROTOCOL_ERROR);
		return;
	}
	/* RFC7143 13.12: MaxRecvDataSegmentLength may be re-declared. */
	c->max_xmit_dsl = neg.set.max_xmit_dsl;
	c->params.max_xmit_dsl = neg.set.max_xmit_dsl;
	text_list_fini(&kv);
	free(c->text_out);
	c->text_out = out.data;
	c->text_out_len = (uint32_t)out.len;
	c->text_out_off = 0;
	text_send_chunk(c, bhs);
}

void
text_rx(struct conn *c, const uint8_t *bhs, uint8_t *data, uint32_t dsl)
{
	uint32_t ttt = get_be32(bhs + BHS_TTT);

	if (ttt != ISCSI_RESERVED_TAG) {
		/* continuation of our long response */
		if (ttt != c->text_ttt || c->text_out == NULL)
			conn_reject(c, bhs, REJECT_PROTOCOL_ERROR);
		else
			text_send_chunk(c, bhs);
		bufpool_put(data);
		return;
	}
	/* a new request resets any unfinished response (RFC7143 11.10.4) */
	free(c->text_out);
	c->text_out = NULL;
	c->text_out_len = c->text_out_off = 0;
	if (c->text_in_len + dsl > MINISAN_MAX_TEXT_BYTES) {
		free(c->text_in);
		c->text_in = NULL;
		c->text_in_len = 0;
		bufpool_put(data);
		conn_reject(c, bhs, REJECT_PROTOCOL_ERROR);
		return;
	}
	if (dsl > 0) {
		c->text_in = xrealloc(c->text_in, c->text_in_len + dsl);
		memcpy(c->text_in + c->text_in_len, data, dsl);
		c->text_in_len += dsl;
	}
	bufpool_put(data);
	if (bhs[BHS_FLAGS] & ISCSI_FLAG_CONTINUE) {
		/* acknowledge and wait for the rest: an empty response */
		c->text_out = NULL;
		c->text_out_len = 0;
		text_send_chunk(c, bhs);
		return;
	}
	text_answer(c, bhs);
}

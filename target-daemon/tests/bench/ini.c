/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the bench initiator's full feature phase: the
 * CmdSN window, READ-direction tasks whose Data-In lands in the task's
 * buffer at its offset, NOP-In answers, Async Messages (stop), Logout. */
#include "ini.h"

#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/xalloc.h"

#define INI_UA_RETRIES 3 /* unit attentions accepted by ini_scsi_sync */
/* ITT of the Logout Request: slot 0xff, which no task has */
#define INI_LOGOUT_ITT 0xffu

/* RFC7143 4.2.2.1: ExpCmdSN and MaxCmdSN from any response. */
static void
window_update(struct ini *s)
{
	uint32_t exp = get_be32(s->hdr + BHS_RSP_EXPCMDSN);
	uint32_t max = get_be32(s->hdr + BHS_RSP_MAXCMDSN);

	/* "If the PDU MaxCmdSN is less than the PDU ExpCmdSN - 1 (in Serial
	 * Arithmetic Sense), they are both ignored." */
	if (sn_lt(max, exp - 1))
		return;
	if (sn_lt(s->cmdsn, exp))
		errx(1, "ExpCmdSN %u acknowledges commands not sent (next "
		    "CmdSN %u)", exp, s->cmdsn);
	if (sn_lt(s->max_cmdsn, max))
		s->max_cmdsn = max;
	if (sn_lt(s->exp_cmdsn, exp))
		s->exp_cmdsn = exp;
}

/* A status-carrying PDU: its StatSN must be the next one. */
static void
statsn_take(struct ini *s)
{
	uint32_t sn = get_be32(s->hdr + BHS_RSP_STATSN);

	if (sn != s->exp_statsn)
		errx(1, "opcode 0x%02x: StatSN %u, expected %u",
		    pdu_opcode(s->hdr), sn, s->exp_statsn);
	s->exp_statsn = sn + 1;
}

bool
ini_window_open(const struct ini *s)
{
	return s->stop == NULL && sn_le(s->cmdsn, s->max_cmdsn);
}

static struct ini_task *
task_find(struct ini *s, const char *what)
{
	uint32_t itt = get_be32(s->hdr + BHS_ITT);
	uint32_t slot = itt & 0xff;

	if (slot >= (uint32_t)s->ntasks || !s->tasks[slot].busy ||
	    s->tasks[slot].itt != itt)
		errx(1, "%s for ITT 0x%08x, which is not outstanding", what,
		    itt);
	return &s->tasks[slot];
}

static void
task_complete(struct ini_task *t, uint8_t status, uint8_t sense_key)
{
	t->status = status;
	t->sense_key = sense_key;
	t->busy = false;
	t->done = true;
}

void
ini_task_send(struct ini *s, struct ini_task *t, const uint8_t *cdb,
    uint32_t len)
{
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };

	if (t->busy || len > t->buf_len || !ini_window_open(s))
		errx(1, "ini_task_send: slot busy, %u bytes for a %u-byte "
		    "buffer or window closed", len, t->buf_len);
	s->generation = (s->generation + 1) & 0xffffff;
	t->itt = s->generation << 8 | (uint32_t)(t - s->tasks);
	t->len = len;
	t->got = 0;
	t->next_datasn = 0;
	t->busy = true;
	t->done = false;
	bhs[BHS_OPCODE] = ISCSI_OP_SCSI_CMD;
	/* RFC7143 11.3.1: ATTR 1 is Simple */
	bhs[BHS_FLAGS] = ISCSI_FLAG_FINAL | ISCSI_CMD_FLAG_READ | 1;
	pdu_lun_encode(bhs + BHS_LUN, s->lun);
	put_be32(bhs + BHS_ITT, t->itt);
	put_be32(bhs + BHS_CMD_EDTL, len);
	put_be32(bhs + BHS_CMD_CMDSN, s->cmdsn++);
	put_be32(bhs + BHS_CMD_EXPSTATSN, s->exp_statsn);
	memcpy(bhs + BHS_CMD_CDB, cdb, 16);
	ini_wire_queue(s, bhs);
}

static void
on_data_in(struct ini *s, uint32_t dsl)
{
	struct ini_task *t = task_find(s, "Data-In");
	uint8_t flags = s->hdr[BHS_FLAGS];
	uint32_t datasn = get_be32(s->hdr + BHS_DATA_DATASN);
	uint32_t off = get_be32(s->hdr + BHS_DATA_OFFSET);

	if (datasn != t->next_datasn)
		errx(1, "Data-In DataSN %u, expected %u", datasn,
		    t->next_datasn);
	/* DataPDUInOrder=Yes: each PDU continues where the last ended */
	if (off != t->got || dsl > t->len - t->got)
		errx(1, "Data-In of %u bytes at offset %u; expected offset %u, "
		    "at most %u bytes", dsl, off, t->got, t->len - t->got);
	ini_wire_recv_data(s, t->buf + off, dsl);
	t->got += dsl;
	t->next_datasn++;
	window_update(s);
	if (flags & ISCSI_DATAIN_STATUS) {
		/* RFC7143 11.7.3: the S bit may be set only with the F bit */
		if (!(flags & ISCSI_FLAG_FINAL))
			errx(1, "Data-In with S bit but no F bit");
		statsn_take(s);
		task_complete(t, s->hdr[BHS_RSP_STATUS], 0);
	}
}

/* The sense key in a SCSI Response's data segment (RFC7143 11.4.7:
 * SenseLength, then fixed or descriptor format sense data), or 0. */
static uint8_t
sense_key_of(const uint8_t *seg, uint32_t len)
{
	uint32_t n = len >= 2 ? get_be16(seg) : 0;

	if (n < 4 || n > len - 2)
		return 0;
	switch (seg[2] & 0x7f) {
	case 0x70: case 0x71: return seg[4] & 0x0f;
	case 0x72: case 0x73: return seg[3] & 0x0f;
	default: return 0;
	}
}

static void
on_scsi_rsp(struct ini *s, uint32_t dsl)
{
	struct ini_task *t = task_find(s, "SCSI Response");
	uint32_t expdatasn = get_be32(s->hdr + BHS_RSP_EXPDATASN);

	statsn_take(s);
	window_update(s);
	if (s->hdr[BHS_RSP_RESPONSE] != 0)
		errx(1, "SCSI Response: response 0x%02x, the command did not "
		    "complete at the target", s->hdr[BHS_RSP_RESPONSE]);
	/* RFC7143 11.4.6: ExpDataSN counts the Data-In PDUs sent; tgt
	 * 1.0.85 sends 0 after its Data-In, which is let through */
	if (expdatasn != t->next_datasn && expdatasn != 0)
		errx(1, "SCSI Response: ExpDataSN %u after %u Data-In PDUs",
		    expdatasn, t->next_datasn);
	task_complete(t, s->hdr[BHS_RSP_STATUS], sense_key_of(s->scratch,
	    dsl));
}

static void
on_nop_in(struct ini *s, uint32_t dsl)
{
	uint32_t itt = get_be32(s->hdr + BHS_ITT);
	uint32_t ttt = get_be32(s->hdr + BHS_TTT);
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };

	(void)dsl;
	window_update(s);
	if (itt != ISCSI_RESERVED_TAG)
		errx(1, "NOP-In for ITT 0x%08x, but no NOP-Out was sent", itt);
	/* RFC7143 11.19: an unsolicited NOP-In does not advance StatSN; it
	 * asks for an answer when its TTT is not 0xffffffff. */
	if (ttt == ISCSI_RESERVED_TAG)
		return;
	/* RFC7143 11.18: the answer copies the TTT and the LUN, is immediate
	 * and carries no ping data (as Linux's initiator does) */
	bhs[BHS_OPCODE] = ISCSI_OP_NOP_OUT | ISCSI_BHS_IMMEDIATE;
	bhs[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	memcpy(bhs + BHS_LUN, s->hdr + BHS_LUN, 8);
	put_be32(bhs + BHS_ITT, ISCSI_RESERVED_TAG);
	put_be32(bhs + BHS_TTT, ttt);
	put_be32(bhs + BHS_CMD_CMDSN, s->cmdsn);
	put_be32(bhs + BHS_CMD_EXPSTATSN, s->exp_statsn);
	ini_wire_queue(s, bhs);
}

static void
on_async(struct ini *s, uint32_t dsl)
{
	uint8_t event = s->hdr[BHS_ASYNC_EVENT];

	(void)dsl;
	statsn_take(s);
	window_update(s);
	switch (event) {
	case 0:
		s->stop = "the target reported a SCSI asynchronous event";
		break;
	case ASYNC_EVENT_LOGOUT_REQUEST:
		s->stop = "the target asked for a logout";
		break;
	default:
		errx(1, "Async Message event %u: the target drops the "
		    "connection or asks for renegotiation", event);
	}
}

static void
on_logout_rsp(struct ini *s, uint32_t dsl)
{
	(void)dsl;
	if (!s->logout_sent)
		errx(1, "Logout Response, but no Logout Request was sent");
	statsn_take(s);
	window_update(s);
	if (s->hdr[BHS_RSP_RESPONSE] != LOGOUT_RSP_SUCCESS)
		errx(1, "Logout Response 0x%02x", s->hdr[BHS_RSP_RESPONSE]);
	s->logged_out = true;
}

static void
on_reject(struct ini *s, uint32_t dsl)
{
	/* RFC7143 11.17: the data segment is the rejected PDU's header */
	errx(1, "the target rejected a PDU (reason 0x%02x, opcode 0x%02x)",
	    s->hdr[BHS_REJECT_REASON],
	    dsl >= ISCSI_BHS_LEN ? pdu_opcode(s->scratch) : 0xff);
}

typedef void pdu_handler(struct ini *s, uint32_t dsl);

/* What may arrive in full feature phase; anything else is fatal. */
static pdu_handler *const handlers[ISCSI_BHS_OPCODE_MASK + 1] = {
	[ISCSI_OP_DATA_IN] = on_data_in,
	[ISCSI_OP_SCSI_RSP] = on_scsi_rsp,
	[ISCSI_OP_NOP_IN] = on_nop_in,
	[ISCSI_OP_ASYNC_MSG] = on_async,
	[ISCSI_OP_LOGOUT_RSP] = on_logout_rsp,
	[ISCSI_OP_REJECT] = on_reject,
};

void
ini_pump(struct ini *s)
{
	uint32_t dsl = ini_wire_recv_header(s, INI_SEGMENT_MAX);
	uint8_t op = pdu_opcode(s->hdr);

	if (handlers[op] == NULL)
		errx(1, "unexpected opcode 0x%02x in full feature phase", op);
	if (op != ISCSI_OP_DATA_IN)
		ini_wire_recv_data(s, s->scratch, dsl);
	handlers[op](s, dsl);
}

/* A new I_T nexus may see a unit attention (power on, reset) first. */
void
ini_scsi_sync(struct ini *s, const uint8_t *cdb, uint32_t len,
    const char *what)
{
	struct ini_task *t = &s->tasks[0];

	for (int tries = 0;; tries++) {
		while (!ini_window_open(s)) {
			if (s->stop != NULL)
				errx(1, "%s: %s", what, s->stop);
			ini_pump(s);
		}
		ini_task_send(s, t, cdb, len);
		while (!t->done)
			ini_pump(s);
		t->done = false;
		if (t->status == SCSI_STATUS_GOOD && t->got == len)
			return;
		if (t->status != SCSI_STATUS_CHECK_CONDITION ||
		    t->sense_key != SENSE_KEY_UNIT_ATTENTION ||
		    tries == INI_UA_RETRIES)
			errx(1, "%s: status 0x%02x, sense key 0x%x, %u of %u "
			    "bytes", what, t->status, t->sense_key, t->got,
			    len);
	}
}

/* RFC7143 11.14: reason 0 closes the session. */
void
ini_logout(struct ini *s)
{
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };

	bhs[BHS_OPCODE] = ISCSI_OP_LOGOUT_REQ | ISCSI_BHS_IMMEDIATE;
	bhs[BHS_FLAGS] = ISCSI_FLAG_FINAL | LOGOUT_CLOSE_SESSION;
	put_be32(bhs + BHS_ITT, INI_LOGOUT_ITT);
	put_be32(bhs + BHS_CMD_CMDSN, s->cmdsn);
	put_be32(bhs + BHS_CMD_EXPSTATSN, s->exp_statsn);
	ini_wire_queue(s, bhs);
	s->logout_sent = true;
	while (!s->logged_out)
		ini_pump(s);
}

struct ini *
ini_new(const char *addr, uint64_t lun, int depth, uint32_t buf_len)
{
	struct ini *s = xcalloc(1, sizeof(*s));

	s->lun = lun;
	s->ntasks = depth;
	s->tasks = xcalloc((size_t)depth, sizeof(*s->tasks));
	for (int i = 0; i < depth; i++) {
		s->tasks[i].buf = xmalloc(buf_len);
		s->tasks[i].buf_len = buf_len;
	}
	s->scratch = xmalloc(INI_SEGMENT_MAX);
	s->fd = ini_wire_connect(addr);
	return s;
}

void
ini_free(struct ini *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	for (int i = 0; i < s->ntasks; i++)
		free(s->tasks[i].buf);
	free(s->tasks);
	free(s->scratch);
	free(s);
}

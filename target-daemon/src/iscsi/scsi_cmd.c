/* SPDX-License-Identifier: BSD-2-Clause */
/* SCSI Command PDUs to SCSI tasks and back: immediate, unsolicited and
 * solicited (R2T) write data, Data-In with phase collapse, SCSI Response
 * with sense and residuals (RFC7143 11.3 - 11.8). */
#include "iscsi/conn.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "limits_minisan.h"
#include "scsi/scsi.h"
#include "util/bufpool.h"
#include "util/xalloc.h"

/* SPC-4 4.5.6 sense codes the transport itself raises. */
#define SENSE_KEY_ILLEGAL_REQUEST 0x05
#define ASC_INVALID_FIELD_IN_CDB 0x24
#define SENSE_KEY_ABORTED_COMMAND 0x0b
#define ASC_DATA_PHASE_ERROR 0x4b

static void task_scsi_done(struct scsi_task *st);
static void task_exec(struct iscsi_task *t);
static void task_advance(struct conn *c, struct iscsi_task *t);
static void budget_kick(struct session *s);

/* Monotonic nanoseconds, for the per-LUN latency counters. */
static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
task_free(struct iscsi_task *t)
{
	struct session *s = t->sess;

	scsi_task_fini(&t->scsi);
	bufpool_put(t->wbuf);
	if (s != NULL) {
		/* the buffers are gone: commands waiting may start */
		s->buf_used -= t->charge;
		s->buf_pinned -= t->pinned;
		budget_kick(s);
		session_put(s);
	}
	bufpool_put(t);
}

/* The data-buffer budget of a session (docs/architecture.md, "Memory per
 * session"): the buffers of the commands started are counted in buf_used
 * and held within param_data_budget(); a command that does not fit waits,
 * in arrival (CmdSN) order, with no buffer and no R2T, until earlier
 * commands free theirs -- it is not refused, which initiators retry only a
 * few times. Buffers are counted until freed, which for read data is when
 * its last Data-In has been sent. */

/* Bytes of data buffer the task needs to run: its write data, or its read
 * data (at most the largest transfer, more is a residual). */
static uint32_t
task_buf_need(const struct iscsi_task *t)
{
	uint32_t edtl = t->scsi.edtl;

	if (t->discard || (!t->read && !t->write))
		return 0;
	return edtl < MINISAN_MAX_XFER_BYTES ? edtl : MINISAN_MAX_XFER_BYTES;
}

static bool
budget_fits(const struct session *s, uint32_t need)
{
	/* Nothing running: the command runs whatever its size, so that one
	 * always can. */
	return s->buf_used == 0 ||
	    s->buf_used + need <= param_data_budget(&s->params);
}

/* Charges the task's buffer and returns true if it may start now: nothing
 * waits before it and its buffer fits. */
static bool
budget_take(struct session *s, struct iscsi_task *t)
{
	uint32_t need = task_buf_need(t);

	if (s->wait_head != NULL || !budget_fits(s, need))
		return false;
	t->charge = need;
	s->buf_used += need;
	return true;
}

/* Queues the task behind those already waiting. pinned: bytes it holds
 * meanwhile (unsolicited write data, which comes unasked). */
static void
budget_wait(struct session *s, struct iscsi_task *t, uint32_t pinned)
{
	t->mem_wait = true;
	t->pinned = pinned;
	s->buf_pinned += pinned;
	t->wait_next = NULL;
	if (s->wait_tail != NULL)
		s->wait_tail->wait_next = t;
	else
		s->wait_head = t;
	s->wait_tail = t;
	s->nwait++;
}

static void
budget_unwait(struct session *s, struct iscsi_task *t)
{
	struct iscsi_task *prev = NULL;

	for (struct iscsi_task *w = s->wait_head; w != NULL;
	    prev = w, w = w->wait_next) {
		if (w != t)
			continue;
		if (prev != NULL)
			prev->wait_next = t->wait_next;
		else
			s->wait_head = t->wait_next;
		if (s->wait_tail == t)
			s->wait_tail = prev;
		s->nwait--;
		break;
	}
	t->wait_next = NULL;
	t->mem_wait = false;
}

/* Starts the waiting tasks that fit, in order. Deferred to after the
 * current event batch: it runs from task_free(), which may be called
 * while a connection walks its transmit queue. */
static void
budget_admit(void *arg)
{
	struct session *s = arg;
	struct iscsi_task *t;

	s->admit_queued = false;
	while (!s->closing && (t = s->wait_head) != NULL &&
	    budget_fits(s, task_buf_need(t))) {
		budget_unwait(s, t);
		s->buf_pinned -= t->pinned;
		t->pinned = 0;
		t->charge = task_buf_need(t);
		s->buf_used += t->charge;
		if (!t->write) {
			task_exec(t);
			continue;
		}
		if (!t->discard && t->wbuf_size < t->wlen) {
			/* grow the buffer that held the unsolicited data */
			uint8_t *buf = bufpool_get(t->wlen);

			if (t->wgot > 0)
				memcpy(buf, t->wbuf, t->wgot);
			bufpool_put(t->wbuf);
			t->wbuf = buf;
			t->wbuf_size = t->wlen;
		}
		task_advance(t->conn, t);
	}
	session_put(s);
}

static void
budget_kick(struct session *s)
{
	if (s->wait_head == NULL || s->admit_queued)
		return;
	s->admit_queued = true;
	session_get(s);
	evloop_defer(s->w->loop, budget_admit, s);
}

void
task_put(struct iscsi_task *t)
{
	if (--t->refs == 0)
		task_free(t);
}

/* Removes the task from its connection and the CmdSN window accounting,
 * dropping the list reference. */
static void
task_unlink(struct iscsi_task *t)
{
	struct conn *c = t->conn;

	if (c == NULL)
		return;
	for (struct iscsi_task **pp = &c->tasks; *pp != NULL;
	    pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	c->ntasks--;
	t->sess->ntasks--;
	if (t->mem_wait) {
		/* aborted or failed while waiting: those behind may fit */
		budget_unwait(t->sess, t);
		budget_kick(t->sess);
	}
	t->conn = NULL;
	task_put(t);
}

void
task_abort(struct iscsi_task *t, struct tmf_wait *tmf)
{
	bool exec = t->state == TASK_EXEC;

	t->aborted = true;
	if (exec && tmf != NULL && t->tmf == NULL) {
		/* The TMF response waits until the SCSI layer is done with
		 * the task (RFC7143 4.2.3.x, SAM-5 5.6). */
		t->tmf = tmf;
	}
	task_unlink(t);
	/* The SCSI layer still holds t: let it end a task that only waits
	 * (it may call done() right here). */
	if (exec)
		scsi_task_abort(&t->scsi);
}

static struct iscsi_task *
task_new(struct conn *c, const uint8_t *bhs)
{
	struct iscsi_task *t = bufpool_get(sizeof(*t));
	struct session *s = c->sess;
	uint8_t attr = bhs[BHS_FLAGS] & ISCSI_CMD_ATTR_MASK;

	memset(t, 0, sizeof(*t));
	scsi_task_init(&t->scsi);
	t->refs = 1;
	t->conn = c;
	t->sess = s;
	session_get(s);
	t->itt = get_be32(bhs + BHS_ITT);
	t->cmd_sn = get_be32(bhs + BHS_CMD_CMDSN);
	t->immediate = pdu_is_immediate(bhs);
	memcpy(t->lun_raw, bhs + BHS_LUN, 8);
	t->read = (bhs[BHS_FLAGS] & ISCSI_CMD_FLAG_READ) != 0;
	t->write = (bhs[BHS_FLAGS] & ISCSI_CMD_FLAG_WRITE) != 0;
	t->ttt = ISCSI_RESERVED_TAG;
	t->scsi.target = &s->target->scsi;
	t->scsi.nexus = &s->nexus;
	t->scsi.lun = pdu_lun_decode(bhs + BHS_LUN);
	memcpy(t->scsi.cdb, bhs + BHS_CMD_CDB, SCSI_CDB_MAX);
	t->scsi.cdb_len = SCSI_CDB_MAX;
	/* RFC7143 11.3.1: 0 untagged and 1 simple are both simple. */
	t->scsi.attr = attr == 2 ? SCSI_ATTR_ORDERED :
	    attr == 3 ? SCSI_ATTR_HEAD_OF_QUEUE :
	    attr == 4 ? SCSI_ATTR_ACA : SCSI_ATTR_SIMPLE;
	t->scsi.edtl = get_be32(bhs + BHS_CMD_EDTL);
	t->scsi.done = task_scsi_done;
	t->scsi.priv = t;
	t->next = c->tasks;
	c->tasks = t;
	c->ntasks++;
	s->ntasks++;
	return t;
}

static void
task_residual(const struct iscsi_task *t, uint8_t *flags, uint32_t *count)
{
	uint64_t want = t->scsi.xfer_len;
	uint32_t edtl = t->scsi.edtl;

	/* RFC7143 11.4.5: overflow when the command wanted more than
	 * EDTL, underflow when it transferred less. */
	if (want > edtl) {
		*flags |= ISCSI_FLAG_RES_OVERFLOW;
		*count = want - edtl > UINT32_MAX ? UINT32_MAX :
		    (uint32_t)(want - edtl);
	} else if (want < edtl) {
		*flags |= ISCSI_FLAG_RES_UNDERFLOW;
		*count = edtl - (uint32_t)want;
	} else {
		*count = 0;
	}
}

static void
task_send_response(struct conn *c, struct iscsi_task *t)
{
	struct tx_pdu *p = conn_pdu_new(ISCSI_OP_SCSI_RSP);
	uint8_t flags = ISCSI_FLAG_FINAL;
	uint32_t residual;

	task_residual(t, &flags, &residual);
	p->hdr[BHS_FLAGS] = flags;
	p->hdr[BHS_RSP_RESPONSE] = 0; /* command completed at target */
	p->hdr[BHS_RSP_STATUS] = t->scsi.status;
	put_be32(p->hdr + BHS_ITT, t->itt);
	put_be32(p->hdr + BHS_RSP_EXPDATASN, t->read ? t->data_sn : t->r2tsn);
	put_be32(p->hdr + BHS_RSP_RESIDUAL, residual);
	if (t->scsi.sense_len > 0) {
		/* RFC7143 11.4.7.2: SenseLength, then the sense data. */
		p->owned = xmalloc(2 + t->scsi.sense_len);
		put_be16(p->owned, (uint16_t)t->scsi.sense_len);
		memcpy(p->owned + 2, t->scsi.sense, t->scsi.sense_len);
		p->data = p->owned;
		p->data_len = 2 + t->scsi.sense_len;
	}
	conn_send(c, p, true);
}

static void
task_send_data_in(struct conn *c, struct iscsi_task *t)
{
	uint32_t len = t->scsi.data_in_len, off = 0;
	uint32_t burst = c->params.max_burst_length;
	bool collapse = t->scsi.status == SCSI_STATUS_GOOD &&
	    t->scsi.sense_len == 0;

	if (len > t->scsi.edtl)
		len = t->scsi.edtl;
	while (off < len) {
		struct tx_pdu *p = conn_pdu_new(ISCSI_OP_DATA_IN);
		uint32_t burst_end = (off / burst + 1) * burst;
		uint32_t n = len - off;
		bool last;

		if (n > c->max_xmit_dsl)
			n = c->max_xmit_dsl;
		if (off + n > burst_end)
			n = burst_end - off;
		last = off + n == len;
		/* RFC7143 11.7.1: F ends each sequence of at most
		 * MaxBurstLength bytes. */
		if (last || off + n == burst_end)
			p->hdr[BHS_FLAGS] |= ISCSI_FLAG_FINAL;
		if (last && collapse) {
			uint8_t flags = 0;
			uint32_t residual;

			task_residual(t, &flags, &residual);
			p->hdr[BHS_FLAGS] |= ISCSI_DATAIN_STATUS | flags;
			p->hdr[BHS_RSP_STATUS] = t->scsi.status;
			put_be32(p->hdr + BHS_DATA_RESIDUAL, residual);
		}
		memcpy(p->hdr + BHS_LUN, t->lun_raw, 8);
		put_be32(p->hdr + BHS_ITT, t->itt);
		put_be32(p->hdr + BHS_TTT, ISCSI_RESERVED_TAG);
		put_be32(p->hdr + BHS_DATA_DATASN, t->data_sn++);
		put_be32(p->hdr + BHS_DATA_OFFSET, off);
		p->data = t->scsi.data_in + off;
		p->data_len = n;
		p->task = t;
		t->refs++;
		conn_send(c, p, last && collapse);
		off += n;
	}
	if (len == 0 || !collapse)
		task_send_response(c, t);
}

static void
task_complete(struct iscsi_task *t)
{
	struct conn *c = t->conn;

	t->state = TASK_DONE;
	if (t->read && t->scsi.data_in_len > 0)
		task_send_data_in(c, t);
	else
		task_send_response(c, t);
	task_unlink(t);
}

static void
task_scsi_done(struct scsi_task *st)
{
	struct iscsi_task *t = st->priv;

	scsi_task_account(st, now_ns() - t->exec_ns);
	if (t->tmf != NULL) {
		tmf_task_ended(t->tmf);
		t->tmf = NULL;
	}
	if (!t->aborted && t->conn != NULL &&
	    t->conn->state == CONN_FULL_FEATURE)
		task_complete(t);
	task_put(t);
}

static void
task_fail(struct iscsi_task *t, uint8_t key, uint8_t asc, uint8_t ascq)
{
	scsi_task_set_sense(&t->scsi, key, asc, ascq);
	t->scsi.xfer_len = 0;
	task_complete(t);
}

static void
task_exec(struct iscsi_task *t)
{
	if (t->discard) {
		/* EDTL above what any command may transfer: the CDB cannot
		 * be valid (VPD B0 MAXIMUM TRANSFER LENGTH). */
		task_fail(t, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_INVALID_FIELD_IN_CDB, 0);
		return;
	}
	t->state = TASK_EXEC;
	t->scsi.data_out = t->wbuf;
	t->scsi.data_out_len = t->wgot;
	t->refs++; /* held by the SCSI layer until done() */
	t->exec_ns = now_ns();
	scsi_exec(&t->scsi);
}

static void
task_send_r2t(struct conn *c, struct iscsi_task *t)
{
	struct tx_pdu *p = conn_pdu_new(ISCSI_OP_R2T);
	uint32_t n = t->wlen - t->wgot;

	if (n > c->params.max_burst_length)
		n = c->params.max_burst_length;
	t->ttt = ++c->w->next_ttt;
	if (t->ttt == ISCSI_RESERVED_TAG)
		t->ttt = ++c->w->next_ttt;
	t->r2t_out = true;
	t->r2t_end = t->wgot + n;
	t->data_sn = 0;
	p->hdr[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	memcpy(p->hdr + BHS_LUN, t->lun_raw, 8);
	put_be32(p->hdr + BHS_ITT, t->itt);
	put_be32(p->hdr + BHS_TTT, t->ttt);
	put_be32(p->hdr + BHS_R2T_R2TSN, t->r2tsn++);
	put_be32(p->hdr + BHS_R2T_OFFSET, t->wgot);
	put_be32(p->hdr + BHS_R2T_DDTL, n);
	conn_send(c, p, false);
}

/* Moves a write task on: solicit more data, or execute when complete. */
static void
task_advance(struct conn *c, struct iscsi_task *t)
{
	if (t->mem_wait)
		return; /* budget_admit() moves it on */
	if (t->wgot >= t->wlen) {
		task_exec(t);
		return;
	}
	if (t->wgot >= t->unsol_end && !t->r2t_out)
		task_send_r2t(c, t);
}

static void
cmd_protocol_error(struct conn *c, const uint8_t *bhs, const char *why)
{
	conn_log(c, "SCSI Command ITT 0x%08x: %s", get_be32(bhs + BHS_ITT),
	    why);
	conn_reject(c, bhs, REJECT_PROTOCOL_ERROR);
}

void
scsi_cmd_rx(struct conn *c, const uint8_t *bhs, uint8_t *data, uint32_t dsl)
{
	struct session *s = c->sess;
	const struct param_set *ps = &c->params;
	struct iscsi_task *t;
	uint32_t edtl = get_be32(bhs + BHS_CMD_EDTL);
	uint8_t flags = bhs[BHS_FLAGS];
	bool started;

	if (session_find_task(s, get_be32(bhs + BHS_ITT)) != NULL) {
		/* RFC7143 11.3.4: ITT must be unique among active tasks. */
		conn_reject(c, bhs, REJECT_TASK_IN_PROGRESS);
		bufpool_put(data);
		return;
	}
	if (pdu_ahs_len(bhs) > 0 || ((flags & ISCSI_CMD_FLAG_READ) &&
	    (flags & ISCSI_CMD_FLAG_WRITE))) {
		/* Extended CDBs and bidirectional commands: none of the
		 * commands we implement needs them. */
		conn_reject(c, bhs, REJECT_COMMAND_NOT_SUPPORTED);
		bufpool_put(data);
		return;
	}
	if (dsl > 0 && (!(flags & ISCSI_CMD_FLAG_WRITE) || dsl > edtl ||
	    !ps->immediate_data || dsl > ps->first_burst_length)) {
		/* RFC7143 11.3.5, 13.14: immediate data only on writes,
		 * within EDTL and FirstBurstLength, when negotiated. */
		cmd_protocol_error(c, bhs, "unexpected immediate data");
		bufpool_put(data);
		return;
	}
	if (pdu_is_immediate(bhs) &&
	    s->ntasks >= param_cmd_window(&s->params)) {
		/* Immediate commands are outside the CmdSN window, which
		 * would not bound them (RFC7143 11.17.1, reason 0x06). */
		conn_reject(c, bhs, REJECT_IMMEDIATE_COMMAND);
		bufpool_put(data);
		return;
	}
	t = task_new(c, bhs);
	if (!t->write) {
		bufpool_put(data);
		if (budget_take(s, t))
			task_exec(t);
		else
			budget_wait(s, t, 0);
		return;
	}
	t->wlen = edtl;
	t->state = TASK_DATA_OUT;
	t->discard = edtl > MINISAN_MAX_XFER_BYTES;
	t->wgot = dsl;
	/* RFC7143 11.3.1: F set means no unsolicited Data-Out follows;
	 * otherwise up to FirstBurstLength may come (InitialR2T=No). */
	if ((flags & ISCSI_FLAG_FINAL) || ps->initial_r2t)
		t->unsol_end = dsl;
	else
		t->unsol_end = edtl < ps->first_burst_length ? edtl :
		    ps->first_burst_length;
	started = budget_take(s, t);
	if (t->discard) {
		/* received and dropped: no buffer */
	} else if (dsl == edtl && data != NULL) {
		/* all the data came as immediate data: no copy */
		t->wbuf = data;
		t->wbuf_size = dsl;
		data = NULL;
	} else {
		/* A waiting command gets room for its unsolicited data only
		 * (it comes unasked); the rest once it starts. */
		t->wbuf_size = started ? edtl : t->unsol_end;
		t->wbuf = t->wbuf_size > 0 ? bufpool_get(t->wbuf_size) :
		    NULL;
		if (dsl > 0)
			memcpy(t->wbuf, data, dsl);
	}
	bufpool_put(data);
	if (!started)
		budget_wait(s, t, t->wbuf_size);
	task_advance(c, t);
}

static struct iscsi_task *
conn_find_task(struct conn *c, uint32_t itt)
{
	for (struct iscsi_task *t = c->tasks; t != NULL; t = t->next)
		if (t->itt == itt)
			return t;
	return NULL;
}

static void
data_out_error(struct conn *c, const uint8_t *bhs, struct iscsi_task *t,
    const char *why)
{
	/* RFC7143 7.1.4 (ErrorRecoveryLevel 0): the PDU is rejected and,
	 * since its data cannot be recovered, the command ends with CHECK
	 * CONDITION (ABORTED COMMAND, DATA PHASE ERROR); Data-Out still in
	 * flight for it finds no task and is dropped. */
	conn_log(c, "Data-Out ITT 0x%08x: %s", get_be32(bhs + BHS_ITT), why);
	conn_reject(c, bhs, REJECT_PROTOCOL_ERROR);
	if (t != NULL)
		task_fail(t, SENSE_KEY_ABORTED_COMMAND, ASC_DATA_PHASE_ERROR, 0);
}

void
scsi_data_out_rx(struct conn *c, const uint8_t *bhs, uint8_t *data,
    uint32_t dsl)
{
	uint32_t itt = get_be32(bhs + BHS_ITT), ttt = get_be32(bhs + BHS_TTT);
	uint32_t off = get_be32(bhs + BHS_DATA_OFFSET);
	uint32_t data_sn = get_be32(bhs + BHS_DATA_DATASN);
	bool final = (bhs[BHS_FLAGS] & ISCSI_FLAG_FINAL) != 0;
	struct iscsi_task *t = conn_find_task(c, itt);
	uint32_t end;

	if (t == NULL) {
		struct held_pdu *h = session_find_held_cmd(c->sess, c, itt);

		/* Data for a command held for its CmdSN turn waits with
		 * it; data for an aborted task is dropped (RFC7143 4.2.3.x). */
		if (h != NULL) {
			if (!session_hold(c->sess, c, bhs, data, dsl,
			    h->cmd_sn, true))
				conn_close(c,
				    "too many PDUs held out of order");
		} else
			bufpool_put(data);
		return;
	}
	if (t->state != TASK_DATA_OUT) {
		data_out_error(c, bhs, NULL, "no data expected");
		goto out;
	}
	if (ttt == ISCSI_RESERVED_TAG)
		end = t->unsol_end;
	else if (t->r2t_out && ttt == t->ttt)
		end = t->r2t_end;
	else {
		data_out_error(c, bhs, t, "unknown target transfer tag");
		goto out;
	}
	/* RFC7143 11.7.4: DataSN counts the PDUs of each sequence; we
	 * negotiate DataPDUInOrder so offsets must be contiguous. */
	if (data_sn != t->data_sn) {
		data_out_error(c, bhs, t, "DataSN out of order");
		goto out;
	}
	if (off != t->wgot || dsl > end - t->wgot || (final &&
	    off + dsl != end && ttt != ISCSI_RESERVED_TAG)) {
		data_out_error(c, bhs, t,
		    "buffer offset or length out of sequence");
		goto out;
	}
	if (t->wbuf != NULL && dsl > 0)
		memcpy(t->wbuf + off, data, dsl);
	t->wgot += dsl;
	t->data_sn++;
	if (final || t->wgot == end) {
		if (ttt == ISCSI_RESERVED_TAG) {
			/* the unsolicited burst may end early (F set) */
			t->unsol_end = t->wgot;
		} else {
			t->r2t_out = false;
		}
		t->data_sn = 0;
		task_advance(c, t);
	}
out:
	bufpool_put(data);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements reservations: PERSISTENT RESERVE IN and OUT with the
 * six reservation types, SPEC_I_PT, ALL_TG_PT and APTPL (SPC-4 5.13, 6.15,
 * 6.16), SPC-2 RESERVE and RELEASE with the SPC-4 exceptions for them
 * (CRH=1), and the RESERVATION CONFLICT check of every other command. */
#include "scsi/pr.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "limits_minisan.h"
#include "scsi/pr_store.h"
#include "scsi/ua.h"
#include "util/be.h"
#include "util/hex.h"
#include "util/bufpool.h"
#include "util/xalloc.h"

/* The reservation state of one LUN. st and spc2_holder are guarded by the
 * LUN lock. out_lock serializes the commands that change reservations
 * (PERSISTENT RESERVE OUT, RESERVE) together with the APTPL file they
 * write, so that the file is written without holding the LUN lock: a PR
 * OUT works on a copy of st and swaps it in under the LUN lock once the
 * file (if any) is durable. Lock order: out_lock, then the LUN lock. */
struct pr_lun {
	pthread_mutex_t out_lock;
	char *file;           /* the APTPL file, or NULL; owned */
	struct pr_state st;
	char *spc2_holder;    /* initiator port holding an SPC-2 RESERVE */
};

#define PR_SCOPE_LU 0x0
#define PR_IN_HDR 8u

/* SPC-4 "Basic PERSISTENT RESERVE OUT parameter list" */
#define PR_PARAM_LEN 24u
#define PR_PARAM_SARK 8
#define PR_PARAM_FLAGS 20
#define PR_PARAM_SPEC_I_PT 0x08
#define PR_PARAM_ALL_TG_PT 0x04
#define PR_PARAM_APTPL 0x01
#define PR_PARAM_TPDL 24  /* TRANSPORTID PARAMETER DATA LENGTH */
#define PR_PARAM_TIDS 28
/* SPC-4 "REGISTER AND MOVE service action parameter list" */
#define PR_MOVE_FLAGS 17
#define PR_MOVE_UNREG 0x02
#define PR_MOVE_APTPL 0x01
#define PR_MOVE_RTPI 18
#define PR_MOVE_TIDLEN 20
#define PR_MOVE_TID 24

/* SPC-4 "REPORT CAPABILITIES service action" parameter data */
#define PR_CAP_LEN 8u
#define PR_CAP_CRH 0x10
#define PR_CAP_SIP_C 0x08
#define PR_CAP_ATP_C 0x04
#define PR_CAP_PTPL_C 0x01
#define PR_CAP_TMV 0x80
/* ALLOW COMMANDS 011b: TEST UNIT READY is allowed through Write Exclusive
 * and Exclusive Access reservations, MODE SENSE, READ BUFFER, ... through
 * Write Exclusive ones (see pr_cmd_class). */
#define PR_CAP_ALLOW_COMMANDS (0x3 << 4)
#define PR_CAP_PTPL_A 0x01
#define PR_MASK_WR_EX_AR 0x8000
#define PR_MASK_EX_AC_RO 0x4000
#define PR_MASK_WR_EX_RO 0x2000
#define PR_MASK_EX_AC 0x0800
#define PR_MASK_WR_EX 0x0200
#define PR_MASK_EX_AC_AR 0x0001

/* SPC-4 "READ FULL STATUS service action" full status descriptor */
#define PR_FULL_DESC_HDR 24u
#define PR_FULL_ALL_TG_PT 0x02
#define PR_FULL_R_HOLDER 0x01

/* SPC-4 "TransportID for initiator ports using SCSI over iSCSI" */
#define TID_PROTO_ISCSI 0x5
#define TID_FMT_NAME 0x0  /* iSCSI name: the initiator device */
#define TID_FMT_PORT 0x1  /* "name,i,0x<ISID>": one initiator port */
#define TID_HDR 4u
#define TID_MIN_NAME 20u  /* ISCSI NAME field: at least 20 bytes */
#define ISID_HEX_MAX 12   /* 48 bits */
static const char pr_isid_sep[] = ",i,0x";

/* SPC-2 "RESERVE(10)" and "RELEASE(10)" byte 1; RESERVE(6) and RELEASE(6)
 * byte 1 bit 0 is the obsolete EXTENT. */
#define SPC2_3RDPTY 0x10
#define SPC2_LONGID 0x02
#define SPC2_EXTENT 0x01

/* Opcodes whose reservation rules we know but whose commands we do not
 * implement (yet) ourselves. */
enum pr_opcode {
	PR_OP_RECEIVE_DIAGNOSTIC = 0x1c,
	PR_OP_PRE_FETCH_10 = 0x34,
	PR_OP_READ_DEFECT_DATA_10 = 0x37,
	PR_OP_READ_BUFFER = 0x3c,
	PR_OP_LOG_SENSE = 0x4d,
	PR_OP_RECEIVE_COPY_RESULTS = 0x84,
	PR_OP_READ_ATTRIBUTE = 0x8c,
	PR_OP_PRE_FETCH_16 = 0x90,
	PR_OP_READ_MEDIA_SERIAL = 0xab,
	PR_OP_READ_DEFECT_DATA_12 = 0xb7,
};
/* SERVICE ACTION IN (16) and MAINTENANCE IN service actions */
#define PR_MI_REPORT_IDENTIFYING_INFO 0x05
#define PR_MI_REPORT_TARGET_PORT_GROUPS 0x0a
#define PR_MI_REPORT_PRIORITY 0x0e
#define PR_RMSN_READ_MEDIA_SERIAL 0x01
/* PREVENT ALLOW MEDIUM REMOVAL byte 4, START STOP UNIT byte 4 */
#define PR_PREVENT_MASK 0x03
#define PR_SSU_START 0x01
#define PR_SSU_POWER_SHIFT 4

/* How a command fares against a persistent reservation held by another I_T
 * nexus (SPC-4 "SPC commands that are allowed in the presence of various
 * reservations", SBC-3 "SBC-3 commands that are allowed in the presence of
 * various reservations"). */
enum pr_class {
	/* Conflict, Conflict, Allowed, Conflict, Conflict */
	PR_CLASS_WRITE = 0,
	PR_CLASS_READ,      /* Allowed, Conflict, Allowed, Allowed, Conflict */
	PR_CLASS_ALLOWED,   /* Allowed everywhere (or checked by the command) */
};

/* Every opcode not listed is PR_CLASS_WRITE: new medium-changing commands
 * conflict until someone says otherwise. */
static const uint8_t pr_op_class[256] = {
	[SCSI_OP_TEST_UNIT_READY] = PR_CLASS_ALLOWED,
	[SCSI_OP_REQUEST_SENSE] = PR_CLASS_ALLOWED,
	[SCSI_OP_INQUIRY] = PR_CLASS_ALLOWED,
	[SCSI_OP_READ_CAPACITY_10] = PR_CLASS_ALLOWED,
	[PR_OP_LOG_SENSE] = PR_CLASS_ALLOWED,
	[SCSI_OP_REPORT_LUNS] = PR_CLASS_ALLOWED,
	/* SPC-4 "Exceptions to SPC-2 RESERVE and RELEASE behavior": RESERVE
	 * and RELEASE decide for themselves; PERSISTENT
	 * RESERVE IN and OUT are allowed (OUT checks its own rules). */
	[SCSI_OP_RESERVE_6] = PR_CLASS_ALLOWED,
	[SCSI_OP_RELEASE_6] = PR_CLASS_ALLOWED,
	[SCSI_OP_RESERVE_10] = PR_CLASS_ALLOWED,
	[SCSI_OP_RELEASE_10] = PR_CLASS_ALLOWED,
	[SCSI_OP_PERSISTENT_RESERVE_IN] = PR_CLASS_ALLOWED,
	[SCSI_OP_PERSISTENT_RESERVE_OUT] = PR_CLASS_ALLOWED,
	[SCSI_OP_READ_6] = PR_CLASS_READ,
	[SCSI_OP_READ_10] = PR_CLASS_READ,
	[SCSI_OP_READ_12] = PR_CLASS_READ,
	[SCSI_OP_READ_16] = PR_CLASS_READ,
	[SCSI_OP_VERIFY_10] = PR_CLASS_READ,
	[SCSI_OP_VERIFY_12] = PR_CLASS_READ,
	[SCSI_OP_VERIFY_16] = PR_CLASS_READ,
	[PR_OP_PRE_FETCH_10] = PR_CLASS_READ,
	[PR_OP_PRE_FETCH_16] = PR_CLASS_READ,
	/* ALLOW COMMANDS 011b */
	[SCSI_OP_MODE_SENSE_6] = PR_CLASS_READ,
	[SCSI_OP_MODE_SENSE_10] = PR_CLASS_READ,
	[PR_OP_READ_ATTRIBUTE] = PR_CLASS_READ,
	[PR_OP_READ_BUFFER] = PR_CLASS_READ,
	[PR_OP_RECEIVE_COPY_RESULTS] = PR_CLASS_READ,
	[PR_OP_RECEIVE_DIAGNOSTIC] = PR_CLASS_READ,
	[PR_OP_READ_DEFECT_DATA_10] = PR_CLASS_READ,
	[PR_OP_READ_DEFECT_DATA_12] = PR_CLASS_READ,
};

/* The I_T nexus of a command, as registrations see it: a view into the
 * initiator port string (not NUL terminated at name_len). */
struct pr_id {
	const char *name;
	size_t name_len;
	uint64_t isid;
	int has_isid;
	uint16_t rel_port_id;
};

/* A unit attention to post, or tasks to abort, once a PR OUT commits. */
struct pr_note {
	struct pr_reg who;    /* owns who.name */
	enum sense_asc asc;   /* 0: none */
	int aborted;          /* PREEMPT AND ABORT: abort who's tasks */
};

/* One PERSISTENT RESERVE OUT in progress. */
struct pr_op {
	struct scsi_task *task;
	struct pr_lun *pr;
	enum pr_out_sa sa;
	enum pr_type type;      /* TYPE of the CDB */
	struct pr_state w;      /* the state being changed */
	struct pr_id me;        /* the requesting I_T nexus */
	int me_ok;              /* me could be identified */
	int64_t me_reg;         /* its registration in w, or -1 */
	uint64_t rk, sark;      /* RESERVATION KEY, SERVICE ACTION RK */
	int all_tg_pt, aptpl, unreg;
	uint16_t rtpi;          /* REGISTER AND MOVE */
	const uint8_t *tid;     /* TransportIDs */
	uint32_t tid_len, tid_off; /* and their offset in the list */
	int changed;            /* w differs: persist and commit */
	int bump;               /* increment PRGENERATION */
	struct pr_note *notes;
	uint32_t nnotes;
};

int
pr_type_valid(unsigned int type)
{
	return type == PR_TYPE_WE || type == PR_TYPE_EA ||
	    type == PR_TYPE_WE_RO || type == PR_TYPE_EA_RO ||
	    type == PR_TYPE_WE_AR || type == PR_TYPE_EA_AR;
}

int
pr_type_all_registrants(enum pr_type type)
{
	return type == PR_TYPE_WE_AR || type == PR_TYPE_EA_AR;
}

/* Registrants only and all registrants types: every registered I_T nexus
 * has access (SPC-4 table "Persistent reservation type codes"). */
static int
pr_type_registrants(enum pr_type type)
{
	return type == PR_TYPE_WE_RO || type == PR_TYPE_EA_RO ||
	    pr_type_all_registrants(type);
}

static int
pr_type_write_exclusive(enum pr_type type)
{
	return type == PR_TYPE_WE || type == PR_TYPE_WE_RO ||
	    type == PR_TYPE_WE_AR;
}

void
pr_state_clear(struct pr_state *st)
{
	for (uint32_t i = 0; i < st->nregs; i++)
		free(st->regs[i].name);
	free(st->regs);
	memset(st, 0, sizeof(*st));
}

static void
pr_state_copy(struct pr_state *dst, const struct pr_state *src)
{
	*dst = *src;
	dst->regs = NULL;
	if (src->nregs == 0)
		return;
	dst->regs = xmalloc(src->nregs * sizeof(*dst->regs));
	for (uint32_t i = 0; i < src->nregs; i++) {
		dst->regs[i] = src->regs[i];
		dst->regs[i].name = xstrdup(src->regs[i].name);
	}
}

/* Parses "name,i,0x<isid>" or (isid_required 0) "name" into id, a view of
 * s. iSCSI names (RFC 3720 3.2.6.2) hold no ',' and no space. */
static int
pr_id_parse(const char *s, int isid_required, struct pr_id *id)
{
	const char *sep = NULL, *h;
	int d, n = 0;

	memset(id, 0, sizeof(*id));
	for (const char *c = s; *c != '\0'; c++)
		if (*c == ',') {
			sep = c;
			break;
		}
	id->name = s;
	id->name_len = sep ? (size_t)(sep - s) : strlen(s);
	if (id->name_len == 0 || id->name_len > ISCSI_NAME_MAX)
		return -1;
	for (size_t i = 0; i < id->name_len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return -1;
	if (sep == NULL)
		return isid_required ? -1 : 0;
	if (strncasecmp(sep, pr_isid_sep, strlen(pr_isid_sep)) != 0)
		return -1;
	for (h = sep + strlen(pr_isid_sep); *h != '\0'; h++, n++) {
		if (n == ISID_HEX_MAX || (d = hex_digit(*h)) < 0)
			return -1;
		id->isid = id->isid << 4 | (uint64_t)d;
	}
	if (n == 0)
		return -1;
	id->has_isid = 1;
	return 0;
}

int
pr_port_parse(const char *s, int isid_required, struct pr_reg *reg)
{
	struct pr_id id;

	if (pr_id_parse(s, isid_required, &id) != 0)
		return -1;
	reg->name = xstrndup(id.name, id.name_len);
	reg->isid = id.isid;
	reg->has_isid = id.has_isid;
	return 0;
}

int
pr_port_format(const struct pr_reg *reg, char *buf, size_t len)
{
	if (!reg->has_isid)
		return snprintf(buf, len, "%s", reg->name);
	/* RFC7143 10.1.1 / login.c: twelve lower case hex digits */
	return snprintf(buf, len, "%s%s%012" PRIx64, reg->name, pr_isid_sep,
	    reg->isid);
}

static int
pr_name_eq(const struct pr_reg *r, const struct pr_id *id)
{
	return strlen(r->name) == id->name_len &&
	    strncasecmp(r->name, id->name, id->name_len) == 0;
}

/* 1 if registration r covers the I_T nexus id; any_port ignores the
 * target port (unit attentions are kept per initiator port). */
static int
pr_reg_covers(const struct pr_reg *r, const struct pr_id *id, int any_port)
{
	if (!pr_name_eq(r, id))
		return 0;
	if (r->has_isid && (!id->has_isid || r->isid != id->isid))
		return 0;
	return any_port || r->all_tg_pt || r->rel_port_id == id->rel_port_id;
}

int
pr_reg_overlap(const struct pr_reg *a, const struct pr_reg *b)
{
	if (strcasecmp(a->name, b->name) != 0)
		return 0;
	if (a->has_isid && b->has_isid && a->isid != b->isid)
		return 0;
	return a->all_tg_pt || b->all_tg_pt ||
	    a->rel_port_id == b->rel_port_id;
}

/* The registration of the I_T nexus id, or -1. */
static int64_t
pr_find(const struct pr_state *st, const struct pr_id *id)
{
	for (uint32_t i = 0; i < st->nregs; i++)
		if (pr_reg_covers(&st->regs[i], id, 0))
			return i;
	return -1;
}

/* 1 if registration i holds the reservation. */
static int
pr_is_holder(const struct pr_state *st, int64_t i)
{
	if (i < 0 || st->type == PR_TYPE_NONE)
		return 0;
	return pr_type_all_registrants(st->type) || st->regs[i].holder;
}

/* The task's I_T nexus. Returns 0, or -1 if the transport gave no usable
 * initiator port (such a nexus is never registered). */
static int
pr_task_id(const struct scsi_task *task, struct pr_id *id)
{
	const char *port = scsi_task_port(task);

	if (port == NULL || pr_id_parse(port, 0, id) != 0)
		return -1;
	id->rel_port_id = task->nexus->rel_port_id;
	return 0;
}

static void
pr_set_conflict(struct scsi_task *task)
{
	/* SAM-5 "Status codes": RESERVATION CONFLICT carries no sense. */
	bufpool_put(task->data_in);
	task->data_in = NULL;
	task->data_in_len = 0;
	task->sense_len = 0;
	task->status = SCSI_STATUS_RESERVATION_CONFLICT;
}

struct pr_lun *
pr_lun_new(const char *file, char *err, size_t errlen)
{
	struct pr_lun *pr = xcalloc(1, sizeof(*pr));

	if (file != NULL) {
		if (pr_store_load(file, &pr->st, err, errlen) != 0) {
			free(pr);
			return NULL;
		}
		pr->file = xstrdup(file);
	}
	pthread_mutex_init(&pr->out_lock, NULL);
	return pr;
}

void
pr_lun_free(struct pr_lun *pr)
{
	if (pr == NULL)
		return;
	pr_state_clear(&pr->st);
	free(pr->spc2_holder);
	free(pr->file);
	pthread_mutex_destroy(&pr->out_lock);
	free(pr);
}

void
pr_reset(struct scsi_lun *lu)
{
	/* SPC-2 "Reservations": a reservation is released by a logical
	 * unit reset or hard reset. */
	free(lu->pr->spc2_holder);
	lu->pr->spc2_holder = NULL;
}

void
pr_nexus_loss(struct scsi_lun *lu, const char *port)
{
	struct pr_lun *pr = lu->pr;

	/* SAM-5 "I_T nexus loss" releases the reservations of SPC-2. */
	if (pr->spc2_holder != NULL && strcmp(pr->spc2_holder, port) == 0) {
		free(pr->spc2_holder);
		pr->spc2_holder = NULL;
	}
}

/* The class of a command: by its opcode, or by a CDB field for the
 * commands whose rule depends on more. */
static enum pr_class
pr_cmd_class(const uint8_t *cdb)
{
	uint8_t sa = cdb[1] & SCSI_SA_MASK;

	switch (cdb[0]) {
	case SCSI_OP_PREVENT_ALLOW:
		/* SBC-3: PREVENT ALLOW MEDIUM REMOVAL (Prevent=0) is
		 * allowed, (Prevent<>0) is not. */
		return (cdb[4] & PR_PREVENT_MASK) == 0 ? PR_CLASS_ALLOWED :
		    PR_CLASS_WRITE;
	case SCSI_OP_START_STOP_UNIT:
		/* SBC-3: START STOP UNIT with START set to one and POWER
		 * CONDITION 0h is allowed, other forms are not. */
		return (cdb[4] & PR_SSU_START) &&
		    (cdb[4] >> PR_SSU_POWER_SHIFT) == 0 ? PR_CLASS_ALLOWED :
		    PR_CLASS_WRITE;
	case SCSI_OP_SERVICE_ACTION_IN_16:
		if (sa == SCSI_SAI_READ_CAPACITY_16)
			return PR_CLASS_ALLOWED;
		return sa == SCSI_SAI_GET_LBA_STATUS ? PR_CLASS_READ :
		    PR_CLASS_WRITE;
	case SCSI_OP_MAINTENANCE_IN:
		if (sa == PR_MI_REPORT_IDENTIFYING_INFO ||
		    sa == PR_MI_REPORT_TARGET_PORT_GROUPS ||
		    sa == PR_MI_REPORT_PRIORITY)
			return PR_CLASS_ALLOWED;
		return sa == SCSI_MI_REPORT_SUPPORTED_OPCODES ||
		    sa == SCSI_MI_REPORT_SUPPORTED_TMFS ? PR_CLASS_READ :
		    PR_CLASS_WRITE;
	case PR_OP_READ_MEDIA_SERIAL:
		return sa == PR_RMSN_READ_MEDIA_SERIAL ? PR_CLASS_ALLOWED :
		    PR_CLASS_WRITE;
	default:
		return (enum pr_class)pr_op_class[cdb[0]];
	}
}

/* SPC-2 "Reservations": while another initiator holds a RESERVE, commands
 * conflict except the few that must always work; PERSISTENT RESERVE IN and OUT
 * conflict from every I_T nexus ("If a logical unit has executed a
 * RESERVE command and is still reserved by any initiator, all PERSISTENT
 * RESERVE IN and all PERSISTENT RESERVE OUT commands shall conflict
 * regardless of initiator or service action"). */
static int
pr_spc2_conflict(const struct pr_lun *pr, const uint8_t *cdb,
    const char *port)
{
	switch (cdb[0]) {
	case SCSI_OP_PERSISTENT_RESERVE_IN:
	case SCSI_OP_PERSISTENT_RESERVE_OUT:
		return 1;
	case SCSI_OP_INQUIRY:
	case SCSI_OP_REPORT_LUNS:
	case SCSI_OP_REQUEST_SENSE:
	case SCSI_OP_RELEASE_6:
	case SCSI_OP_RELEASE_10:
		return 0;
	case SCSI_OP_PREVENT_ALLOW:
		if ((cdb[4] & PR_PREVENT_MASK) == 0)
			return 0;
		break;
	default:
		break;
	}
	return port == NULL || strcmp(port, pr->spc2_holder) != 0;
}

int
pr_check(struct scsi_task *task)
{
	const struct pr_lun *pr = task->lu->pr;
	const struct pr_state *st = &pr->st;
	const struct scsi_cmd_desc *d;
	enum pr_class c;
	struct pr_id id;
	int64_t r = -1;

	if (pr->spc2_holder == NULL && st->type == PR_TYPE_NONE)
		return 0;
	/* A command we do not implement fails as such, not as a conflict. */
	d = scsi_cmd_find(task->cdb[0], task->cdb[1] & SCSI_SA_MASK);
	if (d == NULL || d->fn == NULL ||
	    ((d->flags & CMD_THIN) && !task->lu->thin))
		return 0;
	if (pr->spc2_holder != NULL) {
		if (!pr_spc2_conflict(pr, task->cdb, scsi_task_port(task)))
			return 0;
		pr_set_conflict(task);
		return 1;
	}
	if ((c = pr_cmd_class(task->cdb)) == PR_CLASS_ALLOWED)
		return 0;
	if (pr_task_id(task, &id) == 0)
		r = pr_find(st, &id);
	/* The holder has access; under a registrants only or all
	 * registrants reservation, so has every registered I_T nexus. */
	if (pr_is_holder(st, r) || (r >= 0 && pr_type_registrants(st->type)))
		return 0;
	/* Others may read through a Write Exclusive type. */
	if (c == PR_CLASS_READ && pr_type_write_exclusive(st->type))
		return 0;
	pr_set_conflict(task);
	return 1;
}

/* ---- PERSISTENT RESERVE IN ---- */

static uint32_t
pr_tid_len(const struct pr_reg *r)
{
	char port[ISCSI_NAME_MAX + 32];
	uint32_t n = (uint32_t)pr_port_format(r, port, sizeof(port)) + 1;

	/* "The ISCSI NAME field ... shall be a multiple of four bytes" and
	 * at least 20 bytes, NUL terminated and NUL padded. */
	n = (n + 3) & ~3u;
	return TID_HDR + (n < TID_MIN_NAME ? TID_MIN_NAME : n);
}

/* Writes reg's TransportID (pr_tid_len(r) bytes, zeroed by the caller). */
static void
pr_tid_put(uint8_t *p, const struct pr_reg *r)
{
	uint32_t len = pr_tid_len(r);

	p[0] = (uint8_t)((r->has_isid ? TID_FMT_PORT : TID_FMT_NAME) << 6 |
	    TID_PROTO_ISCSI);
	put_be16(&p[2], (uint16_t)(len - TID_HDR));
	pr_port_format(r, (char *)&p[TID_HDR], len - TID_HDR);
}

static void
pr_in_read_keys(struct scsi_task *task, const struct pr_state *st,
    uint16_t alloc)
{
	uint8_t *out = scsi_data_in_alloc(task, PR_IN_HDR + 8 * st->nregs,
	    alloc);

	/* SPC-4 "READ KEYS service action": "The ADDITIONAL LENGTH field
	 * ... is not altered based on the allocation length". */
	put_be32(out, st->generation);
	put_be32(&out[4], 8 * st->nregs);
	for (uint32_t i = 0; i < st->nregs; i++)
		put_be64(&out[PR_IN_HDR + 8 * i], st->regs[i].key);
}

static void
pr_in_read_reservation(struct scsi_task *task, const struct pr_state *st,
    uint16_t alloc)
{
	uint64_t key = 0;
	uint8_t *out;

	if (st->type == PR_TYPE_NONE) {
		out = scsi_data_in_alloc(task, PR_IN_HDR, alloc);
		put_be32(out, st->generation);
		return;
	}
	/* SPC-4 "READ RESERVATION service action": the holder's key, or
	 * zero for an all registrants reservation. */
	for (uint32_t i = 0; i < st->nregs; i++)
		if (st->regs[i].holder &&
		    !pr_type_all_registrants(st->type))
			key = st->regs[i].key;
	out = scsi_data_in_alloc(task, PR_IN_HDR + 16, alloc);
	put_be32(out, st->generation);
	put_be32(&out[4], 16);
	put_be64(&out[8], key);
	out[21] = (uint8_t)(PR_SCOPE_LU << 4 | st->type);
}

static void
pr_in_report_capabilities(struct scsi_task *task, const struct pr_lun *pr,
    uint16_t alloc)
{
	uint8_t *out = scsi_data_in_alloc(task, PR_CAP_LEN, alloc);

	/* SPC-4 "REPORT CAPABILITIES service action". CRH: RESERVE and
	 * RELEASE follow "Exceptions to SPC-2 RESERVE and RELEASE
	 * behavior"; we parse TransportIDs (SIP_C) and register through all
	 * target ports (ATP_C); persisting needs a file. */
	put_be16(out, PR_CAP_LEN);
	out[2] = PR_CAP_CRH | PR_CAP_SIP_C | PR_CAP_ATP_C |
	    (pr->file ? PR_CAP_PTPL_C : 0);
	out[3] = PR_CAP_TMV | PR_CAP_ALLOW_COMMANDS |
	    (pr->st.aptpl ? PR_CAP_PTPL_A : 0);
	put_be16(&out[4], PR_MASK_WR_EX_AR | PR_MASK_EX_AC_RO |
	    PR_MASK_WR_EX_RO | PR_MASK_EX_AC | PR_MASK_WR_EX |
	    PR_MASK_EX_AC_AR);
}

static void
pr_in_read_full_status(struct scsi_task *task, const struct pr_state *st,
    uint16_t alloc)
{
	uint32_t len = PR_IN_HDR, off = PR_IN_HDR, tlen;
	const struct pr_reg *r;
	uint8_t *out, *d;

	for (uint32_t i = 0; i < st->nregs; i++)
		len += PR_FULL_DESC_HDR + pr_tid_len(&st->regs[i]);
	out = scsi_data_in_alloc(task, len, alloc);
	put_be32(out, st->generation);
	put_be32(&out[4], len - PR_IN_HDR);
	/* SPC-4 "READ FULL STATUS service action": one full status
	 * descriptor per registration. */
	for (uint32_t i = 0; i < st->nregs; i++) {
		r = &st->regs[i];
		d = &out[off];
		tlen = pr_tid_len(r);
		put_be64(d, r->key);
		d[12] = (r->all_tg_pt ? PR_FULL_ALL_TG_PT : 0);
		if (pr_is_holder(st, i)) {
			d[12] |= PR_FULL_R_HOLDER;
			d[13] = (uint8_t)(PR_SCOPE_LU << 4 | st->type);
		}
		put_be16(&d[18], r->rel_port_id);
		put_be32(&d[20], tlen);
		pr_tid_put(&d[PR_FULL_DESC_HDR], r);
		off += PR_FULL_DESC_HDR + tlen;
	}
}

/* SPC-4 6.15 PERSISTENT RESERVE IN */
enum scsi_cmd_result
pr_in(struct scsi_task *task)
{
	struct scsi_lun *lu = task->lu;
	struct pr_lun *pr = lu->pr;
	uint8_t sa = task->cdb[1] & SCSI_SA_MASK;
	uint16_t alloc = get_be16(&task->cdb[7]);

	if (sa > PR_IN_READ_FULL_STATUS) {
		sense_invalid_cdb(task, 1, 4);
		return SCSI_CMD_COMPLETE;
	}
	pthread_mutex_lock(&lu->lock);
	switch ((enum pr_in_sa)sa) {
	case PR_IN_READ_KEYS:
		pr_in_read_keys(task, &pr->st, alloc);
		break;
	case PR_IN_READ_RESERVATION:
		pr_in_read_reservation(task, &pr->st, alloc);
		break;
	case PR_IN_REPORT_CAPABILITIES:
		pr_in_report_capabilities(task, pr, alloc);
		break;
	case PR_IN_READ_FULL_STATUS:
		pr_in_read_full_status(task, &pr->st, alloc);
		break;
	}
	pthread_mutex_unlock(&lu->lock);
	return SCSI_CMD_COMPLETE;
}

/* ---- PERSISTENT RESERVE OUT ---- */

uint64_t
pr_out_out_len(const struct scsi_lun *lu, const uint8_t *cdb)
{
	uint32_t plen = get_be32(&cdb[5]);

	(void)lu;
	/* A longer list is refused before any data moves. */
	return plen > MINISAN_MAX_PR_PARAM_BYTES ? 0 : plen;
}

/* Records that who gets unit attention asc (if not 0) and, with abort, has
 * its tasks aborted. Takes ownership of who->name if take, else copies. */
static void
pr_note(struct pr_op *op, struct pr_reg *who, enum sense_asc asc,
    int aborted, int take)
{
	struct pr_note *n;

	op->notes = xrealloc(op->notes, (op->nnotes + 1) * sizeof(*n));
	n = &op->notes[op->nnotes++];
	n->who = *who;
	if (!take)
		n->who.name = xstrdup(who->name);
	n->asc = asc;
	n->aborted = aborted;
}

/* Unit attention asc for every registration but the requester's. */
static void
pr_note_others(struct pr_op *op, enum sense_asc asc)
{
	for (uint32_t i = 0; i < op->w.nregs; i++)
		if ((int64_t)i != op->me_reg)
			pr_note(op, &op->w.regs[i], asc, 0, 0);
}

/* Removes registration i from the working state, handing its name to a
 * note if asc or abort, else freeing it. */
static void
pr_remove(struct pr_op *op, uint32_t i, enum sense_asc asc, int aborted)
{
	struct pr_state *w = &op->w;

	if (asc != 0 || aborted)
		pr_note(op, &w->regs[i], asc, aborted, 1);
	else
		free(w->regs[i].name);
	memmove(&w->regs[i], &w->regs[i + 1],
	    (w->nregs - i - 1) * sizeof(w->regs[0]));
	w->nregs--;
	if (op->me_reg > (int64_t)i)
		op->me_reg--;
	if (w->nregs == 0)
		w->type = PR_TYPE_NONE;
}

static void
pr_release_res(struct pr_state *w)
{
	w->type = PR_TYPE_NONE;
	for (uint32_t i = 0; i < w->nregs; i++)
		w->regs[i].holder = 0;
}

/* Makes the requester the holder of a reservation of type. */
static void
pr_reserve_me(struct pr_op *op, enum pr_type type)
{
	pr_release_res(&op->w);
	op->w.type = type;
	if (!pr_type_all_registrants(type))
		op->w.regs[op->me_reg].holder = 1;
}

/* SPC-4 "Unregistering" (and the release it may cause). */
static void
pr_unregister(struct pr_op *op)
{
	struct pr_state *w = &op->w;
	enum pr_type type = w->type;
	int holder = pr_is_holder(w, op->me_reg);

	pr_remove(op, (uint32_t)op->me_reg, 0, 0);
	op->me_reg = -1;
	/* "If the I_T nexus is the reservation holder of a persistent
	 * reservation that is not an all registrants type, then the device
	 * server shall release the persistent reservation. If the persistent
	 * reservation is a registrants only type, the device server shall
	 * establish a unit attention condition ... RESERVATIONS RELEASED"
	 * for every registered I_T nexus. An all registrants reservation
	 * ends with its last registration (pr_remove). */
	if (holder && !pr_type_all_registrants(type)) {
		pr_release_res(w);
		if (type == PR_TYPE_WE_RO || type == PR_TYPE_EA_RO)
			pr_note_others(op, ASC_RESERVATIONS_RELEASED);
	}
}

/* Parses one TransportID at op->tid + off into a registration of the
 * requester's key material (key, target port, ALL_TG_PT). Returns its
 * length, or 0 with INVALID FIELD IN PARAMETER LIST set. */
static uint32_t
pr_tid_parse(struct pr_op *op, uint32_t off, struct pr_reg *reg)
{
	const uint8_t *p = op->tid + off;
	uint32_t avail = op->tid_len - off, alen;
	uint8_t fmt;
	struct pr_id id;

	if (avail < TID_HDR)
		goto bad;
	fmt = p[0] >> 6;
	alen = get_be16(&p[2]);
	/* SPC-4 "TransportID identifiers": we take iSCSI initiator device
	 * (00b) and initiator port (01b) names. */
	if ((p[0] & 0x0f) != TID_PROTO_ISCSI ||
	    (fmt != TID_FMT_NAME && fmt != TID_FMT_PORT) || (p[0] & 0x30) ||
	    alen == 0 || alen > avail - TID_HDR ||
	    memchr(&p[TID_HDR], '\0', alen) == NULL ||
	    pr_id_parse((const char *)&p[TID_HDR], fmt == TID_FMT_PORT,
	    &id) != 0 || (fmt == TID_FMT_NAME && id.has_isid))
		goto bad;
	memset(reg, 0, sizeof(*reg));
	reg->name = xstrndup(id.name, id.name_len);
	reg->isid = id.isid;
	reg->has_isid = id.has_isid;
	reg->key = op->sark;
	reg->rel_port_id = op->me.rel_port_id;
	reg->all_tg_pt = op->all_tg_pt;
	return TID_HDR + alen;
bad:
	sense_set_field(op->task, ASC_INVALID_FIELD_IN_PARAM_LIST, 0,
	    (uint16_t)(op->tid_off + off), -1);
	return 0;
}

static void
pr_regs_free(struct pr_reg *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* SPC-4 "Registering" by an unregistered I_T nexus, with the
 * SPEC_I_PT TransportIDs: all registrations are made, or none. */
static int
pr_register_new(struct pr_op *op)
{
	struct pr_state *w = &op->w;
	struct pr_reg *v = xcalloc(1, sizeof(*v)), cand;
	uint32_t n = 1, used, cap = 1;

	v[0].key = op->sark;
	v[0].name = xstrndup(op->me.name, op->me.name_len);
	v[0].isid = op->me.isid;
	v[0].has_isid = op->me.has_isid;
	v[0].rel_port_id = op->me.rel_port_id;
	v[0].all_tg_pt = op->all_tg_pt;
	for (uint32_t off = 0; off < op->tid_len; off += used) {
		if ((used = pr_tid_parse(op, off, &cand)) == 0)
			goto fail;
		/* The requester's own port may be listed: it is registered
		 * once. Any other I_T nexus registered twice, already or in
		 * this list, is an error. */
		if (cand.has_isid == v[0].has_isid &&
		    cand.isid == v[0].isid && pr_reg_overlap(&cand, &v[0])) {
			free(cand.name);
			continue;
		}
		for (uint32_t i = 0; i < n + w->nregs; i++)
			if (pr_reg_overlap(&cand, i < n ? &v[i] :
			    &w->regs[i - n])) {
				free(cand.name);
				sense_set_field(op->task,
				    ASC_INVALID_FIELD_IN_PARAM_LIST, 0,
				    (uint16_t)(op->tid_off + off), -1);
				goto fail;
			}
		if (n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		v[n++] = cand;
	}
	/* The requester's own registration through ALL_TG_PT may cover a
	 * registration it made through another target port. */
	for (uint32_t i = 0; i < w->nregs; i++)
		if (pr_reg_overlap(&v[0], &w->regs[i])) {
			sense_set_field(op->task,
			    ASC_INVALID_FIELD_IN_PARAM_LIST, 0, PR_PARAM_FLAGS,
			    2);
			goto fail;
		}
	if (w->nregs + n > MINISAN_MAX_PR_REGISTRATIONS) {
		sense_set(op->task, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_INSUFFICIENT_REGISTRATION_RESOURCES);
		goto fail;
	}
	w->regs = xrealloc(w->regs, (w->nregs + n) * sizeof(*w->regs));
	memcpy(&w->regs[w->nregs], v, n * sizeof(*v));
	w->nregs += n;
	free(v);
	return 0;
fail:
	pr_regs_free(v, n);
	return -1;
}

/* SPC-4 "Registering": REGISTER and REGISTER AND IGNORE EXISTING KEY */
static int
pr_out_register(struct pr_op *op)
{
	int ignore = op->sa == PR_OUT_REGISTER_AND_IGNORE;

	if (!op->me_ok) {
		pr_set_conflict(op->task);
		return -1;
	}
	if (op->me_reg < 0) {
		/* "... a RESERVATION KEY field other than zero ...
		 * RESERVATION CONFLICT"; a zero SERVICE ACTION RESERVATION
		 * KEY registers nothing and is GOOD. */
		if (!ignore && op->rk != 0) {
			pr_set_conflict(op->task);
			return -1;
		}
		if (op->sark == 0)
			return 0;
		if (pr_register_new(op) != 0)
			return -1;
	} else {
		if (!ignore && op->rk != op->w.regs[op->me_reg].key) {
			pr_set_conflict(op->task);
			return -1;
		}
		/* A registered I_T nexus cannot name others. */
		if (op->tid != NULL) {
			sense_set_field(op->task,
			    ASC_INVALID_FIELD_IN_PARAM_LIST, 0, PR_PARAM_FLAGS,
			    3);
			return -1;
		}
		if (op->sark == 0)
			pr_unregister(op);
		else
			op->w.regs[op->me_reg].key = op->sark;
	}
	/* SPC-4 "Preserving persistent reservations and registrations":
	 * the APTPL bit of the last REGISTER, REGISTER AND IGNORE EXISTING
	 * KEY or REGISTER AND MOVE applies. */
	op->w.aptpl = op->aptpl;
	op->changed = op->bump = 1;
	return 0;
}

/* The checks every service action but the registering ones starts with:
 * "If the I_T nexus is not registered ... or the RESERVATION KEY does not
 * match ... RESERVATION CONFLICT". */
static int
pr_out_registered(struct pr_op *op)
{
	if (op->me_reg < 0 || op->rk != op->w.regs[op->me_reg].key) {
		pr_set_conflict(op->task);
		return -1;
	}
	return 0;
}

/* SPC-4 "Reserving" */
static int
pr_out_reserve(struct pr_op *op)
{
	struct pr_state *w = &op->w;

	if (pr_out_registered(op) != 0)
		return -1;
	if (w->type != PR_TYPE_NONE) {
		/* The holder reserving again with the same type is a no-op;
		 * changing it, or anyone else reserving, conflicts. */
		if (pr_is_holder(w, op->me_reg) && w->type == op->type)
			return 0;
		pr_set_conflict(op->task);
		return -1;
	}
	pr_reserve_me(op, op->type);
	op->changed = 1;
	return 0;
}

/* SPC-4 "Releasing" */
static int
pr_out_release(struct pr_op *op)
{
	struct pr_state *w = &op->w;
	enum pr_type type = w->type;

	if (pr_out_registered(op) != 0)
		return -1;
	/* No reservation, or not its holder: GOOD, nothing happens. */
	if (!pr_is_holder(w, op->me_reg))
		return 0;
	if (op->type != type) {
		sense_set(op->task, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_INVALID_RELEASE_OF_PR);
		return -1;
	}
	pr_release_res(w);
	/* "... if the released persistent reservation is either a
	 * registrants only type or an all registrants type ... a unit
	 * attention condition ... RESERVATIONS RELEASED" for every other
	 * registered I_T nexus. */
	if (pr_type_registrants(type))
		pr_note_others(op, ASC_RESERVATIONS_RELEASED);
	op->changed = 1;
	return 0;
}

/* SPC-4 "Clearing" */
static int
pr_out_clear(struct pr_op *op)
{
	if (pr_out_registered(op) != 0)
		return -1;
	/* Every other registered I_T nexus gets RESERVATIONS PREEMPTED;
	 * all registrations and the reservation go. */
	pr_note_others(op, ASC_RESERVATIONS_PREEMPTED);
	while (op->w.nregs > 0)
		pr_remove(op, op->w.nregs - 1, 0, 0);
	op->me_reg = -1;
	op->changed = op->bump = 1;
	return 0;
}

/* Removes every registration but the requester's whose key is key (or
 * all of them if all). Returns how many went. */
static uint32_t
pr_preempt_regs(struct pr_op *op, uint64_t key, int all)
{
	int aborted = op->sa == PR_OUT_PREEMPT_AND_ABORT;
	uint32_t n = 0, i = 0;

	while (i < op->w.nregs) {
		if ((int64_t)i != op->me_reg &&
		    (all || op->w.regs[i].key == key)) {
			pr_remove(op, i, ASC_REGISTRATIONS_PREEMPTED,
			    aborted);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

/* SPC-4 "Preempting" (PREEMPT and PREEMPT AND ABORT) */
static int
pr_out_preempt(struct pr_op *op)
{
	struct pr_state *w = &op->w;
	enum pr_type old = w->type;
	int64_t holder = -1;

	if (pr_out_registered(op) != 0)
		return -1;
	for (uint32_t i = 0; i < w->nregs; i++)
		if (w->regs[i].holder)
			holder = i;
	if (old != PR_TYPE_NONE && pr_type_all_registrants(old) &&
	    op->sark == 0) {
		/* An all registrants reservation preempted with key zero:
		 * every other registration goes and the requester holds a
		 * new reservation of the CDB's TYPE. */
		pr_preempt_regs(op, 0, 1);
		pr_reserve_me(op, op->type);
	} else if (old != PR_TYPE_NONE && !pr_type_all_registrants(old) &&
	    holder >= 0 && op->sark == w->regs[holder].key) {
		/* The holder's key: its reservation goes to the requester
		 * (TYPE of the CDB) and the registrations with that key
		 * but the requester's are removed. Others learn of a
		 * changed type through RESERVATIONS RELEASED. */
		pr_preempt_regs(op, op->sark, 0);
		pr_reserve_me(op, op->type);
		if (op->type != old)
			pr_note_others(op, ASC_RESERVATIONS_RELEASED);
	} else {
		/* Registrations only: "If the SERVICE ACTION RESERVATION KEY
		 * field is zero ... INVALID FIELD IN PARAMETER LIST"; if it
		 * matches no registration, RESERVATION CONFLICT. */
		if (op->sark == 0) {
			sense_set_field(op->task,
			    ASC_INVALID_FIELD_IN_PARAM_LIST, 0, PR_PARAM_SARK,
			    -1);
			return -1;
		}
		if (pr_preempt_regs(op, op->sark, 0) == 0) {
			pr_set_conflict(op->task);
			return -1;
		}
	}
	op->changed = op->bump = 1;
	return 0;
}

/* SPC-4 "Registering and moving the reservation" */
static int
pr_out_register_and_move(struct pr_op *op)
{
	struct pr_state *w = &op->w;
	struct pr_reg dest;
	int64_t d = -1;

	if (pr_out_registered(op) != 0)
		return -1;
	/* Only the holder of a reservation that has one holder moves it. */
	if (w->type == PR_TYPE_NONE || pr_type_all_registrants(w->type) ||
	    !pr_is_holder(w, op->me_reg)) {
		pr_set_conflict(op->task);
		return -1;
	}
	if (op->sark == 0) {
		sense_set_field(op->task, ASC_INVALID_FIELD_IN_PARAM_LIST, 0,
		    PR_PARAM_SARK, -1);
		return -1;
	}
	if (op->tid_len == 0 || pr_tid_parse(op, 0, &dest) == 0) {
		if (op->tid_len == 0)
			sense_set_field(op->task,
			    ASC_INVALID_FIELD_IN_PARAM_LIST, 0, PR_MOVE_TIDLEN,
			    -1);
		return -1;
	}
	dest.all_tg_pt = 0;
	dest.rel_port_id = op->rtpi;
	/* We have one target port per target: the one the command came
	 * through. Moving to the requester's own I_T nexus is invalid. */
	if (op->rtpi != op->me.rel_port_id ||
	    pr_reg_overlap(&dest, &w->regs[op->me_reg])) {
		sense_set_field(op->task, ASC_INVALID_FIELD_IN_PARAM_LIST, 0,
		    op->rtpi != op->me.rel_port_id ? PR_MOVE_RTPI : PR_MOVE_TID,
		    -1);
		free(dest.name);
		return -1;
	}
	for (uint32_t i = 0; i < w->nregs && d < 0; i++)
		if (pr_reg_overlap(&dest, &w->regs[i]))
			d = i;
	if (d < 0) {
		/* Not registered yet: registered with the SERVICE ACTION
		 * RESERVATION KEY. */
		if (w->nregs == MINISAN_MAX_PR_REGISTRATIONS) {
			sense_set(op->task, SENSE_KEY_ILLEGAL_REQUEST,
			    ASC_INSUFFICIENT_REGISTRATION_RESOURCES);
			free(dest.name);
			return -1;
		}
		w->regs = xrealloc(w->regs, (w->nregs + 1) * sizeof(dest));
		d = w->nregs;
		w->regs[w->nregs++] = dest;
	} else {
		free(dest.name);
	}
	w->regs[op->me_reg].holder = 0;
	w->regs[d].holder = 1;
	if (op->unreg)
		pr_remove(op, (uint32_t)op->me_reg, 0, 0);
	w->aptpl = op->aptpl;
	op->changed = op->bump = 1;
	return 0;
}

typedef int pr_out_fn(struct pr_op *op);

static pr_out_fn *const pr_out_fns[PR_OUT_SA_COUNT] = {
	[PR_OUT_REGISTER] = pr_out_register,
	[PR_OUT_RESERVE] = pr_out_reserve,
	[PR_OUT_RELEASE] = pr_out_release,
	[PR_OUT_CLEAR] = pr_out_clear,
	[PR_OUT_PREEMPT] = pr_out_preempt,
	[PR_OUT_PREEMPT_AND_ABORT] = pr_out_preempt,
	[PR_OUT_REGISTER_AND_IGNORE] = pr_out_register,
	[PR_OUT_REGISTER_AND_MOVE] = pr_out_register_and_move,
};

static int
pr_sa_registers(enum pr_out_sa sa)
{
	return sa == PR_OUT_REGISTER || sa == PR_OUT_REGISTER_AND_IGNORE ||
	    sa == PR_OUT_REGISTER_AND_MOVE;
}

/* The CDB: SERVICE ACTION, and SCOPE and TYPE where they matter. */
static int
pr_out_cdb(struct pr_op *op)
{
	const uint8_t *cdb = op->task->cdb;

	if ((cdb[1] & SCSI_SA_MASK) >= PR_OUT_SA_COUNT) {
		sense_invalid_cdb(op->task, 1, 4);
		return -1;
	}
	op->sa = (enum pr_out_sa)(cdb[1] & SCSI_SA_MASK);
	op->type = (enum pr_type)(cdb[2] & 0x0f);
	/* SPC-4 "PERSISTENT RESERVE OUT command": SCOPE and TYPE are
	 * ignored by REGISTER, REGISTER AND IGNORE EXISTING KEY, CLEAR and
	 * REGISTER AND MOVE; we support LU_SCOPE only. */
	if (op->sa == PR_OUT_RESERVE || op->sa == PR_OUT_RELEASE ||
	    op->sa == PR_OUT_PREEMPT || op->sa == PR_OUT_PREEMPT_AND_ABORT) {
		if ((cdb[2] >> 4) != PR_SCOPE_LU) {
			sense_invalid_cdb(op->task, 2, 7);
			return -1;
		}
		if (!pr_type_valid(op->type)) {
			sense_invalid_cdb(op->task, 2, 3);
			return -1;
		}
	}
	return 0;
}

/* The parameter list (SPC-4 "Basic PERSISTENT RESERVE OUT parameter
 * list", "REGISTER AND MOVE service action parameter list"). */
static int
pr_out_params(struct pr_op *op)
{
	struct scsi_task *task = op->task;
	uint32_t plen = get_be32(&task->cdb[5]), len = plen, n;
	const uint8_t *p = task->data_out;
	uint8_t flags;

	if (len > task->data_out_len)
		len = task->data_out_len;
	if (len > task->edtl)
		len = task->edtl;
	if (plen < PR_PARAM_LEN || plen > MINISAN_MAX_PR_PARAM_BYTES ||
	    len < plen)
		goto length;
	op->rk = get_be64(p);
	op->sark = get_be64(&p[PR_PARAM_SARK]);
	if (op->sa == PR_OUT_REGISTER_AND_MOVE) {
		flags = p[PR_MOVE_FLAGS];
		op->unreg = !!(flags & PR_MOVE_UNREG);
		op->aptpl = !!(flags & PR_MOVE_APTPL);
		op->rtpi = get_be16(&p[PR_MOVE_RTPI]);
		n = get_be32(&p[PR_MOVE_TIDLEN]);
		if (n > plen - PR_MOVE_TID)
			goto length;
		op->tid = &p[PR_MOVE_TID];
		op->tid_len = n;
		op->tid_off = PR_MOVE_TID;
		if (op->aptpl && op->pr->file == NULL) {
			sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST,
			    0, PR_MOVE_FLAGS, 0);
			return -1;
		}
		return 0;
	}
	flags = p[PR_PARAM_FLAGS];
	/* "If the SPEC_I_PT bit is set to one for any service action
	 * except the REGISTER service action, then the command shall be
	 * terminated ... INVALID FIELD IN PARAMETER LIST." */
	if ((flags & PR_PARAM_SPEC_I_PT) && op->sa != PR_OUT_REGISTER) {
		sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST, 0,
		    PR_PARAM_FLAGS, 3);
		return -1;
	}
	if (flags & PR_PARAM_SPEC_I_PT) {
		if (plen < PR_PARAM_TIDS)
			goto length;
		n = get_be32(&p[PR_PARAM_TPDL]);
		if (n != plen - PR_PARAM_TIDS)
			goto length;
		op->tid = &p[PR_PARAM_TIDS];
		op->tid_len = n;
		op->tid_off = PR_PARAM_TIDS;
	} else if (plen != PR_PARAM_LEN) {
		goto length;
	}
	/* ALL_TG_PT and APTPL matter to the registering service actions
	 * only; the others ignore them. */
	if (pr_sa_registers(op->sa)) {
		op->all_tg_pt = !!(flags & PR_PARAM_ALL_TG_PT);
		op->aptpl = !!(flags & PR_PARAM_APTPL);
		if (op->aptpl && op->pr->file == NULL) {
			sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST,
			    0, PR_PARAM_FLAGS, 0);
			return -1;
		}
	}
	return 0;
length:
	sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
	    ASC_PARAMETER_LIST_LENGTH_ERROR);
	return -1;
}

/* Swaps the new state in and posts its unit attentions, under the LUN
 * lock. The old state is left in op->w for the caller to free. */
static void
pr_commit(struct scsi_lun *lu, struct pr_op *op)
{
	struct ua_table *t = &lu->nexuses;
	const char *me = scsi_task_port(op->task);
	struct pr_state old;
	struct pr_id id;

	pthread_mutex_lock(&lu->lock);
	old = lu->pr->st;
	lu->pr->st = op->w;
	op->w = old;
	for (uint32_t i = 0; i < t->n; i++) {
		if (me != NULL && strcmp(t->v[i].port, me) == 0)
			continue;
		if (pr_id_parse(t->v[i].port, 0, &id) != 0)
			continue;
		for (uint32_t k = 0; k < op->nnotes; k++)
			if (op->notes[k].asc != 0 &&
			    pr_reg_covers(&op->notes[k].who, &id, 1))
				ua_post(&t->v[i], op->notes[k].asc);
	}
	pthread_mutex_unlock(&lu->lock);
}

/* Makes the APTPL file match the new state: written while APTPL is set,
 * removed when it has just been cleared. */
static int
pr_persist(const struct pr_lun *pr, const struct pr_state *w)
{
	if (pr->file == NULL)
		return 0;
	if (w->aptpl)
		return pr_store_save(pr->file, w);
	return pr->st.aptpl ? pr_store_remove(pr->file) : 0;
}

/* SPC-4 6.16 PERSISTENT RESERVE OUT */
enum scsi_cmd_result
pr_out(struct scsi_task *task)
{
	struct scsi_lun *lu = task->lu;
	struct scsi_target *tgt = task->target;
	struct pr_op op;
	char port[ISCSI_NAME_MAX + 32];
	int rc;

	memset(&op, 0, sizeof(op));
	op.task = task;
	op.pr = lu->pr;
	op.me_reg = -1;
	task->xfer_len = get_be32(&task->cdb[5]);
	if (pr_out_cdb(&op) != 0 || pr_out_params(&op) != 0)
		return SCSI_CMD_COMPLETE;
	op.me_ok = pr_task_id(task, &op.me) == 0;

	pthread_mutex_lock(&op.pr->out_lock);
	pthread_mutex_lock(&lu->lock);
	/* RESERVE takes out_lock too: no SPC-2 reservation can appear
	 * before we commit. */
	if (op.pr->spc2_holder != NULL) {
		pthread_mutex_unlock(&lu->lock);
		pthread_mutex_unlock(&op.pr->out_lock);
		pr_set_conflict(task);
		return SCSI_CMD_COMPLETE;
	}
	pr_state_copy(&op.w, &op.pr->st);
	pthread_mutex_unlock(&lu->lock);

	if (op.me_ok)
		op.me_reg = pr_find(&op.w, &op.me);
	rc = pr_out_fns[op.sa](&op);
	if (rc == 0 && op.changed) {
		/* SPC-4 "READ KEYS service action": PRGENERATION counts
		 * the REGISTER, CLEAR, PREEMPT ... that completed. */
		if (op.bump)
			op.w.generation++;
		if ((rc = pr_persist(op.pr, &op.w)) != 0)
			sense_set(task, SENSE_KEY_HARDWARE_ERROR,
			    ASC_INTERNAL_TARGET_FAILURE);
		else
			pr_commit(lu, &op);
	}
	pthread_mutex_unlock(&op.pr->out_lock);

	/* SPC-4 "Preempting and aborting": the tasks of the preempted I_T
	 * nexuses are aborted before the command completes. */
	for (uint32_t k = 0; k < op.nnotes; k++) {
		if (rc == 0 && op.notes[k].aborted && tgt != NULL &&
		    tgt->abort_tasks != NULL) {
			pr_port_format(&op.notes[k].who, port, sizeof(port));
			tgt->abort_tasks(tgt, task->lun, port, tgt->abort_arg);
		}
		free(op.notes[k].who.name);
	}
	free(op.notes);
	pr_state_clear(&op.w);
	return SCSI_CMD_COMPLETE;
}

/* ---- SPC-2 RESERVE and RELEASE ---- */

/* The CDB fields we do not support: third-party reservations and
 * extents. */
static int
pr_spc2_cdb(struct scsi_task *task)
{
	const uint8_t *cdb = task->cdb;
	int ten = cdb[0] == SCSI_OP_RESERVE_10 ||
	    cdb[0] == SCSI_OP_RELEASE_10;

	if (ten && (cdb[1] & (SPC2_3RDPTY | SPC2_LONGID))) {
		sense_invalid_cdb(task, 1, cdb[1] & SPC2_3RDPTY ? 4 : 1);
		return -1;
	}
	if (!ten && (cdb[1] & SPC2_EXTENT)) {
		sense_invalid_cdb(task, 1, 0);
		return -1;
	}
	return 0;
}

/* SPC-2 "RESERVE(6) command" and "RESERVE(10) command" */
enum scsi_cmd_result
pr_reserve(struct scsi_task *task)
{
	struct scsi_lun *lu = task->lu;
	struct pr_lun *pr = lu->pr;
	const char *port = scsi_task_port(task);
	struct pr_id id;
	int64_t r = -1;
	int conflict = 0;

	if (pr_spc2_cdb(task) != 0)
		return SCSI_CMD_COMPLETE;
	pthread_mutex_lock(&pr->out_lock);
	pthread_mutex_lock(&lu->lock);
	if (pr->st.nregs > 0) {
		/* SPC-4 "Exceptions to SPC-2 RESERVE and RELEASE behavior"
		 * (CRH=1): from the persistent reservation holder, or a
		 * registered I_T nexus under a registrants only or all
		 * registrants reservation, GOOD without a reservation; else
		 * SPC-2 "Reservations": with registrations present "all
		 * RESERVE commands and all RELEASE commands regardless of
		 * initiator shall conflict". */
		if (pr_task_id(task, &id) == 0)
			r = pr_find(&pr->st, &id);
		conflict = !(pr_is_holder(&pr->st, r) || (r >= 0 &&
		    pr_type_registrants(pr->st.type)));
	} else if (port == NULL || (pr->spc2_holder != NULL &&
	    strcmp(pr->spc2_holder, port) != 0)) {
		/* SPC-2 "RESERVE(6) command": reserved by another initiator. */
		conflict = 1;
	} else if (pr->spc2_holder == NULL) {
		pr->spc2_holder = xstrdup(port);
	}
	pthread_mutex_unlock(&lu->lock);
	pthread_mutex_unlock(&pr->out_lock);
	if (conflict)
		pr_set_conflict(task);
	return SCSI_CMD_COMPLETE;
}

/* SPC-2 "RELEASE(6) command" and "RELEASE(10) command" */
enum scsi_cmd_result
pr_release(struct scsi_task *task)
{
	struct scsi_lun *lu = task->lu;
	struct pr_lun *pr = lu->pr;
	const char *port = scsi_task_port(task);
	struct pr_id id;
	int conflict = 0;

	if (pr_spc2_cdb(task) != 0)
		return SCSI_CMD_COMPLETE;
	pthread_mutex_lock(&lu->lock);
	if (pr->st.nregs > 0) {
		/* SPC-4 "Exceptions to SPC-2 RESERVE and RELEASE behavior":
		 * GOOD without effect from a registered I_T nexus; a conflict
		 * from others (SPC-2 "Reservations"). */
		conflict = pr_task_id(task, &id) != 0 ||
		    pr_find(&pr->st, &id) < 0;
	} else if (port != NULL && pr->spc2_holder != NULL &&
	    strcmp(pr->spc2_holder, port) == 0) {
		free(pr->spc2_holder);
		pr->spc2_holder = NULL;
	}
	/* SPC-2 "RELEASE(6) command": releasing a reservation another
	 * initiator holds, or none, is GOOD and does nothing. */
	pthread_mutex_unlock(&lu->lock);
	if (conflict)
		pr_set_conflict(task);
	return SCSI_CMD_COMPLETE;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the RFC7143 section 13 key table and the target side
 * of login/text negotiation: stage and duplicate checks, the result
 * functions of RFC7143 6.2, and the answers. Pure: no I/O, no logging. */
#include "iscsi/param.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* RFC7143 section 13 defaults (what holds when a key is never negotiated). */
#define ISCSI_DEFAULT_MAX_RECV_DSL 8192u   /* 13.12 */
#define ISCSI_DEFAULT_MAX_BURST 262144u    /* 13.13 */
#define ISCSI_DEFAULT_FIRST_BURST 65536u   /* 13.14 */
#define ISCSI_DEFAULT_TIME2WAIT 2u         /* 13.15 */
#define ISCSI_DEFAULT_TIME2RETAIN 20u      /* 13.16 */
#define ISCSI_DEFAULT_MAX_R2T 1u           /* 13.17 */
#define ISCSI_DEFAULT_MAX_CONNECTIONS 1u   /* 13.2 */
#define ISCSI_DEFAULT_ERL 0u               /* 13.20 */

/* RFC7143 section 13 value ranges not already in limits_minisan.h. */
#define ISCSI_TIME2_MAX 3600u              /* 13.15, 13.16 */
#define ISCSI_COUNT_MAX 65535u             /* 13.2, 13.17 */
#define ISCSI_ERL_MAX 2u                   /* 13.20 */
#define ISCSI_PROTOCOL_LEVEL_MAX 31u       /* 13.24 */
/* RFC7143 6.1: "the maximum length of an individual value (not its encoded
 * representation) is 255 bytes" unless the key says otherwise. */
#define ISCSI_SIMPLE_VALUE_MAX 255u

/* What minisand selects where the result function leaves it a choice. */
#define PARAM_OUR_ERL 0u            /* error recovery level 0 only */
#define PARAM_OUR_PROTOCOL_LEVEL 1u /* RFC7143 (RFC7144 2.1: level 1) */

/* param_limits_default(): bounds minisand accepts out of the box. */
#define PARAM_LIM_MAX_BURST 1048576u
#define PARAM_LIM_FIRST_BURST 262144u
#define PARAM_LIM_MAX_R2T 16u
#define PARAM_LIM_MAX_CONNECTIONS 1u

/* Answer constants of RFC7143 6.2. */
static const char param_reject[] = "Reject";
static const char param_irrelevant[] = "Irrelevant";
static const char param_not_understood[] = "NotUnderstood";
static const char param_yes[] = "Yes";
static const char param_no[] = "No";

enum param_type {
	PT_DECLARATIVE, /* recorded, not negotiated (may still be answered) */
	PT_BOOL_AND,    /* RFC7143 6.2.2 Boolean, result function AND */
	PT_BOOL_OR,     /* RFC7143 6.2.2 Boolean, result function OR */
	PT_NUM_MIN,     /* RFC7143 6.2.2 numerical, result function Minimum */
	PT_NUM_MAX,     /* RFC7143 6.2.2 numerical, result function Maximum */
	PT_LIST,        /* RFC7143 6.2.1 list: first offered value we support */
	PT_OBSOLETE,    /* RFC7143 13.25 obsoleted key: fixed answer */
	PT_DISCOVERY,   /* SendTargets: answered by the discovery code */
};

/* RFC7143 13 "Use:" annotations. */
enum param_use {
	USE_IO,   /* Initialize Only: login of any connection */
	USE_LO,   /* Leading Only: login of the leading connection */
	USE_ALL,  /* login and full feature phase */
	USE_FFPO, /* Full Feature Phase Only */
};

/* May appear in the SecurityNegotiation stage (RFC7143 13 "Any-Stage"). */
#define PF_ANY_STAGE 0x1u
/* "Irrelevant when: SessionType=Discovery". */
#define PF_DISC_IRRELEVANT 0x2u
/* "Senders: Target": offered by an initiator it gets the fixed answer. */
#define PF_TARGET_ONLY 0x4u

#define P_SET(f) offsetof(struct param_set, f)
#define P_LIM(f) offsetof(struct param_limits, f)
#define P_NONE SIZE_MAX

/* Index of each key in param_keys[] and its bit in param_neg.answered. */
enum param_key_idx {
	PK_HEADER_DIGEST,
	PK_DATA_DIGEST,
	PK_MAX_CONNECTIONS,
	PK_SEND_TARGETS,
	PK_TARGET_NAME,
	PK_INITIATOR_NAME,
	PK_TARGET_ALIAS,
	PK_INITIATOR_ALIAS,
	PK_TARGET_ADDRESS,
	PK_TARGET_PORTAL_GROUP_TAG,
	PK_INITIAL_R2T,
	PK_IMMEDIATE_DATA,
	PK_MAX_RECV_DSL,
	PK_MAX_BURST_LENGTH,
	PK_FIRST_BURST_LENGTH,
	PK_DEFAULT_TIME2WAIT,
	PK_DEFAULT_TIME2RETAIN,
	PK_MAX_OUTSTANDING_R2T,
	PK_DATA_PDU_IN_ORDER,
	PK_DATA_SEQUENCE_IN_ORDER,
	PK_ERROR_RECOVERY_LEVEL,
	PK_SESSION_TYPE,
	PK_TASK_REPORTING,
	PK_PROTOCOL_LEVEL,
	PK_OF_MARKER,
	PK_IF_MARKER,
	PK_OF_MARK_INT,
	PK_IF_MARK_INT,
	PK_COUNT
};

/*
 * One RFC7143 section 13 key. Numeric and Boolean keys are negotiated
 * generically: our value comes from param_limits at lim_off, or is ours
 * when lim_off is P_NONE; the result is stored in param_set at set_off
 * (P_NONE: not kept). min/max is the valid range of numeric values.
 */
struct param_key {
	const char *name;
	enum param_type type;
	enum param_use use;
	unsigned int flags;
	uint32_t min;
	uint32_t max;
	uint32_t ours;
	size_t lim_off;
	size_t set_off;
	const char *answer; /* PF_TARGET_ONLY and PT_OBSOLETE */
};

/* clang-format off */
static const struct param_key param_keys[PK_COUNT] = {
	/* RFC7143 13.1: Use: IO, Scope: CO, list, default None */
	[PK_HEADER_DIGEST] = { "HeaderDigest", PT_LIST, USE_IO, 0,
	    0, 0, 0, P_NONE, P_SET(header_digest), NULL },
	[PK_DATA_DIGEST] = { "DataDigest", PT_LIST, USE_IO, 0,
	    0, 0, 0, P_NONE, P_SET(data_digest), NULL },
	/* 13.2: Use: LO, Irrelevant when Discovery, 1..65535, Minimum */
	[PK_MAX_CONNECTIONS] = { "MaxConnections", PT_NUM_MIN, USE_LO,
	    PF_DISC_IRRELEVANT, 1, ISCSI_COUNT_MAX, 0,
	    P_LIM(max_connections), P_SET(max_connections), NULL },
	/* 13.3: Use: FFPO, Senders: Initiator */
	[PK_SEND_TARGETS] = { "SendTargets", PT_DISCOVERY, USE_FFPO, 0,
	    0, 0, 0, P_NONE, P_NONE, NULL },
	/* 13.4: Use: IO by initiator, Any-Stage */
	[PK_TARGET_NAME] = { "TargetName", PT_DECLARATIVE, USE_IO,
	    PF_ANY_STAGE, 0, 0, 0, P_NONE, P_NONE, NULL },
	/* 13.5: Use: IO, Declarative, Any-Stage */
	[PK_INITIATOR_NAME] = { "InitiatorName", PT_DECLARATIVE, USE_IO,
	    PF_ANY_STAGE, 0, 0, 0, P_NONE, P_NONE, NULL },
	/* 13.6: Use: ALL, Declarative, Any-Stage, Senders: Target */
	[PK_TARGET_ALIAS] = { "TargetAlias", PT_DECLARATIVE, USE_ALL,
	    PF_ANY_STAGE | PF_TARGET_ONLY, 0, 0, 0, P_NONE, P_NONE,
	    param_irrelevant },
	/* 13.7: Use: ALL, Declarative, Any-Stage, Senders: Initiator */
	[PK_INITIATOR_ALIAS] = { "InitiatorAlias", PT_DECLARATIVE, USE_ALL,
	    PF_ANY_STAGE, 0, 0, 0, P_NONE, P_NONE, NULL },
	/* 13.8: Use: ALL, Declarative, Any-Stage, Senders: Target */
	[PK_TARGET_ADDRESS] = { "TargetAddress", PT_DECLARATIVE, USE_ALL,
	    PF_ANY_STAGE | PF_TARGET_ONLY, 0, 0, 0, P_NONE, P_NONE,
	    param_reject },
	/* 13.9: Use: IO by target, Declarative, Any-Stage */
	[PK_TARGET_PORTAL_GROUP_TAG] = { "TargetPortalGroupTag",
	    PT_DECLARATIVE, USE_IO, PF_ANY_STAGE | PF_TARGET_ONLY,
	    0, 0, 0, P_NONE, P_NONE, param_reject },
	/* 13.10: Use: LO, Irrelevant when Discovery, default Yes, OR */
	[PK_INITIAL_R2T] = { "InitialR2T", PT_BOOL_OR, USE_LO,
	    PF_DISC_IRRELEVANT, 0, 0, 0, P_LIM(initial_r2t),
	    P_SET(initial_r2t), NULL },
	/* 13.11: Use: LO, Irrelevant when Discovery, default Yes, AND */
	[PK_IMMEDIATE_DATA] = { "ImmediateData", PT_BOOL_AND, USE_LO,
	    PF_DISC_IRRELEVANT, 0, 0, 0, P_LIM(immediate_data),
	    P_SET(immediate_data), NULL },
	/* 13.12: Use: ALL, Declarative, Scope: CO, 512..2^24-1 */
	[PK_MAX_RECV_DSL] = { "MaxRecvDataSegmentLength", PT_DECLARATIVE,
	    USE_ALL, 0, ISCSI_DSL_MIN, ISCSI_DSL_MAX, 0, P_LIM(max_recv_dsl),
	    P_SET(max_xmit_dsl), NULL },
	/* 13.13: Use: LO, Irrelevant when Discovery, 512..2^24-1, Minimum */
	[PK_MAX_BURST_LENGTH] = { "MaxBurstLength", PT_NUM_MIN, USE_LO,
	    PF_DISC_IRRELEVANT, ISCSI_DSL_MIN, ISCSI_DSL_MAX, 0,
	    P_LIM(max_burst_length), P_SET(max_burst_length), NULL },
	/* 13.14: Use: LO, Irrelevant when Discovery, 512..2^24-1, Minimum */
	[PK_FIRST_BURST_LENGTH] = { "FirstBurstLength", PT_NUM_MIN, USE_LO,
	    PF_DISC_IRRELEVANT, ISCSI_DSL_MIN, ISCSI_DSL_MAX, 0,
	    P_LIM(first_burst_length), P_SET(first_burst_length), NULL },
	/* 13.15: Use: LO, 0..3600, Maximum */
	[PK_DEFAULT_TIME2WAIT] = { "DefaultTime2Wait", PT_NUM_MAX, USE_LO, 0,
	    0, ISCSI_TIME2_MAX, ISCSI_DEFAULT_TIME2WAIT, P_NONE,
	    P_SET(default_time2wait), NULL },
	/* 13.16: Use: LO, 0..3600, Minimum */
	[PK_DEFAULT_TIME2RETAIN] = { "DefaultTime2Retain", PT_NUM_MIN, USE_LO,
	    0, 0, ISCSI_TIME2_MAX, ISCSI_DEFAULT_TIME2RETAIN, P_NONE,
	    P_SET(default_time2retain), NULL },
	/* 13.17: Use: LO, Irrelevant when Discovery, 1..65535, Minimum */
	[PK_MAX_OUTSTANDING_R2T] = { "MaxOutstandingR2T", PT_NUM_MIN, USE_LO,
	    PF_DISC_IRRELEVANT, 1, ISCSI_COUNT_MAX, 0,
	    P_LIM(max_outstanding_r2t), P_SET(max_outstanding_r2t), NULL },
	/* 13.18: Use: LO, Irrelevant when Discovery, default Yes, OR */
	[PK_DATA_PDU_IN_ORDER] = { "DataPDUInOrder", PT_BOOL_OR, USE_LO,
	    PF_DISC_IRRELEVANT, 0, 0, 1, P_NONE, P_SET(data_pdu_in_order),
	    NULL },
	/* 13.19: Use: LO, Irrelevant when Discovery, default Yes, OR */
	[PK_DATA_SEQUENCE_IN_ORDER] = { "DataSequenceInOrder", PT_BOOL_OR,
	    USE_LO, PF_DISC_IRRELEVANT, 0, 0, 1, P_NONE,
	    P_SET(data_sequence_in_order), NULL },
	/* 13.20: Use: LO, 0..2, Minimum */
	[PK_ERROR_RECOVERY_LEVEL] = { "ErrorRecoveryLevel", PT_NUM_MIN,
	    USE_LO, 0, 0, ISCSI_ERL_MAX, PARAM_OUR_ERL, P_NONE,
	    P_SET(error_recovery_level), NULL },
	/* 13.21: Use: LO, Declarative, Any-Stage, Senders: Initiator */
	[PK_SESSION_TYPE] = { "SessionType", PT_DECLARATIVE, USE_LO,
	    PF_ANY_STAGE, 0, 0, 0, P_NONE, P_NONE, NULL },
	/* 13.23: Use: LO, Irrelevant when Discovery, list, default RFC3720 */
	[PK_TASK_REPORTING] = { "TaskReporting", PT_LIST, USE_LO,
	    PF_DISC_IRRELEVANT, 0, 0, 0, P_NONE, P_NONE, NULL },
	/* 13.24: Use: LO, Irrelevant when Discovery, 0..31, Minimum */
	[PK_PROTOCOL_LEVEL] = { "iSCSIProtocolLevel", PT_NUM_MIN, USE_LO,
	    PF_DISC_IRRELEVANT, 0, ISCSI_PROTOCOL_LEVEL_MAX,
	    PARAM_OUR_PROTOCOL_LEVEL, P_NONE, P_NONE, NULL },
	/*
	 * RFC7143 13.25: "When an IFMarker or OFMarker key is received, a
	 * compliant iSCSI implementation SHOULD respond with the constant
	 * "Reject" value. The implementation MAY alternatively respond with
	 * a "No" value." We answer No (RFC3720 12.17: Boolean, AND), which
	 * RFC3720-era initiators expect. "However, when an IFMarkInt or
	 * OFMarkInt key is received, a compliant iSCSI implementation MUST
	 * respond with the constant "Reject" value."
	 */
	[PK_OF_MARKER] = { "OFMarker", PT_BOOL_AND, USE_IO, 0,
	    0, 0, 0, P_NONE, P_NONE, NULL },
	[PK_IF_MARKER] = { "IFMarker", PT_BOOL_AND, USE_IO, 0,
	    0, 0, 0, P_NONE, P_NONE, NULL },
	[PK_OF_MARK_INT] = { "OFMarkInt", PT_OBSOLETE, USE_IO, 0,
	    0, 0, 0, P_NONE, P_NONE, param_reject },
	[PK_IF_MARK_INT] = { "IFMarkInt", PT_OBSOLETE, USE_IO, 0,
	    0, 0, 0, P_NONE, P_NONE, param_reject },
};
/* clang-format on */

_Static_assert(PK_COUNT <= 64, "param_neg.answered has one bit per key");

/* RFC7143 12 (AuthMethod) and 12.1.3 (CHAP): handled by login/chap. */
static const char *const param_security_keys[] = {
	"AuthMethod", "CHAP_A", "CHAP_I", "CHAP_C", "CHAP_N", "CHAP_R",
};

/* Values of list keys we accept, in no particular order (the initiator's
 * order decides, RFC7143 6.2.1). */
static const char param_crc32c[] = "CRC32C";
static const char param_none[] = "None";
static const char param_rfc3720[] = "RFC3720";
static const char param_discovery[] = "Discovery";
static const char param_normal[] = "Normal";

/* One answer slot per offered pair, emitted in wire order. */
struct param_answer {
	const char *key;  /* NULL: no answer for this pair */
	const char *text; /* constant answer, or NULL: num */
	uint32_t num;
	size_t refresh_off; /* not P_NONE: num is re-read from the set */
};

struct param_ctx {
	struct param_neg *neg;
	enum param_stage stage;
	struct param_answer *ans; /* the slot of the pair being processed */
};

enum param_num {
	NUM_OK,
	NUM_TOO_BIG, /* well-formed, but not below 2^64 */
	NUM_BROKEN,
};

bool
param_is_security_key(const char *key)
{
	for (size_t i = 0; i < sizeof(param_security_keys) /
	    sizeof(param_security_keys[0]); i++)
		if (strcmp(key, param_security_keys[i]) == 0)
			return true;
	return false;
}

void
param_limits_default(struct param_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->max_recv_dsl = MINISAN_DEFAULT_MAX_RECV_DSL;
	lim->max_burst_length = PARAM_LIM_MAX_BURST;
	lim->first_burst_length = PARAM_LIM_FIRST_BURST;
	lim->max_outstanding_r2t = PARAM_LIM_MAX_R2T;
	lim->max_connections = PARAM_LIM_MAX_CONNECTIONS;
	lim->allow_digests = true;
	lim->initial_r2t = true;
	lim->immediate_data = true;
}

void
param_set_default(struct param_set *set, const struct param_limits *lim)
{
	/* The RFC defaults hold whatever the target prefers: a preference
	 * only takes effect once the key is negotiated. */
	(void)lim;
	memset(set, 0, sizeof(*set));
	set->max_recv_dsl = ISCSI_DEFAULT_MAX_RECV_DSL;
	set->max_xmit_dsl = ISCSI_DEFAULT_MAX_RECV_DSL;
	set->max_burst_length = ISCSI_DEFAULT_MAX_BURST;
	set->first_burst_length = ISCSI_DEFAULT_FIRST_BURST;
	set->default_time2wait = ISCSI_DEFAULT_TIME2WAIT;
	set->default_time2retain = ISCSI_DEFAULT_TIME2RETAIN;
	set->max_outstanding_r2t = ISCSI_DEFAULT_MAX_R2T;
	set->max_connections = ISCSI_DEFAULT_MAX_CONNECTIONS;
	set->error_recovery_level = ISCSI_DEFAULT_ERL;
	set->header_digest = false;
	set->data_digest = false;
	set->initial_r2t = true;
	set->immediate_data = true;
	set->data_pdu_in_order = true;
	set->data_sequence_in_order = true;
}

void
param_neg_init(struct param_neg *neg, const struct param_limits *lim,
    bool leading)
{
	assert(lim != NULL);
	memset(neg, 0, sizeof(*neg));
	neg->lim = lim;
	neg->leading = leading;
	neg->session_type = PARAM_SESSION_NONE;
	param_set_default(&neg->set, lim);
}

static uint32_t *
param_set_u32(struct param_set *set, size_t off)
{
	return (uint32_t *)(void *)((char *)set + off);
}

static bool *
param_set_bool(struct param_set *set, size_t off)
{
	return (bool *)(void *)((char *)set + off);
}

static uint32_t
param_lim_u32(const struct param_limits *lim, size_t off)
{
	return *(const uint32_t *)(const void *)((const char *)lim + off);
}

static bool
param_lim_bool(const struct param_limits *lim, size_t off)
{
	return *(const bool *)(const void *)((const char *)lim + off);
}

static uint32_t
param_clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static size_t
param_key_lookup(const char *name)
{
	for (size_t i = 0; i < PK_COUNT; i++)
		if (strcmp(param_keys[i].name, name) == 0)
			return i;
	return PK_COUNT;
}

/*
 * RFC7143 6.1: "numerical-value: An unsigned integer always less than 2^64
 * encoded as a decimal-constant or a hex-constant." A hex-constant starts
 * with "0x" or "0X". Leading zeros of a decimal constant are tolerated.
 */
static enum param_num
param_parse_number(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int base = 10, d;
	bool big = false;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return NUM_BROKEN;
	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			return NUM_BROKEN;
		if (v > (UINT64_MAX - d) / base)
			big = true;
		else
			v = v * base + d;
	}
	*out = v;
	return big ? NUM_TOO_BIG : NUM_OK;
}

/* RFC7143 6.1: "boolean-value: The value Yes or No". */
static int
param_parse_bool(const char *s, bool *out)
{
	if (strcmp(s, param_yes) == 0)
		*out = true;
	else if (strcmp(s, param_no) == 0)
		*out = false;
	else
		return -1;
	return 0;
}

/*
 * RFC7143 6.2.1: "The responding party MUST respond with the same key and
 * the first value that it supports (and is allowed to use for the
 * specific originator) selected from the originator list." and "If a
 * responder does not understand any particular value in a list, it MUST
 * ignore it." Sets *choice to the accepted value or NULL. Returns -1 for
 * a syntactically broken list (empty value, empty or oversize element).
 */
static int
param_list_select(const char *list, const char *const *accept,
    size_t naccept, const char **choice)
{
	const char *p = list, *end;

	*choice = NULL;
	for (;;) {
		size_t len;

		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0 || len > ISCSI_SIMPLE_VALUE_MAX)
			return -1;
		for (size_t i = 0; i < naccept && *choice == NULL; i++)
			if (strlen(accept[i]) == len &&
			    memcmp(accept[i], p, len) == 0)
				*choice = accept[i];
		if (end == NULL)
			break;
		p = end + 1;
	}
	return 0;
}

static void
param_answer_text(struct param_ctx *c, const char *key, const char *text)
{
	c->ans->key = key;
	c->ans->text = text;
	c->ans->refresh_off = P_NONE;
}

static void
param_answer_num(struct param_ctx *c, const char *key, uint32_t num,
    size_t refresh_off)
{
	c->ans->key = key;
	c->ans->text = NULL;
	c->ans->num = num;
	c->ans->refresh_off = refresh_off;
}

static enum param_result
param_do_bool(struct param_ctx *c, const struct param_key *k, const char *v)
{
	const struct param_neg *neg = c->neg;
	bool offered, ours, result;

	if (param_parse_bool(v, &offered) != 0)
		return PARAM_ERR_INVALID;
	if (k->lim_off != P_NONE)
		ours = param_lim_bool(neg->lim, k->lim_off);
	else
		ours = k->ours != 0;
	/* RFC7143 6.2.2: the result is the Boolean function of the offered
	 * value and the value the responder would have selected. The
	 * answer is sent even where the offer alone decides the result. */
	if (k->type == PT_BOOL_AND)
		result = offered && ours;
	else
		result = offered || ours;
	if (k->set_off != P_NONE)
		*param_set_bool(&c->neg->set, k->set_off) = result;
	param_answer_text(c, k->name, result ? param_yes : param_no);
	return PARAM_OK;
}

static enum param_result
param_do_number(struct param_ctx *c, const struct param_key *k,
    const char *v)
{
	uint64_t offered;
	uint32_t ours, result;

	switch (param_parse_number(v, &offered)) {
	case NUM_BROKEN:
		return PARAM_ERR_INVALID;
	case NUM_TOO_BIG:
		param_answer_text(c, k->name, param_reject);
		return PARAM_OK;
	case NUM_OK:
		break;
	}
	/* RFC7143 6.2: a value outside the key's range is answered with
	 * the constant "Reject"; the default stays in force. */
	if (offered < k->min || offered > k->max) {
		param_answer_text(c, k->name, param_reject);
		return PARAM_OK;
	}
	if (k->lim_off != P_NONE)
		ours = param_clamp(param_lim_u32(c->neg->lim, k->lim_off),
		    k->min, k->max);
	else
		ours = k->ours;
	if (k->type == PT_NUM_MIN)
		result = offered < ours ? (uint32_t)offered : ours;
	else
		result = offered > ours ? (uint32_t)offered : ours;
	if (k->set_off != P_NONE)
		*param_set_u32(&c->neg->set, k->set_off) = result;
	/* Re-read at emission: FirstBurstLength may still be clamped to
	 * MaxBurstLength. */
	param_answer_num(c, k->name, result, k->set_off);
	return PARAM_OK;
}

static enum param_result
param_do_list(struct param_ctx *c, size_t idx, const char *v)
{
	const struct param_key *k = &param_keys[idx];
	const char *accept[2];
	const char *choice;
	size_t naccept = 0;

	switch (idx) {
	case PK_HEADER_DIGEST:
	case PK_DATA_DIGEST:
		if (c->neg->lim->allow_digests)
			accept[naccept++] = param_crc32c;
		accept[naccept++] = param_none;
		break;
	case PK_TASK_REPORTING:
		/* RFC7143 13.23: ResponseFence and FastAbort are not
		 * supported; RFC3720 semantics always are. */
		accept[naccept++] = param_rfc3720;
		break;
	default:
		assert(0 && "param_do_list: not a list key");
		return PARAM_ERR_INVALID;
	}
	if (param_list_select(v, accept, naccept, &choice) != 0)
		return PARAM_ERR_INVALID;
	if (choice == NULL) {
		/* RFC7143 6.2.1: none of the offered values is acceptable. */
		param_answer_text(c, k->name, param_reject);
		return PARAM_OK;
	}
	if (k->set_off != P_NONE)
		*param_set_bool(&c->neg->set, k->set_off) =
		    choice == param_crc32c;
	param_answer_text(c, k->name, choice);
	return PARAM_OK;
}

static int
param_parse_session_type(const char *v, enum param_session_type *out)
{
	if (strcmp(v, param_discovery) == 0)
		*out = PARAM_SESSION_DISCOVERY;
	else if (strcmp(v, param_normal) == 0)
		*out = PARAM_SESSION_NORMAL;
	else
		return -1;
	return 0;
}

static int
param_copy_name(char *dst, size_t dstsize, const char *v, size_t maxlen,
    bool allow_empty)
{
	size_t len = strlen(v);

	if ((len == 0 && !allow_empty) || len > maxlen || len >= dstsize)
		return -1;
	memcpy(dst, v, len + 1);
	return 0;
}

/* True once a key other than the Any-Stage declarations was processed. */
static bool
param_operational_seen(const struct param_neg *neg)
{
	for (size_t i = 0; i < PK_COUNT; i++)
		if ((neg->answered & (UINT64_C(1) << i)) &&
		    !(param_keys[i].flags & PF_ANY_STAGE))
			return true;
	return false;
}

/* Our MaxRecvDataSegmentLength (RFC7143 13.12: declared by each side for
 * each connection), now in force. */
static uint32_t
param_declare_mrdsl(struct param_neg *neg)
{
	const struct param_key *k = &param_keys[PK_MAX_RECV_DSL];

	neg->set.max_recv_dsl = param_clamp(param_lim_u32(neg->lim,
	    k->lim_off), k->min, k->max);
	neg->declared_mrdsl = true;
	return neg->set.max_recv_dsl;
}

static enum param_result
param_do_declare(struct param_ctx *c, size_t idx, const char *v)
{
	struct param_neg *neg = c->neg;
	const struct param_key *k = &param_keys[idx];
	enum param_session_type st;
	uint64_t n;

	switch (idx) {
	case PK_INITIATOR_NAME:
		/* RFC7143 4.2.7.1: iSCSI names are at most 223 bytes. */
		if (param_copy_name(neg->initiator_name,
		    sizeof(neg->initiator_name), v, ISCSI_NAME_MAX, false))
			return PARAM_ERR_INVALID;
		return PARAM_OK;
	case PK_TARGET_NAME:
		if (param_copy_name(neg->target_name, sizeof(neg->target_name),
		    v, ISCSI_NAME_MAX, false))
			return PARAM_ERR_INVALID;
		return PARAM_OK;
	case PK_INITIATOR_ALIAS:
		if (param_copy_name(neg->initiator_alias,
		    sizeof(neg->initiator_alias), v, ISCSI_SIMPLE_VALUE_MAX,
		    true))
			return PARAM_ERR_INVALID;
		return PARAM_OK;
	case PK_SESSION_TYPE:
		/* An unknown session type fails the login (RFC7143 13.21:
		 * "The target can either accept it or reject it"). */
		if (param_parse_session_type(v, &st) != 0)
			return PARAM_ERR_INVALID;
		/* RFC7143 13.21: "it SHOULD be offered in the initial Login
		 * Request by the initiator." Answers already given for
		 * session-dependent keys would otherwise be wrong. */
		if (param_operational_seen(neg))
			return PARAM_ERR_WRONG_STAGE;
		neg->session_type = st;
		return PARAM_OK;
	case PK_MAX_RECV_DSL:
		if (param_parse_number(v, &n) != NUM_OK)
			return PARAM_ERR_INVALID;
		/* RFC7143 13.12: 512 to 2^24-1. A declaration has no answer
		 * in which a Reject could be told apart from our own
		 * declaration of the same key, so the login fails. */
		if (n < k->min || n > k->max)
			return PARAM_ERR_INVALID;
		neg->set.max_xmit_dsl = (uint32_t)n;
		/* Declare our own value once per login, in the answer to
		 * the initiator's declaration. In full feature phase the
		 * initiator only re-declares its own. */
		if (c->stage != PARAM_STAGE_FULL_FEATURE &&
		    !neg->declared_mrdsl)
			param_answer_num(c, k->name, param_declare_mrdsl(neg),
			    P_NONE);
		return PARAM_OK;
	default:
		assert(0 && "param_do_declare: not a declarative key");
		return PARAM_ERR_INVALID;
	}
}

/*
 * A declaration repeated within one login. RFC7143 6.2: "Neither the
 * initiator nor the target should attempt to declare or negotiate a
 * parameter more than once during login, except for responses to specific
 * keys that explicitly allow repeated key declarations". Repeating the
 * same value is tolerated: libiscsi sends InitiatorName, TargetName,
 * InitiatorAlias and SessionType in the security and again in the
 * operational stage. A different value is an error.
 */
static enum param_result
param_redeclare(struct param_ctx *c, size_t idx, const char *v)
{
	const struct param_neg *neg = c->neg;
	enum param_session_type st;
	uint64_t n;

	switch (idx) {
	case PK_INITIATOR_NAME:
		return strcmp(neg->initiator_name, v) == 0 ? PARAM_OK :
		    PARAM_ERR_DUPLICATE;
	case PK_TARGET_NAME:
		return strcmp(neg->target_name, v) == 0 ? PARAM_OK :
		    PARAM_ERR_DUPLICATE;
	case PK_INITIATOR_ALIAS:
		return strcmp(neg->initiator_alias, v) == 0 ? PARAM_OK :
		    PARAM_ERR_DUPLICATE;
	case PK_SESSION_TYPE:
		if (param_parse_session_type(v, &st) != 0)
			return PARAM_ERR_INVALID;
		return st == neg->session_type ? PARAM_OK :
		    PARAM_ERR_WRONG_STAGE;
	case PK_MAX_RECV_DSL:
		if (param_parse_number(v, &n) != NUM_OK)
			return PARAM_ERR_INVALID;
		return n == neg->set.max_xmit_dsl ? PARAM_OK :
		    PARAM_ERR_DUPLICATE;
	default:
		return PARAM_ERR_DUPLICATE;
	}
}

static enum param_result
param_one(struct param_ctx *c, const struct text_kv *kv, size_t idx)
{
	struct param_neg *neg = c->neg;
	const struct param_key *k;
	uint64_t bit;

	if (idx == PK_COUNT) {
		/* RFC7143 6.2: "the answer for a key not understood MUST be
		 * key=NotUnderstood". This covers X- and X# extension keys
		 * (RFC7143 13.22, 13.26) and RFC7145 iSER keys. */
		param_answer_text(c, kv->key, param_not_understood);
		return PARAM_OK;
	}
	k = &param_keys[idx];

	/* RFC7143 13.3: SendTargets is the discovery code's business. */
	if (c->stage == PARAM_STAGE_FULL_FEATURE && k->type == PT_DISCOVERY)
		return PARAM_OK;
	/* RFC7143 13: only "Any-Stage" keys may appear in the
	 * SecurityNegotiation stage; the others are operational keys. */
	if (c->stage == PARAM_STAGE_SECURITY && !(k->flags & PF_ANY_STAGE))
		return PARAM_ERR_WRONG_STAGE;
	/* RFC7143 13: LO keys "can be used only on the leading connection".
	 * In full feature phase they are rejected below instead. */
	if (c->stage != PARAM_STAGE_FULL_FEATURE && k->use == USE_LO &&
	    !neg->leading)
		return PARAM_ERR_WRONG_STAGE;

	bit = UINT64_C(1) << idx;
	if (neg->answered & bit) {
		if (k->type == PT_DECLARATIVE && !(k->flags & PF_TARGET_ONLY))
			return param_redeclare(c, idx, kv->value);
		return PARAM_ERR_DUPLICATE;
	}
	neg->answered |= bit;

	/* RFC7143 13: IO and LO keys belong to the login, FFPO keys to the
	 * full feature phase. */
	if ((c->stage == PARAM_STAGE_FULL_FEATURE &&
	    (k->use == USE_IO || k->use == USE_LO)) ||
	    (c->stage != PARAM_STAGE_FULL_FEATURE && k->use == USE_FFPO)) {
		param_answer_text(c, k->name, param_reject);
		return PARAM_OK;
	}
	/* RFC7143 6.2: "Irrelevant" for keys without meaning in this
	 * session; a discovery session implies MaxConnections=1 (13.21),
	 * which param_set_default() already holds. */
	if ((k->flags & PF_DISC_IRRELEVANT) &&
	    neg->session_type == PARAM_SESSION_DISCOVERY) {
		param_answer_text(c, k->name, param_irrelevant);
		return PARAM_OK;
	}
	if (k->flags & PF_TARGET_ONLY) {
		param_answer_text(c, k->name, k->answer);
		return PARAM_OK;
	}

	switch (k->type) {
	case PT_DECLARATIVE:
		return param_do_declare(c, idx, kv->value);
	case PT_BOOL_AND:
	case PT_BOOL_OR:
		return param_do_bool(c, k, kv->value);
	case PT_NUM_MIN:
	case PT_NUM_MAX:
		return param_do_number(c, k, kv->value);
	case PT_LIST:
		return param_do_list(c, idx, kv->value);
	case PT_OBSOLETE:
		param_answer_text(c, k->name, k->answer);
		return PARAM_OK;
	case PT_DISCOVERY:
		break;
	}
	assert(0 && "param_one: unreachable key type");
	return PARAM_ERR_INVALID;
}

/* RFC7143 13.14: "FirstBurstLength MUST NOT exceed MaxBurstLength." */
static void
param_clamp_bursts(struct param_set *set)
{
	if (set->first_burst_length > set->max_burst_length)
		set->first_burst_length = set->max_burst_length;
}

enum param_result
param_negotiate(struct param_neg *neg, const struct text_list *in,
    enum param_stage stage, struct text_buf *out)
{
	struct param_ctx c = { neg, stage, NULL };
	struct param_answer *ans;
	enum param_result rc = PARAM_OK;
	size_t idx;

	assert(neg->lim != NULL);
	if (in->n == 0)
		return PARAM_OK;
	/* in->n is bounded by text_parse (MINISAN_MAX_TEXT_KEYS). */
	ans = xcalloc(in->n, sizeof(*ans));

	/* SessionType first: whether other keys are irrelevant depends on
	 * it, wherever it sits in the request. */
	for (int pass = 0; pass < 2 && rc == PARAM_OK; pass++) {
		for (size_t i = 0; i < in->n && rc == PARAM_OK; i++) {
			const struct text_kv *kv = &in->kv[i];

			if (param_is_security_key(kv->key))
				continue;
			idx = param_key_lookup(kv->key);
			if ((idx == PK_SESSION_TYPE) != (pass == 0))
				continue;
			c.ans = &ans[i];
			rc = param_one(&c, kv, idx);
		}
	}
	if (rc != PARAM_OK)
		goto out;

	param_clamp_bursts(&neg->set);
	for (size_t i = 0; i < in->n; i++) {
		const struct param_answer *a = &ans[i];
		uint32_t num = a->num;

		if (a->key == NULL)
			continue;
		if (a->text != NULL) {
			text_buf_add(out, a->key, a->text);
			continue;
		}
		if (a->refresh_off != P_NONE)
			num = *param_set_u32(&neg->set, a->refresh_off);
		text_buf_add_u32(out, a->key, num);
	}
out:
	free(ans);
	return rc;
}

void
param_neg_finish(struct param_neg *neg, struct text_buf *out)
{
	const struct param_key *k = &param_keys[PK_MAX_RECV_DSL];

	param_clamp_bursts(&neg->set);
	if (!neg->declared_mrdsl)
		text_buf_add_u32(out, k->name, param_declare_mrdsl(neg));
}

uint32_t
param_unsolicited_max(const struct param_set *set)
{
	uint32_t u = 0;

	if (!set->initial_r2t)
		u = set->first_burst_length;
	else if (set->immediate_data)
		u = set->first_burst_length < set->max_recv_dsl ?
		    set->first_burst_length : set->max_recv_dsl;
	/* a write of more than this is failed and its data dropped */
	return u < MINISAN_MAX_XFER_BYTES ? u : MINISAN_MAX_XFER_BYTES;
}

uint32_t
param_cmd_window(const struct param_set *set)
{
	uint32_t u = param_unsolicited_max(set);
	uint32_t w = u == 0 ? MINISAN_CMD_WINDOW : MINISAN_UNSOL_MAX / u;

	if (w > MINISAN_CMD_WINDOW)
		w = MINISAN_CMD_WINDOW;
	return w > 0 ? w : 1;
}

uint32_t
param_data_budget(const struct param_set *set)
{
	uint64_t b = (uint64_t)MINISAN_BUDGET_BURSTS * set->max_burst_length;

	/* at least one command of the largest size, so one always runs */
	if (b < MINISAN_MAX_XFER_BYTES)
		b = MINISAN_MAX_XFER_BYTES;
	if (b > MINISAN_SESSION_BUF_MAX)
		b = MINISAN_SESSION_BUF_MAX;
	return (uint32_t)b;
}

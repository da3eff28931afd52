/* SPDX-License-Identifier: BSD-2-Clause */
/* RFC7143 section 13 key table and login/text negotiation. Pure: it turns
 * the initiator's keys into answers and a negotiated parameter set; the
 * login state machine (login.c) decides what to do with the result. Security
 * keys (AuthMethod, CHAP_*) are left to the login/auth code: param ignores
 * them. */
#ifndef MINISAN_ISCSI_PARAM_H
#define MINISAN_ISCSI_PARAM_H

#include <stdbool.h>
#include <stdint.h>

#include "iscsi/text.h"
#include "limits_minisan.h"

enum param_session_type {
	PARAM_SESSION_NONE, /* not declared (yet) */
	PARAM_SESSION_NORMAL,
	PARAM_SESSION_DISCOVERY,
};

/* Negotiated values of one session (and its connection's declarations).
 * Defaults are the RFC7143 section 13 defaults. */
struct param_set {
	uint32_t max_recv_dsl; /* ours: initiator may send us this much */
	uint32_t max_xmit_dsl; /* initiator's MaxRecvDataSegmentLength */
	uint32_t max_burst_length;
	uint32_t first_burst_length;
	uint32_t default_time2wait;
	uint32_t default_time2retain;
	uint32_t max_outstanding_r2t;
	uint32_t max_connections;
	uint32_t error_recovery_level;
	bool header_digest; /* CRC32C chosen */
	bool data_digest;
	bool initial_r2t;
	bool immediate_data;
	bool data_pdu_in_order;
	bool data_sequence_in_order;
};

/* The target's side of the negotiation: what it offers and accepts. */
struct param_limits {
	uint32_t max_recv_dsl;        /* declared to the initiator */
	uint32_t max_burst_length;    /* upper bound we accept */
	uint32_t first_burst_length;  /* upper bound we accept */
	uint32_t max_outstanding_r2t; /* upper bound we accept */
	uint32_t max_connections;     /* upper bound we accept */
	bool allow_digests;           /* false: only None is acceptable */
	bool initial_r2t;             /* target's preference (OR-ed) */
	bool immediate_data;          /* target's preference (AND-ed) */
};

/* Fills lim with minisand's defaults. */
void param_limits_default(struct param_limits *lim);
/* Sets RFC7143 defaults (what holds when a key is never negotiated). */
void param_set_default(struct param_set *set, const struct param_limits *lim);

enum param_stage {
	PARAM_STAGE_SECURITY,
	PARAM_STAGE_OPERATIONAL,
	PARAM_STAGE_FULL_FEATURE, /* Text request in full feature phase */
};

/* State of one login (or text) negotiation. Zero-initialise through
 * param_neg_init(). */
struct param_neg {
	struct param_set set;
	const struct param_limits *lim;
	uint64_t answered; /* bit per key-table entry already negotiated */
	bool leading;      /* leading connection of the session */
	bool declared_mrdsl; /* our MaxRecvDataSegmentLength has been sent */
	enum param_session_type session_type;
	char initiator_name[ISCSI_NAME_MAX + 1];
	char initiator_alias[256];
	char target_name[ISCSI_NAME_MAX + 1];
};

void param_neg_init(struct param_neg *neg, const struct param_limits *lim,
    bool leading);

/* Results of param_negotiate(). */
enum param_result {
	PARAM_OK = 0,
	PARAM_ERR_DUPLICATE,   /* a key offered twice (RFC7143 6.2) */
	PARAM_ERR_INVALID,     /* syntactically broken value for a key */
	PARAM_ERR_WRONG_STAGE, /* e.g. SessionType changed, leading-only key
				  on a non-leading connection */
};

/* Processes every non-security key of in: records declarations
 * (InitiatorName, InitiatorAlias, TargetName, SessionType), negotiates
 * operational keys, and appends the answers to out (a value, "Reject",
 * "Irrelevant" or "NotUnderstood", per RFC7143 6.2). Answers for keys that
 * are irrelevant to a discovery session use "Irrelevant". Returns PARAM_OK
 * or an error (the login code turns it into a status). */
enum param_result param_negotiate(struct param_neg *neg,
    const struct text_list *in, enum param_stage stage, struct text_buf *out);

/* Appends the target's own declarations not yet sent (its
 * MaxRecvDataSegmentLength), called when the login leaves the operational
 * stage. */
void param_neg_finish(struct param_neg *neg, struct text_buf *out);

/* True for AuthMethod and CHAP_* keys. */
bool param_is_security_key(const char *key);

/* Memory limits derived from a session's negotiated values (see
 * limits_minisan.h and docs/architecture.md). */
/* Most unsolicited write data one command may carry: FirstBurstLength with
 * InitialR2T=No, immediate data only (at most one data segment) with
 * InitialR2T=Yes and ImmediateData=Yes, none otherwise (RFC7143 13.10,
 * 13.11, 13.14); never more than the largest transfer. */
uint32_t param_unsolicited_max(const struct param_set *set);
/* CmdSN window: MINISAN_CMD_WINDOW, or fewer commands so that the window's
 * unsolicited data stays within MINISAN_UNSOL_MAX. */
uint32_t param_cmd_window(const struct param_set *set);
/* Bytes of data buffers a session's running commands may hold. */
uint32_t param_data_budget(const struct param_set *set);

#endif

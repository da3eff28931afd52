/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the bench initiator's login: a Normal session
 * straight into operational negotiation (no security stage), with exactly
 * the digests chosen offered, so that the target has to take them. */
#include "ini.h"

#include <err.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iscsi/text.h"

#define INI_LOGIN_ROUNDS 4
#define INI_LOGIN_ITT 0xffu /* no task's: slots are < 128 */

/* A key whose answer must be the value offered (RFC7143 13: digests are
 * offered as one value, ErrorRecoveryLevel and MaxConnections answer the
 * minimum, the InOrder keys the OR). */
struct login_check {
	const char *key;
	const char *want;
	bool required;
	bool seen;
};

static const struct {
	uint16_t status;
	const char *what;
} login_statuses[] = {
	{ LOGIN_STATUS_AUTH_FAILED, "authentication failed" },
	{ LOGIN_STATUS_FORBIDDEN, "initiator not allowed" },
	{ LOGIN_STATUS_NOT_FOUND, "target not found" },
	{ LOGIN_STATUS_TARGET_REMOVED, "target removed" },
	{ LOGIN_STATUS_MISSING_PARAMETER, "missing parameter" },
	{ LOGIN_STATUS_SESSION_TYPE_UNSUPPORTED, "session type unsupported" },
	{ LOGIN_STATUS_TARGET_ERROR, "target error" },
	{ LOGIN_STATUS_SERVICE_UNAVAILABLE, "service unavailable" },
	{ LOGIN_STATUS_OUT_OF_RESOURCES, "out of resources" },
};

static void
login_send(struct ini *s, const uint8_t *isid, const struct text_buf *tb)
{
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 }, pad[3] = { 0 };
	struct iovec iov[3] = {
		{ bhs, sizeof(bhs) },
		{ tb->data, tb->len },
		{ pad, pdu_pad((uint32_t)tb->len) },
	};

	bhs[BHS_OPCODE] = ISCSI_OP_LOGIN_REQ | ISCSI_BHS_IMMEDIATE;
	/* RFC7143 6.3: without security negotiation the login may start in
	 * the operational stage; T asks to go to full feature at once. */
	bhs[BHS_FLAGS] = ISCSI_FLAG_TRANSIT |
	    ISCSI_STAGE_OPERATIONAL << 2 | ISCSI_STAGE_FULL_FEATURE;
	pdu_set_dsl(bhs, (uint32_t)tb->len);
	memcpy(bhs + BHS_LOGIN_ISID, isid, 6);
	put_be32(bhs + BHS_ITT, INI_LOGIN_ITT);
	put_be32(bhs + BHS_CMD_CMDSN, s->cmdsn);
	put_be32(bhs + BHS_CMD_EXPSTATSN, s->exp_statsn);
	ini_wire_io(s->fd, iov, 3, true);
}

/* Checks one Login Response's keys against what was offered. */
static void
login_answers(struct ini *s, uint32_t dsl, struct login_check *c, size_t n)
{
	struct text_list kv;

	if (text_parse(s->scratch, dsl, &kv) != 0)
		errx(1, "login: malformed text in the response");
	for (size_t i = 0; i < n; i++) {
		const char *v = text_find(&kv, c[i].key);

		if (v == NULL)
			continue;
		if (strcmp(v, c[i].want) != 0)
			errx(1, "login: the target answered %s=%.64s, not %s",
			    c[i].key, v, c[i].want);
		c[i].seen = true;
	}
	text_list_fini(&kv);
}

/* Digests are in force once the login phase has ended (RFC7143 13.1). */
void
ini_login(struct ini *s, const char *initiator, const char *target,
    bool hdigest, bool ddigest)
{
	const char *hd = hdigest ? "CRC32C" : "None";
	const char *dd = ddigest ? "CRC32C" : "None";
	struct login_check c[] = {
		{ "HeaderDigest", hd, true, false },
		{ "DataDigest", dd, true, false },
		{ "ErrorRecoveryLevel", "0", false, false },
		{ "MaxConnections", "1", false, false },
		{ "DataPDUInOrder", "Yes", false, false },
		{ "DataSequenceInOrder", "Yes", false, false },
	};
	size_t nc = sizeof(c) / sizeof(c[0]);
	struct text_buf tb = { 0 }, none = { 0 };
	uint8_t isid[6];
	struct timespec ts;
	uint32_t pid = (uint32_t)getpid(), ns;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (uint32_t)ts.tv_nsec;
	/* RFC7143 11.12.5: type 2 (random) ISID, so that two runs with one
	 * initiator name do not reinstate each other's session */
	isid[0] = 0x80;
	isid[1] = (uint8_t)(pid >> 16);
	isid[2] = (uint8_t)(pid >> 8);
	isid[3] = (uint8_t)pid;
	isid[4] = (uint8_t)(ns >> 8);
	isid[5] = (uint8_t)ns;
	text_buf_add(&tb, "InitiatorName", initiator);
	text_buf_add(&tb, "TargetName", target);
	text_buf_add(&tb, "SessionType", "Normal");
	text_buf_add(&tb, "HeaderDigest", hd);
	text_buf_add(&tb, "DataDigest", dd);
	text_buf_add_u32(&tb, "MaxRecvDataSegmentLength", INI_SEGMENT_MAX);
	text_buf_add_u32(&tb, "MaxBurstLength", INI_SEGMENT_MAX);
	text_buf_add_u32(&tb, "FirstBurstLength", 65536);
	text_buf_add(&tb, "ImmediateData", "Yes");
	text_buf_add(&tb, "InitialR2T", "Yes");
	text_buf_add(&tb, "MaxOutstandingR2T", "1");
	text_buf_add(&tb, "DataPDUInOrder", "Yes");
	text_buf_add(&tb, "DataSequenceInOrder", "Yes");
	text_buf_add(&tb, "ErrorRecoveryLevel", "0");
	text_buf_add(&tb, "MaxConnections", "1");
	for (int round = 0;; round++) {
		uint32_t dsl;
		uint16_t status;
		uint8_t flags;

		if (round == INI_LOGIN_ROUNDS)
			errx(1, "login: no full feature phase after %d rounds",
			    round);
		login_send(s, isid, round == 0 ? &tb : &none);
		dsl = ini_wire_recv_header(s, INI_LOGIN_SEGMENT);
		if (pdu_opcode(s->hdr) != ISCSI_OP_LOGIN_RSP)
			errx(1, "login: opcode 0x%02x instead of a Login "
			    "Response", pdu_opcode(s->hdr));
		ini_wire_recv_data(s, s->scratch, dsl);
		status = get_be16(s->hdr + BHS_LOGIN_STATUS_CLASS);
		if (status != LOGIN_STATUS_SUCCESS) {
			const char *what = "see RFC7143 11.13.5";

			for (size_t i = 0; i < sizeof(login_statuses) /
			    sizeof(login_statuses[0]); i++)
				if (login_statuses[i].status == status)
					what = login_statuses[i].what;
			errx(1, "login failed: status class %u detail %u (%s)",
			    status >> 8, status & 0xff, what);
		}
		flags = s->hdr[BHS_FLAGS];
		if (flags & ISCSI_FLAG_CONTINUE)
			errx(1, "login: the response text continues in a "
			    "further PDU (C bit), which this tool refuses");
		login_answers(s, dsl, c, nc);
		s->exp_statsn = get_be32(s->hdr + BHS_RSP_STATSN) + 1;
		s->exp_cmdsn = get_be32(s->hdr + BHS_RSP_EXPCMDSN);
		s->max_cmdsn = get_be32(s->hdr + BHS_RSP_MAXCMDSN);
		if ((flags & ISCSI_FLAG_TRANSIT) &&
		    ISCSI_LOGIN_NSG(flags) == ISCSI_STAGE_FULL_FEATURE)
			break;
	}
	text_buf_fini(&tb);
	for (size_t i = 0; i < nc; i++)
		if (c[i].required && !c[i].seen)
			errx(1, "login: the target did not answer %s",
			    c[i].key);
	/* RFC7143 11.13: the first command carries the ExpCmdSN */
	s->cmdsn = s->exp_cmdsn;
	s->hdigest = hdigest;
	s->ddigest = ddigest;
}
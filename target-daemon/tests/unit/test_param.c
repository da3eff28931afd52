/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for iscsi/param.c: RFC7143 section 13 negotiation, as offer ->
 * exact answer tables plus state checks across login PDUs. */
#include "../harness.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "iscsi/param.h"
#include "iscsi/text.h"

/* A string literal with embedded NULs and its exact length. */
#define S(lit) (lit), (sizeof(lit) - 1)

#define LIBISCSI_INAME "iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-test"
#define TNAME "iqn.2024-01.org.minisan:disk0"

/* Renders key=value\0 data as "key=value|key=value|" for readable diffs. */
static char *
render(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	for (size_t i = 0; i < len; i++)
		s[i] = data[i] == '\0' ? '|' : (char)data[i];
	s[len] = '\0';
	return s;
}

/* Runs one negotiation step on neg; checks result and exact answer. */
static void
step(struct param_neg *neg, enum param_stage stage, const char *offer,
    size_t offer_len, enum param_result want_rc, const char *want,
    size_t want_len, const char *what)
{
	struct text_list in;
	struct text_buf out = { 0 };
	enum param_result rc;
	char *got_s, *want_s;
	int before = harness_failed;

	harness_failed = 0;
	REQUIRE(text_parse((const uint8_t *)offer, offer_len, &in) == 0);
	rc = param_negotiate(neg, &in, stage, &out);
	CHECK_EQ_INT(rc, want_rc);
	got_s = render(out.data, out.len);
	want_s = render((const uint8_t *)want, want_len);
	CHECK_EQ_STR(got_s, want_s);
	if (harness_failed)
		fprintf(stderr, "  in case: %s\n", what);
	harness_failed |= before;
	free(got_s);
	free(want_s);
	text_list_fini(&in);
	text_buf_fini(&out);
}

struct neg_case {
	const char *name;
	enum param_stage stage;
	bool leading;
	bool no_digests; /* lim.allow_digests = false */
	const char *offer;
	size_t offer_len;
	enum param_result rc;
	const char *answer;
	size_t answer_len;
};

#define OPER PARAM_STAGE_OPERATIONAL
#define SEC PARAM_STAGE_SECURITY
#define FFP PARAM_STAGE_FULL_FEATURE

/* Every case starts from a fresh param_neg with param_limits_default():
 * MaxRecvDataSegmentLength 262144, MaxBurstLength <= 1048576,
 * FirstBurstLength <= 262144, MaxOutstandingR2T <= 16, MaxConnections <= 1,
 * digests allowed, InitialR2T=Yes, ImmediateData=Yes. */
static const struct neg_case cases[] = {
	/* open-iscsi (iscsid) operational stage, normal session. */
	{ "open-iscsi normal", OPER, true, false,
	    S("HeaderDigest=None\0DataDigest=None\0DefaultTime2Wait=2\0"
	      "DefaultTime2Retain=0\0IFMarker=No\0OFMarker=No\0"
	      "ErrorRecoveryLevel=0\0InitialR2T=No\0ImmediateData=Yes\0"
	      "MaxBurstLength=16776192\0FirstBurstLength=262144\0"
	      "MaxOutstandingR2T=1\0MaxConnections=1\0DataPDUInOrder=Yes\0"
	      "DataSequenceInOrder=Yes\0MaxRecvDataSegmentLength=262144\0"),
	    PARAM_OK,
	    S("HeaderDigest=None\0DataDigest=None\0DefaultTime2Wait=2\0"
	      "DefaultTime2Retain=0\0IFMarker=No\0OFMarker=No\0"
	      "ErrorRecoveryLevel=0\0InitialR2T=Yes\0ImmediateData=Yes\0"
	      "MaxBurstLength=1048576\0FirstBurstLength=262144\0"
	      "MaxOutstandingR2T=1\0MaxConnections=1\0DataPDUInOrder=Yes\0"
	      "DataSequenceInOrder=Yes\0MaxRecvDataSegmentLength=262144\0") },
	/* libiscsi without CHAP: one operational PDU with everything. */
	{ "libiscsi normal", OPER, true, false,
	    S("InitiatorName=" LIBISCSI_INAME "\0TargetName=" TNAME "\0"
	      "SessionType=Normal\0HeaderDigest=None,CRC32C\0"
	      "DataDigest=None\0InitialR2T=Yes\0ImmediateData=Yes\0"
	      "MaxBurstLength=262144\0FirstBurstLength=262144\0"
	      "DefaultTime2Wait=2\0DefaultTime2Retain=0\0"
	      "MaxOutstandingR2T=1\0ErrorRecoveryLevel=0\0IFMarker=No\0"
	      "OFMarker=No\0MaxConnections=1\0"
	      "MaxRecvDataSegmentLength=262144\0DataPDUInOrder=Yes\0"
	      "DataSequenceInOrder=Yes\0"),
	    PARAM_OK,
	    S("HeaderDigest=None\0DataDigest=None\0InitialR2T=Yes\0"
	      "ImmediateData=Yes\0MaxBurstLength=262144\0"
	      "FirstBurstLength=262144\0DefaultTime2Wait=2\0"
	      "DefaultTime2Retain=0\0MaxOutstandingR2T=1\0"
	      "ErrorRecoveryLevel=0\0IFMarker=No\0OFMarker=No\0"
	      "MaxConnections=1\0MaxRecvDataSegmentLength=262144\0"
	      "DataPDUInOrder=Yes\0DataSequenceInOrder=Yes\0") },
	/* libiscsi discovery: session-only keys are Irrelevant. */
	{ "libiscsi discovery", OPER, true, false,
	    S("InitiatorName=" LIBISCSI_INAME "\0SessionType=Discovery\0"
	      "HeaderDigest=None,CRC32C\0DataDigest=None\0InitialR2T=Yes\0"
	      "ImmediateData=Yes\0MaxBurstLength=262144\0"
	      "FirstBurstLength=262144\0DefaultTime2Wait=2\0"
	      "DefaultTime2Retain=0\0MaxOutstandingR2T=1\0"
	      "ErrorRecoveryLevel=0\0IFMarker=No\0OFMarker=No\0"
	      "MaxConnections=1\0MaxRecvDataSegmentLength=262144\0"
	      "DataPDUInOrder=Yes\0DataSequenceInOrder=Yes\0"
	      "TaskReporting=RFC3720\0iSCSIProtocolLevel=1\0"),
	    PARAM_OK,
	    S("HeaderDigest=None\0DataDigest=None\0InitialR2T=Irrelevant\0"
	      "ImmediateData=Irrelevant\0MaxBurstLength=Irrelevant\0"
	      "FirstBurstLength=Irrelevant\0DefaultTime2Wait=2\0"
	      "DefaultTime2Retain=0\0MaxOutstandingR2T=Irrelevant\0"
	      "ErrorRecoveryLevel=0\0IFMarker=No\0OFMarker=No\0"
	      "MaxConnections=Irrelevant\0MaxRecvDataSegmentLength=262144\0"
	      "DataPDUInOrder=Irrelevant\0DataSequenceInOrder=Irrelevant\0"
	      "TaskReporting=Irrelevant\0iSCSIProtocolLevel=Irrelevant\0") },
	/* SessionType decides irrelevance wherever it sits in the PDU. */
	{ "discovery declared last", OPER, true, false,
	    S("MaxBurstLength=4096\0ImmediateData=No\0SessionType=Discovery\0"),
	    PARAM_OK,
	    S("MaxBurstLength=Irrelevant\0ImmediateData=Irrelevant\0") },
	{ "normal declared last", OPER, true, false,
	    S("MaxBurstLength=4096\0SessionType=Normal\0"),
	    PARAM_OK, S("MaxBurstLength=4096\0") },

	/* Digest lists (RFC7143 6.2.1, 13.1). */
	{ "digest crc first", OPER, true, false,
	    S("HeaderDigest=CRC32C,None\0DataDigest=CRC32C\0"),
	    PARAM_OK, S("HeaderDigest=CRC32C\0DataDigest=CRC32C\0") },
	{ "digest none first", OPER, true, false,
	    S("HeaderDigest=None,CRC32C\0DataDigest=None\0"),
	    PARAM_OK, S("HeaderDigest=None\0DataDigest=None\0") },
	{ "digest disallowed", OPER, true, true,
	    S("HeaderDigest=CRC32C,None\0DataDigest=CRC32C\0"),
	    PARAM_OK, S("HeaderDigest=None\0DataDigest=Reject\0") },
	{ "digest unknown ignored", OPER, true, false,
	    S("HeaderDigest=Y-com.example.md5,CRC32C\0DataDigest=Y-x\0"),
	    PARAM_OK, S("HeaderDigest=CRC32C\0DataDigest=Reject\0") },
	{ "digest case sensitive", OPER, true, false,
	    S("HeaderDigest=crc32c,none\0"),
	    PARAM_OK, S("HeaderDigest=Reject\0") },
	{ "digest empty", OPER, true, false, S("HeaderDigest=\0"),
	    PARAM_ERR_INVALID, S("") },
	{ "digest empty element", OPER, true, false,
	    S("DataDigest=None,,CRC32C\0"), PARAM_ERR_INVALID, S("") },
	{ "digest trailing comma", OPER, true, false,
	    S("DataDigest=None,\0"), PARAM_ERR_INVALID, S("") },

	/* Numeric result functions and ranges (RFC7143 6.2.2, 13). */
	{ "min against limit", OPER, true, false,
	    S("MaxBurstLength=16777215\0FirstBurstLength=16777215\0"
	      "MaxOutstandingR2T=100\0MaxConnections=8\0"),
	    PARAM_OK,
	    S("MaxBurstLength=1048576\0FirstBurstLength=262144\0"
	      "MaxOutstandingR2T=16\0MaxConnections=1\0") },
	{ "min against offer", OPER, true, false,
	    S("MaxBurstLength=512\0MaxOutstandingR2T=1\0"
	      "DefaultTime2Retain=5\0ErrorRecoveryLevel=0\0"),
	    PARAM_OK,
	    S("MaxBurstLength=512\0MaxOutstandingR2T=1\0"
	      "DefaultTime2Retain=5\0ErrorRecoveryLevel=0\0") },
	{ "erl 2 -> 0", OPER, true, false, S("ErrorRecoveryLevel=2\0"),
	    PARAM_OK, S("ErrorRecoveryLevel=0\0") },
	{ "time2retain min 20", OPER, true, false,
	    S("DefaultTime2Retain=3600\0"),
	    PARAM_OK, S("DefaultTime2Retain=20\0") },
	{ "time2wait max", OPER, true, false,
	    S("DefaultTime2Wait=0\0"), PARAM_OK, S("DefaultTime2Wait=2\0") },
	{ "time2wait max offer", OPER, true, false,
	    S("DefaultTime2Wait=3600\0"),
	    PARAM_OK, S("DefaultTime2Wait=3600\0") },
	{ "hex values", OPER, true, false,
	    S("MaxBurstLength=0x200\0FirstBurstLength=0X1000\0"
	      "MaxOutstandingR2T=0x0a\0"),
	    PARAM_OK,
	    S("MaxBurstLength=512\0FirstBurstLength=512\0"
	      "MaxOutstandingR2T=10\0") },
	{ "range rejects", OPER, true, false,
	    S("MaxBurstLength=511\0FirstBurstLength=16777216\0"
	      "MaxConnections=0\0MaxOutstandingR2T=65536\0"
	      "DefaultTime2Wait=3601\0DefaultTime2Retain=4000\0"
	      "ErrorRecoveryLevel=3\0iSCSIProtocolLevel=32\0"),
	    PARAM_OK,
	    S("MaxBurstLength=Reject\0FirstBurstLength=Reject\0"
	      "MaxConnections=Reject\0MaxOutstandingR2T=Reject\0"
	      "DefaultTime2Wait=Reject\0DefaultTime2Retain=Reject\0"
	      "ErrorRecoveryLevel=Reject\0iSCSIProtocolLevel=Reject\0") },
	{ "range edges", OPER, true, false,
	    S("MaxConnections=65535\0MaxOutstandingR2T=65535\0"
	      "DefaultTime2Retain=0\0"),
	    PARAM_OK,
	    S("MaxConnections=1\0MaxOutstandingR2T=16\0"
	      "DefaultTime2Retain=0\0") },
	{ "above 2^64", OPER, true, false,
	    S("MaxBurstLength=99999999999999999999999\0"),
	    PARAM_OK, S("MaxBurstLength=Reject\0") },
	{ "hex above 2^64", OPER, true, false,
	    S("MaxBurstLength=0x10000000000000000\0"),
	    PARAM_OK, S("MaxBurstLength=Reject\0") },
	{ "number garbage", OPER, true, false, S("MaxBurstLength=12ab\0"),
	    PARAM_ERR_INVALID, S("") },
	{ "number bare 0x", OPER, true, false, S("MaxBurstLength=0x\0"),
	    PARAM_ERR_INVALID, S("") },
	{ "number empty", OPER, true, false, S("MaxBurstLength=\0"),
	    PARAM_ERR_INVALID, S("") },
	{ "number negative", OPER, true, false, S("MaxBurstLength=-1\0"),
	    PARAM_ERR_INVALID, S("") },
	{ "number base64", OPER, true, false, S("MaxBurstLength=0bAAA=\0"),
	    PARAM_ERR_INVALID, S("") },
	{ "number with space", OPER, true, false,
	    S("MaxBurstLength= 512\0"), PARAM_ERR_INVALID, S("") },

	/* RFC7143 13.14: FirstBurstLength <= MaxBurstLength, in any order. */
	{ "first burst clamped (first)", OPER, true, false,
	    S("FirstBurstLength=65536\0MaxBurstLength=4096\0"),
	    PARAM_OK, S("FirstBurstLength=4096\0MaxBurstLength=4096\0") },
	{ "first burst clamped (second)", OPER, true, false,
	    S("MaxBurstLength=1024\0FirstBurstLength=8192\0"),
	    PARAM_OK, S("MaxBurstLength=1024\0FirstBurstLength=1024\0") },
	{ "first burst vs default max", OPER, true, false,
	    S("FirstBurstLength=262144\0"),
	    PARAM_OK, S("FirstBurstLength=262144\0") },

	/* Booleans (RFC7143 6.2.2). */
	{ "booleans yes", OPER, true, false,
	    S("InitialR2T=Yes\0ImmediateData=Yes\0DataPDUInOrder=Yes\0"
	      "DataSequenceInOrder=Yes\0"),
	    PARAM_OK,
	    S("InitialR2T=Yes\0ImmediateData=Yes\0DataPDUInOrder=Yes\0"
	      "DataSequenceInOrder=Yes\0") },
	{ "booleans no", OPER, true, false,
	    S("InitialR2T=No\0ImmediateData=No\0DataPDUInOrder=No\0"
	      "DataSequenceInOrder=No\0"),
	    PARAM_OK,
	    S("InitialR2T=Yes\0ImmediateData=No\0DataPDUInOrder=Yes\0"
	      "DataSequenceInOrder=Yes\0") },
	{ "boolean lowercase", OPER, true, false, S("ImmediateData=yes\0"),
	    PARAM_ERR_INVALID, S("") },
	{ "boolean empty", OPER, true, false, S("InitialR2T=\0"),
	    PARAM_ERR_INVALID, S("") },

	/* Obsolete and informational keys. */
	{ "markers", OPER, true, false,
	    S("OFMarker=Yes\0IFMarker=No\0OFMarkInt=2048~8192\0"
	      "IFMarkInt=1~65535\0"),
	    PARAM_OK,
	    S("OFMarker=No\0IFMarker=No\0OFMarkInt=Reject\0"
	      "IFMarkInt=Reject\0") },
	{ "task reporting", OPER, true, false,
	    S("TaskReporting=FastAbort,ResponseFence,RFC3720\0"),
	    PARAM_OK, S("TaskReporting=RFC3720\0") },
	{ "task reporting none", OPER, true, false,
	    S("TaskReporting=FastAbort\0"),
	    PARAM_OK, S("TaskReporting=Reject\0") },
	{ "protocol level", OPER, true, false, S("iSCSIProtocolLevel=2\0"),
	    PARAM_OK, S("iSCSIProtocolLevel=1\0") },
	{ "protocol level 0", OPER, true, false, S("iSCSIProtocolLevel=0\0"),
	    PARAM_OK, S("iSCSIProtocolLevel=0\0") },
	{ "target-only keys", OPER, true, false,
	    S("TargetAlias=disk\0TargetAddress=10.0.0.1:3260,1\0"
	      "TargetPortalGroupTag=1\0"),
	    PARAM_OK,
	    S("TargetAlias=Irrelevant\0TargetAddress=Reject\0"
	      "TargetPortalGroupTag=Reject\0") },
	{ "target-only keys in security", SEC, true, false,
	    S("TargetAlias=disk\0TargetPortalGroupTag=1\0"),
	    PARAM_OK,
	    S("TargetAlias=Irrelevant\0TargetPortalGroupTag=Reject\0") },

	/* Unknown and extension keys (RFC7143 6.2, 13.22, 13.26). */
	{ "not understood", OPER, true, false,
	    S("X-com.example.foo=bar\0X#org.example.k=1\0FooBar=1\0"
	      "RDMAExtensions=Yes\0headerdigest=None\0"),
	    PARAM_OK,
	    S("X-com.example.foo=NotUnderstood\0"
	      "X#org.example.k=NotUnderstood\0FooBar=NotUnderstood\0"
	      "RDMAExtensions=NotUnderstood\0"
	      "headerdigest=NotUnderstood\0") },
	{ "not understood in security", SEC, true, false,
	    S("X-com.example.foo=bar\0"),
	    PARAM_OK, S("X-com.example.foo=NotUnderstood\0") },

	/* Security stage: declarations and security keys only. */
	{ "security first pdu", SEC, true, false,
	    S("InitiatorName=" LIBISCSI_INAME "\0InitiatorAlias=host1\0"
	      "TargetName=" TNAME "\0SessionType=Normal\0"
	      "AuthMethod=CHAP,None\0"),
	    PARAM_OK, S("") },
	{ "security chap keys skipped", SEC, true, false,
	    S("CHAP_A=5\0CHAP_N=user\0CHAP_R=0x0102\0CHAP_I=1\0"
	      "CHAP_C=0xabcd\0"),
	    PARAM_OK, S("") },
	{ "operational key in security", SEC, true, false,
	    S("InitiatorName=" LIBISCSI_INAME "\0HeaderDigest=None\0"),
	    PARAM_ERR_WRONG_STAGE, S("") },
	{ "mrdsl in security", SEC, true, false,
	    S("MaxRecvDataSegmentLength=8192\0"),
	    PARAM_ERR_WRONG_STAGE, S("") },
	{ "sendtargets in security", SEC, true, false,
	    S("SendTargets=All\0"), PARAM_ERR_WRONG_STAGE, S("") },
	{ "sendtargets in login", OPER, true, false,
	    S("SendTargets=All\0"), PARAM_OK, S("SendTargets=Reject\0") },

	/* Non-leading connection: IO keys fine, LO keys are an error. */
	{ "non-leading io keys", OPER, false, false,
	    S("InitiatorName=" LIBISCSI_INAME "\0HeaderDigest=None\0"
	      "MaxRecvDataSegmentLength=8192\0OFMarker=No\0"),
	    PARAM_OK,
	    S("HeaderDigest=None\0MaxRecvDataSegmentLength=262144\0"
	      "OFMarker=No\0") },
	{ "non-leading lo key", OPER, false, false,
	    S("HeaderDigest=None\0MaxBurstLength=4096\0"),
	    PARAM_ERR_WRONG_STAGE, S("") },
	{ "non-leading session type", SEC, false, false,
	    S("SessionType=Normal\0"), PARAM_ERR_WRONG_STAGE, S("") },

	/* Full feature phase Text Request. */
	{ "ffp sendtargets", FFP, true, false, S("SendTargets=All\0"),
	    PARAM_OK, S("") },
	{ "ffp redeclare", FFP, true, false,
	    S("MaxRecvDataSegmentLength=65536\0InitiatorAlias=host2\0"),
	    PARAM_OK, S("") },
	{ "ffp login-only keys", FFP, true, false,
	    S("MaxBurstLength=4096\0HeaderDigest=None\0SessionType=Normal\0"
	      "InitiatorName=iqn.x\0TargetPortalGroupTag=1\0"),
	    PARAM_OK,
	    S("MaxBurstLength=Reject\0HeaderDigest=Reject\0"
	      "SessionType=Reject\0InitiatorName=Reject\0"
	      "TargetPortalGroupTag=Reject\0") },
	{ "ffp non-leading", FFP, false, false,
	    S("MaxBurstLength=4096\0X-a=1\0TargetAlias=x\0"),
	    PARAM_OK,
	    S("MaxBurstLength=Reject\0X-a=NotUnderstood\0"
	      "TargetAlias=Irrelevant\0") },
	{ "ffp mrdsl out of range", FFP, true, false,
	    S("MaxRecvDataSegmentLength=100\0"), PARAM_ERR_INVALID, S("") },

	/* Declarations. */
	{ "session type unknown", OPER, true, false,
	    S("SessionType=Informational\0"), PARAM_ERR_INVALID, S("") },
	{ "initiator name empty", SEC, true, false, S("InitiatorName=\0"),
	    PARAM_ERR_INVALID, S("") },
	{ "target name empty", SEC, true, false, S("TargetName=\0"),
	    PARAM_ERR_INVALID, S("") },
	{ "alias empty ok", SEC, true, false, S("InitiatorAlias=\0"),
	    PARAM_OK, S("") },
	{ "mrdsl too small", OPER, true, false,
	    S("MaxRecvDataSegmentLength=511\0"), PARAM_ERR_INVALID, S("") },
	{ "mrdsl too large", OPER, true, false,
	    S("MaxRecvDataSegmentLength=16777216\0"), PARAM_ERR_INVALID,
	    S("") },
	{ "mrdsl garbage", OPER, true, false,
	    S("MaxRecvDataSegmentLength=lots\0"), PARAM_ERR_INVALID, S("") },
	{ "mrdsl hex", OPER, true, false,
	    S("MaxRecvDataSegmentLength=0x2000\0"),
	    PARAM_OK, S("MaxRecvDataSegmentLength=262144\0") },

	/* RFC7143 6.2: no key twice in one negotiation. */
	{ "duplicate in one pdu", OPER, true, false,
	    S("MaxBurstLength=4096\0HeaderDigest=None\0MaxBurstLength=4096\0"),
	    PARAM_ERR_DUPLICATE, S("") },
	{ "duplicate rejected key", OPER, true, false,
	    S("OFMarkInt=1~2\0OFMarkInt=1~2\0"), PARAM_ERR_DUPLICATE, S("") },
	{ "duplicate target-only key", OPER, true, false,
	    S("TargetAlias=a\0TargetAlias=a\0"), PARAM_ERR_DUPLICATE, S("") },
	{ "redeclared name differs", SEC, true, false,
	    S("InitiatorName=iqn.a\0InitiatorName=iqn.b\0"),
	    PARAM_ERR_DUPLICATE, S("") },
	{ "redeclared name same", SEC, true, false,
	    S("InitiatorName=iqn.a\0InitiatorName=iqn.a\0"), PARAM_OK, S("") },
	{ "session type changed", SEC, true, false,
	    S("SessionType=Normal\0SessionType=Discovery\0"),
	    PARAM_ERR_WRONG_STAGE, S("") },
	{ "duplicate unknown keys answered", OPER, true, false,
	    S("X-a=1\0X-a=2\0"),
	    PARAM_OK, S("X-a=NotUnderstood\0X-a=NotUnderstood\0") },
};

static void
run_case(const struct neg_case *tc)
{
	struct param_limits lim;
	struct param_neg neg;

	param_limits_default(&lim);
	if (tc->no_digests)
		lim.allow_digests = false;
	param_neg_init(&neg, &lim, tc->leading);
	step(&neg, tc->stage, tc->offer, tc->offer_len, tc->rc, tc->answer,
	    tc->answer_len, tc->name);
}

TEST(param_table_cases)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

TEST(param_limits_defaults)
{
	struct param_limits lim;

	memset(&lim, 0xa5, sizeof(lim));
	param_limits_default(&lim);
	CHECK_EQ_INT(lim.max_recv_dsl, MINISAN_DEFAULT_MAX_RECV_DSL);
	CHECK_EQ_INT(lim.max_burst_length, 1048576);
	CHECK_EQ_INT(lim.first_burst_length, 262144);
	CHECK_EQ_INT(lim.max_outstanding_r2t, 16);
	CHECK_EQ_INT(lim.max_connections, 1);
	CHECK(lim.allow_digests);
	CHECK(lim.initial_r2t);
	CHECK(lim.immediate_data);
}

TEST(param_set_defaults)
{
	struct param_limits lim;
	struct param_set set;

	param_limits_default(&lim);
	lim.immediate_data = false; /* a preference, not a default */
	memset(&set, 0xa5, sizeof(set));
	param_set_default(&set, &lim);
	/* RFC7143 13.12 - 13.20 defaults. */
	CHECK_EQ_INT(set.max_recv_dsl, 8192);
	CHECK_EQ_INT(set.max_xmit_dsl, 8192);
	CHECK_EQ_INT(set.max_burst_length, 262144);
	CHECK_EQ_INT(set.first_burst_length, 65536);
	CHECK_EQ_INT(set.default_time2wait, 2);
	CHECK_EQ_INT(set.default_time2retain, 20);
	CHECK_EQ_INT(set.max_outstanding_r2t, 1);
	CHECK_EQ_INT(set.max_connections, 1);
	CHECK_EQ_INT(set.error_recovery_level, 0);
	CHECK(!set.header_digest);
	CHECK(!set.data_digest);
	CHECK(set.initial_r2t);
	CHECK(set.immediate_data);
	CHECK(set.data_pdu_in_order);
	CHECK(set.data_sequence_in_order);
}

/* The memory limits derived from negotiated values (limits_minisan.h). */
TEST(param_memory_limits)
{
	struct param_set set;

	memset(&set, 0, sizeof(set));
	set.max_recv_dsl = 262144;
	set.max_burst_length = 262144;
	set.first_burst_length = 65536;
	/* InitialR2T=Yes, ImmediateData=No: no unsolicited data at all */
	set.initial_r2t = true;
	CHECK_EQ_INT(param_unsolicited_max(&set), 0);
	CHECK_EQ_INT(param_cmd_window(&set), MINISAN_CMD_WINDOW);
	/* immediate data only: one data segment within FirstBurstLength */
	set.immediate_data = true;
	CHECK_EQ_INT(param_unsolicited_max(&set), 65536);
	set.max_recv_dsl = 8192;
	CHECK_EQ_INT(param_unsolicited_max(&set), 8192);
	/* InitialR2T=No: the whole first burst */
	set.initial_r2t = false;
	CHECK_EQ_INT(param_unsolicited_max(&set), 65536);
	CHECK_EQ_INT(param_cmd_window(&set), MINISAN_CMD_WINDOW);
	/* 256 KiB per command: 128 commands fill MINISAN_UNSOL_MAX */
	set.first_burst_length = 262144;
	CHECK_EQ_INT(param_cmd_window(&set), MINISAN_UNSOL_MAX / 262144);
	CHECK(param_cmd_window(&set) * 262144ull <= MINISAN_UNSOL_MAX);
	set.first_burst_length = 1048576;
	CHECK_EQ_INT(param_cmd_window(&set), 32);
	/* never more than the largest transfer per command */
	set.first_burst_length = ISCSI_DSL_MAX;
	CHECK_EQ_INT(param_unsolicited_max(&set), MINISAN_MAX_XFER_BYTES);
	CHECK_EQ_INT(param_cmd_window(&set),
	    MINISAN_UNSOL_MAX / MINISAN_MAX_XFER_BYTES);
	/* budget: 16 bursts, within [largest transfer, cap] */
	set.max_burst_length = 262144;
	CHECK_EQ_INT(param_data_budget(&set), MINISAN_MAX_XFER_BYTES);
	set.max_burst_length = 1048576;
	CHECK_EQ_INT(param_data_budget(&set), 16u * 1048576);
	set.max_burst_length = ISCSI_DSL_MAX;
	CHECK_EQ_INT(param_data_budget(&set), MINISAN_SESSION_BUF_MAX);
	set.max_burst_length = ISCSI_DSL_MIN;
	CHECK_EQ_INT(param_data_budget(&set), MINISAN_MAX_XFER_BYTES);
}

TEST(param_neg_init_state)
{
	struct param_limits lim;
	struct param_neg neg;

	param_limits_default(&lim);
	memset(&neg, 0x5a, sizeof(neg));
	param_neg_init(&neg, &lim, false);
	CHECK(neg.lim == &lim);
	CHECK(!neg.leading);
	CHECK(!neg.declared_mrdsl);
	CHECK_EQ_INT(neg.answered, 0);
	CHECK_EQ_INT(neg.session_type, PARAM_SESSION_NONE);
	CHECK_EQ_STR(neg.initiator_name, "");
	CHECK_EQ_STR(neg.target_name, "");
	CHECK_EQ_STR(neg.initiator_alias, "");
	CHECK_EQ_INT(neg.set.max_burst_length, 262144);
}

TEST(param_open_iscsi_result_set)
{
	struct param_limits lim;
	struct param_neg neg;

	param_limits_default(&lim);
	param_neg_init(&neg, &lim, true);
	step(&neg, SEC, S("InitiatorName=iqn.2016-04.com.open-iscsi:1\0"
			  "InitiatorAlias=node1\0SessionType=Normal\0"
			  "TargetName=" TNAME "\0AuthMethod=None\0"),
	    PARAM_OK, S(""), "security");
	CHECK_EQ_STR(neg.initiator_name, "iqn.2016-04.com.open-iscsi:1");
	CHECK_EQ_STR(neg.initiator_alias, "node1");
	CHECK_EQ_STR(neg.target_name, TNAME);
	CHECK_EQ_INT(neg.session_type, PARAM_SESSION_NORMAL);
	step(&neg, OPER,
	    S("HeaderDigest=CRC32C\0DataDigest=None\0DefaultTime2Wait=5\0"
	      "DefaultTime2Retain=0\0ErrorRecoveryLevel=0\0InitialR2T=No\0"
	      "ImmediateData=No\0MaxBurstLength=131072\0"
	      "FirstBurstLength=65536\0MaxOutstandingR2T=4\0"
	      "DataPDUInOrder=Yes\0MaxRecvDataSegmentLength=65536\0"),
	    PARAM_OK,
	    S("HeaderDigest=CRC32C\0DataDigest=None\0DefaultTime2Wait=5\0"
	      "DefaultTime2Retain=0\0ErrorRecoveryLevel=0\0InitialR2T=Yes\0"
	      "ImmediateData=No\0MaxBurstLength=131072\0"
	      "FirstBurstLength=65536\0MaxOutstandingR2T=4\0"
	      "DataPDUInOrder=Yes\0MaxRecvDataSegmentLength=262144\0"),
	    "operational");
	CHECK(neg.set.header_digest);
	CHECK(!neg.set.data_digest);
	CHECK_EQ_INT(neg.set.default_time2wait, 5);
	CHECK_EQ_INT(neg.set.default_time2retain, 0);
	CHECK(neg.set.initial_r2t);
	CHECK(!neg.set.immediate_data);
	CHECK_EQ_INT(neg.set.max_burst_length, 131072);
	CHECK_EQ_INT(neg.set.first_burst_length, 65536);
	CHECK_EQ_INT(neg.set.max_outstanding_r2t, 4);
	CHECK_EQ_INT(neg.set.max_xmit_dsl, 65536);
	CHECK_EQ_INT(neg.set.max_recv_dsl, 262144);
	/* Not offered: defaults hold. */
	CHECK_EQ_INT(neg.set.max_connections, 1);
	CHECK(neg.set.data_sequence_in_order);
	CHECK(neg.declared_mrdsl);
}

TEST(param_mrdsl_declared_once)
{
	struct param_limits lim;
	struct param_neg neg;
	struct text_buf out = { 0 };

	param_limits_default(&lim);
	lim.max_recv_dsl = 65536;
	param_neg_init(&neg, &lim, true);
	step(&neg, OPER, S("MaxRecvDataSegmentLength=8192\0"), PARAM_OK,
	    S("MaxRecvDataSegmentLength=65536\0"), "first declaration");
	CHECK_EQ_INT(neg.set.max_xmit_dsl, 8192);
	CHECK_EQ_INT(neg.set.max_recv_dsl, 65536);
	/* The same declaration again in a later PDU: tolerated, no answer. */
	step(&neg, OPER, S("MaxRecvDataSegmentLength=8192\0"), PARAM_OK,
	    S(""), "same redeclaration");
	/* A different value is a renegotiation. */
	step(&neg, OPER, S("MaxRecvDataSegmentLength=4096\0"),
	    PARAM_ERR_DUPLICATE, S(""), "changed redeclaration");
	/* Nothing left to declare at the end. */
	param_neg_finish(&neg, &out);
	CHECK_EQ_INT(out.len, 0);
	text_buf_fini(&out);
}

TEST(param_mrdsl_declared_by_finish)
{
	struct param_limits lim;
	struct param_neg neg;
	struct text_buf out = { 0 };
	static const char want[] = "MaxRecvDataSegmentLength=262144";

	param_limits_default(&lim);
	param_neg_init(&neg, &lim, true);
	step(&neg, OPER, S("HeaderDigest=None\0"), PARAM_OK,
	    S("HeaderDigest=None\0"), "no mrdsl");
	CHECK(!neg.declared_mrdsl);
	CHECK_EQ_INT(neg.set.max_recv_dsl, 8192);
	param_neg_finish(&neg, &out);
	REQUIRE(out.len == sizeof(want));
	CHECK_EQ_MEM(out.data, want, sizeof(want));
	CHECK(neg.declared_mrdsl);
	CHECK_EQ_INT(neg.set.max_recv_dsl, 262144);
	/* Idempotent. */
	param_neg_finish(&neg, &out);
	CHECK_EQ_INT(out.len, sizeof(want));
	/* A later initiator declaration is recorded but not answered. */
	step(&neg, OPER, S("MaxRecvDataSegmentLength=16384\0"), PARAM_OK,
	    S(""), "declaration after finish");
	CHECK_EQ_INT(neg.set.max_xmit_dsl, 16384);
	text_buf_fini(&out);
}

TEST(param_mrdsl_limit_clamped)
{
	struct param_limits lim;
	struct param_neg neg;

	param_limits_default(&lim);
	lim.max_recv_dsl = 100; /* below the RFC minimum: declare 512 */
	param_neg_init(&neg, &lim, true);
	step(&neg, OPER, S("MaxRecvDataSegmentLength=512\0"), PARAM_OK,
	    S("MaxRecvDataSegmentLength=512\0"), "clamped");
}

TEST(param_ffp_mrdsl_not_answered)
{
	struct param_limits lim;
	struct param_neg neg;

	param_limits_default(&lim);
	param_neg_init(&neg, &lim, true);
	step(&neg, FFP, S("MaxRecvDataSegmentLength=32768\0"
			  "InitiatorAlias=renamed\0"),
	    PARAM_OK, S(""), "ffp");
	CHECK_EQ_INT(neg.set.max_xmit_dsl, 32768);
	CHECK_EQ_STR(neg.initiator_alias, "renamed");
	CHECK(!neg.declared_mrdsl);
}

TEST(param_duplicate_across_pdus)
{
	struct param_limits lim;
	struct param_neg neg;

	param_limits_default(&lim);
	param_neg_init(&neg, &lim, true);
	step(&neg, OPER, S("HeaderDigest=None\0MaxBurstLength=8192\0"),
	    PARAM_OK, S("HeaderDigest=None\0MaxBurstLength=8192\0"), "pdu 1");
	step(&neg, OPER, S("DataDigest=None\0"), PARAM_OK,
	    S("DataDigest=None\0"), "pdu 2");
	step(&neg, OPER, S("ImmediateData=Yes\0MaxBurstLength=8192\0"),
	    PARAM_ERR_DUPLICATE, S(""), "pdu 3");
	/* The failed PDU produced no answers and the set is unchanged for
	 * the key that was negotiated. */
	CHECK_EQ_INT(neg.set.max_burst_length, 8192);
}

TEST(param_libiscsi_chap_redeclares)
{
	struct param_limits lim;
	struct param_neg neg;

	param_limits_default(&lim);
	param_neg_init(&neg, &lim, true);
	/* libiscsi with CHAP: names and SessionType in the first security
	 * PDU, and again in the operational PDU. */
	step(&neg, SEC, S("InitiatorName=" LIBISCSI_INAME "\0TargetName=" TNAME
			  "\0SessionType=Normal\0AuthMethod=CHAP,None\0"),
	    PARAM_OK, S(""), "secneg offer");
	step(&neg, SEC, S("CHAP_A=5\0"), PARAM_OK, S(""), "chap_a");
	step(&neg, OPER, S("InitiatorName=" LIBISCSI_INAME "\0TargetName=" TNAME
			   "\0SessionType=Normal\0HeaderDigest=None\0"),
	    PARAM_OK, S("HeaderDigest=None\0"), "opneg");
	CHECK_EQ_INT(neg.session_type, PARAM_SESSION_NORMAL);
	step(&neg, OPER, S("TargetName=iqn.other\0"), PARAM_ERR_DUPLICATE,
	    S(""), "target changed");
}

TEST(param_session_type_late)
{
	struct param_limits lim;
	struct param_neg neg;

	param_limits_default(&lim);
	param_neg_init(&neg, &lim, true);
	step(&neg, OPER, S("MaxBurstLength=8192\0"), PARAM_OK,
	    S("MaxBurstLength=8192\0"), "operational first");
	/* SessionType after session keys were answered in an earlier PDU. */
	step(&neg, OPER, S("SessionType=Discovery\0"), PARAM_ERR_WRONG_STAGE,
	    S(""), "late session type");
	CHECK_EQ_INT(neg.session_type, PARAM_SESSION_NONE);
}

TEST(param_discovery_state)
{
	struct param_limits lim;
	struct param_neg neg;
	struct text_buf out = { 0 };

	param_limits_default(&lim);
	lim.max_connections = 4;
	param_neg_init(&neg, &lim, true);
	step(&neg, SEC, S("InitiatorName=iqn.a\0SessionType=Discovery\0"),
	    PARAM_OK, S(""), "security");
	CHECK_EQ_INT(neg.session_type, PARAM_SESSION_DISCOVERY);
	step(&neg, OPER, S("MaxConnections=4\0DataDigest=CRC32C,None\0"),
	    PARAM_OK, S("MaxConnections=Irrelevant\0DataDigest=CRC32C\0"),
	    "operational");
	/* RFC7143 13.21: a discovery session implies MaxConnections=1. */
	CHECK_EQ_INT(neg.set.max_connections, 1);
	CHECK(neg.set.data_digest);
	param_neg_finish(&neg, &out);
	CHECK_EQ_INT(out.len, sizeof("MaxRecvDataSegmentLength=262144"));
	text_buf_fini(&out);
}

TEST(param_names_length)
{
	struct param_limits lim;
	struct param_neg neg;
	char buf[600];
	struct text_list in;
	struct text_buf out = { 0 };
	int n;

	param_limits_default(&lim);
	/* 223 bytes is the longest iSCSI name (RFC7143 4.2.7.1). */
	n = snprintf(buf, sizeof(buf), "InitiatorName=iqn.%0*d", 219, 0);
	REQUIRE(n == 14 + 223);
	param_neg_init(&neg, &lim, true);
	REQUIRE(text_parse((uint8_t *)buf, (size_t)n, &in) == 0);
	CHECK_EQ_INT(param_negotiate(&neg, &in, SEC, &out), PARAM_OK);
	CHECK_EQ_INT(strlen(neg.initiator_name), 223);
	text_list_fini(&in);

	n = snprintf(buf, sizeof(buf), "TargetName=iqn.%0*d", 220, 0);
	param_neg_init(&neg, &lim, true);
	REQUIRE(text_parse((uint8_t *)buf, (size_t)n, &in) == 0);
	CHECK_EQ_INT(param_negotiate(&neg, &in, SEC, &out), PARAM_ERR_INVALID);
	text_list_fini(&in);

	n = snprintf(buf, sizeof(buf), "InitiatorAlias=%0*d", 256, 0);
	param_neg_init(&neg, &lim, true);
	REQUIRE(text_parse((uint8_t *)buf, (size_t)n, &in) == 0);
	CHECK_EQ_INT(param_negotiate(&neg, &in, SEC, &out), PARAM_ERR_INVALID);
	text_list_fini(&in);

	n = snprintf(buf, sizeof(buf), "InitiatorAlias=%0*d", 255, 0);
	param_neg_init(&neg, &lim, true);
	REQUIRE(text_parse((uint8_t *)buf, (size_t)n, &in) == 0);
	CHECK_EQ_INT(param_negotiate(&neg, &in, SEC, &out), PARAM_OK);
	CHECK_EQ_INT(strlen(neg.initiator_alias), 255);
	text_list_fini(&in);
	CHECK_EQ_INT(out.len, 0);
	text_buf_fini(&out);
}

TEST(param_empty_list)
{
	struct param_limits lim;
	struct param_neg neg;
	struct text_list in = { NULL, 0, NULL };
	struct text_buf out = { 0 };

	param_limits_default(&lim);
	param_neg_init(&neg, &lim, true);
	CHECK_EQ_INT(param_negotiate(&neg, &in, OPER, &out), PARAM_OK);
	CHECK_EQ_INT(out.len, 0);
	CHECK_EQ_INT(neg.answered, 0);
}

TEST(param_security_keys)
{
	static const char *const yes[] = { "AuthMethod", "CHAP_A", "CHAP_I",
		"CHAP_C", "CHAP_N", "CHAP_R" };
	static const char *const no[] = { "CHAP_X", "CHAP_", "authmethod",
		"AuthMethodX", "HeaderDigest", "SRP_U", "" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		CHECK(param_is_security_key(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK(!param_is_security_key(no[i]));
}

static const struct test tests[] = {
	T(param_table_cases),
	T(param_limits_defaults),
	T(param_set_defaults),
	T(param_neg_init_state),
	T(param_open_iscsi_result_set),
	T(param_mrdsl_declared_once),
	T(param_mrdsl_declared_by_finish),
	T(param_mrdsl_limit_clamped),
	T(param_ffp_mrdsl_not_answered),
	T(param_duplicate_across_pdus),
	T(param_libiscsi_chap_redeclares),
	T(param_session_type_late),
	T(param_discovery_state),
	T(param_names_length),
	T(param_empty_list),
	T(param_security_keys),
	T(param_memory_limits),
};

int
main(int argc, char **argv)
{
	return HARNESS_RUN(tests);
}

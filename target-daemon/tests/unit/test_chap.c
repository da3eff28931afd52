/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the target's side of CHAP: value decoding, algorithm
 * choice, response verification, mutual CHAP and its refusals. */
#include "iscsi/chap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

static const char mutual_keys[] = "CHAP_I=9\0CHAP_C=0x0102030405060708";

static const struct chap_cred cred = { "alice", "alicesecret123", NULL, NULL };
static const struct chap_cred mcred = { "alice", "alicesecret123", "tgt",
	"targetsecret456" };

static void
start(struct chap *ch, const struct chap_cred *cr)
{
	uint8_t rnd[CHAP_RANDOM_LEN];

	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)(i * 7 + 3);
	chap_start(ch, cr, rnd);
}

static struct text_list
parse(const char *s, size_t len)
{
	struct text_list l;

	if (text_parse((const uint8_t *)s, len, &l) != 0)
		memset(&l, 0, sizeof(l));
	return l;
}

static void
hex(const uint8_t *in, size_t n, char *out)
{
	out += sprintf(out, "0x");
	for (size_t i = 0; i < n; i++)
		out += sprintf(out, "%02x", in[i]);
}

/* our reference response: H(id || secret || challenge) */
static void
response(enum hash_alg alg, uint8_t id, const char *secret,
    const uint8_t *c, size_t clen, uint8_t *out)
{
	struct hash_ctx h;

	hash_init(&h, alg);
	hash_update(&h, &id, 1);
	hash_update(&h, secret, strlen(secret));
	hash_update(&h, c, clen);
	hash_final(&h, out);
}

TEST(decode_hex_and_base64)
{
	uint8_t b[8];

	CHECK_EQ_INT(chap_decode("0x0102ff", b, sizeof(b)), 3);
	CHECK_EQ_INT(b[2], 0xff);
	CHECK_EQ_INT(chap_decode("0x102", b, sizeof(b)), 2); /* odd digits */
	CHECK_EQ_INT(b[0], 0x01);
	CHECK_EQ_INT(chap_decode("0bAQL/", b, sizeof(b)), 3);
	CHECK_EQ_INT(b[0], 0x01);
	CHECK_EQ_INT(b[2], 0xff);
	CHECK_EQ_INT(chap_decode("0x", b, sizeof(b)), -1);
	CHECK_EQ_INT(chap_decode("12", b, sizeof(b)), -1);
	CHECK_EQ_INT(chap_decode("0xzz", b, sizeof(b)), -1);
	CHECK_EQ_INT(chap_decode("0x010203040506070809", b, sizeof(b)), -1);
}

TEST(strongest_common_algorithm)
{
	struct text_buf out = { 0 };
	struct text_list kv = parse("CHAP_A=5,7,6", 12);
	const char *why = NULL;
	struct chap ch;

	start(&ch, &cred);
	CHECK_EQ_INT(chap_handle(&ch, &kv, &out, &why), 0);
	CHECK_EQ_INT(ch.state, CHAP_WAIT_R);
	CHECK_EQ_INT(ch.alg, HASH_SHA256);
	REQUIRE(out.len > 8);
	CHECK(memcmp(out.data, "CHAP_A=7", 9) == 0);
	text_list_fini(&kv);
	text_buf_fini(&out);
	chap_fini(&ch);
}

TEST(unknown_algorithm_rejected)
{
	struct text_buf out = { 0 };
	struct text_list kv = parse("CHAP_A=3,99", 11);
	const char *why = NULL;
	struct chap ch;

	start(&ch, &cred);
	CHECK_EQ_INT(chap_handle(&ch, &kv, &out, &why), -EACCES);
	CHECK(why != NULL);
	CHECK(out.len == 14 && memcmp(out.data, "CHAP_A=Reject", 14) == 0);
	text_list_fini(&kv);
	text_buf_fini(&out);
	chap_fini(&ch);
}

/* Runs CHAP_A=alg, then answers with (name, secret); returns the result of
 * the second step. */
static int
exchange(struct chap *ch, int alg, const char *name, const char *secret,
    const char *extra, size_t extra_len)
{
	struct text_buf out = { 0 };
	struct text_list kv;
	uint8_t r[HASH_MAX_LEN];
	char a[16], msg[512], rh[2 + 2 * HASH_MAX_LEN + 1];
	const char *why = NULL;
	int n, rc;

	n = snprintf(a, sizeof(a), "CHAP_A=%d", alg);
	kv = parse(a, (size_t)n);
	rc = chap_handle(ch, &kv, &out, &why);
	text_list_fini(&kv);
	text_buf_fini(&out);
	if (rc != 0)
		return rc;
	response(ch->alg, ch->id, secret, ch->challenge, CHAP_CHALLENGE_LEN,
	    r);
	hex(r, hash_len(ch->alg), rh);
	n = snprintf(msg, sizeof(msg), "CHAP_N=%s%cCHAP_R=%s%c", name, 0,
	    rh, 0);
	if (extra_len > 0)
		memcpy(msg + n, extra, extra_len);
	kv = parse(msg, (size_t)n + extra_len);
	rc = chap_handle(ch, &kv, &out, &why);
	text_list_fini(&kv);
	text_buf_fini(&out);
	return rc;
}

TEST(every_algorithm_verifies)
{
	for (int alg = 5; alg <= 8; alg++) {
		struct chap ch;

		start(&ch, &cred);
		CHECK_EQ_INT(exchange(&ch, alg, "alice", "alicesecret123",
		    NULL, 0), 0);
		CHECK_EQ_INT(ch.state, CHAP_DONE);
		chap_fini(&ch);
		start(&ch, &cred);
		CHECK_EQ_INT(exchange(&ch, alg, "alice", "alicesecret124",
		    NULL, 0), -EACCES);
		chap_fini(&ch);
		start(&ch, &cred);
		CHECK_EQ_INT(exchange(&ch, alg, "alicf", "alicesecret123",
		    NULL, 0), -EACCES);
		chap_fini(&ch);
	}
}

TEST(mutual_required_when_configured)
{
	struct chap ch;

	start(&ch, &mcred);
	CHECK_EQ_INT(exchange(&ch, 5, "alice", "alicesecret123", NULL, 0),
	    -EACCES);
	chap_fini(&ch);
	/* asked for but not configured */
	start(&ch, &cred);
	CHECK_EQ_INT(exchange(&ch, 5, "alice", "alicesecret123", mutual_keys,
	    sizeof(mutual_keys)), -EACCES);
	chap_fini(&ch);
}

TEST(mutual_reflected_challenge_refused)
{
	char extra[128];
	struct chap ch;
	int n;

	start(&ch, &mcred);
	/* the challenge chap_start derives from the random bytes */
	n = snprintf(extra, sizeof(extra), "CHAP_I=9%cCHAP_C=", 0);
	hex(ch.random + 1, CHAP_CHALLENGE_LEN, extra + n);
	CHECK_EQ_INT(exchange(&ch, 7, "alice", "alicesecret123", extra,
	    (size_t)n + 2 + 2 * CHAP_CHALLENGE_LEN), -EACCES);
	chap_fini(&ch);
	start(&ch, &mcred);
	CHECK_EQ_INT(exchange(&ch, 7, "alice", "alicesecret123", mutual_keys,
	    sizeof(mutual_keys)), 0);
	CHECK_EQ_INT(ch.state, CHAP_DONE);
	chap_fini(&ch);
}

int
main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(decode_hex_and_base64),
		T(strongest_common_algorithm),
		T(unknown_algorithm_rejected),
		T(every_algorithm_verifies),
		T(mutual_required_when_configured),
		T(mutual_reflected_challenge_refused),
	};

	return HARNESS_RUN(tests);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for iscsi/text.c: key=value\0 parsing (RFC7143 6.1) and the
 * output buffer. */
#include "../harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iscsi/text.h"
#include "limits_minisan.h"

/* A string literal with embedded NULs and its exact length. */
#define S(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

static int
parse_lit(const uint8_t *buf, size_t len, struct text_list *l)
{
	return text_parse(buf, len, l);
}

TEST(text_parse_basic)
{
	struct text_list l;

	REQUIRE(parse_lit(S("HeaderDigest=None\0MaxBurstLength=262144\0"),
	    &l) == 0);
	REQUIRE(l.n == 2);
	CHECK_EQ_STR(l.kv[0].key, "HeaderDigest");
	CHECK_EQ_STR(l.kv[0].value, "None");
	CHECK_EQ_STR(l.kv[1].key, "MaxBurstLength");
	CHECK_EQ_STR(l.kv[1].value, "262144");
	text_list_fini(&l);
	CHECK(l.kv == NULL && l.storage == NULL && l.n == 0);
}

TEST(text_parse_missing_final_nul)
{
	struct text_list l;

	REQUIRE(parse_lit(S("a=1\0b=2"), &l) == 0);
	REQUIRE(l.n == 2);
	CHECK_EQ_STR(l.kv[1].key, "b");
	CHECK_EQ_STR(l.kv[1].value, "2");
	text_list_fini(&l);

	REQUIRE(parse_lit(S("SendTargets=All"), &l) == 0);
	REQUIRE(l.n == 1);
	CHECK_EQ_STR(l.kv[0].value, "All");
	text_list_fini(&l);
}

TEST(text_parse_padding)
{
	struct text_list l;

	/* Padding to a 4-byte boundary: NULs at the end are not pairs. */
	REQUIRE(parse_lit(S("a=1\0\0\0\0"), &l) == 0);
	CHECK_EQ_INT(l.n, 1);
	text_list_fini(&l);

	REQUIRE(parse_lit(S("ab=12\0\0\0"), &l) == 0);
	CHECK_EQ_INT(l.n, 1);
	CHECK_EQ_STR(l.kv[0].value, "12");
	text_list_fini(&l);
}

TEST(text_parse_empty)
{
	struct text_list l;

	CHECK_EQ_INT(text_parse(NULL, 0, &l), 0);
	CHECK_EQ_INT(l.n, 0);
	CHECK(text_find(&l, "a") == NULL);
	text_list_fini(&l);

	CHECK_EQ_INT(parse_lit(S("\0\0\0\0"), &l), 0);
	CHECK_EQ_INT(l.n, 0);
	text_list_fini(&l);
}

TEST(text_parse_empty_value)
{
	struct text_list l;

	REQUIRE(parse_lit(S("InitiatorAlias=\0SendTargets=\0"), &l) == 0);
	REQUIRE(l.n == 2);
	CHECK_EQ_STR(l.kv[0].value, "");
	CHECK_EQ_STR(l.kv[1].value, "");
	text_list_fini(&l);
}

TEST(text_parse_value_with_equals)
{
	struct text_list l;

	REQUIRE(parse_lit(S("CHAP_C=0bAAE=\0X-a=b=c\0"), &l) == 0);
	REQUIRE(l.n == 2);
	CHECK_EQ_STR(l.kv[0].key, "CHAP_C");
	CHECK_EQ_STR(l.kv[0].value, "0bAAE=");
	CHECK_EQ_STR(l.kv[1].key, "X-a");
	CHECK_EQ_STR(l.kv[1].value, "b=c");
	text_list_fini(&l);
}

TEST(text_parse_missing_equals)
{
	struct text_list l;

	CHECK_EQ_INT(parse_lit(S("HeaderDigest\0"), &l), -EINVAL);
	CHECK(l.n == 0 && l.kv == NULL && l.storage == NULL);
	CHECK_EQ_INT(parse_lit(S("a=1\0bogus\0c=3\0"), &l), -EINVAL);
	CHECK(l.n == 0 && l.kv == NULL && l.storage == NULL);
	CHECK_EQ_INT(parse_lit(S("a=1\0bogus"), &l), -EINVAL);
}

TEST(text_parse_empty_key_or_pair)
{
	struct text_list l;

	CHECK_EQ_INT(parse_lit(S("=1\0"), &l), -EINVAL);
	/* An empty pair in the middle is not padding. */
	CHECK_EQ_INT(parse_lit(S("a=1\0\0b=2\0"), &l), -EINVAL);
	CHECK_EQ_INT(parse_lit(S("\0a=1\0"), &l), -EINVAL);
	CHECK(l.n == 0);
}

TEST(text_parse_key_charset)
{
	static const struct {
		const char *text;
		size_t len;
		int rc;
	} cases[] = {
		{ "A.b-c+d@e_f9=1", 14, 0 },
		{ "iSCSIProtocolLevel=1", 20, 0 },
		{ "X-com.example.key=v", 19, 0 },
		{ "X#org.example=v", 15, 0 },
		{ "a b=1", 5, -EINVAL },
		{ "a#b=1", 5, -EINVAL },
		{ "#X=1", 4, -EINVAL },
		{ "Y#a=1", 5, -EINVAL },
		{ "key/x=1", 7, -EINVAL },
		{ "k\x80=1", 4, -EINVAL },
		{ "k\t=1", 4, -EINVAL },
		{ "k:=1", 4, -EINVAL },
	};
	struct text_list l;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		REQUIRE(strlen(cases[i].text) == cases[i].len);
		int rc = text_parse((const uint8_t *)cases[i].text,
		    cases[i].len, &l);
		if (rc != cases[i].rc)
			fprintf(stderr, "  case \"%s\"\n", cases[i].text);
		CHECK_EQ_INT(rc, cases[i].rc);
		text_list_fini(&l);
	}
}

TEST(text_parse_key_length)
{
	char buf[ISCSI_KEY_NAME_MAX + 8];
	struct text_list l;

	memset(buf, 'K', ISCSI_KEY_NAME_MAX);
	memcpy(buf + ISCSI_KEY_NAME_MAX, "=1", 2);
	CHECK_EQ_INT(text_parse((uint8_t *)buf, ISCSI_KEY_NAME_MAX + 2, &l), 0);
	CHECK_EQ_INT(l.n, 1);
	CHECK_EQ_INT(strlen(l.kv[0].key), ISCSI_KEY_NAME_MAX);
	text_list_fini(&l);

	memset(buf, 'K', ISCSI_KEY_NAME_MAX + 1);
	memcpy(buf + ISCSI_KEY_NAME_MAX + 1, "=1", 2);
	CHECK_EQ_INT(text_parse((uint8_t *)buf, ISCSI_KEY_NAME_MAX + 3, &l),
	    -EINVAL);
}

TEST(text_parse_value_length)
{
	size_t len = 2 + ISCSI_TEXT_VALUE_MAX + 1;
	uint8_t *buf = malloc(len + 1);
	struct text_list l;

	REQUIRE(buf != NULL);
	memcpy(buf, "k=", 2);
	memset(buf + 2, 'v', ISCSI_TEXT_VALUE_MAX + 1);
	CHECK_EQ_INT(text_parse(buf, len, &l), -EINVAL);
	CHECK_EQ_INT(text_parse(buf, len - 1, &l), 0);
	CHECK_EQ_INT(l.n, 1);
	CHECK_EQ_INT(strlen(l.kv[0].value), ISCSI_TEXT_VALUE_MAX);
	text_list_fini(&l);
	free(buf);
}

/* n pairs "k=v\0" */
static uint8_t *
make_pairs(size_t n, size_t *len)
{
	uint8_t *buf = malloc(n * 4);

	for (size_t i = 0; i < n; i++)
		memcpy(buf + 4 * i, "k=v", 4);
	*len = n * 4;
	return buf;
}

TEST(text_parse_too_many_keys)
{
	struct text_list l;
	size_t len;
	uint8_t *buf = make_pairs(MINISAN_MAX_TEXT_KEYS, &len);

	CHECK_EQ_INT(text_parse(buf, len, &l), 0);
	CHECK_EQ_INT(l.n, MINISAN_MAX_TEXT_KEYS);
	text_list_fini(&l);
	free(buf);

	buf = make_pairs(MINISAN_MAX_TEXT_KEYS + 1, &len);
	CHECK_EQ_INT(text_parse(buf, len, &l), -E2BIG);
	CHECK(l.n == 0 && l.kv == NULL);
	/* Without the final NUL the count is the same. */
	CHECK_EQ_INT(text_parse(buf, len - 1, &l), -E2BIG);
	free(buf);
}

TEST(text_parse_too_many_bytes)
{
	size_t len = MINISAN_MAX_TEXT_BYTES + 1;
	uint8_t *buf = calloc(1, len);
	struct text_list l;

	REQUIRE(buf != NULL);
	memcpy(buf, "a=1", 3);
	CHECK_EQ_INT(text_parse(buf, len, &l), -E2BIG);
	/* At the limit, the rest is padding. */
	CHECK_EQ_INT(text_parse(buf, len - 1, &l), 0);
	CHECK_EQ_INT(l.n, 1);
	text_list_fini(&l);
	free(buf);
}

TEST(text_find_first_and_duplicates)
{
	struct text_list l;

	REQUIRE(parse_lit(S("a=1\0b=2\0a=3\0"), &l) == 0);
	CHECK_EQ_INT(l.n, 3);
	CHECK_EQ_STR(text_find(&l, "a"), "1");
	CHECK_EQ_STR(text_find(&l, "b"), "2");
	CHECK(text_find(&l, "A") == NULL);
	CHECK(text_find(&l, "c") == NULL);
	CHECK_EQ_STR(l.kv[2].value, "3");
	text_list_fini(&l);
	text_list_fini(&l); /* idempotent */
}

TEST(text_buf_build)
{
	struct text_buf tb = { 0 };
	static const char want[] = "HeaderDigest=None\0MaxBurstLength=262144\0"
				   "X=\0Zero=0\0Max=4294967295\0";

	text_buf_add(&tb, "HeaderDigest", "None");
	text_buf_add_u32(&tb, "MaxBurstLength", 262144);
	text_buf_add(&tb, "X", "");
	text_buf_add_u32(&tb, "Zero", 0);
	text_buf_add_u32(&tb, "Max", UINT32_MAX);
	REQUIRE(tb.len == sizeof(want) - 1);
	CHECK_EQ_MEM(tb.data, want, sizeof(want) - 1);
	CHECK(tb.cap >= tb.len);
	text_buf_fini(&tb);
	CHECK(tb.data == NULL && tb.len == 0 && tb.cap == 0);
}

TEST(text_buf_grows_and_roundtrips)
{
	struct text_buf tb = { 0 };
	struct text_list l;
	char key[16];

	for (unsigned int i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "Key%u", i);
		text_buf_add_u32(&tb, key, i * 1000u);
	}
	REQUIRE(text_parse(tb.data, tb.len, &l) == 0);
	REQUIRE(l.n == 200);
	CHECK_EQ_STR(l.kv[0].key, "Key0");
	CHECK_EQ_STR(l.kv[0].value, "0");
	CHECK_EQ_STR(l.kv[199].key, "Key199");
	CHECK_EQ_STR(l.kv[199].value, "199000");
	CHECK_EQ_STR(text_find(&l, "Key57"), "57000");
	text_list_fini(&l);
	text_buf_fini(&tb);
}

static const struct test tests[] = {
	T(text_parse_basic),
	T(text_parse_missing_final_nul),
	T(text_parse_padding),
	T(text_parse_empty),
	T(text_parse_empty_value),
	T(text_parse_value_with_equals),
	T(text_parse_missing_equals),
	T(text_parse_empty_key_or_pair),
	T(text_parse_key_charset),
	T(text_parse_key_length),
	T(text_parse_value_length),
	T(text_parse_too_many_keys),
	T(text_parse_too_many_bytes),
	T(text_find_first_and_duplicates),
	T(text_buf_build),
	T(text_buf_grows_and_roundtrips),
};

int
main(int argc, char **argv)
{
	return HARNESS_RUN(tests);
}

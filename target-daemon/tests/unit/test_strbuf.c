/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the growable string buffer: exact contents after appends,
 * growth past the first allocation, reset, take and fini. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

TEST(empty_buffer)
{
	struct strbuf sb;
	char *s;

	strbuf_init(&sb);
	CHECK(sb.s == NULL);
	CHECK_EQ_INT(sb.len, 0);
	/* an empty take still gives a string the caller frees */
	s = strbuf_take(&sb);
	REQUIRE(s != NULL);
	CHECK_EQ_STR(s, "");
	free(s);
	CHECK(sb.s == NULL);
	CHECK_EQ_INT(sb.cap, 0);
	/* an empty append makes an empty string, not nothing */
	strbuf_add(&sb, "", 0);
	REQUIRE(sb.s != NULL);
	CHECK_EQ_STR(sb.s, "");
	CHECK_EQ_INT(sb.len, 0);
	strbuf_printf(&sb, "%s", "");
	CHECK_EQ_STR(sb.s, "");
	CHECK_EQ_INT(sb.len, 0);
	strbuf_fini(&sb);
	CHECK(sb.s == NULL);
	CHECK_EQ_INT(sb.len, 0);
	CHECK_EQ_INT(sb.cap, 0);
	/* fini of a never-used buffer is harmless */
	strbuf_fini(&sb);
}

TEST(printf_and_add_exact)
{
	struct strbuf sb;
	char *s;

	strbuf_init(&sb);
	strbuf_printf(&sb, "portal %s:%u\n", "10.0.0.1", 3260u);
	strbuf_add(&sb, "ab\"c", 4);
	strbuf_printf(&sb, " %s=%llu", "luns", 18446744073709551615ull);
	strbuf_printf(&sb, "%c%d", 'x', -7);
	CHECK_EQ_STR(sb.s, "portal 10.0.0.1:3260\nab\"c"
	    " luns=18446744073709551615x-7");
	CHECK_EQ_INT(sb.len, strlen(sb.s));
	CHECK(sb.len < sb.cap);
	s = strbuf_take(&sb);
	CHECK_EQ_STR(s, "portal 10.0.0.1:3260\nab\"c"
	    " luns=18446744073709551615x-7");
	CHECK(sb.s == NULL);
	CHECK_EQ_INT(sb.len, 0);
	free(s);
}

TEST(grows_past_first_allocation)
{
	struct strbuf sb;
	char want[5000];
	char big[700];
	size_t n = 0, cap0;

	strbuf_init(&sb);
	strbuf_printf(&sb, "%03d;", 0);
	cap0 = sb.cap;
	REQUIRE(cap0 > 4);
	/* many small appends, each landing right after the last */
	for (int i = 0; i < 1000; i++) {
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%03d;", i);
		if (i > 0)
			strbuf_printf(&sb, "%03d;", i);
		CHECK_EQ_INT(sb.len, n);
	}
	CHECK(sb.cap > cap0);
	CHECK(sb.len < sb.cap);
	CHECK_EQ_INT(strlen(sb.s), 4000);
	CHECK_EQ_MEM(sb.s, want, 4001);
	/* one append larger than the doubling step: still exact */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_reset(&sb);
	CHECK_EQ_STR(sb.s, "");
	CHECK_EQ_INT(sb.len, 0);
	strbuf_add(&sb, big, 3);
	strbuf_printf(&sb, "<%s>%s", big, big);
	CHECK_EQ_INT(sb.len, 3 + 2 + 2 * (sizeof(big) - 1));
	CHECK_EQ_MEM(sb.s, "qqq<qqqq", 8);
	CHECK_EQ_MEM(sb.s + 3 + 1 + (sizeof(big) - 1), ">qq", 3);
	CHECK_EQ_INT(sb.s[sb.len], '\0');
	CHECK_EQ_INT(sb.s[sb.len - 1], 'q');
	strbuf_fini(&sb);
}

TEST(single_large_first_append)
{
	struct strbuf sb;
	char big[2000];

	/* the first allocation is sized for what it must hold */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_init(&sb);
	strbuf_printf(&sb, "%s!", big);
	REQUIRE(sb.s != NULL);
	CHECK_EQ_INT(sb.len, sizeof(big));
	CHECK(sb.cap > sb.len);
	CHECK_EQ_INT(sb.s[sizeof(big) - 2], 'z');
	CHECK_EQ_STR(sb.s + sizeof(big) - 1, "!");
	strbuf_fini(&sb);
}

static const struct test tests[] = {
	T(empty_buffer),
	T(printf_and_add_exact),
	T(grows_past_first_allocation),
	T(single_large_first_append),
};

int
main(int argc, char **argv)
{
	return HARNESS_RUN(tests);
}

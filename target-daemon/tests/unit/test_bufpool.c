/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the data-buffer pool: reuse within a size class, the
 * byte bound on what is cached, buffers larger than any class, trim. */
#include "harness.h"

#include <stdint.h>
#include <string.h>

#include "limits_minisan.h"
#include "util/bufpool.h"

TEST(reuses_within_a_class)
{
	uint8_t *a, *b, *c;

	bufpool_trim();
	a = bufpool_get(4096);
	memset(a, 0xab, 4096);
	bufpool_put(a);
	CHECK_EQ_INT(bufpool_cached(), 4096);
	/* any length of the same class gets the cached buffer back */
	b = bufpool_get(2049);
	CHECK(b == a);
	CHECK_EQ_INT(bufpool_cached(), 0);
	/* a larger class does not, nor a smaller one */
	c = bufpool_get(2048);
	CHECK(c != a);
	bufpool_put(c);
	c = bufpool_get(4097);
	CHECK(c != a);
	memset(c, 0, 8192);
	CHECK_EQ_INT((uintptr_t)c % 16, 0);
	bufpool_put(b);
	bufpool_put(c);
	CHECK_EQ_INT(bufpool_cached(), 2048 + 4096 + 8192);
	bufpool_put(NULL);
	bufpool_trim();
	CHECK_EQ_INT(bufpool_cached(), 0);
}

TEST(cache_is_bounded)
{
	enum { SZ = 256 * 1024, N = MINISAN_BUFPOOL_CACHE_BYTES / SZ + 4 };
	void *p[N];

	bufpool_trim();
	for (int i = 0; i < N; i++) {
		p[i] = bufpool_get(SZ);
		memset(p[i], i, SZ);
	}
	for (int i = 0; i < N; i++)
		bufpool_put(p[i]);
	CHECK_EQ_INT(bufpool_cached(), MINISAN_BUFPOOL_CACHE_BYTES);
	bufpool_trim();
}

TEST(larger_than_any_class_is_not_cached)
{
	size_t big = 2 * (size_t)MINISAN_MAX_XFER_BYTES;
	uint8_t *p;

	bufpool_trim();
	p = bufpool_get(big);
	p[0] = 1;
	p[big - 1] = 2;
	bufpool_put(p);
	CHECK_EQ_INT(bufpool_cached(), 0);
	/* the largest class is still pooled */
	p = bufpool_get(MINISAN_MAX_XFER_BYTES);
	p[MINISAN_MAX_XFER_BYTES - 1] = 3;
	bufpool_put(p);
	CHECK(bufpool_cached() <= MINISAN_BUFPOOL_CACHE_BYTES);
	bufpool_trim();
}

static const struct test tests[] = {
	T(reuses_within_a_class),
	T(cache_is_bounded),
	T(larger_than_any_class_is_not_cached),
};

int
main(int argc, char **argv)
{
	return HARNESS_RUN(tests);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the CRC32C micro-benchmark `make bench` prints:
 * throughput of each implementation behind crc32c_update() on a header,
 * an 8 KiB and a 256 KiB segment. Usage: bench_crc32c [SECONDS_EACH]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iscsi/crc32c.h"
#include "iscsi/crc32c_impl.h"

typedef uint32_t bench_fn(uint32_t crc, const void *buf, size_t len);

struct impl {
	const char *name;
	bench_fn *fn;
	int hw; /* needs: 0 nothing, 1 SSE4.2, 2 AVX-512 VPCLMULQDQ */
};

static const struct impl impls[] = {
	{ "table", crc32c_sw, 0 },
#ifdef CRC32C_HAVE_HW
	{ "sse4.2-1way", crc32c_hw_1way, 1 },
	{ "sse4.2-3way", crc32c_hw, 1 },
	{ "avx512-fold", crc32c_fold, 2 },
#endif
};

static const size_t sizes[] = { 48, 8192, 262144 };

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bytes per second of fn over len-byte buffers for about secs seconds. */
static double
measure(bench_fn *fn, const uint8_t *buf, size_t len, double secs)
{
	double start = now(), t;
	uint64_t bytes = 0;
	uint32_t crc = CRC32C_INIT;
	volatile uint32_t sink;

	do {
		/* enough calls between clock reads that the clock is noise */
		for (int i = 0; i < 64; i++) {
			crc = fn(crc, buf, len);
			bytes += len;
		}
		t = now() - start;
	} while (t < secs);
	sink = crc;
	(void)sink;
	return (double)bytes / t;
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 0.2;
	size_t max = sizes[sizeof(sizes) / sizeof(sizes[0]) - 1];
	uint8_t *buf = malloc(max);
	int hw = 0; /* 1: SSE4.2; 2: also AVX-512 VPCLMULQDQ */

	if (buf == NULL || secs <= 0 || secs > 10) {
		fprintf(stderr, "usage: bench_crc32c [SECONDS_EACH (0..10]]\n");
		return 2;
	}
	for (size_t i = 0; i < max; i++)
		buf[i] = (uint8_t)(i * 131 + 7);
#ifdef CRC32C_HAVE_HW
	hw = crc32c_hw_available();
	if (hw && crc32c_fold_available())
		hw = 2;
#endif
	/* one line per implementation and size: name, bytes, MB/s */
	for (size_t i = 0; i < sizeof(impls) / sizeof(impls[0]); i++) {
		if (impls[i].hw > hw)
			continue;
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			printf("crc32c %s %zu %.0f\n", impls[i].name, sizes[s],
			    measure(impls[i].fn, buf, sizes[s], secs) / 1e6);
	}
	free(buf);
	return 0;
}

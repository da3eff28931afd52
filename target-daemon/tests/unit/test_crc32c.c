/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for CRC32C: the RFC 3720 B.4 vectors, each implementation
 * against a bitwise reference and against each other, and chaining. */
#include "harness.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "iscsi/crc32c.h"
#include "iscsi/crc32c_impl.h"

/* The CRC32C definition, one bit at a time: the oracle for the tables. */
static uint32_t
crc32c_bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len-- > 0) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
	}
	return crc;
}

/* Deterministic xorshift32 so failures reproduce. */
static uint32_t rng_state = 0x2545f491u;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void
fill_random(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)rng();
}

/* The digest as iSCSI puts it on the wire: least significant byte first. */
static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

struct vector {
	const char *name;
	uint8_t data[48];
	size_t len;
	uint32_t crc;      /* crc32c() return value */
	uint8_t wire[4];   /* the bytes RFC 3720 B.4 lists */
};

static struct vector vectors[5];

static void
vectors_init(void)
{
	struct vector *v = vectors;
	/* RFC 3720 B.4: an iSCSI (SCSI Read) command PDU */
	static const uint8_t read_pdu[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
		0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};

	*v = (struct vector){ "32 bytes of zeroes", { 0 }, 32, 0x8a9136aau,
		{ 0xaa, 0x36, 0x91, 0x8a } };
	v++;
	*v = (struct vector){ "32 bytes of ones", { 0 }, 32, 0x62a8ab43u,
		{ 0x43, 0xab, 0xa8, 0x62 } };
	memset(v->data, 0xff, 32);
	v++;
	*v = (struct vector){ "32 incrementing bytes", { 0 }, 32, 0x46dd794eu,
		{ 0x4e, 0x79, 0xdd, 0x46 } };
	for (int i = 0; i < 32; i++)
		v->data[i] = (uint8_t)i;
	v++;
	*v = (struct vector){ "32 decrementing bytes", { 0 }, 32, 0x113fdb5cu,
		{ 0x5c, 0xdb, 0x3f, 0x11 } };
	for (int i = 0; i < 32; i++)
		v->data[i] = (uint8_t)(31 - i);
	v++;
	*v = (struct vector){ "iSCSI read command PDU", { 0 }, 48,
		0xd9963a56u, { 0x56, 0x3a, 0x96, 0xd9 } };
	memcpy(v->data, read_pdu, 48);
}

TEST(rfc3720_vectors)
{
	uint8_t wire[4];

	vectors_init();
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		uint32_t got = crc32c(v->data, v->len);

		if (got != v->crc)
			printf("  vector: %s\n", v->name);
		CHECK_EQ_INT(got, v->crc);
		put_le32(wire, got);
		CHECK_EQ_MEM(wire, v->wire, 4);
		CHECK_EQ_INT(crc32c_final(crc32c_sw(CRC32C_INIT, v->data,
		    v->len)), v->crc);
		CHECK_EQ_INT(crc32c_final(crc32c_bitwise(CRC32C_INIT, v->data,
		    v->len)), v->crc);
#ifdef CRC32C_HAVE_HW
		if (crc32c_hw_available()) {
			CHECK_EQ_INT(crc32c_final(crc32c_hw(CRC32C_INIT,
			    v->data, v->len)), v->crc);
			CHECK_EQ_INT(crc32c_final(crc32c_hw_1way(CRC32C_INIT,
			    v->data, v->len)), v->crc);
		}
#endif
	}
}

TEST(check_value_and_empty)
{
	/* The catalogue check value of CRC-32C, and the empty message. */
	CHECK_EQ_INT(crc32c("123456789", 9), 0xe3069283u);
	CHECK_EQ_INT(crc32c("", 0), 0);
	CHECK_EQ_INT(crc32c_update(CRC32C_INIT, NULL, 0), CRC32C_INIT);
	CHECK_EQ_INT(crc32c_final(CRC32C_INIT), 0);
}

/* Every table entry, every length class and alignment against the
 * bitwise definition. */
TEST(sw_matches_bitwise)
{
	static uint8_t buf[4096 + 64];

	fill_random(buf, sizeof(buf));
	for (size_t len = 0; len <= 300; len++)
		for (size_t off = 0; off < 16; off++) {
			uint32_t seed = rng();
			uint32_t a = crc32c_sw(seed, buf + off, len);
			uint32_t b = crc32c_bitwise(seed, buf + off, len);

			if (a != b) {
				CHECK_EQ_INT(a, b);
				printf("  len %zu off %zu\n", len, off);
				return;
			}
		}
	CHECK_EQ_INT(crc32c_sw(CRC32C_INIT, buf, 4096),
	    crc32c_bitwise(CRC32C_INIT, buf, 4096));
}

TEST(hw_matches_sw)
{
#ifdef CRC32C_HAVE_HW
	static uint8_t buf[70000];

	if (!crc32c_hw_available()) {
		printf("  (hw_matches_sw skipped: no SSE4.2)\n");
		return;
	}
	fill_random(buf, sizeof(buf));
	for (int i = 0; i < 20000; i++) {
		size_t off = rng() % 64;
		size_t len = i < 2000 ? (size_t)(i % 200) :
		    rng() % (sizeof(buf) - 64);
		uint32_t seed = rng();
		uint32_t a = crc32c_hw(seed, buf + off, len);
		uint32_t b = crc32c_sw(seed, buf + off, len);

		if (a != b) {
			CHECK_EQ_INT(a, b);
			printf("  len %zu off %zu seed %08x\n", len, off, seed);
			return;
		}
	}
	/* the dispatcher agrees with both */
	CHECK_EQ_INT(crc32c_update(CRC32C_INIT, buf + 3, 65537),
	    crc32c_sw(CRC32C_INIT, buf + 3, 65537));
#else
	printf("  (hw_matches_sw skipped: not x86_64)\n");
#endif
}

/* The three-way path against the single-stream one and the table, for
 * every length 0..5000 at every alignment of a word, and around each
 * boundary where the long and short rounds start and end. */
TEST(hw_3way_every_length)
{
#ifdef CRC32C_HAVE_HW
	static uint8_t buf[3 * 4096 * 3 + 3 * 256 * 2 + 64];
	static const size_t edges[] = { 3 * 256, 3 * 4096,
		3 * 4096 + 3 * 256, 2 * 3 * 4096, 2 * 3 * 4096 + 2 * 3 * 256,
		sizeof(buf) - 64 };

	if (!crc32c_hw_available()) {
		printf("  (hw_3way_every_length skipped: no SSE4.2)\n");
		return;
	}
	fill_random(buf, sizeof(buf));
	for (size_t len = 0; len <= 5000; len++)
		for (size_t off = 0; off < 8; off++) {
			uint32_t seed = rng();
			uint32_t a = crc32c_hw(seed, buf + off, len);
			uint32_t b = crc32c_hw_1way(seed, buf + off, len);
			uint32_t c = crc32c_sw(seed, buf + off, len);

			if (a != b || b != c) {
				CHECK_EQ_INT(a, c);
				CHECK_EQ_INT(b, c);
				printf("  len %zu off %zu seed %08x\n", len, off,
				    seed);
				return;
			}
		}
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		for (size_t len = edges[i] - 9; len <= edges[i] + 9; len++)
			for (size_t off = 0; off < 8; off++) {
				uint32_t a, c;

				if (off + len > sizeof(buf))
					continue;
				a = crc32c_hw(CRC32C_INIT, buf + off, len);
				c = crc32c_sw(CRC32C_INIT, buf + off, len);
				if (a != c) {
					CHECK_EQ_INT(a, c);
					printf("  len %zu off %zu\n", len, off);
					return;
				}
			}
	/* all zeroes and all ones: the shift tables on extreme registers */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ_INT(crc32c_hw(CRC32C_INIT, buf, sizeof(buf)),
	    crc32c_sw(CRC32C_INIT, buf, sizeof(buf)));
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ_INT(crc32c_hw(0, buf, sizeof(buf)),
	    crc32c_sw(0, buf, sizeof(buf)));
#else
	printf("  (hw_3way_every_length skipped: not x86_64)\n");
#endif
}

/* The carry-less folding path against the table for every length
 * 0..3000 (below, at and above its 1 KiB threshold and each 256-, 64-
 * and 16-byte step) at every alignment of a 64-byte register, random
 * long lengths, and extreme data and registers. */
TEST(fold_matches_sw)
{
#ifdef CRC32C_HAVE_FOLD
	static uint8_t buf[300000];

	if (!crc32c_hw_available() || !crc32c_fold_available()) {
		printf("  (fold_matches_sw skipped: no AVX-512 VPCLMULQDQ)\n");
		return;
	}
	fill_random(buf, sizeof(buf));
	for (size_t len = 0; len <= 3000; len++)
		for (size_t off = 0; off < 64; off += 7) {
			uint32_t seed = rng();
			uint32_t a = crc32c_fold(seed, buf + off, len);
			uint32_t c = crc32c_sw(seed, buf + off, len);

			if (a != c) {
				CHECK_EQ_INT(a, c);
				printf("  len %zu off %zu seed %08x\n", len, off,
				    seed);
				return;
			}
		}
	for (int i = 0; i < 300; i++) {
		size_t off = rng() % 64;
		size_t len = rng() % (sizeof(buf) - 64);
		uint32_t seed = rng();

		if (crc32c_fold(seed, buf + off, len) !=
		    crc32c_sw(seed, buf + off, len)) {
			CHECK_EQ_INT(crc32c_fold(seed, buf + off, len),
			    crc32c_sw(seed, buf + off, len));
			printf("  len %zu off %zu seed %08x\n", len, off, seed);
			return;
		}
	}
	/* a 256 KiB data segment, the size the folding is for */
	CHECK_EQ_INT(crc32c_fold(CRC32C_INIT, buf, 262144),
	    crc32c_sw(CRC32C_INIT, buf, 262144));
	memset(buf, 0, sizeof(buf));
	CHECK_EQ_INT(crc32c_fold(CRC32C_INIT, buf, sizeof(buf)),
	    crc32c_sw(CRC32C_INIT, buf, sizeof(buf)));
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ_INT(crc32c_fold(0, buf, sizeof(buf)),
	    crc32c_sw(0, buf, sizeof(buf)));
	CHECK_EQ_INT(crc32c_fold(0xffffffffu, buf, 4099),
	    crc32c_sw(0xffffffffu, buf, 4099));
	/* the dispatcher uses it and agrees */
	CHECK_EQ_INT(crc32c_update(CRC32C_INIT, buf + 5, 200000),
	    crc32c_sw(CRC32C_INIT, buf + 5, 200000));
#else
	printf("  (fold_matches_sw skipped: not x86_64)\n");
#endif
}

TEST(update_chaining_equals_one_shot)
{
	static uint8_t buf[1024];
	uint32_t whole, crc;

	fill_random(buf, sizeof(buf));
	whole = crc32c(buf, 300);
	for (size_t k = 0; k <= 300; k++) {
		crc = crc32c_update(CRC32C_INIT, buf, k);
		crc = crc32c_update(crc, buf + k, 300 - k);
		if (crc32c_final(crc) != whole) {
			CHECK_EQ_INT(crc32c_final(crc), whole);
			printf("  split at %zu\n", k);
			return;
		}
	}
	/* random three-way splits of the whole buffer, also via crc32c_sw */
	whole = crc32c(buf, sizeof(buf));
	for (int i = 0; i < 1000; i++) {
		size_t a = rng() % sizeof(buf);
		size_t b = a + rng() % (sizeof(buf) - a + 1);

		crc = crc32c_update(CRC32C_INIT, buf, a);
		crc = crc32c_sw(crc, buf + a, b - a);
		crc = crc32c_update(crc, buf + b, sizeof(buf) - b);
		if (crc32c_final(crc) != whole) {
			CHECK_EQ_INT(crc32c_final(crc), whole);
			printf("  split at %zu, %zu\n", a, b);
			return;
		}
	}
	/* a PDU header digest over BHS then AHS equals one over both */
	vectors_init();
	crc = crc32c_update(CRC32C_INIT, vectors[4].data, 20);
	crc = crc32c_update(crc, vectors[4].data + 20, 28);
	CHECK_EQ_INT(crc32c_final(crc), 0xd9963a56u);
}

static const struct test tests[] = {
	T(rfc3720_vectors),
	T(check_value_and_empty),
	T(sw_matches_bitwise),
	T(hw_matches_sw),
	T(hw_3way_every_length),
	T(fold_matches_sw),
	T(update_chaining_equals_one_shot),
};

int
main(int argc, char **argv)
{
	return HARNESS_RUN(tests);
}

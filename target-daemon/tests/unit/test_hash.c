/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for src/crypto: the RFC 1321, FIPS 180 and FIPS 202 example
 * vectors, every padding length, split updates at every offset, context
 * wiping, and hash_equal(). Digests not printed in a standard were computed
 * with Python's hashlib (OpenSSL). */
#include "harness.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"

#define MSG_448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define MSG_896                                                          \
	"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno" \
	"ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
#define MILLION_A NULL /* stands for 1,000,000 x 'a' */

struct vector {
	enum hash_alg alg;
	const char *msg;
	const char *hex;
};

static const struct vector vectors[] = {
	/* RFC 1321 A.5 test suite, plus the FIPS messages */
	{ HASH_MD5, "", "d41d8cd98f00b204e9800998ecf8427e" },
	{ HASH_MD5, "a", "0cc175b9c0f1b6a831c399e269772661" },
	{ HASH_MD5, "abc", "900150983cd24fb0d6963f7d28e17f72" },
	{ HASH_MD5, "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
	{ HASH_MD5, "abcdefghijklmnopqrstuvwxyz",
	    "c3fcd3d76192e4007dfb496cca67e13b" },
	{ HASH_MD5,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	    "d174ab98d277d9f5a5611c2c9f419d9f" },
	{ HASH_MD5,
	    "1234567890123456789012345678901234567890"
	    "1234567890123456789012345678901234567890",
	    "57edf4a22be3c955ac49da2e2107b67a" },
	{ HASH_MD5, MSG_448, "8215ef0796a20bcaaae116d3876c664a" },
	{ HASH_MD5, MSG_896, "03dd8807a93175fb062dfb55dc7d359c" },
	{ HASH_MD5, MILLION_A, "7707d6ae4e027c70eea2a935c2296f21" },
	/* FIPS 180 examples (NIST CSRC) */
	{ HASH_SHA1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ HASH_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ HASH_SHA1, MSG_448, "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	{ HASH_SHA1, MSG_896, "a49b2446a02c645bf419f995b67091253a04a259" },
	{ HASH_SHA1, MILLION_A, "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
	{ HASH_SHA256, "",
	    "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855" },
	{ HASH_SHA256, "abc",
	    "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad" },
	{ HASH_SHA256, MSG_448,
	    "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1" },
	{ HASH_SHA256, MSG_896,
	    "cf5b16a778af8380036ce59e7b049237"
	    "0b249b11e8f07a51afac45037afee9d1" },
	{ HASH_SHA256, MILLION_A,
	    "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0" },
	/* FIPS 202 examples (NIST CSRC) */
	{ HASH_SHA3_256, "",
	    "a7ffc6f8bf1ed76651c14756a061d662"
	    "f580ff4de43b49fa82d80a4b80f8434a" },
	{ HASH_SHA3_256, "abc",
	    "3a985da74fe225b2045c172d6bd390bd"
	    "855f086e3e9d525b46bfe24511431532" },
	{ HASH_SHA3_256, MSG_448,
	    "41c0dba2a9d6240849100376a8235e2c"
	    "82e1b9998a999e21db32dd97496d3376" },
	{ HASH_SHA3_256, MSG_896,
	    "916f6061fe879741ca6469b43971dfdb"
	    "28b1a32dc36cb3254e812be27aad1d18" },
	{ HASH_SHA3_256, MILLION_A,
	    "5c8875ae474a3634ba4fd55ec85bffd6"
	    "61f32aca75c6d699d0cdcb6c115891c1" },
};

static const enum hash_alg all_algs[] = {
	HASH_MD5, HASH_SHA1, HASH_SHA256, HASH_SHA3_256,
};

static void
hex_decode(const char *hex, uint8_t *out, size_t *len)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		sscanf(hex + 2 * i, "%2x", &b);
		out[i] = (uint8_t)b;
	}
	*len = n;
}

static void
hex_encode(const uint8_t *p, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
	out[2 * len] = '\0';
}

static void
digest(enum hash_alg alg, const void *p, size_t len, uint8_t *out)
{
	struct hash_ctx ctx;

	hash_init(&ctx, alg);
	hash_update(&ctx, p, len);
	hash_final(&ctx, out);
}

TEST(lengths)
{
	CHECK_EQ_INT(hash_len(HASH_MD5), 16);
	CHECK_EQ_INT(hash_len(HASH_SHA1), 20);
	CHECK_EQ_INT(hash_len(HASH_SHA256), 32);
	CHECK_EQ_INT(hash_len(HASH_SHA3_256), 32);
	for (size_t i = 0; i < sizeof(all_algs) / sizeof(all_algs[0]); i++)
		CHECK(hash_len(all_algs[i]) <= HASH_MAX_LEN);
}

TEST(standard_vectors)
{
	char got[2 * HASH_MAX_LEN + 1];
	uint8_t out[HASH_MAX_LEN];
	struct hash_ctx ctx;
	uint8_t chunk[1000];

	memset(chunk, 'a', sizeof(chunk));
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];

		hash_init(&ctx, v->alg);
		if (v->msg == MILLION_A) {
			for (int k = 0; k < 1000; k++)
				hash_update(&ctx, chunk, sizeof(chunk));
		} else {
			hash_update(&ctx, v->msg, strlen(v->msg));
		}
		memset(out, 0xee, sizeof(out));
		hash_final(&ctx, out);
		hex_encode(out, hash_len(v->alg), got);
		CHECK_EQ_STR(got, v->hex);
		/* nothing written past the digest */
		for (size_t k = hash_len(v->alg); k < sizeof(out); k++)
			CHECK_EQ_INT(out[k], 0xee);
	}
}

/* Million 'a' fed one byte at a time (the buffered path only). */
TEST(million_a_bytewise)
{
	static const char *hex[] = {
		"7707d6ae4e027c70eea2a935c2296f21",
		"34aa973cd4c4daa4f61eeb2bdbad27316534016f",
		"cdc76e5c9914fb9281a1c7e284d73e67"
		"f1809a48a497200e046d39ccc7112cd0",
		"5c8875ae474a3634ba4fd55ec85bffd6"
		"61f32aca75c6d699d0cdcb6c115891c1",
	};
	char got[2 * HASH_MAX_LEN + 1];
	uint8_t out[HASH_MAX_LEN];
	struct hash_ctx ctx;

	for (size_t a = 0; a < 4; a++) {
		hash_init(&ctx, all_algs[a]);
		for (int k = 0; k < 1000000; k++)
			hash_update(&ctx, "a", 1);
		hash_final(&ctx, out);
		hex_encode(out, hash_len(all_algs[a]), got);
		CHECK_EQ_STR(got, hex[a]);
	}
}

/* 200 bytes: buf[i] = 7 i + 3 (mod 256). */
static void
fill200(uint8_t buf[200])
{
	for (size_t i = 0; i < 200; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
}

/* Every padding length 0..200 at once: H(H(buf[0:0]) || ... ||
 * H(buf[0:200])). Covers 55/56/63/64 (MD) and 135/136 (SHA3) boundaries. */
TEST(all_padding_lengths)
{
	static const char *hex[] = {
		"3c2e2f5ba85a139b95d47a02f96f81c1",
		"02d79069dc73ad0af03448abfaffbb710334f1e9",
		"3275febb4612d86d586eb9f11cd21e64"
		"8a9fc7d95e0f6b8d362786e28c9c5b79",
		"2fc39bebaaf9be43965fa445e646e8a4"
		"6ff0bf98714d1c4af75b19a9907ce217",
	};
	char got[2 * HASH_MAX_LEN + 1];
	uint8_t buf[200], d[HASH_MAX_LEN], out[HASH_MAX_LEN];
	struct hash_ctx outer;

	fill200(buf);
	for (size_t a = 0; a < 4; a++) {
		enum hash_alg alg = all_algs[a];

		hash_init(&outer, alg);
		for (size_t n = 0; n <= sizeof(buf); n++) {
			digest(alg, buf, n, d);
			hash_update(&outer, d, hash_len(alg));
		}
		hash_final(&outer, out);
		hex_encode(out, hash_len(alg), got);
		CHECK_EQ_STR(got, hex[a]);
	}
}

TEST(split_update_equals_one_shot)
{
	static const char *hex[] = {
		"4c79b81ac94bad7a875519ce6b964c66",
		"892b673ca3c696ab13ab8aab3cf3abfbc3aaeb3b",
		"2c7e18c942ef065b526a2d4e55462837"
		"49cd3ddfb51d8fc71f42717363685f46",
		"9da37ea2fb33acd563a014f50d6f7cc2"
		"25f25577a81d900452b72b5de98f239d",
	};
	uint8_t buf[200], whole[HASH_MAX_LEN], want[HASH_MAX_LEN];
	uint8_t out[HASH_MAX_LEN];
	struct hash_ctx ctx;
	size_t want_len;

	fill200(buf);
	for (size_t a = 0; a < 4; a++) {
		enum hash_alg alg = all_algs[a];
		size_t len = hash_len(alg);

		hex_decode(hex[a], want, &want_len);
		REQUIRE(want_len == len);
		digest(alg, buf, sizeof(buf), whole);
		CHECK_EQ_MEM(whole, want, len);
		/* one split at every point, plus an empty update there */
		for (size_t s = 0; s <= sizeof(buf); s++) {
			hash_init(&ctx, alg);
			hash_update(&ctx, buf, s);
			hash_update(&ctx, buf + s, 0);
			hash_update(&ctx, buf + s, sizeof(buf) - s);
			hash_final(&ctx, out);
			if (memcmp(out, whole, len) != 0) {
				CHECK_EQ_MEM(out, whole, len);
				printf("  alg %d split at %zu\n", (int)alg, s);
				break;
			}
		}
		/* three-way splits: every (s, t), s <= t, so chunks start at
		 * every alignment and cross every block boundary */
		for (size_t s = 0; s <= sizeof(buf); s += 1) {
			for (size_t t = s; t <= sizeof(buf); t += 3) {
				hash_init(&ctx, alg);
				hash_update(&ctx, buf, s);
				hash_update(&ctx, buf + s, t - s);
				hash_update(&ctx, buf + t, sizeof(buf) - t);
				hash_final(&ctx, out);
				if (memcmp(out, whole, len) != 0) {
					CHECK_EQ_MEM(out, whole, len);
					printf("  alg %d split at %zu, %zu\n",
					    (int)alg, s, t);
					return;
				}
			}
		}
	}
}

/* Unaligned input: the same bytes at every offset of a heap buffer. */
TEST(unaligned_input)
{
	uint8_t ref[200], whole[HASH_MAX_LEN], out[HASH_MAX_LEN];
	uint8_t *big = malloc(sizeof(ref) + 16);

	REQUIRE(big != NULL);
	fill200(ref);
	for (size_t a = 0; a < 4; a++) {
		digest(all_algs[a], ref, sizeof(ref), whole);
		for (size_t off = 0; off < 16; off++) {
			memcpy(big + off, ref, sizeof(ref));
			digest(all_algs[a], big + off, sizeof(ref), out);
			CHECK_EQ_MEM(out, whole, hash_len(all_algs[a]));
		}
	}
	free(big);
}

TEST(final_wipes_ctx_and_reinit_works)
{
	static const uint8_t zero[sizeof(struct hash_ctx)];
	uint8_t first[HASH_MAX_LEN], second[HASH_MAX_LEN];
	struct hash_ctx ctx;

	for (size_t a = 0; a < 4; a++) {
		enum hash_alg alg = all_algs[a];

		memset(&ctx, 0x5a, sizeof(ctx));
		hash_init(&ctx, alg);
		hash_update(&ctx, "secret", 6);
		hash_final(&ctx, first);
		CHECK_EQ_MEM(&ctx, zero, sizeof(ctx));
		/* a fresh init after final gives the same digest */
		hash_init(&ctx, alg);
		hash_update(&ctx, "secret", 6);
		hash_final(&ctx, second);
		CHECK_EQ_MEM(first, second, hash_len(alg));
	}
	/* and the digests differ between algorithms */
	digest(HASH_SHA256, "x", 1, first);
	digest(HASH_SHA3_256, "x", 1, second);
	CHECK(memcmp(first, second, 32) != 0);
}

/* RFC 1994 4.1: Response = MD5(Identifier || secret || Challenge). */
TEST(chap_md5_response_shape)
{
	static const uint8_t msg[] = {
		0x2a, 's', 'e', 'c', 'r', 'e', 't', 0x01, 0x02, 0x03, 0x04,
	};
	uint8_t one[HASH_MAX_LEN], parts[HASH_MAX_LEN];
	uint8_t id = 0x2a;
	struct hash_ctx ctx;
	char got[2 * HASH_MAX_LEN + 1];

	digest(HASH_MD5, msg, sizeof(msg), one);
	hash_init(&ctx, HASH_MD5);
	hash_update(&ctx, &id, 1);
	hash_update(&ctx, "secret", 6);
	hash_update(&ctx, msg + 7, 4);
	hash_final(&ctx, parts);
	CHECK_EQ_MEM(one, parts, 16);
	hex_encode(one, 16, got);
	CHECK_EQ_STR(got, "f06a31bdd6ae6162f265543c5fc9fe37");
}

TEST(equal)
{
	uint8_t a[HASH_MAX_LEN], b[HASH_MAX_LEN];

	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)(0xa5 ^ i);
	memcpy(b, a, sizeof(a));
	CHECK_EQ_INT(hash_equal(a, b, sizeof(a)), 1);
	CHECK_EQ_INT(hash_equal(a, a, sizeof(a)), 1);
	CHECK_EQ_INT(hash_equal(a, b, 0), 1);
	/* a single flipped bit anywhere, including the first and last */
	for (size_t i = 0; i < sizeof(a); i++) {
		for (int bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			CHECK_EQ_INT(hash_equal(a, b, sizeof(a)), 0);
			CHECK_EQ_INT(hash_equal(b, a, sizeof(a)), 0);
			/* the difference outside len is not seen */
			CHECK_EQ_INT(hash_equal(a, b, i), 1);
			b[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* every byte different, each value of the xor */
	for (unsigned int x = 1; x < 256; x++) {
		uint8_t c = (uint8_t)x, z = 0;

		CHECK_EQ_INT(hash_equal(&c, &z, 1), 0);
	}
	memset(b, 0xff, sizeof(b));
	memset(a, 0x00, sizeof(a));
	CHECK_EQ_INT(hash_equal(a, b, sizeof(a)), 0);
}

static const struct test tests[] = {
	T(lengths),
	T(standard_vectors),
	T(million_a_bytewise),
	T(all_padding_lengths),
	T(split_update_equals_one_shot),
	T(unaligned_input),
	T(final_wipes_ctx_and_reinit_works),
	T(chap_md5_response_shape),
	T(equal),
};

int
main(int argc, char **argv)
{
	return HARNESS_RUN(tests);
}

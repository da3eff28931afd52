/* SPDX-License-Identifier: BSD-2-Clause */
/* Message digests for CHAP (RFC7143 12.1.3, RFC 1994): MD5, SHA-1, SHA-256
 * and SHA3-256 (CHAP_A 5, 6, 7, 8), plus a constant-time comparison.
 * Pure code: no I/O, no allocation, no libcrypto. */
#ifndef MINISAN_CRYPTO_HASH_H
#define MINISAN_CRYPTO_HASH_H

#include <stddef.h>
#include <stdint.h>

enum hash_alg { HASH_MD5, HASH_SHA1, HASH_SHA256, HASH_SHA3_256 };

/* Largest digest any hash_alg produces, in bytes. */
#define HASH_MAX_LEN 32

/* Private per-algorithm state; use only through the hash_* functions.
 * MD5, SHA-1 and SHA-256 share the Merkle-Damgard shape: chaining value h,
 * total message length in bytes, and a partial 64-byte block in buf
 * (invariant: buf_len < 64). */
struct md5_state {
	uint32_t h[4];
	uint64_t total;
	uint8_t buf[64];
	size_t buf_len;
};

struct sha1_state {
	uint32_t h[5];
	uint64_t total;
	uint8_t buf[64];
	size_t buf_len;
};

struct sha256_state {
	uint32_t h[8];
	uint64_t total;
	uint8_t buf[64];
	size_t buf_len;
};

/* Keccak-f[1600] lanes, and the byte offset of the next absorbed byte
 * within the rate (invariant: pos < SHA3_256_RATE). */
struct sha3_state {
	uint64_t a[25];
	size_t pos;
};

/* Embedded, caller-owned context; no resources to release. */
struct hash_ctx {
	enum hash_alg alg;
	union {
		struct md5_state md5;
		struct sha1_state sha1;
		struct sha256_state sha256;
		struct sha3_state sha3;
	} u;
};

/* Digest length of alg in bytes: 16, 20, 32, 32 (0 for an unknown value). */
size_t hash_len(enum hash_alg alg);
/* The algorithm's name for logs: "MD5", "SHA-1", "SHA-256", "SHA3-256". */
const char *hash_name(enum hash_alg alg);
/* Starts a new digest of alg in ctx. */
void hash_init(struct hash_ctx *ctx, enum hash_alg alg);
/* Feeds len bytes of data (may be NULL if len is 0). */
void hash_update(struct hash_ctx *ctx, const void *data, size_t len);
/* Writes hash_len(alg) bytes to out and wipes ctx; hash_init() it again
 * before reuse. */
void hash_final(struct hash_ctx *ctx, uint8_t *out);
/* constant-time comparison: 1 if equal, 0 otherwise; time depends only on len */
int hash_equal(const uint8_t *a, const uint8_t *b, size_t len);

#endif

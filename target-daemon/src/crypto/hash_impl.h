/* SPDX-License-Identifier: BSD-2-Clause */
/* Private to src/crypto: the per-algorithm primitives behind hash.c, and
 * byte-order helpers (explicit byte loads, no unaligned word access). */
#ifndef MINISAN_CRYPTO_HASH_IMPL_H
#define MINISAN_CRYPTO_HASH_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"

#define MD5_LEN 16
#define SHA1_LEN 20
#define SHA256_LEN 32
#define SHA3_256_LEN 32
/* FIPS 202 6.1: SHA3-256 rate r = 1600 - 2 * 256 bits = 136 bytes. */
#define SHA3_256_RATE 136

/* Merkle-Damgard block size of MD5, SHA-1 and SHA-256 (RFC 1321 3.4,
 * FIPS 180-4 5.2.1), and where the 64-bit bit length goes in the last one. */
#define MD_BLOCK_LEN 64
#define MD_LENGTH_OFFSET (MD_BLOCK_LEN - 8)

/* Folds one MD_BLOCK_LEN-byte block at blk into the chaining value h. */
typedef void md_compress_fn(uint32_t *h, const uint8_t *blk);

/* Byte order of the final 64-bit message bit length: little-endian for MD5
 * (RFC 1321 3.2), big-endian for SHA-1/SHA-256 (FIPS 180-4 5.1.1). */
enum md_length_order { MD_LENGTH_BE, MD_LENGTH_LE };

/* Borrowed view of the fields md5_state, sha1_state and sha256_state share
 * (hash.h): chaining value, total length in bytes, and the partial block
 * with its fill (invariant: *buf_len < MD_BLOCK_LEN). Built on the stack
 * with MD_STATE(s); valid as long as *s is. */
struct md_state {
	uint32_t *h;
	uint64_t *total;
	uint8_t *buf;
	size_t *buf_len;
};

#define MD_STATE(s) { (s)->h, &(s)->total, (s)->buf, &(s)->buf_len }

/* Feeds len bytes at p (may be NULL if len is 0): buffers them into
 * MD_BLOCK_LEN-byte blocks and calls compress on each full one. */
void md_update(const struct md_state *m, const uint8_t *p, size_t len,
    md_compress_fn *compress);
/* Appends the padding (0x80, zeros, 64-bit bit length in order) and
 * compresses the last block(s); the digest is then in m->h. */
void md_final(const struct md_state *m, enum md_length_order order,
    md_compress_fn *compress);

void md5_init(struct md5_state *s);
void md5_update(struct md5_state *s, const uint8_t *p, size_t len);
void md5_final(struct md5_state *s, uint8_t out[MD5_LEN]);

void sha1_init(struct sha1_state *s);
void sha1_update(struct sha1_state *s, const uint8_t *p, size_t len);
void sha1_final(struct sha1_state *s, uint8_t out[SHA1_LEN]);

void sha256_init(struct sha256_state *s);
void sha256_update(struct sha256_state *s, const uint8_t *p, size_t len);
void sha256_final(struct sha256_state *s, uint8_t out[SHA256_LEN]);

void sha3_init(struct sha3_state *s);
void sha3_update(struct sha3_state *s, const uint8_t *p, size_t len);
void sha3_final(struct sha3_state *s, uint8_t out[SHA3_256_LEN]);

/* Zeroes len bytes at p in a way the compiler may not elide. */
void hash_wipe(void *p, size_t len);

static inline uint32_t
hash_rol32(uint32_t x, unsigned int n)
{
	return (x << n) | (x >> ((32 - n) & 31));
}

static inline uint32_t
hash_ror32(uint32_t x, unsigned int n)
{
	return (x >> n) | (x << ((32 - n) & 31));
}

static inline uint64_t
hash_rol64(uint64_t x, unsigned int n)
{
	return (x << n) | (x >> ((64 - n) & 63));
}

static inline uint32_t
hash_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline void
hash_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t
hash_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void
hash_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif

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

/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements SHA-256 (FIPS 180-4 6.2), the CHAP_A 7 digest
 * (RFC7143 12.1.3). Words are big-endian, read with byte loads. */
#include "crypto/hash_impl.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* FIPS 180-4 4.2.2: first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes. */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static void
sha256_block(uint32_t h[8], const uint8_t *blk)
{
	uint32_t w[64], v[8], s0, s1, t1, t2;

	/* FIPS 180-4 6.2.2 step 1: message schedule (4.1.2 sigma0/1) */
	for (int i = 0; i < 16; i++)
		w[i] = hash_get_be32(blk + 4 * i);
	for (int i = 16; i < 64; i++) {
		s0 = hash_ror32(w[i - 15], 7) ^ hash_ror32(w[i - 15], 18) ^
		    (w[i - 15] >> 3);
		s1 = hash_ror32(w[i - 2], 17) ^ hash_ror32(w[i - 2], 19) ^
		    (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, h, sizeof(v));
	/* v[0..7] = a..h */
	for (int i = 0; i < 64; i++) {
		s1 = hash_ror32(v[4], 6) ^ hash_ror32(v[4], 11) ^
		    hash_ror32(v[4], 25);
		t1 = v[7] + s1 + ((v[4] & v[5]) ^ (~v[4] & v[6])) +
		    sha256_k[i] + w[i];
		s0 = hash_ror32(v[0], 2) ^ hash_ror32(v[0], 13) ^
		    hash_ror32(v[0], 22);
		t2 = s0 + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		v[7] = v[6];
		v[6] = v[5];
		v[5] = v[4];
		v[4] = v[3] + t1;
		v[3] = v[2];
		v[2] = v[1];
		v[1] = v[0];
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		h[i] += v[i];
	hash_wipe(w, sizeof(w));
	hash_wipe(v, sizeof(v));
}

void
sha256_init(struct sha256_state *s)
{
	/* FIPS 180-4 5.3.3 */
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, iv, sizeof(iv));
	s->total = 0;
	s->buf_len = 0;
}

void
sha256_update(struct sha256_state *s, const uint8_t *p, size_t len)
{
	struct md_state m = MD_STATE(s);

	md_update(&m, p, len, sha256_block);
}

void
sha256_final(struct sha256_state *s, uint8_t out[SHA256_LEN])
{
	struct md_state m = MD_STATE(s);

	/* FIPS 180-4 5.1.1: bit length BE64 */
	md_final(&m, MD_LENGTH_BE, sha256_block);
	for (int i = 0; i < 8; i++)
		hash_put_be32(out + 4 * i, s->h[i]);
}

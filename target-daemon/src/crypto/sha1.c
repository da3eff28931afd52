/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements SHA-1 (FIPS 180-4 6.1), the CHAP_A 6 digest
 * (RFC7143 12.1.3). Words are big-endian, read with byte loads. */
#include "crypto/hash_impl.h"

#include <stddef.h>
#include <stdint.h>

static void
sha1_block(uint32_t h[5], const uint8_t *blk)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	uint32_t f, k, t;

	/* FIPS 180-4 6.1.2 step 1: message schedule */
	for (int i = 0; i < 16; i++)
		w[i] = hash_get_be32(blk + 4 * i);
	for (int i = 16; i < 80; i++)
		w[i] = hash_rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16],
		    1);
	/* FIPS 180-4 4.1.1 functions, 4.2.1 constants */
	for (int i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = hash_rol32(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = hash_rol32(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	hash_wipe(w, sizeof(w));
}

void
sha1_init(struct sha1_state *s)
{
	/* FIPS 180-4 5.3.1 */
	s->h[0] = 0x67452301;
	s->h[1] = 0xefcdab89;
	s->h[2] = 0x98badcfe;
	s->h[3] = 0x10325476;
	s->h[4] = 0xc3d2e1f0;
	s->total = 0;
	s->buf_len = 0;
}

void
sha1_update(struct sha1_state *s, const uint8_t *p, size_t len)
{
	struct md_state m = MD_STATE(s);

	md_update(&m, p, len, sha1_block);
}

void
sha1_final(struct sha1_state *s, uint8_t out[SHA1_LEN])
{
	struct md_state m = MD_STATE(s);

	/* FIPS 180-4 5.1.1: bit length BE64 */
	md_final(&m, MD_LENGTH_BE, sha1_block);
	for (int i = 0; i < 5; i++)
		hash_put_be32(out + 4 * i, s->h[i]);
}

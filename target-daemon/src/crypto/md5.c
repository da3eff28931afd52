/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements MD5 (RFC 1321), the CHAP_A 5 digest (RFC 1994,
 * RFC7143 12.1.3). Words are little-endian, read with byte loads. */
#include "crypto/hash_impl.h"

#include <stddef.h>
#include <stdint.h>

/* RFC 1321 3.4: T[i] = floor(2^32 * abs(sin(i + 1))). */
static const uint32_t md5_t[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a,
	0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
	0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
	0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
	0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
	0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
	0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
	0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
	0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* Per-round left-rotation amounts, four per round (RFC 1321 3.4). */
static const uint8_t md5_s[4][4] = {
	{ 7, 12, 17, 22 },
	{ 5, 9, 14, 20 },
	{ 4, 11, 16, 23 },
	{ 6, 10, 15, 21 },
};

static void
md5_block(uint32_t h[4], const uint8_t *blk)
{
	uint32_t x[16], a = h[0], b = h[1], c = h[2], d = h[3], f, t;
	unsigned int g;

	for (int i = 0; i < 16; i++)
		x[i] = hash_get_le32(blk + 4 * i);
	for (unsigned int i = 0; i < 64; i++) {
		switch (i / 16) {
		case 0:
			f = (b & c) | (~b & d);
			g = i;
			break;
		case 1:
			f = (b & d) | (c & ~d);
			g = (5 * i + 1) % 16;
			break;
		case 2:
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
			break;
		default:
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
			break;
		}
		t = d;
		d = c;
		c = b;
		b += hash_rol32(a + f + md5_t[i] + x[g], md5_s[i / 16][i % 4]);
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	hash_wipe(x, sizeof(x));
}

void
md5_init(struct md5_state *s)
{
	/* RFC 1321 3.3 */
	s->h[0] = 0x67452301;
	s->h[1] = 0xefcdab89;
	s->h[2] = 0x98badcfe;
	s->h[3] = 0x10325476;
	s->total = 0;
	s->buf_len = 0;
}

void
md5_update(struct md5_state *s, const uint8_t *p, size_t len)
{
	struct md_state m = MD_STATE(s);

	md_update(&m, p, len, md5_block);
}

void
md5_final(struct md5_state *s, uint8_t out[MD5_LEN])
{
	struct md_state m = MD_STATE(s);

	/* RFC 1321 3.1-3.2: bit length LE64 */
	md_final(&m, MD_LENGTH_LE, md5_block);
	for (int i = 0; i < 4; i++)
		hash_put_le32(out + 4 * i, s->h[i]);
}

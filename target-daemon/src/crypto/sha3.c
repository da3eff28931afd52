/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements SHA3-256 (FIPS 202), the CHAP_A 8 digest
 * (RFC7143 12.1.3): Keccak-f[1600] with a 136-byte rate. Bytes are XORed
 * into little-endian lanes one at a time, so input alignment is irrelevant. */
#include "crypto/hash_impl.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* FIPS 202 3.2.5 iota: round constants RC[ir] for the 24 rounds. */
static const uint64_t keccak_rc[24] = {
	0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808aull,
	0x8000000080008000ull, 0x000000000000808bull, 0x0000000080000001ull,
	0x8000000080008081ull, 0x8000000000008009ull, 0x000000000000008aull,
	0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000aull,
	0x000000008000808bull, 0x800000000000008bull, 0x8000000000008089ull,
	0x8000000000008003ull, 0x8000000000008002ull, 0x8000000000000080ull,
	0x000000000000800aull, 0x800000008000000aull, 0x8000000080008081ull,
	0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};

/* FIPS 202 3.2.2 rho offsets and 3.2.3 pi, combined: walking the lanes in
 * the order keccak_pi[], each takes the previous lane rotated by the
 * matching keccak_rho[] (lane index x + 5 y). */
static const uint8_t keccak_rho[24] = {
	1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14,
	27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
};

static const uint8_t keccak_pi[24] = {
	10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4,
	15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
};

/* FIPS 202 3.3 Keccak-p[1600, 24] = Keccak-f[1600]. */
static void
keccak_f1600(uint64_t a[25])
{
	uint64_t c[5], d, t, u;

	for (int r = 0; r < 24; r++) {
		/* theta */
		for (int x = 0; x < 5; x++)
			c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^
			    a[x + 20];
		for (int x = 0; x < 5; x++) {
			d = c[(x + 4) % 5] ^ hash_rol64(c[(x + 1) % 5], 1);
			for (int y = 0; y < 25; y += 5)
				a[y + x] ^= d;
		}
		/* rho and pi */
		t = a[1];
		for (int i = 0; i < 24; i++) {
			u = a[keccak_pi[i]];
			a[keccak_pi[i]] = hash_rol64(t, keccak_rho[i]);
			t = u;
		}
		/* chi */
		for (int y = 0; y < 25; y += 5) {
			for (int x = 0; x < 5; x++)
				c[x] = a[y + x];
			for (int x = 0; x < 5; x++)
				a[y + x] = c[x] ^ (~c[(x + 1) % 5] &
				    c[(x + 2) % 5]);
		}
		/* iota */
		a[0] ^= keccak_rc[r];
	}
	hash_wipe(c, sizeof(c));
}

static void
sha3_xor_byte(struct sha3_state *s, size_t pos, uint8_t b)
{
	s->a[pos / 8] ^= (uint64_t)b << (8 * (pos % 8));
}

void
sha3_init(struct sha3_state *s)
{
	memset(s->a, 0, sizeof(s->a));
	s->pos = 0;
}

void
sha3_update(struct sha3_state *s, const uint8_t *p, size_t len)
{
	/* FIPS 202 4 sponge absorb */
	for (size_t i = 0; i < len; i++) {
		sha3_xor_byte(s, s->pos, p[i]);
		if (++s->pos == SHA3_256_RATE) {
			keccak_f1600(s->a);
			s->pos = 0;
		}
	}
}

void
sha3_final(struct sha3_state *s, uint8_t out[SHA3_256_LEN])
{
	/* FIPS 202 6.1 and B.2: SHA3 domain bits 01 then pad10*1, i.e. byte
	 * 0x06 at pos and 0x80 in the last rate byte (0x86 if the same). */
	sha3_xor_byte(s, s->pos, 0x06);
	sha3_xor_byte(s, SHA3_256_RATE - 1, 0x80);
	keccak_f1600(s->a);
	/* d = 256 < r, so one squeeze suffices */
	for (size_t i = 0; i < SHA3_256_LEN; i++)
		out[i] = (uint8_t)(s->a[i / 8] >> (8 * (i % 8)));
}

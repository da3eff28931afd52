/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the Merkle-Damgard buffering and final padding
 * shared by MD5, SHA-1 and SHA-256 (RFC 1321 3.1-3.2, FIPS 180-4 5.1.1). */
#include "crypto/hash_impl.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

_Static_assert(sizeof(((struct md5_state *)0)->buf) == MD_BLOCK_LEN,
    "md5_state buf is one block");
_Static_assert(sizeof(((struct sha1_state *)0)->buf) == MD_BLOCK_LEN,
    "sha1_state buf is one block");
_Static_assert(sizeof(((struct sha256_state *)0)->buf) == MD_BLOCK_LEN,
    "sha256_state buf is one block");

void
md_update(const struct md_state *m, const uint8_t *p, size_t len,
    md_compress_fn *compress)
{
	*m->total += len;
	if (*m->buf_len > 0) {
		size_t n = MD_BLOCK_LEN - *m->buf_len;

		if (n > len)
			n = len;
		memcpy(m->buf + *m->buf_len, p, n);
		*m->buf_len += n;
		p += n;
		len -= n;
		if (*m->buf_len < MD_BLOCK_LEN)
			return;
		compress(m->h, m->buf);
		*m->buf_len = 0;
	}
	for (; len >= MD_BLOCK_LEN; p += MD_BLOCK_LEN, len -= MD_BLOCK_LEN)
		compress(m->h, p);
	if (len > 0)
		memcpy(m->buf, p, len);
	*m->buf_len = len;
}

static void
md_put_le64(uint8_t *p, uint64_t v)
{
	hash_put_le32(p, (uint32_t)v);
	hash_put_le32(p + 4, (uint32_t)(v >> 32));
}

static void
md_put_be64(uint8_t *p, uint64_t v)
{
	hash_put_be32(p, (uint32_t)(v >> 32));
	hash_put_be32(p + 4, (uint32_t)v);
}

void
md_final(const struct md_state *m, enum md_length_order order,
    md_compress_fn *compress)
{
	uint64_t bits = *m->total << 3;
	size_t n = *m->buf_len;

	/* RFC 1321 3.1-3.2, FIPS 180-4 5.1.1: 0x80, zeros to 56 mod 64, then
	 * the message length in bits as a 64-bit integer. */
	m->buf[n++] = 0x80;
	if (n > MD_LENGTH_OFFSET) {
		memset(m->buf + n, 0, MD_BLOCK_LEN - n);
		compress(m->h, m->buf);
		n = 0;
	}
	memset(m->buf + n, 0, MD_LENGTH_OFFSET - n);
	if (order == MD_LENGTH_LE)
		md_put_le64(m->buf + MD_LENGTH_OFFSET, bits);
	else
		md_put_be64(m->buf + MD_LENGTH_OFFSET, bits);
	compress(m->h, m->buf);
	*m->buf_len = 0;
}

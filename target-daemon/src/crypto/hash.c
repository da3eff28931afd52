/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the hash_* dispatch over MD5, SHA-1, SHA-256 and
 * SHA3-256, context wiping, and the constant-time digest comparison used to
 * check CHAP responses (RFC 1994 4.1, RFC7143 12.1.3). */
#include "crypto/hash.h"

#include <stddef.h>
#include <stdint.h>

#include "crypto/hash_impl.h"

size_t
hash_len(enum hash_alg alg)
{
	switch (alg) {
	case HASH_MD5:
		return MD5_LEN;
	case HASH_SHA1:
		return SHA1_LEN;
	case HASH_SHA256:
		return SHA256_LEN;
	case HASH_SHA3_256:
		return SHA3_256_LEN;
	}
	return 0;
}

const char *
hash_name(enum hash_alg alg)
{
	switch (alg) {
	case HASH_MD5:
		return "MD5";
	case HASH_SHA1:
		return "SHA-1";
	case HASH_SHA256:
		return "SHA-256";
	case HASH_SHA3_256:
		return "SHA3-256";
	}
	return "unknown";
}

void
hash_init(struct hash_ctx *ctx, enum hash_alg alg)
{
	ctx->alg = alg;
	switch (alg) {
	case HASH_MD5:
		md5_init(&ctx->u.md5);
		break;
	case HASH_SHA1:
		sha1_init(&ctx->u.sha1);
		break;
	case HASH_SHA256:
		sha256_init(&ctx->u.sha256);
		break;
	case HASH_SHA3_256:
		sha3_init(&ctx->u.sha3);
		break;
	}
}

void
hash_update(struct hash_ctx *ctx, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (len == 0)
		return;
	switch (ctx->alg) {
	case HASH_MD5:
		md5_update(&ctx->u.md5, p, len);
		break;
	case HASH_SHA1:
		sha1_update(&ctx->u.sha1, p, len);
		break;
	case HASH_SHA256:
		sha256_update(&ctx->u.sha256, p, len);
		break;
	case HASH_SHA3_256:
		sha3_update(&ctx->u.sha3, p, len);
		break;
	}
}

void
hash_final(struct hash_ctx *ctx, uint8_t *out)
{
	switch (ctx->alg) {
	case HASH_MD5:
		md5_final(&ctx->u.md5, out);
		break;
	case HASH_SHA1:
		sha1_final(&ctx->u.sha1, out);
		break;
	case HASH_SHA256:
		sha256_final(&ctx->u.sha256, out);
		break;
	case HASH_SHA3_256:
		sha3_final(&ctx->u.sha3, out);
		break;
	}
	hash_wipe(ctx, sizeof(*ctx));
}

void
hash_wipe(void *p, size_t len)
{
	volatile uint8_t *v = p;

	while (len-- > 0)
		*v++ = 0;
}

int
hash_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	volatile uint8_t diff = 0;
	unsigned int d;

	/* No early exit: every byte is read whatever the earlier ones were. */
	for (size_t i = 0; i < len; i++)
		diff |= a[i] ^ b[i];
	d = diff;
	/* d in [0, 255]: (d - 1) >> 8 has bit 0 set only when d == 0. */
	return (int)(((d - 1) >> 8) & 1);
}

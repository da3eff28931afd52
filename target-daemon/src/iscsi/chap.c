/* SPDX-License-Identifier: BSD-2-Clause */
/* The target's side of CHAP (RFC7143 12.1.3): algorithm choice, challenge,
 * constant-time verification of the response and, for mutual CHAP, our
 * own response to the initiator's challenge. */
#include "iscsi/chap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hex.h"
#include "util/xalloc.h"

/* CHAP_A values (RFC7143 12.1.3, RFC 8017-era IANA "PPP Authentication
 * Algorithms" registry), strongest first: our order of preference. */
static const struct {
	int id;
	enum hash_alg alg;
} chap_algs[] = {
	{ 8, HASH_SHA3_256 },
	{ 7, HASH_SHA256 },
	{ 6, HASH_SHA1 },
	{ 5, HASH_MD5 },
};

#define CHAP_NALGS (sizeof(chap_algs) / sizeof(chap_algs[0]))

void
chap_start(struct chap *ch, const struct chap_cred *cred,
    const uint8_t random[CHAP_RANDOM_LEN])
{
	memset(ch, 0, sizeof(*ch));
	ch->state = CHAP_WAIT_A;
	ch->cred.user = xstrdup(cred->user);
	ch->cred.secret = xstrdup(cred->secret);
	if (cred->mutual_user != NULL) {
		ch->cred.mutual_user = xstrdup(cred->mutual_user);
		ch->cred.mutual_secret = xstrdup(cred->mutual_secret);
	}
	memcpy(ch->random, random, CHAP_RANDOM_LEN);
}

static void
free_secret(const char *s)
{
	if (s == NULL)
		return;
	/* volatile: the wipe must not be optimised away */
	for (volatile char *p = (volatile char *)(uintptr_t)s; *p != '\0'; p++)
		*p = 0;
	free((void *)(uintptr_t)s);
}

void
chap_fini(struct chap *ch)
{
	free_secret(ch->cred.user);
	free_secret(ch->cred.secret);
	free_secret(ch->cred.mutual_user);
	free_secret(ch->cred.mutual_secret);
	memset(ch, 0, sizeof(*ch));
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
chap_decode(const char *value, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (value[0] != '0' || (value[1] != 'x' && value[1] != 'X' &&
	    value[1] != 'b' && value[1] != 'B'))
		return -1;
	if (value[1] == 'x' || value[1] == 'X') {
		const char *p = value + 2;
		size_t len = strlen(p);

		/* an odd number of digits has an implied leading zero */
		if (len == 0)
			return -1;
		if (len % 2) {
			int v = hex_digit(*p++);

			if (v < 0)
				return -1;
			out[n++] = (uint8_t)v;
		}
		for (; *p != '\0'; p += 2) {
			int hi = hex_digit(p[0]), lo = hex_digit(p[1]);

			if (hi < 0 || lo < 0 || n >= max)
				return -1;
			out[n++] = (uint8_t)(hi << 4 | lo);
		}
		return (int)n;
	}
	{
		uint32_t acc = 0;
		int bits = 0;

		for (const char *p = value + 2; *p != '\0' && *p != '='; p++) {
			int v = b64val(*p);

			if (v < 0)
				return -1;
			acc = acc << 6 | (uint32_t)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				if (n >= max)
					return -1;
				out[n++] = (uint8_t)(acc >> bits);
			}
		}
		return n > 0 ? (int)n : -1;
	}
}

static void
encode_hex(const uint8_t *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";

	*out++ = '0';
	*out++ = 'x';
	for (size_t i = 0; i < len; i++) {
		*out++ = hex[in[i] >> 4];
		*out++ = hex[in[i] & 15];
	}
	*out = '\0';
}

/* RFC 1994 4.1: Response = H(Identifier || secret || Challenge) */
static void
chap_response(enum hash_alg alg, uint8_t id, const char *secret,
    const uint8_t *challenge, size_t clen, uint8_t *out)
{
	struct hash_ctx ctx;

	hash_init(&ctx, alg);
	hash_update(&ctx, &id, 1);
	hash_update(&ctx, secret, strlen(secret));
	hash_update(&ctx, challenge, clen);
	hash_final(&ctx, out);
}

/* Picks the strongest algorithm of the initiator's list we support. */
static int
choose_alg(const char *list, enum hash_alg *alg)
{
	for (size_t k = 0; k < CHAP_NALGS; k++) {
		const char *p = list;

		while (*p != '\0') {
			char *end;
			long v = strtol(p, &end, 10);

			if (end != p && (*end == ',' || *end == '\0') &&
			    v == chap_algs[k].id) {
				*alg = chap_algs[k].alg;
				return chap_algs[k].id;
			}
			p = strchr(p, ',');
			if (p == NULL)
				break;
			p++;
		}
	}
	return -1;
}

static int
handle_a(struct chap *ch, const struct text_list *kv, struct text_buf *out,
    const char **why)
{
	const char *a = text_find(kv, "CHAP_A");
	char hex[2 + 2 * CHAP_CHALLENGE_LEN + 1];
	int id;

	if (a == NULL)
		return 0; /* nothing yet */
	id = choose_alg(a, &ch->alg);
	if (id < 0) {
		/* RFC7143 12.1.3: no acceptable algorithm */
		text_buf_add(out, "CHAP_A", "Reject");
		*why = "no CHAP algorithm in common";
		return -EACCES;
	}
	ch->id = ch->random[0];
	memcpy(ch->challenge, ch->random + 1, CHAP_CHALLENGE_LEN);
	text_buf_add_u32(out, "CHAP_A", (uint32_t)id);
	text_buf_add_u32(out, "CHAP_I", ch->id);
	encode_hex(ch->challenge, CHAP_CHALLENGE_LEN, hex);
	text_buf_add(out, "CHAP_C", hex);
	ch->state = CHAP_WAIT_R;
	return 0;
}

static int
handle_r(struct chap *ch, const struct text_list *kv, struct text_buf *out,
    const char **why)
{
	const char *n = text_find(kv, "CHAP_N"), *r = text_find(kv, "CHAP_R");
	const char *mi = text_find(kv, "CHAP_I"), *mc = text_find(kv, "CHAP_C");
	uint8_t want[HASH_MAX_LEN], got[HASH_MAX_LEN];
	size_t hlen = hash_len(ch->alg);
	int rlen;

	if (n == NULL || r == NULL) {
		*why = "CHAP_N or CHAP_R missing";
		return -EACCES;
	}
	rlen = chap_decode(r, got, sizeof(got));
	chap_response(ch->alg, ch->id, ch->cred.secret, ch->challenge,
	    CHAP_CHALLENGE_LEN, want);
	/* compare both, always, so that timing does not tell which failed */
	if ((strcmp(n, ch->cred.user) != 0) |
	    (rlen != (int)hlen) | !hash_equal(got, want, hlen)) {
		*why = "CHAP name or response wrong";
		return -EACCES;
	}
	if ((mi == NULL) != (mc == NULL)) {
		*why = "mutual CHAP needs both CHAP_I and CHAP_C";
		return -EACCES;
	}
	if (mi == NULL) {
		if (ch->cred.mutual_user != NULL) {
			/* configured for mutual CHAP: the initiator must
			 * authenticate us too */
			*why = "initiator did not ask for mutual CHAP";
			return -EACCES;
		}
	} else {
		uint8_t ic[1024], resp[HASH_MAX_LEN];
		char hex[2 + 2 * HASH_MAX_LEN + 1], *end;
		long iid = strtol(mi, &end, 0);
		int iclen = chap_decode(mc, ic, sizeof(ic));

		if (ch->cred.mutual_user == NULL) {
			*why = "mutual CHAP asked for but not configured";
			return -EACCES;
		}
		if (*end != '\0' || iid < 0 || iid > 255 || iclen <= 0) {
			*why = "malformed mutual CHAP_I or CHAP_C";
			return -EACCES;
		}
		/* RFC7143 12.1.3: refuse our own challenge reflected back */
		if (iclen == CHAP_CHALLENGE_LEN &&
		    memcmp(ic, ch->challenge, CHAP_CHALLENGE_LEN) == 0) {
			*why = "initiator reflected the target's challenge";
			return -EACCES;
		}
		chap_response(ch->alg, (uint8_t)iid, ch->cred.mutual_secret,
		    ic, (size_t)iclen, resp);
		encode_hex(resp, hlen, hex);
		text_buf_add(out, "CHAP_N", ch->cred.mutual_user);
		text_buf_add(out, "CHAP_R", hex);
	}
	ch->state = CHAP_DONE;
	return 0;
}

int
chap_handle(struct chap *ch, const struct text_list *kv, struct text_buf *out,
    const char **why)
{
	switch (ch->state) {
	case CHAP_WAIT_A:
		return handle_a(ch, kv, out, why);
	case CHAP_WAIT_R:
		return handle_r(ch, kv, out, why);
	case CHAP_DONE:
		break;
	}
	for (size_t i = 0; i < kv->n; i++) {
		if (strncmp(kv->kv[i].key, "CHAP_", 5) == 0) {
			*why = "CHAP keys after authentication";
			return -EACCES;
		}
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the iSCSI text data format (RFC7143 6.1): splitting
 * a "key=value\0" segment into pairs, and building one. Pure: no I/O, no
 * logging. */
#include "iscsi/text.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits_minisan.h"
#include "util/xalloc.h"

/* Output buffers start at this size and double. */
#define TEXT_BUF_INITIAL 256u

/*
 * RFC7143 6.1: "standard-label: A string of one or more characters that
 * consist of letters, digits, dot, minus, plus, commercial at, or
 * underscore." Public extension keys start with "X#" (e.g. RFC7143 13.26
 * X#NodeArchitecture), so '#' is accepted right after a leading 'X'. The
 * rule that a standard-label begins with a capital letter is not enforced:
 * RFC7143 13.24 defines iSCSIProtocolLevel.
 */
static bool
text_key_char_ok(const char *key, size_t i)
{
	unsigned char c = (unsigned char)key[i];

	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '.':
	case '-':
	case '+':
	case '@':
	case '_':
		return true;
	case '#':
		return i == 1 && key[0] == 'X';
	default:
		return false;
	}
}

/* Validates one NUL-terminated pair in place and splits it at the first
 * '=' (values may themselves contain '=', e.g. base64 CHAP values). */
static int
text_split_pair(char *pair, struct text_kv *kv)
{
	char *eq = strchr(pair, '=');
	size_t klen, vlen;

	if (eq == NULL)
		return -EINVAL;
	klen = (size_t)(eq - pair);
	vlen = strlen(eq + 1);
	/* RFC7143 6.1: key names are at most 63 bytes. */
	if (klen == 0 || klen > ISCSI_KEY_NAME_MAX)
		return -EINVAL;
	if (vlen > ISCSI_TEXT_VALUE_MAX)
		return -EINVAL;
	for (size_t i = 0; i < klen; i++)
		if (!text_key_char_ok(pair, i))
			return -EINVAL;
	*eq = '\0';
	kv->key = pair;
	kv->value = eq + 1;
	return 0;
}

int
text_parse(const uint8_t *buf, size_t len, struct text_list *out)
{
	struct text_list l = { NULL, 0, NULL };
	size_t npairs, i, start;
	int rc;

	*out = l;
	if (len > MINISAN_MAX_TEXT_BYTES)
		return -E2BIG;
	/* Trailing NULs: the terminator of the last pair plus padding. The
	 * last pair may also arrive without its terminator. */
	while (len > 0 && buf[len - 1] == '\0')
		len--;
	if (len == 0)
		return 0;

	/* Count pairs before allocating anything sized by them. */
	npairs = 1;
	for (i = 0; i < len; i++)
		if (buf[i] == '\0')
			npairs++;
	if (npairs > MINISAN_MAX_TEXT_KEYS)
		return -E2BIG;

	l.storage = xmalloc(len + 1);
	memcpy(l.storage, buf, len);
	l.storage[len] = '\0';
	l.kv = xcalloc(npairs, sizeof(*l.kv));

	start = 0;
	for (i = 0; i <= len; i++) {
		if (l.storage[i] != '\0')
			continue;
		/* An empty pair in the middle ("a=1\0\0b=2") is malformed. */
		rc = text_split_pair(l.storage + start, &l.kv[l.n]);
		if (rc != 0) {
			text_list_fini(&l);
			return rc;
		}
		l.n++;
		start = i + 1;
	}
	*out = l;
	return 0;
}

void
text_list_fini(struct text_list *list)
{
	if (list == NULL)
		return;
	free(list->kv);
	free(list->storage);
	list->kv = NULL;
	list->storage = NULL;
	list->n = 0;
}

const char *
text_find(const struct text_list *list, const char *key)
{
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->kv[i].key, key) == 0)
			return list->kv[i].value;
	return NULL;
}

static void
text_buf_reserve(struct text_buf *tb, size_t more)
{
	size_t cap = tb->cap ? tb->cap : TEXT_BUF_INITIAL;

	if (tb->cap - tb->len >= more)
		return;
	while (cap - tb->len < more)
		cap *= 2;
	tb->data = xrealloc(tb->data, cap);
	tb->cap = cap;
}

void
text_buf_add(struct text_buf *tb, const char *key, const char *value)
{
	size_t klen = strlen(key), vlen = strlen(value);

	text_buf_reserve(tb, klen + vlen + 2);
	memcpy(tb->data + tb->len, key, klen);
	tb->len += klen;
	tb->data[tb->len++] = '=';
	memcpy(tb->data + tb->len, value, vlen);
	tb->len += vlen;
	tb->data[tb->len++] = '\0';
}

void
text_buf_add_u32(struct text_buf *tb, const char *key, uint32_t value)
{
	char num[16];

	snprintf(num, sizeof(num), "%u", (unsigned int)value);
	text_buf_add(tb, key, num);
}

void
text_buf_fini(struct text_buf *tb)
{
	if (tb == NULL)
		return;
	free(tb->data);
	tb->data = NULL;
	tb->len = 0;
	tb->cap = 0;
}

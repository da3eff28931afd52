/* SPDX-License-Identifier: BSD-2-Clause */
/* iSCSI text data: "key=value\0" segments (RFC7143 6.1). Pure: no I/O, no
 * logging. */
#ifndef MINISAN_ISCSI_TEXT_H
#define MINISAN_ISCSI_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct text_kv {
	const char *key;   /* points into text_list storage */
	const char *value;
};

/* Parsed key=value pairs, in wire order. Owned by the caller; release with
 * text_list_fini(). */
struct text_list {
	struct text_kv *kv;
	size_t n;
	char *storage;
};

/* Parses len bytes. Returns 0, or -EINVAL for a malformed pair (no '=',
 * empty key, key longer than ISCSI_KEY_NAME_MAX, value longer than
 * ISCSI_TEXT_VALUE_MAX, bytes outside the RFC7143 6.1 character set of
 * keys), -E2BIG for more than MINISAN_MAX_TEXT_KEYS pairs. A final pair
 * without its terminating NUL is accepted. Duplicate keys are kept (the
 * negotiation decides). On error *out is left empty. */
int text_parse(const uint8_t *buf, size_t len, struct text_list *out);
void text_list_fini(struct text_list *list);
/* First value for key, or NULL. */
const char *text_find(const struct text_list *list, const char *key);

/* Growable output buffer of key=value\0 pairs. Zero-initialise, release
 * with text_buf_fini(). */
struct text_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

void text_buf_add(struct text_buf *tb, const char *key, const char *value);
void text_buf_add_u32(struct text_buf *tb, const char *key, uint32_t value);
void text_buf_fini(struct text_buf *tb);

#endif

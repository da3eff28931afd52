/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the growable string buffer: capacity doubles from
 * STRBUF_MIN so that n appends cost O(total length). */
#include "strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* First allocation, in bytes. */
#define STRBUF_MIN 256

void
strbuf_init(struct strbuf *sb)
{
	sb->s = NULL;
	sb->len = sb->cap = 0;
}

/* Makes room for n more bytes and the NUL. */
static void
strbuf_grow(struct strbuf *sb, size_t n)
{
	size_t cap = sb->cap;

	if (n >= SIZE_MAX / 2 - sb->len)
		abort(); /* no string of ours gets near this: a bug */
	if (sb->len + n < cap)
		return;
	if (cap == 0)
		cap = STRBUF_MIN;
	while (sb->len + n >= cap)
		cap *= 2;
	sb->s = xrealloc(sb->s, cap);
	sb->cap = cap;
}

void
strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	strbuf_grow(sb, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(sb->s + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void
strbuf_add(struct strbuf *sb, const void *p, size_t n)
{
	strbuf_grow(sb, n);
	if (n > 0)
		memcpy(sb->s + sb->len, p, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

void
strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->s != NULL)
		sb->s[0] = '\0';
}

char *
strbuf_take(struct strbuf *sb)
{
	char *s = sb->s != NULL ? sb->s : xstrdup("");

	strbuf_init(sb);
	return s;
}

void
strbuf_fini(struct strbuf *sb)
{
	free(sb->s);
	strbuf_init(sb);
}

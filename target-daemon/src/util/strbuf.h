/* SPDX-License-Identifier: BSD-2-Clause */
/* A growable, NUL-terminated string built by appending (printf or bytes).
 * Ownership: the struct is embedded by its user and owns s until
 * strbuf_take() hands s to the caller or strbuf_fini() frees it. Growth
 * aborts on out-of-memory like xmalloc. */
#ifndef MINISAN_UTIL_STRBUF_H
#define MINISAN_UTIL_STRBUF_H

#include <stddef.h>

/* s is NULL until the first append, then always NUL-terminated at len;
 * len < cap once s is allocated. Callers may read all three fields. */
struct strbuf {
	char *s;
	size_t len, cap;
};

/* An empty buffer that owns nothing. */
void strbuf_init(struct strbuf *sb);
/* Appends the formatted text. */
void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends n bytes of p (which should hold no NUL for s to stay a string). */
void strbuf_add(struct strbuf *sb, const void *p, size_t n);
/* Empties the buffer and keeps its storage for reuse. */
void strbuf_reset(struct strbuf *sb);
/* Returns the string, "" if nothing was appended; the caller owns it and
 * frees it with free(). The buffer is left empty, owning nothing. */
char *strbuf_take(struct strbuf *sb);
/* Frees the storage; the buffer is left empty and may be reused. */
void strbuf_fini(struct strbuf *sb);

#endif

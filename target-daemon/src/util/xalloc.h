/* SPDX-License-Identifier: BSD-2-Clause */
/* Allocation wrappers that abort on out-of-memory. Callers bound every
 * wire-supplied size before calling these. */
#ifndef MINISAN_UTIL_XALLOC_H
#define MINISAN_UTIL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif

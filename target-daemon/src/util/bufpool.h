/* SPDX-License-Identifier: BSD-2-Clause */
/* Buffers for the per-command path (tasks, queued PDUs, received data
 * segments, write data, read data), kept in per-thread caches by power-of-two size class
 * so that a command does not go to malloc. Ownership: whoever got a buffer
 * returns it with bufpool_put() (never free()); any thread may return it. */
#ifndef MINISAN_UTIL_BUFPOOL_H
#define MINISAN_UTIL_BUFPOOL_H

#include <stddef.h>

/* Returns a buffer of at least len bytes (len 0 allowed), contents
 * undefined; aborts on out-of-memory like xmalloc. */
void *bufpool_get(size_t len);
/* Returns p to the calling thread's cache, or frees it if the cache is
 * full or p is larger than any class. NULL is a no-op. */
void bufpool_put(void *p);
/* Frees every buffer cached by the calling thread. */
void bufpool_trim(void);
/* Bytes cached by the calling thread (tests). */
size_t bufpool_cached(void);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the buffer pool: per-thread free lists, one per
 * power-of-two class from 128 bytes up, bounded in bytes. musl's malloc maps
 * every buffer over 128 KiB afresh and unmaps it on free, so a 256 KiB read
 * cost an mmap, 64 page faults (each zeroing a page) and a munmap. */
#include "util/bufpool.h"

#include <stdint.h>
#include <stdlib.h>

#include "limits_minisan.h"
#include "util/log.h"
#include "util/xalloc.h"

#define BUFPOOL_MIN_SHIFT 7 /* 128 bytes, the smallest class */
#define BUFPOOL_NCLASS 17   /* up to 8 MiB (MINISAN_MAX_XFER_BYTES) */
#define BUFPOOL_UNCLASSED 0xffu
#define BUFPOOL_MAGIC 0x62756670u

/* In front of every buffer; 16 bytes keep the data as aligned as malloc's
 * (max_align_t). */
struct bufpool_hdr {
	union {
		struct bufpool_hdr *next; /* while cached */
		uint64_t pad;
	} u;
	uint32_t magic;
	uint32_t cls;
};
_Static_assert(sizeof(struct bufpool_hdr) == 16, "bufpool header size");

struct bufpool_cache {
	struct bufpool_hdr *head[BUFPOOL_NCLASS];
	size_t bytes;
};

static _Thread_local struct bufpool_cache cache;

static size_t
class_size(unsigned cls)
{
	return (size_t)1 << (BUFPOOL_MIN_SHIFT + cls);
}

static unsigned
class_of(size_t len)
{
	unsigned cls = 0;

	while (cls < BUFPOOL_NCLASS && class_size(cls) < len)
		cls++;
	return cls < BUFPOOL_NCLASS ? cls : BUFPOOL_UNCLASSED;
}

void *
bufpool_get(size_t len)
{
	unsigned cls = class_of(len);
	struct bufpool_hdr *h;

	if (cls != BUFPOOL_UNCLASSED && (h = cache.head[cls]) != NULL) {
		cache.head[cls] = h->u.next;
		cache.bytes -= class_size(cls);
	} else {
		h = xmalloc(sizeof(*h) + (cls == BUFPOOL_UNCLASSED ? len :
		    class_size(cls)));
		h->magic = BUFPOOL_MAGIC;
		h->cls = cls;
	}
	h->u.next = NULL;
	return h + 1;
}

void
bufpool_put(void *p)
{
	struct bufpool_hdr *h;

	if (p == NULL)
		return;
	h = (struct bufpool_hdr *)p - 1;
	if (h->magic != BUFPOOL_MAGIC)
		fatalx("bufpool_put: %p was not from bufpool_get", p);
	if (h->cls == BUFPOOL_UNCLASSED ||
	    cache.bytes + class_size(h->cls) > MINISAN_BUFPOOL_CACHE_BYTES) {
		free(h);
		return;
	}
	h->u.next = cache.head[h->cls];
	cache.head[h->cls] = h;
	cache.bytes += class_size(h->cls);
}

void
bufpool_trim(void)
{
	for (unsigned cls = 0; cls < BUFPOOL_NCLASS; cls++) {
		while (cache.head[cls] != NULL) {
			struct bufpool_hdr *h = cache.head[cls];

			cache.head[cls] = h->u.next;
			free(h);
		}
	}
	cache.bytes = 0;
}

size_t
bufpool_cached(void)
{
	return cache.bytes;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* A small epoll event loop: fd watches embedded in their owners, a periodic
 * tick, and deferred work run after each batch of events (so an object can
 * be closed in a callback and freed once no event of the batch refers to
 * it). One loop per thread; nothing here is shared between loops. */
#ifndef MINISAN_CORE_EVLOOP_H
#define MINISAN_CORE_EVLOOP_H

#include <stdint.h>

struct evloop;
struct evloop_watch;

typedef void evloop_fd_cb(struct evloop_watch *w, uint32_t events);
typedef void evloop_defer_cb(void *arg);

/* An fd registration, embedded in (and owned by) the object it serves. */
struct evloop_watch {
	int fd;
	uint32_t events; /* EPOLLIN / EPOLLOUT currently asked for */
	evloop_fd_cb *cb;
	void *arg;
};

/* Returns NULL and sets errno on failure. */
struct evloop *evloop_new(void);
void evloop_free(struct evloop *loop);

/* Registers w (fd, cb, arg set by the caller) for events. -errno on error. */
int evloop_add(struct evloop *loop, struct evloop_watch *w, uint32_t events);
/* Changes the events w is watched for (no-op if unchanged). */
int evloop_mod(struct evloop *loop, struct evloop_watch *w, uint32_t events);
/* Unregisters w; pending events of the current batch for w are dropped. */
void evloop_del(struct evloop *loop, struct evloop_watch *w);

/* Runs fn(arg) after the current batch of events has been handled. */
void evloop_defer(struct evloop *loop, evloop_defer_cb *fn, void *arg);
/* Calls fn(arg) each time the loop is about to wait for events, after the
 * callbacks of the previous batch (one hook per loop; a later call
 * replaces it). Used to send everything a batch produced in one go. */
void evloop_set_prepare(struct evloop *loop, evloop_defer_cb *fn, void *arg);

/* Calls tick(arg) about every interval_ms milliseconds. One tick per loop. */
int evloop_set_tick(struct evloop *loop, unsigned interval_ms,
    evloop_defer_cb *tick, void *arg);

/* Monotonic seconds, for timeouts. */
uint64_t evloop_now(void);

/* Waits up to timeout_ms (-1: forever) for one batch of events, handles
 * it and runs the deferred work. Returns the number of events handled, or
 * -errno if epoll fails. (Tests and fuzzers drive a loop with this.) */
int evloop_poll(struct evloop *loop, int timeout_ms);
/* Runs until evloop_stop(). Returns 0, or -errno if epoll fails. */
int evloop_run(struct evloop *loop);
void evloop_stop(struct evloop *loop);

#endif

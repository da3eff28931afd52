/* SPDX-License-Identifier: BSD-2-Clause */
/* epoll event loop with a timerfd tick and deferred callbacks. */
#include "core/evloop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "util/xalloc.h"

#define EVLOOP_BATCH 64

struct evloop_deferred {
	evloop_defer_cb *fn;
	void *arg;
	struct evloop_deferred *next;
};

struct evloop {
	int epfd;
	int stop;
	/* events of the batch being dispatched; entries of deleted watches
	 * are cleared so that their callbacks are not called */
	struct epoll_event batch[EVLOOP_BATCH];
	int nbatch;
	struct evloop_deferred *deferred, **deferred_tail;
	struct evloop_watch tick_watch;
	evloop_defer_cb *tick_fn;
	void *tick_arg;
	evloop_defer_cb *prepare_fn;
	void *prepare_arg;
};

struct evloop *
evloop_new(void)
{
	struct evloop *loop = xcalloc(1, sizeof(*loop));

	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	loop->deferred_tail = &loop->deferred;
	loop->tick_watch.fd = -1;
	return loop;
}

static void
run_deferred(struct evloop *loop)
{
	while (loop->deferred != NULL) {
		struct evloop_deferred *d = loop->deferred;

		loop->deferred = d->next;
		if (loop->deferred == NULL)
			loop->deferred_tail = &loop->deferred;
		d->fn(d->arg);
		free(d);
	}
}

void
evloop_free(struct evloop *loop)
{
	if (loop == NULL)
		return;
	run_deferred(loop);
	if (loop->tick_watch.fd >= 0)
		close(loop->tick_watch.fd);
	close(loop->epfd);
	free(loop);
}

int
evloop_add(struct evloop *loop, struct evloop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
		return -errno;
	w->events = events;
	return 0;
}

int
evloop_mod(struct evloop *loop, struct evloop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w->events == events)
		return 0;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		return -errno;
	w->events = events;
	return 0;
}

void
evloop_del(struct evloop *loop, struct evloop_watch *w)
{
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	for (int i = 0; i < loop->nbatch; i++)
		if (loop->batch[i].data.ptr == w)
			loop->batch[i].data.ptr = NULL;
	w->events = 0;
}

void
evloop_defer(struct evloop *loop, evloop_defer_cb *fn, void *arg)
{
	struct evloop_deferred *d = xmalloc(sizeof(*d));

	d->fn = fn;
	d->arg = arg;
	d->next = NULL;
	*loop->deferred_tail = d;
	loop->deferred_tail = &d->next;
}

void
evloop_set_prepare(struct evloop *loop, evloop_defer_cb *fn, void *arg)
{
	loop->prepare_fn = fn;
	loop->prepare_arg = arg;
}

static void
tick_ready(struct evloop_watch *w, uint32_t events)
{
	struct evloop *loop = w->arg;
	uint64_t expirations;

	(void)events;
	if (read(w->fd, &expirations, sizeof(expirations)) < 0)
		return;
	loop->tick_fn(loop->tick_arg);
}

int
evloop_set_tick(struct evloop *loop, unsigned interval_ms,
    evloop_defer_cb *tick, void *arg)
{
	struct itimerspec its;
	int fd, rc;

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_sec = interval_ms / 1000;
	its.it_interval.tv_nsec = (long)(interval_ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	loop->tick_fn = tick;
	loop->tick_arg = arg;
	loop->tick_watch.fd = fd;
	loop->tick_watch.cb = tick_ready;
	loop->tick_watch.arg = loop;
	rc = evloop_add(loop, &loop->tick_watch, EPOLLIN);
	if (rc < 0) {
		close(fd);
		loop->tick_watch.fd = -1;
	}
	return rc;
}

uint64_t
evloop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

int
evloop_poll(struct evloop *loop, int timeout_ms)
{
	int n;

	if (loop->prepare_fn != NULL)
		loop->prepare_fn(loop->prepare_arg);
	n = epoll_wait(loop->epfd, loop->batch, EVLOOP_BATCH,
	    loop->deferred ? 0 : timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	loop->nbatch = n;
	for (int i = 0; i < n; i++) {
		struct evloop_watch *w = loop->batch[i].data.ptr;

		if (w != NULL)
			w->cb(w, loop->batch[i].events);
	}
	loop->nbatch = 0;
	run_deferred(loop);
	return n;
}

int
evloop_run(struct evloop *loop)
{
	while (!loop->stop) {
		int rc = evloop_poll(loop, -1);

		if (rc < 0)
			return rc;
	}
	run_deferred(loop);
	return 0;
}

void
evloop_stop(struct evloop *loop)
{
	loop->stop = 1;
}

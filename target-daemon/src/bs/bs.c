/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the backing-store I/O engine: I/O that cannot wait
 * for a disk runs inline in the submitting thread; the rest goes to a queue
 * served by a small pool of worker threads, and a completion list handed
 * back to the event loop through an eventfd. */
#include "bs/bs.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bs/bs_impl.h"
#include "limits_minisan.h"
#include "util/xalloc.h"

/* A singly linked FIFO of bs_io threaded through io->next. */
struct bs_queue {
	struct bs_io *head;
	struct bs_io **tail; /* &head when empty */
};

/* Owned by the application; freed by bs_engine_free() after every store
 * using it has been closed. All fields below lock are protected by it.
 * An io is on at most one of pending/done, and on neither while a worker
 * runs it or while its done() runs. */
struct bs_engine {
	int nthreads;   /* 0: synchronous engine */
	int efd;        /* eventfd; -1 for a synchronous engine */
	pthread_t *threads;
	int nstarted;   /* workers actually created */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* signalled when pending grows or on stop */
	int stopping;
	struct bs_queue pending;   /* submitted, not yet picked by a worker */
	struct bs_queue completed; /* finished, done() not yet called */
	/* Read and written by submitting threads only. */
	size_t inline_max;         /* 0: every I/O goes to the workers */
	struct bs_engine_stats stats;
};

/* Inline I/O in progress in this thread: a done() that submits again (a
 * chain such as SANITIZE or EXTENDED COPY) goes to the workers, so that
 * chains neither recurse without bound nor hold a loop for long. */
static _Thread_local int inline_depth;

static void
queue_init(struct bs_queue *q)
{
	q->head = NULL;
	q->tail = &q->head;
}

static void
queue_push(struct bs_queue *q, struct bs_io *io)
{
	io->next = NULL;
	*q->tail = io;
	q->tail = &io->next;
}

static struct bs_io *
queue_pop(struct bs_queue *q)
{
	struct bs_io *io = q->head;

	if (io != NULL) {
		q->head = io->next;
		if (q->head == NULL)
			q->tail = &q->head;
		io->next = NULL;
	}
	return io;
}

static void
engine_signal(struct bs_engine *eng)
{
	uint64_t one = 1;

	/* EAGAIN would mean the counter is at its maximum: still readable. */
	while (write(eng->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void *
engine_worker(void *arg)
{
	struct bs_engine *eng = arg;
	struct bs_io *io;
	int was_empty;

	for (;;) {
		pthread_mutex_lock(&eng->lock);
		while (eng->pending.head == NULL && !eng->stopping)
			pthread_cond_wait(&eng->cond, &eng->lock);
		/* On stop, queued I/O is still performed: it was accepted. */
		io = queue_pop(&eng->pending);
		pthread_mutex_unlock(&eng->lock);
		if (io == NULL)
			break;

		bs_file_execute(io->bs, io);

		pthread_mutex_lock(&eng->lock);
		was_empty = eng->completed.head == NULL;
		queue_push(&eng->completed, io);
		pthread_mutex_unlock(&eng->lock);
		/* A non-empty list already has a wakeup pending: the loop
		 * reads the eventfd before it takes the list. */
		if (was_empty)
			engine_signal(eng);
	}
	return NULL;
}

static void
engine_stop(struct bs_engine *eng)
{
	pthread_mutex_lock(&eng->lock);
	eng->stopping = 1;
	pthread_cond_broadcast(&eng->cond);
	pthread_mutex_unlock(&eng->lock);
	for (int i = 0; i < eng->nstarted; i++)
		pthread_join(eng->threads[i], NULL);
	eng->nstarted = 0;
}

static void
engine_destroy(struct bs_engine *eng)
{
	if (eng->efd >= 0)
		close(eng->efd);
	eng->efd = -1;
	pthread_cond_destroy(&eng->cond);
	pthread_mutex_destroy(&eng->lock);
	free(eng->threads);
	free(eng);
}

struct bs_engine *
bs_engine_new(int nthreads, char *err, size_t errlen)
{
	struct bs_engine *eng;
	sigset_t all, old;
	int rc;

	if (nthreads < 0 || nthreads > MINISAN_MAX_BS_THREADS) {
		snprintf(err, errlen, "bs: %d I/O threads out of range 0-%d",
		    nthreads, MINISAN_MAX_BS_THREADS);
		return NULL;
	}
	eng = xcalloc(1, sizeof(*eng));
	eng->nthreads = nthreads;
	eng->efd = -1;
	pthread_mutex_init(&eng->lock, NULL);
	pthread_cond_init(&eng->cond, NULL);
	queue_init(&eng->pending);
	queue_init(&eng->completed);
	eng->inline_max = MINISAN_BS_INLINE_MAX;
	if (nthreads == 0)
		return eng;

	eng->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (eng->efd < 0) {
		snprintf(err, errlen, "bs: eventfd: %s", strerror(errno));
		goto fail;
	}
	eng->threads = xcalloc((size_t)nthreads, sizeof(*eng->threads));
	/* Workers block every signal so that the event loop's signalfd
	 * sees them all; they inherit the mask in force at creation. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (rc = 0; eng->nstarted < nthreads; eng->nstarted++) {
		rc = pthread_create(&eng->threads[eng->nstarted], NULL,
		    engine_worker, eng);
		if (rc != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "bs: cannot start I/O thread: %s",
		    strerror(rc));
		goto fail;
	}
	return eng;

fail:
	engine_stop(eng);
	engine_destroy(eng);
	return NULL;
}

void
bs_engine_free(struct bs_engine *eng)
{
	if (eng == NULL)
		return;
	engine_stop(eng);
	/* Whatever sits on the completed list is dropped, as documented. */
	engine_destroy(eng);
}

int
bs_engine_fd(const struct bs_engine *eng)
{
	return eng->efd;
}

void
bs_engine_complete(struct bs_engine *eng)
{
	struct bs_io *io, *next;
	uint64_t count;

	if (eng->nthreads == 0)
		return;
	/* Reset the eventfd before taking the list, so that a completion
	 * queued after we take it raises a fresh wakeup. */
	while (read(eng->efd, &count, sizeof(count)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&eng->lock);
	io = eng->completed.head;
	queue_init(&eng->completed);
	pthread_mutex_unlock(&eng->lock);

	for (; io != NULL; io = next) {
		next = io->next; /* done() may free or resubmit io */
		io->next = NULL;
		io->done(io);
	}
}

void
bs_engine_set_inline_max(struct bs_engine *eng, size_t max)
{
	eng->inline_max = max;
}

void
bs_engine_get_stats(const struct bs_engine *eng, struct bs_engine_stats *st)
{
	*st = eng->stats;
}

void
bs_submit(struct bs *bs, struct bs_io *io)
{
	struct bs_engine *eng = bs->eng;

	assert(io->done != NULL);
	io->bs = bs;
	io->next = NULL;
	if (eng->nthreads == 0) {
		bs_file_execute(bs, io);
		io->done(io);
		return;
	}
	/* The fast path: no hand-over to a worker, no eventfd wakeup and
	 * no two context switches for what is a memory copy anyway. */
	if (inline_depth == 0 && io->len <= eng->inline_max &&
	    bs_file_try_inline(bs, io)) {
		eng->stats.inline_ios++;
		inline_depth++;
		io->done(io);
		inline_depth--;
		return;
	}
	eng->stats.queued_ios++;
	pthread_mutex_lock(&eng->lock);
	queue_push(&eng->pending, io);
	pthread_cond_signal(&eng->cond);
	pthread_mutex_unlock(&eng->lock);
}

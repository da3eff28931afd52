/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the backing-store I/O engine, the front of bs/: I/O
 * that cannot wait for a disk runs inline in the submitting thread; reads,
 * writes and flushes go to an io_uring (bs_uring.c) where the kernel has
 * one; the rest goes to a queue served by a small pool of worker threads.
 * Ring and pool completions come back to the event loop through one
 * eventfd, and done() callbacks run in bs_engine_complete().
 *
 * Threads: bs_submit() and bs_engine_complete() run in one thread, the
 * event loop that watches bs_engine_fd(). minisand has a single loop
 * (main.c); SCSI commands (scsi/sbc.c, sbc_provision.c), SANITIZE and
 * EXTENDED COPY chains (scsi/sanitize.c, scsi/xcopy.c) submit from that
 * loop or from done() callbacks, which run in it too. So the ring, its
 * overflow list and the statistics take no lock; only the worker queues,
 * shared with the workers, do. Several loops would need an engine each. */
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
#include "bs/bs_uring.h"
#include "limits_minisan.h"
#include "util/xalloc.h"

/* A singly linked FIFO of bs_io threaded through io->next. */
struct bs_queue {
	struct bs_io *head;
	struct bs_io **tail; /* &head when empty */
};

/* Length of the reason kept when AUTO does not get a ring. */
#define BS_REFUSAL_MAX 160

/* Owned by the application; freed by bs_engine_free() after every store
 * using it has been closed. The fields from lock to completed are
 * protected by lock. An io is on at most one of pending, completed and
 * overflow, or in the ring, and on none while a worker runs it or while
 * its done() runs. */
struct bs_engine {
	enum bs_engine_kind kind; /* URING, THREADS or SYNC */
	int nthreads;   /* workers asked for; 0: synchronous engine */
	int efd;        /* eventfd; -1 for a synchronous engine */
	pthread_t *threads;
	int nstarted;   /* workers actually created */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* signalled when pending grows or on stop */
	int stopping;
	struct bs_queue pending;   /* submitted, not yet picked by a worker */
	struct bs_queue completed; /* finished, done() not yet called */
	/* Loop thread only (see the top of the file). */
	struct bs_uring *ring;     /* NULL unless kind is URING */
	/* Accepted for the ring while it had no room (all its completion
	 * slots promised, or its submission queue full and the kernel not
	 * taking entries): submitted in order by bs_engine_complete(). Not
	 * empty only while the ring has I/O in flight, whose completion
	 * brings that call. */
	struct bs_queue overflow;
	int completing;            /* inside bs_engine_complete() */
	size_t inline_max;         /* 0: nothing runs inline */
	struct bs_engine_stats stats;
	char refusal[BS_REFUSAL_MAX]; /* bs_engine_uring_refusal() */
};

/* Inline I/O in progress in this thread: a done() that submits again (a
 * chain such as SANITIZE or EXTENDED COPY) goes to the ring or the
 * workers, so that chains neither recurse without bound nor hold a loop
 * for long. */
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
	/* The ring first: it holds a reference to the eventfd. */
	bs_uring_free(eng->ring);
	eng->ring = NULL;
	if (eng->efd >= 0)
		close(eng->efd);
	eng->efd = -1;
	pthread_cond_destroy(&eng->cond);
	pthread_mutex_destroy(&eng->lock);
	free(eng->threads);
	free(eng);
}

static int
start_workers(struct bs_engine *eng, int n, char *err, size_t errlen)
{
	sigset_t all, old;
	int rc = 0;

	eng->threads = xcalloc((size_t)n, sizeof(*eng->threads));
	/* Workers block every signal so that the event loop's signalfd
	 * sees them all; they inherit the mask in force at creation. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; eng->nstarted < n; eng->nstarted++) {
		rc = pthread_create(&eng->threads[eng->nstarted], NULL,
		    engine_worker, eng);
		if (rc != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "bs: cannot start I/O thread: %s",
		    strerror(rc));
		return -rc;
	}
	return 0;
}

struct bs_engine *
bs_engine_new_kind(enum bs_engine_kind kind, int nthreads, char *err,
    size_t errlen)
{
	struct bs_engine *eng;
	char why[BS_REFUSAL_MAX];
	int nworkers = nthreads;

	if (nthreads < 0 || nthreads > MINISAN_MAX_BS_THREADS) {
		snprintf(err, errlen, "bs: %d I/O threads out of range 0-%d",
		    nthreads, MINISAN_MAX_BS_THREADS);
		return NULL;
	}
	if (kind == BS_ENGINE_SYNC || (nthreads == 0 &&
	    kind == BS_ENGINE_URING)) {
		snprintf(err, errlen, "bs: a %s engine needs I/O threads (got "
		    "%d)", bs_engine_kind_name(kind), nthreads);
		return NULL;
	}
	eng = xcalloc(1, sizeof(*eng));
	eng->kind = nthreads == 0 ? BS_ENGINE_SYNC : BS_ENGINE_THREADS;
	eng->nthreads = nthreads;
	eng->efd = -1;
	pthread_mutex_init(&eng->lock, NULL);
	pthread_cond_init(&eng->cond, NULL);
	queue_init(&eng->pending);
	queue_init(&eng->completed);
	queue_init(&eng->overflow);
	eng->inline_max = MINISAN_BS_INLINE_MAX;
	if (nthreads == 0)
		return eng;

	eng->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (eng->efd < 0) {
		snprintf(err, errlen, "bs: eventfd: %s", strerror(errno));
		goto fail;
	}
	if (kind != BS_ENGINE_THREADS) {
		if (bs_uring_new(MINISAN_BS_URING_ENTRIES, eng->efd, &eng->ring,
		    why, sizeof(why)) == 0) {
			eng->kind = BS_ENGINE_URING;
			/* The workers only see discard, allocation maps and
			 * what the ring hands back. */
			if (nworkers > MINISAN_BS_URING_POOL_THREADS)
				nworkers = MINISAN_BS_URING_POOL_THREADS;
		} else if (kind == BS_ENGINE_URING) {
			snprintf(err, errlen, "io_uring unavailable: %s", why);
			goto fail;
		} else {
			snprintf(eng->refusal, sizeof(eng->refusal), "%s",
			    why);
		}
	}
	if (start_workers(eng, nworkers, err, errlen) < 0)
		goto fail;
	return eng;

fail:
	engine_stop(eng);
	engine_destroy(eng);
	return NULL;
}

struct bs_engine *
bs_engine_new(int nthreads, char *err, size_t errlen)
{
	return bs_engine_new_kind(BS_ENGINE_AUTO, nthreads, err, errlen);
}

enum bs_engine_kind
bs_engine_kind(const struct bs_engine *eng)
{
	return eng->kind;
}

const char *
bs_engine_kind_name(enum bs_engine_kind kind)
{
	switch (kind) {
	case BS_ENGINE_AUTO:
		return "auto";
	case BS_ENGINE_URING:
		return "io_uring";
	case BS_ENGINE_THREADS:
		return "threads";
	case BS_ENGINE_SYNC:
		return "synchronous";
	}
	return "?";
}

const char *
bs_engine_uring_refusal(const struct bs_engine *eng)
{
	return eng->refusal;
}

/* Hands io to the workers. */
static void
pool_push(struct bs_engine *eng, struct bs_io *io)
{
	pthread_mutex_lock(&eng->lock);
	queue_push(&eng->pending, io);
	pthread_cond_signal(&eng->cond);
	pthread_mutex_unlock(&eng->lock);
}

/* Enters the kernel with what the ring has queued. Returns 0 if that
 * worked or will be retried when a completion comes in; when entering
 * fails with nothing in flight to bring that retry, the queued entries
 * are taken back and their I/O goes to the workers, and -1 is
 * returned. */
static int
ring_kick(struct bs_engine *eng)
{
	struct bs_io *io;
	int rc = bs_uring_submit(eng->ring, 0);

	if (rc == 0 || ((rc == -EAGAIN || rc == -EBUSY) &&
	    bs_uring_in_flight(eng->ring) > 0))
		return 0;
	while ((io = bs_uring_unprep(eng->ring)) != NULL) {
		eng->stats.queued_ios++;
		pool_push(eng, io);
	}
	return -1;
}

/* Puts io on the ring, or on the overflow list if the ring has no room
 * (the list keeps its order: nothing passes it). Does not enter the
 * kernel unless the submission queue is full. */
static void
ring_queue(struct bs_engine *eng, struct bs_io *io)
{
	int rc;

	if (eng->overflow.head != NULL) {
		queue_push(&eng->overflow, io);
		return;
	}
	rc = bs_uring_prep(eng->ring, io);
	if (rc == -ENOSPC) {
		ring_kick(eng);
		rc = bs_uring_prep(eng->ring, io);
	}
	if (rc != 0)
		queue_push(&eng->overflow, io);
}

/* Moves what it can from the overflow list to the ring and enters the
 * kernel. */
static void
ring_flush(struct bs_engine *eng)
{
	struct bs_io *io;
	int rc;

	do {
		while ((io = eng->overflow.head) != NULL) {
			rc = bs_uring_prep(eng->ring, io);
			if (rc == -ENOSPC) {
				ring_kick(eng);
				rc = bs_uring_prep(eng->ring, io);
			}
			if (rc != 0)
				break;
			queue_pop(&eng->overflow);
		}
		/* A failed kick emptied the submission queue into the
		 * workers: go on with the list. */
	} while (ring_kick(eng) < 0 && eng->overflow.head != NULL);
}

/* Reaps every ring completion: finished I/O is appended to done (NULL:
 * dropped, on shutdown), the rest of a short transfer and retries go back
 * to the ring, and what the kernel refused goes to the workers. */
static void
ring_reap(struct bs_engine *eng, struct bs_queue *done)
{
	enum bs_uring_verdict v;
	struct bs_io *io;

	while ((io = bs_uring_reap(eng->ring, &v)) != NULL) {
		switch (v) {
		case BS_URING_FINISHED:
			if (done != NULL)
				queue_push(done, io);
			break;
		case BS_URING_RESUBMIT:
			ring_queue(eng, io);
			break;
		case BS_URING_TO_POOL:
			eng->stats.queued_ios++;
			pool_push(eng, io);
			break;
		}
	}
}

/* Shutdown: runs the ring until nothing is queued or in flight, without
 * callbacks. What the ring hands to the workers is performed when they
 * stop. */
static void
ring_drain(struct bs_engine *eng)
{
	int rc;

	eng->completing = 1;
	for (;;) {
		ring_reap(eng, NULL);
		ring_flush(eng);
		if (bs_uring_in_flight(eng->ring) == 0 &&
		    bs_uring_queued(eng->ring) == 0 &&
		    eng->overflow.head == NULL)
			break;
		rc = bs_uring_submit(eng->ring, 1);
		/* Only a broken ring fails here; closing it then makes the
		 * kernel cancel what is left. */
		if (rc < 0 && rc != -EAGAIN && rc != -EBUSY)
			break;
	}
	eng->completing = 0;
}

void
bs_engine_free(struct bs_engine *eng)
{
	if (eng == NULL)
		return;
	if (eng->ring != NULL)
		ring_drain(eng);
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
	struct bs_queue done;
	struct bs_io *io, *next;
	uint64_t count;

	if (eng->nthreads == 0)
		return;
	/* Reset the eventfd before looking at the ring and the list, so
	 * that a completion arriving after we looked raises a fresh
	 * wakeup (the kernel signals it for every ring completion). */
	while (read(eng->efd, &count, sizeof(count)) < 0 && errno == EINTR)
		;
	/* Submissions from here on, from done() callbacks included, are
	 * queued and enter the kernel together at the end. */
	eng->completing = 1;
	queue_init(&done);
	if (eng->ring != NULL)
		ring_reap(eng, &done);
	pthread_mutex_lock(&eng->lock);
	if (eng->completed.head != NULL) {
		*done.tail = eng->completed.head;
		done.tail = eng->completed.tail;
	}
	queue_init(&eng->completed);
	pthread_mutex_unlock(&eng->lock);

	for (io = done.head; io != NULL; io = next) {
		next = io->next; /* done() may free or resubmit io */
		io->next = NULL;
		io->done(io);
	}
	eng->completing = 0;
	if (eng->ring != NULL)
		ring_flush(eng);
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
	io->ring_done = 0;
	io->ring_retries = 0;
	if (eng->nthreads == 0) {
		bs_file_execute(bs, io);
		io->done(io);
		return;
	}
	/* The fast path: no hand-over to a worker or the kernel, no
	 * eventfd wakeup and no context switch for what is a memory copy
	 * anyway. */
	if (inline_depth == 0 && io->len <= eng->inline_max &&
	    bs_file_try_inline(bs, io)) {
		eng->stats.inline_ios++;
		inline_depth++;
		io->done(io);
		inline_depth--;
		return;
	}
	if (eng->ring != NULL && bs_uring_carries(io)) {
		eng->stats.ring_ios++;
		ring_queue(eng, io);
		if (!eng->completing)
			ring_kick(eng);
		return;
	}
	eng->stats.queued_ios++;
	pool_push(eng, io);
}

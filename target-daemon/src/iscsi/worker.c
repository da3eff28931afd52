/* SPDX-License-Identifier: BSD-2-Clause */
/* The loops that serve connections: worker 0 is the main loop, workers
 * 1..n-1 are threads, each with its own epoll loop, backing-store engine
 * and housekeeping tick. A target belongs to one worker, chosen from its
 * name; its sessions live there, so nothing that crosses sessions needs a
 * lock. Connections come in on the main loop and are handed over when
 * their login names a target (login.c). The main loop parks the workers
 * to change the configuration or to look at every session. */
#include "iscsi/server.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bs/bs.h"
#include "iscsi/conn.h"
#include "limits_minisan.h"
#include "util/bufpool.h"
#include "util/log.h"
#include "util/xalloc.h"

void
iscsi_server_init(struct iscsi_server *srv, struct evloop *loop)
{
	struct iscsi_worker *w = &srv->main_worker;

	srv->loop = loop;
	w->srv = srv;
	w->index = 0;
	w->loop = loop;
	w->wake_fd = -1;
	pthread_mutex_init(&w->lock, NULL);
	srv->workers = xcalloc(1, sizeof(*srv->workers));
	srv->workers[0] = w;
	srv->nworkers = 1;
	pthread_mutex_init(&srv->sess_lock, NULL);
	pthread_mutex_init(&srv->park_lock, NULL);
	pthread_cond_init(&srv->park_cond, NULL);
}

unsigned
iscsi_worker_for_name(const char *name, unsigned n)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	if (n < 2)
		return 0;
	/* RFC7143 4.2.7.1: names compare case-insensitively */
	for (const char *p = name; *p != '\0'; p++) {
		h ^= (uint8_t)tolower((unsigned char)*p);
		h *= 0x100000001b3ull;
	}
	return (unsigned)(h % n);
}

unsigned
iscsi_default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > MINISAN_DEFAULT_WORKERS_MAX ? MINISAN_DEFAULT_WORKERS_MAX :
	    (unsigned)n;
}

static void
worker_wake(struct iscsi_worker *w)
{
	uint64_t one = 1;

	while (write(w->wake_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

void
iscsi_worker_hand_over(struct iscsi_worker *w, struct conn *c)
{
	pthread_mutex_lock(&w->lock);
	c->inbox_next = w->inbox;
	w->inbox = c;
	pthread_mutex_unlock(&w->lock);
	worker_wake(w);
}

/* Waits, in the worker's thread, while the main loop has the workers
 * parked. */
static void
worker_park(struct iscsi_worker *w)
{
	struct iscsi_server *srv = w->srv;

	pthread_mutex_lock(&srv->park_lock);
	if (srv->parking) {
		srv->parked++;
		pthread_cond_broadcast(&srv->park_cond);
		while (srv->parking)
			pthread_cond_wait(&srv->park_cond, &srv->park_lock);
		srv->parked--;
	}
	pthread_mutex_unlock(&srv->park_lock);
}

/* The eventfd: connections handed over, a stop, or a park. */
static void
worker_woken(struct evloop_watch *ww, uint32_t events)
{
	struct iscsi_worker *w = ww->arg;
	struct conn *in;
	uint64_t count;
	bool stop;

	(void)events;
	while (read(ww->fd, &count, sizeof(count)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&w->lock);
	in = w->inbox;
	w->inbox = NULL;
	stop = w->stop;
	pthread_mutex_unlock(&w->lock);
	while (in != NULL) {
		struct conn *c = in;

		in = c->inbox_next;
		c->inbox_next = NULL;
		conn_adopt(w, c);
	}
	worker_park(w);
	if (stop)
		evloop_stop(w->loop);
}

static void
worker_engine_ready(struct evloop_watch *ew, uint32_t events)
{
	(void)events;
	bs_engine_complete(ew->arg);
}

static void *
worker_main(void *arg)
{
	struct iscsi_worker *w = arg;
	int rc = evloop_run(w->loop);

	if (rc < 0)
		log_warnx("worker %u: event loop: %s", w->index, strerror(-rc));
	/* what its connections freed is cached in this thread */
	bufpool_trim();
	return NULL;
}

static void
worker_free(struct iscsi_worker *w)
{
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	evloop_free(w->loop);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* A worker with its loop set up, not yet running. */
static struct iscsi_worker *
worker_new(struct iscsi_server *srv, unsigned index, struct bs_engine *eng,
    char *err, size_t errlen)
{
	struct iscsi_worker *w = xcalloc(1, sizeof(*w));
	int rc;

	w->srv = srv;
	w->index = index;
	w->engine = eng;
	w->wake_fd = -1;
	pthread_mutex_init(&w->lock, NULL);
	w->loop = evloop_new();
	if (w->loop == NULL) {
		snprintf(err, errlen, "worker %u: epoll: %s", index,
		    strerror(errno));
		goto fail;
	}
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wake_fd < 0) {
		snprintf(err, errlen, "worker %u: eventfd: %s", index,
		    strerror(errno));
		goto fail;
	}
	w->wake_watch.fd = w->wake_fd;
	w->wake_watch.cb = worker_woken;
	w->wake_watch.arg = w;
	rc = evloop_add(w->loop, &w->wake_watch, EPOLLIN);
	if (rc == 0 && eng != NULL && bs_engine_fd(eng) >= 0) {
		w->engine_watch.fd = bs_engine_fd(eng);
		w->engine_watch.cb = worker_engine_ready;
		w->engine_watch.arg = eng;
		rc = evloop_add(w->loop, &w->engine_watch, EPOLLIN);
	}
	if (rc == 0)
		rc = evloop_set_tick(w->loop, MINISAN_TICK_MS, iscsi_worker_tick,
		    w);
	if (rc < 0) {
		snprintf(err, errlen, "worker %u: %s", index, strerror(-rc));
		goto fail;
	}
	return w;
fail:
	worker_free(w);
	return NULL;
}

int
iscsi_server_start_workers(struct iscsi_server *srv, unsigned n,
    struct bs_engine **engines, char *err, size_t errlen)
{
	struct iscsi_worker **all = xcalloc(n, sizeof(*all));
	sigset_t block, old;
	int rc = 0;

	srv->main_worker.engine = engines[0];
	all[0] = &srv->main_worker;
	for (unsigned i = 1; i < n; i++) {
		all[i] = worker_new(srv, i, engines[i], err, errlen);
		if (all[i] == NULL) {
			while (--i > 0)
				worker_free(all[i]);
			free(all);
			return -EIO;
		}
	}
	free(srv->workers);
	srv->workers = all;
	srv->nworkers = n;
	/* Workers take no signals: the main loop's signalfd gets them. */
	sigfillset(&block);
	pthread_sigmask(SIG_SETMASK, &block, &old);
	for (unsigned i = 1; i < n && rc == 0; i++) {
		rc = pthread_create(&all[i]->thread, NULL, worker_main, all[i]);
		all[i]->threaded = rc == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start a worker thread: %s",
		    strerror(rc));
		iscsi_server_stop_workers(srv);
		return -rc;
	}
	return 0;
}

void
iscsi_server_stop_workers(struct iscsi_server *srv)
{
	for (unsigned i = 1; i < srv->nworkers; i++) {
		struct iscsi_worker *w = srv->workers[i];

		if (w->threaded) {
			pthread_mutex_lock(&w->lock);
			w->stop = true;
			pthread_mutex_unlock(&w->lock);
			worker_wake(w);
			pthread_join(w->thread, NULL);
		}
		worker_free(w);
	}
	srv->nworkers = 1;
}

void
iscsi_server_fini(struct iscsi_server *srv)
{
	iscsi_server_stop_workers(srv);
	free(srv->workers);
	srv->workers = NULL;
	srv->nworkers = 0;
	pthread_mutex_destroy(&srv->main_worker.lock);
	pthread_mutex_destroy(&srv->sess_lock);
	pthread_mutex_destroy(&srv->park_lock);
	pthread_cond_destroy(&srv->park_cond);
}

void
iscsi_server_park(struct iscsi_server *srv)
{
	unsigned others = srv->nworkers - 1;

	if (others == 0)
		return;
	pthread_mutex_lock(&srv->park_lock);
	srv->parking = true;
	pthread_mutex_unlock(&srv->park_lock);
	for (unsigned i = 1; i < srv->nworkers; i++)
		worker_wake(srv->workers[i]);
	pthread_mutex_lock(&srv->park_lock);
	while (srv->parked < others)
		pthread_cond_wait(&srv->park_cond, &srv->park_lock);
	pthread_mutex_unlock(&srv->park_lock);
}

void
iscsi_server_unpark(struct iscsi_server *srv)
{
	if (srv->nworkers < 2)
		return;
	pthread_mutex_lock(&srv->park_lock);
	srv->parking = false;
	pthread_cond_broadcast(&srv->park_cond);
	pthread_mutex_unlock(&srv->park_lock);
}

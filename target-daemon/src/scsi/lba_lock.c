/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the logical block range lock of a LUN: a list of
 * shared and exclusive block ranges in arrival order, granted first come,
 * first served among the requests that overlap. */
#include "scsi/lba_lock.h"

#include <assert.h>
#include <stddef.h>

void
lba_lock_init(struct lba_lock_table *t)
{
	pthread_mutex_init(&t->mu, NULL);
	t->head = t->tail = NULL;
	t->nexcl = 0;
}

void
lba_lock_fini(struct lba_lock_table *t)
{
	assert(t->head == NULL && "lba_lock_fini: entries left in table");
	pthread_mutex_destroy(&t->mu);
}

static int
lba_lock_conflict(const struct lba_lock_entry *a,
    const struct lba_lock_entry *b)
{
	if (a->mode != LBA_LOCK_EXCL && b->mode != LBA_LOCK_EXCL)
		return 0;
	return a->first <= b->last && b->first <= a->last;
}

/* 1 if an entry before stop (NULL: the whole list) conflicts with e. */
static int
lba_lock_blocked(const struct lba_lock_table *t,
    const struct lba_lock_entry *e, const struct lba_lock_entry *stop)
{
	/* Shared requests conflict with exclusive entries only. */
	if (e->mode == LBA_LOCK_SHARED && t->nexcl == 0)
		return 0;
	for (const struct lba_lock_entry *x = t->head; x != stop; x = x->next)
		if (lba_lock_conflict(x, e))
			return 1;
	return 0;
}

int
lba_lock_acquire(struct lba_lock_table *t, struct lba_lock_entry *e,
    uint64_t lba, uint64_t n, enum lba_lock_mode mode,
    void (*resume)(void *arg), void *arg)
{
	int granted;

	assert(mode == LBA_LOCK_SHARED || mode == LBA_LOCK_EXCL);
	e->first = lba;
	/* Written so that lba + n - 1 cannot overflow. */
	e->last = n == 0 || n - 1 > UINT64_MAX - lba ? UINT64_MAX :
	    lba + n - 1;
	e->mode = mode;
	e->resume = resume;
	e->arg = arg;
	e->ready_next = NULL;

	pthread_mutex_lock(&t->mu);
	granted = e->granted = !lba_lock_blocked(t, e, NULL);
	e->next = NULL;
	e->prev = t->tail;
	if (t->tail != NULL)
		t->tail->next = e;
	else
		t->head = e;
	t->tail = e;
	if (mode == LBA_LOCK_EXCL)
		t->nexcl++;
	pthread_mutex_unlock(&t->mu);
	/* Not e->granted: once the mutex is free, a release in another
	 * thread may grant (and resume) a waiting e. */
	return granted;
}

/* Unlinks e (in the table) and collects, in grant order, the waiting
 * entries nothing holds up any longer. Returns them; called under mu. */
static struct lba_lock_entry *
lba_lock_remove(struct lba_lock_table *t, struct lba_lock_entry *e)
{
	struct lba_lock_entry *ready = NULL, **tailp = &ready, *x;
	int rescan;

	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		t->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		t->tail = e->prev;
	/* Only an exclusive entry can have held anything up, and only while
	 * exclusive entries are left can a waiter exist. */
	rescan = e->mode == LBA_LOCK_EXCL || t->nexcl > 0;
	if (e->mode == LBA_LOCK_EXCL)
		t->nexcl--;
	e->mode = LBA_LOCK_NONE;
	e->prev = e->next = NULL;
	if (rescan) {
		for (x = t->head; x != NULL; x = x->next) {
			if (x->granted || lba_lock_blocked(t, x, x))
				continue;
			x->granted = 1;
			x->ready_next = NULL;
			*tailp = x;
			tailp = &x->ready_next;
		}
	}
	return ready;
}

/* Resumes the entries lba_lock_remove() granted, outside the mutex. */
static void
lba_lock_resume(struct lba_lock_entry *ready)
{
	struct lba_lock_entry *x, *next;

	/* Outside the mutex: a resumed request may complete (and release)
	 * before this returns. Read the link first, since resuming x may end
	 * its owner; the later entries are not resumed yet, so theirs are
	 * still alive. */
	for (x = ready; x != NULL; x = next) {
		next = x->ready_next;
		x->resume(x->arg);
	}
}

void
lba_lock_release(struct lba_lock_table *t, struct lba_lock_entry *e)
{
	struct lba_lock_entry *ready;

	if (e->mode == LBA_LOCK_NONE)
		return;
	pthread_mutex_lock(&t->mu);
	ready = lba_lock_remove(t, e);
	pthread_mutex_unlock(&t->mu);
	lba_lock_resume(ready);
}

int
lba_lock_cancel(struct lba_lock_table *t, struct lba_lock_entry *e)
{
	struct lba_lock_entry *ready = NULL;
	int cancelled = 0;

	pthread_mutex_lock(&t->mu);
	if (e->mode != LBA_LOCK_NONE && !e->granted) {
		/* A waiting exclusive entry may have been holding up later
		 * shared ones. */
		ready = lba_lock_remove(t, e);
		cancelled = 1;
	}
	pthread_mutex_unlock(&t->mu);
	lba_lock_resume(ready);
	return cancelled;
}

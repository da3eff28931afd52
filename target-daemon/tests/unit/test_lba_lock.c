/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the LBA range lock: which requests wait for which, the
 * order waiters are granted in, ranges to the end of the medium and past
 * 2^64, cancelling a waiter, and a resume that releases at once (as a
 * command on a synchronous store does). */
#include "harness.h"

#include <stdio.h>

#include "scsi/lba_lock.h"

/* A request and the order it was granted in (0: not yet). */
struct req {
	struct lba_lock_entry e;
	struct lba_lock_table *t;
	int granted_at;
	int release_on_grant;
};

static int clock_;

static void
granted(void *arg)
{
	struct req *r = arg;

	r->granted_at = ++clock_;
	if (r->release_on_grant)
		lba_lock_release(r->t, &r->e);
}

/* release_on_grant: done as soon as granted, releasing from inside the
 * resume callback. */
static void
req_rel(struct lba_lock_table *t, struct req *r, uint64_t lba, uint64_t n,
    enum lba_lock_mode mode, int release_on_grant)
{
	r->t = t;
	r->granted_at = 0;
	r->release_on_grant = release_on_grant;
	if (lba_lock_acquire(t, &r->e, lba, n, mode, granted, r))
		granted(r);
}

static void
req(struct lba_lock_table *t, struct req *r, uint64_t lba, uint64_t n,
    enum lba_lock_mode mode)
{
	req_rel(t, r, lba, n, mode, 0);
}

TEST(shared_never_wait)
{
	struct lba_lock_table t;
	struct req a, b, c;

	clock_ = 0;
	lba_lock_init(&t);
	req(&t, &a, 0, 8, LBA_LOCK_SHARED);
	req(&t, &b, 4, 8, LBA_LOCK_SHARED);
	req(&t, &c, 0, 0, LBA_LOCK_SHARED);
	CHECK_EQ_INT(a.granted_at, 1);
	CHECK_EQ_INT(b.granted_at, 2);
	CHECK_EQ_INT(c.granted_at, 3);
	lba_lock_release(&t, &b.e);
	lba_lock_release(&t, &a.e);
	lba_lock_release(&t, &c.e);
	CHECK_EQ_INT(b.e.mode, LBA_LOCK_NONE);
	lba_lock_fini(&t);
}

TEST(exclusive_waits_for_overlap_only)
{
	struct lba_lock_table t;
	struct req s, x, y;

	clock_ = 0;
	lba_lock_init(&t);
	req(&t, &s, 10, 5, LBA_LOCK_SHARED);     /* blocks 10-14 */
	req(&t, &x, 14, 1, LBA_LOCK_EXCL);       /* overlaps at 14 */
	req(&t, &y, 15, 100, LBA_LOCK_EXCL);     /* touches, no overlap */
	CHECK_EQ_INT(s.granted_at, 1);
	CHECK_EQ_INT(x.granted_at, 0);
	CHECK_EQ_INT(y.granted_at, 2);
	lba_lock_release(&t, &s.e);
	CHECK_EQ_INT(x.granted_at, 3);
	lba_lock_release(&t, &x.e);
	lba_lock_release(&t, &y.e);
	lba_lock_fini(&t);
}

/* A shared request behind a waiting exclusive one waits too, even though
 * the entry that holds the exclusive one up is shared: no starvation. */
TEST(first_come_first_served)
{
	struct lba_lock_table t;
	struct req s1, x, s2, s3;

	clock_ = 0;
	lba_lock_init(&t);
	req(&t, &s1, 0, 4, LBA_LOCK_SHARED);
	req(&t, &x, 2, 4, LBA_LOCK_EXCL);
	req(&t, &s2, 5, 1, LBA_LOCK_SHARED);     /* overlaps x only */
	req(&t, &s3, 100, 1, LBA_LOCK_SHARED);   /* overlaps nothing */
	CHECK_EQ_INT(s1.granted_at, 1);
	CHECK_EQ_INT(x.granted_at, 0);
	CHECK_EQ_INT(s2.granted_at, 0);
	CHECK_EQ_INT(s3.granted_at, 2);
	lba_lock_release(&t, &s1.e);
	CHECK_EQ_INT(x.granted_at, 3);
	CHECK_EQ_INT(s2.granted_at, 0);
	lba_lock_release(&t, &x.e);
	CHECK_EQ_INT(s2.granted_at, 4);
	lba_lock_release(&t, &s2.e);
	lba_lock_release(&t, &s3.e);
	lba_lock_fini(&t);
}

/* One release grants every waiter it was the last obstacle of, in arrival
 * order; two exclusive waiters on the same range go one at a time. */
TEST(release_grants_in_order)
{
	struct lba_lock_table t;
	struct req x, a, b, c, d;

	clock_ = 0;
	lba_lock_init(&t);
	req(&t, &x, 0, 0, LBA_LOCK_EXCL);        /* the whole medium */
	req(&t, &a, 7, 1, LBA_LOCK_SHARED);
	req(&t, &b, 3, 1, LBA_LOCK_EXCL);
	req(&t, &c, 3, 2, LBA_LOCK_EXCL);
	req(&t, &d, 1000000, 1, LBA_LOCK_SHARED);
	CHECK_EQ_INT(x.granted_at, 1);
	CHECK_EQ_INT(a.granted_at + b.granted_at + c.granted_at +
	    d.granted_at, 0);
	lba_lock_release(&t, &x.e);
	CHECK_EQ_INT(a.granted_at, 2);
	CHECK_EQ_INT(b.granted_at, 3);
	CHECK_EQ_INT(c.granted_at, 0);
	CHECK_EQ_INT(d.granted_at, 4);
	lba_lock_release(&t, &b.e);
	CHECK_EQ_INT(c.granted_at, 5);
	lba_lock_release(&t, &a.e);
	lba_lock_release(&t, &c.e);
	lba_lock_release(&t, &d.e);
	lba_lock_fini(&t);
}

/* n == 0 runs to the last block; a range past 2^64 - 1 is cut there. */
TEST(open_and_huge_ranges)
{
	struct lba_lock_table t;
	struct req tail, far, wrap, low;

	clock_ = 0;
	lba_lock_init(&t);
	req(&t, &tail, 50, 0, LBA_LOCK_EXCL);
	CHECK(tail.e.first == 50 && tail.e.last == UINT64_MAX);
	req(&t, &far, UINT64_MAX - 1, 10, LBA_LOCK_SHARED);
	CHECK(far.e.first == UINT64_MAX - 1 && far.e.last == UINT64_MAX);
	req(&t, &low, 0, 50, LBA_LOCK_SHARED);
	CHECK_EQ_INT(far.granted_at, 0);
	CHECK_EQ_INT(low.granted_at, 2);
	lba_lock_release(&t, &tail.e);
	CHECK_EQ_INT(far.granted_at, 3);
	req(&t, &wrap, UINT64_MAX, 1, LBA_LOCK_EXCL);
	CHECK_EQ_INT(wrap.granted_at, 0);
	lba_lock_release(&t, &far.e);
	CHECK_EQ_INT(wrap.granted_at, 4);
	lba_lock_release(&t, &wrap.e);
	lba_lock_release(&t, &low.e);
	lba_lock_fini(&t);
}

/* Cancelling a waiter removes it without resuming it, and lets through
 * what it alone held up; a granted entry cannot be cancelled. */
TEST(cancel_waiter)
{
	struct lba_lock_table t;
	struct req s, x, s2;

	clock_ = 0;
	lba_lock_init(&t);
	req(&t, &s, 0, 8, LBA_LOCK_SHARED);
	req(&t, &x, 0, 8, LBA_LOCK_EXCL);
	req(&t, &s2, 4, 1, LBA_LOCK_SHARED);
	CHECK_EQ_INT(s2.granted_at, 0);
	CHECK_EQ_INT(lba_lock_cancel(&t, &s.e), 0);
	CHECK_EQ_INT(lba_lock_cancel(&t, &x.e), 1);
	CHECK_EQ_INT(x.e.mode, LBA_LOCK_NONE);
	CHECK_EQ_INT(x.granted_at, 0);
	CHECK_EQ_INT(s2.granted_at, 2);
	/* not in the table any more: neither call does anything */
	CHECK_EQ_INT(lba_lock_cancel(&t, &x.e), 0);
	lba_lock_release(&t, &x.e);
	lba_lock_release(&t, &s.e);
	lba_lock_release(&t, &s2.e);
	CHECK_EQ_INT(x.granted_at, 0);
	lba_lock_fini(&t);
}

/* A request that is done as soon as it is granted releases from inside
 * its resume: the rest of the batch is still granted, once each. */
TEST(release_from_resume)
{
	struct lba_lock_table t;
	struct req x, a, b, c;

	clock_ = 0;
	lba_lock_init(&t);
	req(&t, &x, 0, 16, LBA_LOCK_EXCL);
	req_rel(&t, &a, 0, 4, LBA_LOCK_EXCL, 1);
	req_rel(&t, &b, 8, 4, LBA_LOCK_EXCL, 1);
	req(&t, &c, 0, 16, LBA_LOCK_EXCL);
	lba_lock_release(&t, &x.e);
	CHECK_EQ_INT(a.granted_at, 2);
	CHECK_EQ_INT(b.granted_at, 3);
	CHECK_EQ_INT(c.granted_at, 4);
	CHECK_EQ_INT(clock_, 4);
	lba_lock_release(&t, &c.e);
	CHECK(t.head == NULL && t.tail == NULL && t.nexcl == 0);
	lba_lock_fini(&t);
}

static const struct test tests[] = {
	T(shared_never_wait),
	T(exclusive_waits_for_overlap_only),
	T(first_come_first_served),
	T(release_grants_in_order),
	T(open_and_huge_ranges),
	T(cancel_waiter),
	T(release_from_resume),
};

int
main(int argc, char **argv)
{
	return HARNESS_RUN(tests);
}

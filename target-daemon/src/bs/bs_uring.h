/* SPDX-License-Identifier: BSD-2-Clause */
/* Private to bs/: an io_uring driven through raw system calls (no liburing:
 * minisand is linked statically against musl), carrying the reads, writes
 * and flushes of bs_io requests. The engine (bs.c) decides what goes here;
 * this module fills submission entries, enters the kernel and turns
 * completion entries back into finished requests. Not thread-safe: one
 * thread (the engine's event loop) calls everything. Nothing outside bs/
 * includes this. */
#ifndef MINISAN_BS_BS_URING_H
#define MINISAN_BS_BS_URING_H

#include <stddef.h>

#include "bs/bs.h"

struct bs_uring;

/* What became of a request whose completion entry was reaped. */
enum bs_uring_verdict {
	BS_URING_FINISHED, /* io->result is final: call done() */
	/* More to do on the ring: the rest of a short transfer, or a
	 * retry after EAGAIN/EINTR (io->ring_done and io->ring_retries
	 * say where it stands) */
	BS_URING_RESUBMIT,
	/* The kernel refused what the ring asked (an opcode or flag it
	 * does not take here, or too many retries): perform the whole
	 * request again on a worker thread, which knows the fallbacks */
	BS_URING_TO_POOL,
};

/* Sets up a ring of entries submission entries (a power of two), checks
 * with IORING_REGISTER_PROBE that the kernel supports the opcodes we use,
 * and registers efd so that every completion makes it readable. Returns 0,
 * or -errno with err saying what the kernel refused (ENOSYS: no io_uring;
 * EPERM: the io_uring_disabled sysctl or a seccomp filter; ...). */
int bs_uring_new(unsigned entries, int efd, struct bs_uring **out, char *err,
    size_t errlen);
/* Unmaps and closes. Nothing may be in flight. NULL ok. */
void bs_uring_free(struct bs_uring *r);
/* 1 if the ring can carry io (a read, write or flush within off_t range);
 * the rest goes to the engine's workers. */
int bs_uring_carries(const struct bs_io *io);
/* Fills a submission entry for io (from io->ring_done on), not yet handed
 * to the kernel. Returns 0; -ENOSPC if the submission queue is full (enter
 * the kernel with bs_uring_submit(), then try again); -EBUSY if as many
 * requests are in flight as the completion queue holds, so that it can
 * never overflow (wait for completions). */
int bs_uring_prep(struct bs_uring *r, struct bs_io *io);
/* Hands the prepared entries to the kernel (io_uring_enter). With wait,
 * also blocks until at least one completion is there (shutdown only).
 * Never blocks otherwise: the kernel runs what could wait for a disk on
 * its own workers. Returns 0 or -errno (EAGAIN, EBUSY: try again once a
 * completion has been reaped; entries not taken stay queued). */
int bs_uring_submit(struct bs_uring *r, int wait);
/* Takes back the most recently prepared entry the kernel has not taken
 * yet and returns its io, or NULL if there is none (for when entering the
 * kernel fails and nothing in flight would bring a retry). */
struct bs_io *bs_uring_unprep(struct bs_uring *r);
/* Reaps one completion entry: returns its io with *verdict set, or NULL
 * if the completion queue is empty. */
struct bs_io *bs_uring_reap(struct bs_uring *r,
    enum bs_uring_verdict *verdict);
/* The verdict for one completion of io, res being the kernel's result for
 * the part of io that entry carried: advances io->ring_done, counts
 * io->ring_retries, and sets io->result when finished. Pure apart from
 * the size query at the end of a file (bs_uring_reap() applies it). */
enum bs_uring_verdict bs_uring_judge(struct bs_io *io, int res);
/* Requests handed to the kernel and not reaped yet. */
unsigned bs_uring_in_flight(const struct bs_uring *r);
/* Entries prepared and not yet handed to the kernel. */
unsigned bs_uring_queued(const struct bs_uring *r);

#endif

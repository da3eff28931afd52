/* SPDX-License-Identifier: BSD-2-Clause */
/* Backing stores: files and block devices behind an asynchronous submit/
 * complete interface. Knows nothing about SCSI. I/O that cannot wait for a
 * disk (a store in RAM, a read the page cache holds) runs in the submitting
 * thread and completes before bs_submit() returns; the rest goes where no
 * network event loop ever blocks on a disk: reads, writes and flushes to
 * an io_uring where the kernel offers one (engine kind io_uring), and
 * everything else (or everything, kind threads) to a small pool of worker
 * threads. Both report completions through one eventfd that the loop
 * polls, and the done callbacks run in the loop's thread inside
 * bs_engine_complete(). */
#ifndef MINISAN_BS_BS_H
#define MINISAN_BS_BS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bs_engine;
struct bs;

enum bs_op {
	BS_OP_READ,
	BS_OP_WRITE,
	BS_OP_FLUSH, /* make all completed writes durable (fdatasync) */
	/* Deallocate [offset, offset + len): a regular file gets a hole
	 * punched (reads as zeros); a block device gets BLKDISCARD (reads
	 * back as whatever the device says, see bs_discard_caps). Only when
	 * bs_discard_caps() says supported. result: len or -errno. */
	BS_OP_DISCARD,
	/* Allocation map of [offset, offset + len) in units of io->unit
	 * bytes (a power of two dividing offset and len): a unit is mapped
	 * if any byte of it is allocated. Fills io->buf, an array of
	 * io->nmax struct bs_extent, with consecutive extents of
	 * alternating state from offset on; result: how many (>= 1), or
	 * -errno. A block device reports everything mapped. */
	BS_OP_MAP_STATUS,
};

/* One extent of a BS_OP_MAP_STATUS answer (bytes). */
struct bs_extent {
	uint64_t offset;
	uint64_t len;
	int mapped; /* 1: allocated; 0: a hole */
};

/* What BS_OP_DISCARD does on a store, found out by bs_open(). */
struct bs_discard_caps {
	int supported;        /* BS_OP_DISCARD works */
	int zeroes;           /* discarded ranges read back as zeros */
	uint32_t granularity; /* bytes (power of two): only whole, aligned
			       * units of this size are deallocated */
};

/* One I/O request. Owned by the submitter (typically embedded in a SCSI
 * task); it must stay valid until done() has been called. */
struct bs_io {
	enum bs_op op;
	int fua;         /* write: durable before completion (RWF_DSYNC) */
	uint64_t offset; /* bytes */
	void *buf;
	size_t len;
	ssize_t result; /* on completion: bytes transferred or -errno */
	uint32_t unit;  /* BS_OP_MAP_STATUS: granularity in bytes */
	uint32_t nmax;  /* BS_OP_MAP_STATUS: room in buf, in extents */
	void (*done)(struct bs_io *io);
	void *arg;
	/* private to the engine */
	struct bs *bs;
	struct bs_io *next;
	size_t ring_done;      /* bytes the io_uring has moved so far */
	unsigned ring_retries; /* EAGAIN/EINTR completions so far */
};

/* How the I/O of an engine was performed (for tests and diagnostics). */
struct bs_engine_stats {
	uint64_t inline_ios; /* in the submitting thread */
	/* handed to a worker, including I/O the ring handed back (an
	 * opcode or flag the kernel refused for that file) */
	uint64_t queued_ios;
	uint64_t ring_ios;   /* submitted to the io_uring */
};

/* How an engine performs the I/O it does not run inline. */
enum bs_engine_kind {
	BS_ENGINE_AUTO,    /* io_uring if the kernel has it, else threads */
	BS_ENGINE_URING,   /* io_uring for reads, writes and flushes; a
			    * few workers (MINISAN_BS_URING_POOL_THREADS)
			    * for discard and allocation maps */
	BS_ENGINE_THREADS, /* worker threads for everything */
	BS_ENGINE_SYNC,    /* no asynchrony: nthreads == 0 */
};

/* Creates an engine of the given kind with up to nthreads workers.
 * nthreads == 0 makes a synchronous engine: bs_submit() performs the I/O
 * and calls done() before returning (unit tests, fuzzing, minisand -t);
 * kind must then be AUTO or THREADS. BS_ENGINE_URING fails when the kernel
 * refuses io_uring (err says why); BS_ENGINE_AUTO then takes threads and
 * keeps the reason (bs_engine_uring_refusal). Returns NULL with err
 * filled. */
struct bs_engine *bs_engine_new_kind(enum bs_engine_kind kind, int nthreads,
    char *err, size_t errlen);
/* bs_engine_new_kind(BS_ENGINE_AUTO, nthreads, ...). */
struct bs_engine *bs_engine_new(int nthreads, char *err, size_t errlen);
/* The kind in use: URING, THREADS or SYNC, never AUTO. */
enum bs_engine_kind bs_engine_kind(const struct bs_engine *eng);
/* "auto", "io_uring", "threads" or "synchronous" (static strings). */
const char *bs_engine_kind_name(enum bs_engine_kind kind);
/* Why an AUTO engine did not take io_uring ("io_uring_setup: Operation
 * not permitted (...)"), or "" if it did or was not asked to. Borrowed,
 * valid until bs_engine_free(). */
const char *bs_engine_uring_refusal(const struct bs_engine *eng);
/* Waits for in-flight I/O, on the ring and the workers, and performs what
 * is still queued (its callbacks are dropped), then frees. NULL ok. */
void bs_engine_free(struct bs_engine *eng);
/* File descriptor that becomes readable when completions are pending, or -1
 * for a synchronous engine. */
int bs_engine_fd(const struct bs_engine *eng);
/* Runs the done() callbacks of all finished I/O in the caller's thread. */
void bs_engine_complete(struct bs_engine *eng);
/* Largest I/O an asynchronous engine may perform inline (default
 * MINISAN_BS_INLINE_MAX; 0 sends everything to the ring or the
 * workers). */
void bs_engine_set_inline_max(struct bs_engine *eng, size_t max);
/* Counts of inline, queued and ring I/O since the engine was created. */
void bs_engine_get_stats(const struct bs_engine *eng,
    struct bs_engine_stats *st);

/* Opens a regular file or block device. Returns 0 or -errno, with a message
 * naming the path in err. */
int bs_open(struct bs_engine *eng, const char *path, int readonly,
    struct bs **out, char *err, size_t errlen);
/* Closes the store; all its I/O must have completed. NULL ok. */
void bs_close(struct bs *bs);
/* Current size in bytes (re-read from the file/device each call). */
uint64_t bs_size(struct bs *bs);
/* Logical block size of a block device, or 0 for a regular file. */
uint32_t bs_device_block_size(const struct bs *bs);
int bs_is_readonly(const struct bs *bs);
/* Fills caps with what BS_OP_DISCARD does on bs. A read-only store, a file
 * system without hole punching and a device without discard support have
 * supported == 0. */
void bs_discard_caps(const struct bs *bs, struct bs_discard_caps *caps);
const char *bs_path(const struct bs *bs);
/* Makes completed writes durable now, in the caller's thread (shutdown).
 * Returns 0 or -errno. */
int bs_flush_now(struct bs *bs);
/* Queues io on bs; io->done(io) is called later from bs_engine_complete(),
 * or before returning for a synchronous engine and for I/O performed
 * inline (never from inside another inline done()). Never blocks on a
 * disk, and never refuses: what the ring has no room for waits on the
 * engine's overflow list. Called only from the thread that runs
 * bs_engine_complete() (the engine's event loop), including from done()
 * callbacks: the ring has no lock. */
void bs_submit(struct bs *bs, struct bs_io *io);

#endif

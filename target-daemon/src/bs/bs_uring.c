/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the engine's io_uring path with raw system calls:
 * ring setup and opcode probing, the mmap'ed submission and completion
 * queues with their acquire/release protocol, and the reading of a
 * completion back into a bs_io result with the same meaning as the
 * workers' pread/pwrite/fdatasync loops (bs_file.c). */
#include "bs/bs_uring.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* From Debian's linux-libc-dev; musl-gcc finds it through the Makefile's
 * kernel-header directory. It also brings RWF_DSYNC (<linux/fs.h>). */
#include <linux/io_uring.h>

#include "bs/bs_impl.h"
#include "limits_minisan.h"
#include "util/xalloc.h"

/* Opcodes the ring is used for; a kernel lacking one gets no ring. */
static const unsigned needed_ops[] = {
	IORING_OP_READ,  /* Linux 5.6 */
	IORING_OP_WRITE, /* Linux 5.6 */
	IORING_OP_FSYNC, /* Linux 5.1 */
};

/* Owned by its engine; freed by bs_uring_free(). The k* pointers point
 * into memory shared with the kernel: the kernel writes ksq_head and
 * kcq_tail, we write ksq_tail and kcq_head. */
struct bs_uring {
	int fd;
	void *sq_map, *cq_map; /* cq_map == sq_map with one mapping */
	size_t sq_map_len, cq_map_len;
	struct io_uring_sqe *sqes;
	size_t sqes_len;
	unsigned *ksq_head, *ksq_tail, *ksq_array;
	unsigned *kcq_head, *kcq_tail;
	struct io_uring_cqe *cqes;
	unsigned sq_entries, sq_mask;
	unsigned cq_entries, cq_mask;
	/* Our view. Invariants: queued + in_flight <= cq_entries, so the
	 * completion queue never overflows (each entry gives exactly one
	 * completion); queued <= sq_entries. */
	unsigned sq_tail;    /* next entry to fill */
	unsigned queued;     /* filled, not yet taken by the kernel */
	unsigned in_flight;  /* taken by the kernel, completion not reaped */
};

static int
sys_io_uring_setup(unsigned entries, struct io_uring_params *p)
{
	return (int)syscall(SYS_io_uring_setup, entries, p);
}

static int
sys_io_uring_enter(int fd, unsigned to_submit, unsigned min_complete,
    unsigned flags)
{
	return (int)syscall(SYS_io_uring_enter, fd, to_submit, min_complete,
	    flags, NULL, (size_t)0);
}

static int
sys_io_uring_register(int fd, unsigned opcode, void *arg, unsigned nr_args)
{
	return (int)syscall(SYS_io_uring_register, fd, opcode, arg, nr_args);
}

/* The hint an operator needs most when the kernel says no. */
static const char *
refusal_hint(int err)
{
	switch (err) {
	case ENOSYS:
		return " (kernel without io_uring)";
	case EPERM:
		return " (kernel.io_uring_disabled sysctl, or a seccomp "
		    "filter)";
	case ENOMEM:
		return " (RLIMIT_MEMLOCK too small for the rings on this "
		    "kernel)";
	default:
		return "";
	}
}

/* 0 if every opcode in needed_ops is supported, else -EOPNOTSUPP with
 * err naming the first one missing; -errno if the probe itself fails
 * (EINVAL: a kernel before 5.6, which has neither the probe nor
 * IORING_OP_READ). */
static int
probe_ops(int fd, char *err, size_t errlen)
{
	const unsigned nops = 256; /* opcodes are a byte in the SQE */
	struct io_uring_probe *probe;
	int rc = 0;

	probe = xcalloc(1, sizeof(*probe) +
	    nops * sizeof(struct io_uring_probe_op));
	if (sys_io_uring_register(fd, IORING_REGISTER_PROBE, probe,
	    nops) < 0) {
		rc = -errno;
		snprintf(err, errlen, "IORING_REGISTER_PROBE: %s",
		    strerror(-rc));
		goto out;
	}
	for (size_t i = 0; i < sizeof(needed_ops) / sizeof(needed_ops[0]);
	    i++) {
		unsigned op = needed_ops[i];

		if (op > probe->last_op ||
		    !(probe->ops[op].flags & IO_URING_OP_SUPPORTED)) {
			snprintf(err, errlen, "opcode %u not supported", op);
			rc = -EOPNOTSUPP;
			goto out;
		}
	}
out:
	free(probe);
	return rc;
}

/* Maps the rings described by p (from io_uring_setup) into r. Returns 0
 * or -errno. */
static int
map_rings(struct bs_uring *r, const struct io_uring_params *p)
{
	const int prot = PROT_READ | PROT_WRITE;
	const int flags = MAP_SHARED | MAP_POPULATE;
	char *sq, *cq;

	r->sq_map_len = p->sq_off.array + p->sq_entries * sizeof(unsigned);
	r->cq_map_len = p->cq_off.cqes +
	    p->cq_entries * sizeof(struct io_uring_cqe);
	/* Linux 5.4+: one mapping holds both rings. */
	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_map_len > r->sq_map_len)
			r->sq_map_len = r->cq_map_len;
		r->cq_map_len = r->sq_map_len;
	}
	r->sq_map = mmap(NULL, r->sq_map_len, prot, flags, r->fd,
	    IORING_OFF_SQ_RING);
	if (r->sq_map == MAP_FAILED) {
		r->sq_map = NULL;
		return -errno;
	}
	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		r->cq_map = r->sq_map;
	} else {
		r->cq_map = mmap(NULL, r->cq_map_len, prot, flags, r->fd,
		    IORING_OFF_CQ_RING);
		if (r->cq_map == MAP_FAILED) {
			r->cq_map = NULL;
			return -errno;
		}
	}
	r->sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = mmap(NULL, r->sqes_len, prot, flags, r->fd,
	    IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED) {
		r->sqes = NULL;
		return -errno;
	}

	sq = r->sq_map;
	cq = r->cq_map;
	r->ksq_head = (unsigned *)(void *)(sq + p->sq_off.head);
	r->ksq_tail = (unsigned *)(void *)(sq + p->sq_off.tail);
	r->ksq_array = (unsigned *)(void *)(sq + p->sq_off.array);
	r->sq_mask = *(unsigned *)(void *)(sq + p->sq_off.ring_mask);
	r->sq_entries = p->sq_entries;
	r->kcq_head = (unsigned *)(void *)(cq + p->cq_off.head);
	r->kcq_tail = (unsigned *)(void *)(cq + p->cq_off.tail);
	r->cq_mask = *(unsigned *)(void *)(cq + p->cq_off.ring_mask);
	r->cq_entries = p->cq_entries;
	r->cqes = (struct io_uring_cqe *)(void *)(cq + p->cq_off.cqes);
	/* Submission slot i always names entry i: we fill entries in ring
	 * order, so the indirection array never changes. */
	for (unsigned i = 0; i < r->sq_entries; i++)
		r->ksq_array[i] = i;
	r->sq_tail = *r->ksq_tail;
	return 0;
}

int
bs_uring_new(unsigned entries, int efd, struct bs_uring **out, char *err,
    size_t errlen)
{
	struct io_uring_params p;
	struct bs_uring *r;
	char why[96];
	int rc;

	*out = NULL;
	r = xcalloc(1, sizeof(*r));
	r->fd = -1;
	/* No SQPOLL (a kernel thread spinning for us) and no IOPOLL (for
	 * O_DIRECT only): plain interrupt-driven completions, announced
	 * through the eventfd registered below. */
	memset(&p, 0, sizeof(p));
	r->fd = sys_io_uring_setup(entries, &p);
	if (r->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "io_uring_setup: %s%s", strerror(-rc),
		    refusal_hint(-rc));
		goto fail;
	}
	if ((rc = probe_ops(r->fd, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "%s", why);
		goto fail;
	}
	/* The capacity argument of bs_uring_prep() needs a completion queue
	 * larger than the submission queue (the kernel makes it twice as
	 * large). */
	if (p.cq_entries <= p.sq_entries) {
		snprintf(err, errlen, "io_uring: completion queue of %u "
		    "entries for %u submission entries", p.cq_entries,
		    p.sq_entries);
		rc = -EINVAL;
		goto fail;
	}
	if ((rc = map_rings(r, &p)) < 0) {
		snprintf(err, errlen, "io_uring mmap: %s", strerror(-rc));
		goto fail;
	}
	if (sys_io_uring_register(r->fd, IORING_REGISTER_EVENTFD, &efd,
	    1) < 0) {
		rc = -errno;
		snprintf(err, errlen, "IORING_REGISTER_EVENTFD: %s",
		    strerror(-rc));
		goto fail;
	}
	*out = r;
	return 0;

fail:
	bs_uring_free(r);
	return rc;
}

void
bs_uring_free(struct bs_uring *r)
{
	if (r == NULL)
		return;
	if (r->sqes != NULL)
		munmap(r->sqes, r->sqes_len);
	if (r->cq_map != NULL && r->cq_map != r->sq_map)
		munmap(r->cq_map, r->cq_map_len);
	if (r->sq_map != NULL)
		munmap(r->sq_map, r->sq_map_len);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(r);
}

int
bs_uring_carries(const struct bs_io *io)
{
	switch (io->op) {
	case BS_OP_READ:
	case BS_OP_WRITE:
	case BS_OP_FLUSH:
		return bs_file_in_range(io);
	default:
		return 0;
	}
}

int
bs_uring_prep(struct bs_uring *r, struct bs_io *io)
{
	struct io_uring_sqe *sqe;
	size_t len;

	if (r->queued + r->in_flight >= r->cq_entries)
		return -EBUSY;
	if (r->queued == r->sq_entries)
		return -ENOSPC;
	sqe = &r->sqes[r->sq_tail & r->sq_mask];
	memset(sqe, 0, sizeof(*sqe));
	sqe->fd = io->bs->fd;
	sqe->user_data = (uint64_t)(uintptr_t)io;
	switch (io->op) {
	case BS_OP_FLUSH:
		sqe->opcode = IORING_OP_FSYNC;
		sqe->fsync_flags = IORING_FSYNC_DATASYNC;
		break;
	case BS_OP_READ:
	case BS_OP_WRITE:
		/* One entry moves at most MINISAN_BS_URING_MAX_XFER (its
		 * length is 32 bits); the rest follows as for a short
		 * transfer. */
		len = io->len - io->ring_done;
		if (len > MINISAN_BS_URING_MAX_XFER)
			len = MINISAN_BS_URING_MAX_XFER;
		sqe->opcode = io->op == BS_OP_READ ? IORING_OP_READ :
		    IORING_OP_WRITE;
		sqe->addr = (uint64_t)(uintptr_t)((char *)io->buf +
		    io->ring_done);
		sqe->len = (uint32_t)len;
		sqe->off = io->offset + io->ring_done;
		/* FUA: durable before the completion, as the workers'
		 * pwritev2(RWF_DSYNC) */
		if (io->op == BS_OP_WRITE && io->fua)
			sqe->rw_flags = RWF_DSYNC;
		break;
	default:
		return -EINVAL; /* bs_uring_carries() said no */
	}
	r->sq_tail++;
	r->queued++;
	/* Release: the entry's contents are visible to the kernel before
	 * the tail that hands it over. */
	__atomic_store_n(r->ksq_tail, r->sq_tail, __ATOMIC_RELEASE);
	return 0;
}

struct bs_io *
bs_uring_unprep(struct bs_uring *r)
{
	struct io_uring_sqe *sqe;

	/* Without SQPOLL the kernel reads the tail only inside
	 * io_uring_enter(), so entries it has not taken may be withdrawn. */
	if (r->queued == 0)
		return NULL;
	r->sq_tail--;
	r->queued--;
	__atomic_store_n(r->ksq_tail, r->sq_tail, __ATOMIC_RELEASE);
	sqe = &r->sqes[r->sq_tail & r->sq_mask];
	return (struct bs_io *)(uintptr_t)sqe->user_data;
}

int
bs_uring_submit(struct bs_uring *r, int wait)
{
	unsigned flags = wait ? IORING_ENTER_GETEVENTS : 0;
	int n;

	if (r->queued == 0 && !wait)
		return 0;
	for (;;) {
		n = sys_io_uring_enter(r->fd, r->queued, wait ? 1 : 0, flags);
		if (n >= 0)
			break;
		if (errno != EINTR)
			return -errno;
	}
	/* An entry the kernel could not even start still counts: it
	 * produces a completion carrying the error. If it stopped early
	 * there, the rest stays queued for the next call. */
	if ((unsigned)n > r->queued)
		n = (int)r->queued;
	r->queued -= (unsigned)n;
	r->in_flight += (unsigned)n;
	return 0;
}

/* Mirrors file_read(), file_write() and fdatasync() in bs_file.c so that
 * io->result means the same on both paths. */
enum bs_uring_verdict
bs_uring_judge(struct bs_io *io, int res)
{
	if (res == -EAGAIN || res == -EINTR) {
		/* The workers' loops retry EINTR, and EAGAIN on a blocking
		 * file means "try again"; a bounded number of times here,
		 * then a worker does it. */
		if (++io->ring_retries > MINISAN_BS_URING_RETRIES)
			return BS_URING_TO_POOL;
		return BS_URING_RESUBMIT;
	}
	if (res == -EOPNOTSUPP || res == -EINVAL) {
		/* E.g. RWF_DSYNC on a file system without it: the worker
		 * falls back to pwrite + fdatasync, and reports a genuine
		 * EINVAL itself. */
		return BS_URING_TO_POOL;
	}
	if (res < 0) {
		io->result = res;
		return BS_URING_FINISHED;
	}
	if (io->op == BS_OP_FLUSH) {
		io->result = 0;
		return BS_URING_FINISHED;
	}
	io->ring_done += (size_t)res;
	if (io->ring_done >= io->len) {
		io->result = (ssize_t)io->ring_done;
		return BS_URING_FINISHED;
	}
	if (res > 0)
		return BS_URING_RESUBMIT; /* short: the rest from here */
	/* Nothing moved: end of file for a read, a device that takes no
	 * more for a write (the workers report both the same way). */
	if (io->op == BS_OP_READ)
		io->result = bs_file_read_end(io->bs, io, io->ring_done);
	else
		io->result = -EIO;
	return BS_URING_FINISHED;
}

struct bs_io *
bs_uring_reap(struct bs_uring *r, enum bs_uring_verdict *verdict)
{
	unsigned head = *r->kcq_head, tail;
	struct io_uring_cqe *cqe;
	struct bs_io *io;
	int res;

	/* Acquire: the entry's contents are read after the tail that
	 * published it. */
	tail = __atomic_load_n(r->kcq_tail, __ATOMIC_ACQUIRE);
	if (head == tail)
		return NULL;
	cqe = &r->cqes[head & r->cq_mask];
	io = (struct bs_io *)(uintptr_t)cqe->user_data;
	res = cqe->res;
	/* Release: the kernel reuses the slot only after we are done with
	 * it. */
	__atomic_store_n(r->kcq_head, head + 1, __ATOMIC_RELEASE);
	r->in_flight--;
	*verdict = bs_uring_judge(io, res);
	return io;
}

unsigned
bs_uring_in_flight(const struct bs_uring *r)
{
	return r->in_flight;
}

unsigned
bs_uring_queued(const struct bs_uring *r)
{
	return r->queued;
}

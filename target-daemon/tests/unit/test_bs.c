/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the backing-store engine and the file store: synchronous
 * engines, and the asynchronous ones of both kinds (worker threads and
 * io_uring, each engine test run once per kind), data round trips checked
 * against the file itself, FUA, flush, short reads, errors, many requests
 * in flight, shutdown with I/O in flight, size, read-only stores and
 * refused paths. Scratch files live in /dev/shm (tmpfs) and, for the I/O
 * that must not take the inline path, in a directory under /var/tmp; all
 * are removed at exit. io_uring cases are skipped, with a note, only when
 * the kernel refuses io_uring_setup itself.
 * Set MINISAN_TEST_BLKDEV=/dev/xxx to also check a block device (opened
 * read-only; nothing is written), and MINISAN_TEST_BLKDEV_SCRATCH=/dev/xxx
 * to check discard on one whose contents may be destroyed (a loop
 * device). Hole punching and allocation maps are checked on tmpfs. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bs/bs.h"
#include "bs/bs_uring.h" /* bs_uring_judge(), private to bs/ otherwise */
#include "limits_minisan.h"

#define SCRATCH_MAX 64
#define TMPFS_MAGIC_NUMBER 0x01021994

static char scratch[SCRATCH_MAX][80];
static int nscratch;

static void
scratch_cleanup(void)
{
	/* newest first: a directory after the files in it */
	for (int i = nscratch - 1; i >= 0; i--)
		if (unlink(scratch[i]) < 0 && (errno == EISDIR ||
		    errno == EPERM))
			rmdir(scratch[i]);
}

/* Returns a fresh unique path under /dev/shm, removed at exit. */
static const char *
scratch_path(void)
{
	static int registered;
	char *p;

	if (!registered) {
		atexit(scratch_cleanup);
		registered = 1;
	}
	REQUIRE(nscratch < SCRATCH_MAX);
	p = scratch[nscratch++];
	snprintf(p, sizeof(scratch[0]), "/dev/shm/minisan-test-bs.%ld.%d",
	    (long)getpid(), nscratch);
	unlink(p);
	return p;
}

/* Creates a scratch file of size bytes, every byte equal to fill. */
static const char *
scratch_file(size_t size, int fill)
{
	const char *path = scratch_path();
	unsigned char *buf = malloc(size ? size : 1);
	int fd;

	REQUIRE(buf != NULL);
	memset(buf, fill, size);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, buf, size) == (ssize_t)size);
	close(fd);
	free(buf);
	return path;
}

/* A directory under /var/tmp (a disk file system on the machines we test
 * on, unlike /dev/shm), made once and removed at exit. */
static const char *
disk_dir(void)
{
	static char dir[64];

	if (dir[0] == '\0') {
		REQUIRE(nscratch < SCRATCH_MAX);
		snprintf(dir, sizeof(dir), "/var/tmp/minisan-test-bs.XXXXXX");
		REQUIRE(mkdtemp(dir) != NULL);
		snprintf(scratch[nscratch++], sizeof(scratch[0]), "%s", dir);
	}
	return dir;
}

/* Like scratch_file(), in disk_dir(). */
static const char *
disk_file(size_t size, int fill)
{
	const char *dir = disk_dir();
	unsigned char *buf = malloc(size ? size : 1);
	char *p;
	int fd;

	REQUIRE(buf != NULL);
	REQUIRE(nscratch < SCRATCH_MAX);
	p = scratch[nscratch++];
	snprintf(p, sizeof(scratch[0]), "%.48s/f%d", dir, nscratch);
	memset(buf, fill, size);
	fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, buf, size) == (ssize_t)size);
	close(fd);
	free(buf);
	return p;
}

/* Reads len bytes at off straight from the file, bypassing the store. */
static void
file_pread(const char *path, void *buf, size_t len, off_t off)
{
	int fd = open(path, O_RDONLY);

	REQUIRE(fd >= 0);
	REQUIRE(pread(fd, buf, len, off) == (ssize_t)len);
	close(fd);
}

static void
pattern(unsigned char *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)((i * 31 + seed * 7 + (i >> 8)) ^ seed);
}

/* Completion count shared by the tests through io->arg. */
struct tally {
	int ndone;
};

static void
count_done(struct bs_io *io)
{
	struct tally *t = io->arg;

	t->ndone++;
}

static void
io_setup(struct bs_io *io, enum bs_op op, uint64_t off, void *buf,
    size_t len, struct tally *t)
{
	memset(io, 0, sizeof(*io));
	io->op = op;
	io->offset = off;
	io->buf = buf;
	io->len = len;
	io->result = 12345; /* must be overwritten */
	io->done = count_done;
	io->arg = t;
}

/* Polls the engine's eventfd and completes until t->ndone reaches want
 * (or 5 s pass without progress). */
static void
wait_done(struct bs_engine *eng, struct tally *t, int want)
{
	struct pollfd pfd = { .fd = bs_engine_fd(eng), .events = POLLIN };

	while (t->ndone < want) {
		int n = poll(&pfd, 1, 5000);

		REQUIRE(n >= 0 || errno == EINTR);
		REQUIRE(n != 0);
		if (n > 0)
			bs_engine_complete(eng);
	}
}

/* One synchronous I/O; returns io.result. */
static ssize_t
sync_io(struct bs *bs, enum bs_op op, int fua, uint64_t off, void *buf,
    size_t len)
{
	struct tally t = { 0 };
	struct bs_io io;

	io_setup(&io, op, off, buf, len, &t);
	io.fua = fua;
	bs_submit(bs, &io);
	CHECK_EQ_INT(t.ndone, 1);
	return io.result;
}

TEST(sync_engine_roundtrip)
{
	char err[256] = "";
	unsigned char wbuf[8192], rbuf[8192], disk[8192];
	struct bs_engine *eng = bs_engine_new(0, err, sizeof(err));
	const char *path = scratch_file(65536, 0xee);
	struct tally t = { 0 };
	struct bs_io io;
	struct bs *bs;

	REQUIRE(eng != NULL);
	CHECK_EQ_INT(bs_engine_fd(eng), -1);
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	CHECK_EQ_STR(bs_path(bs), path);
	CHECK_EQ_INT(bs_is_readonly(bs), 0);
	CHECK_EQ_INT(bs_device_block_size(bs), 0);

	pattern(wbuf, sizeof(wbuf), 1);
	io_setup(&io, BS_OP_WRITE, 4096, wbuf, sizeof(wbuf), &t);
	bs_submit(bs, &io);
	/* done() ran inside bs_submit */
	CHECK_EQ_INT(t.ndone, 1);
	CHECK_EQ_INT(io.result, sizeof(wbuf));
	CHECK(io.bs == bs);
	bs_engine_complete(eng); /* no-op for a synchronous engine */
	CHECK_EQ_INT(t.ndone, 1);

	file_pread(path, disk, sizeof(disk), 4096);
	CHECK_EQ_MEM(disk, wbuf, sizeof(wbuf));
	/* bytes around the write are untouched */
	file_pread(path, disk, 2, 4095);
	CHECK_EQ_INT(disk[0], 0xee);
	file_pread(path, disk, 1, 4096 + 8192);
	CHECK_EQ_INT(disk[0], 0xee);

	memset(rbuf, 0, sizeof(rbuf));
	CHECK_EQ_INT(sync_io(bs, BS_OP_READ, 0, 4096, rbuf, sizeof(rbuf)),
	    sizeof(rbuf));
	CHECK_EQ_MEM(rbuf, wbuf, sizeof(wbuf));
	/* a read straddling old and new data */
	CHECK_EQ_INT(sync_io(bs, BS_OP_READ, 0, 4000, rbuf, 200), 200);
	for (int i = 0; i < 96; i++)
		CHECK_EQ_INT(rbuf[i], 0xee);
	CHECK_EQ_MEM(rbuf + 96, wbuf, 104);
	/* zero-length I/O transfers nothing */
	CHECK_EQ_INT(sync_io(bs, BS_OP_READ, 0, 0, rbuf, 0), 0);

	bs_close(bs);
	bs_engine_free(eng);
}

TEST(fua_write_and_flush)
{
	char err[256] = "";
	unsigned char wbuf[3000], disk[3000];
	struct bs_engine *eng = bs_engine_new(0, err, sizeof(err));
	const char *path = scratch_file(16384, 0);
	struct bs *bs;

	REQUIRE(eng != NULL);
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	pattern(wbuf, sizeof(wbuf), 9);
	/* unaligned offset and length on purpose */
	CHECK_EQ_INT(sync_io(bs, BS_OP_WRITE, 1, 777, wbuf, sizeof(wbuf)),
	    sizeof(wbuf));
	file_pread(path, disk, sizeof(disk), 777);
	CHECK_EQ_MEM(disk, wbuf, sizeof(wbuf));
	CHECK_EQ_INT(sync_io(bs, BS_OP_FLUSH, 0, 0, NULL, 0), 0);
	/* a write past the end extends a regular file */
	CHECK_EQ_INT(sync_io(bs, BS_OP_WRITE, 1, 16384, wbuf, 100), 100);
	CHECK_EQ_INT(bs_size(bs), 16484);
	bs_close(bs);
	bs_engine_free(eng);
}

TEST(size_is_reread)
{
	char err[256] = "";
	struct bs_engine *eng = bs_engine_new(0, err, sizeof(err));
	const char *path = scratch_file(65536, 0);
	struct bs *bs;

	REQUIRE(eng != NULL);
	REQUIRE(bs_open(eng, path, 1, &bs, err, sizeof(err)) == 0);
	CHECK_EQ_INT(bs_size(bs), 65536);
	REQUIRE(truncate(path, 1 << 20) == 0);
	CHECK_EQ_INT(bs_size(bs), 1 << 20);
	REQUIRE(truncate(path, 512) == 0);
	CHECK_EQ_INT(bs_size(bs), 512);
	bs_close(bs);
	bs_engine_free(eng);
}

TEST(read_beyond_eof_is_short)
{
	char err[256] = "";
	unsigned char buf[8192];
	struct bs_engine *eng = bs_engine_new(0, err, sizeof(err));
	const char *path = scratch_file(4096, 0x11);
	struct bs *bs;

	REQUIRE(eng != NULL);
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	memset(buf, 0x77, sizeof(buf));
	CHECK_EQ_INT(sync_io(bs, BS_OP_READ, 0, 2048, buf, sizeof(buf)),
	    2048);
	CHECK_EQ_INT(buf[0], 0x11);
	CHECK_EQ_INT(buf[2047], 0x11);
	CHECK_EQ_INT(buf[2048], 0x77); /* nothing invented past the size */
	CHECK_EQ_INT(sync_io(bs, BS_OP_READ, 0, 100000, buf, 512), 0);
	/* offsets that would overflow off_t are rejected */
	CHECK_EQ_INT(sync_io(bs, BS_OP_READ, 0, UINT64_MAX - 10, buf, 512),
	    -EINVAL);
	bs_close(bs);
	bs_engine_free(eng);
}

TEST(readonly_store_refuses_writes)
{
	char err[256] = "";
	unsigned char buf[4096], disk[4096];
	struct bs_engine *eng = bs_engine_new(0, err, sizeof(err));
	const char *path = scratch_file(8192, 0x33);
	struct bs *bs;
	ssize_t r;

	REQUIRE(eng != NULL);
	REQUIRE(bs_open(eng, path, 1, &bs, err, sizeof(err)) == 0);
	CHECK_EQ_INT(bs_is_readonly(bs), 1);
	memset(buf, 0x44, sizeof(buf));
	r = sync_io(bs, BS_OP_WRITE, 0, 0, buf, sizeof(buf));
	CHECK(r < 0);
	CHECK_EQ_INT(r, -EBADF);
	r = sync_io(bs, BS_OP_WRITE, 1, 0, buf, sizeof(buf));
	CHECK(r < 0);
	CHECK_EQ_INT(r, -EBADF);
	file_pread(path, disk, sizeof(disk), 0);
	for (size_t i = 0; i < sizeof(disk); i++)
		if (disk[i] != 0x33) {
			CHECK_EQ_INT(disk[i], 0x33);
			break;
		}
	CHECK_EQ_INT(sync_io(bs, BS_OP_READ, 0, 4096, buf, 4096), 4096);
	CHECK_EQ_INT(buf[0], 0x33);
	bs_close(bs);
	bs_engine_free(eng);
}

TEST(missing_file_names_path)
{
	char err[256] = "", want[256];
	const char *path = scratch_path(); /* never created */
	struct bs_engine *eng = bs_engine_new(0, err, sizeof(err));
	struct bs *bs = (struct bs *)&err; /* must be reset to NULL */

	REQUIRE(eng != NULL);
	CHECK_EQ_INT(bs_open(eng, path, 0, &bs, err, sizeof(err)), -ENOENT);
	CHECK(bs == NULL);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	CHECK_EQ_STR(err, want);
	bs_engine_free(eng);
}

TEST(directory_and_special_files_refused)
{
	char err[256] = "";
	const char *dir = scratch_path(), *fifo = scratch_path();
	struct bs_engine *eng = bs_engine_new(0, err, sizeof(err));
	struct bs *bs;

	REQUIRE(eng != NULL);
	REQUIRE(mkdir(dir, 0700) == 0);
	for (int ro = 0; ro <= 1; ro++) {
		err[0] = '\0';
		CHECK_EQ_INT(bs_open(eng, dir, ro, &bs, err, sizeof(err)),
		    -EISDIR);
		CHECK(bs == NULL);
		CHECK(strncmp(err, dir, strlen(dir)) == 0);
		CHECK(strstr(err, "directory") != NULL);
	}
	REQUIRE(mkfifo(fifo, 0600) == 0);
	/* must not hang waiting for a writer */
	CHECK_EQ_INT(bs_open(eng, fifo, 1, &bs, err, sizeof(err)), -EINVAL);
	CHECK(bs == NULL);
	CHECK(strncmp(err, fifo, strlen(fifo)) == 0);
	CHECK(strstr(err, "is a fifo") != NULL);
	CHECK_EQ_INT(bs_open(eng, "/dev/null", 0, &bs, err, sizeof(err)),
	    -EINVAL);
	CHECK_EQ_STR(err, "/dev/null: is a character device, not a regular "
	    "file or block device");
	bs_engine_free(eng);
}

TEST(engine_bad_thread_count)
{
	char err[256] = "";

	CHECK(bs_engine_new(-1, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "-1") != NULL);
	err[0] = '\0';
	CHECK(bs_engine_new(100000, err, sizeof(err)) == NULL);
	CHECK(err[0] != '\0');
	bs_engine_free(NULL);
	bs_close(NULL);
}

/* ---- asynchronous engines, each test run once per kind ---- */

/* 1 if the kernel lets this process set up an io_uring at all (the test's
 * own raw io_uring_setup). Only then are io_uring cases skipped: an
 * engine that fails where the kernel agrees is a failure. */
static int
kernel_allows_uring(void)
{
	struct io_uring_params p;
	int fd;

	memset(&p, 0, sizeof(p));
	fd = (int)syscall(SYS_io_uring_setup, 4, &p);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* An engine of kind with nthreads workers and nothing inline (the path
 * under test), or NULL after printing a note when kind is io_uring and
 * the kernel refuses it. */
static struct bs_engine *
async_engine(enum bs_engine_kind kind, int nthreads)
{
	char err[256] = "";
	struct bs_engine *eng;

	eng = bs_engine_new_kind(kind, nthreads, err, sizeof(err));
	if (eng == NULL && kind == BS_ENGINE_URING && !kernel_allows_uring()) {
		printf("  (io_uring case skipped: the kernel refuses it: %s)\n",
		    err);
		return NULL;
	}
	if (eng == NULL)
		CHECK_EQ_STR(err, "");
	REQUIRE(eng != NULL);
	CHECK_EQ_INT(bs_engine_kind(eng), kind);
	CHECK_EQ_STR(bs_engine_uring_refusal(eng), "");
	bs_engine_set_inline_max(eng, 0);
	return eng;
}

/* Checks that n I/O went where kind sends reads, writes and flushes. */
static void
check_routed(struct bs_engine *eng, enum bs_engine_kind kind, uint64_t n)
{
	struct bs_engine_stats st;

	bs_engine_get_stats(eng, &st);
	CHECK_EQ_INT(st.inline_ios, 0);
	if (kind == BS_ENGINE_URING) {
		CHECK_EQ_INT(st.ring_ios, n);
		CHECK_EQ_INT(st.queued_ios, 0);
	} else {
		CHECK_EQ_INT(st.ring_ios, 0);
		CHECK_EQ_INT(st.queued_ios, n);
	}
}

/* One asynchronous I/O, waited for; returns io.result. */
static ssize_t
async_io(struct bs_engine *eng, struct bs *bs, enum bs_op op, int fua,
    uint64_t off, void *buf, size_t len)
{
	struct tally t = { 0 };
	struct bs_io io;

	io_setup(&io, op, off, buf, len, &t);
	io.fua = fua;
	bs_submit(bs, &io);
	CHECK_EQ_INT(t.ndone, 0); /* later, from bs_engine_complete() */
	wait_done(eng, &t, 1);
	return io.result;
}

/* TEST_BOTH(name) { ... } defines name_threads and name_uring, which run
 * the body with kind set to each. */
#define TEST_BOTH(name)                                                    \
	static void name(enum bs_engine_kind kind);                        \
	TEST(name##_threads) { name(BS_ENGINE_THREADS); }                  \
	TEST(name##_uring) { name(BS_ENGINE_URING); }                      \
	static void name(enum bs_engine_kind kind)
#define T_BOTH(name) T(name##_threads), T(name##_uring)

TEST_BOTH(engine_roundtrip)
{
	enum { N = 48, SZ = 4096 };
	static unsigned char wbuf[N][SZ], rbuf[N][SZ], disk[SZ];
	struct bs_engine *eng = async_engine(kind, 3);
	const char *path = disk_file((size_t)N * SZ, 0);
	char err[256] = "";
	struct tally t = { 0 };
	struct bs_io io[N];
	struct bs *bs;
	int fd;

	if (eng == NULL)
		return;
	fd = bs_engine_fd(eng);
	REQUIRE(fd >= 0);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);

	/* blocks written in a scrambled order, with and without FUA */
	for (int i = 0; i < N; i++) {
		int blk = (i * 7) % N;

		pattern(wbuf[blk], SZ, (unsigned)blk + 100);
		io_setup(&io[i], BS_OP_WRITE, (uint64_t)blk * SZ, wbuf[blk],
		    SZ, &t);
		io[i].fua = i & 1;
		bs_submit(bs, &io[i]);
	}
	CHECK_EQ_INT(t.ndone, 0);
	wait_done(eng, &t, N);
	CHECK_EQ_INT(t.ndone, N);
	for (int i = 0; i < N; i++) {
		CHECK_EQ_INT(io[i].result, SZ);
		CHECK(io[i].bs == bs);
	}
	for (int blk = 0; blk < N; blk++) {
		file_pread(path, disk, SZ, (off_t)blk * SZ);
		CHECK_EQ_MEM(disk, wbuf[blk], SZ);
	}
	CHECK_EQ_INT(async_io(eng, bs, BS_OP_FLUSH, 0, 0, NULL, 0), 0);

	t.ndone = 0;
	for (int i = 0; i < N; i++) {
		io_setup(&io[i], BS_OP_READ, (uint64_t)i * SZ, rbuf[i], SZ,
		    &t);
		bs_submit(bs, &io[i]);
	}
	wait_done(eng, &t, N);
	for (int i = 0; i < N; i++) {
		CHECK_EQ_INT(io[i].result, SZ);
		CHECK_EQ_MEM(rbuf[i], wbuf[i], SZ);
	}
	/* unaligned FUA write, then a write past the end extends the file */
	CHECK_EQ_INT(async_io(eng, bs, BS_OP_WRITE, 1, 777, wbuf[3], 3000),
	    3000);
	file_pread(path, disk, 3000, 777);
	CHECK_EQ_MEM(disk, wbuf[3], 3000);
	CHECK_EQ_INT(async_io(eng, bs, BS_OP_WRITE, 0, (uint64_t)N * SZ,
	    wbuf[5], 100), 100);
	CHECK_EQ_INT(bs_size(bs), (uint64_t)N * SZ + 100);
	/* zero-length I/O transfers nothing */
	CHECK_EQ_INT(async_io(eng, bs, BS_OP_READ, 0, 0, rbuf[0], 0), 0);
	CHECK_EQ_INT(async_io(eng, bs, BS_OP_WRITE, 0, 0, wbuf[0], 0), 0);
	check_routed(eng, kind, 2 * N + 5);
	/* nothing left: a further complete() calls nothing */
	t.ndone = 0;
	bs_engine_complete(eng);
	CHECK_EQ_INT(t.ndone, 0);

	bs_close(bs);
	bs_engine_free(eng);
}

/* Many requests in flight at once, far more than the ring's completion
 * queue (2 x MINISAN_BS_URING_ENTRIES): the rest waits on the overflow
 * list, none is lost or blocks. Each write's done() submits a read of its
 * block (a chain, submitted from inside bs_engine_complete()). */
enum { MANY = 2000, MANY_SZ = 4096 };
static unsigned char many_w[MANY][MANY_SZ], many_r[MANY][MANY_SZ];
static struct bs_io many_io[MANY];
static int many_reads_done;

static void
many_read_done(struct bs_io *io)
{
	(void)io;
	many_reads_done++;
}

static void
many_write_done(struct bs_io *io)
{
	struct tally *t = io->arg;
	struct bs *bs = io->bs;
	size_t i = (size_t)(io - many_io);

	t->ndone++;
	CHECK_EQ_INT(io->result, MANY_SZ);
	io_setup(io, BS_OP_READ, (uint64_t)i * MANY_SZ, many_r[i], MANY_SZ,
	    t);
	io->done = many_read_done;
	bs_submit(bs, io);
}

TEST_BOTH(many_in_flight)
{
	struct bs_engine *eng = async_engine(kind, 2);
	const char *path = disk_file((size_t)MANY * MANY_SZ, 0);
	char err[256] = "";
	struct tally t = { 0 };
	struct bs *bs;

	if (eng == NULL)
		return;
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	many_reads_done = 0;
	memset(many_r, 0, sizeof(many_r));
	for (int i = 0; i < MANY; i++) {
		pattern(many_w[i], MANY_SZ, (unsigned)i * 3 + 1);
		io_setup(&many_io[i], BS_OP_WRITE, (uint64_t)i * MANY_SZ,
		    many_w[i], MANY_SZ, &t);
		many_io[i].fua = i % 5 == 0;
		many_io[i].done = many_write_done;
		bs_submit(bs, &many_io[i]);
	}
	CHECK_EQ_INT(t.ndone, 0);
	wait_done(eng, &t, MANY);
	while (many_reads_done < MANY) {
		struct pollfd pfd = { .fd = bs_engine_fd(eng),
			.events = POLLIN };

		REQUIRE(poll(&pfd, 1, 5000) > 0);
		bs_engine_complete(eng);
	}
	for (int i = 0; i < MANY; i++) {
		CHECK_EQ_INT(many_io[i].result, MANY_SZ);
		if (memcmp(many_r[i], many_w[i], MANY_SZ) != 0) {
			CHECK_EQ_MEM(many_r[i], many_w[i], MANY_SZ);
			break;
		}
	}
	check_routed(eng, kind, 2 * MANY);
	bs_close(bs);
	bs_engine_free(eng);
}

/* A read that meets the end of the file is short, a read past it moves
 * nothing, and nothing is invented past the size (the ring's short
 * transfer is continued until the kernel says end of file). */
TEST_BOTH(short_read_at_eof)
{
	unsigned char buf[16384];
	struct bs_engine *eng = async_engine(kind, 1);
	const char *path = disk_file(6000, 0x11);
	char err[256] = "";
	struct bs *bs;

	if (eng == NULL)
		return;
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	memset(buf, 0x77, sizeof(buf));
	CHECK_EQ_INT(async_io(eng, bs, BS_OP_READ, 0, 2048, buf,
	    sizeof(buf)), 6000 - 2048);
	CHECK_EQ_INT(buf[0], 0x11);
	CHECK_EQ_INT(buf[6000 - 2048 - 1], 0x11);
	CHECK_EQ_INT(buf[6000 - 2048], 0x77);
	CHECK_EQ_INT(async_io(eng, bs, BS_OP_READ, 0, 6000, buf, 512), 0);
	CHECK_EQ_INT(async_io(eng, bs, BS_OP_READ, 0, 100000, buf, 512), 0);
	check_routed(eng, kind, 3);
	/* offsets that would overflow off_t: -EINVAL (from a worker, the
	 * ring does not take them) */
	CHECK_EQ_INT(async_io(eng, bs, BS_OP_READ, 0, UINT64_MAX - 10, buf,
	    512), -EINVAL);
	bs_close(bs);
	bs_engine_free(eng);
}

/* Errors come back as -errno: a store opened read-only refuses writes
 * (EBADF from the kernel, through the ring or a worker alike). */
TEST_BOTH(error_completion)
{
	unsigned char buf[4096], disk[4096];
	struct bs_engine *eng = async_engine(kind, 1);
	const char *path = disk_file(8192, 0x33);
	char err[256] = "";
	struct bs *bs;

	if (eng == NULL)
		return;
	REQUIRE(bs_open(eng, path, 1, &bs, err, sizeof(err)) == 0);
	memset(buf, 0x44, sizeof(buf));
	CHECK_EQ_INT(async_io(eng, bs, BS_OP_WRITE, 0, 0, buf, sizeof(buf)),
	    -EBADF);
	CHECK_EQ_INT(async_io(eng, bs, BS_OP_WRITE, 1, 4096, buf,
	    sizeof(buf)), -EBADF);
	check_routed(eng, kind, 2);
	file_pread(path, disk, sizeof(disk), 0);
	CHECK_EQ_INT(disk[0], 0x33);
	CHECK_EQ_INT(disk[4095], 0x33);
	CHECK_EQ_INT(async_io(eng, bs, BS_OP_READ, 0, 4096, buf, 4096), 4096);
	CHECK_EQ_INT(buf[0], 0x33);
	bs_close(bs);
	bs_engine_free(eng);
}

/* Freeing an engine with I/O in flight and queued (more than the ring
 * holds) performs all of it, since it was accepted, but drops the
 * callbacks. */
TEST_BOTH(engine_free_drains_without_callbacks)
{
	enum { N = 1200, SZ = 1024 };
	static unsigned char wbuf[N][SZ], disk[SZ];
	static struct bs_io io[N];
	struct bs_engine *eng = async_engine(kind, 2);
	const char *path = disk_file((size_t)N * SZ, 0);
	char err[256] = "";
	struct tally t = { 0 };
	struct bs *bs;

	if (eng == NULL)
		return;
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	for (int i = 0; i < N; i++) {
		pattern(wbuf[i], SZ, (unsigned)i);
		io_setup(&io[i], BS_OP_WRITE, (uint64_t)i * SZ, wbuf[i], SZ,
		    &t);
		io[i].fua = i == N - 1;
		bs_submit(bs, &io[i]);
	}
	bs_engine_free(eng);
	CHECK_EQ_INT(t.ndone, 0);
	for (int i = 0; i < N; i++) {
		file_pread(path, disk, SZ, (off_t)i * SZ);
		if (io[i].result != SZ || memcmp(disk, wbuf[i], SZ) != 0) {
			CHECK_EQ_INT(io[i].result, SZ);
			CHECK_EQ_MEM(disk, wbuf[i], SZ);
			break;
		}
	}
	bs_close(bs);
}

/* On tmpfs, reads, writes and flushes up to the inline limit complete
 * before bs_submit() returns, with either kind; larger ones, and one
 * submitted from an inline done(), go to the ring or the workers. */
static struct bs *chain_bs;
static struct bs_io chain_io;
static unsigned char chain_buf[512];
static int chain_inline_done;

static void
chain_done(struct bs_io *io)
{
	struct tally *t = io->arg;

	t->ndone++;
	if (io != &chain_io) {
		io_setup(&chain_io, BS_OP_READ, 0, chain_buf, sizeof(chain_buf),
		    t);
		chain_io.done = chain_done;
		bs_submit(chain_bs, &chain_io);
		chain_inline_done = t->ndone;
	}
}

/* Async I/O since the last call of st (ring or workers, per kind). */
static uint64_t
async_count(const struct bs_engine_stats *st)
{
	return st->ring_ios + st->queued_ios;
}

TEST_BOTH(memory_store_runs_inline)
{
	enum { SZ = 4096, BIG = 2 * 1024 * 1024 };
	static unsigned char wbuf[SZ], rbuf[SZ], disk[SZ], big[BIG];
	struct bs_engine *eng = async_engine(kind, 2);
	const char *path = scratch_file(BIG, 0x11);
	struct bs_engine_stats st;
	char err[256] = "";
	struct tally t = { 0 };
	struct bs_io io;
	struct bs *bs;

	if (eng == NULL)
		return;
	bs_engine_set_inline_max(eng, 256 * 1024);
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	pattern(wbuf, SZ, 9);
	io_setup(&io, BS_OP_WRITE, SZ, wbuf, SZ, &t);
	bs_submit(bs, &io);
	CHECK_EQ_INT(t.ndone, 1);
	CHECK_EQ_INT(io.result, SZ);
	file_pread(path, disk, SZ, SZ);
	CHECK_EQ_MEM(disk, wbuf, SZ);
	io_setup(&io, BS_OP_READ, SZ, rbuf, SZ, &t);
	bs_submit(bs, &io);
	CHECK_EQ_INT(t.ndone, 2);
	CHECK_EQ_INT(io.result, SZ);
	CHECK_EQ_MEM(rbuf, wbuf, SZ);
	io_setup(&io, BS_OP_FLUSH, 0, NULL, 0, &t);
	bs_submit(bs, &io);
	CHECK_EQ_INT(t.ndone, 3);
	CHECK_EQ_INT(io.result, 0);
	bs_engine_get_stats(eng, &st);
	CHECK_EQ_INT(st.inline_ios, 3);
	CHECK_EQ_INT(async_count(&st), 0);

	/* over the limit: asynchronous */
	io_setup(&io, BS_OP_READ, 0, big, BIG, &t);
	bs_submit(bs, &io);
	CHECK_EQ_INT(t.ndone, 3);
	wait_done(eng, &t, 4);
	CHECK_EQ_INT(io.result, BIG);
	CHECK_EQ_INT(big[0], 0x11);
	CHECK_EQ_INT(big[BIG - 1], 0x11);
	CHECK_EQ_INT(big[SZ], wbuf[0]);
	bs_engine_get_stats(eng, &st);
	CHECK_EQ_INT(st.inline_ios, 3);
	CHECK_EQ_INT(async_count(&st), 1);
	CHECK_EQ_INT(st.ring_ios, kind == BS_ENGINE_URING);

	/* a submission from an inline done(): asynchronous, not nested */
	chain_bs = bs;
	chain_inline_done = 0;
	io_setup(&io, BS_OP_READ, 0, rbuf, SZ, &t);
	io.done = chain_done;
	bs_submit(bs, &io);
	CHECK_EQ_INT(chain_inline_done, 5);
	wait_done(eng, &t, 6);
	CHECK_EQ_INT(chain_io.result, (int)sizeof(chain_buf));
	bs_engine_get_stats(eng, &st);
	CHECK_EQ_INT(st.inline_ios, 4);
	CHECK_EQ_INT(async_count(&st), 2);

	/* inline limit 0: everything asynchronous */
	bs_engine_set_inline_max(eng, 0);
	io_setup(&io, BS_OP_READ, SZ, rbuf, SZ, &t);
	bs_submit(bs, &io);
	wait_done(eng, &t, 7);
	CHECK_EQ_MEM(rbuf, wbuf, SZ);
	bs_engine_get_stats(eng, &st);
	CHECK_EQ_INT(async_count(&st), 3);
	CHECK_EQ_INT(st.ring_ios, kind == BS_ENGINE_URING ? 3 : 0);
	bs_close(bs);
	bs_engine_free(eng);
}

/* Outside tmpfs, only reads are tried inline (RWF_NOWAIT); writes always
 * go to the ring or the workers, and what a read finds is right either
 * way. */
TEST_BOTH(disk_store_writes_go_async)
{
	enum { SZ = 4096 };
	static unsigned char wbuf[SZ], rbuf[SZ];
	struct bs_engine *eng = async_engine(kind, 2);
	const char *path = disk_file(4 * SZ, 0);
	struct bs_engine_stats st;
	char err[256] = "";
	struct statfs sfs;
	struct tally t = { 0 };
	struct bs_io io;
	struct bs *bs;

	if (eng == NULL)
		return;
	bs_engine_set_inline_max(eng, 256 * 1024);
	REQUIRE(statfs(path, &sfs) == 0);
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	pattern(wbuf, SZ, 3);
	io_setup(&io, BS_OP_WRITE, SZ, wbuf, SZ, &t);
	bs_submit(bs, &io);
	wait_done(eng, &t, 1);
	CHECK_EQ_INT(io.result, SZ);
	io_setup(&io, BS_OP_READ, SZ, rbuf, SZ, &t);
	bs_submit(bs, &io);
	wait_done(eng, &t, 2);
	CHECK_EQ_INT(io.result, SZ);
	CHECK_EQ_MEM(rbuf, wbuf, SZ);
	bs_engine_get_stats(eng, &st);
	CHECK_EQ_INT(st.inline_ios + async_count(&st), 2);
	if (sfs.f_type != TMPFS_MAGIC_NUMBER) /* the write was async */
		CHECK(async_count(&st) >= 1);
	bs_close(bs);
	bs_engine_free(eng);
}

/* Discard and allocation maps never go to the ring: an io_uring engine
 * keeps a few workers for them. */
TEST_BOTH(discard_and_map_go_to_workers)
{
	struct bs_engine *eng = async_engine(kind, 4);
	const char *path = scratch_file(65536, 0xab);
	struct bs_engine_stats st;
	struct bs_extent ext[4];
	char err[256] = "";
	struct tally t = { 0 };
	struct bs_io io;
	struct bs *bs;

	if (eng == NULL)
		return;
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	CHECK_EQ_INT(async_io(eng, bs, BS_OP_DISCARD, 0, 8192, NULL, 8192),
	    8192);
	io_setup(&io, BS_OP_MAP_STATUS, 0, ext, 65536, &t);
	io.unit = 4096;
	io.nmax = 4;
	bs_submit(bs, &io);
	wait_done(eng, &t, 1);
	CHECK_EQ_INT(io.result, 3);
	CHECK_EQ_INT(ext[1].offset, 8192);
	CHECK_EQ_INT(ext[1].len, 8192);
	CHECK_EQ_INT(ext[1].mapped, 0);
	bs_engine_get_stats(eng, &st);
	CHECK_EQ_INT(st.queued_ios, 2);
	CHECK_EQ_INT(st.ring_ios, 0);
	bs_close(bs);
	bs_engine_free(eng);
}

/* With one worker, I/O finishes in submission order and done() must be
 * called in that same order (the ring promises no order). */
static int fifo_seq[16], fifo_n;

static void
fifo_done(struct bs_io *io)
{
	fifo_seq[fifo_n++] = (int)io->offset / 512;
}

TEST(threaded_engine_completes_in_fifo_order)
{
	unsigned char buf[16][512];
	struct bs_engine *eng = async_engine(BS_ENGINE_THREADS, 1);
	const char *path = scratch_file(16 * 512, 0x5a);
	char err[256] = "";
	struct pollfd pfd;
	struct bs_io io[16];
	struct bs *bs;

	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	fifo_n = 0;
	for (int i = 0; i < 16; i++) {
		memset(&io[i], 0, sizeof(io[i]));
		io[i].op = BS_OP_READ;
		io[i].offset = (uint64_t)i * 512;
		io[i].buf = buf[i];
		io[i].len = 512;
		io[i].done = fifo_done;
		bs_submit(bs, &io[i]);
	}
	pfd.fd = bs_engine_fd(eng);
	pfd.events = POLLIN;
	while (fifo_n < 16) {
		REQUIRE(poll(&pfd, 1, 5000) > 0);
		bs_engine_complete(eng);
	}
	for (int i = 0; i < 16; i++) {
		CHECK_EQ_INT(fifo_seq[i], i);
		CHECK_EQ_INT(io[i].result, 512);
		CHECK_EQ_INT(buf[i][0], 0x5a);
		CHECK_EQ_INT(buf[i][511], 0x5a);
	}
	bs_close(bs);
	bs_engine_free(eng);
}

/* How one ring completion is read (bs_uring_judge): the table covers what
 * the kernel can answer but a test cannot easily provoke (EAGAIN, EINTR,
 * a flag refused, a short transfer inside the file, a store that shrank
 * under a read), each against what the workers' loops do. */
TEST(ring_completion_verdicts)
{
	enum { NO = 12345 }; /* result not set */
	static const struct {
		enum bs_op op;
		uint64_t offset;
		size_t len, done_before;
		unsigned retries_before;
		int res;
		enum bs_uring_verdict want;
		size_t want_done;
		ssize_t want_result;
	} cases[] = {
		{ BS_OP_READ, 0, 4096, 0, 0, 4096, BS_URING_FINISHED, 4096,
		    4096 },
		/* short inside the file: the rest from where it stopped */
		{ BS_OP_READ, 0, 4096, 0, 0, 1000, BS_URING_RESUBMIT, 1000,
		    NO },
		{ BS_OP_READ, 0, 4096, 1000, 0, 3096, BS_URING_FINISHED, 4096,
		    4096 },
		/* end of file after 2048 bytes of a 6000-byte file read
		 * from 2048: short */
		{ BS_OP_READ, 2048, 8192, 3952, 0, 0, BS_URING_FINISHED, 3952,
		    3952 },
		/* the file shrank to 6000 after the kernel said end of
		 * file at 4096: zeros up to the size, as the workers do */
		{ BS_OP_READ, 0, 8192, 4096, 0, 0, BS_URING_FINISHED, 4096,
		    6000 },
		{ BS_OP_READ, 0, 0, 0, 0, 0, BS_URING_FINISHED, 0, 0 },
		/* a write the device takes nothing of: EIO, as pwrite's 0 */
		{ BS_OP_WRITE, 0, 4096, 1024, 0, 0, BS_URING_FINISHED, 1024,
		    -EIO },
		{ BS_OP_WRITE, 0, 4096, 0, 0, 512, BS_URING_RESUBMIT, 512,
		    NO },
		{ BS_OP_WRITE, 0, 4096, 512, 0, 3584, BS_URING_FINISHED, 4096,
		    4096 },
		/* errors are final, whatever moved before */
		{ BS_OP_WRITE, 0, 4096, 1024, 0, -ENOSPC, BS_URING_FINISHED,
		    1024, -ENOSPC },
		{ BS_OP_READ, 0, 4096, 0, 0, -EIO, BS_URING_FINISHED, 0,
		    -EIO },
		/* try again, a bounded number of times, then a worker */
		{ BS_OP_READ, 0, 4096, 2048, 0, -EAGAIN, BS_URING_RESUBMIT,
		    2048, NO },
		{ BS_OP_WRITE, 0, 4096, 0, 3, -EINTR, BS_URING_RESUBMIT, 0,
		    NO },
		{ BS_OP_READ, 0, 4096, 0, MINISAN_BS_URING_RETRIES, -EAGAIN,
		    BS_URING_TO_POOL, 0, NO },
		/* refused (RWF_DSYNC, say): a worker knows the fallback */
		{ BS_OP_WRITE, 0, 4096, 0, 0, -EOPNOTSUPP, BS_URING_TO_POOL, 0,
		    NO },
		{ BS_OP_WRITE, 0, 4096, 0, 0, -EINVAL, BS_URING_TO_POOL, 0,
		    NO },
		{ BS_OP_FLUSH, 0, 0, 0, 0, 0, BS_URING_FINISHED, 0, 0 },
		{ BS_OP_FLUSH, 0, 0, 0, 0, -EIO, BS_URING_FINISHED, 0, -EIO },
	};
	static unsigned char buf[8192];
	char err[256] = "";
	struct bs_engine *eng = bs_engine_new(0, err, sizeof(err));
	const char *path = scratch_file(6000, 0x11);
	struct bs_io io;
	struct bs *bs;

	REQUIRE(eng != NULL);
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 0x77, sizeof(buf));
		memset(&io, 0, sizeof(io));
		io.op = cases[i].op;
		io.offset = cases[i].offset;
		io.buf = buf;
		io.len = cases[i].len;
		io.bs = bs;
		io.ring_done = cases[i].done_before;
		io.ring_retries = cases[i].retries_before;
		io.result = NO;
		CHECK_EQ_INT(bs_uring_judge(&io, cases[i].res), cases[i].want);
		CHECK_EQ_INT(io.ring_done, cases[i].want_done);
		CHECK_EQ_INT(io.result, cases[i].want_result);
		if (harness_failed) {
			printf("  (case %zu)\n", i);
			break;
		}
	}
	/* the shrunk-file case zero-filled [4096, 6000) and no further */
	memset(buf, 0x77, sizeof(buf));
	memset(&io, 0, sizeof(io));
	io.op = BS_OP_READ;
	io.buf = buf;
	io.len = 8192;
	io.bs = bs;
	io.ring_done = 4096;
	CHECK_EQ_INT(bs_uring_judge(&io, 0), BS_URING_FINISHED);
	CHECK_EQ_INT(buf[4095], 0x77);
	CHECK_EQ_INT(buf[4096], 0);
	CHECK_EQ_INT(buf[5999], 0);
	CHECK_EQ_INT(buf[6000], 0x77);
	bs_close(bs);
	bs_engine_free(eng);
}

TEST(engine_kinds)
{
	char err[256] = "";
	struct bs_engine *eng;

	CHECK_EQ_STR(bs_engine_kind_name(BS_ENGINE_AUTO), "auto");
	CHECK_EQ_STR(bs_engine_kind_name(BS_ENGINE_URING), "io_uring");
	CHECK_EQ_STR(bs_engine_kind_name(BS_ENGINE_THREADS), "threads");
	eng = bs_engine_new(0, err, sizeof(err));
	REQUIRE(eng != NULL);
	CHECK_EQ_INT(bs_engine_kind(eng), BS_ENGINE_SYNC);
	CHECK_EQ_STR(bs_engine_kind_name(bs_engine_kind(eng)), "synchronous");
	bs_engine_free(eng);
	/* io_uring is asynchronous by nature */
	CHECK(bs_engine_new_kind(BS_ENGINE_URING, 0, err, sizeof(err)) ==
	    NULL);
	CHECK(strstr(err, "io_uring") != NULL);
	CHECK(bs_engine_new_kind(BS_ENGINE_SYNC, 2, err, sizeof(err)) ==
	    NULL);
	/* auto takes the ring where the kernel allows it */
	eng = bs_engine_new(2, err, sizeof(err));
	REQUIRE(eng != NULL);
	if (kernel_allows_uring()) {
		CHECK_EQ_INT(bs_engine_kind(eng), BS_ENGINE_URING);
		CHECK_EQ_STR(bs_engine_uring_refusal(eng), "");
	} else {
		CHECK_EQ_INT(bs_engine_kind(eng), BS_ENGINE_THREADS);
		CHECK(bs_engine_uring_refusal(eng)[0] != '\0');
	}
	bs_engine_free(eng);
}

/* Installs a seccomp filter that makes io_uring_setup fail with EPERM, as
 * container runtimes do. Returns 0 or -errno. */
static int
forbid_io_uring(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
}

/* In a child under that filter: auto falls back to threads and says why,
 * an explicit io_uring is refused with the reason, and the threads engine
 * it fell back to moves data. The exit status counts failed checks. */
static int
refused_child(const char *path)
{
	unsigned char buf[512];
	char err[256] = "";
	struct bs_engine *eng;
	struct bs *bs;
	int bad = 0;

	if (forbid_io_uring() < 0)
		return 100;
	eng = bs_engine_new_kind(BS_ENGINE_URING, 2, err, sizeof(err));
	bad += eng != NULL;
	bad += strcmp(err, "io_uring unavailable: io_uring_setup: "
	    "Operation not permitted (kernel.io_uring_disabled sysctl, or a "
	    "seccomp filter)") != 0;
	if (bad)
		fprintf(stderr, "  child: err \"%s\"\n", err);
	eng = bs_engine_new_kind(BS_ENGINE_AUTO, 2, err, sizeof(err));
	if (eng == NULL)
		return bad + 10;
	bad += bs_engine_kind(eng) != BS_ENGINE_THREADS;
	bad += strstr(bs_engine_uring_refusal(eng),
	    "Operation not permitted") == NULL;
	bs_engine_set_inline_max(eng, 0);
	if (bs_open(eng, path, 0, &bs, err, sizeof(err)) != 0)
		return bad + 20;
	bad += async_io(eng, bs, BS_OP_READ, 0, 0, buf, sizeof(buf)) != 512;
	bad += buf[0] != 0x42;
	bs_close(bs);
	bs_engine_free(eng);
	return bad;
}

TEST(kernel_refusing_io_uring)
{
	const char *path = disk_file(4096, 0x42);
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0)
		_exit(refused_child(path));
	REQUIRE(waitpid(pid, &status, 0) == pid);
	REQUIRE(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 0);
}

TEST(block_device)
{
	const char *dev = getenv("MINISAN_TEST_BLKDEV");
	char err[256] = "", sysfs[128];
	unsigned char buf[4096];
	unsigned long long sectors = 0;
	struct bs_engine *eng;
	struct bs *bs;
	uint32_t bsz;
	FILE *f;

	if (dev == NULL || *dev == '\0') {
		printf("  (block_device skipped: MINISAN_TEST_BLKDEV unset)\n");
		return;
	}
	eng = bs_engine_new(0, err, sizeof(err));
	REQUIRE(eng != NULL);
	if (bs_open(eng, dev, 1, &bs, err, sizeof(err)) != 0) {
		CHECK_EQ_STR(err, "");
		REQUIRE(0);
	}
	bsz = bs_device_block_size(bs);
	CHECK(bsz >= 512 && bsz <= 65536 && (bsz & (bsz - 1)) == 0);
	/* /sys/class/block/<name>/size counts 512-byte sectors */
	snprintf(sysfs, sizeof(sysfs), "/sys/class/block/%s/size",
	    strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev);
	f = fopen(sysfs, "r");
	REQUIRE(f != NULL);
	REQUIRE(fscanf(f, "%llu", &sectors) == 1);
	fclose(f);
	CHECK_EQ_INT(bs_size(bs), sectors * 512);
	if (sectors >= 8)
		CHECK_EQ_INT(sync_io(bs, BS_OP_READ, 0, 0, buf, 4096), 4096);
	bs_close(bs);
	bs_engine_free(eng);
}

/* Number of 512-byte blocks the file occupies. */
static long long
file_blocks(const char *path)
{
	struct stat st;

	REQUIRE(stat(path, &st) == 0);
	return (long long)st.st_blocks;
}

/* BS_OP_MAP_STATUS of [off, off + len) in units of unit. */
static ssize_t
map_status(struct bs *bs, uint64_t off, size_t len, uint32_t unit,
    struct bs_extent *ext, uint32_t nmax)
{
	struct tally t = { 0 };
	struct bs_io io;

	io_setup(&io, BS_OP_MAP_STATUS, off, ext, len, &t);
	io.unit = unit;
	io.nmax = nmax;
	bs_submit(bs, &io);
	CHECK_EQ_INT(t.ndone, 1);
	return io.result;
}

static void
check_extent(const struct bs_extent *e, uint64_t off, uint64_t len,
    int mapped)
{
	CHECK_EQ_INT(e->offset, off);
	CHECK_EQ_INT(e->len, len);
	CHECK_EQ_INT(e->mapped, mapped);
}

TEST(discard_punches_a_hole)
{
	const char *path = scratch_file(65536, 0xab);
	unsigned char buf[65536], zero[8192];
	struct bs_discard_caps caps;
	struct bs_extent ext[8];
	struct bs_engine *eng;
	char err[256];
	struct bs *bs;
	long long before;

	eng = bs_engine_new(0, err, sizeof(err));
	REQUIRE(eng != NULL);
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	/* tmpfs punches holes in 4 KiB pages, which read back as zeros. */
	bs_discard_caps(bs, &caps);
	CHECK_EQ_INT(caps.supported, 1);
	CHECK_EQ_INT(caps.zeroes, 1);
	CHECK_EQ_INT(caps.granularity, 4096);
	/* The probe past the end changed nothing. */
	CHECK_EQ_INT(bs_size(bs), 65536);

	before = file_blocks(path);
	CHECK_EQ_INT(sync_io(bs, BS_OP_DISCARD, 0, 8192, NULL, 8192), 8192);
	CHECK_EQ_INT(file_blocks(path), before - 16);
	CHECK_EQ_INT(bs_size(bs), 65536);
	file_pread(path, buf, sizeof(buf), 0);
	memset(zero, 0, sizeof(zero));
	CHECK_EQ_MEM(buf + 8192, zero, 8192);
	CHECK_EQ_INT(buf[8191], 0xab);
	CHECK_EQ_INT(buf[16384], 0xab);
	/* Zero bytes discard nothing and succeed. */
	CHECK_EQ_INT(sync_io(bs, BS_OP_DISCARD, 0, 0, NULL, 0), 0);

	CHECK_EQ_INT(map_status(bs, 0, 65536, 4096, ext, 8), 3);
	check_extent(&ext[0], 0, 8192, 1);
	check_extent(&ext[1], 8192, 8192, 0);
	check_extent(&ext[2], 16384, 49152, 1);
	/* Starting inside the hole, and stopping at nmax extents. */
	CHECK_EQ_INT(map_status(bs, 12288, 8192, 4096, ext, 8), 2);
	check_extent(&ext[0], 12288, 4096, 0);
	check_extent(&ext[1], 16384, 4096, 1);
	CHECK_EQ_INT(map_status(bs, 0, 65536, 512, ext, 1), 1);
	check_extent(&ext[0], 0, 8192, 1);
	bs_close(bs);
	bs_engine_free(eng);
}

TEST(map_status_rounds_to_units)
{
	const char *path = scratch_file(65536, 0x5c);
	struct bs_extent ext[8];
	struct bs_engine *eng;
	char err[256];
	struct bs *bs;

	eng = bs_engine_new(0, err, sizeof(err));
	REQUIRE(eng != NULL);
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	/* A hole over [4096, 12288): with 8 KiB units, both units it
	 * touches still hold data, so everything is mapped; with 4 KiB
	 * units the hole shows exactly; with 512-byte units too. */
	CHECK_EQ_INT(sync_io(bs, BS_OP_DISCARD, 0, 4096, NULL, 8192), 8192);
	CHECK_EQ_INT(map_status(bs, 0, 65536, 8192, ext, 8), 1);
	check_extent(&ext[0], 0, 65536, 1);
	CHECK_EQ_INT(map_status(bs, 0, 65536, 4096, ext, 8), 3);
	check_extent(&ext[0], 0, 4096, 1);
	check_extent(&ext[1], 4096, 8192, 0);
	check_extent(&ext[2], 12288, 53248, 1);
	CHECK_EQ_INT(map_status(bs, 4608, 1024, 512, ext, 8), 1);
	check_extent(&ext[0], 4608, 1024, 0);
	/* A partial page punched stays allocated (zeroed in place). */
	CHECK_EQ_INT(sync_io(bs, BS_OP_DISCARD, 0, 20480, NULL, 512), 512);
	CHECK_EQ_INT(map_status(bs, 20480, 4096, 512, ext, 8), 1);
	check_extent(&ext[0], 20480, 4096, 1);
	/* Arguments a map cannot be made of. */
	CHECK_EQ_INT(map_status(bs, 0, 4096, 3, ext, 8), -EINVAL);
	CHECK_EQ_INT(map_status(bs, 256, 4096, 512, ext, 8), -EINVAL);
	CHECK_EQ_INT(map_status(bs, 0, 4000, 512, ext, 8), -EINVAL);
	CHECK_EQ_INT(map_status(bs, 0, 4096, 512, ext, 0), -EINVAL);
	bs_close(bs);
	bs_engine_free(eng);
}

TEST(map_status_of_sparse_file)
{
	const char *path = scratch_path();
	unsigned char wbuf[4096];
	struct bs_extent ext[8];
	struct bs_engine *eng;
	char err[256];
	struct bs *bs;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(ftruncate(fd, 1 << 20) == 0);
	close(fd);
	eng = bs_engine_new(1, err, sizeof(err));
	REQUIRE(eng != NULL);
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	{
		struct tally t = { 0 };
		struct bs_io io;

		/* Through a worker thread this time. */
		io_setup(&io, BS_OP_MAP_STATUS, 0, ext, 1 << 20, &t);
		io.unit = 512;
		io.nmax = 8;
		bs_submit(bs, &io);
		wait_done(eng, &t, 1);
		CHECK_EQ_INT(io.result, 1);
		check_extent(&ext[0], 0, 1 << 20, 0);

		pattern(wbuf, sizeof(wbuf), 3);
		io_setup(&io, BS_OP_WRITE, 1 << 19, wbuf, sizeof(wbuf), &t);
		bs_submit(bs, &io);
		wait_done(eng, &t, 2);
		CHECK_EQ_INT(io.result, 4096);
	}
	bs_close(bs);
	bs_engine_free(eng);

	eng = bs_engine_new(0, err, sizeof(err));
	REQUIRE(eng != NULL);
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	CHECK_EQ_INT(map_status(bs, 0, 1 << 20, 512, ext, 8), 3);
	check_extent(&ext[0], 0, 1 << 19, 0);
	check_extent(&ext[1], 1 << 19, 4096, 1);
	check_extent(&ext[2], (1 << 19) + 4096, (1 << 19) - 4096, 0);
	bs_close(bs);
	bs_engine_free(eng);
}

TEST(readonly_store_cannot_discard)
{
	const char *path = scratch_file(8192, 0x21);
	struct bs_discard_caps caps;
	struct bs_extent ext[2];
	struct bs_engine *eng;
	unsigned char buf[8192];
	char err[256];
	struct bs *bs;

	eng = bs_engine_new(0, err, sizeof(err));
	REQUIRE(eng != NULL);
	REQUIRE(bs_open(eng, path, 1, &bs, err, sizeof(err)) == 0);
	bs_discard_caps(bs, &caps);
	CHECK_EQ_INT(caps.supported, 0);
	CHECK_EQ_INT(caps.zeroes, 0);
	CHECK_EQ_INT(sync_io(bs, BS_OP_DISCARD, 0, 0, NULL, 4096),
	    -EOPNOTSUPP);
	file_pread(path, buf, sizeof(buf), 0);
	CHECK_EQ_INT(buf[0], 0x21);
	CHECK_EQ_INT(buf[8191], 0x21);
	/* The allocation map needs no write access. */
	CHECK_EQ_INT(map_status(bs, 0, 8192, 4096, ext, 2), 1);
	check_extent(&ext[0], 0, 8192, 1);
	bs_close(bs);
	bs_engine_free(eng);
}

/* Destroys the contents of MINISAN_TEST_BLKDEV_SCRATCH (a loop device,
 * say): discard is on iff the queue says so, and a block device reports
 * everything mapped. */
TEST(block_device_discard)
{
	const char *dev = getenv("MINISAN_TEST_BLKDEV_SCRATCH");
	struct bs_discard_caps caps;
	struct bs_extent ext[2];
	struct bs_engine *eng;
	char err[256] = "";
	struct bs *bs;

	if (dev == NULL || *dev == '\0') {
		printf("  (block_device_discard skipped: "
		    "MINISAN_TEST_BLKDEV_SCRATCH unset)\n");
		return;
	}
	eng = bs_engine_new(0, err, sizeof(err));
	REQUIRE(eng != NULL);
	if (bs_open(eng, dev, 0, &bs, err, sizeof(err)) != 0) {
		CHECK_EQ_STR(err, "");
		REQUIRE(0);
	}
	REQUIRE(bs_size(bs) >= (1 << 20));
	bs_discard_caps(bs, &caps);
	CHECK_EQ_INT(caps.zeroes, 0);
	if (caps.supported) {
		CHECK(caps.granularity >= 512);
		CHECK_EQ_INT(sync_io(bs, BS_OP_DISCARD, 0, 0, NULL, 1 << 20),
		    1 << 20);
	} else {
		CHECK_EQ_INT(sync_io(bs, BS_OP_DISCARD, 0, 0, NULL, 1 << 20),
		    -EOPNOTSUPP);
	}
	CHECK_EQ_INT(map_status(bs, 0, 1 << 20, 512, ext, 2), 1);
	check_extent(&ext[0], 0, 1 << 20, 1);
	bs_close(bs);
	bs_engine_free(eng);
}

static const struct test tests[] = {
	T(sync_engine_roundtrip),
	T(fua_write_and_flush),
	T(size_is_reread),
	T(read_beyond_eof_is_short),
	T(readonly_store_refuses_writes),
	T(missing_file_names_path),
	T(directory_and_special_files_refused),
	T(engine_bad_thread_count),
	T_BOTH(engine_roundtrip),
	T_BOTH(many_in_flight),
	T_BOTH(short_read_at_eof),
	T_BOTH(error_completion),
	T_BOTH(engine_free_drains_without_callbacks),
	T_BOTH(memory_store_runs_inline),
	T_BOTH(disk_store_writes_go_async),
	T_BOTH(discard_and_map_go_to_workers),
	T(threaded_engine_completes_in_fifo_order),
	T(ring_completion_verdicts),
	T(engine_kinds),
	T(kernel_refusing_io_uring),
	T(block_device),
	T(discard_punches_a_hole),
	T(map_status_rounds_to_units),
	T(map_status_of_sparse_file),
	T(readonly_store_cannot_discard),
	T(block_device_discard),
};

int
main(int argc, char **argv)
{
	return HARNESS_RUN(tests);
}

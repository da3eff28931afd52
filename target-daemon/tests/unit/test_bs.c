/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the backing-store engine and the file store: synchronous
 * and threaded engines, data round trips checked against the file itself,
 * FUA, flush, size, read-only stores and refused paths. Scratch files live
 * in /dev/shm and are removed at exit.
 * Set MINISAN_TEST_BLKDEV=/dev/xxx to also check a block device (opened
 * read-only; nothing is written), and MINISAN_TEST_BLKDEV_SCRATCH=/dev/xxx
 * to check discard on one whose contents may be destroyed (a loop
 * device). Hole punching and allocation maps are checked on tmpfs. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "bs/bs.h"

#define SCRATCH_MAX 32

static char scratch[SCRATCH_MAX][64];
static int nscratch;

static void
scratch_cleanup(void)
{
	for (int i = 0; i < nscratch; i++)
		if (unlink(scratch[i]) < 0 && errno == EISDIR)
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

TEST(threaded_engine_roundtrip)
{
	enum { N = 48, SZ = 4096 };
	static unsigned char wbuf[N][SZ], rbuf[N][SZ], disk[SZ];
	char err[256] = "";
	struct bs_engine *eng = bs_engine_new(3, err, sizeof(err));
	const char *path = scratch_file((size_t)N * SZ, 0);
	struct tally t = { 0 };
	struct bs_io io[N];
	struct bs *bs;
	int fd;

	REQUIRE(eng != NULL);
	bs_engine_set_inline_max(eng, 0); /* the workers' path */
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
	wait_done(eng, &t, N);
	CHECK_EQ_INT(t.ndone, N);
	for (int i = 0; i < N; i++)
		CHECK_EQ_INT(io[i].result, SZ);
	for (int blk = 0; blk < N; blk++) {
		file_pread(path, disk, SZ, (off_t)blk * SZ);
		CHECK_EQ_MEM(disk, wbuf[blk], SZ);
	}

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
	/* nothing left: a further complete() calls nothing */
	bs_engine_complete(eng);
	CHECK_EQ_INT(t.ndone, N);

	bs_close(bs);
	bs_engine_free(eng);
}

/* With one worker, I/O finishes in submission order and done() must be
 * called in that same order. */
static int fifo_seq[16], fifo_n;

static void
fifo_done(struct bs_io *io)
{
	fifo_seq[fifo_n++] = (int)io->offset / 512;
}

TEST(threaded_engine_completes_in_fifo_order)
{
	char err[256] = "";
	unsigned char buf[16][512];
	struct bs_engine *eng = bs_engine_new(1, err, sizeof(err));
	const char *path = scratch_file(16 * 512, 0x5a);
	struct pollfd pfd;
	struct bs_io io[16];
	struct bs *bs;

	REQUIRE(eng != NULL);
	bs_engine_set_inline_max(eng, 0); /* the workers' path */
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

/* Freeing an engine with queued I/O performs the I/O (it was accepted)
 * but drops the callbacks. */
TEST(engine_free_drains_without_callbacks)
{
	enum { N = 32, SZ = 1024 };
	static unsigned char wbuf[N][SZ], disk[SZ];
	char err[256] = "";
	struct bs_engine *eng = bs_engine_new(2, err, sizeof(err));
	const char *path = scratch_file((size_t)N * SZ, 0);
	struct tally t = { 0 };
	struct bs_io io[N];
	struct bs *bs;

	REQUIRE(eng != NULL);
	bs_engine_set_inline_max(eng, 0); /* the workers' path */
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	for (int i = 0; i < N; i++) {
		pattern(wbuf[i], SZ, (unsigned)i);
		io_setup(&io[i], BS_OP_WRITE, (uint64_t)i * SZ, wbuf[i], SZ,
		    &t);
		bs_submit(bs, &io[i]);
	}
	bs_engine_free(eng);
	CHECK_EQ_INT(t.ndone, 0);
	for (int i = 0; i < N; i++) {
		CHECK_EQ_INT(io[i].result, SZ);
		file_pread(path, disk, SZ, (off_t)i * SZ);
		CHECK_EQ_MEM(disk, wbuf[i], SZ);
	}
	bs_close(bs);
}

/* On tmpfs, reads, writes and flushes up to the inline limit complete
 * before bs_submit() returns, even with workers; larger ones, and one
 * submitted from an inline done(), go to the workers. */
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

TEST(memory_store_runs_inline)
{
	enum { SZ = 4096, BIG = 2 * 1024 * 1024 };
	static unsigned char wbuf[SZ], rbuf[SZ], disk[SZ], big[BIG];
	char err[256] = "";
	struct bs_engine *eng = bs_engine_new(2, err, sizeof(err));
	const char *path = scratch_file(BIG, 0x11);
	struct bs_engine_stats st;
	struct tally t = { 0 };
	struct bs_io io;
	struct bs *bs;

	REQUIRE(eng != NULL);
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
	CHECK_EQ_INT(st.queued_ios, 0);

	/* over the limit: the workers */
	io_setup(&io, BS_OP_READ, 0, big, BIG, &t);
	bs_submit(bs, &io);
	wait_done(eng, &t, 4);
	CHECK_EQ_INT(io.result, BIG);
	CHECK_EQ_INT(big[0], 0x11);
	CHECK_EQ_INT(big[BIG - 1], 0x11);
	bs_engine_get_stats(eng, &st);
	CHECK_EQ_INT(st.inline_ios, 3);
	CHECK_EQ_INT(st.queued_ios, 1);

	/* a submission from an inline done(): queued, not nested */
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
	CHECK_EQ_INT(st.queued_ios, 2);

	/* inline limit 0: everything to the workers */
	bs_engine_set_inline_max(eng, 0);
	io_setup(&io, BS_OP_READ, SZ, rbuf, SZ, &t);
	bs_submit(bs, &io);
	wait_done(eng, &t, 7);
	CHECK_EQ_MEM(rbuf, wbuf, SZ);
	bs_engine_get_stats(eng, &st);
	CHECK_EQ_INT(st.queued_ios, 3);
	bs_close(bs);
	bs_engine_free(eng);
}

/* Outside tmpfs, only reads are tried inline (RWF_NOWAIT); writes always
 * go to the workers, and what a read finds is right either way. */
TEST(disk_store_writes_go_to_workers)
{
	enum { SZ = 4096 };
	static unsigned char wbuf[SZ], rbuf[SZ];
	char err[256] = "", path[64];
	struct bs_engine *eng = bs_engine_new(2, err, sizeof(err));
	struct bs_engine_stats st;
	struct statfs sfs;
	struct tally t = { 0 };
	struct bs_io io;
	struct bs *bs;
	int fd;

	REQUIRE(eng != NULL);
	snprintf(path, sizeof(path), "/var/tmp/minisan-test-bs.%ld.disk",
	    (long)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(ftruncate(fd, 4 * SZ) == 0);
	REQUIRE(fstatfs(fd, &sfs) == 0);
	close(fd);
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
	CHECK_EQ_INT(st.inline_ios + st.queued_ios, 2);
	if (sfs.f_type != 0x01021994) /* not tmpfs: the write was queued */
		CHECK(st.queued_ios >= 1);
	bs_close(bs);
	bs_engine_free(eng);
	unlink(path);
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
	T(threaded_engine_roundtrip),
	T(threaded_engine_completes_in_fifo_order),
	T(fua_write_and_flush),
	T(size_is_reread),
	T(read_beyond_eof_is_short),
	T(readonly_store_refuses_writes),
	T(missing_file_names_path),
	T(directory_and_special_files_refused),
	T(engine_bad_thread_count),
	T(engine_free_drains_without_callbacks),
	T(memory_store_runs_inline),
	T(disk_store_writes_go_to_workers),
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

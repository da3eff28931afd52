/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the file and block-device backing store: open and
 * type checks, size queries, and the blocking pread/pwrite/fdatasync loops,
 * hole punching/discard and allocation-map queries that the engine's
 * workers (or a synchronous engine) run. */
#include "bs/bs_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/xalloc.h"

/* Per-I/O O_DSYNC (Linux 4.7). glibc defines it in <sys/uio.h>; musl
 * 1.2.3 does not, and <linux/fs.h> is not on musl-gcc's include path. */
#ifndef RWF_DSYNC
#define RWF_DSYNC 0x00000002
#endif
/* Per-I/O "fail with EAGAIN rather than wait" (Linux 4.14). */
#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif
/* <linux/magic.h> (not on musl-gcc's include path): file systems whose
 * files live in memory. */
#define BS_TMPFS_MAGIC 0x01021994
#define BS_RAMFS_MAGIC 0x858458f6
/* <linux/fs.h>, which neither libc's <sys/mount.h> repeats: discard a
 * byte range {start, len} of a block device (Linux 2.6.28). */
#ifndef BLKDISCARD
#define BLKDISCARD _IO(0x12, 119)
#endif

/* Allocation unit assumed when a file system reports none. */
#define BS_DEFAULT_GRANULARITY 4096u
/* Longest sysfs attribute we read. */
#define SYSFS_VALUE_MAX 32

static void
set_err(char *err, size_t errlen, const char *path, const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, what);
}

static const char *
file_type_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "directory";
	if (S_ISCHR(mode))
		return "character device";
	if (S_ISFIFO(mode))
		return "fifo";
	if (S_ISSOCK(mode))
		return "socket";
	return "unsupported file type";
}

static int
is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* Reads an unsigned decimal sysfs attribute of the block device dev, or of
 * the disk holding it when dev is a partition (whose directory has no
 * queue/). Returns 0 or -errno. */
static int
sysfs_queue_value(dev_t dev, const char *attr, uint64_t *out)
{
	char path[128], buf[SYSFS_VALUE_MAX], *end;
	ssize_t n;
	int fd;

	for (int up = 0; up < 2; up++) {
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/%squeue/%s",
		    major(dev), minor(dev), up ? "../" : "", attr);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return -EIO;
		buf[n] = '\0';
		errno = 0;
		*out = strtoull(buf, &end, 10);
		if (errno != 0 || end == buf || (*end != '\n' && *end != '\0'))
			return -EIO;
		return 0;
	}
	return -ENOENT;
}

/* Finds out what BS_OP_DISCARD can do on the open store. A regular file
 * is asked to punch a hole past its end, which changes nothing but fails
 * with EOPNOTSUPP where the file system cannot punch holes; a punched
 * hole reads as zeros. A block device discards if its queue says so
 * (discard_max_bytes > 0); what a discarded range then reads as is up to
 * the device, so it is not promised to be zeros. */
static void
probe_discard(int fd, const struct stat *st, int readonly,
    struct bs_discard_caps *caps)
{
	uint64_t max = 0, gran = 0;

	memset(caps, 0, sizeof(*caps));
	if (readonly)
		return;
	if (S_ISREG(st->st_mode)) {
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		    st->st_size, 1) != 0)
			return;
		caps->supported = 1;
		caps->zeroes = 1;
		caps->granularity = is_pow2((uint64_t)st->st_blksize) ?
		    (uint32_t)st->st_blksize : BS_DEFAULT_GRANULARITY;
		return;
	}
	if (sysfs_queue_value(st->st_rdev, "discard_max_bytes", &max) != 0 ||
	    max == 0)
		return;
	caps->supported = 1;
	if (sysfs_queue_value(st->st_rdev, "discard_granularity", &gran) != 0 ||
	    !is_pow2(gran) || gran > UINT32_MAX)
		gran = 512;
	caps->granularity = (uint32_t)gran;
}

/* 1 if fd is a file of a file system kept in memory (tmpfs, ramfs): its
 * reads and writes copy memory and never wait for a disk. */
static int
store_in_memory(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) < 0)
		return 0;
	return (unsigned long)sfs.f_type == BS_TMPFS_MAGIC ||
	    (unsigned long)sfs.f_type == BS_RAMFS_MAGIC;
}

int
bs_open(struct bs_engine *eng, const char *path, int readonly,
    struct bs **out, char *err, size_t errlen)
{
	char msg[128];
	struct stat st;
	struct bs *bs;
	int fd, flags, block_size = 0, rc;

	*out = NULL;
	/* O_NONBLOCK only so that opening a fifo cannot hang; it is cleared
	 * once we know this is a regular file or a block device. */
	flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK;
	fd = open(path, flags);
	if (fd < 0) {
		rc = -errno;
		if (rc == -EISDIR)
			set_err(err, errlen, path, "is a directory, not a "
			    "regular file or block device");
		else
			set_err(err, errlen, path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		set_err(err, errlen, path, strerror(-rc));
		goto fail;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKSSZGET, &block_size) < 0) {
			rc = -errno;
			snprintf(msg, sizeof(msg), "BLKSSZGET: %s",
			    strerror(-rc));
			set_err(err, errlen, path, msg);
			goto fail;
		}
	} else if (!S_ISREG(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		snprintf(msg, sizeof(msg), "is a %s, not a regular file or "
		    "block device", file_type_name(st.st_mode));
		set_err(err, errlen, path, msg);
		goto fail;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		rc = -errno;
		set_err(err, errlen, path, strerror(-rc));
		goto fail;
	}

	bs = xcalloc(1, sizeof(*bs));
	bs->eng = eng;
	bs->fd = fd;
	bs->readonly = readonly != 0;
	bs->is_blkdev = S_ISBLK(st.st_mode);
	bs->block_size = (uint32_t)block_size;
	bs->path = xstrdup(path);
	probe_discard(fd, &st, bs->readonly, &bs->discard);
	bs->in_memory = S_ISREG(st.st_mode) && store_in_memory(fd);
	bs->nowait = !bs->in_memory;
	*out = bs;
	return 0;

fail:
	close(fd);
	return rc;
}

void
bs_close(struct bs *bs)
{
	if (bs == NULL)
		return;
	if (bs->fd >= 0)
		close(bs->fd);
	bs->fd = -1;
	free(bs->path);
	free(bs);
}

/* Returns 0 when the size cannot be determined (the store then looks empty
 * and every access is out of range, which is the safe failure). */
uint64_t
bs_size(struct bs *bs)
{
	struct stat st;
	uint64_t size;

	if (bs->is_blkdev)
		return ioctl(bs->fd, BLKGETSIZE64, &size) < 0 ? 0 : size;
	return fstat(bs->fd, &st) < 0 ? 0 : (uint64_t)st.st_size;
}

uint32_t
bs_device_block_size(const struct bs *bs)
{
	return bs->block_size;
}

int
bs_is_readonly(const struct bs *bs)
{
	return bs->readonly;
}

void
bs_discard_caps(const struct bs *bs, struct bs_discard_caps *caps)
{
	*caps = bs->discard;
}

int
bs_flush_now(struct bs *bs)
{
	return fdatasync(bs->fd) < 0 ? -errno : 0;
}

const char *
bs_path(const struct bs *bs)
{
	return bs->path;
}

/* pwritev2(RWF_DSYNC) through the raw system call: musl 1.2.3 has no
 * wrapper. The offset goes as low/high halves; a 64-bit kernel ignores the
 * high half. Returns bytes written or -1 with errno set. */
static ssize_t
pwrite_dsync(int fd, void *buf, size_t len, off_t off)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return (ssize_t)syscall(SYS_pwritev2, fd, &iov, 1,
	    (unsigned long)off, (unsigned long)((uint64_t)off >> 32),
	    RWF_DSYNC);
}

/* preadv2(RWF_NOWAIT) through the raw system call (no musl 1.2.3 wrapper),
 * offset split as for pwrite_dsync(). */
static ssize_t
pread_nowait(int fd, void *buf, size_t len, off_t off)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return (ssize_t)syscall(SYS_preadv2, fd, &iov, 1, (unsigned long)off,
	    (unsigned long)((uint64_t)off >> 32), RWF_NOWAIT);
}

static ssize_t
file_read(struct bs *bs, struct bs_io *io)
{
	char *p = io->buf;
	off_t off = (off_t)io->offset;
	size_t done = 0;
	ssize_t n;

	while (done < io->len) {
		n = pread(bs->fd, p + done, io->len - done, off + (off_t)done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	if (done == io->len)
		return (ssize_t)done;
	return bs_file_read_end(bs, io, done);
}

ssize_t
bs_file_read_end(struct bs *bs, struct bs_io *io, size_t done)
{
	char *p = io->buf;
	uint64_t size, end;

	/* Callers check ranges against bs_size(), so this only happens if
	 * the store shrank meanwhile: the part still within bs_size() reads
	 * as zeros, the rest is not transferred and the result is short. */
	size = bs_size(bs);
	end = io->offset + io->len;
	if (end > size)
		end = size;
	if (end < io->offset + done)
		end = io->offset + done;
	memset(p + done, 0, (size_t)(end - io->offset) - done);
	return (ssize_t)(end - io->offset);
}

static ssize_t
file_write(struct bs *bs, struct bs_io *io)
{
	char *p = io->buf;
	off_t off = (off_t)io->offset;
	size_t done = 0;
	int dsync = io->fua, need_sync = 0;
	ssize_t n;

	while (done < io->len) {
		if (dsync) {
			n = pwrite_dsync(bs->fd, p + done, io->len - done,
			    off + (off_t)done);
			if (n < 0 && (errno == EOPNOTSUPP || errno == ENOSYS ||
			    errno == EINVAL)) {
				/* Kernel or filesystem without RWF_DSYNC. */
				dsync = 0;
				need_sync = 1;
				continue;
			}
		} else {
			n = pwrite(bs->fd, p + done, io->len - done,
			    off + (off_t)done);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	if (need_sync && fdatasync(bs->fd) < 0)
		return -errno;
	return (ssize_t)done;
}

static ssize_t
file_discard(struct bs *bs, struct bs_io *io)
{
	uint64_t range[2] = { io->offset, io->len };
	int rc;

	if (!bs->discard.supported)
		return -EOPNOTSUPP;
	if (io->len == 0)
		return 0;
	do {
		if (bs->is_blkdev)
			rc = ioctl(bs->fd, BLKDISCARD, range);
		else
			rc = fallocate(bs->fd, FALLOC_FL_PUNCH_HOLE |
			    FALLOC_FL_KEEP_SIZE, (off_t)io->offset,
			    (off_t)io->len);
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : (ssize_t)io->len;
}

/* lseek(SEEK_DATA/SEEK_HOLE) from pos. "No data at or after pos" (ENXIO)
 * comes back as end, as does anything past it. Returns -errno on other
 * errors. */
static int64_t
seek_map(int fd, uint64_t pos, int whence, uint64_t end)
{
	off_t r = lseek(fd, (off_t)pos, whence);

	if (r < 0)
		return errno == ENXIO ? (int64_t)end : -errno;
	return (uint64_t)r > end ? (int64_t)end : (int64_t)r;
}

/* 1 if the unit [pos, pos + unit) holds allocated bytes, 0 if it is a
 * hole, -errno on error. *data is where the next data starts (>= pos). */
static int
unit_mapped(int fd, uint64_t pos, uint32_t unit, uint64_t end,
    int64_t *data)
{
	*data = seek_map(fd, pos, SEEK_DATA, end);
	if (*data < 0)
		return (int)*data;
	return (uint64_t)*data < pos + unit;
}

/* Extents of [offset, offset + len) as BS_OP_MAP_STATUS describes them.
 * A unit partly allocated counts as mapped: mapped runs are rounded out
 * to whole units, holes in. */
static ssize_t
file_map_status(struct bs *bs, struct bs_io *io)
{
	struct bs_extent *ext = io->buf;
	uint64_t u = io->unit, pos = io->offset, end = io->offset + io->len;
	uint64_t next;
	uint32_t n = 0;
	int64_t d, h;
	int mapped, m;

	if (u == 0 || !is_pow2(u) || pos % u != 0 || io->len % u != 0 ||
	    io->nmax == 0 || io->len == 0)
		return -EINVAL;
	if (bs->is_blkdev) {
		ext[0].offset = pos;
		ext[0].len = io->len;
		ext[0].mapped = 1;
		return 1;
	}
	while (pos < end && n < io->nmax) {
		mapped = unit_mapped(bs->fd, pos, (uint32_t)u, end, &d);
		if (mapped < 0)
			return mapped;
		if (!mapped) {
			/* A hole up to the unit holding the next data
			 * (d >= pos + u, so this moves on). */
			next = (uint64_t)d / u * u;
		} else {
			/* Data from d on: extend over every following unit
			 * that holds data. */
			do {
				h = seek_map(bs->fd, (uint64_t)d, SEEK_HOLE,
				    end);
				if (h < 0)
					return (ssize_t)h;
				next = ((uint64_t)h + u - 1) / u * u;
				if (next >= end)
					break;
				m = unit_mapped(bs->fd, next, (uint32_t)u, end,
				    &d);
				if (m < 0)
					return m;
			} while (m);
		}
		if (next > end)
			next = end;
		ext[n].offset = pos;
		ext[n].len = next - pos;
		ext[n].mapped = mapped;
		n++;
		pos = next;
	}
	return n;
}

int
bs_file_in_range(const struct bs_io *io)
{
	/* off_t arithmetic on offset + len must not overflow. */
	return io->len <= (size_t)INT64_MAX &&
	    io->offset <= (uint64_t)INT64_MAX - io->len;
}

int
bs_file_try_inline(struct bs *bs, struct bs_io *io)
{
	ssize_t n;

	if (!bs_file_in_range(io))
		return 0;
	if (bs->in_memory) {
		if (io->op != BS_OP_READ && io->op != BS_OP_WRITE &&
		    io->op != BS_OP_FLUSH)
			return 0;
		bs_file_execute(bs, io);
		return 1;
	}
	if (io->op != BS_OP_READ || io->len == 0 ||
	    !__atomic_load_n(&bs->nowait, __ATOMIC_RELAXED))
		return 0;
	/* A read the page cache holds entirely costs a copy; anything else
	 * (EAGAIN: it would wait for the disk; short: part of it would)
	 * goes to a worker, which reads it all again. */
	do {
		n = pread_nowait(bs->fd, io->buf, io->len, (off_t)io->offset);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EOPNOTSUPP || errno == ENOSYS ||
	    errno == EINVAL))
		__atomic_store_n(&bs->nowait, 0, __ATOMIC_RELAXED);
	if (n != (ssize_t)io->len)
		return 0;
	io->result = n;
	return 1;
}

void
bs_file_execute(struct bs *bs, struct bs_io *io)
{
	if (!bs_file_in_range(io)) {
		io->result = -EINVAL;
		return;
	}
	switch (io->op) {
	case BS_OP_READ:
		io->result = file_read(bs, io);
		break;
	case BS_OP_WRITE:
		io->result = file_write(bs, io);
		break;
	case BS_OP_FLUSH:
		io->result = fdatasync(bs->fd) < 0 ? -errno : 0;
		break;
	case BS_OP_DISCARD:
		io->result = file_discard(bs, io);
		break;
	case BS_OP_MAP_STATUS:
		io->result = file_map_status(bs, io);
		break;
	default:
		io->result = -EINVAL;
		break;
	}
}

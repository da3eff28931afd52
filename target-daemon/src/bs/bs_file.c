/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the file and block-device backing store: open and
 * type checks, size queries, and the blocking pread/pwrite/fdatasync loops
 * that the engine's workers (or a synchronous engine) run. */
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
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/xalloc.h"

/* Per-I/O O_DSYNC (Linux 4.7). glibc defines it in <sys/uio.h>; musl
 * 1.2.3 does not, and <linux/fs.h> is not on musl-gcc's include path. */
#ifndef RWF_DSYNC
#define RWF_DSYNC 0x00000002
#endif

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

static ssize_t
file_read(struct bs *bs, struct bs_io *io)
{
	char *p = io->buf;
	off_t off = (off_t)io->offset;
	size_t done = 0;
	uint64_t size, end;
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
	/* End of file inside the request. Callers check ranges against
	 * bs_size(), so this only happens if the store shrank meanwhile:
	 * the part still within bs_size() reads as zeros, the rest is not
	 * transferred and the result is short. */
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

void
bs_file_execute(struct bs *bs, struct bs_io *io)
{
	/* off_t arithmetic below must not overflow. */
	if (io->len > (size_t)INT64_MAX ||
	    io->offset > (uint64_t)INT64_MAX - io->len) {
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
	default:
		io->result = -EINVAL;
		break;
	}
}

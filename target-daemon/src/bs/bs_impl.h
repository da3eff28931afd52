/* SPDX-License-Identifier: BSD-2-Clause */
/* Private to bs/: the store object shared by the engine (bs.c) and the
 * file/block-device store (bs_file.c). Nothing outside bs/ includes this. */
#ifndef MINISAN_BS_BS_IMPL_H
#define MINISAN_BS_BS_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bs/bs.h"

/* An open backing store. Owned by whoever called bs_open() (the LUN, via
 * conf); freed by bs_close(). Immutable after bs_open(), so worker threads
 * read it without locking, except nowait, which only submitting threads
 * touch (atomically). */
struct bs {
	struct bs_engine *eng; /* borrowed; outlives the store */
	int fd;
	int readonly;
	int is_blkdev;
	uint32_t block_size; /* BLKSSZGET for a block device, else 0 */
	struct bs_discard_caps discard; /* probed by bs_open() */
	int in_memory;       /* on tmpfs/ramfs: I/O is a memory copy */
	int nowait;          /* preadv2(RWF_NOWAIT) worth trying */
	char *path;          /* owned */
};

/* 1 if io's byte range can be expressed in off_t (offset + len does not
 * overflow); an io outside it completes with -EINVAL. */
int bs_file_in_range(const struct bs_io *io);
/* Performs io on bs synchronously in the calling thread and sets
 * io->result to the bytes transferred or -errno. Does not call done().
 * Safe to call from several threads at once. */
void bs_file_execute(struct bs *bs, struct bs_io *io);
/* The end of a read that met the end of the file after done bytes (done <
 * io->len): the part of the request still below bs_size() is zero-filled
 * (the store shrank under the read), the rest is not transferred. Returns
 * the read's result, done or more. Shared by the workers' pread loop and
 * the io_uring path so that both answer alike. */
ssize_t bs_file_read_end(struct bs *bs, struct bs_io *io, size_t done);
/* Performs io in the calling thread only if that cannot wait for a disk:
 * any read, write or flush on a store in memory, or a read the page cache
 * answers in full (RWF_NOWAIT). Returns 1 with io->result set if it did,
 * 0 if the I/O must go to a worker (io untouched apart from the buffer). */
int bs_file_try_inline(struct bs *bs, struct bs_io *io);

#endif

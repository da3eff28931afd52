/* SPDX-License-Identifier: BSD-2-Clause */
/* A test fixture for SCSI command tests: one target whose LUNs each sit on
 * their own scratch file (in /dev/shm unless asked otherwise) behind one
 * backing-store engine, synchronous or with worker threads; two I_T
 * nexuses; helpers to run a command, pump completions and read and write
 * the backing files (the status and sense checks and CDB building are in
 * scsi_fx_cmd.h). Included by the test_scsi_*.c files; everything is
 * static inline, so a file uses what it needs. */
#ifndef MINISAN_TESTS_UNIT_SCSI_FX_H
#define MINISAN_TESTS_UNIT_SCSI_FX_H

#include "harness.h"
#include "scsi_fx_cmd.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs/bs.h"
#include "scsi/scsi.h"

#define FX_TARGET "iqn.2024-01.org.minisan:fx"
#define FX_PORT_A "iqn.2024-01.org.example:host-a,i,0x23d000000001"
#define FX_PORT_B "iqn.2024-01.org.example:host-b,i,0x23d000000002"
#define FX_TARGET_PORT "iqn.2024-01.org.minisan:fx,t,0x0001"
#define FX_NAA(i) (0x6001405abcdef000ull + (uint64_t)(i))
#define FX_MAX_LUNS 4
#define FX_MIB (1024u * 1024u)

struct fx {
	struct bs_engine *eng;
	char path[FX_MAX_LUNS][96];
	struct bs *bs[FX_MAX_LUNS];
	struct scsi_lun *luns[FX_MAX_LUNS];
	struct scsi_target tgt;
	struct scsi_nexus a, b;
};

/* Completions, in order, since the last fx_run/fx_start with reset. */
static int fx_ndone;
static struct scsi_task *fx_done_seq[16];

static inline void
fx_task_done(struct scsi_task *t)
{
	if (fx_ndone < 16)
		fx_done_seq[fx_ndone] = t;
	fx_ndone++;
}

/* nthreads 0: synchronous engine (done() before scsi_exec returns). */
static inline void
fx_open(struct fx *f, int nthreads)
{
	char err[256];

	memset(f, 0, sizeof(*f));
	f->eng = bs_engine_new(nthreads, err, sizeof(err));
	REQUIRE(f->eng != NULL);
	/* asynchronous fixtures test completion through the engine (io_uring
	 * where the kernel has it, else the workers) */
	bs_engine_set_inline_max(f->eng, 0);
	f->tgt.name = FX_TARGET;
	f->tgt.luns = f->luns;
	f->a.initiator_port = FX_PORT_A;
	f->a.target_port = FX_TARGET_PORT;
	f->a.rel_port_id = 3;
	f->a.tpgt = 7;
	f->b = f->a;
	f->b.initiator_port = FX_PORT_B;
}

/* Adds LUN number f->tgt.nluns on a fresh sparse file of size bytes in
 * dir; returns its number. */
static inline uint32_t
fx_add_lun_at(struct fx *f, const char *dir, uint64_t size, uint32_t bsz,
    int readonly)
{
	uint32_t i = f->tgt.nluns;
	struct scsi_lun_params p = {
		.block_size = bsz,
		.readonly = readonly,
		.naa_id = FX_NAA(i),
	};
	char err[256];
	int fd;

	REQUIRE(i < FX_MAX_LUNS);
	snprintf(f->path[i], sizeof(f->path[i]), "%s/minisan-fx.%ld.%u", dir,
	    (long)getpid(), i);
	unlink(f->path[i]);
	fd = open(f->path[i], O_RDWR | O_CREAT | O_EXCL, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(ftruncate(fd, (off_t)size) == 0);
	close(fd);
	REQUIRE(bs_open(f->eng, f->path[i], 0, &f->bs[i], err,
	    sizeof(err)) == 0);
	f->luns[i] = fx_lun_new(f->bs[i], &p);
	f->tgt.nluns = i + 1;
	return i;
}

static inline uint32_t
fx_add_lun(struct fx *f, uint64_t size, uint32_t bsz, int readonly)
{
	return fx_add_lun_at(f, "/dev/shm", size, bsz, readonly);
}

static inline void
fx_close(struct fx *f)
{
	bs_engine_free(f->eng);
	for (uint32_t i = 0; i < f->tgt.nluns; i++) {
		scsi_lun_free(f->luns[i]);
		bs_close(f->bs[i]);
		unlink(f->path[i]);
	}
}

/* Starts a command on LUN lun through nexus nx without waiting for it.
 * data_out/out_len is what "arrived" from the initiator. */
static inline void
fx_start(struct fx *f, struct scsi_task *t, const struct scsi_nexus *nx,
    uint64_t lun, const uint8_t *cdb, size_t cdb_len, uint32_t edtl,
    const void *data_out, uint32_t out_len)
{
	fx_exec(t, &f->tgt, nx, lun, cdb, cdb_len, edtl, data_out, out_len,
	    fx_task_done);
}

/* Runs completions until fx_ndone reaches want (at most ~5 s). */
static inline void
fx_pump(struct fx *f, int want)
{
	struct pollfd pfd = { .fd = bs_engine_fd(f->eng), .events = POLLIN };

	for (int i = 0; i < 500 && fx_ndone < want; i++) {
		if (pfd.fd >= 0 && poll(&pfd, 1, 10) > 0)
			bs_engine_complete(f->eng);
	}
}

/* Runs completions until the engine has been idle for 100 ms (work that
 * no task waits for, such as a sanitize operation, at most ~10 s). */
static inline void
fx_drain(struct fx *f)
{
	struct pollfd pfd = { .fd = bs_engine_fd(f->eng), .events = POLLIN };

	for (int i = 0; i < 1000 && pfd.fd >= 0; i++) {
		if (poll(&pfd, 1, 100) <= 0)
			return;
		bs_engine_complete(f->eng);
	}
}

/* Runs one command to completion and checks done() came exactly once. */
static inline void
fx_run_on(struct fx *f, struct scsi_task *t, const struct scsi_nexus *nx,
    uint64_t lun, const uint8_t *cdb, size_t cdb_len, uint32_t edtl,
    const void *data_out, uint32_t out_len)
{
	fx_ndone = 0;
	fx_start(f, t, nx, lun, cdb, cdb_len, edtl, data_out, out_len);
	fx_pump(f, 1);
	CHECK_EQ_INT(fx_ndone, 1);
}

static inline void
fx_run(struct fx *f, struct scsi_task *t, uint64_t lun, const uint8_t *cdb,
    size_t cdb_len, uint32_t edtl, const void *data_out, uint32_t out_len)
{
	fx_run_on(f, t, &f->a, lun, cdb, cdb_len, edtl, data_out, out_len);
}

/* Sends TEST UNIT READY until GOOD: eats the power on unit attention. */
static inline void
fx_clear_ua(struct fx *f, const struct scsi_nexus *nx, uint64_t lun)
{
	const uint8_t tur[6] = { 0 };
	struct scsi_task t;

	for (int i = 0; i < 8; i++) {
		fx_run_on(f, &t, nx, lun, tur, sizeof(tur), 0, NULL, 0);
		scsi_task_fini(&t);
		if (t.status == SCSI_STATUS_GOOD)
			return;
	}
	CHECK(!"unit attentions did not clear");
}

/* fx_open() with one writable LUN of size bytes and blocks of bsz, its
 * power on unit attention eaten on nexus a. */
static inline void
fx_open_lun(struct fx *f, int nthreads, uint64_t size, uint32_t bsz)
{
	fx_open(f, nthreads);
	fx_add_lun(f, size, bsz, 0);
	fx_clear_ua(f, &f->a, 0);
}

static inline void
fx_pread(struct fx *f, uint32_t lun, void *buf, size_t len, off_t off)
{
	fx_file_pread(f->path[lun], buf, len, off);
}

static inline void
fx_pwrite(struct fx *f, uint32_t lun, const void *buf, size_t len, off_t off)
{
	int fd = open(f->path[lun], O_WRONLY);

	REQUIRE(fd >= 0);
	REQUIRE(pwrite(fd, buf, len, off) == (ssize_t)len);
	close(fd);
}

#endif

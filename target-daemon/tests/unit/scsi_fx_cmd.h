/* SPDX-License-Identifier: BSD-2-Clause */
/* The fixture-independent half of the SCSI command tests: scratch backing
 * files removed at exit, starting a task through scsi_exec(), the status
 * and sense checks, CDB building and reading a backing file back. Shared
 * by scsi_fx.h and the test files that keep a fixture of their own
 * (test_scsi.c, test_scsi_provision.c, test_pr.c); everything is static
 * inline, so a file uses what it needs. */
#ifndef MINISAN_TESTS_UNIT_SCSI_FX_CMD_H
#define MINISAN_TESTS_UNIT_SCSI_FX_CMD_H

#include "harness.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scsi/scsi.h"

#define FX_SCRATCH_MAX 64

static char fx_scratch[FX_SCRATCH_MAX][80];
static int fx_nscratch;

static inline void
fx_scratch_cleanup(void)
{
	for (int i = 0; i < fx_nscratch; i++)
		unlink(fx_scratch[i]);
}

/* A fresh file of size bytes, dir/minisan-test-<tag>.<pid>.<n>, every byte
 * fill (0: sparse); removed at exit. */
static inline const char *
fx_scratch_file(const char *dir, const char *tag, uint64_t size, int fill)
{
	static int registered;
	char *p, buf[4096];
	int fd;

	if (!registered) {
		atexit(fx_scratch_cleanup);
		registered = 1;
	}
	REQUIRE(fx_nscratch < FX_SCRATCH_MAX);
	p = fx_scratch[fx_nscratch++];
	snprintf(p, sizeof(fx_scratch[0]), "%s/minisan-test-%s.%ld.%d", dir,
	    tag, (long)getpid(), fx_nscratch);
	unlink(p);
	fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(ftruncate(fd, (off_t)size) == 0);
	if (fill != 0) {
		memset(buf, fill, sizeof(buf));
		for (uint64_t off = 0; off < size; off += sizeof(buf))
			REQUIRE(pwrite(fd, buf, sizeof(buf), (off_t)off) ==
			    (ssize_t)sizeof(buf));
	}
	close(fd);
	return p;
}

/* scsi_lun_new() that must succeed (its error is printed if not). */
static inline struct scsi_lun *
fx_lun_new(struct bs *bs, const struct scsi_lun_params *p)
{
	char err[256];
	struct scsi_lun *lu = scsi_lun_new(bs, p, err, sizeof(err));

	if (lu == NULL)
		fprintf(stderr, "  scsi_lun_new: %s\n", err);
	REQUIRE(lu != NULL);
	return lu;
}

/* Initialises t for LUN lun of tgt through nexus nx and hands it to
 * scsi_exec(); done is called on completion (perhaps before this returns).
 * data_out/out_len is what "arrived" from the initiator. */
static inline void
fx_exec(struct scsi_task *t, struct scsi_target *tgt,
    const struct scsi_nexus *nx, uint64_t lun, const uint8_t *cdb,
    size_t cdb_len, uint32_t edtl, const void *data_out, uint32_t out_len,
    void (*done)(struct scsi_task *))
{
	scsi_task_init(t);
	t->target = tgt;
	t->nexus = nx;
	t->lun = lun;
	memcpy(t->cdb, cdb, cdb_len);
	t->cdb_len = SCSI_CDB_MAX;
	t->edtl = edtl;
	t->data_out = data_out;
	t->data_out_len = out_len;
	t->done = done;
	scsi_exec(t);
}

/* Completions counted by fx_count_done, per thread (test_pr.c runs
 * commands from a second thread). */
static _Thread_local int fx_ncount;

static inline void
fx_count_done(struct scsi_task *t)
{
	(void)t;
	fx_ncount++;
}

/* fx_exec() on a synchronous engine: checks that done() was called
 * exactly once before scsi_exec() returned. */
static inline void
fx_exec_once(struct scsi_task *t, struct scsi_target *tgt,
    const struct scsi_nexus *nx, uint64_t lun, const uint8_t *cdb,
    size_t cdb_len, uint32_t edtl, const void *data_out, uint32_t out_len)
{
	fx_ncount = 0;
	fx_exec(t, tgt, nx, lun, cdb, cdb_len, edtl, data_out, out_len,
	    fx_count_done);
	CHECK_EQ_INT(fx_ncount, 1);
}

/* CHECK CONDITION with fixed-format sense key/asc/ascq (ADDITIONAL SENSE
 * LENGTH 10) and no data. */
static inline void
fx_check_sense(const struct scsi_task *t, int key, int asc, int ascq)
{
	CHECK_EQ_INT(t->status, SCSI_STATUS_CHECK_CONDITION);
	CHECK_EQ_INT(t->sense_len, 18);
	CHECK_EQ_INT(t->sense[0] & 0x7f, 0x70);
	CHECK_EQ_INT(t->sense[2], key);
	CHECK_EQ_INT(t->sense[7], 10);
	CHECK_EQ_INT(t->sense[12], asc);
	CHECK_EQ_INT(t->sense[13], ascq);
	CHECK_EQ_INT(t->data_in_len, 0);
}

/* ILLEGAL REQUEST with asc and a field pointer: cd 1 for the CDB, byte,
 * bit (-1: none). */
static inline void
fx_check_field(const struct scsi_task *t, int asc, int cd, int byte, int bit)
{
	fx_check_sense(t, 0x05, asc, 0x00);
	CHECK_EQ_INT(t->sense[15], 0x80 | (cd ? 0x40 : 0) |
	    (bit >= 0 ? 0x08 | bit : 0));
	CHECK_EQ_INT(t->sense[16] << 8 | t->sense[17], byte);
}

static inline void
fx_check_good(const struct scsi_task *t)
{
	CHECK_EQ_INT(t->status, SCSI_STATUS_GOOD);
	CHECK_EQ_INT(t->sense_len, 0);
}

static inline void
fx_put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static inline uint64_t
fx_get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* A 16-byte CDB: opcode, byte 1, 8-byte LBA at 2, 4-byte length at 10. */
static inline void
fx_cdb16(uint8_t *c, uint8_t op, uint8_t b1, uint64_t lba, uint32_t len)
{
	memset(c, 0, 16);
	c[0] = op;
	c[1] = b1;
	fx_put_be(&c[2], lba, 8);
	fx_put_be(&c[10], len, 4);
}

/* Reads len bytes at off of the file at path (the LUN's backing bytes). */
static inline void
fx_file_pread(const char *path, void *buf, size_t len, off_t off)
{
	int fd = open(path, O_RDONLY);

	REQUIRE(fd >= 0);
	REQUIRE(pread(fd, buf, len, off) == (ssize_t)len);
	close(fd);
}

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the libFuzzer entry point for CDB decoding and
 * execution: the input is a 16-byte CDB, a 4-byte big-endian expected
 * transfer length and the write data, run by scsi_exec() on a LUN over a
 * memfd through a synchronous engine. Every task must complete exactly
 * once, with data and sense within their bounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bs/bs.h"
#include "scsi/scsi.h"
#include "util/be.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_LUN_BYTES (256 * 1024)

static struct scsi_target target;
static struct scsi_lun *luns[2];
static const struct scsi_nexus nexus = {
	.initiator_port = "iqn.2026-11.org.minisan:fuzz,i,0x800000000001",
	.target_port = "iqn.2026-11.org.minisan:fuzz-target,t,0x0001",
	.rel_port_id = 1,
	.tpgt = 1,
};
static int completions;

static void
fuzz_setup(void)
{
	struct scsi_lun_params lp = { .naa_id = 0x3000000000000002ull };
	struct bs_engine *eng;
	char path[64], err[512];
	struct bs *bs;
	int fd;

	eng = bs_engine_new(0, err, sizeof(err));
	fd = memfd_create("fuzz-scsi", MFD_CLOEXEC);
	if (eng == NULL || fd < 0 || ftruncate(fd, FUZZ_LUN_BYTES) < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (bs_open(eng, path, 0, &bs, err, sizeof(err)) < 0)
		abort();
	luns[0] = scsi_lun_new(bs, &lp, err, sizeof(err));
	if (luns[0] == NULL)
		abort();
	target.name = "iqn.2026-11.org.minisan:fuzz-target";
	target.luns = luns;
	target.nluns = 2; /* LUN 1 is a hole */
}

static void
task_done(struct scsi_task *t)
{
	(void)t;
	completions++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct scsi_task t;

	if (!ready) {
		fuzz_setup();
		ready = 1;
	}
	if (size < SCSI_CDB_MAX + 5)
		return 0;
	scsi_task_init(&t);
	t.target = &target;
	t.nexus = &nexus;
	t.lun = data[0] & 1;
	memcpy(t.cdb, data + 1, SCSI_CDB_MAX);
	t.cdb_len = SCSI_CDB_MAX;
	/* bounded like the transport bounds EDTL */
	t.edtl = get_be32(data + 1 + SCSI_CDB_MAX) % (1024 * 1024);
	t.data_out = data + SCSI_CDB_MAX + 5;
	t.data_out_len = (uint32_t)(size - SCSI_CDB_MAX - 5);
	if (t.data_out_len > t.edtl)
		t.data_out_len = t.edtl;
	t.done = task_done;
	completions = 0;
	scsi_exec(&t);
	/* a synchronous engine completes everything before returning */
	if (completions != 1 || t.data_in_len > t.edtl ||
	    t.sense_len > SCSI_SENSE_MAX)
		abort();
	scsi_task_fini(&t);
	return 0;
}

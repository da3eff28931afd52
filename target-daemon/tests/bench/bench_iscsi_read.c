/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements bench_iscsi_read, the initiator `make bench` uses
 * for 256 KiB sequential reads with and without header and data digests
 * (libiscsi, hence iscsi-perf and QEMU, only offers DataDigest=None):
 * READ(10)/(16) at a fixed queue depth for a fixed time over one session
 * (tests/bench/ini*.c), every digest received verified. Prints one line,
 * "MiB/s M bytes N seconds S digests header=H data=D", and exits 0; exits
 * 1 with a message on any error, 2 on a usage error. */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ini.h"

#define BENCH_XFER_MAX (16u << 20) /* largest block size accepted */

struct opts {
	const char *initiator, *target, *addr;
	uint64_t lun;
	uint32_t xfer;
	int depth;
	double seconds;
	bool hdigest, ddigest;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The LUN's size in logical blocks and the block length. */
static void
read_capacity(struct ini *s, uint64_t *blocks, uint32_t *block_len)
{
	uint8_t cdb[16] = { 0x25 }; /* SBC-3 "READ CAPACITY (10) command" */
	const uint8_t *d = s->tasks[0].buf;
	uint32_t last;

	ini_scsi_sync(s, cdb, 8, "READ CAPACITY(10)");
	last = get_be32(d);
	*block_len = get_be32(d + 4);
	*blocks = (uint64_t)last + 1;
	if (last == 0xffffffff) {
		/* SBC-3 "READ CAPACITY (16) command": SERVICE ACTION IN (16) */
		memset(cdb, 0, sizeof(cdb));
		cdb[0] = 0x9e;
		cdb[1] = 0x10;
		put_be32(cdb + 10, 32);
		ini_scsi_sync(s, cdb, 32, "READ CAPACITY(16)");
		*blocks = get_be64(d) + 1;
		*block_len = get_be32(d + 8);
	}
}

/* SBC-3 "READ (10) command" / "READ (16) command" */
static void
read_cdb(uint8_t *cdb, uint64_t lba, uint32_t blocks, bool use16)
{
	memset(cdb, 0, 16);
	if (use16) {
		cdb[0] = 0x88;
		put_be64(cdb + 2, lba);
		put_be32(cdb + 10, blocks);
	} else {
		cdb[0] = 0x28;
		put_be32(cdb + 2, (uint32_t)lba);
		put_be16(cdb + 7, (uint16_t)blocks);
	}
}

struct result {
	uint64_t bytes;
	double seconds;
};

/* Sequential reads of o->xfer bytes, wrapping at the end of the LUN, with
 * up to o->depth outstanding for o->seconds; then waits for the last. */
static void
bench_run(struct ini *s, const struct opts *o, struct result *r)
{
	uint64_t capacity, lba = 0;
	uint32_t block_len, blocks;
	uint8_t cdb[16];
	bool use16;
	double start, end, last;

	read_capacity(s, &capacity, &block_len);
	if (block_len == 0 || o->xfer % block_len != 0)
		errx(1, "block size %u is not a multiple of the LUN's %u-byte "
		    "blocks", o->xfer, block_len);
	blocks = o->xfer / block_len;
	if (capacity < blocks)
		errx(1, "the LUN has %llu blocks, fewer than one read",
		    (unsigned long long)capacity);
	use16 = capacity > UINT32_MAX || blocks > UINT16_MAX;
	start = last = now_s();
	end = start + o->seconds;
	for (;;) {
		double t = now_s();
		bool running = t < end && s->stop == NULL, pending = false;

		for (int i = 0; i < s->ntasks; i++) {
			struct ini_task *k = &s->tasks[i];

			if (k->done) {
				if (k->status != SCSI_STATUS_GOOD ||
				    k->got != k->len)
					errx(1, "READ: status 0x%02x, sense "
					    "key 0x%x, %u of %u bytes",
					    k->status, k->sense_key, k->got,
					    k->len);
				k->done = false;
				r->bytes += k->len;
				last = t;
			}
			if (!k->busy && running && ini_window_open(s)) {
				if (lba + blocks > capacity)
					lba = 0;
				read_cdb(cdb, lba, blocks, use16);
				ini_task_send(s, k, cdb, o->xfer);
				lba += blocks;
			}
			pending |= k->busy;
		}
		if (!pending && !running)
			break;
		ini_pump(s);
	}
	r->seconds = last - start;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_iscsi_read -i INITIATOR_NAME [-l LUN] "
	    "[-b BYTES] [-q DEPTH] [-t SECONDS]\n"
	    "       [-H none|crc32c] [-D none|crc32c] HOST:PORT TARGET_NAME\n"
	    "prints: MiB/s M bytes N seconds S digests header=H data=D\n");
	exit(2);
}

static uint64_t
number(const char *arg, uint64_t min, uint64_t max)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' ||
	    v < min || v > max) {
		fprintf(stderr, "bench_iscsi_read: '%s' is not in %llu..%llu\n",
		    arg, (unsigned long long)min, (unsigned long long)max);
		usage();
	}
	return v;
}

static bool
digest(const char *arg)
{
	if (strcmp(arg, "crc32c") == 0)
		return true;
	if (strcmp(arg, "none") != 0)
		usage();
	return false;
}

static void
opts_parse(int argc, char **argv, struct opts *o)
{
	int ch;

	*o = (struct opts){ .xfer = 262144, .depth = 8, .seconds = 10 };
	while ((ch = getopt(argc, argv, "i:l:b:q:t:H:D:")) != -1) {
		switch (ch) {
		case 'i': o->initiator = optarg; break;
		case 'l': o->lun = number(optarg, 0, 16383); break;
		case 'b':
			o->xfer = (uint32_t)number(optarg, 512, BENCH_XFER_MAX);
			break;
		case 'q':
			o->depth = (int)number(optarg, 1, INI_DEPTH_MAX);
			break;
		case 't': o->seconds = (double)number(optarg, 1, 3600); break;
		case 'H': o->hdigest = digest(optarg); break;
		case 'D': o->ddigest = digest(optarg); break;
		default: usage();
		}
	}
	if (o->initiator == NULL || argc - optind != 2)
		usage();
	o->addr = argv[optind];
	o->target = argv[optind + 1];
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct ini *s;
	struct result r = { 0 };

	opts_parse(argc, argv, &o);
	s = ini_new(o.addr, o.lun, o.depth, o.xfer);
	ini_login(s, o.initiator, o.target, o.hdigest, o.ddigest);
	bench_run(s, &o, &r);
	ini_logout(s);
	if (s->stop != NULL)
		errx(1, "stopped early: %s", s->stop);
	ini_free(s);
	if (r.seconds <= 0)
		errx(1, "no read completed");
	printf("MiB/s %.1f bytes %llu seconds %.3f digests header=%s "
	    "data=%s\n", (double)r.bytes / r.seconds / 1048576.0,
	    (unsigned long long)r.bytes, r.seconds,
	    o.hdigest ? "crc32c" : "none", o.ddigest ? "crc32c" : "none");
	return 0;
}

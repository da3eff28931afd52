/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the libFuzzer entry point for the whole iSCSI stack
 * as a peer sees it: the input is the byte stream an initiator sends on one
 * connection (PDU headers, login text, SCSI commands, Data-Out, ...), fed
 * through a socketpair into a real connection of a real server with one
 * LUN on a memfd. Whatever the bytes, minisand must neither crash, leak nor
 * hang; the connection ends when the stream does. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bs/bs.h"
#include "core/evloop.h"
#include "iscsi/conn.h"
#include "iscsi/server.h"
#include "scsi/scsi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TARGET "iqn.2026-11.org.minisan:fuzz"
#define FUZZ_LUN_BYTES (1024 * 1024)

static struct iscsi_server srv;
static struct iscsi_target target;
static struct iscsi_target *targets[1] = { &target };
static struct scsi_lun *luns[1];

static void
fuzz_setup(void)
{
	struct scsi_lun_params lp = { .naa_id = 0x3000000000000001ull };
	struct bs_engine *eng;
	struct bs *bs;
	char path[64], err[512];
	int fd;

	iscsi_server_init(&srv, evloop_new());
	param_limits_default(&srv.limits);
	srv.limits.max_connections = 2;
	srv.limits.max_outstanding_r2t = 1;
	srv.tpgt = 1;
	eng = bs_engine_new(0, err, sizeof(err));
	fd = memfd_create("fuzz-lun", MFD_CLOEXEC);
	if (srv.loop == NULL || eng == NULL || fd < 0 ||
	    ftruncate(fd, FUZZ_LUN_BYTES) < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (bs_open(eng, path, 0, &bs, err, sizeof(err)) < 0)
		abort();
	luns[0] = scsi_lun_new(bs, &lp, err, sizeof(err));
	if (luns[0] == NULL)
		abort();
	target.name = (char *)FUZZ_TARGET;
	target.scsi.name = FUZZ_TARGET;
	target.scsi.luns = luns;
	target.scsi.nluns = 1;
	srv.targets = targets;
	srv.ntargets = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage peer = { .ss_family = AF_INET };
	static int ready;
	char sink[65536];
	size_t off = 0;
	int sv[2], idle = 0, shut = 0;

	if (!ready) {
		fuzz_setup();
		ready = 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) < 0)
		abort();
	conn_new(&srv, sv[0], &peer);
	/* bounded: a hang would show as a timeout, not an endless loop */
	for (int round = 0; round < 100000 && idle < 3; round++) {
		int n;

		if (off < size) {
			ssize_t w = write(sv[1], data + off, size - off);

			if (w > 0)
				off += (size_t)w;
		} else if (!shut) {
			shutdown(sv[1], SHUT_WR);
			shut = 1;
		}
		while (read(sv[1], sink, sizeof(sink)) > 0)
			;
		n = evloop_poll(srv.loop, 0);
		if (n < 0)
			abort();
		idle = (n == 0 && shut) ? idle + 1 : 0;
	}
	close(sv[1]);
	iscsi_server_close_all(&srv);
	evloop_poll(srv.loop, 0);
	if (srv.nconns != 0 || srv.nsessions != 0)
		abort(); /* every connection and session must be gone */
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the SCSI disk emulation: exact INQUIRY/VPD/MODE SENSE/READ
 * CAPACITY bytes, data round trips checked against the backing file,
 * sense data for every error class, transfer lengths and residual inputs,
 * unit attentions, REPORT LUNS and missing LUNs. LUNs sit on scratch files
 * in /dev/shm behind a synchronous engine (one test uses worker threads). */
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs/bs.h"
#include "limits_minisan.h"
#include "scsi/scsi.h"
#include "scsi_fx_cmd.h"

#define TARGET_NAME "iqn.2024-01.org.minisan:disk1"
#define PORT_A "iqn.2024-01.org.example:host-a,i,0x23d000000001"
#define PORT_B "iqn.2024-01.org.example:host-b,i,0x23d000000002"
#define TARGET_PORT "iqn.2024-01.org.minisan:disk1,t,0x0001"
#define NAA_ID 0x6001405abcdef012ull
#define MIB (1024u * 1024u)

/* One target with up to 5 LUNs on one store, and two I_T nexuses. */
struct fx {
	const char *path;
	struct bs_engine *eng;
	struct bs *bs;
	struct scsi_lun *luns[5];
	struct scsi_target tgt;
	struct scsi_nexus a, b;
};

static struct scsi_lun *
fx_lun(struct fx *f, uint32_t bsz, int readonly, int removable)
{
	struct scsi_lun_params p = {
		.block_size = bsz,
		.readonly = readonly,
		.removable = removable,
		.serial = "SER-0042",
		.naa_id = NAA_ID,
	};

	return fx_lun_new(f->bs, &p);
}

static void
fx_open_at(struct fx *f, const char *dir, uint64_t size, uint32_t bsz,
    int readonly, int removable, int nthreads)
{
	char err[256];

	memset(f, 0, sizeof(*f));
	f->path = fx_scratch_file(dir, "scsi", size, 0);
	f->eng = bs_engine_new(nthreads, err, sizeof(err));
	REQUIRE(f->eng != NULL);
	/* asynchronous fixtures test completion through the engine (io_uring
	 * where the kernel has it, else the workers) */
	bs_engine_set_inline_max(f->eng, 0);
	REQUIRE(bs_open(f->eng, f->path, 0, &f->bs, err, sizeof(err)) == 0);
	f->luns[0] = fx_lun(f, bsz, readonly, removable);
	f->tgt.name = TARGET_NAME;
	f->tgt.luns = f->luns;
	f->tgt.nluns = 1;
	f->a.initiator_port = PORT_A;
	f->a.target_port = TARGET_PORT;
	f->a.rel_port_id = 1;
	f->a.tpgt = 1;
	f->b = f->a;
	f->b.initiator_port = PORT_B;
}

static void
fx_open(struct fx *f, uint64_t size, uint32_t bsz, int readonly,
    int removable)
{
	fx_open_at(f, "/dev/shm", size, bsz, readonly, removable, 0);
}

static void
fx_close(struct fx *f)
{
	for (size_t i = 0; i < sizeof(f->luns) / sizeof(f->luns[0]); i++)
		scsi_lun_free(f->luns[i]);
	bs_close(f->bs);
	bs_engine_free(f->eng);
	unlink(f->path);
}

/* Runs one command on LUN lun through nexus nx and checks that done()
 * was called exactly once. data_out/out_len is what "arrived". */
static void
run_on(struct fx *f, struct scsi_task *t, const struct scsi_nexus *nx,
    uint64_t lun, const uint8_t *cdb, size_t cdb_len, uint32_t edtl,
    const void *data_out, uint32_t out_len)
{
	fx_exec_once(t, &f->tgt, nx, lun, cdb, cdb_len, edtl, data_out,
	    out_len);
}

static void
run(struct fx *f, struct scsi_task *t, const uint8_t *cdb, size_t cdb_len,
    uint32_t edtl, const void *data_out, uint32_t out_len)
{
	run_on(f, t, &f->a, 0, cdb, cdb_len, edtl, data_out, out_len);
}

static void
cdb_rw10(uint8_t *c, uint8_t op, uint32_t lba, uint16_t tl, uint8_t b1)
{
	memset(c, 0, 16);
	c[0] = op;
	c[1] = b1;
	c[2] = (uint8_t)(lba >> 24);
	c[3] = (uint8_t)(lba >> 16);
	c[4] = (uint8_t)(lba >> 8);
	c[5] = (uint8_t)lba;
	c[7] = (uint8_t)(tl >> 8);
	c[8] = (uint8_t)tl;
}

static void
cdb_rw16(uint8_t *c, uint8_t op, uint64_t lba, uint32_t tl, uint8_t b1)
{
	fx_cdb16(c, op, b1, lba, tl);
}

/* Sends TEST UNIT READY until GOOD (at most 8 times): eats the power on
 * unit attention a new nexus gets. */
static void
clear_ua(struct fx *f, const struct scsi_nexus *nx, uint64_t lun)
{
	const uint8_t tur[6] = { 0 };
	struct scsi_task t;

	for (int i = 0; i < 8; i++) {
		run_on(f, &t, nx, lun, tur, sizeof(tur), 0, NULL, 0);
		scsi_task_fini(&t);
		if (t.status == SCSI_STATUS_GOOD)
			return;
	}
	CHECK(!"unit attentions did not clear");
}

TEST(inquiry_standard)
{
	static const uint8_t want[96] = {
		/* byte 5: TPGS 01b (implicit ALUA), 3PC */
		0x00, 0x00, 0x06, 0x12, 91, 0x18, 0x00, 0x02,
		'M', 'I', 'N', 'I', 'S', 'A', 'N', ' ',
		'm', 'i', 'n', 'i', 's', 'a', 'n', ' ',
		'd', 'i', 's', 'k', ' ', ' ', ' ', ' ',
		'0', '0', '0', '1',
		[58] = 0x00, 0xa0, 0x04, 0x60, 0x04, 0xc0,
	};
	uint8_t cdb[6] = { 0x12, 0, 0, 0x01, 0x04, 0 }; /* alloc 260 */
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0);
	run(&f, &t, cdb, 6, 260, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 96);
	CHECK_EQ_INT(t.data_in_len, 96);
	CHECK_EQ_MEM(t.data_in, want, 96);
	scsi_task_fini(&t);

	/* Allocation length 36 cuts the data; EDTL 20 cuts it further but
	 * xfer_len still says 36, so the transport reports overflow. */
	cdb[3] = 0;
	cdb[4] = 36;
	run(&f, &t, cdb, 6, 20, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 36);
	CHECK_EQ_INT(t.data_in_len, 20);
	CHECK_EQ_MEM(t.data_in, want, 20);
	scsi_task_fini(&t);

	/* Allocation length 0 is not an error. */
	cdb[4] = 0;
	run(&f, &t, cdb, 6, 0, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 0);
	CHECK_EQ_INT(t.data_in_len, 0);
	scsi_task_fini(&t);

	/* Removable LUN: RMB. */
	f.luns[1] = fx_lun(&f, 512, 0, 1);
	f.tgt.nluns = 2;
	cdb[4] = 8;
	run_on(&f, &t, &f.a, 1, cdb, 6, 8, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in[1], 0x80);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(inquiry_invalid_fields)
{
	uint8_t cdb[6] = { 0x12, 0x00, 0x80, 0, 255, 0 };
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0);
	/* EVPD=0 with a page code. */
	run(&f, &t, cdb, 6, 255, NULL, 0);
	fx_check_field(&t, 0x24, 1, 2, -1);
	CHECK_EQ_MEM(t.sense, ((const uint8_t[18]){ 0x70, 0, 0x05, 0, 0, 0, 0,
	    10, 0, 0, 0, 0, 0x24, 0x00, 0, 0xc0, 0x00, 0x02 }), 18);
	scsi_task_fini(&t);
	/* CMDDT (obsolete) set. */
	cdb[1] = 0x02;
	cdb[2] = 0;
	run(&f, &t, cdb, 6, 255, NULL, 0);
	fx_check_field(&t, 0x24, 1, 1, 1);
	scsi_task_fini(&t);
	/* A VPD page we do not have. */
	cdb[1] = 0x01;
	cdb[2] = 0x81;
	run(&f, &t, cdb, 6, 255, NULL, 0);
	fx_check_field(&t, 0x24, 1, 2, -1);
	scsi_task_fini(&t);
	fx_close(&f);
}

/* Fetches VPD page into t (alloc 1024). */
static void
vpd(struct fx *f, struct scsi_task *t, uint8_t page)
{
	uint8_t cdb[6] = { 0x12, 0x01, page, 0x04, 0x00, 0 };

	run(f, t, cdb, 6, 1024, NULL, 0);
	fx_check_good(t);
	REQUIRE(t->data_in_len >= 4);
	CHECK_EQ_INT(t->data_in[0], 0x00);
	CHECK_EQ_INT(t->data_in[1], page);
	CHECK_EQ_INT(t->data_in_len, 4 + (t->data_in[2] << 8 | t->data_in[3]));
}

TEST(inquiry_vpd_pages)
{
	static const uint8_t sup[] = { 0, 0, 0, 7, 0x00, 0x80, 0x83, 0x8f,
		0xb0, 0xb1, 0xb2 };
	static const uint8_t serial[] = { 0, 0x80, 0, 8, 'S', 'E', 'R', '-',
		'0', '0', '4', '2' };
	uint8_t want[64];
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0);
	vpd(&f, &t, 0x00);
	CHECK_EQ_INT(t.data_in_len, sizeof(sup));
	CHECK_EQ_MEM(t.data_in, sup, sizeof(sup));
	scsi_task_fini(&t);

	vpd(&f, &t, 0x80);
	CHECK_EQ_INT(t.data_in_len, sizeof(serial));
	CHECK_EQ_MEM(t.data_in, serial, sizeof(serial));
	scsi_task_fini(&t);

	/* Block limits: 8 MiB / 512 = 16384 blocks, granularity 8; the
	 * tmpfs file is thin provisioned (test_scsi_provision.c): UNMAP of
	 * 512 MiB (100000h blocks) in 1024 descriptors, granularity 8
	 * aligned at 0, WRITE SAME of 16384 blocks. */
	memset(want, 0, sizeof(want));
	want[1] = 0xb0;
	want[3] = 0x3c;
	want[5] = 0xff; /* MAXIMUM COMPARE AND WRITE LENGTH 255 */
	want[7] = 8;
	want[10] = 0x40;
	want[21] = 0x10;
	want[26] = 0x04;
	want[31] = 8;
	want[32] = 0x80;
	want[42] = 0x40;
	want[46] = 0x08; /* MAXIMUM ATOMIC TRANSFER LENGTH 1 MiB / 512 */
	vpd(&f, &t, 0xb0);
	CHECK_EQ_INT(t.data_in_len, 64);
	CHECK_EQ_MEM(t.data_in, want, 64);
	scsi_task_fini(&t);

	memset(want, 0, sizeof(want));
	want[1] = 0xb1;
	want[3] = 0x3c;
	want[5] = 0x01; /* non-rotating */
	want[7] = 0x40; /* WABEREQ 01b: thin, so SANITIZE BLOCK ERASE */
	vpd(&f, &t, 0xb1);
	CHECK_EQ_INT(t.data_in_len, 64);
	CHECK_EQ_MEM(t.data_in, want, 64);
	scsi_task_fini(&t);

	memset(want, 0, sizeof(want));
	want[1] = 0xb2;
	want[3] = 0x04;
	want[5] = 0xe4; /* LBPU, LBPWS, LBPWS10, LBPRZ */
	want[6] = 0x02; /* thin provisioned */
	vpd(&f, &t, 0xb2);
	CHECK_EQ_INT(t.data_in_len, 8);
	CHECK_EQ_MEM(t.data_in, want, 8);
	scsi_task_fini(&t);
	fx_close(&f);

	/* 4096-byte blocks: 2048 blocks, granularity 1. */
	fx_open(&f, MIB, 4096, 0, 0);
	vpd(&f, &t, 0xb0);
	CHECK_EQ_INT(t.data_in[6] << 8 | t.data_in[7], 1);
	CHECK_EQ_INT(t.data_in[10] << 8 | t.data_in[11], 2048);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(inquiry_vpd_device_id)
{
	static const char port[] = TARGET_PORT; /* 38 chars: 40 padded */
	static const char name[] = TARGET_NAME; /* 29 chars: 32 padded */
	uint8_t want[4 + 12 + 8 + 8 + 44 + 36], *p = want;
	struct scsi_task t;
	struct fx f;

	memset(want, 0, sizeof(want));
	*p++ = 0x00;
	*p++ = 0x83;
	*p++ = 0;
	*p++ = sizeof(want) - 4;
	/* NAA, binary, LU */
	memcpy(p, "\x01\x03\x00\x08\x60\x01\x40\x5a\xbc\xde\xf0\x12", 12);
	p += 12;
	/* relative target port 1, iSCSI, PIV, target port */
	memcpy(p, "\x51\x94\x00\x04\x00\x00\x00\x01", 8);
	p += 8;
	/* target port group 1 */
	memcpy(p, "\x51\x95\x00\x04\x00\x00\x00\x01", 8);
	p += 8;
	/* SCSI name string of the target port, UTF-8 */
	memcpy(p, "\x53\x98\x00\x28", 4);
	memcpy(p + 4, port, strlen(port));
	p += 44;
	/* SCSI name string of the target device */
	memcpy(p, "\x53\xa8\x00\x20", 4);
	memcpy(p + 4, name, strlen(name));

	fx_open(&f, MIB, 512, 0, 0);
	vpd(&f, &t, 0x83);
	CHECK_EQ_INT(t.data_in_len, sizeof(want));
	CHECK_EQ_MEM(t.data_in, want, sizeof(want));
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(read_capacity)
{
	static const uint8_t rc10[8] = { 0, 0, 0x07, 0xff, 0, 0, 0x02, 0 };
	static const uint8_t rc16[32] = { 0, 0, 0, 0, 0, 0, 0x07, 0xff,
		0, 0, 0x02, 0x00, 0, 0 /* 1 block per physical block */,
		0xc0 /* LBPME, LBPRZ */ };
	uint8_t cdb10[10] = { 0x25 };
	uint8_t cdb16[16] = { 0x9e, 0x10 };
	struct scsi_task t;
	struct fx f;

	/* 1 MiB plus a partial block: 2048 blocks. */
	fx_open(&f, MIB + 100, 512, 0, 0);
	clear_ua(&f, &f.a, 0);
	run(&f, &t, cdb10, 10, 8, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 8);
	CHECK_EQ_INT(t.data_in_len, 8);
	CHECK_EQ_MEM(t.data_in, rc10, 8);
	scsi_task_fini(&t);

	cdb16[13] = 32;
	run(&f, &t, cdb16, 16, 32, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, 32);
	CHECK_EQ_MEM(t.data_in, rc16, 32);
	scsi_task_fini(&t);

	/* Allocation lengths 0-15 are not errors (libiscsi Alloclen). */
	for (uint8_t i = 0; i < 16; i++) {
		cdb16[13] = i;
		run(&f, &t, cdb16, 16, i, NULL, 0);
		fx_check_good(&t);
		CHECK_EQ_INT(t.xfer_len, i);
		CHECK_EQ_INT(t.data_in_len, i);
		scsi_task_fini(&t);
	}

	/* PMI 0 with an LBA is INVALID FIELD IN CDB. */
	cdb10[5] = 1;
	run(&f, &t, cdb10, 10, 8, NULL, 0);
	fx_check_field(&t, 0x24, 1, 2, -1);
	scsi_task_fini(&t);
	/* Another SERVICE ACTION IN (16) action. */
	cdb16[1] = 0x13;
	run(&f, &t, cdb16, 16, 32, NULL, 0);
	fx_check_field(&t, 0x24, 1, 1, 4);
	scsi_task_fini(&t);
	fx_close(&f);

	/* 4096-byte blocks: exponent 0. */
	fx_open(&f, MIB, 4096, 0, 0);
	clear_ua(&f, &f.a, 0);
	cdb16[1] = 0x10;
	cdb16[13] = 32;
	run(&f, &t, cdb16, 16, 32, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in[7], 0xff);
	CHECK_EQ_INT(t.data_in[6], 0x00);
	CHECK_EQ_INT(t.data_in[10] << 8 | t.data_in[11], 4096);
	CHECK_EQ_INT(t.data_in[13], 0);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(read_capacity_huge)
{
	static const uint64_t sizes[] = {
		/* 2^32 - 1 blocks: last LBA FFFFFFFEh still fits */
		((1ull << 32) - 1) * 512,
		/* 2^32 + 1 blocks: READ CAPACITY (10) saturates */
		((1ull << 32) + 1) * 512,
	};
	static const uint32_t want10[] = { 0xfffffffe, 0xffffffff };
	uint8_t cdb10[10] = { 0x25 }, cdb16[16] = { 0x9e, 0x10, [13] = 32 };
	struct scsi_task t;
	struct fx f;

	for (int i = 0; i < 2; i++) {
		fx_open(&f, sizes[i], 512, 0, 0);
		clear_ua(&f, &f.a, 0);
		run(&f, &t, cdb10, 10, 8, NULL, 0);
		fx_check_good(&t);
		CHECK_EQ_INT((uint32_t)t.data_in[0] << 24 | t.data_in[1] << 16 |
		    t.data_in[2] << 8 | t.data_in[3], want10[i]);
		scsi_task_fini(&t);
		run(&f, &t, cdb16, 16, 32, NULL, 0);
		fx_check_good(&t);
		CHECK_EQ_INT(t.data_in[3], i == 0 ? 0 : 1);
		CHECK_EQ_INT(t.data_in[4], i == 0 ? 0xff : 0);
		CHECK_EQ_INT(t.data_in[7], i == 0 ? 0xfe : 0);
		scsi_task_fini(&t);
		fx_close(&f);
	}
}

/* Writes with op at lba through the 10/16-byte CDB helpers and checks
 * the file, then reads it back with rop. */
static void
roundtrip(struct fx *f, uint8_t op, uint8_t rop, uint64_t lba, uint32_t n,
    uint32_t bsz, int fill)
{
	uint8_t cdb[16];
	uint32_t len = n * bsz;
	uint8_t *buf = malloc(len), *back = malloc(len);
	struct scsi_task t;

	REQUIRE(buf != NULL && back != NULL);
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(fill + i * 7);
	memset(cdb, 0, sizeof(cdb));
	if (op == 0x0a || op == 0x08) {
		cdb[0] = op;
		cdb[3] = (uint8_t)lba;
		cdb[4] = (uint8_t)n;
	} else if (op >= 0xa0) {
		cdb[0] = op;
		cdb[5] = (uint8_t)lba;
		cdb[9] = (uint8_t)n;
	} else if (op >= 0x80) {
		cdb_rw16(cdb, op, lba, n, 0);
	} else {
		cdb_rw10(cdb, op, (uint32_t)lba, (uint16_t)n, 0);
	}
	run(f, &t, cdb, 16, len, buf, len);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, len);
	CHECK_EQ_INT(t.data_in_len, 0);
	scsi_task_fini(&t);
	fx_file_pread(f->path, back, len, (off_t)(lba * bsz));
	CHECK_EQ_MEM(back, buf, len);

	cdb[0] = rop;
	run(f, &t, cdb, 16, len, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, len);
	CHECK_EQ_INT(t.data_in_len, len);
	if (t.data_in != NULL)
		CHECK_EQ_MEM(t.data_in, buf, len);
	scsi_task_fini(&t);
	free(buf);
	free(back);
}

TEST(write_read_roundtrip)
{
	uint8_t cdb[16], buf[512];
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0);
	clear_ua(&f, &f.a, 0);
	roundtrip(&f, 0x2a, 0x28, 5, 3, 512, 1);       /* WRITE/READ (10) */
	roundtrip(&f, 0x8a, 0x88, 2047, 1, 512, 2);    /* (16), last block */
	roundtrip(&f, 0x0a, 0x08, 9, 2, 512, 3);       /* (6) */
	roundtrip(&f, 0xaa, 0xa8, 20, 2, 512, 4);      /* (12) */
	roundtrip(&f, 0x2e, 0x28, 30, 4, 512, 5);      /* WRITE AND VERIFY */
	roundtrip(&f, 0xae, 0xa8, 34, 1, 512, 6);
	roundtrip(&f, 0x8e, 0x88, 35, 1, 512, 7);
	/* DPO and FUA are accepted (the DPOFUA bit says so). */
	memset(buf, 0x77, sizeof(buf));
	cdb_rw10(cdb, 0x2a, 41, 1, 0x18);
	run(&f, &t, cdb, 10, 512, buf, 512);
	fx_check_good(&t);
	scsi_task_fini(&t);
	cdb[0] = 0x28;
	run(&f, &t, cdb, 10, 512, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_MEM(t.data_in, buf, 512);
	scsi_task_fini(&t);
	fx_close(&f);

	fx_open(&f, MIB, 4096, 0, 0);
	clear_ua(&f, &f.a, 0);
	roundtrip(&f, 0x2a, 0x28, 7, 2, 4096, 6);
	roundtrip(&f, 0x8a, 0x88, 255, 1, 4096, 7);
	fx_close(&f);
}

TEST(write_read_6_zero_means_256)
{
	uint8_t cdb[6] = { 0x08, 0, 0, 0, 0, 0 };
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0);
	clear_ua(&f, &f.a, 0);
	run(&f, &t, cdb, 6, 256 * 512, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 256 * 512);
	CHECK_EQ_INT(t.data_in_len, 256 * 512);
	scsi_task_fini(&t);
	/* 256 blocks from LBA 1793 run one past the end of 2048. */
	cdb[2] = 0x07;
	cdb[3] = 0x01;
	run(&f, &t, cdb, 6, 256 * 512, NULL, 0);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(out_of_range)
{
	uint8_t cdb[16];
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0); /* 2048 blocks */
	clear_ua(&f, &f.a, 0);
	cdb_rw10(cdb, 0x28, 2048, 1, 0);
	run(&f, &t, cdb, 10, 512, NULL, 0);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	CHECK_EQ_INT(t.xfer_len, 512);
	scsi_task_fini(&t);
	cdb_rw10(cdb, 0x28, 2047, 2, 0);
	run(&f, &t, cdb, 10, 1024, NULL, 0);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	cdb_rw10(cdb, 0x28, 0xffffffff, 1, 0);
	run(&f, &t, cdb, 10, 512, NULL, 0);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	/* LBA + length must not wrap around. */
	cdb_rw16(cdb, 0x88, 0xffffffffffffffffull, 2, 0);
	run(&f, &t, cdb, 16, 1024, NULL, 0);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	cdb_rw16(cdb, 0x8a, 2040, 9, 0);
	run(&f, &t, cdb, 16, 9 * 512, cdb, 16);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	/* Zero blocks: fine at LBA 0, out of range past the end. */
	cdb_rw10(cdb, 0x28, 0, 0, 0);
	run(&f, &t, cdb, 10, 0, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 0);
	CHECK_EQ_INT(t.data_in_len, 0);
	scsi_task_fini(&t);
	cdb_rw10(cdb, 0x28, 2049, 0, 0);
	run(&f, &t, cdb, 10, 0, NULL, 0);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	/* VERIFY and SYNCHRONIZE CACHE check the range too. */
	cdb_rw10(cdb, 0x2f, 2047, 2, 0);
	run(&f, &t, cdb, 10, 0, NULL, 0);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	cdb_rw10(cdb, 0x35, 2048, 0, 0);
	run(&f, &t, cdb, 10, 0, NULL, 0);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	cdb_rw10(cdb, 0x35, 100, 0, 0);
	run(&f, &t, cdb, 10, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(invalid_cdb_fields)
{
	uint8_t cdb[16], blk[512] = { 0 };
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0);
	clear_ua(&f, &f.a, 0);
	/* RDPROTECT/WRPROTECT/VRPROTECT: no protection information. */
	for (int p = 1; p < 8; p++) {
		cdb_rw10(cdb, 0x28, 0, 1, (uint8_t)(p << 5));
		run(&f, &t, cdb, 10, 512, NULL, 0);
		fx_check_field(&t, 0x24, 1, 1, 7);
		scsi_task_fini(&t);
	}
	cdb_rw16(cdb, 0x8a, 0, 1, 0x20);
	run(&f, &t, cdb, 16, 512, blk, 512);
	fx_check_field(&t, 0x24, 1, 1, 7);
	scsi_task_fini(&t);
	cdb_rw10(cdb, 0x2f, 0, 1, 0x40);
	run(&f, &t, cdb, 10, 0, NULL, 0);
	fx_check_field(&t, 0x24, 1, 1, 7);
	scsi_task_fini(&t);
	/* Transfer length above the Block Limits maximum (16384). */
	cdb_rw10(cdb, 0x28, 0, 16385, 0);
	run(&f, &t, cdb, 10, 16385 * 512, NULL, 0);
	fx_check_field(&t, 0x24, 1, 7, -1);
	CHECK_EQ_INT(t.xfer_len, 16385 * 512);
	scsi_task_fini(&t);
	cdb_rw16(cdb, 0x88, 0, 16385, 0);
	run(&f, &t, cdb, 16, 16385 * 512, NULL, 0);
	fx_check_field(&t, 0x24, 1, 10, -1);
	scsi_task_fini(&t);
	/* NACA in the CONTROL byte: no ACA support. */
	cdb_rw10(cdb, 0x28, 0, 1, 0);
	cdb[9] = 0x04;
	run(&f, &t, cdb, 10, 512, NULL, 0);
	fx_check_field(&t, 0x24, 1, 9, 2);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(read_only_lun)
{
	static const uint8_t ops[] = { 0x0a, 0x2a, 0xaa, 0x8a, 0x2e, 0xae,
		0x8e };
	uint8_t cdb[16], blk[512], ms[6] = { 0x1a, 0x08, 0x3f, 0, 255, 0 };
	struct scsi_task t;
	struct fx f;

	memset(blk, 0x5a, sizeof(blk));
	fx_open(&f, MIB, 512, 1, 0);
	clear_ua(&f, &f.a, 0);
	for (size_t i = 0; i < sizeof(ops); i++) {
		if (ops[i] >= 0xa0) {
			memset(cdb, 0, 16);
			cdb[0] = ops[i];
			cdb[9] = 1;
		} else if (ops[i] >= 0x80) {
			cdb_rw16(cdb, ops[i], 0, 1, 0);
		} else {
			cdb_rw10(cdb, ops[i], 0, 1, 0);
		}
		run(&f, &t, cdb, 16, 512, blk, 512);
		fx_check_sense(&t, 0x07, 0x27, 0x00);
		scsi_task_fini(&t);
	}
	/* Nothing reached the file; reads work; WP is set. */
	fx_file_pread(f.path, cdb, 16, 0);
	CHECK_EQ_MEM(cdb, ((const uint8_t[16]){ 0 }), 16);
	cdb_rw10(cdb, 0x28, 0, 1, 0);
	run(&f, &t, cdb, 10, 512, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	run(&f, &t, ms, 6, 255, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in[2], 0x90); /* WP | DPOFUA */
	scsi_task_fini(&t);
	/* SYNCHRONIZE CACHE has nothing to do and succeeds. */
	cdb_rw10(cdb, 0x35, 0, 0, 0);
	run(&f, &t, cdb, 10, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(residuals_and_edtl)
{
	uint8_t cdb[16], buf[2048], back[1024];
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0);
	clear_ua(&f, &f.a, 0);
	/* READ (10) of one block with EDTL 0, 200 and 10000. */
	cdb_rw10(cdb, 0x28, 0, 1, 0);
	run(&f, &t, cdb, 10, 0, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 512);
	CHECK_EQ_INT(t.data_in_len, 0);
	scsi_task_fini(&t);
	run(&f, &t, cdb, 10, 200, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 512);
	CHECK_EQ_INT(t.data_in_len, 200);
	scsi_task_fini(&t);
	run(&f, &t, cdb, 10, 10000, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 512);
	CHECK_EQ_INT(t.data_in_len, 512);
	scsi_task_fini(&t);

	/* The transport learns the write size from the CDB alone. */
	cdb_rw10(cdb, 0x2a, 0, 3, 0);
	scsi_task_init(&t);
	t.target = &f.tgt;
	memcpy(t.cdb, cdb, 16);
	CHECK_EQ_INT(scsi_data_out_len(&t), 1536);
	t.cdb[0] = 0x28;
	CHECK_EQ_INT(scsi_data_out_len(&t), 0);
	t.cdb[0] = 0x2f; /* VERIFY, BYTCHK 0 */
	CHECK_EQ_INT(scsi_data_out_len(&t), 0);
	t.cdb[1] = 0x02; /* BYTCHK 1 */
	CHECK_EQ_INT(scsi_data_out_len(&t), 1536);
	cdb_rw16(t.cdb, 0x8a, 0, 0x10000, 0); /* 32 MiB: above the limit */
	CHECK_EQ_INT(scsi_data_out_len(&t), 0);
	memcpy(t.cdb, (const uint8_t[6]){ 0x15, 0x10, 0, 0, 24, 0 }, 6);
	CHECK_EQ_INT(scsi_data_out_len(&t), 24);
	t.lun = 3; /* no such LUN */
	CHECK_EQ_INT(scsi_data_out_len(&t), 0);

	/* WRITE (10) of 2 blocks 'b' over 'a' with EDTL one block: the
	 * first block only is written, GOOD (libiscsi Write10Residuals). */
	memset(buf, 'a', sizeof(buf));
	cdb_rw10(cdb, 0x2a, 0, 2, 0);
	run(&f, &t, cdb, 10, 1024, buf, 1024);
	fx_check_good(&t);
	scsi_task_fini(&t);
	memset(buf, 'b', sizeof(buf));
	run(&f, &t, cdb, 10, 512, buf, 512);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 1024);
	scsi_task_fini(&t);
	fx_file_pread(f.path, back, 1024, 0);
	CHECK(back[0] == 'b' && back[511] == 'b');
	CHECK(back[512] == 'a' && back[1023] == 'a');

	/* One block with EDTL 2 blocks: only one block is written. */
	memset(buf, 'c', sizeof(buf));
	cdb_rw10(cdb, 0x2a, 0, 1, 0);
	run(&f, &t, cdb, 10, 1024, buf, 1024);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 512);
	scsi_task_fini(&t);
	fx_file_pread(f.path, back, 1024, 0);
	CHECK(back[511] == 'c' && back[512] == 'a');

	/* A partial block (EDTL 200) cannot be written: INVALID FIELD IN
	 * INFORMATION UNIT, nothing written, xfer_len still one block. */
	memset(buf, 'd', sizeof(buf));
	run(&f, &t, cdb, 10, 200, buf, 200);
	fx_check_sense(&t, 0x05, 0x0e, 0x03);
	CHECK_EQ_INT(t.xfer_len, 512);
	scsi_task_fini(&t);
	fx_file_pread(f.path, back, 1, 0);
	CHECK_EQ_INT(back[0], 'c');

	/* EDTL 0: nothing written, GOOD. */
	run(&f, &t, cdb, 10, 0, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 512);
	scsi_task_fini(&t);
	fx_file_pread(f.path, back, 1, 0);
	CHECK_EQ_INT(back[0], 'c');
	fx_close(&f);
}

TEST(unit_attention_sequence)
{
	uint8_t tur[6] = { 0 }, inq[6] = { 0x12, 0, 0, 0, 36, 0 };
	uint8_t rs[6] = { 0x03, 0, 0, 0, 18, 0 };
	uint8_t rl[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0 };
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0);
	/* INQUIRY and REPORT LUNS neither report nor clear the UA. */
	run(&f, &t, inq, 6, 36, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	run(&f, &t, rl, 12, 64, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	/* Any other command, even an unknown one, gets it once. */
	run(&f, &t, (const uint8_t[6]){ 0x04 }, 6, 0, NULL, 0);
	fx_check_sense(&t, 0x06, 0x29, 0x00);
	scsi_task_fini(&t);
	run(&f, &t, tur, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);

	/* Nexus B: REQUEST SENSE returns the UA with GOOD and clears it. */
	run_on(&f, &t, &f.b, 0, rs, 6, 18, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 18);
	CHECK_EQ_INT(t.data_in_len, 18);
	CHECK_EQ_MEM(t.data_in, ((const uint8_t[18]){ 0x70, 0, 0x06, 0, 0, 0,
	    0, 10, 0, 0, 0, 0, 0x29, 0x00 }), 18);
	scsi_task_fini(&t);
	run_on(&f, &t, &f.b, 0, rs, 6, 18, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in[2], 0x00);
	CHECK_EQ_INT(t.data_in[12], 0x00);
	scsi_task_fini(&t);
	/* Descriptor format on request. */
	rs[1] = 0x01;
	run_on(&f, &t, &f.b, 0, rs, 6, 18, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 8);
	CHECK_EQ_MEM(t.data_in, ((const uint8_t[8]){ 0x72, 0, 0, 0 }), 8);
	scsi_task_fini(&t);

	/* LOGICAL UNIT RESET: every nexus, the requester's too, 29/03. */
	scsi_lun_reset(&f.tgt, 0, &f.a);
	run(&f, &t, tur, 6, 0, NULL, 0);
	fx_check_sense(&t, 0x06, 0x29, 0x03);
	scsi_task_fini(&t);
	run_on(&f, &t, &f.b, 0, tur, 6, 0, NULL, 0);
	fx_check_sense(&t, 0x06, 0x29, 0x03);
	scsi_task_fini(&t);
	run_on(&f, &t, &f.b, 0, tur, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);

	/* TARGET RESET: 29/02, replacing an older reset UA. */
	scsi_lun_reset(&f.tgt, 0, &f.a);
	scsi_target_reset(&f.tgt, &f.b);
	run(&f, &t, tur, 6, 0, NULL, 0);
	fx_check_sense(&t, 0x06, 0x29, 0x02);
	scsi_task_fini(&t);
	run(&f, &t, tur, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);

	/* Nexus loss: the port starts over with 29/00. */
	clear_ua(&f, &f.b, 0);
	scsi_nexus_loss(&f.tgt, &f.b);
	run_on(&f, &t, &f.b, 0, tur, 6, 0, NULL, 0);
	fx_check_sense(&t, 0x06, 0x29, 0x00);
	scsi_task_fini(&t);
	run(&f, &t, tur, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	fx_close(&f);
}

/* Nexuses carrying ids (as iSCSI sessions do) find their UA state by id,
 * and by name when the id is new: a reinstated session (same port, new id)
 * keeps the state of its port, a different port never gets it. */
TEST(unit_attention_by_nexus_id)
{
	uint8_t tur[6] = { 0 };
	struct scsi_nexus a1, a2, b1;
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0);
	a1 = f.a;
	a1.id = 11;
	a2 = f.a;
	a2.id = 12;
	b1 = f.b;
	b1.id = 21;
	run_on(&f, &t, &a1, 0, tur, 6, 0, NULL, 0);
	fx_check_sense(&t, 0x06, 0x29, 0x00);
	scsi_task_fini(&t);
	run_on(&f, &t, &a1, 0, tur, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	/* same port, new id: the UA was already reported to this port */
	run_on(&f, &t, &a2, 0, tur, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	/* another port: its own power on */
	run_on(&f, &t, &b1, 0, tur, 6, 0, NULL, 0);
	fx_check_sense(&t, 0x06, 0x29, 0x00);
	scsi_task_fini(&t);
	/* a reset reaches the port whichever id it comes with */
	scsi_lun_reset(&f.tgt, 0, &b1);
	run_on(&f, &t, &a2, 0, tur, 6, 0, NULL, 0);
	fx_check_sense(&t, 0x06, 0x29, 0x03);
	scsi_task_fini(&t);
	run_on(&f, &t, &a1, 0, tur, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	run_on(&f, &t, &b1, 0, tur, 6, 0, NULL, 0);
	fx_check_sense(&t, 0x06, 0x29, 0x03);
	scsi_task_fini(&t);
	/* nexus loss forgets the entry: the id finds nothing any more */
	scsi_nexus_loss(&f.tgt, &a2);
	run_on(&f, &t, &a2, 0, tur, 6, 0, NULL, 0);
	fx_check_sense(&t, 0x06, 0x29, 0x00);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(unit_attention_lru_bound)
{
	uint8_t tur[6] = { 0 };
	struct scsi_nexus nx[MINISAN_MAX_NEXUS_PER_LUN + 1];
	char names[MINISAN_MAX_NEXUS_PER_LUN + 1][48];
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0);
	for (uint32_t i = 0; i <= MINISAN_MAX_NEXUS_PER_LUN; i++) {
		if (i == MINISAN_MAX_NEXUS_PER_LUN) {
			/* Table full: touch nexus 0 so that nexus 1 is the
			 * least recently used when the 257th arrives. */
			run_on(&f, &t, &nx[0], 0, tur, 6, 0, NULL, 0);
			fx_check_good(&t);
			scsi_task_fini(&t);
		}
		snprintf(names[i], sizeof(names[i]), "iqn.x:h%u,i,0x1", i);
		nx[i] = f.a;
		nx[i].initiator_port = names[i];
		/* The first command of each new nexus is the power on UA. */
		run_on(&f, &t, &nx[i], 0, tur, 6, 0, NULL, 0);
		fx_check_sense(&t, 0x06, 0x29, 0x00);
		scsi_task_fini(&t);
		if (i == 0) {
			/* ... then GOOD. */
			run_on(&f, &t, &nx[0], 0, tur, 6, 0, NULL, 0);
			fx_check_good(&t);
			scsi_task_fini(&t);
		}
	}
	/* Nexus 1 was evicted, so it is new again; nexus 0 and 2 were kept
	 * and their UAs stay reported. */
	run_on(&f, &t, &nx[0], 0, tur, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	run_on(&f, &t, &nx[2], 0, tur, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	run_on(&f, &t, &nx[1], 0, tur, 6, 0, NULL, 0);
	fx_check_sense(&t, 0x06, 0x29, 0x00);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(mode_sense_pages)
{
	static const uint8_t caching6[4 + 8 + 20] = {
		31, 0, 0x10, 8, 0, 0, 0x08, 0x00, 0, 0, 0x02, 0x00,
		0x08, 0x12, 0x04,
	};
	static const uint8_t all10[8 + 20 + 12 + 12] = {
		0, 50, 0, 0x10, 0, 0, 0, 0,
		0x08, 0x12, 0x04, [28] = 0x0a, 0x0a, 0x02, 0x10,
		[40] = 0x1c, 0x0a, 0x08,
	};
	uint8_t ms6[6] = { 0x1a, 0, 0x08, 0, 255, 0 };
	uint8_t ms10[10] = { 0x5a, 0x08, 0x3f, 0, 0, 0, 0, 0, 255, 0 };
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0);
	clear_ua(&f, &f.a, 0);
	run(&f, &t, ms6, 6, 255, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, sizeof(caching6));
	CHECK_EQ_INT(t.data_in_len, sizeof(caching6));
	CHECK_EQ_MEM(t.data_in, caching6, sizeof(caching6));
	scsi_task_fini(&t);

	/* All pages, no block descriptor, in page code order. */
	run(&f, &t, ms10, 10, 255, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, sizeof(all10));
	CHECK_EQ_MEM(t.data_in, all10, sizeof(all10));
	scsi_task_fini(&t);

	/* LLBAA: long block descriptor, LONGLBA set. */
	ms10[1] = 0x10;
	ms10[2] = 0x1c;
	run(&f, &t, ms10, 10, 255, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_MEM(t.data_in, ((const uint8_t[8 + 16]){ 0, 34, 0, 0x10, 1,
	    0, 0, 16, 0, 0, 0, 0, 0, 0, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0x02,
	    0x00 }), 24);
	scsi_task_fini(&t);

	/* Changeable values: only WCE. */
	ms6[1] = 0x08;
	ms6[2] = 0x40 | 0x3f;
	run(&f, &t, ms6, 6, 255, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, 4 + 44);
	CHECK_EQ_INT(t.data_in[4], 0x08);
	CHECK_EQ_INT(t.data_in[6], 0x04);
	CHECK_EQ_INT(t.data_in[4 + 20 + 2], 0);
	CHECK_EQ_INT(t.data_in[4 + 20 + 3], 0);
	CHECK_EQ_INT(t.data_in[4 + 32 + 2], 0);
	scsi_task_fini(&t);

	/* Saved values are not supported. */
	ms6[2] = 0xc8;
	run(&f, &t, ms6, 6, 255, NULL, 0);
	fx_check_field(&t, 0x39, 1, 2, 7);
	scsi_task_fini(&t);
	/* Unknown page, unknown subpage. */
	ms6[2] = 0x19;
	run(&f, &t, ms6, 6, 255, NULL, 0);
	fx_check_field(&t, 0x24, 1, 2, 5);
	scsi_task_fini(&t);
	ms6[2] = 0x08;
	ms6[3] = 0x01;
	run(&f, &t, ms6, 6, 255, NULL, 0);
	fx_check_field(&t, 0x24, 1, 3, -1);
	scsi_task_fini(&t);

	/* Allocation length 4: the header only, no residual. */
	ms6[2] = 0x3f;
	ms6[3] = 0;
	ms6[4] = 4;
	run(&f, &t, ms6, 6, 4, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 4);
	CHECK_EQ_INT(t.data_in_len, 4);
	CHECK_EQ_INT(t.data_in[0], 3 + 44);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(mode_select_wce)
{
	uint8_t sel[6] = { 0x15, 0x10, 0, 0, 24, 0 };
	uint8_t ms6[6] = { 0x1a, 0x08, 0x08, 0, 255, 0 };
	uint8_t pl[24] = { 0, 0, 0, 0, 0x08, 0x12, 0x00 };
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0);
	clear_ua(&f, &f.a, 0);
	clear_ua(&f, &f.b, 0);
	run(&f, &t, sel, 6, 24, pl, 24);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 24);
	scsi_task_fini(&t);
	run(&f, &t, ms6, 6, 255, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in[6], 0x00); /* WCE now 0 */
	scsi_task_fini(&t);
	/* The other nexus learns about it; the requester does not. */
	run_on(&f, &t, &f.b, 0, (const uint8_t[6]){ 0 }, 6, 0, NULL, 0);
	fx_check_sense(&t, 0x06, 0x2a, 0x01);
	scsi_task_fini(&t);
	/* Writes still work (now forced to FUA). */
	roundtrip(&f, 0x2a, 0x28, 3, 1, 512, 9);

	/* A non-changeable bit (RCD, byte 2 bit 0) is refused with a
	 * parameter-list field pointer, and nothing changes. */
	pl[6] = 0x05;
	run(&f, &t, sel, 6, 24, pl, 24);
	fx_check_field(&t, 0x26, 0, 6, 0);
	scsi_task_fini(&t);
	run(&f, &t, ms6, 6, 255, NULL, 0);
	CHECK_EQ_INT(t.data_in[6], 0x00);
	scsi_task_fini(&t);
	/* Wrong page length; unknown page; truncated list; SP=1. */
	pl[6] = 0x04;
	pl[5] = 0x11;
	run(&f, &t, sel, 6, 24, pl, 24);
	fx_check_field(&t, 0x26, 0, 5, -1);
	scsi_task_fini(&t);
	pl[5] = 0x12;
	pl[4] = 0x07;
	run(&f, &t, sel, 6, 24, pl, 24);
	fx_check_field(&t, 0x26, 0, 4, 5);
	scsi_task_fini(&t);
	pl[4] = 0x08;
	run(&f, &t, sel, 6, 20, pl, 20);
	fx_check_sense(&t, 0x05, 0x1a, 0x00);
	scsi_task_fini(&t);
	sel[1] = 0x11;
	run(&f, &t, sel, 6, 24, pl, 24);
	fx_check_field(&t, 0x24, 1, 1, 0);
	scsi_task_fini(&t);
	/* WCE back to 1, with a matching block descriptor. */
	{
		uint8_t pl2[32] = { 0, 0, 0, 8, 0, 0, 0x08, 0x00, 0, 0, 0x02,
			0, 0x08, 0x12, 0x04 };

		sel[1] = 0x10;
		sel[4] = 32;
		run(&f, &t, sel, 6, 32, pl2, 32);
		fx_check_good(&t);
		scsi_task_fini(&t);
		/* A different block size is refused. */
		pl2[10] = 0x10;
		run(&f, &t, sel, 6, 32, pl2, 32);
		fx_check_field(&t, 0x26, 0, 9, -1);
		scsi_task_fini(&t);
	}
	run(&f, &t, ms6, 6, 255, NULL, 0);
	CHECK_EQ_INT(t.data_in[6], 0x04);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(report_luns_with_holes)
{
	uint8_t rl[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0 };
	static const uint8_t want[8 + 24] = {
		0, 0, 0, 24, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 2, 0, 0, 0, 0, 0, 0,
		0, 4, 0, 0, 0, 0, 0, 0,
	};
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 };
	uint8_t rs[6] = { 0x03, 0, 0, 0, 252, 0 };
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0);
	f.luns[2] = fx_lun(&f, 512, 0, 0);
	f.luns[4] = fx_lun(&f, 4096, 0, 0);
	f.tgt.nluns = 5;
	run(&f, &t, rl, 12, 100, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, sizeof(want));
	CHECK_EQ_INT(t.data_in_len, sizeof(want));
	CHECK_EQ_MEM(t.data_in, want, sizeof(want));
	scsi_task_fini(&t);
	/* Allocation length 16: header and first LUN; the list length
	 * still counts all three. Also from a LUN that is not there. */
	rl[9] = 16;
	run_on(&f, &t, &f.a, 3, rl, 12, 16, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 16);
	CHECK_EQ_MEM(t.data_in, want, 16);
	scsi_task_fini(&t);
	rl[9] = 15;
	run(&f, &t, rl, 12, 15, NULL, 0);
	fx_check_field(&t, 0x24, 1, 6, -1);
	scsi_task_fini(&t);
	/* SELECT REPORT 01h: no well known LUNs; 03h: invalid. */
	rl[9] = 100;
	rl[2] = 0x01;
	run(&f, &t, rl, 12, 100, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 8);
	CHECK_EQ_MEM(t.data_in, ((const uint8_t[8]){ 0 }), 8);
	scsi_task_fini(&t);
	rl[2] = 0x03;
	run(&f, &t, rl, 12, 100, NULL, 0);
	fx_check_field(&t, 0x24, 1, 2, -1);
	scsi_task_fini(&t);

	/* LUN 1 (a hole) and LUN 9 (past the table): INQUIRY says "no
	 * LUN here", REQUEST SENSE says why with GOOD, the rest fail. */
	for (uint64_t lun = 1; lun < 10; lun += 8) {
		run_on(&f, &t, &f.a, lun, inq, 6, 36, NULL, 0);
		fx_check_good(&t);
		CHECK_EQ_INT(t.data_in[0], 0x7f);
		scsi_task_fini(&t);
		run_on(&f, &t, &f.a, lun, rs, 6, 252, NULL, 0);
		fx_check_good(&t);
		CHECK_EQ_INT(t.data_in_len, 18);
		CHECK_EQ_INT(t.data_in[2], 0x05);
		CHECK_EQ_INT(t.data_in[12], 0x25);
		scsi_task_fini(&t);
		run_on(&f, &t, &f.a, lun, (const uint8_t[6]){ 0 }, 6, 0, NULL,
		    0);
		fx_check_sense(&t, 0x05, 0x25, 0x00);
		scsi_task_fini(&t);
	}
	/* LUN 4 has 4096-byte blocks of its own. */
	clear_ua(&f, &f.a, 4);
	run_on(&f, &t, &f.a, 4, (const uint8_t[10]){ 0x25 }, 10, 8, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in[6], 0x10);
	CHECK_EQ_INT(t.data_in[3], 0xff); /* 256 blocks: last is 255 */
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(invalid_opcode)
{
	/* READ BUFFER, WRITE BUFFER, READ LONG, REASSIGN BLOCKS, FORMAT
	 * UNIT, SEND DIAGNOSTIC, and opcodes no standard assigns */
	static const uint8_t ops[] = { 0x3c, 0x3b, 0x3e, 0x07, 0x04, 0x1d,
		0xff, 0x7f };
	uint8_t cdb[16] = { 0 };
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0);
	clear_ua(&f, &f.a, 0);
	for (size_t i = 0; i < sizeof(ops); i++) {
		cdb[0] = ops[i];
		run(&f, &t, cdb, 16, 512, NULL, 0);
		fx_check_sense(&t, 0x05, 0x20, 0x00);
		CHECK_EQ_INT(t.xfer_len, 0);
		scsi_task_fini(&t);
	}
	fx_close(&f);
}

TEST(verify_compare)
{
	uint8_t cdb[16], buf[2048], data[2048];
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0);
	clear_ua(&f, &f.a, 0);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 1);
	cdb_rw10(cdb, 0x2a, 100, 4, 0);
	run(&f, &t, cdb, 10, 2048, data, 2048);
	fx_check_good(&t);
	scsi_task_fini(&t);

	memcpy(buf, data, sizeof(buf));
	cdb_rw10(cdb, 0x2f, 100, 4, 0x02);
	run(&f, &t, cdb, 10, 2048, buf, 2048);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 2048);
	scsi_task_fini(&t);
	/* One flipped byte at 700: MISCOMPARE with its offset. */
	buf[700] ^= 'X';
	run(&f, &t, cdb, 10, 2048, buf, 2048);
	fx_check_sense(&t, 0x0e, 0x1d, 0x00);
	CHECK_EQ_INT(t.sense[0], 0xf0);
	CHECK_EQ_INT(t.sense[3] << 24 | t.sense[4] << 16 | t.sense[5] << 8 |
	    t.sense[6], 700);
	scsi_task_fini(&t);
	/* VERIFY (16) sees the same. */
	cdb_rw16(cdb, 0x8f, 100, 4, 0x02);
	run(&f, &t, cdb, 16, 2048, buf, 2048);
	fx_check_sense(&t, 0x0e, 0x1d, 0x00);
	scsi_task_fini(&t);
	/* BYTCHK 0: range check only. */
	cdb_rw10(cdb, 0x2f, 100, 4, 0x10);
	run(&f, &t, cdb, 10, 0, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 0);
	scsi_task_fini(&t);
	/* BYTCHK 10b/11b (SBC-4) are not supported. */
	cdb_rw10(cdb, 0x2f, 100, 1, 0x06);
	run(&f, &t, cdb, 10, 512, buf, 512);
	fx_check_field(&t, 0x24, 1, 1, 2);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(removable_medium)
{
	uint8_t ssu[6] = { 0x1b, 0, 0, 0, 0x02, 0 }; /* LOEJ, eject */
	uint8_t pa[6] = { 0x1e, 0, 0, 0, 0x01, 0 };  /* PREVENT */
	uint8_t tur[6] = { 0 }, cdb[16];
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 1);
	clear_ua(&f, &f.a, 0);
	clear_ua(&f, &f.b, 0);
	run(&f, &t, ssu, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	run(&f, &t, tur, 6, 0, NULL, 0);
	fx_check_sense(&t, 0x02, 0x3a, 0x00);
	scsi_task_fini(&t);
	cdb_rw10(cdb, 0x28, 0, 1, 0);
	run(&f, &t, cdb, 10, 512, NULL, 0);
	fx_check_sense(&t, 0x02, 0x3a, 0x00);
	scsi_task_fini(&t);
	/* Load it again. */
	ssu[4] = 0x03;
	run(&f, &t, ssu, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	run(&f, &t, tur, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);

	/* A prevents removal: nobody can eject (or load). */
	run(&f, &t, pa, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	ssu[4] = 0x02;
	run_on(&f, &t, &f.b, 0, ssu, 6, 0, NULL, 0);
	fx_check_sense(&t, 0x05, 0x53, 0x02);
	scsi_task_fini(&t);
	/* Power condition other than 0: LOEJ ignored. */
	ssu[4] = 0x12;
	run(&f, &t, ssu, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	/* A logical unit reset ends the prevention. */
	scsi_lun_reset(&f.tgt, 0, &f.a);
	clear_ua(&f, &f.a, 0);
	ssu[4] = 0x02;
	run(&f, &t, ssu, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	/* PREVENT 10b is obsolete. */
	pa[4] = 0x02;
	run(&f, &t, pa, 6, 0, NULL, 0);
	fx_check_field(&t, 0x24, 1, 4, 1);
	scsi_task_fini(&t);
	fx_close(&f);

	/* Fixed medium: LOEJ is INVALID FIELD IN CDB; PREVENT is fine. */
	fx_open(&f, MIB, 512, 0, 0);
	clear_ua(&f, &f.a, 0);
	run(&f, &t, ssu, 6, 0, NULL, 0);
	fx_check_field(&t, 0x24, 1, 4, 1);
	scsi_task_fini(&t);
	pa[4] = 0x01;
	run(&f, &t, pa, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	ssu[4] = 0x01; /* START without LOEJ */
	run(&f, &t, ssu, 6, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(lun_new_errors)
{
	struct scsi_lun_params p = { .block_size = 1024 };
	char err[256] = "";
	struct fx f;

	fx_open(&f, 4096, 512, 0, 0);
	CHECK(scsi_lun_new(f.bs, &p, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "1024") != NULL);
	p.block_size = 0;
	p.serial = "bad\tserial";
	err[0] = '\0';
	CHECK(scsi_lun_new(f.bs, &p, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "serial") != NULL);
	p.serial = NULL;
	p.vendor = "TOO LONG VENDOR";
	CHECK(scsi_lun_new(f.bs, &p, err, sizeof(err)) == NULL);
	fx_close(&f);
}

TEST(lun_too_small)
{
	struct scsi_lun_params p = { .block_size = 4096 };
	struct scsi_lun *lu;
	char err[256] = "";
	struct fx f;

	/* 4095 bytes: seven 512-byte blocks but no 4096-byte one. */
	fx_open(&f, 4095, 512, 0, 0);
	lu = scsi_lun_new(f.bs, &p, err, sizeof(err));
	CHECK(lu == NULL);
	CHECK(strstr(err, "smaller") != NULL);
	scsi_lun_free(lu);
	fx_close(&f);
}

/* Pumps a threaded engine until fx_ncount reaches want (5 s at most). */
static void
pump(struct fx *f, int want)
{
	struct pollfd pfd = { .fd = bs_engine_fd(f->eng), .events = POLLIN };

	for (int i = 0; i < 500 && fx_ncount < want; i++) {
		if (poll(&pfd, 1, 10) > 0)
			bs_engine_complete(f->eng);
	}
}

TEST(async_engine)
{
	uint8_t cdb[16], data[4096];
	struct scsi_task t;
	struct fx f;

	fx_open_at(&f, "/dev/shm", MIB, 512, 0, 0, 2);
	clear_ua(&f, &f.a, 0);
	memset(data, 0x3c, sizeof(data));
	cdb_rw10(cdb, 0x2a, 8, 8, 0);
	fx_ncount = 0;
	fx_exec(&t, &f.tgt, &f.a, 0, cdb, 16, sizeof(data), data,
	    sizeof(data), fx_count_done);
	/* Completion is delivered by bs_engine_complete(), not before. */
	CHECK_EQ_INT(fx_ncount, 0);
	pump(&f, 1);
	CHECK_EQ_INT(fx_ncount, 1);
	fx_check_good(&t);
	scsi_task_fini(&t);

	cdb[0] = 0x28;
	fx_ncount = 0;
	fx_exec(&t, &f.tgt, &f.a, 0, cdb, 16, sizeof(data), NULL, 0,
	    fx_count_done);
	pump(&f, 1);
	CHECK_EQ_INT(fx_ncount, 1);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, sizeof(data));
	CHECK_EQ_MEM(t.data_in, data, sizeof(data));
	scsi_task_fini(&t);
	fx_close(&f);
}

/* Writes one block with cdb and returns the FUA flag the store got. */
static int
write_fua(struct fx *f, const uint8_t *cdb)
{
	uint8_t blk[512] = { 1 };
	struct scsi_task t;
	int fua;

	run(f, &t, cdb, 16, 512, blk, 512);
	fx_check_good(&t);
	CHECK_EQ_INT(t.io.op, BS_OP_WRITE);
	CHECK_EQ_INT(t.io.len, 512);
	fua = t.io.fua;
	scsi_task_fini(&t);
	return fua;
}

TEST(write_fua_flag)
{
	uint8_t cdb[16], sel[6] = { 0x15, 0x10, 0, 0, 24, 0 };
	uint8_t pl[24] = { 0, 0, 0, 0, 0x08, 0x12, 0x00 };
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 512, 0, 0);
	clear_ua(&f, &f.a, 0);
	cdb_rw10(cdb, 0x2a, 1, 1, 0);
	CHECK_EQ_INT(write_fua(&f, cdb), 0);
	cdb_rw10(cdb, 0x2a, 1, 1, 0x08);
	CHECK_EQ_INT(write_fua(&f, cdb), 1);
	cdb_rw16(cdb, 0x8a, 1, 1, 0x10); /* DPO alone */
	CHECK_EQ_INT(write_fua(&f, cdb), 0);
	cdb_rw10(cdb, 0x2e, 1, 1, 0); /* WRITE AND VERIFY */
	CHECK_EQ_INT(write_fua(&f, cdb), 1);
	/* Write cache disabled: every write is FUA. */
	run(&f, &t, sel, 6, 24, pl, 24);
	fx_check_good(&t);
	scsi_task_fini(&t);
	cdb_rw10(cdb, 0x2a, 1, 1, 0);
	CHECK_EQ_INT(write_fua(&f, cdb), 1);
	/* SYNCHRONIZE CACHE is a flush. */
	cdb_rw16(cdb, 0x91, 0, 0, 0);
	run(&f, &t, cdb, 16, 0, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.io.op, BS_OP_FLUSH);
	scsi_task_fini(&t);
	fx_close(&f);
}

static const struct test tests[] = {
	T(inquiry_standard),
	T(inquiry_invalid_fields),
	T(inquiry_vpd_pages),
	T(inquiry_vpd_device_id),
	T(read_capacity),
	T(read_capacity_huge),
	T(write_read_roundtrip),
	T(write_read_6_zero_means_256),
	T(out_of_range),
	T(invalid_cdb_fields),
	T(read_only_lun),
	T(residuals_and_edtl),
	T(unit_attention_sequence),
	T(unit_attention_by_nexus_id),
	T(unit_attention_lru_bound),
	T(mode_sense_pages),
	T(mode_select_wce),
	T(report_luns_with_holes),
	T(invalid_opcode),
	T(verify_compare),
	T(removable_medium),
	T(lun_new_errors),
	T(lun_too_small),
	T(write_fua_flag),
	T(async_engine),
};

int
main(int argc, char **argv)
{
	return HARNESS_RUN(tests);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for logical block provisioning and the self-describing
 * commands: READ CAPACITY (16) LBPME/LBPRZ and VPD B0h/B2h bytes for thin
 * and fully provisioned LUNs, UNMAP, WRITE SAME (10/16) and GET LBA STATUS
 * checked against the backing file's bytes and holes, REPORT SUPPORTED
 * OPERATION CODES and TASK MANAGEMENT FUNCTIONS bytes, and the invariants
 * of the opcode table's CDB usage data. LUNs sit on tmpfs scratch files
 * (hole punching, SEEK_DATA) behind a synchronous engine. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs/bs.h"
#include "limits_minisan.h"
#include "scsi/scsi.h"
#include "scsi/scsi_impl.h"
#include "scsi_fx_cmd.h"

#define MIB (1024u * 1024u)
#define PORT_A "iqn.2024-01.org.example:host-a,i,0x23d000000001"

struct fx {
	const char *path;
	struct bs_engine *eng;
	struct bs *bs;
	struct scsi_lun *luns[1];
	struct scsi_target tgt;
	struct scsi_nexus a;
};

/* A LUN of size bytes (filled with fill) with block size bsz; thin and
 * readonly as in struct scsi_lun_params. */
static void
fx_open(struct fx *f, uint64_t size, int fill, uint32_t bsz, int thin,
    int readonly)
{
	struct scsi_lun_params p = {
		.block_size = bsz,
		.readonly = readonly,
		.naa_id = 0x6001405abcdef012ull,
		.thin = thin,
	};
	char err[256];

	memset(f, 0, sizeof(*f));
	f->path = fx_scratch_file("/dev/shm", "prov", size, fill);
	f->eng = bs_engine_new(0, err, sizeof(err));
	REQUIRE(f->eng != NULL);
	REQUIRE(bs_open(f->eng, f->path, 0, &f->bs, err, sizeof(err)) == 0);
	f->luns[0] = fx_lun_new(f->bs, &p);
	f->tgt.name = "iqn.2024-01.org.minisan:prov";
	f->tgt.luns = f->luns;
	f->tgt.nluns = 1;
	f->a.initiator_port = PORT_A;
	f->a.target_port = "iqn.2024-01.org.minisan:prov,t,0x0001";
	f->a.rel_port_id = 1;
	f->a.tpgt = 1;
}

static void
fx_close(struct fx *f)
{
	scsi_lun_free(f->luns[0]);
	bs_close(f->bs);
	bs_engine_free(f->eng);
	unlink(f->path);
}

/* Runs one command (done() must be called exactly once). */
static void
run(struct fx *f, struct scsi_task *t, const uint8_t *cdb, size_t cdb_len,
    uint32_t edtl, const void *data_out, uint32_t out_len)
{
	fx_exec_once(t, &f->tgt, &f->a, 0, cdb, cdb_len, edtl, data_out,
	    out_len);
}

/* A TEST UNIT READY to consume the power-on unit attention. */
static void
clear_ua(struct fx *f)
{
	struct scsi_task t;

	run(f, &t, (const uint8_t[6]){ 0 }, 6, 0, NULL, 0);
	scsi_task_fini(&t);
}

static void
file_read(const struct fx *f, uint64_t off, void *buf, size_t len)
{
	fx_file_pread(f->path, buf, len, (off_t)off);
}

/* 1 if every byte of the file in [off, off + len) is c. */
static int
file_is(const struct fx *f, uint64_t off, size_t len, int c)
{
	uint8_t *buf = malloc(len);
	int ok = 1;

	REQUIRE(buf != NULL);
	file_read(f, off, buf, len);
	for (size_t i = 0; i < len && ok; i++)
		ok = buf[i] == (uint8_t)c;
	free(buf);
	return ok;
}

/* 1 if [off, off + len) of the file is one hole. */
static int
file_hole(const struct fx *f, uint64_t off, uint64_t len)
{
	int fd = open(f->path, O_RDONLY);
	off_t d;

	REQUIRE(fd >= 0);
	d = lseek(fd, (off_t)off, SEEK_DATA);
	close(fd);
	return d < 0 || (uint64_t)d >= off + len;
}

/* INQUIRY EVPD page into t (64 bytes wanted). */
static void
vpd(struct fx *f, struct scsi_task *t, uint8_t page)
{
	uint8_t cdb[6] = { 0x12, 0x01, page, 0, 64, 0 };

	run(f, t, cdb, 6, 64, NULL, 0);
	fx_check_good(t);
}

TEST(thin_lun_reports_provisioning)
{
	uint8_t cdb16[16] = { 0x9e, 0x10 };
	uint8_t b0[64], b2[8];
	struct scsi_task t;
	struct fx f;

	fx_open(&f, 4 * MIB, 0, 512, 0, 0);
	clear_ua(&f);
	cdb16[13] = 32;
	run(&f, &t, cdb16, 16, 32, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in[13], 0);     /* 1 block per physical block */
	CHECK_EQ_INT(t.data_in[14], 0xc0);  /* LBPME, LBPRZ */
	CHECK_EQ_INT(t.data_in[15], 0);
	scsi_task_fini(&t);

	/* Block Limits (the provisioning fields, bytes 20-43): UNMAP of
	 * 512 MiB = 100000h blocks in 1024 descriptors, granularity 8 (a
	 * tmpfs page), aligned at LBA 0 (UGAVALID); WRITE SAME of 8 MiB =
	 * 4000h blocks; WSNZ 0. */
	memset(b0, 0, sizeof(b0));
	b0[21] = 0x10;
	b0[26] = 0x04;
	b0[31] = 8;
	b0[32] = 0x80;
	b0[42] = 0x40;
	vpd(&f, &t, 0xb0);
	CHECK_EQ_INT(t.data_in_len, 64);
	CHECK_EQ_INT(t.data_in[1], 0xb0);
	CHECK_EQ_INT(t.data_in[3], 0x3c);
	CHECK_EQ_INT(t.data_in[4] & 0x01, 0);
	CHECK_EQ_MEM(t.data_in + 20, b0 + 20, 24);
	scsi_task_fini(&t);

	memset(b2, 0, sizeof(b2));
	b2[1] = 0xb2;
	b2[3] = 4;
	b2[5] = 0xe4; /* LBPU, LBPWS, LBPWS10, LBPRZ; ANC_SUP 0, DP 0 */
	b2[6] = 0x02; /* thin provisioned */
	vpd(&f, &t, 0xb2);
	CHECK_EQ_INT(t.data_in_len, 8);
	CHECK_EQ_MEM(t.data_in, b2, 8);
	scsi_task_fini(&t);
	fx_close(&f);

	/* 4096-byte blocks: granularity 1, 20000h UNMAP blocks, 800h WRITE
	 * SAME blocks. */
	fx_open(&f, 4 * MIB, 0, 4096, 1, 0);
	clear_ua(&f);
	vpd(&f, &t, 0xb0);
	CHECK_EQ_INT(fx_get_be(&t.data_in[20], 4), 0x20000);
	CHECK_EQ_INT(fx_get_be(&t.data_in[24], 4), 1024);
	CHECK_EQ_INT(fx_get_be(&t.data_in[28], 4), 1);
	CHECK_EQ_INT(fx_get_be(&t.data_in[36], 8), 0x800);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(full_lun_reports_no_provisioning)
{
	uint8_t cdb16[16] = { 0x9e, 0x10, [13] = 32 };
	uint8_t b2[8] = { 0, 0xb2, 0, 4 };
	struct scsi_task t;
	struct fx f;

	fx_open(&f, 4 * MIB, 0, 512, -1, 0);
	clear_ua(&f);
	run(&f, &t, cdb16, 16, 32, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in[14], 0);
	scsi_task_fini(&t);
	vpd(&f, &t, 0xb0);
	CHECK_EQ_INT(fx_get_be(&t.data_in[20], 4), 0);
	CHECK_EQ_INT(fx_get_be(&t.data_in[24], 4), 0);
	CHECK_EQ_INT(fx_get_be(&t.data_in[28], 4), 0);
	CHECK_EQ_INT(t.data_in[32], 0);
	/* WRITE SAME without UNMAP works on any LUN. */
	CHECK_EQ_INT(fx_get_be(&t.data_in[36], 8), 0x4000);
	scsi_task_fini(&t);
	vpd(&f, &t, 0xb2);
	CHECK_EQ_MEM(t.data_in, b2, 8);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(thin_setting_against_store)
{
	struct scsi_lun_params p = { .block_size = 512, .thin = 1 };
	const char *path = fx_scratch_file("/dev/shm", "prov", MIB, 0);
	struct scsi_lun *lu;
	struct bs_engine *eng;
	char err[256] = "";
	struct bs *bs;

	eng = bs_engine_new(0, err, sizeof(err));
	REQUIRE(eng != NULL);
	/* A read-only store cannot deallocate: thin on is refused, thin
	 * automatic is off. */
	REQUIRE(bs_open(eng, path, 1, &bs, err, sizeof(err)) == 0);
	CHECK(scsi_lun_new(bs, &p, err, sizeof(err)) == NULL);
	CHECK(strstr(err, path) != NULL);
	CHECK(strstr(err, "thin provisioning") != NULL);
	p.thin = 0;
	lu = scsi_lun_new(bs, &p, err, sizeof(err));
	REQUIRE(lu != NULL);
	CHECK_EQ_INT(lu->thin, 0);
	CHECK_EQ_INT(lu->lbprz, 0);
	scsi_lun_free(lu);
	bs_close(bs);
	/* Writable: automatic and on are thin, off is not. */
	REQUIRE(bs_open(eng, path, 0, &bs, err, sizeof(err)) == 0);
	for (int thin = -1; thin <= 1; thin++) {
		p.thin = thin;
		lu = scsi_lun_new(bs, &p, err, sizeof(err));
		REQUIRE(lu != NULL);
		CHECK_EQ_INT(lu->thin, thin >= 0);
		CHECK_EQ_INT(lu->lbprz, thin >= 0);
		CHECK_EQ_INT(lu->unmap_gran, thin >= 0 ? 8 : 1);
		scsi_lun_free(lu);
	}
	bs_close(bs);
	bs_engine_free(eng);
}

/* An UNMAP parameter list with n descriptors {lba, count}. */
static uint32_t
unmap_list(uint8_t *buf, const uint64_t (*d)[2], uint32_t n)
{
	uint32_t len = 8 + 16 * n;

	memset(buf, 0, len);
	fx_put_be(buf, len - 2, 2);
	fx_put_be(buf + 2, 16 * n, 2);
	for (uint32_t i = 0; i < n; i++) {
		fx_put_be(buf + 8 + 16 * i, d[i][0], 8);
		fx_put_be(buf + 16 + 16 * i, (uint32_t)d[i][1], 4);
	}
	return len;
}

static void
unmap(struct fx *f, struct scsi_task *t, const uint8_t *list, uint32_t len)
{
	uint8_t cdb[10] = { 0x42 };

	fx_put_be(&cdb[7], len, 2);
	run(f, t, cdb, 10, len, list, len);
}

TEST(unmap_punches_holes)
{
	static const uint64_t d[][2] = {
		{ 8, 16 }, { 100, 0 }, { 64, 8 }, { 2040, 8 },
	};
	uint8_t list[8 + 16 * 4];
	struct scsi_task t;
	uint32_t len;
	struct fx f;

	/* 1 MiB of 0xaa: 2048 blocks of 512 bytes. */
	fx_open(&f, MIB, 0xaa, 512, 0, 0);
	clear_ua(&f);
	len = unmap_list(list, d, 4);
	unmap(&f, &t, list, len);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, len);
	scsi_task_fini(&t);
	CHECK(file_hole(&f, 8 * 512, 16 * 512));
	CHECK(file_hole(&f, 64 * 512, 8 * 512));
	CHECK(file_hole(&f, 2040 * 512, 8 * 512));
	CHECK(file_is(&f, 8 * 512, 16 * 512, 0));
	CHECK(file_is(&f, 0, 8 * 512, 0xaa));
	CHECK(file_is(&f, 24 * 512, 40 * 512, 0xaa));
	CHECK(file_is(&f, 72 * 512, 1968 * 512, 0xaa));
	CHECK_EQ_INT(bs_size(f.bs), MIB);

	/* A partial page is zeroed but stays allocated. */
	len = unmap_list(list, (const uint64_t[][2]){ { 1, 2 } }, 1);
	unmap(&f, &t, list, len);
	fx_check_good(&t);
	scsi_task_fini(&t);
	CHECK(file_is(&f, 512, 1024, 0));
	CHECK(file_is(&f, 0, 512, 0xaa));
	CHECK(file_is(&f, 1536, 2560, 0xaa));
	CHECK(!file_hole(&f, 0, 4096));
	fx_close(&f);
}

TEST(unmap_parameter_checks)
{
	uint8_t list[8 + 16 * (MINISAN_MAX_UNMAP_DESCRIPTORS + 1)];
	uint64_t (*d)[2] = calloc(MINISAN_MAX_UNMAP_DESCRIPTORS + 1,
	    sizeof(*d));
	uint8_t cdb[10] = { 0x42 };
	struct scsi_task t;
	uint32_t len;
	struct fx f;

	REQUIRE(d != NULL);
	fx_open(&f, MIB, 0xaa, 512, 0, 0);
	clear_ua(&f);
	/* No parameter list: nothing to do, GOOD. */
	run(&f, &t, cdb, 10, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	/* ANCHOR without ANC_SUP. */
	cdb[1] = 0x01;
	run(&f, &t, cdb, 10, 0, NULL, 0);
	fx_check_field(&t, 0x24, 1, 1, 0);
	scsi_task_fini(&t);
	/* A parameter list of 1-7 bytes. */
	len = unmap_list(list, (const uint64_t[][2]){ { 0, 8 } }, 1);
	for (uint32_t n = 1; n < 8; n++) {
		unmap(&f, &t, list, n);
		fx_check_sense(&t, 0x05, 0x1a, 0x00);
		scsi_task_fini(&t);
	}
	/* Less Data-Out than the PARAMETER LIST LENGTH. */
	fx_put_be(&cdb[7], len, 2);
	cdb[1] = 0;
	run(&f, &t, cdb, 10, len, list, len - 1);
	fx_check_sense(&t, 0x05, 0x1a, 0x00);
	scsi_task_fini(&t);
	CHECK(file_is(&f, 0, 4096, 0xaa));
	/* A descriptor truncated by the parameter list is ignored; so is a
	 * BLOCK DESCRIPTOR DATA LENGTH that is not a multiple of 16. */
	unmap(&f, &t, list, len - 1);
	fx_check_good(&t);
	scsi_task_fini(&t);
	fx_put_be(list + 2, 15, 2);
	unmap(&f, &t, list, len);
	fx_check_good(&t);
	scsi_task_fini(&t);
	CHECK(file_is(&f, 0, 4096, 0xaa));
	/* Beyond the capacity; a 0-block descriptor at the capacity is
	 * fine. */
	len = unmap_list(list, (const uint64_t[][2]){ { 2047, 2 } }, 1);
	unmap(&f, &t, list, len);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	len = unmap_list(list, (const uint64_t[][2]){ { UINT64_MAX, 2 } }, 1);
	unmap(&f, &t, list, len);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	len = unmap_list(list, (const uint64_t[][2]){ { 2048, 0 } }, 1);
	unmap(&f, &t, list, len);
	fx_check_good(&t);
	scsi_task_fini(&t);
	/* Too many descriptors: field pointer on BLOCK DESCRIPTOR DATA
	 * LENGTH. Nothing was unmapped by the failed commands. */
	len = unmap_list(list, (const uint64_t (*)[2])d,
	    MINISAN_MAX_UNMAP_DESCRIPTORS + 1);
	unmap(&f, &t, list, len);
	fx_check_field(&t, 0x26, 0, 2, -1);
	scsi_task_fini(&t);
	len = unmap_list(list, (const uint64_t (*)[2])d,
	    MINISAN_MAX_UNMAP_DESCRIPTORS);
	unmap(&f, &t, list, len);
	fx_check_good(&t);
	scsi_task_fini(&t);
	CHECK(file_is(&f, 0, MIB, 0xaa));
	fx_close(&f);

	/* More blocks in total than MAXIMUM UNMAP LBA COUNT: the pointer
	 * is on the NUMBER OF LOGICAL BLOCKS of the descriptor that tips
	 * it over (the second). */
	fx_open(&f, 2 * (uint64_t)MINISAN_MAX_UNMAP_BYTES, 0, 4096, 0, 0);
	clear_ua(&f);
	len = unmap_list(list, (const uint64_t[][2]){ { 0, 0x10000 },
	    { 0x10000, 0x10001 } }, 2);
	unmap(&f, &t, list, len);
	fx_check_field(&t, 0x26, 0, 8 + 16 + 8, -1);
	scsi_task_fini(&t);
	fx_close(&f);
	free(d);
}

TEST(unmap_needs_thin_writable_lun)
{
	uint8_t list[24];
	struct scsi_task t;
	uint32_t len;
	struct fx f;

	len = unmap_list(list, (const uint64_t[][2]){ { 0, 8 } }, 1);
	/* Fully provisioned: UNMAP does not exist. */
	fx_open(&f, MIB, 0xaa, 512, -1, 0);
	clear_ua(&f);
	unmap(&f, &t, list, len);
	fx_check_sense(&t, 0x05, 0x20, 0x00);
	scsi_task_fini(&t);
	fx_close(&f);
	/* Write protected. */
	fx_open(&f, MIB, 0xaa, 512, 0, 1);
	clear_ua(&f);
	unmap(&f, &t, list, len);
	fx_check_sense(&t, 0x07, 0x27, 0x00);
	scsi_task_fini(&t);
	CHECK(file_is(&f, 0, 4096, 0xaa));
	fx_close(&f);
}

static void
write_same(struct fx *f, struct scsi_task *t, int ws16, uint8_t flags,
    uint64_t lba, uint32_t n, const void *block, uint32_t out_len)
{
	uint8_t cdb[16] = { 0 };

	cdb[0] = ws16 ? 0x93 : 0x41;
	cdb[1] = flags;
	if (ws16) {
		fx_put_be(&cdb[2], lba, 8);
		fx_put_be(&cdb[10], n, 4);
	} else {
		fx_put_be(&cdb[2], (uint32_t)lba, 4);
		fx_put_be(&cdb[7], n, 2);
	}
	run(f, t, cdb, ws16 ? 16 : 10, out_len, block, out_len);
}

TEST(write_same_writes_and_unmaps)
{
	uint8_t block[512];
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 0xaa, 512, 0, 0);
	clear_ua(&f);
	for (int i = 0; i < 512; i++)
		block[i] = (uint8_t)(i * 7 + 1);
	write_same(&f, &t, 0, 0, 3, 5, block, 512);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 512);
	scsi_task_fini(&t);
	for (int b = 3; b < 8; b++) {
		uint8_t got[512];

		file_read(&f, (uint64_t)b * 512, got, 512);
		CHECK_EQ_MEM(got, block, 512);
	}
	CHECK(file_is(&f, 2 * 512, 512, 0xaa));
	CHECK(file_is(&f, 8 * 512, 512, 0xaa));

	/* WRITE SAME (16), 0 blocks: through the last block. */
	memset(block, 0x3c, sizeof(block));
	write_same(&f, &t, 1, 0, 2000, 0, block, 512);
	fx_check_good(&t);
	scsi_task_fini(&t);
	CHECK(file_is(&f, 2000 * 512, 48 * 512, 0x3c));
	CHECK(file_is(&f, 1999 * 512, 512, 0xaa));

	/* NDOB: zeros, no Data-Out, written (mapped) without UNMAP. */
	write_same(&f, &t, 1, 0x01, 16, 16, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 0);
	scsi_task_fini(&t);
	CHECK(file_is(&f, 16 * 512, 16 * 512, 0));
	CHECK(!file_hole(&f, 16 * 512, 16 * 512));

	/* UNMAP deallocates whatever the data says (SBC-3), reading back
	 * as zeros (LBPRZ). */
	write_same(&f, &t, 0, 0x08, 64, 32, block, 512);
	fx_check_good(&t);
	scsi_task_fini(&t);
	CHECK(file_hole(&f, 64 * 512, 32 * 512));
	write_same(&f, &t, 1, 0x09, 128, 8, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	CHECK(file_hole(&f, 128 * 512, 8 * 512));
	CHECK(file_is(&f, 127 * 512, 512, 0xaa));
	CHECK(file_is(&f, 136 * 512, 512, 0xaa));
	fx_close(&f);
}

TEST(write_same_limits_and_fields)
{
	uint8_t block[1024];
	struct scsi_task t;
	struct fx f;

	memset(block, 0x11, sizeof(block));
	fx_open(&f, 16 * MIB, 0xaa, 512, 0, 0);
	clear_ua(&f);
	/* MAXIMUM WRITE SAME LENGTH is 4000h blocks. */
	write_same(&f, &t, 0, 0, 0, 0x4000, block, 512);
	fx_check_good(&t);
	scsi_task_fini(&t);
	CHECK(file_is(&f, 0, 8 * MIB, 0x11));
	CHECK(file_is(&f, 8 * MIB, 4096, 0xaa));
	write_same(&f, &t, 1, 0, 0, 0x4001, block, 512);
	fx_check_field(&t, 0x24, 1, 10, -1);
	scsi_task_fini(&t);
	/* 0 blocks from LBA 0 would be all 8000h of them. */
	write_same(&f, &t, 0, 0, 0, 0, block, 512);
	fx_check_field(&t, 0x24, 1, 7, -1);
	scsi_task_fini(&t);
	/* Out of range, 0 blocks included, before the length limit. */
	write_same(&f, &t, 1, 0, 0x8000, 0, block, 512);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	write_same(&f, &t, 1, 0, 0x7fff, 2, block, 512);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	write_same(&f, &t, 1, 0, UINT64_MAX, 1, block, 512);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	/* WRPROTECT, ANCHOR (with and without UNMAP), PBDATA, LBDATA. */
	write_same(&f, &t, 0, 0x20, 0, 1, block, 512);
	fx_check_field(&t, 0x24, 1, 1, 7);
	scsi_task_fini(&t);
	write_same(&f, &t, 1, 0x10, 0, 1, block, 512);
	fx_check_field(&t, 0x24, 1, 1, 4);
	scsi_task_fini(&t);
	write_same(&f, &t, 0, 0x18, 0, 1, block, 512);
	fx_check_field(&t, 0x24, 1, 1, 4);
	scsi_task_fini(&t);
	write_same(&f, &t, 0, 0x04, 0, 1, block, 512);
	fx_check_field(&t, 0x24, 1, 1, 2);
	scsi_task_fini(&t);
	write_same(&f, &t, 1, 0x02, 0, 1, block, 512);
	fx_check_field(&t, 0x24, 1, 1, 1);
	scsi_task_fini(&t);
	/* Data-Out other than one block (libiscsi InvalidDataOutSize). */
	write_same(&f, &t, 0, 0x08, 0, 1, block, 256);
	fx_check_sense(&t, 0x05, 0x0e, 0x03);
	scsi_task_fini(&t);
	write_same(&f, &t, 1, 0x08, 0, 1, block, 1024);
	fx_check_sense(&t, 0x05, 0x0e, 0x03);
	scsi_task_fini(&t);
	CHECK(file_is(&f, 0, 4096, 0x11));
	fx_close(&f);

	/* Fully provisioned: no UNMAP bit; write protected: no write. */
	fx_open(&f, MIB, 0xaa, 512, -1, 0);
	clear_ua(&f);
	write_same(&f, &t, 0, 0x08, 0, 1, block, 512);
	fx_check_field(&t, 0x24, 1, 1, 3);
	scsi_task_fini(&t);
	write_same(&f, &t, 0, 0, 0, 1, block, 512);
	fx_check_good(&t);
	scsi_task_fini(&t);
	fx_close(&f);
	fx_open(&f, MIB, 0xaa, 512, 0, 1);
	clear_ua(&f);
	write_same(&f, &t, 1, 0, 0, 1, block, 512);
	fx_check_sense(&t, 0x07, 0x27, 0x00);
	scsi_task_fini(&t);
	CHECK(file_is(&f, 0, 512, 0xaa));
	fx_close(&f);
}

static void
get_lba_status(struct fx *f, struct scsi_task *t, uint64_t lba,
    uint32_t alloc)
{
	uint8_t cdb[16] = { 0x9e, 0x12 };

	fx_put_be(&cdb[2], lba, 8);
	fx_put_be(&cdb[10], alloc, 4);
	run(f, t, cdb, 16, alloc, NULL, 0);
}

/* Checks LBA status descriptor i. */
static void
check_lbas(const struct scsi_task *t, uint32_t i, uint64_t lba, uint32_t n,
    int status)
{
	const uint8_t *d = t->data_in + 8 + 16 * i;

	REQUIRE(t->data_in_len >= 8 + 16 * (i + 1));
	CHECK_EQ_INT(fx_get_be(d, 8), lba);
	CHECK_EQ_INT(fx_get_be(d + 8, 4), n);
	CHECK_EQ_INT(d[12], status);
	CHECK_EQ_INT(d[13] | d[14] | d[15], 0);
}

TEST(get_lba_status_reports_holes)
{
	uint8_t list[8 + 16 * 2];
	struct scsi_task t;
	uint32_t len;
	struct fx f;

	/* 2048 blocks of 512 bytes, all written. */
	fx_open(&f, MIB, 0x77, 512, 0, 0);
	clear_ua(&f);
	get_lba_status(&f, &t, 0, 64);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, 24);
	CHECK_EQ_INT(fx_get_be(t.data_in, 4), 20);
	check_lbas(&t, 0, 0, 2048, 0);
	scsi_task_fini(&t);

	/* Holes at [16, 32) and [1024, 2048); a 2-block unmap inside a page
	 * leaves the page (and so blocks 40-47) mapped. */
	len = unmap_list(list, (const uint64_t[][2]){ { 16, 16 },
	    { 1024, 1024 } }, 2);
	unmap(&f, &t, list, len);
	fx_check_good(&t);
	scsi_task_fini(&t);
	len = unmap_list(list, (const uint64_t[][2]){ { 42, 2 } }, 1);
	unmap(&f, &t, list, len);
	fx_check_good(&t);
	scsi_task_fini(&t);

	get_lba_status(&f, &t, 0, 8 + 16 * 8);
	fx_check_good(&t);
	CHECK_EQ_INT(fx_get_be(t.data_in, 4), 4 + 16 * 4);
	CHECK_EQ_INT(t.data_in_len, 8 + 16 * 4);
	check_lbas(&t, 0, 0, 16, 0);
	check_lbas(&t, 1, 16, 16, 1);
	check_lbas(&t, 2, 32, 992, 0);
	check_lbas(&t, 3, 1024, 1024, 1);
	scsi_task_fini(&t);
	/* From inside an extent: the first descriptor starts there. */
	get_lba_status(&f, &t, 20, 8 + 16 * 2);
	fx_check_good(&t);
	CHECK_EQ_INT(fx_get_be(t.data_in, 4), 4 + 16 * 2);
	check_lbas(&t, 0, 20, 12, 1);
	check_lbas(&t, 1, 32, 992, 0);
	scsi_task_fini(&t);
	/* An allocation length below one descriptor: truncated, but the
	 * PARAMETER DATA LENGTH still tells of one. */
	get_lba_status(&f, &t, 2047, 12);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 12);
	CHECK_EQ_INT(t.data_in_len, 12);
	CHECK_EQ_INT(fx_get_be(t.data_in, 4), 20);
	scsi_task_fini(&t);
	/* The last LBA, and beyond it. */
	get_lba_status(&f, &t, 2047, 24);
	fx_check_good(&t);
	check_lbas(&t, 0, 2047, 1, 1);
	scsi_task_fini(&t);
	get_lba_status(&f, &t, 2048, 24);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	get_lba_status(&f, &t, UINT64_MAX, 24);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	fx_close(&f);

	/* Fully provisioned over a sparse file: everything mapped. */
	fx_open(&f, MIB, 0, 4096, -1, 0);
	clear_ua(&f);
	get_lba_status(&f, &t, 10, 64);
	fx_check_good(&t);
	CHECK_EQ_INT(fx_get_be(t.data_in, 4), 20);
	check_lbas(&t, 0, 10, 246, 0);
	scsi_task_fini(&t);
	fx_close(&f);
}

/* REPORT SUPPORTED OPERATION CODES into t. */
static void
rsoc(struct fx *f, struct scsi_task *t, uint8_t options, uint8_t op,
    uint16_t sa, uint32_t alloc)
{
	uint8_t cdb[12] = { 0xa3, 0x0c, options, op };

	fx_put_be(&cdb[4], sa, 2);
	fx_put_be(&cdb[6], alloc, 4);
	run(f, t, cdb, 12, alloc, NULL, 0);
}

/* Finds the all_commands descriptor of op/sa (each len bytes). */
static const uint8_t *
rsoc_find(const struct scsi_task *t, uint32_t each, uint8_t op, uint16_t sa)
{
	uint32_t total = (uint32_t)fx_get_be(t->data_in, 4);

	for (uint32_t off = 4; off + each <= 4 + total; off += each) {
		const uint8_t *d = t->data_in + off;

		if (d[0] == op && (d[2] << 8 | d[3]) == sa)
			return d;
	}
	return NULL;
}

TEST(rsoc_all_commands)
{
	static const uint8_t read10[8] = { 0x28, 0, 0, 0, 0, 0x00, 0, 10 };
	static const uint8_t glbas[8] = { 0x9e, 0, 0, 0x12, 0, 0x01, 0, 16 };
	static const uint8_t rsoc_d[8] = { 0xa3, 0, 0, 0x0c, 0, 0x01, 0, 12 };
	static const uint8_t tmo[12] = { 0, 0x0a };
	const uint8_t *d;
	struct scsi_task t;
	uint32_t n = 0, nthin = 0;
	struct fx f;

	fx_open(&f, MIB, 0, 512, 0, 0);
	clear_ua(&f);
	rsoc(&f, &t, 0, 0, 0, 65535);
	fx_check_good(&t);
	REQUIRE(t.data_in_len >= 4);
	CHECK_EQ_INT((uint32_t)fx_get_be(t.data_in, 4) % 8, 0);
	CHECK_EQ_INT(t.data_in_len, 4 + (uint32_t)fx_get_be(t.data_in, 4));
	/* One descriptor per command of the opcode table (service actions
	 * each), with CDB LENGTH equal to its usage data. */
	for (unsigned op = 0; op < 256; op++) {
		const struct scsi_cmd_desc *c = scsi_cmd_opcode((uint8_t)op);

		if (c == NULL)
			continue;
		if (c->sas == NULL) {
			d = rsoc_find(&t, 8, (uint8_t)op, 0);
			REQUIRE(d != NULL);
			CHECK_EQ_INT(d[5], 0);
			CHECK_EQ_INT(d[6] << 8 | d[7], c->usage_len);
			n++;
			nthin += (c->flags & CMD_THIN) != 0;
			continue;
		}
		for (const struct scsi_cmd_desc *e = c->sas; e->usage_len;
		    e++) {
			d = rsoc_find(&t, 8, (uint8_t)op, e->sa);
			REQUIRE(d != NULL);
			CHECK_EQ_INT(d[5], 0x01);
			CHECK_EQ_INT(d[6] << 8 | d[7], e->usage_len);
			n++;
			nthin += (e->flags & CMD_THIN) != 0;
		}
	}
	CHECK_EQ_INT(fx_get_be(t.data_in, 4), 8 * n);
	CHECK_EQ_MEM(rsoc_find(&t, 8, 0x28, 0), read10, 8);
	CHECK_EQ_MEM(rsoc_find(&t, 8, 0x9e, 0x12), glbas, 8);
	CHECK_EQ_MEM(rsoc_find(&t, 8, 0xa3, 0x0c), rsoc_d, 8);
	CHECK(rsoc_find(&t, 8, 0x42, 0) != NULL);
	scsi_task_fini(&t);

	/* RCTD: each descriptor has CTDP and a timeouts descriptor. */
	rsoc(&f, &t, 0x80, 0, 0, 65535);
	fx_check_good(&t);
	CHECK_EQ_INT(fx_get_be(t.data_in, 4), 20 * n);
	d = rsoc_find(&t, 20, 0x28, 0);
	REQUIRE(d != NULL);
	CHECK_EQ_INT(d[5], 0x02);
	CHECK_EQ_MEM(d + 8, tmo, 12);
	d = rsoc_find(&t, 20, 0x9e, 0x10);
	REQUIRE(d != NULL);
	CHECK_EQ_INT(d[5], 0x03);
	scsi_task_fini(&t);

	/* Truncated by the allocation length. */
	rsoc(&f, &t, 0, 0, 0, 10);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 10);
	CHECK_EQ_INT(t.data_in_len, 10);
	CHECK_EQ_INT(fx_get_be(t.data_in, 4), 8 * n);
	scsi_task_fini(&t);
	fx_close(&f);

	/* A fully provisioned LUN has no UNMAP (nor any other CMD_THIN
	 * command). */
	CHECK(nthin >= 1);
	fx_open(&f, MIB, 0, 512, -1, 0);
	clear_ua(&f);
	rsoc(&f, &t, 0, 0, 0, 65535);
	fx_check_good(&t);
	CHECK_EQ_INT(fx_get_be(t.data_in, 4), 8 * (n - nthin));
	CHECK(rsoc_find(&t, 8, 0x42, 0) == NULL);
	CHECK(rsoc_find(&t, 8, 0x41, 0) != NULL);
	scsi_task_fini(&t);
	rsoc(&f, &t, 1, 0x42, 0, 64);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, 4);
	CHECK_EQ_INT(t.data_in[1], 0x01);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(rsoc_one_command)
{
	static const uint8_t read10[] = { 0, 0x03, 0, 10, 0x28, 0xf8, 0xff,
		0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0x05 };
	static const uint8_t glbas[] = { 0, 0x83, 0, 16, 0x9e, 0x12, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0x00, 0x05, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t ws16[] = { 0, 0x03, 0, 16, 0x93, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0x00, 0x05 };
	static const uint8_t unmap_u[] = { 0, 0x03, 0, 10, 0x42, 0x01, 0, 0,
		0, 0, 0, 0xff, 0xff, 0x05 };
	static const uint8_t none[4] = { 0, 0x01, 0, 0 };
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 0, 512, 0, 0);
	clear_ua(&f);
	rsoc(&f, &t, 1, 0x28, 0, 64);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, sizeof(read10));
	CHECK_EQ_MEM(t.data_in, read10, sizeof(read10));
	scsi_task_fini(&t);
	rsoc(&f, &t, 1, 0x93, 0, 64);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, sizeof(ws16));
	CHECK_EQ_MEM(t.data_in, ws16, sizeof(ws16));
	scsi_task_fini(&t);
	rsoc(&f, &t, 1, 0x42, 0, 64);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, sizeof(unmap_u));
	CHECK_EQ_MEM(t.data_in, unmap_u, sizeof(unmap_u));
	scsi_task_fini(&t);
	/* 010b with RCTD: usage data then the timeouts descriptor. */
	rsoc(&f, &t, 0x82, 0x9e, 0x12, 64);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, sizeof(glbas));
	CHECK_EQ_MEM(t.data_in, glbas, sizeof(glbas));
	scsi_task_fini(&t);
	/* 011b takes an opcode with or without service actions. */
	rsoc(&f, &t, 3, 0x28, 0x1234, 64);
	fx_check_good(&t);
	CHECK_EQ_MEM(t.data_in, read10, sizeof(read10));
	scsi_task_fini(&t);
	rsoc(&f, &t, 3, 0xa3, 0x0d, 64);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in[1], 0x03);
	CHECK_EQ_INT(t.data_in[4], 0xa3);
	CHECK_EQ_INT(t.data_in[5], 0x0d);
	scsi_task_fini(&t);
	/* Not supported: an unknown opcode, an unknown service action. */
	rsoc(&f, &t, 1, 0x04, 0, 64);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, 4);
	CHECK_EQ_MEM(t.data_in, none, 4);
	scsi_task_fini(&t);
	rsoc(&f, &t, 2, 0x9e, 0x11, 64);
	fx_check_good(&t);
	CHECK_EQ_MEM(t.data_in, none, 4);
	scsi_task_fini(&t);
	rsoc(&f, &t, 2, 0x9e, 0x110, 64);
	fx_check_good(&t);
	CHECK_EQ_MEM(t.data_in, none, 4);
	scsi_task_fini(&t);
	/* 001b on an opcode with service actions, 010b on one without. */
	rsoc(&f, &t, 1, 0x9e, 0x10, 64);
	fx_check_field(&t, 0x24, 1, 3, -1);
	scsi_task_fini(&t);
	rsoc(&f, &t, 2, 0x28, 0, 64);
	fx_check_field(&t, 0x24, 1, 3, -1);
	scsi_task_fini(&t);
	/* Reporting options 100b-111b. */
	for (uint8_t o = 4; o < 8; o++) {
		rsoc(&f, &t, o, 0x28, 0, 64);
		fx_check_field(&t, 0x24, 1, 2, 2);
		scsi_task_fini(&t);
	}
	fx_close(&f);
}

TEST(report_supported_tmfs)
{
	static const uint8_t basic[4] = { 0xda, 0, 0, 0 };
	static const uint8_t ext[16] = { 0xda, 0, 0, 0x0c };
	uint8_t cdb[12] = { 0xa3, 0x0d, 0, 0, 0, 0, 0, 0, 0, 64 };
	struct scsi_task t;
	struct fx f;

	fx_open(&f, MIB, 0, 512, 0, 0);
	clear_ua(&f);
	run(&f, &t, cdb, 12, 64, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, 4);
	CHECK_EQ_MEM(t.data_in, basic, 4);
	scsi_task_fini(&t);
	cdb[2] = 0x80; /* REPD */
	run(&f, &t, cdb, 12, 64, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, 16);
	CHECK_EQ_MEM(t.data_in, ext, 16);
	scsi_task_fini(&t);
	cdb[9] = 2;
	run(&f, &t, cdb, 12, 2, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 2);
	CHECK_EQ_INT(t.data_in[0], 0xda);
	scsi_task_fini(&t);
	/* Another MAINTENANCE IN action: INVALID FIELD IN CDB, SERVICE
	 * ACTION field. */
	cdb[1] = 0x1f;
	run(&f, &t, cdb, 12, 64, NULL, 0);
	fx_check_field(&t, 0x24, 1, 1, 4);
	scsi_task_fini(&t);
	fx_close(&f);
}

/* SPC-4 "OPERATION CODE byte": the CDB length of each group. */
static uint32_t
group_cdb_len(uint8_t op)
{
	static const uint8_t len[8] = { 6, 10, 10, 0, 16, 12, 0, 0 };

	return len[op >> 5];
}

static void
check_usage(uint8_t op, const struct scsi_cmd_desc *d, int has_sa)
{
	uint32_t len = group_cdb_len(op);

	CHECK(d->fn != NULL);
	CHECK_EQ_INT(d->usage_len, len);
	REQUIRE(d->usage != NULL && d->usage_len >= 6);
	CHECK_EQ_INT(d->usage[0], op);
	/* CONTROL: NACA and LINK, which scsi_exec() checks. */
	CHECK_EQ_INT(d->usage[d->usage_len - 1], 0x05);
	if (has_sa)
		CHECK_EQ_INT(d->usage[1] & SCSI_SA_MASK, d->sa);
	CHECK(!(d->flags & ~(CMD_NO_UA | CMD_NO_LUN | CMD_MEDIUM | CMD_THIN)));
}

/* Every table entry, the other engineers' included: the CDB usage data
 * REPORT SUPPORTED OPERATION CODES returns is well formed. */
TEST(opcode_table_usage_data)
{
	unsigned nops = 0;

	for (unsigned op = 0; op < 256; op++) {
		const struct scsi_cmd_desc *d = scsi_cmd_opcode((uint8_t)op);

		if (d == NULL) {
			CHECK(scsi_cmd_find((uint8_t)op, 0) == NULL);
			continue;
		}
		nops++;
		if (d->sas == NULL) {
			check_usage((uint8_t)op, d, 0);
			CHECK(scsi_cmd_find((uint8_t)op, 0x1f) == d);
			continue;
		}
		CHECK(d->fn == NULL);
		CHECK(d->sas[0].usage_len != 0);
		for (const struct scsi_cmd_desc *e = d->sas; e->usage_len;
		    e++) {
			check_usage((uint8_t)op, e, 1);
			CHECK(e->sa <= SCSI_SA_MASK);
			CHECK(e->sas == NULL);
			CHECK(scsi_cmd_find((uint8_t)op, e->sa) == e);
			for (const struct scsi_cmd_desc *g = d->sas; g < e; g++)
				CHECK(g->sa != e->sa);
		}
	}
	/* The commands this file is about are there. */
	CHECK(scsi_cmd_find(0x41, 0) != NULL);
	CHECK(scsi_cmd_find(0x42, 0) != NULL);
	CHECK(scsi_cmd_find(0x93, 0) != NULL);
	CHECK(scsi_cmd_find(0x9e, 0x12) != NULL);
	CHECK(scsi_cmd_find(0xa3, 0x0c) != NULL);
	CHECK(scsi_cmd_find(0xa3, 0x0d) != NULL);
	CHECK(scsi_cmd_find(0x9e, 0x11) == NULL);
	CHECK(nops >= 30);
}

static const struct test tests[] = {
	T(thin_lun_reports_provisioning),
	T(full_lun_reports_no_provisioning),
	T(thin_setting_against_store),
	T(unmap_punches_holes),
	T(unmap_parameter_checks),
	T(unmap_needs_thin_writable_lun),
	T(write_same_writes_and_unmaps),
	T(write_same_limits_and_fields),
	T(get_lba_status_reports_holes),
	T(rsoc_all_commands),
	T(rsoc_one_command),
	T(report_supported_tmfs),
	T(opcode_table_usage_data),
};

int
main(int argc, char **argv)
{
	return HARNESS_RUN(tests);
}

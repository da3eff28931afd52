/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for SANITIZE (OVERWRITE patterns, passes and INVERT checked in
 * the backing file, BLOCK ERASE punching the whole file, CDB and parameter
 * list errors, the operation outliving an IMMED or aborted command while
 * other commands get NOT READY with a progress indication), and for the
 * smaller commands: PRE-FETCH, READ DEFECT DATA and REPORT TARGET PORT
 * GROUPS, byte for byte. */
#include "scsi_fx.h"

#include <sys/stat.h>

#define BS 512u

static void
cdb_sanitize(uint8_t *c, uint8_t b1, uint16_t pll)
{
	memset(c, 0, 10);
	c[0] = 0x48;
	c[1] = b1;
	c[7] = (uint8_t)(pll >> 8);
	c[8] = (uint8_t)pll;
}

/* OVERWRITE parameter list: count (and INVERT), pattern of len bytes. */
static uint16_t
ovw_params(uint8_t *p, uint8_t b0, const uint8_t *pat, uint16_t len)
{
	p[0] = b0;
	p[1] = 0;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	memcpy(p + 4, pat, len);
	return (uint16_t)(len + 4);
}

static void
check_all(struct fx *f, uint32_t lun, uint64_t size, const uint8_t *blk)
{
	uint8_t got[BS];

	for (uint64_t off = 0; off < size; off += 37 * BS) {
		fx_pread(f, lun, got, BS, (off_t)off);
		CHECK_EQ_MEM(got, blk, BS);
	}
	fx_pread(f, lun, got, BS, (off_t)(size - BS));
	CHECK_EQ_MEM(got, blk, BS);
}

TEST(overwrite_patterns)
{
	uint8_t cdb[10], p[4 + BS], pat[BS], blk[BS];
	struct scsi_task t;
	struct fx f;
	uint16_t pll;

	fx_open_lun(&f, 0, 3 * FX_MIB + 5 * BS, BS);
	/* a 3-byte pattern repeats from the start of every block */
	pat[0] = 0x11;
	pat[1] = 0x22;
	pat[2] = 0x33;
	pll = ovw_params(p, 0x01, pat, 3);
	cdb_sanitize(cdb, 0x01, pll);
	fx_run(&f, &t, 0, cdb, 10, pll, p, pll);
	fx_check_good(&t);
	scsi_task_fini(&t);
	for (uint32_t i = 0; i < BS; i++)
		blk[i] = pat[i % 3];
	check_all(&f, 0, 3 * FX_MIB + 5 * BS, blk);
	/* two passes with INVERT: the second writes the inverted pattern */
	for (uint32_t i = 0; i < BS; i++)
		pat[i] = (uint8_t)i;
	pll = ovw_params(p, 0x80 | 0x02, pat, BS);
	cdb_sanitize(cdb, 0x01, pll);
	fx_run(&f, &t, 0, cdb, 10, pll, p, pll);
	fx_check_good(&t);
	scsi_task_fini(&t);
	for (uint32_t i = 0; i < BS; i++)
		blk[i] = (uint8_t)~i;
	check_all(&f, 0, 3 * FX_MIB + 5 * BS, blk);
	fx_close(&f);
}

TEST(sanitize_errors)
{
	uint8_t cdb[10], p[4 + BS + 8], pat[4] = { 1, 2, 3, 4 };
	struct scsi_task t;
	struct fx f;

	memset(p, 0, sizeof(p));
	fx_open(&f, 0);
	fx_add_lun(&f, FX_MIB, BS, 0);
	fx_add_lun(&f, FX_MIB, BS, 1);
	fx_clear_ua(&f, &f.a, 0);
	fx_clear_ua(&f, &f.a, 1);
	/* OVERWRITE needs 5 to block size + 4 bytes of parameters */
	for (uint16_t pll = 0; pll < 5; pll++) {
		cdb_sanitize(cdb, 0x01, pll);
		fx_run(&f, &t, 0, cdb, 10, pll, p, pll);
		fx_check_field(&t, 0x24, 1, 7, -1);
		scsi_task_fini(&t);
	}
	cdb_sanitize(cdb, 0x01, BS + 5);
	fx_run(&f, &t, 0, cdb, 10, BS + 5, p, BS + 5);
	fx_check_field(&t, 0x24, 1, 7, -1);
	scsi_task_fini(&t);
	/* OVERWRITE COUNT 0; pattern length 0, beyond the list, beyond a
	 * block; TEST bits */
	ovw_params(p, 0x00, pat, 4);
	cdb_sanitize(cdb, 0x01, 8);
	fx_run(&f, &t, 0, cdb, 10, 8, p, 8);
	fx_check_field(&t, 0x26, 0, 0, 4);
	scsi_task_fini(&t);
	ovw_params(p, 0x01, pat, 0);
	fx_run(&f, &t, 0, cdb, 10, 8, p, 8);
	fx_check_field(&t, 0x26, 0, 2, -1);
	scsi_task_fini(&t);
	ovw_params(p, 0x01, pat, 4);
	p[3] = 5;
	fx_run(&f, &t, 0, cdb, 10, 8, p, 8);
	fx_check_field(&t, 0x26, 0, 2, -1);
	scsi_task_fini(&t);
	ovw_params(p, 0x21, pat, 4);
	fx_run(&f, &t, 0, cdb, 10, 8, p, 8);
	fx_check_field(&t, 0x26, 0, 0, 6);
	scsi_task_fini(&t);
	p[0] = 0x01;
	p[2] = (BS + 4) >> 8;
	p[3] = (uint8_t)(BS + 4);
	cdb_sanitize(cdb, 0x01, BS + 4);
	fx_run(&f, &t, 0, cdb, 10, BS + 4, p, BS + 4);
	fx_check_field(&t, 0x26, 0, 2, -1);
	scsi_task_fini(&t);
	/* BLOCK ERASE and EXIT FAILURE MODE take no parameter list */
	cdb_sanitize(cdb, 0x02, 8);
	fx_run(&f, &t, 0, cdb, 10, 8, p, 8);
	fx_check_field(&t, 0x24, 1, 7, -1);
	scsi_task_fini(&t);
	cdb_sanitize(cdb, 0x1f, 8);
	fx_run(&f, &t, 0, cdb, 10, 8, p, 8);
	fx_check_field(&t, 0x24, 1, 7, -1);
	scsi_task_fini(&t);
	/* reserved bit and bytes */
	cdb_sanitize(cdb, 0x42, 0);
	fx_run(&f, &t, 0, cdb, 10, 0, NULL, 0);
	fx_check_field(&t, 0x24, 1, 1, 6);
	scsi_task_fini(&t);
	for (int i = 2; i < 7; i++) {
		cdb_sanitize(cdb, 0x02, 0);
		cdb[i] = 1;
		fx_run(&f, &t, 0, cdb, 10, 0, NULL, 0);
		fx_check_field(&t, 0x24, 1, i, -1);
		scsi_task_fini(&t);
	}
	/* CRYPTO ERASE and undefined service actions */
	for (uint8_t sa = 0; sa < 0x1f; sa++) {
		if (sa == 0x01 || sa == 0x02)
			continue;
		cdb_sanitize(cdb, sa, 0);
		fx_run(&f, &t, 0, cdb, 10, 0, NULL, 0);
		fx_check_field(&t, 0x24, 1, 1, 4);
		scsi_task_fini(&t);
	}
	/* EXIT FAILURE MODE without a failure: nothing to do */
	cdb_sanitize(cdb, 0x1f, 0);
	fx_run(&f, &t, 0, cdb, 10, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	/* a read-only LUN cannot be sanitized */
	ovw_params(p, 0x01, pat, 4);
	cdb_sanitize(cdb, 0x01, 8);
	fx_run(&f, &t, 1, cdb, 10, 8, p, 8);
	fx_check_sense(&t, 0x07, 0x27, 0x00);
	scsi_task_fini(&t);
	cdb_sanitize(cdb, 0x02, 0);
	fx_run(&f, &t, 1, cdb, 10, 0, NULL, 0);
	fx_check_sense(&t, 0x07, 0x27, 0x00);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(block_erase)
{
	uint8_t cdb[10], buf[64 * 1024], zero[BS];
	struct scsi_task t;
	struct stat st;
	struct fx f;

	fx_open_lun(&f, 0, FX_MIB, BS);
	memset(buf, 'a', sizeof(buf));
	for (off_t off = 0; off < (off_t)FX_MIB; off += sizeof(buf))
		fx_pwrite(&f, 0, buf, sizeof(buf), off);
	REQUIRE(stat(f.path[0], &st) == 0);
	CHECK(st.st_blocks >= (blkcnt_t)(FX_MIB / 512));
	cdb_sanitize(cdb, 0x02, 0);
	fx_run(&f, &t, 0, cdb, 10, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	/* every block deallocated (a hole over the whole file), reading as
	 * zeros */
	REQUIRE(stat(f.path[0], &st) == 0);
	CHECK_EQ_INT(st.st_blocks, 0);
	CHECK_EQ_INT(st.st_size, FX_MIB);
	memset(zero, 0, sizeof(zero));
	check_all(&f, 0, FX_MIB, zero);
	fx_close(&f);
}

static void
tur_not_ready(struct fx *f, const struct scsi_nexus *nx)
{
	const uint8_t tur[6] = { 0 };
	struct scsi_task t;

	fx_run_on(f, &t, nx, 0, tur, 6, 0, NULL, 0);
	fx_check_sense(&t, 0x02, 0x04, 0x1b);
	/* SKSV with a progress indication */
	CHECK_EQ_INT(t.sense[15], 0x80);
	scsi_task_fini(&t);
}

/* Sends TEST UNIT READY until GOOD (at most 200 times), letting the
 * engine run the operation in between: the operation has ended. */
static void
wait_ready(struct fx *f)
{
	const uint8_t tur[6] = { 0 };
	struct scsi_task t;

	for (int i = 0; i < 200; i++) {
		fx_run(f, &t, 0, tur, 6, 0, NULL, 0);
		scsi_task_fini(&t);
		if (t.status == SCSI_STATUS_GOOD)
			break;
		fx_drain(f);
	}
	fx_check_good(&t);
}

/* IMMED: GOOD at once; the operation goes on, NOT READY, SANITIZE IN
 * PROGRESS for everything but INQUIRY, REPORT LUNS and REQUEST SENSE. */
TEST(immed_operation_outlives_command)
{
	const uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 };
	uint8_t cdb[16], p[8], pat[4] = { 9, 8, 7, 6 };
	struct scsi_task t, ts;
	struct fx f;
	uint16_t pll;

	fx_open_lun(&f, 2, 8 * FX_MIB, BS);
	fx_clear_ua(&f, &f.b, 0);
	pll = ovw_params(p, 0x01, pat, 4);
	cdb_sanitize(cdb, 0x80 | 0x01, pll);
	fx_ndone = 0;
	fx_start(&f, &ts, &f.a, 0, cdb, 10, pll, p, pll);
	CHECK_EQ_INT(fx_ndone, 1);
	fx_check_good(&ts);
	scsi_task_fini(&ts);
	tur_not_ready(&f, &f.b);
	fx_cdb16(cdb, 0x88, 0, 0, 1);
	fx_run_on(&f, &t, &f.b, 0, cdb, 16, BS, NULL, 0);
	fx_check_sense(&t, 0x02, 0x04, 0x1b);
	scsi_task_fini(&t);
	fx_run(&f, &t, 0, inq, 6, 36, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	/* a second SANITIZE is turned away too */
	cdb_sanitize(cdb, 0x01, pll);
	fx_run(&f, &t, 0, cdb, 10, pll, p, pll);
	fx_check_sense(&t, 0x02, 0x04, 0x1b);
	scsi_task_fini(&t);
	/* run the operation to its end: then the unit is ready */
	wait_ready(&f);
	fx_close(&f);
}

/* IMMED 0, then the command is aborted: it ends at once with TASK
 * ABORTED, the operation does not. */
TEST(abort_leaves_operation_running)
{
	uint8_t cdb[10], p[8], pat[4] = { 1, 1, 1, 1 }, blk[BS];
	struct scsi_task ts;
	struct fx f;
	uint16_t pll;

	fx_open_lun(&f, 2, 8 * FX_MIB, BS);
	pll = ovw_params(p, 0x01, pat, 4);
	cdb_sanitize(cdb, 0x01, pll);
	fx_ndone = 0;
	fx_start(&f, &ts, &f.a, 0, cdb, 10, pll, p, pll);
	CHECK_EQ_INT(fx_ndone, 0);
	scsi_task_abort(&ts);
	CHECK_EQ_INT(fx_ndone, 1);
	CHECK_EQ_INT(ts.status, SCSI_STATUS_TASK_ABORTED);
	scsi_task_fini(&ts);
	tur_not_ready(&f, &f.a);
	wait_ready(&f);
	memset(blk, 1, sizeof(blk));
	check_all(&f, 0, 8 * FX_MIB, blk);
	fx_close(&f);
}

TEST(prefetch)
{
	uint8_t c10[10], c16[16];
	struct scsi_task t;
	struct fx f;

	fx_open_lun(&f, 0, FX_MIB, BS);
	/* PRE-FETCH (10): GOOD (not CONDITION MET), with and without IMMED,
	 * 0 blocks meaning to the end */
	memset(c10, 0, sizeof(c10));
	c10[0] = 0x34;
	c10[5] = 100;
	c10[8] = 16;
	for (int immed = 0; immed < 2; immed++) {
		c10[1] = immed ? 0x02 : 0;
		fx_run(&f, &t, 0, c10, 10, 0, NULL, 0);
		fx_check_good(&t);
		CHECK_EQ_INT(t.xfer_len, 0);
		scsi_task_fini(&t);
	}
	c10[8] = 0;
	fx_run(&f, &t, 0, c10, 10, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	/* 2048 blocks: 2047 + 2 and 2049 + 0 are out of range */
	c10[4] = 0x07;
	c10[5] = 0xff;
	c10[8] = 2;
	fx_run(&f, &t, 0, c10, 10, 0, NULL, 0);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	fx_cdb16(c16, 0x90, 0, 2049, 0);
	fx_run(&f, &t, 0, c16, 16, 0, NULL, 0);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	fx_cdb16(c16, 0x90, 0x02, 2040, 8);
	fx_run(&f, &t, 0, c16, 16, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	fx_cdb16(c16, 0x90, 0, UINT64_MAX, 1);
	fx_run(&f, &t, 0, c16, 16, 0, NULL, 0);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(read_defect_data)
{
	uint8_t c10[10] = { 0x37, 0, 0x18 | 0x05, 0, 0, 0, 0, 0, 32, 0 };
	uint8_t c12[12] = { 0xb7, 0x08 | 0x03, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0 };
	struct scsi_task t;
	struct fx f;

	fx_open_lun(&f, 0, FX_MIB, BS);
	fx_run(&f, &t, 0, c10, 10, 32, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, 4);
	CHECK_EQ_MEM(t.data_in, ((const uint8_t[4]){ 0, 0x1d, 0, 0 }), 4);
	scsi_task_fini(&t);
	fx_run(&f, &t, 0, c12, 12, 32, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, 8);
	CHECK_EQ_MEM(t.data_in, ((const uint8_t[8]){ 0, 0x0b, 0, 0, 0, 0, 0,
	    0 }), 8);
	scsi_task_fini(&t);
	/* reserved list format 111b */
	c10[2] = 0x07;
	fx_run(&f, &t, 0, c10, 10, 32, NULL, 0);
	fx_check_field(&t, 0x24, 1, 2, 2);
	scsi_task_fini(&t);
	/* allocation length 2 */
	c12[1] = 0;
	c12[9] = 2;
	fx_run(&f, &t, 0, c12, 12, 32, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, 2);
	CHECK_EQ_INT(t.xfer_len, 2);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(report_target_port_groups)
{
	static const uint8_t lenonly[16] = {
		0, 0, 0, 12,
		0x80, 0x01, 0x00, 0x07, 0, 0, 0, 1, /* TPG 7, 1 port */
		0, 0, 0x00, 0x03,                   /* relative port 3 */
	};
	static const uint8_t ext[20] = {
		0, 0, 0, 16, 0x10, 0, 0, 0,
		0x80, 0x01, 0x00, 0x07, 0, 0, 0, 1, 0, 0, 0x00, 0x03,
	};
	uint8_t cdb[12] = { 0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 };
	struct scsi_task t;
	struct fx f;

	fx_open_lun(&f, 0, FX_MIB, BS);
	fx_run(&f, &t, 0, cdb, 12, 256, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, sizeof(lenonly));
	CHECK_EQ_MEM(t.data_in, lenonly, sizeof(lenonly));
	scsi_task_fini(&t);
	cdb[1] = 0x20 | 0x0a;
	fx_run(&f, &t, 0, cdb, 12, 256, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, sizeof(ext));
	CHECK_EQ_MEM(t.data_in, ext, sizeof(ext));
	scsi_task_fini(&t);
	cdb[1] = 0x40 | 0x0a;
	fx_run(&f, &t, 0, cdb, 12, 256, NULL, 0);
	fx_check_field(&t, 0x24, 1, 1, 7);
	scsi_task_fini(&t);
	fx_close(&f);
}

static const struct test tests[] = {
	T(overwrite_patterns),
	T(sanitize_errors),
	T(block_erase),
	T(immed_operation_outlives_command),
	T(abort_leaves_operation_running),
	T(prefetch),
	T(read_defect_data),
	T(report_target_port_groups),
};

int
main(int argc, char **argv)
{
	return HARNESS_RUN(tests);
}

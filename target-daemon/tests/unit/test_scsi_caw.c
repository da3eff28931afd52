/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for COMPARE AND WRITE, ORWRITE (16) and WRITE ATOMIC (16):
 * data checked in the backing file, MISCOMPARE sense with the offset of
 * the first differing byte, the Data-Out size rules, CDB checks, ordering
 * against other writers on an engine with worker threads, the range each
 * command holds (medium_range), and software write protection. */
#include "scsi_fx.h"

#include "scsi/medium.h"

#define BS 512u

static void
cdb_caw(uint8_t *c, uint64_t lba, uint8_t nlb, uint8_t b1)
{
	fx_cdb16(c, 0x89, b1, lba, 0);
	c[13] = nlb;
}

/* Writes the pattern byte v into n blocks at lba through WRITE (16). */
static void
write_blocks(struct fx *f, uint64_t lba, uint32_t n, uint8_t v)
{
	uint8_t cdb[16], *buf = malloc((size_t)n * BS);
	struct scsi_task t;

	REQUIRE(buf != NULL);
	memset(buf, v, (size_t)n * BS);
	fx_cdb16(cdb, 0x8a, 0, lba, n);
	fx_run(f, &t, 0, cdb, 16, n * BS, buf, n * BS);
	fx_check_good(&t);
	scsi_task_fini(&t);
	free(buf);
}

TEST(caw_match_writes)
{
	uint8_t cdb[16], data[4 * BS], got[2 * BS], want[2 * BS];
	struct scsi_task t;
	struct fx f;

	fx_open_lun(&f, 0, FX_MIB, BS);
	write_blocks(&f, 10, 2, 'A');
	memset(data, 'A', 2 * BS);
	for (size_t i = 0; i < 2 * BS; i++)
		data[2 * BS + i] = (uint8_t)i;
	cdb_caw(cdb, 10, 2, 0);
	fx_run(&f, &t, 0, cdb, 16, sizeof(data), data, sizeof(data));
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 4 * BS);
	CHECK_EQ_INT(t.data_in_len, 0);
	scsi_task_fini(&t);
	fx_pread(&f, 0, got, sizeof(got), 10 * BS);
	memcpy(want, data + 2 * BS, sizeof(want));
	CHECK_EQ_MEM(got, want, sizeof(got));
	/* the blocks around are untouched */
	fx_pread(&f, 0, got, BS, 12 * BS);
	memset(want, 0, BS);
	CHECK_EQ_MEM(got, want, BS);
	fx_close(&f);
}

TEST(caw_miscompare_offset)
{
	uint8_t cdb[16], data[4 * BS], got[2 * BS], want[2 * BS];
	struct scsi_task t;
	struct fx f;

	fx_open_lun(&f, 0, FX_MIB, BS);
	write_blocks(&f, 0, 2, 'A');
	memset(data, 'A', 2 * BS);
	memset(data + 2 * BS, 'B', 2 * BS);
	data[700] = 'C';
	data[900] = 'D';
	cdb_caw(cdb, 0, 2, 0);
	fx_run(&f, &t, 0, cdb, 16, sizeof(data), data, sizeof(data));
	/* MISCOMPARE, MISCOMPARE DURING VERIFY OPERATION; VALID with the
	 * offset of the first differing byte in INFORMATION. */
	fx_check_sense(&t, 0x0e, 0x1d, 0x00);
	CHECK_EQ_MEM(t.sense, ((const uint8_t[18]){ 0xf0, 0, 0x0e, 0, 0, 0x02,
	    0xbc, 10, 0, 0, 0, 0, 0x1d, 0, 0, 0, 0, 0 }), 18);
	scsi_task_fini(&t);
	fx_pread(&f, 0, got, sizeof(got), 0);
	memset(want, 'A', sizeof(want));
	CHECK_EQ_MEM(got, want, sizeof(got));
	/* the first byte differing */
	memset(data, 'A', 2 * BS);
	data[0] = 'Z';
	fx_run(&f, &t, 0, cdb, 16, sizeof(data), data, sizeof(data));
	fx_check_sense(&t, 0x0e, 0x1d, 0x00);
	CHECK_EQ_INT(t.sense[0], 0xf0);
	CHECK_EQ_INT(t.sense[3] | t.sense[4] | t.sense[5] | t.sense[6], 0);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(caw_checks)
{
	uint8_t cdb[16], data[4 * BS];
	struct scsi_task t;
	struct fx f;

	memset(data, 0, sizeof(data));
	fx_open(&f, 0);
	fx_add_lun(&f, FX_MIB, BS, 0);
	fx_add_lun(&f, FX_MIB, BS, 1);
	fx_clear_ua(&f, &f.a, 0);
	fx_clear_ua(&f, &f.a, 1);
	/* NUMBER OF LOGICAL BLOCKS 0: nothing happens, not an error. */
	cdb_caw(cdb, 5, 0, 0);
	fx_run(&f, &t, 0, cdb, 16, 0, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 0);
	scsi_task_fini(&t);
	/* ... but 0 with more Data-Out than any COMPARE AND WRITE carries
	 * is a block count (256) the byte could not hold. */
	fx_run(&f, &t, 0, cdb, 16, 2 * 256 * BS, NULL, 0);
	fx_check_field(&t, 0x24, 1, 13, -1);
	scsi_task_fini(&t);
	/* Data-Out of 4 blocks for 1 (too much) or 3 (too little). */
	cdb_caw(cdb, 0, 1, 0);
	fx_run(&f, &t, 0, cdb, 16, sizeof(data), data, sizeof(data));
	fx_check_field(&t, 0x24, 1, 13, -1);
	scsi_task_fini(&t);
	cdb_caw(cdb, 0, 3, 0);
	fx_run(&f, &t, 0, cdb, 16, sizeof(data), data, sizeof(data));
	fx_check_field(&t, 0x24, 1, 13, -1);
	CHECK_EQ_INT(t.xfer_len, 6 * BS);
	scsi_task_fini(&t);
	/* WRPROTECT without protection information */
	cdb_caw(cdb, 0, 2, 0x20);
	fx_run(&f, &t, 0, cdb, 16, sizeof(data), data, sizeof(data));
	fx_check_field(&t, 0x24, 1, 1, 7);
	scsi_task_fini(&t);
	/* DPO and FUA are fine */
	cdb_caw(cdb, 0, 2, 0x18);
	fx_run(&f, &t, 0, cdb, 16, sizeof(data), data, sizeof(data));
	fx_check_good(&t);
	scsi_task_fini(&t);
	/* past the end: 2048 blocks, LBA 2047 + 2 */
	cdb_caw(cdb, 2047, 2, 0);
	fx_run(&f, &t, 0, cdb, 16, sizeof(data), data, sizeof(data));
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	cdb_caw(cdb, UINT64_MAX, 1, 0);
	fx_run(&f, &t, 0, cdb, 16, 2 * BS, data, 2 * BS);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	/* read-only LUN */
	cdb_caw(cdb, 0, 2, 0);
	fx_run(&f, &t, 1, cdb, 16, sizeof(data), data, sizeof(data));
	fx_check_sense(&t, 0x07, 0x27, 0x00);
	scsi_task_fini(&t);
	fx_close(&f);
}

/* With worker threads: a WRITE of the same block issued while a COMPARE
 * AND WRITE runs is held until it has finished, so the WRITE lands last
 * and the compare saw the old data. A READ of another block is not
 * held. */
TEST(caw_orders_writers)
{
	uint8_t cdb[16], caw[2 * BS], wr[BS], rd[BS], got[BS];
	struct scsi_task tc, tw, tr;
	struct fx f;

	fx_open_lun(&f, 2, FX_MIB, BS);
	write_blocks(&f, 3, 1, 'A');
	memset(caw, 'A', BS);
	memset(caw + BS, 'B', BS);
	memset(wr, 'W', BS);
	fx_ndone = 0;
	cdb_caw(cdb, 3, 1, 0);
	fx_start(&f, &tc, &f.a, 0, cdb, 16, sizeof(caw), caw, sizeof(caw));
	fx_cdb16(cdb, 0x8a, 0, 3, 1);
	fx_start(&f, &tw, &f.a, 0, cdb, 16, BS, wr, BS);
	fx_cdb16(cdb, 0x88, 0, 100, 1);
	fx_start(&f, &tr, &f.a, 0, cdb, 16, BS, NULL, 0);
	CHECK_EQ_INT(fx_ndone, 0);
	fx_pump(&f, 3);
	REQUIRE(fx_ndone == 3);
	/* the CAW before the WRITE, whatever the READ did */
	for (int i = 0, seen_caw = 0; i < 3; i++) {
		if (fx_done_seq[i] == &tc)
			seen_caw = 1;
		if (fx_done_seq[i] == &tw)
			CHECK(seen_caw);
	}
	fx_check_good(&tc);
	fx_check_good(&tw);
	fx_check_good(&tr);
	memset(rd, 0, BS);
	CHECK_EQ_MEM(tr.data_in, rd, BS);
	fx_pread(&f, 0, got, BS, 3 * BS);
	CHECK_EQ_MEM(got, wr, BS);
	scsi_task_fini(&tc);
	scsi_task_fini(&tw);
	scsi_task_fini(&tr);
	fx_close(&f);
}

/* A command aborted while it waits for its range ends at once with TASK
 * ABORTED and never runs; the one holding the range is not affected. */
TEST(abort_waiting_writer)
{
	uint8_t cdb[16], caw[2 * BS], wr[BS], got[BS];
	struct scsi_task tc, tw;
	struct fx f;

	fx_open_lun(&f, 2, FX_MIB, BS);
	fx_clear_ua(&f, &f.b, 0);
	memset(caw, 0, BS);
	memset(caw + BS, 'B', BS);
	memset(wr, 'W', BS);
	fx_ndone = 0;
	cdb_caw(cdb, 0, 1, 0);
	fx_start(&f, &tc, &f.a, 0, cdb, 16, sizeof(caw), caw, sizeof(caw));
	fx_cdb16(cdb, 0x8a, 0, 0, 1);
	fx_start(&f, &tw, &f.b, 0, cdb, 16, BS, wr, BS);
	CHECK_EQ_INT(fx_ndone, 0);
	scsi_task_abort(&tw);
	REQUIRE(fx_ndone == 1);
	CHECK(fx_done_seq[0] == &tw);
	CHECK_EQ_INT(tw.status, SCSI_STATUS_TASK_ABORTED);
	/* aborting the one that runs changes nothing */
	scsi_task_abort(&tc);
	CHECK_EQ_INT(fx_ndone, 1);
	fx_pump(&f, 2);
	CHECK_EQ_INT(fx_ndone, 2);
	fx_check_good(&tc);
	fx_pread(&f, 0, got, BS, 0);
	CHECK_EQ_MEM(got, caw + BS, BS);
	scsi_task_fini(&tc);
	scsi_task_fini(&tw);
	fx_close(&f);
}

TEST(orwrite)
{
	uint8_t cdb[16], data[3 * BS], got[3 * BS], want[3 * BS];
	struct scsi_task t;
	struct fx f;

	fx_open(&f, 0);
	fx_add_lun(&f, FX_MIB, BS, 0);
	fx_add_lun(&f, FX_MIB, BS, 1);
	fx_clear_ua(&f, &f.a, 0);
	fx_clear_ua(&f, &f.a, 1);
	write_blocks(&f, 20, 3, 0x0f);
	memset(data, 0x30, sizeof(data));
	data[5] = 0x80;
	fx_cdb16(cdb, 0x8b, 0x18, 20, 3);
	fx_run(&f, &t, 0, cdb, 16, sizeof(data), data, sizeof(data));
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 3 * BS);
	scsi_task_fini(&t);
	fx_pread(&f, 0, got, sizeof(got), 20 * BS);
	memset(want, 0x3f, sizeof(want));
	want[5] = 0x8f;
	CHECK_EQ_MEM(got, want, sizeof(got));
	/* 0 blocks: nothing, at LBA 0; past the end it is out of range */
	fx_cdb16(cdb, 0x8b, 0, 0, 0);
	fx_run(&f, &t, 0, cdb, 16, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	fx_cdb16(cdb, 0x8b, 0, 2049, 0);
	fx_run(&f, &t, 0, cdb, 16, 0, NULL, 0);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	fx_cdb16(cdb, 0x8b, 0, 2047, 2);
	fx_run(&f, &t, 0, cdb, 16, 2 * BS, data, 2 * BS);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	/* ORPROTECT */
	fx_cdb16(cdb, 0x8b, 0x60, 0, 1);
	fx_run(&f, &t, 0, cdb, 16, BS, data, BS);
	fx_check_field(&t, 0x24, 1, 1, 7);
	scsi_task_fini(&t);
	/* more than MAXIMUM TRANSFER LENGTH (8 MiB) */
	fx_cdb16(cdb, 0x8b, 0, 0, 16385);
	fx_run(&f, &t, 0, cdb, 16, 0, NULL, 0);
	fx_check_field(&t, 0x24, 1, 10, -1);
	scsi_task_fini(&t);
	/* half a block of Data-Out cannot be ORed in */
	fx_cdb16(cdb, 0x8b, 0, 0, 2);
	fx_run(&f, &t, 0, cdb, 16, BS + 100, data, BS + 100);
	fx_check_sense(&t, 0x05, 0x0e, 0x03);
	scsi_task_fini(&t);
	fx_cdb16(cdb, 0x8b, 0, 0, 1);
	fx_run(&f, &t, 1, cdb, 16, BS, data, BS);
	fx_check_sense(&t, 0x07, 0x27, 0x00);
	scsi_task_fini(&t);
	fx_close(&f);
}

static void
cdb_wa16(uint8_t *c, uint64_t lba, uint16_t boundary, uint16_t tl,
    uint8_t b1)
{
	fx_cdb16(c, 0x9c, b1, lba, 0);
	fx_put_be(&c[10], boundary, 2);
	fx_put_be(&c[12], tl, 2);
}

TEST(write_atomic16)
{
	static uint8_t data[2049 * BS];
	uint8_t cdb[16], got[4 * BS];
	struct scsi_task t;
	struct fx f;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	fx_open_lun(&f, 0, 4 * FX_MIB, BS);
	cdb_wa16(cdb, 8, 0, 4, 0x08);
	fx_run(&f, &t, 0, cdb, 16, 4 * BS, data, 4 * BS);
	fx_check_good(&t);
	CHECK_EQ_INT(t.xfer_len, 4 * BS);
	scsi_task_fini(&t);
	fx_pread(&f, 0, got, sizeof(got), 8 * BS);
	CHECK_EQ_MEM(got, data, sizeof(got));
	/* MAXIMUM ATOMIC TRANSFER LENGTH is 1 MiB: 2048 blocks fit, 2049
	 * do not */
	cdb_wa16(cdb, 0, 0, 2048, 0);
	fx_run(&f, &t, 0, cdb, 16, 2048 * BS, data, 2048 * BS);
	fx_check_good(&t);
	scsi_task_fini(&t);
	cdb_wa16(cdb, 0, 0, 2049, 0);
	fx_run(&f, &t, 0, cdb, 16, sizeof(data), data, sizeof(data));
	fx_check_field(&t, 0x24, 1, 12, -1);
	scsi_task_fini(&t);
	/* no atomic boundaries */
	cdb_wa16(cdb, 0, 1, 1, 0);
	fx_run(&f, &t, 0, cdb, 16, BS, data, BS);
	fx_check_field(&t, 0x24, 1, 10, -1);
	scsi_task_fini(&t);
	/* all or nothing: less Data-Out than the transfer length */
	cdb_wa16(cdb, 0, 0, 2, 0);
	fx_run(&f, &t, 0, cdb, 16, BS, data, BS);
	fx_check_field(&t, 0x24, 1, 12, -1);
	scsi_task_fini(&t);
	cdb_wa16(cdb, 0, 0, 1, 0xe0);
	fx_run(&f, &t, 0, cdb, 16, BS, data, BS);
	fx_check_field(&t, 0x24, 1, 1, 7);
	scsi_task_fini(&t);
	cdb_wa16(cdb, 8191, 0, 2, 0);
	fx_run(&f, &t, 0, cdb, 16, 2 * BS, data, 2 * BS);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	cdb_wa16(cdb, 8192, 0, 0, 0);
	fx_run(&f, &t, 0, cdb, 16, 0, NULL, 0);
	fx_check_sense(&t, 0x05, 0x21, 0x00);
	scsi_task_fini(&t);
	cdb_wa16(cdb, 0, 0, 0, 0);
	fx_run(&f, &t, 0, cdb, 16, 0, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(medium_ranges)
{
	uint8_t c[16];
	struct medium_range r;

	memset(c, 0, sizeof(c));
	c[0] = 0x08; /* READ (6): 21-bit LBA, 0 blocks is 256 */
	c[1] = 0xff;
	c[2] = 0x12;
	c[3] = 0x34;
	medium_range(c, &r);
	CHECK(r.lba == 0x1f1234 && r.n == 256 && r.mode == LBA_LOCK_SHARED);
	fx_cdb16(c, 0x8a, 0, 77, 5);
	medium_range(c, &r);
	CHECK(r.lba == 77 && r.n == 5 && r.mode == LBA_LOCK_SHARED);
	fx_cdb16(c, 0x8a, 0, 77, 0);
	medium_range(c, &r);
	CHECK_EQ_INT(r.mode, LBA_LOCK_NONE);
	fx_cdb16(c, 0x93, 0, 9, 0); /* WRITE SAME (16) 0: to the end */
	medium_range(c, &r);
	CHECK(r.lba == 9 && r.n == 0 && r.mode == LBA_LOCK_SHARED);
	cdb_caw(c, 1ull << 40, 3, 0);
	medium_range(c, &r);
	CHECK(r.lba == 1ull << 40 && r.n == 3 && r.mode == LBA_LOCK_EXCL);
	fx_cdb16(c, 0x8b, 0, 4, 70000);
	medium_range(c, &r);
	CHECK(r.lba == 4 && r.n == 70000 && r.mode == LBA_LOCK_EXCL);
	cdb_wa16(c, 6, 0, 9, 0);
	medium_range(c, &r);
	CHECK(r.lba == 6 && r.n == 9 && r.mode == LBA_LOCK_EXCL);
	memset(c, 0, sizeof(c));
	c[0] = 0x48; /* SANITIZE: the whole medium */
	medium_range(c, &r);
	CHECK(r.lba == 0 && r.n == 0 && r.mode == LBA_LOCK_EXCL);
	c[0] = 0x42; /* UNMAP: the whole medium, shared */
	medium_range(c, &r);
	CHECK(r.lba == 0 && r.n == 0 && r.mode == LBA_LOCK_SHARED);
	c[0] = 0x12; /* INQUIRY: nothing */
	medium_range(c, &r);
	CHECK_EQ_INT(r.mode, LBA_LOCK_NONE);
}

/* MODE SELECT (6) of the control page with SWP set: writes get DATA
 * PROTECT, reads still work, MODE SENSE shows WP and SWP, and the other
 * nexus is told (MODE PARAMETERS CHANGED). */
TEST(software_write_protect)
{
	uint8_t cdb[16], ms[4 + 12], buf[BS], sense[32];
	struct scsi_task t;
	struct fx f;

	fx_open_lun(&f, 0, FX_MIB, BS);
	fx_clear_ua(&f, &f.b, 0);
	/* the changeable control page offers SWP */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x1a;
	cdb[1] = 0x08;
	cdb[2] = 0x40 | 0x0a;
	cdb[4] = sizeof(sense);
	fx_run(&f, &t, 0, cdb, 6, sizeof(sense), NULL, 0);
	fx_check_good(&t);
	REQUIRE(t.data_in_len == 16);
	CHECK_EQ_INT(t.data_in[4 + 4], 0x08);
	scsi_task_fini(&t);
	/* MODE SELECT (6): header, control page with SWP */
	memset(ms, 0, sizeof(ms));
	ms[4] = 0x0a;
	ms[5] = 10;
	ms[6] = 0x02; /* GLTSD, as it is */
	ms[7] = 0x10; /* QAM unrestricted, as it is */
	ms[8] = 0x08; /* SWP */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x15;
	cdb[1] = 0x10;
	cdb[4] = sizeof(ms);
	fx_run(&f, &t, 0, cdb, 6, sizeof(ms), ms, sizeof(ms));
	fx_check_good(&t);
	scsi_task_fini(&t);
	memset(buf, 'x', sizeof(buf));
	fx_cdb16(cdb, 0x8a, 0, 1, 1);
	fx_run(&f, &t, 0, cdb, 16, BS, buf, BS);
	fx_check_sense(&t, 0x07, 0x27, 0x00);
	scsi_task_fini(&t);
	fx_cdb16(cdb, 0x88, 0, 1, 1);
	fx_run(&f, &t, 0, cdb, 16, BS, NULL, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	cdb_caw(cdb, 1, 1, 0);
	memset(buf, 0, sizeof(buf));
	fx_run(&f, &t, 0, cdb, 16, 2 * BS, NULL, 0);
	fx_check_sense(&t, 0x07, 0x27, 0x00);
	scsi_task_fini(&t);
	/* MODE SENSE (6), current control page: WP in the header, SWP */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x1a;
	cdb[1] = 0x08;
	cdb[2] = 0x0a;
	cdb[4] = sizeof(sense);
	fx_run(&f, &t, 0, cdb, 6, sizeof(sense), NULL, 0);
	fx_check_good(&t);
	REQUIRE(t.data_in_len == 16);
	CHECK_EQ_INT(t.data_in[2], 0x80 | 0x10);
	CHECK_EQ_INT(t.data_in[4 + 4], 0x08);
	scsi_task_fini(&t);
	/* the other nexus has a MODE PARAMETERS CHANGED unit attention */
	fx_cdb16(cdb, 0x88, 0, 1, 1);
	fx_run_on(&f, &t, &f.b, 0, cdb, 16, BS, NULL, 0);
	fx_check_sense(&t, 0x06, 0x2a, 0x01);
	scsi_task_fini(&t);
	/* clear SWP: writes work again */
	ms[8] = 0;
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x15;
	cdb[1] = 0x10;
	cdb[4] = sizeof(ms);
	fx_run(&f, &t, 0, cdb, 6, sizeof(ms), ms, sizeof(ms));
	fx_check_good(&t);
	scsi_task_fini(&t);
	fx_cdb16(cdb, 0x8a, 0, 1, 1);
	fx_run(&f, &t, 0, cdb, 16, BS, buf, BS);
	fx_check_good(&t);
	scsi_task_fini(&t);
	fx_close(&f);
}

static const struct test tests[] = {
	T(caw_match_writes),
	T(caw_miscompare_offset),
	T(caw_checks),
	T(caw_orders_writers),
	T(abort_waiting_writer),
	T(orwrite),
	T(write_atomic16),
	T(medium_ranges),
	T(software_write_protect),
};

int
main(int argc, char **argv)
{
	return HARNESS_RUN(tests);
}

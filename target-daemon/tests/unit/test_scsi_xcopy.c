/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for EXTENDED COPY (LID1): copies across LUNs and within one
 * (overlapping, several chunks), every parameter list error with its exact
 * sense, COPY ABORTED with the failing segment number; RECEIVE COPY
 * RESULTS (COPY STATUS held per I_T nexus and list identifier, OPERATING
 * PARAMETERS) and the Third-party Copy VPD page, byte for byte. */
#include "scsi_fx.h"

#define BS 512u
#define HDR 16u
#define CSCD 32u
#define SEG 28u

/* An EXTENDED COPY parameter list under construction. */
struct plist {
	uint8_t b[8192];
	uint32_t cscd, seg; /* bytes of each list */
};

static void
pl_init(struct plist *p, uint8_t list_id, uint8_t usage)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = list_id;
	p->b[1] = (uint8_t)(usage << 3);
}

/* An identification CSCD descriptor naming NAA naa (type: E4h or
 * another, to test the unsupported ones). */
static void
pl_cscd(struct plist *p, uint8_t type, uint64_t naa, uint32_t bsz)
{
	uint8_t *c = p->b + HDR + p->cscd;

	REQUIRE(p->seg == 0);
	c[0] = type;
	c[4] = 0x01;  /* binary */
	c[5] = 0x03;  /* LU, NAA */
	c[7] = 8;
	fx_put_be(&c[8], naa, 8);
	fx_put_be(&c[29], bsz, 3);
	p->cscd += CSCD;
}

static void
pl_seg(struct plist *p, uint16_t src, uint16_t dst, uint16_t nblk,
    uint64_t src_lba, uint64_t dst_lba)
{
	uint8_t *s = p->b + HDR + p->cscd + p->seg;

	s[0] = 0x02;
	fx_put_be(&s[2], 0x18, 2);
	fx_put_be(&s[4], src, 2);
	fx_put_be(&s[6], dst, 2);
	fx_put_be(&s[10], nblk, 2);
	fx_put_be(&s[12], src_lba, 8);
	fx_put_be(&s[20], dst_lba, 8);
	p->seg += SEG;
}

/* Fills in the lengths; returns the parameter list length. */
static uint32_t
pl_done(struct plist *p)
{
	fx_put_be(&p->b[2], p->cscd, 2);
	fx_put_be(&p->b[8], p->seg, 4);
	return HDR + p->cscd + p->seg;
}

static void
xcopy_on(struct fx *f, struct scsi_task *t, const struct scsi_nexus *nx,
    struct plist *p, uint32_t len)
{
	uint8_t cdb[16];

	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x83;
	fx_put_be(&cdb[10], len, 4);
	fx_run_on(f, t, nx, 0, cdb, 16, len, p->b, len);
}

static void
xcopy(struct fx *f, struct scsi_task *t, struct plist *p, uint32_t len)
{
	xcopy_on(f, t, &f->a, p, len);
}

static void
rcr(struct fx *f, struct scsi_task *t, uint8_t sa, uint8_t list_id)
{
	uint8_t cdb[16];

	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x84;
	cdb[1] = sa;
	cdb[2] = list_id;
	fx_put_be(&cdb[10], 1024, 4);
	fx_run(f, t, 0, cdb, 16, 1024, NULL, 0);
}

static void
fill(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 31 + seed + i / 4096);
}

static void
two_luns(struct fx *f, int nthreads)
{
	fx_open(f, nthreads);
	fx_add_lun(f, 4 * FX_MIB, BS, 0);
	fx_add_lun(f, FX_MIB, BS, 0);
	fx_clear_ua(f, &f->a, 0);
	fx_clear_ua(f, &f->b, 0);
}

TEST(copy_across_and_within)
{
	static uint8_t src[8 * BS], got[8 * BS], zero[BS];
	struct scsi_task t;
	struct plist p;
	struct fx f;

	two_luns(&f, 0);
	fill(src, sizeof(src), 1);
	fx_pwrite(&f, 0, src, sizeof(src), 40 * BS);
	/* LUN 0 LBA 40-47 to LUN 1 LBA 16 and, in the same command, LUN 0
	 * LBA 40-43 to LUN 0 LBA 100 */
	pl_init(&p, 0, 2);
	pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	pl_cscd(&p, 0xe4, FX_NAA(1), BS);
	pl_seg(&p, 0, 1, 8, 40, 16);
	pl_seg(&p, 0, 0, 4, 40, 100);
	xcopy(&f, &t, &p, pl_done(&p));
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, 0);
	scsi_task_fini(&t);
	fx_pread(&f, 1, got, sizeof(got), 16 * BS);
	CHECK_EQ_MEM(got, src, sizeof(got));
	fx_pread(&f, 1, got, BS, 24 * BS);
	CHECK_EQ_MEM(got, zero, BS);
	fx_pread(&f, 0, got, 4 * BS, 100 * BS);
	CHECK_EQ_MEM(got, src, 4 * BS);
	fx_pread(&f, 0, got, BS, 104 * BS);
	CHECK_EQ_MEM(got, zero, BS);
	/* a segment of 0 blocks copies nothing and is fine */
	pl_init(&p, 0, 2);
	pl_cscd(&p, 0xe4, FX_NAA(1), BS);
	pl_seg(&p, 0, 0, 0, 0, 0);
	xcopy(&f, &t, &p, pl_done(&p));
	fx_check_good(&t);
	scsi_task_fini(&t);
	/* PARAMETER LIST LENGTH 0: nothing to do */
	xcopy(&f, &t, &p, 0);
	fx_check_good(&t);
	scsi_task_fini(&t);
	fx_close(&f);
}

/* 3000 blocks (several chunks) from LBA 0 to LBA 1000 of the same LUN:
 * the destination overlaps the source, and gets the source as it was. */
TEST(copy_overlapping_chunks)
{
	static uint8_t src[3000 * BS], got[3000 * BS];
	struct scsi_task t;
	struct plist p;
	struct fx f;

	two_luns(&f, 2);
	fill(src, sizeof(src), 7);
	fx_pwrite(&f, 0, src, sizeof(src), 0);
	pl_init(&p, 0, 3);
	pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	pl_seg(&p, 0, 0, 3000, 0, 1000);
	xcopy(&f, &t, &p, pl_done(&p));
	fx_check_good(&t);
	scsi_task_fini(&t);
	fx_pread(&f, 0, got, sizeof(got), 1000 * BS);
	CHECK_EQ_MEM(got, src, sizeof(got));
	fx_pread(&f, 0, got, 1000 * BS, 0);
	CHECK_EQ_MEM(got, src, 1000 * BS);
	/* and the other way round (destination before the source) */
	fill(src, sizeof(src), 9);
	fx_pwrite(&f, 0, src, sizeof(src), 2000 * BS);
	pl_init(&p, 0, 3);
	pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	pl_seg(&p, 0, 0, 3000, 2000, 500);
	xcopy(&f, &t, &p, pl_done(&p));
	fx_check_good(&t);
	scsi_task_fini(&t);
	fx_pread(&f, 0, got, sizeof(got), 500 * BS);
	CHECK_EQ_MEM(got, src, sizeof(got));
	fx_close(&f);
}

static void
check_copy_aborted(const struct scsi_task *t, int asc, int ascq,
    uint32_t seg)
{
	fx_check_sense(t, 0x0a, asc, ascq);
	CHECK_EQ_INT(t->sense[8] << 24 | t->sense[9] << 16 |
	    t->sense[10] << 8 | t->sense[11], seg);
}

TEST(parameter_list_errors)
{
	struct scsi_task t;
	struct plist p;
	struct fx f;
	uint32_t len;

	two_luns(&f, 0);
	/* shorter than the header */
	pl_init(&p, 0, 3);
	xcopy(&f, &t, &p, 15);
	fx_check_sense(&t, 0x05, 0x1a, 0x00);
	scsi_task_fini(&t);
	/* cut inside the CSCD list, then inside the segment list */
	pl_init(&p, 0, 3);
	pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	pl_seg(&p, 0, 0, 1, 0, 1);
	len = pl_done(&p);
	xcopy(&f, &t, &p, HDR + CSCD - 1);
	fx_check_sense(&t, 0x05, 0x1a, 0x00);
	scsi_task_fini(&t);
	xcopy(&f, &t, &p, len - 1);
	fx_check_sense(&t, 0x05, 0x1a, 0x00);
	scsi_task_fini(&t);
	/* 9 CSCD descriptors: TOO MANY TARGET DESCRIPTORS */
	pl_init(&p, 0, 3);
	for (int i = 0; i < 9; i++)
		pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	pl_seg(&p, 0, 0, 1, 0, 1);
	xcopy(&f, &t, &p, pl_done(&p));
	fx_check_sense(&t, 0x05, 0x26, 0x06);
	scsi_task_fini(&t);
	/* 65 segments: TOO MANY SEGMENT DESCRIPTORS */
	pl_init(&p, 0, 3);
	pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	for (int i = 0; i < 65; i++)
		pl_seg(&p, 0, 0, 1, 0, 1);
	xcopy(&f, &t, &p, pl_done(&p));
	fx_check_sense(&t, 0x05, 0x26, 0x08);
	scsi_task_fini(&t);
	/* descriptor lists beyond 4096 bytes: PARAMETER LIST LENGTH ERROR
	 * even with too many of both */
	pl_init(&p, 0, 3);
	for (int i = 0; i < 9; i++)
		pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	for (int i = 0; i < 137; i++)
		pl_seg(&p, 0, 0, 1, 0, 1);
	xcopy(&f, &t, &p, pl_done(&p));
	fx_check_sense(&t, 0x05, 0x1a, 0x00);
	scsi_task_fini(&t);
	/* a Fibre Channel N_Port_Name CSCD (E0h) */
	pl_init(&p, 0, 3);
	pl_cscd(&p, 0xe0, FX_NAA(0), BS);
	pl_seg(&p, 0, 0, 1, 0, 1);
	xcopy(&f, &t, &p, pl_done(&p));
	fx_check_sense(&t, 0x05, 0x26, 0x07);
	scsi_task_fini(&t);
	/* a stream-to-stream segment (03h) */
	pl_init(&p, 0, 3);
	pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	pl_seg(&p, 0, 0, 1, 0, 1);
	p.b[HDR + CSCD] = 0x03;
	xcopy(&f, &t, &p, pl_done(&p));
	fx_check_sense(&t, 0x05, 0x26, 0x09);
	scsi_task_fini(&t);
	/* LIST ID USAGE 01b is reserved; 11b needs LIST IDENTIFIER 0 */
	pl_init(&p, 0, 1);
	pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	xcopy(&f, &t, &p, pl_done(&p));
	fx_check_field(&t, 0x26, 0, 1, 4);
	scsi_task_fini(&t);
	pl_init(&p, 9, 3);
	pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	xcopy(&f, &t, &p, pl_done(&p));
	fx_check_field(&t, 0x26, 0, 0, -1);
	scsi_task_fini(&t);
	/* DISK BLOCK LENGTH other than the LUN's */
	pl_init(&p, 0, 3);
	pl_cscd(&p, 0xe4, FX_NAA(0), 4096);
	xcopy(&f, &t, &p, pl_done(&p));
	fx_check_field(&t, 0x26, 0, HDR + 29, -1);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(segment_errors_copy_aborted)
{
	uint8_t src[4 * BS], got[4 * BS];
	struct scsi_task t;
	struct plist p;
	struct fx f;

	two_luns(&f, 0);
	/* destination CSCD index past the list */
	pl_init(&p, 0, 3);
	pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	pl_seg(&p, 0, 1, 1, 0, 1);
	xcopy(&f, &t, &p, pl_done(&p));
	check_copy_aborted(&t, 0x08, 0x04, 0);
	scsi_task_fini(&t);
	/* a CSCD naming no LUN of ours */
	pl_init(&p, 0, 3);
	pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	pl_cscd(&p, 0xe4, 0x6000000000000099ull, BS);
	pl_seg(&p, 0, 1, 1, 0, 1);
	xcopy(&f, &t, &p, pl_done(&p));
	check_copy_aborted(&t, 0x0d, 0x02, 0);
	scsi_task_fini(&t);
	/* segment 1 runs past the end of LUN 1 (2048 blocks); segment 0
	 * was copied */
	fill(src, sizeof(src), 3);
	fx_pwrite(&f, 0, src, sizeof(src), 0);
	pl_init(&p, 0, 3);
	pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	pl_cscd(&p, 0xe4, FX_NAA(1), BS);
	pl_seg(&p, 0, 1, 4, 0, 8);
	pl_seg(&p, 0, 1, 4, 0, 2045);
	xcopy(&f, &t, &p, pl_done(&p));
	check_copy_aborted(&t, 0x00, 0x00, 1);
	scsi_task_fini(&t);
	fx_pread(&f, 1, got, sizeof(got), 8 * BS);
	CHECK_EQ_MEM(got, src, sizeof(got));
	fx_close(&f);
}

TEST(receive_copy_status)
{
	static const uint8_t done4k[12] = { 0, 0, 0, 8, 0x01, 0, 1, 0x00,
		0, 0, 0x10, 0 };
	static const uint8_t failed[12] = { 0, 0, 0, 8, 0x02, 0, 1, 0x00,
		0, 0, 0x04, 0 };
	static const uint8_t rcr_b[16] = { 0x84, 0x00, 5, [13] = 0xff };
	struct scsi_task t;
	struct plist p;
	struct fx f;

	two_luns(&f, 0);
	rcr(&f, &t, 0x00, 5);
	fx_check_field(&t, 0x24, 1, 2, -1);
	scsi_task_fini(&t);
	/* held (LIST ID USAGE 00b): 1 segment, 4096 bytes, done */
	pl_init(&p, 5, 0);
	pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	pl_seg(&p, 0, 0, 8, 0, 64);
	xcopy(&f, &t, &p, pl_done(&p));
	fx_check_good(&t);
	scsi_task_fini(&t);
	/* another nexus has no copy with that identifier */
	fx_run_on(&f, &t, &f.b, 0, rcr_b, 16, 255, NULL, 0);
	fx_check_field(&t, 0x24, 1, 2, -1);
	scsi_task_fini(&t);
	rcr(&f, &t, 0x00, 5);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, 12);
	CHECK_EQ_MEM(t.data_in, done4k, 12);
	scsi_task_fini(&t);
	/* reported once done: not held any longer */
	rcr(&f, &t, 0x00, 5);
	fx_check_field(&t, 0x24, 1, 2, -1);
	scsi_task_fini(&t);
	/* completed with errors: segment 1 out of range */
	pl_init(&p, 6, 0);
	pl_cscd(&p, 0xe4, FX_NAA(1), BS);
	pl_seg(&p, 0, 0, 2, 0, 4);
	pl_seg(&p, 0, 0, 2, 0, 2047);
	xcopy(&f, &t, &p, pl_done(&p));
	check_copy_aborted(&t, 0x00, 0x00, 1);
	scsi_task_fini(&t);
	rcr(&f, &t, 0x00, 6);
	fx_check_good(&t);
	CHECK_EQ_MEM(t.data_in, failed, 12);
	scsi_task_fini(&t);
	/* LIST ID USAGE 10b: not held */
	pl_init(&p, 7, 2);
	pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	xcopy(&f, &t, &p, pl_done(&p));
	fx_check_good(&t);
	scsi_task_fini(&t);
	rcr(&f, &t, 0x00, 7);
	fx_check_field(&t, 0x24, 1, 2, -1);
	scsi_task_fini(&t);
	/* I_T nexus loss drops what is held for it */
	pl_init(&p, 8, 0);
	pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	xcopy(&f, &t, &p, pl_done(&p));
	fx_check_good(&t);
	scsi_task_fini(&t);
	scsi_nexus_loss(&f.tgt, &f.a);
	fx_clear_ua(&f, &f.a, 0);
	rcr(&f, &t, 0x00, 8);
	fx_check_field(&t, 0x24, 1, 2, -1);
	scsi_task_fini(&t);
	fx_close(&f);
}

/* A second EXTENDED COPY with the list identifier of one that still runs
 * is OPERATION IN PROGRESS; COPY STATUS says the first one runs. */
TEST(list_id_in_use)
{
	static uint8_t src[64 * BS];
	static const uint8_t running[12] = { 0, 0, 0, 8, 0x00, 0, 0, 0x00,
		0, 0, 0, 0 };
	uint8_t cdb[16];
	struct scsi_task t1, t2, t3;
	struct plist p;
	struct fx f;
	uint32_t len;

	two_luns(&f, 2);
	fill(src, sizeof(src), 5);
	fx_pwrite(&f, 0, src, sizeof(src), 0);
	pl_init(&p, 3, 0);
	pl_cscd(&p, 0xe4, FX_NAA(0), BS);
	pl_cscd(&p, 0xe4, FX_NAA(1), BS);
	pl_seg(&p, 0, 1, 64, 0, 0);
	len = pl_done(&p);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x83;
	fx_put_be(&cdb[10], len, 4);
	fx_ndone = 0;
	fx_start(&f, &t1, &f.a, 0, cdb, 16, len, p.b, len);
	CHECK_EQ_INT(fx_ndone, 0);
	fx_start(&f, &t2, &f.a, 0, cdb, 16, len, p.b, len);
	REQUIRE(fx_ndone == 1);
	fx_check_sense(&t2, 0x05, 0x00, 0x16);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x84;
	cdb[2] = 3;
	cdb[13] = 64;
	fx_start(&f, &t3, &f.a, 0, cdb, 16, 64, NULL, 0);
	REQUIRE(fx_ndone == 2);
	fx_check_good(&t3);
	CHECK_EQ_MEM(t3.data_in, running, 12);
	fx_pump(&f, 3);
	REQUIRE(fx_ndone == 3);
	fx_check_good(&t1);
	scsi_task_fini(&t1);
	scsi_task_fini(&t2);
	scsi_task_fini(&t3);
	fx_close(&f);
}

TEST(operating_parameters)
{
	static const uint8_t want[46] = {
		0, 0, 0, 42, 0x01, 0, 0, 0,
		0, 8, 0, 64,              /* CSCD, segment descriptors */
		0, 0, 0x10, 0,            /* descriptor list length 4096 */
		0x01, 0xff, 0xfe, 0x00,   /* segment 65535 blocks of 512 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 16, 16, 9,       /* concurrent copies; 2^9 */
		0, 0, 0, 0, 0,
		2, 0x02, 0xe4,            /* block to block, identification */
	};
	struct scsi_task t;
	struct fx f;

	two_luns(&f, 0);
	rcr(&f, &t, 0x03, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, sizeof(want));
	CHECK_EQ_MEM(t.data_in, want, sizeof(want));
	scsi_task_fini(&t);
	/* RECEIVE DATA (01h) is not a service action we have */
	rcr(&f, &t, 0x01, 0);
	fx_check_field(&t, 0x24, 1, 1, 4);
	scsi_task_fini(&t);
	fx_close(&f);
}

TEST(third_party_copy_vpd)
{
	static const uint8_t want[100] = {
		0x00, 0x8f, 0x00, 0x60,
		/* Supported Commands: 83h {00h}, 84h {00h, 03h} */
		0x00, 0x01, 0x00, 0x08, 7, 0x83, 1, 0x00, 0x84, 2, 0x00, 0x03,
		/* Parameter Data */
		0x00, 0x04, 0x00, 0x1c, 0, 0, 0, 0, 0, 8, 0, 64,
		0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		/* Supported Descriptors */
		0x00, 0x08, 0x00, 0x04, 2, 0x02, 0xe4, 0,
		/* Supported CSCD Descriptor IDs: none */
		0x00, 0x0c, 0x00, 0x04, 0, 0, 0, 0,
		/* General Copy Operations */
		0x80, 0x01, 0x00, 0x20, 0, 0, 0, 16, 0, 0, 0, 16,
		0x01, 0xff, 0xfe, 0x00, 9,
	};
	uint8_t cdb[6] = { 0x12, 0x01, 0x8f, 0x01, 0x00, 0 };
	uint8_t std[6] = { 0x12, 0, 0, 0, 8, 0 };
	struct scsi_task t;
	struct fx f;

	two_luns(&f, 0);
	fx_run(&f, &t, 0, cdb, 6, 256, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in_len, sizeof(want));
	CHECK_EQ_MEM(t.data_in, want, sizeof(want));
	scsi_task_fini(&t);
	/* standard INQUIRY: TPGS 01b and 3PC */
	fx_run(&f, &t, 0, std, 6, 8, NULL, 0);
	fx_check_good(&t);
	CHECK_EQ_INT(t.data_in[5], 0x18);
	scsi_task_fini(&t);
	fx_close(&f);
}

static const struct test tests[] = {
	T(copy_across_and_within),
	T(copy_overlapping_chunks),
	T(parameter_list_errors),
	T(segment_errors_copy_aborted),
	T(receive_copy_status),
	T(list_id_in_use),
	T(operating_parameters),
	T(third_party_copy_vpd),
};

int
main(int argc, char **argv)
{
	return HARNESS_RUN(tests);
}

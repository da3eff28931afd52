/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for reservations (scsi/pr.c, scsi/pr_store.c) through
 * scsi_exec(): exact PERSISTENT RESERVE IN data, every PERSISTENT RESERVE
 * OUT service action and reservation type, RESERVATION CONFLICT for other
 * commands, unit attentions, TransportIDs, RESERVE/RELEASE (6/10) and
 * their interplay with persistent reservations, and the APTPL file. LUNs
 * sit on scratch files in /dev/shm behind a synchronous engine. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs/bs.h"
#include "scsi/pr_store.h"
#include "scsi/scsi.h"
#include "scsi_fx_cmd.h"

#define TARGET_NAME "iqn.2024-01.org.minisan:disk1"
#define NAME_A "iqn.2024-01.org.example:host-a"
#define NAME_B "iqn.2024-01.org.example:host-b"
#define NAME_C "iqn.2024-01.org.example:host-c"
#define PORT_A NAME_A ",i,0x23d000000001"
#define PORT_B NAME_B ",i,0x23d000000002"
#define PORT_C NAME_C ",i,0x23d000000003"
/* Never registered: reads the state without eating others' UAs. */
#define PORT_D "iqn.2024-01.org.example:observer,i,0x23d000000004"
#define TARGET_PORT TARGET_NAME ",t,0x0001"
#define MIB (1024u * 1024u)

/* Operation codes and service actions, spelled out as the wire has them. */
#define OP_TUR 0x00
#define OP_INQUIRY 0x12
#define OP_RESERVE_6 0x16
#define OP_RELEASE_6 0x17
#define OP_MODE_SENSE_6 0x1a
#define OP_READ_CAPACITY_10 0x25
#define OP_READ_10 0x28
#define OP_WRITE_10 0x2a
#define OP_RESERVE_10 0x56
#define OP_RELEASE_10 0x57
#define OP_PRIN 0x5e
#define OP_PROUT 0x5f
#define SA_READ_KEYS 0
#define SA_READ_RESERVATION 1
#define SA_REPORT_CAPABILITIES 2
#define SA_READ_FULL_STATUS 3
#define SA_REGISTER 0
#define SA_RESERVE 1
#define SA_RELEASE 2
#define SA_CLEAR 3
#define SA_PREEMPT 4
#define SA_PREEMPT_AND_ABORT 5
#define SA_REGISTER_AND_IGNORE 6
#define SA_REGISTER_AND_MOVE 7
#define TYPE_WE 1
#define TYPE_EA 3
#define TYPE_WE_RO 5
#define TYPE_EA_RO 6
#define TYPE_WE_AR 7
#define TYPE_EA_AR 8
#define F_SPEC_I_PT 0x08
#define F_ALL_TG_PT 0x04
#define F_APTPL 0x01
#define ST_CONFLICT 0x18

/* One LUN on a scratch file and four I_T nexuses. */
struct fx {
	char path[96];
	char prfile[112];
	struct bs_engine *eng;
	struct bs *bs;
	struct scsi_lun *luns[1];
	struct scsi_target tgt;
	struct scsi_nexus a, b, c, d;
};

/* What abort_tasks was called with. */
static int naborts;
static char abort_port[256];
static uint64_t abort_lun;

static void
record_abort(struct scsi_target *tgt, uint64_t lun, const char *port,
    void *arg)
{
	(void)tgt;
	CHECK(arg == &naborts);
	naborts++;
	abort_lun = lun;
	snprintf(abort_port, sizeof(abort_port), "%s", port);
}

static struct scsi_lun *
fx_lun(struct fx *f, const char *prfile, char *err, size_t errlen)
{
	struct scsi_lun_params p = {
		.block_size = 512,
		.serial = "SER-0042",
		.naa_id = 0x6001405abcdef012ull,
		.pr_file = prfile,
	};

	return scsi_lun_new(f->bs, &p, err, errlen);
}

static void clear_ua(struct fx *f, const struct scsi_nexus *nx);

/* with_file: the LUN has an APTPL file (initially absent). */
static void
fx_open(struct fx *f, int with_file)
{
	static int seq;
	char err[256];
	int fd;

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "/dev/shm/minisan-test-pr.%ld.%d",
	    (long)getpid(), ++seq);
	snprintf(f->prfile, sizeof(f->prfile), "%s.pr", f->path);
	unlink(f->prfile);
	fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(ftruncate(fd, MIB) == 0);
	close(fd);
	f->eng = bs_engine_new(0, err, sizeof(err));
	REQUIRE(f->eng != NULL);
	REQUIRE(bs_open(f->eng, f->path, 0, &f->bs, err, sizeof(err)) == 0);
	f->luns[0] = fx_lun(f, with_file ? f->prfile : NULL, err,
	    sizeof(err));
	if (f->luns[0] == NULL)
		fprintf(stderr, "  scsi_lun_new: %s\n", err);
	REQUIRE(f->luns[0] != NULL);
	f->tgt.name = TARGET_NAME;
	f->tgt.luns = f->luns;
	f->tgt.nluns = 1;
	f->tgt.abort_tasks = record_abort;
	f->tgt.abort_arg = &naborts;
	f->a.initiator_port = PORT_A;
	f->a.target_port = TARGET_PORT;
	f->a.rel_port_id = 1;
	f->a.tpgt = 1;
	f->b = f->a;
	f->b.initiator_port = PORT_B;
	f->c = f->a;
	f->c.initiator_port = PORT_C;
	f->d = f->a;
	f->d.initiator_port = PORT_D;
	naborts = 0;
	clear_ua(f, &f->d);
}

static void
fx_close(struct fx *f)
{
	scsi_lun_free(f->luns[0]);
	bs_close(f->bs);
	bs_engine_free(f->eng);
	unlink(f->path);
	unlink(f->prfile);
}

/* Runs one command through nexus nx; the caller calls scsi_task_fini. */
static void
run(struct fx *f, struct scsi_task *t, const struct scsi_nexus *nx,
    const uint8_t *cdb, uint32_t edtl, const void *out, uint32_t out_len)
{
	fx_exec_once(t, &f->tgt, nx, 0, cdb, SCSI_CDB_MAX, edtl, out,
	    out_len);
}

/* Runs a command without data and returns its status; sense, if any, is
 * left in *sense (18 bytes). */
static int
cmd(struct fx *f, const struct scsi_nexus *nx, const uint8_t *cdb,
    uint8_t *sense)
{
	static uint8_t buf[512];
	struct scsi_task t;
	int st;

	run(f, &t, nx, cdb, cdb[0] == OP_WRITE_10 ? 512 : 255, buf,
	    cdb[0] == OP_WRITE_10 ? 512 : 0);
	st = t.status;
	if (sense != NULL)
		memcpy(sense, t.sense, 18);
	if (st == ST_CONFLICT)
		CHECK_EQ_INT(t.sense_len, 0);
	scsi_task_fini(&t);
	return st;
}

static int
op(struct fx *f, const struct scsi_nexus *nx, uint8_t opcode)
{
	uint8_t cdb[16] = { opcode };

	if (opcode == OP_READ_10 || opcode == OP_WRITE_10) {
		cdb[5] = 1;  /* LBA 1 */
		cdb[8] = 1;  /* one block */
	}
	if (opcode == OP_MODE_SENSE_6) {
		cdb[2] = 0x3f;
		cdb[4] = 255;
	}
	if (opcode == OP_INQUIRY)
		cdb[4] = 96;
	return cmd(f, nx, cdb, NULL);
}

/* Sends TEST UNIT READY until GOOD: eats pending unit attentions. */
static void
clear_ua(struct fx *f, const struct scsi_nexus *nx)
{
	for (int i = 0; i < 8; i++)
		if (op(f, nx, OP_TUR) == 0)
			return;
	CHECK(!"unit attentions did not clear");
}

/* Checks that the next command of nx reports unit attention asc/ascq. */
static void
check_ua(struct fx *f, const struct scsi_nexus *nx, int asc, int ascq)
{
	uint8_t cdb[16] = { OP_TUR }, sense[18];

	CHECK_EQ_INT(cmd(f, nx, cdb, sense), 0x02);
	CHECK_EQ_INT(sense[2], 0x06);
	CHECK_EQ_INT(sense[12], asc);
	CHECK_EQ_INT(sense[13], ascq);
}

/* PERSISTENT RESERVE OUT with a basic parameter list plus extra bytes
 * (TransportIDs) appended after byte 24; plen overrides the PARAMETER
 * LIST LENGTH if not 0. Returns the status; sense left in *sense. */
static int
prout_x(struct fx *f, const struct scsi_nexus *nx, int sa, int type,
    uint64_t rk, uint64_t sark, uint8_t flags, const uint8_t *extra,
    uint32_t extra_len, uint32_t plen, uint8_t *sense)
{
	uint8_t cdb[16] = { OP_PROUT }, list[1024] = { 0 };
	uint32_t len = 24 + extra_len;
	struct scsi_task t;
	int st;

	REQUIRE(len <= sizeof(list));
	cdb[1] = (uint8_t)sa;
	cdb[2] = (uint8_t)type;
	if (plen == 0)
		plen = len;
	cdb[5] = (uint8_t)(plen >> 24);
	cdb[6] = (uint8_t)(plen >> 16);
	cdb[7] = (uint8_t)(plen >> 8);
	cdb[8] = (uint8_t)plen;
	fx_put_be(list, rk, 8);
	fx_put_be(&list[8], sark, 8);
	list[20] = flags;
	if (extra_len > 0)
		memcpy(&list[24], extra, extra_len);
	run(f, &t, nx, cdb, len, list, len);
	st = t.status;
	if (sense != NULL)
		memcpy(sense, t.sense, 18);
	if (st == ST_CONFLICT)
		CHECK_EQ_INT(t.sense_len, 0);
	CHECK_EQ_INT(t.data_in_len, 0);
	scsi_task_fini(&t);
	return st;
}

static int
prout(struct fx *f, const struct scsi_nexus *nx, int sa, int type,
    uint64_t rk, uint64_t sark, uint8_t flags)
{
	return prout_x(f, nx, sa, type, rk, sark, flags, NULL, 0, 0, NULL);
}

/* A fixture without an APTPL file whose nexuses A and B have no unit
 * attention pending. */
static void
fx_open_ab(struct fx *f)
{
	fx_open(f, 0);
	clear_ua(f, &f->a);
	clear_ua(f, &f->b);
}

/* A registers key 0xa and B key 0xb. */
static void
register_ab(struct fx *f)
{
	CHECK_EQ_INT(prout(f, &f->a, SA_REGISTER, 0, 0, 0xa, 0), 0);
	CHECK_EQ_INT(prout(f, &f->b, SA_REGISTER, 0, 0, 0xb, 0), 0);
}

/* PERSISTENT RESERVE IN into buf; returns the number of bytes. */
static uint32_t
prin(struct fx *f, const struct scsi_nexus *nx, int sa, uint16_t alloc,
    uint8_t *buf)
{
	uint8_t cdb[16] = { OP_PRIN };
	struct scsi_task t;
	uint32_t n;

	cdb[1] = (uint8_t)sa;
	cdb[7] = (uint8_t)(alloc >> 8);
	cdb[8] = (uint8_t)alloc;
	run(f, &t, nx, cdb, alloc, NULL, 0);
	CHECK_EQ_INT(t.status, 0);
	n = t.data_in_len;
	if (n > 0)
		memcpy(buf, t.data_in, n);
	scsi_task_fini(&t);
	return n;
}

/* Checks ILLEGAL REQUEST asc/ascq, and the field pointer if byte >= 0. */
static void
check_illegal(const uint8_t *sense, int asc, int ascq, int cd, int byte,
    int bit)
{
	CHECK_EQ_INT(sense[2], 0x05);
	CHECK_EQ_INT(sense[12], asc);
	CHECK_EQ_INT(sense[13], ascq);
	if (byte < 0)
		return;
	CHECK_EQ_INT(sense[15], 0x80 | (cd ? 0x40 : 0) |
	    (bit >= 0 ? 0x08 | bit : 0));
	CHECK_EQ_INT(sense[16] << 8 | sense[17], byte);
}

/* Checks READ RESERVATION: none (type 0), or key and type. */
static void
check_reservation(struct fx *f, uint32_t gen, uint64_t key, int type)
{
	uint8_t buf[64], want[24] = { 0 };
	uint32_t n = prin(f, &f->d, SA_READ_RESERVATION, sizeof(buf), buf);

	want[0] = (uint8_t)(gen >> 24);
	want[1] = (uint8_t)(gen >> 16);
	want[2] = (uint8_t)(gen >> 8);
	want[3] = (uint8_t)gen;
	if (type == 0) {
		CHECK_EQ_INT(n, 8);
		CHECK_EQ_MEM(buf, want, 8);
		return;
	}
	want[7] = 16;
	fx_put_be(&want[8], key, 8);
	want[21] = (uint8_t)type;
	CHECK_EQ_INT(n, 24);
	CHECK_EQ_MEM(buf, want, 24);
}

/* Checks READ KEYS: generation and the keys in order. */
static void
check_keys(struct fx *f, uint32_t gen, const uint64_t *keys, uint32_t n)
{
	uint8_t buf[256], want[256] = { 0 };
	uint32_t got = prin(f, &f->d, SA_READ_KEYS, sizeof(buf), buf);

	want[0] = (uint8_t)(gen >> 24);
	want[1] = (uint8_t)(gen >> 16);
	want[2] = (uint8_t)(gen >> 8);
	want[3] = (uint8_t)gen;
	want[7] = (uint8_t)(8 * n);
	for (uint32_t i = 0; i < n; i++)
		fx_put_be(&want[8 + 8 * i], keys[i], 8);
	CHECK_EQ_INT(got, 8 + 8 * n);
	CHECK_EQ_MEM(buf, want, 8 + 8 * n);
}

/* An iSCSI TransportID for s (format 01b if it has ",i,0x"). */
static uint32_t
tid(uint8_t *p, const char *s, int fmt)
{
	uint32_t n = (uint32_t)strlen(s) + 1;

	n = (n + 3) & ~3u;
	if (n < 20)
		n = 20;
	memset(p, 0, 4 + n);
	p[0] = (uint8_t)(fmt << 6 | 0x05);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	memcpy(&p[4], s, strlen(s));
	return 4 + n;
}

TEST(prin_empty_and_capabilities)
{
	static const uint8_t caps[8] = { 0x00, 0x08, 0x1c, 0xb0, 0xea, 0x01,
		0x00, 0x00 };
	uint8_t buf[64], zero[8] = { 0 }, cdb[16] = { OP_PRIN }, sense[18];
	struct fx f;

	fx_open(&f, 0);
	clear_ua(&f, &f.a);
	CHECK_EQ_INT(prin(&f, &f.a, SA_READ_KEYS, 64, buf), 8);
	CHECK_EQ_MEM(buf, zero, 8);
	CHECK_EQ_INT(prin(&f, &f.a, SA_READ_RESERVATION, 64, buf), 8);
	CHECK_EQ_MEM(buf, zero, 8);
	CHECK_EQ_INT(prin(&f, &f.a, SA_READ_FULL_STATUS, 64, buf), 8);
	CHECK_EQ_MEM(buf, zero, 8);
	/* CRH, SIP_C, ATP_C, no PTPL_C without a file; TMV, ALLOW
	 * COMMANDS 011b; all six types. */
	CHECK_EQ_INT(prin(&f, &f.a, SA_REPORT_CAPABILITIES, 64, buf), 8);
	CHECK_EQ_MEM(buf, caps, 8);
	/* Service actions 04h-1Fh do not exist. */
	for (int sa = 4; sa < 0x20; sa++) {
		cdb[1] = (uint8_t)sa;
		cdb[8] = 64;
		CHECK_EQ_INT(cmd(&f, &f.a, cdb, sense), 0x02);
		check_illegal(sense, 0x24, 0x00, 1, 1, 4);
	}
	fx_close(&f);

	/* With a file: PTPL_C. */
	fx_open(&f, 1);
	clear_ua(&f, &f.a);
	CHECK_EQ_INT(prin(&f, &f.a, SA_REPORT_CAPABILITIES, 64, buf), 8);
	CHECK_EQ_INT(buf[2], 0x1d);
	CHECK_EQ_INT(buf[3], 0xb0);
	fx_close(&f);
}

TEST(register_keys_and_generation)
{
	static const uint64_t k_ab[] = { 0x1111, 0x2222 };
	static const uint64_t k_b[] = { 0x2222 };
	static const uint64_t k_ab3[] = { 0x3333, 0x2222 };
	uint8_t buf[64];
	struct fx f;

	fx_open_ab(&f);
	clear_ua(&f, &f.c);
	/* An unregistered nexus: a non-zero RESERVATION KEY conflicts; a
	 * zero SERVICE ACTION RESERVATION KEY does nothing. */
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0x99, 0x1111, 0),
	    ST_CONFLICT);
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0, 0, 0), 0);
	check_keys(&f, 0, NULL, 0);
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0, 0x1111, 0), 0);
	CHECK_EQ_INT(prout(&f, &f.b, SA_REGISTER_AND_IGNORE, 0, 0x5555,
	    0x2222, 0), 0);
	check_keys(&f, 2, k_ab, 2);
	/* Registered: the key must match (not for ...IGNORE...). */
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0, 0x1112, 0),
	    ST_CONFLICT);
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0x1111, 0x3333, 0), 0);
	check_keys(&f, 3, k_ab3, 2);
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER_AND_IGNORE, 0, 0, 0, 0), 0);
	check_keys(&f, 4, k_b, 1);
	/* Truncated by the allocation length: the ADDITIONAL LENGTH still
	 * counts every key. */
	CHECK_EQ_INT(prin(&f, &f.a, SA_READ_KEYS, 8, buf), 8);
	CHECK_EQ_INT(fx_get_be(&buf[4], 4), 8);
	/* No-ops and failures leave the generation alone. */
	CHECK_EQ_INT(prout(&f, &f.c, SA_REGISTER, 0, 0, 0, 0), 0);
	CHECK_EQ_INT(prout(&f, &f.c, SA_RESERVE, TYPE_WE, 0, 0, 0),
	    ST_CONFLICT);
	check_keys(&f, 4, k_b, 1);
	fx_close(&f);
}

TEST(write_exclusive_access)
{
	struct fx f;

	fx_open_ab(&f);
	clear_ua(&f, &f.c);
	register_ab(&f);
	/* RESERVE with the wrong key, by the unregistered, conflicts. */
	CHECK_EQ_INT(prout(&f, &f.a, SA_RESERVE, TYPE_WE, 0xb, 0, 0),
	    ST_CONFLICT);
	CHECK_EQ_INT(prout(&f, &f.a, SA_RESERVE, TYPE_WE, 0xa, 0, 0), 0);
	check_reservation(&f, 2, 0xa, TYPE_WE);
	/* The holder: everything. A registered or unregistered other: reads,
	 * and the commands ALLOW COMMANDS 011b names; no writes. */
	CHECK_EQ_INT(op(&f, &f.a, OP_WRITE_10), 0);
	CHECK_EQ_INT(op(&f, &f.a, OP_READ_10), 0);
	CHECK_EQ_INT(op(&f, &f.b, OP_READ_10), 0);
	CHECK_EQ_INT(op(&f, &f.b, OP_WRITE_10), ST_CONFLICT);
	CHECK_EQ_INT(op(&f, &f.c, OP_READ_10), 0);
	CHECK_EQ_INT(op(&f, &f.c, OP_WRITE_10), ST_CONFLICT);
	CHECK_EQ_INT(op(&f, &f.c, OP_MODE_SENSE_6), 0);
	CHECK_EQ_INT(op(&f, &f.c, OP_TUR), 0);
	CHECK_EQ_INT(op(&f, &f.c, OP_INQUIRY), 0);
	/* Reserving again: the same type is a no-op, another conflicts;
	 * another nexus conflicts. */
	CHECK_EQ_INT(prout(&f, &f.a, SA_RESERVE, TYPE_WE, 0xa, 0, 0), 0);
	CHECK_EQ_INT(prout(&f, &f.a, SA_RESERVE, TYPE_EA, 0xa, 0, 0),
	    ST_CONFLICT);
	CHECK_EQ_INT(prout(&f, &f.b, SA_RESERVE, TYPE_WE, 0xb, 0, 0),
	    ST_CONFLICT);
	check_reservation(&f, 2, 0xa, TYPE_WE);
	fx_close(&f);
}

TEST(exclusive_access)
{
	struct fx f;

	fx_open_ab(&f);
	clear_ua(&f, &f.c);
	register_ab(&f);
	CHECK_EQ_INT(prout(&f, &f.a, SA_RESERVE, TYPE_EA, 0xa, 0, 0), 0);
	CHECK_EQ_INT(op(&f, &f.a, OP_READ_10), 0);
	CHECK_EQ_INT(op(&f, &f.b, OP_READ_10), ST_CONFLICT);
	CHECK_EQ_INT(op(&f, &f.c, OP_READ_10), ST_CONFLICT);
	CHECK_EQ_INT(op(&f, &f.c, OP_WRITE_10), ST_CONFLICT);
	CHECK_EQ_INT(op(&f, &f.c, OP_MODE_SENSE_6), ST_CONFLICT);
	/* Always allowed: TEST UNIT READY, INQUIRY, READ CAPACITY, PR IN. */
	CHECK_EQ_INT(op(&f, &f.c, OP_TUR), 0);
	CHECK_EQ_INT(op(&f, &f.c, OP_INQUIRY), 0);
	CHECK_EQ_INT(op(&f, &f.c, OP_READ_CAPACITY_10), 0);
	check_reservation(&f, 2, 0xa, TYPE_EA);
	/* A command we do not implement is still an invalid opcode. */
	{
		uint8_t cdb[16] = { 0x02 }, sense[18];

		CHECK_EQ_INT(cmd(&f, &f.c, cdb, sense), 0x02);
		check_illegal(sense, 0x20, 0x00, 0, -1, -1);
	}
	/* Unregistering the holder of a non-registrants-only type releases
	 * it silently. */
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0xa, 0, 0), 0);
	check_reservation(&f, 3, 0, 0);
	CHECK_EQ_INT(op(&f, &f.b, OP_TUR), 0);
	CHECK_EQ_INT(op(&f, &f.c, OP_READ_10), 0);
	fx_close(&f);
}

TEST(registrants_only)
{
	struct fx f;

	fx_open_ab(&f);
	clear_ua(&f, &f.c);
	register_ab(&f);
	CHECK_EQ_INT(prout(&f, &f.a, SA_RESERVE, TYPE_EA_RO, 0xa, 0, 0), 0);
	check_reservation(&f, 2, 0xa, TYPE_EA_RO);
	CHECK_EQ_INT(op(&f, &f.b, OP_WRITE_10), 0);
	CHECK_EQ_INT(op(&f, &f.c, OP_READ_10), ST_CONFLICT);
	/* B cannot release what A holds: GOOD, nothing happens. */
	CHECK_EQ_INT(prout(&f, &f.b, SA_RELEASE, TYPE_EA_RO, 0xb, 0, 0), 0);
	check_reservation(&f, 2, 0xa, TYPE_EA_RO);
	/* The holder unregisters: released, RESERVATIONS RELEASED for B. */
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0xa, 0, 0), 0);
	check_reservation(&f, 3, 0, 0);
	check_ua(&f, &f.b, 0x2a, 0x04);
	CHECK_EQ_INT(op(&f, &f.a, OP_TUR), 0);
	CHECK_EQ_INT(op(&f, &f.c, OP_READ_10), 0);

	/* Write Exclusive - Registrants Only: the unregistered read. */
	CHECK_EQ_INT(prout(&f, &f.b, SA_RESERVE, TYPE_WE_RO, 0xb, 0, 0), 0);
	CHECK_EQ_INT(op(&f, &f.c, OP_READ_10), 0);
	CHECK_EQ_INT(op(&f, &f.c, OP_WRITE_10), ST_CONFLICT);
	CHECK_EQ_INT(op(&f, &f.a, OP_WRITE_10), ST_CONFLICT);
	fx_close(&f);
}

TEST(all_registrants)
{
	struct fx f;

	fx_open_ab(&f);
	clear_ua(&f, &f.c);
	register_ab(&f);
	CHECK_EQ_INT(prout(&f, &f.a, SA_RESERVE, TYPE_EA_AR, 0xa, 0, 0), 0);
	/* "the RESERVATION KEY field shall be set to zero" */
	check_reservation(&f, 2, 0, TYPE_EA_AR);
	CHECK_EQ_INT(op(&f, &f.b, OP_WRITE_10), 0);
	CHECK_EQ_INT(op(&f, &f.c, OP_READ_10), ST_CONFLICT);
	/* B holds it too: same type is a no-op. */
	CHECK_EQ_INT(prout(&f, &f.b, SA_RESERVE, TYPE_EA_AR, 0xb, 0, 0), 0);
	/* A leaves: the reservation stays while B is registered. */
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0xa, 0, 0), 0);
	check_reservation(&f, 3, 0, TYPE_EA_AR);
	CHECK_EQ_INT(op(&f, &f.a, OP_READ_10), ST_CONFLICT);
	/* B releases it: RESERVATIONS RELEASED for the other registrants
	 * (none left), and the LUN is free. */
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0, 0xa, 0), 0);
	CHECK_EQ_INT(prout(&f, &f.b, SA_RELEASE, TYPE_EA_AR, 0xb, 0, 0), 0);
	check_reservation(&f, 4, 0, 0);
	check_ua(&f, &f.a, 0x2a, 0x04);
	CHECK_EQ_INT(op(&f, &f.b, OP_TUR), 0);
	/* The last registrant leaving ends an all registrants one. */
	CHECK_EQ_INT(prout(&f, &f.b, SA_RESERVE, TYPE_WE_AR, 0xb, 0, 0), 0);
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0xa, 0, 0), 0);
	CHECK_EQ_INT(prout(&f, &f.b, SA_REGISTER, 0, 0xb, 0, 0), 0);
	check_reservation(&f, 6, 0, 0);
	fx_close(&f);
}

TEST(release_errors)
{
	uint8_t sense[18];
	struct fx f;

	fx_open(&f, 0);
	clear_ua(&f, &f.a);
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0, 0xa, 0), 0);
	CHECK_EQ_INT(prout(&f, &f.a, SA_RESERVE, TYPE_WE, 0xa, 0, 0), 0);
	/* SPC-4 "Releasing": another type is INVALID RELEASE OF PERSISTENT
	 * RESERVATION. */
	CHECK_EQ_INT(prout_x(&f, &f.a, SA_RELEASE, TYPE_EA, 0xa, 0, 0, NULL,
	    0, 0, sense), 0x02);
	check_illegal(sense, 0x26, 0x04, 0, -1, -1);
	/* SCOPE other than LU_SCOPE, TYPE values that do not exist. */
	CHECK_EQ_INT(prout_x(&f, &f.a, SA_RELEASE, 0x10 | TYPE_WE, 0xa, 0, 0,
	    NULL, 0, 0, sense), 0x02);
	check_illegal(sense, 0x24, 0x00, 1, 2, 7);
	CHECK_EQ_INT(prout_x(&f, &f.a, SA_RESERVE, 2, 0xa, 0, 0, NULL, 0, 0,
	    sense), 0x02);
	check_illegal(sense, 0x24, 0x00, 1, 2, 3);
	check_reservation(&f, 1, 0xa, TYPE_WE);
	CHECK_EQ_INT(prout(&f, &f.a, SA_RELEASE, TYPE_WE, 0xa, 0, 0), 0);
	check_reservation(&f, 1, 0, 0);
	/* Releasing nothing is GOOD. */
	CHECK_EQ_INT(prout(&f, &f.a, SA_RELEASE, TYPE_WE, 0xa, 0, 0), 0);
	fx_close(&f);
}

TEST(clear)
{
	struct fx f;

	fx_open_ab(&f);
	register_ab(&f);
	CHECK_EQ_INT(prout(&f, &f.a, SA_RESERVE, TYPE_EA, 0xa, 0, 0), 0);
	CHECK_EQ_INT(prout(&f, &f.b, SA_CLEAR, 0, 0xa, 0, 0), ST_CONFLICT);
	CHECK_EQ_INT(prout(&f, &f.b, SA_CLEAR, 0, 0xb, 0, 0), 0);
	check_keys(&f, 3, NULL, 0);
	check_reservation(&f, 3, 0, 0);
	/* RESERVATIONS PREEMPTED for the others, nothing for B. */
	check_ua(&f, &f.a, 0x2a, 0x03);
	CHECK_EQ_INT(op(&f, &f.b, OP_TUR), 0);
	fx_close(&f);
}

TEST(preempt)
{
	static const uint64_t k_b[] = { 0xb };
	static const uint64_t k_bc[] = { 0xb, 0xc };
	uint8_t sense[18];
	struct fx f;

	fx_open_ab(&f);
	clear_ua(&f, &f.c);
	/* Without a reservation: removes the registrations with the key. */
	register_ab(&f);
	CHECK_EQ_INT(prout(&f, &f.b, SA_PREEMPT, TYPE_EA, 0xb, 0xa, 0), 0);
	check_keys(&f, 3, k_b, 1);
	check_ua(&f, &f.a, 0x2a, 0x05);
	CHECK_EQ_INT(op(&f, &f.b, OP_TUR), 0);
	/* A key nobody has conflicts; key zero is invalid. */
	CHECK_EQ_INT(prout(&f, &f.b, SA_PREEMPT, TYPE_EA, 0xb, 0x77, 0),
	    ST_CONFLICT);
	CHECK_EQ_INT(prout_x(&f, &f.b, SA_PREEMPT, TYPE_EA, 0xb, 0, 0, NULL,
	    0, 0, sense), 0x02);
	check_illegal(sense, 0x26, 0x00, 0, 8, -1);
	check_keys(&f, 3, k_b, 1);

	/* The holder's key: the reservation moves, with the new type; the
	 * remaining registrant C learns of the change. */
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0, 0xa, 0), 0);
	CHECK_EQ_INT(prout(&f, &f.c, SA_REGISTER, 0, 0, 0xc, 0), 0);
	CHECK_EQ_INT(prout(&f, &f.a, SA_RESERVE, TYPE_WE, 0xa, 0, 0), 0);
	CHECK_EQ_INT(prout(&f, &f.b, SA_PREEMPT, TYPE_EA, 0xb, 0xa, 0), 0);
	check_reservation(&f, 6, 0xb, TYPE_EA);
	check_keys(&f, 6, k_bc, 2);
	check_ua(&f, &f.a, 0x2a, 0x05);
	check_ua(&f, &f.c, 0x2a, 0x04);
	CHECK_EQ_INT(op(&f, &f.b, OP_TUR), 0);
	CHECK_EQ_INT(op(&f, &f.b, OP_WRITE_10), 0);
	CHECK_EQ_INT(op(&f, &f.c, OP_READ_10), ST_CONFLICT);
	CHECK_EQ_INT(naborts, 0);

	/* An all registrants reservation with key zero: everyone else goes
	 * and C holds a new one. */
	CHECK_EQ_INT(prout(&f, &f.b, SA_RELEASE, TYPE_EA, 0xb, 0, 0), 0);
	CHECK_EQ_INT(prout(&f, &f.b, SA_RESERVE, TYPE_WE_AR, 0xb, 0, 0), 0);
	CHECK_EQ_INT(prout(&f, &f.c, SA_PREEMPT, TYPE_WE, 0xc, 0, 0), 0);
	check_reservation(&f, 7, 0xc, TYPE_WE);
	check_ua(&f, &f.b, 0x2a, 0x05);
	fx_close(&f);
}

TEST(preempt_and_abort)
{
	struct fx f;

	fx_open_ab(&f);
	register_ab(&f);
	CHECK_EQ_INT(prout(&f, &f.a, SA_RESERVE, TYPE_WE_RO, 0xa, 0, 0), 0);
	CHECK_EQ_INT(prout(&f, &f.b, SA_PREEMPT_AND_ABORT, TYPE_EA, 0xb, 0xa,
	    0), 0);
	CHECK_EQ_INT(naborts, 1);
	CHECK_EQ_STR(abort_port, PORT_A);
	CHECK_EQ_INT(abort_lun, 0);
	check_reservation(&f, 3, 0xb, TYPE_EA);
	check_ua(&f, &f.a, 0x2a, 0x05);
	/* A failed one aborts nothing. */
	CHECK_EQ_INT(prout(&f, &f.b, SA_PREEMPT_AND_ABORT, TYPE_EA, 0xb,
	    0x77, 0), ST_CONFLICT);
	CHECK_EQ_INT(naborts, 1);
	fx_close(&f);
}

TEST(spec_i_pt_and_full_status)
{
	static const uint64_t k3[] = { 0x5, 0x5, 0x5 };
	uint8_t list[512], buf[512], sense[18], want[84] = { 0 };
	uint32_t n;
	struct fx f;

	fx_open_ab(&f);
	clear_ua(&f, &f.c);
	/* A registers itself (listed again: once), B's port and every port
	 * of C (format 00b). */
	n = tid(list, PORT_B, 1);
	n += tid(list + n, PORT_A, 1);
	n += tid(list + n, NAME_C, 0);
	{
		uint8_t ext[516];

		ext[0] = (uint8_t)(n >> 24);
		ext[1] = (uint8_t)(n >> 16);
		ext[2] = (uint8_t)(n >> 8);
		ext[3] = (uint8_t)n;
		memcpy(&ext[4], list, n);
		/* A bad TransportID (protocol 0, Fibre Channel) first:
		 * nothing is registered. */
		ext[4] = 0x00;
		CHECK_EQ_INT(prout_x(&f, &f.a, SA_REGISTER, 0, 0, 0x5,
		    F_SPEC_I_PT, ext, 4 + n, 0, sense), 0x02);
		check_illegal(sense, 0x26, 0x00, 0, 28, -1);
		check_keys(&f, 0, NULL, 0);
		/* TRANSPORTID PARAMETER DATA LENGTH beyond the list. */
		ext[4] = 0x45;
		CHECK_EQ_INT(prout_x(&f, &f.a, SA_REGISTER, 0, 0, 0x5,
		    F_SPEC_I_PT, ext, 4 + n, 24 + 4 + n - 4, sense), 0x02);
		check_illegal(sense, 0x1a, 0x00, 0, -1, -1);
		/* SPEC_I_PT with REGISTER AND IGNORE EXISTING KEY. */
		CHECK_EQ_INT(prout_x(&f, &f.a, SA_REGISTER_AND_IGNORE, 0, 0,
		    0x5, F_SPEC_I_PT, ext, 4 + n, 0, sense), 0x02);
		check_illegal(sense, 0x26, 0x00, 0, 20, 3);
		CHECK_EQ_INT(prout_x(&f, &f.a, SA_REGISTER, 0, 0, 0x5,
		    F_SPEC_I_PT, ext, 4 + n, 0, sense), 0);
		check_keys(&f, 1, k3, 3);
		/* READ FULL STATUS: A and B as ports (format 01b, 76 bytes
		 * each), C as a device (format 00b, 31 bytes of name padded
		 * to 32). */
		CHECK_EQ_INT(prin(&f, &f.d, SA_READ_FULL_STATUS, sizeof(buf),
		    buf), 8 + 76 + 76 + 60);
		CHECK_EQ_INT(fx_get_be(&buf[4], 4), 76 + 76 + 60);
		CHECK_EQ_INT(buf[8 + 76 + 76 + 24], 0x05);
		CHECK_EQ_INT(buf[8 + 76 + 76 + 27], 32);
		CHECK_EQ_MEM(&buf[8 + 76 + 76 + 28], NAME_C,
		    strlen(NAME_C) + 1);
		CHECK_EQ_MEM(&buf[8 + 76 + 28], PORT_B, strlen(PORT_B) + 1);
		/* Registered now: SPEC_I_PT is invalid. */
		CHECK_EQ_INT(prout_x(&f, &f.a, SA_REGISTER, 0, 0x5, 0x6,
		    F_SPEC_I_PT, ext, 4 + n, 0, sense), 0x02);
		check_illegal(sense, 0x26, 0x00, 0, 20, 3);
	}
	/* B and any port of C use the registrations made for them. */
	CHECK_EQ_INT(prout(&f, &f.b, SA_RESERVE, TYPE_WE, 0x5, 0, 0), 0);
	CHECK_EQ_INT(op(&f, &f.c, OP_WRITE_10), ST_CONFLICT);
	CHECK_EQ_INT(prout(&f, &f.c, SA_REGISTER, 0, 0x5, 0, 0), 0);
	CHECK_EQ_INT(prout(&f, &f.b, SA_REGISTER, 0, 0x5, 0, 0), 0);
	check_keys(&f, 3, k3, 1);
	check_reservation(&f, 3, 0, 0);
	fx_close(&f);

	/* READ FULL STATUS, exact: A registered through all target ports,
	 * holding Write Exclusive. */
	fx_open(&f, 0);
	clear_ua(&f, &f.a);
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0, 0x0102030405060708ull,
	    F_ALL_TG_PT), 0);
	CHECK_EQ_INT(prout(&f, &f.a, SA_RESERVE, TYPE_WE,
	    0x0102030405060708ull, 0, 0), 0);
	want[3] = 1;              /* PRGENERATION */
	want[7] = 76;             /* ADDITIONAL LENGTH */
	fx_put_be(&want[8], 0x0102030405060708ull, 8);
	want[8 + 12] = 0x03;      /* ALL_TG_PT, R_HOLDER */
	want[8 + 13] = TYPE_WE;   /* LU_SCOPE */
	want[8 + 19] = 1;         /* RELATIVE TARGET PORT IDENTIFIER */
	want[8 + 23] = 52;        /* ADDITIONAL DESCRIPTOR LENGTH */
	want[32] = 0x45;          /* format 01b, iSCSI */
	want[35] = 48;
	memcpy(&want[36], PORT_A, strlen(PORT_A));
	CHECK_EQ_INT(prin(&f, &f.a, SA_READ_FULL_STATUS, sizeof(buf), buf),
	    84);
	CHECK_EQ_MEM(buf, want, 84);
	/* Truncated: the lengths still tell the whole. */
	CHECK_EQ_INT(prin(&f, &f.a, SA_READ_FULL_STATUS, 10, buf), 10);
	CHECK_EQ_MEM(buf, want, 10);
	fx_close(&f);
}

/* A REGISTER AND MOVE parameter list: keys, UNREG, port, TransportID. */
static int
prout_move(struct fx *f, const struct scsi_nexus *nx, uint64_t rk,
    uint64_t sark, int unreg, uint16_t rtpi, const char *port,
    uint8_t *sense)
{
	uint8_t cdb[16] = { OP_PROUT, SA_REGISTER_AND_MOVE }, list[512];
	uint32_t n, len;
	struct scsi_task t;
	int st;

	memset(list, 0, sizeof(list));
	fx_put_be(list, rk, 8);
	fx_put_be(&list[8], sark, 8);
	list[17] = unreg ? 0x02 : 0;
	list[18] = (uint8_t)(rtpi >> 8);
	list[19] = (uint8_t)rtpi;
	n = tid(&list[24], port, 1);
	list[23] = (uint8_t)n;
	len = 24 + n;
	cdb[8] = (uint8_t)len;
	run(f, &t, nx, cdb, len, list, len);
	st = t.status;
	if (sense != NULL)
		memcpy(sense, t.sense, 18);
	scsi_task_fini(&t);
	return st;
}

TEST(register_and_move_service_action)
{
	static const uint64_t k_ab[] = { 0xa, 0xb };
	static const uint64_t k_a[] = { 0xa };
	uint8_t sense[18];
	struct fx f;

	fx_open_ab(&f);
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0, 0xa, 0), 0);
	/* No reservation to move. */
	CHECK_EQ_INT(prout_move(&f, &f.a, 0xa, 0xb, 0, 1, PORT_B,
	    NULL), ST_CONFLICT);
	CHECK_EQ_INT(prout(&f, &f.a, SA_RESERVE, TYPE_EA, 0xa, 0, 0), 0);
	/* A target port we do not have; the requester itself. */
	CHECK_EQ_INT(prout_move(&f, &f.a, 0xa, 0xb, 0, 2, PORT_B,
	    sense), 0x02);
	check_illegal(sense, 0x26, 0x00, 0, 18, -1);
	CHECK_EQ_INT(prout_move(&f, &f.a, 0xa, 0xb, 0, 1, PORT_A,
	    sense), 0x02);
	check_illegal(sense, 0x26, 0x00, 0, 24, -1);
	/* Move to B (registered with 0xb on the way); A stays registered. */
	CHECK_EQ_INT(prout_move(&f, &f.a, 0xa, 0xb, 0, 1, PORT_B,
	    NULL), 0);
	check_reservation(&f, 2, 0xb, TYPE_EA);
	check_keys(&f, 2, k_ab, 2);
	CHECK_EQ_INT(op(&f, &f.a, OP_READ_10), ST_CONFLICT);
	CHECK_EQ_INT(op(&f, &f.b, OP_READ_10), 0);
	/* A no longer holds it; B moves it back and leaves (UNREG). */
	CHECK_EQ_INT(prout_move(&f, &f.a, 0xa, 0xc, 0, 1, PORT_B,
	    NULL), ST_CONFLICT);
	CHECK_EQ_INT(prout_move(&f, &f.b, 0xb, 0xd, 1, 1, PORT_A,
	    NULL), 0);
	check_reservation(&f, 3, 0xa, TYPE_EA);
	check_keys(&f, 3, k_a, 1);
	fx_close(&f);
}

TEST(parameter_list_errors)
{
	uint8_t sense[18], cdb[16] = { OP_PROUT, 0x08 }, list[24] = { 0 };
	struct scsi_task t;
	struct fx f;

	fx_open(&f, 0);
	clear_ua(&f, &f.a);
	/* 23 or 25 bytes where 24 are due. */
	CHECK_EQ_INT(prout_x(&f, &f.a, SA_REGISTER, 0, 0, 0xa, 0, NULL, 0, 23,
	    sense), 0x02);
	check_illegal(sense, 0x1a, 0x00, 0, -1, -1);
	CHECK_EQ_INT(prout_x(&f, &f.a, SA_REGISTER, 0, 0, 0xa, 0,
	    (const uint8_t *)"x", 1, 0, sense), 0x02);
	check_illegal(sense, 0x1a, 0x00, 0, -1, -1);
	/* APTPL without a file to keep the state in. */
	CHECK_EQ_INT(prout_x(&f, &f.a, SA_REGISTER, 0, 0, 0xa, F_APTPL, NULL,
	    0, 0, sense), 0x02);
	check_illegal(sense, 0x26, 0x00, 0, 20, 0);
	/* Service action 08h (REPLACE LOST RESERVATION) is not ours. */
	cdb[8] = 24;
	run(&f, &t, &f.a, cdb, 24, list, 24);
	CHECK_EQ_INT(t.status, 0x02);
	check_illegal(t.sense, 0x24, 0x00, 1, 1, 4);
	scsi_task_fini(&t);
	/* Less data arrived than the CDB announced. */
	cdb[1] = SA_REGISTER;
	run(&f, &t, &f.a, cdb, 24, list, 20);
	CHECK_EQ_INT(t.status, 0x02);
	check_illegal(t.sense, 0x1a, 0x00, 0, -1, -1);
	scsi_task_fini(&t);
	check_keys(&f, 0, NULL, 0);
	fx_close(&f);
}

TEST(reserve6_release6)
{
	uint8_t cdb[16] = { OP_RESERVE_10, 0x10 }, sense[18];
	struct fx f;

	fx_open_ab(&f);
	CHECK_EQ_INT(op(&f, &f.a, OP_RESERVE_6), 0);
	CHECK_EQ_INT(op(&f, &f.a, OP_RESERVE_6), 0);
	CHECK_EQ_INT(op(&f, &f.b, OP_RESERVE_6), ST_CONFLICT);
	CHECK_EQ_INT(op(&f, &f.b, OP_RESERVE_10), ST_CONFLICT);
	CHECK_EQ_INT(op(&f, &f.b, OP_TUR), ST_CONFLICT);
	CHECK_EQ_INT(op(&f, &f.b, OP_READ_10), ST_CONFLICT);
	CHECK_EQ_INT(op(&f, &f.b, OP_MODE_SENSE_6), ST_CONFLICT);
	CHECK_EQ_INT(op(&f, &f.b, OP_INQUIRY), 0);
	/* Releasing what another holds is GOOD and does nothing. */
	CHECK_EQ_INT(op(&f, &f.b, OP_RELEASE_6), 0);
	CHECK_EQ_INT(op(&f, &f.a, OP_WRITE_10), 0);
	CHECK_EQ_INT(op(&f, &f.a, OP_MODE_SENSE_6), 0);
	/* PERSISTENT RESERVE IN/OUT conflict from everyone. */
	{
		uint8_t prin_cdb[16] = { OP_PRIN, 0, 0, 0, 0, 0, 0, 0, 64 };

		CHECK_EQ_INT(cmd(&f, &f.a, prin_cdb, NULL), ST_CONFLICT);
	}
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0, 0xa, 0), ST_CONFLICT);
	CHECK_EQ_INT(op(&f, &f.a, OP_RELEASE_10), 0);
	CHECK_EQ_INT(op(&f, &f.b, OP_RESERVE_10), 0);
	CHECK_EQ_INT(op(&f, &f.a, OP_READ_10), ST_CONFLICT);
	/* I_T nexus loss of the holder releases it. */
	scsi_nexus_loss(&f.tgt, &f.b);
	CHECK_EQ_INT(op(&f, &f.a, OP_READ_10), 0);
	/* So does a logical unit reset, and a target reset. */
	CHECK_EQ_INT(op(&f, &f.a, OP_RESERVE_6), 0);
	scsi_lun_reset(&f.tgt, 0, &f.a);
	clear_ua(&f, &f.a);
	clear_ua(&f, &f.b);
	CHECK_EQ_INT(op(&f, &f.b, OP_RESERVE_6), 0);
	scsi_target_reset(&f.tgt, &f.a);
	clear_ua(&f, &f.a);
	CHECK_EQ_INT(op(&f, &f.a, OP_RESERVE_6), 0);
	/* Third-party reservations are not supported. */
	CHECK_EQ_INT(cmd(&f, &f.a, cdb, sense), 0x02);
	check_illegal(sense, 0x24, 0x00, 1, 1, 4);
	fx_close(&f);
}

TEST(reserve6_with_persistent_reservations)
{
	struct fx f;

	fx_open_ab(&f);
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0, 0xa, 0), 0);
	/* SPC-2: with registrations, RESERVE and RELEASE conflict... */
	CHECK_EQ_INT(op(&f, &f.b, OP_RESERVE_6), ST_CONFLICT);
	CHECK_EQ_INT(op(&f, &f.a, OP_RESERVE_6), ST_CONFLICT);
	CHECK_EQ_INT(op(&f, &f.b, OP_RELEASE_6), ST_CONFLICT);
	/* ... SPC-4 "Exceptions to SPC-2 RESERVE and RELEASE behavior"
	 * (CRH=1): except from the holder or a registered
	 * nexus, GOOD without effect. */
	CHECK_EQ_INT(op(&f, &f.a, OP_RELEASE_6), 0);
	CHECK_EQ_INT(prout(&f, &f.a, SA_RESERVE, TYPE_WE, 0xa, 0, 0), 0);
	CHECK_EQ_INT(op(&f, &f.a, OP_RESERVE_6), 0);
	CHECK_EQ_INT(op(&f, &f.a, OP_RELEASE_10), 0);
	check_reservation(&f, 1, 0xa, TYPE_WE);
	CHECK_EQ_INT(op(&f, &f.b, OP_READ_10), 0);
	/* Persistent reservations survive a logical unit reset. */
	scsi_lun_reset(&f.tgt, 0, &f.a);
	clear_ua(&f, &f.a);
	clear_ua(&f, &f.d);
	check_reservation(&f, 1, 0xa, TYPE_WE);
	clear_ua(&f, &f.b);
	CHECK_EQ_INT(op(&f, &f.b, OP_WRITE_10), ST_CONFLICT);
	fx_close(&f);
}

static char *
read_text(const char *path)
{
	static char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

TEST(aptpl_file)
{
	static const char want[] =
	    "# minisand persistent reservations (APTPL)\n"
	    "minisan-pr 1\n"
	    "reservation 3\n"
	    "reg 0000000000001234 1 1 1 " PORT_A "\n"
	    "reg 00000000000000bb 1 1 0 " NAME_C "\n"
	    "end\n";
	static const uint64_t keys[] = { 0x1234, 0xbb };
	uint8_t buf[64], list[64];
	uint32_t n;
	char err[256];
	struct scsi_lun *lu2;
	struct fx f;

	fx_open(&f, 1);
	clear_ua(&f, &f.a);
	clear_ua(&f, &f.b);
	/* Nothing persists until APTPL is set. */
	CHECK_EQ_INT(prout(&f, &f.b, SA_REGISTER, 0, 0, 0xbb, 0), 0);
	CHECK(access(f.prfile, F_OK) != 0);
	CHECK_EQ_INT(prout(&f, &f.b, SA_REGISTER, 0, 0xbb, 0, 0), 0);
	/* A, and C (every port) on A's behalf: SPEC_I_PT, format 00b; both
	 * through all target ports. */
	n = tid(&list[4], NAME_C, 0);
	list[0] = list[1] = list[2] = 0;
	list[3] = (uint8_t)n;
	CHECK_EQ_INT(prout_x(&f, &f.a, SA_REGISTER, 0, 0, 0xbb,
	    F_SPEC_I_PT | F_ALL_TG_PT, list, 4 + n, 0, NULL), 0);
	CHECK(access(f.prfile, F_OK) != 0);
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0xbb, 0x1234, F_APTPL),
	    0);
	CHECK_EQ_INT(prout(&f, &f.a, SA_RESERVE, TYPE_EA, 0x1234, 0, 0), 0);
	CHECK_EQ_STR(read_text(f.prfile), want);
	CHECK_EQ_INT(prin(&f, &f.a, SA_REPORT_CAPABILITIES, 8, buf), 8);
	CHECK_EQ_INT(buf[3], 0xb1);  /* PTPL_A */

	/* "Power on": a new LUN over the same file has the registrations
	 * and the reservation, with PRGENERATION 0. */
	scsi_lun_free(f.luns[0]);
	f.luns[0] = lu2 = fx_lun(&f, f.prfile, err, sizeof(err));
	REQUIRE(lu2 != NULL);
	clear_ua(&f, &f.a);
	clear_ua(&f, &f.b);
	clear_ua(&f, &f.d);
	check_keys(&f, 0, keys, 2);
	check_reservation(&f, 0, 0x1234, TYPE_EA);
	CHECK_EQ_INT(op(&f, &f.a, OP_WRITE_10), 0);
	CHECK_EQ_INT(op(&f, &f.b, OP_READ_10), ST_CONFLICT);
	CHECK_EQ_INT(prin(&f, &f.a, SA_REPORT_CAPABILITIES, 8, buf), 8);
	CHECK_EQ_INT(buf[3], 0xb1);
	/* Changes while APTPL is set are saved... */
	CHECK_EQ_INT(prout(&f, &f.a, SA_RELEASE, TYPE_EA, 0x1234, 0, 0), 0);
	CHECK(strstr(read_text(f.prfile), "reservation 0\n") != NULL);
	/* ... and clearing it removes the file. */
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0x1234, 0x1234, 0), 0);
	CHECK(access(f.prfile, F_OK) != 0 && errno == ENOENT);
	CHECK_EQ_INT(prin(&f, &f.a, SA_REPORT_CAPABILITIES, 8, buf), 8);
	CHECK_EQ_INT(buf[3], 0xb0);
	fx_close(&f);
}

/* Writes text to path. */
static void
write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	REQUIRE(fd >= 0);
	REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

TEST(aptpl_corrupt_files)
{
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
		{ "garbage\n", ":1: not a minisan-pr 1 file" },
		{ "minisan-pr 1\nreservation 0\n", ":2: truncated" },
		{ "minisan-pr 1\nreservation 2\nend\n",
		    ":2: bad reservation line" },
		{ "minisan-pr 1\nreg 0 1 0 0 iqn.x\nend\n",
		    ":2: bad reservation key" },
		{ "minisan-pr 1\nreg 1 1 0 0 iqn.x,i,0xzz\nend\n",
		    ":2: bad initiator port" },
		{ "minisan-pr 1\nreservation 1\nreg 1 1 0 1 iqn.x\n"
		    "reg 2 1 0 1 iqn.y\nend\n",
		    "exactly one holder" },
		{ "minisan-pr 1\nreg 1 1 0 0 iqn.x\nreg 2 1 0 0 iqn.x,i,0x1\n"
		    "end\n", "two registrations for one I_T nexus" },
		{ "minisan-pr 1\nend\nreg 1 1 0 0 iqn.x\n",
		    ":3: text after end" },
	};
	char err[256], want[256];
	struct fx f;

	fx_open(&f, 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_text(f.prfile, bad[i].text);
		err[0] = '\0';
		CHECK(fx_lun(&f, f.prfile, err, sizeof(err)) == NULL);
		/* The message names the file. */
		CHECK(strncmp(err, f.prfile, strlen(f.prfile)) == 0);
		snprintf(want, sizeof(want), "%s", bad[i].why);
		if (strstr(err, want) == NULL)
			harness_report_str(__FILE__, __LINE__, "err", err,
			    want);
	}
	/* A good file with comments loads. */
	write_text(f.prfile, "# x\nminisan-pr 1\nreservation 8\n"
	    "reg 00000000000000aa 1 0 0 iqn.x,i,0x1\n\nend\n");
	{
		struct pr_state st;

		CHECK_EQ_INT(pr_store_load(f.prfile, &st, err, sizeof(err)), 0);
		CHECK_EQ_INT(st.nregs, 1);
		CHECK_EQ_INT(st.type, 8);
		CHECK_EQ_INT(st.aptpl, 1);
		CHECK_EQ_INT(st.regs[0].key, 0xaa);
		CHECK_EQ_STR(st.regs[0].name, "iqn.x");
		CHECK_EQ_INT(st.regs[0].isid, 1);
		pr_state_clear(&st);
	}
	/* A missing file is an empty state. */
	unlink(f.prfile);
	{
		struct scsi_lun *lu = fx_lun(&f, f.prfile, err, sizeof(err));

		CHECK(lu != NULL);
		scsi_lun_free(lu);
	}
	fx_close(&f);
}

/* Registers and unregisters one nexus over and over. */
static void *
churn(void *arg)
{
	struct fx *f = arg;
	const struct scsi_nexus *nx = &f->c;

	for (int i = 0; i < 300; i++) {
		prout(f, nx, SA_REGISTER_AND_IGNORE, 0, 0, 0xc, 0);
		prout(f, nx, SA_REGISTER_AND_IGNORE, 0, 0, 0, 0);
	}
	return NULL;
}

TEST(concurrent_commands)
{
	uint8_t buf[64];
	pthread_t th;
	struct fx f;

	fx_open(&f, 0);
	clear_ua(&f, &f.a);
	clear_ua(&f, &f.c);
	CHECK_EQ_INT(prout(&f, &f.a, SA_REGISTER, 0, 0, 0xa, 0), 0);
	CHECK_EQ_INT(prout(&f, &f.a, SA_RESERVE, TYPE_WE_RO, 0xa, 0, 0), 0);
	REQUIRE(pthread_create(&th, NULL, churn, &f) == 0);
	for (int i = 0; i < 300; i++) {
		CHECK_EQ_INT(op(&f, &f.a, OP_WRITE_10), 0);
		prin(&f, &f.a, SA_READ_FULL_STATUS, sizeof(buf), buf);
	}
	pthread_join(th, NULL);
	check_reservation(&f, 1 + 600, 0xa, TYPE_WE_RO);
	fx_close(&f);
}

static const struct test tests[] = {
	T(prin_empty_and_capabilities),
	T(register_keys_and_generation),
	T(write_exclusive_access),
	T(exclusive_access),
	T(registrants_only),
	T(all_registrants),
	T(release_errors),
	T(clear),
	T(preempt),
	T(preempt_and_abort),
	T(spec_i_pt_and_full_status),
	T(register_and_move_service_action),
	T(parameter_list_errors),
	T(reserve6_release6),
	T(reserve6_with_persistent_reservations),
	T(aptpl_file),
	T(aptpl_corrupt_files),
	T(concurrent_commands),
};

int
main(int argc, char **argv)
{
	return HARNESS_RUN(tests);
}

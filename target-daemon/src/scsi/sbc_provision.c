/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements SBC-3 logical block provisioning: whether a LUN is
 * thin provisioned, its Block Limits, and the UNMAP, WRITE SAME and GET LBA
 * STATUS commands over BS_OP_DISCARD, BS_OP_WRITE and BS_OP_MAP_STATUS. */
#include "scsi/sbc_provision.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits_minisan.h"
#include "scsi/sbc.h"
#include "scsi/sense.h"
#include "util/be.h"
#include "util/xalloc.h"

/* SBC-3 "WRITE SAME (10) command" and "WRITE SAME (16) command", byte 1 */
#define WS_WRPROTECT_SHIFT 5
#define WS_ANCHOR 0x10
#define WS_UNMAP 0x08
#define WS_PBDATA 0x04
#define WS_LBDATA 0x02
#define WS_NDOB 0x01 /* (16) only */

/* SBC-3 "UNMAP command" and "UNMAP parameter list" */
#define UNMAP_ANCHOR 0x01
#define UNMAP_HDR_LEN 8u
#define UNMAP_DESC_LEN 16u

/* SBC-3 "GET LBA STATUS parameter data" */
#define LBAS_HDR_LEN 8u
#define LBAS_DESC_LEN 16u
#define LBAS_MAX_BLOCKS 0xffffffffu /* NUMBER OF LOGICAL BLOCKS is 32 bits */
enum lbas_status {
	LBAS_MAPPED = 0x0,
	LBAS_DEALLOCATED = 0x1,
};

int
sbc_provision_setup(struct scsi_lun *lu, const struct scsi_lun_params *p,
    char *err, size_t errlen)
{
	struct bs_discard_caps caps;

	lu->thin = 0;
	lu->lbprz = 0;
	lu->unmap_gran = 1;
	if (p->thin < 0)
		return 0;
	bs_discard_caps(lu->bs, &caps);
	if (!caps.supported) {
		if (p->thin == 0)
			return 0;
		snprintf(err, errlen, "%s: thin provisioning needs a store "
		    "that can deallocate (a writable file on a file system "
		    "with hole punching, or a block device with discard)",
		    bs_path(lu->bs));
		return -EINVAL;
	}
	/* SBC-3 "Logical block provisioning": LBPME set; LBPRZ only where a
	 * deallocated block really reads as zeros (a punched hole does). */
	lu->thin = 1;
	lu->lbprz = caps.zeroes != 0;
	if (caps.granularity > lu->block_size)
		lu->unmap_gran = caps.granularity / lu->block_size;
	return 0;
}

void
sbc_provision_limits(const struct scsi_lun *lu,
    struct sbc_provision_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->max_write_same = MINISAN_MAX_WRITE_SAME_BYTES / lu->block_size;
	if (!lu->thin)
		return;
	lim->max_unmap_lbas = MINISAN_MAX_UNMAP_BYTES / lu->block_size;
	lim->max_unmap_descs = MINISAN_MAX_UNMAP_DESCRIPTORS;
	lim->unmap_granularity = lu->unmap_gran;
}

/* Prepares task->io for op on the LUN's store; the caller sets the rest
 * and calls bs_submit(), after which it must not touch the task. */
static struct bs_io *
prov_io(struct scsi_task *task, enum bs_op op, uint64_t lba, uint64_t nblocks,
    void (*done)(struct bs_io *))
{
	struct bs_io *io = &task->io;

	memset(io, 0, sizeof(*io));
	io->op = op;
	io->offset = lba * task->lu->block_size;
	io->len = (size_t)(nblocks * task->lu->block_size);
	io->done = done;
	io->arg = task;
	return io;
}

/* ---- UNMAP ---- */

uint64_t
sbc_unmap_out_len(const struct scsi_lun *lu, const uint8_t *cdb)
{
	(void)lu;
	return get_be16(&cdb[7]);
}

/* Submits the discard of the next UNMAP block descriptor that names any
 * block; task->state is its index, task->nblocks the descriptor count.
 * Returns 1 if one was submitted (its callback finishes the task), 0 if
 * none is left. */
static int unmap_next(struct scsi_task *task);

static void
unmap_done(struct bs_io *io)
{
	struct scsi_task *task = io->arg;

	if (io->result < 0 || (size_t)io->result != io->len) {
		sbc_io_sense(task, io);
		scsi_task_complete(task);
		return;
	}
	task->state++;
	if (!unmap_next(task))
		scsi_task_complete(task);
}

static int
unmap_next(struct scsi_task *task)
{
	const uint8_t *d;
	uint32_t n;

	for (; (uint32_t)task->state < task->nblocks; task->state++) {
		d = task->data_out + UNMAP_HDR_LEN +
		    (size_t)task->state * UNMAP_DESC_LEN;
		if ((n = get_be32(&d[8])) == 0)
			continue;
		bs_submit(task->lu->bs, prov_io(task, BS_OP_DISCARD,
		    get_be64(d), n, unmap_done));
		return 1;
	}
	return 0;
}

/* Checks the UNMAP parameter list (SBC-3 "UNMAP parameter list") whose
 * first plen bytes arrived: returns the number of block descriptors to
 * process, or -1 with sense set. */
static int64_t
unmap_parse(struct scsi_task *task, uint32_t plen)
{
	const uint8_t *p = task->data_out, *d;
	uint64_t cap = task->lu_nblocks, lba, total = 0;
	struct sbc_provision_limits lim;
	uint32_t bd_len, n, count;

	sbc_provision_limits(task->lu, &lim);
	/* SBC-3 "UNMAP command": a PARAMETER LIST LENGTH of 1 to 7 is
	 * PARAMETER LIST LENGTH ERROR. */
	if (plen < UNMAP_HDR_LEN) {
		sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_PARAMETER_LIST_LENGTH_ERROR);
		return -1;
	}
	/* Only whole descriptors inside both the UNMAP BLOCK DESCRIPTOR
	 * DATA LENGTH and the parameter list count; a truncated last one
	 * is ignored. */
	bd_len = get_be16(&p[2]);
	if (bd_len > plen - UNMAP_HDR_LEN)
		bd_len = plen - UNMAP_HDR_LEN;
	n = bd_len / UNMAP_DESC_LEN;
	/* More descriptors than the Block Limits MAXIMUM UNMAP BLOCK
	 * DESCRIPTOR COUNT is INVALID FIELD IN PARAMETER LIST. */
	if (n > lim.max_unmap_descs) {
		sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST, 0, 2,
		    -1);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		d = p + UNMAP_HDR_LEN + (size_t)i * UNMAP_DESC_LEN;
		lba = get_be64(d);
		count = get_be32(&d[8]);
		/* A range running past the capacity is LOGICAL BLOCK
		 * ADDRESS OUT OF RANGE (a descriptor of 0 blocks at the
		 * capacity names no block and is fine). */
		if (lba > cap || count > cap - lba) {
			sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
			    ASC_LBA_OUT_OF_RANGE);
			return -1;
		}
		/* More blocks in all than the Block Limits MAXIMUM UNMAP
		 * LBA COUNT is INVALID FIELD IN PARAMETER LIST. */
		total += count;
		if (total > lim.max_unmap_lbas) {
			sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST,
			    0, (uint16_t)(UNMAP_HDR_LEN + i * UNMAP_DESC_LEN +
			    8), -1);
			return -1;
		}
	}
	return n;
}

/* SBC-3 "UNMAP command" (only on a thin provisioned LUN: CMD_THIN) */
enum scsi_cmd_result
sbc_unmap(struct scsi_task *task)
{
	uint32_t plen = get_be16(&task->cdb[7]);
	uint64_t avail;
	int64_t n;

	task->xfer_len = plen;
	/* ANCHOR needs ANC_SUP in the Logical Block Provisioning VPD page,
	 * which is 0: INVALID FIELD IN CDB. */
	if (task->cdb[1] & UNMAP_ANCHOR) {
		sense_invalid_cdb(task, 1, 0);
		return SCSI_CMD_COMPLETE;
	}
	/* A PARAMETER LIST LENGTH of zero sends no data and is not an
	 * error. */
	if (plen == 0)
		return SCSI_CMD_COMPLETE;
	if (sbc_check_writable(task) != 0)
		return SCSI_CMD_COMPLETE;
	avail = task->data_out_len < task->edtl ? task->data_out_len :
	    task->edtl;
	if (avail < plen) {
		sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_PARAMETER_LIST_LENGTH_ERROR);
		return SCSI_CMD_COMPLETE;
	}
	if ((n = unmap_parse(task, plen)) < 0)
		return SCSI_CMD_COMPLETE;
	task->nblocks = (uint32_t)n;
	task->state = 0;
	return unmap_next(task) ? SCSI_CMD_PENDING : SCSI_CMD_COMPLETE;
}

/* ---- WRITE SAME ---- */

static int
ws_is_16(const uint8_t *cdb)
{
	return cdb[0] == SCSI_OP_WRITE_SAME_16;
}

static int
ws_ndob(const uint8_t *cdb)
{
	return ws_is_16(cdb) && (cdb[1] & WS_NDOB);
}

uint64_t
sbc_write_same_out_len(const struct scsi_lun *lu, const uint8_t *cdb)
{
	/* One logical block of data, none with NDOB. */
	return ws_ndob(cdb) ? 0 : lu->block_size;
}

static int
all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Writes the next chunk of a WRITE SAME: task->scratch holds the block
 * repeated (MINISAN_WRITE_SAME_CHUNK_BYTES at most, one write's worth),
 * task->lba is the next LBA and task->nblocks how many remain. */
static void ws_write_next(struct scsi_task *task);

static void
ws_write_done(struct bs_io *io)
{
	struct scsi_task *task = io->arg;
	uint32_t done_blocks = (uint32_t)(io->len / task->lu->block_size);

	if (io->result < 0 || (size_t)io->result != io->len) {
		sbc_io_sense(task, io);
		scsi_task_complete(task);
		return;
	}
	task->lba += done_blocks;
	task->nblocks -= done_blocks;
	if (task->nblocks == 0) {
		scsi_task_complete(task);
		return;
	}
	ws_write_next(task);
}

static void
ws_write_next(struct scsi_task *task)
{
	uint32_t chunk = MINISAN_WRITE_SAME_CHUNK_BYTES / task->lu->block_size;
	uint32_t n = task->nblocks < chunk ? task->nblocks : chunk;
	struct bs_io *io = prov_io(task, BS_OP_WRITE, task->lba, n,
	    ws_write_done);

	io->buf = task->scratch;
	/* A disabled write cache makes every write durable before GOOD. */
	io->fua = !task->lu_wce;
	bs_submit(task->lu->bs, io);
}

static void
ws_discard_done(struct bs_io *io)
{
	struct scsi_task *task = io->arg;

	if (io->result < 0 || (size_t)io->result != io->len)
		sbc_io_sense(task, io);
	scsi_task_complete(task);
}

/* SBC-3 "WRITE SAME (10) command" and "WRITE SAME (16) command" */
enum scsi_cmd_result
sbc_write_same(struct scsi_task *task)
{
	const uint8_t *cdb = task->cdb;
	struct scsi_lun *lu = task->lu;
	int ws16 = ws_is_16(cdb), ndob = ws_ndob(cdb);
	uint8_t flags = cdb[1];
	uint64_t lba = ws16 ? get_be64(&cdb[2]) : get_be32(&cdb[2]);
	uint64_t nb = ws16 ? get_be32(&cdb[10]) : get_be16(&cdb[7]);
	uint64_t cap = task->lu_nblocks;
	uint32_t bsz = lu->block_size, chunk;
	struct sbc_provision_limits lim;
	const uint8_t *block = NULL;

	task->xfer_len = ndob ? 0 : bsz;
	/* No protection information: any WRPROTECT is INVALID FIELD IN
	 * CDB; PBDATA and LBDATA (which insert addresses) we lack too. */
	if (flags >> WS_WRPROTECT_SHIFT) {
		sense_invalid_cdb(task, 1, 7);
		return SCSI_CMD_COMPLETE;
	}
	if (flags & (WS_PBDATA | WS_LBDATA)) {
		sense_invalid_cdb(task, 1, flags & WS_PBDATA ? 2 : 1);
		return SCSI_CMD_COMPLETE;
	}
	/* ANCHOR without UNMAP is INVALID FIELD IN CDB; with UNMAP it
	 * needs ANC_SUP, which is 0 (we never anchor). */
	if (flags & WS_ANCHOR) {
		sense_invalid_cdb(task, 1, 4);
		return SCSI_CMD_COMPLETE;
	}
	/* UNMAP needs logical block provisioning management (LBPWS and
	 * LBPWS10 are 0 on a fully provisioned LUN). */
	if ((flags & WS_UNMAP) && !lu->thin) {
		sense_invalid_cdb(task, 1, 3);
		return SCSI_CMD_COMPLETE;
	}
	if (sbc_check_range(task, lba, nb) != 0)
		return SCSI_CMD_COMPLETE;
	/* WSNZ is 0: a NUMBER OF LOGICAL BLOCKS of zero writes from the
	 * LBA through the last logical block. Either way the count must
	 * not exceed the Block Limits MAXIMUM WRITE SAME LENGTH (INVALID
	 * FIELD IN CDB). */
	if (nb == 0)
		nb = cap - lba;
	sbc_provision_limits(lu, &lim);
	if (nb > lim.max_write_same) {
		sense_invalid_cdb(task, ws16 ? 10 : 7, -1);
		return SCSI_CMD_COMPLETE;
	}
	if (sbc_check_writable(task) != 0)
		return SCSI_CMD_COMPLETE;
	/* Exactly one logical block of Data-Out: less cannot be written,
	 * more is not one block (the iSCSI EDTL field is wrong either way). */
	if (!ndob) {
		if (task->edtl != bsz || task->data_out_len < bsz) {
			sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
			    ASC_INVALID_FIELD_IN_IU);
			return SCSI_CMD_COMPLETE;
		}
		block = task->data_out;
	}
	/* SBC-3 "WRITE SAME (10) command": with UNMAP set the device server
	 * deallocates the blocks (SBC-3 semantics; libiscsi expects it
	 * whatever the data), so they read back as LBPRZ says. */
	if (flags & WS_UNMAP) {
		bs_submit(lu->bs, prov_io(task, BS_OP_DISCARD, lba, nb,
		    ws_discard_done));
		return SCSI_CMD_PENDING;
	}
	chunk = MINISAN_WRITE_SAME_CHUNK_BYTES / bsz;
	if (nb < chunk)
		chunk = (uint32_t)nb;
	free(task->scratch);
	task->scratch = xcalloc(chunk, bsz);
	if (block != NULL && !all_zero(block, bsz))
		for (uint32_t i = 0; i < chunk; i++)
			memcpy(task->scratch + (size_t)i * bsz, block, bsz);
	task->lba = lba;
	task->nblocks = (uint32_t)nb;
	ws_write_next(task);
	return SCSI_CMD_PENDING;
}

/* ---- GET LBA STATUS ---- */

/* Writes the parameter data for n extents (bytes on the store) into a
 * data-in buffer of the allocation length alloc. */
static void
lbas_reply(struct scsi_task *task, const struct bs_extent *ext, uint32_t n,
    uint32_t alloc)
{
	uint32_t bsz = task->lu->block_size;
	uint32_t len = LBAS_HDR_LEN + n * LBAS_DESC_LEN;
	uint8_t *out = scsi_data_in_alloc(task, len, alloc), *d;

	/* PARAMETER DATA LENGTH: the bytes that follow it. */
	put_be32(out, len - 4);
	for (uint32_t i = 0; i < n; i++) {
		d = out + LBAS_HDR_LEN + i * LBAS_DESC_LEN;
		put_be64(d, ext[i].offset / bsz);
		put_be32(&d[8], (uint32_t)(ext[i].len / bsz));
		d[12] = ext[i].mapped ? LBAS_MAPPED : LBAS_DEALLOCATED;
	}
}

static void
lbas_done(struct bs_io *io)
{
	struct scsi_task *task = io->arg;

	if (io->result <= 0) {
		sense_set(task, SENSE_KEY_MEDIUM_ERROR,
		    ASC_UNRECOVERED_READ_ERROR);
	} else {
		lbas_reply(task, io->buf, (uint32_t)io->result,
		    get_be32(&task->cdb[10]));
	}
	free(task->scratch);
	task->scratch = NULL;
	scsi_task_complete(task);
}

/* SBC-3 "GET LBA STATUS command" */
enum scsi_cmd_result
sbc_get_lba_status(struct scsi_task *task)
{
	uint64_t lba = get_be64(&task->cdb[2]), cap = task->lu_nblocks, nb;
	uint32_t alloc = get_be32(&task->cdb[10]), nmax;
	struct bs_extent whole;
	struct bs_io *io;

	/* A STARTING LOGICAL BLOCK ADDRESS past the last block is LOGICAL
	 * BLOCK ADDRESS OUT OF RANGE. */
	if (lba >= cap) {
		sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_LBA_OUT_OF_RANGE);
		return SCSI_CMD_COMPLETE;
	}
	/* The first descriptor starts at the requested LBA; each covers at
	 * most what its 32-bit NUMBER OF LOGICAL BLOCKS field can say. */
	nb = cap - lba < LBAS_MAX_BLOCKS ? cap - lba : LBAS_MAX_BLOCKS;
	if (!task->lu->thin) {
		/* Fully provisioned: every LBA is mapped. */
		whole.offset = lba * task->lu->block_size;
		whole.len = nb * task->lu->block_size;
		whole.mapped = 1;
		lbas_reply(task, &whole, 1, alloc);
		return SCSI_CMD_COMPLETE;
	}
	/* As many descriptors as the allocation length holds (at least one,
	 * so the PARAMETER DATA LENGTH tells what a larger one would get). */
	nmax = 1;
	if (alloc >= LBAS_HDR_LEN + 2 * LBAS_DESC_LEN)
		nmax = (alloc - LBAS_HDR_LEN) / LBAS_DESC_LEN;
	if (nmax > MINISAN_MAX_LBA_STATUS_DESCRIPTORS)
		nmax = MINISAN_MAX_LBA_STATUS_DESCRIPTORS;
	free(task->scratch);
	task->scratch = xcalloc(nmax, sizeof(struct bs_extent));
	io = prov_io(task, BS_OP_MAP_STATUS, lba, nb, lbas_done);
	io->buf = task->scratch;
	io->unit = task->lu->block_size;
	io->nmax = nmax;
	bs_submit(task->lu->bs, io);
	return SCSI_CMD_PENDING;
}

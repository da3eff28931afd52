/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements EXTENDED COPY (LID1) with identification CSCD
 * descriptors and block-to-block segments, RECEIVE COPY RESULTS (COPY
 * STATUS, OPERATING PARAMETERS), the copy status a LUN holds for it, and
 * the Third-party Copy VPD page. A copy runs segment by segment, chunk by
 * chunk: each chunk is read with its source blocks held shared in the
 * source LUN's range lock, then written with its destination blocks held
 * shared in the destination's, so COMPARE AND WRITE and the other atomic
 * commands never see half a chunk. */
#include "scsi/xcopy.h"

#include <stdlib.h>
#include <string.h>

#include "limits_minisan.h"
#include "scsi/sense.h"
#include "util/be.h"
#include "util/xalloc.h"

/* SPC-4 "EXTENDED COPY (LID1) command" CDB: PARAMETER LIST LENGTH. */
#define XC_CDB_PLL 10

/* SPC-4 "Parameter list format for the EXTENDED COPY (LID1) command" */
#define XC_HDR_LEN 16u
#define XC_LIST_ID 0
#define XC_FLAGS 1
#define XC_USAGE_SHIFT 3
#define XC_USAGE_MASK 0x3
#define XC_CSCD_LIST_LEN 2    /* bytes 2-3 */
#define XC_SEG_LIST_LEN 8     /* bytes 8-11 */
#define XC_INLINE_LEN 12      /* bytes 12-15 */

/* SPC-4 "LIST ID USAGE field" */
enum xcopy_list_id_usage {
	XC_USAGE_HOLD = 0x0,       /* hold the copy status for RCR */
	XC_USAGE_RESERVED = 0x1,
	XC_USAGE_NO_HOLD = 0x2,
	XC_USAGE_NO_LIST_ID = 0x3, /* LIST IDENTIFIER must be 0 */
};

/* SPC-4 "CSCD descriptors": type codes E0h-E9h are 32 bytes long; E4h is
 * the Identification descriptor CSCD descriptor. */
#define CSCD_DESC_LEN 32u
#define CSCD_TYPE_IDENT 0xe4
#define CSCD_DEVTYPE_MASK 0x1f
#define CSCD_DESIG 4          /* designation descriptor, bytes 4-27 */
#define CSCD_DESIG_MAX 20u    /* designator bytes that fit */
#define CSCD_DISK_BLOCK_LEN 29 /* block device parameters, bytes 29-31 */
/* SPC-4 "Designation descriptor": ASSOCIATION and DESIGNATOR TYPE. */
#define DESIG_ASSOC_SHIFT 4
#define DESIG_ASSOC_MASK 0x3
#define DESIG_ASSOC_LU 0x0
#define DESIG_TYPE_MASK 0x0f
#define DESIG_TYPE_NAA 0x3
#define DESIG_NAA_LEN 8u

/* SPC-4 "Segment descriptors" and "Block device to block device
 * operations": a 4-byte header then DESCRIPTOR LENGTH bytes. */
#define SEG_HDR_LEN 4u
#define SEG_TYPE_B2B 0x02
#define SEG_B2B_DESC_LEN 0x18
#define SEG_DC 0x02
#define SEG_LEN 2
#define SEG_SRC_INDEX 4
#define SEG_DST_INDEX 6
#define SEG_NBLOCKS 10
#define SEG_SRC_LBA 12
#define SEG_DST_LBA 20

/* SPC-4 "COPY STATUS (LID1) parameter data" */
#define CS_LEN 12u
enum xcopy_cm_status {
	CMS_IN_PROGRESS = 0x00,
	CMS_DONE = 0x01,       /* completed without errors */
	CMS_FAILED = 0x02,     /* completed with errors */
};
#define CS_UNITS_MAX 0x06     /* exbibytes */

/* SPC-4 "OPERATING PARAMETERS parameter data" */
#define OP_LEN 46u
#define OP_SNLID 0x01

/* Fixed-format sense: COMMAND-SPECIFIC INFORMATION, which a COPY ABORTED
 * sets to the number of the segment that failed (SPC-4 "Errors detected
 * during processing of segment descriptors"). */
#define FIXED_CMD_INFO 8

/* Third-party copy descriptor types of the VPD page (SPC-4 "Third-party
 * Copy VPD page"). */
#define TPC_SUPPORTED_COMMANDS 0x0001
#define TPC_PARAMETER_DATA 0x0004
#define TPC_SUPPORTED_DESCRIPTORS 0x0008
#define TPC_SUPPORTED_CSCD_IDS 0x000c
#define TPC_GENERAL_COPY_OPS 0x8001

/* The copy status a LUN holds for RECEIVE COPY RESULTS, for an EXTENDED
 * COPY that asked for it (LIST ID USAGE 00b). Owned by the LUN's list
 * (lu->copies, under lu->lock); a running copy points at its record. */
struct xcopy_held {
	struct xcopy_held *next;
	char *port;            /* initiator port name (owned) or NULL */
	uint8_t list_id;
	int running;           /* the EXTENDED COPY has not ended */
	int orphan;            /* nexus gone: the copy frees it at the end */
	uint8_t status;        /* enum xcopy_cm_status */
	uint16_t segments;     /* segment descriptors processed */
	uint64_t bytes;        /* bytes copied */
};

/* A resolved CSCD descriptor: the LUN it names, if any. */
struct xcopy_cscd {
	struct scsi_lun *lu;
};

/* One EXTENDED COPY in progress. Owned by the command until
 * xcopy_finish(). */
struct xcopy_job {
	struct scsi_task *task;
	struct xcopy_held *held;
	const uint8_t *segs;   /* segment descriptors, in the Data-Out */
	uint32_t seg_len;
	uint32_t seg_off;      /* of the current segment descriptor */
	uint16_t nseg, cur;    /* segments; the current one */
	int active;            /* segment cur is set up */
	struct xcopy_cscd cscd[MINISAN_XCOPY_MAX_CSCD];
	uint32_t ncscd;
	/* the current segment */
	struct scsi_lun *src, *dst;
	uint64_t src_byte, dst_byte, bytes, done;
	int backward;          /* same LUN, destination after an overlap */
	int fua;
	/* the current chunk */
	uint64_t chunk_src, chunk_dst;
	size_t chunk;
	uint8_t *buf;
	uint64_t total;        /* bytes copied by the command */
	struct bs_io io;
	struct lba_lock_entry lock;
	struct scsi_lun *locked; /* LUN whose ranges hold lock */
};

static void xcopy_next_chunk(struct xcopy_job *job);

static const char *
xcopy_port(const struct scsi_task *task)
{
	const char *port = scsi_task_port(task);

	return port != NULL ? port : "";
}

static int
xcopy_held_match(const struct xcopy_held *h, const char *port,
    uint8_t list_id)
{
	return !h->orphan && h->list_id == list_id &&
	    strcmp(h->port, port) == 0;
}

/* The record of (port, list_id) in lu, or NULL. Caller holds lu->lock. */
static struct xcopy_held *
xcopy_held_find(struct scsi_lun *lu, const char *port, uint8_t list_id)
{
	for (struct xcopy_held *h = lu->copies; h != NULL; h = h->next)
		if (xcopy_held_match(h, port, list_id))
			return h;
	return NULL;
}

static void
xcopy_held_unlink(struct scsi_lun *lu, struct xcopy_held *h)
{
	for (struct xcopy_held **pp = &lu->copies; *pp != NULL;
	    pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			free(h->port);
			free(h);
			return;
		}
	}
}

/* Starts a record for a new held copy: replaces a finished one of the same
 * list identifier and drops the oldest finished one when full. Returns NULL
 * if every slot belongs to a running copy. Caller holds lu->lock. */
static struct xcopy_held *
xcopy_held_new(struct scsi_lun *lu, const char *port, uint8_t list_id)
{
	struct xcopy_held *h, *oldest = NULL;
	uint32_t n = 0;

	if ((h = xcopy_held_find(lu, port, list_id)) != NULL)
		xcopy_held_unlink(lu, h);
	for (h = lu->copies; h != NULL; h = h->next) {
		n++;
		if (!h->running)
			oldest = h;
	}
	if (n >= MINISAN_XCOPY_MAX_HELD) {
		if (oldest == NULL)
			return NULL;
		xcopy_held_unlink(lu, oldest);
	}
	h = xcalloc(1, sizeof(*h));
	h->port = xstrdup(port);
	h->list_id = list_id;
	h->running = 1;
	h->status = CMS_IN_PROGRESS;
	h->next = lu->copies;
	lu->copies = h;
	return h;
}

void
xcopy_nexus_loss(struct scsi_lun *lu, const char *port)
{
	struct xcopy_held **pp = &lu->copies, *h;

	/* SPC-4: held copy results belong to their I_T nexus. A running
	 * copy's record is left to the copy, which frees it at its end. */
	while ((h = *pp) != NULL) {
		if (h->orphan || strcmp(h->port, port) != 0) {
			pp = &h->next;
		} else if (h->running) {
			h->orphan = 1;
			pp = &h->next;
		} else {
			*pp = h->next;
			free(h->port);
			free(h);
		}
	}
}

void
xcopy_lun_fini(struct scsi_lun *lu)
{
	struct xcopy_held *h;

	while ((h = lu->copies) != NULL) {
		lu->copies = h->next;
		free(h->port);
		free(h);
	}
}

/* COPY ABORTED with asc, for segment seg (SPC-4 "Errors detected during
 * processing of segment descriptors": the COMMAND-SPECIFIC INFORMATION
 * field holds the number of the segment descriptor). */
static void
xcopy_abort_sense(struct scsi_task *task, enum sense_asc asc, uint16_t seg)
{
	sense_set(task, SENSE_KEY_COPY_ABORTED, asc);
	put_be32(&task->sense[FIXED_CMD_INFO], seg);
}

/* Ends the command: the held status, the job, then the task. */
static void xcopy_job_free(struct xcopy_job *job);

static void
xcopy_finish(struct xcopy_job *job)
{
	struct scsi_task *task = job->task;
	struct scsi_lun *lu = task->lu;
	struct xcopy_held *h = job->held;

	if (h != NULL) {
		pthread_mutex_lock(&lu->lock);
		h->running = 0;
		h->status = task->status == SCSI_STATUS_GOOD ? CMS_DONE :
		    CMS_FAILED;
		h->segments = job->cur;
		h->bytes = job->total;
		if (h->orphan)
			xcopy_held_unlink(lu, h);
		pthread_mutex_unlock(&lu->lock);
	}
	xcopy_job_free(job);
	scsi_task_complete(task);
}

static int
xcopy_io_failed(const struct bs_io *io)
{
	return io->result < 0 || (size_t)io->result != io->len;
}

static void
xcopy_submit(struct xcopy_job *job, struct scsi_lun *lu, enum bs_op op,
    uint64_t off, int fua, void (*done)(struct bs_io *))
{
	struct bs_io *io = &job->io;

	memset(io, 0, sizeof(*io));
	io->op = op;
	io->fua = fua;
	io->offset = off;
	io->buf = job->buf;
	io->len = job->chunk;
	io->done = done;
	io->arg = job;
	bs_submit(lu->bs, io);
}

static void
xcopy_unlock(struct xcopy_job *job)
{
	lba_lock_release(&job->locked->ranges, &job->lock);
	job->locked = NULL;
}

static void
xcopy_write_done(struct bs_io *io)
{
	struct xcopy_job *job = io->arg;

	xcopy_unlock(job);
	if (xcopy_io_failed(io)) {
		xcopy_abort_sense(job->task, ASC_WRITE_ERROR, job->cur);
		xcopy_finish(job);
		return;
	}
	job->done += job->chunk;
	job->total += job->chunk;
	xcopy_next_chunk(job);
}

static void
xcopy_write_granted(void *arg)
{
	struct xcopy_job *job = arg;

	xcopy_submit(job, job->dst, BS_OP_WRITE, job->chunk_dst, job->fua,
	    xcopy_write_done);
}

static void
xcopy_read_done(struct bs_io *io)
{
	struct xcopy_job *job = io->arg;
	uint32_t bsz = job->dst->block_size;

	xcopy_unlock(job);
	if (xcopy_io_failed(io)) {
		xcopy_abort_sense(job->task, ASC_UNRECOVERED_READ_ERROR,
		    job->cur);
		xcopy_finish(job);
		return;
	}
	job->locked = job->dst;
	if (lba_lock_acquire(&job->dst->ranges, &job->lock,
	    job->chunk_dst / bsz, job->chunk / bsz, LBA_LOCK_SHARED,
	    xcopy_write_granted, job))
		xcopy_write_granted(job);
}

static void
xcopy_read_granted(void *arg)
{
	struct xcopy_job *job = arg;

	xcopy_submit(job, job->src, BS_OP_READ, job->chunk_src, 0,
	    xcopy_read_done);
}

/* Whether lu can take part in a copy now: medium present, no sanitize
 * running or failed. Returns 0 (with its capacity, write cache setting
 * and whether it is write protected, read-only or by SWP), or the
 * additional sense code of why not. */
static enum sense_asc
xcopy_lun_ready(struct scsi_lun *lu, uint64_t *nblocks, int *wce, int *wp)
{
	enum sense_asc asc = ASC_NO_ADDITIONAL_SENSE;

	pthread_mutex_lock(&lu->lock);
	if (!lu->medium_present)
		asc = ASC_MEDIUM_NOT_PRESENT;
	else if (lu->sanitize != NULL)
		asc = ASC_LU_NOT_READY_SANITIZE;
	else if (lu->sanitize_failed)
		asc = ASC_SANITIZE_COMMAND_FAILED;
	*nblocks = lu->nblocks;
	*wce = lu->wce;
	*wp = lu->readonly || lu->swp;
	pthread_mutex_unlock(&lu->lock);
	return asc;
}

/* Sets up segment job->cur from its descriptor: CSCDs, byte counts,
 * ranges. Returns 0, or -1 with COPY ABORTED sense set. */
static int
xcopy_segment_setup(struct xcopy_job *job)
{
	const uint8_t *s = job->segs + job->seg_off;
	struct scsi_task *task = job->task;
	uint16_t si = get_be16(&s[SEG_SRC_INDEX]);
	uint16_t di = get_be16(&s[SEG_DST_INDEX]);
	uint64_t nblk = get_be16(&s[SEG_NBLOCKS]);
	uint64_t src_lba = get_be64(&s[SEG_SRC_LBA]);
	uint64_t dst_lba = get_be64(&s[SEG_DST_LBA]);
	uint32_t sbs, dbs;
	uint64_t src_cap, dst_cap;
	enum sense_asc asc;
	int src_wce, dst_wce, src_wp, dst_wp;

	/* SPC-4 "Errors detected during processing of segment descriptors":
	 * a CSCD descriptor index past the CSCD list, or a CSCD naming no
	 * logical unit we have, is a copy target we cannot reach. */
	if (si >= job->ncscd || di >= job->ncscd) {
		xcopy_abort_sense(task, ASC_UNREACHABLE_COPY_TARGET, job->cur);
		return -1;
	}
	job->src = job->cscd[si].lu;
	job->dst = job->cscd[di].lu;
	if (job->src == NULL || job->dst == NULL) {
		xcopy_abort_sense(task, ASC_COPY_TARGET_NOT_REACHABLE,
		    job->cur);
		return -1;
	}
	if ((asc = xcopy_lun_ready(job->src, &src_cap, &src_wce,
	    &src_wp)) != 0 ||
	    (asc = xcopy_lun_ready(job->dst, &dst_cap, &dst_wce,
	    &dst_wp)) != 0) {
		xcopy_abort_sense(task, asc, job->cur);
		return -1;
	}
	sbs = job->src->block_size;
	dbs = job->dst->block_size;
	/* SPC-4 "Block device to block device operations": the BLOCK
	 * DEVICE NUMBER OF BLOCKS counts destination blocks with DC set,
	 * source blocks otherwise; a count that is not whole blocks on both
	 * sides (the CAT residue cases) we do not copy. */
	job->bytes = nblk * ((s[1] & SEG_DC) ? dbs : sbs);
	if (job->bytes % sbs != 0 || job->bytes % dbs != 0) {
		xcopy_abort_sense(task, ASC_NO_ADDITIONAL_SENSE, job->cur);
		return -1;
	}
	/* A range past either end of medium: nothing of the segment is
	 * copied (written not to overflow). */
	if (src_lba > src_cap || job->bytes / sbs > src_cap - src_lba ||
	    dst_lba > dst_cap || job->bytes / dbs > dst_cap - dst_lba) {
		xcopy_abort_sense(task, ASC_NO_ADDITIONAL_SENSE, job->cur);
		return -1;
	}
	if (dst_wp) {
		xcopy_abort_sense(task, ASC_WRITE_PROTECTED, job->cur);
		return -1;
	}
	job->src_byte = src_lba * sbs;
	job->dst_byte = dst_lba * dbs;
	job->done = 0;
	job->fua = !dst_wce;
	/* Within one LUN, a destination that starts inside the source
	 * range would overwrite blocks not read yet: copy from the end. */
	job->backward = job->src == job->dst &&
	    job->dst_byte > job->src_byte &&
	    job->dst_byte < job->src_byte + job->bytes;
	return 0;
}

/* Copies the next chunk of the current segment, moves on to the next
 * segment, or ends the command. */
static void
xcopy_next_chunk(struct xcopy_job *job)
{
	uint32_t sbs;
	uint64_t left, pos;

	while (!job->active || job->done == job->bytes) {
		if (job->active) {
			/* segment cur is done */
			job->seg_off += SEG_HDR_LEN +
			    get_be16(&job->segs[job->seg_off + SEG_LEN]);
			job->cur++;
			job->active = 0;
		}
		if (job->cur == job->nseg || xcopy_segment_setup(job) != 0) {
			xcopy_finish(job);
			return;
		}
		job->active = 1;
	}
	left = job->bytes - job->done;
	job->chunk = left < MINISAN_XCOPY_CHUNK_BYTES ? (size_t)left :
	    MINISAN_XCOPY_CHUNK_BYTES;
	pos = job->backward ? left - job->chunk : job->done;
	job->chunk_src = job->src_byte + pos;
	job->chunk_dst = job->dst_byte + pos;
	sbs = job->src->block_size;
	job->locked = job->src;
	if (lba_lock_acquire(&job->src->ranges, &job->lock,
	    job->chunk_src / sbs, job->chunk / sbs, LBA_LOCK_SHARED,
	    xcopy_read_granted, job))
		xcopy_read_granted(job);
}

uint64_t
xcopy_out_len(const struct scsi_lun *lu, const uint8_t *cdb)
{
	(void)lu;
	return get_be32(&cdb[XC_CDB_PLL]);
}

/* The LUN of task's target whose NAA designator is the 8 bytes at d. */
static struct scsi_lun *
xcopy_find_lun(const struct scsi_task *task, const uint8_t *d)
{
	const struct scsi_target *tgt = task->target;
	uint64_t naa = get_be64(d);

	if (tgt == NULL || tgt->luns == NULL)
		return NULL;
	for (uint32_t i = 0; i < tgt->nluns; i++)
		if (tgt->luns[i] != NULL && tgt->luns[i]->naa_id == naa)
			return tgt->luns[i];
	return NULL;
}

/* Parses the CSCD descriptor list (list, len bytes, at parameter list
 * offset XC_HDR_LEN) into job->cscd. Returns 0, or -1 with sense set. */
static int
xcopy_parse_cscds(struct scsi_task *task, struct xcopy_job *job,
    const uint8_t *list, uint32_t len)
{
	/* SPC-4 "CSCD descriptors": "If the number of CSCD descriptors
	 * exceeds the allowed number, then the copy manager shall terminate
	 * the command with ... TOO MANY TARGET DESCRIPTORS." */
	if (len / CSCD_DESC_LEN > MINISAN_XCOPY_MAX_CSCD) {
		sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_TOO_MANY_TARGET_DESCRIPTORS);
		return -1;
	}
	for (uint32_t off = 0; off < len; off += CSCD_DESC_LEN) {
		const uint8_t *c = list + off;
		uint16_t at = (uint16_t)(XC_HDR_LEN + off);
		struct scsi_lun *lu = NULL;
		uint8_t desig_len;

		/* "If the copy manager does not support a CSCD descriptor
		 * type code, ... UNSUPPORTED TARGET DESCRIPTOR TYPE CODE."
		 * We have the identification descriptor only. */
		if (c[0] != CSCD_TYPE_IDENT) {
			sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
			    ASC_UNSUPPORTED_TARGET_DESCRIPTOR);
			return -1;
		}
		if (off + CSCD_DESC_LEN > len) {
			sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
			    ASC_PARAMETER_LIST_LENGTH_ERROR);
			return -1;
		}
		/* Block devices only (PERIPHERAL DEVICE TYPE 00h). The LU ID
		 * TYPE and NUL fields of SPC-3 are ignored, as SPC-4 says. */
		if ((c[1] & CSCD_DEVTYPE_MASK) != SCSI_TYPE_DISK) {
			sense_set_field(task,
			    ASC_INVALID_FIELD_IN_PARAM_LIST, 0,
			    (uint16_t)(at + 1), 4);
			return -1;
		}
		desig_len = c[CSCD_DESIG + 3];
		if (desig_len > CSCD_DESIG_MAX) {
			sense_set_field(task,
			    ASC_INVALID_FIELD_IN_PARAM_LIST, 0,
			    (uint16_t)(at + CSCD_DESIG + 3), -1);
			return -1;
		}
		/* Our logical units are named by their NAA designator (VPD
		 * page 83h); a CSCD naming anything else is a copy target we
		 * cannot reach, which only matters if a segment uses it. */
		if ((c[CSCD_DESIG + 1] & DESIG_TYPE_MASK) == DESIG_TYPE_NAA &&
		    ((c[CSCD_DESIG + 1] >> DESIG_ASSOC_SHIFT) &
		    DESIG_ASSOC_MASK) == DESIG_ASSOC_LU &&
		    desig_len == DESIG_NAA_LEN)
			lu = xcopy_find_lun(task, &c[CSCD_DESIG + 4]);
		/* "DISK BLOCK LENGTH field ... the number of bytes in a disk
		 * block for the logical unit being addressed". */
		if (lu != NULL &&
		    get_be24(&c[CSCD_DISK_BLOCK_LEN]) != lu->block_size) {
			sense_set_field(task,
			    ASC_INVALID_FIELD_IN_PARAM_LIST, 0,
			    (uint16_t)(at + CSCD_DISK_BLOCK_LEN), -1);
			return -1;
		}
		/* A LUN other than the command's own is held for the job,
		 * so that it keeps its store if it is removed meanwhile. */
		if (lu != NULL && lu != task->lu)
			__atomic_fetch_add(&lu->busy, 1, __ATOMIC_ACQUIRE);
		job->cscd[job->ncscd++].lu = lu;
	}
	return 0;
}

/* Frees job, letting go of the LUNs xcopy_parse_cscds() held. */
static void
xcopy_job_free(struct xcopy_job *job)
{
	for (uint32_t i = 0; i < job->ncscd; i++) {
		struct scsi_lun *lu = job->cscd[i].lu;

		if (lu != NULL && lu != job->task->lu)
			__atomic_fetch_sub(&lu->busy, 1, __ATOMIC_RELEASE);
	}
	free(job->buf);
	free(job);
}

/* Checks the segment descriptor list: count, lengths, types. Returns 0,
 * or -1 with sense set. */
static int
xcopy_parse_segments(struct scsi_task *task, struct xcopy_job *job,
    const uint8_t *list, uint32_t len, uint32_t list_at)
{
	uint32_t off, n = 0;

	for (off = 0; off < len; n++) {
		/* "If the number of segment descriptors exceeds the allowed
		 * number, ... TOO MANY SEGMENT DESCRIPTORS." */
		if (n == MINISAN_XCOPY_MAX_SEGMENTS) {
			sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
			    ASC_TOO_MANY_SEGMENT_DESCRIPTORS);
			return -1;
		}
		if (off + SEG_HDR_LEN > len || off + SEG_HDR_LEN +
		    get_be16(&list[off + SEG_LEN]) > len) {
			sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
			    ASC_PARAMETER_LIST_LENGTH_ERROR);
			return -1;
		}
		off += SEG_HDR_LEN + get_be16(&list[off + SEG_LEN]);
	}
	for (off = 0; off < len;
	    off += SEG_HDR_LEN + get_be16(&list[off + SEG_LEN])) {
		/* "If the copy manager does not support a segment descriptor
		 * type code, ... UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE."
		 * We copy between block devices only. */
		if (list[off] != SEG_TYPE_B2B) {
			sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
			    ASC_UNSUPPORTED_SEGMENT_DESCRIPTOR);
			return -1;
		}
		if (get_be16(&list[off + SEG_LEN]) != SEG_B2B_DESC_LEN) {
			sense_set_field(task,
			    ASC_INVALID_FIELD_IN_PARAM_LIST, 0,
			    (uint16_t)(list_at + off + SEG_LEN), -1);
			return -1;
		}
	}
	job->segs = list;
	job->seg_len = len;
	job->nseg = (uint16_t)n;
	return 0;
}

/* SPC-4 "EXTENDED COPY (LID1) command" */
enum scsi_cmd_result
xcopy_extended_copy(struct scsi_task *task)
{
	struct scsi_lun *lu = task->lu;
	uint32_t pll = get_be32(&task->cdb[XC_CDB_PLL]);
	const uint8_t *p = task->data_out;
	uint32_t cscd_len, seg_len, inline_len;
	uint8_t list_id, usage;
	struct xcopy_job *job;
	struct xcopy_held *h = NULL;

	/* "A PARAMETER LIST LENGTH field set to zero specifies that no data
	 * shall be transferred. This shall not be considered an error." */
	if (pll == 0)
		return SCSI_CMD_COMPLETE;
	/* A parameter list shorter than its header, than the lengths in the
	 * header say, or than the initiator sent, is PARAMETER LIST LENGTH
	 * ERROR. */
	if (pll < XC_HDR_LEN || task->data_out_len < pll) {
		sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_PARAMETER_LIST_LENGTH_ERROR);
		return SCSI_CMD_COMPLETE;
	}
	list_id = p[XC_LIST_ID];
	usage = (p[XC_FLAGS] >> XC_USAGE_SHIFT) & XC_USAGE_MASK;
	cscd_len = get_be16(&p[XC_CSCD_LIST_LEN]);
	seg_len = get_be32(&p[XC_SEG_LIST_LEN]);
	inline_len = get_be32(&p[XC_INLINE_LEN]);
	/* "If the sum of the CSCD DESCRIPTOR LIST LENGTH and SEGMENT
	 * DESCRIPTOR LIST LENGTH exceeds the MAXIMUM DESCRIPTOR LIST LENGTH
	 * ..., PARAMETER LIST LENGTH ERROR." */
	if ((uint64_t)cscd_len + seg_len > MINISAN_XCOPY_MAX_DESC_LIST ||
	    (uint64_t)XC_HDR_LEN + cscd_len + seg_len + inline_len > pll) {
		sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_PARAMETER_LIST_LENGTH_ERROR);
		return SCSI_CMD_COMPLETE;
	}
	/* We report a MAXIMUM INLINE DATA LENGTH of 0. */
	if (inline_len != 0) {
		sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST, 0,
		    XC_INLINE_LEN, -1);
		return SCSI_CMD_COMPLETE;
	}
	/* SPC-4 "LIST ID USAGE field": 01b is reserved; with 11b (no list
	 * identifier, allowed as we report SNLID) the LIST IDENTIFIER must
	 * be zero. */
	if (usage == XC_USAGE_RESERVED) {
		sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST, 0,
		    XC_FLAGS, 4);
		return SCSI_CMD_COMPLETE;
	}
	if (usage == XC_USAGE_NO_LIST_ID && list_id != 0) {
		sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST, 0,
		    XC_LIST_ID, -1);
		return SCSI_CMD_COMPLETE;
	}
	job = xcalloc(1, sizeof(*job));
	job->task = task;
	if (xcopy_parse_cscds(task, job, p + XC_HDR_LEN, cscd_len) != 0 ||
	    xcopy_parse_segments(task, job, p + XC_HDR_LEN + cscd_len,
	    seg_len, XC_HDR_LEN + cscd_len) != 0) {
		xcopy_job_free(job);
		return SCSI_CMD_COMPLETE;
	}
	if (usage == XC_USAGE_HOLD) {
		pthread_mutex_lock(&lu->lock);
		h = xcopy_held_find(lu, xcopy_port(task), list_id);
		if (h != NULL && h->running) {
			/* "If the LIST IDENTIFIER field matches that of an
			 * EXTENDED COPY command still being processed ...,
			 * OPERATION IN PROGRESS." */
			sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
			    ASC_OPERATION_IN_PROGRESS);
			h = NULL;
		} else if ((h = xcopy_held_new(lu, xcopy_port(task),
		    list_id)) == NULL) {
			sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
			    ASC_INSUFFICIENT_RESOURCES);
		}
		pthread_mutex_unlock(&lu->lock);
		if (h == NULL) {
			xcopy_job_free(job);
			return SCSI_CMD_COMPLETE;
		}
	}
	job->held = h;
	if (job->nseg > 0)
		job->buf = xmalloc(MINISAN_XCOPY_CHUNK_BYTES);
	xcopy_next_chunk(job);
	return SCSI_CMD_PENDING;
}

/* SPC-4 "COPY STATUS service action": TRANSFER COUNT in the smallest unit
 * (bytes, KiB, MiB, ...) that fits in 32 bits. */
static void
xcopy_put_transfer_count(uint8_t *out, uint64_t bytes)
{
	uint8_t units = 0;

	while (bytes > UINT32_MAX && units < CS_UNITS_MAX) {
		bytes >>= 10;
		units++;
	}
	out[7] = units;
	put_be32(&out[8], (uint32_t)bytes);
}

static enum scsi_cmd_result
xcopy_copy_status(struct scsi_task *task, uint32_t alloc)
{
	struct scsi_lun *lu = task->lu;
	uint8_t list_id = task->cdb[2];
	struct xcopy_held *h;
	uint8_t buf[CS_LEN];

	memset(buf, 0, sizeof(buf));
	pthread_mutex_lock(&lu->lock);
	h = xcopy_held_find(lu, xcopy_port(task), list_id);
	if (h != NULL) {
		/* AVAILABLE DATA, COPY MANAGER STATUS (HDD 0: no held data),
		 * SEGMENTS PROCESSED, TRANSFER COUNT */
		put_be32(buf, CS_LEN - 4);
		buf[4] = h->status;
		put_be16(&buf[5], h->segments);
		xcopy_put_transfer_count(buf, h->bytes);
		/* Once the end of a copy has been reported, the copy
		 * manager need not hold its status any longer. */
		if (!h->running)
			xcopy_held_unlink(lu, h);
	}
	pthread_mutex_unlock(&lu->lock);
	/* "If the LIST IDENTIFIER field does not match a copy operation
	 * ..., INVALID FIELD IN CDB." */
	if (h == NULL) {
		sense_invalid_cdb(task, 2, -1);
		return SCSI_CMD_COMPLETE;
	}
	memcpy(scsi_data_in_alloc(task, CS_LEN, alloc), buf, CS_LEN);
	return SCSI_CMD_COMPLETE;
}

/* log2 of a power of two */
static uint8_t
xcopy_log2(uint32_t v)
{
	uint8_t n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

/* The longest segment we copy: 65535 blocks (the 16-bit BLOCK DEVICE
 * NUMBER OF BLOCKS field) of this LUN. */
static uint32_t
xcopy_max_segment_bytes(const struct scsi_lun *lu)
{
	return UINT16_MAX * lu->block_size;
}

static enum scsi_cmd_result
xcopy_operating_parameters(struct scsi_task *task, uint32_t alloc)
{
	uint8_t *out = scsi_data_in_alloc(task, OP_LEN, alloc);

	/* SPC-4 "OPERATING PARAMETERS service action" */
	put_be32(out, OP_LEN - 4);
	out[4] = OP_SNLID;
	put_be16(&out[8], MINISAN_XCOPY_MAX_CSCD);
	put_be16(&out[10], MINISAN_XCOPY_MAX_SEGMENTS);
	put_be32(&out[12], MINISAN_XCOPY_MAX_DESC_LIST);
	put_be32(&out[16], xcopy_max_segment_bytes(task->lu));
	/* No inline data, held data or stream devices (bytes 20-31 0). */
	put_be16(&out[34], MINISAN_XCOPY_MAX_HELD); /* TOTAL CONCURRENT */
	out[36] = MINISAN_XCOPY_MAX_HELD;            /* MAXIMUM CONCURRENT */
	out[37] = xcopy_log2(task->lu->block_size);  /* DATA SEGMENT GRAN. */
	/* IMPLEMENTED DESCRIPTOR LIST: block to block, identification. */
	out[43] = 2;
	out[44] = SEG_TYPE_B2B;
	out[45] = CSCD_TYPE_IDENT;
	return SCSI_CMD_COMPLETE;
}

/* SPC-4 "RECEIVE COPY RESULTS command" */
enum scsi_cmd_result
xcopy_receive_copy_results(struct scsi_task *task)
{
	uint32_t alloc = get_be32(&task->cdb[10]);

	if ((task->cdb[1] & SCSI_SA_MASK) == XCOPY_RCR_COPY_STATUS)
		return xcopy_copy_status(task, alloc);
	return xcopy_operating_parameters(task, alloc);
}

/* Appends one third-party copy descriptor header; returns its body. */
static uint8_t *
xcopy_tpc_desc(uint8_t *p, uint16_t type, uint16_t len)
{
	put_be16(p, type);
	put_be16(&p[2], len);
	return p + 4;
}

uint32_t
xcopy_vpd_page(const struct scsi_task *task, uint8_t *buf)
{
	static const uint8_t commands[] = {
		/* operation code, service action list length, actions */
		SCSI_OP_EXTENDED_COPY, 1, XCOPY_SA_LID1,
		SCSI_OP_RECEIVE_COPY_RESULTS, 2, XCOPY_RCR_COPY_STATUS,
		XCOPY_RCR_OPERATING_PARAMETERS,
	};
	uint8_t *p = buf + 4, *d;

	/* SPC-4 "Third-party Copy VPD page": every descriptor is padded to
	 * a multiple of four bytes. Supported Commands: */
	d = xcopy_tpc_desc(p, TPC_SUPPORTED_COMMANDS, 8);
	memset(d, 0, 8);
	d[0] = sizeof(commands);
	memcpy(&d[1], commands, sizeof(commands));
	p = d + 8;
	/* Parameter Data: the EXTENDED COPY (LID1) limits. */
	d = xcopy_tpc_desc(p, TPC_PARAMETER_DATA, 0x1c);
	memset(d, 0, 0x1c);
	put_be16(&d[4], MINISAN_XCOPY_MAX_CSCD);
	put_be16(&d[6], MINISAN_XCOPY_MAX_SEGMENTS);
	put_be32(&d[8], MINISAN_XCOPY_MAX_DESC_LIST);
	put_be32(&d[12], 0); /* MAXIMUM INLINE DATA LENGTH */
	p = d + 0x1c;
	/* Supported Descriptors: block to block, identification CSCD. */
	d = xcopy_tpc_desc(p, TPC_SUPPORTED_DESCRIPTORS, 4);
	d[0] = 2;
	d[1] = SEG_TYPE_B2B;
	d[2] = CSCD_TYPE_IDENT;
	d[3] = 0;
	p = d + 4;
	/* Supported CSCD Descriptor IDs: none (we have no LID4). */
	d = xcopy_tpc_desc(p, TPC_SUPPORTED_CSCD_IDS, 4);
	memset(d, 0, 4);
	p = d + 4;
	/* General Copy Operations */
	d = xcopy_tpc_desc(p, TPC_GENERAL_COPY_OPS, 0x20);
	memset(d, 0, 0x20);
	put_be32(&d[0], MINISAN_XCOPY_MAX_HELD); /* TOTAL CONCURRENT */
	put_be32(&d[4], MINISAN_XCOPY_MAX_HELD); /* MAX IDENTIFIED */
	put_be32(&d[8], xcopy_max_segment_bytes(task->lu));
	d[12] = xcopy_log2(task->lu->block_size); /* DATA SEGMENT GRAN. */
	d[13] = 0;                                /* INLINE DATA GRAN. */
	p = d + 0x20;
	return (uint32_t)(p - buf);
}

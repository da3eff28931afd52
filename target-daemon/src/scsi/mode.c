/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the mode parameters of a disk: the caching, control
 * and informational exceptions pages, MODE SENSE (current, changeable and
 * default values; no saved values) and MODE SELECT (only WCE and SWP
 * change). */
#include "scsi/mode.h"

#include <string.h>

#include "scsi/sense.h"
#include "scsi/ua.h"
#include "util/be.h"

/* SPC-4 "MODE SENSE(6) command": PAGE CONTROL field values. */
enum mode_pc {
	MODE_PC_CURRENT = 0,
	MODE_PC_CHANGEABLE = 1,
	MODE_PC_DEFAULT = 2,
	MODE_PC_SAVED = 3,
};

#define MODE_CDB_DBD 0x08
#define MODE_CDB_LLBAA 0x10
#define MODE_CDB_SP 0x01
#define MODE_SUBPAGE_ALL 0xff
#define MODE_PAGE_SPF 0x40
#define MODE_HDR6_LEN 4u
#define MODE_HDR10_LEN 8u
#define MODE_HDR10_LONGLBA 0x01
#define MODE_BD_SHORT_LEN 8u
#define MODE_BD_LONG_LEN 16u
#define MODE_PAGE_MAX 20u
/* Header, long block descriptor and every page. */
#define MODE_SENSE_MAX (MODE_HDR10_LEN + MODE_BD_LONG_LEN + 3 * MODE_PAGE_MAX)

/* SPC-4 "Control mode page" byte values */
#define CONTROL_GLTSD 0x02      /* byte 2: no implicit log saving */
#define CONTROL_QAM_UNRESTRICTED 0x10 /* byte 3: reordering allowed */
#define CONTROL_SWP 0x08        /* byte 4: software write protect */
/* SPC-4 "Informational Exceptions Control mode page": DEXCPT in byte 2 */
#define IEC_DEXCPT 0x08

struct mode_page {
	enum mode_page_code code;
	uint8_t len; /* whole page, PAGE LENGTH + 2 */
	/* Fills page (len bytes, zeroed) for page control pc; wce and swp
	 * are the current WCE and SWP bits. */
	void (*fill)(uint8_t *page, enum mode_pc pc, int wce, int swp);
};

static void
mode_fill_caching(uint8_t *p, enum mode_pc pc, int wce, int swp)
{
	(void)swp;
	/* SBC-3 "Caching mode page": writes go to the page cache, so WCE is
	 * 1 unless an initiator turns it off; then every write is FUA.
	 * WCE is the only field that MODE SELECT may change. */
	switch (pc) {
	case MODE_PC_CURRENT:
		p[2] = wce ? MODE_CACHING_WCE : 0;
		break;
	case MODE_PC_CHANGEABLE:
	case MODE_PC_DEFAULT:
	case MODE_PC_SAVED:
		p[2] = MODE_CACHING_WCE;
		break;
	}
}

static void
mode_fill_control(uint8_t *p, enum mode_pc pc, int wce, int swp)
{
	(void)wce;
	/* SPC-4 "Control mode page": TST 000b, D_SENSE 0 (fixed format
	 * sense), QERR 00b, TAS 0. Only SWP is changeable: "A software
	 * write protect (SWP) bit set to one specifies that the logical
	 * unit shall inhibit writing to the medium" (medium.c). */
	if (pc == MODE_PC_CHANGEABLE) {
		p[4] = CONTROL_SWP;
		return;
	}
	p[2] = CONTROL_GLTSD;
	p[3] = CONTROL_QAM_UNRESTRICTED;
	if (pc == MODE_PC_CURRENT && swp)
		p[4] = CONTROL_SWP;
}

static void
mode_fill_iec(uint8_t *p, enum mode_pc pc, int wce, int swp)
{
	(void)wce;
	(void)swp;
	/* SPC-4 "Informational Exceptions Control mode page": we have no
	 * failure prediction, so exceptions are disabled. */
	if (pc != MODE_PC_CHANGEABLE)
		p[2] = IEC_DEXCPT;
}

/* Ascending page code order, which is how page 3Fh returns them. */
static const struct mode_page mode_pages[] = {
	{ MODE_PAGE_CACHING, 20, mode_fill_caching },
	{ MODE_PAGE_CONTROL, 12, mode_fill_control },
	{ MODE_PAGE_INFO_EXCEPTIONS, 12, mode_fill_iec },
};

#define MODE_NPAGES (sizeof(mode_pages) / sizeof(mode_pages[0]))

static const struct mode_page *
mode_page_find(uint8_t code)
{
	for (size_t i = 0; i < MODE_NPAGES; i++)
		if (mode_pages[i].code == code)
			return &mode_pages[i];
	return NULL;
}

/* Appends page m for pc at p; returns its length. */
static uint32_t
mode_page_put(uint8_t *p, const struct mode_page *m, enum mode_pc pc,
    int wce, int swp)
{
	memset(p, 0, m->len);
	p[0] = (uint8_t)m->code;
	p[1] = (uint8_t)(m->len - 2);
	m->fill(p, pc, wce, swp);
	return m->len;
}

/* Appends the mode parameter block descriptor (SBC-3 "Mode parameter
 * block descriptors"): changeable values are all zero, since neither the
 * block size nor the capacity can be changed. */
static uint32_t
mode_bd_put(uint8_t *p, const struct scsi_task *task, int longlba,
    enum mode_pc pc)
{
	uint64_t nblocks = pc == MODE_PC_CHANGEABLE ? 0 : task->lu_nblocks;
	uint32_t bsz = pc == MODE_PC_CHANGEABLE ? 0 : task->lu->block_size;

	if (longlba) {
		memset(p, 0, MODE_BD_LONG_LEN);
		put_be64(p, nblocks);
		put_be32(&p[12], bsz);
		return MODE_BD_LONG_LEN;
	}
	memset(p, 0, MODE_BD_SHORT_LEN);
	/* "If the number of logical blocks on the medium exceeds the
	 * maximum value that is able to be specified in the NUMBER OF
	 * LOGICAL BLOCKS field, the device server shall return a value of
	 * FFFFFFFFh." */
	put_be32(p, nblocks > UINT32_MAX ? UINT32_MAX : (uint32_t)nblocks);
	put_be24(&p[5], bsz);
	return MODE_BD_SHORT_LEN;
}

/* SPC-4 "MODE SENSE(6) command" and "MODE SENSE(10) command" */
enum scsi_cmd_result
mode_sense(struct scsi_task *task)
{
	const uint8_t *cdb = task->cdb;
	int is10 = cdb[0] == SCSI_OP_MODE_SENSE_10;
	int dbd = cdb[1] & MODE_CDB_DBD;
	int longlba = is10 && (cdb[1] & MODE_CDB_LLBAA);
	enum mode_pc pc = (enum mode_pc)(cdb[2] >> 6);
	uint8_t code = cdb[2] & 0x3f, subpage = cdb[3];
	uint32_t alloc = is10 ? get_be16(&cdb[7]) : cdb[4];
	uint32_t hdr = is10 ? MODE_HDR10_LEN : MODE_HDR6_LEN, len, bd_len;
	uint8_t buf[MODE_SENSE_MAX], dsp;
	const struct mode_page *m = NULL;
	int swp;

	if (pc == MODE_PC_SAVED) {
		sense_set_field(task, ASC_SAVING_PARAMS_NOT_SUPPORTED, 1, 2, 7);
		return SCSI_CMD_COMPLETE;
	}
	if (code != MODE_PAGE_ALL && (m = mode_page_find(code)) == NULL) {
		sense_invalid_cdb(task, 2, 5);
		return SCSI_CMD_COMPLETE;
	}
	/* We have no subpages: 00h is the page itself and FFh ("all
	 * subpages") returns the same. */
	if (subpage != 0 && subpage != MODE_SUBPAGE_ALL) {
		sense_invalid_cdb(task, 3, -1);
		return SCSI_CMD_COMPLETE;
	}

	pthread_mutex_lock(&task->lu->lock);
	swp = task->lu->swp;
	pthread_mutex_unlock(&task->lu->lock);
	memset(buf, 0, hdr);
	bd_len = dbd ? 0 : mode_bd_put(&buf[hdr], task, longlba, pc);
	len = hdr + bd_len;
	for (size_t i = 0; i < MODE_NPAGES; i++)
		if (m == NULL || m == &mode_pages[i])
			len += mode_page_put(&buf[len], &mode_pages[i], pc,
			    task->lu_wce, swp);

	/* SBC-3: WP for a write protected medium (read-only or SWP);
	 * DPOFUA since we honour DPO and FUA in READ and WRITE. */
	dsp = MODE_DSP_DPOFUA |
	    (task->lu->readonly || swp ? MODE_DSP_WP : 0);
	if (is10) {
		put_be16(&buf[0], (uint16_t)(len - 2));
		buf[3] = dsp;
		buf[4] = bd_len == MODE_BD_LONG_LEN ? MODE_HDR10_LONGLBA : 0;
		put_be16(&buf[6], (uint16_t)bd_len);
	} else {
		buf[0] = (uint8_t)(len - 1);
		buf[2] = dsp;
		buf[3] = (uint8_t)bd_len;
	}
	memcpy(scsi_data_in_alloc(task, len, alloc), buf, len);
	return SCSI_CMD_COMPLETE;
}

uint64_t
mode_select_out_len(const struct scsi_lun *lu, const uint8_t *cdb)
{
	(void)lu;
	return cdb[0] == SCSI_OP_MODE_SELECT_10 ? get_be16(&cdb[7]) : cdb[4];
}

/* Index of the most significant bit set in v (v != 0). */
static int
mode_top_bit(uint8_t v)
{
	int bit = 7;

	while (!(v & (1u << bit)))
		bit--;
	return bit;
}

/* Checks one page of a MODE SELECT parameter list at p (off: its offset
 * in the list, for the field pointer) against the current and changeable
 * values. Stores the WCE bit it asks for. Returns 0 or -1 with sense. */
static int
mode_select_page(struct scsi_task *task, const uint8_t *p, uint32_t off,
    const struct mode_page *m, int *wce, int *swp)
{
	uint8_t cur[MODE_PAGE_MAX], chg[MODE_PAGE_MAX], diff;

	mode_page_put(cur, m, MODE_PC_CURRENT, task->lu_wce, *swp);
	mode_page_put(chg, m, MODE_PC_CHANGEABLE, task->lu_wce, *swp);
	/* SPC-4 "MODE SELECT(6) command": a field that is not changeable
	 * must hold its current value, else INVALID FIELD IN PARAMETER LIST
	 * with the field pointer on the offending byte and bit. */
	for (uint32_t i = 2; i < m->len; i++) {
		diff = (uint8_t)((p[i] ^ cur[i]) & ~chg[i]);
		if (diff != 0) {
			sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST,
			    0, (uint16_t)(off + i), mode_top_bit(diff));
			return -1;
		}
	}
	if (m->code == MODE_PAGE_CACHING)
		*wce = !!(p[2] & MODE_CACHING_WCE);
	if (m->code == MODE_PAGE_CONTROL)
		*swp = !!(p[4] & CONTROL_SWP);
	return 0;
}

/* Checks the block descriptor: the block size and capacity are fixed, so
 * a descriptor may only restate them (or leave the count at 0). */
static int
mode_select_bd(struct scsi_task *task, const uint8_t *bd, uint32_t off,
    int longlba)
{
	uint64_t count = longlba ? get_be64(bd) : get_be32(bd);
	uint32_t bsz = longlba ? get_be32(&bd[12]) : get_be24(&bd[5]);
	uint64_t cap = task->lu_nblocks;

	if (!longlba && cap > UINT32_MAX)
		cap = UINT32_MAX;
	if (count != 0 && count != cap) {
		sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST, 0,
		    (uint16_t)off, -1);
		return -1;
	}
	if (bsz != task->lu->block_size) {
		sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST, 0,
		    (uint16_t)(off + (longlba ? 12 : 5)), -1);
		return -1;
	}
	return 0;
}

/* SPC-4 "MODE SELECT(6) command" and "MODE SELECT(10) command" */
enum scsi_cmd_result
mode_select(struct scsi_task *task)
{
	struct scsi_lun *lu = task->lu;
	const uint8_t *cdb = task->cdb, *p = task->data_out;
	int is10 = cdb[0] == SCSI_OP_MODE_SELECT_10;
	uint32_t plen = (uint32_t)mode_select_out_len(lu, cdb);
	uint32_t hdr = is10 ? MODE_HDR10_LEN : MODE_HDR6_LEN;
	uint32_t len, bd_len, off, bd_one;
	int longlba, wce = task->lu_wce, swp, cur_swp;
	const struct mode_page *m;
	const char *port;

	task->xfer_len = plen;
	/* We cannot save parameters: SP=1 is INVALID FIELD IN CDB. */
	if (cdb[1] & MODE_CDB_SP) {
		sense_invalid_cdb(task, 1, 0);
		return SCSI_CMD_COMPLETE;
	}
	if (plen == 0)
		return SCSI_CMD_COMPLETE;
	len = plen < task->data_out_len ? plen : task->data_out_len;
	if (len > task->edtl)
		len = task->edtl;
	if (len < plen || len < hdr) {
		sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_PARAMETER_LIST_LENGTH_ERROR);
		return SCSI_CMD_COMPLETE;
	}
	longlba = is10 && (p[4] & MODE_HDR10_LONGLBA);
	bd_one = longlba ? MODE_BD_LONG_LEN : MODE_BD_SHORT_LEN;
	bd_len = is10 ? get_be16(&p[6]) : p[3];
	if (bd_len != 0 && bd_len != bd_one) {
		sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST, 0,
		    is10 ? 6 : 3, -1);
		return SCSI_CMD_COMPLETE;
	}
	if (hdr + bd_len > len) {
		sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
		    ASC_PARAMETER_LIST_LENGTH_ERROR);
		return SCSI_CMD_COMPLETE;
	}
	if (bd_len != 0 && mode_select_bd(task, &p[hdr], hdr, longlba) != 0)
		return SCSI_CMD_COMPLETE;
	pthread_mutex_lock(&lu->lock);
	cur_swp = swp = lu->swp;
	pthread_mutex_unlock(&lu->lock);

	/* Validate every page before changing anything. */
	for (off = hdr + bd_len; off < len; off += m->len) {
		if (len - off < 2) {
			sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
			    ASC_PARAMETER_LIST_LENGTH_ERROR);
			return SCSI_CMD_COMPLETE;
		}
		/* PS is reserved in MODE SELECT: ignore it. We have no
		 * subpages, so SPF=1 names a page we do not have. */
		if ((p[off] & MODE_PAGE_SPF) ||
		    (m = mode_page_find(p[off] & 0x3f)) == NULL) {
			sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST,
			    0, (uint16_t)off, 5);
			return SCSI_CMD_COMPLETE;
		}
		if (p[off + 1] != m->len - 2) {
			sense_set_field(task, ASC_INVALID_FIELD_IN_PARAM_LIST,
			    0, (uint16_t)(off + 1), -1);
			return SCSI_CMD_COMPLETE;
		}
		if (len - off < m->len) {
			sense_set(task, SENSE_KEY_ILLEGAL_REQUEST,
			    ASC_PARAMETER_LIST_LENGTH_ERROR);
			return SCSI_CMD_COMPLETE;
		}
		if (mode_select_page(task, &p[off], off, m, &wce, &swp) != 0)
			return SCSI_CMD_COMPLETE;
	}

	/* SPC-4 "Mode parameters": a change made through one I_T nexus is
	 * a MODE PARAMETERS CHANGED unit attention for all the others. */
	port = scsi_task_port(task);
	pthread_mutex_lock(&lu->lock);
	if (lu->wce != wce || cur_swp != swp) {
		lu->wce = wce;
		lu->swp = swp;
		ua_post_all(&lu->nexuses, ASC_MODE_PARAMETERS_CHANGED,
		    port ? ua_nexus_find(&lu->nexuses, port) : NULL);
	}
	pthread_mutex_unlock(&lu->lock);
	return SCSI_CMD_COMPLETE;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements sense data: fixed format (SPC-4 4.5.3) for CHECK
 * CONDITION, and the conversion to descriptor format (4.5.2) that REQUEST
 * SENSE with DESC=1 asks for. */
#include "scsi/sense.h"

#include <stdlib.h>
#include <string.h>

#include "scsi/scsi.h"
#include "util/be.h"
#include "util/bufpool.h"

/* SPC-4 4.5.3: byte offsets of fixed-format sense data. */
#define FIXED_VALID 0x80
#define FIXED_INFO 3
#define FIXED_ADD_LEN 7
#define FIXED_ASC 12
#define FIXED_ASCQ 13
#define FIXED_SKS 15
#define FIXED_SKSV 0x80
#define SKS_CD 0x40
#define SKS_BPV 0x08

/* SPC-4 4.5.2.2 and 4.5.2.4: descriptor types. */
#define DESC_INFORMATION 0x00
#define DESC_SKS 0x02

void
sense_build_fixed(uint8_t *buf, enum sense_key key, enum sense_asc asc)
{
	memset(buf, 0, SENSE_FIXED_LEN);
	buf[0] = SENSE_RESPONSE_FIXED_CURRENT;
	buf[2] = (uint8_t)key;
	buf[FIXED_ADD_LEN] = SENSE_FIXED_LEN - 8;
	buf[FIXED_ASC] = SENSE_ASC(asc);
	buf[FIXED_ASCQ] = SENSE_ASCQ(asc);
}

void
scsi_task_set_sense(struct scsi_task *task, uint8_t key, uint8_t asc,
    uint8_t ascq)
{
	/* A failed command returns no data. */
	bufpool_put(task->data_in);
	task->data_in = NULL;
	task->data_in_len = 0;
	task->status = SCSI_STATUS_CHECK_CONDITION;
	sense_build_fixed(task->sense, (enum sense_key)key,
	    (enum sense_asc)(asc << 8 | ascq));
	task->sense_len = SENSE_FIXED_LEN;
}

void
sense_set(struct scsi_task *task, enum sense_key key, enum sense_asc asc)
{
	scsi_task_set_sense(task, (uint8_t)key, SENSE_ASC(asc),
	    SENSE_ASCQ(asc));
}

void
sense_set_field(struct scsi_task *task, enum sense_asc asc, int cd,
    uint16_t byte, int bit)
{
	uint8_t *sks = &task->sense[FIXED_SKS];

	sense_set(task, SENSE_KEY_ILLEGAL_REQUEST, asc);
	/* SPC-4 4.5.2.4.2: field pointer sense-key specific data */
	sks[0] = FIXED_SKSV | (cd ? SKS_CD : 0);
	if (bit >= 0)
		sks[0] |= SKS_BPV | (uint8_t)(bit & 7);
	put_be16(&sks[1], byte);
}

void
sense_invalid_cdb(struct scsi_task *task, uint16_t byte, int bit)
{
	sense_set_field(task, ASC_INVALID_FIELD_IN_CDB, 1, byte, bit);
}

void
sense_set_info(struct scsi_task *task, enum sense_key key,
    enum sense_asc asc, uint32_t info)
{
	sense_set(task, key, asc);
	task->sense[0] |= FIXED_VALID;
	put_be32(&task->sense[FIXED_INFO], info);
}

uint32_t
sense_fixed_to_desc(const uint8_t *fixed, uint8_t *out)
{
	uint32_t len = SENSE_DESC_HDR_LEN;

	memset(out, 0, SENSE_DESC_HDR_LEN);
	out[0] = SENSE_RESPONSE_DESC_CURRENT;
	out[1] = fixed[2] & 0x0f;
	out[2] = fixed[FIXED_ASC];
	out[3] = fixed[FIXED_ASCQ];
	if (fixed[0] & FIXED_VALID) {
		/* SPC-4 4.5.2.2: information descriptor */
		memset(&out[len], 0, 12);
		out[len] = DESC_INFORMATION;
		out[len + 1] = 0x0a;
		out[len + 2] = FIXED_VALID;
		put_be64(&out[len + 4], get_be32(&fixed[FIXED_INFO]));
		len += 12;
	}
	if (fixed[FIXED_SKS] & FIXED_SKSV) {
		/* SPC-4 4.5.2.4: sense key specific descriptor */
		memset(&out[len], 0, 8);
		out[len] = DESC_SKS;
		out[len + 1] = 0x06;
		memcpy(&out[len + 4], &fixed[FIXED_SKS], 3);
		len += 8;
	}
	out[7] = (uint8_t)(len - SENSE_DESC_HDR_LEN);
	return len;
}

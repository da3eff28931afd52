/* SPDX-License-Identifier: BSD-2-Clause */
/* iSCSI PDU layout (RFC7143 section 11): opcodes, Basic Header Segment field
 * offsets and accessors. Pure: no I/O. Fields are read and written through
 * the be*.h helpers on a 48-byte array; no bitfields, no packed structs. */
#ifndef MINISAN_ISCSI_PDU_H
#define MINISAN_ISCSI_PDU_H

#include <stddef.h>
#include <stdint.h>

#include "util/be.h"

#define ISCSI_BHS_LEN 48
#define ISCSI_DIGEST_LEN 4
#define ISCSI_RESERVED_TAG 0xffffffffu

/* RFC7143 11.1.1: initiator opcodes */
enum iscsi_init_op {
	ISCSI_OP_NOP_OUT = 0x00,
	ISCSI_OP_SCSI_CMD = 0x01,
	ISCSI_OP_TMF_REQ = 0x02,
	ISCSI_OP_LOGIN_REQ = 0x03,
	ISCSI_OP_TEXT_REQ = 0x04,
	ISCSI_OP_DATA_OUT = 0x05,
	ISCSI_OP_LOGOUT_REQ = 0x06,
	ISCSI_OP_SNACK_REQ = 0x10,
};

/* RFC7143 11.1.1: target opcodes */
enum iscsi_tgt_op {
	ISCSI_OP_NOP_IN = 0x20,
	ISCSI_OP_SCSI_RSP = 0x21,
	ISCSI_OP_TMF_RSP = 0x22,
	ISCSI_OP_LOGIN_RSP = 0x23,
	ISCSI_OP_TEXT_RSP = 0x24,
	ISCSI_OP_DATA_IN = 0x25,
	ISCSI_OP_LOGOUT_RSP = 0x26,
	ISCSI_OP_R2T = 0x31,
	ISCSI_OP_ASYNC_MSG = 0x32,
	ISCSI_OP_REJECT = 0x3f,
};

/* Byte 0 and byte 1 flags */
#define ISCSI_BHS_IMMEDIATE 0x40
#define ISCSI_BHS_OPCODE_MASK 0x3f
#define ISCSI_FLAG_FINAL 0x80
#define ISCSI_FLAG_CONTINUE 0x40     /* login/text C bit */
#define ISCSI_FLAG_TRANSIT 0x80      /* login T bit */
#define ISCSI_CMD_FLAG_READ 0x40
#define ISCSI_CMD_FLAG_WRITE 0x20
#define ISCSI_CMD_ATTR_MASK 0x07
#define ISCSI_DATAIN_ACK 0x40
#define ISCSI_FLAG_RES_BI_OVERFLOW 0x10
#define ISCSI_FLAG_RES_BI_UNDERFLOW 0x08
#define ISCSI_FLAG_RES_OVERFLOW 0x04
#define ISCSI_FLAG_RES_UNDERFLOW 0x02
#define ISCSI_DATAIN_STATUS 0x01

/* Common BHS offsets (RFC7143 11.2.1) */
#define BHS_OPCODE 0
#define BHS_FLAGS 1
#define BHS_AHS_LEN 4
#define BHS_DSL 5
#define BHS_LUN 8
#define BHS_ITT 16
#define BHS_TTT 20

/* SCSI Command (11.3) */
#define BHS_CMD_EDTL 20
#define BHS_CMD_CMDSN 24
#define BHS_CMD_EXPSTATSN 28
#define BHS_CMD_CDB 32
/* Responses carrying sequence numbers (11.4 and others) */
#define BHS_RSP_RESPONSE 2
#define BHS_RSP_STATUS 3
#define BHS_RSP_STATSN 24
#define BHS_RSP_EXPCMDSN 28
#define BHS_RSP_MAXCMDSN 32
#define BHS_RSP_EXPDATASN 36
#define BHS_RSP_BIRESIDUAL 40
#define BHS_RSP_RESIDUAL 44
/* Data-In / Data-Out / R2T (11.7, 11.8) */
#define BHS_DATA_DATASN 36
#define BHS_DATA_OFFSET 40
#define BHS_DATA_RESIDUAL 44
#define BHS_R2T_R2TSN 36
#define BHS_R2T_OFFSET 40
#define BHS_R2T_DDTL 44
/* Login (11.12, 11.13) */
#define BHS_LOGIN_VMAX 2
#define BHS_LOGIN_VMIN 3
#define BHS_LOGIN_ISID 8
#define BHS_LOGIN_TSIH 14
#define BHS_LOGIN_CID 20
#define BHS_LOGIN_STATUS_CLASS 36
#define BHS_LOGIN_STATUS_DETAIL 37
#define ISCSI_LOGIN_CSG(b) (((b) >> 2) & 3)
#define ISCSI_LOGIN_NSG(b) ((b) & 3)
/* Logout (11.14, 11.15) */
#define BHS_LOGOUT_CID 20
#define BHS_LOGOUT_TIME2WAIT 40
#define BHS_LOGOUT_TIME2RETAIN 42
/* Task management (11.5) */
#define BHS_TMF_REFTAG 20
#define BHS_TMF_REFCMDSN 32
/* Reject (11.17) */
#define BHS_REJECT_REASON 2
/* Async message (11.9) */
#define BHS_ASYNC_EVENT 36
#define BHS_ASYNC_VCODE 37
#define BHS_ASYNC_PARAM1 38
#define BHS_ASYNC_PARAM2 40
#define BHS_ASYNC_PARAM3 42

/* Login stages (11.12.3) */
enum iscsi_login_stage {
	ISCSI_STAGE_SECURITY = 0,
	ISCSI_STAGE_OPERATIONAL = 1,
	ISCSI_STAGE_FULL_FEATURE = 3,
};

/* Login status classes and details (11.13.5) */
#define LOGIN_STATUS_SUCCESS 0x0000
#define LOGIN_STATUS_TARGET_MOVED_TEMP 0x0101
#define LOGIN_STATUS_TARGET_MOVED_PERM 0x0102
#define LOGIN_STATUS_INITIATOR_ERROR 0x0200
#define LOGIN_STATUS_AUTH_FAILED 0x0201
#define LOGIN_STATUS_FORBIDDEN 0x0202
#define LOGIN_STATUS_NOT_FOUND 0x0203
#define LOGIN_STATUS_TARGET_REMOVED 0x0204
#define LOGIN_STATUS_UNSUPPORTED_VERSION 0x0205
#define LOGIN_STATUS_TOO_MANY_CONNECTIONS 0x0206
#define LOGIN_STATUS_MISSING_PARAMETER 0x0207
#define LOGIN_STATUS_CANT_INCLUDE_IN_SESSION 0x0208
#define LOGIN_STATUS_SESSION_TYPE_UNSUPPORTED 0x0209
#define LOGIN_STATUS_SESSION_DOES_NOT_EXIST 0x020a
#define LOGIN_STATUS_INVALID_DURING_LOGIN 0x020b
#define LOGIN_STATUS_TARGET_ERROR 0x0300
#define LOGIN_STATUS_SERVICE_UNAVAILABLE 0x0301
#define LOGIN_STATUS_OUT_OF_RESOURCES 0x0302

/* Reject reasons (11.17.1) */
enum iscsi_reject_reason {
	REJECT_DATA_DIGEST_ERROR = 0x02,
	REJECT_SNACK_REJECT = 0x03,
	REJECT_PROTOCOL_ERROR = 0x04,
	REJECT_COMMAND_NOT_SUPPORTED = 0x05,
	REJECT_IMMEDIATE_COMMAND = 0x06,
	REJECT_TASK_IN_PROGRESS = 0x07,
	REJECT_INVALID_DATA_ACK = 0x08,
	REJECT_INVALID_PDU_FIELD = 0x09,
	REJECT_LONG_OP = 0x0a,
	REJECT_WAITING_FOR_LOGOUT = 0x0c,
};

/* Task management functions and responses (11.5.1, 11.6.1) */
enum iscsi_tmf_function {
	TMF_ABORT_TASK = 1,
	TMF_ABORT_TASK_SET = 2,
	TMF_CLEAR_ACA = 3,
	TMF_CLEAR_TASK_SET = 4,
	TMF_LUN_RESET = 5,
	TMF_TARGET_WARM_RESET = 6,
	TMF_TARGET_COLD_RESET = 7,
	TMF_TASK_REASSIGN = 8,
};

enum iscsi_tmf_response {
	TMF_RSP_COMPLETE = 0,
	TMF_RSP_NO_TASK = 1,
	TMF_RSP_NO_LUN = 2,
	TMF_RSP_TASK_ALLEGIANT = 3,
	TMF_RSP_NO_REASSIGN = 4,
	TMF_RSP_NOT_SUPPORTED = 5,
	TMF_RSP_AUTH_FAILED = 6,
	TMF_RSP_REJECTED = 255,
};

/* Logout reasons and responses (11.14.1, 11.15.1) */
enum iscsi_logout_reason {
	LOGOUT_CLOSE_SESSION = 0,
	LOGOUT_CLOSE_CONNECTION = 1,
	LOGOUT_REMOVE_FOR_RECOVERY = 2,
};

enum iscsi_logout_response {
	LOGOUT_RSP_SUCCESS = 0,
	LOGOUT_RSP_CID_NOT_FOUND = 1,
	LOGOUT_RSP_RECOVERY_UNSUPPORTED = 2,
	LOGOUT_RSP_CLEANUP_FAILED = 3,
};

/* Async events (11.9.1) */
#define ASYNC_EVENT_LOGOUT_REQUEST 1
#define ASYNC_EVENT_DROP_CONNECTION 2
#define ASYNC_EVENT_DROP_ALL 3

static inline uint8_t
pdu_opcode(const uint8_t *bhs)
{
	return bhs[BHS_OPCODE] & ISCSI_BHS_OPCODE_MASK;
}

static inline int
pdu_is_immediate(const uint8_t *bhs)
{
	return (bhs[BHS_OPCODE] & ISCSI_BHS_IMMEDIATE) != 0;
}

static inline uint32_t
pdu_ahs_len(const uint8_t *bhs)
{
	return (uint32_t)bhs[BHS_AHS_LEN] * 4;
}

static inline uint32_t
pdu_dsl(const uint8_t *bhs)
{
	return get_be24(bhs + BHS_DSL);
}

static inline void
pdu_set_dsl(uint8_t *bhs, uint32_t len)
{
	put_be24(bhs + BHS_DSL, len);
}

static inline uint32_t
pdu_pad(uint32_t len)
{
	return (4 - (len & 3)) & 3;
}

/* SAM-5 4.7: decodes an 8-byte LUN field (peripheral and flat addressing)
 * into a LUN number; unsupported forms map to UINT64_MAX. */
uint64_t pdu_lun_decode(const uint8_t *lun);
/* Encodes a LUN number (< 16384) with peripheral/flat addressing. */
void pdu_lun_encode(uint8_t *lun, uint64_t n);

/* Name of an opcode for log messages ("SCSI Command", "unknown"). */
const char *pdu_opcode_name(uint8_t op);

/* Serial number arithmetic (RFC 1982, RFC7143 4.2.2.1) on 32-bit values. */
static inline int
sn_lt(uint32_t a, uint32_t b)
{
	return a != b && (int32_t)(a - b) < 0;
}

static inline int
sn_le(uint32_t a, uint32_t b)
{
	return a == b || (int32_t)(a - b) < 0;
}

#endif

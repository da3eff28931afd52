/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure PDU helpers: LUN field coding and opcode names. */
#include "iscsi/pdu.h"

uint64_t
pdu_lun_decode(const uint8_t *lun)
{
	/* SAM-5 4.7.2: address method in the top two bits of byte 0. */
	switch (lun[0] >> 6) {
	case 0: /* peripheral device addressing: bus 0 only */
		if ((lun[0] & 0x3f) != 0)
			return UINT64_MAX;
		return lun[1];
	case 1: /* flat space addressing */
		return (uint64_t)(lun[0] & 0x3f) << 8 | lun[1];
	default:
		return UINT64_MAX;
	}
}

void
pdu_lun_encode(uint8_t *lun, uint64_t n)
{
	for (int i = 0; i < 8; i++)
		lun[i] = 0;
	if (n < 256) {
		lun[1] = (uint8_t)n;
	} else {
		lun[0] = (uint8_t)(0x40 | ((n >> 8) & 0x3f));
		lun[1] = (uint8_t)n;
	}
}

const char *
pdu_opcode_name(uint8_t op)
{
	switch (op) {
	case ISCSI_OP_NOP_OUT: return "NOP-Out";
	case ISCSI_OP_SCSI_CMD: return "SCSI Command";
	case ISCSI_OP_TMF_REQ: return "Task Management Request";
	case ISCSI_OP_LOGIN_REQ: return "Login Request";
	case ISCSI_OP_TEXT_REQ: return "Text Request";
	case ISCSI_OP_DATA_OUT: return "Data-Out";
	case ISCSI_OP_LOGOUT_REQ: return "Logout Request";
	case ISCSI_OP_SNACK_REQ: return "SNACK";
	default: return "unknown";
	}
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the pure PDU helpers: LUN coding, BHS accessors and
 * serial number arithmetic. */
#include "iscsi/pdu.h"

#include <stdint.h>
#include <string.h>

#include "harness.h"

TEST(lun_peripheral_roundtrip)
{
	uint8_t lun[8];

	for (uint64_t n = 0; n < 256; n++) {
		pdu_lun_encode(lun, n);
		CHECK_EQ_INT(lun[0], 0);
		CHECK_EQ_INT(lun[1], n);
		CHECK_EQ_INT(pdu_lun_decode(lun), n);
	}
}

TEST(lun_flat_roundtrip)
{
	uint8_t lun[8];

	pdu_lun_encode(lun, 300);
	CHECK_EQ_INT(lun[0], 0x41);
	CHECK_EQ_INT(lun[1], 0x2c);
	CHECK_EQ_INT(pdu_lun_decode(lun), 300);
	pdu_lun_encode(lun, 16383);
	CHECK_EQ_INT(pdu_lun_decode(lun), 16383);
}

TEST(lun_unsupported_forms)
{
	uint8_t lun[8] = { 0 };

	lun[0] = 0x80; /* logical unit addressing */
	CHECK(pdu_lun_decode(lun) == UINT64_MAX);
	lun[0] = 0x05; /* peripheral addressing on bus 5 */
	CHECK(pdu_lun_decode(lun) == UINT64_MAX);
}

TEST(bhs_accessors)
{
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };

	bhs[0] = ISCSI_BHS_IMMEDIATE | ISCSI_OP_SCSI_CMD;
	bhs[BHS_AHS_LEN] = 3;
	pdu_set_dsl(bhs, 0x123456);
	CHECK_EQ_INT(pdu_opcode(bhs), ISCSI_OP_SCSI_CMD);
	CHECK(pdu_is_immediate(bhs));
	CHECK_EQ_INT(pdu_ahs_len(bhs), 12);
	CHECK_EQ_INT(pdu_dsl(bhs), 0x123456);
	CHECK_EQ_INT(bhs[5], 0x12);
	CHECK_EQ_INT(bhs[7], 0x56);
}

TEST(padding)
{
	CHECK_EQ_INT(pdu_pad(0), 0);
	CHECK_EQ_INT(pdu_pad(1), 3);
	CHECK_EQ_INT(pdu_pad(2), 2);
	CHECK_EQ_INT(pdu_pad(3), 1);
	CHECK_EQ_INT(pdu_pad(4), 0);
	CHECK_EQ_INT(pdu_pad(8193), 3);
}

TEST(serial_arithmetic)
{
	CHECK(sn_lt(1, 2));
	CHECK(!sn_lt(2, 2));
	CHECK(sn_le(2, 2));
	CHECK(sn_lt(0xfffffffeu, 1)); /* wraps */
	CHECK(!sn_lt(1, 0xfffffffeu));
	CHECK(sn_lt(0x7fffffffu, 0x80000000u));
}

TEST(opcode_names)
{
	CHECK_EQ_STR(pdu_opcode_name(ISCSI_OP_LOGIN_REQ), "Login Request");
	CHECK_EQ_STR(pdu_opcode_name(0x3e), "unknown");
}

int
main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(lun_peripheral_roundtrip),
		T(lun_flat_roundtrip),
		T(lun_unsupported_forms),
		T(bhs_accessors),
		T(padding),
		T(serial_arithmetic),
		T(opcode_names),
	};

	return HARNESS_RUN(tests);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for isns/isns_pdu.c: TLV building with padding, PDU headers
 * and splitting, reassembly at every split point, attribute walking and
 * replies to server requests, discovery-domain messages and the DD_ID
 * in their responses (RFC 4171 section 5). */
#include "../harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "isns/isns_pdu.h"

TEST(isns_string_padding)
{
	struct isns_msg m;
	/* "abc" + NUL is 4 bytes, "abcd" + NUL is padded to 8 */
	static const uint8_t want[] = {
		0, 0, 0, 32, 0, 0, 0, 4, 'a', 'b', 'c', 0,
		0, 0, 0, 34, 0, 0, 0, 8, 'a', 'b', 'c', 'd', 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 6, 0, 0, 0, 4, 0, 0, 0x03, 0x84,
	};

	isns_msg_init(&m, ISNS_FUNC_DEV_ATTR_REG, ISNS_FLAG_CLIENT, 7);
	CHECK_EQ_INT(isns_msg_add_str(&m, ISNS_TAG_ISCSI_NAME, "abc"), 0);
	CHECK_EQ_INT(isns_msg_add_str(&m, ISNS_TAG_ISCSI_ALIAS, "abcd"), 0);
	CHECK_EQ_INT(isns_msg_add_delim(&m), 0);
	CHECK_EQ_INT(isns_msg_add_u32(&m, ISNS_TAG_REGISTRATION_PERIOD, 900),
	    0);
	REQUIRE(m.len == sizeof(want));
	CHECK_EQ_MEM(m.payload, want, sizeof(want));
	isns_msg_fini(&m);
}

TEST(isns_encode_single_pdu)
{
	struct isns_msg m;
	uint8_t ip[16] = { [10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1 };
	static const uint8_t want[] = {
		/* version 1, DevAttrReg, length 36, client|replace|last|first,
		 * xid 0x1234, seq 0 */
		0x00, 0x01, 0x00, 0x01, 0x00, 0x24, 0x9c, 0x00, 0x12, 0x34,
		0x00, 0x00,
		0, 0, 0, 16, 0, 0, 0, 16,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1,
		0, 0, 0, 17, 0, 0, 0, 4, 0, 0, 0x0c, 0xbc,
	};
	uint8_t *out;
	size_t len;

	isns_msg_init(&m, ISNS_FUNC_DEV_ATTR_REG,
	    ISNS_FLAG_CLIENT | ISNS_FLAG_REPLACE, 0x1234);
	CHECK_EQ_INT(isns_msg_add_ip(&m, ISNS_TAG_PORTAL_IP, ip), 0);
	CHECK_EQ_INT(isns_msg_add_u32(&m, ISNS_TAG_PORTAL_PORT, 3260), 0);
	out = isns_msg_encode(&m, ISNS_PDU_PAYLOAD_MAX, &len);
	REQUIRE(out != NULL);
	REQUIRE(len == sizeof(want));
	CHECK_EQ_MEM(out, want, sizeof(want));
	free(out);
	/* invalid chunk sizes are refused */
	CHECK(isns_msg_encode(&m, 6, &len) == NULL);
	CHECK(isns_msg_encode(&m, 65536, &len) == NULL);
	isns_msg_fini(&m);
}

/* A 3-PDU message (payload 20 bytes in chunks of 8) feeds back into the
 * same message, whatever the read sizes. */
TEST(isns_split_and_reassemble)
{
	struct isns_msg m;
	struct isns_rx rx;
	uint8_t *out;
	size_t len;

	isns_msg_init(&m, ISNS_FUNC_DEV_ATTR_QRY, ISNS_FLAG_CLIENT, 9);
	CHECK_EQ_INT(isns_msg_add_str(&m, ISNS_TAG_EID, "minisan"), 0);
	REQUIRE(m.len == 16);
	CHECK_EQ_INT(isns_msg_add_u32(&m, ISNS_TAG_ENTITY_PROTOCOL, 2), 0);
	REQUIRE(m.len == 28);
	out = isns_msg_encode(&m, 12, &len);
	REQUIRE(out != NULL);
	REQUIRE(len == 28 + 3 * ISNS_HDR_LEN);
	/* first: FIRST, seq 0; middle: neither; last: LAST, seq 2 */
	CHECK_EQ_INT(out[6], 0x84);
	CHECK_EQ_INT(out[11], 0);
	CHECK_EQ_INT(out[24 + 6], 0x80);
	CHECK_EQ_INT(out[24 + 11], 1);
	CHECK_EQ_INT(out[48 + 5], 4);
	CHECK_EQ_INT(out[48 + 6], 0x88);
	CHECK_EQ_INT(out[48 + 11], 2);
	for (size_t step = 1; step <= len; step++) {
		size_t off = 0;

		isns_rx_init(&rx);
		while (off < len && !rx.ready) {
			size_t n = len - off < step ? len - off : step;
			long r = isns_rx_feed(&rx, out + off, n);

			REQUIRE(r > 0);
			off += (size_t)r;
		}
		CHECK(rx.ready);
		CHECK_EQ_INT(off, len);
		CHECK_EQ_INT(rx.first.func, ISNS_FUNC_DEV_ATTR_QRY);
		CHECK_EQ_INT(rx.first.xid, 9);
		REQUIRE(rx.len == m.len);
		CHECK_EQ_MEM(rx.payload, m.payload, m.len);
		isns_rx_fini(&rx);
	}
	free(out);
	isns_msg_fini(&m);
}

/* Two messages back to back in one buffer: the feed stops after the
 * first, and the next feed starts the second. */
TEST(isns_rx_two_messages)
{
	static const uint8_t in[] = {
		0x00, 0x01, 0x80, 0x01, 0x00, 0x04, 0x4c, 0x00, 0x00, 0x05,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x09,
		0x00, 0x01, 0x80, 0x04, 0x00, 0x04, 0x4c, 0x00, 0x00, 0x06,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	struct isns_rx rx;
	uint32_t status;
	long r;

	isns_rx_init(&rx);
	r = isns_rx_feed(&rx, in, sizeof(in));
	CHECK_EQ_INT(r, 16);
	REQUIRE(rx.ready);
	CHECK_EQ_INT(rx.first.func, 0x8001);
	CHECK_EQ_INT(isns_rsp_status(rx.payload, rx.len, &status, NULL), 0);
	CHECK_EQ_INT(status, ISNS_STATUS_NO_SUCH_ENTRY);
	CHECK_EQ_STR(isns_status_str(status), "no such entry");
	r = isns_rx_feed(&rx, in + 16, sizeof(in) - 16);
	CHECK_EQ_INT(r, 16);
	REQUIRE(rx.ready);
	CHECK_EQ_INT(rx.first.func, 0x8004);
	CHECK_EQ_INT(rx.first.xid, 6);
	isns_rx_fini(&rx);
}

TEST(isns_rx_errors)
{
	struct isns_rx rx;
	/* version 2 */
	static const uint8_t v2[] = { 0, 2, 0x80, 1, 0, 0, 0x4c, 0, 0, 1,
		0, 0 };
	/* no FIRST flag on a new message */
	static const uint8_t nofirst[] = { 0, 1, 0x80, 1, 0, 0, 0x48, 0, 0,
		1, 0, 0 };
	/* FIRST then a PDU with sequence 2 */
	static const uint8_t gap[] = { 0, 1, 0x80, 1, 0, 0, 0x44, 0, 0, 1,
		0, 0, 0, 1, 0x80, 1, 0, 0, 0x48, 0, 0, 1, 0, 2 };
	/* FIRST then a PDU of another transaction */
	static const uint8_t xid[] = { 0, 1, 0x80, 1, 0, 0, 0x44, 0, 0, 1,
		0, 0, 0, 1, 0x80, 1, 0, 0, 0x48, 0, 0, 2, 0, 1 };

	isns_rx_init(&rx);
	CHECK_EQ_INT(isns_rx_feed(&rx, v2, sizeof(v2)), -EPROTO);
	isns_rx_fini(&rx);
	isns_rx_init(&rx);
	CHECK_EQ_INT(isns_rx_feed(&rx, nofirst, sizeof(nofirst)), -EPROTO);
	isns_rx_fini(&rx);
	isns_rx_init(&rx);
	CHECK_EQ_INT(isns_rx_feed(&rx, gap, sizeof(gap)), -EPROTO);
	isns_rx_fini(&rx);
	isns_rx_init(&rx);
	CHECK_EQ_INT(isns_rx_feed(&rx, xid, sizeof(xid)), -EPROTO);
	isns_rx_fini(&rx);
}

/* A message growing past ISNS_MSG_MAX is refused before any allocation
 * of that size. */
TEST(isns_rx_too_big)
{
	struct isns_rx rx;
	uint8_t h[ISNS_HDR_LEN] = { 0, 1, 0x80, 1, 0xff, 0xfc, 0x44, 0, 0, 1,
		0, 0 };
	uint8_t *zero = calloc(1, 0xfffc);
	long r = 0;

	REQUIRE(zero != NULL);
	isns_rx_init(&rx);
	for (unsigned seq = 0; seq < 40 && r >= 0; seq++) {
		h[6] = seq == 0 ? 0x84 : 0x80;
		h[10] = (uint8_t)(seq >> 8);
		h[11] = (uint8_t)seq;
		r = isns_rx_feed(&rx, h, sizeof(h));
		if (r >= 0)
			r = isns_rx_feed(&rx, zero, 0xfffc);
	}
	CHECK_EQ_INT(r, -EMSGSIZE);
	CHECK(rx.cap <= ISNS_MSG_MAX);
	isns_rx_fini(&rx);
	free(zero);
}

TEST(isns_tlv_walk)
{
	/* status 0, EID "x" (4), period 30, then a TLV claiming 16 bytes
	 * with only 4 left */
	static const uint8_t rsp[] = {
		0, 0, 0, 0,
		0, 0, 0, 1, 0, 0, 0, 4, 'x', 0, 0, 0,
		0, 0, 0, 6, 0, 0, 0, 4, 0, 0, 0, 30,
		0, 0, 0, 32, 0, 0, 0, 16, 'a', 'b', 'c', 0,
	};
	struct isns_tlv_iter it;
	struct isns_attr a;
	uint32_t status, v;

	REQUIRE(isns_rsp_status(rsp, sizeof(rsp), &status, &it) == 0);
	CHECK_EQ_INT(status, 0);
	REQUIRE(isns_tlv_next(&it, &a) == 1);
	CHECK_EQ_INT(a.tag, ISNS_TAG_EID);
	CHECK_EQ_INT(a.len, 4);
	CHECK_EQ_STR((const char *)a.val, "x");
	CHECK_EQ_INT(isns_attr_u32(&a, &v), 0);
	REQUIRE(isns_tlv_next(&it, &a) == 1);
	CHECK_EQ_INT(a.tag, ISNS_TAG_REGISTRATION_PERIOD);
	CHECK_EQ_INT(isns_attr_u32(&a, &v), 0);
	CHECK_EQ_INT(v, 30);
	CHECK_EQ_INT(isns_tlv_next(&it, &a), -EPROTO);
	/* short payloads */
	CHECK_EQ_INT(isns_rsp_status(rsp, 3, &status, &it), -EPROTO);
	isns_tlv_iter_init(&it, rsp + 4, 7);
	CHECK_EQ_INT(isns_tlv_next(&it, &a), -EPROTO);
	isns_tlv_iter_init(&it, rsp, 0);
	CHECK_EQ_INT(isns_tlv_next(&it, &a), 0);
	/* a nil attribute has no u32 value */
	a.len = 0;
	CHECK_EQ_INT(isns_attr_u32(&a, &v), -EPROTO);
}

TEST(isns_esi_reply)
{
	/* ESI from the server: EID "e1", portal port 3260 */
	static const uint8_t req_payload[] = {
		0, 0, 0, 1, 0, 0, 0, 4, 'e', '1', 0, 0,
		0, 0, 0, 17, 0, 0, 0, 4, 0, 0, 0x0c, 0xbc,
	};
	static const uint8_t want[] = {
		0x00, 0x01, 0x80, 0x0d, 0x00, 0x1c, 0x8c, 0x00, 0xab, 0xcd,
		0x00, 0x00,
		0, 0, 0, 0,
		0, 0, 0, 1, 0, 0, 0, 4, 'e', '1', 0, 0,
		0, 0, 0, 17, 0, 0, 0, 4, 0, 0, 0x0c, 0xbc,
	};
	static const uint8_t scn_want[] = {
		0x00, 0x01, 0x80, 0x08, 0x00, 0x04, 0x8c, 0x00, 0x00, 0x02,
		0x00, 0x00,
		0, 0, 0, 15,
	};
	struct isns_hdr req = { ISNS_VERSION, ISNS_FUNC_ESI, 24,
		ISNS_FLAG_SERVER | ISNS_FLAG_FIRST | ISNS_FLAG_LAST, 0xabcd,
		0 };
	struct isns_msg m;
	uint8_t *out;
	size_t len;

	CHECK_EQ_INT(isns_build_reply(&m, &req, req_payload,
	    sizeof(req_payload), ISNS_STATUS_SUCCESS), 0);
	out = isns_msg_encode(&m, ISNS_PDU_PAYLOAD_MAX, &len);
	REQUIRE(out != NULL);
	REQUIRE(len == sizeof(want));
	CHECK_EQ_MEM(out, want, sizeof(want));
	free(out);
	isns_msg_fini(&m);
	/* anything else we do not serve gets "message not supported" */
	req.func = ISNS_FUNC_SCN;
	req.xid = 2;
	CHECK_EQ_INT(isns_build_reply(&m, &req, req_payload,
	    sizeof(req_payload), ISNS_STATUS_MSG_NOT_SUPPORTED), 0);
	out = isns_msg_encode(&m, ISNS_PDU_PAYLOAD_MAX, &len);
	REQUIRE(out != NULL);
	REQUIRE(len == sizeof(scn_want));
	CHECK_EQ_MEM(out, scn_want, sizeof(scn_want));
	free(out);
	isns_msg_fini(&m);
}

TEST(isns_msg_overflow)
{
	struct isns_msg m;
	static char big[65536];
	int rc = 0;

	memset(big, 'a', sizeof(big) - 1);
	isns_msg_init(&m, ISNS_FUNC_DEV_ATTR_REG, ISNS_FLAG_CLIENT, 1);
	for (int i = 0; i < 32 && rc == 0; i++)
		rc = isns_msg_add_str(&m, ISNS_TAG_ISCSI_ALIAS, big);
	CHECK_EQ_INT(rc, -EMSGSIZE);
	CHECK(m.len <= ISNS_MSG_MAX);
	/* once overflowed, the message stays refused */
	CHECK_EQ_INT(isns_msg_add_u32(&m, ISNS_TAG_ENTITY_PROTOCOL, 2),
	    -EMSGSIZE);
	{
		size_t len;

		CHECK(isns_msg_encode(&m, ISNS_PDU_PAYLOAD_MAX, &len) == NULL);
	}
	isns_msg_fini(&m);
}

/* RFC4171 5.6.5.2: DevAttrQry for a DD's DD_ID by its DD_Symbolic_Name. */
TEST(isns_dd_query_bytes)
{
	struct isns_msg m;
	static const uint8_t want[] = {
		0, 0, 0, 32, 0, 0, 0, 4, 'i', 'q', 'n', 0,
		0, 0, 0x08, 0x12, 0, 0, 0, 8, 'd', 'd', '-', 'a', 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0x08, 0x11, 0, 0, 0, 0,
	};

	CHECK_EQ_INT(isns_build_dd_query(&m, 5, "iqn", "dd-a"), 0);
	CHECK_EQ_INT(m.func, ISNS_FUNC_DEV_ATTR_QRY);
	CHECK_EQ_INT(m.flags, ISNS_FLAG_CLIENT);
	CHECK_EQ_INT(m.xid, 5);
	REQUIRE(m.len == sizeof(want));
	CHECK_EQ_MEM(m.payload, want, sizeof(want));
	isns_msg_fini(&m);
	CHECK_EQ_INT(isns_build_dd_query(&m, 5, "iqn", ""), -EINVAL);
	isns_msg_fini(&m);
}

/* RFC4171 5.6.5.9: DDReg without a Message Key creates a DD. */
TEST(isns_dd_create_bytes)
{
	struct isns_msg m;
	static const uint8_t want[] = {
		0, 0, 0, 32, 0, 0, 0, 4, 'i', 'q', 'n', 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0x08, 0x12, 0, 0, 0, 4, 'd', 'd', 'b', 0,
	};

	CHECK_EQ_INT(isns_build_dd_create(&m, 6, "iqn", "ddb"), 0);
	CHECK_EQ_INT(m.func, ISNS_FUNC_DD_REG);
	REQUIRE(m.len == sizeof(want));
	CHECK_EQ_MEM(m.payload, want, sizeof(want));
	isns_msg_fini(&m);
}

/* RFC4171 5.6.5.9 / 5.6.5.10: DDReg and DDDereg keyed by DD_ID with DD
 * Member iSCSI Names; a DDDereg without members (which would delete the
 * DD) and DD_ID 0 are refused. */
TEST(isns_dd_members_bytes)
{
	struct isns_msg m;
	const char *members[] = { "t1", "t2345" };
	static const uint8_t want[] = {
		0, 0, 0, 32, 0, 0, 0, 4, 'i', 'q', 'n', 0,
		0, 0, 0x08, 0x11, 0, 0, 0, 4, 0, 0, 0x01, 0x02,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0x08, 0x14, 0, 0, 0, 4, 't', '1', 0, 0,
		0, 0, 0x08, 0x14, 0, 0, 0, 8, 't', '2', '3', '4', '5', 0, 0, 0,
	};

	CHECK_EQ_INT(isns_build_dd_add(&m, 7, "iqn", 0x102, members, 2), 0);
	CHECK_EQ_INT(m.func, ISNS_FUNC_DD_REG);
	REQUIRE(m.len == sizeof(want));
	CHECK_EQ_MEM(m.payload, want, sizeof(want));
	isns_msg_fini(&m);
	CHECK_EQ_INT(isns_build_dd_remove(&m, 8, "iqn", 0x102, members, 2),
	    0);
	CHECK_EQ_INT(m.func, ISNS_FUNC_DD_DEREG);
	CHECK_EQ_INT(m.xid, 8);
	REQUIRE(m.len == sizeof(want));
	CHECK_EQ_MEM(m.payload, want, sizeof(want));
	isns_msg_fini(&m);
	CHECK_EQ_INT(isns_build_dd_remove(&m, 8, "iqn", 0x102, members, 0),
	    -EINVAL);
	isns_msg_fini(&m);
	CHECK_EQ_INT(isns_build_dd_add(&m, 8, "iqn", 0, members, 2), -EINVAL);
	isns_msg_fini(&m);
}

/* The DD_ID in responses: open-isns' DDRegRsp (Delimiter, DD_ID, name,
 * features), its DevAttrQryRsp (key, Delimiter, DD_ID), a response without
 * Delimiter, none at all, and malformed ones. */
TEST(isns_dd_id_parse)
{
	static const uint8_t reg_rsp[] = {
		0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0x08, 0x11, 0, 0, 0, 4, 0, 0, 0, 2,
		0, 0, 0x08, 0x12, 0, 0, 0, 8, 'd', 'd', '-', 'b', 0, 0, 0, 0,
		0, 0, 0x08, 0x1e, 0, 0, 0, 4, 0, 0, 0, 0,
	};
	static const uint8_t qry_rsp[] = {
		0, 0, 0, 0,
		0, 0, 0x08, 0x11, 0, 0, 0, 4, 0, 0, 0, 9,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0x08, 0x11, 0, 0, 0, 4, 0, 0, 0x10, 0x01,
	};
	static const uint8_t no_delim[] = {
		0, 0, 0, 0,
		0, 0, 0x08, 0x11, 0, 0, 0, 4, 0, 0, 0, 3,
	};
	static const uint8_t key_only[] = {
		0, 0, 0, 0,
		0, 0, 0x08, 0x12, 0, 0, 0, 4, 'd', 'd', 'x', 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0x08, 0x11, 0, 0, 0, 0,
	};
	static const uint8_t zero_id[] = {
		0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0x08, 0x11, 0, 0, 0, 4, 0, 0, 0, 0,
	};
	static const uint8_t short_id[] = {
		0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0x08, 0x11, 0, 0, 0, 2, 0, 1,
	};
	static const uint8_t truncated[] = {
		0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0x08, 0x11, 0, 0, 0, 8, 0, 0, 0, 1,
	};
	uint32_t id = 0;

	CHECK_EQ_INT(isns_rsp_dd_id(reg_rsp, sizeof(reg_rsp), &id), 0);
	CHECK_EQ_INT(id, 2);
	CHECK_EQ_INT(isns_rsp_dd_id(qry_rsp, sizeof(qry_rsp), &id), 0);
	CHECK_EQ_INT(id, 0x1001);
	CHECK_EQ_INT(isns_rsp_dd_id(no_delim, sizeof(no_delim), &id), 0);
	CHECK_EQ_INT(id, 3);
	CHECK_EQ_INT(isns_rsp_dd_id(key_only, sizeof(key_only), &id),
	    -ENOENT);
	CHECK_EQ_INT(isns_rsp_dd_id(reg_rsp, 4, &id), -ENOENT);
	CHECK_EQ_INT(isns_rsp_dd_id(reg_rsp, 3, &id), -EPROTO);
	CHECK_EQ_INT(isns_rsp_dd_id(zero_id, sizeof(zero_id), &id), -EPROTO);
	CHECK_EQ_INT(isns_rsp_dd_id(short_id, sizeof(short_id), &id),
	    -EPROTO);
	CHECK_EQ_INT(isns_rsp_dd_id(truncated, sizeof(truncated), &id),
	    -EPROTO);
}

static const struct test tests[] = {
	T(isns_string_padding),
	T(isns_encode_single_pdu),
	T(isns_split_and_reassemble),
	T(isns_rx_two_messages),
	T(isns_rx_errors),
	T(isns_rx_too_big),
	T(isns_tlv_walk),
	T(isns_esi_reply),
	T(isns_msg_overflow),
	T(isns_dd_query_bytes),
	T(isns_dd_create_bytes),
	T(isns_dd_members_bytes),
	T(isns_dd_id_parse),
};

int
main(int argc, char **argv)
{
	return HARNESS_RUN(tests);
}

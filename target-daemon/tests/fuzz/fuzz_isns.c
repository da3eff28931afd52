/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer entry point for isns/isns_pdu.c: feeds the input as a byte
 * stream from an iSNS server (in pieces whose sizes the first byte picks),
 * walks every reassembled message's status and attributes, looks for a
 * DD_ID as in a DDReg or DD query response, and builds the
 * reply a client would send to it. Build: `make fuzzers`. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "isns/isns_pdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                  \
	do {                               \
		if (!(cond))               \
			__builtin_trap();  \
	} while (0)

static void
fuzz_message(const struct isns_rx *rx)
{
	struct isns_tlv_iter it;
	struct isns_attr a;
	struct isns_msg reply;
	uint32_t status, v;
	uint8_t *out;
	size_t outlen;
	int r;

	FUZZ_ASSERT(rx->len <= ISNS_MSG_MAX);
	if (isns_rsp_status(rx->payload, rx->len, &status, &it) == 0) {
		(void)isns_status_str(status);
		while ((r = isns_tlv_next(&it, &a)) == 1) {
			FUZZ_ASSERT(a.val >= rx->payload &&
			    a.val + a.len <= rx->payload + rx->len);
			(void)isns_attr_u32(&a, &v);
		}
		FUZZ_ASSERT(r == 0 || r == -EPROTO);
	}
	r = isns_rsp_dd_id(rx->payload, rx->len, &v);
	FUZZ_ASSERT(r == 0 || r == -ENOENT || r == -EPROTO);
	FUZZ_ASSERT(r != 0 || v != 0);
	if (isns_build_reply(&reply, &rx->first, rx->payload, rx->len,
	    ISNS_STATUS_SUCCESS) == 0) {
		out = isns_msg_encode(&reply, ISNS_PDU_PAYLOAD_MAX, &outlen);
		FUZZ_ASSERT(out != NULL);
		FUZZ_ASSERT(outlen >= ISNS_HDR_LEN + 4);
		free(out);
	}
	isns_msg_fini(&reply);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct isns_rx rx;
	size_t off = 1, step;

	if (size < 1)
		return 0;
	step = (size_t)data[0] + 1;
	isns_rx_init(&rx);
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		long r = isns_rx_feed(&rx, data + off, n);

		if (r < 0)
			break;
		FUZZ_ASSERT(r > 0 && (size_t)r <= n);
		off += (size_t)r;
		if (rx.ready)
			fuzz_message(&rx);
	}
	isns_rx_fini(&rx);
	return 0;
}

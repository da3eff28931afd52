/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements iSNSP (RFC 4171 section 5) framing: TLV message
 * building, cutting a message into PDUs, reassembling PDUs and walking the
 * attributes of a received message. No I/O, no logging. */
#include "isns/isns_pdu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/be.h"
#include "util/xalloc.h"

/* RFC4171 5.1.3: attribute values are padded to a multiple of 4 bytes. */
static size_t
pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

void
isns_msg_init(struct isns_msg *m, uint16_t func, uint16_t flags,
    uint16_t xid)
{
	memset(m, 0, sizeof(*m));
	m->func = func;
	m->flags = flags;
	m->xid = xid;
}

void
isns_msg_fini(struct isns_msg *m)
{
	free(m->payload);
	memset(m, 0, sizeof(*m));
}

int
isns_msg_add(struct isns_msg *m, uint32_t tag, const void *val, size_t len)
{
	size_t vlen = pad4(len), need;
	uint8_t *p;

	if (m->overflow || len > ISNS_MSG_MAX ||
	    m->len + ISNS_TLV_HDR_LEN + vlen > ISNS_MSG_MAX) {
		m->overflow = 1;
		return -EMSGSIZE;
	}
	need = m->len + ISNS_TLV_HDR_LEN + vlen;
	if (need > m->cap) {
		size_t cap = m->cap ? m->cap : 256;

		while (cap < need)
			cap *= 2;
		m->payload = xrealloc(m->payload, cap);
		m->cap = cap;
	}
	p = m->payload + m->len;
	put_be32(p, tag);
	put_be32(p + 4, (uint32_t)vlen);
	if (len > 0)
		memcpy(p + ISNS_TLV_HDR_LEN, val, len);
	memset(p + ISNS_TLV_HDR_LEN + len, 0, vlen - len);
	m->len = need;
	return 0;
}

int
isns_msg_add_str(struct isns_msg *m, uint32_t tag, const char *s)
{
	/* the NUL is part of the value */
	return isns_msg_add(m, tag, s, strlen(s) + 1);
}

int
isns_msg_add_u32(struct isns_msg *m, uint32_t tag, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	return isns_msg_add(m, tag, b, sizeof(b));
}

int
isns_msg_add_nil(struct isns_msg *m, uint32_t tag)
{
	return isns_msg_add(m, tag, NULL, 0);
}

int
isns_msg_add_delim(struct isns_msg *m)
{
	/* RFC4171 5.6.1: the Delimiter separates the Message Key from the
	 * Operating Attributes; tag 0, length 0 */
	return isns_msg_add_nil(m, ISNS_TAG_DELIMITER);
}

int
isns_msg_add_ip(struct isns_msg *m, uint32_t tag, const uint8_t ip[16])
{
	return isns_msg_add(m, tag, ip, 16);
}

static void
hdr_put(uint8_t *p, uint16_t func, uint16_t len, uint16_t flags,
    uint16_t xid, uint16_t seq)
{
	put_be16(p, ISNS_VERSION);
	put_be16(p + 2, func);
	put_be16(p + 4, len);
	put_be16(p + 6, flags);
	put_be16(p + 8, xid);
	put_be16(p + 10, seq);
}

uint8_t *
isns_msg_encode(const struct isns_msg *m, size_t payload_max, size_t *outlen)
{
	size_t npdus, off = 0, o = 0;
	uint8_t *out;

	*outlen = 0;
	if (m->overflow || payload_max == 0 || payload_max > 65532 ||
	    payload_max % 4 != 0)
		return NULL;
	npdus = m->len == 0 ? 1 : (m->len + payload_max - 1) / payload_max;
	/* RFC4171 5.1: the Sequence ID is 16 bits */
	if (npdus > 65536)
		return NULL;
	out = xmalloc(m->len + npdus * ISNS_HDR_LEN);
	for (size_t seq = 0; seq < npdus; seq++) {
		size_t chunk = m->len - off;
		uint16_t flags = m->flags &
		    (uint16_t)~(ISNS_FLAG_FIRST | ISNS_FLAG_LAST);

		if (chunk > payload_max)
			chunk = payload_max;
		if (seq == 0)
			flags |= ISNS_FLAG_FIRST;
		if (seq == npdus - 1)
			flags |= ISNS_FLAG_LAST;
		hdr_put(out + o, m->func, (uint16_t)chunk, flags, m->xid,
		    (uint16_t)seq);
		o += ISNS_HDR_LEN;
		if (chunk > 0)
			memcpy(out + o, m->payload + off, chunk);
		o += chunk;
		off += chunk;
	}
	*outlen = o;
	return out;
}

void
isns_hdr_decode(const uint8_t *p, struct isns_hdr *h)
{
	h->version = get_be16(p);
	h->func = get_be16(p + 2);
	h->pdu_len = get_be16(p + 4);
	h->flags = get_be16(p + 6);
	h->xid = get_be16(p + 8);
	h->seq = get_be16(p + 10);
}

void
isns_rx_init(struct isns_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

void
isns_rx_fini(struct isns_rx *rx)
{
	free(rx->payload);
	memset(rx, 0, sizeof(*rx));
}

/* Checks a complete PDU header against the message in progress. */
static int
rx_header(struct isns_rx *rx)
{
	struct isns_hdr *h = &rx->cur;

	isns_hdr_decode(rx->hbuf, h);
	/* RFC4171 5.1.1: version 1 is the only one defined */
	if (h->version != ISNS_VERSION)
		return -EPROTO;
	if (!rx->in_msg) {
		if (!(h->flags & ISNS_FLAG_FIRST) || h->seq != 0)
			return -EPROTO;
		rx->first = *h;
		rx->in_msg = 1;
		rx->next_seq = 0;
		rx->len = 0;
	} else if ((h->flags & ISNS_FLAG_FIRST) ||
	    h->xid != rx->first.xid || h->func != rx->first.func) {
		return -EPROTO;
	}
	/* RFC4171 5.1: PDUs of a message carry consecutive Sequence IDs */
	if (h->seq != rx->next_seq)
		return -EPROTO;
	rx->next_seq++;
	if (rx->len + h->pdu_len > ISNS_MSG_MAX)
		return -EMSGSIZE;
	if (rx->len + h->pdu_len > rx->cap) {
		size_t cap = rx->cap ? rx->cap : 1024;

		while (cap < rx->len + h->pdu_len)
			cap *= 2;
		rx->payload = xrealloc(rx->payload, cap);
		rx->cap = cap;
	}
	rx->pgot = 0;
	return 0;
}

long
isns_rx_feed(struct isns_rx *rx, const uint8_t *data, size_t len)
{
	size_t used = 0;
	int rc;

	if (rx->ready) {
		/* the previous message was consumed by the caller */
		rx->ready = 0;
		rx->in_msg = 0;
		rx->len = 0;
	}
	while (used < len) {
		if (rx->hgot < ISNS_HDR_LEN) {
			size_t n = ISNS_HDR_LEN - rx->hgot;

			if (n > len - used)
				n = len - used;
			memcpy(rx->hbuf + rx->hgot, data + used, n);
			rx->hgot += n;
			used += n;
			if (rx->hgot < ISNS_HDR_LEN)
				break;
			if ((rc = rx_header(rx)) < 0)
				return rc;
		}
		if (rx->pgot < rx->cur.pdu_len) {
			size_t n = rx->cur.pdu_len - rx->pgot;

			if (n > len - used)
				n = len - used;
			memcpy(rx->payload + rx->len, data + used, n);
			rx->len += n;
			rx->pgot += n;
			used += n;
			if (rx->pgot < rx->cur.pdu_len)
				break;
		}
		/* one PDU complete */
		rx->hgot = 0;
		if (rx->cur.flags & ISNS_FLAG_LAST) {
			rx->ready = 1;
			break;
		}
	}
	return (long)used;
}

void
isns_tlv_iter_init(struct isns_tlv_iter *it, const uint8_t *p, size_t len)
{
	it->p = p;
	it->len = len;
	it->off = 0;
}

int
isns_tlv_next(struct isns_tlv_iter *it, struct isns_attr *a)
{
	size_t left = it->len - it->off;
	uint32_t vlen;

	if (left == 0)
		return 0;
	if (left < ISNS_TLV_HDR_LEN)
		return -EPROTO;
	vlen = get_be32(it->p + it->off + 4);
	if (vlen > left - ISNS_TLV_HDR_LEN)
		return -EPROTO;
	a->tag = get_be32(it->p + it->off);
	a->len = vlen;
	a->val = it->p + it->off + ISNS_TLV_HDR_LEN;
	/* a sender that did not pad still has its bytes counted exactly;
	 * padding beyond the end is not required of the last attribute */
	it->off += ISNS_TLV_HDR_LEN + vlen;
	if (pad4(vlen) != vlen && pad4(vlen) - vlen <= it->len - it->off)
		it->off += pad4(vlen) - vlen;
	return 1;
}

int
isns_attr_u32(const struct isns_attr *a, uint32_t *v)
{
	if (a->len != 4)
		return -EPROTO;
	*v = get_be32(a->val);
	return 0;
}

int
isns_rsp_status(const uint8_t *payload, size_t len, uint32_t *status,
    struct isns_tlv_iter *rest)
{
	if (len < 4)
		return -EPROTO;
	*status = get_be32(payload);
	if (rest != NULL)
		isns_tlv_iter_init(rest, payload + 4, len - 4);
	return 0;
}

const char *
isns_status_str(uint32_t status)
{
	static const char *const names[] = {
		[ISNS_STATUS_SUCCESS] = "success",
		[ISNS_STATUS_UNKNOWN_ERROR] = "unknown error",
		[ISNS_STATUS_MSG_FORMAT_ERROR] = "message format error",
		[ISNS_STATUS_INVALID_REGISTRATION] = "invalid registration",
		[ISNS_STATUS_INVALID_QUERY] = "invalid query",
		[ISNS_STATUS_SOURCE_UNKNOWN] = "source unknown",
		[ISNS_STATUS_SOURCE_ABSENT] = "source absent",
		[ISNS_STATUS_SOURCE_UNAUTHORIZED] = "source unauthorized",
		[ISNS_STATUS_NO_SUCH_ENTRY] = "no such entry",
		[ISNS_STATUS_VERSION_NOT_SUPPORTED] = "version not supported",
		[ISNS_STATUS_INTERNAL_ERROR] = "internal error",
		[ISNS_STATUS_BUSY] = "busy",
		[ISNS_STATUS_OPTION_NOT_UNDERSTOOD] = "option not understood",
		[ISNS_STATUS_INVALID_UPDATE] = "invalid update",
		[ISNS_STATUS_MSG_NOT_SUPPORTED] = "message not supported",
		[ISNS_STATUS_INVALID_DEREGISTRATION] = "invalid deregistration",
		[ISNS_STATUS_AUTH_UNKNOWN] = "authentication unknown",
		[ISNS_STATUS_AUTH_FAILED] = "authentication failed",
	};

	if (status < sizeof(names) / sizeof(names[0]) && names[status])
		return names[status];
	return "unknown status";
}

int
isns_build_reply(struct isns_msg *out, const struct isns_hdr *req,
    const uint8_t *payload, size_t len, uint32_t status)
{
	uint16_t func = (uint16_t)(req->func | ISNS_FUNC_RESPONSE);
	uint8_t b[4];

	isns_msg_init(out, func, ISNS_FLAG_CLIENT, req->xid);
	/* the status is the first 4 payload bytes, not a TLV */
	out->payload = xmalloc(4 + (len > ISNS_MSG_MAX ? 0 : len));
	out->cap = 4 + (len > ISNS_MSG_MAX ? 0 : len);
	put_be32(b, status);
	memcpy(out->payload, b, 4);
	out->len = 4;
	if (req->func == ISNS_FUNC_ESI && status == ISNS_STATUS_SUCCESS) {
		if (len > ISNS_MSG_MAX - 4) {
			out->overflow = 1;
			return -EMSGSIZE;
		}
		if (len > 0)
			memcpy(out->payload + 4, payload, len);
		out->len += len;
	}
	return 0;
}

int
isns_build_dd_query(struct isns_msg *m, uint16_t xid, const char *source,
    const char *name)
{
	int rc = 0;

	isns_msg_init(m, ISNS_FUNC_DEV_ATTR_QRY, ISNS_FLAG_CLIENT, xid);
	if (name[0] == '\0')
		return -EINVAL;
	/* RFC4171 5.6.5.2: Source, Message Key, Delimiter, then zero-length
	 * Operating Attributes naming what to return */
	rc |= isns_msg_add_str(m, ISNS_TAG_ISCSI_NAME, source);
	rc |= isns_msg_add_str(m, ISNS_TAG_DD_NAME, name);
	rc |= isns_msg_add_delim(m);
	rc |= isns_msg_add_nil(m, ISNS_TAG_DD_ID);
	return rc != 0 ? -EMSGSIZE : 0;
}

int
isns_build_dd_create(struct isns_msg *m, uint16_t xid, const char *source,
    const char *name)
{
	int rc = 0;

	isns_msg_init(m, ISNS_FUNC_DD_REG, ISNS_FLAG_CLIENT, xid);
	if (name[0] == '\0')
		return -EINVAL;
	/* RFC4171 5.6.5.9: a DDReg without a Message Key creates a DD; a
	 * DD_Symbolic_Name already in use is refused with status 3 */
	rc |= isns_msg_add_str(m, ISNS_TAG_ISCSI_NAME, source);
	rc |= isns_msg_add_delim(m);
	rc |= isns_msg_add_str(m, ISNS_TAG_DD_NAME, name);
	return rc != 0 ? -EMSGSIZE : 0;
}

/* DDReg / DDDereg keyed by a DD_ID with DD Member iSCSI Names. */
static int
build_dd_members(struct isns_msg *m, uint16_t func, uint16_t xid,
    const char *source, uint32_t id, const char *const *members,
    size_t nmembers)
{
	int rc = 0;

	isns_msg_init(m, func, ISNS_FLAG_CLIENT, xid);
	if (id == 0 || nmembers == 0)
		return -EINVAL;
	rc |= isns_msg_add_str(m, ISNS_TAG_ISCSI_NAME, source);
	rc |= isns_msg_add_u32(m, ISNS_TAG_DD_ID, id);
	rc |= isns_msg_add_delim(m);
	for (size_t i = 0; i < nmembers; i++)
		rc |= isns_msg_add_str(m, ISNS_TAG_DD_MEMBER_ISCSI_NAME,
		    members[i]);
	return rc != 0 ? -EMSGSIZE : 0;
}

int
isns_build_dd_add(struct isns_msg *m, uint16_t xid, const char *source,
    uint32_t id, const char *const *members, size_t nmembers)
{
	/* RFC4171 5.6.5.9: a DD_ID key of an existing DD updates it; the
	 * member nodes need not be registered yet */
	return build_dd_members(m, ISNS_FUNC_DD_REG, xid, source, id,
	    members, nmembers);
}

int
isns_build_dd_remove(struct isns_msg *m, uint16_t xid, const char *source,
    uint32_t id, const char *const *members, size_t nmembers)
{
	/* RFC4171 5.6.5.10: a DDDereg without Operating Attributes removes
	 * the DD itself; with DD Member attributes only those members */
	return build_dd_members(m, ISNS_FUNC_DD_DEREG, xid, source, id,
	    members, nmembers);
}

int
isns_rsp_dd_id(const uint8_t *payload, size_t len, uint32_t *id)
{
	struct isns_tlv_iter it;
	struct isns_attr a;
	uint32_t status, any = 0;
	int rc, op = 0, have_any = 0;

	if (isns_rsp_status(payload, len, &status, &it) < 0)
		return -EPROTO;
	while ((rc = isns_tlv_next(&it, &a)) == 1) {
		uint32_t v;

		if (a.tag == ISNS_TAG_DELIMITER) {
			op = 1;
			continue;
		}
		if (a.tag != ISNS_TAG_DD_ID)
			continue;
		/* a zero-length DD_ID echoes a query's key; skip it */
		if (a.len == 0)
			continue;
		if (isns_attr_u32(&a, &v) < 0 || v == 0)
			return -EPROTO;
		if (op) {
			*id = v;
			return 0;
		}
		if (!have_any) {
			any = v;
			have_any = 1;
		}
	}
	if (rc < 0)
		return -EPROTO;
	/* a response without Delimiter: its Operating Attributes are all
	 * there is */
	if (!op && have_any) {
		*id = any;
		return 0;
	}
	return -ENOENT;
}

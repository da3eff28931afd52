/* SPDX-License-Identifier: BSD-2-Clause */
/* iSNSP (RFC 4171) messages: building requests as TLV lists, cutting them
 * into PDUs, reassembling received PDUs into messages and walking their
 * attributes. Pure: no I/O, no logging; every wire length is checked
 * before use. */
#ifndef MINISAN_ISNS_ISNS_PDU_H
#define MINISAN_ISNS_ISNS_PDU_H

#include <stddef.h>
#include <stdint.h>

/* RFC4171 5.1: the iSNSP header is 12 bytes; the version is 1. */
#define ISNS_HDR_LEN 12u
#define ISNS_VERSION 1u
/* RFC4171 6.1: the well-known iSNS port (TCP and UDP). */
#define ISNS_DEFAULT_PORT 3205u
/* A TLV's tag and length fields (RFC4171 5.1.3). */
#define ISNS_TLV_HDR_LEN 8u
/* Payload bytes we put in one PDU (a multiple of 4, below the 16-bit PDU
 * Length limit) and the largest message we build or reassemble. */
#define ISNS_PDU_PAYLOAD_MAX 8192u
#define ISNS_MSG_MAX (1024u * 1024)

/* RFC4171 5.1.1 iSNSP Function IDs. */
enum isns_func {
	ISNS_FUNC_DEV_ATTR_REG = 0x0001,
	ISNS_FUNC_DEV_ATTR_QRY = 0x0002,
	ISNS_FUNC_DEV_GET_NEXT = 0x0003,
	ISNS_FUNC_DEV_DEREG = 0x0004,
	ISNS_FUNC_SCN_REG = 0x0005,
	ISNS_FUNC_SCN_DEREG = 0x0006,
	ISNS_FUNC_SCN_EVENT = 0x0007,
	ISNS_FUNC_SCN = 0x0008,
	ISNS_FUNC_DD_REG = 0x0009,
	ISNS_FUNC_DD_DEREG = 0x000a,
	ISNS_FUNC_DDS_REG = 0x000b,
	ISNS_FUNC_DDS_DEREG = 0x000c,
	ISNS_FUNC_ESI = 0x000d,
	ISNS_FUNC_HEARTBEAT = 0x000e,
	/* a response carries its request's function ID with this bit set */
	ISNS_FUNC_RESPONSE = 0x8000,
};

/* RFC4171 5.1.4 iSNSP Flags. */
enum isns_flag {
	ISNS_FLAG_CLIENT = 0x8000,  /* sender is the iSNS client */
	ISNS_FLAG_SERVER = 0x4000,  /* sender is the iSNS server */
	ISNS_FLAG_AUTH = 0x2000,    /* authentication block present */
	ISNS_FLAG_REPLACE = 0x1000, /* DevAttrReg: replace, not update */
	ISNS_FLAG_LAST = 0x0800,    /* last PDU of the message */
	ISNS_FLAG_FIRST = 0x0400,   /* first PDU of the message */
};

/* RFC4171 6.1 attribute tags minisand uses. */
enum isns_tag {
	ISNS_TAG_DELIMITER = 0,
	ISNS_TAG_EID = 1,
	ISNS_TAG_ENTITY_PROTOCOL = 2,
	ISNS_TAG_TIMESTAMP = 4,
	ISNS_TAG_REGISTRATION_PERIOD = 6,
	ISNS_TAG_PORTAL_IP = 16,
	ISNS_TAG_PORTAL_PORT = 17,
	ISNS_TAG_ESI_INTERVAL = 19,
	ISNS_TAG_ESI_PORT = 20,
	ISNS_TAG_ISCSI_NAME = 32,
	ISNS_TAG_ISCSI_NODE_TYPE = 33,
	ISNS_TAG_ISCSI_ALIAS = 34,
	ISNS_TAG_PG_ISCSI_NAME = 48,
	ISNS_TAG_PG_PORTAL_IP = 49,
	ISNS_TAG_PG_PORTAL_PORT = 50,
	ISNS_TAG_PG_TAG = 51,
	ISNS_TAG_DD_ID = 2065,
	ISNS_TAG_DD_NAME = 2066,
	ISNS_TAG_DD_MEMBER_ISCSI_INDEX = 2067,
	ISNS_TAG_DD_MEMBER_ISCSI_NAME = 2068,
	ISNS_TAG_DD_FEATURES = 2078,
};

/* RFC4171 6.2.2 Entity Protocol values. */
#define ISNS_ENTITY_PROTOCOL_ISCSI 2u
/* RFC4171 6.4.2 iSCSI Node Type: bit 31 (the least significant) is
 * "Target". */
#define ISNS_NODE_TYPE_TARGET 0x1u

/* RFC4171 6.4.1 response Status Codes (the ones we name in messages). */
enum isns_status {
	ISNS_STATUS_SUCCESS = 0,
	ISNS_STATUS_UNKNOWN_ERROR = 1,
	ISNS_STATUS_MSG_FORMAT_ERROR = 2,
	ISNS_STATUS_INVALID_REGISTRATION = 3,
	ISNS_STATUS_INVALID_QUERY = 5,
	ISNS_STATUS_SOURCE_UNKNOWN = 6,
	ISNS_STATUS_SOURCE_ABSENT = 7,
	ISNS_STATUS_SOURCE_UNAUTHORIZED = 8,
	ISNS_STATUS_NO_SUCH_ENTRY = 9,
	ISNS_STATUS_VERSION_NOT_SUPPORTED = 10,
	ISNS_STATUS_INTERNAL_ERROR = 11,
	ISNS_STATUS_BUSY = 12,
	ISNS_STATUS_OPTION_NOT_UNDERSTOOD = 13,
	ISNS_STATUS_INVALID_UPDATE = 14,
	ISNS_STATUS_MSG_NOT_SUPPORTED = 15,
	ISNS_STATUS_INVALID_DEREGISTRATION = 22,
	ISNS_STATUS_AUTH_UNKNOWN = 24,
	ISNS_STATUS_AUTH_FAILED = 25,
};

/* A message being built: the payload (TLVs) without PDU headers. Embedded
 * in its owner; isns_msg_fini() frees the buffer. */
struct isns_msg {
	uint16_t func;
	uint16_t flags; /* CLIENT / REPLACE; FIRST and LAST are set per PDU */
	uint16_t xid;
	uint8_t *payload;
	size_t len, cap;
	int overflow; /* an add would have passed ISNS_MSG_MAX */
};

void isns_msg_init(struct isns_msg *m, uint16_t func, uint16_t flags,
    uint16_t xid);
void isns_msg_fini(struct isns_msg *m);
/* Appends one attribute: tag, length rounded up to 4, value and zero
 * padding. Returns 0, or -EMSGSIZE past ISNS_MSG_MAX (the message is then
 * marked overflowed and every later add fails too). */
int isns_msg_add(struct isns_msg *m, uint32_t tag, const void *val,
    size_t len);
/* A NUL-terminated string value (RFC4171 5.1.3: UTF-8, NUL-terminated,
 * padded to 4 bytes). */
int isns_msg_add_str(struct isns_msg *m, uint32_t tag, const char *s);
int isns_msg_add_u32(struct isns_msg *m, uint32_t tag, uint32_t v);
/* A zero-length attribute: the delimiter, or a "return this" tag in a
 * query. */
int isns_msg_add_nil(struct isns_msg *m, uint32_t tag);
int isns_msg_add_delim(struct isns_msg *m);
/* A 16-byte IP address (RFC4171 6.3.1: IPv4 as ::ffff:a.b.c.d). */
int isns_msg_add_ip(struct isns_msg *m, uint32_t tag, const uint8_t ip[16]);

/* Serialises m as one or more PDUs of at most payload_max (a multiple of
 * 4, at most 65532) payload bytes each, with sequence IDs 0, 1, ... and
 * FIRST/LAST flags. Returns a heap buffer the caller frees, its length in
 * *outlen, or NULL if m overflowed or payload_max is invalid. */
uint8_t *isns_msg_encode(const struct isns_msg *m, size_t payload_max,
    size_t *outlen);

/* A decoded 12-byte header. */
struct isns_hdr {
	uint16_t version, func, pdu_len, flags, xid, seq;
};

/* Decodes a header from p (ISNS_HDR_LEN bytes). */
void isns_hdr_decode(const uint8_t *p, struct isns_hdr *h);

/* Resumable reassembly of received PDUs into a message. Embedded in its
 * owner; isns_rx_fini() frees the buffer. After isns_rx_feed() reports a
 * message, it is in (hdr of the first PDU, payload, len) until the next
 * feed, which starts a new message. */
struct isns_rx {
	uint8_t hbuf[ISNS_HDR_LEN];
	size_t hgot;           /* header bytes of the current PDU */
	struct isns_hdr cur;   /* header of the PDU being received */
	size_t pgot;           /* payload bytes of the current PDU */
	struct isns_hdr first; /* header of the message's first PDU */
	uint16_t next_seq;
	int in_msg;            /* a FIRST PDU was seen, LAST not yet */
	int ready;             /* a complete message is available */
	uint8_t *payload;
	size_t len, cap;
};

void isns_rx_init(struct isns_rx *rx);
void isns_rx_fini(struct isns_rx *rx);
/* Consumes up to len bytes. Returns the number consumed (> 0, or 0 for
 * len 0); stops after the last PDU of a message, with rx->ready set.
 * Returns -EPROTO for a bad version, a sequence gap, a PDU without FIRST
 * outside a message or a mismatched transaction, and -EMSGSIZE past
 * ISNS_MSG_MAX; the stream cannot be trusted after either. */
long isns_rx_feed(struct isns_rx *rx, const uint8_t *data, size_t len);

/* One attribute seen by isns_tlv_next(); val points into the payload. */
struct isns_attr {
	uint32_t tag;
	uint32_t len; /* as on the wire (padding included) */
	const uint8_t *val;
};

/* Walks TLVs in a payload. */
struct isns_tlv_iter {
	const uint8_t *p;
	size_t len, off;
};

void isns_tlv_iter_init(struct isns_tlv_iter *it, const uint8_t *p,
    size_t len);
/* Returns 1 with *a set, 0 at the end, -EPROTO if the next TLV does not
 * fit in what is left. */
int isns_tlv_next(struct isns_tlv_iter *it, struct isns_attr *a);
/* The attribute's value as a 32-bit integer, or -EPROTO if its length is
 * not 4. */
int isns_attr_u32(const struct isns_attr *a, uint32_t *v);

/* A response's status and the TLVs after it (RFC4171 5.4: every response
 * starts with a 4-byte Status Code). Returns 0 or -EPROTO if the payload
 * is shorter than 4 bytes. */
int isns_rsp_status(const uint8_t *payload, size_t len, uint32_t *status,
    struct isns_tlv_iter *rest);

/* A short English name of a status code ("no such entry"), for logs. */
const char *isns_status_str(uint32_t status);

/* Builds the response to a server-initiated request (ESI, SCN, ...):
 * the request's function ID | ISNS_FUNC_RESPONSE, its transaction ID, flag
 * CLIENT and the status; an ESI's attributes (EID, portal) are echoed after
 * the status, as an ESIRsp carries them (RFC4171 5.7.5.13). out is
 * initialised here. Returns 0 or -EMSGSIZE. */
int isns_build_reply(struct isns_msg *out, const struct isns_hdr *req,
    const uint8_t *payload, size_t len, uint32_t status);

/* Discovery-domain messages (RFC4171 5.6.5.2, 5.6.5.9, 5.6.5.10). m is
 * initialised here with flag CLIENT and transaction xid; source is the
 * iSCSI name of a registered node of ours. They return 0, -EMSGSIZE, or
 * -EINVAL for an empty name, a DD_ID of 0 or no members. */

/* DevAttrQry for the DD_ID of the DD named name: the key is the
 * DD_Symbolic_Name, the one attribute asked for the DD_ID. */
int isns_build_dd_query(struct isns_msg *m, uint16_t xid, const char *source,
    const char *name);
/* DDReg without a key: creates the DD named name; the response carries
 * the DD_ID the server assigned. */
int isns_build_dd_create(struct isns_msg *m, uint16_t xid,
    const char *source, const char *name);
/* DDReg keyed by id adding the nodes named in members (DD Member iSCSI
 * Name each). */
int isns_build_dd_add(struct isns_msg *m, uint16_t xid, const char *source,
    uint32_t id, const char *const *members, size_t nmembers);
/* DDDereg keyed by id removing those members. Without members the message
 * would remove the DD itself, hence -EINVAL. */
int isns_build_dd_remove(struct isns_msg *m, uint16_t xid,
    const char *source, uint32_t id, const char *const *members,
    size_t nmembers);

/* The DD_ID in a response payload (status included): the first DD_ID
 * among the Operating Attributes (after the Delimiter), or the first at
 * all if the message has no Delimiter. Returns 0 with *id set, -ENOENT if
 * there is none, -EPROTO for a malformed TLV list or a DD_ID that is not
 * 4 bytes or is 0 (RFC4171 6.11.1.1: 0 is reserved). */
int isns_rsp_dd_id(const uint8_t *payload, size_t len, uint32_t *id);

#endif

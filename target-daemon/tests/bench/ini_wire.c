/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the bench initiator's wire: the TCP connection,
 * whole-buffer I/O with a no-progress deadline, PDU framing (padding) and
 * header and data digests, each verified on receipt (RFC7143 13.1). */
#include "ini.h"

#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "iscsi/crc32c.h"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t
get_le32(const uint8_t *p)
{
	/* RFC7143 13.1 / RFC 3720 B.4: digests go least significant byte
	 * first. */
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Waits for ev on fd until deadline (CLOCK_MONOTONIC ms). */
static void
io_wait(int fd, short ev, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };

	for (;;) {
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			errx(1, "no progress for %d s on the connection",
			    INI_IDLE_MS / 1000);
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return;
		if (r < 0 && errno != EINTR)
			err(1, "poll");
	}
}

/* Moves every byte of iov[0..n) (consumed as it goes), in or out; gives up
 * after INI_IDLE_MS without progress. */
void
ini_wire_io(int fd, struct iovec *iov, int n, bool out)
{
	int64_t deadline = now_ms() + INI_IDLE_MS;

	for (;;) {
		while (n > 0 && iov->iov_len == 0) {
			iov++;
			n--;
		}
		if (n == 0)
			return;
		ssize_t r = out ? writev(fd, iov, n) : readv(fd, iov, n);
		if (r == 0 && !out)
			errx(1, "the target closed the connection");
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				io_wait(fd, out ? POLLOUT : POLLIN, deadline);
			else if (errno != EINTR)
				err(1, out ? "send" : "receive");
			continue;
		}
		deadline = now_ms() + INI_IDLE_MS;
		for (size_t left = (size_t)r; left > 0;) {
			size_t k = left < iov->iov_len ? left : iov->iov_len;

			iov->iov_base = (uint8_t *)iov->iov_base + k;
			iov->iov_len -= k;
			left -= k;
			if (iov->iov_len == 0) {
				iov++;
				n--;
			}
		}
	}
}

void
ini_wire_flush(struct ini *s)
{
	struct iovec iov = { s->tx, s->tx_len };

	ini_wire_io(s->fd, &iov, 1, true);
	s->tx_len = 0;
}

/* Queues a data-less PDU (batched until the next receive), with its header
 * digest when one is in force. */
void
ini_wire_queue(struct ini *s, const uint8_t *bhs)
{
	size_t n = ISCSI_BHS_LEN + (s->hdigest ? ISCSI_DIGEST_LEN : 0);

	if (s->tx_len + n > sizeof(s->tx))
		ini_wire_flush(s);
	memcpy(s->tx + s->tx_len, bhs, ISCSI_BHS_LEN);
	if (s->hdigest)
		put_le32(s->tx + s->tx_len + ISCSI_BHS_LEN,
		    crc32c(bhs, ISCSI_BHS_LEN));
	s->tx_len += n;
}

/* Receives the next PDU's BHS, AHS and header digest into s->hdr, verifies
 * the digest and returns the DataSegmentLength, checked against limit. */
uint32_t
ini_wire_recv_header(struct ini *s, uint32_t limit)
{
	size_t dig = s->hdigest ? ISCSI_DIGEST_LEN : 0;
	struct iovec iov = { s->hdr, ISCSI_BHS_LEN + dig };
	uint32_t ahs, dsl;

	ini_wire_flush(s);
	ini_wire_io(s->fd, &iov, 1, false);
	/* the digest follows the AHS: read the rest of a longer header */
	ahs = pdu_ahs_len(s->hdr);
	iov = (struct iovec){ s->hdr + ISCSI_BHS_LEN + dig, ahs };
	ini_wire_io(s->fd, &iov, 1, false);
	if (s->hdigest) {
		uint32_t want = get_le32(s->hdr + ISCSI_BHS_LEN + ahs);
		uint32_t have = crc32c(s->hdr, ISCSI_BHS_LEN + ahs);

		if (want != have)
			errx(1, "header digest mismatch (opcode 0x%02x): "
			    "received 0x%08x, computed 0x%08x",
			    pdu_opcode(s->hdr), want, have);
	}
	dsl = pdu_dsl(s->hdr);
	if (dsl > limit)
		errx(1, "opcode 0x%02x: DataSegmentLength %u over the %u "
		    "negotiated", pdu_opcode(s->hdr), dsl, limit);
	return dsl;
}

/* Bytes received between digest updates: small enough that the data
 * is still in the cache when the CRC reads it, as an initiator that
 * checks as it receives would do. */
#define INI_DIGEST_CHUNK (32u * 1024)

/* Receives a len-byte data segment into dst, then its padding and digest,
 * and verifies the digest (RFC7143 13.1: it covers data and padding). */
void
ini_wire_recv_data(struct ini *s, uint8_t *dst, uint32_t len)
{
	uint8_t trailer[3 + ISCSI_DIGEST_LEN];
	uint32_t pad = pdu_pad(len), crc = CRC32C_INIT, want, have;
	bool dig = s->ddigest && len > 0;
	struct iovec iov[2] = {
		{ dst, len },
		{ trailer, pad + (dig ? ISCSI_DIGEST_LEN : 0) },
	};

	if (!dig) {
		ini_wire_io(s->fd, iov, 2, false);
		return;
	}
	for (uint32_t off = 0; off < len; off += INI_DIGEST_CHUNK) {
		uint32_t n = len - off < INI_DIGEST_CHUNK ? len - off :
		    INI_DIGEST_CHUNK;

		iov[0].iov_base = dst + off;
		iov[0].iov_len = n;
		ini_wire_io(s->fd, iov, 1, false);
		crc = crc32c_update(crc, dst + off, n);
	}
	ini_wire_io(s->fd, &iov[1], 1, false);
	want = get_le32(trailer + pad);
	have = crc32c_final(crc32c_update(crc, trailer, pad));
	if (want != have)
		errx(1, "data digest mismatch (opcode 0x%02x, %u bytes): "
		    "received 0x%08x, computed 0x%08x", pdu_opcode(s->hdr),
		    len, want, have);
}

/* A non-blocking TCP connection to HOST:PORT ([v6]:PORT), numeric only. */
int
ini_wire_connect(const char *addr)
{
	char host[256], *port;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	int fd, one = 1, e;
	socklen_t elen = sizeof(e);

	if (strlen(addr) >= sizeof(host) || strrchr(addr, ':') == NULL)
		errx(1, "address '%s': want HOST:PORT", addr);
	strcpy(host, addr);
	port = strrchr(host, ':');
	*port++ = '\0';
	if (host[0] == '[' && port[-2] == ']') {
		port[-2] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	if ((e = getaddrinfo(host, port, &hints, &ai)) != 0)
		errx(1, "address '%s': %s", addr, gai_strerror(e));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		err(1, "socket");
	/* commands are small and must not wait for a full segment */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			err(1, "connect to %s", addr);
		io_wait(fd, POLLOUT, now_ms() + INI_IDLE_MS);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0 ||
		    e != 0) {
			errno = e;
			err(1, "connect to %s", addr);
		}
	}
	freeaddrinfo(ai);
	return fd;
}
/* SPDX-License-Identifier: BSD-2-Clause */
/* Listening and accepting TCP sockets for the portals. */
#include "core/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
net_listen(const char *host, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, rc, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			goto bad_addr;
		sslen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			goto bad_addr;
		sslen = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 ||
	    listen(fd, 128) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot listen on %s%s%s:%u: %s",
		    ss.ss_family == AF_INET6 ? "[" : "", host,
		    ss.ss_family == AF_INET6 ? "]" : "", port,
		    strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
bad_addr:
	snprintf(err, errlen, "invalid numeric address '%s'", host);
	return -EINVAL;
}

int
net_accept(int lfd, struct sockaddr_storage *peer)
{
	socklen_t len = sizeof(*peer);
	int fd, one = 1;

	fd = accept4(lfd, (struct sockaddr *)peer, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	return fd;
}

uint16_t
net_addr_host(const struct sockaddr_storage *sa, char *out, size_t outlen)
{
	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)outlen);
		return ntohs(s6->sin6_port);
	}
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, out, (socklen_t)outlen);
		return ntohs(s4->sin_port);
	}
	snprintf(out, outlen, "?");
	return 0;
}

void
net_format_addr(const struct sockaddr_storage *sa, char *out, size_t outlen)
{
	char host[INET6_ADDRSTRLEN];
	uint16_t port = net_addr_host(sa, host, sizeof(host));

	if (sa->ss_family == AF_INET6)
		snprintf(out, outlen, "[%s]:%u", host, port);
	else
		snprintf(out, outlen, "%s:%u", host, port);
}

int
net_cidr_parse(const char *s, struct net_cidr *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max, bits;

	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	bits = max;
	if (slash != NULL) {
		char *end;
		unsigned long v = strtoul(slash + 1, &end, 10);

		if (slash[1] == '\0' || *end != '\0' || v > max)
			return -EINVAL;
		bits = (unsigned)v;
	}
	out->prefix = bits;
	/* host bits must be zero: "10.0.0.1/8" is probably a mistake */
	for (unsigned b = bits; b < max; b++)
		if (out->addr[b / 8] & (0x80 >> (b % 8)))
			return -EINVAL;
	return 0;
}

bool
net_cidr_match(const struct net_cidr *n, const struct sockaddr_storage *sa)
{
	const uint8_t *a;

	if (sa->ss_family != n->family)
		return false;
	a = n->family == AF_INET ?
	    (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)
	    ->sin_addr :
	    (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)sa)
	    ->sin6_addr;
	for (unsigned b = 0; b < n->prefix; b++) {
		uint8_t mask = (uint8_t)(0x80 >> (b % 8));

		if ((a[b / 8] & mask) != (n->addr[b / 8] & mask))
			return false;
	}
	return true;
}

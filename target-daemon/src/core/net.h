/* SPDX-License-Identifier: BSD-2-Clause */
/* Socket helpers in the redis anet style: they report errors through an
 * error string and never log. */
#ifndef MINISAN_CORE_NET_H
#define MINISAN_CORE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Binds and listens on a numeric IPv4/IPv6 host and port (non-blocking,
 * SO_REUSEADDR, IPV6_V6ONLY for IPv6). Returns the fd or -errno. */
int net_listen(const char *host, uint16_t port, char *err, size_t errlen);
/* Accepts a connection non-blocking with TCP_NODELAY and keepalive set.
 * Returns the fd, or -errno (-EAGAIN when none is pending). */
int net_accept(int lfd, struct sockaddr_storage *peer);
/* Formats an address as "1.2.3.4:3260" or "[::1]:3260". */
void net_format_addr(const struct sockaddr_storage *sa, char *out,
    size_t outlen);
/* Formats only the host part of an address (no brackets, no port) and
 * returns the port. */
uint16_t net_addr_host(const struct sockaddr_storage *sa, char *out,
    size_t outlen);

/* An address range, "192.0.2.0/24" or "2001:db8::/32". */
struct net_cidr {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network byte order */
	unsigned prefix;   /* bits */
};

/* Parses "ADDR/PREFIX" (or a bare address: a single host). Returns 0, or
 * -EINVAL if malformed (host bits set are an error too). */
int net_cidr_parse(const char *s, struct net_cidr *out);
/* True if the address lies in the range. */
bool net_cidr_match(const struct net_cidr *n,
    const struct sockaddr_storage *sa);

#endif

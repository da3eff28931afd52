/* SPDX-License-Identifier: BSD-2-Clause */
/* SendTargets (RFC7143 Appendix C): the targets and the portals that reach
 * them. A wildcard portal is reported as the address the initiator used,
 * followed by the host's other addresses of the portal's family. */
#include "iscsi/conn.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/net.h"
#include "iscsi/text.h"

static void
add_address(struct text_buf *out, const char *host, int v6, uint16_t port,
    uint16_t tpgt)
{
	char addr[INET6_ADDRSTRLEN + 32];

	/* RFC7143 13.8: domainname:port,tag with IPv6 in brackets */
	snprintf(addr, sizeof(addr), "%s%s%s:%u,%u", v6 ? "[" : "", host,
	    v6 ? "]" : "", port, tpgt);
	text_buf_add(out, "TargetAddress", addr);
}

static void
add_wildcard(struct conn *c, const struct iscsi_portal *p,
    struct text_buf *out)
{
	int family = strchr(p->host, ':') ? AF_INET6 : AF_INET;
	char self[INET6_ADDRSTRLEN] = "";
	struct ifaddrs *ifa, *i;

	if (c->local.ss_family == family) {
		net_addr_host(&c->local, self, sizeof(self));
		add_address(out, self, family == AF_INET6, p->port,
		    c->srv->tpgt);
	}
	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		char host[INET6_ADDRSTRLEN];
		struct sockaddr_storage ss;

		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family ||
		    !(i->ifa_flags & IFF_UP))
			continue;
		if (family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const void *)
			    i->ifa_addr;

			/* link-local addresses need a zone: not portable */
			if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
				continue;
			memcpy(&ss, s6, sizeof(*s6));
		} else {
			memcpy(&ss, i->ifa_addr, sizeof(struct sockaddr_in));
		}
		net_addr_host(&ss, host, sizeof(host));
		if (strcmp(host, self) == 0)
			continue;
		add_address(out, host, family == AF_INET6, p->port,
		    c->srv->tpgt);
	}
	freeifaddrs(ifa);
}

static void
add_target(struct conn *c, const struct iscsi_target *t, struct text_buf *out)
{
	text_buf_add(out, "TargetName", t->name);
	for (size_t i = 0; i < c->srv->nportals; i++) {
		const struct iscsi_portal *p = &c->srv->portals[i];

		if (p->wildcard)
			add_wildcard(c, p, out);
		else
			add_address(out, p->host, strchr(p->host, ':') != NULL,
			    p->port, c->srv->tpgt);
	}
}

void
discovery_send_targets(struct conn *c, const char *value, struct text_buf *out)
{
	struct iscsi_server *srv = c->srv;
	struct session *s = c->sess;

	if (strcmp(value, "All") == 0) {
		/* RFC7143 Appendix C: "All" only in a discovery session */
		if (s->type != PARAM_SESSION_DISCOVERY) {
			text_buf_add(out, "SendTargets", "Reject");
			return;
		}
		/* an initiator sees only the targets it may log in to */
		for (size_t i = 0; i < srv->ntargets; i++)
			if (iscsi_target_allows(srv->targets[i],
			    s->initiator_name, &c->peer_addr))
				add_target(c, srv->targets[i], out);
		return;
	}
	if (value[0] == '\0') {
		/* the session's own target, in a normal session */
		if (s->target != NULL)
			add_target(c, s->target, out);
		return;
	}
	for (size_t i = 0; i < srv->ntargets; i++)
		if (strcasecmp(srv->targets[i]->name, value) == 0 &&
		    iscsi_target_allows(srv->targets[i], s->initiator_name,
		    &c->peer_addr))
			add_target(c, srv->targets[i], out);
}

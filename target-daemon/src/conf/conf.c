/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the configuration model: the builders shared by the
 * parser and quick mode, the lookups, conf_free(), the semantic checks of
 * conf_verify() and the RFC7143 iSCSI name rules. It knows no syntax. */
#include "conf/conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/net.h"
#include "limits_minisan.h"
#include "util/xalloc.h"

#define ISCSI_DEFAULT_PORT 3260
#define ISNS_DEFAULT_PORT 3205

/* Writes "FILE:LINE: " (line > 0), "FILE: " (path only) or nothing, then
 * the message. err may be NULL. */
static int verify_chap(const struct conf *c, const char *what,
    const char *user, const char *secret, const char *muser,
    const char *msecret, int line, char *err, size_t errlen);
static void conf_errf(const struct conf *c, int line, char *err,
    size_t errlen, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
conf_errf(const struct conf *c, int line, char *err, size_t errlen,
    const char *fmt, ...)
{
	va_list ap;
	const char *path = c != NULL ? c->path : NULL;
	size_t n = 0;
	int r = 0;

	if (err == NULL || errlen == 0)
		return;
	if (line > 0)
		r = snprintf(err, errlen, "%s:%d: ",
		    path != NULL ? path : "<config>", line);
	else if (path != NULL)
		r = snprintf(err, errlen, "%s: ", path);
	else
		err[0] = '\0';
	if (r > 0)
		n = (size_t)r;
	if (n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
}

const char *
conf_show(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (o + 8 >= outlen) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (ch < 0x20 || ch >= 0x7f || ch == '\'' || ch == '"' ||
		    ch == '\\') {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 0xf];
		} else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
	return out;
}

struct conf *
conf_new(void)
{
	struct conf *c = xcalloc(1, sizeof(*c));

	c->tpgt = 1;
	c->allow_digests = 1;
	c->immediate_data = 1;
	c->initial_r2t = 0;
	return c;
}

static const char *const io_engine_names[] = {
	[CONF_IO_ENGINE_AUTO] = "auto",
	[CONF_IO_ENGINE_URING] = "io_uring",
	[CONF_IO_ENGINE_THREADS] = "threads",
};

const char *
conf_io_engine_name(enum conf_io_engine e)
{
	if ((size_t)e >= sizeof(io_engine_names) / sizeof(io_engine_names[0]))
		return "?";
	return io_engine_names[e];
}

int
conf_io_engine_parse(const char *word, enum conf_io_engine *out)
{
	for (size_t i = 0; i < sizeof(io_engine_names) /
	    sizeof(io_engine_names[0]); i++) {
		if (strcmp(word, io_engine_names[i]) == 0) {
			*out = (enum conf_io_engine)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Frees what a target owns (not the struct itself: it sits in an array). */
static void
target_fini(struct conf_target *t)
{
	for (size_t j = 0; j < t->nluns; j++) {
		free(t->luns[j].path);
		free(t->luns[j].serial);
	}
	free(t->luns);
	for (size_t j = 0; j < t->nallow; j++)
		free(t->allow[j]);
	free(t->allow);
	for (size_t j = 0; j < t->nnets; j++)
		free(t->nets[j]);
	free(t->nets);
	free(t->chap_user);
	free(t->chap_secret);
	free(t->mutual_user);
	free(t->mutual_secret);
	free(t->name);
	free(t->alias);
	free(t->isns_dd);
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nportals; i++)
		free(c->portals[i].host);
	free(c->portals);
	for (size_t i = 0; i < c->nisns_servers; i++)
		free(c->isns_servers[i].host);
	free(c->isns_servers);
	free(c->isns_entity);
	free(c->isns_dd);
	for (size_t i = 0; i < c->ntargets; i++)
		target_fini(&c->targets[i]);
	free(c->targets);
	free(c->state_dir);
	free(c->control_socket);
	free(c->disc_chap_user);
	free(c->disc_chap_secret);
	free(c->disc_mutual_user);
	free(c->disc_mutual_secret);
	free(c->path);
	free(c);
}

/* Parses a decimal port "1".."65535"; returns it or -1. */
static int
portal_port(const char *s)
{
	long v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

/* Parses "ADDR[:PORT]" / "[V6ADDR][:PORT]" into canon (inet_ntop form,
 * INET6_ADDRSTRLEN bytes) and *port (defport when absent). what names the
 * value in messages ("portal", "isns-server"). Returns 0 or -EINVAL. */
static int
hostport_parse(const struct conf *c, const char *what, const char *spec,
    int defport, int line, char *canon, uint16_t *portout, char *err,
    size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	char shown[96];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *port = NULL, *colon;
	size_t hlen;
	int af, portnum = defport;

	conf_show(spec, shown, sizeof(shown));
	if (spec[0] == '\0') {
		conf_errf(c, line, err, errlen, "empty %s address", what);
		return -EINVAL;
	}
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		af = AF_INET6;
		if (rb == NULL) {
			conf_errf(c, line, err, errlen,
			    "invalid %s '%s': missing ']'", what, shown);
			return -EINVAL;
		}
		hlen = (size_t)(rb - spec - 1);
		if (hlen >= sizeof(host))
			goto badaddr;
		memcpy(host, spec + 1, hlen);
		host[hlen] = '\0';
		if (rb[1] == ':')
			port = rb + 2;
		else if (rb[1] != '\0') {
			conf_errf(c, line, err, errlen,
			    "invalid %s '%s': expected ':PORT' after ']'",
			    what, shown);
			return -EINVAL;
		}
	} else {
		af = AF_INET;
		colon = strchr(spec, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			conf_errf(c, line, err, errlen,
			    "invalid %s '%s': an IPv6 address must be in "
			    "brackets, e.g. [::1]:%d", what, shown, defport);
			return -EINVAL;
		}
		hlen = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
		if (hlen >= sizeof(host))
			goto badaddr;
		memcpy(host, spec, hlen);
		host[hlen] = '\0';
		if (colon != NULL)
			port = colon + 1;
	}
	if (inet_pton(af, host, bin) != 1)
		goto badaddr;
	if (port != NULL) {
		portnum = portal_port(port);
		if (portnum < 0) {
			conf_errf(c, line, err, errlen,
			    "invalid port in %s '%s' (allowed: 1..65535)",
			    what, shown);
			return -EINVAL;
		}
	}
	if (inet_ntop(af, bin, canon, INET6_ADDRSTRLEN) == NULL)
		goto badaddr;
	*portout = (uint16_t)portnum;
	return 0;

badaddr:
	conf_errf(c, line, err, errlen,
	    "invalid %s '%s': not a numeric %s address%s", what, shown,
	    af == AF_INET6 ? "IPv6" : "IPv4",
	    af == AF_INET6 ? "" : " (host names are not supported)");
	return -EINVAL;
}

int
conf_add_portal(struct conf *c, const char *spec, int line, char *err,
    size_t errlen)
{
	char canon[INET6_ADDRSTRLEN];
	struct conf_portal *p;
	uint16_t port;

	if (c->nportals >= MINISAN_MAX_PORTALS) {
		conf_errf(c, line, err, errlen,
		    "too many portals (maximum %u)", MINISAN_MAX_PORTALS);
		return -ENOSPC;
	}
	if (hostport_parse(c, "portal", spec, ISCSI_DEFAULT_PORT, line, canon,
	    &port, err, errlen) < 0)
		return -EINVAL;
	c->portals = xrealloc(c->portals,
	    (c->nportals + 1) * sizeof(*c->portals));
	p = &c->portals[c->nportals++];
	p->host = xstrdup(canon);
	p->port = port;
	p->line = line;
	return 0;
}

int
conf_add_isns_server(struct conf *c, const char *spec, int line, char *err,
    size_t errlen)
{
	char canon[INET6_ADDRSTRLEN];
	struct conf_portal *p;
	uint16_t port;

	if (c->nisns_servers >= MINISAN_MAX_ISNS_SERVERS) {
		conf_errf(c, line, err, errlen,
		    "too many isns-server entries (maximum %u)",
		    MINISAN_MAX_ISNS_SERVERS);
		return -ENOSPC;
	}
	/* RFC4171 6.1: iSNS listens on the well-known port 3205 */
	if (hostport_parse(c, "isns-server", spec, ISNS_DEFAULT_PORT, line,
	    canon, &port, err, errlen) < 0)
		return -EINVAL;
	for (size_t i = 0; i < c->nisns_servers; i++) {
		if (strcmp(c->isns_servers[i].host, canon) == 0 &&
		    c->isns_servers[i].port == port) {
			conf_errf(c, line, err, errlen,
			    "duplicate isns-server %s (first defined at line "
			    "%d)", spec, c->isns_servers[i].line);
			return -EEXIST;
		}
	}
	c->isns_servers = xrealloc(c->isns_servers,
	    (c->nisns_servers + 1) * sizeof(*c->isns_servers));
	p = &c->isns_servers[c->nisns_servers++];
	p->host = xstrdup(canon);
	p->port = port;
	p->line = line;
	return 0;
}

struct conf_target *
conf_add_target(struct conf *c, const char *name, int line)
{
	struct conf_target *t;

	if (c->ntargets >= MINISAN_MAX_TARGETS)
		return NULL;
	c->targets = xrealloc(c->targets,
	    (c->ntargets + 1) * sizeof(*c->targets));
	t = &c->targets[c->ntargets++];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	t->line = line;
	return t;
}

int
conf_add_allow(struct conf_target *t, const char *initiator)
{
	for (size_t i = 0; i < t->nallow; i++)
		if (strcasecmp(t->allow[i], initiator) == 0)
			return -EEXIST;
	if (t->nallow >= MINISAN_MAX_ACL_ENTRIES)
		return -ENOSPC;
	t->allow = xrealloc(t->allow, (t->nallow + 1) * sizeof(*t->allow));
	t->allow[t->nallow++] = xstrdup(initiator);
	return 0;
}

int
conf_add_network(struct conf_target *t, const char *cidr)
{
	if (t->nnets >= MINISAN_MAX_ACL_ENTRIES)
		return -ENOSPC;
	t->nets = xrealloc(t->nets, (t->nnets + 1) * sizeof(*t->nets));
	t->nets[t->nnets++] = xstrdup(cidr);
	return 0;
}

struct conf_lun *
conf_add_lun(struct conf_target *t, uint32_t id, const char *path, int line)
{
	struct conf_lun *l;

	if (t->nluns >= MINISAN_MAX_LUNS_PER_TARGET)
		return NULL;
	t->luns = xrealloc(t->luns, (t->nluns + 1) * sizeof(*t->luns));
	l = &t->luns[t->nluns++];
	memset(l, 0, sizeof(*l));
	l->id = id;
	l->path = xstrdup(path);
	l->line = line;
	return l;
}

int
conf_remove_target(struct conf *c, const char *name)
{
	struct conf_target *t = conf_find_target(c, name);
	size_t i;

	if (t == NULL)
		return -ENOENT;
	i = (size_t)(t - c->targets);
	target_fini(t);
	memmove(&c->targets[i], &c->targets[i + 1],
	    (c->ntargets - i - 1) * sizeof(*c->targets));
	c->ntargets--;
	return 0;
}

int
conf_remove_lun(struct conf_target *t, uint32_t id)
{
	struct conf_lun *l = conf_find_lun(t, id);
	size_t i;

	if (l == NULL)
		return -ENOENT;
	i = (size_t)(l - t->luns);
	free(l->path);
	free(l->serial);
	memmove(&t->luns[i], &t->luns[i + 1],
	    (t->nluns - i - 1) * sizeof(*t->luns));
	t->nluns--;
	return 0;
}

/* Removes entry i of a string array of *n. */
static void
strv_remove(char **v, size_t *n, size_t i)
{
	free(v[i]);
	memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof(*v));
	(*n)--;
}

int
conf_remove_allow(struct conf_target *t, const char *initiator)
{
	for (size_t i = 0; i < t->nallow; i++) {
		if (strcasecmp(t->allow[i], initiator) == 0) {
			strv_remove(t->allow, &t->nallow, i);
			return 0;
		}
	}
	return -ENOENT;
}

int
conf_remove_network(struct conf_target *t, const char *cidr)
{
	struct net_cidr want, have;

	if (net_cidr_parse(cidr, &want) != 0)
		return -EINVAL;
	for (size_t i = 0; i < t->nnets; i++) {
		if (net_cidr_parse(t->nets[i], &have) != 0)
			continue;
		if (have.family == want.family && have.prefix == want.prefix &&
		    memcmp(have.addr, want.addr, sizeof(have.addr)) == 0) {
			strv_remove(t->nets, &t->nnets, i);
			return 0;
		}
	}
	return -ENOENT;
}

struct conf_target *
conf_find_target(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->ntargets; i++)
		if (strcasecmp(c->targets[i].name, name) == 0)
			return &c->targets[i];
	return NULL;
}

struct conf_lun *
conf_find_lun(const struct conf_target *t, uint32_t id)
{
	for (size_t i = 0; i < t->nluns; i++)
		if (t->luns[i].id == id)
			return &t->luns[i];
	return NULL;
}

static int
is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		    (ch >= 'A' && ch <= 'F')))
			return 0;
	}
	return 1;
}

static int
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* RFC7143 4.2.7.4 Type "iqn." (iSCSI Qualified Name):
 *   iqn.yyyy-mm.reversed.domain.name[:anything]
 * and 4.2.7.2: "Only the following ASCII characters (U+0000 to U+007F) are
 * allowed: ASCII dash character ('-' = U+002d), ASCII dot character ('.' =
 * U+002e), ASCII colon character (':' = U+003a), ASCII lowercase characters
 * ('a'..'z' = U+0061..U+007a), ASCII digit characters ('0'..'9' = U+0030..
 * U+0039)". Uppercase is rejected rather than folded. */
static const char *
iqn_error(const char *name)
{
	const char *s = name + 4, *dom, *colon;
	size_t dlen;
	int month;

	for (const char *q = name; *q != '\0'; q++) {
		if (*q >= 'A' && *q <= 'Z')
			return "uppercase letters are not allowed in iqn names";
		if (!((*q >= 'a' && *q <= 'z') || is_digit(*q) ||
		    *q == '-' || *q == '.' || *q == ':'))
			return "invalid character in iqn name "
			       "(allowed: a-z 0-9 . - :)";
	}
	if (!(is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) &&
	    is_digit(s[3]) && s[4] == '-' && is_digit(s[5]) &&
	    is_digit(s[6]) && s[7] == '.'))
		return "iqn name needs a date 'yyyy-mm.' after 'iqn.'";
	month = (s[5] - '0') * 10 + (s[6] - '0');
	if (month < 1 || month > 12)
		return "invalid month in iqn date (allowed: 01..12)";
	dom = s + 8;
	colon = strchr(dom, ':');
	dlen = colon != NULL ? (size_t)(colon - dom) : strlen(dom);
	if (dlen == 0)
		return "iqn name needs a reversed domain name after the date";
	if (dom[0] == '.' || dom[dlen - 1] == '.')
		return "invalid reversed domain name in iqn name";
	for (size_t i = 1; i < dlen; i++)
		if (dom[i] == '.' && dom[i - 1] == '.')
			return "invalid reversed domain name in iqn name";
	if (colon != NULL && colon[1] == '\0')
		return "empty string after ':' in iqn name";
	return NULL;
}

const char *
conf_iscsi_name_error(const char *name)
{
	size_t len;

	if (name == NULL || name[0] == '\0')
		return "empty name";
	len = strlen(name);
	/* RFC7143 4.2.7.1: "iSCSI names ... cannot be larger than 223
	 * bytes" */
	if (len > ISCSI_NAME_MAX)
		return "name longer than 223 bytes";
	if (strncmp(name, "iqn.", 4) == 0)
		return iqn_error(name);
	/* RFC7143 4.2.7.5 Type "eui.": followed by the EUI-64 identifier in
	 * 16 hexadecimal digits. */
	if (strncmp(name, "eui.", 4) == 0) {
		if (len != 4 + 16 || !is_hex(name + 4, 16))
			return "eui name needs exactly 16 hex digits after "
			       "'eui.'";
		return NULL;
	}
	/* RFC7143 4.2.7.6 (RFC3980) Type "naa.": a 64-bit or 128-bit NAA
	 * value in 16 or 32 hexadecimal digits. */
	if (strncmp(name, "naa.", 4) == 0) {
		if ((len != 4 + 16 && len != 4 + 32) ||
		    !is_hex(name + 4, len - 4))
			return "naa name needs 16 or 32 hex digits after "
			       "'naa.'";
		return NULL;
	}
	return "name must start with 'iqn.', 'eui.' or 'naa.'";
}

int
conf_check_iscsi_name(const char *name)
{
	return conf_iscsi_name_error(name) == NULL ? 0 : -EINVAL;
}

/* True if s is 1..max bytes without control characters (ascii: printable
 * ASCII only). */
static int
text_ok(const char *s, size_t max, int ascii)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > max)
		return 0;
	for (size_t k = 0; k < n; k++) {
		unsigned char ch = (unsigned char)s[k];

		if (ch < 0x20 || ch == 0x7f || (ascii && ch > 0x7e))
			return 0;
	}
	return 1;
}

/* " (first defined at line N)", or "" when the first one came from the
 * command line (line 0). */
static const char *
first_at(int line, char *buf, size_t len)
{
	if (line <= 0)
		return "";
	snprintf(buf, len, " (first defined at line %d)", line);
	return buf;
}

/* Checks a u32 negotiation limit: 0 (default) or within [lo, hi]. */
static int
verify_limit(const struct conf *c, const char *what, uint32_t v,
    uint32_t lo, uint32_t hi, char *err, size_t errlen)
{
	if (v == 0 || (v >= lo && v <= hi))
		return 0;
	conf_errf(c, 0, err, errlen, "%s %u is out of range (%u..%u)", what, v,
	    lo, hi);
	return -EINVAL;
}

static int
verify_globals(const struct conf *c, char *err, size_t errlen)
{
	if (c->tpgt == 0) {
		conf_errf(c, 0, err, errlen,
		    "portal-group-tag 0 is out of range (1..65535)");
		return -EINVAL;
	}
	/* RFC7143 13.12: MaxRecvDataSegmentLength 512 to 2^24-1 */
	if (verify_limit(c, "max-recv-data-segment-length", c->max_recv_dsl,
	    ISCSI_DSL_MIN, ISCSI_DSL_MAX, err, errlen) != 0)
		return -EINVAL;
	/* RFC7143 13.13, 13.14: 512 to 2^24-1 */
	if (verify_limit(c, "max-burst-length", c->max_burst_length,
	    ISCSI_DSL_MIN, MINISAN_MAX_BURST, err, errlen) != 0)
		return -EINVAL;
	if (verify_limit(c, "first-burst-length", c->first_burst_length,
	    ISCSI_DSL_MIN, MINISAN_MAX_BURST, err, errlen) != 0)
		return -EINVAL;
	if (verify_chap(c, "discovery-chap", c->disc_chap_user,
	    c->disc_chap_secret, c->disc_mutual_user, c->disc_mutual_secret,
	    0, err, errlen) != 0)
		return -EINVAL;
	for (size_t i = 0; i < c->ntargets; i++) {
		const struct conf_target *t = &c->targets[i];

		if (verify_chap(c, "chap", t->chap_user, t->chap_secret,
		    t->mutual_user, t->mutual_secret, t->line, err,
		    errlen) != 0)
			return -EINVAL;
	}
	/* sockaddr_un.sun_path holds 108 bytes with the NUL */
	if (c->control_socket != NULL && (c->control_socket[0] != '/' ||
	    strlen(c->control_socket) > CONF_SOCKET_PATH_MAX)) {
		conf_errf(c, 0, err, errlen,
		    "control-socket '%s' must be an absolute path of at most "
		    "%u bytes", c->control_socket, CONF_SOCKET_PATH_MAX);
		return -EINVAL;
	}
	if (c->state_dir != NULL && c->state_dir[0] != '/') {
		conf_errf(c, 0, err, errlen,
		    "state-directory '%s' is not an absolute path",
		    c->state_dir);
		return -EINVAL;
	}
	/* RFC7143 13.14: "FirstBurstLength MUST NOT exceed
	 * MaxBurstLength." */
	if (c->max_burst_length != 0 &&
	    c->first_burst_length > c->max_burst_length) {
		conf_errf(c, 0, err, errlen,
		    "first-burst-length %u exceeds max-burst-length %u",
		    c->first_burst_length, c->max_burst_length);
		return -EINVAL;
	}
	return 0;
}

/* RFC7143 12.1.3: secrets of at least 12 bytes; mutual CHAP needs the
 * one-way secret, and "the same secret MUST NOT be configured" for both
 * directions. */
static int
verify_chap(const struct conf *c, const char *what, const char *user,
    const char *secret, const char *muser, const char *msecret, int line,
    char *err, size_t errlen)
{
	if (secret != NULL && (strlen(secret) < 12 || strlen(secret) > 255)) {
		conf_errf(c, line, err, errlen, "%s secret for user '%s' must "
		    "be 12 to 255 bytes long", what, user);
		return -1;
	}
	if (msecret != NULL && (strlen(msecret) < 12 ||
	    strlen(msecret) > 255)) {
		conf_errf(c, line, err, errlen, "mutual %s secret must be 12 "
		    "to 255 bytes long", what);
		return -1;
	}
	if (muser != NULL && user == NULL) {
		conf_errf(c, line, err, errlen, "mutual %s needs the one-way "
		    "%s credentials too", what, what);
		return -1;
	}
	if (msecret != NULL && secret != NULL && strcmp(msecret, secret) == 0) {
		conf_errf(c, line, err, errlen, "the mutual %s secret must "
		    "differ from the initiator's secret", what);
		return -1;
	}
	return 0;
}

static int
verify_portals(const struct conf *c, char *err, size_t errlen)
{
	unsigned char bin[sizeof(struct in6_addr)];
	char at[40];

	if (c->nportals == 0) {
		conf_errf(c, 0, err, errlen,
		    "no portal defined (add e.g. 'portal 0.0.0.0:3260')");
		return -EINVAL;
	}
	if (c->nportals > MINISAN_MAX_PORTALS) {
		conf_errf(c, 0, err, errlen, "too many portals (maximum %u)",
		    MINISAN_MAX_PORTALS);
		return -EINVAL;
	}
	for (size_t i = 0; i < c->nportals; i++) {
		const struct conf_portal *p = &c->portals[i];
		int v6 = p->host != NULL && strchr(p->host, ':') != NULL;

		if (p->host == NULL ||
		    inet_pton(v6 ? AF_INET6 : AF_INET, p->host, bin) != 1 ||
		    p->port == 0) {
			conf_errf(c, p->line, err, errlen,
			    "invalid portal address");
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++) {
			const struct conf_portal *q = &c->portals[j];

			if (q->port == p->port &&
			    strcmp(q->host, p->host) == 0) {
				conf_errf(c, p->line, err, errlen,
				    "duplicate portal %s%s%s:%u%s",
				    v6 ? "[" : "", p->host, v6 ? "]" : "",
				    p->port, first_at(q->line, at,
				    sizeof(at)));
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int
verify_lun(const struct conf *c, const struct conf_target *t, size_t idx,
    char *err, size_t errlen)
{
	const struct conf_lun *l = &t->luns[idx];
	char shown[96], at[40];

	conf_show(t->name, shown, sizeof(shown));
	if (l->id >= MINISAN_MAX_LUNS_PER_TARGET) {
		conf_errf(c, l->line, err, errlen,
		    "LUN %u in target %s is out of range (0..%u)", l->id,
		    shown, MINISAN_MAX_LUNS_PER_TARGET - 1);
		return -EINVAL;
	}
	for (size_t j = 0; j < idx; j++) {
		if (t->luns[j].id == l->id) {
			conf_errf(c, l->line, err, errlen,
			    "duplicate LUN %u in target %s%s", l->id, shown,
			    first_at(t->luns[j].line, at, sizeof(at)));
			return -EINVAL;
		}
	}
	if (!text_ok(l->path, MINISAN_CONF_STRING_MAX, 0)) {
		conf_errf(c, l->line, err, errlen,
		    "LUN %u in target %s: path must be 1..%u bytes without "
		    "control characters", l->id, shown,
		    MINISAN_CONF_STRING_MAX);
		return -EINVAL;
	}
	/* SBC-3 6.2 READ CAPACITY: LOGICAL BLOCK LENGTH IN BYTES; we emulate
	 * 512 and 4096 byte blocks only. */
	if (l->block_size != 0 && l->block_size != 512 &&
	    l->block_size != 4096) {
		conf_errf(c, l->line, err, errlen,
		    "LUN %u in target %s: block-size %u is invalid (allowed: "
		    "512 or 4096)", l->id, shown, l->block_size);
		return -EINVAL;
	}
	/* SPC-4 7.8.16: PRODUCT SERIAL NUMBER is ASCII data */
	if (l->serial != NULL && !text_ok(l->serial, MINISAN_SERIAL_MAX, 1)) {
		conf_errf(c, l->line, err, errlen,
		    "LUN %u in target %s: serial must be 1..%u printable ASCII "
		    "characters", l->id, shown, MINISAN_SERIAL_MAX);
		return -EINVAL;
	}
	return 0;
}

static int
verify_target(const struct conf *c, size_t idx, char *err, size_t errlen)
{
	const struct conf_target *t = &c->targets[idx];
	const char *why;
	char shown[96], at[40];

	conf_show(t->name != NULL ? t->name : "", shown, sizeof(shown));
	why = conf_iscsi_name_error(t->name);
	if (why != NULL) {
		conf_errf(c, t->line, err, errlen,
		    "invalid iSCSI name '%s': %s", shown, why);
		return -EINVAL;
	}
	for (size_t j = 0; j < idx; j++) {
		if (strcasecmp(c->targets[j].name, t->name) == 0) {
			conf_errf(c, t->line, err, errlen,
			    "duplicate target %s%s", shown,
			    first_at(c->targets[j].line, at, sizeof(at)));
			return -EINVAL;
		}
	}
	/* RFC7143 13.6 TargetAlias; 6.1: values are at most 255 bytes */
	if (t->alias != NULL && !text_ok(t->alias, ISCSI_ALIAS_MAX, 0)) {
		conf_errf(c, t->line, err, errlen,
		    "alias of target %s must be 1..%u bytes without control "
		    "characters", shown, ISCSI_ALIAS_MAX);
		return -EINVAL;
	}
	if (t->nluns > MINISAN_MAX_LUNS_PER_TARGET) {
		conf_errf(c, t->line, err, errlen,
		    "too many LUNs in target %s (maximum %u)", shown,
		    MINISAN_MAX_LUNS_PER_TARGET);
		return -EINVAL;
	}
	for (size_t j = 0; j < t->nluns; j++)
		if (verify_lun(c, t, j, err, errlen) != 0)
			return -EINVAL;
	return 0;
}

int
conf_verify(const struct conf *c, char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (verify_globals(c, err, errlen) != 0 ||
	    verify_portals(c, err, errlen) != 0)
		return -EINVAL;
	if (c->ntargets > MINISAN_MAX_TARGETS) {
		conf_errf(c, 0, err, errlen, "too many targets (maximum %u)",
		    MINISAN_MAX_TARGETS);
		return -EINVAL;
	}
	for (size_t i = 0; i < c->ntargets; i++)
		if (verify_target(c, i, err, errlen) != 0)
			return -EINVAL;
	return 0;
}

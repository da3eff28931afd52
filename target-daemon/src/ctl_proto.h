/* SPDX-License-Identifier: BSD-2-Clause */
/* The control protocol spoken over minisand's unix socket: the only thing
 * minisand and minisanctl share. A request is one line of words separated
 * by single spaces; bytes a word cannot hold as such are %XX-escaped. The
 * answer is zero or more record lines, "KIND key=value ...", values escaped
 * the same way, then one status line: "ok [message]" or
 * "err CODE message". See docs/minisanctl.md. */
#ifndef MINISAN_CTL_PROTO_H
#define MINISAN_CTL_PROTO_H

#include <stddef.h>

#define CTL_DEFAULT_SOCKET "/run/minisand.sock"
/* Longest request line (without the newline): a LUN path of up to
 * MINISAN_CONF_STRING_MAX bytes, escaped, still fits. */
#define CTL_LINE_MAX 16384u
/* Most words in one request. */
#define CTL_MAX_WORDS 8u

/* Command words, as the daemon expects them (the CLI also accepts unique
 * prefixes and expands them). */
#define CTL_W_SHOW "show"
#define CTL_W_TARGET "target"
#define CTL_W_LUN "lun"
#define CTL_W_ACL "acl"
#define CTL_W_CHAP "chap"
#define CTL_W_SAVE "save"
#define CTL_W_RELOAD "reload"
#define CTL_W_ADD "add"
#define CTL_W_REMOVE "remove"
#define CTL_W_SET "set"
#define CTL_W_MUTUAL "mutual"
#define CTL_W_CLEAR "clear"
#define CTL_W_ALIAS "alias"
#define CTL_W_READONLY "readonly"
#define CTL_W_FORCE "force"

/* What "show" can show. */
#define CTL_W_TARGETS "targets"
#define CTL_W_LUNS "luns"
#define CTL_W_PORTALS "portals"
#define CTL_W_ACLS "acls"
#define CTL_W_SESSIONS "sessions"
#define CTL_W_STATS "stats"

/* Status codes of "err CODE message". */
enum ctl_status {
	CTL_OK,
	CTL_ERR_SYNTAX,     /* unknown command, missing or extra words */
	CTL_ERR_INVALID,    /* a word is malformed (name, number, path) */
	CTL_ERR_NOT_FOUND,  /* no such target, LUN, ACL entry */
	CTL_ERR_EXISTS,     /* already there */
	CTL_ERR_BUSY,       /* in use: sessions are logged in (force) */
	CTL_ERR_LIMIT,      /* a configured maximum is reached */
	CTL_ERR_APPLY,      /* the daemon could not apply it (I/O) */
	CTL_ERR_UNSUPPORTED, /* not possible in this mode (quick mode) */
	CTL_ERR_DENIED,     /* the peer is not allowed to control */
	CTL_ERR_TOO_LONG,   /* the request line is too long */
	CTL_NSTATUS
};

/* The word for a status code. */
static inline const char *
ctl_status_name(enum ctl_status st)
{
	static const char *const names[CTL_NSTATUS] = {
		[CTL_OK] = "ok",
		[CTL_ERR_SYNTAX] = "syntax",
		[CTL_ERR_INVALID] = "invalid",
		[CTL_ERR_NOT_FOUND] = "not-found",
		[CTL_ERR_EXISTS] = "exists",
		[CTL_ERR_BUSY] = "busy",
		[CTL_ERR_LIMIT] = "limit",
		[CTL_ERR_APPLY] = "apply",
		[CTL_ERR_UNSUPPORTED] = "unsupported",
		[CTL_ERR_DENIED] = "denied",
		[CTL_ERR_TOO_LONG] = "too-long",
	};

	return (unsigned)st < CTL_NSTATUS ? names[st] : "unknown";
}

/* True for record keys whose values are unsigned decimal numbers (--json
 * prints them as numbers); every other value is a string. */
static inline int
ctl_key_numeric(const char *key)
{
	static const char *const keys[] = {
		"lun", "luns", "sessions", "connections", "port", "tsih",
		"cid", "size", "block_size", "commands", "read_bytes",
		"written_bytes", "errors", "latency_us_avg",
		"latency_us_total", "acls", "max_recv_dsl", "max_xmit_dsl",
		"max_burst_length", "first_burst_length", "tasks",
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *a = keys[i], *b = key;

		while (*a != '\0' && *a == *b) {
			a++;
			b++;
		}
		if (*a == '\0' && *b == '\0')
			return 1;
	}
	return 0;
}

/* True for a byte a word carries as it is; every other byte is %XX. */
static inline int
ctl_plain_byte(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && ch != '%';
}

/* Writes s escaped into out (outlen > 0), NUL-terminated. Returns the
 * length the escaped form needs (without NUL), like snprintf. */
static inline size_t
ctl_escape(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ctl_plain_byte(ch)) {
			if (o + 1 < outlen)
				out[o] = (char)ch;
			o++;
			continue;
		}
		if (o + 3 < outlen) {
			out[o] = '%';
			out[o + 1] = hex[ch >> 4];
			out[o + 2] = hex[ch & 0xf];
		}
		o += 3;
	}
	if (outlen > 0)
		out[o < outlen ? o : outlen - 1] = '\0';
	return o;
}

static inline int
ctl_hex_val(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Undoes ctl_escape in place on the n bytes of s, then NUL-terminates.
 * Returns the new length, or -1 for a malformed escape or an escaped NUL
 * (a word never holds one). */
static inline long
ctl_unescape(char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] != '%') {
			s[o++] = s[i];
			continue;
		}
		if (i + 2 >= n)
			return -1;
		hi = ctl_hex_val(s[i + 1]);
		lo = ctl_hex_val(s[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -1;
		s[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	s[o] = '\0';
	return (long)o;
}

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the configuration-file syntax: a lexer that tracks
 * line numbers, a table-driven recursive-descent parser feeding the builders
 * of conf.c, and conf_format(), which writes a model back in the same syntax.
 * It is the only file that knows the syntax (see docs/configuration.md). */
#include "conf/conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/net.h"

#include "limits_minisan.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

enum tok {
	TOK_EOF,
	TOK_EOL,
	TOK_WORD,   /* bare word */
	TOK_STRING, /* double-quoted string, escapes resolved */
	TOK_LBRACE,
	TOK_RBRACE,
};

enum scope {
	SCOPE_GLOBAL = 1,
	SCOPE_TARGET = 2,
	SCOPE_LUN = 4,
};

enum dkind {
	D_BOOL,   /* int: yes/no */
	D_U16,    /* uint16_t in [min, max] */
	D_U32,    /* uint32_t in [min, max] */
	D_TEXT,   /* char *: 1..max bytes, no control characters */
	D_ASCII,  /* char *: 1..max printable ASCII characters */
	D_CUSTOM, /* fn does the work */
};

struct parser;
struct block;

struct directive {
	const char *name;
	enum scope scope;
	enum dkind kind;
	size_t off;        /* field offset in the scope's struct */
	uint32_t min, max; /* D_U16/D_U32 range; D_TEXT/D_ASCII max length */
	int multi;         /* may appear more than once in a block */
	int (*fn)(struct parser *ps, struct block *b, int line);
};

static int d_portal(struct parser *ps, struct block *b, int line);
static int d_isns_server(struct parser *ps, struct block *b, int line);
static int d_target(struct parser *ps, struct block *b, int line);
static int d_lun(struct parser *ps, struct block *b, int line);
static int d_allow(struct parser *ps, struct block *b, int line);
static int d_chap(struct parser *ps, struct block *b, int line);
static int d_network(struct parser *ps, struct block *b, int line);
static int d_mutual_chap(struct parser *ps, struct block *b, int line);
static int d_disc_chap(struct parser *ps, struct block *b, int line);
static int d_disc_mutual_chap(struct parser *ps, struct block *b, int line);
static int d_block_size(struct parser *ps, struct block *b, int line);
static int d_io_engine(struct parser *ps, struct block *b, int line);
static int d_workers(struct parser *ps, struct block *b, int line);

#define G(f) offsetof(struct conf, f)
#define TG(f) offsetof(struct conf_target, f)
#define L(f) offsetof(struct conf_lun, f)

static const struct directive directives[] = {
	{ "portal", SCOPE_GLOBAL, D_CUSTOM, 0, 0, 0, 1, d_portal },
	/* RFC7143 13.9: TargetPortalGroupTag is a 16-bit value */
	{ "portal-group-tag", SCOPE_GLOBAL, D_U16, G(tpgt), 1, 65535, 0,
	    NULL },
	/* RFC7143 13.12: 512 to 2^24-1 */
	{ "max-recv-data-segment-length", SCOPE_GLOBAL, D_U32,
	    G(max_recv_dsl), ISCSI_DSL_MIN, ISCSI_DSL_MAX, 0, NULL },
	/* RFC7143 13.13, 13.14: 512 to 2^24-1 */
	{ "max-burst-length", SCOPE_GLOBAL, D_U32, G(max_burst_length),
	    ISCSI_DSL_MIN, MINISAN_MAX_BURST, 0, NULL },
	{ "first-burst-length", SCOPE_GLOBAL, D_U32, G(first_burst_length),
	    ISCSI_DSL_MIN, MINISAN_MAX_BURST, 0, NULL },
	{ "digests", SCOPE_GLOBAL, D_BOOL, G(allow_digests), 0, 0, 0, NULL },
	{ "immediate-data", SCOPE_GLOBAL, D_BOOL, G(immediate_data), 0, 0, 0,
	    NULL },
	{ "initial-r2t", SCOPE_GLOBAL, D_BOOL, G(initial_r2t), 0, 0, 0,
	    NULL },
	/* where persistent reservations with APTPL are kept */
	{ "state-directory", SCOPE_GLOBAL, D_TEXT, G(state_dir), 0,
	    MINISAN_CONF_STRING_MAX, 0, NULL },
	/* minisanctl's unix socket (ctl.c) */
	{ "control-socket", SCOPE_GLOBAL, D_TEXT, G(control_socket), 0,
	    CONF_SOCKET_PATH_MAX, 0, NULL },
	/* how backing-store I/O is performed (bs_engine_new_kind) */
	{ "io-engine", SCOPE_GLOBAL, D_CUSTOM, 0, 0, 0, 0, d_io_engine },
	/* event loops serving connections (iscsi/worker.c) */
	{ "workers", SCOPE_GLOBAL, D_CUSTOM, 0, 0, 0, 0, d_workers },
	{ "discovery-chap", SCOPE_GLOBAL, D_CUSTOM, 0, 0, 0, 0, d_disc_chap },
	{ "discovery-mutual-chap", SCOPE_GLOBAL, D_CUSTOM, 0, 0, 0, 0,
	    d_disc_mutual_chap },
	/* iSNS (RFC 4171): servers, Entity Identifier, registration period */
	{ "isns-server", SCOPE_GLOBAL, D_CUSTOM, 0, 0, 0, 1, d_isns_server },
	{ "isns-entity", SCOPE_GLOBAL, D_ASCII, G(isns_entity), 0,
	    ISCSI_NAME_MAX, 0, NULL },
	{ "isns-period", SCOPE_GLOBAL, D_U32, G(isns_period),
	    MINISAN_ISNS_PERIOD_MIN, MINISAN_ISNS_PERIOD_MAX, 0, NULL },
	/* RFC4171 6.11.1.2: the DD_Symbolic_Name; the global one is the
	 * default of targets that name none */
	{ "isns-discovery-domain", SCOPE_GLOBAL, D_TEXT, G(isns_dd), 0,
	    MINISAN_ISNS_DD_NAME_MAX, 0, NULL },
	{ "target", SCOPE_GLOBAL, D_CUSTOM, 0, 0, 0, 1, d_target },
	{ "alias", SCOPE_TARGET, D_TEXT, TG(alias), 0, ISCSI_ALIAS_MAX, 0,
	    NULL },
	{ "isns-discovery-domain", SCOPE_TARGET, D_TEXT, TG(isns_dd), 0,
	    MINISAN_ISNS_DD_NAME_MAX, 0, NULL },
	{ "lun", SCOPE_TARGET, D_CUSTOM, 0, 0, 0, 1, d_lun },
	{ "allow-initiator", SCOPE_TARGET, D_CUSTOM, 0, 0, 0, 1, d_allow },
	{ "allow-network", SCOPE_TARGET, D_CUSTOM, 0, 0, 0, 1, d_network },
	{ "chap", SCOPE_TARGET, D_CUSTOM, 0, 0, 0, 0, d_chap },
	{ "mutual-chap", SCOPE_TARGET, D_CUSTOM, 0, 0, 0, 0, d_mutual_chap },
	{ "readonly", SCOPE_LUN, D_BOOL, L(readonly), 0, 0, 0, NULL },
	{ "block-size", SCOPE_LUN, D_CUSTOM, 0, 0, 0, 0, d_block_size },
	{ "serial", SCOPE_LUN, D_ASCII, L(serial), 0, MINISAN_SERIAL_MAX, 0,
	    NULL },
	{ "removable", SCOPE_LUN, D_BOOL, L(removable), 0, 0, 0, NULL },
};

#undef G
#undef TG
#undef L

#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

/* One open block (the file itself is the global block). */
struct block {
	enum scope scope;
	int line;              /* line of the '{' (0 for the file) */
	struct conf_target *t; /* SCOPE_TARGET and SCOPE_LUN */
	struct conf_lun *l;    /* SCOPE_LUN */
	int seen[NDIRECTIVES]; /* line where a single-valued one was set */
};

struct parser {
	const char *fname;
	const char *start, *p, *end;
	int line; /* line of *p */
	char *err;
	size_t errlen;
	struct conf *c;
	/* the current token */
	enum tok tok;
	int tline;
	size_t tlen;
	char tval[MINISAN_CONF_STRING_MAX + 1];
};

/* Sets "FILE:LINE: message" and returns -EINVAL. */
static int ps_err(struct parser *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
ps_err(struct parser *ps, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ps->err == NULL || ps->errlen == 0)
		return -EINVAL;
	n = snprintf(ps->err, ps->errlen, "%s:%d: ", ps->fname, line);
	if (n < 0 || (size_t)n >= ps->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#define SHOW_MAX 80

/* Describes the current token for "got ..." messages. */
static const char *
tok_desc(const struct parser *ps, char *out, size_t outlen)
{
	char v[SHOW_MAX];

	switch (ps->tok) {
	case TOK_EOF:
		return "end of file";
	case TOK_EOL:
		return "end of line";
	case TOK_LBRACE:
		return "'{'";
	case TOK_RBRACE:
		return "'}'";
	case TOK_WORD:
		snprintf(out, outlen, "'%s'",
		    conf_show(ps->tval, v, sizeof(v)));
		return out;
	case TOK_STRING:
		snprintf(out, outlen, "\"%s\"",
		    conf_show(ps->tval, v, sizeof(v)));
		return out;
	}
	return "?";
}

static int
is_word_char(unsigned char ch)
{
	return ch > 0x20 && ch != 0x7f && ch != '{' && ch != '}' &&
	    ch != '"' && ch != '#';
}

static int
lex_string(struct parser *ps)
{
	ps->tok = TOK_STRING;
	ps->tlen = 0;
	ps->p++; /* opening quote */
	for (;;) {
		unsigned char ch;

		if (ps->p == ps->end || *ps->p == '\n')
			return ps_err(ps, ps->tline,
			    "unterminated string (missing closing '\"')");
		ch = (unsigned char)*ps->p;
		if (ch == '"') {
			ps->p++;
			break;
		}
		if (ch == '\\') {
			if (ps->p + 1 == ps->end || ps->p[1] == '\n')
				return ps_err(ps, ps->tline,
				    "unterminated string (missing closing "
				    "'\"')");
			if (ps->p[1] != '"' && ps->p[1] != '\\')
				return ps_err(ps, ps->tline,
				    "invalid escape sequence in string (only "
				    "\\\" and \\\\ are allowed)");
			ch = (unsigned char)ps->p[1];
			ps->p++;
		} else if (ch < 0x20 || ch == 0x7f)
			return ps_err(ps, ps->tline,
			    "invalid control character 0x%02x in string", ch);
		if (ps->tlen == MINISAN_CONF_STRING_MAX)
			return ps_err(ps, ps->tline,
			    "string longer than %u bytes",
			    MINISAN_CONF_STRING_MAX);
		ps->tval[ps->tlen++] = (char)ch;
		ps->p++;
	}
	ps->tval[ps->tlen] = '\0';
	return 0;
}

/* Reads the next token into ps->tok/tval. Returns 0 or -EINVAL. */
static int
lex_next(struct parser *ps)
{
	unsigned char ch;

	for (;;) {
		if (ps->p == ps->end) {
			ps->tok = TOK_EOF;
			/* the last line, not the empty one after a final
			 * newline */
			ps->tline = ps->line;
			if (ps->p > ps->start && ps->p[-1] == '\n' &&
			    ps->line > 1)
				ps->tline--;
			return 0;
		}
		ch = (unsigned char)*ps->p;
		/* CR is blank so that CRLF files read like LF files */
		if (ch == ' ' || ch == '\t' || ch == '\r') {
			ps->p++;
			continue;
		}
		if (ch == '#') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
			continue;
		}
		break;
	}
	ps->tline = ps->line;
	ps->tlen = 0;
	ps->tval[0] = '\0';
	switch (ch) {
	case '\n':
		ps->tok = TOK_EOL;
		ps->p++;
		ps->line++;
		return 0;
	case '{':
		ps->tok = TOK_LBRACE;
		ps->p++;
		return 0;
	case '}':
		ps->tok = TOK_RBRACE;
		ps->p++;
		return 0;
	case '"':
		return lex_string(ps);
	default:
		break;
	}
	if (!is_word_char(ch))
		return ps_err(ps, ps->tline, "invalid control character 0x%02x",
		    ch);
	ps->tok = TOK_WORD;
	while (ps->p < ps->end && is_word_char((unsigned char)*ps->p)) {
		if (ps->tlen == MINISAN_CONF_STRING_MAX)
			return ps_err(ps, ps->tline,
			    "word longer than %u bytes",
			    MINISAN_CONF_STRING_MAX);
		ps->tval[ps->tlen++] = *ps->p++;
	}
	ps->tval[ps->tlen] = '\0';
	return 0;
}

/* If the current token is '{', possibly after line breaks, makes it the
 * current token and returns 1; otherwise leaves the lexer where it was and
 * returns 0. Returns -EINVAL on a lexical error further on. */
static int
lex_at_lbrace(struct parser *ps)
{
	const char *save_p = ps->p;
	int save_line = ps->line, save_tline = ps->tline, r;
	enum tok save_tok = ps->tok;

	if (ps->tok == TOK_LBRACE)
		return 1;
	if (ps->tok != TOK_EOL)
		return 0;
	while (ps->tok == TOK_EOL)
		if ((r = lex_next(ps)) != 0)
			return r;
	if (ps->tok == TOK_LBRACE)
		return 1;
	/* only an end-of-line token is saved: it carries no value */
	ps->p = save_p;
	ps->line = save_line;
	ps->tline = save_tline;
	ps->tok = save_tok;
	ps->tval[0] = '\0';
	ps->tlen = 0;
	return 0;
}

/* Makes sure the current token is a value (bare word or quoted string).
 * what: e.g. "number", ctx: the directive as the user wrote it. */
static int
need_value(struct parser *ps, const char *what, const char *ctx)
{
	char d[SHOW_MAX + 8];

	if (ps->tok == TOK_WORD || ps->tok == TOK_STRING)
		return 0;
	if (ps->tok == TOK_EOL || ps->tok == TOK_EOF || ps->tok == TOK_RBRACE)
		return ps_err(ps, ps->tline, "missing %s for '%s'", what, ctx);
	return ps_err(ps, ps->tline, "expected %s for '%s', got %s", what, ctx,
	    tok_desc(ps, d, sizeof(d)));
}

/* Parses the current token as a decimal number in [lo, hi]; name labels the
 * value in messages. Does not advance. */
static int
get_number(struct parser *ps, const char *name, uint32_t lo, uint32_t hi,
    uint32_t *out)
{
	char d[SHOW_MAX + 8];
	uint64_t v = 0;
	int big = 0;
	int r;

	if ((r = need_value(ps, "value", name)) != 0)
		return r;
	for (size_t i = 0; i < ps->tlen; i++) {
		char ch = ps->tval[i];

		if (ch < '0' || ch > '9')
			return ps_err(ps, ps->tline,
			    "expected a number for '%s', got %s", name,
			    tok_desc(ps, d, sizeof(d)));
		if (!big) {
			v = v * 10 + (uint64_t)(ch - '0');
			if (v > UINT32_MAX)
				big = 1;
		}
	}
	if (ps->tlen == 0)
		return ps_err(ps, ps->tline,
		    "expected a number for '%s', got %s", name,
		    tok_desc(ps, d, sizeof(d)));
	if (big || v < lo || v > hi)
		return ps_err(ps, ps->tline, "%s %s is out of range (%u..%u)",
		    name, conf_show(ps->tval, d, sizeof(d)), lo, hi);
	*out = (uint32_t)v;
	return 0;
}

static int
get_bool(struct parser *ps, const char *name, int *out)
{
	static const struct {
		const char *word;
		int value;
	} words[] = {
		{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
		{ "on", 1 }, { "off", 0 },
	};
	char d[SHOW_MAX + 8];
	int r;

	if ((r = need_value(ps, "value", name)) != 0)
		return r;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcmp(ps->tval, words[i].word) == 0) {
			*out = words[i].value;
			return 0;
		}
	}
	return ps_err(ps, ps->tline, "expected yes or no for '%s', got %s",
	    name, tok_desc(ps, d, sizeof(d)));
}

/* Checks a text value for D_TEXT / D_ASCII directives. */
static int
check_text(struct parser *ps, const struct directive *d)
{
	if (ps->tlen == 0)
		return ps_err(ps, ps->tline, "'%s' must not be empty", d->name);
	if (ps->tlen > d->max)
		return ps_err(ps, ps->tline,
		    "'%s' is too long (%zu bytes; maximum %u)", d->name,
		    ps->tlen, d->max);
	for (size_t i = 0; i < ps->tlen; i++) {
		unsigned char ch = (unsigned char)ps->tval[i];

		/* the lexer already refused control characters */
		if (d->kind == D_ASCII && ch > 0x7e)
			return ps_err(ps, ps->tline,
			    "'%s' must be printable ASCII", d->name);
	}
	return 0;
}

/* Applies a table-driven (non-custom) directive to its field. */
static int
apply_simple(struct parser *ps, const struct directive *d, struct block *b)
{
	char *base;
	uint32_t v = 0;
	int bv = 0, r;

	switch (d->scope) {
	case SCOPE_GLOBAL:
		base = (char *)ps->c;
		break;
	case SCOPE_TARGET:
		base = (char *)b->t;
		break;
	default:
		base = (char *)b->l;
		break;
	}
	switch (d->kind) {
	case D_BOOL:
		if ((r = get_bool(ps, d->name, &bv)) != 0)
			return r;
		*(int *)(void *)(base + d->off) = bv;
		break;
	case D_U16:
		if ((r = get_number(ps, d->name, d->min, d->max, &v)) != 0)
			return r;
		*(uint16_t *)(void *)(base + d->off) = (uint16_t)v;
		break;
	case D_U32:
		if ((r = get_number(ps, d->name, d->min, d->max, &v)) != 0)
			return r;
		*(uint32_t *)(void *)(base + d->off) = v;
		break;
	case D_TEXT:
	case D_ASCII: {
		char **fp = (char **)(void *)(base + d->off);

		if ((r = need_value(ps, "value", d->name)) != 0 ||
		    (r = check_text(ps, d)) != 0)
			return r;
		free(*fp);
		*fp = xstrdup(ps->tval);
		break;
	}
	case D_CUSTOM:
		break;
	}
	return lex_next(ps);
}

static const char *
scope_where(enum scope s)
{
	switch (s) {
	case SCOPE_GLOBAL:
		return "at top level";
	case SCOPE_TARGET:
		return "in a target block";
	case SCOPE_LUN:
		return "in a lun block";
	}
	return "here";
}

static int parse_body(struct parser *ps, struct block *b);

/* Parses one directive; the current token is its name (a bare word). */
static int
parse_statement(struct parser *ps, struct block *b)
{
	const struct directive *d = NULL;
	char v[SHOW_MAX], t[SHOW_MAX + 8];
	int line = ps->tline, r;
	size_t i = 0;

	/* a name may exist in two scopes (isns-discovery-domain): prefer
	 * the entry of the current block */
	for (size_t j = 0; j < NDIRECTIVES; j++) {
		if (strcmp(directives[j].name, ps->tval) != 0)
			continue;
		if (d == NULL || (d->scope != b->scope &&
		    directives[j].scope == b->scope)) {
			d = &directives[j];
			i = j;
		}
	}
	if (d == NULL)
		return ps_err(ps, line, "unknown directive '%s'",
		    conf_show(ps->tval, v, sizeof(v)));
	if (d->scope != b->scope) {
		/* a directive of an enclosing block: likely a missing '}' */
		if (d->scope < b->scope)
			return ps_err(ps, line, "'%s' is not allowed %s "
			    "(missing '}' for the block opened at line %d?)",
			    d->name, scope_where(b->scope), b->line);
		return ps_err(ps, line, "'%s' is not allowed %s (it belongs "
		    "%s)", d->name, scope_where(b->scope),
		    scope_where(d->scope));
	}
	if (!d->multi) {
		if (b->seen[i] != 0)
			return ps_err(ps, line, "duplicate '%s' (first set at "
			    "line %d)", d->name, b->seen[i]);
		b->seen[i] = line;
	}
	if ((r = lex_next(ps)) != 0)
		return r;
	r = d->kind == D_CUSTOM ? d->fn(ps, b, line) :
	    apply_simple(ps, d, b);
	if (r != 0)
		return r;
	/* a directive ends at the end of its line or before a '}' */
	switch (ps->tok) {
	case TOK_EOL:
		return lex_next(ps);
	case TOK_EOF:
	case TOK_RBRACE:
		return 0;
	default:
		return ps_err(ps, ps->tline, "too many arguments for '%s' "
		    "(unexpected %s; quote values that contain spaces)",
		    d->name, tok_desc(ps, t, sizeof(t)));
	}
}

/* Parses directives up to the end of the block (its '}' becomes the current
 * token) or, for the global block, to the end of the file. */
static int
parse_body(struct parser *ps, struct block *b)
{
	char d[SHOW_MAX + 8], v[SHOW_MAX];
	int r;

	for (;;) {
		switch (ps->tok) {
		case TOK_EOL:
			if ((r = lex_next(ps)) != 0)
				return r;
			continue;
		case TOK_EOF:
			if (b->scope == SCOPE_GLOBAL)
				return 0;
			if (b->scope == SCOPE_TARGET)
				return ps_err(ps, ps->tline, "missing '}' at "
				    "end of file (block of target %s opened "
				    "at line %d)", conf_show(b->t->name, v,
				    sizeof(v)), b->line);
			return ps_err(ps, ps->tline, "missing '}' at end of "
			    "file (block of lun %u opened at line %d)",
			    b->l->id, b->line);
		case TOK_RBRACE:
			if (b->scope == SCOPE_GLOBAL)
				return ps_err(ps, ps->tline,
				    "unexpected '}' (no block is open)");
			return 0;
		case TOK_WORD:
			if ((r = parse_statement(ps, b)) != 0)
				return r;
			continue;
		default:
			return ps_err(ps, ps->tline,
			    "expected a directive, got %s",
			    tok_desc(ps, d, sizeof(d)));
		}
	}
}

/* Parses "{ ... }" after a target or lun header; the current token is '{'.
 * Leaves the token after '}' current. */
static int
parse_block(struct parser *ps, struct block *b)
{
	int r;

	b->line = ps->tline;
	if ((r = lex_next(ps)) != 0 || (r = parse_body(ps, b)) != 0)
		return r;
	return lex_next(ps); /* the '}' */
}

static int
d_portal(struct parser *ps, struct block *b, int line)
{
	int r;

	(void)b;
	if ((r = need_value(ps, "address", "portal")) != 0)
		return r;
	/* conf_add_portal() formats "FILE:LINE: ..." itself (c->path) */
	if ((r = conf_add_portal(ps->c, ps->tval, line, ps->err,
	    ps->errlen)) != 0)
		return -EINVAL;
	return lex_next(ps);
}

static int
d_isns_server(struct parser *ps, struct block *b, int line)
{
	int r;

	(void)b;
	if ((r = need_value(ps, "address", "isns-server")) != 0)
		return r;
	if (conf_add_isns_server(ps->c, ps->tval, line, ps->err,
	    ps->errlen) != 0)
		return -EINVAL;
	return lex_next(ps);
}

/* NAME SECRET of a CHAP directive into *user and *secret. The secret is
 * never echoed in messages. */
static int
chap_pair(struct parser *ps, const char *ctx, char **user, char **secret)
{
	int r;

	if ((r = need_value(ps, "user name", ctx)) != 0)
		return r;
	free(*user);
	*user = xstrndup(ps->tval, ps->tlen);
	if ((r = lex_next(ps)) != 0)
		return r;
	if ((r = need_value(ps, "secret", ctx)) != 0)
		return r;
	free(*secret);
	*secret = xstrndup(ps->tval, ps->tlen);
	ps->c->has_secrets = 1;
	return lex_next(ps);
}

static int
d_chap(struct parser *ps, struct block *b, int line)
{
	(void)line;
	return chap_pair(ps, "chap", &b->t->chap_user, &b->t->chap_secret);
}

static int
d_mutual_chap(struct parser *ps, struct block *b, int line)
{
	(void)line;
	return chap_pair(ps, "mutual-chap", &b->t->mutual_user,
	    &b->t->mutual_secret);
}

static int
d_disc_chap(struct parser *ps, struct block *b, int line)
{
	(void)b;
	(void)line;
	return chap_pair(ps, "discovery-chap", &ps->c->disc_chap_user,
	    &ps->c->disc_chap_secret);
}

static int
d_disc_mutual_chap(struct parser *ps, struct block *b, int line)
{
	(void)b;
	(void)line;
	return chap_pair(ps, "discovery-mutual-chap", &ps->c->disc_mutual_user,
	    &ps->c->disc_mutual_secret);
}

/* allow-network ADDR/PREFIX: logins only from these source networks */
static int
d_network(struct parser *ps, struct block *b, int line)
{
	struct net_cidr n;
	char v[SHOW_MAX];
	int r;

	if ((r = need_value(ps, "network", "allow-network")) != 0)
		return r;
	conf_show(ps->tval, v, sizeof(v));
	if (net_cidr_parse(ps->tval, &n) != 0)
		return ps_err(ps, line, "invalid network '%s' (want ADDR/PREFIX "
		    "with no host bits set, e.g. 192.0.2.0/24)", v);
	if (conf_add_network(b->t, ps->tval) != 0)
		return ps_err(ps, line, "more than %u allow-network entries",
		    MINISAN_MAX_ACL_ENTRIES);
	return lex_next(ps);
}

/* allow-initiator NAME: only listed initiators may log in to the target
 * (and see it in SendTargets). */
static int
d_allow(struct parser *ps, struct block *b, int line)
{
	char v[SHOW_MAX];
	const char *why;
	int r;

	if ((r = need_value(ps, "initiator name", "allow-initiator")) != 0)
		return r;
	conf_show(ps->tval, v, sizeof(v));
	if ((why = conf_iscsi_name_error(ps->tval)) != NULL)
		return ps_err(ps, line, "invalid iSCSI name '%s': %s", v, why);
	r = conf_add_allow(b->t, ps->tval);
	if (r == -EEXIST)
		return ps_err(ps, line, "initiator %s listed twice", v);
	if (r < 0)
		return ps_err(ps, line, "more than %u allow-initiator entries",
		    MINISAN_MAX_ACL_ENTRIES);
	return lex_next(ps);
}

static int
d_target(struct parser *ps, struct block *b, int line)
{
	struct block tb;
	struct conf_target *t;
	const char *why;
	char v[SHOW_MAX], d[SHOW_MAX + 8];
	int r;

	(void)b;
	if ((r = need_value(ps, "target name", "target")) != 0)
		return r;
	conf_show(ps->tval, v, sizeof(v));
	if ((why = conf_iscsi_name_error(ps->tval)) != NULL)
		return ps_err(ps, line, "invalid iSCSI name '%s': %s", v, why);
	if ((t = conf_find_target(ps->c, ps->tval)) != NULL)
		return ps_err(ps, line, "duplicate target %s (first defined "
		    "at line %d)", v, t->line);
	if ((t = conf_add_target(ps->c, ps->tval, line)) == NULL)
		return ps_err(ps, line, "too many targets (maximum %u)",
		    MINISAN_MAX_TARGETS);
	if ((r = lex_next(ps)) != 0)
		return r;
	if ((r = lex_at_lbrace(ps)) < 0)
		return r;
	if (r == 0)
		return ps_err(ps, ps->tline, "expected '{' after target name, "
		    "got %s", tok_desc(ps, d, sizeof(d)));
	memset(&tb, 0, sizeof(tb));
	tb.scope = SCOPE_TARGET;
	tb.t = t;
	return parse_block(ps, &tb);
}

static int
d_lun(struct parser *ps, struct block *b, int line)
{
	struct block lb;
	struct conf_lun *l;
	uint32_t id;
	char ctx[32], v[SHOW_MAX];
	int r;

	if ((r = need_value(ps, "LUN number", "lun")) != 0 ||
	    (r = get_number(ps, "lun", 0,
	    MINISAN_MAX_LUNS_PER_TARGET - 1, &id)) != 0 ||
	    (r = lex_next(ps)) != 0)
		return r;
	snprintf(ctx, sizeof(ctx), "lun %u", id);
	if ((r = need_value(ps, "path", ctx)) != 0)
		return r;
	if (ps->tval[0] != '/')
		return ps_err(ps, ps->tline, "path of lun %u must be absolute, "
		    "got '%s'", id, conf_show(ps->tval, v, sizeof(v)));
	if ((l = conf_find_lun(b->t, id)) != NULL)
		return ps_err(ps, line, "duplicate LUN %u in target %s (first "
		    "defined at line %d)", id,
		    conf_show(b->t->name, v, sizeof(v)), l->line);
	if ((l = conf_add_lun(b->t, id, ps->tval, line)) == NULL)
		return ps_err(ps, line, "too many LUNs in target %s (maximum "
		    "%u)", conf_show(b->t->name, v, sizeof(v)),
		    MINISAN_MAX_LUNS_PER_TARGET);
	if ((r = lex_next(ps)) != 0)
		return r;
	if ((r = lex_at_lbrace(ps)) <= 0)
		return r; /* no block: the statement ends here */
	memset(&lb, 0, sizeof(lb));
	lb.scope = SCOPE_LUN;
	lb.t = b->t;
	lb.l = l;
	return parse_block(ps, &lb);
}

static int
d_block_size(struct parser *ps, struct block *b, int line)
{
	char v[SHOW_MAX];
	uint32_t bs;
	int r;

	(void)line;
	if ((r = get_number(ps, "block-size", 0, UINT32_MAX, &bs)) != 0)
		return r;
	/* SBC-3 6.2: we emulate 512 and 4096 byte logical blocks */
	if (bs != 512 && bs != 4096)
		return ps_err(ps, ps->tline, "block-size %s is invalid "
		    "(allowed: 512 or 4096)",
		    conf_show(ps->tval, v, sizeof(v)));
	b->l->block_size = bs;
	return lex_next(ps);
}

/* io-engine auto|io_uring|threads */
static int
d_io_engine(struct parser *ps, struct block *b, int line)
{
	char d[SHOW_MAX + 8];
	int r;

	(void)b;
	(void)line;
	if ((r = need_value(ps, "engine", "io-engine")) != 0)
		return r;
	if (conf_io_engine_parse(ps->tval, &ps->c->io_engine) != 0)
		return ps_err(ps, ps->tline, "expected auto, io_uring or "
		    "threads for 'io-engine', got %s",
		    tok_desc(ps, d, sizeof(d)));
	return lex_next(ps);
}

/* workers auto|N */
static int
d_workers(struct parser *ps, struct block *b, int line)
{
	uint32_t v;
	int r;

	(void)b;
	(void)line;
	if (ps->tok == TOK_WORD && strcmp(ps->tval, "auto") == 0) {
		ps->c->workers = 0;
		return lex_next(ps);
	}
	if ((r = get_number(ps, "workers", 1, MINISAN_MAX_WORKERS, &v)) != 0)
		return r;
	ps->c->workers = v;
	return lex_next(ps);
}

int
conf_parse_string(const char *text, size_t len, const char *fname,
    struct conf **out, char *err, size_t errlen)
{
	struct parser *ps;
	struct block top;
	struct conf *c;
	int r;

	*out = NULL;
	if (fname == NULL)
		fname = "<string>";
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > MINISAN_CONF_FILE_MAX) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: file is larger than %u "
			    "bytes", fname, MINISAN_CONF_FILE_MAX);
		return -EFBIG;
	}
	c = conf_new();
	c->path = xstrdup(fname);
	ps = xcalloc(1, sizeof(*ps));
	ps->fname = c->path;
	ps->start = ps->p = text;
	ps->end = text + len;
	ps->line = 1;
	ps->err = err;
	ps->errlen = errlen;
	ps->c = c;
	memset(&top, 0, sizeof(top));
	top.scope = SCOPE_GLOBAL;
	r = lex_next(ps);
	if (r == 0)
		r = parse_body(ps, &top);
	free(ps);
	if (r != 0) {
		conf_free(c);
		return r;
	}
	*out = c;
	return 0;
}

int
conf_parse_file(const char *path, struct conf **out, char *err,
    size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, r;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: cannot open: %s", path,
			    strerror(-r));
		return r;
	}
	/* read at most one byte more than allowed, to detect "too large" */
	for (;;) {
		if (len == cap) {
			if (cap > MINISAN_CONF_FILE_MAX)
				break;
			cap = cap == 0 ? 65536 : cap * 2;
			if (cap > MINISAN_CONF_FILE_MAX + 1)
				cap = MINISAN_CONF_FILE_MAX + 1;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "%s: cannot read: %s",
				    path, strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	r = conf_parse_string(buf, len, path, out, err, errlen);
	if (r == 0 && (*out)->has_secrets) {
		struct stat st;

		/* secrets others can read are no secrets: refuse the file */
		if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "%s: holds CHAP secrets "
				    "but group or others may access it "
				    "(mode %03o); chmod 600 it", path,
				    (unsigned)(st.st_mode & 0777));
			conf_free(*out);
			*out = NULL;
			r = -EPERM;
		}
	}
out:
	close(fd);
	free(buf);
	return r;
}

/* Appends s as a bare word when the lexer would read it back as one, else
 * as a quoted string. */
static void
sb_value(struct strbuf *sb, const char *s)
{
	int bare = s[0] != '\0';

	for (const char *q = s; bare && *q != '\0'; q++)
		if (!is_word_char((unsigned char)*q))
			bare = 0;
	if (bare) {
		strbuf_add(sb, s, strlen(s));
		return;
	}
	strbuf_add(sb, "\"", 1);
	for (const char *q = s; *q != '\0'; q++) {
		if (*q == '"' || *q == '\\')
			strbuf_add(sb, "\\", 1);
		strbuf_add(sb, q, 1);
	}
	strbuf_add(sb, "\"", 1);
}

static const char *
yesno(int v)
{
	return v ? "yes" : "no";
}

char *
conf_format(const struct conf *c)
{
	struct strbuf sb;

	strbuf_init(&sb);

	strbuf_printf(&sb, "portal-group-tag %u\n", c->tpgt);
	if (c->max_recv_dsl != 0)
		strbuf_printf(&sb, "max-recv-data-segment-length %u\n",
		    c->max_recv_dsl);
	if (c->max_burst_length != 0)
		strbuf_printf(&sb, "max-burst-length %u\n",
		    c->max_burst_length);
	if (c->first_burst_length != 0)
		strbuf_printf(&sb, "first-burst-length %u\n",
		    c->first_burst_length);
	strbuf_printf(&sb, "digests %s\n", yesno(c->allow_digests));
	strbuf_printf(&sb, "immediate-data %s\n", yesno(c->immediate_data));
	strbuf_printf(&sb, "initial-r2t %s\n", yesno(c->initial_r2t));
	if (c->disc_chap_user != NULL) {
		strbuf_printf(&sb, "discovery-chap ");
		sb_value(&sb, c->disc_chap_user);
		strbuf_printf(&sb, " ");
		sb_value(&sb, c->disc_chap_secret);
		strbuf_printf(&sb, "\n");
	}
	if (c->disc_mutual_user != NULL) {
		strbuf_printf(&sb, "discovery-mutual-chap ");
		sb_value(&sb, c->disc_mutual_user);
		strbuf_printf(&sb, " ");
		sb_value(&sb, c->disc_mutual_secret);
		strbuf_printf(&sb, "\n");
	}
	if (c->state_dir != NULL) {
		strbuf_printf(&sb, "state-directory ");
		sb_value(&sb, c->state_dir);
		strbuf_printf(&sb, "\n");
	}
	if (c->control_socket != NULL) {
		strbuf_printf(&sb, "control-socket ");
		sb_value(&sb, c->control_socket);
		strbuf_printf(&sb, "\n");
	}
	if (c->io_engine != CONF_IO_ENGINE_AUTO)
		strbuf_printf(&sb, "io-engine %s\n",
		    conf_io_engine_name(c->io_engine));
	if (c->workers != 0)
		strbuf_printf(&sb, "workers %u\n", (unsigned)c->workers);
	for (size_t i = 0; i < c->nportals; i++) {
		const struct conf_portal *p = &c->portals[i];

		if (strchr(p->host, ':') != NULL)
			strbuf_printf(&sb, "portal [%s]:%u\n", p->host,
			    p->port);
		else
			strbuf_printf(&sb, "portal %s:%u\n", p->host, p->port);
	}
	for (size_t i = 0; i < c->nisns_servers; i++) {
		const struct conf_portal *p = &c->isns_servers[i];

		if (strchr(p->host, ':') != NULL)
			strbuf_printf(&sb, "isns-server [%s]:%u\n", p->host,
			    p->port);
		else
			strbuf_printf(&sb, "isns-server %s:%u\n", p->host,
			    p->port);
	}
	if (c->isns_entity != NULL) {
		strbuf_printf(&sb, "isns-entity ");
		sb_value(&sb, c->isns_entity);
		strbuf_printf(&sb, "\n");
	}
	if (c->isns_period != 0)
		strbuf_printf(&sb, "isns-period %u\n", c->isns_period);
	if (c->isns_dd != NULL) {
		strbuf_printf(&sb, "isns-discovery-domain ");
		sb_value(&sb, c->isns_dd);
		strbuf_printf(&sb, "\n");
	}
	for (size_t i = 0; i < c->ntargets; i++) {
		const struct conf_target *t = &c->targets[i];

		strbuf_printf(&sb, "\ntarget ");
		sb_value(&sb, t->name);
		strbuf_printf(&sb, " {\n");
		if (t->alias != NULL) {
			strbuf_printf(&sb, "\talias ");
			sb_value(&sb, t->alias);
			strbuf_printf(&sb, "\n");
		}
		if (t->isns_dd != NULL) {
			strbuf_printf(&sb, "\tisns-discovery-domain ");
			sb_value(&sb, t->isns_dd);
			strbuf_printf(&sb, "\n");
		}
		if (t->chap_user != NULL) {
			strbuf_printf(&sb, "\tchap ");
			sb_value(&sb, t->chap_user);
			strbuf_printf(&sb, " ");
			sb_value(&sb, t->chap_secret);
			strbuf_printf(&sb, "\n");
		}
		if (t->mutual_user != NULL) {
			strbuf_printf(&sb, "\tmutual-chap ");
			sb_value(&sb, t->mutual_user);
			strbuf_printf(&sb, " ");
			sb_value(&sb, t->mutual_secret);
			strbuf_printf(&sb, "\n");
		}
		for (size_t j = 0; j < t->nnets; j++)
			strbuf_printf(&sb, "\tallow-network %s\n", t->nets[j]);
		for (size_t j = 0; j < t->nallow; j++) {
			strbuf_printf(&sb, "\tallow-initiator ");
			sb_value(&sb, t->allow[j]);
			strbuf_printf(&sb, "\n");
		}
		for (size_t j = 0; j < t->nluns; j++) {
			const struct conf_lun *l = &t->luns[j];

			strbuf_printf(&sb, "\tlun %u ", l->id);
			sb_value(&sb, l->path);
			if (!l->readonly && l->block_size == 0 &&
			    l->serial == NULL && !l->removable) {
				strbuf_printf(&sb, "\n");
				continue;
			}
			strbuf_printf(&sb, " {\n");
			if (l->readonly)
				strbuf_printf(&sb, "\t\treadonly yes\n");
			if (l->block_size != 0)
				strbuf_printf(&sb, "\t\tblock-size %u\n",
				    l->block_size);
			if (l->serial != NULL) {
				strbuf_printf(&sb, "\t\tserial ");
				sb_value(&sb, l->serial);
				strbuf_printf(&sb, "\n");
			}
			if (l->removable)
				strbuf_printf(&sb, "\t\tremovable yes\n");
			strbuf_printf(&sb, "\t}\n");
		}
		strbuf_printf(&sb, "}\n");
	}
	return strbuf_take(&sb);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* minisanctl: the control CLI of minisand. Turns its arguments into one
 * request line through a token table (unique prefixes accepted, the valid
 * words listed on error), sends it over minisand's unix socket and prints
 * the answer as tables, or as JSON with --json. Shares only ctl_proto.h
 * with the daemon. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_proto.h"

/* Seconds to wait for the daemon's answer. */
#define CTL_TIMEOUT_SEC 60
/* Longest answer accepted (the largest configuration's "show luns"). */
#define CTL_ANSWER_MAX (64u * 1024 * 1024)

enum tok_type {
	TOK_NONE,    /* end of a table */
	TOK_END,     /* the command may end here */
	TOK_KEYWORD, /* a fixed word; unique prefixes match */
	TOK_ARG,     /* any word (help names it) */
};

struct tok {
	enum tok_type type;
	const char *word;       /* keyword, or the argument's name */
	const struct tok *next; /* table for the following word */
};

/* Table names follow the words that lead to them. */
static const struct tok t_end[] = {
	{ TOK_END, NULL, NULL },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_force[] = {
	{ TOK_END, NULL, NULL },
	{ TOK_KEYWORD, CTL_W_FORCE, t_end },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_show[] = {
	{ TOK_KEYWORD, CTL_W_TARGETS, t_end },
	{ TOK_KEYWORD, CTL_W_LUNS, t_end },
	{ TOK_KEYWORD, CTL_W_PORTALS, t_end },
	{ TOK_KEYWORD, CTL_W_ACLS, t_end },
	{ TOK_KEYWORD, CTL_W_SESSIONS, t_end },
	{ TOK_KEYWORD, CTL_W_STATS, t_end },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_alias_arg[] = {
	{ TOK_ARG, "ALIAS", t_end },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_target_add_opt[] = {
	{ TOK_END, NULL, NULL },
	{ TOK_KEYWORD, CTL_W_ALIAS, t_alias_arg },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_target_add[] = {
	{ TOK_ARG, "IQN", t_target_add_opt },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_target_remove[] = {
	{ TOK_ARG, "IQN", t_force },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_target[] = {
	{ TOK_KEYWORD, CTL_W_ADD, t_target_add },
	{ TOK_KEYWORD, CTL_W_REMOVE, t_target_remove },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_readonly[] = {
	{ TOK_END, NULL, NULL },
	{ TOK_KEYWORD, CTL_W_READONLY, t_end },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_lun_path[] = {
	{ TOK_ARG, "PATH", t_readonly },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_lun_add_n[] = {
	{ TOK_ARG, "LUN", t_lun_path },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_lun_remove_n[] = {
	{ TOK_ARG, "LUN", t_force },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_lun_add[] = {
	{ TOK_ARG, "IQN", t_lun_add_n },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_lun_remove[] = {
	{ TOK_ARG, "IQN", t_lun_remove_n },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_lun[] = {
	{ TOK_KEYWORD, CTL_W_ADD, t_lun_add },
	{ TOK_KEYWORD, CTL_W_REMOVE, t_lun_remove },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_acl_entry[] = {
	{ TOK_ARG, "INITIATOR-IQN|ADDR/PREFIX", t_end },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_acl_target[] = {
	{ TOK_ARG, "IQN", t_acl_entry },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_acl[] = {
	{ TOK_KEYWORD, CTL_W_ADD, t_acl_target },
	{ TOK_KEYWORD, CTL_W_REMOVE, t_acl_target },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_chap_secret[] = {
	{ TOK_ARG, "SECRET|-", t_end },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_chap_user[] = {
	{ TOK_ARG, "USER", t_chap_secret },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_chap_set[] = {
	{ TOK_ARG, "IQN", t_chap_user },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_chap_clear[] = {
	{ TOK_ARG, "IQN", t_end },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_chap[] = {
	{ TOK_KEYWORD, CTL_W_SET, t_chap_set },
	{ TOK_KEYWORD, CTL_W_MUTUAL, t_chap_set },
	{ TOK_KEYWORD, CTL_W_CLEAR, t_chap_clear },
	{ TOK_NONE, NULL, NULL },
};
static const struct tok t_main[] = {
	{ TOK_KEYWORD, CTL_W_SHOW, t_show },
	{ TOK_KEYWORD, CTL_W_TARGET, t_target },
	{ TOK_KEYWORD, CTL_W_LUN, t_lun },
	{ TOK_KEYWORD, CTL_W_ACL, t_acl },
	{ TOK_KEYWORD, CTL_W_CHAP, t_chap },
	{ TOK_KEYWORD, CTL_W_SAVE, t_end },
	{ TOK_KEYWORD, CTL_W_RELOAD, t_end },
	{ TOK_NONE, NULL, NULL },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: minisanctl [-s SOCKET] [--json] COMMAND\n"
	    "\n"
	    "  show targets|luns|portals|acls|sessions|stats\n"
	    "  target add IQN [alias ALIAS]\n"
	    "  target remove IQN [force]\n"
	    "  lun add IQN LUN PATH [readonly]\n"
	    "  lun remove IQN LUN [force]\n"
	    "  acl add|remove IQN INITIATOR-IQN|ADDR/PREFIX\n"
	    "  chap set|mutual IQN USER SECRET|-   (- reads the secret from "
	    "stdin)\n"
	    "  chap clear IQN\n"
	    "  save\n"
	    "  reload\n"
	    "\n"
	    "  -s SOCKET  minisand's control socket (default %s)\n"
	    "  --json     print the answer as JSON\n"
	    "  --force    same as the word force\n"
	    "Words may be abbreviated to a unique prefix (sh ta = show "
	    "targets).\n",
	    CTL_DEFAULT_SOCKET);
}

/* Prints the words table t accepts, for an error message. */
static void
print_valid(const struct tok *t)
{
	const char *sep = "";

	fprintf(stderr, "minisanctl: valid here:");
	for (; t->type != TOK_NONE; t++) {
		fprintf(stderr, "%s %s", sep, t->type == TOK_END ?
		    "(end of command)" : t->word);
		sep = ",";
	}
	fprintf(stderr, "\n");
}

static bool
table_can_end(const struct tok *t)
{
	for (; t->type != TOK_NONE; t++)
		if (t->type == TOK_END)
			return true;
	return false;
}

/* Matches word against table t: an exact keyword, a unique keyword
 * prefix, or the argument slot. Returns the token, or NULL after printing
 * why not. */
static const struct tok *
match(const struct tok *t, const char *word)
{
	const struct tok *hit = NULL, *arg = NULL;
	size_t n = strlen(word), nhits = 0;

	for (const struct tok *p = t; p->type != TOK_NONE; p++) {
		if (p->type == TOK_END)
			continue;
		if (p->type == TOK_ARG) {
			arg = p;
			continue;
		}
		if (strcmp(p->word, word) == 0)
			return p;
		if (n > 0 && strncmp(p->word, word, n) == 0) {
			hit = p;
			nhits++;
		}
	}
	if (nhits == 1)
		return hit;
	if (nhits > 1) {
		fprintf(stderr, "minisanctl: '%s' is ambiguous\n", word);
		print_valid(t);
		return NULL;
	}
	if (arg != NULL)
		return arg;
	fprintf(stderr, "minisanctl: unknown word '%s'\n", word);
	print_valid(t);
	return NULL;
}

/* Reads a secret from stdin (one line) for "chap set IQN USER -". */
static char *
read_secret(void)
{
	static char buf[512];
	size_t n;

	if (fgets(buf, sizeof(buf), stdin) == NULL) {
		fprintf(stderr, "minisanctl: no secret on stdin\n");
		return NULL;
	}
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return buf;
}

/* Appends word, escaped, to the request. */
static int
req_add(char *req, size_t *len, const char *word)
{
	size_t need = ctl_escape(word, NULL, 0);

	if (*len + need + 2 > CTL_LINE_MAX) {
		fprintf(stderr, "minisanctl: request too long\n");
		return -1;
	}
	if (*len > 0)
		req[(*len)++] = ' ';
	ctl_escape(word, req + *len, CTL_LINE_MAX + 1 - *len);
	*len += need;
	return 0;
}

/* Builds the request line from the words. Returns 0, or -1 after an
 * error message. */
static int
build_request(int argc, char **argv, char *req, char *show_what)
{
	const struct tok *table = t_main;
	size_t len = 0;
	bool chap_set = false;
	int argn = 0;

	req[0] = '\0';
	for (int i = 0; i < argc; i++) {
		const char *w = strcmp(argv[i], "--force") == 0 ?
		    CTL_W_FORCE : argv[i];
		const struct tok *t = match(table, w);

		if (t == NULL)
			return -1;
		if (t->type == TOK_KEYWORD) {
			w = t->word;
			if (i == 0 && strcmp(w, CTL_W_CHAP) == 0)
				chap_set = true;
			if (i == 1 && table == t_show)
				snprintf(show_what, 32, "%s", w);
			if (i == 1 && chap_set && strcmp(w, CTL_W_CLEAR) == 0)
				chap_set = false;
		} else {
			argn++;
			/* chap set|mutual IQN USER - : the secret from stdin
			 * keeps it out of the process list */
			if (chap_set && argn == 3 && strcmp(w, "-") == 0) {
				w = read_secret();
				if (w == NULL)
					return -1;
			}
		}
		if (req_add(req, &len, w) < 0)
			return -1;
		table = t->next;
	}
	if (!table_can_end(table)) {
		fprintf(stderr, "minisanctl: incomplete command\n");
		print_valid(table);
		return -1;
	}
	req[len] = '\0';
	return 0;
}

/* Sends req and reads the answer up to and including the status line.
 * Returns a heap string, or NULL after an error message. */
static char *
exchange(const char *sock, const char *req)
{
	struct sockaddr_un sun;
	struct timeval tv = { CTL_TIMEOUT_SEC, 0 };
	size_t len = 0, cap = 4096, rl = strlen(req), off = 0;
	char *buf;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "minisanctl: socket path too long\n");
		return NULL;
	}
	memcpy(sun.sun_path, sock, strlen(sock));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "minisanctl: %s: %s (is minisand running?)\n",
		    sock, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (off < rl + 1) {
		/* the request, then its newline */
		ssize_t n = off < rl ? send(fd, req + off, rl - off,
		    MSG_NOSIGNAL) : send(fd, "\n", 1, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "minisanctl: send: %s\n",
			    strerror(errno));
			close(fd);
			return NULL;
		}
		off += (size_t)n;
	}
	buf = malloc(cap);
	if (buf == NULL)
		goto oom;
	for (;;) {
		ssize_t n;
		char *line;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= CTL_ANSWER_MAX) {
				fprintf(stderr, "minisanctl: answer too "
				    "large\n");
				goto fail;
			}
			nb = realloc(buf, cap * 2);
			if (nb == NULL)
				goto oom;
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "minisanctl: %s\n", n < 0 ?
			    strerror(errno) : "minisand closed the connection "
			    "without an answer");
			goto fail;
		}
		len += (size_t)n;
		buf[len] = '\0';
		/* done when the last complete line is a status line */
		if (len == 0 || buf[len - 1] != '\n')
			continue;
		buf[len - 1] = '\0';
		line = strrchr(buf, '\n');
		line = line != NULL ? line + 1 : buf;
		buf[len - 1] = '\n';
		if (strncmp(line, "ok", 2) == 0 &&
		    (line[2] == ' ' || line[2] == '\n'))
			break;
		if (strncmp(line, "err ", 4) == 0)
			break;
	}
	close(fd);
	return buf;
oom:
	fprintf(stderr, "minisanctl: out of memory\n");
fail:
	free(buf);
	close(fd);
	return NULL;
}

/* One record of the answer: "KIND key=value ...", values unescaped. */
struct rec {
	char *kind;
	char **keys, **vals;
	size_t n;
};

struct answer {
	struct rec *recs;
	size_t nrecs;
	bool ok;
	char *code;    /* err only */
	char *message; /* may be empty */
};

static void *
xrealloc_or_die(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL) {
		fprintf(stderr, "minisanctl: out of memory\n");
		exit(1);
	}
	return q;
}

/* Splits the answer text (modified in place) into records and status. */
static int
parse_answer(char *text, struct answer *a)
{
	char *line = text, *nl;

	memset(a, 0, sizeof(*a));
	for (; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		struct rec *r;
		char *p, *sp;

		*nl = '\0';
		if (strcmp(line, "ok") == 0 || strncmp(line, "ok ", 3) == 0) {
			a->ok = true;
			a->message = line[2] ? line + 3 : line + 2;
			return 0;
		}
		if (strncmp(line, "err ", 4) == 0) {
			a->code = line + 4;
			sp = strchr(a->code, ' ');
			a->message = sp != NULL ? sp + 1 : a->code +
			    strlen(a->code);
			if (sp != NULL)
				*sp = '\0';
			return 0;
		}
		a->recs = xrealloc_or_die(a->recs,
		    (a->nrecs + 1) * sizeof(*a->recs));
		r = &a->recs[a->nrecs++];
		memset(r, 0, sizeof(*r));
		r->kind = line;
		p = strchr(line, ' ');
		while (p != NULL) {
			char *eq;

			*p++ = '\0';
			sp = strchr(p, ' ');
			if (sp != NULL)
				*sp = '\0';
			eq = strchr(p, '=');
			if (eq != NULL) {
				*eq = '\0';
				if (ctl_unescape(eq + 1, strlen(eq + 1)) < 0 &&
				    eq[1] != '\0')
					return -1;
				r->keys = xrealloc_or_die(r->keys,
				    (r->n + 1) * sizeof(char *));
				r->vals = xrealloc_or_die(r->vals,
				    (r->n + 1) * sizeof(char *));
				r->keys[r->n] = p;
				r->vals[r->n] = eq + 1;
				r->n++;
			}
			if (sp != NULL)
				*sp = ' ';
			p = sp;
		}
	}
	return -1;
}

static void
json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static bool
is_number(const char *s)
{
	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void
print_json(const struct answer *a, const char *show_what)
{
	bool first_group = true;

	if (!a->ok) {
		printf("{\"ok\":false,\"error\":");
		json_string(a->code);
		printf(",\"message\":");
		json_string(a->message);
		printf("}\n");
		return;
	}
	if (show_what[0] == '\0') {
		printf("{\"ok\":true,\"message\":");
		json_string(a->message);
		printf("}\n");
		return;
	}
	/* {"KINDs":[{...},...], ...}: one array per record kind, in order
	 * of first appearance; "show X" always has its own X array */
	printf("{");
	if (a->nrecs == 0) {
		json_string(show_what);
		printf(":[]");
	}
	for (size_t i = 0; i < a->nrecs; i++) {
		bool seen = false, first = true;

		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(a->recs[j].kind, a->recs[i].kind) == 0;
		if (seen)
			continue;
		printf("%s\"%ss\":[", first_group ? "" : ",",
		    a->recs[i].kind);
		first_group = false;
		for (size_t j = i; j < a->nrecs; j++) {
			const struct rec *r = &a->recs[j];

			if (strcmp(r->kind, a->recs[i].kind) != 0)
				continue;
			printf("%s{", first ? "" : ",");
			first = false;
			for (size_t k = 0; k < r->n; k++) {
				if (k > 0)
					putchar(',');
				json_string(r->keys[k]);
				putchar(':');
				if (ctl_key_numeric(r->keys[k]) &&
				    is_number(r->vals[k]))
					printf("%s", r->vals[k]);
				else
					json_string(r->vals[k]);
			}
			putchar('}');
		}
		putchar(']');
	}
	printf("}\n");
}

/* A value as a table cell: "-" for empty, control bytes as \xNN. */
static void
cell(const char *v, int width, bool last)
{
	char buf[64];
	int n = 0;

	if (*v == '\0')
		v = "-";
	for (const char *p = v; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch < 0x20 || ch == 0x7f) {
			snprintf(buf, sizeof(buf), "\\x%02x", ch);
			fputs(buf, stdout);
			n += 4;
		} else {
			putchar(ch);
			n++;
		}
	}
	if (!last)
		printf("%*s", width - n + 2, "");
}

static int
display_width(const char *v)
{
	int n = 0;

	if (*v == '\0')
		return 1;
	for (; *v != '\0'; v++)
		n += ((unsigned char)*v < 0x20 || *v == 0x7f) ? 4 : 1;
	return n;
}

/* One table per record kind: columns are the keys, headers in capitals. */
static void
print_tables(const struct answer *a, const char *show_what)
{
	bool any = false;

	for (size_t i = 0; i < a->nrecs; i++) {
		const struct rec *r0 = &a->recs[i];
		int *w;
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(a->recs[j].kind, r0->kind) == 0;
		if (seen)
			continue;
		if (any)
			putchar('\n');
		any = true;
		w = calloc(r0->n ? r0->n : 1, sizeof(*w));
		if (w == NULL)
			exit(1);
		for (size_t k = 0; k < r0->n; k++)
			w[k] = (int)strlen(r0->keys[k]);
		for (size_t j = i; j < a->nrecs; j++) {
			const struct rec *r = &a->recs[j];

			if (strcmp(r->kind, r0->kind) != 0)
				continue;
			for (size_t k = 0; k < r->n && k < r0->n; k++)
				if (display_width(r->vals[k]) > w[k])
					w[k] = display_width(r->vals[k]);
		}
		for (size_t k = 0; k < r0->n; k++) {
			char h[64];
			size_t m;

			snprintf(h, sizeof(h), "%s", r0->keys[k]);
			for (m = 0; h[m] != '\0'; m++)
				h[m] = h[m] == '_' ? ' ' :
				    (char)(h[m] >= 'a' && h[m] <= 'z' ?
				    h[m] - 32 : h[m]);
			cell(h, w[k], k + 1 == r0->n);
		}
		putchar('\n');
		for (size_t j = i; j < a->nrecs; j++) {
			const struct rec *r = &a->recs[j];

			if (strcmp(r->kind, r0->kind) != 0)
				continue;
			for (size_t k = 0; k < r->n && k < r0->n; k++)
				cell(r->vals[k], w[k], k + 1 == r0->n);
			putchar('\n');
		}
		free(w);
	}
	if (!any && show_what[0] != '\0')
		printf("no %s\n", show_what);
	if (show_what[0] == '\0' && a->message[0] != '\0')
		printf("%s\n", a->message);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = CTL_DEFAULT_SOCKET;
	char *req, *text, show_what[32] = "";
	struct answer a;
	bool json = false;
	int ch, rc;

	/* "+": options end at the first command word, so that "--force"
	 * after it is a word */
	while ((ch = getopt_long(argc, argv, "+s:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	req = malloc(CTL_LINE_MAX + 1);
	if (req == NULL)
		return 1;
	if (build_request(argc - optind, argv + optind, req, show_what) < 0)
		return 2;
	text = exchange(sock, req);
	memset(req, 0, CTL_LINE_MAX + 1);
	free(req);
	if (text == NULL)
		return 1;
	if (parse_answer(text, &a) < 0) {
		fprintf(stderr, "minisanctl: malformed answer from minisand\n");
		return 1;
	}
	if (json)
		print_json(&a, show_what);
	else if (a.ok)
		print_tables(&a, show_what);
	else
		fprintf(stderr, "minisanctl: %s (%s)\n", a.message, a.code);
	rc = a.ok ? 0 : 1;
	for (size_t i = 0; i < a.nrecs; i++) {
		free(a.recs[i].keys);
		free(a.recs[i].vals);
	}
	free(a.recs);
	free(text);
	return rc;
}

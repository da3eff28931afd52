/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the APTPL file: saving the persistent reservation
 * state of a LUN atomically and loading (and checking) it at start. */
#include "scsi/pr_store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "limits_minisan.h"
#include "util/xalloc.h"

#define PR_STORE_MAGIC "minisan-pr 1"
/* Longest line we write: "reg", a key, a port id, two flags and an
 * initiator port of at most ISCSI_NAME_MAX + 17 characters. */
#define PR_STORE_LINE_MAX (ISCSI_NAME_MAX + 80u)
#define PR_STORE_TOKENS 7

/* A growable text buffer. */
struct pr_text {
	char *p;
	size_t len, cap;
};

static void
pr_text_add(struct pr_text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->p = xrealloc(t->p, t->cap);
	}
	memcpy(t->p + t->len, s, n + 1);
	t->len += n;
}

static int
pr_store_format(const struct pr_state *st, struct pr_text *t)
{
	char line[PR_STORE_LINE_MAX], port[ISCSI_NAME_MAX + 32];
	const struct pr_reg *r;

	pr_text_add(t, "# minisand persistent reservations (APTPL)\n");
	pr_text_add(t, PR_STORE_MAGIC "\n");
	snprintf(line, sizeof(line), "reservation %x\n", (unsigned)st->type);
	pr_text_add(t, line);
	for (uint32_t i = 0; i < st->nregs; i++) {
		r = &st->regs[i];
		if ((size_t)pr_port_format(r, port, sizeof(port)) >=
		    sizeof(port))
			return -EINVAL;
		/* A name we could not read back (the transport should not
		 * let one through) is refused rather than written. */
		for (const char *c = port; *c != '\0'; c++)
			if (*c <= ' ' || *c > '~')
				return -EINVAL;
		snprintf(line, sizeof(line), "reg %016" PRIx64 " %u %d %d %s\n",
		    r->key, (unsigned)r->rel_port_id, r->all_tg_pt ? 1 : 0,
		    r->holder ? 1 : 0, port);
		pr_text_add(t, line);
	}
	pr_text_add(t, "end\n");
	return 0;
}

static int
pr_write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync()s the directory path is in, so that a rename or unlink in it is
 * durable. */
static int
pr_sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, rc = 0;

	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

int
pr_store_save(const char *path, const struct pr_state *st)
{
	struct pr_text t = { 0 };
	size_t tlen = strlen(path) + 8;
	char *tmp = xmalloc(tlen);
	int fd = -1, rc;

	if ((rc = pr_store_format(st, &t)) != 0)
		goto out;
	snprintf(tmp, tlen, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		rc = -errno;
		goto out;
	}
	if ((rc = pr_write_all(fd, t.p, t.len)) != 0)
		goto fail;
	if (fsync(fd) != 0) {
		rc = -errno;
		goto fail;
	}
	rc = close(fd);
	fd = -1;
	if (rc != 0 || rename(tmp, path) != 0) {
		rc = -errno;
		goto fail;
	}
	rc = pr_sync_dir(path);
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(t.p);
	return rc;
}

int
pr_store_remove(const char *path)
{
	if (unlink(path) != 0)
		return errno == ENOENT ? 0 : -errno;
	return pr_sync_dir(path);
}

/* Reads the whole file into a NUL-terminated buffer. Returns 0, 1 if the
 * file does not exist, or -1 with err filled. */
static int
pr_store_read(const char *path, char **out, char *err, size_t errlen)
{
	struct stat sb;
	size_t len = 0;
	ssize_t n;
	char *buf;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > (off_t)MINISAN_MAX_PR_FILE_BYTES) {
		snprintf(err, errlen, "%s: not a regular file of at most %u "
		    "bytes", path, MINISAN_MAX_PR_FILE_BYTES);
		close(fd);
		return -1;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (len < (size_t)sb.st_size) {
		n = read(fd, buf + len, (size_t)sb.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: %s", path,
			    n < 0 ? strerror(errno) : "file shrank");
			free(buf);
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

/* Parses an unsigned number of base 16 or 10 that must fill the token and
 * be at most max. */
static int
pr_store_num(const char *s, int base, uint64_t max, uint64_t *v)
{
	char *end;

	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, base);
	return errno != 0 || *end != '\0' || *v > max ? -1 : 0;
}

static int
pr_store_flag(const char *s, int *v)
{
	if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0)
		return -1;
	*v = s[0] == '1';
	return 0;
}

/* Parses one "reg" line's tokens into a new registration of st. Returns
 * NULL or what is wrong. */
static const char *
pr_store_reg(struct pr_state *st, char **tok, int ntok)
{
	struct pr_reg r = { 0 };
	uint64_t v;

	if (ntok != 6)
		return "reg needs 5 fields";
	if (st->nregs == MINISAN_MAX_PR_REGISTRATIONS)
		return "too many registrations";
	if (pr_store_num(tok[1], 16, UINT64_MAX, &r.key) != 0 || r.key == 0)
		return "bad reservation key";
	if (pr_store_num(tok[2], 10, UINT16_MAX, &v) != 0)
		return "bad relative target port identifier";
	r.rel_port_id = (uint16_t)v;
	if (pr_store_flag(tok[3], &r.all_tg_pt) != 0 ||
	    pr_store_flag(tok[4], &r.holder) != 0)
		return "bad flag (0 or 1)";
	if (pr_port_parse(tok[5], 0, &r) != 0)
		return "bad initiator port";
	st->regs = xrealloc(st->regs, (st->nregs + 1) * sizeof(*st->regs));
	st->regs[st->nregs++] = r;
	return NULL;
}

/* The invariants of struct pr_state that a file could break. */
static const char *
pr_store_check(const struct pr_state *st)
{
	uint32_t holders = 0;

	if (st->type != PR_TYPE_NONE && st->nregs == 0)
		return "reservation without registrations";

	for (uint32_t i = 0; i < st->nregs; i++) {
		holders += st->regs[i].holder != 0;
		for (uint32_t j = 0; j < i; j++)
			if (pr_reg_overlap(&st->regs[i], &st->regs[j]))
				return "two registrations for one I_T nexus";
	}
	if (st->type == PR_TYPE_NONE || pr_type_all_registrants(st->type))
		return holders == 0 ? NULL : "holder without a reservation "
		    "of its own";
	return holders == 1 ? NULL : "reservation needs exactly one holder";
}

/* Parses the file text. Returns NULL or what is wrong, with *lineno the
 * line it is on. */
static const char *
pr_store_parse(char *text, struct pr_state *st, unsigned *lineno)
{
	char *line, *next, *save, *tok[PR_STORE_TOKENS];
	int ntok, magic = 0, end = 0, resv = 0;
	const char *why;
	uint64_t v;

	*lineno = 0;
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		++*lineno;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (end)
			return "text after end";
		if (!magic) {
			if (strcmp(line, PR_STORE_MAGIC) != 0)
				return "not a minisan-pr 1 file";
			magic = 1;
			continue;
		}
		ntok = 0;
		for (char *t = strtok_r(line, " ", &save); t != NULL;
		    t = strtok_r(NULL, " ", &save)) {
			if (ntok == PR_STORE_TOKENS)
				return "too many fields";
			tok[ntok++] = t;
		}
		if (ntok == 0)
			continue;
		if (strcmp(tok[0], "end") == 0 && ntok == 1) {
			end = 1;
		} else if (strcmp(tok[0], "reservation") == 0 && ntok == 2) {
			if (resv++ || pr_store_num(tok[1], 16, 0xf, &v) != 0 ||
			    (v != PR_TYPE_NONE && !pr_type_valid((unsigned)v)))
				return "bad reservation line";
			st->type = (enum pr_type)v;
		} else if (strcmp(tok[0], "reg") == 0) {
			if ((why = pr_store_reg(st, tok, ntok)) != NULL)
				return why;
		} else {
			return "unknown line";
		}
	}
	if (!magic || !end)
		return "truncated (no end line)";
	return pr_store_check(st);
}

int
pr_store_load(const char *path, struct pr_state *st, char *err,
    size_t errlen)
{
	const char *why;
	unsigned lineno;
	char *text;
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = pr_store_read(path, &text, err, errlen)) != 0)
		return rc > 0 ? 0 : -1;
	why = pr_store_parse(text, st, &lineno);
	free(text);
	if (why != NULL) {
		snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
		pr_state_clear(st);
		return -1;
	}
	st->aptpl = 1;
	return 0;
}

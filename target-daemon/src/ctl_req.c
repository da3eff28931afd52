/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the control request parser (one line into a checked
 * struct ctl_req, through a table of command shapes) and the edit each
 * change request makes to a configuration model. */
#include "ctl_req.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "limits_minisan.h"
#include "util/xalloc.h"

/* Longest CHAP user name and secret (RFC7143 12.1.3 leaves names open; 255
 * bytes is the text value limit of 6.1 for most keys). */
#define CTL_CHAP_FIELD_MAX 255u

typedef enum ctl_status ctl_args_fn(struct ctl_req *req, char **args,
    size_t nargs, char *msg, size_t msglen);

/* One command shape: two words, then between min and max arguments. */
struct ctl_cmd_desc {
	const char *w1, *w2;  /* w2 NULL: a one-word command */
	enum ctl_cmd cmd;
	size_t min, max;
	const char *usage;
	ctl_args_fn *fn;
};

static ctl_args_fn a_show, a_none, a_target_add, a_target_remove, a_lun_add,
    a_lun_remove, a_acl, a_chap_set, a_chap_clear;

static const struct ctl_cmd_desc cmds[] = {
	{ CTL_W_SHOW, NULL, CTL_CMD_SHOW, 1, 1,
	    "show targets|luns|portals|acls|sessions|stats", a_show },
	{ CTL_W_TARGET, CTL_W_ADD, CTL_CMD_TARGET_ADD, 1, 3,
	    "target add IQN [alias ALIAS]", a_target_add },
	{ CTL_W_TARGET, CTL_W_REMOVE, CTL_CMD_TARGET_REMOVE, 1, 2,
	    "target remove IQN [force]", a_target_remove },
	{ CTL_W_LUN, CTL_W_ADD, CTL_CMD_LUN_ADD, 3, 4,
	    "lun add IQN LUN PATH [readonly]", a_lun_add },
	{ CTL_W_LUN, CTL_W_REMOVE, CTL_CMD_LUN_REMOVE, 2, 3,
	    "lun remove IQN LUN [force]", a_lun_remove },
	{ CTL_W_ACL, CTL_W_ADD, CTL_CMD_ACL_ADD, 2, 2,
	    "acl add IQN INITIATOR-NAME|ADDR/PREFIX", a_acl },
	{ CTL_W_ACL, CTL_W_REMOVE, CTL_CMD_ACL_REMOVE, 2, 2,
	    "acl remove IQN INITIATOR-NAME|ADDR/PREFIX", a_acl },
	{ CTL_W_CHAP, CTL_W_SET, CTL_CMD_CHAP_SET, 3, 3,
	    "chap set IQN USER SECRET", a_chap_set },
	{ CTL_W_CHAP, CTL_W_MUTUAL, CTL_CMD_CHAP_MUTUAL, 3, 3,
	    "chap mutual IQN USER SECRET", a_chap_set },
	{ CTL_W_CHAP, CTL_W_CLEAR, CTL_CMD_CHAP_CLEAR, 1, 1,
	    "chap clear IQN", a_chap_clear },
	{ CTL_W_SAVE, NULL, CTL_CMD_SAVE, 0, 0, "save", a_none },
	{ CTL_W_RELOAD, NULL, CTL_CMD_RELOAD, 0, 0, "reload", a_none },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct {
	const char *word;
	enum ctl_show show;
} shows[] = {
	{ CTL_W_TARGETS, CTL_SHOW_TARGETS },
	{ CTL_W_LUNS, CTL_SHOW_LUNS },
	{ CTL_W_PORTALS, CTL_SHOW_PORTALS },
	{ CTL_W_ACLS, CTL_SHOW_ACLS },
	{ CTL_W_SESSIONS, CTL_SHOW_SESSIONS },
	{ CTL_W_STATS, CTL_SHOW_STATS },
};

/* 1..max bytes, no control characters. */
static bool
text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static enum ctl_status
check_name(const char *what, const char *name, char *msg, size_t msglen)
{
	const char *why = conf_iscsi_name_error(name);
	char v[96];

	if (why == NULL)
		return CTL_OK;
	snprintf(msg, msglen, "invalid %s '%s': %s", what,
	    conf_show(name, v, sizeof(v)), why);
	return CTL_ERR_INVALID;
}

static enum ctl_status
check_lun(const char *s, uint32_t *out, char *msg, size_t msglen)
{
	uint32_t v = 0;
	char b[32];

	if (*s == '\0' || strlen(s) > 3)
		goto bad;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		v = v * 10 + (uint32_t)(*p - '0');
	}
	if (v >= MINISAN_MAX_LUNS_PER_TARGET)
		goto bad;
	*out = v;
	return CTL_OK;
bad:
	snprintf(msg, msglen, "invalid LUN '%s' (allowed: 0..%u)",
	    conf_show(s, b, sizeof(b)), MINISAN_MAX_LUNS_PER_TARGET - 1);
	return CTL_ERR_INVALID;
}

static enum ctl_status
a_none(struct ctl_req *req, char **args, size_t nargs, char *msg,
    size_t msglen)
{
	(void)req;
	(void)args;
	(void)nargs;
	(void)msg;
	(void)msglen;
	return CTL_OK;
}

static enum ctl_status
a_show(struct ctl_req *req, char **args, size_t nargs, char *msg,
    size_t msglen)
{
	char b[64];

	(void)nargs;
	for (size_t i = 0; i < sizeof(shows) / sizeof(shows[0]); i++) {
		if (strcmp(args[0], shows[i].word) == 0) {
			req->show = shows[i].show;
			return CTL_OK;
		}
	}
	snprintf(msg, msglen, "show what? '%s' (valid: targets luns portals "
	    "acls sessions stats)", conf_show(args[0], b, sizeof(b)));
	return CTL_ERR_SYNTAX;
}

static enum ctl_status
a_target_add(struct ctl_req *req, char **args, size_t nargs, char *msg,
    size_t msglen)
{
	req->target = args[0];
	if (nargs == 2 || (nargs == 3 && strcmp(args[1], CTL_W_ALIAS) != 0)) {
		snprintf(msg, msglen, "usage: target add IQN [alias ALIAS]");
		return CTL_ERR_SYNTAX;
	}
	if (nargs == 3) {
		/* RFC7143 13.6 TargetAlias: at most 255 bytes (6.1) */
		if (!text_ok(args[2], ISCSI_ALIAS_MAX)) {
			snprintf(msg, msglen, "alias must be 1..%u bytes "
			    "without control characters", ISCSI_ALIAS_MAX);
			return CTL_ERR_INVALID;
		}
		req->alias = args[2];
	}
	return check_name("target name", req->target, msg, msglen);
}

static enum ctl_status
force_word(struct ctl_req *req, char **args, size_t nargs, size_t at,
    const char *usage, char *msg, size_t msglen)
{
	if (nargs <= at)
		return CTL_OK;
	if (strcmp(args[at], CTL_W_FORCE) != 0) {
		snprintf(msg, msglen, "usage: %s", usage);
		return CTL_ERR_SYNTAX;
	}
	req->force = true;
	return CTL_OK;
}

static enum ctl_status
a_target_remove(struct ctl_req *req, char **args, size_t nargs, char *msg,
    size_t msglen)
{
	enum ctl_status st;

	req->target = args[0];
	st = force_word(req, args, nargs, 1, "target remove IQN [force]", msg,
	    msglen);
	if (st != CTL_OK)
		return st;
	return check_name("target name", req->target, msg, msglen);
}

static enum ctl_status
a_lun_add(struct ctl_req *req, char **args, size_t nargs, char *msg,
    size_t msglen)
{
	enum ctl_status st;

	req->target = args[0];
	req->path = args[2];
	if (nargs == 4) {
		if (strcmp(args[3], CTL_W_READONLY) != 0) {
			snprintf(msg, msglen,
			    "usage: lun add IQN LUN PATH [readonly]");
			return CTL_ERR_SYNTAX;
		}
		req->readonly = true;
	}
	if ((st = check_name("target name", req->target, msg, msglen)) != 0 ||
	    (st = check_lun(args[1], &req->lun, msg, msglen)) != 0)
		return st;
	/* relative paths would depend on the daemon's working directory */
	if (req->path[0] != '/' ||
	    !text_ok(req->path, MINISAN_CONF_STRING_MAX)) {
		snprintf(msg, msglen, "LUN path must be absolute, at most %u "
		    "bytes, without control characters",
		    MINISAN_CONF_STRING_MAX);
		return CTL_ERR_INVALID;
	}
	return CTL_OK;
}

static enum ctl_status
a_lun_remove(struct ctl_req *req, char **args, size_t nargs, char *msg,
    size_t msglen)
{
	enum ctl_status st;

	req->target = args[0];
	if ((st = force_word(req, args, nargs, 2,
	    "lun remove IQN LUN [force]", msg, msglen)) != 0 ||
	    (st = check_name("target name", req->target, msg, msglen)) != 0)
		return st;
	return check_lun(args[1], &req->lun, msg, msglen);
}

static enum ctl_status
a_acl(struct ctl_req *req, char **args, size_t nargs, char *msg,
    size_t msglen)
{
	struct net_cidr n;
	char v[96];
	enum ctl_status st;

	(void)nargs;
	req->target = args[0];
	req->acl = args[1];
	if ((st = check_name("target name", req->target, msg, msglen)) != 0)
		return st;
	/* an iSCSI name starts with a type prefix, a network with a digit
	 * or (IPv6) a hex digit or ':' */
	if (strncmp(req->acl, "iqn.", 4) == 0 ||
	    strncmp(req->acl, "eui.", 4) == 0 ||
	    strncmp(req->acl, "naa.", 4) == 0)
		return check_name("initiator name", req->acl, msg, msglen);
	if (net_cidr_parse(req->acl, &n) != 0) {
		snprintf(msg, msglen, "'%s' is neither an iSCSI name nor a "
		    "network (ADDR/PREFIX with no host bits set)",
		    conf_show(req->acl, v, sizeof(v)));
		return CTL_ERR_INVALID;
	}
	req->acl_network = true;
	return CTL_OK;
}

static enum ctl_status
a_chap_set(struct ctl_req *req, char **args, size_t nargs, char *msg,
    size_t msglen)
{
	enum ctl_status st;

	(void)nargs;
	req->target = args[0];
	req->user = args[1];
	req->secret = args[2];
	if ((st = check_name("target name", req->target, msg, msglen)) != 0)
		return st;
	if (!text_ok(req->user, CTL_CHAP_FIELD_MAX)) {
		snprintf(msg, msglen, "CHAP user name must be 1..%u bytes "
		    "without control characters", CTL_CHAP_FIELD_MAX);
		return CTL_ERR_INVALID;
	}
	/* RFC7143 12.1.3: secrets of at least 12 bytes (conf_verify checks
	 * the rest) */
	if (!text_ok(req->secret, CTL_CHAP_FIELD_MAX) ||
	    strlen(req->secret) < 12) {
		snprintf(msg, msglen, "CHAP secret must be 12..%u bytes "
		    "without control characters", CTL_CHAP_FIELD_MAX);
		return CTL_ERR_INVALID;
	}
	return CTL_OK;
}

static enum ctl_status
a_chap_clear(struct ctl_req *req, char **args, size_t nargs, char *msg,
    size_t msglen)
{
	(void)nargs;
	req->target = args[0];
	return check_name("target name", req->target, msg, msglen);
}

enum ctl_status
ctl_req_parse(const char *line, size_t len, struct ctl_req *req, char *msg,
    size_t msglen)
{
	char *words[CTL_MAX_WORDS + 1];
	size_t nw = 0, i = 0;
	char b[64];

	memset(req, 0, offsetof(struct ctl_req, buf));
	msg[0] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > CTL_LINE_MAX) {
		snprintf(msg, msglen, "request longer than %u bytes",
		    CTL_LINE_MAX);
		return CTL_ERR_TOO_LONG;
	}
	memcpy(req->buf, line, len);
	req->buf[len] = '\0';
	/* words are separated by runs of spaces or tabs */
	while (i < len) {
		size_t start;
		long n;

		while (i < len && (req->buf[i] == ' ' || req->buf[i] == '\t'))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && req->buf[i] != ' ' && req->buf[i] != '\t')
			i++;
		if (nw == CTL_MAX_WORDS) {
			snprintf(msg, msglen, "more than %u words",
			    CTL_MAX_WORDS);
			return CTL_ERR_SYNTAX;
		}
		n = ctl_unescape(req->buf + start, i - start);
		if (n <= 0) {
			snprintf(msg, msglen, "malformed %%XX escape in word "
			    "%zu", nw + 1);
			return CTL_ERR_SYNTAX;
		}
		words[nw++] = req->buf + start;
		/* the word's NUL may land on the separator: skip it */
		if (i < len)
			i++;
	}
	if (nw == 0) {
		snprintf(msg, msglen, "empty request");
		return CTL_ERR_SYNTAX;
	}
	for (size_t k = 0; k < NCMDS; k++) {
		const struct ctl_cmd_desc *d = &cmds[k];
		size_t skip = d->w2 != NULL ? 2 : 1;

		if (strcmp(words[0], d->w1) != 0)
			continue;
		if (d->w2 != NULL && (nw < 2 || strcmp(words[1], d->w2) != 0))
			continue;
		if (nw - skip < d->min || nw - skip > d->max) {
			snprintf(msg, msglen, "usage: %s", d->usage);
			return CTL_ERR_SYNTAX;
		}
		req->cmd = d->cmd;
		return d->fn(req, words + skip, nw - skip, msg, msglen);
	}
	for (size_t k = 0; k < NCMDS; k++) {
		if (cmds[k].w2 != NULL && strcmp(words[0], cmds[k].w1) == 0) {
			snprintf(msg, msglen, "%s what? (valid: %s)",
			    cmds[k].w1, strcmp(cmds[k].w1, CTL_W_CHAP) == 0 ?
			    "set mutual clear" : "add remove");
			return CTL_ERR_SYNTAX;
		}
	}
	snprintf(msg, msglen, "unknown command '%s' (valid: show target lun "
	    "acl chap save reload)", conf_show(words[0], b, sizeof(b)));
	return CTL_ERR_SYNTAX;
}

bool
ctl_req_is_change(const struct ctl_req *req)
{
	return req->cmd != CTL_CMD_SHOW && req->cmd != CTL_CMD_SAVE &&
	    req->cmd != CTL_CMD_RELOAD;
}

static void
set_str(char **field, const char *v)
{
	free(*field);
	*field = v != NULL ? xstrdup(v) : NULL;
}

enum ctl_status
ctl_req_edit(struct conf *c, const struct ctl_req *req, char *msg,
    size_t msglen)
{
	struct conf_target *t = NULL;
	int rc;

	msg[0] = '\0';
	if (req->cmd != CTL_CMD_TARGET_ADD && ctl_req_is_change(req)) {
		t = conf_find_target(c, req->target);
		if (t == NULL) {
			snprintf(msg, msglen, "no target %s", req->target);
			return CTL_ERR_NOT_FOUND;
		}
	}
	switch (req->cmd) {
	case CTL_CMD_TARGET_ADD:
		if (conf_find_target(c, req->target) != NULL) {
			snprintf(msg, msglen, "target %s exists", req->target);
			return CTL_ERR_EXISTS;
		}
		t = conf_add_target(c, req->target, 0);
		if (t == NULL) {
			snprintf(msg, msglen, "too many targets (maximum %u)",
			    MINISAN_MAX_TARGETS);
			return CTL_ERR_LIMIT;
		}
		set_str(&t->alias, req->alias);
		return CTL_OK;
	case CTL_CMD_TARGET_REMOVE:
		conf_remove_target(c, req->target);
		return CTL_OK;
	case CTL_CMD_LUN_ADD: {
		struct conf_lun *l;

		if (conf_find_lun(t, req->lun) != NULL) {
			snprintf(msg, msglen, "target %s has a LUN %u",
			    t->name, req->lun);
			return CTL_ERR_EXISTS;
		}
		l = conf_add_lun(t, req->lun, req->path, 0);
		if (l == NULL) {
			snprintf(msg, msglen, "too many LUNs (maximum %u)",
			    MINISAN_MAX_LUNS_PER_TARGET);
			return CTL_ERR_LIMIT;
		}
		l->readonly = req->readonly;
		return CTL_OK;
	}
	case CTL_CMD_LUN_REMOVE:
		if (conf_remove_lun(t, req->lun) != 0) {
			snprintf(msg, msglen, "target %s has no LUN %u",
			    t->name, req->lun);
			return CTL_ERR_NOT_FOUND;
		}
		return CTL_OK;
	case CTL_CMD_ACL_ADD:
		if (req->acl_network) {
			/* networks compare by value, as conf_remove_network
			 * does */
			for (size_t i = 0; i < t->nnets; i++) {
				struct net_cidr a, b;

				if (net_cidr_parse(t->nets[i], &a) == 0 &&
				    net_cidr_parse(req->acl, &b) == 0 &&
				    a.family == b.family &&
				    a.prefix == b.prefix &&
				    memcmp(a.addr, b.addr,
				    sizeof(a.addr)) == 0) {
					snprintf(msg, msglen, "target %s "
					    "already allows network %s",
					    t->name, req->acl);
					return CTL_ERR_EXISTS;
				}
			}
			rc = conf_add_network(t, req->acl);
		} else {
			rc = conf_add_allow(t, req->acl);
		}
		if (rc == -EEXIST) {
			snprintf(msg, msglen, "target %s already allows %s",
			    t->name, req->acl);
			return CTL_ERR_EXISTS;
		}
		if (rc < 0) {
			snprintf(msg, msglen, "too many access list entries "
			    "(maximum %u)", MINISAN_MAX_ACL_ENTRIES);
			return CTL_ERR_LIMIT;
		}
		return CTL_OK;
	case CTL_CMD_ACL_REMOVE:
		rc = req->acl_network ? conf_remove_network(t, req->acl) :
		    conf_remove_allow(t, req->acl);
		if (rc != 0) {
			snprintf(msg, msglen, "target %s has no access list "
			    "entry %s", t->name, req->acl);
			return CTL_ERR_NOT_FOUND;
		}
		return CTL_OK;
	case CTL_CMD_CHAP_SET:
		set_str(&t->chap_user, req->user);
		set_str(&t->chap_secret, req->secret);
		c->has_secrets = 1;
		return CTL_OK;
	case CTL_CMD_CHAP_MUTUAL:
		if (t->chap_user == NULL) {
			snprintf(msg, msglen, "target %s: set the initiator's "
			    "CHAP credentials (chap set) before mutual ones",
			    t->name);
			return CTL_ERR_INVALID;
		}
		set_str(&t->mutual_user, req->user);
		set_str(&t->mutual_secret, req->secret);
		c->has_secrets = 1;
		return CTL_OK;
	case CTL_CMD_CHAP_CLEAR:
		set_str(&t->chap_user, NULL);
		set_str(&t->chap_secret, NULL);
		set_str(&t->mutual_user, NULL);
		set_str(&t->mutual_secret, NULL);
		return CTL_OK;
	case CTL_CMD_SHOW:
	case CTL_CMD_SAVE:
	case CTL_CMD_RELOAD:
		break;
	}
	snprintf(msg, msglen, "not a configuration change");
	return CTL_ERR_SYNTAX;
}

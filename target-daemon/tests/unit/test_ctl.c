/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the control protocol: escaping (ctl_proto.h), the request
 * parser and the model edits (ctl_req.c), and the atomic file write that
 * "save" uses (ctl.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_proto.h"
#include "ctl_req.h"
#include "harness.h"

#define TGT "iqn.2026-11.org.minisan:t"

static struct ctl_req req;
static char msg[1024];

static enum ctl_status
parse(const char *line)
{
	return ctl_req_parse(line, strlen(line), &req, msg, sizeof(msg));
}

TEST(escape_roundtrip)
{
	char e[64], d[64];
	long n;

	CHECK_EQ_INT(ctl_escape("a b%c\n", e, sizeof(e)), 12);
	CHECK_EQ_STR(e, "a%20b%25c%0A");
	snprintf(d, sizeof(d), "%s", e);
	n = ctl_unescape(d, strlen(d));
	CHECK_EQ_INT(n, 6);
	CHECK_EQ_STR(d, "a b%c\n");
	/* truncation still reports the full length, like snprintf */
	CHECK_EQ_INT(ctl_escape("abcdef", e, 4), 6);
	CHECK_EQ_STR(e, "abc");
}

TEST(unescape_rejects_malformed)
{
	char a[] = "ab%4", b[] = "%zz", c[] = "x%00y", d[] = "%";

	CHECK_EQ_INT(ctl_unescape(a, strlen(a)), -1);
	CHECK_EQ_INT(ctl_unescape(b, strlen(b)), -1);
	/* a word never holds a NUL */
	CHECK_EQ_INT(ctl_unescape(c, strlen(c)), -1);
	CHECK_EQ_INT(ctl_unescape(d, strlen(d)), -1);
}

TEST(parse_show)
{
	CHECK_EQ_INT(parse("show sessions"), CTL_OK);
	CHECK_EQ_INT(req.cmd, CTL_CMD_SHOW);
	CHECK_EQ_INT(req.show, CTL_SHOW_SESSIONS);
	/* runs of blanks and a trailing CR are accepted */
	CHECK_EQ_INT(parse("  show\t stats \r"), CTL_OK);
	CHECK_EQ_INT(req.show, CTL_SHOW_STATS);
	CHECK_EQ_INT(parse("show"), CTL_ERR_SYNTAX);
	CHECK(strstr(msg, "usage: show") != NULL);
	CHECK_EQ_INT(parse("show everything"), CTL_ERR_SYNTAX);
	CHECK(strstr(msg, "targets luns portals") != NULL);
	/* the daemon takes whole words; prefixes are the CLI's business */
	CHECK_EQ_INT(parse("sh targets"), CTL_ERR_SYNTAX);
}

TEST(parse_target)
{
	CHECK_EQ_INT(parse("target add " TGT " alias my%20disk"), CTL_OK);
	CHECK_EQ_INT(req.cmd, CTL_CMD_TARGET_ADD);
	CHECK_EQ_STR(req.target, TGT);
	CHECK_EQ_STR(req.alias, "my disk");
	CHECK_EQ_INT(parse("target add " TGT), CTL_OK);
	CHECK(req.alias == NULL);
	CHECK_EQ_INT(parse("target add " TGT " alias"), CTL_ERR_SYNTAX);
	CHECK_EQ_INT(parse("target add " TGT " nickname x"), CTL_ERR_SYNTAX);
	CHECK_EQ_INT(parse("target add iqn.2026-11.Org.x:t"), CTL_ERR_INVALID);
	CHECK(strstr(msg, "uppercase") != NULL);
	CHECK_EQ_INT(parse("target add " TGT " alias a%01b"), CTL_ERR_INVALID);
	CHECK_EQ_INT(parse("target remove " TGT " force"), CTL_OK);
	CHECK(req.force);
	CHECK_EQ_INT(parse("target remove " TGT), CTL_OK);
	CHECK(!req.force);
	CHECK_EQ_INT(parse("target remove " TGT " now"), CTL_ERR_SYNTAX);
	CHECK_EQ_INT(parse("target rename " TGT), CTL_ERR_SYNTAX);
	CHECK(strstr(msg, "add remove") != NULL);
}

TEST(parse_lun)
{
	CHECK_EQ_INT(parse("lun add " TGT " 7 /dev/shm/a%20b.img readonly"),
	    CTL_OK);
	CHECK_EQ_INT(req.cmd, CTL_CMD_LUN_ADD);
	CHECK_EQ_INT(req.lun, 7);
	CHECK_EQ_STR(req.path, "/dev/shm/a b.img");
	CHECK(req.readonly);
	CHECK_EQ_INT(parse("lun add " TGT " 255 /x"), CTL_OK);
	CHECK_EQ_INT(parse("lun add " TGT " 256 /x"), CTL_ERR_INVALID);
	CHECK_EQ_INT(parse("lun add " TGT " -1 /x"), CTL_ERR_INVALID);
	CHECK_EQ_INT(parse("lun add " TGT " 1x /x"), CTL_ERR_INVALID);
	CHECK_EQ_INT(parse("lun add " TGT " 0001 /x"), CTL_ERR_INVALID);
	CHECK_EQ_INT(parse("lun add " TGT " 1 relative.img"), CTL_ERR_INVALID);
	CHECK(strstr(msg, "absolute") != NULL);
	CHECK_EQ_INT(parse("lun add " TGT " 1 /x rw"), CTL_ERR_SYNTAX);
	CHECK_EQ_INT(parse("lun add " TGT " 1"), CTL_ERR_SYNTAX);
	CHECK_EQ_INT(parse("lun remove " TGT " 3 force"), CTL_OK);
	CHECK_EQ_INT(req.lun, 3);
	CHECK(req.force);
}

TEST(parse_acl_and_chap)
{
	CHECK_EQ_INT(parse("acl add " TGT " iqn.2026-11.org.example:host"),
	    CTL_OK);
	CHECK(!req.acl_network);
	CHECK_EQ_INT(parse("acl remove " TGT " 192.0.2.0/24"), CTL_OK);
	CHECK(req.acl_network);
	CHECK_EQ_INT(req.cmd, CTL_CMD_ACL_REMOVE);
	CHECK_EQ_INT(parse("acl add " TGT " 192.0.2.1/24"), CTL_ERR_INVALID);
	CHECK_EQ_INT(parse("acl add " TGT " iqn.bad"), CTL_ERR_INVALID);
	CHECK_EQ_INT(parse("acl add " TGT " somehost"), CTL_ERR_INVALID);
	CHECK_EQ_INT(parse("chap set " TGT " bob 123456789012"), CTL_OK);
	CHECK_EQ_STR(req.user, "bob");
	CHECK_EQ_STR(req.secret, "123456789012");
	CHECK_EQ_INT(parse("chap set " TGT " bob shortsecret"),
	    CTL_ERR_INVALID);
	/* the secret is never echoed */
	CHECK(strstr(msg, "shortsecret") == NULL);
	CHECK_EQ_INT(parse("chap mutual " TGT " tgt 123456789012"), CTL_OK);
	CHECK_EQ_INT(req.cmd, CTL_CMD_CHAP_MUTUAL);
	CHECK_EQ_INT(parse("chap clear " TGT), CTL_OK);
	CHECK_EQ_INT(parse("chap drop " TGT), CTL_ERR_SYNTAX);
	CHECK(strstr(msg, "set mutual clear") != NULL);
}

TEST(parse_limits)
{
	char *big = malloc(CTL_LINE_MAX + 16);

	REQUIRE(big != NULL);
	CHECK_EQ_INT(parse(""), CTL_ERR_SYNTAX);
	CHECK_EQ_INT(parse("   "), CTL_ERR_SYNTAX);
	CHECK_EQ_INT(parse("save"), CTL_OK);
	CHECK_EQ_INT(parse("save now"), CTL_ERR_SYNTAX);
	CHECK_EQ_INT(parse("reload"), CTL_OK);
	CHECK_EQ_INT(parse("a b c d e f g h i"), CTL_ERR_SYNTAX);
	CHECK(strstr(msg, "words") != NULL);
	CHECK_EQ_INT(parse("show tar%zzgets"), CTL_ERR_SYNTAX);
	CHECK_EQ_INT(parse("frobnicate"), CTL_ERR_SYNTAX);
	CHECK(strstr(msg, "unknown command 'frobnicate'") != NULL);
	memset(big, 'a', CTL_LINE_MAX + 1);
	CHECK_EQ_INT(ctl_req_parse(big, CTL_LINE_MAX + 1, &req, msg,
	    sizeof(msg)), CTL_ERR_TOO_LONG);
	free(big);
}

static struct conf *
model(void)
{
	static const char text[] =
	    "portal 127.0.0.1:3260\n"
	    "target " TGT " {\n"
	    "\tallow-network 10.0.0.0/8\n"
	    "\tallow-initiator iqn.2026-11.org.example:a\n"
	    "\tlun 0 /tmp/a.img\n"
	    "}\n";
	struct conf *c = NULL;
	char err[CONF_ERR_MAX];

	if (conf_parse_string(text, strlen(text), "t.conf", &c, err,
	    sizeof(err)) != 0)
		fprintf(stderr, "%s\n", err);
	return c;
}

static enum ctl_status
edit(struct conf *c, const char *line)
{
	enum ctl_status st = parse(line);

	if (st != CTL_OK)
		return st;
	return ctl_req_edit(c, &req, msg, sizeof(msg));
}

TEST(edit_targets_and_luns)
{
	struct conf *c = model();
	struct conf_target *t;
	char err[CONF_ERR_MAX];

	REQUIRE(c != NULL);
	CHECK_EQ_INT(edit(c, "target add iqn.2026-11.org.minisan:u alias u"),
	    CTL_OK);
	CHECK_EQ_INT(c->ntargets, 2);
	CHECK_EQ_STR(c->targets[1].alias, "u");
	/* names compare case-insensitively (RFC7143 4.2.7.1) */
	CHECK_EQ_INT(edit(c, "target add " TGT), CTL_ERR_EXISTS);
	CHECK_EQ_INT(edit(c, "lun add iqn.2026-11.org.minisan:u 4 /tmp/b"),
	    CTL_OK);
	CHECK_EQ_INT(edit(c, "lun add iqn.2026-11.org.minisan:u 4 /tmp/c"),
	    CTL_ERR_EXISTS);
	CHECK_EQ_INT(edit(c, "lun add iqn.2026-11.org.minisan:v 4 /tmp/c"),
	    CTL_ERR_NOT_FOUND);
	CHECK_EQ_INT(edit(c, "lun remove " TGT " 1"), CTL_ERR_NOT_FOUND);
	CHECK(strstr(msg, "has no LUN 1") != NULL);
	CHECK_EQ_INT(edit(c, "lun remove " TGT " 0"), CTL_OK);
	CHECK_EQ_INT(c->targets[0].nluns, 0);
	CHECK_EQ_INT(edit(c, "target remove " TGT), CTL_OK);
	REQUIRE(c->ntargets == 1);
	t = &c->targets[0];
	CHECK_EQ_STR(t->name, "iqn.2026-11.org.minisan:u");
	CHECK_EQ_INT(t->nluns, 1);
	CHECK_EQ_INT(t->luns[0].id, 4);
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), 0);
	CHECK_EQ_INT(edit(c, "target remove " TGT), CTL_ERR_NOT_FOUND);
	/* show, save and reload are no edits */
	CHECK_EQ_INT(edit(c, "save"), CTL_ERR_SYNTAX);
	conf_free(c);
}

TEST(edit_acls_and_chap)
{
	struct conf *c = model();
	const struct conf_target *t;
	char err[CONF_ERR_MAX];

	REQUIRE(c != NULL);
	t = &c->targets[0];
	/* networks compare by value */
	CHECK_EQ_INT(edit(c, "acl add " TGT " 10.0.0.0/08"), CTL_ERR_EXISTS);
	CHECK_EQ_INT(edit(c, "acl remove " TGT " 10.0.0.0/08"), CTL_OK);
	CHECK_EQ_INT(t->nnets, 0);
	CHECK_EQ_INT(edit(c, "acl remove " TGT " 10.0.0.0/8"),
	    CTL_ERR_NOT_FOUND);
	CHECK_EQ_INT(edit(c, "acl add " TGT " iqn.2026-11.org.example:a"),
	    CTL_ERR_EXISTS);
	CHECK_EQ_INT(edit(c, "acl add " TGT " iqn.2026-11.org.example:b"),
	    CTL_OK);
	CHECK_EQ_INT(edit(c, "acl remove " TGT " iqn.2026-11.org.example:a"),
	    CTL_OK);
	REQUIRE(t->nallow == 1);
	CHECK_EQ_STR(t->allow[0], "iqn.2026-11.org.example:b");
	CHECK_EQ_INT(edit(c, "chap mutual " TGT " me 123456789012"),
	    CTL_ERR_INVALID);
	CHECK_EQ_INT(edit(c, "chap set " TGT " bob 123456789012"), CTL_OK);
	CHECK_EQ_INT(edit(c, "chap mutual " TGT " me 123456789012"), CTL_OK);
	/* RFC7143 12.1.3: the same secret both ways is caught by verify */
	CHECK(conf_verify(c, err, sizeof(err)) != 0);
	CHECK(strstr(err, "differ") != NULL);
	CHECK_EQ_INT(edit(c, "chap mutual " TGT " me 210987654321"), CTL_OK);
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), 0);
	CHECK(c->has_secrets);
	CHECK_EQ_INT(edit(c, "chap clear " TGT), CTL_OK);
	CHECK(t->chap_user == NULL && t->mutual_secret == NULL);
	conf_free(c);
}

TEST(control_socket_directive)
{
	static const char text[] = "control-socket /run/x.sock\n"
				   "portal 127.0.0.1\n";
	struct conf *c = NULL, *c2 = NULL;
	char err[CONF_ERR_MAX], *s;

	REQUIRE(conf_parse_string(text, strlen(text), "t", &c, err,
	    sizeof(err)) == 0);
	CHECK_EQ_STR(c->control_socket, "/run/x.sock");
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), 0);
	s = conf_format(c);
	REQUIRE(conf_parse_string(s, strlen(s), "t", &c2, err,
	    sizeof(err)) == 0);
	CHECK_EQ_STR(c2->control_socket, "/run/x.sock");
	free(c->control_socket);
	c->control_socket = strdup("relative.sock");
	CHECK(conf_verify(c, err, sizeof(err)) != 0);
	CHECK(strstr(err, "absolute") != NULL);
	free(s);
	conf_free(c);
	conf_free(c2);
}

TEST(write_file_atomic)
{
	char dir[] = "/tmp/test_ctl.XXXXXX", path[64], err[256], buf[64];
	struct stat st;
	FILE *f;
	size_t n;

	REQUIRE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/minisan.conf", dir);
	CHECK_EQ_INT(ctl_write_file(path, "first\n", 0644, err, sizeof(err)),
	    0);
	CHECK_EQ_INT(ctl_write_file(path, "second\n", 0600, err, sizeof(err)),
	    0);
	REQUIRE(stat(path, &st) == 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	f = fopen(path, "r");
	REQUIRE(f != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	CHECK_EQ_STR(buf, "second\n");
	unlink(path);
	/* the directory holds no temporary file afterwards */
	CHECK_EQ_INT(rmdir(dir), 0);
	/* an unwritable place fails with a message naming the path */
	CHECK(ctl_write_file("/nonexistent-dir/x.conf", "x", 0600, err,
	    sizeof(err)) < 0);
	CHECK(strstr(err, "/nonexistent-dir/x.conf") != NULL);
}

int
main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(escape_roundtrip),
		T(unescape_rejects_malformed),
		T(parse_show),
		T(parse_target),
		T(parse_lun),
		T(parse_acl_and_chap),
		T(parse_limits),
		T(edit_targets_and_luns),
		T(edit_acls_and_chap),
		T(control_socket_directive),
		T(write_file_atomic),
	};

	return HARNESS_RUN(tests);
}

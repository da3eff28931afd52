/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the configuration model and parser (conf.c, conf_parse.c):
 * good files -> exact model values, bad files -> exact "FILE:LINE: message"
 * errors, iSCSI name rules, portal parsing and conf_verify(). */
#include "conf/conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "limits_minisan.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* String equality without a fixed-size message buffer: CHECK_EQ_STR's
 * 512-byte buffer trips gcc's -Wformat-truncation on CONF_ERR_MAX arrays. */
#define CHECK_STR(a, b) check_str(__FILE__, __LINE__, #a " == " #b, (a), (b))

static void
check_str(const char *file, int line, const char *expr, const char *a,
    const char *b)
{
	size_t n;
	char *d;

	if (a != NULL && b != NULL && strcmp(a, b) == 0)
		return;
	a = a != NULL ? a : "(null)";
	b = b != NULL ? b : "(null)";
	n = strlen(a) + strlen(b) + 16;
	d = malloc(n);
	if (d != NULL)
		snprintf(d, n, "\"%s\" != \"%s\"", a, b);
	harness_report(file, line, expr, d != NULL ? d : "strings differ");
	free(d);
}

static struct conf *
parse_ok(const char *text)
{
	char err[CONF_ERR_MAX];
	struct conf *c = NULL;
	int r = conf_parse_string(text, strlen(text), "t.conf", &c, err,
	    sizeof(err));

	if (r != 0)
		fprintf(stderr, "  unexpected error: %s\n", err);
	return r == 0 ? c : NULL;
}

static const char full_example[] =
    "# comment to end of line\n"
    "portal 0.0.0.0:3260            # IPv4\n"
    "portal [::1]:3260              # IPv6 in brackets\n"
    "portal-group-tag 7\n"
    "max-recv-data-segment-length 262144\n"
    "max-burst-length 1048576\n"
    "first-burst-length 65536\n"
    "digests no\n"
    "immediate-data no\n"
    "initial-r2t yes\n"
    "target iqn.2026-11.org.minisan:disk1 {\n"
    "    alias \"Disk one\"\n"
    "    lun 0 /srv/disk1.img\n"
    "    lun 1 /dev/md0 {\n"
    "        readonly yes\n"
    "        block-size 4096\n"
    "        serial ABC123\n"
    "        removable no\n"
    "    }\n"
    "}\n";

TEST(parse_full_example_fields)
{
	struct conf *c = parse_ok(full_example);
	struct conf_target *t;

	REQUIRE(c != NULL);
	CHECK_STR(c->path, "t.conf");
	CHECK_EQ_INT(c->tpgt, 7);
	CHECK_EQ_INT(c->max_recv_dsl, 262144);
	CHECK_EQ_INT(c->max_burst_length, 1048576);
	CHECK_EQ_INT(c->first_burst_length, 65536);
	CHECK_EQ_INT(c->allow_digests, 0);
	CHECK_EQ_INT(c->immediate_data, 0);
	CHECK_EQ_INT(c->initial_r2t, 1);
	REQUIRE(c->nportals == 2);
	CHECK_STR(c->portals[0].host, "0.0.0.0");
	CHECK_EQ_INT(c->portals[0].port, 3260);
	CHECK_EQ_INT(c->portals[0].line, 2);
	CHECK_STR(c->portals[1].host, "::1");
	CHECK_EQ_INT(c->portals[1].port, 3260);
	CHECK_EQ_INT(c->portals[1].line, 3);
	REQUIRE(c->ntargets == 1);
	t = &c->targets[0];
	CHECK_STR(t->name, "iqn.2026-11.org.minisan:disk1");
	CHECK_STR(t->alias, "Disk one");
	CHECK_EQ_INT(t->line, 11);
	REQUIRE(t->nluns == 2);
	CHECK_EQ_INT(t->luns[0].id, 0);
	CHECK_STR(t->luns[0].path, "/srv/disk1.img");
	CHECK_EQ_INT(t->luns[0].readonly, 0);
	CHECK_EQ_INT(t->luns[0].block_size, 0);
	CHECK(t->luns[0].serial == NULL);
	CHECK_EQ_INT(t->luns[0].removable, 0);
	CHECK_EQ_INT(t->luns[0].line, 13);
	CHECK_EQ_INT(t->luns[1].id, 1);
	CHECK_STR(t->luns[1].path, "/dev/md0");
	CHECK_EQ_INT(t->luns[1].readonly, 1);
	CHECK_EQ_INT(t->luns[1].block_size, 4096);
	CHECK_STR(t->luns[1].serial, "ABC123");
	CHECK_EQ_INT(t->luns[1].removable, 0);
	CHECK_EQ_INT(t->luns[1].line, 14);
	CHECK(conf_find_target(c, "IQN.2026-11.ORG.MINISAN:DISK1") == t);
	CHECK(conf_find_target(c, "iqn.2026-11.org.minisan:disk2") == NULL);
	CHECK(conf_find_lun(t, 1) == &t->luns[1]);
	CHECK(conf_find_lun(t, 2) == NULL);
	conf_free(c);
}

TEST(parse_defaults)
{
	struct conf *c = parse_ok("portal 127.0.0.1\n");

	REQUIRE(c != NULL);
	CHECK_EQ_INT(c->tpgt, 1);
	CHECK_EQ_INT(c->max_recv_dsl, 0);
	CHECK_EQ_INT(c->max_burst_length, 0);
	CHECK_EQ_INT(c->first_burst_length, 0);
	CHECK_EQ_INT(c->allow_digests, 1);
	CHECK_EQ_INT(c->immediate_data, 1);
	CHECK_EQ_INT(c->initial_r2t, 0);
	CHECK_EQ_INT(c->io_engine, CONF_IO_ENGINE_AUTO);
	REQUIRE(c->nportals == 1);
	CHECK_STR(c->portals[0].host, "127.0.0.1");
	CHECK_EQ_INT(c->portals[0].port, 3260);
	CHECK_EQ_INT(c->ntargets, 0);
	conf_free(c);
}

/* Good configurations and their canonical form (conf_format), which spells
 * out every model value. */
static const struct {
	const char *name;
	const char *in;
	const char *out;
} good[] = {
	{ "full example", full_example,
	    "portal-group-tag 7\n"
	    "max-recv-data-segment-length 262144\n"
	    "max-burst-length 1048576\n"
	    "first-burst-length 65536\n"
	    "digests no\n"
	    "immediate-data no\n"
	    "initial-r2t yes\n"
	    "portal 0.0.0.0:3260\n"
	    "portal [::1]:3260\n"
	    "\n"
	    "target iqn.2026-11.org.minisan:disk1 {\n"
	    "\talias \"Disk one\"\n"
	    "\tlun 0 /srv/disk1.img\n"
	    "\tlun 1 /dev/md0 {\n"
	    "\t\treadonly yes\n"
	    "\t\tblock-size 4096\n"
	    "\t\tserial ABC123\n"
	    "\t}\n"
	    "}\n" },
	{ "empty file", "",
	    "portal-group-tag 1\ndigests yes\nimmediate-data yes\n"
	    "initial-r2t no\n" },
	{ "one-line blocks, no final newline",
	    "portal 10.0.0.1:3261\n"
	    "target eui.02004567A425678D { lun 3 /a { readonly yes } }",
	    "portal-group-tag 1\ndigests yes\nimmediate-data yes\n"
	    "initial-r2t no\nportal 10.0.0.1:3261\n\n"
	    "target eui.02004567A425678D {\n\tlun 3 /a {\n"
	    "\t\treadonly yes\n\t}\n}\n" },
	{ "braces on their own lines, CRLF, tabs, comments",
	    "\t# leading comment\r\n"
	    "portal\t[0:0::0]:65535\r\n"
	    "\r\n"
	    "target naa.52004567BA64678D\r\n"
	    "{\r\n"
	    "  lun 0 /x # trailing comment\r\n"
	    "  {\r\n"
	    "    removable on\r\n"
	    "    serial \"S N\"\r\n"
	    "  }\r\n"
	    "}\r\n",
	    "portal-group-tag 1\ndigests yes\nimmediate-data yes\n"
	    "initial-r2t no\nportal [::]:65535\n\n"
	    "target naa.52004567BA64678D {\n\tlun 0 /x {\n"
	    "\t\tserial \"S N\"\n\t\tremovable yes\n\t}\n}\n" },
	{ "quoted strings and escapes",
	    "portal 1.2.3.4:1\n"
	    "target \"iqn.2026-11.org.minisan:q\" {\n"
	    "  alias \"say \\\"hi\\\" \\\\ # not a comment\"\n"
	    "  lun 0 \"/srv/my disk.img\"\n"
	    "}\n",
	    NULL },
	{ "iSNS servers, entity and period; default port 3205",
	    "isns-server 127.0.0.1\nisns-server [::1]:4000\n"
	    "isns-entity \"san one\"\nisns-period 60\n",
	    "portal-group-tag 1\ndigests yes\nimmediate-data yes\n"
	    "initial-r2t no\nisns-server 127.0.0.1:3205\n"
	    "isns-server [::1]:4000\nisns-entity \"san one\"\n"
	    "isns-period 60\n" },
	{ "iSNS discovery domains: global default and per target",
	    "isns-discovery-domain \"all disks\"\n"
	    "target iqn.2026-11.org.minisan:a {\n"
	    " isns-discovery-domain dd-a\n}\n"
	    "target iqn.2026-11.org.minisan:b {\n}\n",
	    "portal-group-tag 1\ndigests yes\nimmediate-data yes\n"
	    "initial-r2t no\nisns-discovery-domain \"all disks\"\n\n"
	    "target iqn.2026-11.org.minisan:a {\n"
	    "\tisns-discovery-domain dd-a\n}\n"
	    "\ntarget iqn.2026-11.org.minisan:b {\n}\n" },
	{ "io-engine io_uring", "io-engine io_uring\n",
	    "portal-group-tag 1\ndigests yes\nimmediate-data yes\n"
	    "initial-r2t no\nio-engine io_uring\n" },
	{ "io-engine threads, quoted", "io-engine \"threads\"\n",
	    "portal-group-tag 1\ndigests yes\nimmediate-data yes\n"
	    "initial-r2t no\nio-engine threads\n" },
	/* the default is not written out */
	{ "io-engine auto", "io-engine auto\n",
	    "portal-group-tag 1\ndigests yes\nimmediate-data yes\n"
	    "initial-r2t no\n" },
	{ "workers 4", "workers 4\n",
	    "portal-group-tag 1\ndigests yes\nimmediate-data yes\n"
	    "initial-r2t no\nworkers 4\n" },
	/* the default (one per CPU) is not written out */
	{ "workers auto", "workers auto\n",
	    "portal-group-tag 1\ndigests yes\nimmediate-data yes\n"
	    "initial-r2t no\n" },
	{ "boolean spellings",
	    "digests false\nimmediate-data off\ninitial-r2t true\n",
	    "portal-group-tag 1\ndigests no\nimmediate-data no\n"
	    "initial-r2t yes\n" },
	{ "several targets, lun order kept",
	    "target iqn.2026-11.org.minisan:a {\n lun 2 /b\n lun 0 /a\n}\n"
	    "target iqn.2026-11.org.minisan:b {\n}\n",
	    "portal-group-tag 1\ndigests yes\nimmediate-data yes\n"
	    "initial-r2t no\n\n"
	    "target iqn.2026-11.org.minisan:a {\n\tlun 2 /b\n\tlun 0 /a\n}\n"
	    "\ntarget iqn.2026-11.org.minisan:b {\n}\n" },
};

TEST(parse_good_table)
{
	for (size_t i = 0; i < NELEM(good); i++) {
		struct conf *c = parse_ok(good[i].in), *c2;
		char *s, *s2;

		if (c == NULL) {
			fprintf(stderr, "  case: %s\n", good[i].name);
			CHECK(c != NULL);
			continue;
		}
		s = conf_format(c);
		if (good[i].out != NULL)
			CHECK_STR(s, good[i].out);
		/* the canonical form parses back to the same model */
		c2 = parse_ok(s);
		REQUIRE(c2 != NULL);
		s2 = conf_format(c2);
		CHECK_STR(s2, s);
		free(s);
		free(s2);
		conf_free(c);
		conf_free(c2);
	}
}

TEST(parse_quoted_values)
{
	static const char quoted2[] =
	    "target iqn.2026-11.org.minisan:q {\nalias \"a\"x\n}\n";
	struct conf *c = parse_ok(good[4].in);
	char err[CONF_ERR_MAX];
	char *s;

	REQUIRE(c != NULL);
	REQUIRE(c->ntargets == 1 && c->targets[0].nluns == 1);
	CHECK_STR(c->targets[0].name, "iqn.2026-11.org.minisan:q");
	CHECK_STR(c->targets[0].alias, "say \"hi\" \\ # not a comment");
	CHECK_STR(c->targets[0].luns[0].path, "/srv/my disk.img");
	conf_free(c);
	/* a word ends where a quoted string starts: two arguments */
	CHECK_EQ_INT(conf_parse_string(quoted2, strlen(quoted2), "t.conf", &c,
	    err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "t.conf:2: too many arguments for 'alias' "
	    "(unexpected 'x'; quote values that contain spaces)");
	c = parse_ok(good[4].in);
	REQUIRE(c != NULL);
	s = conf_format(c);
	CHECK(strstr(s, "\talias \"say \\\"hi\\\" \\\\ # not a comment\"\n") !=
	    NULL);
	CHECK(strstr(s, "\tlun 0 \"/srv/my disk.img\"\n") != NULL);
	free(s);
	conf_free(c);
}

#define TGT "target iqn.2026-11.org.x:a {\n"

/* Bad configurations: conf_parse_string() fails with exactly this error. */
static const struct {
	const char *in;
	const char *err;
} bad[] = {
	{ "bogus 1\n", "t.conf:1: unknown directive 'bogus'" },
	{ "\n\n  Portal 1.2.3.4\n", "t.conf:3: unknown directive 'Portal'" },
	{ "portal 1.2.3.4\n" TGT "lun 0 /a\nfrobnicate yes\n}\n",
	    "t.conf:4: unknown directive 'frobnicate'" },
	{ "target iqn.2026-11.org.x:a\n",
	    "t.conf:1: expected '{' after target name, got end of line" },
	{ "target iqn.2026-11.org.x:a\n\nlun 0 /a\n",
	    "t.conf:1: expected '{' after target name, got end of line" },
	{ "target iqn.2026-11.org.x:a lun {\n",
	    "t.conf:1: expected '{' after target name, got 'lun'" },
	{ TGT "lun 0 /a\n",
	    "t.conf:2: missing '}' at end of file (block of target "
	    "iqn.2026-11.org.x:a opened at line 1)" },
	{ TGT "lun 0 /a {\nreadonly yes\n\n# end",
	    "t.conf:5: missing '}' at end of file (block of lun 0 opened at "
	    "line 2)" },
	{ TGT "lun 1 /a\nlun 1 /b\n}\n",
	    "t.conf:3: duplicate LUN 1 in target iqn.2026-11.org.x:a (first "
	    "defined at line 2)" },
	{ TGT "}\n\n" TGT "}\n",
	    "t.conf:4: duplicate target iqn.2026-11.org.x:a (first defined "
	    "at line 1)" },
	{ "target IQN.2026-11.org.x:a {\n}\n",
	    "t.conf:1: invalid iSCSI name 'IQN.2026-11.org.x:a': name must "
	    "start with 'iqn.', 'eui.' or 'naa.'" },
	{ "target iqn.2026-11.org.x:Disk {\n}\n",
	    "t.conf:1: invalid iSCSI name 'iqn.2026-11.org.x:Disk': uppercase "
	    "letters are not allowed in iqn names" },
	{ "target eui.123 {\n}\n",
	    "t.conf:1: invalid iSCSI name 'eui.123': eui name needs exactly 16 "
	    "hex digits after 'eui.'" },
	{ "max-recv-data-segment-length 100\n",
	    "t.conf:1: max-recv-data-segment-length 100 is out of range "
	    "(512..16777215)" },
	{ "max-burst-length 16777216\n",
	    "t.conf:1: max-burst-length 16777216 is out of range "
	    "(512..16777215)" },
	{ "first-burst-length 99999999999999999999999\n",
	    "t.conf:1: first-burst-length 99999999999999999999999 is out of "
	    "range (512..16777215)" },
	{ "portal-group-tag 0\n",
	    "t.conf:1: portal-group-tag 0 is out of range (1..65535)" },
	{ "portal-group-tag 65536\n",
	    "t.conf:1: portal-group-tag 65536 is out of range (1..65535)" },
	{ "max-burst-length 1k\n",
	    "t.conf:1: expected a number for 'max-burst-length', got '1k'" },
	{ "max-burst-length -1\n",
	    "t.conf:1: expected a number for 'max-burst-length', got '-1'" },
	{ "max-burst-length \"\"\n",
	    "t.conf:1: expected a number for 'max-burst-length', got \"\"" },
	{ "max-burst-length\n",
	    "t.conf:1: missing value for 'max-burst-length'" },
	{ "digests maybe\n",
	    "t.conf:1: expected yes or no for 'digests', got 'maybe'" },
	{ "digests YES\n",
	    "t.conf:1: expected yes or no for 'digests', got 'YES'" },
	{ "digests\n", "t.conf:1: missing value for 'digests'" },
	{ "digests {\n", "t.conf:1: expected value for 'digests', got '{'" },
	{ "digests yes\n# x\ndigests no\n",
	    "t.conf:3: duplicate 'digests' (first set at line 1)" },
	{ TGT "alias a\nalias b\n}\n",
	    "t.conf:3: duplicate 'alias' (first set at line 2)" },
	{ "alias x\n",
	    "t.conf:1: 'alias' is not allowed at top level (it belongs in a "
	    "target block)" },
	{ "readonly yes\n",
	    "t.conf:1: 'readonly' is not allowed at top level (it belongs in "
	    "a lun block)" },
	{ TGT "readonly yes\n}\n",
	    "t.conf:2: 'readonly' is not allowed in a target block (it "
	    "belongs in a lun block)" },
	{ TGT "lun 0 /a\n" "target iqn.2026-11.org.x:b {\n}\n",
	    "t.conf:3: 'target' is not allowed in a target block (missing '}' "
	    "for the block opened at line 1?)" },
	{ TGT "lun 0 /a {\n" "lun 1 /b\n}\n}\n",
	    "t.conf:3: 'lun' is not allowed in a lun block (missing '}' for "
	    "the block opened at line 2?)" },
	{ "portal 1.2.3.4\n}\n",
	    "t.conf:2: unexpected '}' (no block is open)" },
	{ TGT "}\n}\n", "t.conf:3: unexpected '}' (no block is open)" },
	{ "{\n", "t.conf:1: expected a directive, got '{'" },
	{ "\"portal\" 1.2.3.4\n",
	    "t.conf:1: expected a directive, got \"portal\"" },
	{ TGT "alias Disk one\n}\n",
	    "t.conf:2: too many arguments for 'alias' (unexpected 'one'; quote "
	    "values that contain spaces)" },
	{ TGT "} x\n",
	    "t.conf:2: too many arguments for 'target' (unexpected 'x'; quote "
	    "values that contain spaces)" },
	{ TGT "alias \"abc\n}\n",
	    "t.conf:2: unterminated string (missing closing '\"')" },
	{ TGT "alias \"abc\\",
	    "t.conf:2: unterminated string (missing closing '\"')" },
	{ TGT "alias \"a\\nb\"\n}\n",
	    "t.conf:2: invalid escape sequence in string (only \\\" and \\\\ "
	    "are allowed)" },
	{ TGT "alias \"a\tb\"\n}\n",
	    "t.conf:2: invalid control character 0x09 in string" },
	{ "portal 1.2.3.4\x01\n", "t.conf:1: invalid control character 0x01" },
	{ "\n\x7f", "t.conf:2: invalid control character 0x7f" },
	{ "digests\vyes\n", "t.conf:1: invalid control character 0x0b" },
	{ TGT "alias \"\"\n}\n", "t.conf:2: 'alias' must not be empty" },
	{ "portal localhost:3260\n",
	    "t.conf:1: invalid portal 'localhost:3260': not a numeric IPv4 "
	    "address (host names are not supported)" },
	{ "portal ::1\n",
	    "t.conf:1: invalid portal '::1': an IPv6 address must be in "
	    "brackets, e.g. [::1]:3260" },
	{ "portal 1.2.3.4:0\n",
	    "t.conf:1: invalid port in portal '1.2.3.4:0' (allowed: "
	    "1..65535)" },
	{ "portal [::1]:65536\n",
	    "t.conf:1: invalid port in portal '[::1]:65536' (allowed: "
	    "1..65535)" },
	{ "portal\n", "t.conf:1: missing address for 'portal'" },
	{ "isns-server\n", "t.conf:1: missing address for 'isns-server'" },
	{ "isns-server isns.example.com\n",
	    "t.conf:1: invalid isns-server 'isns.example.com': not a numeric "
	    "IPv4 address (host names are not supported)" },
	{ "isns-server 10.0.0.1:0\n",
	    "t.conf:1: invalid port in isns-server '10.0.0.1:0' (allowed: "
	    "1..65535)" },
	{ "isns-server ::1\n",
	    "t.conf:1: invalid isns-server '::1': an IPv6 address must be in "
	    "brackets, e.g. [::1]:3205" },
	{ "isns-server 10.0.0.1\nisns-server 10.0.0.1:3205\n",
	    "t.conf:2: duplicate isns-server 10.0.0.1:3205 (first defined at "
	    "line 1)" },
	{ "isns-period 3\n",
	    "t.conf:1: isns-period 3 is out of range (4..86400)" },
	{ TGT "isns-discovery-domain a\nisns-discovery-domain b\n}\n",
	    "t.conf:3: duplicate 'isns-discovery-domain' (first set at line "
	    "2)" },
	{ "isns-discovery-domain \"\"\n",
	    "t.conf:1: 'isns-discovery-domain' must not be empty" },
	{ "isns-entity a\nisns-entity b\n",
	    "t.conf:2: duplicate 'isns-entity' (first set at line 1)" },
	{ "target\n", "t.conf:1: missing target name for 'target'" },
	{ TGT "lun\n}\n", "t.conf:2: missing LUN number for 'lun'" },
	{ TGT "lun 0\n}\n", "t.conf:2: missing path for 'lun 0'" },
	{ TGT "lun 0 }\n", "t.conf:2: missing path for 'lun 0'" },
	{ TGT "lun x /a\n}\n",
	    "t.conf:2: expected a number for 'lun', got 'x'" },
	{ TGT "lun 256 /a\n}\n",
	    "t.conf:2: lun 256 is out of range (0..255)" },
	{ TGT "lun 0 disk.img\n}\n",
	    "t.conf:2: path of lun 0 must be absolute, got 'disk.img'" },
	{ TGT "lun 0 /a {\nblock-size 1000\n}\n}\n",
	    "t.conf:3: block-size 1000 is invalid (allowed: 512 or 4096)" },
	{ TGT "lun 0 /a {\nblock-size 0\n}\n}\n",
	    "t.conf:3: block-size 0 is invalid (allowed: 512 or 4096)" },
	{ TGT "lun 0 /a {\nserial "
	    "01234567890123456789012345678901234567890123456789012345678901234"
	    "\n}\n}\n",
	    "t.conf:3: 'serial' is too long (65 bytes; maximum 64)" },
	{ TGT "lun 0 /a {\nserial \xc3\xa9t\xc3\xa9\n}\n}\n",
	    "t.conf:3: 'serial' must be printable ASCII" },
	{ TGT "lun 0 /a {\nreadonly yes\nreadonly no\n}\n}\n",
	    "t.conf:4: duplicate 'readonly' (first set at line 3)" },
	{ "portal 1.2.3.4\n\nio-engine uring\n",
	    "t.conf:3: expected auto, io_uring or threads for 'io-engine', "
	    "got 'uring'" },
	{ "io-engine IO_URING\n",
	    "t.conf:1: expected auto, io_uring or threads for 'io-engine', "
	    "got 'IO_URING'" },
	{ "io-engine\n", "t.conf:1: missing engine for 'io-engine'" },
	{ "io-engine threads\nio-engine auto\n",
	    "t.conf:2: duplicate 'io-engine' (first set at line 1)" },
	{ "io-engine threads io_uring\n",
	    "t.conf:1: too many arguments for 'io-engine' (unexpected "
	    "'io_uring'; quote values that contain spaces)" },
	{ TGT "io-engine threads\n}\n",
	    "t.conf:2: 'io-engine' is not allowed in a target block "
	    "(missing '}' for the block opened at line 1?)" },
	{ "workers 0\n", "t.conf:1: workers 0 is out of range (1..64)" },
	{ "portal 1.2.3.4\nworkers 65\n",
	    "t.conf:2: workers 65 is out of range (1..64)" },
	{ "workers many\n",
	    "t.conf:1: expected a number for 'workers', got 'many'" },
	{ "workers\n", "t.conf:1: missing value for 'workers'" },
	{ "workers 2\nworkers 3\n",
	    "t.conf:2: duplicate 'workers' (first set at line 1)" },
};

TEST(parse_bad_table)
{
	for (size_t i = 0; i < NELEM(bad); i++) {
		char err[CONF_ERR_MAX];
		struct conf *c = (struct conf *)1;
		int r;

		memset(err, 'z', sizeof(err));
		r = conf_parse_string(bad[i].in, strlen(bad[i].in), "t.conf",
		    &c, err, sizeof(err));
		CHECK_EQ_INT(r, -EINVAL);
		CHECK(c == NULL);
		CHECK_STR(err, bad[i].err);
	}
}

TEST(parse_nul_byte)
{
	static const char text[] = "portal 1.2.3.4\n\0\n";
	char err[CONF_ERR_MAX];
	struct conf *c;

	CHECK_EQ_INT(conf_parse_string(text, sizeof(text) - 1, "t.conf", &c,
	    err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "t.conf:2: invalid control character 0x00");
	/* the length is honoured: text after len is never read */
	CHECK_EQ_INT(conf_parse_string(text, 15, "t.conf", &c, err,
	    sizeof(err)), 0);
	REQUIRE(c != NULL);
	CHECK_EQ_INT(c->nportals, 1);
	conf_free(c);
}

TEST(parse_bounds)
{
	char err[CONF_ERR_MAX];
	struct conf *c;
	size_t n = MINISAN_CONF_STRING_MAX + 1, len;
	char *text = malloc(MINISAN_CONF_FILE_MAX + 2);

	REQUIRE(text != NULL);
	/* one token too long, bare and quoted */
	memcpy(text, "portal ", 7);
	memset(text + 7, 'a', n);
	CHECK_EQ_INT(conf_parse_string(text, 7 + n, "t.conf", &c, err,
	    sizeof(err)), -EINVAL);
	CHECK_STR(err, "t.conf:1: word longer than 4095 bytes");
	text[7] = '"';
	text[7 + n] = 'a';
	CHECK_EQ_INT(conf_parse_string(text, 8 + n, "t.conf", &c, err,
	    sizeof(err)), -EINVAL);
	CHECK_STR(err, "t.conf:1: string longer than 4095 bytes");
	/* the longest token is fine as far as the lexer goes */
	memcpy(text, "target ", 7);
	memset(text + 7, 'a', MINISAN_CONF_STRING_MAX);
	CHECK_EQ_INT(conf_parse_string(text, 7 + MINISAN_CONF_STRING_MAX,
	    "t.conf", &c, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "t.conf:1: invalid iSCSI name 'aaaa") == err);
	CHECK(strstr(err, "...': name longer than 223 bytes") != NULL);
	/* whole file: 1 MiB of comments is fine, one byte more is not */
	memset(text, '#', MINISAN_CONF_FILE_MAX + 1);
	CHECK_EQ_INT(conf_parse_string(text, MINISAN_CONF_FILE_MAX, "t.conf",
	    &c, err, sizeof(err)), 0);
	conf_free(c);
	CHECK_EQ_INT(conf_parse_string(text, MINISAN_CONF_FILE_MAX + 1,
	    "t.conf", &c, err, sizeof(err)), -EFBIG);
	CHECK_STR(err, "t.conf: file is larger than 1048576 bytes");
	/* portals */
	len = 0;
	for (unsigned i = 0; i <= MINISAN_MAX_PORTALS; i++)
		len += (size_t)sprintf(text + len, "portal 10.0.0.%u\n", i);
	CHECK_EQ_INT(conf_parse_string(text, len, "t.conf", &c, err,
	    sizeof(err)), -EINVAL);
	CHECK_STR(err, "t.conf:65: too many portals (maximum 64)");
	/* a small error buffer is filled and terminated, a NULL one is
	 * allowed */
	CHECK_EQ_INT(conf_parse_string("x", 1, "t.conf", &c, err, 8),
	    -EINVAL);
	CHECK_STR(err, "t.conf:");
	CHECK_EQ_INT(conf_parse_string("x", 1, NULL, &c, NULL, 0), -EINVAL);
	CHECK_EQ_INT(conf_parse_string("x", 1, NULL, &c, err, sizeof(err)),
	    -EINVAL);
	CHECK_STR(err, "<string>:1: unknown directive 'x'");
	free(text);
}

TEST(parse_error_values_are_sanitised)
{
	char err[CONF_ERR_MAX];
	struct conf *c;
	static const char text[] = "b\xff'd\\ 1\n";

	CHECK_EQ_INT(conf_parse_string(text, strlen(text), "t.conf", &c, err,
	    sizeof(err)), -EINVAL);
	CHECK_STR(err, "t.conf:1: unknown directive 'b\\xff\\x27d\\x5c'");
}

/* Bad configurations that parse but fail conf_verify(). */
static const struct {
	const char *in;
	const char *err;
} unverifiable[] = {
	{ "", "t.conf: no portal defined (add e.g. 'portal 0.0.0.0:3260')" },
	{ TGT "lun 0 /a\n}\n",
	    "t.conf: no portal defined (add e.g. 'portal 0.0.0.0:3260')" },
	{ "portal 0.0.0.0\n# x\nportal 0.0.0.0:3260\n",
	    "t.conf:3: duplicate portal 0.0.0.0:3260 (first defined at line "
	    "1)" },
	{ "portal [::]\nportal [0::0]:3260\n",
	    "t.conf:2: duplicate portal [::]:3260 (first defined at line 1)" },
	{ "portal 1.2.3.4\nmax-burst-length 65536\n"
	  "first-burst-length 131072\n",
	    "t.conf: first-burst-length 131072 exceeds max-burst-length "
	    "65536" },
};

TEST(verify_table)
{
	for (size_t i = 0; i < NELEM(unverifiable); i++) {
		struct conf *c = parse_ok(unverifiable[i].in);
		char err[CONF_ERR_MAX];

		REQUIRE(c != NULL);
		CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), -EINVAL);
		CHECK_STR(err, unverifiable[i].err);
		conf_free(c);
	}
}

TEST(verify_good)
{
	struct conf *c = parse_ok(full_example);
	char err[CONF_ERR_MAX];

	REQUIRE(c != NULL);
	strcpy(err, "junk");
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	conf_free(c);
	/* first burst may equal max burst; portals on other ports are
	 * distinct */
	c = parse_ok("portal 0.0.0.0\nportal 0.0.0.0:3261\nportal [::]\n"
	    "max-burst-length 65536\nfirst-burst-length 65536\n");
	REQUIRE(c != NULL);
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), 0);
	conf_free(c);
}

/* Quick mode: a model built with the builders, no file. */
static struct conf *
quick(void)
{
	char err[CONF_ERR_MAX];
	struct conf *c = conf_new();
	struct conf_target *t;

	if (conf_add_portal(c, "0.0.0.0", 0, err, sizeof(err)) != 0)
		return NULL;
	t = conf_add_target(c, "iqn.2026-11.org.minisan:quick", 0);
	if (t == NULL || conf_add_lun(t, 0, "/dev/md0", 0) == NULL)
		return NULL;
	return c;
}

TEST(verify_builders)
{
	char err[CONF_ERR_MAX];
	struct conf *c = quick();
	struct conf_target *t;
	struct conf_lun *l;

	REQUIRE(c != NULL);
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), 0);
	CHECK(c->path == NULL);
	CHECK_EQ_INT(c->targets[0].luns[0].line, 0);

	/* bad block size, no file: message without prefix */
	c->targets[0].luns[0].block_size = 1000;
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "LUN 0 in target iqn.2026-11.org.minisan:quick: "
	    "block-size 1000 is invalid (allowed: 512 or 4096)");
	c->targets[0].luns[0].block_size = 4096;
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), 0);

	/* duplicate target (names compare case-insensitively) */
	t = conf_add_target(c, "IQN.2026-11.org.minisan:QUICK", 0);
	REQUIRE(t != NULL);
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "invalid iSCSI name 'IQN.2026-11.org.minisan:QUICK':"
	    " name must start with 'iqn.', 'eui.' or 'naa.'");
	free(t->name);
	t->name = strdup("iqn.2026-11.org.minisan:quick");
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "duplicate target iqn.2026-11.org.minisan:quick");
	c->path = strdup("q.conf");
	c->targets[0].line = 3;
	t->line = 9;
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "q.conf:9: duplicate target "
	    "iqn.2026-11.org.minisan:quick (first defined at line 3)");
	free(t->name);
	t->name = strdup("eui.02004567A425678D");
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), 0);

	/* duplicate and out-of-range LUNs */
	l = conf_add_lun(t, 5, "/a", 10);
	REQUIRE(l != NULL);
	l = conf_add_lun(t, 5, "/b", 11);
	REQUIRE(l != NULL);
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "q.conf:11: duplicate LUN 5 in target "
	    "eui.02004567A425678D (first defined at line 10)");
	l->id = MINISAN_MAX_LUNS_PER_TARGET;
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "q.conf:11: LUN 256 in target eui.02004567A425678D "
	    "is out of range (0..255)");
	l->id = 6;
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), 0);

	/* serial, alias, path */
	l->serial = strdup("bad\nserial");
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "q.conf:11: LUN 6 in target eui.02004567A425678D: "
	    "serial must be 1..64 printable ASCII characters");
	l->serial[3] = ' ';
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), 0);
	t->alias = strdup("");
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "q.conf:9: alias of target eui.02004567A425678D "
	    "must be 1..255 bytes without control characters");
	free(t->alias);
	t->alias = strdup("Disk \xc3\xa9");
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), 0);
	l->path[0] = '\0';
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "q.conf:11: LUN 6 in target eui.02004567A425678D: "
	    "path must be 1..4095 bytes without control characters");
	l->path[0] = '\t';
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), -EINVAL);

	/* globals */
	l->path[0] = '/';
	c->tpgt = 0;
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "q.conf: portal-group-tag 0 is out of range "
	    "(1..65535)");
	c->tpgt = 1;
	c->max_recv_dsl = 511;
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "q.conf: max-recv-data-segment-length 511 is out of "
	    "range (512..16777215)");
	c->max_recv_dsl = 512;
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), 0);

	/* no portal */
	free(c->portals[0].host);
	c->nportals = 0;
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "q.conf: no portal defined (add e.g. "
	    "'portal 0.0.0.0:3260')");
	conf_free(c);
	conf_free(NULL);
}

TEST(builder_limits)
{
	struct conf *c = conf_new();
	struct conf_target *t = NULL;
	char name[64];

	for (unsigned i = 0; i < MINISAN_MAX_TARGETS; i++) {
		snprintf(name, sizeof(name), "iqn.2026-11.org.x:%u", i);
		t = conf_add_target(c, name, 0);
		REQUIRE(t != NULL);
	}
	CHECK(conf_add_target(c, "iqn.2026-11.org.x:more", 0) == NULL);
	CHECK_EQ_INT(c->ntargets, MINISAN_MAX_TARGETS);
	for (unsigned i = 0; i < MINISAN_MAX_LUNS_PER_TARGET; i++)
		REQUIRE(conf_add_lun(t, i, "/a", 0) != NULL);
	CHECK(conf_add_lun(t, 0, "/a", 0) == NULL);
	CHECK_EQ_INT(t->nluns, MINISAN_MAX_LUNS_PER_TARGET);
	CHECK_STR(c->targets[MINISAN_MAX_TARGETS - 1].name,
	    "iqn.2026-11.org.x:1023");
	conf_free(c);
}

/* conf_iscsi_name_error(): NULL for valid names, else the reason. */
static const struct {
	const char *name;
	const char *why;
} names[] = {
	{ "iqn.2026-11.org.minisan:appliance", NULL },
	{ "iqn.1999-02.com.example", NULL },
	{ "iqn.2001-04.com.example:storage:diskarrays-sn-a8675309", NULL },
	{ "iqn.2026-11.org.x:a.b-c:d", NULL },
	{ "eui.02004567A425678D", NULL },
	{ "eui.02004567a425678d", NULL },
	{ "naa.52004567BA64678D", NULL },
	{ "naa.62004567BA64678D0123456789ABCDEF", NULL },
	{ "", "empty name" },
	{ "foo", "name must start with 'iqn.', 'eui.' or 'naa.'" },
	{ "IQN.2026-11.org.x",
	    "name must start with 'iqn.', 'eui.' or 'naa.'" },
	{ "iqn2026-11.org.x", "name must start with 'iqn.', 'eui.' or 'naa.'" },
	{ "iqn.", "iqn name needs a date 'yyyy-mm.' after 'iqn.'" },
	{ "iqn.2026-1.org.x", "iqn name needs a date 'yyyy-mm.' after 'iqn.'" },
	{ "iqn.26-11.org.x", "iqn name needs a date 'yyyy-mm.' after 'iqn.'" },
	{ "iqn.2026-11org.x", "iqn name needs a date 'yyyy-mm.' after 'iqn.'" },
	{ "iqn.2026-11", "iqn name needs a date 'yyyy-mm.' after 'iqn.'" },
	{ "iqn.2026-13.org.x", "invalid month in iqn date (allowed: 01..12)" },
	{ "iqn.2026-00.org.x", "invalid month in iqn date (allowed: 01..12)" },
	{ "iqn.2026-11.Org.x",
	    "uppercase letters are not allowed in iqn names" },
	{ "iqn.2026-11.org.x:Disk",
	    "uppercase letters are not allowed in iqn names" },
	{ "iqn.2026-11.org_x",
	    "invalid character in iqn name (allowed: a-z 0-9 . - :)" },
	{ "iqn.2026-11.org.x:a b",
	    "invalid character in iqn name (allowed: a-z 0-9 . - :)" },
	{ "iqn.2026-11.org.x:\xc3\xa9",
	    "invalid character in iqn name (allowed: a-z 0-9 . - :)" },
	{ "iqn.2026-11.",
	    "iqn name needs a reversed domain name after the date" },
	{ "iqn.2026-11.:x",
	    "iqn name needs a reversed domain name after the date" },
	{ "iqn.2026-11..org", "invalid reversed domain name in iqn name" },
	{ "iqn.2026-11.org.:x", "invalid reversed domain name in iqn name" },
	{ "iqn.2026-11.org..x:y", "invalid reversed domain name in iqn name" },
	{ "iqn.2026-11.org.x:", "empty string after ':' in iqn name" },
	{ "eui.0123", "eui name needs exactly 16 hex digits after 'eui.'" },
	{ "eui.0123456789abcdeg",
	    "eui name needs exactly 16 hex digits after 'eui.'" },
	{ "eui.0123456789abcdef0",
	    "eui name needs exactly 16 hex digits after 'eui.'" },
	{ "naa.0123456789abcdef01",
	    "naa name needs 16 or 32 hex digits after 'naa.'" },
	{ "naa.0123456789abcdefx123456789abcdef",
	    "naa name needs 16 or 32 hex digits after 'naa.'" },
	{ "naa.", "naa name needs 16 or 32 hex digits after 'naa.'" },
};

TEST(iscsi_names)
{
	char buf[ISCSI_NAME_MAX + 2];

	for (size_t i = 0; i < NELEM(names); i++) {
		const char *why = conf_iscsi_name_error(names[i].name);

		if (names[i].why == NULL) {
			if (why != NULL)
				fprintf(stderr, "  %s: %s\n", names[i].name,
				    why);
			CHECK(why == NULL);
			CHECK_EQ_INT(conf_check_iscsi_name(names[i].name), 0);
		} else {
			CHECK_STR(why, names[i].why);
			CHECK_EQ_INT(conf_check_iscsi_name(names[i].name),
			    -EINVAL);
		}
	}
	CHECK_STR(conf_iscsi_name_error(NULL), "empty name");
	/* 223 bytes is the maximum (RFC7143 4.2.7.1) */
	memcpy(buf, "iqn.2026-11.org.x:", 18);
	memset(buf + 18, 'a', ISCSI_NAME_MAX - 18);
	buf[ISCSI_NAME_MAX] = '\0';
	CHECK_EQ_INT(conf_check_iscsi_name(buf), 0);
	buf[ISCSI_NAME_MAX] = 'a';
	buf[ISCSI_NAME_MAX + 1] = '\0';
	CHECK_STR(conf_iscsi_name_error(buf), "name longer than 223 bytes");
}

/* conf_add_portal(): spec -> canonical host and port, or the error. */
static const struct {
	const char *spec;
	const char *host;
	unsigned port;
	int rc;
	const char *err;
} portals[] = {
	{ "0.0.0.0:3260", "0.0.0.0", 3260, 0, NULL },
	{ "127.0.0.1", "127.0.0.1", 3260, 0, NULL },
	{ "192.168.1.10:1", "192.168.1.10", 1, 0, NULL },
	{ "10.0.0.1:65535", "10.0.0.1", 65535, 0, NULL },
	{ "10.0.0.1:00080", "10.0.0.1", 80, 0, NULL },
	{ "[::1]:3260", "::1", 3260, 0, NULL },
	{ "[::]", "::", 3260, 0, NULL },
	{ "[2001:DB8:0:0::1]:860", "2001:db8::1", 860, 0, NULL },
	{ "[::ffff:10.0.0.1]:3261", "::ffff:10.0.0.1", 3261, 0, NULL },
	{ "", NULL, 0, -EINVAL, "x.conf:4: empty portal address" },
	{ "1.2.3.4:0", NULL, 0, -EINVAL,
	    "x.conf:4: invalid port in portal '1.2.3.4:0' (allowed: "
	    "1..65535)" },
	{ "1.2.3.4:65536", NULL, 0, -EINVAL,
	    "x.conf:4: invalid port in portal '1.2.3.4:65536' (allowed: "
	    "1..65535)" },
	{ "1.2.3.4:", NULL, 0, -EINVAL,
	    "x.conf:4: invalid port in portal '1.2.3.4:' (allowed: "
	    "1..65535)" },
	{ "1.2.3.4:+80", NULL, 0, -EINVAL,
	    "x.conf:4: invalid port in portal '1.2.3.4:+80' (allowed: "
	    "1..65535)" },
	{ "1.2.3.4:iscsi", NULL, 0, -EINVAL,
	    "x.conf:4: invalid port in portal '1.2.3.4:iscsi' (allowed: "
	    "1..65535)" },
	{ "1.2.3:3260", NULL, 0, -EINVAL,
	    "x.conf:4: invalid portal '1.2.3:3260': not a numeric IPv4 "
	    "address (host names are not supported)" },
	{ "256.1.1.1", NULL, 0, -EINVAL,
	    "x.conf:4: invalid portal '256.1.1.1': not a numeric IPv4 "
	    "address (host names are not supported)" },
	{ "example.com", NULL, 0, -EINVAL,
	    "x.conf:4: invalid portal 'example.com': not a numeric IPv4 "
	    "address (host names are not supported)" },
	{ "::1", NULL, 0, -EINVAL,
	    "x.conf:4: invalid portal '::1': an IPv6 address must be in "
	    "brackets, e.g. [::1]:3260" },
	{ "[::1", NULL, 0, -EINVAL,
	    "x.conf:4: invalid portal '[::1': missing ']'" },
	{ "[::1]3260", NULL, 0, -EINVAL,
	    "x.conf:4: invalid portal '[::1]3260': expected ':PORT' after "
	    "']'" },
	{ "[1.2.3.4]:3260", NULL, 0, -EINVAL,
	    "x.conf:4: invalid portal '[1.2.3.4]:3260': not a numeric IPv6 "
	    "address" },
	{ "[fe80::1%eth0]:3260", NULL, 0, -EINVAL,
	    "x.conf:4: invalid portal '[fe80::1%eth0]:3260': not a numeric "
	    "IPv6 address" },
	{ "[]:3260", NULL, 0, -EINVAL,
	    "x.conf:4: invalid portal '[]:3260': not a numeric IPv6 "
	    "address" },
	{ "[::1]:70000", NULL, 0, -EINVAL,
	    "x.conf:4: invalid port in portal '[::1]:70000' (allowed: "
	    "1..65535)" },
};

TEST(portal_parsing)
{
	for (size_t i = 0; i < NELEM(portals); i++) {
		struct conf *c = conf_new();
		char err[CONF_ERR_MAX];
		int r;

		c->path = strdup("x.conf");
		strcpy(err, "unset");
		r = conf_add_portal(c, portals[i].spec, 4, err, sizeof(err));
		CHECK_EQ_INT(r, portals[i].rc);
		if (r == 0) {
			REQUIRE(c->nportals == 1);
			CHECK_STR(c->portals[0].host, portals[i].host);
			CHECK_EQ_INT(c->portals[0].port, portals[i].port);
			CHECK_EQ_INT(c->portals[0].line, 4);
		} else {
			CHECK_EQ_INT(c->nportals, 0);
			CHECK_STR(err, portals[i].err);
		}
		conf_free(c);
	}
}

TEST(portal_quick_mode_messages)
{
	struct conf *c = conf_new();
	char err[CONF_ERR_MAX];

	/* no file, no line: the message has no prefix */
	CHECK_EQ_INT(conf_add_portal(c, "nohost", 0, err, sizeof(err)),
	    -EINVAL);
	CHECK_STR(err, "invalid portal 'nohost': not a numeric IPv4 "
	    "address (host names are not supported)");
	for (unsigned i = 0; i < MINISAN_MAX_PORTALS; i++)
		REQUIRE(conf_add_portal(c, "1.2.3.4", 0, NULL, 0) == 0);
	CHECK_EQ_INT(conf_add_portal(c, "1.2.3.4", 0, err, sizeof(err)),
	    -ENOSPC);
	CHECK_STR(err, "too many portals (maximum 64)");
	conf_free(c);
}

static char tmpdir[] = "/tmp/test_conf.XXXXXX";

static const char *
write_tmp(const char *name, const char *text, size_t len)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return NULL;
	if (len > 0 && fwrite(text, 1, len, f) != len) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	return path;
}

TEST(parse_file)
{
	char err[CONF_ERR_MAX], want[CONF_ERR_MAX + 64];
	struct conf *c = NULL;
	const char *path;
	char *big;

	REQUIRE(mkdtemp(tmpdir) != NULL);
	path = write_tmp("good.conf", full_example, strlen(full_example));
	REQUIRE(path != NULL);
	CHECK_EQ_INT(conf_parse_file(path, &c, err, sizeof(err)), 0);
	REQUIRE(c != NULL);
	CHECK_STR(c->path, path);
	CHECK_EQ_INT(c->targets[0].luns[1].block_size, 4096);
	CHECK_EQ_INT(conf_verify(c, err, sizeof(err)), 0);
	conf_free(c);

	path = write_tmp("bad.conf", "portal 1.2.3.4\n\nlun 0 /a\n",
	    strlen("portal 1.2.3.4\n\nlun 0 /a\n"));
	REQUIRE(path != NULL);
	CHECK_EQ_INT(conf_parse_file(path, &c, err, sizeof(err)), -EINVAL);
	CHECK(c == NULL);
	snprintf(want, sizeof(want), "%s:3: 'lun' is not allowed at top level"
	    " (it belongs in a target block)", path);
	CHECK_STR(err, want);

	/* exactly 1 MiB is accepted, one byte more is refused */
	big = malloc(MINISAN_CONF_FILE_MAX + 1);
	REQUIRE(big != NULL);
	memset(big, '\n', MINISAN_CONF_FILE_MAX + 1);
	memcpy(big, "portal 1.2.3.4", 14);
	path = write_tmp("max.conf", big, MINISAN_CONF_FILE_MAX);
	REQUIRE(path != NULL);
	CHECK_EQ_INT(conf_parse_file(path, &c, err, sizeof(err)), 0);
	REQUIRE(c != NULL);
	CHECK_EQ_INT(c->nportals, 1);
	conf_free(c);
	path = write_tmp("big.conf", big, MINISAN_CONF_FILE_MAX + 1);
	REQUIRE(path != NULL);
	CHECK_EQ_INT(conf_parse_file(path, &c, err, sizeof(err)), -EFBIG);
	snprintf(want, sizeof(want), "%s: file is larger than 1048576 bytes",
	    path);
	CHECK_STR(err, want);
	unlink(path);
	free(big);

	snprintf(want, sizeof(want), "%s/missing.conf", tmpdir);
	CHECK_EQ_INT(conf_parse_file(want, &c, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "/missing.conf: cannot open: ") != NULL);
	CHECK_EQ_INT(conf_parse_file(tmpdir, &c, err, sizeof(err)), -EISDIR);
	CHECK(strstr(err, ": cannot read: ") != NULL);

	for (size_t i = 0; i < 3; i++) {
		static const char *const made[] = { "good.conf", "bad.conf",
			"max.conf" };

		snprintf(want, sizeof(want), "%s/%s", tmpdir, made[i]);
		unlink(want);
	}
	CHECK_EQ_INT(rmdir(tmpdir), 0);
}

/* The shipped example configurations parse and verify. */
TEST(shipped_configs)
{
	static const char *files[] = {
		"configs/minisand.conf",
		"configs/examples/several-targets.conf",
	};
	/* run from the repository, target-daemon/ or next to this file */
	static const char *prefixes[] = { "", "../", "../../", "../../../" };
	char top[256];
	const char *slash;

	/* or anywhere, when __FILE__ is absolute */
	snprintf(top, sizeof(top), "%s", __FILE__);
	slash = strstr(top, "target-daemon/tests/unit/test_conf.c");
	if (slash != NULL)
		top[slash - top] = '\0';
	else
		top[0] = '\0';

	for (size_t i = 0; i < NELEM(files); i++) {
		char path[512], err[CONF_ERR_MAX];
		struct conf *c = NULL;
		int r = -ENOENT;

		for (size_t k = 0; k <= NELEM(prefixes) && r == -ENOENT; k++) {
			snprintf(path, sizeof(path), "%s%s",
			    k < NELEM(prefixes) ? prefixes[k] : top, files[i]);
			r = conf_parse_file(path, &c, err, sizeof(err));
		}
		if (r == -ENOENT) {
			fprintf(stderr, "  %s not found from the current "
			    "directory\n", files[i]);
			CHECK(r != -ENOENT);
			continue;
		}
		if (r != 0)
			fprintf(stderr, "  %s\n", err);
		REQUIRE(r == 0);
		if (conf_verify(c, err, sizeof(err)) != 0) {
			fprintf(stderr, "  %s\n", err);
			CHECK(0);
		}
		if (i == 0) {
			REQUIRE(c->nportals == 2 && c->ntargets == 1);
			CHECK_STR(c->portals[0].host, "0.0.0.0");
			CHECK_STR(c->portals[1].host, "::");
			CHECK_STR(c->targets[0].name,
			    "iqn.2026-11.org.minisan:appliance");
			REQUIRE(c->targets[0].nluns == 1);
			CHECK_EQ_INT(c->targets[0].luns[0].id, 0);
			CHECK_STR(c->targets[0].luns[0].path, "/dev/md/data");
		} else {
			CHECK(c->ntargets >= 2);
		}
		conf_free(c);
	}
}

static const struct test tests[] = {
	T(parse_full_example_fields),
	T(parse_defaults),
	T(parse_good_table),
	T(parse_quoted_values),
	T(parse_bad_table),
	T(parse_nul_byte),
	T(parse_bounds),
	T(parse_error_values_are_sanitised),
	T(verify_table),
	T(verify_good),
	T(verify_builders),
	T(builder_limits),
	T(iscsi_names),
	T(portal_parsing),
	T(portal_quick_mode_messages),
	T(parse_file),
	T(shipped_configs),
};

int
main(int argc, char **argv)
{
	return HARNESS_RUN(tests);
}

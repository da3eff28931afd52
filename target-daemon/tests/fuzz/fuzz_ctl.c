/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the libFuzzer entry point for the control request
 * parser: any line either is refused with a status and a message, or yields
 * a request whose fields pass the same checks again, and whose edit of a
 * small model leaves a model conf_verify() can judge and conf_format() can
 * write. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "ctl_proto.h"
#include "ctl_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond, const char *what, const char *detail)
{
	if (cond)
		return;
	fprintf(stderr, "fuzz_ctl: %s: %s\n", what, detail ? detail : "");
	abort();
}

static const char model_text[] =
    "portal 127.0.0.1:3260\n"
    "target iqn.2026-11.org.minisan:t {\n"
    "\tallow-network 10.0.0.0/8\n"
    "\tallow-initiator iqn.2026-11.org.example:a\n"
    "\tchap bob 123456789012\n"
    "\tlun 0 /tmp/a.img\n"
    "}\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctl_req req;
	char msg[1024], err[CONF_ERR_MAX];
	struct conf *c = NULL;
	enum ctl_status st;
	char *text;

	st = ctl_req_parse((const char *)data, size, &req, msg, sizeof(msg));
	check(st < CTL_NSTATUS, "status out of range", msg);
	if (st != CTL_OK) {
		check(msg[0] != '\0', "error without a message", NULL);
		return 0;
	}
	if (!ctl_req_is_change(&req))
		return 0;
	check(req.target != NULL &&
	    conf_check_iscsi_name(req.target) == 0, "unchecked target name",
	    req.target);
	if (req.cmd == CTL_CMD_LUN_ADD)
		check(req.path != NULL && req.path[0] == '/' &&
		    req.lun < 256, "unchecked LUN", req.path);
	check(conf_parse_string(model_text, strlen(model_text), "m", &c, err,
	    sizeof(err)) == 0, "model does not parse", err);
	st = ctl_req_edit(c, &req, msg, sizeof(msg));
	check(st < CTL_NSTATUS, "edit status out of range", msg);
	if (st == CTL_OK && conf_verify(c, err, sizeof(err)) == 0) {
		struct conf *c2 = NULL;

		/* what the control socket would save parses back */
		text = conf_format(c);
		check(conf_parse_string(text, strlen(text), "f", &c2, err,
		    sizeof(err)) == 0, "edited model does not round-trip",
		    err);
		conf_free(c2);
		free(text);
	}
	conf_free(c);
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the libFuzzer entry point for the configuration
 * parser: any input either fails with a "FILE:..." message and no model, or
 * yields a model that conf_verify() can judge and that conf_format() writes
 * back in a form that parses to the same model (round trip). */
#include "conf/conf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond, const char *what, const char *detail)
{
	if (cond)
		return;
	fprintf(stderr, "fuzz_conf: %s: %s\n", what, detail ? detail : "");
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONF_ERR_MAX], err2[CONF_ERR_MAX];
	struct conf *c = NULL, *c2 = NULL;
	char *s, *s2;
	int r, v, v2;

	r = conf_parse_string((const char *)data, size, "fuzz.conf", &c, err,
	    sizeof(err));
	if (r != 0) {
		check(r == -EINVAL || r == -EFBIG, "unexpected return", err);
		check(c == NULL, "model returned on error", err);
		check(strncmp(err, "fuzz.conf:", 10) == 0,
		    "error without FILE: prefix", err);
		check(strlen(err) > 10, "empty error message", err);
		return 0;
	}
	check(c != NULL, "no model on success", NULL);

	v = conf_verify(c, err, sizeof(err));
	check(v == 0 || v == -EINVAL, "unexpected verify return", err);
	if (v != 0)
		check(strncmp(err, "fuzz.conf", 9) == 0 && strlen(err) > 11,
		    "verify error without FILE prefix", err);

	/* round trip through the canonical form */
	s = conf_format(c);
	r = conf_parse_string(s, strlen(s), "fmt.conf", &c2, err2,
	    sizeof(err2));
	check(r == 0, "canonical form does not parse", err2);
	s2 = conf_format(c2);
	check(strcmp(s, s2) == 0, "canonical form is not stable", s2);
	v2 = conf_verify(c2, err2, sizeof(err2));
	check((v == 0) == (v2 == 0), "verify differs after round trip", err2);

	free(s);
	free(s2);
	conf_free(c);
	conf_free(c2);
	return 0;
}

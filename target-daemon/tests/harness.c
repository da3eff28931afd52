/* SPDX-License-Identifier: BSD-2-Clause */
/* The unit-test runner: runs all tests or the ones named on the command
 * line and prints the summary line CI parses. */
#include "harness.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

int harness_failed;
static jmp_buf harness_jmp;

void
harness_report(const char *file, int line, const char *expr,
    const char *detail)
{
	harness_failed = 1;
	fprintf(stderr, "  %s:%d: check failed: %s%s%s\n", file, line, expr,
	    detail ? ": " : "", detail ? detail : "");
}

void
harness_report_str(const char *file, int line, const char *expr,
    const char *a, const char *b)
{
	harness_failed = 1;
	fprintf(stderr, "  %s:%d: check failed: %s: \"%s\" != \"%s\"\n", file,
	    line, expr, a ? a : "(null)", b ? b : "(null)");
}

void
harness_abort_test(void)
{
	longjmp(harness_jmp, 1);
}

static int
selected(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int
harness_main(int argc, char **argv, const struct test *tests, size_t n)
{
	/* volatile: they live across setjmp/longjmp */
	volatile int passed = 0, failed = 0;

	for (volatile size_t i = 0; i < n; i++) {
		if (!selected(argc, argv, tests[i].name))
			continue;
		harness_failed = 0;
		if (setjmp(harness_jmp) == 0)
			tests[i].fn();
		printf("%s %s\n", harness_failed ? "FAIL" : "ok  ",
		    tests[i].name);
		if (harness_failed)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* A tiny in-tree unit-test harness. A test file defines TEST() functions,
 * lists them in a table and calls harness_main(). The last line printed is
 * "N passed, N failed"; the exit status is non-zero if any test failed. */
#ifndef MINISAN_TESTS_HARNESS_H
#define MINISAN_TESTS_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct test {
	const char *name;
	void (*fn)(void);
};

#define TEST(name) static void name(void)
#define T(name) { #name, name }

/* Set by the CHECK macros when the current test fails. */
extern int harness_failed;

void harness_report(const char *file, int line, const char *expr,
    const char *detail);
/* Reports two strings that differ, without truncating either. */
void harness_report_str(const char *file, int line, const char *expr,
    const char *a, const char *b);
void harness_abort_test(void) __attribute__((noreturn));
int harness_main(int argc, char **argv, const struct test *tests, size_t n);

#define HARNESS_RUN(tests) \
	harness_main(argc, argv, tests, sizeof(tests) / sizeof((tests)[0]))

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond))                                               \
			harness_report(__FILE__, __LINE__, #cond, NULL);   \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                 \
	do {                                                               \
		long long va_ = (long long)(a), vb_ = (long long)(b);      \
		if (va_ != vb_) {                                          \
			char d_[96];                                       \
			snprintf(d_, sizeof(d_), "%lld != %lld", va_, vb_);\
			harness_report(__FILE__, __LINE__, #a " == " #b,   \
			    d_);                                           \
		}                                                          \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                 \
	do {                                                               \
		const char *sa_ = (a), *sb_ = (b);                         \
		if (sa_ == NULL || sb_ == NULL || strcmp(sa_, sb_) != 0)   \
			harness_report_str(__FILE__, __LINE__,             \
			    #a " == " #b, sa_, sb_);                       \
	} while (0)

#define CHECK_EQ_MEM(a, b, n)                                              \
	do {                                                               \
		if (memcmp((a), (b), (n)) != 0)                            \
			harness_report(__FILE__, __LINE__,                 \
			    "memcmp(" #a ", " #b ", " #n ") == 0",         \
			    "bytes differ");                               \
	} while (0)

#define REQUIRE(cond)                                                      \
	do {                                                               \
		if (!(cond)) {                                             \
			harness_report(__FILE__, __LINE__, #cond, NULL);   \
			harness_abort_test();                              \
		}                                                          \
	} while (0)

#include <stdio.h>

#endif

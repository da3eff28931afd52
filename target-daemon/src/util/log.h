/* SPDX-License-Identifier: BSD-2-Clause */
/* Tiny logging API (OpenBSD/ctld shape). Only application-layer code logs;
 * library-style modules return errors instead. */
#ifndef MINISAN_UTIL_LOG_H
#define MINISAN_UTIL_LOG_H

#include <stddef.h>

#define LOG_FMT(a, b) __attribute__((format(printf, a, b)))

/* foreground: log to stderr, else syslog. verbosity: 0 info, 1+ debug. */
void log_init(int foreground, int verbosity);
int log_verbosity(void);
void log_warn(const char *fmt, ...) LOG_FMT(1, 2);
void log_warnx(const char *fmt, ...) LOG_FMT(1, 2);
void log_info(const char *fmt, ...) LOG_FMT(1, 2);
void log_debug(const char *fmt, ...) LOG_FMT(1, 2);
void fatal(const char *fmt, ...) LOG_FMT(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) LOG_FMT(1, 2) __attribute__((noreturn));

/* Copies untrusted bytes into out (size outlen), escaping control and
 * non-ASCII bytes as \xNN; always NUL-terminates. Returns out. */
char *log_sanitize(const char *in, size_t inlen, char *out, size_t outlen);

#endif

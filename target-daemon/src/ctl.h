/* SPDX-License-Identifier: BSD-2-Clause */
/* The control socket minisanctl talks to: a unix stream socket (mode 0600,
 * root or the daemon's own user only) taking one request line at a time
 * (ctl_proto.h). Show requests read the running state; changes build a new
 * configuration model (running model + change), verify it and hand it to
 * the same apply path SIGHUP uses. Application layer. */
#ifndef MINISAN_CTL_H
#define MINISAN_CTL_H

#include <stddef.h>

#include "apply.h"
#include "conf/conf.h"
#include "core/evloop.h"

/* What the control socket needs from main. */
struct ctl_hooks {
	/* Applies a verified model as SIGHUP does (takes ownership of cf).
	 * Returns 0 or -errno with err set. */
	int (*apply)(void *arg, struct conf *cf, char *err, size_t errlen);
	/* Re-reads the configuration file and applies it, as SIGHUP does.
	 * Returns 0 or -errno with err set. */
	int (*reload)(void *arg, char *err, size_t errlen);
	void *arg;
};

struct ctl;

/* Listens on path. A stale socket left by a dead daemon is replaced; a
 * path where a daemon answers, or that is not a socket, is refused. conf_path
 * is the file "save" writes (NULL in quick mode: save and reload are
 * refused). apply, loop and the strings must outlive the ctl. Returns NULL
 * with err set. */
struct ctl *ctl_new(struct evloop *loop, const char *path,
    struct apply_state *apply, const char *conf_path,
    const struct ctl_hooks *hooks, char *err, size_t errlen);
/* Ends idle clients (called from the periodic tick). */
void ctl_tick(struct ctl *ctl);
/* Closes every client and the socket, and removes the socket file if it is
 * still the one bound. ctl_free(NULL) is a no-op. */
void ctl_free(struct ctl *ctl);

/* Writes text to path atomically: a temporary file in the same directory
 * with the given mode, fsync, rename over path, fsync of the directory.
 * Returns 0 or -errno with err set. */
int ctl_write_file(const char *path, const char *text, unsigned mode,
    char *err, size_t errlen);

#endif

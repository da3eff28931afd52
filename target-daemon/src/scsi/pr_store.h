/* SPDX-License-Identifier: BSD-2-Clause */
/* The APTPL file: persistent reservation state that persists through power
 * loss (SPC-4 "Preserving persistent reservations and registrations").
 * Private to scsi/. A small versioned text file:
 *
 *	minisan-pr 1
 *	reservation <TYPE, hex; 0: none>
 *	reg <KEY, 16 hex digits> <RELATIVE TARGET PORT ID> <ALL_TG_PT 0|1>
 *	    <holder 0|1> <initiator port "name,i,0x<isid>" or name>
 *	...
 *	end
 *
 * one "reg" line (on one line) per registration. Lines starting with '#'
 * are comments. The PRGENERATION is not kept: power on sets it to 0. */
#ifndef MINISAN_SCSI_PR_STORE_H
#define MINISAN_SCSI_PR_STORE_H

#include <stddef.h>

#include "scsi/pr.h"

/* Replaces path with st atomically: a temporary file in the same
 * directory is written and fsync'ed, renamed over path, and the directory
 * fsync'ed. Returns 0 or -errno (path is then unchanged). */
int pr_store_save(const char *path, const struct pr_state *st);

/* Removes path (APTPL cleared) durably. A missing file is not an error.
 * Returns 0 or -errno. */
int pr_store_remove(const char *path);

/* Loads path into st (emptied first; st->aptpl is set when there is a
 * file). A missing file leaves st empty and returns 0. Returns -1 with err
 * filled, naming the file (and line), if it cannot be read or is not a
 * valid state; st is then empty. */
int pr_store_load(const char *path, struct pr_state *st, char *err,
    size_t errlen);

#endif

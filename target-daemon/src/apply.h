/* SPDX-License-Identifier: BSD-2-Clause */
/* The running target set: builds targets, LUNs and portals from a
 * configuration model, and applies a new model on reload without touching
 * what did not change. Application layer (may include anything). */
#ifndef MINISAN_APPLY_H
#define MINISAN_APPLY_H

#include <stddef.h>

#include "bs/bs.h"
#include "conf/conf.h"
#include "iscsi/server.h"

struct apply_target;
struct apply_retired;

/* Owned by main; apply_fini() releases everything it built. */
struct apply_state {
	struct iscsi_server *srv;
	struct conf *conf;             /* the model in force, owned */
	struct apply_target *targets;  /* parallel to srv->targets */
	struct apply_retired *retired; /* removed objects, freed at exit */
	char *state_dir;               /* persistent reservation files */
};

/* Builds everything conf describes (takes ownership of conf) and starts
 * listening. Returns 0 or -errno with err set; on error the caller exits. */
int apply_initial(struct apply_state *st, struct conf *conf, char *err,
    size_t errlen);
/* Applies a new model (takes ownership of conf): new portals listen,
 * removed ones close; new targets and LUNs appear; removed targets end
 * their sessions; changed LUNs are replaced. If a new backing store cannot
 * be opened nothing changes. Returns 0 or -errno with err set. */
int apply_reload(struct apply_state *st, struct conf *conf, char *err,
    size_t errlen);
/* Makes every store's completed writes durable. */
void apply_flush(struct apply_state *st);
/* Called from the daemon's periodic tick: closes the store of every
 * removed LUN that nothing uses any more (see scsi_lun_idle). */
void apply_tick(struct apply_state *st);
void apply_fini(struct apply_state *st);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Builds the running targets, LUNs and portals from a configuration model
 * and applies a new model on reload (SIGHUP), keeping what did not change:
 * sessions on unchanged targets and LUNs are not disturbed. */
#include "apply.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/net.h"
#include "limits_minisan.h"
#include "scsi/scsi.h"
#include "util/log.h"
#include "util/xalloc.h"

/* A LUN's store and SCSI device, indexed by LUN number. */
struct apply_lun {
	struct bs *bs;
	struct scsi_lun *lu;
};

struct apply_target {
	struct apply_lun *luns;
	uint32_t nluns;
};

/* Objects taken out of service on reload. Sessions and tasks may still
 * point at them, so they are freed only at exit; a LUN's store (its file
 * or device) is closed earlier, by apply_tick(), once nothing uses it, so
 * that an array whose LUN was removed can be stopped. */
struct apply_retired {
	struct apply_retired *next;
	struct apply_lun lun;
	struct iscsi_target *target;
};

void
apply_tick(struct apply_state *st)
{
	for (struct apply_retired *r = st->retired; r != NULL; r = r->next) {
		if (r->lun.bs == NULL || r->lun.lu == NULL ||
		    !scsi_lun_idle(r->lun.lu))
			continue;
		log_info("LUN store %s closed (the LUN was removed)",
		    bs_path(r->lun.bs));
		bs_close(r->lun.bs);
		r->lun.bs = NULL;
	}
}

/* FNV-1a: a stable 60-bit identifier per target name and LUN, so that a
 * LUN keeps its VPD 0x83 identity across restarts. */
static uint64_t
lun_naa_id(const char *target, uint32_t lun)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = target; *p != '\0'; p++) {
		h ^= (uint8_t)*p;
		h *= 0x100000001b3ull;
	}
	for (int i = 0; i < 4; i++) {
		h ^= (uint8_t)(lun >> (8 * i));
		h *= 0x100000001b3ull;
	}
	/* SPC-4 7.8.6.6: NAA 3h, locally assigned */
	return (0x3ull << 60) | (h & 0x0fffffffffffffffull);
}

static void
lun_release(struct apply_lun *al)
{
	scsi_lun_free(al->lu);
	bs_close(al->bs);
	al->lu = NULL;
	al->bs = NULL;
}

static void
retire(struct apply_state *st, struct apply_lun *al, struct iscsi_target *t)
{
	struct apply_retired *r = xcalloc(1, sizeof(*r));

	if (al != NULL)
		r->lun = *al;
	r->target = t;
	r->next = st->retired;
	st->retired = r;
}

/* The file a LUN's persistent reservations live in while APTPL is set:
 * STATE_DIR/pr-<target>-lun<N>, with characters other than [A-Za-z0-9.-]
 * of the target name replaced by '_'. NULL without a state directory. */
static char *
pr_file_path(const char *state_dir, const char *tname, uint32_t lun)
{
	char *path, *p;
	size_t n;

	if (state_dir == NULL)
		return NULL;
	n = strlen(state_dir) + strlen(tname) + 32;
	path = xmalloc(n);
	snprintf(path, n, "%s/pr-%s-lun%u", state_dir, tname, lun);
	for (p = path + strlen(state_dir) + 4; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			*p = '_';
	return path;
}

static struct bs_engine *
apply_engine(const struct apply_state *st, const char *tname)
{
	struct iscsi_worker *w = st->srv->workers[iscsi_worker_for_name(tname,
	    st->srv->nworkers)];

	return w->engine;
}

static int
lun_build(struct apply_state *st, const char *tname, const struct conf_lun *cl,
    struct apply_lun *out, char *err, size_t errlen)
{
	struct scsi_lun_params lp = { 0 };
	char msg[CONF_ERR_MAX];
	char *pr_file = pr_file_path(st->state_dir, tname, cl->id);
	int rc;

	/* on the engine of the loop that will serve the target */
	rc = bs_open(apply_engine(st, tname), cl->path, cl->readonly, &out->bs,
	    msg, sizeof(msg));
	if (rc < 0) {
		snprintf(err, errlen, "target %s LUN %u: %s", tname, cl->id,
		    msg);
		free(pr_file);
		return rc;
	}
	lp.block_size = cl->block_size;
	lp.readonly = cl->readonly;
	lp.removable = cl->removable;
	lp.serial = cl->serial;
	lp.naa_id = lun_naa_id(tname, cl->id);
	lp.pr_file = pr_file;
	out->lu = scsi_lun_new(out->bs, &lp, msg, sizeof(msg));
	free(pr_file);
	if (out->lu == NULL) {
		snprintf(err, errlen, "target %s LUN %u (%s): %s", tname,
		    cl->id, cl->path, msg);
		bs_close(out->bs);
		out->bs = NULL;
		return -EINVAL;
	}
	return 0;
}

static void
cred_clear(struct chap_cred *cr)
{
	free((void *)(uintptr_t)cr->user);
	free((void *)(uintptr_t)cr->secret);
	free((void *)(uintptr_t)cr->mutual_user);
	free((void *)(uintptr_t)cr->mutual_secret);
	memset(cr, 0, sizeof(*cr));
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Replaces cr with copies of the configured credentials. */
static void
cred_set(struct chap_cred *cr, const char *user, const char *secret,
    const char *muser, const char *msecret)
{
	cred_clear(cr);
	cr->user = dup_or_null(user);
	cr->secret = dup_or_null(secret);
	cr->mutual_user = dup_or_null(muser);
	cr->mutual_secret = dup_or_null(msecret);
}

static void
target_clear_allow(struct iscsi_target *t)
{
	for (size_t i = 0; i < t->nallow; i++)
		free(t->allow[i]);
	free(t->allow);
	t->allow = NULL;
	t->nallow = 0;
	free(t->nets);
	t->nets = NULL;
	t->nnets = 0;
}

static void
target_set_allow(struct iscsi_target *t, const struct conf_target *ct)
{
	target_clear_allow(t);
	if (ct->nallow > 0) {
		t->allow = xcalloc(ct->nallow, sizeof(*t->allow));
		for (size_t i = 0; i < ct->nallow; i++)
			t->allow[i] = xstrdup(ct->allow[i]);
		t->nallow = ct->nallow;
	}
	if (ct->nnets > 0) {
		t->nets = xcalloc(ct->nnets, sizeof(*t->nets));
		/* conf_parse / quick mode validated every entry */
		for (size_t i = 0; i < ct->nnets; i++)
			if (net_cidr_parse(ct->nets[i], &t->nets[t->nnets]) == 0)
				t->nnets++;
	}
}

static bool
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
same_lun(const struct conf_lun *a, const struct conf_lun *b)
{
	return same_str(a->path, b->path) && a->readonly == b->readonly &&
	    a->block_size == b->block_size && same_str(a->serial, b->serial) &&
	    a->removable == b->removable;
}

static uint32_t
lun_slots(const struct conf_target *ct)
{
	uint32_t n = 0;

	for (size_t i = 0; i < ct->nluns; i++)
		if (ct->luns[i].id + 1 > n)
			n = ct->luns[i].id + 1;
	return n;
}

/* The running target named name, or -1. */
static ssize_t
find_running(const struct apply_state *st, const char *name)
{
	for (size_t i = 0; i < st->srv->ntargets; i++)
		if (strcasecmp(st->srv->targets[i]->name, name) == 0)
			return (ssize_t)i;
	return -1;
}

/* Prepares the LUN table of target ct: unchanged LUNs of the running
 * target (index old, or -1) are reused, the others opened. On error the
 * LUNs opened here are closed. */
static int
luns_prepare(struct apply_state *st, const struct conf_target *ct, ssize_t old,
    struct apply_target *out, char *err, size_t errlen)
{
	const struct conf_target *oct = NULL;
	uint32_t n = lun_slots(ct);

	if (old >= 0)
		oct = conf_find_target(st->conf, ct->name);
	out->nluns = n;
	out->luns = xcalloc(n ? n : 1, sizeof(*out->luns));
	for (size_t i = 0; i < ct->nluns; i++) {
		const struct conf_lun *cl = &ct->luns[i];
		const struct conf_lun *ol = oct ? conf_find_lun(oct, cl->id) :
		    NULL;
		int rc;

		if (ol != NULL && same_lun(cl, ol)) {
			out->luns[cl->id] = st->targets[old].luns[cl->id];
			continue;
		}
		rc = lun_build(st, ct->name, cl, &out->luns[cl->id], err,
		    errlen);
		if (rc < 0) {
			for (size_t j = 0; j < i; j++) {
				const struct conf_lun *bl = &ct->luns[j];
				const struct conf_lun *pl = oct ?
				    conf_find_lun(oct, bl->id) : NULL;

				if (pl == NULL || !same_lun(bl, pl))
					lun_release(&out->luns[bl->id]);
			}
			free(out->luns);
			out->luns = NULL;
			return rc;
		}
	}
	return 0;
}

static void
target_install(struct iscsi_target *t, const struct apply_target *at)
{
	free(t->scsi.luns);
	t->scsi.luns = xcalloc(at->nluns ? at->nluns : 1,
	    sizeof(*t->scsi.luns));
	for (uint32_t l = 0; l < at->nluns; l++)
		t->scsi.luns[l] = at->luns[l].lu;
	t->scsi.nluns = at->nluns;
}

static void
set_globals(struct iscsi_server *srv, const struct conf *cf)
{
	srv->tpgt = cf->tpgt ? cf->tpgt : 1;
	param_limits_default(&srv->limits);
	if (cf->max_recv_dsl != 0)
		srv->limits.max_recv_dsl = cf->max_recv_dsl;
	if (cf->max_burst_length != 0)
		srv->limits.max_burst_length = cf->max_burst_length;
	if (cf->first_burst_length != 0)
		srv->limits.first_burst_length = cf->first_burst_length;
	srv->limits.allow_digests = cf->allow_digests != 0;
	srv->limits.immediate_data = cf->immediate_data != 0;
	srv->limits.initial_r2t = cf->initial_r2t != 0;
	/* one R2T at a time: Data-Out arrives in order (scsi_cmd.c) */
	srv->limits.max_outstanding_r2t = 1;
	srv->limits.max_connections = MINISAN_MAX_CONNS_PER_SESSION;
}

static struct iscsi_portal *
portals_from(const struct conf *cf)
{
	struct iscsi_portal *p = xcalloc(cf->nportals ? cf->nportals : 1,
	    sizeof(*p));

	for (size_t i = 0; i < cf->nportals; i++) {
		snprintf(p[i].host, sizeof(p[i].host), "%s",
		    cf->portals[i].host);
		p[i].port = cf->portals[i].port;
		p[i].watch.fd = -1;
	}
	return p;
}

int
apply_initial(struct apply_state *st, struct conf *conf, char *err,
    size_t errlen)
{
	/* Everything is new: a reload from an empty model. */
	st->conf = conf_new();
	return apply_reload(st, conf, err, errlen);
}

int
apply_reload(struct apply_state *st, struct conf *conf, char *err,
    size_t errlen)
{
	struct iscsi_server *srv = st->srv;
	size_t n = conf->ntargets;
	struct apply_target *next = xcalloc(n ? n : 1, sizeof(*next));
	struct iscsi_target **targets = xcalloc(n ? n : 1, sizeof(*targets));
	struct iscsi_portal *portals;
	int rc;

	/* The state directory is where APTPL reservations are kept; the
	 * running one stays in use for LUNs that do not change. */
	free(st->state_dir);
	st->state_dir = conf->state_dir ? xstrdup(conf->state_dir) : NULL;
	if (st->state_dir != NULL && mkdir(st->state_dir, 0700) < 0 &&
	    errno != EEXIST) {
		snprintf(err, errlen, "state-directory %s: %s", st->state_dir,
		    strerror(errno));
		free(next);
		free(targets);
		conf_free(conf);
		return -errno;
	}
	/* Phase 1: open every new backing store; nothing changes on error. */
	for (size_t i = 0; i < n; i++) {
		ssize_t old = find_running(st, conf->targets[i].name);

		rc = luns_prepare(st, &conf->targets[i], old, &next[i], err,
		    errlen);
		if (rc < 0) {
			for (size_t j = 0; j < i; j++) {
				ssize_t o = find_running(st,
				    conf->targets[j].name);

				for (uint32_t l = 0; l < next[j].nluns; l++) {
					struct apply_lun *al = &next[j].luns[l];

					if (al->lu != NULL && (o < 0 ||
					    l >= st->targets[o].nluns ||
					    st->targets[o].luns[l].lu !=
					    al->lu))
						lun_release(al);
				}
				free(next[j].luns);
			}
			free(next);
			free(targets);
			conf_free(conf);
			return rc;
		}
	}
	/* Phase 2: retire what is gone, install the new tables. */
	for (size_t i = 0; i < srv->ntargets; i++) {
		struct iscsi_target *t = srv->targets[i];
		const struct conf_target *ct = conf_find_target(conf, t->name);
		ssize_t k = ct ? ct - conf->targets : -1;

		for (uint32_t l = 0; l < st->targets[i].nluns; l++) {
			struct apply_lun *al = &st->targets[i].luns[l];

			if (al->lu == NULL)
				continue;
			if (k >= 0 && l < next[k].nluns &&
			    next[k].luns[l].lu == al->lu)
				continue;
			log_info("target %s: LUN %u (%s) removed", t->name, l,
			    bs_path(al->bs));
			retire(st, al, NULL);
		}
		free(st->targets[i].luns);
		if (k < 0) {
			log_info("target %s removed: ending its sessions",
			    t->name);
			iscsi_server_drop_target(srv, t);
			retire(st, NULL, t);
		} else {
			targets[k] = t;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct conf_target *ct = &conf->targets[i];

		if (targets[i] == NULL) {
			targets[i] = xcalloc(1, sizeof(*targets[i]));
			targets[i]->name = xstrdup(ct->name);
			targets[i]->scsi.name = targets[i]->name;
			targets[i]->scsi.abort_tasks = iscsi_server_abort_tasks;
			targets[i]->scsi.abort_arg = srv;
			targets[i]->worker = iscsi_worker_for_name(ct->name,
			    srv->nworkers);
			log_info("target %s added", ct->name);
		}
		free(targets[i]->alias);
		targets[i]->alias = ct->alias ? xstrdup(ct->alias) : NULL;
		/* the access list and CHAP apply from the next login on */
		target_set_allow(targets[i], ct);
		cred_set(&targets[i]->chap, ct->chap_user, ct->chap_secret,
		    ct->mutual_user, ct->mutual_secret);
		/* TODO(#6): REPORT LUNS DATA HAS CHANGED unit attention */
		target_install(targets[i], &next[i]);
	}
	free(srv->targets);
	free(st->targets);
	srv->targets = targets;
	srv->ntargets = n;
	st->targets = next;
	set_globals(srv, conf);
	cred_set(&srv->discovery_chap, conf->disc_chap_user,
	    conf->disc_chap_secret, conf->disc_mutual_user,
	    conf->disc_mutual_secret);
	portals = portals_from(conf);
	rc = iscsi_server_set_portals(srv, portals, conf->nportals, err,
	    errlen);
	free(portals);
	conf_free(st->conf);
	st->conf = conf;
	return rc;
}

void
apply_flush(struct apply_state *st)
{
	for (size_t i = 0; i < st->srv->ntargets; i++) {
		for (uint32_t l = 0; l < st->targets[i].nluns; l++) {
			struct bs *bs = st->targets[i].luns[l].bs;
			int rc;

			if (bs == NULL)
				continue;
			rc = bs_flush_now(bs);
			if (rc < 0)
				log_warnx("%s: flush: %s", bs_path(bs),
				    strerror(-rc));
		}
	}
}

static void
target_free(struct iscsi_target *t)
{
	target_clear_allow(t);
	cred_clear(&t->chap);
	free(t->scsi.luns);
	free(t->name);
	free(t->alias);
	free(t);
}

void
apply_fini(struct apply_state *st)
{
	struct iscsi_server *srv = st->srv;

	iscsi_server_set_portals(srv, NULL, 0, NULL, 0);
	free(srv->portals);
	srv->portals = NULL;
	for (size_t i = 0; i < srv->ntargets; i++) {
		for (uint32_t l = 0; l < st->targets[i].nluns; l++)
			lun_release(&st->targets[i].luns[l]);
		free(st->targets[i].luns);
		target_free(srv->targets[i]);
	}
	free(st->targets);
	free(srv->targets);
	srv->targets = NULL;
	srv->ntargets = 0;
	while (st->retired != NULL) {
		struct apply_retired *r = st->retired;

		st->retired = r->next;
		lun_release(&r->lun);
		if (r->target != NULL)
			target_free(r->target);
		free(r);
	}
	cred_clear(&srv->discovery_chap);
	conf_free(st->conf);
	st->conf = NULL;
	free(st->state_dir);
	st->state_dir = NULL;
}

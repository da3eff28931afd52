/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the per I_T nexus table of a logical unit: unit
 * attention queues and medium removal prevention, bounded and LRU-evicted. */
#include "scsi/ua.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void
ua_table_init(struct ua_table *t)
{
	memset(t, 0, sizeof(*t));
}

void
ua_table_fini(struct ua_table *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free(t->v[i].port);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

struct ua_nexus *
ua_nexus_find(struct ua_table *t, const char *port)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].port, port) == 0)
			return &t->v[i];
	return NULL;
}

static struct ua_nexus *
ua_nexus_slot(struct ua_table *t)
{
	uint32_t lru = 0;

	if (t->n < MINISAN_MAX_NEXUS_PER_LUN) {
		if (t->n == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 4;
			if (t->cap > MINISAN_MAX_NEXUS_PER_LUN)
				t->cap = MINISAN_MAX_NEXUS_PER_LUN;
			t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
		}
		return &t->v[t->n++];
	}
	for (uint32_t i = 1; i < t->n; i++)
		if (t->v[i].last_used < t->v[lru].last_used)
			lru = i;
	free(t->v[lru].port);
	return &t->v[lru];
}

struct ua_nexus *
ua_nexus_get_id(struct ua_table *t, const char *port, uint64_t id)
{
	struct ua_nexus *nx = NULL;

	/* An id is never reused and a nexus never changes its port name,
	 * so an entry recorded with this id has this name. */
	for (uint32_t i = 0; id != 0 && i < t->n; i++) {
		if (t->v[i].nexus_id == id) {
			nx = &t->v[i];
			break;
		}
	}
	if (nx == NULL)
		nx = ua_nexus_find(t, port);
	if (nx == NULL) {
		nx = ua_nexus_slot(t);
		memset(nx, 0, sizeof(*nx));
		nx->port = xstrdup(port);
		/* SAM-5 "Power on": a new I_T nexus first sees the power on. */
		ua_post(nx, ASC_POWER_ON_RESET);
	}
	if (id != 0)
		nx->nexus_id = id;
	nx->last_used = ++t->clock;
	return nx;
}

struct ua_nexus *
ua_nexus_get(struct ua_table *t, const char *port)
{
	return ua_nexus_get_id(t, port, 0);
}

void
ua_nexus_remove(struct ua_table *t, const char *port)
{
	struct ua_nexus *nx = ua_nexus_find(t, port);

	if (nx == NULL)
		return;
	free(nx->port);
	*nx = t->v[--t->n];
}

void
ua_post(struct ua_nexus *nx, enum sense_asc asc)
{
	if (SENSE_ASC(asc) == SENSE_ASC(ASC_POWER_ON_RESET))
		nx->nua = 0;
	for (uint32_t i = 0; i < nx->nua; i++)
		if (nx->ua[i] == asc)
			return;
	if (nx->nua == MINISAN_MAX_UA_PER_NEXUS) {
		memmove(&nx->ua[0], &nx->ua[1],
		    (nx->nua - 1) * sizeof(nx->ua[0]));
		nx->nua--;
	}
	nx->ua[nx->nua++] = asc;
}

void
ua_post_all(struct ua_table *t, enum sense_asc asc,
    const struct ua_nexus *skip)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (&t->v[i] != skip)
			ua_post(&t->v[i], asc);
}

int
ua_take(struct ua_nexus *nx, enum sense_asc *asc)
{
	if (nx->nua == 0)
		return 0;
	*asc = nx->ua[0];
	memmove(&nx->ua[0], &nx->ua[1], (nx->nua - 1) * sizeof(nx->ua[0]));
	nx->nua--;
	return 1;
}

int
ua_any_prevent(const struct ua_table *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (t->v[i].prevent)
			return 1;
	return 0;
}

void
ua_clear_prevent(struct ua_table *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		t->v[i].prevent = 0;
}

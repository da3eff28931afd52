/* SPDX-License-Identifier: BSD-2-Clause */
/* Per I_T nexus state of one logical unit: the queue of pending unit
 * attention conditions (SAM-5 "Unit attention condition") and the medium
 * removal prevention (SBC-3 "PREVENT ALLOW MEDIUM REMOVAL"). Private to
 * scsi/. None of these functions lock: the caller holds the LUN's lock. */
#ifndef MINISAN_SCSI_UA_H
#define MINISAN_SCSI_UA_H

#include <stdint.h>

#include "limits_minisan.h"
#include "scsi/sense.h"

/* One I_T nexus as seen by one LUN, keyed by the initiator port name. */
struct ua_nexus {
	char *port;          /* owned */
	uint64_t nexus_id;   /* scsi_nexus id last seen with port, or 0 */
	uint64_t last_used;  /* table clock at the last command (LRU) */
	int prevent;         /* medium removal prevented by this nexus */
	uint32_t nua;        /* pending unit attentions, oldest first */
	enum sense_asc ua[MINISAN_MAX_UA_PER_NEXUS];
};

/* At most MINISAN_MAX_NEXUS_PER_LUN entries; the least recently used one
 * is evicted to make room (its nexus then looks new again and gets POWER
 * ON, RESET, OR BUS DEVICE RESET OCCURRED, the right report for lost
 * state). Embedded in struct scsi_lun. */
struct ua_table {
	struct ua_nexus *v;
	uint32_t n, cap;
	uint64_t clock;
};

void ua_table_init(struct ua_table *t);
void ua_table_fini(struct ua_table *t);

/* Returns the entry for port, creating it (with a pending POWER ON, RESET,
 * OR BUS DEVICE RESET OCCURRED unit attention, SAM-5 "Power on") if the
 * nexus is new, and marks it most recently used. The pointer is valid
 * until the next call on the table. */
struct ua_nexus *ua_nexus_get(struct ua_table *t, const char *port);
/* The same, for the nexus whose scsi_nexus id is id (0: unknown): an entry
 * already seen with that id is found without comparing names. */
struct ua_nexus *ua_nexus_get_id(struct ua_table *t, const char *port,
    uint64_t id);
/* Returns the entry for port or NULL, without creating or touching it. */
struct ua_nexus *ua_nexus_find(struct ua_table *t, const char *port);
/* Forgets port (I_T nexus loss). */
void ua_nexus_remove(struct ua_table *t, const char *port);

/* Queues asc for one nexus. A reset class condition (ASC 29h) replaces
 * everything queued before it (SAM-5: a reset clears older
 * conditions); a duplicate is not queued twice; a full queue drops its
 * oldest entry. */
void ua_post(struct ua_nexus *nx, enum sense_asc asc);
/* Queues asc for every known nexus except skip (may be NULL). */
void ua_post_all(struct ua_table *t, enum sense_asc asc,
    const struct ua_nexus *skip);
/* Pops the oldest pending condition into *asc. Returns 0 if none. */
int ua_take(struct ua_nexus *nx, enum sense_asc *asc);

/* 1 if any nexus currently prevents medium removal. */
int ua_any_prevent(const struct ua_table *t);
/* Clears every nexus' PREVENT state (logical unit / target reset). */
void ua_clear_prevent(struct ua_table *t);

#endif

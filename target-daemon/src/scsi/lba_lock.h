/* SPDX-License-Identifier: BSD-2-Clause */
/* A logical block range lock: the ordering point of a LUN's medium
 * accesses. Plain reads and writes hold their range shared and never wait
 * for each other; commands that must be atomic against every other access
 * (COMPARE AND WRITE, ORWRITE, WRITE ATOMIC, SANITIZE) hold theirs
 * exclusive. Requests are granted in arrival order: a request waits while
 * an earlier one (granted or waiting) overlaps it and either is exclusive,
 * so a stream of shared requests cannot starve an exclusive one. Private to
 * scsi/; knows nothing of SCSI commands (see medium.h for that). */
#ifndef MINISAN_SCSI_LBA_LOCK_H
#define MINISAN_SCSI_LBA_LOCK_H

#include <pthread.h>
#include <stdint.h>

enum lba_lock_mode {
	LBA_LOCK_NONE,   /* the entry is not in a table */
	LBA_LOCK_SHARED,
	LBA_LOCK_EXCL,
};

/* One request. Owned by the requester (embedded in a scsi_task or a copy
 * job); it must stay valid from lba_lock_acquire() until
 * lba_lock_release(). The fields are private to lba_lock.c. */
struct lba_lock_entry {
	struct lba_lock_entry *prev, *next; /* table order: arrival */
	struct lba_lock_entry *ready_next;  /* grant batch of one release */
	uint64_t first, last;               /* blocks, inclusive */
	enum lba_lock_mode mode;
	int granted;
	void (*resume)(void *arg);
	void *arg;
};

/* The entries of one LUN, granted and waiting, oldest first. Embedded in
 * struct scsi_lun; mu guards everything here and the entries' links. */
struct lba_lock_table {
	pthread_mutex_t mu;
	struct lba_lock_entry *head, *tail;
	uint32_t nexcl; /* exclusive entries in the list */
};

void lba_lock_init(struct lba_lock_table *t);
/* The table must be empty. */
void lba_lock_fini(struct lba_lock_table *t);

/* Enters e for blocks [lba, lba + n) -- n == 0 means "through the last
 * block" -- in mode (shared or exclusive). Returns 1 if the range is
 * granted now (resume is not called: the caller goes on), or 0 if an
 * earlier entry conflicts: then resume(arg) is called once it is granted,
 * from the lba_lock_release() or lba_lock_cancel() that removes the last
 * conflicting entry, in that caller's thread. */
int lba_lock_acquire(struct lba_lock_table *t, struct lba_lock_entry *e,
    uint64_t lba, uint64_t n, enum lba_lock_mode mode,
    void (*resume)(void *arg), void *arg);

/* Removes e (granted) and resumes the waiting entries it was holding up.
 * A no-op for an entry that is not in the table (mode LBA_LOCK_NONE). */
void lba_lock_release(struct lba_lock_table *t, struct lba_lock_entry *e);

/* Withdraws e if it is still waiting: returns 1 and removes it (resume
 * will not be called), or 0 if it has been granted (or is not in the
 * table) and stays as it is. */
int lba_lock_cancel(struct lba_lock_table *t, struct lba_lock_entry *e);

#endif

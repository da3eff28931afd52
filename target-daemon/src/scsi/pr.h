/* SPDX-License-Identifier: BSD-2-Clause */
/* Reservations of a logical unit: SPC-4 persistent reservations (PERSISTENT
 * RESERVE IN/OUT, SPC-4 5.13, 6.15, 6.16) and SPC-2 RESERVE/RELEASE, the
 * RESERVATION CONFLICT checks every other command passes, and the state
 * behind them. Private to scsi/. */
#ifndef MINISAN_SCSI_PR_H
#define MINISAN_SCSI_PR_H

#include <stddef.h>
#include <stdint.h>

#include "scsi/scsi_impl.h"
#include "scsi/sense.h"

/* SPC-4 "PERSISTENT RESERVE OUT command": TYPE field values. */
enum pr_type {
	PR_TYPE_NONE = 0x0, /* not a TYPE value: no reservation */
	PR_TYPE_WE = 0x1,    /* Write Exclusive */
	PR_TYPE_EA = 0x3,    /* Exclusive Access */
	PR_TYPE_WE_RO = 0x5, /* Write Exclusive - Registrants Only */
	PR_TYPE_EA_RO = 0x6, /* Exclusive Access - Registrants Only */
	PR_TYPE_WE_AR = 0x7, /* Write Exclusive - All Registrants */
	PR_TYPE_EA_AR = 0x8, /* Exclusive Access - All Registrants */
};

/* SPC-4 "PERSISTENT RESERVE IN command": SERVICE ACTION codes. */
enum pr_in_sa {
	PR_IN_READ_KEYS = 0x00,
	PR_IN_READ_RESERVATION = 0x01,
	PR_IN_REPORT_CAPABILITIES = 0x02,
	PR_IN_READ_FULL_STATUS = 0x03,
};

/* SPC-4 "PERSISTENT RESERVE OUT command": SERVICE ACTION codes. */
enum pr_out_sa {
	PR_OUT_REGISTER = 0x00,
	PR_OUT_RESERVE = 0x01,
	PR_OUT_RELEASE = 0x02,
	PR_OUT_CLEAR = 0x03,
	PR_OUT_PREEMPT = 0x04,
	PR_OUT_PREEMPT_AND_ABORT = 0x05,
	PR_OUT_REGISTER_AND_IGNORE = 0x06,
	PR_OUT_REGISTER_AND_MOVE = 0x07,
	PR_OUT_SA_COUNT,
};

/* SPC-4 4.5.6 additional sense codes of reservations (ASC high byte,
 * ASCQ low byte), in the form of enum sense_asc. */
#define ASC_INVALID_RELEASE_OF_PR ((enum sense_asc)0x2604)
#define ASC_RESERVATIONS_PREEMPTED ((enum sense_asc)0x2a03)
#define ASC_RESERVATIONS_RELEASED ((enum sense_asc)0x2a04)
#define ASC_REGISTRATIONS_PREEMPTED ((enum sense_asc)0x2a05)
#define ASC_INSUFFICIENT_REGISTRATION_RESOURCES ((enum sense_asc)0x5504)

/* One registration (SPC-4 "Registering"): a reservation key for an I_T
 * nexus. The initiator side is an iSCSI initiator port (name plus ISID)
 * or, when it came from a TransportID of format 00b, every port of the
 * named initiator; the target side is one target port, or all of them
 * (ALL_TG_PT). No two registrations of a LUN cover the same I_T nexus. */
struct pr_reg {
	uint64_t key;          /* never 0 */
	char *name;            /* iSCSI initiator name; owned */
	uint64_t isid;         /* valid if has_isid */
	int has_isid;          /* 0: any port of name */
	uint16_t rel_port_id;  /* RELATIVE TARGET PORT IDENTIFIER */
	int all_tg_pt;         /* registered through every target port */
	int holder;            /* holds the reservation (types other than the
	                        * all registrants ones, where every
	                        * registration does) */
};

/* The persistent reservation state of one LUN, what APTPL saves. At most
 * MINISAN_MAX_PR_REGISTRATIONS registrations. A reservation (type not
 * PR_TYPE_NONE) has at least one registration and, unless it is an all
 * registrants type, exactly one holder. SCOPE is always LU_SCOPE. */
struct pr_state {
	uint32_t generation;   /* PRGENERATION: 0 at power on */
	struct pr_reg *regs;   /* owned */
	uint32_t nregs;
	enum pr_type type;
	int aptpl;             /* Activate Persist Through Power Loss */
};

/* 1 if type is one of the six TYPE values we support. */
int pr_type_valid(unsigned int type);
/* 1 for the two all registrants types. */
int pr_type_all_registrants(enum pr_type type);

/* Frees what st owns and empties it. */
void pr_state_clear(struct pr_state *st);

/* Parses an initiator port name "iqn...,i,0x<isid>" (the form of struct
 * scsi_nexus and of TransportID format 01b), or an initiator name alone
 * when isid_required is 0, into reg's name/isid/has_isid (name is
 * allocated). Returns 0, or -1 if s is malformed. */
int pr_port_parse(const char *s, int isid_required, struct pr_reg *reg);
/* 1 if registrations a and b cover a common I_T nexus: same initiator
 * name, ISIDs equal or either absent, target ports equal or either
 * ALL_TG_PT. */
int pr_reg_overlap(const struct pr_reg *a, const struct pr_reg *b);
/* Writes reg's initiator port as pr_port_parse reads it. Returns what
 * snprintf returns. */
int pr_port_format(const struct pr_reg *reg, char *buf, size_t len);

/* Creates the reservation state of a LUN, loaded from file (the APTPL
 * file, may be NULL: nothing persists) if it exists. Returns NULL with err
 * filled (naming the file) if the file cannot be read or is corrupt. */
struct pr_lun *pr_lun_new(const char *file, char *err, size_t errlen);
void pr_lun_free(struct pr_lun *pr);

/* The RESERVATION CONFLICT check (SPC-4 "Persistent reservations
 * overview" and table "SPC commands that are allowed in the presence of
 * various reservations", SBC-3 "Reservations", SPC-2 "Reservations") of a
 * command the dispatcher is about to run. Called with the LUN lock held.
 * Returns 0 if the command may run, or 1 with RESERVATION CONFLICT status
 * set. Commands we do not implement never conflict. */
int pr_check(struct scsi_task *task);

/* A logical unit reset or hard reset releases the SPC-2 reservation;
 * persistent reservations are unaffected (SPC-4 "Persistent reservations
 * overview"). LUN lock held. */
void pr_reset(struct scsi_lun *lu);
/* I_T nexus loss of port releases its SPC-2 reservation. LUN lock held. */
void pr_nexus_loss(struct scsi_lun *lu, const char *port);

/* PERSISTENT RESERVE IN (SPC-4 6.15) */
scsi_cmd_fn pr_in;
/* PERSISTENT RESERVE OUT (SPC-4 6.16) */
scsi_cmd_fn pr_out;
scsi_out_len_fn pr_out_out_len;
/* Their opcode table entries (see struct scsi_cmd_desc): one per service
 * action sa; scope_type is the CDB USAGE DATA of the SCOPE and TYPE byte,
 * which some service actions ignore. */
#define PR_IN_SA(sa)                                                    \
	SCSI_SA((sa), pr_in, NULL, 0, SCSI_OP_PERSISTENT_RESERVE_IN, (sa), \
	    0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x05)
#define PR_OUT_SA(sa, scope_type)                                       \
	SCSI_SA((sa), pr_out, pr_out_out_len, 0,                        \
	    SCSI_OP_PERSISTENT_RESERVE_OUT, (sa), (scope_type), 0x00, 0x00, \
	    0xff, 0xff, 0xff, 0xff, 0x05)
/* RESERVE (6), RESERVE (10), RELEASE (6), RELEASE (10) (SPC-2) */
scsi_cmd_fn pr_reserve;
scsi_cmd_fn pr_release;

#endif

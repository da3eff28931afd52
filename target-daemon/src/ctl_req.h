/* SPDX-License-Identifier: BSD-2-Clause */
/* Control requests: one request line (ctl_proto.h) parsed and checked into
 * a struct ctl_req, and the edit a change request makes to a configuration
 * model. Pure: no I/O, no logging; the control socket server (ctl.c) does
 * the rest. */
#ifndef MINISAN_CTL_REQ_H
#define MINISAN_CTL_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "ctl_proto.h"

enum ctl_cmd {
	CTL_CMD_SHOW,
	CTL_CMD_TARGET_ADD,
	CTL_CMD_TARGET_REMOVE,
	CTL_CMD_LUN_ADD,
	CTL_CMD_LUN_REMOVE,
	CTL_CMD_ACL_ADD,
	CTL_CMD_ACL_REMOVE,
	CTL_CMD_CHAP_SET,
	CTL_CMD_CHAP_MUTUAL,
	CTL_CMD_CHAP_CLEAR,
	CTL_CMD_SAVE,
	CTL_CMD_RELOAD,
};

enum ctl_show {
	CTL_SHOW_TARGETS,
	CTL_SHOW_LUNS,
	CTL_SHOW_PORTALS,
	CTL_SHOW_ACLS,
	CTL_SHOW_SESSIONS,
	CTL_SHOW_STATS,
};

/* A parsed request. The strings point into buf and live as long as the
 * struct. */
struct ctl_req {
	enum ctl_cmd cmd;
	enum ctl_show show;
	const char *target;  /* iSCSI name of the target */
	uint32_t lun;
	const char *path;    /* LUN backing store, absolute */
	const char *alias;   /* target alias or NULL */
	const char *acl;     /* initiator name or network */
	bool acl_network;    /* acl is "ADDR[/PREFIX]" */
	const char *user, *secret;
	bool readonly;
	bool force;          /* remove even with sessions logged in */
	char buf[CTL_LINE_MAX + 1];
};

/* Parses the len bytes of line (no newline; a trailing CR is dropped).
 * Returns CTL_OK, or a status with msg set to what is wrong (secrets are
 * never echoed). */
enum ctl_status ctl_req_parse(const char *line, size_t len,
    struct ctl_req *req, char *msg, size_t msglen);

/* True if the request changes the configuration. */
bool ctl_req_is_change(const struct ctl_req *req);

/* Applies a change request to the model c. Returns CTL_OK, or a status
 * with msg set; c is then partly edited and must be thrown away. The caller
 * still runs conf_verify() on the result. */
enum ctl_status ctl_req_edit(struct conf *c, const struct ctl_req *req,
    char *msg, size_t msglen);

#endif

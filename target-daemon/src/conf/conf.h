/* SPDX-License-Identifier: BSD-2-Clause */
/* The configuration model: portals, targets and their LUNs. The syntax lives
 * in conf_parse.c only; quick mode (command-line flags) builds the same
 * model through the builder functions below. Pure: no I/O besides reading
 * the file in conf_parse_file(), no logging. */
#ifndef MINISAN_CONF_CONF_H
#define MINISAN_CONF_CONF_H

#include <stddef.h>
#include <stdint.h>

#define CONF_ERR_MAX 512
/* Longest control-socket path (sockaddr_un.sun_path less its NUL). */
#define CONF_SOCKET_PATH_MAX 107u

struct conf_lun {
	uint32_t id;         /* LUN number */
	char *path;          /* backing file or block device */
	int readonly;
	uint32_t block_size; /* 0: default (device's, or 512) */
	char *serial;        /* NULL: derived */
	int removable;
	int line;            /* where it was defined (0: command line) */
};

struct conf_target {
	char *name;          /* iqn./eui./naa. name, validated */
	char *alias;         /* TargetAlias or NULL */
	char *isns_dd;       /* iSNS discovery domain; NULL: conf's */
	/* CHAP (RFC7143 12.1.3): the initiator's name and secret, and ours
	 * for mutual CHAP; NULL: not required. */
	char *chap_user, *chap_secret;
	char *mutual_user, *mutual_secret;
	/* Initiator names allowed to log in; none: everyone may. */
	char **allow;
	size_t nallow;
	/* Source networks ("ADDR/PREFIX") logins may come from; none: any. */
	char **nets;
	size_t nnets;
	struct conf_lun *luns;
	size_t nluns;
	int line;
};

struct conf_portal {
	char *host;          /* numeric IPv4/IPv6 address (no brackets) */
	uint16_t port;
	int line;
};

/* How minisand performs backing-store I/O (io-engine; read at start-up
 * only). */
enum conf_io_engine {
	CONF_IO_ENGINE_AUTO,    /* io_uring where the kernel has it (default) */
	CONF_IO_ENGINE_URING,   /* io_uring, or refuse to start */
	CONF_IO_ENGINE_THREADS, /* worker threads only */
};

/* The whole configuration. Owned by the caller; freed by conf_free(). */
struct conf {
	char *path;             /* file it came from, NULL for quick mode */
	uint16_t tpgt;          /* target portal group tag, default 1 */
	uint32_t max_recv_dsl;  /* 0: default */
	uint32_t max_burst_length;
	uint32_t first_burst_length;
	int allow_digests;      /* default 1 */
	int immediate_data;     /* default 1 */
	int initial_r2t;        /* default 0 */
	char *state_dir;        /* persistent reservations; NULL: none */
	char *control_socket;   /* minisanctl's unix socket; NULL: default */
	enum conf_io_engine io_engine;
	uint32_t workers;       /* event loops (workers); 0: one per CPU */
	/* CHAP for discovery sessions; NULL: none required */
	char *disc_chap_user, *disc_chap_secret;
	char *disc_mutual_user, *disc_mutual_secret;
	int has_secrets;        /* some CHAP secret is configured */
	struct conf_portal *portals;
	size_t nportals;
	/* iSNS (RFC 4171): servers to register with, the Entity Identifier
	 * (NULL: the host name) and the registration period asked for */
	struct conf_portal *isns_servers;
	size_t nisns_servers;
	char *isns_entity;
	uint32_t isns_period;   /* seconds; 0: default */
	char *isns_dd;          /* discovery domain of targets naming none */
	struct conf_target *targets;
	size_t ntargets;
};

/* Parses a configuration file. Returns 0 or -errno / -EINVAL with err set to
 * "FILE:LINE: message" (or "FILE: message" for I/O errors). */
int conf_parse_file(const char *path, struct conf **out, char *err,
    size_t errlen);
/* Parses text of len bytes as if read from fname (used for messages). */
int conf_parse_string(const char *text, size_t len, const char *fname,
    struct conf **out, char *err, size_t errlen);

/* Builders (quick mode and parser share them). Strings are copied. */
struct conf *conf_new(void);
void conf_free(struct conf *c);
/* "ADDR:PORT", "[V6ADDR]:PORT", "ADDR" (port 3260). -EINVAL if malformed,
 * -ENOSPC beyond MINISAN_MAX_PORTALS. The address is stored in canonical
 * inet_ntop() form. Messages are prefixed "FILE:LINE: " when line > 0. */
int conf_add_portal(struct conf *c, const char *spec, int line, char *err,
    size_t errlen);
/* An iSNS server "ADDR[:PORT]" (port 3205 by default), same forms as a
 * portal. -EINVAL if malformed, -EEXIST if listed twice, -ENOSPC beyond
 * MINISAN_MAX_ISNS_SERVERS. */
int conf_add_isns_server(struct conf *c, const char *spec, int line,
    char *err, size_t errlen);
/* Return a pointer into c->targets (resp. t->luns), valid until the next
 * add on the same array, or NULL beyond MINISAN_MAX_TARGETS (resp.
 * MINISAN_MAX_LUNS_PER_TARGET). Names and ids are checked by conf_verify. */
struct conf_target *conf_add_target(struct conf *c, const char *name,
    int line);
/* Adds an allowed initiator name (validated by the caller). Returns 0, or
 * -ENOSPC past MINISAN_MAX_ACL_ENTRIES, -EEXIST for a repeated name. */
int conf_add_allow(struct conf_target *t, const char *initiator);
/* Adds an allowed source network (validated by the caller). Returns 0 or
 * -ENOSPC past MINISAN_MAX_ACL_ENTRIES. */
int conf_add_network(struct conf_target *t, const char *cidr);
struct conf_lun *conf_add_lun(struct conf_target *t, uint32_t id,
    const char *path, int line);
/* Removers (the run-time control socket edits a model with them). They
 * return 0, or -ENOENT if there is no such entry; conf_remove_network
 * compares networks by value ("10.0.0.0/8" is "10.0.0.0/08") and returns
 * -EINVAL for a malformed cidr. Pointers into the array shift. */
int conf_remove_target(struct conf *c, const char *name);
int conf_remove_lun(struct conf_target *t, uint32_t id);
int conf_remove_allow(struct conf_target *t, const char *initiator);
int conf_remove_network(struct conf_target *t, const char *cidr);

/* Semantic checks on a complete configuration: at least one portal, valid
 * and unique target names (RFC7143 4.2.7), unique LUN ids below
 * MINISAN_MAX_LUNS_PER_TARGET, block sizes 512/4096, limits in range.
 * Returns 0 or -EINVAL with err "FILE:LINE: message". */
int conf_verify(const struct conf *c, char *err, size_t errlen);

/* Checks an iSCSI name (iqn., eui., naa. forms). Returns 0 or -EINVAL. */
int conf_check_iscsi_name(const char *name);
/* Same check; returns NULL if name is valid, else a static string saying
 * why not (e.g. "uppercase letters are not allowed in iqn names"). */
const char *conf_iscsi_name_error(const char *name);

/* The io-engine word of e: "auto", "io_uring" or "threads". */
const char *conf_io_engine_name(enum conf_io_engine e);
/* Parses an io-engine word (as conf_io_engine_name() spells it) into *out.
 * Returns 0 or -EINVAL (*out untouched). */
int conf_io_engine_parse(const char *word, enum conf_io_engine *out);

/* Copies s into out (outlen at least 4) for quoting in a message: bytes
 * below 0x20 or above 0x7e, quotes and backslashes become \xNN, and a
 * string too long for out is cut and ends in "...". Returns out. */
const char *conf_show(const char *s, char *out, size_t outlen);

/* Lookups. Return borrowed pointers (valid until the next conf_add_target
 * on c, resp. conf_add_lun on t) or NULL. Target names compare
 * case-insensitively (RFC7143 4.2.7: names are case-insensitive). */
struct conf_target *conf_find_target(const struct conf *c, const char *name);
struct conf_lun *conf_find_lun(const struct conf_target *t, uint32_t id);

/* Renders c in configuration-file syntax (canonical form: parsing the result
 * gives an equal model). Returns a NUL-terminated heap string the caller
 * frees. Implemented in conf_parse.c, next to the parser. */
char *conf_format(const struct conf *c);

#endif

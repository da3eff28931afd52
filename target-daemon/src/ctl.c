/* SPDX-License-Identifier: BSD-2-Clause */
/* This file implements the control socket server: non-blocking accept and
 * read of request lines, one request at a time per client with a bounded
 * input buffer, the show requests over the running state, and changes as a
 * new model handed to the SIGHUP apply path; "save" writes the running
 * model to the configuration file atomically. */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "ctl_req.h"
#include "iscsi/server.h"
#include "limits_minisan.h"
#include "scsi/scsi.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Clients connected at once; more are answered "err limit" and closed. */
#define CTL_MAX_CLIENTS 8
/* Seconds a client may stay idle (no request, nothing being sent). */
#define CTL_IDLE_SEC 30
#define CTL_MSG_MAX (CONF_ERR_MAX * 2 + 128)

/* One connected minisanctl. Owned by the ctl's client list. */
struct ctl_client {
	struct ctl_client *next;
	struct ctl *ctl;
	struct evloop_watch watch;
	char in[CTL_LINE_MAX + 2]; /* a line, its newline, and a NUL */
	size_t inlen;
	struct strbuf out; /* answers not yet sent */
	size_t outoff;     /* bytes of out already sent */
	bool eof;          /* peer closed its side: close once out is sent */
	bool discard;      /* dropping the rest of a line that was too long */
	uint64_t last;     /* evloop_now() of the last activity */
};

struct ctl {
	struct evloop *loop;
	struct evloop_watch watch;
	char *path;
	dev_t dev;
	ino_t ino;
	struct apply_state *apply;
	const char *conf_path;
	struct ctl_hooks hooks;
	struct ctl_client *clients;
	unsigned nclients;
};

/* Appends " key=VALUE" with the value escaped (ctl_proto.h). */
static void
ob_kv(struct strbuf *ob, const char *key, const char *value)
{
	size_t n = ctl_escape(value, NULL, 0);
	char *e = xmalloc(n + 1);

	ctl_escape(value, e, n + 1);
	strbuf_printf(ob, " %s=%s", key, e);
	free(e);
}

static void
ob_ku(struct strbuf *ob, const char *key, unsigned long long v)
{
	strbuf_printf(ob, " %s=%llu", key, v);
}

static const char *
yesno(bool v)
{
	return v ? "yes" : "no";
}

/* The status line. msg may be empty. */
static void
ob_status(struct strbuf *ob, enum ctl_status st, const char *msg)
{
	char clean[CTL_MSG_MAX];

	/* one line, whatever the message holds */
	log_sanitize(msg, strlen(msg), clean, sizeof(clean));
	if (st == CTL_OK)
		strbuf_printf(ob, "ok%s%s\n", clean[0] ? " " : "", clean);
	else
		strbuf_printf(ob, "err %s %s\n", ctl_status_name(st), clean);
}

/* The running target of conf target i (the apply code keeps the two
 * arrays parallel; the name check guards that). */
static struct iscsi_target *
running_target(struct ctl *ctl, size_t i)
{
	struct iscsi_server *srv = ctl->apply->srv;
	const char *name = ctl->apply->conf->targets[i].name;

	if (i < srv->ntargets && strcasecmp(srv->targets[i]->name, name) == 0)
		return srv->targets[i];
	return iscsi_server_find_target(srv, name);
}

static struct scsi_lun *
running_lun(struct iscsi_target *t, uint32_t id)
{
	if (t == NULL || id >= t->scsi.nluns)
		return NULL;
	return t->scsi.luns[id];
}

static void
show_targets(struct ctl *ctl, struct strbuf *ob)
{
	const struct conf *c = ctl->apply->conf;

	for (size_t i = 0; i < c->ntargets; i++) {
		const struct conf_target *ct = &c->targets[i];
		struct iscsi_target *t = running_target(ctl, i);

		strbuf_printf(ob, "target");
		ob_kv(ob, "name", ct->name);
		ob_kv(ob, "alias", ct->alias != NULL ? ct->alias : "");
		ob_ku(ob, "luns", ct->nluns);
		ob_ku(ob, "sessions", t != NULL ?
		    iscsi_server_target_sessions(ctl->apply->srv, t) : 0);
		ob_kv(ob, "chap", ct->mutual_user != NULL ? "mutual" :
		    ct->chap_user != NULL ? "one-way" : "none");
		ob_kv(ob, "chap_user", ct->chap_user != NULL ? ct->chap_user :
		    "");
		ob_ku(ob, "acls", ct->nallow + ct->nnets);
		strbuf_printf(ob, "\n");
	}
}

static void
show_luns(struct ctl *ctl, struct strbuf *ob, bool stats)
{
	const struct conf *c = ctl->apply->conf;

	for (size_t i = 0; i < c->ntargets; i++) {
		const struct conf_target *ct = &c->targets[i];
		struct iscsi_target *t = running_target(ctl, i);

		for (size_t j = 0; j < ct->nluns; j++) {
			const struct conf_lun *cl = &ct->luns[j];
			struct scsi_lun *lu = running_lun(t, cl->id);
			struct scsi_lun_stats ls = { 0 };

			if (lu != NULL)
				scsi_lun_get_stats(lu, &ls);
			strbuf_printf(ob, stats ? "stat" : "lun");
			ob_kv(ob, "target", ct->name);
			ob_ku(ob, "lun", cl->id);
			if (!stats) {
				ob_kv(ob, "path", cl->path);
				ob_ku(ob, "size", ls.size_bytes);
				ob_ku(ob, "block_size", ls.block_size);
				ob_kv(ob, "readonly", yesno(ls.readonly ||
				    cl->readonly));
				strbuf_printf(ob, "\n");
				continue;
			}
			ob_ku(ob, "commands", ls.commands);
			ob_ku(ob, "read_bytes", ls.read_bytes);
			ob_ku(ob, "written_bytes", ls.written_bytes);
			ob_ku(ob, "errors", ls.errors);
			ob_ku(ob, "latency_us_avg", ls.commands ?
			    ls.latency_ns / ls.commands / 1000 : 0);
			strbuf_printf(ob, "\n");
		}
	}
}

static void
show_portals(struct ctl *ctl, struct strbuf *ob)
{
	const struct iscsi_server *srv = ctl->apply->srv;

	for (size_t i = 0; i < srv->nportals; i++) {
		const struct iscsi_portal *p = &srv->portals[i];

		strbuf_printf(ob, "portal");
		ob_kv(ob, "address", p->host);
		ob_ku(ob, "port", p->port);
		ob_kv(ob, "listening", yesno(p->watch.fd >= 0));
		strbuf_printf(ob, "\n");
	}
}

/* One "acl" line per value, all of one type. */
static void
show_acl_list(struct strbuf *ob, const char *target, const char *type,
    char *const *values, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		strbuf_printf(ob, "acl");
		ob_kv(ob, "target", target);
		ob_kv(ob, "type", type);
		ob_kv(ob, "value", values[j]);
		strbuf_printf(ob, "\n");
	}
}

static void
show_acls(struct ctl *ctl, struct strbuf *ob)
{
	const struct conf *c = ctl->apply->conf;

	for (size_t i = 0; i < c->ntargets; i++) {
		const struct conf_target *ct = &c->targets[i];

		show_acl_list(ob, ct->name, "initiator", ct->allow,
		    ct->nallow);
		show_acl_list(ob, ct->name, "network", ct->nets, ct->nnets);
	}
}

/* Passed through iscsi_server_each_session(). */
struct visit {
	struct strbuf *ob;
	uint16_t tsih; /* of the session whose connections follow */
};

static void
visit_session(const struct iscsi_session_info *si, void *arg)
{
	struct visit *v = arg;
	struct strbuf *ob = v->ob;
	const struct param_set *p = &si->params;

	v->tsih = si->tsih;
	strbuf_printf(ob, "session");
	ob_ku(ob, "tsih", si->tsih);
	ob_kv(ob, "initiator", si->initiator);
	ob_kv(ob, "isid", si->isid);
	ob_kv(ob, "target", si->target != NULL ? si->target : "");
	ob_kv(ob, "type", si->target != NULL ? "normal" : "discovery");
	ob_ku(ob, "connections", si->nconns);
	ob_ku(ob, "tasks", si->ntasks);
	ob_ku(ob, "max_burst_length", p->max_burst_length);
	ob_ku(ob, "first_burst_length", p->first_burst_length);
	ob_kv(ob, "immediate_data", yesno(p->immediate_data));
	ob_kv(ob, "initial_r2t", yesno(p->initial_r2t));
	strbuf_printf(ob, "\n");
}

static void
visit_conn(const struct iscsi_conn_info *ci, void *arg)
{
	struct visit *v = arg;
	struct strbuf *ob = v->ob;

	strbuf_printf(ob, "connection");
	ob_ku(ob, "tsih", v->tsih);
	ob_ku(ob, "cid", ci->cid);
	ob_kv(ob, "peer", ci->peer);
	ob_kv(ob, "portal", ci->local);
	ob_kv(ob, "header_digest", ci->header_digest ? "CRC32C" : "None");
	ob_kv(ob, "data_digest", ci->data_digest ? "CRC32C" : "None");
	ob_ku(ob, "max_recv_dsl", ci->max_recv_dsl);
	ob_ku(ob, "max_xmit_dsl", ci->max_xmit_dsl);
	ob_ku(ob, "tasks", ci->ntasks);
	strbuf_printf(ob, "\n");
}

int
ctl_write_file(const char *path, const char *text, unsigned mode, char *err,
    size_t errlen)
{
	size_t plen = strlen(path), len = strlen(text), off = 0;
	char *tmp = xmalloc(plen + 16), *dcopy = xstrdup(path);
	int fd, dfd, rc = 0;

	snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot create a temporary file: %s",
		    path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0)
		goto fail;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	/* the rename itself is durable once the directory is synced */
	dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) < 0)
			log_warn("%s: fsync of the directory", path);
		close(dfd);
	}
	goto out;
fail:
	rc = -errno;
	snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(dcopy);
	return rc;
}

static bool
conf_has_secrets(const struct conf *c)
{
	if (c->disc_chap_secret != NULL || c->disc_mutual_secret != NULL)
		return true;
	for (size_t i = 0; i < c->ntargets; i++)
		if (c->targets[i].chap_secret != NULL ||
		    c->targets[i].mutual_secret != NULL)
			return true;
	return false;
}

static enum ctl_status
do_save(struct ctl *ctl, char *msg, size_t msglen)
{
	char *text;
	bool secrets;
	int rc;

	if (ctl->conf_path == NULL) {
		snprintf(msg, msglen, "quick mode has no configuration file "
		    "to save to (start minisand with -c FILE)");
		return CTL_ERR_UNSUPPORTED;
	}
	text = conf_format(ctl->apply->conf);
	secrets = conf_has_secrets(ctl->apply->conf);
	/* a file with CHAP secrets must be private (conf_parse_file refuses
	 * it otherwise) */
	rc = ctl_write_file(ctl->conf_path, text, secrets ? 0600 : 0644, msg,
	    msglen);
	free(text);
	if (rc < 0)
		return CTL_ERR_APPLY;
	log_info("control: running configuration saved to %s",
	    ctl->conf_path);
	snprintf(msg, msglen, "saved to %s", ctl->conf_path);
	return CTL_OK;
}

/* A deep copy of the running model: written out and parsed back, the
 * canonical round trip conf_format() promises; line numbers are cleared so
 * that messages do not point into that text. */
static struct conf *
conf_copy(const struct conf *c, char *err, size_t errlen)
{
	char *text = conf_format(c);
	struct conf *n = NULL;

	if (conf_parse_string(text, strlen(text), "running configuration",
	    &n, err, errlen) < 0) {
		free(text);
		return NULL;
	}
	free(text);
	free(n->path);
	n->path = NULL;
	for (size_t i = 0; i < n->nportals; i++)
		n->portals[i].line = 0;
	for (size_t i = 0; i < n->ntargets; i++) {
		n->targets[i].line = 0;
		for (size_t j = 0; j < n->targets[i].nluns; j++)
			n->targets[i].luns[j].line = 0;
	}
	return n;
}

static void
log_change(const struct ctl_req *r)
{
	char t[ISCSI_NAME_MAX * 4 + 1], v[256];

	log_sanitize(r->target, strlen(r->target), t, sizeof(t));
	switch (r->cmd) {
	case CTL_CMD_TARGET_ADD:
		log_info("control: target %s added", t);
		break;
	case CTL_CMD_TARGET_REMOVE:
		log_info("control: target %s removed%s", t,
		    r->force ? " (forced)" : "");
		break;
	case CTL_CMD_LUN_ADD:
		log_sanitize(r->path, strlen(r->path), v, sizeof(v));
		log_info("control: target %s LUN %u added (%s)", t, r->lun, v);
		break;
	case CTL_CMD_LUN_REMOVE:
		log_info("control: target %s LUN %u removed%s", t, r->lun,
		    r->force ? " (forced)" : "");
		break;
	case CTL_CMD_ACL_ADD:
	case CTL_CMD_ACL_REMOVE:
		log_sanitize(r->acl, strlen(r->acl), v, sizeof(v));
		log_info("control: target %s access list: %s %s", t,
		    r->cmd == CTL_CMD_ACL_ADD ? "added" : "removed", v);
		break;
	case CTL_CMD_CHAP_SET:
	case CTL_CMD_CHAP_MUTUAL:
	case CTL_CMD_CHAP_CLEAR:
		/* never the secret */
		log_info("control: target %s CHAP credentials %s", t,
		    r->cmd == CTL_CMD_CHAP_CLEAR ? "cleared" : "set");
		break;
	default:
		break;
	}
}

static enum ctl_status
do_change(struct ctl *ctl, const struct ctl_req *req, char *msg,
    size_t msglen)
{
	struct iscsi_target *t;
	struct conf *n;
	enum ctl_status st;
	unsigned busy;
	int rc;

	n = conf_copy(ctl->apply->conf, msg, msglen);
	if (n == NULL)
		return CTL_ERR_APPLY;
	st = ctl_req_edit(n, req, msg, msglen);
	if (st != CTL_OK)
		goto fail;
	if (conf_verify(n, msg, msglen) < 0) {
		st = CTL_ERR_INVALID;
		goto fail;
	}
	/* Removing what logged-in sessions use needs force: their commands
	 * to it would fail from then on. */
	t = iscsi_server_find_target(ctl->apply->srv, req->target);
	busy = t != NULL ? iscsi_server_target_sessions(ctl->apply->srv, t) :
	    0;
	if (busy > 0 && !req->force && (req->cmd == CTL_CMD_TARGET_REMOVE ||
	    req->cmd == CTL_CMD_LUN_REMOVE)) {
		if (req->cmd == CTL_CMD_LUN_REMOVE)
			snprintf(msg, msglen, "LUN %u of target %s is in use "
			    "by %u session(s); use force to remove it anyway",
			    req->lun, req->target, busy);
		else
			snprintf(msg, msglen, "target %s has %u session(s) "
			    "logged in; use force to end them and remove it",
			    req->target, busy);
		st = CTL_ERR_BUSY;
		goto fail;
	}
	free(n->path);
	n->path = ctl->apply->conf->path ? xstrdup(ctl->apply->conf->path) :
	    NULL;
	rc = ctl->hooks.apply(ctl->hooks.arg, n, msg, msglen);
	if (rc < 0)
		return CTL_ERR_APPLY;
	log_change(req);
	msg[0] = '\0';
	return CTL_OK;
fail:
	conf_free(n);
	return st;
}

/* Handles one request line; the answer goes to ob. */
static void
handle_request(struct ctl *ctl, const char *line, size_t len,
    struct strbuf *ob)
{
	struct ctl_req *req = xmalloc(sizeof(*req));
	char msg[CTL_MSG_MAX];
	enum ctl_status st;
	int rc;

	st = ctl_req_parse(line, len, req, msg, sizeof(msg));
	if (st != CTL_OK)
		goto out;
	msg[0] = '\0';
	switch (req->cmd) {
	case CTL_CMD_SHOW:
		switch (req->show) {
		case CTL_SHOW_TARGETS:
			show_targets(ctl, ob);
			break;
		case CTL_SHOW_LUNS:
			show_luns(ctl, ob, false);
			break;
		case CTL_SHOW_STATS:
			show_luns(ctl, ob, true);
			break;
		case CTL_SHOW_PORTALS:
			show_portals(ctl, ob);
			break;
		case CTL_SHOW_ACLS:
			show_acls(ctl, ob);
			break;
		case CTL_SHOW_SESSIONS: {
			struct visit v = { ob, 0 };

			iscsi_server_each_session(ctl->apply->srv,
			    visit_session, visit_conn, &v);
			break;
		}
		}
		break;
	case CTL_CMD_SAVE:
		st = do_save(ctl, msg, sizeof(msg));
		break;
	case CTL_CMD_RELOAD:
		if (ctl->conf_path == NULL) {
			snprintf(msg, sizeof(msg), "quick mode has no "
			    "configuration file to reload");
			st = CTL_ERR_UNSUPPORTED;
		} else if ((rc = ctl->hooks.reload(ctl->hooks.arg, msg,
		    sizeof(msg))) < 0) {
			/* -EINVAL: the file has an error */
			st = rc == -EINVAL ? CTL_ERR_INVALID : CTL_ERR_APPLY;
		} else {
			snprintf(msg, sizeof(msg), "reloaded %s",
			    ctl->conf_path);
		}
		break;
	default:
		st = do_change(ctl, req, msg, sizeof(msg));
		break;
	}
out:
	ob_status(ob, st, msg);
	/* the request may hold a CHAP secret */
	memset(req, 0, sizeof(*req));
	free(req);
}

/* A request sees and changes sessions and targets of every loop: the
 * workers wait at a safe point meanwhile. */
static void
handle_line(struct ctl *ctl, const char *line, size_t len, struct strbuf *ob)
{
	iscsi_server_park(ctl->apply->srv);
	handle_request(ctl, line, len, ob);
	iscsi_server_unpark(ctl->apply->srv);
}

static void
client_free(struct ctl_client *c)
{
	struct ctl *ctl = c->ctl;

	for (struct ctl_client **pp = &ctl->clients; *pp != NULL;
	    pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	ctl->nclients--;
	evloop_del(ctl->loop, &c->watch);
	close(c->watch.fd);
	strbuf_fini(&c->out);
	memset(c->in, 0, sizeof(c->in));
	free(c);
}

/* Writes what is queued. Returns false if the client was freed. */
static bool
client_flush(struct ctl_client *c)
{
	struct strbuf *ob = &c->out;

	while (c->outoff < ob->len) {
		ssize_t n = send(c->watch.fd, ob->s + c->outoff,
		    ob->len - c->outoff, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0) {
			client_free(c);
			return false;
		}
		c->outoff += (size_t)n;
		c->last = evloop_now();
	}
	c->outoff = 0;
	strbuf_reset(ob);
	if (c->eof) {
		client_free(c);
		return false;
	}
	return true;
}

/* Handles buffered requests one at a time: the next is read only once the
 * answer to the last has gone. Then watches for what is needed next. */
static void
client_work(struct ctl_client *c)
{
	for (;;) {
		char *nl;

		if (c->out.len > 0 && !client_flush(c))
			return;
		if (c->out.len > 0)
			break;
		nl = memchr(c->in, '\n', c->inlen);
		if (c->discard) {
			/* the answer went out when the line overflowed */
			if (nl == NULL) {
				c->inlen = 0;
			} else {
				c->discard = false;
				c->inlen -= (size_t)(nl + 1 - c->in);
				memmove(c->in, nl + 1, c->inlen);
				continue;
			}
		}
		if (nl == NULL) {
			if (c->inlen > CTL_LINE_MAX) {
				char m[64];

				snprintf(m, sizeof(m), "request line longer "
				    "than %u bytes", CTL_LINE_MAX);
				ob_status(&c->out, CTL_ERR_TOO_LONG, m);
				c->discard = true;
				c->inlen = 0;
				continue;
			}
			if (c->eof) {
				client_free(c);
				return;
			}
			break;
		}
		handle_line(c->ctl, c->in, (size_t)(nl - c->in), &c->out);
		c->inlen -= (size_t)(nl + 1 - c->in);
		memmove(c->in, nl + 1, c->inlen);
	}
	evloop_mod(c->ctl->loop, &c->watch,
	    c->out.len > 0 ? EPOLLOUT : EPOLLIN);
}

static void
client_ready(struct evloop_watch *w, uint32_t events)
{
	struct ctl_client *c = w->arg;

	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->out.len == 0) {
		ssize_t n = recv(w->fd, c->in + c->inlen,
		    sizeof(c->in) - 1 - c->inlen, 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			client_free(c);
			return;
		}
		if (n == 0)
			c->eof = true;
		c->inlen += (size_t)n;
		c->last = evloop_now();
	}
	client_work(c);
}

/* Only root, or the user the daemon runs as, may control it. */
static bool
peer_allowed(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	return cr.uid == 0 || cr.uid == geteuid();
}

static void
ctl_accept(struct evloop_watch *w, uint32_t events)
{
	struct ctl *ctl = w->arg;

	(void)events;
	for (;;) {
		struct ctl_client *c;
		int fd = accept4(w->fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		static const char full[] = "err limit too many control "
		    "clients\n";
		static const char denied[] = "err denied only root may "
		    "control minisand\n";

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("control: accept");
			return;
		}
		if (!peer_allowed(fd) || ctl->nclients >= CTL_MAX_CLIENTS) {
			const char *m = peer_allowed(fd) ? full : denied;

			if (send(fd, m, strlen(m), MSG_NOSIGNAL) < 0)
				log_debug("control: refusal not sent");
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->ctl = ctl;
		strbuf_init(&c->out);
		c->watch.fd = fd;
		c->watch.cb = client_ready;
		c->watch.arg = c;
		c->last = evloop_now();
		if (evloop_add(ctl->loop, &c->watch, EPOLLIN) < 0) {
			log_warn("control: epoll");
			close(fd);
			free(c);
			continue;
		}
		c->next = ctl->clients;
		ctl->clients = c;
		ctl->nclients++;
	}
}

/* Binds path, replacing a stale socket. Returns the fd or -errno. */
static int
ctl_bind(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long",
		    path);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -errno;
	}
	if (lstat(path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "control socket %s: exists and "
			    "is not a socket", path);
			close(fd);
			return -EEXIST;
		}
		/* a daemon answering there keeps it */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun,
		    sizeof(sun)) == 0) {
			close(probe);
			snprintf(err, errlen, "control socket %s: another "
			    "minisand is listening there", path);
			close(fd);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	/* mode 0600 from the start: no window where others may connect */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0 || listen(fd, CTL_MAX_CLIENTS) < 0) {
		rc = -errno;
		snprintf(err, errlen, "control socket %s: %s", path,
		    strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

struct ctl *
ctl_new(struct evloop *loop, const char *path, struct apply_state *apply,
    const char *conf_path, const struct ctl_hooks *hooks, char *err,
    size_t errlen)
{
	struct ctl *ctl;
	struct stat st;
	int fd = ctl_bind(path, err, errlen);

	if (fd < 0)
		return NULL;
	ctl = xcalloc(1, sizeof(*ctl));
	ctl->loop = loop;
	ctl->path = xstrdup(path);
	ctl->apply = apply;
	ctl->conf_path = conf_path;
	ctl->hooks = *hooks;
	if (stat(path, &st) == 0) {
		ctl->dev = st.st_dev;
		ctl->ino = st.st_ino;
	}
	ctl->watch.fd = fd;
	ctl->watch.cb = ctl_accept;
	ctl->watch.arg = ctl;
	if (evloop_add(loop, &ctl->watch, EPOLLIN) < 0) {
		snprintf(err, errlen, "control socket %s: epoll: %s", path,
		    strerror(errno));
		close(fd);
		unlink(path);
		free(ctl->path);
		free(ctl);
		return NULL;
	}
	return ctl;
}

void
ctl_tick(struct ctl *ctl)
{
	uint64_t now = evloop_now();

	if (ctl == NULL)
		return;
	for (struct ctl_client *c = ctl->clients, *next; c != NULL;
	    c = next) {
		next = c->next;
		if (now - c->last > CTL_IDLE_SEC)
			client_free(c);
	}
}

void
ctl_free(struct ctl *ctl)
{
	struct stat st;

	if (ctl == NULL)
		return;
	while (ctl->clients != NULL)
		client_free(ctl->clients);
	evloop_del(ctl->loop, &ctl->watch);
	close(ctl->watch.fd);
	/* another daemon may have taken the path over since */
	if (stat(ctl->path, &st) == 0 && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino)
		unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}

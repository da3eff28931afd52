/* SPDX-License-Identifier: BSD-2-Clause */
/* minisand: flags, configuration, daemonising, signals and wiring of the
 * event loop, backing stores, SCSI devices and iSCSI portals. No protocol
 * logic lives here. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apply.h"
#include "bs/bs.h"
#include "conf/conf.h"
#include "core/evloop.h"
#include "ctl.h"
#include "ctl_proto.h"
#include "iscsi/server.h"
#include "isns_client.h"
#include "limits_minisan.h"
#include "scsi/scsi.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MINISAN_VERSION "0.1"
#define DEFAULT_CONF "/etc/minisan/minisan.conf"
#define BS_THREADS 4

struct daemon_state {
	struct evloop *loop;
	struct bs_engine **engines; /* one per loop; [0] the main loop's */
	struct evloop_watch engine_watch;
	struct evloop_watch signal_watch;
	struct iscsi_server srv;
	struct apply_state apply;
	struct isns_client *isns;
	const char *conf_path; /* NULL in quick mode */
	const char *control;   /* --control PATH, or NULL */
	struct ctl *ctl;       /* the control socket, or NULL */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: minisand [-f] [-v] [-t] [-c FILE]\n"
	    "       minisand --listen ADDR:PORT --target IQN --lun PATH "
	    "[--lun PATH ...] [-f] [-v]\n"
	    "\n"
	    "  -c FILE            configuration file (default %s)\n"
	    "  -t                 check the configuration and exit\n"
	    "  -f                 stay in the foreground, log to stderr\n"
	    "  -v                 verbose (debug) logging\n"
	    "  --listen ADDR:PORT quick mode: portal (repeatable; [::1]:3260 "
	    "for IPv6)\n"
	    "  --target IQN       quick mode: the target's name\n"
	    "  --lun PATH         quick mode: a LUN (file or block device); "
	    "LUNs are\n"
	    "                     numbered 0, 1, ... in order\n"
	    "  --state-dir DIR    quick mode: keep persistent reservations "
	    "(APTPL) here\n"
	    "  --allow IQN        quick mode: only this initiator may log in "
	    "(repeatable)\n"
	    "  --chap USER:SECRET quick mode: CHAP required for discovery and "
	    "the target\n"
	    "  --isns ADDR[:PORT] quick mode: register with this iSNS server "
	    "(repeatable)\n"
	    "  --mutual-chap USER:SECRET\n"
	    "                     quick mode: the target's own name and "
	    "secret (mutual CHAP)\n"
	    "  --control PATH     minisanctl's socket (default %s)\n"
	    "  --io-engine KIND   backing-store I/O: auto, io_uring or "
	    "threads\n"
	    "                     (overrides the io-engine directive)\n"
	    "  --workers N|auto   event loops serving connections (overrides "
	    "the\n"
	    "                     workers directive; auto: one per CPU)\n"
	    "  --version          print the version and exit\n",
	    DEFAULT_CONF, CTL_DEFAULT_SOCKET);
}

static void
engine_ready(struct evloop_watch *w, uint32_t events)
{
	(void)events;
	bs_engine_complete(w->arg);
}

/* One backing-store engine per loop, of the kind io-engine asks for
 * (--io-engine over the directive). An explicit io_uring the kernel
 * refuses stops the start; auto says which kind it took, and why not
 * io_uring if it did not. */
static struct bs_engine **
setup_engines(enum conf_io_engine want, unsigned n)
{
	static const enum bs_engine_kind kinds[] = {
		[CONF_IO_ENGINE_AUTO] = BS_ENGINE_AUTO,
		[CONF_IO_ENGINE_URING] = BS_ENGINE_URING,
		[CONF_IO_ENGINE_THREADS] = BS_ENGINE_THREADS,
	};
	struct bs_engine **engines = xcalloc(n, sizeof(*engines));
	char err[256];
	const char *refusal;

	for (unsigned i = 0; i < n; i++) {
		engines[i] = bs_engine_new_kind(kinds[want], BS_THREADS, err,
		    sizeof(err));
		if (engines[i] != NULL)
			continue;
		if (want == CONF_IO_ENGINE_URING)
			fatalx("io-engine io_uring: %s; use io-engine auto or "
			    "threads", err);
		fatalx("%s", err);
	}
	refusal = bs_engine_uring_refusal(engines[0]);
	log_info("backing-store I/O: %s (io-engine %s)%s%s",
	    bs_engine_kind_name(bs_engine_kind(engines[0])),
	    conf_io_engine_name(want),
	    refusal[0] != '\0' ? "; io_uring unavailable: " : "", refusal);
	return engines;
}

/* Puts a verified model in force (takes ownership of cf). Every change
 * goes through here: SIGHUP and minisanctl alike. */
static int
apply_model(void *arg, struct conf *cf, char *err, size_t errlen)
{
	struct daemon_state *d = arg;
	int rc = apply_reload(&d->apply, cf, err, errlen);

	if (rc == 0)
		isns_client_update(d->isns, d->apply.conf);
	return rc;
}

/* SIGHUP and "minisanctl reload": re-reads the configuration file and
 * applies it; a file with an error leaves the running configuration as it
 * is (ctld behaviour). Returns 0 or -errno with err set. */
static int
reload_file(void *arg, char *err, size_t errlen)
{
	struct daemon_state *d = arg;
	struct conf *cf = NULL;
	int rc;

	if (conf_parse_file(d->conf_path, &cf, err, errlen) < 0 ||
	    conf_verify(cf, err, errlen) < 0) {
		if (cf != NULL)
			conf_free(cf);
		log_warnx("reload refused, configuration unchanged: %s", err);
		return -EINVAL;
	}
	rc = apply_model(d, cf, err, errlen);
	if (rc < 0)
		log_warnx("reload: %s", err);
	else
		log_info("configuration reloaded from %s", d->conf_path);
	return rc;
}

static void
reload(struct daemon_state *d)
{
	char err[CONF_ERR_MAX * 2 + 64];

	if (d->conf_path == NULL) {
		log_warnx("SIGHUP: quick mode has no configuration file to "
		    "reload");
		return;
	}
	iscsi_server_park(&d->srv);
	reload_file(d, err, sizeof(err));
	iscsi_server_unpark(&d->srv);
}

/* The control socket: --control, else the control-socket directive, else
 * the default. One asked for by name must work; the default is best
 * effort (another minisand may hold it). */
static void
setup_control(struct daemon_state *d, const struct conf *cf)
{
	static const struct ctl_hooks hooks_tmpl = { apply_model,
		reload_file, NULL };
	struct ctl_hooks hooks = hooks_tmpl;
	const char *path = d->control ? d->control : cf->control_socket;
	char err[CONF_ERR_MAX];

	hooks.arg = d;
	d->ctl = ctl_new(d->loop, path ? path : CTL_DEFAULT_SOCKET, &d->apply,
	    d->conf_path, &hooks, err, sizeof(err));
	if (d->ctl != NULL)
		return;
	if (path != NULL)
		fatalx("%s", err);
	log_warnx("%s; running without a control socket", err);
}

/* Ends the loop once the logouts asked for on shutdown are done. */
static void
maybe_stop(struct daemon_state *d)
{
	if (d->srv.stopping == 0 || !iscsi_server_stopped(&d->srv) ||
	    !isns_client_stopped(d->isns))
		return;
	iscsi_server_park(&d->srv);
	iscsi_server_close_all(&d->srv);
	iscsi_server_unpark(&d->srv);
	evloop_stop(d->loop);
}

static void
tick(void *arg)
{
	struct daemon_state *d = arg;

	iscsi_server_tick(&d->srv);
	isns_client_tick(d->isns);
	ctl_tick(d->ctl);
	apply_tick(&d->apply);
	maybe_stop(d);
}

static void
signal_ready(struct evloop_watch *w, uint32_t events)
{
	struct daemon_state *d = w->arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload(d);
			break;
		case SIGINT:
		case SIGTERM:
			if (d->srv.stopping != 0)
				break;
			log_info("signal %u: asking initiators to log out",
			    si.ssi_signo);
			iscsi_server_park(&d->srv);
			iscsi_server_shutdown(&d->srv);
			iscsi_server_unpark(&d->srv);
			isns_client_shutdown(d->isns);
			maybe_stop(d);
			break;
		default:
			break;
		}
	}
}

static int
setup_signals(struct daemon_state *d)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	d->signal_watch.fd = fd;
	d->signal_watch.cb = signal_ready;
	d->signal_watch.arg = d;
	return evloop_add(d->loop, &d->signal_watch, EPOLLIN);
}

/* Goes into the background before any thread or shared descriptor
 * exists: only the calling thread survives fork(), so forking after the
 * I/O workers started left a daemon whose queued I/O and shutdown hung.
 * The parent waits until the child reports ready, so start-up errors
 * still reach the terminal and the exit status. Returns, in the child,
 * the descriptor daemonize_done() reports on. */
static int
daemonize_begin(void)
{
	int ready[2], status;
	pid_t pid;
	ssize_t n;
	char byte;

	if (pipe2(ready, O_CLOEXEC) < 0)
		fatal("pipe");
	pid = fork();
	if (pid < 0)
		fatal("fork");
	if (pid > 0) {
		close(ready[1]);
		do
			n = read(ready[0], &byte, 1);
		while (n < 0 && errno == EINTR);
		if (n == 1)
			_exit(0);
		/* the child stopped before it was ready; it said why */
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) != 0)
			_exit(WEXITSTATUS(status));
		_exit(1);
	}
	close(ready[0]);
	if (setsid() < 0)
		fatal("setsid");
	return ready[1];
}

/* The daemon serves: detaches from the terminal and lets the parent exit. */
static void
daemonize_done(int ready_fd)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	while (write(ready_fd, "", 1) < 0 && errno == EINTR)
		;
	close(ready_fd);
}

/* --chap / --mutual-chap USER:SECRET: the same credentials for the target
 * and for discovery. Exits on a malformed value. */
static void
quick_chap(struct conf_target *t, struct conf *c, const char *flag,
    const char *value, int mutual)
{
	const char *colon = strchr(value, ':');
	char *user, *secret;

	if (colon == NULL || colon == value || colon[1] == '\0') {
		fprintf(stderr, "minisand: %s wants USER:SECRET\n", flag);
		exit(2);
	}
	user = xstrndup(value, (size_t)(colon - value));
	secret = xstrdup(colon + 1);
	if (mutual) {
		t->mutual_user = user;
		t->mutual_secret = secret;
		c->disc_mutual_user = xstrdup(user);
		c->disc_mutual_secret = xstrdup(secret);
	} else {
		t->chap_user = user;
		t->chap_secret = secret;
		c->disc_chap_user = xstrdup(user);
		c->disc_chap_secret = xstrdup(secret);
	}
}

enum long_opt {
	OPT_LISTEN = 256,
	OPT_TARGET,
	OPT_LUN,
	OPT_STATE_DIR,
	OPT_ALLOW,
	OPT_CHAP,
	OPT_MUTUAL_CHAP,
	OPT_ISNS,
	OPT_VERSION,
	OPT_CONTROL,
	OPT_IO_ENGINE,
	OPT_WORKERS,
};

/* Flags that override directives of the configuration file. */
struct overrides {
	int io_engine_set;
	enum conf_io_engine io_engine;
	unsigned workers;       /* 0: not given */
};

/* Parses argv into a configuration (file or quick mode). Exits on usage
 * errors. --io-engine and --workers go to *ov. */
static struct conf *
parse_args(int argc, char **argv, int *foreground, int *verbose,
    int *check_only, const char **conf_path, const char **control,
    struct overrides *ov)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "lun", required_argument, NULL, OPT_LUN },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "allow", required_argument, NULL, OPT_ALLOW },
		{ "chap", required_argument, NULL, OPT_CHAP },
		{ "mutual-chap", required_argument, NULL, OPT_MUTUAL_CHAP },
		{ "isns", required_argument, NULL, OPT_ISNS },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "io-engine", required_argument, NULL, OPT_IO_ENGINE },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct conf *quick = conf_new();
	struct conf_target *qt = NULL;
	const char *target = NULL;
	char **luns = xcalloc((size_t)argc, sizeof(*luns));
	char **allow = xcalloc((size_t)argc, sizeof(*allow));
	const char *chap = NULL, *mutual = NULL;
	size_t nluns = 0, nallow = 0;
	char err[CONF_ERR_MAX];
	int ch, quick_mode = 0;

	while ((ch = getopt_long(argc, argv, "c:ftvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			*conf_path = optarg;
			break;
		case 'f':
			*foreground = 1;
			break;
		case 't':
			*check_only = 1;
			break;
		case 'v':
			(*verbose)++;
			break;
		case OPT_LISTEN:
			quick_mode = 1;
			if (conf_add_portal(quick, optarg, 0, err,
			    sizeof(err)) < 0) {
				fprintf(stderr, "minisand: --listen %s: %s\n",
				    optarg, err);
				exit(2);
			}
			break;
		case OPT_TARGET:
			quick_mode = 1;
			target = optarg;
			break;
		case OPT_LUN:
			quick_mode = 1;
			luns[nluns++] = optarg;
			break;
		case OPT_ALLOW:
			allow[nallow++] = optarg;
			break;
		case OPT_CHAP:
			chap = optarg;
			break;
		case OPT_MUTUAL_CHAP:
			mutual = optarg;
			break;
		case OPT_ISNS:
			if (conf_add_isns_server(quick, optarg, 0, err,
			    sizeof(err)) < 0) {
				fprintf(stderr, "minisand: --isns %s: %s\n",
				    optarg, err);
				exit(2);
			}
			break;
		case OPT_STATE_DIR:
			free(quick->state_dir);
			quick->state_dir = xstrdup(optarg);
			break;
		case OPT_CONTROL:
			if (optarg[0] != '/' ||
			    strlen(optarg) > CONF_SOCKET_PATH_MAX) {
				fprintf(stderr, "minisand: --control wants an "
				    "absolute path of at most %u bytes\n",
				    CONF_SOCKET_PATH_MAX);
				exit(2);
			}
			*control = optarg;
			break;
		case OPT_IO_ENGINE:
			if (conf_io_engine_parse(optarg, &ov->io_engine) != 0) {
				fprintf(stderr, "minisand: --io-engine wants "
				    "auto, io_uring or threads, not '%s'\n",
				    optarg);
				exit(2);
			}
			ov->io_engine_set = 1;
			break;
		case OPT_WORKERS: {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);

			if (strcmp(optarg, "auto") == 0) {
				ov->workers = iscsi_default_workers();
				break;
			}
			if (end == optarg || *end != '\0' || n < 1 ||
			    n > MINISAN_MAX_WORKERS) {
				fprintf(stderr, "minisand: --workers wants auto "
				    "or 1..%u, not '%s'\n",
				    MINISAN_MAX_WORKERS, optarg);
				exit(2);
			}
			ov->workers = (unsigned)n;
			break;
		}
		case OPT_VERSION:
			printf("minisand %s\n", MINISAN_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "minisand: unexpected argument '%s'\n",
		    argv[optind]);
		exit(2);
	}
	if (!quick_mode) {
		if (nallow > 0 || quick->state_dir != NULL || chap != NULL ||
		    mutual != NULL || quick->nisns_servers > 0) {
			fprintf(stderr, "minisand: --allow, --chap, "
			    "--mutual-chap, --isns and --state-dir are quick-mode "
			    "flags (with --listen, --target, --lun)\n");
			exit(2);
		}
		free(luns);
		free(allow);
		conf_free(quick);
		return NULL;
	}
	if (*conf_path != NULL) {
		fprintf(stderr, "minisand: -c cannot be combined with "
		    "--listen/--target/--lun\n");
		exit(2);
	}
	if (target == NULL || nluns == 0 || quick->nportals == 0) {
		fprintf(stderr, "minisand: quick mode needs --listen, "
		    "--target and at least one --lun\n");
		exit(2);
	}
	qt = conf_add_target(quick, target, 0);
	for (size_t i = 0; i < nluns; i++) {
		if (qt == NULL || conf_add_lun(qt, (uint32_t)i, luns[i],
		    0) == NULL) {
			fprintf(stderr, "minisand: too many LUNs (at most %u)\n",
			    MINISAN_MAX_LUNS_PER_TARGET);
			exit(2);
		}
	}
	for (size_t i = 0; i < nallow; i++) {
		const char *why = conf_iscsi_name_error(allow[i]);

		if (why != NULL) {
			fprintf(stderr, "minisand: --allow %s: %s\n", allow[i],
			    why);
			exit(2);
		}
		conf_add_allow(qt, allow[i]);
	}
	if (chap != NULL)
		quick_chap(qt, quick, "--chap", chap, 0);
	if (mutual != NULL)
		quick_chap(qt, quick, "--mutual-chap", mutual, 1);
	free(luns);
	free(allow);
	return quick;
}

int
main(int argc, char **argv)
{
	struct daemon_state d = { 0 };
	struct conf *conf;
	struct overrides ov = { 0 };
	int foreground = 0, verbose = 0, check_only = 0;
	int ready_fd = -1;
	unsigned nworkers;
	int rc;
	char err[CONF_ERR_MAX * 2 + 64]; /* room for a nested message */

	conf = parse_args(argc, argv, &foreground, &verbose, &check_only,
	    &d.conf_path, &d.control, &ov);
	if (conf == NULL) {
		if (d.conf_path == NULL)
			d.conf_path = DEFAULT_CONF;
		if (conf_parse_file(d.conf_path, &conf, err, sizeof(err)) < 0) {
			fprintf(stderr, "minisand: %s\n", err);
			return 1;
		}
	}
	if (conf_verify(conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "minisand: %s\n", err);
		conf_free(conf);
		return 1;
	}
	if (check_only) {
		printf("configuration OK\n");
		conf_free(conf);
		return 0;
	}
	if (!foreground)
		ready_fd = daemonize_begin();
	log_init(1, verbose);
	d.loop = evloop_new();
	if (d.loop == NULL)
		fatal("epoll");
	if (setup_signals(&d) < 0)
		fatal("signals");
	nworkers = ov.workers ? ov.workers : conf->workers ? conf->workers :
	    iscsi_default_workers();
	d.engines = setup_engines(ov.io_engine_set ? ov.io_engine :
	    conf->io_engine, nworkers);
	d.engine_watch.fd = bs_engine_fd(d.engines[0]);
	d.engine_watch.cb = engine_ready;
	d.engine_watch.arg = d.engines[0];
	if (evloop_add(d.loop, &d.engine_watch, EPOLLIN) < 0)
		fatal("epoll");
	iscsi_server_init(&d.srv, d.loop);
	if (iscsi_server_start_workers(&d.srv, nworkers, d.engines, err,
	    sizeof(err)) < 0)
		fatalx("%s", err);
	log_info("%u event loop(s): targets are spread over them by name",
	    nworkers);
	d.apply.srv = &d.srv;
	if (apply_initial(&d.apply, conf, err, sizeof(err)) < 0)
		fatalx("%s", err);
	setup_control(&d, d.apply.conf);
	if (evloop_set_tick(d.loop, MINISAN_TICK_MS, tick, &d) < 0)
		fatal("timerfd");
	if (!foreground) {
		daemonize_done(ready_fd);
		log_init(0, verbose);
	}
	for (size_t i = 0; i < d.srv.ntargets; i++)
		log_info("target %s: %u LUN slot(s), loop %u",
		    d.srv.targets[i]->name, d.srv.targets[i]->scsi.nluns,
		    d.srv.targets[i]->worker);
	log_info("minisand %s ready", MINISAN_VERSION);
	d.isns = isns_client_new(d.loop);
	isns_client_update(d.isns, d.apply.conf);
	rc = evloop_run(d.loop);
	if (rc < 0)
		log_warnx("event loop: %s", strerror(-rc));
	ctl_free(d.ctl);
	/* their connections were closed by iscsi_server_close_all() */
	iscsi_server_stop_workers(&d.srv);
	/* queued writes are carried out before the I/O threads stop */
	for (unsigned i = 0; i < nworkers; i++)
		bs_engine_free(d.engines[i]);
	free(d.engines);
	apply_flush(&d.apply);
	isns_client_free(d.isns);
	apply_fini(&d.apply);
	iscsi_server_fini(&d.srv);
	evloop_free(d.loop);
	log_info("stopped");
	return rc < 0 ? 1 : 0;
}

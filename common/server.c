/* server.c - start the lab server, and make sure it stops (see server.h). */
#include "server.h"
#include "checked.h"
#include "http.h"
#include <cJSON.h>
#include "timing.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long the server gets to print its URL, and then to exit when asked. */
#define STARTUP_TIMEOUT_MS  5000
#define SHUTDOWN_TIMEOUT_MS 2000

/* Read by the signal handler, hence volatile sig_atomic_t (pid_t is an int). */
static volatile sig_atomic_t server_pid;        /* the labserver we started, or 0 */
static volatile sig_atomic_t owner_pid;         /* the process that started it */

static char server_url[256];                    /* "" until started */
static char *trimmed_url;                       /* a given URL without its trailing '/' */

/* --- Stopping: safe inside a signal handler ------------------------------------ */

/*
 * SIGTERM, then wait for it (reaping it, so no zombie is left), and SIGKILL
 * if it has not gone after SHUTDOWN_TIMEOUT_MS.  Only async-signal-safe calls
 * (kill, waitpid, nanosleep), because a signal handler calls this too.
 * Returns the wait status, or -1 if there was nothing to reap.
 */
static int stop_and_reap(pid_t pid)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };   /* 10 ms */
	int status;

	kill(pid, SIGTERM);     /* if it has already exited, waitpid below reaps it */
	for (int waited_ms = 0; waited_ms < SHUTDOWN_TIMEOUT_MS; waited_ms += 10) {
		pid_t done = waitpid(pid, &status, WNOHANG);
		if (done == pid)
			return status;
		if (done == -1 && errno != EINTR)
			return -1;      /* ECHILD: reaped already (e.g. SIGCHLD ignored) */
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return status;
}

/* Stop the server if this process started it; returns its wait status or -1. */
static int stop_if_owner(void)
{
	pid_t pid = server_pid;
	if (pid == 0 || owner_pid != getpid())
		return -1;      /* nothing started, or we are a forked child of the owner */
	server_pid = 0;         /* first, so a signal arriving now does not stop it twice */
	return stop_and_reap(pid);
}

static void stop_on_signal(int signum)
{
	int saved_errno = errno;
	stop_if_owner();
	/* Now die of the signal as we would have without this handler, so that
	 * the shell still sees "killed by SIGINT".  The signal is blocked while
	 * its handler runs, so the raise takes effect as soon as we return. */
	if (signal(signum, SIG_DFL) == SIG_ERR)
		_exit(128 + signum);    /* cannot happen for these signals; never loop */
	raise(signum);
	errno = saved_errno;
}

/* A server that exited badly deserves a word: under ASan, a leak report
 * shows up as exit status 23. */
static void report_exit(int status)
{
	if (status == -1 || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
		return;
	if (WIFEXITED(status))
		fprintf(stderr, "lab server exited with status %d\n", WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM)
		fprintf(stderr, "lab server was killed by signal %d\n", WTERMSIG(status));
}

void wb_server_stop(void)
{
	if (server_pid == 0 || owner_pid != getpid())
		return;
	report_exit(stop_if_owner());
	server_url[0] = '\0';
}

static void stop_at_exit(void)
{
	wb_server_stop();
}

/* atexit, and handlers for the signals that would otherwise kill us.  A
 * signal the lab ignores or handles itself is left alone: the lab decided
 * what it means (and its exit path still runs the atexit handler). */
static void install_cleanup(void)
{
	static int installed;
	static const int signals[] = { SIGINT, SIGTERM, SIGHUP };

	if (installed)
		return;
	installed = 1;
	if (atexit(stop_at_exit) != 0)
		DIE("atexit failed");
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
		struct sigaction old;
		CHECK_SYS(sigaction(signals[i], NULL, &old));
		if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
			continue;
		struct sigaction stop = { .sa_handler = stop_on_signal };
		CHECK_SYS(sigemptyset(&stop.sa_mask));
		CHECK_SYS(sigaction(signals[i], &stop, NULL));
	}
}

/* --- Starting ------------------------------------------------------------------------ */

/* $LABSERVER, or the labserver in the same directory as this program. */
static void find_server_program(char *path, size_t cap)
{
	const char *from_env = getenv("LABSERVER");
	if (from_env != NULL && *from_env != '\0') {
		if ((size_t)snprintf(path, cap, "%s", from_env) >= cap)
			DIE("LABSERVER=%s: path too long", from_env);
	} else {
		ssize_t n = CHECK_SYS(readlink("/proc/self/exe", path, cap - 1));
		path[n] = '\0';
		char *slash = strrchr(path, '/');
		size_t dir_len = slash ? (size_t)(slash - path) : 0;
		if (dir_len + sizeof "/labserver" > cap)
			DIE("%s: path too long", path);
		strcpy(path + dir_len, "/labserver");
	}
	if (access(path, X_OK) == -1)
		DIE("cannot run the lab server %s: %s (build it with `make`, set LABSERVER "
		    "to its path, or set LAB_URL to use a server already running)",
		    path, wb_strerror(errno));
}

/*
 * In the child, between fork and exec.  The lab may have threads, and in a
 * forked copy of a threaded process only async-signal-safe calls are
 * allowed until exec: no stdio, no malloc.  On failure we exit with 127
 * and the parent says what went wrong.
 */
static _Noreturn void exec_server(const char *path, int url_pipe, pid_t parent)
{
	/* If the lab dies, however it dies (even SIGKILL, which runs no
	 * handler), the kernel sends the server SIGTERM. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		_exit(127);
	/* ... unless the lab died before that line: then we are too late to be
	 * told, and the parent is no longer the one who forked us. */
	if (getppid() != parent)
		_exit(127);

	if (dup2(url_pipe, STDOUT_FILENO) == -1)
		_exit(127);
	/* Descriptors the lab left open without O_CLOEXEC (say, a pipe to a
	 * worker) must not stay open in the server for its whole life: a reader
	 * waiting for that pipe's EOF would wait for ever. */
	if (close_range(3, ~0U, 0) == -1)              /* kernels before 5.9: */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);      /* most are not open: EBADF is expected */

	/* Signals the lab ignores or blocks stay ignored or blocked across
	 * exec; the server must hear SIGTERM whatever the lab did. */
	sigset_t none;
	if (sigemptyset(&none) == -1 || sigprocmask(SIG_SETMASK, &none, NULL) == -1 ||
	    signal(SIGINT, SIG_DFL) == SIG_ERR || signal(SIGTERM, SIG_DFL) == SIG_ERR ||
	    signal(SIGHUP, SIG_DFL) == SIG_ERR)
		_exit(127);

	char *argv[] = { "labserver", "--port", "0", NULL };
	execve(path, argv, environ);
	_exit(127);
}

/* Kill the server that failed to start, then die saying why. */
static _Noreturn void startup_failed(pid_t pid, const char *path, const char *what)
{
	server_pid = 0;
	int status = stop_and_reap(pid);
	char how[64] = "";
	if (status != -1 && WIFEXITED(status))
		snprintf(how, sizeof how, " (exit status %d%s)", WEXITSTATUS(status),
			 WEXITSTATUS(status) == 127 ? ": could not be run" : "");
	else if (status != -1 && WIFSIGNALED(status))
		snprintf(how, sizeof how, " (killed by signal %d)", WTERMSIG(status));
	DIE("lab server %s %s%s", path, what, how);
}

static int milliseconds_until(double deadline)
{
	double ms = (deadline - wb_now()) * 1000;
	return ms < 0 ? 0 : (int)ms;
}

/* Read the server's first line (its URL) into server_url, waiting at most
 * STARTUP_TIMEOUT_MS: a server that hangs must not hang the lab too. */
static void read_url_line(int fd, pid_t pid, const char *path)
{
	double deadline = wb_now() + STARTUP_TIMEOUT_MS / 1000.0;

	size_t used = 0;
	char *newline = NULL;
	while (newline == NULL) {
		int left_ms = milliseconds_until(deadline);
		if (left_ms == 0)
			startup_failed(pid, path, "did not print its URL within 5 s");

		struct pollfd readable = { .fd = fd, .events = POLLIN };
		int ready = poll(&readable, 1, left_ms);
		if (ready == -1 && errno == EINTR)
			continue;
		CHECK_SYS(ready);
		if (ready == 0)
			continue;       /* the deadline check above ends it */

		ssize_t got = read(fd, server_url + used, sizeof server_url - 1 - used);
		if (got == -1 && errno == EINTR)
			continue;
		CHECK_SYS(got);
		if (got == 0)
			startup_failed(pid, path, "exited before printing its URL");
		used += (size_t)got;
		server_url[used] = '\0';
		newline = strchr(server_url, '\n');
		if (newline == NULL && used == sizeof server_url - 1)
			startup_failed(pid, path, "printed a first line too long to be its URL");
	}
	*newline = '\0';
	if (strncmp(server_url, "http://", 7) != 0)
		startup_failed(pid, path, "printed something other than its URL first");
}

static void start_server(void)
{
	char path[PATH_MAX];
	find_server_program(path, sizeof path);
	install_cleanup();      /* before fork: no moment when a signal would forget it */

	int url_pipe[2];
	CHECK_SYS(pipe2(url_pipe, O_CLOEXEC));
	pid_t parent = getpid();
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0)
		exec_server(path, url_pipe[1], parent);

	owner_pid = parent;
	server_pid = pid;
	CHECK_SYS(close(url_pipe[1]));
	read_url_line(url_pipe[0], pid, path);
	/* The server prints nothing after its URL; closing our end is safe (it
	 * ignores SIGPIPE, should it ever write again). */
	CHECK_SYS(close(url_pipe[0]));
}

/* --- The public functions ------------------------------------------------------------ */

/* url as given, or a copy without its trailing slashes. */
static const char *without_trailing_slash(const char *url, const char *where)
{
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		DIE("%s \"%s\" is not an http:// URL", where, url);
	size_t len = strlen(url);
	if (url[len - 1] != '/')
		return url;
	while (len > 0 && url[len - 1] == '/')
		len--;
	free(trimmed_url);
	trimmed_url = CHECK_PTR(strndup(url, len));
	return trimmed_url;
}

const char *wb_server_url(const char *explicit_url)
{
	if (explicit_url != NULL)
		return without_trailing_slash(explicit_url, "server URL");
	const char *from_env = getenv("LAB_URL");
	if (from_env != NULL && *from_env != '\0')
		return without_trailing_slash(from_env, "LAB_URL");
	if (server_url[0] == '\0')
		start_server();
	return server_url;
}

const char *wb_lab_server(const char *explicit_url)
{
	const char *url = wb_server_url(explicit_url);
	char probe[1024];
	struct wb_http_result r;
	wb_url(probe, sizeof probe, url, "/get");
	if (wb_http_fetch(probe, 10.0, &r, NULL) != 0) {
		fprintf(stderr, "cannot use the server %s: %s (check --url or LAB_URL: an "
				"httpbin-compatible server must answer there)\n", url, r.error);
		exit(1);
	}
	return url;
}

int wb_server_counts(const char *base_url, int reset, struct wb_server_stats *out)
{
	static int unavailable;
	char err[512];
	memset(out, 0, sizeof *out);
	if (unavailable)
		return 0;
	if (wb_server_stats(base_url, reset, out, err, sizeof err) != 0) {
		fprintf(stderr, "note: no request counts from this server (%s); figures that need "
				"them are shown as \"-\" (only the workbook's own server keeps them)\n",
			err);
		unavailable = 1;
		memset(out, 0, sizeof *out);
		return 0;
	}
	return 1;
}

int wb_server_stats(const char *base_url, int reset, struct wb_server_stats *out,
		    char *errbuf, size_t errlen)
{
	char url[1024];
	wb_url(url, sizeof url, base_url, "%s", reset ? "/stats/reset" : "/stats");

	struct wb_http_result res;
	char *body;
	if (wb_http_fetch(url, 5.0, &res, &body) != 0) {
		if (errlen > 0)
			snprintf(errbuf, errlen, "%s", res.error);
		return -1;
	}

	static const char *const keys[] = {
		"requests_served", "connections_accepted", "in_flight",
		"peak_in_flight", "worst_lateness_ms",
	};
	double values[5];
	cJSON *doc = cJSON_Parse(body);
	free(body);
	for (size_t i = 0; i < 5; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, keys[i]);
		if (!cJSON_IsNumber(v)) {
			if (errlen > 0 && !doc)
				snprintf(errbuf, errlen, "GET %s: the reply is not JSON", url);
			else if (errlen > 0)
				snprintf(errbuf, errlen, "GET %s: the reply has no \"%s\" number",
					 url, keys[i]);
			cJSON_Delete(doc);
			return -1;
		}
		values[i] = v->valuedouble;
	}
	cJSON_Delete(doc);
	out->requests_served = (long)values[0];
	out->connections_accepted = (long)values[1];
	out->in_flight = (long)values[2];
	out->peak_in_flight = (long)values[3];
	out->worst_lateness_ms = values[4];
	return 0;
}

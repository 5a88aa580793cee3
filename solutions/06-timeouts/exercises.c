/*
 * Lab 6: timeouts and debugging - the reference answers.
 */
#include "exercises.h"

#include "procs.h"
#include "timing.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------- */

/* CLOCK_MONOTONIC now + ms, as an absolute deadline. */
static struct timespec deadline_in(int ms)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* Milliseconds left until an absolute CLOCK_MONOTONIC deadline (0 if past). */
static int ms_until(const struct timespec *d)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (long long)(d->tv_sec - now.tv_sec) * 1000 +
		       (d->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

/* ---- 6.1 ----------------------------------------------------------------------- */

int future_init(struct future *f)
{
	pthread_condattr_t attr;
	int rc = pthread_condattr_init(&attr);
	if (rc == 0)
		rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(&f->ready, &attr);
	pthread_condattr_destroy(&attr);
	if (rc == 0)
		rc = pthread_mutex_init(&f->lock, NULL);
	if (rc != 0) {
		fprintf(stderr, "future_init: %s\n", strerror(rc));
		return -1;
	}
	f->done = 0;
	f->value = 0;
	return 0;
}

int future_set(struct future *f, long value)
{
	pthread_mutex_lock(&f->lock);
	f->value = value;
	f->done = 1;
	pthread_cond_broadcast(&f->ready);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

int future_wait(struct future *f, int timeout_ms, long *value)
{
	struct timespec deadline = deadline_in(timeout_ms);   /* once: wake-ups do not move it */
	int rc = 0;
	pthread_mutex_lock(&f->lock);
	while (!f->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&f->ready, &f->lock, &deadline);
	int done = f->done;
	if (done)
		*value = f->value;
	pthread_mutex_unlock(&f->lock);
	return done ? 0 : TIMED_OUT;
}

/* ---- 6.2 and 6.5: libcurl ---------------------------------------------------- */

static size_t drop_body(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

/* The easy handle both exercises share: the budget, no signals, the body dropped. */
static CURL *bounded_handle(const char *url, const struct budget *b, char *errbuf)
{
	CURL *e = curl_easy_init();
	if (!e) {
		fprintf(stderr, "fetch: curl_easy_init failed\n");
		return NULL;
	}
	errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)b->connect_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)b->total_ms);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, b->low_speed_bytes);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)b->low_speed_s);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, drop_body);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	return e;
}

static void classify(CURL *e, CURLcode code, int total_ms, struct outcome *out)
{
	curl_off_t connect_us = 0;
	curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &connect_us);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &out->http_status);
	out->curl_code = (int)code;
	if (code == CURLE_OK)
		out->failure = FAIL_NONE;
	else if (code == CURLE_COULDNT_CONNECT)
		out->failure = FAIL_REFUSED;
	else if (code == CURLE_ABORTED_BY_CALLBACK)
		out->failure = FAIL_CANCELLED;
	else if (code != CURLE_OPERATION_TIMEDOUT)
		out->failure = FAIL_OTHER;
	else if (connect_us == 0)
		out->failure = FAIL_CONNECT_TIMEOUT;
	else if (out->seconds * 1000 >= total_ms - 50)
		out->failure = FAIL_TOTAL_TIMEOUT;
	else
		out->failure = FAIL_TOO_SLOW;
}

int fetch_bounded(const char *url, const struct budget *b, struct outcome *out)
{
	memset(out, 0, sizeof *out);
	double start = wb_now();
	CURL *e = bounded_handle(url, b, out->error);
	if (!e)
		return -1;
	CURLcode code = curl_easy_perform(e);
	out->seconds = wb_now() - start;
	classify(e, code, b->total_ms, out);
	curl_easy_cleanup(e);
	return 0;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return atomic_load((atomic_int *)arg) != 0;   /* non-zero: abort the transfer */
}

int fetch_cancellable(const char *url, atomic_int *cancel, int total_ms, struct outcome *out)
{
	memset(out, 0, sizeof *out);
	double start = wb_now();
	struct budget b = { .connect_ms = total_ms, .total_ms = total_ms };
	CURL *e = bounded_handle(url, &b, out->error);
	if (!e)
		return -1;
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, cancel);
	CURLM *m = curl_multi_init();
	if (!m) {
		curl_easy_cleanup(e);
		fprintf(stderr, "fetch_cancellable: curl_multi_init failed\n");
		return -1;
	}
	curl_multi_add_handle(m, e);
	int running = 1;
	CURLcode code = CURLE_OK;
	while (running) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (running)
			curl_multi_poll(m, NULL, 0, 50, NULL);   /* the callback runs at least every 50 ms */
	}
	int left;
	CURLMsg *msg;
	while ((msg = curl_multi_info_read(m, &left)))
		if (msg->msg == CURLMSG_DONE)
			code = msg->data.result;
	out->seconds = wb_now() - start;
	classify(e, code, total_ms, out);
	curl_multi_remove_handle(m, e);
	curl_easy_cleanup(e);
	curl_multi_cleanup(m);
	return 0;
}

/* ---- 6.3 ------------------------------------------------------------------------ */

int join_bounded(pthread_t *threads, int n, atomic_int *stop, int deadline_ms, int grace_ms,
		 int *ignored)
{
	struct timespec first = deadline_in(deadline_ms);
	struct timespec last = deadline_in(deadline_ms + grace_ms);
	int missed = 0;
	for (int i = 0; i < n; i++) {
		ignored[i] = pthread_clockjoin_np(threads[i], NULL, CLOCK_MONOTONIC, &first) != 0;
		missed += ignored[i];
	}
	if (missed == 0)
		return 0;
	atomic_store(stop, 1);
	int count = 0;
	for (int i = 0; i < n; i++) {
		if (!ignored[i])
			continue;
		ignored[i] = pthread_clockjoin_np(threads[i], NULL, CLOCK_MONOTONIC, &last) != 0;
		if (ignored[i]) {
			pthread_detach(threads[i]);
			count++;
		}
	}
	return count;
}

/* ---- 6.4 ------------------------------------------------------------------------ */

/* poll the pidfd for up to ms: 1 if the child has ended. */
static int ended_within(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	struct timespec d = deadline_in(ms);
	for (;;) {
		int rc = poll(&p, 1, ms_until(&d));
		if (rc >= 0)
			return rc > 0;
		if (errno != EINTR)
			return -1;
	}
}

int run_child_bounded(char *const argv[], int deadline_ms, int grace_ms, struct child_end *out)
{
	memset(out, 0, sizeof *out);
	double start = wb_now();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("run_child_bounded: fork");
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);   /* EACCES once it has exec'ed: then it did it itself */
	out->pid = pid;
	int pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		perror("run_child_bounded: pidfd_open");
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	if (ended_within(pidfd, deadline_ms) != 1) {
		out->term_sent = 1;
		kill(-pid, SIGTERM);
		if (ended_within(pidfd, grace_ms) != 1)
			out->kill_sent = 1;
		/* the group, whatever the leader did: a grandchild may ignore SIGTERM */
		kill(-pid, SIGKILL);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("run_child_bounded: waitpid");
			close(pidfd);
			return -1;
		}
	close(pidfd);
	if (out->term_sent)
		kill(-pid, SIGKILL);   /* anything the leader's death let through */
	out->exited = WIFEXITED(status);
	out->status = out->exited ? WEXITSTATUS(status) : 0;
	out->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	out->seconds = wb_now() - start;
	return 0;
}

/* ---- 6.6 ------------------------------------------------------------------------ */

int diagnose(const char *program, struct diagnosis *d, int cap)
{
	static const struct {
		const char *program;
		struct diagnosis d;
	} found[] = {
		{ "tally", { BUG_DATA_RACE, 25, TOOL_TSAN } },
		{ "accounts", { BUG_LOCK_ORDER, 33, TOOL_TSAN } },
		{ "mailbox", { BUG_LOST_WAKEUP, 55, TOOL_GDB } },
		{ "settings", { BUG_STARVATION, 55, TOOL_MEASURE } },
		{ "spawner", { BUG_LEAKED_THREAD, 28, TOOL_TSAN } },
		{ "spawner", { BUG_ZOMBIE, 29, TOOL_PROC } },
		{ "spawner", { BUG_LEAKED_FD, 36, TOOL_PROC } },
	};
	int k = 0;
	for (size_t i = 0; i < sizeof found / sizeof found[0]; i++)
		if (strcmp(found[i].program, program) == 0 && k < cap)
			d[k++] = found[i].d;
	return k;
}

/* ---- 6.7 - 6.11: the fixes ---------------------------------------------------- */

int tally_add(struct tally *t, long amount)
{
	pthread_mutex_lock(&t->lock);
	t->total += amount;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

int transfer(struct account *from, struct account *to, long amount)
{
	/* one order for everybody: the lower id first */
	struct account *first = from->id < to->id ? from : to;
	struct account *second = first == from ? to : from;
	pthread_mutex_lock(&first->lock);
	pthread_mutex_lock(&second->lock);
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&second->lock);
	pthread_mutex_unlock(&first->lock);
	return 0;
}

int mailbox_put(struct mailbox *m, int item)
{
	pthread_mutex_lock(&m->lock);
	int ok = !m->closed && m->count < MAILBOX_CAP;
	if (ok) {
		m->items[(m->head + m->count++) % MAILBOX_CAP] = item;
		pthread_cond_signal(&m->changed);
	}
	pthread_mutex_unlock(&m->lock);
	return ok ? 0 : -1;
}

int mailbox_get(struct mailbox *m, int *item)
{
	pthread_mutex_lock(&m->lock);
	while (m->count == 0 && !m->closed)
		pthread_cond_wait(&m->changed, &m->lock);
	int closed = m->count == 0;
	if (!closed) {
		*item = m->items[m->head];
		m->head = (m->head + 1) % MAILBOX_CAP;
		m->count--;
	}
	pthread_mutex_unlock(&m->lock);
	return closed;
}

int mailbox_close(struct mailbox *m)
{
	pthread_mutex_lock(&m->lock);
	m->closed = 1;
	pthread_cond_broadcast(&m->changed);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int settings_lock_init(pthread_rwlock_t *lock)
{
	pthread_rwlockattr_t attr;
	int rc = pthread_rwlockattr_init(&attr);
	/* PREFER_WRITER_NP alone is ignored by glibc: it is the NONRECURSIVE kind that works */
	if (rc == 0)
		rc = pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	if (rc == 0)
		rc = pthread_rwlock_init(lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	if (rc != 0) {
		fprintf(stderr, "settings_lock_init: %s\n", strerror(rc));
		return -1;
	}
	return 0;
}

static void *helper(void *arg)
{
	(void)arg;
	return (void *)42L;
}

int spawn_helpers(long *thread_result, int *child_status)
{
	pthread_t t;
	int rc = pthread_create(&t, NULL, helper, NULL);
	if (rc != 0) {
		fprintf(stderr, "spawn_helpers: pthread_create: %s\n", strerror(rc));
		return -1;
	}
	fflush(NULL);
	pid_t child = fork();
	if (child == 0)
		_exit(7);
	int log = open("/dev/null", O_WRONLY | O_CLOEXEC);
	void *result;
	pthread_join(t, &result);
	*thread_result = (long)result;
	int status = 0;
	if (child > 0)
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
	*child_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (log >= 0)
		close(log);
	if (child < 0 || log < 0) {
		perror("spawn_helpers");
		return -1;
	}
	return 0;
}

/* ---- 6.12 ----------------------------------------------------------------------- */

enum { MOST_THREADS = 64 };

struct waiter {
	pid_t tid;
	uint64_t futex;    /* 0: not waiting on a futex */
	pid_t owner;       /* who holds that mutex (0: unknown) */
};

/* tid's futex address (if it sleeps in futex), or 0; -1 if ptrace is refused. */
static int waits_on(pid_t pid, pid_t tid, uint64_t *futex)
{
	char path[96], line[256];
	snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno == EACCES || errno == EPERM ? -1 : 0;
	ssize_t n = read(fd, line, sizeof line - 1);
	int err = errno;
	close(fd);
	if (n < 0)
		return err == EACCES || err == EPERM ? -1 : 0;
	line[n] = '\0';
	long nr = -1;
	uint64_t arg0 = 0;
	*futex = 0;
	if (sscanf(line, "%ld %" SCNx64, &nr, &arg0) == 2 && nr == 202)
		*futex = arg0;
	return 0;
}

/* The __owner field of the mutex whose futex word is at addr (0 if unreadable). */
static pid_t owner_of(int mem, uint64_t addr)
{
	int owner = 0;
	if (pread(mem, &owner, sizeof owner, (off_t)(addr + 8)) != (ssize_t)sizeof owner)
		return 0;
	return owner;
}

static int find_cycle(const struct waiter *w, int n, char *buf, size_t cap)
{
	for (int start = 0; start < n; start++) {
		int path[MOST_THREADS], len = 0, at = start;
		while (at >= 0 && len < n) {
			for (int k = 0; k < len; k++)
				if (path[k] == at) {   /* back where we were: a cycle from k */
					size_t used = strlen(buf);
					snprintf(buf + used, cap - used, "  deadlock:");
					for (int j = k; j < len; j++) {
						used = strlen(buf);
						snprintf(buf + used, cap - used, " %d ->", (int)w[path[j]].tid);
					}
					used = strlen(buf);
					snprintf(buf + used, cap - used, " %d\n", (int)w[at].tid);
					return len - k;
				}
			path[len++] = at;
			int next = -1;
			for (int j = 0; j < n; j++)
				if (w[at].owner && w[j].tid == w[at].owner)
					next = j;
			at = next;
		}
	}
	return 0;
}

int hang_doctor(pid_t pid, char *buf, size_t cap)
{
	wb_describe_threads(pid, buf, cap);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	struct waiter w[MOST_THREADS];
	int n = 0;
	DIR *d = opendir(path);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < MOST_THREADS)
		if (e->d_name[0] != '.')
			w[n++] = (struct waiter){ .tid = atoi(e->d_name) };
	closedir(d);
	snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
	int mem = open(path, O_RDONLY);
	for (int i = 0; i < n; i++) {
		if (mem < 0 || waits_on(pid, w[i].tid, &w[i].futex) < 0) {
			size_t used = strlen(buf);
			snprintf(buf + used, cap - used, "  (ptrace is not permitted here, so who holds "
				 "which lock is unknown: run it under gdb from the start, or as its "
				 "parent, or ask for kernel.yama.ptrace_scope=0)\n");
			if (mem >= 0)
				close(mem);
			return 0;
		}
		if (!w[i].futex)
			continue;
		w[i].owner = owner_of(mem, w[i].futex);
	}
	for (int i = 0; i < n; i++) {
		if (!w[i].futex)
			continue;
		int held = 0;   /* a mutex's __owner is a thread of ours; a condvar's word is not */
		for (int j = 0; j < n; j++)
			held |= w[i].owner && w[j].tid == w[i].owner;
		if (!held)
			w[i].owner = 0;
		size_t used = strlen(buf);
		if (held)
			snprintf(buf + used, cap - used, "  thread %d waits for the mutex at 0x%" PRIx64
				 " held by thread %d\n", (int)w[i].tid, w[i].futex, (int)w[i].owner);
		else
			snprintf(buf + used, cap - used, "  thread %d waits on the futex at 0x%" PRIx64
				 ", which no thread of this process holds (a condition variable?)\n",
				 (int)w[i].tid, w[i].futex);
	}
	close(mem);
	return find_cycle(w, n, buf, cap);
}

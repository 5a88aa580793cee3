/*
 * Lab 6, part B: the bug zoo (labs/06-timeouts/zoo/).
 *
 * For each zoo program: run the tools on it and print each one's verdict
 * (every tool's full output goes to out/lab6/zoo-*.log); put your
 * diagnosis (6.6) beside them; run your hang doctor (6.12) on the programs
 * that hang; run your fixes (6.7 - 6.11) on the same work and show the
 * symptom gone; and measure what each tool costs on the same program.
 */
#include "driver.h"
#include "exercises.h"

#include "checked.h"
#include "plot.h"
#include "procs.h"
#include "timing.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static char zoo_dir[PATH_MAX];
static int have_valgrind, have_gdb, quick_run;

/* The zoo is built beside the lab program: <bin>/zoo/. */
static int find_zoo(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	snprintf(zoo_dir, sizeof zoo_dir, "%s/zoo", dirname(exe));
	char probe[PATH_MAX + 16];
	snprintf(probe, sizeof probe, "%s/tally", zoo_dir);
	return access(probe, X_OK) == 0;
}

static int on_path(const char *prog)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

static void zoo_prog(char *dst, size_t cap, const char *name)
{
	snprintf(dst, cap, "%s/%s", zoo_dir, name);
}

static void log_path(char *dst, size_t cap, const char *name)
{
	char file[128];
	snprintf(file, sizeof file, "zoo-%s.log", name);
	wb_out_path(dst, cap, 6, file);
}

/* The first line of file that contains needle, without its newline ("" if none). */
static int find_line(const char *file, const char *needle, char *out, size_t cap)
{
	FILE *f = fopen(file, "r");
	out[0] = '\0';
	if (!f)
		return 0;
	char line[1024];
	int found = 0;
	while (!found && fgets(line, sizeof line, f))
		if (strstr(line, needle)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, cap, "%s", line);
			found = 1;
		}
	fclose(f);
	return found;
}

/* The last "file.c:N" in s, as "file.c:N" (a tool's location); "" if none. */
static void location_in(const char *s, char *out, size_t cap)
{
	out[0] = '\0';
	for (const char *p = s; (p = strstr(p, ".c:")); p++) {
		const char *b = p;
		while (b > s && b[-1] != ' ' && b[-1] != '/' && b[-1] != '(')
			b--;
		int len = (int)(p - b) + 3;
		while (p[len - (int)(p - b)] >= '0' && p[len - (int)(p - b)] <= '9')
			len++;
		snprintf(out, cap, "%.*s", len, b);
	}
}

/* Run one zoo program under one tool; its log is zoo-<tag>.log.  Returns the wait status. */
static int run_tool(char *const argv[], const char *tag, double limit_s, double *seconds)
{
	char log[4096];
	log_path(log, sizeof log, tag);
	int timed_out;
	double s;
	int status = run_logged(argv, log, limit_s, seconds ? seconds : &s, &timed_out);
	if (status == -1)
		DIE("cannot start %s", argv[0]);
	return timed_out ? -2 : status;
}

/* "ThreadSanitizer: data race at tally.c:25", from the log's SUMMARY line. */
static void tsan_verdict(const char *tag, char *out, size_t cap)
{
	char log[4096], line[1024], where[128];
	log_path(log, sizeof log, tag);
	if (!find_line(log, "SUMMARY: ThreadSanitizer:", line, sizeof line)) {
		snprintf(out, cap, "ThreadSanitizer: nothing reported");
		return;
	}
	char *what = strstr(line, "ThreadSanitizer: ") + strlen("ThreadSanitizer: ");
	char *end = strstr(what, ".c:");   /* the kind ends where the file name begins */
	while (end && end > what && end[-1] != ' ')
		end--;
	location_in(line, where, sizeof where);
	snprintf(out, cap, "ThreadSanitizer: %.*s at %s", end ? (int)(end - what - 1) : 40, what,
		 where);
}

/* helgrind's first complaint and where, from its log. */
static void helgrind_verdict(const char *tag, char *out, size_t cap)
{
	char log[4096], line[1024], errors[256], where[128] = "";
	log_path(log, sizeof log, tag);
	find_line(log, "ERROR SUMMARY", errors, sizeof errors);
	const char *kinds[] = { "Possible data race", "lock order", NULL };
	for (int k = 0; kinds[k]; k++)
		if (find_line(log, kinds[k], line, sizeof line)) {
			/* the first frame of ours after the complaint */
			FILE *f = fopen(log, "r");
			char l[1024];
			int seen = 0;
			while (f && fgets(l, sizeof l, f) && !*where) {
				seen |= strstr(l, kinds[k]) != NULL;
				if (seen && strstr(l, ".c:") && !strstr(l, "vg_") && !strstr(l, "hg_"))
					location_in(l, where, sizeof where);
			}
			if (f)
				fclose(f);
			char *sum = strstr(errors, "ERROR SUMMARY");
			snprintf(out, cap, "helgrind: %s at %s (%.28s)", kinds[k], where,
				 sum ? sum + 15 : "?");
			return;
		}
	snprintf(out, cap, "helgrind: nothing reported");
}

/* ---- programs that hang: started, looked at, stopped ----------------------- */

/* Start a zoo program with its output in zoo-<tag>.log.  It dies with the lab
 * (PR_SET_PDEATHSIG: this runs on the main thread, whose exit is the lab's),
 * so that a program left hanging by a Ctrl-C does not outlive it. */
static pid_t start_logged(char *const argv[], const char *tag)
{
	char log[4096];
	log_path(log, sizeof log, tag);
	fflush(NULL);
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Threads of pid asleep ('S') now. */
static int sleeping_threads(pid_t pid)
{
	char buf[8192] = "";
	wb_describe_threads(pid, buf, sizeof buf);
	int n = 0;
	for (char *p = buf; (p = strstr(p, "sleeping")); p++)
		n++;
	return n;
}

/* Wait until `want` threads of pid sleep (at most 3 s): stuck, or as stuck as it gets. */
static void wait_stuck(pid_t pid, int want)
{
	double until = wb_now() + 3;
	while (wb_now() < until && sleeping_threads(pid) < want)
		wb_sleep(0.02);
	wb_sleep(0.1);
}

static void print_indented(const char *text, const char *prefix)
{
	char copy[8192];
	snprintf(copy, sizeof copy, "%s", text);
	for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n"))
		printf("%s%s\n", prefix, line);
}

/* gdb -batch 'thread apply all bt', reduced to each thread's frame in the zoo's code. */
static void gdb_stacks(pid_t pid, const char *tag, const char *source)
{
	if (!have_gdb) {
		printf("    gdb: not installed (scripts/deps.sh installs it)\n");
		return;
	}
	if (quick_run) {
		printf("    gdb: skipped (--quick; make zoo6-gdb PROG=%.*s shows it)\n",
		       (int)strcspn(source, "."), source);
		return;
	}
	char pidarg[16];
	snprintf(pidarg, sizeof pidarg, "%d", (int)pid);
	char *argv[] = { "gdb", "-q", "-batch", "-p", pidarg, "-ex", "thread apply all bt", NULL };
	double s;
	int status = run_tool(argv, tag, 30, &s);
	char log[4096], line[1024];
	log_path(log, sizeof log, tag);
	FILE *f = fopen(log, "r");
	int shown = 0;
	char thread[128] = "";
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "Thread ", 7) == 0)
			snprintf(thread, sizeof thread, "%.*s", (int)strcspn(line, "("), line);
		else if (strstr(line, source) && *thread) {
			char *in = strstr(line, " in ");
			printf("    gdb: %s: %s\n", thread, in ? in + 4 : line);
			thread[0] = '\0';   /* its innermost frame of ours only */
			shown++;
		}
	}
	if (f)
		fclose(f);
	if (!shown)
		printf("    gdb: could not attach (exit %d): ptrace is not permitted here? "
		       "Run it under gdb from the start instead (see %s)\n",
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1, log);
	else
		printf("    (gdb attached, read the stacks and detached in %.2f s; full output in "
		       "out/lab6/zoo-%s.log)\n", s, tag);
}

/* The student's hang doctor (6.12) on a stuck program. */
static int doctor(struct wb_lab *lab, pid_t pid)
{
	char buf[8192] = "";
	double start = wb_now();
	int rc = hang_doctor(pid, buf, sizeof buf);
	double took = wb_now() - start;
	if (rc == WB_NOT_DONE) {
		printf("    hang doctor (6.12): not done yet; /proc alone says:\n");
		buf[0] = '\0';
		wb_describe_threads(pid, buf, sizeof buf);
		print_indented(buf, "    ");
		return rc;
	}
	if (rc < 0)
		wb_lab_wrong(lab, "6.12", "hang_doctor failed on pid %d", (int)pid);
	printf("    hang doctor (6.12), %.1f ms: %d thread%s in a cycle\n", took * 1e3, rc,
	       rc == 1 ? "" : "s");
	print_indented(buf, "    | ");
	return rc;
}

/* ---- each program ------------------------------------------------------------- */

static void answer_line(const char *program)
{
	struct diagnosis d[8];
	int n = diagnose(program, d, 8);
	if (n == WB_NOT_DONE) {
		printf("    your diagnosis (6.6): not done yet\n");
		return;
	}
	for (int i = 0; i < n; i++)
		printf("    your diagnosis (6.6): %s at %s.c:%d, shown by %s\n", bug_name(d[i].bug),
		       program, d[i].line, tool_name(d[i].tool));
}

static void tally_tools(int quick)
{
	char p[PATH_MAX + 32], verdict[512], log[4096], line[512];
	printf("\n  tally (4 threads add 10,000,000 each):\n");
	const char *builds[] = { "tally-O0", "tally" };
	const char *names[] = { "-O0", "-O2" };
	for (int i = 0; i < 2; i++) {
		zoo_prog(p, sizeof p, builds[i]);
		char *argv[] = { p, NULL };
		run_tool(argv, builds[i], 30, NULL);
		log_path(log, sizeof log, builds[i]);
		find_line(log, "tally:", line, sizeof line);
		printf("    native %s:  %s\n", names[i], line + strlen("tally: "));
	}
	zoo_prog(p, sizeof p, "tally-tsan");
	char *tsan[] = { p, "4", "100000", NULL };   /* TSan needs no more to see it */
	run_tool(tsan, "tally-tsan", 60, NULL);
	tsan_verdict("tally-tsan", verdict, sizeof verdict);
	printf("    %s\n", verdict);
	if (!quick && have_valgrind) {
		zoo_prog(p, sizeof p, "tally-O0");   /* at -O2 the add is folded into the loop */
		char *hg[] = { "valgrind", "--tool=helgrind", p, "4", "20000", NULL };
		run_tool(hg, "tally-helgrind", 120, NULL);
		helgrind_verdict("tally-helgrind", verdict, sizeof verdict);
		printf("    %s\n", verdict);
	} else {
		printf("    helgrind: skipped (%s)\n", quick ? "--quick" : "valgrind not installed");
	}
	answer_line("tally");
}

static void accounts_tools(struct wb_lab *lab, int quick)
{
	char p[PATH_MAX + 32], verdict[512];
	printf("\n  accounts (a run that ends, then one that hangs):\n");
	zoo_prog(p, sizeof p, "accounts-tsan");
	char *tsan[] = { p, NULL };
	int status = run_tool(tsan, "accounts-tsan", 60, NULL);
	tsan_verdict("accounts-tsan", verdict, sizeof verdict);
	printf("    %s (the run %s)\n", verdict,
	       status >= 0 && WIFEXITED(status) ? "ended: no hang needed" : "did not end");
	if (!quick && have_valgrind) {
		zoo_prog(p, sizeof p, "accounts-O0");
		char *hg[] = { "valgrind", "--tool=helgrind", p, NULL };
		run_tool(hg, "accounts-helgrind", 120, NULL);
		helgrind_verdict("accounts-helgrind", verdict, sizeof verdict);
		printf("    %s\n", verdict);
		char *drd[] = { "valgrind", "--tool=drd", p, NULL };
		run_tool(drd, "accounts-drd", 120, NULL);
		char log[4096], line[512];
		log_path(log, sizeof log, "accounts-drd");
		find_line(log, "ERROR SUMMARY", line, sizeof line);
		char *sum = strstr(line, "ERROR SUMMARY");
		printf("    DRD: %s (DRD has no lock-order check)\n", sum ? sum : "no summary");
	} else {
		printf("    helgrind, DRD: skipped (%s)\n", quick ? "--quick" : "valgrind not installed");
	}
	zoo_prog(p, sizeof p, "accounts");
	char *hang[] = { p, "--hang", NULL };
	pid_t pid = start_logged(hang, "accounts-hang");
	wait_stuck(pid, 3);
	printf("    accounts --hang, pid %d, looked at from outside:\n", (int)pid);
	doctor(lab, pid);
	gdb_stacks(pid, "accounts-gdb", "accounts.c");
	stop(pid);
	answer_line("accounts");
}

static void mailbox_tools(struct wb_lab *lab)
{
	char p[PATH_MAX + 32], log[4096], line[512];
	printf("\n  mailbox (two readers, then the box is closed):\n");
	zoo_prog(p, sizeof p, "mailbox");
	char *argv[] = { p, NULL };
	pid_t pid = start_logged(argv, "mailbox");
	log_path(log, sizeof log, "mailbox");
	double until = wb_now() + 3;
	while (wb_now() < until && !find_line(log, "closing", line, sizeof line))
		wb_sleep(0.02);
	wb_sleep(0.3);
	int ended = waitpid(pid, NULL, WNOHANG) == pid;
	printf("    0.3 s after the close it has %s\n", ended ? "ended" : "NOT ended: stuck");
	if (!ended) {
		doctor(lab, pid);
		gdb_stacks(pid, "mailbox-gdb", "mailbox.c");
		stop(pid);
	}
	answer_line("mailbox");
}

static void settings_tools(int quick)
{
	char p[PATH_MAX + 32], log[4096], line[512];
	printf("\n  settings (two readers overlap, a writer waits):\n");
	zoo_prog(p, sizeof p, "settings");
	char *argv[] = { p, quick ? "0.3" : "2", NULL };
	run_tool(argv, "settings", 30, NULL);
	log_path(log, sizeof log, "settings");
	find_line(log, "the writer g", line, sizeof line);
	printf("    native: %s\n", line);
	zoo_prog(p, sizeof p, "settings-tsan");
	char *tsan[] = { p, "0.3", NULL };
	char verdict[512];
	run_tool(tsan, "settings-tsan", 60, NULL);
	tsan_verdict("settings-tsan", verdict, sizeof verdict);
	printf("    %s (no single access is wrong: no tool sees starvation)\n", verdict);
	answer_line("settings");
}

static void spawner_tools(void)
{
	char p[PATH_MAX + 32], verdict[512];
	printf("\n  spawner (a helper thread, a child, a log file):\n");
	zoo_prog(p, sizeof p, "spawner");
	char *argv[] = { p, "2", NULL };
	pid_t pid = start_logged(argv, "spawner");
	wb_sleep(0.3);
	char path[96], buf[8192] = "", log[4096], line[512];
	int zombies = 0, logfd = -1;
	log_path(log, sizeof log, "spawner");
	find_line(log, "log fd", line, sizeof line);
	char *at = strstr(line, "log fd ");
	if (at)
		logfd = atoi(at + 7);
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, logfd);
	int fd_open = logfd >= 0 && access(path, F_OK) == 0;
	/* its children: a zombie child is in state Z */
	DIR *d = CHECK_PTR(opendir("/proc"));
	struct dirent *e;
	while ((e = readdir(d))) {
		pid_t c = atoi(e->d_name);
		if (c > 0 && wb_parent_of(c) == pid) {
			buf[0] = '\0';
			wb_describe_threads(c, buf, sizeof buf);
			zombies += strstr(buf, "zombie") != NULL;
		}
	}
	closedir(d);
	buf[0] = '\0';
	int threads = wb_describe_threads(pid, buf, sizeof buf);
	printf("    /proc while it lingers: %d thread%s (the helper ended; that its memory is "
	       "never freed, /proc cannot see), %d zombie child%s, its log fd %d %s\n",
	       threads, threads == 1 ? "" : "s", zombies, zombies == 1 ? "" : "ren", logfd,
	       fd_open ? "still open" : "closed");
	stop(pid);
	zoo_prog(p, sizeof p, "spawner-tsan");
	char *tsan[] = { p, NULL };
	run_tool(tsan, "spawner-tsan", 60, NULL);
	tsan_verdict("spawner-tsan", verdict, sizeof verdict);
	printf("    %s\n", verdict);
	answer_line("spawner");
}

/* ---- the fixes (6.7 - 6.11) on the zoo's own work -------------------------------- */

static struct tally fixed_tally = { PTHREAD_MUTEX_INITIALIZER, 0 };

static void *seller(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200000; i++)
		tally_add(&fixed_tally, 1);
	return NULL;
}

static int fix_tally(void *arg)
{
	(void)arg;
	fixed_tally.total = 0;
	int rc = tally_add(&fixed_tally, 0);
	if (rc != 0)
		return rc;
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		CHECK_PT(pthread_create(&t[i], NULL, seller, NULL));
	for (int i = 0; i < 4; i++)
		CHECK_PT(pthread_join(t[i], NULL));
	return 0;
}

static struct account books[2] = { { PTHREAD_MUTEX_INITIALIZER, 1, 1000 },
				  { PTHREAD_MUTEX_INITIALIZER, 2, 1000 } };

static void *clerk(void *arg)
{
	long way = (long)arg;
	for (int i = 0; i < 20000; i++)
		transfer(&books[way], &books[1 - way], 1);
	return NULL;
}

static int fix_accounts(void *arg)
{
	(void)arg;
	int rc = transfer(&books[0], &books[1], 0);
	if (rc != 0)
		return rc;
	pthread_t t[2];
	for (long i = 0; i < 2; i++)
		CHECK_PT(pthread_create(&t[i], NULL, clerk, (void *)i));
	for (int i = 0; i < 2; i++)
		CHECK_PT(pthread_join(t[i], NULL));
	return 0;
}

static struct mailbox box;
static atomic_int readers_done;

static void *reader(void *arg)
{
	int item;
	long got = 0;
	while (mailbox_get(&box, &item) == 0)
		got++;
	atomic_fetch_add(&readers_done, 1);
	*(long *)arg = got;
	return NULL;
}

static int fix_mailbox(void *arg)
{
	double *close_to_end = arg;
	int item, rc;
	mailbox_init(&box);   /* a scratch round first: is each part done? */
	if ((rc = mailbox_put(&box, 1)) == WB_NOT_DONE || (rc = mailbox_get(&box, &item)) == WB_NOT_DONE ||
	    (rc = mailbox_close(&box)) == WB_NOT_DONE)
		return rc;
	mailbox_init(&box);
	atomic_store(&readers_done, 0);
	pthread_t r[2];
	long got[2];
	for (int i = 0; i < 2; i++)
		CHECK_PT(pthread_create(&r[i], NULL, reader, &got[i]));
	for (int i = 0; i < 10; i++)
		if (mailbox_put(&box, i) != 0)
			return -1;
	wb_sleep(0.05);   /* both readers asleep on the empty box */
	double closed = wb_now();
	CHECK_SYS(mailbox_close(&box));
	/* a reader never woken would hang the join: bounded, then say so */
	while (atomic_load(&readers_done) < 2 && wb_now() - closed < 2)
		wb_sleep(0.001);
	*close_to_end = wb_now() - closed;
	if (atomic_load(&readers_done) < 2) {
		fprintf(stderr, "lab6: a mailbox reader was not woken by mailbox_close\n");
		return -1;
	}
	for (int i = 0; i < 2; i++)
		CHECK_PT(pthread_join(r[i], NULL));
	return got[0] + got[1] == 10 ? 0 : -1;
}

static pthread_rwlock_t settings_lock;
static atomic_int settings_stop;

static void *settings_reader(void *arg)
{
	(void)arg;
	while (!atomic_load(&settings_stop)) {
		CHECK_PT(pthread_rwlock_rdlock(&settings_lock));
		wb_sleep(0.002);
		CHECK_PT(pthread_rwlock_unlock(&settings_lock));
	}
	return NULL;
}

static int fix_settings(void *arg)
{
	double *waited = arg;
	int rc = settings_lock_init(&settings_lock);
	if (rc != 0)
		return rc;
	atomic_store(&settings_stop, 0);
	pthread_t r[2];
	for (int i = 0; i < 2; i++) {
		CHECK_PT(pthread_create(&r[i], NULL, settings_reader, NULL));
		wb_sleep(0.001);
	}
	struct timespec d;   /* REALTIME: see zoo/settings.c (TSan and clockwrlock) */
	clock_gettime(CLOCK_REALTIME, &d);
	d.tv_sec += 2;
	double asked = wb_now();
	rc = pthread_rwlock_timedwrlock(&settings_lock, &d);
	*waited = wb_now() - asked;
	if (rc == 0)
		CHECK_PT(pthread_rwlock_unlock(&settings_lock));
	atomic_store(&settings_stop, 1);
	for (int i = 0; i < 2; i++)
		CHECK_PT(pthread_join(r[i], NULL));
	CHECK_PT(pthread_rwlock_destroy(&settings_lock));
	return rc == 0 ? 0 : -1;
}

struct spawned { long result; int status; int threads, fds, children; };

/* Children of this process, zombies included (the lab server is one). */
static int children_now(void)
{
	DIR *d = CHECK_PTR(opendir("/proc"));
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		pid_t c = atoi(e->d_name);
		n += c > 0 && wb_parent_of(c) == getpid();
	}
	closedir(d);
	return n;
}

static int count_fds(void)
{
	return wb_count_entries("/proc/self/fd");
}

static int fix_spawner(void *arg)
{
	struct spawned *s = arg;
	int threads = threads_now(), fds = count_fds(), children = children_now();
	int rc = spawn_helpers(&s->result, &s->status);
	s->threads = threads_now() - threads;
	s->fds = count_fds() - fds;
	s->children = children_now() - children;
	return rc;
}

static void fixes(struct wb_lab *lab)
{
	printf("\n  Your fixes, on the same work:\n");
	struct wb_measure m = wb_lab_measure(lab, "6.7", "tally", 1, fix_tally, NULL);
	if (wb_lab_row(lab, "fix: tally (6.7)", "6.7", &m, 0)) {
		if (fixed_tally.total != 800000)
			wb_lab_wrong(lab, "6.7", "tally_add: total %ld, expected 800000",
				     fixed_tally.total);
		printf("    tally (6.7):    total %ld of 800000\n", fixed_tally.total);
	}
	m = wb_lab_measure(lab, "6.8", "accounts", 2, fix_accounts, NULL);
	if (wb_lab_row(lab, "fix: accounts (6.8)", "6.8", &m, 0)) {
		if (books[0].balance + books[1].balance != 2000)
			wb_lab_wrong(lab, "6.8", "transfer: the balances add up to %ld, not 2000",
				     books[0].balance + books[1].balance);
		printf("    accounts (6.8): 40,000 transfers both ways, no deadlock; balances %ld + %ld\n",
		       books[0].balance, books[1].balance);
	}
	double close_s = 0;
	m = wb_lab_measure(lab, "6.9", "mailbox", 2, fix_mailbox, &close_s);
	if (wb_lab_row(lab, "fix: mailbox (6.9)", "6.9", &m, 0))
		printf("    mailbox (6.9):  both readers saw the close, %.1f ms after it\n",
		       close_s * 1e3);
	double waited = 0;
	m = wb_lab_measure(lab, "6.10", "settings", 2, fix_settings, &waited);
	if (wb_lab_row(lab, "fix: settings (6.10)", "6.10", &m, 0))
		printf("    settings (6.10): the writer got the lock after %.1f ms\n", waited * 1e3);
	struct spawned s = { 0 };
	m = wb_lab_measure(lab, "6.11", "spawner", 1, fix_spawner, &s);
	if (wb_lab_row(lab, "fix: spawner (6.11)", "6.11", &m, 0)) {
		if (s.result != 42 || s.status != 7 || s.threads || s.fds || s.children)
			wb_lab_wrong(lab, "6.11", "spawn_helpers: result %ld, status %d, and left "
				     "%d thread(s), %d fd(s), %d child(ren)", s.result, s.status,
				     s.threads, s.fds, s.children);
		printf("    spawner (6.11): thread gave %ld, child exited %d; left: %d thread(s), "
		       "%d descriptor(s), %d child(ren)\n", s.result, s.status, s.threads, s.fds,
		       s.children);
	}
}

/* ---- what the tools cost ----------------------------------------------------------- */

/* Seconds per add of `tally 2 ADDS` under one tool: (t(adds) - t(1)) / (2 adds). */
static double per_add(char **prefix, int nprefix, const char *build, long adds, int reps)
{
	char p[PATH_MAX + 32], n[32];
	zoo_prog(p, sizeof p, build);
	double best[2] = { 1e9, 1e9 };
	for (int k = 0; k < 2; k++) {
		snprintf(n, sizeof n, "%ld", k ? adds : 1L);
		char *argv[12];
		int a = 0;
		for (int i = 0; i < nprefix; i++)
			argv[a++] = prefix[i];
		argv[a++] = p;
		argv[a++] = "2";
		argv[a++] = n;
		argv[a] = NULL;
		for (int r = 0; r < reps; r++) {
			double s;
			run_tool(argv, "cost", 300, &s);
			best[k] = s < best[k] ? s : best[k];
		}
	}
	double d = (best[1] - best[0]) / (2.0 * adds);
	return d > 0 ? d : 1e-12;
}

static void tool_costs(struct wb_lab *lab, int quick)
{
	char *hg[] = { "valgrind", "--tool=helgrind" }, *drd[] = { "valgrind", "--tool=drd" };
	const char *labels[5];
	double values[5];
	int rows = 0;
	int reps = quick ? 1 : 3;
	double native = per_add(NULL, 0, "tally-O0", quick ? 10000000 : 50000000, reps);
	printf("\n  What each tool costs on tally, all built -O0 (2 threads; per add, start-up "
	       "subtracted, best of %d):\n", reps);
	printf("    %-12s %10.2f ns per add      1x\n", "native", native * 1e9);
	labels[rows] = "native";
	values[rows++] = 1;
	struct { const char *name, *build; char **prefix; int np; long adds; int slow; } t[] = {
		{ "ASan", "tally-asan", NULL, 0, quick ? 5000000 : 20000000, 0 },
		{ "TSan", "tally-tsan", NULL, 0, quick ? 300000 : 2000000, 0 },
		{ "helgrind", "tally-O0", hg, 2, 1000000, 1 },
		{ "DRD", "tally-O0", drd, 2, 300000, 1 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (t[i].slow && (quick || !have_valgrind)) {
			printf("    %-12s skipped (%s)\n", t[i].name,
			       quick ? "--quick: make bench measures it" : "valgrind not installed");
			continue;
		}
		double c = per_add(t[i].prefix, t[i].np, t[i].build, t[i].adds, reps);
		printf("    %-12s %10.2f ns per add %7.1fx\n", t[i].name, c * 1e9, c / native);
		labels[rows] = t[i].name;
		values[rows++] = c / native;
	}
	struct wb_bars bars = {
		.name = "tool-costs", .title = "Lab 6: slowdown of each tool on tally (times native)",
		.xlabel = "slowdown (log scale)", .labels = labels, .values = values, .rows = rows,
		.logx = 1,
	};
	wb_lab_bars(lab, &bars);
}

/* ---- the part -------------------------------------------------------------------- */

struct zoo_call { struct wb_lab *lab; int quick; };

static int zoo_tools(void *arg)
{
	struct zoo_call *z = arg;
	tally_tools(z->quick);
	accounts_tools(z->lab, z->quick);
	mailbox_tools(z->lab);
	settings_tools(z->quick);
	spawner_tools();
	return 0;
}

static int zoo_costs(void *arg)
{
	struct zoo_call *z = arg;
	tool_costs(z->lab, z->quick);
	return 0;
}

void zoo_part(struct wb_lab *lab)
{
	printf("\nPart B: the bug zoo (each tool's full output in out/lab6/zoo-*.log)\n");
	struct zoo_call z = { lab, lab->opt.quick };
	if (!find_zoo()) {
		printf("  the zoo is not built beside this program (%s): its tools are skipped; "
		       "make zoo6 builds it\n", zoo_dir);
	} else {
		have_valgrind = on_path("valgrind");
		quick_run = z.quick;
		have_gdb = on_path("gdb");
		struct wb_measure m = wb_lab_measure(lab, NULL, "the zoo's tools", z.quick ? 4 : 15,
						     zoo_tools, &z);
		struct wb_row *row = wb_results_add(&lab->results, "zoo: the tools",
						    m.wall_s, m.cpu_s, 0);
		wb_row_note(row, "%s", z.quick ? "helgrind and DRD skipped (--quick)" :
			    "TSan, helgrind, DRD, gdb, /proc");
	}
	fixes(lab);
	if (*zoo_dir && access(zoo_dir, X_OK) == 0) {
		struct wb_measure m = wb_lab_measure(lab, NULL, "tool costs", z.quick ? 3 : 30,
						     zoo_costs, &z);
		wb_results_add(&lab->results, "zoo: the tools' costs", m.wall_s,
			       m.cpu_s, 0);
	}
}

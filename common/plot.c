/* plot.c - run the gnuplot scripts in plots/ (see plot.h). */
#include "plot.h"

#include "checked.h"

#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef WB_SOURCE_DIR
#define WB_SOURCE_DIR "."
#endif

extern char **environ;

static void mkdir_p(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) == -1 && errno != EEXIST)
			DIE("mkdir %s: %s", buf, wb_strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0777) == -1 && errno != EEXIST)
		DIE("mkdir %s: %s", buf, wb_strerror(errno));
}

const char *wb_out_dir(int lab)
{
	static char dir[4096];
	const char *env = getenv("LAB_OUT");
	int n = env && *env ? snprintf(dir, sizeof dir, "%s", env)
			    : snprintf(dir, sizeof dir, "%s/out/lab%d", WB_SOURCE_DIR, lab);
	if (n < 0 || (size_t)n >= sizeof dir)
		DIE("output folder name too long");
	mkdir_p(dir);
	return dir;
}

void wb_out_path(char *dst, size_t cap, int lab, const char *name)
{
	int n = snprintf(dst, cap, "%s/%s", wb_out_dir(lab), name);
	if (n < 0 || (size_t)n >= cap)
		DIE("path too long: %s/%s", wb_out_dir(lab), name);
}

/* gnuplot strings are single-quoted; a quote inside would end them early. */
static void require_plain(const char *what, const char *s)
{
	if (s && strchr(s, '\''))
		DIE("%s may not contain a single quote: %s", what, s);
}

/* Run gnuplot once with the given assignments; returns its exit status or -1. */
static int run_gnuplot(const char *assignments, const char *script_path)
{
	char *argv[] = { "gnuplot", "-e", (char *)assignments, (char *)script_path, NULL };
	pid_t pid;
	/* The terminal plot goes to our stdout: flush first so the order holds. */
	fflush(stdout);
	int err = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
	if (err != 0)
		return -1;
	int status;
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			DIE("waitpid(gnuplot): %s", wb_strerror(errno));
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int gnuplot_missing_told;

int wb_plot_draw(const struct wb_plot *p)
{
	char script[4096], assign[8192];
	snprintf(script, sizeof script, "%s/plots/%s", WB_SOURCE_DIR, p->script);
	require_plain("data file", p->datafile);
	require_plain("PNG path", p->png);
	require_plain("title", p->title);

	int failures = 0;
	for (int pass = 0; pass < 2; pass++) {
		const char *output = pass == 0 ? p->png : "";
		if (pass == 0 && !p->png)
			continue;
		if (pass == 1 && !p->terminal)
			continue;
		int n = snprintf(assign, sizeof assign,
				 "plotsdir='%s/plots'; datafile='%s'; outfile='%s'; plottitle='%s'; %s",
				 WB_SOURCE_DIR, p->datafile, output, p->title ? p->title : "",
				 p->extra ? p->extra : "");
		if (n < 0 || (size_t)n >= sizeof assign)
			DIE("gnuplot arguments too long");
		int status = run_gnuplot(assign, script);
		if (status == -1 || status == 127) {
			if (!gnuplot_missing_told++)
				fprintf(stderr, "note: gnuplot not found, no plots drawn "
						"(scripts/deps.sh installs it)\n");
			return -1;
		}
		if (status != 0) {
			fprintf(stderr, "note: gnuplot failed on %s (exit %d)\n", script, status);
			failures++;
		}
	}
	if (p->png && failures == 0)
		printf("  plot: %s\n", p->png);
	return failures ? -1 : 0;
}

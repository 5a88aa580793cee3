/*
 * options.h - the one option parser every lab shares.
 *
 * A lab says which options it accepts and what their defaults are (normal
 * and --quick); the parser does the rest.  A wrong option or value gets one
 * line saying what was wrong, then the usage line, and exit status 2.
 */
#ifndef WB_OPTIONS_H
#define WB_OPTIONS_H

#include <stdint.h>

/* The options a lab may accept (--quick, --json, --no-plot, --present, --no-pause
 * and --help always are).
 * A lab accepts only what it uses: an option that changes nothing would mislead. */
enum {
	WB_OPT_URL = 1u << 0,       /* --url URL       server to talk to (else $LAB_URL, else our own) */
	WB_OPT_REQUESTS = 1u << 1,  /* --requests N    how many HTTP requests */
	WB_OPT_DELAY = 1u << 2,     /* --delay S       seconds the server waits before answering */
	WB_OPT_TASKS = 1u << 3,     /* --tasks N       how many CPU tasks */
	WB_OPT_WORKERS = 1u << 4,   /* --workers N     threads or processes to use */
	WB_OPT_REPEAT = 1u << 5,    /* --repeat N      measured repetitions */
	WB_OPT_TASK_MS = 1u << 6,   /* --task-ms MS    CPU time per task */
	WB_OPT_INTERVAL = 1u << 7,  /* --interval MS   a GIL's switch interval */
	WB_OPT_SEED = 1u << 8,      /* --seed N        seed for anything random */
};

struct wb_options {
	const char *url;   /* NULL unless --url was given */
	int requests;
	double delay;
	int tasks;
	int workers;
	int repeat;
	double task_ms;
	double interval_ms;
	int quick;         /* --quick: small, fast settings (tests and demos) */
	const char *json;  /* --json FILE: also write the results as JSON */
	int no_plot;       /* --no-plot: no plot in the terminal (the PNG is still written) */
	uint64_t seed;     /* --seed N */
	int present;       /* --present: each experiment after its question, waiting for Enter */
	int no_pause;      /* --no-pause: with --present, no waiting (a test, a class that wants it all) */
};

struct wb_lab_spec {
	const char *prog;            /* "lab1" */
	const char *summary;         /* one line for --help */
	unsigned accepts;            /* WB_OPT_* bits */
	struct wb_options defaults;  /* normal settings */
	struct wb_options quick;     /* settings for --quick (numeric fields only) */
	/* Labs that talk HTTP set this to wb_server_url (server.h): it finds or
	 * starts the server.  Through a pointer, so that labs without a server
	 * do not link libcurl at all (lab 3 measures fork, whose cost grows with
	 * every library mapped into the process). */
	const char *(*server)(const char *explicit_url);
};

/* Parse argv into *out.  Exits 0 after --help, 2 after a bad option or value. */
void wb_options_parse(const struct wb_lab_spec *spec, int argc, char **argv,
		      struct wb_options *out);

#endif

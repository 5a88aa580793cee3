/* options.c - the shared option parser (see options.h). */
#include "options.h"

#include "checked.h"

#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ranges: generous enough for any experiment, small enough to catch typos. */
#define MAX_REQUESTS 100000
#define MAX_DELAY_S 10.0
#define MAX_TASKS 4096
#define MAX_WORKERS 10000
#define MAX_REPEAT 1000
#define MAX_TASK_MS 60000.0
#define MIN_INTERVAL_MS 0.05
#define MAX_INTERVAL_MS 1000.0

enum { OPT_URL = 256, OPT_REQUESTS, OPT_DELAY, OPT_TASKS, OPT_WORKERS, OPT_REPEAT,
       OPT_TASK_MS, OPT_INTERVAL, OPT_QUICK, OPT_JSON, OPT_NO_PLOT, OPT_SEED, OPT_HELP,
       OPT_PRESENT, OPT_NO_PAUSE };

struct option_doc {
	unsigned bit;     /* 0: always accepted */
	struct option opt;
	const char *arg;
	const char *help;
};

static const struct option_doc docs[] = {
	{ WB_OPT_URL, { "url", required_argument, NULL, OPT_URL }, "URL",
	  "httpbin-compatible server (default: $LAB_URL, else a local one started for you)" },
	{ WB_OPT_REQUESTS, { "requests", required_argument, NULL, OPT_REQUESTS }, "N",
	  "number of HTTP requests" },
	{ WB_OPT_DELAY, { "delay", required_argument, NULL, OPT_DELAY }, "S",
	  "seconds the server waits before answering each request" },
	{ WB_OPT_TASKS, { "tasks", required_argument, NULL, OPT_TASKS }, "N",
	  "number of CPU tasks" },
	{ WB_OPT_WORKERS, { "workers", required_argument, NULL, OPT_WORKERS }, "N",
	  "threads or processes to use" },
	{ WB_OPT_REPEAT, { "repeat", required_argument, NULL, OPT_REPEAT }, "N",
	  "measured repetitions of each experiment" },
	{ WB_OPT_TASK_MS, { "task-ms", required_argument, NULL, OPT_TASK_MS }, "MS",
	  "CPU time of one task, in milliseconds (calibrated on this machine)" },
	{ WB_OPT_INTERVAL, { "interval", required_argument, NULL, OPT_INTERVAL }, "MS",
	  "switch interval of the simulated GIL, in milliseconds" },
	{ 0, { "quick", no_argument, NULL, OPT_QUICK }, NULL,
	  "small, fast settings (for tests and demos)" },
	{ 0, { "json", required_argument, NULL, OPT_JSON }, "FILE",
	  "also write the results as JSON to FILE" },
	{ 0, { "no-plot", no_argument, NULL, OPT_NO_PLOT }, NULL,
	  "no plot in the terminal (PNG files are still written)" },
	{ WB_OPT_SEED, { "seed", required_argument, NULL, OPT_SEED }, "N",
	  "seed for anything random" },
	{ 0, { "present", no_argument, NULL, OPT_PRESENT }, NULL,
	  "for a class: each experiment after the question it answers, then Enter" },
	{ 0, { "no-pause", no_argument, NULL, OPT_NO_PAUSE }, NULL,
	  "with --present: show the questions, but do not wait for Enter" },
	{ 0, { "help", no_argument, NULL, OPT_HELP }, NULL, "show this help" },
};
#define NDOCS (sizeof docs / sizeof docs[0])

static int accepted(const struct wb_lab_spec *spec, const struct option_doc *d)
{
	return d->bit == 0 || (spec->accepts & d->bit);
}

static void print_usage_line(const struct wb_lab_spec *spec, FILE *f)
{
	fprintf(f, "usage: %s", spec->prog);
	for (size_t i = 0; i < NDOCS; i++) {
		if (!accepted(spec, &docs[i]))
			continue;
		if (docs[i].arg)
			fprintf(f, " [--%s %s]", docs[i].opt.name, docs[i].arg);
		else
			fprintf(f, " [--%s]", docs[i].opt.name);
	}
	fputc('\n', f);
}

static void print_help(const struct wb_lab_spec *spec, const struct wb_options *d)
{
	printf("%s - %s\n\n", spec->prog, spec->summary);
	print_usage_line(spec, stdout);
	printf("\n");
	for (size_t i = 0; i < NDOCS; i++) {
		if (!accepted(spec, &docs[i]))
			continue;
		char left[40];
		snprintf(left, sizeof left, "--%s%s%s", docs[i].opt.name, docs[i].arg ? " " : "",
			 docs[i].arg ? docs[i].arg : "");
		printf("  %-18s %s", left, docs[i].help);
		switch (docs[i].opt.val) {
		case OPT_REQUESTS: printf(" (default %d)", d->requests); break;
		case OPT_DELAY: printf(" (default %g)", d->delay); break;
		case OPT_TASKS:
			if (d->tasks)
				printf(" (default %d)", d->tasks);
			else
				printf(" (default: twice the cores)");
			break;
		case OPT_WORKERS:
			if (d->workers)
				printf(" (default %d)", d->workers);
			else
				printf(" (default: the cores)");
			break;
		case OPT_REPEAT: printf(" (default %d)", d->repeat); break;
		case OPT_TASK_MS: printf(" (default %g)", d->task_ms); break;
		case OPT_INTERVAL: printf(" (default %g)", d->interval_ms); break;
		default: break;
		}
		printf("\n");
	}
}

static _Noreturn void usage_error(const struct wb_lab_spec *spec, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static _Noreturn void usage_error(const struct wb_lab_spec *spec, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", spec->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_usage_line(spec, stderr);
	exit(2);
}

static int parse_int(const struct wb_lab_spec *spec, const char *name, const char *text,
		     long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end != '\0' || v < lo || v > hi)
		usage_error(spec, "--%s: expected a whole number from %ld to %ld, got '%s'",
			    name, lo, hi, text);
	return (int)v;
}

static double parse_double(const struct wb_lab_spec *spec, const char *name, const char *text,
			   double lo, double hi)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	/* isfinite also rejects "nan" and "inf", which strtod accepts. */
	if (errno || end == text || *end != '\0' || !isfinite(v) || v < lo || v > hi)
		usage_error(spec, "--%s: expected a number from %g to %g, got '%s'", name, lo, hi,
			    text);
	return v;
}

/* http:// or https://, then a host: "http://" alone would become "http:/get"
 * once a path is joined to it, and fail later with a puzzling error. */
static void check_url(const struct wb_lab_spec *spec, const char *url)
{
	size_t scheme = strncmp(url, "http://", 7) == 0 ? 7 : strncmp(url, "https://", 8) == 0 ? 8 : 0;
	if (scheme == 0 || strcspn(url + scheme, ":/?#") == 0)
		usage_error(spec, "--url: expected http://host:port, got '%s'", url);
}

/* Fields set on the command line win over the quick settings. */
struct explicit_set {
	int requests, delay, tasks, workers, repeat, task_ms, interval_ms;
};

void wb_options_parse(const struct wb_lab_spec *spec, int argc, char **argv,
		      struct wb_options *out)
{
	struct option longopts[NDOCS + 1];
	size_t n = 0;
	for (size_t i = 0; i < NDOCS; i++)
		if (accepted(spec, &docs[i]))
			longopts[n++] = docs[i].opt;
	memset(&longopts[n], 0, sizeof longopts[n]);

	struct wb_options o = spec->defaults;
	struct explicit_set set = { 0 };
	opterr = 0;	/* we print our own, one-line messages */
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_URL: o.url = optarg; check_url(spec, optarg); break;
		case OPT_REQUESTS:
			o.requests = parse_int(spec, "requests", optarg, 1, MAX_REQUESTS);
			set.requests = 1;
			break;
		case OPT_DELAY:
			o.delay = parse_double(spec, "delay", optarg, 0, MAX_DELAY_S);
			set.delay = 1;
			break;
		case OPT_TASKS:
			o.tasks = parse_int(spec, "tasks", optarg, 1, MAX_TASKS);
			set.tasks = 1;
			break;
		case OPT_WORKERS:
			o.workers = parse_int(spec, "workers", optarg, 1, MAX_WORKERS);
			set.workers = 1;
			break;
		case OPT_REPEAT:
			o.repeat = parse_int(spec, "repeat", optarg, 1, MAX_REPEAT);
			set.repeat = 1;
			break;
		case OPT_TASK_MS:
			o.task_ms = parse_double(spec, "task-ms", optarg, 0.001, MAX_TASK_MS);
			set.task_ms = 1;
			break;
		case OPT_INTERVAL:
			o.interval_ms = parse_double(spec, "interval", optarg, MIN_INTERVAL_MS,
						     MAX_INTERVAL_MS);
			set.interval_ms = 1;
			break;
		case OPT_QUICK: o.quick = 1; break;
		case OPT_JSON: o.json = optarg; break;
		case OPT_NO_PLOT: o.no_plot = 1; break;
		case OPT_SEED:
			o.seed = (uint64_t)parse_int(spec, "seed", optarg, 0, 2147483647);
			break;
		case OPT_PRESENT: o.present = 1; break;
		case OPT_NO_PAUSE: o.present = 1; o.no_pause = 1; break;
		case OPT_HELP: print_help(spec, &spec->defaults); exit(0);
		case ':':
			usage_error(spec, "%s needs a value", argv[optind - 1]);
		default:
			usage_error(spec, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error(spec, "unexpected argument '%s'", argv[optind]);

	if (o.quick) {
		if (!set.requests) o.requests = spec->quick.requests;
		if (!set.delay) o.delay = spec->quick.delay;
		if (!set.tasks) o.tasks = spec->quick.tasks;
		if (!set.workers) o.workers = spec->quick.workers;
		if (!set.repeat) o.repeat = spec->quick.repeat;
		if (!set.task_ms) o.task_ms = spec->quick.task_ms;
		if (!set.interval_ms) o.interval_ms = spec->quick.interval_ms;
	}
	*out = o;
}

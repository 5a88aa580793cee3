/*
 * transfers.c - lab 7's given code: one easy handle per transfer, what a
 * finished transfer records, and the CPU jobs of 7.4.  Linked into the lab,
 * the solution and the checker alike.
 */
#include "exercises.h"

#include "checked.h"
#include "cpuwork.h"
#include "http.h"
#include "timing.h"

#include <unistd.h>

static const char *const outcome_names[OUTCOME_COUNT] = {
	"not reported", "ok", "http error", "timeout", "refused", "other error",
};

const char *outcome_name(enum outcome o)
{
	return o >= 0 && o < OUTCOME_COUNT ? outcome_names[o] : "?";
}

/* The body is counted and dropped: the lab measures the waiting, not the bytes. */
static size_t drop_body(char *data, size_t size, size_t count, void *arg)
{
	(void)data;
	(void)arg;
	return size * count;
}

#define SETOPT(e, opt, val) do {                                              \
	CURLcode rc_ = curl_easy_setopt((e), (opt), (val));                   \
	if (rc_ != CURLE_OK)                                                  \
		DIE("curl_easy_setopt(%s): %s", #opt, curl_easy_strerror(rc_)); \
} while (0)

CURL *transfer_handle(struct transfer *t)
{
	wb_http_init();
	CURL *e = curl_easy_init();
	if (!e)
		DIE("curl_easy_init failed");
	long timeout_ms = t->timeout_ms > 0 ? t->timeout_ms : (long)(REQUEST_TIMEOUT_S * 1000);
	SETOPT(e, CURLOPT_URL, t->url);
	/* No signal for timeouts: with 10,000 handles, each would install
	 * SIGALRM handlers (curl #10743), and signals do not mix with threads. */
	SETOPT(e, CURLOPT_NOSIGNAL, 1L);
	SETOPT(e, CURLOPT_WRITEFUNCTION, drop_body);
	/* The lab's replies are small: a 1 KiB buffer instead of 16 KiB saves
	 * memory per transfer (curl allocates it for each easy handle). */
	SETOPT(e, CURLOPT_BUFFERSIZE, 1024L);
	SETOPT(e, CURLOPT_PRIVATE, (void *)t);
	SETOPT(e, CURLOPT_FRESH_CONNECT, 1L);
	SETOPT(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 5000 ? timeout_ms : 5000L);
	t->started_s = wb_now();
	return e;
}

void transfer_done(struct transfer *t, CURL *e, CURLcode result)
{
	t->result = result;
	t->status = 0;
	if (e && curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &t->status) != CURLE_OK)
		t->status = 0;
	t->ended_s = wb_now();
	t->reports++;
}

void cpu_job_run(struct cpu_job *j)
{
	j->ran_on = gettid();
	j->result = wb_cpu_sum(0, j->items);
}

void cpu_job_finish(struct cpu_job *j)
{
	j->finished_on = gettid();
	j->finished++;
}

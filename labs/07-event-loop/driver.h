/* driver.h - what lab 7's driver files share (main.c, driver_*.c). */
#ifndef LAB7_DRIVER_H
#define LAB7_DRIVER_H

#include "exercises.h"

/* The other models of the three-way table: each fetches n URLs and fills
 * t[i].result/status/reports; 0, or -1 if it could not start its workers. */
int model_sequential(struct transfer *t, int n);
int model_threads(struct transfer *t, int n);          /* a thread per request */
int model_thread_pool(struct transfer *t, int n, int workers);
int model_processes(struct transfer *t, int n, int workers);  /* a process per worker, results by pipe */

/* Classify a transfer as 7.3 does (for the models that are not 7.3's). */
enum outcome driver_classify(const struct transfer *t);

/* A server child: 7.5's event server (threaded = 0) or the driver's
 * thread-per-connection server (1).  Returns its pid; *port its port;
 * -1 (and WB_NOT_DONE in *status) when 7.5 is not done. */
pid_t echo_server_child(int threaded, int *port, int *status);

/* n clients connect to port, all stay connected; each sends one line at
 * once, and its round trip goes to rtt_s[i].  Returns how many answered
 * right.  Calls between(arg) while every client is connected. */
int echo_clients(int port, int n, double *rtt_s, void (*between)(void *arg), void *arg);

/* What an idle thread / forked child costs, per task (7.6's reader). */
int memory_of_threads(int n, double *kib_per_task, double *kstack_kib);
int memory_of_children(int n, double *uss_kib, double *pss_kib, double *rss_kib);

#endif

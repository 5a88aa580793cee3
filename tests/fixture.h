/*
 * tests/fixture.h - what the server's test suites share (test_server.c,
 * test_faults.c): the program to start, and raw sockets for what libcurl
 * would hide or refuse to send.
 */
#ifndef WB_TEST_FIXTURE_H
#define WB_TEST_FIXTURE_H

#include <stddef.h>

/* The same program wb_server_url() runs: $LABSERVER, or the one beside us. */
void labserver_path(char *path, size_t cap);

/* A TCP connection to 127.0.0.1:port (dies if it cannot be made). */
int connect_to(int port);

/* Send all len bytes (dies on an error). */
void send_all(int fd, const char *data, size_t len);

#endif

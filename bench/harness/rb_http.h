/* rb_http.h: http_hello -- start a runtime's responder, load it with wrk, read req/s and p99. */
#ifndef RB_HTTP_H
#define RB_HTTP_H

#include <stddef.h>

#include "rb_env.h"
#include "rb_plan.h"
#include "rb_runner.h"

/*
 * One repetition: start the responder with port=0, wait for its `ready port=N` line, run
 * `wrk -tT -cC -dSs --latency http://127.0.0.1:N/`, stop the responder with SIGTERM and require
 * its clean `check=ok` exit. The case's params are wrk's (threads, conns, secs). Everything,
 * start-up to stop, fits in `timeout` seconds or the run is an error.
 */
void rb_http_run(const rb_env *e, const rb_case *c, double timeout, rb_run *out);

/*
 * Read wrk's report: Requests/sec and the 99% line of its latency distribution (in µs).
 * A run with socket errors, non-2xx replies or no request at all is a failure, since a
 * responder that drops or refuses requests must not get a figure. 0, or -1 with why filled.
 */
int rb_http_parse_wrk(const char *text, double *rps, double *p99_us, char *why, size_t n);

#endif

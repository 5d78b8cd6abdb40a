/* rb_http.c: the http_hello driver -- responder up, wrk against it, responder down, wrk's report read. */
#include "rb_http.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rb_buf.h"
#include "rb_proc.h"

/*
 * The responder gets a duration of its own (wrk's plus this margin) as a safety net: should
 * the harness die between starting it and sending SIGTERM, it still exits by itself.
 */
#define RB__SERVER_MARGIN 15
#define RB__STOP_GRACE 5.0

/* rb__line_after: the text following `key` on the line where it first appears, or NULL. */
static const char *rb__line_after(const char *text, const char *key)
{
    const char *hit = strstr(text, key);
    return hit ? hit + strlen(key) : NULL;
}

/* rb__latency_us: "273.00us", "1.07ms", "2.00s", "1.50m" -> microseconds; NAN if unreadable. */
static double rb__latency_us(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s)
        return NAN;
    if (strncmp(end, "us", 2) == 0)
        return v;
    if (strncmp(end, "ms", 2) == 0)
        return v * 1e3;
    if (*end == 's')
        return v * 1e6;
    if (*end == 'm')
        return v * 60e6;
    return NAN;
}

/* rb_http_parse_wrk: the lines wrk 4 prints with --latency, read by their labels. */
int rb_http_parse_wrk(const char *text, double *rps, double *p99_us, char *why, size_t n)
{
    const char *s;
    if ((s = rb__line_after(text, "Socket errors:")) != NULL) {
        snprintf(why, n, "wrk saw socket errors:%.*s", (int)strcspn(s, "\n"), s);
        return -1;
    }
    if ((s = rb__line_after(text, "Non-2xx or 3xx responses:")) != NULL) {
        snprintf(why, n, "wrk saw non-2xx replies:%.*s", (int)strcspn(s, "\n"), s);
        return -1;
    }
    const char *req = strstr(text, " requests in ");
    if (req == NULL) {
        snprintf(why, n, "wrk printed no request count");
        return -1;
    }
    const char *line = req;
    while (line > text && line[-1] != '\n')
        line--;
    if (strtod(line, NULL) <= 0) {
        snprintf(why, n, "wrk completed no request");
        return -1;
    }
    if ((s = rb__line_after(text, "Requests/sec:")) == NULL) {
        snprintf(why, n, "wrk printed no Requests/sec line");
        return -1;
    }
    *rps = strtod(s, NULL);
    const char *dist = strstr(text, "Latency Distribution");
    const char *p99 = dist ? strstr(dist, " 99%") : NULL;
    if (p99 == NULL) {
        snprintf(why, n, "wrk printed no 99%% latency (was --latency given?)");
        return -1;
    }
    p99 += 4;
    while (*p99 == ' ' || *p99 == '\t')
        p99++;
    *p99_us = rb__latency_us(p99);
    if (!(*rps > 0) || isnan(*p99_us)) {
        snprintf(why, n, "wrk's Requests/sec or 99%% line is unreadable");
        return -1;
    }
    return 0;
}

/* rb__server_gone: the responder ended before (or instead of) serving; read why from it. */
static void rb__server_gone(const rb_case *c, rb_proc *srv, double deadline, double timeout,
                            rb_run *out)
{
    rb_proc_finish(srv, deadline);
    rb_runner_classify(c->w, 0, rb_proc_exit_code(srv), rb_proc_term_signal(srv), srv->timed_out,
                       timeout, rb_buf_str(&srv->out), rb_buf_str(&srv->err), out);
    if (out->status == RB_ST_OK) {
        out->status = RB_ST_ERROR;
        snprintf(out->why, sizeof out->why, "the responder exited before printing ready port=N");
    }
}

/* rb__wrk: run wrk against the port; 0 with the figures, or -1 with out filled in. */
static int rb__wrk(const rb_case *c, int port, double deadline, double timeout, rb_run *out)
{
    char t[16], conns[16], d[16], url[64];
    snprintf(t, sizeof t, "%.0f", rb_plan_param(c->params, "threads"));
    snprintf(conns, sizeof conns, "%.0f", rb_plan_param(c->params, "conns"));
    snprintf(d, sizeof d, "%.0fs", rb_plan_param(c->params, "secs"));
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    char *argv[] = { "wrk", "-t", t, "-c", conns, "-d", d, "--latency", url, NULL };
    rb_proc wrk;
    int rc = rb_proc_spawn(&wrk, argv);
    if (rc != 0) {
        out->status = RB_ST_NOTMEASURED;
        snprintf(out->why, sizeof out->why, "cannot run wrk: %s", strerror(-rc));
        return -1;
    }
    rc = rb_proc_finish(&wrk, deadline);
    char line[300];
    rb_runner_first_line(rb_buf_str(&wrk.err), line, sizeof line);
    out->status = RB_ST_ERROR;
    if (rc != 0)
        snprintf(out->why, sizeof out->why, "timed out after %gs (wrk did not finish)", timeout);
    else if (rb_proc_exit_code(&wrk) != 0)
        snprintf(out->why, sizeof out->why, "wrk failed (exit %d): %s", rb_proc_exit_code(&wrk),
                 line);
    else if (rb_http_parse_wrk(rb_buf_str(&wrk.out), &out->values[0], &out->values[1], out->why,
                               sizeof out->why) == 0)
        out->status = RB_ST_OK;
    rb_proc_free(&wrk);
    return out->status == RB_ST_OK ? 0 : -1;
}

/* rb_http_run: the figures count only if wrk was clean AND the responder then stopped cleanly. */
void rb_http_run(const rb_env *e, const rb_case *c, double timeout, rb_run *out)
{
    double start = rb_now(), deadline = start + timeout;
    if (!e->have_wrk) {
        out->status = RB_ST_NOTMEASURED;
        snprintf(out->why, sizeof out->why, "wrk not found (Debian package wrk; make deps)");
        return;
    }
    char duration[32];
    snprintf(duration, sizeof duration, "duration=%.0f",
             rb_plan_param(c->params, "secs") + RB__SERVER_MARGIN);
    const char *extra[] = { "port=0", duration, NULL };
    char storage[2048], *argv[RB_MAX_ARGS];
    if (rb_runner_argv(e, c, extra, storage, sizeof storage, argv) < 0) {
        out->status = RB_ST_ERROR;
        snprintf(out->why, sizeof out->why, "command line too long");
        return;
    }
    rb_proc srv;
    int rc = rb_proc_spawn(&srv, argv);
    if (rc != 0) {
        out->status = RB_ST_NOTMEASURED;
        snprintf(out->why, sizeof out->why, "cannot run %s: %s", argv[0], strerror(-rc));
        return;
    }
    rc = rb_proc_wait_line(&srv, "ready port=", deadline);
    if (rc != 1) {
        rb__server_gone(c, &srv, deadline, timeout, out);
        rb_proc_free(&srv);
        return;
    }
    const char *ready = strstr(rb_buf_str(&srv.out), "ready port=");
    int port = atoi(ready + 11);
    double rps = NAN, p99 = NAN;
    if (port <= 0 || port > 65535) {
        out->status = RB_ST_ERROR;
        snprintf(out->why, sizeof out->why, "protocol: bad ready line (port %d)", port);
    } else if (rb__wrk(c, port, deadline, timeout, out) == 0) {
        rps = out->values[0];
        p99 = out->values[1];
    }
    rb_status wrk_status = out->status;
    char wrk_why[sizeof out->why];
    memcpy(wrk_why, out->why, sizeof wrk_why);
    rb_proc_signal(&srv, SIGTERM);
    double stop_by = rb_now() + RB__STOP_GRACE < deadline ? rb_now() + RB__STOP_GRACE : deadline;
    rb_proc_finish(&srv, stop_by);
    rb_runner_classify(c->w, 0, rb_proc_exit_code(&srv), rb_proc_term_signal(&srv),
                       srv.timed_out, timeout, rb_buf_str(&srv.out), rb_buf_str(&srv.err), out);
    if (srv.timed_out)
        snprintf(out->why, sizeof out->why, "the responder did not stop within %gs of SIGTERM",
                 RB__STOP_GRACE);
    rb_proc_free(&srv);
    if (out->status != RB_ST_OK) {
        /* The responder failed (crashed, or did not stop cleanly): that is the cause, and any
         * complaint of wrk's (socket errors, say) is its consequence, kept as a detail. */
        if (wrk_status != RB_ST_OK) {
            size_t used = strlen(out->why);
            rb_snprintf(out->why + used, sizeof out->why - used, "; wrk: %s", wrk_why);
        }
        return;
    }
    if (wrk_status != RB_ST_OK) {
        out->status = wrk_status;
        memcpy(out->why, wrk_why, sizeof out->why);
        return;
    }
    out->values[0] = rps;
    out->values[1] = p99;
}

/* rb_runner.c: one repetition of a case, and reading the protocol an rtb-* executable speaks. */
#include "rb_runner.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rb_http.h"
#include "rb_proc.h"

/* rb__push: append one string to the storage and argv; -1 when either is full. */
static int rb__push(char **cursor, char *end, char *argv[RB_MAX_ARGS], int *argc, const char *s,
                    size_t len)
{
    if (*argc >= RB_MAX_ARGS - 1 || (size_t)(end - *cursor) < len + 1)
        return -1;
    memcpy(*cursor, s, len);
    (*cursor)[len] = '\0';
    argv[(*argc)++] = *cursor;
    *cursor += len + 1;
    return 0;
}

/* rb_runner_argv: the flags come before the key=value pairs, as the protocol's usage line shows. */
int rb_runner_argv(const rb_env *e, const rb_case *c, const char *const *extra, char *storage,
                   size_t storage_len, char *argv[RB_MAX_ARGS])
{
    char *cur = storage, *end = storage + storage_len;
    int argc = 0;
    char path[PATH_MAX + 64], workers[16];
    rb_env_exe_path(e, c->rt, path, sizeof path);
    snprintf(workers, sizeof workers, "%d", e->workers);
    if (rb__push(&cur, end, argv, &argc, path, strlen(path)) ||
        rb__push(&cur, end, argv, &argc, c->w->name, strlen(c->w->name)))
        return -1;
    if (c->rt->flavor && (rb__push(&cur, end, argv, &argc, "--flavor", 8) ||
                          rb__push(&cur, end, argv, &argc, c->rt->flavor, strlen(c->rt->flavor))))
        return -1;
    if (c->rt->multi && (rb__push(&cur, end, argv, &argc, "--workers", 9) ||
                         rb__push(&cur, end, argv, &argc, workers, strlen(workers))))
        return -1;
    const char *s = extra ? NULL : c->params;
    for (const char *const *x = extra; x && *x; x++)
        if (rb__push(&cur, end, argv, &argc, *x, strlen(*x)))
            return -1;
    while (s && *s) {
        while (*s == ' ')
            s++;
        size_t len = strcspn(s, " ");
        if (len > 0 && rb__push(&cur, end, argv, &argc, s, len))
            return -1;
        s += len;
    }
    argv[argc] = NULL;
    return argc;
}

/* rb_runner_first_line: skip blank lines; a failing program says what matters first. */
void rb_runner_first_line(const char *text, char *out, size_t n)
{
    out[0] = '\0';
    while (*text) {
        size_t len = strcspn(text, "\n");
        const char *s = text;
        while (len > 0 && (*s == ' ' || *s == '\t' || *s == '\r'))
            s++, len--;
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\r'))
            len--;
        if (len > 0) {
            snprintf(out, n, "%.*s", (int)(len < 300 ? len : 300), s);
            return;
        }
        text += strcspn(text, "\n");
        if (*text == '\n')
            text++;
    }
}

/* rb__parse_metric: "metric=NAME unit=UNIT value=NUM" into its parts; 0, or -1 if malformed. */
static int rb__parse_metric(const char *line, size_t len, char *name, char *unit, double *value)
{
    char tmp[256], vtext[64];
    if (len >= sizeof tmp)
        return -1;
    memcpy(tmp, line, len);
    tmp[len] = '\0';
    if (sscanf(tmp, "metric=%63s unit=%63s value=%63s", name, unit, vtext) != 3)
        return -1;
    char *endp;
    errno = 0;
    *value = strtod(vtext, &endp);
    if (errno != 0 || *endp != '\0' || !isfinite(*value))
        return -1;
    return 0;
}

/* rb__set: fill the outcome's status and reason. */
__attribute__((format(printf, 3, 4))) static void rb__set(rb_run *out, rb_status st,
                                                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    out->status = st;
    vsnprintf(out->why, sizeof out->why, fmt, ap);
    va_end(ap);
}

/* rb__classify_ok: exit 0 -- every metric exactly once with the table's unit, then check=ok. */
static void rb__classify_ok(const rb_workload *w, int expect_metrics, const char *text, rb_run *out)
{
    int seen[RB_MAX_METRICS] = { 0 }, check_ok = 0;
    char name[64], unit[64], shown[96];
    for (; *text; text += *text == '\n') {
        size_t len = strcspn(text, "\n");
        const char *line = text;
        text += len;
        snprintf(shown, sizeof shown, "%.*s", (int)(len < 80 ? len : 80), line);
        if (len == 0)
            continue; /* a blank line carries nothing */
        if (strncmp(line, "metric=", 7) == 0) {
            double v;
            int m = -1;
            if (rb__parse_metric(line, len, name, unit, &v) != 0) {
                rb__set(out, RB_ST_ERROR, "protocol: malformed metric line '%s'", shown);
                return;
            }
            if (expect_metrics)
                m = rb_metric_index(w, name);
            if (m < 0) {
                rb__set(out, RB_ST_ERROR, "protocol: unexpected metric '%s'", name);
                return;
            }
            if (strcmp(unit, w->metrics[m].unit) != 0) {
                rb__set(out, RB_ST_ERROR, "protocol: metric %s in unit '%s', expected %s", name,
                        unit, w->metrics[m].unit);
                return;
            }
            if (seen[m]++) {
                rb__set(out, RB_ST_ERROR, "protocol: metric %s printed twice", name);
                return;
            }
            out->values[m] = v;
        } else if (len == 8 && strncmp(line, "check=ok", 8) == 0) {
            check_ok = 1;
        } else if (expect_metrics || strncmp(line, "ready port=", 11) != 0) {
            rb__set(out, RB_ST_ERROR, "protocol: unexpected stdout line '%s'", shown);
            return;
        }
    }
    if (!check_ok) {
        rb__set(out, RB_ST_ERROR, "protocol: exit 0 without check=ok");
        return;
    }
    for (int m = 0; expect_metrics && m < w->nmetrics; m++)
        if (!seen[m]) {
            rb__set(out, RB_ST_ERROR, "protocol: metric %s missing", w->metrics[m].name);
            return;
        }
    out->status = RB_ST_OK;
    out->why[0] = '\0';
}

/* rb__find_line: the text after `prefix` on the first stdout line that starts with it, or NULL. */
static const char *rb__find_line(const char *text, const char *prefix, char *out, size_t n)
{
    size_t plen = strlen(prefix);
    while (*text) {
        size_t len = strcspn(text, "\n");
        if (len >= plen && strncmp(text, prefix, plen) == 0) {
            snprintf(out, n, "%.*s", (int)(len - plen), text + plen);
            return out;
        }
        text += len;
        if (*text == '\n')
            text++;
    }
    return NULL;
}

/* rb_runner_classify: the exit-code table of WORKLOADS.md, with the harness's own cases on top. */
void rb_runner_classify(const rb_workload *w, int expect_metrics, int exit_code, int sig,
                        int timed_out, double timeout, const char *out_text,
                        const char *err_text, rb_run *out)
{
    char line[400], msg[480];
    rb_runner_first_line(err_text, line, sizeof line);
    if (timed_out)
        rb__set(out, RB_ST_ERROR, "timed out after %gs (process group killed)", timeout);
    else if (exit_code < 0)
        rb__set(out, RB_ST_ERROR, "killed by signal %d (%s)%s%s", sig, strsignal(sig),
                line[0] ? ": " : "", line);
    else if (exit_code == 0)
        rb__classify_ok(w, expect_metrics, out_text, out);
    else if (exit_code == 1 && rb__find_line(out_text, "check=fail", msg, sizeof msg))
        rb__set(out, RB_ST_ERROR, "%s",
                msg[0] == ' ' && msg[1] ? msg + 1 : "check=fail without a reason");
    else if (exit_code == 1)
        rb__set(out, RB_ST_ERROR, "exit 1 without a check=fail line: %s", line);
    else if (exit_code == 2)
        rb__set(out, RB_ST_ERROR, "bad invocation (exit 2): %s", line);
    else if (exit_code == 3 && rb__find_line(out_text, "unsupported: ", msg, sizeof msg))
        rb__set(out, RB_ST_NOEQUIV, "%s", msg);
    else if (exit_code == 3)
        rb__set(out, RB_ST_NOEQUIV, "the executable gave no reason");
    else
        rb__set(out, RB_ST_ERROR, "exit %d: %s", exit_code, line[0] ? line : "(no message)");
}

/* rb_runner_run: spawn, wait with the limit, classify; the wall time covers the whole process. */
void rb_runner_run(const rb_env *e, const rb_case *c, double timeout, rb_run *out)
{
    memset(out, 0, sizeof *out);
    for (int m = 0; m < RB_MAX_METRICS; m++)
        out->values[m] = NAN;
    double start = rb_now();
    if (rb_workload_is_http(c->w)) {
        rb_http_run(e, c, timeout, out);
        out->seconds = rb_now() - start;
        return;
    }
    char storage[2048], *argv[RB_MAX_ARGS];
    if (rb_runner_argv(e, c, NULL, storage, sizeof storage, argv) < 0) {
        rb__set(out, RB_ST_ERROR, "command line too long");
        return;
    }
    rb_proc p;
    int rc = rb_proc_spawn(&p, argv);
    if (rc != 0) {
        rb__set(out, RB_ST_NOTMEASURED, "cannot run %s: %s", argv[0], strerror(-rc));
        return;
    }
    rb_proc_finish(&p, start + timeout);
    rb_runner_classify(c->w, 1, rb_proc_exit_code(&p), rb_proc_term_signal(&p), p.timed_out,
                       timeout, rb_buf_str(&p.out), rb_buf_str(&p.err), out);
    rb_proc_free(&p);
    out->seconds = rb_now() - start;
}

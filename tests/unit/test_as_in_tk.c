/* test_as_in_tk.c: an as future awaited inside a tk runtime works -- the global reactor is why. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "as.h"
#include "rt_async.h"
#include "rt_clock.h"
#include "rt_testkit.h"
#include "tk_runtime.h"

/*
 * The brief's "mixing runtimes" claim, as a test: a tk leaf future outside tk panics (see
 * test_tk_errors.c), but an as future needs no context -- its reactor is global, driven by the
 * as-io thread -- so it completes inside a tk runtime of either flavour.
 */

/* An async fn that sleeps on the as reactor, then echoes through an as socketpair. */
typedef struct mixed {
    rt_future base;
    rt_async co;
    as_sleep_fut sleep;
    as_io *a, *b;
    as_write_all_fut w;
    as_read_exact_fut r;
    char out[4], in[4];
    int ok;
} mixed;

static rt_poll mixed_poll(rt_future *f, rt_context *cx)
{
    mixed *m = (mixed *)f;
    RT_BEGIN(&m->co);
    m->sleep = as_sleep(20);
    RT_AWAIT(&m->co, &m->sleep, cx);
    ck_assert_int_eq(as_unix_pair(&m->a, &m->b), 0);
    memcpy(m->out, "ping", 4);
    m->w = as_write_all(m->a, m->out, 4);
    RT_AWAIT(&m->co, &m->w, cx);
    ck_assert_int_eq(m->w.err, 0);
    m->r = as_read_exact(m->b, m->in, 4);
    RT_AWAIT(&m->co, &m->r, cx);
    ck_assert_int_eq(m->r.err, 0);
    m->ok = memcmp(m->in, "ping", 4) == 0;
    as_io_close(m->a);
    as_io_close(m->b);
    RT_END(&m->co);
}

static const rt_future_vtable mixed_vtable = { mixed_poll, NULL, "mixed" };

/* thread_named: a thread of this process has the given name (from /proc/self/task). */
static int thread_named(const char *want)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int found = 0;
    while (d && (e = readdir(d)) != NULL) {
        char path[300], name[64] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(name, sizeof name, f)) {
            name[strcspn(name, "\n")] = '\0';
            if (strcmp(name, want) == 0)
                found = 1;
        }
        fclose(f);
    }
    if (d)
        closedir(d);
    return found;
}

START_TEST(test_as_future_inside_tk)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_builder b = flavor == 0 ? tk_builder_new_current_thread() : tk_builder_new_multi_thread();
        tk_builder_enable_all(&b);
        if (flavor)
            tk_builder_worker_threads(&b, 2);
        tk_runtime *rt = NULL;
        ck_assert_int_eq(tk_builder_build(&b, &rt), 0);
        mixed m;
        memset(&m, 0, sizeof m);
        m.base.vtable = &mixed_vtable;
        uint64_t t0 = rt_monotonic_ns();
        tk_runtime_block_on(rt, &m.base);
        ck_assert_uint_ge(rt_monotonic_ns() - t0, 20 * 1000000u); /* never early */
        ck_assert_int_eq(m.ok, 1);
        /* What made it work: the as runtime started its own reactor thread on first use. */
        ck_assert(thread_named("as-io"));
        tk_runtime_free(rt);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("as_in_tk");
    TCase *tc = tcase_create("mixing");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_as_future_inside_tk);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}

/* test_as_runtime.c: the global runtime -- lazy start, AS_THREAD_COUNT, thread names, as_block_on, works-anywhere, nesting. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "as.h"
#include "rt_block_on.h"
#include "rt_testkit.h"

/* Each test is a fresh forked process, so setting AS_THREAD_COUNT before the first as_ call
 * configures that test's runtime. */

static pid_t gettid_(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* capture_stderr: send fd 2 to a temporary file; returns the file's fd for read_capture. */
static int capture_stderr(void)
{
    FILE *tmp = tmpfile(); /* kept open until the test process exits */
    ck_assert_ptr_nonnull(tmp);
    int fd = fileno(tmp);
    fflush(stderr);
    ck_assert_int_ge(dup2(fd, 2), 0);
    return fd;
}

/* read_capture: everything written to the captured stderr so far. */
static void read_capture(int fd, char *buf, size_t size)
{
    fflush(stderr);
    ssize_t n = pread(fd, buf, size - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
}

/* count_threads_named: threads of this process whose name starts with prefix. */
static int count_threads_named(const char *prefix)
{
    DIR *d = opendir("/proc/self/task");
    ck_assert_ptr_nonnull(d);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], name[32] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        if (fgets(name, sizeof name, f) && strncmp(name, prefix, strlen(prefix)) == 0)
            count++;
        fclose(f);
    }
    closedir(d);
    return count;
}

START_TEST(test_thread_count_from_env_and_names)
{
    setenv("AS_THREAD_COUNT", "3", 1);
    ck_assert_int_eq(as_runtime_is_started(), 0);
    ck_assert_uint_eq(as_thread_count(), 3);
    ck_assert_int_eq(as_runtime_is_started(), 1);
    ck_assert_int_eq(count_threads_named("as-worker-"), 3);
    ck_assert_int_eq(count_threads_named("as-io"), 1);
    rt_runtime_metrics m;
    ck_assert_int_eq(as_metrics(&m), 0);
    ck_assert_uint_eq(m.workers, 3);
}
END_TEST

/* check_bad_value: an invalid AS_THREAD_COUNT falls back to the CPU count, with one line. */
static void check_bad_value(const char *value)
{
    setenv("AS_THREAD_COUNT", value, 1);
    int fd = capture_stderr();
    unsigned n = as_thread_count();
    char buf[512];
    read_capture(fd, buf, sizeof buf);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    ck_assert_uint_ge(n, 1);
    ck_assert_uint_le(n, (unsigned)(cpus > 0 ? cpus : 1));
    char expect[128];
    snprintf(expect, sizeof expect, "AS_THREAD_COUNT=\"%s\"", value);
    ck_assert_msg(strstr(buf, expect) != NULL, "warning missing: %s", buf);
    snprintf(expect, sizeof expect, "using %u\n", n);
    ck_assert_msg(strstr(buf, expect) != NULL, "warning does not name the count used: %s", buf);
    ck_assert_ptr_eq(strchr(buf, '\n'), strrchr(buf, '\n')); /* one line */
}

START_TEST(test_bad_thread_count_words)
{
    check_bad_value("lots");
}
END_TEST

START_TEST(test_bad_thread_count_zero)
{
    check_bad_value("0");
}
END_TEST

START_TEST(test_bad_thread_count_negative)
{
    check_bad_value("-2");
}
END_TEST

START_TEST(test_bad_thread_count_huge)
{
    check_bad_value("100000");
}
END_TEST

/* ---- block_on ---------------------------------------------------------------------------- */

/* naps: sleeps `count` times for `ms`; records on which thread each timer wake arrived by
 * polling its sleep through a waker that notes the waking thread. */
typedef struct naps {
    rt_future base;
    rt_async co;
    int count, i, ms;
    as_sleep_fut nap;
    uint64_t started_ns, finished_ns;
} naps;

static rt_poll naps_poll(rt_future *f, rt_context *cx)
{
    naps *self = (naps *)f;
    RT_BEGIN(&self->co);
    self->started_ns = as_now_ns();
    for (self->i = 0; self->i < self->count; self->i++) {
        self->nap = as_sleep((uint64_t)self->ms);
        RT_AWAIT(&self->co, &self->nap, cx);
    }
    self->finished_ns = as_now_ns();
    RT_END(&self->co);
}

static const rt_future_vtable naps_vtable = { naps_poll, NULL, "naps" };

START_TEST(test_block_on_sleep_not_early)
{
    naps n = { .base = { &naps_vtable }, .count = 5, .ms = 20 };
    as_block_on(&n.base);
    ck_assert_uint_ge(n.finished_ns - n.started_ns, 5 * 20 * 1000000ull);
    ck_assert_uint_lt(n.finished_ns - n.started_ns, 5000 * 1000000ull); /* hang guard only */
}
END_TEST

/* A waker wrapper: forwards to the real waker, noting the thread of every wake. */
typedef struct spy {
    rt_waker inner;
    pid_t waker_tid;
    _Atomic int wakes_on_owner, wakes;
} spy;

static rt_waker spy_clone(const void *data);
static void spy_wake_by_ref(const void *data)
{
    spy *s = (spy *)data;
    atomic_fetch_add(&s->wakes, 1);
    if (gettid_() == s->waker_tid)
        atomic_fetch_add(&s->wakes_on_owner, 1);
    rt_waker_wake_by_ref(&s->inner);
}
static void spy_nothing(const void *data)
{
    (void)data;
}
static void spy_wake(const void *data)
{
    spy_wake_by_ref(data);
}
static const rt_waker_vtable spy_vtable = { spy_clone, spy_wake, spy_wake_by_ref, spy_nothing };
static rt_waker spy_clone(const void *data)
{
    return (rt_waker){ &spy_vtable, data };
}

/* spied_naps: like naps, but polls each sleep with the spy waker. */
typedef struct spied_naps {
    rt_future base;
    spy *s;
    int left, ms, armed;
    as_sleep_fut nap;
} spied_naps;

static rt_poll spied_poll(rt_future *f, rt_context *cx)
{
    spied_naps *self = (spied_naps *)f;
    rt_waker_replace(&self->s->inner, cx->waker);
    rt_waker w = { &spy_vtable, self->s };
    rt_context inner = { &w };
    while (self->left > 0) {
        if (!self->armed) {
            self->nap = as_sleep((uint64_t)self->ms);
            self->armed = 1;
        }
        if (rt_future_poll(&self->nap.base, &inner) == RT_PENDING)
            return RT_PENDING;
        self->armed = 0;
        /* Stop early once the point is made. */
        self->left = atomic_load(&self->s->wakes_on_owner) > 0 ? 0 : self->left - 1;
    }
    rt_waker_drop(&self->s->inner);
    return RT_READY;
}

static const rt_future_vtable spied_vtable = { spied_poll, NULL, "spied_naps" };

/* spinner: keeps a worker busy (yielding, so never idle) until *stop is set. */
typedef struct spinner {
    rt_future base;
    _Atomic int *stop;
} spinner;

static rt_poll spinner_poll(rt_future *f, rt_context *cx)
{
    spinner *sp = (spinner *)f;
    if (atomic_load(sp->stop))
        return RT_READY;
    rt_waker_wake_by_ref(cx->waker);
    return RT_PENDING;
}

static const rt_future_vtable spinner_vtable = { spinner_poll, NULL, "spinner" };

START_TEST(test_block_on_drives_the_reactor_itself)
{
    /* While idle, as_block_on takes the reactor when it is free and waits in the poller
     * itself, so some of its timers fire on its own thread. Idle workers would compete for
     * the reactor too, so keep every worker busy; then only the as-io thread competes, any
     * single sleep may go either way, and over many ours must win some. */
    setenv("AS_THREAD_COUNT", "2", 1);
    _Atomic int stop = 0;
    as_task spin[2];
    for (int i = 0; i < 2; i++) {
        spinner sp = { .base = { &spinner_vtable }, .stop = &stop };
        ck_assert_int_eq(AS_SPAWN(sp, &spin[i]), 0);
    }
    spy s = { .waker_tid = gettid_() };
    spied_naps n = { .base = { &spied_vtable }, .s = &s, .left = 400, .ms = 2 };
    as_block_on(&n.base);
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++) {
        as_block_on(as_task_join(&spin[i]));
        as_task_detach(&spin[i]);
    }
    ck_assert_int_gt(atomic_load(&s.wakes), 0);
    ck_assert_int_gt(atomic_load(&s.wakes_on_owner), 0);
}
END_TEST

/* A future woken only by another plain thread: as_block_on must park and be unparked. */
typedef struct remote {
    rt_future base;
    int started;
    _Atomic int fired;
    pthread_t thread;
    rt_waker waker;
} remote;

static void *remote_main(void *arg)
{
    remote *r = arg;
    usleep(20000);
    atomic_store(&r->fired, 1);
    rt_waker_wake(&r->waker);
    return NULL;
}

static rt_poll remote_poll(rt_future *f, rt_context *cx)
{
    remote *r = (remote *)f;
    if (!r->started) {
        r->started = 1;
        r->waker = rt_waker_clone(cx->waker);
        ck_assert_int_eq(pthread_create(&r->thread, NULL, remote_main, r), 0);
        return RT_PENDING;
    }
    if (!atomic_load(&r->fired))
        return RT_PENDING;
    pthread_join(r->thread, NULL);
    return RT_READY;
}

static const rt_future_vtable remote_vtable = { remote_poll, NULL, "remote" };

START_TEST(test_block_on_woken_from_plain_thread)
{
    for (int i = 0; i < 20; i++) {
        remote r = { .base = { &remote_vtable } };
        as_block_on(&r.base);
        ck_assert_int_eq(atomic_load(&r.fired), 1);
    }
}
END_TEST

START_TEST(test_as_sleep_under_core_rt_block_on)
{
    /* The reactor is global: an as sleep works under the core's reactor-less executor. */
    ck_assert_int_eq(as_runtime_is_started(), 0);
    naps n = { .base = { &naps_vtable }, .count = 3, .ms = 30 };
    rt_block_on(&n.base);
    ck_assert_uint_ge(n.finished_ns - n.started_ns, 90 * 1000000ull);
    ck_assert_int_eq(as_runtime_is_started(), 1); /* the first poll started it */
}
END_TEST

/* io_under_rt: a socketpair round trip, awaited under the core's rt_block_on. */
typedef struct io_under_rt {
    rt_future base;
    rt_async co;
    as_io *a, *b;
    as_write_all_fut w;
    as_read_exact_fut r;
    char buf[5];
} io_under_rt;

static rt_poll io_under_rt_poll(rt_future *f, rt_context *cx)
{
    io_under_rt *self = (io_under_rt *)f;
    RT_BEGIN(&self->co);
    self->r = as_read_exact(self->b, self->buf, 5);
    /* Poll the read first, so it really waits on the reactor, then write. */
    if (rt_future_poll(&self->r.base, cx) == RT_READY)
        rt_panic("read finished before anything was written");
    self->w = as_write_all(self->a, "hello", 5);
    RT_AWAIT(&self->co, &self->w, cx);
    RT_AWAIT(&self->co, &self->r, cx);
    RT_END(&self->co);
}

static const rt_future_vtable io_under_rt_vtable = { io_under_rt_poll, NULL, "io_under_rt" };

START_TEST(test_as_socket_under_core_rt_block_on)
{
    io_under_rt t = { .base = { &io_under_rt_vtable } };
    ck_assert_int_eq(as_unix_pair(&t.a, &t.b), 0);
    rt_block_on(&t.base);
    ck_assert_int_eq(t.r.result, 5);
    ck_assert_mem_eq(t.buf, "hello", 5);
    as_io_close(t.a);
    as_io_close(t.b);
}
END_TEST

/* inner_block_on: a future whose poll runs a nested as_block_on. */
typedef struct inner_block_on {
    rt_future base;
    uint64_t slept_ns;
} inner_block_on;

static rt_poll inner_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    naps n = { .base = { &naps_vtable }, .count = 2, .ms = 10 };
    as_block_on(&n.base);
    ((inner_block_on *)f)->slept_ns = n.finished_ns - n.started_ns;
    return RT_READY;
}

static const rt_future_vtable inner_vtable = { inner_poll, NULL, "inner" };

START_TEST(test_nested_block_on_works_and_says_so_once)
{
    int fd = capture_stderr();
    for (int i = 0; i < 3; i++) {
        inner_block_on outer = { .base = { &inner_vtable } };
        as_block_on(&outer.base);
        ck_assert_uint_ge(outer.slept_ns, 20 * 1000000ull);
    }
    char buf[1024];
    read_capture(fd, buf, sizeof buf);
    ck_assert_msg(strstr(buf, "as_block_on called inside another as_block_on") != NULL,
                  "no note: %s", buf);
    ck_assert_ptr_eq(strchr(buf, '\n'), strrchr(buf, '\n')); /* once */
}
END_TEST

/* panicky_main: panics in the main future, outside any task: Rust's message, exit 101. */
static rt_poll panicky_poll(rt_future *f, rt_context *cx)
{
    (void)f;
    (void)cx;
    rt_panic("main future gave up");
}

static const rt_future_vtable panicky_vtable = { panicky_poll, NULL, "panicky" };

START_TEST(test_panic_in_block_on_exits_101)
{
    rt_future f = { &panicky_vtable };
    as_block_on(&f);
}
END_TEST

static void *block_on_thread(void *arg)
{
    as_block_on(arg);
    return NULL;
}

START_TEST(test_many_block_on_threads)
{
    /* Several plain threads, each in its own as_block_on, all competing for the reactor. */
    enum { T = 6 };
    pthread_t th[T];
    static naps ns[T];
    for (int i = 0; i < T; i++) {
        ns[i] = (naps){ .base = { &naps_vtable }, .count = 10, .ms = 3 + i };
        ck_assert_int_eq(pthread_create(&th[i], NULL, block_on_thread, &ns[i].base), 0);
    }
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        ck_assert_uint_ge(ns[i].finished_ns - ns[i].started_ns, 10ull * (3 + i) * 1000000);
    }
}
END_TEST

static Suite *as_runtime_suite(void)
{
    Suite *s = suite_create("as_runtime");
    TCase *tc = tcase_create("runtime");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_thread_count_from_env_and_names);
    tcase_add_test(tc, test_bad_thread_count_words);
    tcase_add_test(tc, test_bad_thread_count_zero);
    tcase_add_test(tc, test_bad_thread_count_negative);
    tcase_add_test(tc, test_bad_thread_count_huge);
    tcase_add_test(tc, test_block_on_sleep_not_early);
    tcase_add_test(tc, test_block_on_drives_the_reactor_itself);
    tcase_add_test(tc, test_block_on_woken_from_plain_thread);
    tcase_add_test(tc, test_as_sleep_under_core_rt_block_on);
    tcase_add_test(tc, test_as_socket_under_core_rt_block_on);
    tcase_add_test(tc, test_nested_block_on_works_and_says_so_once);
    tcase_add_exit_test(tc, test_panic_in_block_on_exits_101, 101);
    tcase_add_test(tc, test_many_block_on_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_suite_run(as_runtime_suite());
}

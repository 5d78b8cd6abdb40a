/* grade.c: lesson 04's grader -- block_on polls once per wake, sleeps between, loses no wake, and refuses to nest. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"
#include "rt_panic.h"
#include "../03-wakers/thread_sleep.h"

/* A future that is ready at once, with an output. */
typedef struct answer {
    rt_future base;
    int value;
} answer;

/* answer_poll: the output is written, and that is all. */
static rt_poll answer_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    ((answer *)f)->value = 42;
    return RT_READY;
}

static const rt_future_vtable answer_vtable = { .poll = answer_poll, .name = "answer" };

/* A future that wakes itself and returns pending `left` times, then is ready. */
typedef struct yielder {
    rt_future base;
    int left;
} yielder;

/* yielder_poll: a wake during the poll, `left` times. */
static rt_poll yielder_poll(rt_future *f, rt_context *cx)
{
    yielder *y = (yielder *)f;
    if (y->left == 0)
        return RT_READY;
    y->left--;
    rt_waker_wake_by_ref(cx->waker);
    return RT_PENDING;
}

static const rt_future_vtable yielder_vtable = { .poll = yielder_poll, .name = "yielder" };

/* Three sleeps awaited one after another: three wakes from three helper threads. */
typedef struct three_naps {
    rt_future base;
    int i;
    int started;
    thread_sleep_fut nap;
} three_naps;

/* three_naps_poll: a hand-written loop over three awaits (lesson 02). */
static rt_poll three_naps_poll(rt_future *f, rt_context *cx)
{
    three_naps *t = (three_naps *)f;
    while (t->i < 3) {
        if (!t->started) {
            t->nap = thread_sleep(10);
            t->started = 1;
        }
        if (rt_future_poll(&t->nap.base, cx) == RT_PENDING)
            return RT_PENDING;
        rt_future_drop(&t->nap.base);
        t->started = 0;
        t->i++;
    }
    return RT_READY;
}

/* three_naps_drop: the nap in flight, if any. */
static void three_naps_drop(rt_future *f)
{
    three_naps *t = (three_naps *)f;
    if (t->started)
        rt_future_drop(&t->nap.base);
}

static const rt_future_vtable three_naps_vtable = { three_naps_poll, three_naps_drop, "three_naps" };

/* A future whose poll calls block_on: the nesting the exercise must refuse. */
typedef struct nester {
    rt_future base;
} nester;

/* nester_poll: block on an inner future from inside a poll. */
static rt_poll nester_poll(rt_future *f, rt_context *cx)
{
    (void)f, (void)cx;
    answer inner = { .base = { &answer_vtable } };
    block_on(&inner.base, NULL);
    return RT_READY;
}

static const rt_future_vtable nester_vtable = { .poll = nester_poll, .name = "nester" };

START_TEST(test_ready_future_one_poll_no_sleep)
{
    answer a = { .base = { &answer_vtable } };
    block_on_stats st = { 0, 0 };
    block_on(&a.base, &st);
    ck_assert_int_eq(a.value, 42);
    ck_assert_int_eq(st.polls, 1);
    ck_assert_int_eq(st.parks, 0);
}
END_TEST

START_TEST(test_sleep_is_polled_twice_and_sleeps)
{
    thread_sleep_fut nap = thread_sleep(30);
    block_on_stats st = { 0, 0 };
    block_on(&nap.base, &st);
    ck_assert_msg(st.polls == 2, "a 30 ms sleep needs 2 polls; block_on made %ld: it spins",
                  st.polls);
    ck_assert_msg(st.parks >= 1, "block_on never parked");
    rt_future_drop(&nap.base);
}
END_TEST

START_TEST(test_one_poll_per_wake)
{
    three_naps t = { .base = { &three_naps_vtable } };
    block_on_stats st = { 0, 0 };
    block_on(&t.base, &st);
    ck_assert_int_eq(t.i, 3);
    ck_assert_msg(st.polls == 4, "three wakes from other threads need 4 polls; got %ld",
                  st.polls);
    rt_future_drop(&t.base);
}
END_TEST

START_TEST(test_wake_during_poll_is_not_lost)
{
    yielder y = { .base = { &yielder_vtable }, .left = 5 };
    block_on_stats st = { 0, 0 };
    block_on(&y.base, &st);
    ck_assert_int_eq(st.polls, 6);
}
END_TEST

START_TEST(test_wake_racing_the_park_is_not_lost)
{
    /* thread_sleep(0) wakes from its helper thread at once, so the wake lands anywhere: during
     * the poll, between the poll and the park, or in the park. A lost wake hangs (and this test
     * then fails on its timeout). */
    for (int i = 0; i < 300; i++) {
        thread_sleep_fut nap = thread_sleep(0);
        block_on_stats st = { 0, 0 };
        block_on(&nap.base, &st);
        ck_assert_int_le(st.polls, 2);
        rt_future_drop(&nap.base);
    }
}
END_TEST

START_TEST(test_waiting_costs_no_cpu)
{
    thread_sleep_fut nap = thread_sleep(150);
    double wall0 = wall_ms(), cpu0 = thread_cpu_ms();
    block_on(&nap.base, NULL);
    double wall = wall_ms() - wall0, cpu = thread_cpu_ms() - cpu0;
    ck_assert_msg(cpu / wall < 0.10, "block_on used %.0f ms of CPU while waiting %.0f ms "
                  "(%.0f%%): it spins instead of sleeping", cpu, wall, 100.0 * cpu / wall);
    rt_future_drop(&nap.base);
}
END_TEST

START_TEST(test_nested_block_on_panics)
{
    nester n = { .base = { &nester_vtable } };
    rt_panic_frame frame;
    rt_panic_push(&frame);
    if (setjmp(frame.env) == 0) {
        block_on(&n.base, NULL);
        rt_panic_pop(&frame);
        ck_abort_msg("block_on inside block_on did not panic");
    }
    ck_assert_str_eq(frame.message, BLOCK_ON_NESTED_MSG);
}
END_TEST

START_TEST(test_block_on_twice_in_a_row_is_fine)
{
    answer a = { .base = { &answer_vtable } }, b = { .base = { &answer_vtable } };
    block_on(&a.base, NULL);
    block_on(&b.base, NULL); /* not nested: the first one has returned */
    ck_assert_int_eq(b.value, 42);
}
END_TEST

/* main: run the suite; exit 0 only if every check passed. */
int main(void)
{
    Suite *s = suite_create("lesson 04: block_on");
    TCase *tc = tcase_create("block_on");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_ready_future_one_poll_no_sleep);
    tcase_add_test(tc, test_sleep_is_polled_twice_and_sleeps);
    tcase_add_test(tc, test_one_poll_per_wake);
    tcase_add_test(tc, test_wake_during_poll_is_not_lost);
    tcase_add_test(tc, test_wake_racing_the_park_is_not_lost);
    tcase_add_test(tc, test_waiting_costs_no_cpu);
    tcase_add_test(tc, test_nested_block_on_panics);
    tcase_add_test(tc, test_block_on_twice_in_a_row_is_fine);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

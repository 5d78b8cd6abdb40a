/* grade.c: lesson 03's grader -- tasks are polled once per wake, and the executor sleeps instead of spinning. */
#include <check.h>
#include <stdlib.h>

#include "exercise.h"
#include "thread_sleep.h"

/* A future that wakes itself and returns pending `left` times (a yield), then is ready. */
typedef struct yielder {
    rt_future base;
    int left;
} yielder;

/* yielder_poll: "poll me again at once", `left` times. */
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

/* A one-slot mailbox between two tasks on the same executor. */
typedef struct mailbox {
    int full;
    int value;
    rt_waker waiter;   /* the receiver's waker, stored when it found the box empty */
} mailbox;

/* The receiver: pending until the box is full. */
typedef struct receiver {
    rt_future base;
    mailbox *box;
    int got;
} receiver;

/* receiver_poll: take the value, or leave our waker in the box and wait. */
static rt_poll receiver_poll(rt_future *f, rt_context *cx)
{
    receiver *r = (receiver *)f;
    if (r->box->full) {
        r->got = r->box->value;
        return RT_READY;
    }
    rt_waker_replace(&r->box->waiter, cx->waker);
    return RT_PENDING;
}

static const rt_future_vtable receiver_vtable = { .poll = receiver_poll, .name = "receiver" };

/* The sender: sleeps 20 ms (on a helper thread), then fills the box and wakes the receiver. */
typedef struct sender {
    rt_future base;
    mailbox *box;
    thread_sleep_fut nap;
} sender;

/* sender_poll: await the nap, then send. The wake comes from inside this poll, on this thread. */
static rt_poll sender_poll(rt_future *f, rt_context *cx)
{
    sender *s = (sender *)f;
    if (rt_future_poll(&s->nap.base, cx) == RT_PENDING)
        return RT_PENDING;
    s->box->value = 7;
    s->box->full = 1;
    rt_waker_wake(&s->box->waiter);
    return RT_READY;
}

static const rt_future_vtable sender_vtable = { .poll = sender_poll, .name = "sender" };

START_TEST(test_one_sleep_is_polled_twice)
{
    static mini_executor ex;
    mini_init(&ex);
    thread_sleep_fut nap = thread_sleep(30);
    ck_assert_int_eq(mini_add(&ex, &nap.base), 0);
    mini_run(&ex);
    ck_assert_msg(ex.tasks[0].polls == 2,
                  "a 30 ms sleep must be polled twice -- once to start, once after its wake -- "
                  "but it was polled %d times: the executor spins", ex.tasks[0].polls);
    ck_assert_msg(ex.parks >= 1, "the executor never slept");
    rt_future_drop(&nap.base);
}
END_TEST

START_TEST(test_each_task_polled_only_for_its_own_wake)
{
    static mini_executor ex;
    mini_init(&ex);
    thread_sleep_fut a = thread_sleep(10), b = thread_sleep(25), c = thread_sleep(45);
    mini_add(&ex, &a.base);
    mini_add(&ex, &b.base);
    mini_add(&ex, &c.base);
    mini_run(&ex);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(ex.tasks[i].polls == 2,
                      "task %d was polled %d times; each sleep needs exactly 2 polls, and a wake "
                      "of one task must not poll the others", i, ex.tasks[i].polls);
    ck_assert_int_eq(ex.polls, 6);
    rt_future_drop(&a.base);
    rt_future_drop(&b.base);
    rt_future_drop(&c.base);
}
END_TEST

START_TEST(test_wake_during_poll_is_not_lost)
{
    static mini_executor ex;
    mini_init(&ex);
    yielder y = { .base = { &yielder_vtable }, .left = 5 };
    mini_add(&ex, &y.base);
    mini_run(&ex);
    ck_assert_int_eq(ex.tasks[0].polls, 6);
    ck_assert_msg(ex.parks == 0,
                  "a task that woke itself during its poll is ready to run: the executor must "
                  "not sleep (it slept %ld times)", ex.parks);
}
END_TEST

START_TEST(test_task_woken_by_another_task)
{
    static mini_executor ex;
    mini_init(&ex);
    mailbox box = { .full = 0, .waiter = RT_WAKER_EMPTY };
    receiver r = { .base = { &receiver_vtable }, .box = &box };
    sender s = { .base = { &sender_vtable }, .box = &box, .nap = thread_sleep(20) };
    mini_add(&ex, &r.base);
    mini_add(&ex, &s.base);
    mini_run(&ex);
    ck_assert_int_eq(r.got, 7);
    ck_assert_msg(ex.tasks[0].polls == 2, "the receiver was polled %d times, want 2 (once "
                  "empty, once after the sender's wake)", ex.tasks[0].polls);
    ck_assert_msg(ex.tasks[1].polls == 2, "the sender was polled %d times, want 2",
                  ex.tasks[1].polls);
    rt_future_drop(&s.nap.base);
}
END_TEST

START_TEST(test_waiting_costs_no_cpu)
{
    /* The ratio that is the point of the lesson, measured in this run: CPU time of the
     * executor's thread over the wall time of a 150 ms wait. A parked thread uses ~0%. */
    static mini_executor ex;
    mini_init(&ex);
    thread_sleep_fut nap = thread_sleep(150);
    mini_add(&ex, &nap.base);
    double wall0 = wall_ms(), cpu0 = thread_cpu_ms();
    mini_run(&ex);
    double wall = wall_ms() - wall0, cpu = thread_cpu_ms() - cpu0;
    ck_assert_msg(cpu / wall < 0.10, "the executor used %.0f ms of CPU while waiting %.0f ms "
                  "(%.0f%%): it spins instead of sleeping", cpu, wall, 100.0 * cpu / wall);
    rt_future_drop(&nap.base);
}
END_TEST

/* main: run the suite; exit 0 only if every check passed. */
int main(void)
{
    Suite *s = suite_create("lesson 03: wakers");
    TCase *tc = tcase_create("mini executor");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_one_sleep_is_polled_twice);
    tcase_add_test(tc, test_each_task_polled_only_for_its_own_wake);
    tcase_add_test(tc, test_wake_during_poll_is_not_lost);
    tcase_add_test(tc, test_task_woken_by_another_task);
    tcase_add_test(tc, test_waiting_costs_no_cpu);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

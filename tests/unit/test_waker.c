/* test_waker.c: the waker contract -- clone/wake/wake_by_ref/drop reference counting, will_wake, no-op. */
#include <check.h>
#include <stdlib.h>

#include "rt_future.h"
#include "rt_testkit.h"

/* A waker over a counted object: refs must return to zero, wakes are counted. */
typedef struct counted {
    int refs;
    int wakes;
} counted;

static const rt_waker_vtable counted_vtable;

static rt_waker counted_clone(const void *d)
{
    ((counted *)d)->refs++;
    return (rt_waker){ &counted_vtable, d };
}
static void counted_wake(const void *d)
{
    counted *c = (counted *)d;
    c->wakes++;
    c->refs--;
}
static void counted_wake_by_ref(const void *d)
{
    ((counted *)d)->wakes++;
}
static void counted_drop(const void *d)
{
    ((counted *)d)->refs--;
}
static const rt_waker_vtable counted_vtable = { counted_clone, counted_wake, counted_wake_by_ref, counted_drop };

/* counted_waker: the first reference. */
static rt_waker counted_waker(counted *c)
{
    c->refs = 1;
    c->wakes = 0;
    return (rt_waker){ &counted_vtable, c };
}

START_TEST(test_clone_and_drop_balance)
{
    counted c;
    rt_waker w = counted_waker(&c);
    rt_waker a = rt_waker_clone(&w), b = rt_waker_clone(&a);
    ck_assert_int_eq(c.refs, 3);
    rt_waker_drop(&a);
    rt_waker_drop(&b);
    ck_assert(rt_waker_is_empty(&a));
    rt_waker_drop(&a); /* dropping an empty waker does nothing */
    ck_assert_int_eq(c.refs, 1);
    rt_waker_drop(&w);
    ck_assert_int_eq(c.refs, 0);
    ck_assert_int_eq(c.wakes, 0);
}
END_TEST

START_TEST(test_wake_consumes_wake_by_ref_does_not)
{
    counted c;
    rt_waker w = counted_waker(&c);
    rt_waker_wake_by_ref(&w);
    ck_assert_int_eq(c.refs, 1);
    ck_assert_int_eq(c.wakes, 1);
    rt_waker_wake(&w);
    ck_assert_int_eq(c.refs, 0);
    ck_assert_int_eq(c.wakes, 2);
    ck_assert(rt_waker_is_empty(&w));
    rt_waker_wake(&w); /* an emptied waker cannot wake twice */
    ck_assert_int_eq(c.wakes, 2);
}
END_TEST

START_TEST(test_will_wake)
{
    counted c1, c2;
    rt_waker a = counted_waker(&c1), b = counted_waker(&c2);
    rt_waker a2 = rt_waker_clone(&a);
    ck_assert(rt_waker_will_wake(&a, &a2));
    ck_assert(!rt_waker_will_wake(&a, &b));
    rt_waker n1 = rt_waker_noop(), n2 = rt_waker_noop();
    ck_assert(rt_waker_will_wake(&n1, &n2));
    ck_assert(!rt_waker_will_wake(&a, &n1));
    rt_waker_drop(&a), rt_waker_drop(&a2), rt_waker_drop(&b);
    ck_assert_int_eq(c1.refs + c2.refs, 0);
}
END_TEST

START_TEST(test_replace_skips_same_waker)
{
    counted c1, c2;
    rt_waker a = counted_waker(&c1), b = counted_waker(&c2);
    rt_waker slot = RT_WAKER_EMPTY;
    rt_waker_replace(&slot, &a);
    ck_assert_int_eq(c1.refs, 2);
    rt_waker_replace(&slot, &a);
    ck_assert_int_eq(c1.refs, 2); /* same task: no clone */
    rt_waker_replace(&slot, &b);
    ck_assert_int_eq(c1.refs, 1); /* old one released */
    ck_assert_int_eq(c2.refs, 2);
    rt_waker_drop(&slot), rt_waker_drop(&a), rt_waker_drop(&b);
    ck_assert_int_eq(c1.refs + c2.refs, 0);
}
END_TEST

START_TEST(test_noop_waker)
{
    rt_waker n = rt_waker_noop();
    rt_waker c = rt_waker_clone(&n);
    rt_waker_wake_by_ref(&n);
    rt_waker_wake(&c);
    rt_waker_drop(&n);
    ck_assert(rt_waker_is_empty(&n));
}
END_TEST

/* A task waker's references live in the task state word. */
START_TEST(test_task_waker_refcount)
{
    rt_test_sched sched;
    rt_test_sched_init(&sched);
    _Atomic int polls = 0, drops = 0;
    rt_probe p = rt_probe_new(&polls, &drops);
    rt_join_handle jh;
    ck_assert_int_eq(rt_task_spawn(NULL, &p.base, sizeof p, &rt_test_sched_vtable, &sched, &jh), 0);
    rt_task *t = jh.task;
    uint64_t base = rt_task_state_ref_count(rt_task_state_load(&t->state));
    ck_assert_uint_eq(base, 2); /* the queue entry and the handle */
    rt_waker w = rt_task_waker(t);
    rt_waker w2 = rt_waker_clone(&w);
    ck_assert_uint_eq(rt_task_state_ref_count(rt_task_state_load(&t->state)), base + 2);
    rt_waker_drop(&w2);
    ck_assert_uint_eq(rt_task_state_ref_count(rt_task_state_load(&t->state)), base + 1);
    rt_waker_wake(&w); /* already NOTIFIED: the reference is simply dropped */
    ck_assert_uint_eq(rt_task_state_ref_count(rt_task_state_load(&t->state)), base);
    rt_test_sched_run(&sched);
    ck_assert_uint_eq(rt_task_state_ref_count(rt_task_state_load(&t->state)), 1);
    rt_join_handle_detach(&jh);
    rt_test_sched_destroy(&sched);
    rt_check_tasks_balanced();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("waker");
    TCase *tc = tcase_create("refcount");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_clone_and_drop_balance);
    tcase_add_test(tc, test_wake_consumes_wake_by_ref_does_not);
    tcase_add_test(tc, test_will_wake);
    tcase_add_test(tc, test_replace_skips_same_waker);
    tcase_add_test(tc, test_noop_waker);
    tcase_add_test(tc, test_task_waker_refcount);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}

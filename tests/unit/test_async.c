/* test_async.c: the RT_BEGIN/RT_AWAIT/RT_YIELD/RT_RETURN/RT_END macros against a hand-written machine. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "rt_async.h"
#include "rt_testkit.h"

/* A leaf: pending `left` times (waking itself each time), then ready with `value`. */
typedef struct countdown {
    rt_future base;
    int left;
    int value;
    int *drops;
} countdown;

static rt_poll countdown_poll(rt_future *f, rt_context *cx)
{
    countdown *c = (countdown *)f;
    if (c->left > 0) {
        c->left--;
        rt_waker_wake_by_ref(cx->waker);
        return RT_PENDING;
    }
    return RT_READY;
}

static void countdown_drop(rt_future *f)
{
    countdown *c = (countdown *)f;
    if (c->drops)
        (*c->drops)++;
}

static const rt_future_vtable countdown_vtable = { countdown_poll, countdown_drop, "countdown" };

static countdown countdown_new(int left, int value, int *drops)
{
    return (countdown){ { &countdown_vtable }, left, value, drops };
}

/* The async fn, with the macros: sum = a + b, where a and b are awaited in a loop. */
typedef struct summer {
    rt_future base;
    rt_async co;
    int i;          /* hoisted local */
    int sum;        /* output */
    countdown child;
    int *drops;
} summer;

static rt_poll summer_poll(rt_future *f, rt_context *cx)
{
    summer *self = (summer *)f;
    RT_BEGIN(&self->co);
    for (self->i = 1; self->i <= 3; self->i++) {
        self->child = countdown_new(self->i, self->i * 10, self->drops);
        RT_AWAIT(&self->co, &self->child, cx);
        self->sum += self->child.value;
    }
    RT_YIELD(&self->co, cx);
    self->sum += 1;
    RT_END(&self->co);
}

static void summer_drop(rt_future *f)
{
    rt_async_drop(&((summer *)f)->co);
}

static const rt_future_vtable summer_vtable = { summer_poll, summer_drop, "summer" };

/* The same machine written out by hand: what the macros expand to, minus the line numbers. */
typedef struct summer_by_hand {
    rt_future base;
    int state;      /* 0 start, 1 awaiting child, 2 yielded, 3 done */
    int i;
    int sum;
    countdown child;
} summer_by_hand;

static rt_poll summer_by_hand_poll(rt_future *f, rt_context *cx)
{
    summer_by_hand *self = (summer_by_hand *)f;
    switch (self->state) {
    case 0:
        for (self->i = 1; self->i <= 3; self->i++) {
            self->child = countdown_new(self->i, self->i * 10, NULL);
            self->state = 1;
            /* fallthrough */
    case 1:
            if (rt_future_poll(&self->child.base, cx) == RT_PENDING)
                return RT_PENDING;
            self->sum += self->child.value;
        }
        self->state = 2;
        rt_waker_wake_by_ref(cx->waker);
        return RT_PENDING;
    case 2:
        self->sum += 1;
        self->state = 3;
        return RT_READY;
    default:
        rt_panic("`async fn` resumed after completion");
    }
}

static const rt_future_vtable summer_by_hand_vtable = { summer_by_hand_poll, NULL, "summer_by_hand" };

/* drive: poll with a no-op waker until ready; returns the number of polls. */
static int drive(rt_future *f)
{
    rt_waker w = rt_waker_noop();
    rt_context cx = { &w };
    int polls = 1;
    while (rt_future_poll(f, &cx) == RT_PENDING)
        polls++;
    return polls;
}

START_TEST(test_macros_match_hand_written)
{
    summer a;
    memset(&a, 0, sizeof a);
    a.base.vtable = &summer_vtable;
    summer_by_hand b;
    memset(&b, 0, sizeof b);
    b.base.vtable = &summer_by_hand_vtable;
    int pa = drive(&a.base), pb = drive(&b.base);
    ck_assert_int_eq(a.sum, 61);
    ck_assert_int_eq(b.sum, 61);
    /* 1+2+3 pendings from the children, 1 from the yield, and the final ready poll */
    ck_assert_int_eq(pa, 8);
    ck_assert_int_eq(pb, pa);
    ck_assert_int_eq(a.co.line, RT_ASYNC_DONE);
    ck_assert_ptr_null(a.co.awaiting);
}
END_TEST

START_TEST(test_future_is_lazy)
{
    summer a;
    memset(&a, 0, sizeof a);
    a.base.vtable = &summer_vtable;
    /* Created, never polled: nothing ran. */
    ck_assert_int_eq(a.sum, 0);
    ck_assert_int_eq(a.co.line, 0);
}
END_TEST

START_TEST(test_drop_mid_await_drops_child)
{
    int drops = 0;
    summer a;
    memset(&a, 0, sizeof a);
    a.base.vtable = &summer_vtable;
    a.drops = &drops;
    rt_waker w = rt_waker_noop();
    rt_context cx = { &w };
    ck_assert_int_eq(rt_future_poll(&a.base, &cx), RT_PENDING);
    ck_assert_ptr_eq(a.co.awaiting, &a.child.base);
    rt_future_drop(&a.base);
    ck_assert_int_eq(drops, 1);
    ck_assert_ptr_null(a.co.awaiting);
}
END_TEST

START_TEST(test_resumed_after_completion_panics)
{
    summer a;
    memset(&a, 0, sizeof a);
    a.base.vtable = &summer_vtable;
    drive(&a.base);
    rt_panic_frame frame;
    rt_panic_push(&frame);
    if (setjmp(frame.env) == 0) {
        drive(&a.base);
        rt_panic_pop(&frame);
        ck_abort_msg("polling a finished async fn did not panic");
    }
    ck_assert_str_eq(frame.message, "`async fn` resumed after completion");
}
END_TEST

/* RT_RETURN leaves early, from inside a loop. */
typedef struct early {
    rt_future base;
    rt_async co;
    int n;
} early;

static rt_poll early_poll(rt_future *f, rt_context *cx)
{
    early *self = (early *)f;
    RT_BEGIN(&self->co);
    for (;;) {
        self->n++;
        if (self->n == 5)
            RT_RETURN(&self->co);
        RT_YIELD(&self->co, cx);
    }
    RT_END(&self->co);
}

static const rt_future_vtable early_vtable = { early_poll, NULL, "early" };

START_TEST(test_return_early)
{
    early e = { { &early_vtable }, { 0, NULL }, 0 };
    ck_assert_int_eq(drive(&e.base), 5);
    ck_assert_int_eq(e.n, 5);
    ck_assert_int_eq(e.co.line, RT_ASYNC_DONE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("async");
    TCase *tc = tcase_create("macros");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_macros_match_hand_written);
    tcase_add_test(tc, test_future_is_lazy);
    tcase_add_test(tc, test_drop_mid_await_drops_child);
    tcase_add_test(tc, test_resumed_after_completion_panics);
    tcase_add_test(tc, test_return_early);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}

/* rt_combinators.c: ready, pending, yield_now, join and select. */
#include "rt_combinators.h"

#include "rt_panic.h"

/* ---- ready ------------------------------------------------------------------------------- */

/* rt__ready_poll: nothing to wait for. */
static rt_poll rt__ready_poll(rt_future *self, rt_context *cx)
{
    (void)self, (void)cx;
    return RT_READY;
}

static const rt_future_vtable rt__ready_vtable = { .poll = rt__ready_poll, .name = "ready" };

/* rt_ready: the value is stored now and read after the (first) poll. */
rt_ready_fut rt_ready(void *value)
{
    return (rt_ready_fut){ .base = { &rt__ready_vtable }, .value = value };
}

/* ---- pending ----------------------------------------------------------------------------- */

/* rt__pending_poll: pending forever, and on purpose keeps no waker: nothing will ever wake it. */
static rt_poll rt__pending_poll(rt_future *self, rt_context *cx)
{
    (void)self, (void)cx;
    return RT_PENDING;
}

static const rt_future_vtable rt__pending_vtable = { .poll = rt__pending_poll, .name = "pending" };

/* rt_pending: see rt__pending_poll. */
rt_pending_fut rt_pending(void)
{
    return (rt_pending_fut){ .base = { &rt__pending_vtable } };
}

/* ---- yield_now --------------------------------------------------------------------------- */

/* rt__yield_poll: wake ourselves first, so the executor re-queues us behind everyone else. */
static rt_poll rt__yield_poll(rt_future *self, rt_context *cx)
{
    rt_yield_fut *y = (rt_yield_fut *)self;
    if (y->yielded)
        return RT_READY;
    y->yielded = 1;
    rt_waker_wake_by_ref(cx->waker);
    return RT_PENDING;
}

static const rt_future_vtable rt__yield_vtable = { .poll = rt__yield_poll, .name = "yield_now" };

/* rt_yield_now: a one-shot yield. */
rt_yield_fut rt_yield_now(void)
{
    return (rt_yield_fut){ .base = { &rt__yield_vtable }, .yielded = 0 };
}

/* ---- join -------------------------------------------------------------------------------- */

/* rt__join_all_poll: poll what is unfinished; ready when nothing is. Polling everything on
 * every wake is what futures::join does: we do not know which child the wake was for. */
static rt_poll rt__join_all_poll(rt_future *self, rt_context *cx)
{
    rt_join_all_fut *j = (rt_join_all_fut *)self;
    for (size_t i = 0; i < j->count; i++) {
        uint64_t bit = (uint64_t)1 << i;
        if (!(j->done & bit) && rt_future_poll(j->children[i], cx) == RT_READY)
            j->done |= bit;
    }
    uint64_t all = j->count == 64 ? UINT64_MAX : (((uint64_t)1 << j->count) - 1);
    return j->done == all ? RT_READY : RT_PENDING;
}

/* rt__join_all_drop: cancelled while pending: drop the children still running. */
static void rt__join_all_drop(rt_future *self)
{
    rt_join_all_fut *j = (rt_join_all_fut *)self;
    for (size_t i = 0; i < j->count; i++) {
        uint64_t bit = (uint64_t)1 << i;
        if (!(j->done & bit)) {
            j->done |= bit;
            rt_future_drop(j->children[i]);
        }
    }
}

static const rt_future_vtable rt__join_all_vtable = {
    .poll = rt__join_all_poll, .drop = rt__join_all_drop, .name = "join_all",
};

/* rt_join_all: the done set fits one 64-bit word, hence RT_COMBINE_MAX. */
rt_join_all_fut rt_join_all(rt_future **children, size_t count)
{
    if (count > RT_COMBINE_MAX)
        rt_panic("rt_join_all: %zu futures, at most %d", count, RT_COMBINE_MAX);
    return (rt_join_all_fut){ .base = { &rt__join_all_vtable }, .children = children,
                              .count = count, .done = 0 };
}

/* ---- select ------------------------------------------------------------------------------ */

/* rt__select_drop_others: the losers are dropped the moment there is a winner, as in
 * tokio::select!, so a losing sleep or read releases its timer or registration right away. */
static void rt__select_drop_others(rt_select_fut *s, size_t keep)
{
    for (size_t i = 0; i < s->count; i++)
        if (i != keep)
            rt_future_drop(s->children[i]);
}

/* rt__select_poll: poll in order; the first ready child wins. */
static rt_poll rt__select_poll(rt_future *self, rt_context *cx)
{
    rt_select_fut *s = (rt_select_fut *)self;
    if (s->finished)
        return RT_READY;
    for (size_t i = 0; i < s->count; i++) {
        if (rt_future_poll(s->children[i], cx) == RT_READY) {
            s->winner = i;
            s->finished = 1;
            rt__select_drop_others(s, i);
            return RT_READY;
        }
    }
    return RT_PENDING;
}

/* rt__select_drop: cancelled before any child won: every child is still pending. */
static void rt__select_drop(rt_future *self)
{
    rt_select_fut *s = (rt_select_fut *)self;
    if (!s->finished) {
        s->finished = 1;
        rt__select_drop_others(s, s->count);
    }
}

static const rt_future_vtable rt__select_vtable = {
    .poll = rt__select_poll, .drop = rt__select_drop, .name = "select",
};

/* rt_select: at least one child, at most RT_COMBINE_MAX. */
rt_select_fut rt_select(rt_future **children, size_t count)
{
    if (count == 0 || count > RT_COMBINE_MAX)
        rt_panic("rt_select: %zu futures, need 1..%d", count, RT_COMBINE_MAX);
    return (rt_select_fut){ .base = { &rt__select_vtable }, .children = children,
                            .count = count, .winner = 0, .finished = 0 };
}

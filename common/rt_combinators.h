/* rt_combinators.h: small futures every runtime needs -- ready, pending, yield_now, join, select. */
#ifndef RT_COMBINATORS_H
#define RT_COMBINATORS_H

#include <stddef.h>
#include <stdint.h>

#include "rt_future.h"

/*
 * Ownership, the rule every combinator here follows: join and select own the children whose
 * pointers they are given, from their first poll until they finish. If the combinator itself
 * is dropped while pending (cancelled), it drops every child that has not finished. Children
 * that did finish keep their outputs for the caller to read. The children usually live inline
 * in the same struct as the combinator, so they must be pinned: build the combinator inside
 * your poll function, never before the first poll.
 */

/* ready(v): immediately ready with a value, like std::future::ready. */
typedef struct rt_ready_fut {
    rt_future base;
    void *value; /* the output */
} rt_ready_fut;
/* rt_ready: a future that is ready on its first poll, with output `value`. */
rt_ready_fut rt_ready(void *value);

/* pending(): never ready, like std::future::pending. Only dropping it ends it. */
typedef struct rt_pending_fut {
    rt_future base;
} rt_pending_fut;
/* rt_pending: a future that never completes. */
rt_pending_fut rt_pending(void);

/* yield_now(): pending once (after waking itself), then ready -- gives the executor a turn. */
typedef struct rt_yield_fut {
    rt_future base;
    int yielded;
} rt_yield_fut;
/* rt_yield_now: a future that yields to the executor exactly once. */
rt_yield_fut rt_yield_now(void);

/* join: wait for all children (tokio::join!, futures::join_all). Polls every unfinished child
 * on each poll, in order, with the same waker. At most RT_COMBINE_MAX children. */
#define RT_COMBINE_MAX 64
typedef struct rt_join_all_fut {
    rt_future base;
    rt_future **children;
    size_t count;
    uint64_t done; /* bit i: child i finished */
} rt_join_all_fut;
/* rt_join_all: join `count` (<= RT_COMBINE_MAX) children; panics on more. */
rt_join_all_fut rt_join_all(rt_future **children, size_t count);

/* select: the first child to finish wins and the others are dropped at once (tokio::select!
 * with `biased;`: children are polled in order, so an earlier one wins a tie). */
typedef struct rt_select_fut {
    rt_future base;
    rt_future **children;
    size_t count;
    size_t winner;     /* the output: index of the child that finished */
    int finished;
} rt_select_fut;
/* rt_select: race `count` (1..RT_COMBINE_MAX) children. */
rt_select_fut rt_select(rt_future **children, size_t count);

#endif

/* rt_timer_impl.h: private contract between rt_timer.c (the front door) and the two backends. */
#ifndef RT_TIMER_IMPL_H
#define RT_TIMER_IMPL_H

#include "rt_timer.h"

/*
 * The front door (rt_timer.c) owns what both backends share: the current time (kept monotonic),
 * the seq counter, the count of armed entries and the armed flag, plus argument checks. A
 * backend only keeps entries in order. Each backend allocates its own struct with an rt_timers
 * as its FIRST member, gets back to it with rt_container_of (the libuv handle idiom), and fills
 * in `ops`, a small table of functions: dispatch is one indirect call, and the front door never
 * needs to know a backend's layout.
 */
typedef struct rt__timers_ops {
    void (*destroy)(rt_timers *t);
    /* Make room for one more entry without changing anything visible: 0 or -ENOMEM. */
    int (*reserve)(rt_timers *t);
    /* Place e, whose deadline and seq are set; cannot fail after a successful reserve. */
    void (*insert)(rt_timers *t, rt_timer_entry *e);
    /* Take out e, which is armed in t. */
    void (*cancel)(rt_timers *t, rt_timer_entry *e);
    uint64_t (*next_deadline)(const rt_timers *t);
    /* Remove and return the earliest entry with deadline <= now_ms, or NULL. The front door has
     * already made now_ms monotonic: it is never smaller than in an earlier call. */
    rt_timer_entry *(*pop_expired)(rt_timers *t, uint64_t now_ms);
} rt__timers_ops;

struct rt_timers {
    const rt__timers_ops *ops;
    rt_timers_kind kind;
    uint64_t now;        /* the largest now seen (creation time, then every pop) */
    uint64_t next_seq;   /* seq of the next successful insert */
    size_t count;        /* armed entries */
};

/* The wheel backend: a set at now_ms, or NULL on ENOMEM. */
rt_timers *rt__wheel_new(uint64_t now_ms);
/* The heap backend: a set at now_ms, or NULL on ENOMEM. */
rt_timers *rt__heap_new(uint64_t now_ms);

#endif

/* tk_testkit.h: helpers shared by the tk suites -- build a runtime, a one-shot signal, metric totals, the timer wheel's size. */
#ifndef TK_TESTKIT_H
#define TK_TESTKIT_H

#include <pthread.h>
#include <stddef.h>

#include "rt_metrics.h"
#include "tk_runtime.h"

/* total: one counter summed over the workers of a metrics snapshot. */
#define TOTAL(m, field) rt_metrics_total(&(m), offsetof(rt_worker_metrics, field))

/* A one-shot signal any thread can fire, awaited by one future. */
typedef struct slot {
    pthread_mutex_t lock;
    rt_waker waker;
    int flag;
} slot;

typedef struct slot_wait {
    rt_future base;
    slot *s;
} slot_wait;

/* build: a runtime of the given flavour with IO and time enabled (workers 0: the default). */
tk_runtime *build(tk_flavor flavor, unsigned workers);
/* build_with: the same with each driver chosen (io, time: 0 or 1), for the no-driver errors. */
tk_runtime *build_with(tk_flavor flavor, unsigned workers, int io, int time);
/* wheel_count: timer entries in the runtime's wheel right now (white-box, under its lock). */
size_t wheel_count(tk_runtime *rt);
/* slot_init: not fired, nobody waiting. */
void slot_init(slot *s);
/* slot_fire: set the flag, then wake the waiter outside the lock (a wake may run code). */
void slot_fire(slot *s);
/* slot_wait_new: a future that completes when the slot is fired. */
slot_wait slot_wait_new(slot *s);

#endif

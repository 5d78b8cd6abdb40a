/* exercise.h: lesson 11's exercise -- an async lookup whose blocking call must move to spawn_blocking. */
#ifndef LESSON11_EXERCISE_H
#define LESSON11_EXERCISE_H

#include "rt_async.h"
#include "tk_blocking.h"
#include "tk_runtime.h"

/*
 * slow_lookup: the blocking call -- think getaddrinfo, a read from a slow disk, a database
 * client with no async API. It blocks the calling thread until the answer is there. It is
 * not yours: whoever links your exercise provides it (the grader does, with a stopwatch).
 */
long slow_lookup(long key);

/* async fn lookup(key) -> long: the value slow_lookup gives for key, without blocking the
 * thread that polls it. */
typedef struct lookup_fut {
    rt_future base;
    rt_async co;
    long key;              /* input */
    tk_join_handle job;    /* yours to use: the spawn_blocking handle (zeroed by lookup()) */
    long value;            /* output, once ready */
} lookup_fut;

/* lookup: calling `lookup(key)` -- the future, not yet polled. Poll it inside a tk runtime. */
lookup_fut lookup(long key);

#endif

/* exercise.h: lesson 04's exercise -- block_on with a parker: sleep until woken, and refuse to nest. */
#ifndef LESSON04_EXERCISE_H
#define LESSON04_EXERCISE_H

#include "rt_future.h"

/* What block_on did, for the grader. */
typedef struct block_on_stats {
    long polls;   /* polls of the future */
    long parks;   /* calls to rt_parker_park */
} block_on_stats;

/* The panic message of a block_on called while this thread is already inside one. */
#define BLOCK_ON_NESTED_MSG \
    "block_on called inside block_on: this thread already runs an executor, and blocking it " \
    "would stop the very tasks that could wake the inner future"

/* block_on: poll `f` to completion on this thread, sleeping on a parker between polls until the
 * future's waker fires. Its output is then in its struct; the caller still owns and drops it.
 * `stats` may be NULL. Panics (rt_panic, BLOCK_ON_NESTED_MSG) if called inside block_on. */
void block_on(rt_future *f, block_on_stats *stats);

#endif

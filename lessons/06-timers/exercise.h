/* exercise.h: lesson 06's exercise -- a sleep future over the time driver: register, wait, fire, cancel. */
#ifndef LESSON06_EXERCISE_H
#define LESSON06_EXERCISE_H

#include "timer_driver.h"

/*
 * sleep_ms(d, ms): tokio::time::sleep for the driver d. As in tokio, the deadline is fixed when
 * the future is created (now + ms, rounded up so it never fires early); the timer is armed in
 * the driver only at the first poll that has to wait.
 */
typedef struct sleep_fut {
    rt_future base;
    timer_driver *d;
    uint64_t deadline_ms;  /* on the driver's clock */
    int registered;        /* slot.entry has been inserted into d->timers */
    timer_slot slot;       /* what the driver fires */
    int polls;
} sleep_fut;

/* sleep_ms: the future; runs nothing and arms nothing yet. */
sleep_fut sleep_ms(timer_driver *d, uint64_t ms);

#endif

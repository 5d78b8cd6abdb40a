/* exercise.c: lesson 06 -- write the sleep future: arm a timer on the first poll, keep the latest waker, cancel on drop. */
#include "exercise.h"

/*
 * Your task (see README.md, "Exercise"): sleep_poll and sleep_drop.
 *
 * sleep_poll:
 *   - ready if the driver has fired the slot, or if the deadline has already passed on the
 *     driver's clock (rt_clock_now_ms(&self->d->clock) >= self->deadline_ms);
 *   - otherwise, at the first such poll, arm the timer: rt_timer_entry_init(&self->slot.entry,
 *     &self->slot), then rt_timers_insert(self->d->timers, &self->slot.entry, deadline). Arm it
 *     ONCE: a second insert of an armed entry is refused, and re-initialising an armed entry
 *     would corrupt the timer set;
 *   - on every pending poll, keep the waker of THIS poll in self->slot.waker (rt_waker_replace):
 *     a future may be polled by a different task than last time (moved into a select, say);
 *   - then RT_PENDING.
 * sleep_drop (cancellation): an armed timer that has not fired must leave the set
 * (rt_timers_cancel) -- or the driver would later fire a slot inside freed memory -- and the
 * stored waker must be dropped.
 *
 * Check your work with:  make grade N=06
 */

/* sleep_poll: wait for the deadline. */
static rt_poll sleep_poll(rt_future *f, rt_context *cx)
{
    sleep_fut *self = (sleep_fut *)f;
    (void)cx;
    self->polls++;
    /* TODO: this sleep does not sleep at all. */
    return RT_READY;
}

/* sleep_drop: cancellation. */
static void sleep_drop(rt_future *f)
{
    sleep_fut *self = (sleep_fut *)f;
    /* TODO: cancel the armed timer, drop the stored waker. */
    (void)self;
}

static const rt_future_vtable sleep_vtable = { sleep_poll, sleep_drop, "sleep" };

/* sleep_ms: given -- the deadline is fixed now, as tokio's Instant::now() + duration. */
sleep_fut sleep_ms(timer_driver *d, uint64_t ms)
{
    return (sleep_fut){ .base = { &sleep_vtable }, .d = d,
                        .deadline_ms = rt_clock_deadline_after_ms(&d->clock, ms),
                        .slot = { .waker = RT_WAKER_EMPTY } };
}

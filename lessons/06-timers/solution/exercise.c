/* exercise.c (solution): lesson 06 -- the sleep future: arm once, keep the latest waker, cancel on drop. */
#include "exercise.h"

#include "rt_panic.h"

/* sleep_poll: ready once fired (or already due); else armed, with this poll's waker. */
static rt_poll sleep_poll(rt_future *f, rt_context *cx)
{
    sleep_fut *self = (sleep_fut *)f;
    self->polls++;
    if (self->slot.fired || rt_clock_now_ms(&self->d->clock) >= self->deadline_ms)
        return RT_READY;
    if (!self->registered) {
        rt_timer_entry_init(&self->slot.entry, &self->slot);
        if (rt_timers_insert(self->d->timers, &self->slot.entry, self->deadline_ms) != 0)
            rt_panic("sleep: out of memory arming a timer"); /* neither early nor never */
        self->registered = 1;
    }
    rt_waker_replace(&self->slot.waker, cx->waker);
    return RT_PENDING;
}

/* sleep_drop: an armed, unfired timer leaves the set; the stored waker goes either way. */
static void sleep_drop(rt_future *f)
{
    sleep_fut *self = (sleep_fut *)f;
    if (self->registered && !self->slot.fired)
        rt_timers_cancel(self->d->timers, &self->slot.entry);
    rt_waker_drop(&self->slot.waker);
}

static const rt_future_vtable sleep_vtable = { sleep_poll, sleep_drop, "sleep" };

/* sleep_ms: the deadline is fixed now, as tokio's Instant::now() + duration. */
sleep_fut sleep_ms(timer_driver *d, uint64_t ms)
{
    return (sleep_fut){ .base = { &sleep_vtable }, .d = d,
                        .deadline_ms = rt_clock_deadline_after_ms(&d->clock, ms),
                        .slot = { .waker = RT_WAKER_EMPTY } };
}

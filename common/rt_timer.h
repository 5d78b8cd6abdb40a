/* rt_timer.h: timers behind one API, a hierarchical timing wheel or a binary heap, swappable. */
#ifndef RT_TIMER_H
#define RT_TIMER_H

#include <stddef.h>
#include <stdint.h>

/*
 * A timer here is just an entry with a deadline; what "firing" means belongs to the caller (a
 * runtime wakes the future that slept). The runtime asks two questions per loop turn: "how long
 * may I sleep?" (rt_timers_next_deadline) and "which entries are due now?" (rt_timers_pop_expired,
 * called until it returns NULL). Entries are intrusive: the caller embeds an rt_timer_entry in its
 * own object and gets the object back with rt_container_of, so arming a timer never allocates
 * (only the heap's array may grow).
 *
 * Time is in whole milliseconds on whatever base the caller chooses (rt_clock gives ms since the
 * runtime started). Both backends fire entries in exactly (deadline, seq) order, where seq is the
 * insertion order, so a program behaves the same whichever backend it picked; the differential
 * test holds them to it.
 *
 * Timers are single-threaded structures: the runtime that owns one guards it; nothing in here
 * locks or uses atomics.
 */

/* Wheel slot lists are doubly linked so that cancel unlinks in O(1) without knowing the list.
 * (rt_qnode is singly linked, made for queues; a timer needs its prev to leave from the middle.) */
typedef struct rt_timer_link {
    struct rt_timer_link *next, *prev;
} rt_timer_link;

typedef struct rt_timer_entry {
    uint64_t deadline;   /* ms, absolute, same time base as the `now` given to the timers */
    uint64_t seq;        /* assigned by rt_timers_insert; deadline ties fire in seq order */
    void *data;          /* the caller's (e.g. the waker of a sleeping future) */
    /* backend-private bookkeeping below: an entry sits in at most one backend at a time, so the
     * wheel's links and the heap's index share storage */
    union {
        rt_timer_link link;  /* wheel: position in a slot / expired / overflow list */
        size_t heap_index;   /* heap: position in the array, so cancel needs no search */
    };
    uint8_t level;       /* wheel: which list holds the entry (level 0..5, or overflow/expired) */
    uint8_t slot;        /* wheel: slot within the level */
    uint8_t armed;       /* 1 from a successful insert until it is popped or cancelled */
} rt_timer_entry;

typedef enum { RT_TIMERS_WHEEL, RT_TIMERS_HEAP } rt_timers_kind;

typedef struct rt_timers rt_timers;  /* opaque */

/* A timer set whose current time is now_ms; NULL on ENOMEM (or an unknown kind). */
rt_timers *rt_timers_new(rt_timers_kind kind, uint64_t now_ms);
/* Release the set. Entries still armed are simply forgotten: their memory is the caller's. */
void rt_timers_free(rt_timers *t);
/* Prepare an entry for its first insert: unarmed, carrying `data`. */
void rt_timer_entry_init(rt_timer_entry *e, void *data);
// region: api
/* Arm e for deadline_ms: 0, -EINVAL if e is already armed, or -ENOMEM (heap growth) leaving e
 * unarmed and the set unchanged. A deadline <= the current time fires at the next pop. */
int rt_timers_insert(rt_timers *t, rt_timer_entry *e, uint64_t deadline_ms);
/* Disarm e: O(1) for the wheel, O(log n) for the heap; a no-op if e is not armed. An armed e
 * must be cancelled in the set it was inserted into (nothing here can tell sets apart). */
void rt_timers_cancel(rt_timers *t, rt_timer_entry *e);
/* 1 if e is armed (inserted and neither popped nor cancelled), else 0. */
int rt_timer_entry_is_armed(const rt_timer_entry *e);
/* When to wake up next: UINT64_MAX if empty. Never LATER than the earliest armed deadline; exact
 * for the heap, possibly an earlier slot boundary for the wheel (wake then, pop, ask again). */
uint64_t rt_timers_next_deadline(const rt_timers *t);
/* The next entry with deadline <= now_ms, disarmed, in exact (deadline, seq) order across calls;
 * NULL when none is due. Time never goes backwards: a now_ms smaller than before counts as the
 * previous one. */
rt_timer_entry *rt_timers_pop_expired(rt_timers *t, uint64_t now_ms);
// endregion
/* Number of armed entries. */
size_t rt_timers_count(const rt_timers *t);
/* The kind this set was created with. */
rt_timers_kind rt_timers_kind_of(const rt_timers *t);
/* "wheel" or "heap" (for benchmark output); "?" for anything else. */
const char *rt_timers_kind_name(rt_timers_kind k);

#endif

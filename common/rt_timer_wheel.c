/* rt_timer_wheel.c: a hierarchical timing wheel, 6 levels x 64 slots of 1 ms, in exact order. */
#include <assert.h>

#include "rt_alloc.h"
#include "rt_qnode.h"
#include "rt_timer_impl.h"

/*
 * Design notes: how a hierarchical timing wheel works, and why this one looks as it does.
 *
 * The problem. A runtime holds many timers (every sleep, every I/O timeout) and on each loop
 * turn asks "when is the next deadline?" and "which timers are due?". Most timeouts are
 * cancelled before they fire (the read finished first), so insert and cancel are the hot
 * operations. A binary heap (rt_timer_heap.c) does them in O(log n). A timing wheel (Varghese
 * and Lauck, 1987) does them in O(1), by postponing the sorting until a timer is nearly due.
 *
 * Why a wheel. Picture an array with one slot per millisecond, each slot a list of the timers
 * due then: insert is indexing, cancel is unlinking, and the passing of time is walking the
 * array. But a flat array reaching two years ahead at 1 ms would need 2^36 slots. A "hashed"
 * wheel reuses a small array modulo its size and stores in each entry how many more turns it
 * must wait, but then every visit to a slot rescans timers that are due years from now.
 *
 * Why hierarchical. Like the hands of a clock: level 0 has 64 slots of 1 ms, level 1 has 64
 * slots of 64 ms, level L has 64 slots of 64^L ms, and six levels reach 64^6 ms = 2^36 ms, about
 * 795 days. A timer goes to the finest level whose window still holds it. Concretely (tokio's
 * trick): take the highest bit in which the deadline differs from the wheel's current time
 * (deadline XOR elapsed); that bit divided by 6 is the level, and the deadline's six bits of that
 * level are the slot. A deadline 10 ms away lands in level 0, 3 s away in level 1, an hour away in
 * level 3. Two useful facts follow. Every occupied slot of a level lies strictly after the slot
 * holding the current time, so slots never need to be searched "around the corner". And every
 * level-0 slot is earlier than every level-1 slot, and so on, so the lowest non-empty level
 * holds the next deadline.
 *
 * Why 64 slots, and why bitmaps. 64 is the width of a machine word. Each level keeps a uint64_t
 * with bit s set iff slot s is non-empty, so "the next non-empty slot" is one count-trailing-
 * zeros instruction, and the next deadline is at most six of them. This matters most when time
 * jumps: a runtime that slept ten minutes must not visit 600 000 empty 1 ms slots. Advancing here
 * goes from occupied slot to occupied slot, so its cost follows the timers handled, not the time
 * that passed. Fewer slots per level would need more levels for the same reach; more slots would
 * need multi-word bitmaps.
 *
 * What cascading costs. A timer an hour away sits in a coarse level-3 slot of 262 s. When time
 * reaches that slot's start, its entries are re-placed relative to the new time and fall to finer
 * levels (or fire). Each entry moves at most once per level, so at most five times in its life:
 * still O(1) amortised, and timers cancelled early (the common case) never move at all. But one
 * cascade of a crowded coarse slot is a burst of work inside a single loop turn; that is the price
 * of 1 ms precision at any distance.
 *
 * Beyond the reach. A deadline differing from the current time in bit 36 or above is more than
 * the wheel can express, so, as tokio does, it is clamped to the end of the wheel: it waits in
 * one extra list, the "last slot", whose boundary is the end of the current 2^36 ms rotation.
 * When time reaches that boundary its entries are re-placed; the ones still out of reach go back.
 * By then the six levels are empty, so time may jump straight to the earliest waiting deadline,
 * which the list remembers (a lower bound, kept in O(1) on insert, made exact again at every
 * re-placing); next_deadline answers it too, so a sleeping runtime wakes once at that deadline,
 * not at every rotation. A timer set a century ahead costs a few re-placements, not one per
 * 795 days.
 *
 * Exact order. Tokio fires the timers of one millisecond in whatever order its lists hold them.
 * This toolkit promises (deadline, seq) order, so that the wheel and the heap produce the same
 * trace and a program behaves the same with either. Due entries therefore move into an "expired"
 * list kept sorted by (deadline, seq), by insertion from the tail. Slot lists are FIFO and cascades
 * move entries in list order, so entries normally arrive already in order and each costs O(1);
 * if cascading ever did interleave them, the sorted insertion restores seq order. An insert whose
 * deadline has already passed goes straight into that list at its sorted place, so deadline 50
 * inserted late still fires before deadline 95 when both are due at 100. The walk from the tail
 * crosses only due-but-not-yet-popped entries with a later deadline. In a runtime that is none:
 * it pops every due timer at the start of a turn, before tasks run and arm new ones, and a task
 * arms "now + d", which is never in the past. (Inserting many already-passed deadlines in random
 * order without popping in between would cost O(n) each; nothing in a runtime does that.)
 *
 * Compared with tokio: the same shape (6 x 64, 1 ms, bitmaps, level by XOR, cascading, clamping
 * far deadlines) plus the sorted expired list and a separate list for the clamped entries where
 * tokio fudges them into the top level and rotates its slot search. Compared with Linux: the old
 * kernel wheel (before 4.8) cascaded too, with 256 + 4 x 64 slots. Thomas Gleixner's 2016 rework
 * removed cascading altogether: 8 or 9 levels of 64 buckets, each level 8 times coarser than the
 * one below, and a timer stays where it was put and fires at its bucket's boundary, up to about
 * an eighth of its timeout late. Nearly all kernel timers are timeouts that get cancelled, so
 * never moving them is worth the imprecision. A runtime promising "sleep(10) fires at 10 ms, not
 * at 12" keeps cascading.
 */

#define RT__LEVELS 6
#define RT__SLOT_BITS 6
#define RT__SLOTS (1 << RT__SLOT_BITS)
#define RT__REACH_BITS (RT__LEVELS * RT__SLOT_BITS)   /* 36: 2^36 ms, about 795 days */
#define RT__LVL_OVERFLOW RT__LEVELS                   /* e->level for the clamped "last slot" */
#define RT__LVL_EXPIRED (RT__LEVELS + 1)              /* e->level for the sorted due list */

typedef struct rt__wheel {
    rt_timers base;                       /* first member: the front door's view */
    uint64_t elapsed;                     /* the wheel's now: every slot before it is processed */
    uint64_t occupied[RT__LEVELS];        /* bit s of level L set iff slots[L][s] is non-empty */
    rt_timer_link slots[RT__LEVELS][RT__SLOTS];  /* circular lists, each with its own sentinel */
    rt_timer_link overflow;               /* deadlines beyond the current 2^36 ms rotation */
    uint64_t overflow_min;                /* <= every overflow deadline (exact unless a cancel) */
    rt_timer_link expired;                /* due entries, sorted by (deadline, seq) */
} rt__wheel;

/* rt__wheel_of: the wheel that embeds the front door's struct. */
static rt__wheel *rt__wheel_of(rt_timers *t)
{
    return rt_container_of(t, rt__wheel, base);
}

/* rt__wheel_of_const: the same, for read-only callers. */
static const rt__wheel *rt__wheel_of_const(const rt_timers *t)
{
    return rt_container_of(t, const rt__wheel, base);
}

/* rt__entry_of: the entry whose link this is. */
static rt_timer_entry *rt__entry_of(rt_timer_link *l)
{
    return rt_container_of(l, rt_timer_entry, link);
}

/* rt__list_init: an empty circular list (the sentinel points at itself). */
static void rt__list_init(rt_timer_link *head)
{
    head->next = head->prev = head;
}

/* rt__list_empty: true if only the sentinel is there. */
static int rt__list_empty(const rt_timer_link *head)
{
    return head->next == head;
}

/* rt__list_insert_after: links n right after pos; O(1), no branches thanks to the sentinel. */
static void rt__list_insert_after(rt_timer_link *pos, rt_timer_link *n)
{
    n->prev = pos;
    n->next = pos->next;
    pos->next->prev = n;
    pos->next = n;
}

/* rt__list_unlink: takes n out of whatever list holds it; O(1) without knowing that list. */
static void rt__list_unlink(rt_timer_link *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = NULL;
}

/* rt__list_move_all: moves every node of src, in order, into the empty list dst; src ends empty. */
static void rt__list_move_all(rt_timer_link *src, rt_timer_link *dst)
{
    rt__list_init(dst);
    if (rt__list_empty(src))
        return;
    dst->next = src->next;
    dst->prev = src->prev;
    dst->next->prev = dst;
    dst->prev->next = dst;
    rt__list_init(src);
}

/* rt__key_less: true if a fires before b, i.e. (deadline, seq) compares smaller. */
static int rt__key_less(const rt_timer_entry *a, const rt_timer_entry *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

/* rt__slot_start: the first millisecond covered by slot `slot` of `level`, seen from elapsed. */
static uint64_t rt__slot_start(uint64_t elapsed, int level, unsigned slot)
{
    unsigned shift = (unsigned)level * RT__SLOT_BITS;
    uint64_t level_mask = (UINT64_C(1) << (shift + RT__SLOT_BITS)) - 1;
    return (elapsed & ~level_mask) + ((uint64_t)slot << shift);
}

/* rt__rotation_end: the first millisecond after the 2^36 ms rotation holding elapsed. Only
 * asked while the overflow list is non-empty, which cannot happen in the last rotation below
 * 2^64 (no deadline can lie beyond it), so the + 1 cannot wrap. */
static uint64_t rt__rotation_end(uint64_t elapsed)
{
    return (elapsed | ((UINT64_C(1) << RT__REACH_BITS) - 1)) + 1;
}

/* rt__lowest_level: the finest level with an occupied slot, or -1 if all six are empty. */
static int rt__lowest_level(const rt__wheel *w)
{
    for (int level = 0; level < RT__LEVELS; level++)
        if (w->occupied[level] != 0)
            return level;
    return -1;
}

/* rt__expired_insert: puts e into the due list at its (deadline, seq) place, walking from the
 * tail because newcomers almost always belong at the end. */
static void rt__expired_insert(rt__wheel *w, rt_timer_entry *e)
{
    rt_timer_link *pos = w->expired.prev;
    while (pos != &w->expired && rt__key_less(e, rt__entry_of(pos)))
        pos = pos->prev;
    rt__list_insert_after(pos, &e->link);
    e->level = RT__LVL_EXPIRED;
}

/* rt__place: files e (deadline set) relative to elapsed: due list, a level's slot, or overflow. */
static void rt__place(rt__wheel *w, rt_timer_entry *e)
{
    if (e->deadline <= w->elapsed) {
        rt__expired_insert(w, e);
        return;
    }
    /* OR-ing in the low bits makes level 0 the answer for any deadline in this 64 ms block. */
    uint64_t differ = (w->elapsed ^ e->deadline) | (RT__SLOTS - 1);
    if (differ >> RT__REACH_BITS) {
        /* Out of reach: clamp to the last slot (tokio clamps too); see the design notes. */
        rt__list_insert_after(w->overflow.prev, &e->link);
        e->level = RT__LVL_OVERFLOW;
        if (e->deadline < w->overflow_min)
            w->overflow_min = e->deadline;
        return;
    }
    int level = (63 - __builtin_clzll(differ)) / RT__SLOT_BITS;
    unsigned slot = (unsigned)(e->deadline >> (level * RT__SLOT_BITS)) & (RT__SLOTS - 1);
    rt_timer_link *head = &w->slots[level][slot];
    rt__list_insert_after(head->prev, &e->link);   /* append: keeps slot lists FIFO */
    w->occupied[level] |= UINT64_C(1) << slot;
    e->level = (uint8_t)level;
    e->slot = (uint8_t)slot;
}

/* rt__replace_all: re-files every entry of `list` relative to the (new) elapsed, in list order.
 * The list is emptied first, so an entry that lands back in the same list (overflow) is safe,
 * and the overflow minimum is rebuilt exactly from the entries that land there again. */
static void rt__replace_all(rt__wheel *w, rt_timer_link *list)
{
    rt_timer_link batch;
    rt__list_move_all(list, &batch);
    if (list == &w->overflow)
        w->overflow_min = UINT64_MAX;
    while (!rt__list_empty(&batch)) {
        rt_timer_link *l = batch.next;
        rt__list_unlink(l);
        rt__place(w, rt__entry_of(l));
    }
}

/* rt__advance: turns the wheel to now, moving every entry with deadline <= now to the due list.
 * Slots are visited in time order and only if occupied, so the cost follows the entries moved. */
static void rt__advance(rt__wheel *w, uint64_t now)
{
    for (;;) {
        int level = rt__lowest_level(w);
        if (level >= 0) {
            unsigned slot = (unsigned)__builtin_ctzll(w->occupied[level]);
            uint64_t start = rt__slot_start(w->elapsed, level, slot);
            if (start > now)
                break;
            /* The slot begins in the future of elapsed (see the design notes), so time moves
             * forward; the slot's entries then fall to finer levels or, at level 0, are due. */
            assert(start > w->elapsed);
            w->elapsed = start;
            w->occupied[level] &= ~(UINT64_C(1) << slot);
            rt__replace_all(w, &w->slots[level][slot]);
            continue;
        }
        if (rt__list_empty(&w->overflow) || rt__rotation_end(w->elapsed) > now)
            break;
        /* The levels are empty and the rotation is over: nothing can be due before the earliest
         * overflow deadline, so jump there (or to now) at once instead of rotation by rotation.
         * overflow_min may be too low after a cancel; then the jump is merely shorter (it is
         * still beyond the rotation, hence later than elapsed) and the re-placing below makes
         * it exact. */
        uint64_t min = w->overflow_min;
        assert(min >= rt__rotation_end(w->elapsed));
        w->elapsed = min < now ? min : now;
        rt__replace_all(w, &w->overflow);
    }
    /* Every slot starting at or before now has been processed, and the ones left start later, so
     * each remaining entry still sits at the level it would get if placed from now. */
    w->elapsed = now;
}

/* rt__wheel_destroy: frees the wheel; armed entries are the caller's and are not touched (the
 * caller may have freed them already, e.g. at runtime shutdown). */
static void rt__wheel_destroy(rt_timers *t)
{
    rt_free(rt__wheel_of(t));
}

/* rt__wheel_reserve: the wheel never allocates per entry, so there is always room. */
static int rt__wheel_reserve(rt_timers *t)
{
    (void)t;
    return 0;
}

/* rt__wheel_insert: O(1) (a due entry walks the due list from its tail, see the notes). */
static void rt__wheel_insert(rt_timers *t, rt_timer_entry *e)
{
    rt__place(rt__wheel_of(t), e);
}

/* rt__wheel_cancel: O(1): unlink, and clear the slot's bit if it became empty. */
static void rt__wheel_cancel(rt_timers *t, rt_timer_entry *e)
{
    rt__wheel *w = rt__wheel_of(t);
    rt__list_unlink(&e->link);
    if (e->level < RT__LEVELS && rt__list_empty(&w->slots[e->level][e->slot]))
        w->occupied[e->level] &= ~(UINT64_C(1) << e->slot);
    /* overflow_min is left as it is: too low is allowed (see rt__advance), and recomputing it
     * would cost a scan. Only an emptied list resets it, for tidiness. */
    if (e->level == RT__LVL_OVERFLOW && rt__list_empty(&w->overflow))
        w->overflow_min = UINT64_MAX;
}

/* rt__wheel_next_deadline: the earliest due deadline, else the start of the next occupied slot
 * (exact at level 0, a lower bound above), else the earliest deadline beyond the reach (exact
 * unless lowered by a cancel), else UINT64_MAX. */
static uint64_t rt__wheel_next_deadline(const rt_timers *t)
{
    const rt__wheel *w = rt__wheel_of_const(t);
    if (!rt__list_empty(&w->expired))
        return rt_container_of(w->expired.next, const rt_timer_entry, link)->deadline;
    int level = rt__lowest_level(w);
    if (level >= 0)
        return rt__slot_start(w->elapsed, level, (unsigned)__builtin_ctzll(w->occupied[level]));
    return w->overflow_min;   /* UINT64_MAX when the overflow list is empty */
}

/* rt__wheel_pop_expired: turn to now if time moved, then hand out the head of the due list. */
static rt_timer_entry *rt__wheel_pop_expired(rt_timers *t, uint64_t now_ms)
{
    rt__wheel *w = rt__wheel_of(t);
    if (now_ms > w->elapsed)
        rt__advance(w, now_ms);
    if (rt__list_empty(&w->expired))
        return NULL;
    rt_timer_link *l = w->expired.next;
    rt__list_unlink(l);
    return rt__entry_of(l);
}

static const rt__timers_ops rt__wheel_ops = {
    .destroy = rt__wheel_destroy,
    .reserve = rt__wheel_reserve,
    .insert = rt__wheel_insert,
    .cancel = rt__wheel_cancel,
    .next_deadline = rt__wheel_next_deadline,
    .pop_expired = rt__wheel_pop_expired,
};

/* rt__wheel_new: an empty wheel at now_ms (about 6 KiB of list heads), or NULL on ENOMEM. */
rt_timers *rt__wheel_new(uint64_t now_ms)
{
    rt__wheel *w = rt_malloc(sizeof *w);
    if (w == NULL)
        return NULL;
    w->base.ops = &rt__wheel_ops;
    w->elapsed = now_ms;
    for (int level = 0; level < RT__LEVELS; level++) {
        w->occupied[level] = 0;
        for (int slot = 0; slot < RT__SLOTS; slot++)
            rt__list_init(&w->slots[level][slot]);
    }
    rt__list_init(&w->overflow);
    w->overflow_min = UINT64_MAX;
    rt__list_init(&w->expired);
    return &w->base;
}

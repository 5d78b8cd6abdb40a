/* rt_timer_heap.c: timers in a binary min-heap keyed by (deadline, seq), with O(log n) cancel. */
#include <errno.h>

#include "rt_alloc.h"
#include "rt_qnode.h"
#include "rt_timer_impl.h"

/*
 * The heap is the textbook alternative to the wheel (rt_timer_wheel.c) and the baseline to
 * benchmark it against. It keeps an array of entry pointers in which every parent fires no later
 * than its two children, so the root is always the next timer to fire: next_deadline is exact
 * and O(1), insert and pop are O(log n). Cancel is O(log n) too because each entry remembers its
 * array index (updated on every move), so it can be taken out of the middle without a search.
 *
 * The key is (deadline, seq), which makes the order total: two timers never compare equal, so
 * the heap's firing order is fully determined and equal to the wheel's. libuv's timer heap breaks
 * ties the same way (timeout, then start_id). async-std's reactor (the async-io crate) uses a
 * BTreeMap keyed by (Instant, id) instead: also O(log n), ordered iteration for free, but a node
 * allocation per timer, where this array only grows now and then and never per insert.
 *
 * Costs to weigh against the wheel: every insert and cancel touches log2(n) array cells (about
 * 20 for a million timers), and the array is not shrunk when timers go away; the wheel does O(1)
 * work per operation but may cascade entries later and answers next_deadline only to a slot
 * boundary.
 */

#define RT__HEAP_INITIAL 64

typedef struct rt__heap {
    rt_timers base;          /* first member: the front door's view */
    rt_timer_entry **items;  /* items[0] fires first; children of i are 2i+1 and 2i+2 */
    size_t len, cap;
} rt__heap;

/* rt__heap_of: the heap that embeds the front door's struct. */
static rt__heap *rt__heap_of(rt_timers *t)
{
    return rt_container_of(t, rt__heap, base);
}

/* rt__heap_of_const: the same, for read-only callers. */
static const rt__heap *rt__heap_of_const(const rt_timers *t)
{
    return rt_container_of(t, const rt__heap, base);
}

/* rt__heap_less: true if a fires before b; (deadline, seq) is a total order. */
static int rt__heap_less(const rt_timer_entry *a, const rt_timer_entry *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

/* rt__heap_set: stores e at index i and tells e where it now lives. */
static void rt__heap_set(rt__heap *h, size_t i, rt_timer_entry *e)
{
    h->items[i] = e;
    e->heap_index = i;
}

/* rt__heap_sift_up: moves the entry at i towards the root until its parent fires first. */
static void rt__heap_sift_up(rt__heap *h, size_t i)
{
    rt_timer_entry *e = h->items[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!rt__heap_less(e, h->items[parent]))
            break;
        rt__heap_set(h, i, h->items[parent]);   /* a hole moves up; e is written once at the end */
        i = parent;
    }
    rt__heap_set(h, i, e);
}

/* rt__heap_sift_down: moves the entry at i down until it fires before both its children. */
static void rt__heap_sift_down(rt__heap *h, size_t i)
{
    rt_timer_entry *e = h->items[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->len)
            break;
        if (child + 1 < h->len && rt__heap_less(h->items[child + 1], h->items[child]))
            child++;
        if (!rt__heap_less(h->items[child], e))
            break;
        rt__heap_set(h, i, h->items[child]);
        i = child;
    }
    rt__heap_set(h, i, e);
}

/* rt__heap_remove_at: takes out the entry at i by moving the last entry into its place and
 * sifting that one up or down (it may belong on either side of its new parent). */
static void rt__heap_remove_at(rt__heap *h, size_t i)
{
    h->len--;
    if (i == h->len)
        return;
    rt__heap_set(h, i, h->items[h->len]);
    if (i > 0 && rt__heap_less(h->items[i], h->items[(i - 1) / 2]))
        rt__heap_sift_up(h, i);
    else
        rt__heap_sift_down(h, i);
}

/* rt__heap_destroy: frees the array and the heap; armed entries are the caller's, untouched. */
static void rt__heap_destroy(rt_timers *t)
{
    rt__heap *h = rt__heap_of(t);
    rt_free(h->items);
    rt_free(h);
}

/* rt__heap_reserve: ensures room for one more entry; on -ENOMEM the old array is intact. */
static int rt__heap_reserve(rt_timers *t)
{
    rt__heap *h = rt__heap_of(t);
    if (h->len < h->cap)
        return 0;
    /* Doubling keeps the amortised cost of growth O(1) per insert. */
    if (h->cap > SIZE_MAX / 2 / sizeof *h->items)
        return -ENOMEM;
    size_t cap = h->cap * 2;
    rt_timer_entry **items = rt_realloc(h->items, cap * sizeof *items);
    if (items == NULL)
        return -ENOMEM;
    h->items = items;
    h->cap = cap;
    return 0;
}

/* rt__heap_shrink: after a removal, give back half the array once three quarters of it is
 * empty, so a storm of a million timers does not pin 8 MiB for the rest of the process. The
 * gap between growing at full and shrinking at a quarter means no size makes it flip-flop,
 * and each halving is paid for by the removals since the last resize: still O(1) amortised.
 * A failed realloc is harmless: the larger array simply stays. */
static void rt__heap_shrink(rt__heap *h)
{
    if (h->cap <= RT__HEAP_INITIAL || h->len >= h->cap / 4)
        return;
    size_t cap = h->cap / 2;
    rt_timer_entry **items = rt_realloc(h->items, cap * sizeof *items);
    if (items == NULL)
        return;
    h->items = items;
    h->cap = cap;
}

/* rt__heap_insert: appends e as a leaf and sifts it up; O(log n). Room was reserved. */
static void rt__heap_insert(rt_timers *t, rt_timer_entry *e)
{
    rt__heap *h = rt__heap_of(t);
    size_t i = h->len++;
    rt__heap_set(h, i, e);
    rt__heap_sift_up(h, i);
}

/* rt__heap_cancel: removes e from wherever it sits, found through its stored index; O(log n). */
static void rt__heap_cancel(rt_timers *t, rt_timer_entry *e)
{
    rt__heap *h = rt__heap_of(t);
    rt__heap_remove_at(h, e->heap_index);
    rt__heap_shrink(h);
}

/* rt__heap_next_deadline: the root's deadline, exact; UINT64_MAX if empty. */
static uint64_t rt__heap_next_deadline(const rt_timers *t)
{
    const rt__heap *h = rt__heap_of_const(t);
    return h->len == 0 ? UINT64_MAX : h->items[0]->deadline;
}

/* rt__heap_pop_expired: removes and returns the root if it is due, else NULL; O(log n). */
static rt_timer_entry *rt__heap_pop_expired(rt_timers *t, uint64_t now_ms)
{
    rt__heap *h = rt__heap_of(t);
    if (h->len == 0 || h->items[0]->deadline > now_ms)
        return NULL;
    rt_timer_entry *e = h->items[0];
    rt__heap_remove_at(h, 0);
    rt__heap_shrink(h);
    return e;
}

static const rt__timers_ops rt__heap_ops = {
    .destroy = rt__heap_destroy,
    .reserve = rt__heap_reserve,
    .insert = rt__heap_insert,
    .cancel = rt__heap_cancel,
    .next_deadline = rt__heap_next_deadline,
    .pop_expired = rt__heap_pop_expired,
};

/* rt__heap_new: an empty heap with room for RT__HEAP_INITIAL entries, or NULL (nothing leaked). */
rt_timers *rt__heap_new(uint64_t now_ms)
{
    /* The heap needs no notion of time of its own: the front door keeps now monotonic and
     * hands it to pop, and an entry is due exactly when its deadline <= that now. */
    (void)now_ms;
    rt__heap *h = rt_malloc(sizeof *h);
    if (h == NULL)
        return NULL;
    h->items = rt_malloc(RT__HEAP_INITIAL * sizeof *h->items);
    if (h->items == NULL) {
        rt_free(h);
        return NULL;
    }
    h->base.ops = &rt__heap_ops;
    h->len = 0;
    h->cap = RT__HEAP_INITIAL;
    return &h->base;
}

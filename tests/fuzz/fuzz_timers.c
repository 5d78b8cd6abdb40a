/* fuzz_timers.c: libFuzzer differential target: the timing wheel, the heap and a sorted reference, op by op. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_alloc.h"
#include "rt_timer.h"

/*
 * The input is a program. Its first byte picks a start time (several sit just below a wheel
 * boundary or near the end of time, where the wheel's edge cases live); every following byte
 * is an opcode, with operands taken from the bytes after it. The same program runs against
 * three timer sets: the wheel (RT_TIMERS_WHEEL), the heap (RT_TIMERS_HEAP) and a reference so
 * simple it is obviously right -- an array of entry indices kept sorted by (deadline, seq) with
 * insertion sort. After every operation the three must agree on what is armed, how many, the
 * next deadline (exact for the heap; never later for the wheel, and not "now or earlier" unless
 * something is due), and every pop must return the same entry from all three, never before its
 * deadline. At the end time jumps to UINT64_MAX and everything still armed must fire, in the
 * same order: nothing lost.
 *
 * The reference keeps its own copy of each deadline and seq, so a backend that corrupted an
 * entry's fields could not drag the reference along with it. A mismatch prints the step and
 * aborts; libFuzzer saves the program that did it.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define POOL 128
#define REACH (UINT64_C(1) << 36)   /* the wheel's six levels: 64^6 ms */
#define MAX_OPS 4096                /* keeps one input's run short whatever its length */

typedef struct prog {
    const uint8_t *p;
    size_t n, at;
} prog;

typedef struct model {
    rt_timers *wheel, *heap;
    rt_timer_entry we[POOL], he[POOL];
    uint64_t ref_deadline[POOL], ref_seq[POOL];
    uint8_t ref_armed[POOL];
    uint32_t order[POOL];   /* armed indices sorted by (ref_deadline, ref_seq) */
    size_t n;
    uint64_t now;           /* the largest time handed to the sets so far */
    uint64_t next_seq;
    size_t step;
} model;

/* fail: report a disagreement at the current step and abort. */
static _Noreturn void fail(const model *m, const char *what, uint64_t got, uint64_t want)
{
    fprintf(stderr, "fuzz_timers: step %zu, now %llu: %s (got %llu, want %llu)\n", m->step,
            (unsigned long long)m->now, what, (unsigned long long)got, (unsigned long long)want);
    abort();
}

/* next_byte: the next program byte, 0 once the program has run out. */
static uint8_t next_byte(prog *g)
{
    return g->at < g->n ? g->p[g->at++] : 0;
}

/* next_uint: an unsigned integer of `bytes` bytes, little-endian. */
static uint64_t next_uint(prog *g, int bytes)
{
    uint64_t x = 0;
    for (int i = 0; i < bytes; i++)
        x |= (uint64_t)next_byte(g) << (8 * i);
    return x;
}

/* sat_add: a + b, saturating at UINT64_MAX (deadlines do not wrap). */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

/* sat_sub: a - b, stopping at 0. */
static uint64_t sat_sub(uint64_t a, uint64_t b)
{
    return b > a ? 0 : a - b;
}

/* ref_before: whether armed index a fires before armed index b in the reference. */
static int ref_before(const model *m, uint32_t a, uint32_t b)
{
    return m->ref_deadline[a] < m->ref_deadline[b] ||
           (m->ref_deadline[a] == m->ref_deadline[b] && m->ref_seq[a] < m->ref_seq[b]);
}

/* ref_insert: place index i (its key already recorded) by insertion from the tail. */
static void ref_insert(model *m, uint32_t i)
{
    size_t k = m->n++;
    while (k > 0 && ref_before(m, i, m->order[k - 1])) {
        m->order[k] = m->order[k - 1];
        k--;
    }
    m->order[k] = i;
    m->ref_armed[i] = 1;
}

/* ref_remove: take armed index i out of the reference by a linear search. */
static void ref_remove(model *m, uint32_t i)
{
    size_t k = 0;
    while (k < m->n && m->order[k] != i)
        k++;
    if (k == m->n)
        fail(m, "reference lost an armed index", i, POOL);
    memmove(&m->order[k], &m->order[k + 1], (m->n - k - 1) * sizeof m->order[0]);
    m->n--;
    m->ref_armed[i] = 0;
}

/* check_agree: counts, armed flags and next deadlines of the three sets agree. */
static void check_agree(const model *m)
{
    if (rt_timers_count(m->wheel) != m->n)
        fail(m, "wheel count", rt_timers_count(m->wheel), m->n);
    if (rt_timers_count(m->heap) != m->n)
        fail(m, "heap count", rt_timers_count(m->heap), m->n);
    for (uint32_t i = 0; i < POOL; i++) {
        if (rt_timer_entry_is_armed(&m->we[i]) != m->ref_armed[i])
            fail(m, "wheel armed flag", i, m->ref_armed[i]);
        if (rt_timer_entry_is_armed(&m->he[i]) != m->ref_armed[i])
            fail(m, "heap armed flag", i, m->ref_armed[i]);
    }
    uint64_t earliest = m->n ? m->ref_deadline[m->order[0]] : UINT64_MAX;
    uint64_t hn = rt_timers_next_deadline(m->heap), wn = rt_timers_next_deadline(m->wheel);
    if (hn != earliest)
        fail(m, "heap next_deadline is not exact", hn, earliest);
    if (wn > earliest)
        fail(m, "wheel next_deadline is later than the earliest deadline", wn, earliest);
    /* A runtime sleeps until wn; if wn is not in the future, something must be due, or the
     * runtime would spin without ever making progress. */
    if (wn <= m->now && earliest > m->now)
        fail(m, "wheel next_deadline is due but nothing is", wn, earliest);
}

/* pick_deadline: decode a deadline: past, now, near, far, on boundaries, tied, end of time. */
static uint64_t pick_deadline(model *m, prog *g)
{
    uint8_t c = next_byte(g);
    switch (c % 11) {
    case 0:
        return sat_sub(m->now, next_uint(g, 2));                 /* already passed */
    case 1:
        return m->now;
    case 2:
        return sat_add(m->now, next_byte(g));                    /* levels 0-1 */
    case 3:
        return sat_add(m->now, next_uint(g, 2));                 /* levels 1-2 */
    case 4:
        return sat_add(m->now, next_uint(g, 4));                 /* levels 3-5 */
    case 5: {                                                    /* the 2^36 reach, +-128 */
        uint64_t d = sat_add(m->now, REACH);
        uint8_t x = next_byte(g);
        return x & 0x80 ? sat_add(d, x & 0x7f) : sat_sub(d, x);
    }
    case 6: {                                                    /* a tie with an armed one */
        if (m->n == 0)
            return m->now;
        return m->ref_deadline[m->order[next_byte(g) % m->n]];
    }
    case 7:
        return UINT64_MAX - next_byte(g) % 4;                    /* the end of time */
    case 8:
        return sat_add(m->now, next_uint(g, 8));                 /* anything */
    case 9: {                                                    /* a slot boundary, +-1 */
        uint8_t x = next_byte(g);
        uint64_t b = (uint64_t)1 << (x % 64);
        uint64_t base = (m->now | (b - 1)) + 1;   /* the next multiple of b after now */
        if (base < m->now)
            base = UINT64_MAX;                   /* wrapped: none before the end of time */
        return x & 0x40 ? sat_add(base, 1) : (x & 0x80 ? sat_sub(base, 1) : base);
    }
    default:
        return sat_add(m->now, (uint64_t)next_byte(g) << (next_byte(g) % 40));   /* sparse */
    }
}

/* op_insert: arm one index in all three, or check that a second insert is refused by both. */
static void op_insert(model *m, prog *g, int fail_alloc)
{
    uint32_t i = next_byte(g) % POOL;
    uint64_t dl = pick_deadline(m, g);
    if (m->ref_armed[i]) {
        if (rt_timers_insert(m->wheel, &m->we[i], dl) != -EINVAL)
            fail(m, "wheel accepted a double insert", i, (uint64_t)EINVAL);
        if (rt_timers_insert(m->heap, &m->he[i], dl) != -EINVAL)
            fail(m, "heap accepted a double insert", i, (uint64_t)EINVAL);
        if (m->we[i].deadline != m->ref_deadline[i] || m->he[i].deadline != m->ref_deadline[i])
            fail(m, "a refused insert changed the deadline", m->we[i].deadline, m->ref_deadline[i]);
        return;
    }
    /* Allocation failure: only the heap can need memory (to grow its array); when it does and
     * the allocation fails, the insert must change nothing at all. */
    if (fail_alloc)
        rt_alloc_fail_after(1);
    int hr = rt_timers_insert(m->heap, &m->he[i], dl);
    rt_alloc_fail_after(0);
    if (hr == -ENOMEM) {
        if (!fail_alloc)
            fail(m, "heap insert failed without an injected failure", i, 0);
        if (rt_timer_entry_is_armed(&m->he[i]))
            fail(m, "a failed heap insert left the entry armed", i, 0);
        return;   /* check_agree then proves count and next deadline unchanged */
    }
    if (hr != 0)
        fail(m, "heap insert", (uint64_t)-hr, 0);
    if (fail_alloc)
        rt_alloc_fail_after(1);   /* the wheel must not allocate at all */
    int wr = rt_timers_insert(m->wheel, &m->we[i], dl);
    rt_alloc_fail_after(0);
    if (wr != 0)
        fail(m, "wheel insert", (uint64_t)-wr, 0);
    m->ref_deadline[i] = dl;
    m->ref_seq[i] = m->next_seq++;
    if (m->we[i].seq != m->he[i].seq)
        fail(m, "wheel and heap numbered an insert differently", m->we[i].seq, m->he[i].seq);
    ref_insert(m, i);
}

/* op_cancel: cancel one index everywhere (armed or not: cancel is idempotent), twice. */
static void op_cancel(model *m, prog *g)
{
    uint8_t b = next_byte(g);
    uint32_t i;
    if (b & 0x80 && m->n > 0)
        i = m->order[(b & 0x7f) % (m->n < 4 ? m->n : 4)];   /* one of the next to fire */
    else
        i = b % POOL;
    if (m->ref_armed[i])
        ref_remove(m, i);
    for (int k = 0; k < 2; k++) {
        rt_timers_cancel(m->wheel, &m->we[i]);
        rt_timers_cancel(m->heap, &m->he[i]);
    }
}

/* pop_due: pop up to `limit` entries at time `arg` (which may be below now: it must then count
 * as now) and check that all three agree on each, and that nothing due is left behind. */
static void pop_due(model *m, uint64_t arg, size_t limit)
{
    if (arg > m->now)
        m->now = arg;
    for (size_t k = 0; k < limit; k++) {
        rt_timer_entry *w = rt_timers_pop_expired(m->wheel, arg);
        rt_timer_entry *h = rt_timers_pop_expired(m->heap, arg);
        int due = m->n > 0 && m->ref_deadline[m->order[0]] <= m->now;
        if (!due) {
            if (w != NULL)
                fail(m, "wheel fired an entry that is not due", (uint64_t)(w - m->we), POOL);
            if (h != NULL)
                fail(m, "heap fired an entry that is not due", (uint64_t)(h - m->he), POOL);
            return;
        }
        uint32_t i = m->order[0];
        if (w != &m->we[i])
            fail(m, "wheel fired the wrong entry", w ? (uint64_t)(w - m->we) : POOL, i);
        if (h != &m->he[i])
            fail(m, "heap fired the wrong entry", h ? (uint64_t)(h - m->he) : POOL, i);
        if (w->deadline != m->ref_deadline[i] || h->deadline != m->ref_deadline[i] ||
            w->seq != m->ref_seq[i] || h->seq != m->ref_seq[i])
            fail(m, "a fired entry's key was changed", w->deadline, m->ref_deadline[i]);
        if (w->data != h->data || w->data != (void *)(uintptr_t)(i + 1))
            fail(m, "a fired entry's data was changed", i, i);
        ref_remove(m, i);
    }
}

/* pop_limit: "all" three times in four, else 1 to 4 (a runtime may stop popping midway). */
static size_t pop_limit(prog *g)
{
    uint8_t b = next_byte(g);
    return b % 4 != 0 ? SIZE_MAX : 1 + (size_t)(b >> 2) % 4;
}

/* run: decode and execute the program. */
static void run(model *m, prog *g)
{
    while (g->at < g->n && m->step < MAX_OPS) {
        m->step++;
        uint8_t op = next_byte(g);
        switch (op % 12) {
        case 0:
        case 1:
        case 2:
            op_insert(m, g, 0);
            break;
        case 3:
            op_insert(m, g, 1);
            break;
        case 4:
        case 5:
            op_cancel(m, g);
            break;
        case 6:
            pop_due(m, m->now, pop_limit(g));
            break;
        case 7:
            pop_due(m, sat_add(m->now, next_byte(g)), pop_limit(g));
            break;
        case 8:
            pop_due(m, sat_add(m->now, next_uint(g, 1 + next_byte(g) % 8)), pop_limit(g));
            break;
        case 9: {   /* as a runtime does: sleep until the wheel's next deadline */
            uint64_t wn = rt_timers_next_deadline(m->wheel);
            pop_due(m, wn == UINT64_MAX ? m->now : wn, pop_limit(g));
            break;
        }
        case 10:    /* a clock that steps backwards: no time passes */
            pop_due(m, sat_sub(m->now, next_uint(g, 2)), pop_limit(g));
            break;
        default: {  /* jump to just before, at or after the earliest deadline */
            uint64_t e = m->n ? m->ref_deadline[m->order[0]] : m->now;
            uint8_t x = next_byte(g) % 3;
            pop_due(m, x == 0 ? sat_sub(e, 1) : x == 1 ? e : sat_add(e, 1), pop_limit(g));
            break;
        }
        }
        check_agree(m);
    }
}

static const uint64_t starts[16] = {
    0, 1, 63, 64, 4095, 4096, 262143, REACH - 1, REACH, REACH - 5000, 7 * REACH + 123456789,
    (UINT64_C(1) << 48) - 3, UINT64_MAX - (UINT64_C(1) << 44), UINT64_MAX - 100000,
    UINT64_MAX - 1, UINT64_C(0x5555555555),
};

/* LLVMFuzzerTestOneInput: run the program, then flush to the end of time: nothing lost. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prog g = { .p = data, .n = size, .at = 0 };
    model *m = calloc(1, sizeof *m);
    if (m == NULL)
        abort();
    uint8_t b = next_byte(&g);
    m->now = sat_add(starts[b % 16], b >> 4);
    m->wheel = rt_timers_new(RT_TIMERS_WHEEL, m->now);
    m->heap = rt_timers_new(RT_TIMERS_HEAP, m->now);
    if (m->wheel == NULL || m->heap == NULL)
        abort();
    for (uint32_t i = 0; i < POOL; i++) {
        rt_timer_entry_init(&m->we[i], (void *)(uintptr_t)(i + 1));
        rt_timer_entry_init(&m->he[i], (void *)(uintptr_t)(i + 1));
    }
    check_agree(m);
    run(m, &g);
    size_t left = m->n;
    pop_due(m, UINT64_MAX, SIZE_MAX);
    if (m->n != 0)
        fail(m, "entries left armed at the end of time", m->n, 0);
    check_agree(m);
    if (rt_timers_pop_expired(m->wheel, UINT64_MAX) || rt_timers_pop_expired(m->heap, UINT64_MAX))
        fail(m, "a pop after the flush returned an entry", left, 0);
    rt_timers_free(m->wheel);
    rt_timers_free(m->heap);
    free(m);
    return 0;
}

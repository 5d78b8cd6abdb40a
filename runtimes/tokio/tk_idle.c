/* tk_idle.c: which multi_thread workers are searching for work and which sleep (tokio's Idle). */
#include <string.h>

#include "rt_alloc.h"
#include "tk_internal.h"

/*
 * Two numbers decide whether waking a worker is worth it, packed in one word so that they
 * change together:
 *   searching  workers currently trying to steal. If one is searching, it will find the new
 *              task; waking another would only add a thief.
 *   unparked   workers not asleep. If all are awake, there is nobody to wake.
 * At most half the workers may search at once: with more, thieves mostly rob each other.
 *
 * The lost-wake argument (tokio's, and the reason every operation here is a read-modify-write
 * on the same word): a producer pushes a task and then does fetch_add(0) on `state`; the last
 * searcher decrements `state` and then looks at the queues. Both are RMWs on one atomic, so
 * they are ordered: if the producer's comes second it sees searching == 0 and wakes someone;
 * if the searcher's comes second it synchronises with the producer and sees the task.
 */

#define TK__SEARCH_BITS 16
#define TK__SEARCH_MASK ((1ull << TK__SEARCH_BITS) - 1)
#define TK__UNPARK_ONE  (1ull << TK__SEARCH_BITS)

/* tk__num_searching / tk__num_unparked: the two halves of the word. */
static inline unsigned tk__num_searching(uint64_t s) { return (unsigned)(s & TK__SEARCH_MASK); }
static inline unsigned tk__num_unparked(uint64_t s) { return (unsigned)(s >> TK__SEARCH_BITS); }

/* tk__idle_init: every worker starts awake and not searching. */
int tk__idle_init(tk__idle *idle, unsigned num_workers)
{
    memset(idle, 0, sizeof *idle);
    idle->num_workers = num_workers;
    atomic_init(&idle->state, (uint64_t)num_workers * TK__UNPARK_ONE);
    idle->sleepers = rt_calloc(num_workers, sizeof *idle->sleepers);
    idle->parked = rt_calloc(num_workers, sizeof *idle->parked);
    if (!idle->sleepers || !idle->parked) {
        rt_free(idle->sleepers);
        rt_free((void *)idle->parked);
        return -1;
    }
    pthread_mutex_init(&idle->lock, NULL);
    return 0;
}

/* tk__idle_destroy: free the sleeper list. */
void tk__idle_destroy(tk__idle *idle)
{
    pthread_mutex_destroy(&idle->lock);
    rt_free(idle->sleepers);
    rt_free((void *)idle->parked);
}

/* tk__idle_transition_to_searching: allowed while fewer than half are searching. */
bool tk__idle_transition_to_searching(tk__idle *idle)
{
    uint64_t s = atomic_load_explicit(&idle->state, memory_order_seq_cst);
    if (2 * tk__num_searching(s) >= idle->num_workers)
        return false;
    atomic_fetch_add_explicit(&idle->state, 1, memory_order_seq_cst);
    return true;
}

/* tk__idle_transition_from_searching: true if we were the last searcher (then the caller
 * wakes another worker, so that someone keeps looking for the work that may remain). */
bool tk__idle_transition_from_searching(tk__idle *idle)
{
    uint64_t prev = atomic_fetch_sub_explicit(&idle->state, 1, memory_order_seq_cst);
    return tk__num_searching(prev) == 1;
}

/* tk__idle_transition_to_parked: record the worker as asleep; true if it was the last
 * searcher, in which case it must check the queues once more before sleeping. */
bool tk__idle_transition_to_parked(tk__idle *idle, unsigned worker, bool is_searching)
{
    pthread_mutex_lock(&idle->lock);
    uint64_t dec = TK__UNPARK_ONE + (is_searching ? 1 : 0);
    uint64_t prev = atomic_fetch_sub_explicit(&idle->state, dec, memory_order_seq_cst);
    idle->sleepers[idle->num_sleepers++] = worker;
    atomic_store_explicit(&idle->parked[worker], 1, memory_order_release);
    pthread_mutex_unlock(&idle->lock);
    return is_searching && tk__num_searching(prev) == 1;
}

/* tk__idle_worker_to_notify: pick a sleeper to wake, or -1 if waking one is pointless. The
 * chosen worker is counted as unparked and searching before it even wakes, so that a burst
 * of notifications wakes one worker, not all of them. */
int tk__idle_worker_to_notify(tk__idle *idle)
{
    /* fetch_add(0): an RMW, for the ordering argument above, not a plain load. */
    uint64_t s = atomic_fetch_add_explicit(&idle->state, 0, memory_order_seq_cst);
    if (tk__num_searching(s) != 0 || tk__num_unparked(s) >= idle->num_workers)
        return -1;
    pthread_mutex_lock(&idle->lock);
    s = atomic_load_explicit(&idle->state, memory_order_seq_cst);
    if (tk__num_searching(s) != 0 || idle->num_sleepers == 0) {
        pthread_mutex_unlock(&idle->lock);
        return -1;
    }
    atomic_fetch_add_explicit(&idle->state, TK__UNPARK_ONE + 1, memory_order_seq_cst);
    unsigned worker = idle->sleepers[--idle->num_sleepers];
    atomic_store_explicit(&idle->parked[worker], 0, memory_order_release);
    pthread_mutex_unlock(&idle->lock);
    return (int)worker;
}

/* tk__idle_is_parked: still in the sleeper list (a spurious wake, or not chosen yet). */
bool tk__idle_is_parked(tk__idle *idle, unsigned worker)
{
    return atomic_load_explicit(&idle->parked[worker], memory_order_acquire) != 0;
}

/* tk__idle_unpark_worker_by_id: a worker leaves the sleeper list by itself (it found work in
 * its own LIFO slot after a driver turn, or the runtime is shutting down). */
void tk__idle_unpark_worker_by_id(tk__idle *idle, unsigned worker)
{
    pthread_mutex_lock(&idle->lock);
    for (unsigned i = 0; i < idle->num_sleepers; i++) {
        if (idle->sleepers[i] == worker) {
            idle->sleepers[i] = idle->sleepers[--idle->num_sleepers];
            atomic_store_explicit(&idle->parked[worker], 0, memory_order_release);
            atomic_fetch_add_explicit(&idle->state, TK__UNPARK_ONE + 1, memory_order_seq_cst);
            break;
        }
    }
    pthread_mutex_unlock(&idle->lock);
}

/* tk__idle_num_searching: for metrics and tests. */
unsigned tk__idle_num_searching(tk__idle *idle)
{
    return tk__num_searching(atomic_load_explicit(&idle->state, memory_order_relaxed));
}

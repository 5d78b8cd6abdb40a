/* rt_local_queue.c: tokio's work-stealing ring -- push/pop, steal-half, overflow-half to inject. */
#include "rt_local_queue.h"

/*
 * How the memory orderings fit together (read this before the functions).
 *
 * The slots themselves are plain pointers. What keeps them race-free is that every slot
 * changes hands through one of two atomics, each used as a release/acquire pair:
 *
 *   tail  The owner writes a slot and then stores tail with Release. A stealer loads tail
 *         with Acquire before it reads any slot below it, so it sees the owner's write. This
 *         is the "publish" edge, owner -> stealer.
 *
 *   head  A stealer reads its claimed slots and then, to finish, CASes steal up to real with
 *         Release. The owner loads head with Acquire before every push, and writes position
 *         p only if p - steal < 256. A slot the stealer is still reading holds a position
 *         >= steal, so the owner reuses it (for that position + 256) only after its Acquire
 *         load has seen steal move past it -- that is, after the stealer's closing CAS. So
 *         the stealer's reads happen-before the owner's overwrite. This is the "give back"
 *         edge, stealer -> owner; without it the owner could reuse a slot mid-read.
 *
 * One more invariant is needed by anyone who reads head and then tail: tail - real must not
 * appear negative, or the count of available nodes would wrap to four billion. Every writer
 * of head therefore uses Release (the owner's pops and overflow claims too, although they
 * publish no slot): a thread that Acquires a head value then also sees every tail store that
 * preceded it, so the tail it loads next is at least that head's real.
 *
 * The CAS on head is also what makes claiming safe. A stealer computes its batch from a head
 * value H and a tail, and commits with CAS(head: H -> H with real advanced). If anybody took
 * anything in between -- the owner popped, another stealer claimed -- head is no longer H and
 * the CAS fails, so two takers can never claim the same position. From a successful claim
 * until the closing CAS, steal lags behind real, which both freezes those slots against the
 * owner's pushes (push counts free room from steal, not real) and turns other stealers away.
 *
 * The counters are 32 bits and wrap. A CAS could in principle succeed on a head that has
 * gone all the way round (ABA) while a stealer slept; that needs 2^32 pops between the
 * stealer's load and its CAS, which tokio also accepts as impossible in practice.
 */

#define RT__LQ_MASK ((uint32_t)(RT_LOCAL_QUEUE_CAPACITY - 1))
#define RT__LQ_HALF ((uint32_t)(RT_LOCAL_QUEUE_CAPACITY / 2))

_Static_assert((RT_LOCAL_QUEUE_CAPACITY & (RT_LOCAL_QUEUE_CAPACITY - 1)) == 0,
               "the ring is indexed by masking, so its capacity must be a power of two");

/* rt__lq_pack: the head word for the given steal and real positions. */
static inline uint64_t rt__lq_pack(uint32_t steal, uint32_t real)
{
    return ((uint64_t)steal << 32) | real;
}

/* rt__lq_steal: the steal half of a head word. */
static inline uint32_t rt__lq_steal(uint64_t head)
{
    return (uint32_t)(head >> 32);
}

/* rt__lq_real: the real half of a head word. */
static inline uint32_t rt__lq_real(uint64_t head)
{
    return (uint32_t)head;
}

/* rt__lq_slot: the buffer slot of a free-running position. */
static inline rt_qnode **rt__lq_slot(rt_local_queue *q, uint32_t pos)
{
    return &q->buffer[pos & RT__LQ_MASK];
}

/* rt_local_queue_init: an empty ring. */
void rt_local_queue_init(rt_local_queue *q)
{
    atomic_init(&q->head, rt__lq_pack(0, 0));
    atomic_init(&q->tail, 0);
    for (size_t i = 0; i < RT_LOCAL_QUEUE_CAPACITY; i++)
        q->buffer[i] = NULL;
}

/*
 * rt__lq_claim_half: owner only, on a full ring with no steal in progress. Take the HALF
 * oldest nodes out of the ring and return them linked first..*last in FIFO order, or NULL
 * if a stealer moved head first (the caller re-examines the ring: it may no longer be full).
 */
static rt_qnode *rt__lq_claim_half(rt_local_queue *q, uint32_t real, rt_qnode **last)
{
    /*
     * Claim before reading. Claiming first is safe because only this thread writes slots, so
     * nothing can change [real, real + HALF) under us once stealers are shut out of it; and
     * it is necessary, because until the CAS succeeds a stealer may claim the same nodes.
     * Release: see "every writer of head" at the top. Nothing needs acquiring on failure;
     * the caller reloads head with Acquire.
     */
    uint64_t expect = rt__lq_pack(real, real);
    uint64_t next = rt__lq_pack(real + RT__LQ_HALF, real + RT__LQ_HALF);
    if (!atomic_compare_exchange_strong_explicit(&q->head, &expect, next, memory_order_release,
                                                 memory_order_relaxed))
        return NULL;

    rt_qnode *first = *rt__lq_slot(q, real);
    rt_qnode *prev = first;
    for (uint32_t i = 1; i < RT__LQ_HALF; i++) {
        rt_qnode *n = *rt__lq_slot(q, real + i);
        prev->next = n;
        prev = n;
    }
    *last = prev;
    return first;
}

/* rt_local_queue_push_back: owner only; append n, spilling to overflow when full. */
size_t rt_local_queue_push_back(rt_local_queue *q, rt_qnode *n, rt_inject *overflow,
                                rt_qnode **rejected)
{
    *rejected = NULL;
    for (;;) {
        /*
         * Acquire pairs with a finishing stealer's Release CAS: once we see steal past a slot,
         * the stealer's read of that slot happened-before the write we are about to make.
         */
        uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);
        uint32_t steal = rt__lq_steal(head), real = rt__lq_real(head);
        /* Relaxed: only this thread stores tail, so it always reads its own latest value. */
        uint32_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);

        /* Room is counted from steal: slots a stealer is still copying are not free yet. */
        if ((uint32_t)(tail - steal) < RT_LOCAL_QUEUE_CAPACITY) {
            *rt__lq_slot(q, tail) = n;
            /* Release publishes the slot write to stealers, who Acquire tail before reading. */
            atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
            return 0;
        }

        if (steal != real) {
            /*
             * Full, but a stealer is about to free up to half the ring. Moving another half
             * out would overshoot, and we cannot claim while the steal is open anyway, so
             * tokio sends just this one node to the global queue.
             */
            if (rt_inject_push(overflow, n) == 0)
                return 0;
            *rejected = n; /* rt_inject_push_batch has NULL-terminated it */
            return 1;
        }

        /*
         * Full and quiet: move the older half plus n to the global queue in one batch. A full
         * local ring means this worker produces faster than it consumes; handing half to the
         * global queue lets any idle worker pick it up, and one lock per 129 nodes keeps the
         * cost of overflowing low.
         */
        rt_qnode *last;
        rt_qnode *first = rt__lq_claim_half(q, real, &last);
        if (first == NULL)
            continue; /* a stealer got there first; the ring may have room now */
        last->next = n;
        if (rt_inject_push_batch(overflow, first, n, RT__LQ_HALF + 1) == 0)
            return 0;
        /* Closed (shutdown): the nodes are out of the ring already, so hand them back. */
        *rejected = first;
        return RT__LQ_HALF + 1;
    }
}

/* rt_local_queue_pop: owner only; take the oldest node by advancing real. */
rt_qnode *rt_local_queue_pop(rt_local_queue *q)
{
    uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);
    for (;;) {
        uint32_t steal = rt__lq_steal(head), real = rt__lq_real(head);
        uint32_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
        if (real == tail)
            return NULL;

        /*
         * With no steal in progress both halves move together. During a steal only real
         * moves: steal must keep marking the slots the stealer is still reading, and the
         * stealer's closing CAS will bring steal up to wherever real is by then.
         */
        uint32_t next_real = real + 1;
        uint64_t next = steal == real ? rt__lq_pack(next_real, next_real)
                                      : rt__lq_pack(steal, next_real);
        /*
         * The CAS is the claim: if a stealer took this node since we loaded head, head has
         * changed and we retry with the value the CAS hands back. Release on success keeps
         * the tail >= real invariant for stealers (see the top). Acquire on failure makes the
         * value we retry with as good as a fresh Acquire load of head. (Acquire on success is
         * not needed -- the slot we read was written by this thread -- but it is free on x86
         * and is what tokio uses.)
         */
        if (atomic_compare_exchange_weak_explicit(&q->head, &head, next, memory_order_acq_rel,
                                                  memory_order_acquire))
            return *rt__lq_slot(q, real); /* written by this thread; nobody else may take it */
    }
}

/*
 * rt__lq_claim_steal: claim half of victim's nodes for a stealer. Returns how many (0 if
 * none), with *first set to the first claimed position. On return > 0 the claim is open:
 * victim's steal lags real until rt__lq_finish_steal.
 */
static uint32_t rt__lq_claim_steal(rt_local_queue *victim, uint32_t *first)
{
    uint64_t head = atomic_load_explicit(&victim->head, memory_order_acquire);
    for (;;) {
        uint32_t steal = rt__lq_steal(head), real = rt__lq_real(head);
        /* Another stealer is mid-copy; one steal at a time keeps the bookkeeping to one word. */
        if (steal != real)
            return 0;

        /*
         * Acquire pairs with the owner's Release store of tail: every slot below the tail we
         * read here has been written, and the write is visible to us. Loaded after head, so
         * tail >= real (see the top) and the subtraction cannot wrap.
         */
        uint32_t tail = atomic_load_explicit(&victim->tail, memory_order_acquire);
        uint32_t avail = tail - real;
        if (avail > RT_LOCAL_QUEUE_CAPACITY) {
            /*
             * Only possible if head moved on after we loaded it (the owner popped, then pushed
             * more), so the CAS would fail anyway; reload instead. Hence a claim is never more
             * than HALF nodes, which is what the room check on dst assumed.
             */
            head = atomic_load_explicit(&victim->head, memory_order_acquire);
            continue;
        }
        uint32_t n = avail - avail / 2; /* half, rounded up */
        if (n == 0)
            return 0;

        /*
         * Claim [real, real + n) by moving real only, leaving steal behind as the marker of
         * an open steal. AcqRel: Acquire so that a failed attempt hands back a head value we
         * may use like a fresh load; Release to keep the tail >= real invariant for readers.
         */
        uint64_t next = rt__lq_pack(steal, real + n);
        if (atomic_compare_exchange_weak_explicit(&victim->head, &head, next,
                                                  memory_order_acq_rel, memory_order_acquire)) {
            *first = real;
            return n;
        }
    }
}

/* rt__lq_finish_steal: close the open steal on victim by bringing steal up to real. */
static void rt__lq_finish_steal(rt_local_queue *victim, uint64_t claimed)
{
    uint64_t head = claimed;
    for (;;) {
        /*
         * The owner may have popped meanwhile, moving real; take whatever real is now. The
         * Release half of AcqRel is the "give back" edge: our reads of the claimed slots
         * happen-before any owner push that sees this steal value and reuses them.
         */
        uint32_t real = rt__lq_real(head);
        if (atomic_compare_exchange_weak_explicit(&victim->head, &head, rt__lq_pack(real, real),
                                                  memory_order_acq_rel, memory_order_acquire))
            return;
        /* Only the owner's pops can have changed head: no one else touches an open steal. */
    }
}

/* rt_local_queue_steal_into: dst's owner steals half of victim; returns the oldest to run. */
rt_qnode *rt_local_queue_steal_into(rt_local_queue *victim, rt_local_queue *dst,
                                    size_t *stolen_count)
{
    if (stolen_count != NULL)
        *stolen_count = 0;
    if (victim == dst)
        return NULL;

    /*
     * We own dst, so its tail is ours (Relaxed). But dst may look emptier than it is: a thief
     * of ours may still be copying out of [steal, real). Acquire on dst's head pairs with
     * that thief's closing Release CAS, so the slots we are about to write have been read.
     * A batch is at most HALF nodes, so HALF slots in use is the most we can take on.
     */
    uint32_t dst_tail = atomic_load_explicit(&dst->tail, memory_order_relaxed);
    uint64_t dst_head = atomic_load_explicit(&dst->head, memory_order_acquire);
    if ((uint32_t)(dst_tail - rt__lq_steal(dst_head)) > RT__LQ_HALF)
        return NULL;

    uint32_t first;
    uint32_t n = rt__lq_claim_steal(victim, &first);
    if (n == 0)
        return NULL;

    /*
     * The claimed slots are ours to read until we close the steal: the owner will not write
     * them (push counts room from steal) and no other stealer can start. The oldest node is
     * the one we run; the rest go to dst in order, not yet visible to dst's thieves because
     * dst's tail has not moved.
     */
    rt_qnode *ret = *rt__lq_slot(victim, first);
    for (uint32_t i = 1; i < n; i++)
        *rt__lq_slot(dst, dst_tail + i - 1) = *rt__lq_slot(victim, first + i);

    rt__lq_finish_steal(victim, rt__lq_pack(first, first + n));

    /* Release publishes the copied slots to whoever steals from dst next. */
    if (n > 1)
        atomic_store_explicit(&dst->tail, dst_tail + n - 1, memory_order_release);
    if (stolen_count != NULL)
        *stolen_count = n;
    return ret;
}

/* rt_local_queue_len: tail - real, clamped; head is loaded first so the result never wraps. */
size_t rt_local_queue_len(const rt_local_queue *q)
{
    uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);
    uint32_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
    uint32_t len = tail - rt__lq_real(head);
    /* From another thread, tail may be newer than head by more than a ring; clamp. */
    return len > RT_LOCAL_QUEUE_CAPACITY ? RT_LOCAL_QUEUE_CAPACITY : len;
}

/* rt_local_queue_remaining_slots: capacity minus the slots in use, stolen-but-unread included. */
size_t rt_local_queue_remaining_slots(const rt_local_queue *q)
{
    uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);
    uint32_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
    uint32_t used = tail - rt__lq_steal(head);
    return used >= RT_LOCAL_QUEUE_CAPACITY ? 0 : RT_LOCAL_QUEUE_CAPACITY - used;
}

/* rt_local_queue_is_empty: no node is available to take. */
int rt_local_queue_is_empty(const rt_local_queue *q)
{
    return rt_local_queue_len(q) == 0;
}

/* rt_local_queue_has_steal_in_progress: steal lags real. */
int rt_local_queue_has_steal_in_progress(const rt_local_queue *q)
{
    uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);
    return rt__lq_steal(head) != rt__lq_real(head);
}

/* rt_mpmc_unbounded.c: an unbounded lock-free MPMC queue -- a linked list of 31-slot blocks. */
#include "rt_mpmc.h"

#include <errno.h>

#include "rt_alloc.h"

/*
 * The design is crossbeam's SegQueue, also used by concurrent-queue's Unbounded (and so by
 * smol's async-executor for its global queue).
 *
 * Positions. As in the bounded queue, producers claim a position with a CAS on tail_index and
 * consumers with a CAS on head_index. Positions are grouped in laps of LAP = 32: the first 31
 * positions of a lap name the 31 slots of one block, and the 32nd position (offset 31, "the
 * block end") names no slot. An index never rests on a block end for long: the thread that
 * claims the last slot of a block (offset 30) moves the index on to the first slot of the next
 * lap once the next block is linked in, and everybody who sees an index at a block end simply
 * waits for that. Indices are stored shifted left by one; the low bit of head_index is
 * HAS_NEXT, a hint that the head block is not the last one, so the queue cannot be empty and
 * pop may skip looking at tail.
 *
 * Blocks. Each block is allocated by a producer *before* it claims the last slot of the block
 * before it, so that a failed allocation is reported with nothing claimed (-ENOMEM, queue
 * unchanged) and so that the installation, which others wait for, is as short as possible.
 * The very first block is installed lazily by the first push.
 *
 * Slots. A slot's state has three bits. WRITE: the producer has stored the item (Release;
 * consumers Acquire it before reading). READ: the consumer has taken the item out. DESTROY:
 * somebody wants to free the block but this slot's consumer was still busy.
 *
 * Reclamation: the block is freed by the last reader out. Several consumers read a block's
 * slots at once and finish in any order, so no single one of them knows when the block is
 * unused -- except through the state bits:
 *   - the consumer of the last slot (offset 30) starts the destruction: it walks slots 0..29
 *     and, for each slot whose READ bit is not yet set, sets DESTROY and stops, handing the
 *     job to that slot's consumer. If every slot is READ, nobody can touch the block again and
 *     it frees it;
 *   - every other consumer sets READ with a fetch_or after taking its item; if the old value
 *     had DESTROY, the destroyer passed it by, and it resumes the walk from the next slot.
 * The fetch_or is the arbiter: for each slot exactly one of "destroyer sets DESTROY first" or
 * "reader sets READ first" happens, so exactly one thread ends up freeing the block, and only
 * after every reader has finished with it (AcqRel on both sides orders their reads before the
 * free). No reader can still be on its way to the block at that point: a consumer dereferences
 * a block only after its CAS on head_index succeeded for a slot in it, which all 31 have.
 *
 * Producers do not need a say: a block is freed only after all 31 items have been read, and
 * each item was written by its producer before it set WRITE -- the producer's last touch.
 *
 * Ordering of the indices. The slot bits carry the data. The indices and block pointers use
 * seq_cst so that pop's emptiness test ("head == tail when I looked at tail") is a real instant
 * in one total order of all index operations; crossbeam gets the same from a SeqCst fence,
 * which ThreadSanitizer cannot model (gcc refuses it under -fsanitize=thread), so we put the
 * ordering on the operations themselves. On x86 the loads remain plain loads.
 */

#define RT__MQ_WRITE 1u
#define RT__MQ_READ 2u
#define RT__MQ_DESTROY 4u

#define RT__MQ_LAP ((size_t)RT_MPMC_BLOCK_SLOTS + 1)
#define RT__MQ_SHIFT 1
#define RT__MQ_ONE ((size_t)1 << RT__MQ_SHIFT) /* one position, in index units */
#define RT__MQ_HAS_NEXT ((size_t)1)

typedef struct rt__mpmc_slot {
    void *item;
    _Atomic unsigned state;
} rt__mpmc_slot;

struct rt_mpmc_block {
    struct rt_mpmc_block *_Atomic next;
    rt__mpmc_slot slots[RT_MPMC_BLOCK_SLOTS];
};

/* rt__mq_offset: the offset of an index within its lap (RT_MPMC_BLOCK_SLOTS = block end). */
static inline size_t rt__mq_offset(size_t index)
{
    return (index >> RT__MQ_SHIFT) % RT__MQ_LAP;
}

/* rt__mq_block_new: a zeroed block (no next, every slot state 0), or NULL when out of memory. */
static struct rt_mpmc_block *rt__mq_block_new(void)
{
    struct rt_mpmc_block *b = rt_malloc(sizeof *b);
    if (b == NULL)
        return NULL;
    atomic_init(&b->next, NULL);
    for (size_t i = 0; i < RT_MPMC_BLOCK_SLOTS; i++) {
        b->slots[i].item = NULL;
        atomic_init(&b->slots[i].state, 0);
    }
    return b;
}

/* rt__mq_wait_next: wait until the producer installing b's successor has linked it. */
static struct rt_mpmc_block *rt__mq_wait_next(struct rt_mpmc_block *b)
{
    unsigned step = 0;
    for (;;) {
        struct rt_mpmc_block *next = atomic_load_explicit(&b->next, memory_order_acquire);
        if (next != NULL)
            return next;
        rt__mpmc_snooze(&step);
    }
}

/* rt__mq_wait_write: wait until the producer that claimed slot s has stored its item. */
static void rt__mq_wait_write(rt__mpmc_slot *s)
{
    unsigned step = 0;
    while ((atomic_load_explicit(&s->state, memory_order_acquire) & RT__MQ_WRITE) == 0)
        rt__mpmc_snooze(&step);
}

/* rt__mq_block_destroy: mark slots from `start` on for destruction; free b if none is busy. */
static void rt__mq_block_destroy(struct rt_mpmc_block *b, size_t start)
{
    /* The last slot is not walked: its consumer is the one that began the destruction. */
    for (size_t i = start; i < RT_MPMC_BLOCK_SLOTS - 1; i++) {
        rt__mpmc_slot *s = &b->slots[i];
        /* A reader still busy here will see DESTROY when it sets READ, and carry on from i + 1. */
        if ((atomic_load_explicit(&s->state, memory_order_acquire) & RT__MQ_READ) == 0 &&
            (atomic_fetch_or_explicit(&s->state, RT__MQ_DESTROY, memory_order_acq_rel) &
             RT__MQ_READ) == 0)
            return;
    }
    rt_free(b);
}

/* rt_mpmc_init: empty, no block yet; cannot fail. */
int rt_mpmc_init(rt_mpmc *q)
{
    atomic_init(&q->head_index, 0);
    atomic_init(&q->head_block, NULL);
    atomic_init(&q->tail_index, 0);
    atomic_init(&q->tail_block, NULL);
    return 0;
}

/* rt_mpmc_destroy: free the blocks from head to tail; no thread may use q any more. */
void rt_mpmc_destroy(rt_mpmc *q)
{
    size_t head = atomic_load_explicit(&q->head_index, memory_order_relaxed) & ~RT__MQ_HAS_NEXT;
    size_t tail = atomic_load_explicit(&q->tail_index, memory_order_relaxed);
    struct rt_mpmc_block *b = atomic_load_explicit(&q->head_block, memory_order_relaxed);

    /* Blocks behind head were freed by their readers; the head block and on are still ours. */
    while (head != tail) {
        if (rt__mq_offset(head) == RT_MPMC_BLOCK_SLOTS) {
            struct rt_mpmc_block *next = atomic_load_explicit(&b->next, memory_order_relaxed);
            rt_free(b);
            b = next;
        }
        head += RT__MQ_ONE;
    }
    rt_free(b);
    atomic_store_explicit(&q->head_block, NULL, memory_order_relaxed);
    atomic_store_explicit(&q->tail_block, NULL, memory_order_relaxed);
}

/* rt_mpmc_push: claim a tail position, installing the next block at a block's last slot. */
int rt_mpmc_push(rt_mpmc *q, void *item)
{
    if (item == NULL)
        return -EINVAL;
    unsigned step = 0;
    struct rt_mpmc_block *spare = NULL; /* allocated in advance for the next block */
    size_t tail = atomic_load_explicit(&q->tail_index, memory_order_seq_cst);
    struct rt_mpmc_block *block = atomic_load_explicit(&q->tail_block, memory_order_seq_cst);

    for (;;) {
        size_t offset = rt__mq_offset(tail);

        /* Another producer is installing the next block; wait for it to move tail on. */
        if (offset == RT_MPMC_BLOCK_SLOTS) {
            rt__mpmc_snooze(&step);
            tail = atomic_load_explicit(&q->tail_index, memory_order_seq_cst);
            block = atomic_load_explicit(&q->tail_block, memory_order_seq_cst);
            continue;
        }

        /*
         * If we may claim the last slot, we will have to install the next block: allocate it
         * now, while nothing is claimed, so that failure loses nothing and so that the others,
         * who wait for the installation, do not wait on malloc.
         */
        if (offset + 1 == RT_MPMC_BLOCK_SLOTS && spare == NULL) {
            spare = rt__mq_block_new();
            if (spare == NULL)
                return -ENOMEM;
        }

        /* The very first push installs the first block. */
        if (block == NULL) {
            struct rt_mpmc_block *first = spare != NULL ? spare : rt__mq_block_new();
            if (first == NULL)
                return -ENOMEM;
            spare = NULL;
            struct rt_mpmc_block *expect = NULL;
            if (atomic_compare_exchange_strong_explicit(&q->tail_block, &expect, first,
                                                        memory_order_seq_cst,
                                                        memory_order_seq_cst)) {
                /* Consumers spin while head_block is NULL, so they wait for this store. */
                atomic_store_explicit(&q->head_block, first, memory_order_seq_cst);
                block = first;
            } else {
                /* Someone else installed it; keep ours for a later block end. */
                spare = first;
                tail = atomic_load_explicit(&q->tail_index, memory_order_seq_cst);
                block = atomic_load_explicit(&q->tail_block, memory_order_seq_cst);
                continue;
            }
        }

        size_t new_tail = tail + RT__MQ_ONE;
        if (atomic_compare_exchange_weak_explicit(&q->tail_index, &tail, new_tail,
                                                  memory_order_seq_cst, memory_order_seq_cst)) {
            if (offset + 1 == RT_MPMC_BLOCK_SLOTS) {
                /*
                 * We took the last slot, so tail_index now rests on the block end and every
                 * other producer waits. Publish the new block before the index that leads into
                 * it (a producer that sees the index must see the block), then link it for
                 * consumers, who wait on `next` when they reach this block end.
                 */
                struct rt_mpmc_block *next = spare;
                spare = NULL;
                atomic_store_explicit(&q->tail_block, next, memory_order_seq_cst);
                atomic_store_explicit(&q->tail_index, new_tail + RT__MQ_ONE, memory_order_seq_cst);
                atomic_store_explicit(&block->next, next, memory_order_release);
            }
            rt__mpmc_slot *s = &block->slots[offset];
            s->item = item;
            /* Release: the consumer that Acquires WRITE reads the item we just stored. */
            atomic_fetch_or_explicit(&s->state, RT__MQ_WRITE, memory_order_release);
            rt_free(spare); /* allocated for a block end somebody else reached first */
            return 0;
        }
        /*
         * Lost the race; the CAS reloaded tail. Reload the block too: if tail moved into a new
         * block, the one we hold is not it (and may even be freed by now -- which is fine, as
         * we never dereference it without a successful claim inside it).
         */
        block = atomic_load_explicit(&q->tail_block, memory_order_seq_cst);
    }
}

/* rt_mpmc_pop: claim a head position, take its item, and help free a drained block. */
void *rt_mpmc_pop(rt_mpmc *q)
{
    unsigned step = 0;
    size_t head = atomic_load_explicit(&q->head_index, memory_order_seq_cst);
    struct rt_mpmc_block *block = atomic_load_explicit(&q->head_block, memory_order_seq_cst);

    for (;;) {
        size_t offset = rt__mq_offset(head);

        /* Another consumer is moving head into the next block; wait for it. */
        if (offset == RT_MPMC_BLOCK_SLOTS) {
            rt__mpmc_snooze(&step);
            head = atomic_load_explicit(&q->head_index, memory_order_seq_cst);
            block = atomic_load_explicit(&q->head_block, memory_order_seq_cst);
            continue;
        }

        size_t new_head = head + RT__MQ_ONE;
        if ((new_head & RT__MQ_HAS_NEXT) == 0) {
            /* Not known to have a later block: compare with tail to detect an empty queue. */
            size_t tail = atomic_load_explicit(&q->tail_index, memory_order_seq_cst);
            if (head >> RT__MQ_SHIFT == tail >> RT__MQ_SHIFT)
                return NULL;
            /* Tail is in a later lap, so this block is not the last: remember that. */
            if ((head >> RT__MQ_SHIFT) / RT__MQ_LAP != (tail >> RT__MQ_SHIFT) / RT__MQ_LAP)
                new_head |= RT__MQ_HAS_NEXT;
        }

        /* Only while the first push is installing the first block. */
        if (block == NULL) {
            rt__mpmc_snooze(&step);
            head = atomic_load_explicit(&q->head_index, memory_order_seq_cst);
            block = atomic_load_explicit(&q->head_block, memory_order_seq_cst);
            continue;
        }

        if (atomic_compare_exchange_weak_explicit(&q->head_index, &head, new_head,
                                                  memory_order_seq_cst, memory_order_seq_cst)) {
            if (offset + 1 == RT_MPMC_BLOCK_SLOTS) {
                /*
                 * We took the last slot: head_index rests on the block end. Move head into the
                 * next block (waiting for its producer to link it), block pointer first, for
                 * the same reason as in push.
                 */
                struct rt_mpmc_block *next = rt__mq_wait_next(block);
                size_t next_index = (new_head & ~RT__MQ_HAS_NEXT) + RT__MQ_ONE;
                if (atomic_load_explicit(&next->next, memory_order_relaxed) != NULL)
                    next_index |= RT__MQ_HAS_NEXT;
                atomic_store_explicit(&q->head_block, next, memory_order_seq_cst);
                atomic_store_explicit(&q->head_index, next_index, memory_order_seq_cst);
            }

            rt__mpmc_slot *s = &block->slots[offset];
            rt__mq_wait_write(s); /* our producer may still be between its CAS and its store */
            void *item = s->item;

            if (offset + 1 == RT_MPMC_BLOCK_SLOTS)
                rt__mq_block_destroy(block, 0);
            else if (atomic_fetch_or_explicit(&s->state, RT__MQ_READ, memory_order_acq_rel) &
                     RT__MQ_DESTROY)
                rt__mq_block_destroy(block, offset + 1);
            return item;
        }
        /* Lost the race; the CAS reloaded head. Reload the block with it. */
        block = atomic_load_explicit(&q->head_block, memory_order_seq_cst);
    }
}

/* rt_mpmc_len: positions between head and tail, minus the block ends among them. */
size_t rt_mpmc_len(rt_mpmc *q)
{
    for (;;) {
        size_t tail = atomic_load_explicit(&q->tail_index, memory_order_seq_cst);
        size_t head = atomic_load_explicit(&q->head_index, memory_order_seq_cst);
        /* Tail unchanged across the head load: the pair is a consistent snapshot. */
        if (atomic_load_explicit(&q->tail_index, memory_order_seq_cst) != tail)
            continue;

        tail >>= RT__MQ_SHIFT; /* drop HAS_NEXT: work in positions from here on */
        head >>= RT__MQ_SHIFT;
        /* An index resting on a block end stands for the first slot of the next lap. */
        if (tail % RT__MQ_LAP == RT__MQ_LAP - 1)
            tail++;
        if (head % RT__MQ_LAP == RT__MQ_LAP - 1)
            head++;
        /* Rebase both so that head's lap is lap 0; then every full lap below tail holds one
         * block end that is not an item, and there are tail / LAP of them. */
        size_t base = head - head % RT__MQ_LAP;
        tail -= base;
        head -= base;
        return tail - head - tail / RT__MQ_LAP;
    }
}

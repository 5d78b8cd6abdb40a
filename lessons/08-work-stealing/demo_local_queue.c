/* demo_local_queue.c: lesson 08 -- tokio's per-worker ring, step by step: push, pop, steal half, overflow half. */
#include <stdio.h>

#include "rt_inject.h"
#include "rt_local_queue.h"

/*
 * A multi-threaded scheduler gives each worker its own run queue, so that the common case --
 * a worker pushing and popping its own tasks -- touches no shared lock. rt_local_queue is
 * tokio's: a ring of 256 slots that only its owner pushes to and pops from, and that idle
 * workers steal from, half at a time. This demo drives two rings and an inject queue from one
 * thread, so every step is deterministic, and prints what each step did.
 */

typedef struct item {
    rt_qnode node;   /* the queues link this; rt_container_of gets the item back */
    int id;
} item;

enum { ITEMS = 400 };
static item items[ITEMS];

/* id_of: the item behind a queue node. */
static int id_of(rt_qnode *n)
{
    return rt_container_of(n, item, node)->id;
}

/* push: the owner appends items [from, to] to its ring; returns how many spilled elsewhere. */
static void push(rt_local_queue *q, rt_inject *overflow, int from, int to)
{
    for (int i = from; i <= to; i++) {
        rt_qnode *rejected;
        rt_local_queue_push_back(q, &items[i].node, overflow, &rejected);
    }
}

/* drain_print: pop everything from a ring, printing the ids in order (compressing runs). */
static void drain_print(const char *who, rt_local_queue *q)
{
    printf("  %s pops:", who);
    int first = -1, last = -1;
    rt_qnode *n;
    while ((n = rt_local_queue_pop(q)) != NULL) {
        int id = id_of(n);
        if (first >= 0 && id == last + 1) {
            last = id;
            continue;
        }
        if (first >= 0)
            printf(first == last ? " %d" : " %d..%d", first, last);
        first = last = id;
    }
    if (first >= 0)
        printf(first == last ? " %d" : " %d..%d", first, last);
    printf("%s\n", first < 0 ? " (nothing)" : "");
}

/* main: the walkthrough. */
int main(void)
{
    for (int i = 0; i < ITEMS; i++)
        items[i].id = i;
    static rt_local_queue a, b;
    rt_inject inject;
    rt_local_queue_init(&a);
    rt_local_queue_init(&b);
    if (rt_inject_init(&inject) != 0) {
        fprintf(stderr, "demo_local_queue: cannot create the inject queue\n");
        return 1;
    }

    // region: steal
    printf("worker A pushes tasks 1..10 onto its own ring\n");
    push(&a, &inject, 1, 10);
    size_t stolen = 0;
    rt_qnode *first = rt_local_queue_steal_into(&a, &b, &stolen);
    printf("worker B, idle, steals from A: took %zu tasks; runs %d now, keeps %zu in its ring\n",
           stolen, first ? id_of(first) : -1, rt_local_queue_len(&b));
    printf("  A has %zu left, B has %zu\n", rt_local_queue_len(&a), rt_local_queue_len(&b));
    drain_print("A", &a);
    drain_print("B", &b);
    // endregion

    // region: overflow
    printf("worker A pushes tasks 1..300 -- more than its ring's %d slots\n",
           RT_LOCAL_QUEUE_CAPACITY);
    push(&a, &inject, 1, 300);
    printf("  A's ring holds %zu, the shared inject queue %zu\n", rt_local_queue_len(&a),
           rt_inject_len(&inject));
    printf("  the inject queue starts with task %d: the OLDEST half moved out\n",
           id_of(rt_inject_pop(&inject)));
    // endregion
    while (rt_inject_pop(&inject) != NULL)
        ;
    while (rt_local_queue_pop(&a) != NULL)
        ;
    rt_inject_destroy(&inject);
    return 0;
}

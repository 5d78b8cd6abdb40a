/* exercise.c: lesson 08 -- write steal-half, and make an idle worker steal instead of waiting. */
#include "exercise.h"

/*
 * Your task (see README.md, "Exercise"):
 *
 *   1. ws_steal_half: take the oldest ceil(len/2) items from the front of victim and append
 *      them, in order, to the back of thief -- but never more than thief has room for. Both
 *      queues are shared: hold their locks. Careful: two idle workers may steal from EACH OTHER
 *      at the same moment; if each holds its own lock and waits for the other's, both wait for
 *      ever. Either take the two locks in one global order (say, by address), or never hold
 *      both: copy the batch out under the victim's lock, then append it under the thief's.
 *   2. ws_find_work: as given, a worker whose queue is empty just waits for its own work,
 *      however much the others have. Make it steal: try the other workers in turn, starting
 *      with self + 1 (wrapping around), steal half of the first non-empty queue into your own,
 *      count p->steals[self] and p->stolen[self], then pop your own queue for the job to run.
 *
 * Check your work with:  make grade N=08
 */

/* ws_steal_half: move half of victim's oldest items to thief. */
size_t ws_steal_half(ws_queue *victim, ws_queue *thief)
{
    /* TODO */
    (void)victim;
    (void)thief;
    return 0;
}

/* ws_find_work: the next job for worker `self`. */
int ws_find_work(ws_pool *p, int self, int *job)
{
    if (ws_queue_pop(&p->queues[self], job))
        return 1;
    /* TODO: nothing of our own: steal half of another worker's queue, then run the oldest. */
    return 0;
}

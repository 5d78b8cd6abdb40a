/* exercise.c (solution): lesson 08 -- steal-half without holding two locks, and steal when idle. */
#include "exercise.h"

/* ws_steal_half: two phases, so that no thread ever holds two queue locks and two workers
 * stealing from each other cannot deadlock. First the thief's free room, which only grows
 * while we work (only the thief's own worker -- us -- pushes to it; others only take); then
 * the batch, copied out under the victim's lock; then appended under the thief's. In between
 * the jobs are in neither queue, only in our hands, which is fine: nobody else needs them. */
size_t ws_steal_half(ws_queue *victim, ws_queue *thief)
{
    size_t room = WS_CAP - ws_queue_len(thief);
    int batch[WS_CAP / 2 + 1];
    size_t n = 0;

    pthread_mutex_lock(&victim->lock);
    size_t want = (victim->len + 1) / 2;
    if (want > room)
        want = room;
    if (want > sizeof batch / sizeof batch[0])
        want = sizeof batch / sizeof batch[0];
    for (; n < want; n++) {
        batch[n] = victim->items[victim->head];
        victim->head = (victim->head + 1) % WS_CAP;
        victim->len--;
    }
    pthread_mutex_unlock(&victim->lock);

    if (n == 0)
        return 0;
    pthread_mutex_lock(&thief->lock);
    for (size_t i = 0; i < n; i++)
        thief->items[(thief->head + thief->len + i) % WS_CAP] = batch[i];
    thief->len += n;
    pthread_mutex_unlock(&thief->lock);
    return n;
}

/* ws_find_work: own queue; else the others in turn from self + 1, stealing half of the first
 * that has anything; the stolen batch is ours now, so the job comes from our own queue. */
int ws_find_work(ws_pool *p, int self, int *job)
{
    if (ws_queue_pop(&p->queues[self], job))
        return 1;
    for (int i = 1; i < p->workers; i++) {
        int victim = (self + i) % p->workers;
        size_t n = ws_steal_half(&p->queues[victim], &p->queues[self]);
        if (n > 0) {
            p->steals[self]++;
            p->stolen[self] += (long)n;
            return ws_queue_pop(&p->queues[self], job);
        }
    }
    return 0;
}

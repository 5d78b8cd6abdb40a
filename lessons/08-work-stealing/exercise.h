/* exercise.h: lesson 08's exercise -- steal half of another worker's queue, and a worker's order of looking for work. */
#ifndef LESSON08_EXERCISE_H
#define LESSON08_EXERCISE_H

#include "ws.h"

/* ws_steal_half: move the oldest half of victim's items (rounding up: one item can be stolen)
 * to the back of thief, in their order, but no more than thief has room for; returns how many
 * moved. Other threads may be using both queues at the same time. */
size_t ws_steal_half(ws_queue *victim, ws_queue *thief);

/* ws_find_work is declared in ws.h: own queue first; if empty, steal half from the other
 * workers in turn, starting with self + 1, and run the oldest of what came (by popping the
 * own queue again); count p->steals[self] and p->stolen[self]. */

#endif

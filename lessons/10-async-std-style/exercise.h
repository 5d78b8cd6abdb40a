/* exercise.h: lesson 10's exercise -- the seed's async-std spawn example, fixed: a main that joins every worker and reports each outcome. */
#ifndef LESSON10_EXERCISE_H
#define LESSON10_EXERCISE_H

#include "crew.h"

/*
 * The async block given to task::block_on, as it should have been written:
 *
 *     task::block_on(async {
 *         let handles: Vec<_> = (1..=n).map(|i| task::spawn(worker(i))).collect();
 *         for (i, h) in handles.into_iter().enumerate() {
 *             let out = h.await;                         // async-std re-raises a panic here;
 *             println!("worker {} -> {}", i + 1, out);   // we report it instead (see below)
 *         }
 *     });
 *
 * Its lines go to c->report, in id order, whatever order the workers ran in:
 *     "worker 3 -> 9"              the worker finished; 9 is crew_worker_output(...)
 *     "worker 3 panicked: MSG"     the worker panicked with MSG (as_task_panic_message)
 *     "worker 3 cancelled"         the worker was cancelled
 * and one last line once every handle was awaited:
 *     "joined 4 workers"
 */
typedef struct crew_main_fut {
    rt_future base;
    rt_async co;
    crew *c;
    unsigned i;                       /* loop variables live across awaits: in the struct */
    unsigned spawned;
    as_task handles[CREW_MAX];
} crew_main_fut;

/* crew_main: the async block's future, not yet polled (c->n workers, at most CREW_MAX-1). */
crew_main_fut crew_main(crew *c);

#endif

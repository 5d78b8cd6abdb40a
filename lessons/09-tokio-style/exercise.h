/* exercise.h: lesson 09's exercise -- #[tokio::main(...)] by hand, and a main that joins the workers it spawns. */
#ifndef LESSON09_EXERCISE_H
#define LESSON09_EXERCISE_H

#include "crew.h"
#include "tk_runtime.h"

/*
 * Part 1. What the attribute says:
 *
 *     #[tokio::main(flavor = "multi_thread", worker_threads = 2)]     // and a thread name
 *
 * worker_threads 0 means "the default" (the CPU count, or TK_WORKER_THREADS); thread_name NULL
 * means the default ("tk-worker"). Both are ignored by current_thread, which has no workers.
 */
typedef struct tk_main_attrs {
    tk_flavor flavor;
    unsigned worker_threads;
    const char *thread_name;
} tk_main_attrs;

/* tk_main_by_hand: do what TK_MAIN and #[tokio::main(...)] do, for the runtime the attributes
 * describe: build it, block_on(main), drop main, free the runtime. Returns 0, or the builder's
 * negative errno -- after a one-line message on stderr, and without polling main. Either way,
 * main is dropped exactly once: the caller handed it over. */
int tk_main_by_hand(const tk_main_attrs *attrs, rt_future *main);

/*
 * Part 2. The async main:
 *
 *     async fn main() {
 *         let handles: Vec<_> = (1..=n).map(|i| tokio::spawn(worker(i))).collect();
 *         for (i, h) in handles.into_iter().enumerate() {
 *             match h.await {
 *                 Ok(out) => println!("worker {} -> {}", i + 1, out),
 *                 Err(e)  => println!("worker {} {}", i + 1, e),   // panicked / cancelled
 *             }
 *         }
 *     }
 *
 * Its lines go to c->report, in id order, whatever order the workers ran in:
 *     "worker 3 -> 9"              the worker finished; 9 is crew_worker_output(...)
 *     "worker 3 panicked: MSG"     the worker panicked with MSG
 *     "worker 3 cancelled"         the worker was cancelled
 */
typedef struct crew_main_fut {
    rt_future base;
    rt_async co;
    crew *c;
    unsigned i;                       /* loop variables live across awaits: in the struct */
    unsigned spawned;
    tk_join_handle handles[CREW_MAX];
} crew_main_fut;

/* crew_main: calling `main()` -- the future, not yet polled (c->n workers, at most CREW_MAX-1). */
crew_main_fut crew_main(crew *c);

#endif

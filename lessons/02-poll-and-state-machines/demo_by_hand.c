/* demo_by_hand.c: lesson 02 -- an async fn with a loop and an await, compiled by hand into a state machine. */
#include <stdio.h>

#include "rt_panic.h"
#include "ticks.h"

/*
 * The Rust being compiled (wait_ticks stands in for tokio's sleep; see ticks.h):
 *
 *     async fn worker(id: u32) -> i32 {
 *         println!("worker {id} started");
 *         let mut total = 0;
 *         for step in 1..=2 {
 *             total += wait_ticks(step, step * 10).await;
 *             println!("worker {id}: step {step} done, total {total}");
 *         }
 *         println!("worker {id} finished");
 *         total
 *     }
 *
 * What rustc does, we do here by hand: every point where the body can stop (each .await)
 * becomes a state; every local that is still needed after an .await moves into the struct;
 * the awaited future is stored inline, in the struct too. poll is a loop around a switch on
 * the state, and "suspend" is simply `return RT_PENDING` -- the state says where to resume.
 * demo_macros.c is the same function written with RT_BEGIN/RT_AWAIT; the output is the same.
 */

// region: struct
typedef enum worker_state {
    WORKER_START,      /* not polled yet */
    WORKER_NEXT_STEP,  /* the top of the for loop */
    WORKER_WAITING,    /* suspended in `wait_ticks(...).await` */
    WORKER_FINISH,     /* after the loop */
    WORKER_DONE,       /* returned RT_READY; must not be polled again */
} worker_state;

typedef struct worker_fut {
    rt_future base;
    worker_state state;  /* where to resume */
    unsigned id;         /* the argument */
    int step, total;     /* locals that live across the .await, hoisted into the struct */
    ticks_fut ticks;     /* the future being awaited, stored inline: no allocation */
    int output;          /* the return value */
} worker_fut;
// endregion

// region: poll
/* worker_poll: run the body from where it last stopped to the next .await that is pending. */
static rt_poll worker_poll(rt_future *f, rt_context *cx)
{
    worker_fut *self = (worker_fut *)f;
    for (;;) {
        switch (self->state) {
        case WORKER_START:
            printf("worker %u started\n", self->id);
            self->total = 0;
            self->step = 1;
            self->state = WORKER_NEXT_STEP;
            break;
        case WORKER_NEXT_STEP:
            if (self->step > 2) {
                self->state = WORKER_FINISH;
                break;
            }
            self->ticks = wait_ticks(self->step, self->step * 10, NULL);
            self->ticks.say = "the wait_ticks it awaited";
            self->state = WORKER_WAITING;
            break;
        case WORKER_WAITING:
            if (rt_future_poll(&self->ticks.base, cx) == RT_PENDING)
                return RT_PENDING; /* suspend; the next poll comes straight back here */
            self->total += self->ticks.value;
            rt_future_drop(&self->ticks.base); /* the awaited future is consumed */
            printf("worker %u: step %d done, total %d\n", self->id, self->step, self->total);
            self->step++;
            self->state = WORKER_NEXT_STEP;
            break;
        case WORKER_FINISH:
            printf("worker %u finished\n", self->id);
            self->output = self->total;
            self->state = WORKER_DONE;
            return RT_READY;
        case WORKER_DONE:
            rt_panic("`async fn` resumed after completion");
        }
    }
}

/* worker_drop: cancellation. Only in WORKER_WAITING does the future own a live child. */
static void worker_drop(rt_future *f)
{
    worker_fut *self = (worker_fut *)f;
    if (self->state == WORKER_WAITING)
        rt_future_drop(&self->ticks.base);
}
// endregion

static const rt_future_vtable worker_vtable = { worker_poll, worker_drop, "worker" };

/* worker: the call `worker(id)`: the arguments go into the struct, in the start state. */
static worker_fut worker(unsigned id)
{
    return (worker_fut){ .base = { &worker_vtable }, .state = WORKER_START, .id = id };
}

/* main: poll one worker to the end, poll another twice and drop it. */
int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("== the state machine written by hand\n");
    worker_fut w = worker(1);
    printf("main: w = worker(1), a %zu-byte future; nothing printed yet\n", sizeof w);
    poll_out_loud(&w.base, 10);
    printf("main: w's output is %d\n", w.output);
    rt_future_drop(&w.base);

    printf("main: v = worker(2), polled twice, then dropped\n");
    worker_fut v = worker(2);
    poll_out_loud(&v.base, 2);
    rt_future_drop(&v.base);
    printf("main: \"worker 2 finished\" is never printed: dropping a future cancels it\n");
    return 0;
}

/* rt_async.h: the async-fn macros -- RT_BEGIN, RT_AWAIT, RT_YIELD, RT_RETURN, RT_END. */
#ifndef RT_ASYNC_H
#define RT_ASYNC_H

#include "rt_future.h"
#include "rt_panic.h"

/*
 * rustc turns an `async fn` into a state machine: a struct with a resume point, the locals
 * that live across an .await, and the child futures it awaits, stored inline. These macros
 * do the same transformation by hand, in the style of Simon Tatham's coroutines and
 * protothreads: a `switch` on the resume point, with a `case` label planted at every await.
 *
 *     typedef struct {
 *         rt_future base;      // vtable first: this struct IS a future
 *         rt_async co;         // resume point + the child being awaited
 *         int i;               // a local that lives across an await: hoisted into the struct
 *         my_sleep sleep;      // a child future, stored inline (no allocation)
 *     } worker_fut;
 *
 *     static rt_poll worker_poll(rt_future *f, rt_context *cx) {
 *         worker_fut *self = (worker_fut *)f;
 *         RT_BEGIN(&self->co);
 *         for (self->i = 0; self->i < 3; self->i++) {
 *             self->sleep = my_sleep_new(100);
 *             RT_AWAIT(&self->co, &self->sleep, cx);
 *         }
 *         RT_END(&self->co);
 *     }
 *
 * Lesson 02 shows this expansion next to the switch written by hand. The rules:
 *   - locals that must survive an await live in the struct (a C local is gone after return);
 *   - one RT_AWAIT or RT_YIELD per source line (the line number is the resume point);
 *   - no RT_AWAIT inside a nested switch of your own (its case labels would capture ours);
 *   - after RT_AWAIT the child is complete: read its output, and drop it when you are done
 *     with it if it owns something (a JoinHandle does: it holds a task reference);
 *   - the macros name the coroutine state and the context explicitly; nothing is hidden.
 */

/* The coroutine state every async fn embeds. Zero-initialised means "not started". */
typedef struct rt_async {
    int line;            /* resume point: 0 = start, RT_ASYNC_DONE = finished, else a __LINE__ */
    rt_future *awaiting; /* the child this coroutine is suspended on, or NULL */
} rt_async;

#define RT_ASYNC_DONE (-1)

/* The macros jump into the middle of a statement on purpose; tell the compiler so. */
#define RT__FALLTHROUGH __attribute__((fallthrough))

/* RT_BEGIN(co): open the state machine; control resumes at the last suspension point. */
// region: begin
#define RT_BEGIN(co) \
    switch ((co)->line) {      \
    case 0:
// endregion

/*
 * RT_AWAIT(co, child, cx): poll `child` until it is ready, returning RT_PENDING to our own
 * caller each time it is not. The waker in cx goes down to the child unchanged: the child
 * wakes our task, and our task polls us again, and we resume right here.
 */
// region: await
#define RT_AWAIT(co, child, cx)                                     \
    do {                                                            \
        (co)->awaiting = (rt_future *)(child);                      \
        (co)->line = __LINE__;                                      \
        RT__FALLTHROUGH;                                            \
    case __LINE__:                                                  \
        if (rt_future_poll((co)->awaiting, (cx)) == RT_PENDING)     \
            return RT_PENDING;                                      \
        (co)->awaiting = NULL;                                      \
    } while (0)
// endregion

/*
 * RT_YIELD(co, cx): give the executor a chance to run something else, then carry on. We ask
 * to be woken at once (wake_by_ref) and return pending: the task goes to the back of the queue.
 */
// region: yield
#define RT_YIELD(co, cx)                         \
    do {                                         \
        (co)->line = __LINE__;                   \
        rt_waker_wake_by_ref((cx)->waker);       \
        return RT_PENDING;                       \
    case __LINE__:;                              \
    } while (0)
// endregion

/* RT_RETURN(co): finish now; the output must already be stored in the struct. */
#define RT_RETURN(co)                  \
    do {                               \
        (co)->line = RT_ASYNC_DONE;    \
        return RT_READY;               \
    } while (0)

/* RT_END(co): close the state machine. Polling a finished async fn panics, as in Rust. */
// region: end
#define RT_END(co)                                                  \
    (co)->line = RT_ASYNC_DONE;                                     \
    return RT_READY;                                                \
    default:                                                        \
        rt_panic("`async fn` resumed after completion");            \
    }
// endregion

/* rt_async_drop: the cancellation half of an async fn -- drop the child it is suspended on. */
static inline void rt_async_drop(rt_async *co)
{
    if (co->awaiting) {
        rt_future_drop(co->awaiting);
        co->awaiting = NULL;
    }
}

#endif

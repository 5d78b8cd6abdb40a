/* rt_panic.h: Rust-style panics -- caught inside a task, fatal (exit 101) outside one. */
#ifndef RT_PANIC_H
#define RT_PANIC_H

#include <setjmp.h>

/*
 * C has no unwinding, so a panic is a longjmp to the nearest catch frame. The task harness
 * (rt_task.c) pushes a frame around every poll; the panic lands there, the harness drops the
 * task's future (releasing what it holds), and the JoinHandle reports "panicked" with the
 * message. With no frame on this thread, the panic prints Rust's line
 *
 *     thread '<name>' panicked at <file>:<line>:
 *     <message>
 *
 * and the process exits with code 101, as a Rust program does when main panics.
 *
 * What a longjmp skips: any code between the panic and the poll that started it. A future's
 * drop therefore sees the state of its last suspension point; anything it acquired since then
 * must already be recorded in its struct, or it leaks. That is the price of panics without
 * destructors, and why leaf futures record a resource in their struct before using it.
 */

#define RT_PANIC_MESSAGE_MAX 512

typedef struct rt_panic_frame {
    jmp_buf env;
    struct rt_panic_frame *prev;
    const char *file;
    int line;
    char message[RT_PANIC_MESSAGE_MAX];
} rt_panic_frame;

/* rt_panic(fmt, ...): panic here; never returns. */
#define rt_panic(...) rt__panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* rt__panic_at: the function behind rt_panic; use the macro, which supplies file and line. */
_Noreturn void rt__panic_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Catching, for executors only. setjmp must be called in the frame that stays alive, so the
 * catch site is written out by hand:
 *
 *     rt_panic_frame frame;
 *     rt_panic_push(&frame);
 *     if (setjmp(frame.env) == 0) {
 *         ... code that may panic ...
 *         rt_panic_pop(&frame);
 *     } else {
 *         ... panicked: frame.message, frame.file, frame.line; the frame is already popped ...
 *     }
 */
/* rt_panic_push: make `frame` the innermost catch frame of this thread. */
void rt_panic_push(rt_panic_frame *frame);
/* rt_panic_pop: remove `frame`, which must be the innermost, after the code did not panic. */
void rt_panic_pop(rt_panic_frame *frame);
/* rt_panic_is_caught: true if a panic here would be caught rather than end the process. */
int rt_panic_is_caught(void);

/* rt_thread_name: this thread's name as a panic prints it ("main" for the main thread). */
void rt_thread_name(char *buf, unsigned len);

#endif

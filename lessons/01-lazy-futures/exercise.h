/* exercise.h: lesson 01's exercise -- `async fn add_later(a, b)` as a lazy future, and a loop that runs one. */
#ifndef LESSON01_EXERCISE_H
#define LESSON01_EXERCISE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "rt_future.h"

/*
 * The body of add_later writes a line to a log instead of printing, so that the grader can
 * see whether it ran, how often, and in what order relative to other futures.
 */
typedef struct lesson_log {
    char text[512];
    size_t len;
    int lines;
} lesson_log;

/* lesson_log_line: append one formatted line (a newline is added); silently truncates when full. */
static inline void lesson_log_line(lesson_log *log, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void lesson_log_line(lesson_log *log, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = sizeof log->text - log->len;
    int n = vsnprintf(log->text + log->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n + 1 >= room)
        return;
    log->len += (size_t)n;
    log->text[log->len++] = '\n';
    log->text[log->len] = '\0';
    log->lines++;
}

/*
 * The future that `add_later(a, b)` returns. In Rust:
 *
 *     async fn add_later(a: i32, b: i32) -> i32 {
 *         println!("add_later({a}, {b}) runs");
 *         a + b
 *     }
 */
typedef struct add_later_fut {
    rt_future base;   /* first: this struct is a future */
    int a, b;         /* the arguments, kept for the body */
    lesson_log *log;  /* where the body writes "add_later(A, B) runs" */
    int sum;          /* the output, valid once poll has returned RT_READY */
} add_later_fut;

/* add_later: the call `add_later(a, b)`: returns the future and runs nothing. */
add_later_fut add_later(int a, int b, lesson_log *log);

/* run_to_completion: poll f with a no-op waker until it is ready; returns the number of polls. */
int run_to_completion(rt_future *f);

#endif

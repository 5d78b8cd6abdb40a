/* exercise.h: lesson 02's exercise -- `async fn fetch_two` as a state machine written by hand. */
#ifndef LESSON02_EXERCISE_H
#define LESSON02_EXERCISE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "ticks.h"

/* A log the body writes to, so that the grader can read what ran and in what order. */
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
 * The async fn to compile by hand:
 *
 *     async fn fetch_two(a_ticks: u32, b_ticks: u32) -> i32 {
 *         log!("fetching a");
 *         let a = wait_ticks(a_ticks, 20).await;
 *         log!("a = {a}, fetching b");
 *         let b = wait_ticks(b_ticks, 22).await;
 *         log!("b = {b}");
 *         a + b
 *     }
 *
 * Its states: not started, suspended in the first .await, suspended in the second, finished.
 */
typedef enum fetch_state {
    FETCH_START,   /* created, never polled */
    FETCH_WAIT_A,  /* suspended in `wait_ticks(a_ticks, 20).await` */
    FETCH_WAIT_B,  /* suspended in `wait_ticks(b_ticks, 22).await` */
    FETCH_DONE,    /* returned RT_READY */
} fetch_state;

typedef struct fetch_two_fut {
    rt_future base;
    fetch_state state;
    int a_ticks, b_ticks;           /* the arguments */
    ticks_stats *a_stats, *b_stats; /* given to the two wait_ticks futures the body creates */
    lesson_log *log;
    int a;                          /* a local the body still needs after the second .await */
    ticks_fut wait_a, wait_b;       /* the awaited futures, stored inline */
    int output;                     /* a + b, once ready */
} fetch_two_fut;

/* fetch_two: the call `fetch_two(a_ticks, b_ticks)`: stores the arguments, runs nothing. */
fetch_two_fut fetch_two(int a_ticks, int b_ticks, ticks_stats *a_stats, ticks_stats *b_stats,
                        lesson_log *log);

#endif

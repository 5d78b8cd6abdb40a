/* exercise.h: lesson 03's exercise -- a small executor for several tasks that polls only the ones whose waker fired. */
#ifndef LESSON03_EXERCISE_H
#define LESSON03_EXERCISE_H

#include <stdatomic.h>

#include "rt_future.h"
#include "rt_parker.h"

#define MINI_MAX_TASKS 16

typedef struct mini_executor mini_executor;

/* One task: a future plus the flag its waker sets. */
typedef struct mini_task {
    rt_future *future;     /* not owned: the caller keeps it alive and drops it afterwards */
    mini_executor *ex;     /* whose parker a wake must unpark */
    _Atomic int woken;     /* set by this task's waker (any thread); cleared by the executor */
    int done;              /* the future has returned RT_READY */
    int polls;             /* how many times the executor polled it */
} mini_task;

/* The executor: a fixed table of tasks and the parker its thread sleeps on. */
struct mini_executor {
    mini_task tasks[MINI_MAX_TASKS];
    int count;
    rt_parker parker;      /* mini_run sleeps here while no task is woken */
    long parks;            /* how many times mini_run called rt_parker_park */
    long polls;            /* polls of all tasks together */
};

/* mini_init: an executor with no tasks. */
void mini_init(mini_executor *ex);

/* mini_add: add a task for `f`, already woken so that it gets its first poll; its index, or
 * -1 if the table is full. */
int mini_add(mini_executor *ex, rt_future *f);

/* mini_task_waker: the waker that mini_run hands to task t's future. */
rt_waker mini_task_waker(mini_task *t);

/* mini_run: poll the tasks until every one is done. A task is polled only when its waker has
 * fired since its last poll; when no task is woken, the thread sleeps on ex->parker. */
void mini_run(mini_executor *ex);

#endif

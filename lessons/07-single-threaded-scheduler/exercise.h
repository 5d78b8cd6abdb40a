/* exercise.h: lesson 07's exercise -- the scheduling loop of a single-threaded runtime. */
#ifndef LESSON07_EXERCISE_H
#define LESSON07_EXERCISE_H

#include "st.h"

/* st_next_task: the next task to run, or NULL when both queues are empty. Increments nothing:
 * st_run counts the ticks. */
rt_task *st_next_task(st_runtime *s);

/* st_run: run the runtime's tasks on this thread until none is left alive. */
void st_run(st_runtime *s);

#endif

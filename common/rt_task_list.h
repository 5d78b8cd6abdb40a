/* rt_task_list.h: the runtime's list of owned tasks, so that shutdown can cancel every one. */
#ifndef RT_TASK_LIST_H
#define RT_TASK_LIST_H

#include <pthread.h>
#include <stddef.h>

#include "rt_task.h"

/*
 * tokio calls this OwnedTasks. Every live task is on it, holding one reference, from spawn
 * until it completes. Shutdown closes the list (later spawns are cancelled at once) and then
 * cancels each task still on it, so that no future outlives its runtime and every timer, fd
 * and allocation a future holds is released by its drop.
 */
struct rt_task_list {
    pthread_mutex_t lock;
    rt_task *head;
    size_t len;
    int closed;
};

/* rt_task_list_init: an empty, open list; 0 or -errno. */
int rt_task_list_init(rt_task_list *list);
/* rt_task_list_destroy: release the lock; the list must be empty (closed and shut down). */
void rt_task_list_destroy(rt_task_list *list);
/* rt_task_list_bind: add a new task, giving the list its reference; -1 if the list is closed. */
int rt_task_list_bind(rt_task_list *list, rt_task *task);
/* rt_task_list_remove: take the task off; 1 if it was on (its reference is now the caller's). */
int rt_task_list_remove(rt_task_list *list, rt_task *task);
/* rt_task_list_close_and_shutdown: refuse new tasks, then cancel every task on the list. */
void rt_task_list_close_and_shutdown(rt_task_list *list);
/* rt_task_list_len: tasks currently owned. */
size_t rt_task_list_len(rt_task_list *list);
/* rt_task_list_is_closed: shutdown has begun. */
int rt_task_list_is_closed(rt_task_list *list);
/* rt_task_list_for_each: call fn on every owned task under the lock (fn must not block or spawn). */
void rt_task_list_for_each(rt_task_list *list, void (*fn)(rt_task *task, void *arg), void *arg);

#endif

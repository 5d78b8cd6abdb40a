/* rt_task_list.c: a mutex-guarded intrusive doubly linked list of the tasks a runtime owns. */
#include "rt_task_list.h"

/*
 * One mutex, taken twice per task lifetime (bind, remove) and never on the poll path: cheap
 * enough that tokio only shards it for very high spawn rates. Ownership of the list's
 * reference moves with the node: whoever unlinks a task (remove at completion, or the shutdown
 * loop) holds that reference afterwards, and the in_list flag makes sure only one of them does.
 */

/* rt_task_list_init: set up the lock and an empty list. */
int rt_task_list_init(rt_task_list *list)
{
    list->head = NULL;
    list->len = 0;
    list->closed = 0;
    return -pthread_mutex_init(&list->lock, NULL);
}

/* rt_task_list_destroy: nothing is allocated but the mutex. */
void rt_task_list_destroy(rt_task_list *list)
{
    pthread_mutex_destroy(&list->lock);
}

/* rt__unlink: remove under the lock; the caller checked in_list. */
static void rt__unlink(rt_task_list *list, rt_task *task)
{
    if (task->list_prev)
        task->list_prev->list_next = task->list_next;
    else
        list->head = task->list_next;
    if (task->list_next)
        task->list_next->list_prev = task->list_prev;
    task->list_prev = task->list_next = NULL;
    task->in_list = 0;
    list->len--;
}

/* rt_task_list_bind: push at the head; refused once shutdown closed the list. */
int rt_task_list_bind(rt_task_list *list, rt_task *task)
{
    pthread_mutex_lock(&list->lock);
    if (list->closed) {
        pthread_mutex_unlock(&list->lock);
        return -1;
    }
    task->owner = list;
    task->list_prev = NULL;
    task->list_next = list->head;
    if (list->head)
        list->head->list_prev = task;
    list->head = task;
    task->in_list = 1;
    list->len++;
    pthread_mutex_unlock(&list->lock);
    return 0;
}

/* rt_task_list_remove: unlink if still linked. */
int rt_task_list_remove(rt_task_list *list, rt_task *task)
{
    int was_in;
    pthread_mutex_lock(&list->lock);
    was_in = task->in_list;
    if (was_in)
        rt__unlink(list, task);
    pthread_mutex_unlock(&list->lock);
    return was_in;
}

/*
 * rt_task_list_close_and_shutdown: pop one task at a time and shut it down outside the lock.
 * Completing a task calls rt_task_list_remove, which takes this lock, and cancelling runs the
 * future's drop, which may drop wakers and JoinHandles of other tasks on this same list; both
 * would deadlock if we held the lock across rt_task_shutdown.
 */
void rt_task_list_close_and_shutdown(rt_task_list *list)
{
    pthread_mutex_lock(&list->lock);
    list->closed = 1;
    for (;;) {
        rt_task *task = list->head;
        if (!task)
            break;
        rt__unlink(list, task);
        pthread_mutex_unlock(&list->lock);
        rt_task_shutdown(task); /* consumes the list's reference, which is now ours */
        pthread_mutex_lock(&list->lock);
    }
    pthread_mutex_unlock(&list->lock);
}

/* rt_task_list_len: a snapshot under the lock. */
size_t rt_task_list_len(rt_task_list *list)
{
    pthread_mutex_lock(&list->lock);
    size_t len = list->len;
    pthread_mutex_unlock(&list->lock);
    return len;
}

/* rt_task_list_is_closed: set once by close_and_shutdown, never cleared. */
int rt_task_list_is_closed(rt_task_list *list)
{
    pthread_mutex_lock(&list->lock);
    int closed = list->closed;
    pthread_mutex_unlock(&list->lock);
    return closed;
}

/* rt_task_list_for_each: for metrics and the deadlock watchdog, which print every task. */
void rt_task_list_for_each(rt_task_list *list, void (*fn)(rt_task *task, void *arg), void *arg)
{
    pthread_mutex_lock(&list->lock);
    for (rt_task *t = list->head; t; t = t->list_next)
        fn(t, arg);
    pthread_mutex_unlock(&list->lock);
}

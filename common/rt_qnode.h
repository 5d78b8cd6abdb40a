/* rt_qnode.h: the intrusive list node every queue in the core links through, plus container_of. */
#ifndef RT_QNODE_H
#define RT_QNODE_H

#include <stddef.h>

/*
 * Queues in the core never allocate per element. An object that can sit in a queue embeds an
 * rt_qnode, and the queue links those nodes; container_of gets the object back. This is the
 * libuv / Linux-kernel idiom: a task is pushed and popped millions of times a second, and a
 * malloc per push would cost more than the push itself.
 */
typedef struct rt_qnode {
    struct rt_qnode *next;
} rt_qnode;

/* container_of: from a pointer to a member back to the struct that embeds it. */
#define rt_container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))

#endif

/* rt_alloc.c: malloc wrappers with a countdown that lets tests inject allocation failure. */
#include "rt_alloc.h"

#include <stdatomic.h>
#include <stdlib.h>

/*
 * The countdown is one atomic, so the hook is safe to arm while worker threads allocate. When
 * it is 0 (the normal case) the cost is one relaxed load per allocation, next to malloc's own
 * work that is noise.
 */
static _Atomic long countdown;
static _Atomic long injected;

/* rt__should_fail: true when this allocation is the one the test asked to fail. */
static int rt__should_fail(void)
{
    long n = atomic_load_explicit(&countdown, memory_order_relaxed);
    while (n > 0) {
        /* CAS so that exactly one thread sees the count reach zero. */
        if (atomic_compare_exchange_weak(&countdown, &n, n - 1)) {
            if (n == 1) {
                atomic_fetch_add(&injected, 1);
                return 1;
            }
            return 0;
        }
    }
    return 0;
}

/* rt_malloc: malloc, or NULL when a failure was injected. */
void *rt_malloc(size_t size)
{
    return rt__should_fail() ? NULL : malloc(size);
}

/* rt_calloc: calloc, or NULL when a failure was injected. */
void *rt_calloc(size_t count, size_t size)
{
    return rt__should_fail() ? NULL : calloc(count, size);
}

/* rt_realloc: realloc, or NULL (leaving ptr intact) when a failure was injected. */
void *rt_realloc(void *ptr, size_t size)
{
    return rt__should_fail() ? NULL : realloc(ptr, size);
}

/* rt_free: free; here so that every allocation and release is visible in one file. */
void rt_free(void *ptr)
{
    free(ptr);
}

/* rt_alloc_fail_after: arm (n > 0) or disarm (n == 0) the failure countdown. */
void rt_alloc_fail_after(long n)
{
    atomic_store(&countdown, n < 0 ? 0 : n);
}

/* rt_alloc_injected_failures: count of failures injected so far. */
long rt_alloc_injected_failures(void)
{
    return atomic_load(&injected);
}

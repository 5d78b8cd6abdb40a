/* rt_alloc.h: the one allocation path of the core and both flavours, with a failure-injection hook. */
#ifndef RT_ALLOC_H
#define RT_ALLOC_H

#include <stddef.h>

/*
 * Every allocation in common/ and runtimes/ goes through these, never straight to malloc, so
 * that a test can make the Nth allocation fail and check that the caller reports a clear error
 * and leaks nothing. They behave exactly like malloc/calloc/realloc/free otherwise: NULL on
 * failure, and the caller must handle it.
 */
void *rt_malloc(size_t size);
void *rt_calloc(size_t count, size_t size);
void *rt_realloc(void *ptr, size_t size);
void rt_free(void *ptr);

/* Test hook: make the allocation `n` calls from now (1 = the next one) fail; 0 disarms. */
void rt_alloc_fail_after(long n);
/* Test hook: how many allocations have failed on purpose since the process started. */
long rt_alloc_injected_failures(void);

#endif

/* rt_parker.h: a one-token thread parker (park / unpark / timed park) on a Linux futex. */
#ifndef RT_PARKER_H
#define RT_PARKER_H

#include <stdatomic.h>
#include <stdint.h>

/*
 * A parker is how an idle thread sleeps until someone has work for it: the same primitive as
 * Rust's std::thread::park / Thread::unpark and the core of tokio's park. Each thread owns one.
 * Only the owner parks; any thread may unpark.
 *
 * The parker holds at most one "token". unpark() sets it; park() waits until it is set and
 * consumes it. If the token is already there when park() is called, park() returns at once, so
 * an unpark that races ahead of the park it is meant for is never lost. Tokens do not add up:
 * two unparks before one park leave one token, exactly as in std.
 *
 * Memory: whatever the unparking thread wrote before rt_parker_unpark() is visible to the owner
 * after the park call that consumed that token returns (release/acquire through `state`).
 *
 * Lifetime: the owner may return from park while the unparker is still inside unpark, which
 * then only hands the word's address to the kernel as a wake key (no memory access). Free the
 * parker only once no unpark can still be issued against it.
 */
// region: api
typedef struct rt_parker {
    _Atomic uint32_t state; /* EMPTY, PARKED or NOTIFIED; see rt_parker.c */
} rt_parker;

/* rt_parker_init: an empty parker (no token, nobody parked). */
void rt_parker_init(rt_parker *p);

/* rt_parker_park: owner only; sleep until a token is present, consume it, return. */
void rt_parker_park(rt_parker *p);

/* rt_parker_park_timeout: owner only; 1 if a token was consumed, 0 once timeout_ns has elapsed. */
int rt_parker_park_timeout(rt_parker *p, uint64_t timeout_ns);

/* rt_parker_unpark: any thread; make a token available and wake the owner if it sleeps. */
void rt_parker_unpark(rt_parker *p);
// endregion

#endif

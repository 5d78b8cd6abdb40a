/* rb_machine.h: the description of the machine and of every library and crate a result came from. */
#ifndef RB_MACHINE_H
#define RB_MACHINE_H

#include <stdio.h>

#include "rb_env.h"

#define RB_MACHINE_MAX 32

/* One "key: value" line of machine.txt. */
typedef struct rb_fact {
    char key[24];
    char value[200];
} rb_fact;

/* Everything recorded, in the order machine.txt lists it. */
typedef struct rb_machine {
    rb_fact facts[RB_MACHINE_MAX];
    int n;
} rb_machine;

/*
 * Probe CPU, cores, memory, kernel, OS, the compiler that built the harness (the same $(CC)
 * built the rtb-* executables), the versions of libuv, libevent and liburing (pkg-config),
 * libev (Debian has no .pc file for it: dpkg-query), tokio and async-std (the anchors'
 * Cargo.lock, else Debian's registry), cargo, rustc, wrk and gnuplot. A probe that fails
 * records "unknown (<why>)" rather than leaving the line out.
 */
void rb_machine_probe(rb_machine *m, const rb_env *e);

/* Add or replace one fact (used for the invocation's own facts: size, reps, command). */
void rb_machine_set(rb_machine *m, const char *key, const char *value);

/* The value of `key`, or "unknown". */
const char *rb_machine_get(const rb_machine *m, const char *key);

/* machine.txt: one "key: value" line per fact. 0 or -1 on a write error. */
int rb_machine_write(FILE *f, const rb_machine *m);

/* Find `name`'s version in a Cargo.lock text ("1.24.2"), into out; 0, or -1 if absent. */
int rb_machine_lock_version(const char *lock_text, const char *name, char *out, size_t n);

#endif

/* threads.h: lessons 09 and 10 -- list this process's threads by name, from /proc/self/task. */
#ifndef LESSON09_THREADS_H
#define LESSON09_THREADS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * A runtime is, among other things, a set of threads, and the two flavours make different
 * ones: tk makes "tk-worker" threads when you build a multi_thread runtime (none for
 * current_thread); as makes "as-worker-N" threads and one "as-io" thread the first time you use
 * it. Linux lists a process's threads in /proc/self/task/<tid>/comm, with the name each thread
 * was given (pthread_setname_np). The main thread is shown as "main", as Rust names it.
 *
 * One caution. A tk worker names itself as its first act, so for a moment after the runtime is
 * built a new thread still carries the program's name. threads_wait_named waits (bounded) for
 * the names to appear instead of looking once.
 */

#define THREADS_MAX 128

/* threads__read: the names of this process's threads, by tid (main first); returns the count. */
static inline int threads__read(char names[][16], int max)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return 0;
    long tids[THREADS_MAX];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max && n < THREADS_MAX) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        long tid = strtol(e->d_name, NULL, 10);
        char path[64], name[16] = "";
        snprintf(path, sizeof path, "/proc/self/task/%ld/comm", tid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue; /* the thread exited between readdir and fopen */
        if (fgets(name, sizeof name, f))
            name[strcspn(name, "\n")] = '\0';
        fclose(f);
        if (tid == (long)getpid())
            snprintf(name, sizeof name, "main");
        /* insertion by tid, so the listing has a stable order */
        int at = n;
        while (at > 0 && tids[at - 1] > tid) {
            tids[at] = tids[at - 1];
            memcpy(names[at], names[at - 1], 16);
            at--;
        }
        tids[at] = tid;
        snprintf(names[at], 16, "%s", name);
        n++;
    }
    closedir(d);
    return n;
}

/* threads_count_named: how many threads are called `name` right now. */
static inline int threads_count_named(const char *name)
{
    char names[THREADS_MAX][16];
    int n = threads__read(names, THREADS_MAX), count = 0;
    for (int i = 0; i < n; i++)
        count += strcmp(names[i], name) == 0;
    return count;
}

/* threads_count_prefixed: how many threads have a name starting with `prefix`. */
static inline int threads_count_prefixed(const char *prefix)
{
    char names[THREADS_MAX][16];
    int n = threads__read(names, THREADS_MAX), count = 0;
    for (int i = 0; i < n; i++)
        count += strncmp(names[i], prefix, strlen(prefix)) == 0;
    return count;
}

/* threads__nap_ms: a short real sleep, for the bounded waits below. */
static inline void threads__nap_ms(long ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* threads_wait_named: wait until `want` threads are called `name` (at most timeout_ms); returns
 * the count last seen. Waiting is for correctness, not speed: a new thread names itself soon,
 * but "soon" on a loaded machine has no bound we could promise. */
static inline int threads_wait_named(const char *name, int want, long timeout_ms)
{
    int n = threads_count_named(name);
    for (long waited = 0; n < want && waited < timeout_ms; waited += 2) {
        threads__nap_ms(2);
        n = threads_count_named(name);
    }
    return n;
}

/* threads_wait_gone: wait until no thread is called `name` (at most timeout_ms); returns the
 * count last seen. A joined thread can linger in /proc for a moment while the kernel reaps it. */
static inline int threads_wait_gone(const char *name, long timeout_ms)
{
    int n = threads_count_named(name);
    for (long waited = 0; n > 0 && waited < timeout_ms; waited += 2) {
        threads__nap_ms(2);
        n = threads_count_named(name);
    }
    return n;
}

/* threads_describe: "main, tk-worker x2" -- each name once, in order of first appearance. */
static inline void threads_describe(char *buf, size_t len)
{
    char names[THREADS_MAX][16];
    int n = threads__read(names, THREADS_MAX);
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        int seen = 0, count = 0;
        for (int j = 0; j < i; j++)
            seen |= strcmp(names[j], names[i]) == 0;
        if (seen)
            continue;
        for (int j = i; j < n; j++)
            count += strcmp(names[j], names[i]) == 0;
        int w = count > 1 ? snprintf(buf + used, len - used, "%s%s x%d", used ? ", " : "", names[i], count)
                          : snprintf(buf + used, len - used, "%s%s", used ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= len - used)
            return;
        used += (size_t)w;
    }
}

#endif

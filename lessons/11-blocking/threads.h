/* threads.h: lessons 11-12 -- name and count this process's threads, read from /proc/self/task. */
#ifndef LESSON11_THREADS_H
#define LESSON11_THREADS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Every runtime thread names itself (pthread_setname_np): "tk-worker", "tk-blocking",
 * "as-worker-0", "as-io", "as-blocking". Linux shows the name in /proc/self/task/<tid>/comm,
 * the same place `top -H` and `ps -L` read it from, so a program can see which threads exist
 * without asking any runtime. Lessons 11 and 12 use it to show where work runs and which
 * threads a runtime started behind your back.
 */

#define THREADS_MAX 1024

/* threads__read_name: the comm of thread `tid` into name (empty if it is already gone). */
static inline void threads__read_name(const char *tid, char *name, size_t len)
{
    char path[300];
    snprintf(path, sizeof path, "/proc/self/task/%s/comm", tid);
    name[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return; /* the thread exited between readdir and fopen */
    if (fgets(name, (int)len, f) != NULL)
        name[strcspn(name, "\n")] = '\0';
    fclose(f);
}

/* threads_count: how many threads of this process are named `name` (NULL: all of them). */
static inline int threads_count(const char *name)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char comm[64];
        threads__read_name(e->d_name, comm, sizeof comm);
        if (comm[0] != '\0' && (name == NULL || strcmp(comm, name) == 0))
            n++;
    }
    closedir(d);
    return n;
}

/* threads__cmp: order names alphabetically (for qsort). */
static inline int threads__cmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* threads_print: one line, "label: name, name x3, ..." -- the distinct names in alphabetical
 * order, each with its count when there is more than one. */
static inline void threads_print(FILE *out, const char *label)
{
    static char names[THREADS_MAX][64];
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d != NULL && n < THREADS_MAX && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        threads__read_name(e->d_name, names[n], sizeof names[n]);
        if (names[n][0] != '\0')
            n++;
    }
    if (d != NULL)
        closedir(d);
    qsort(names, (size_t)n, sizeof names[0], threads__cmp);
    fprintf(out, "%s (%d):", label, n);
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && strcmp(names[j], names[i]) == 0)
            j++;
        fprintf(out, "%s %s", i == 0 ? "" : ",", names[i]);
        if (j - i > 1)
            fprintf(out, " x%d", j - i);
        i = j;
    }
    fprintf(out, "\n");
}

#endif

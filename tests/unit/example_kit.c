/* example_kit.c: find, start and listen to the example programs for the example suites. */
#include "example_kit.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ek_examples_dir: dirname twice on a copy, because dirname may write into its argument. */
void ek_examples_dir(char *dir, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *variant_dir = dirname(dirname(exe)); /* BUILD/VARIANT */
        const char *variant = strrchr(variant_dir, '/');
        variant = variant ? variant + 1 : variant_dir;
        if (strcmp(variant, "normal") == 0)
            snprintf(dir, len, "%s/../examples", variant_dir);
        else
            snprintf(dir, len, "%s/examples", variant_dir);
        if (access(dir, X_OK) == 0)
            return;
    }
    const char *v = getenv("RT_TEST_VARIANT");
    if (!v || strcmp(v, "normal") == 0)
        snprintf(dir, len, "build/examples");
    else
        snprintf(dir, len, "build/%s/examples", v);
}

/* ek_example_path: a missing binary is a build problem; say how to fix it. */
void ek_example_path(const char *dir, const char *name, char *path, size_t len)
{
    char found[PATH_MAX];
    if (dir == NULL) {
        ek_examples_dir(found, sizeof found);
        dir = found;
    }
    snprintf(path, len, "%s/%s", dir, name);
    ck_assert_msg(access(path, X_OK) == 0,
                  "example %s not built (%s): build the examples of this variant first", name,
                  path);
}

/* ek_pipe: O_CLOEXEC is atomic with the pipe's creation, unlike a later fcntl. */
void ek_pipe(int fds[2])
{
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
}

/* ek_spawn: dup2 clears close-on-exec on the copy, so only fds 1 and 2 survive the exec. */
pid_t ek_spawn(const char *path, const char *const argv[], int out, int err,
               void (*setup)(const void *arg), const void *arg)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(out, 1);
        dup2(err, 2);
        if (setup)
            setup(arg);
        execv(path, (char *const *)argv);
        _exit(127);
    }
    close(out);
    if (err != out)
        close(err);
    return pid;
}

/* ek_read_all: EINTR is retried; any other error ends the read like end-of-file. */
size_t ek_read_all(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    while (got + 1 < cap) {
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    return got;
}

/* ek_read_port: byte counts, not lines, come out of a pipe: read until the newline arrives. */
int ek_read_port(int fd, const char *name, int timeout_ms)
{
    char line[128] = "";
    size_t used = 0;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    while (strchr(line, '\n') == NULL && used + 1 < sizeof line) {
        ck_assert_msg(poll(&p, 1, timeout_ms) == 1, "%s never said where it listens", name);
        ssize_t n = read(fd, line + used, sizeof line - 1 - used);
        ck_assert_msg(n > 0, "%s exited before listening", name);
        used += (size_t)n;
        line[used] = '\0';
    }
    int port = 0;
    ck_assert_msg(sscanf(line, "listening on 127.0.0.1:%d", &port) == 1, "%s said '%s'", name,
                  line);
    return port;
}

/* ek_read_proc: one read suffices for the small files asked for (stat, status). */
void ek_read_proc(pid_t pid, const char *file, char *buf, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
}

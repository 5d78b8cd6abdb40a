/* example_kit.h: running the runtimes' example programs from a suite -- find this build's binary, start it on pipes, read what it says. */
#ifndef EXAMPLE_KIT_H
#define EXAMPLE_KIT_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The example suites (test_tk_examples.c, test_as_examples.c, test_http_server.c,
 * test_emfile.c) run each example as its own process, the way a student runs it, and judge it
 * by what it prints and how it exits. The binary must be the one of the same build variant as
 * the suite, so an ASan suite runs an ASan example (whose leak check then counts too).
 *
 * Every helper here either returns what it found or fails the calling Check test with a
 * message that names the example; none of them asserts anything about the example's output.
 */

/* ek_examples_dir: the examples of this build variant -- BUILD/examples for the normal build,
 * BUILD/VARIANT/examples otherwise -- found from this test binary's own path
 * (BUILD/VARIANT/tests/NAME); if that directory does not exist, the runner's layout from the
 * repo root (build/examples, or build/$RT_TEST_VARIANT/examples). */
void ek_examples_dir(char *dir, size_t len);
/* ek_example_path: dir/name (dir NULL: ek_examples_dir); fails the test if it is not built. */
void ek_example_path(const char *dir, const char *name, char *path, size_t len);

/* ek_pipe: a close-on-exec pipe, so a child keeps only the end it was given as stdout/stderr. */
void ek_pipe(int fds[2]);
/* ek_spawn: fork and exec path with argv (argv[0] included, NULL-terminated), with out and err
 * as its stdout and stderr (they may be the same fd); setup, if not NULL, runs in the child
 * just before exec (environment, limits). The parent's copies of out and err are closed. */
pid_t ek_spawn(const char *path, const char *const argv[], int out, int err,
               void (*setup)(const void *arg), const void *arg);
/* ek_read_all: read fd to end-of-file into buf (at most cap - 1 bytes, then NUL-terminated);
 * returns how many bytes it kept. */
size_t ek_read_all(int fd, char *buf, size_t cap);
/* ek_read_port: read the server's first line from fd, "listening on 127.0.0.1:PORT", and return
 * PORT; fails the test if nothing comes within timeout_ms or the line is anything else. */
int ek_read_port(int fd, const char *name, int timeout_ms);
/* ek_read_proc: the text of /proc/<pid>/<file> (at most cap - 1 bytes, NUL-terminated). */
void ek_read_proc(pid_t pid, const char *file, char *buf, size_t cap);

#endif

/* test_panic.c: rt_panic -- caught by a frame, nested frames, and Rust's line with exit 101 outside. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_panic.h"
#include "rt_testkit.h"

/* boom: panics with a formatted message. */
static void boom(int n)
{
    rt_panic("boom %d", n);
}

START_TEST(test_caught_by_frame)
{
    rt_panic_frame frame;
    volatile int reached = 0;
    rt_panic_push(&frame);
    if (setjmp(frame.env) == 0) {
        ck_assert(rt_panic_is_caught());
        boom(7);
        reached = 1;
        rt_panic_pop(&frame);
    }
    ck_assert_int_eq(reached, 0);
    ck_assert_str_eq(frame.message, "boom 7");
    ck_assert_ptr_nonnull(strstr(frame.file, "test_panic.c"));
    ck_assert_int_gt(frame.line, 0);
    ck_assert(!rt_panic_is_caught()); /* the panic popped the frame */
}
END_TEST

START_TEST(test_nested_frames_catch_innermost)
{
    rt_panic_frame outer, inner;
    volatile int outer_caught = 0, inner_caught = 0;
    rt_panic_push(&outer);
    if (setjmp(outer.env) == 0) {
        rt_panic_push(&inner);
        if (setjmp(inner.env) == 0) {
            boom(1);
        } else {
            inner_caught = 1;
        }
        /* A second panic, from the inner handler, goes to the outer frame. */
        boom(2);
    } else {
        outer_caught = 1;
    }
    ck_assert_int_eq(inner_caught, 1);
    ck_assert_int_eq(outer_caught, 1);
    ck_assert_str_eq(inner.message, "boom 1");
    ck_assert_str_eq(outer.message, "boom 2");
    ck_assert(!rt_panic_is_caught());
}
END_TEST

/* Outside any frame: Rust's message on stderr, stdout flushed first, exit code 101. */
START_TEST(test_uncaught_prints_rust_line_and_exits_101)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        printf("before the panic\n"); /* buffered: must still appear, before the panic line */
        rt_panic("index out of bounds: the len is %d but the index is %d", 3, 5);
    }
    close(fds[1]);
    char buf[1024];
    ssize_t n, total = 0;
    while ((n = read(fds[0], buf + total, sizeof buf - 1 - total)) > 0)
        total += n;
    buf[total] = '\0';
    close(fds[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 101);
    char *line = strstr(buf, "thread '");
    ck_assert_ptr_nonnull(line);
    ck_assert_ptr_nonnull(strstr(buf, "before the panic\n"));
    ck_assert(strstr(buf, "before the panic") < line);
    ck_assert_ptr_nonnull(strstr(line, "' panicked at tests/unit/test_panic.c:"));
    ck_assert_ptr_nonnull(strstr(line, ":\nindex out of bounds: the len is 3 but the index is 5\n"));
}
END_TEST

START_TEST(test_thread_name_main)
{
    char name[32];
    rt_thread_name(name, sizeof name);
    /* Check forks each test from the main thread, so this is the child's main thread. */
    ck_assert_str_eq(name, "main");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("panic");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_caught_by_frame);
    tcase_add_test(tc, test_nested_frames_catch_innermost);
    tcase_add_test(tc, test_uncaught_prints_rust_line_and_exits_101);
    tcase_add_test(tc, test_thread_name_main);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}

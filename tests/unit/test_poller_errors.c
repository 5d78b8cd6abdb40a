/* test_poller_errors.c: the poller's error contract -- bad input, same errno on every backend, no fd or memory leaks, ENOMEM. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_alloc.h"
#include "rt_poller.h"

/* Loop index i = backend i / 3, mode i % 3; unsupported combinations are skipped. */
enum { NCOMBOS = 9, GUARD_MS = 5000, MAXFD = 4096 };

static char label[64];

/* mode_name: for messages. */
static const char *mode_name(rt_poll_mode m)
{
    return m == RT_MODE_LEVEL ? "level" : m == RT_MODE_EDGE ? "edge" : "oneshot";
}

/* supported: whether (b, m) should work on this machine; prints why not. */
static int supported(rt_poller_backend b, rt_poll_mode m)
{
    snprintf(label, sizeof label, "%s/%s", rt_poller_backend_name(b), mode_name(m));
    if (b == RT_POLLER_POLL && m == RT_MODE_EDGE)
        return 0;
    rt_poller *p = rt_poller_new(b, m);
    if (p != NULL) {
        rt_poller_free(p);
        return 1;
    }
    int err = errno;
    if (b == RT_POLLER_URING && (err == ENOSYS || (err == ENOTSUP && m == RT_MODE_EDGE))) {
        printf("SKIP %s: %s on this kernel\n", label, strerror(err));
        return 0;
    }
    ck_abort_msg("%s: rt_poller_new failed: %s", label, strerror(err));
    return 0;
}

/* count_fds: open descriptors of this process, from /proc/self/fd (minus the dir's own). */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;
}

/* fd_open: whether fd is currently open. */
static int fd_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

START_TEST(test_bad_input_same_errors_everywhere)
{
    rt_poller_backend b = (rt_poller_backend)(_i / 3);
    rt_poll_mode m = (rt_poll_mode)(_i % 3);
    if (!supported(b, m))
        return;
    rt_poller *p = rt_poller_new(b, m);
    ck_assert_ptr_nonnull(p);
    rt_poll_event ev[4];
    ck_assert_int_eq(rt_poller_wait(p, ev, 0, 0), -EINVAL);
    ck_assert_int_eq(rt_poller_wait(p, ev, -3, 0), -EINVAL);
    ck_assert_int_eq(rt_poller_wait(p, NULL, 4, 0), -EINVAL);

    int closed[2];
    ck_assert_int_eq(pipe2(closed, O_CLOEXEC), 0);
    close(closed[0]), close(closed[1]);
    ck_assert_int_eq(rt_poller_add(p, closed[0], RT_READABLE, 1), -EBADF);
    ck_assert_int_eq(rt_poller_modify(p, closed[0], RT_READABLE, 1), -EBADF);
    ck_assert_int_eq(rt_poller_del(p, closed[0]), -EBADF);
    ck_assert_int_eq(rt_poller_add(p, -1, RT_READABLE, 1), -EBADF);
    ck_assert_int_eq(rt_poller_del(p, -1), -EBADF);

    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    ck_assert_int_eq(rt_poller_del(p, sv[0]), -ENOENT);
    ck_assert_int_eq(rt_poller_modify(p, sv[0], RT_READABLE, 1), -ENOENT);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE, RT_POLLER_NOTIFY_TOKEN), -EINVAL);
    ck_assert_int_eq(rt_poller_add(p, sv[0], 16u, 1), -EINVAL);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE | RT_READ_CLOSED | RT_ERROR, 1), 0);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE, 2), -EEXIST);
    ck_assert_int_eq(rt_poller_modify(p, sv[0], RT_READABLE, RT_POLLER_NOTIFY_TOKEN), -EINVAL);
    ck_assert_int_eq(rt_poller_del(p, sv[0]), 0);
    ck_assert_int_eq(rt_poller_del(p, sv[0]), -ENOENT);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE, 2), 0); /* re-add after del is fine */

    /* A regular file is always "ready": epoll refuses it, and so do the others. */
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(rt_poller_add(p, fileno(f), RT_READABLE, 3), -EPERM);
    fclose(f);

    rt_poller_free(p);
    close(sv[0]), close(sv[1]);
}
END_TEST

/* Every fd a poller opens is CLOEXEC, and free closes all of them, whatever was registered. */
START_TEST(test_no_fd_leak_and_cloexec)
{
    rt_poller_backend b = (rt_poller_backend)(_i / 3);
    rt_poll_mode m = (rt_poll_mode)(_i % 3);
    if (!supported(b, m))
        return;
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    int before = count_fds();
    char was_open[MAXFD];
    for (int fd = 0; fd < MAXFD; fd++)
        was_open[fd] = (char)fd_open(fd);
    for (int round = 0; round < 3; round++) {
        rt_poller *p = rt_poller_new(b, m);
        ck_assert_ptr_nonnull(p);
        for (int fd = 0; fd < MAXFD; fd++)
            if (!was_open[fd] && fd_open(fd))
                ck_assert_msg(fcntl(fd, F_GETFD) & FD_CLOEXEC, "%s: fd %d not CLOEXEC", label, fd);
        ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE | RT_WRITABLE, 1), 0);
        ck_assert_int_eq(write(sv[1], "x", 1), 1);
        rt_poll_event ev[4];
        ck_assert_int_ge(rt_poller_wait(p, ev, 4, GUARD_MS), 1);
        ck_assert_int_eq(rt_poller_notify(p), 0); /* left pending on purpose */
        rt_poller_free(p);                        /* sv[0] still registered: free copes */
        ck_assert_msg(count_fds() == before, "%s: %d fds before, %d after free", label, before, count_fds());
    }
    close(sv[0]), close(sv[1]);
}
END_TEST

/* Every allocation inside rt_poller_new fails in turn: NULL + ENOMEM each time, no fd left
 * open (counted here), no memory left allocated (LeakSanitizer checks at exit in the asan build). */
START_TEST(test_enomem_on_every_allocation_of_new)
{
    rt_poller_backend b = (rt_poller_backend)(_i / 3);
    rt_poll_mode m = (rt_poll_mode)(_i % 3);
    if (!supported(b, m))
        return;
    int before = count_fds();
    int failures = 0;
    for (long k = 1; k < 32; k++) {
        rt_alloc_fail_after(k);
        errno = 0;
        rt_poller *p = rt_poller_new(b, m);
        rt_alloc_fail_after(0);
        if (p != NULL) {
            rt_poller_free(p);
            break;
        }
        failures++;
        ck_assert_msg(errno == ENOMEM, "%s: allocation %ld failed, errno %s", label, k, strerror(errno));
        ck_assert_msg(count_fds() == before, "%s: allocation %ld failed, fd leaked", label, k);
    }
    ck_assert_int_ge(failures, 1); /* at least the poller struct itself */
    ck_assert_int_eq(count_fds(), before);
}
END_TEST

/* An add whose table must grow, with the growth failing: -ENOMEM, nothing half-registered,
 * and the poller keeps working. (epoll keeps its tables in the kernel, so add succeeds.) */
START_TEST(test_enomem_in_add_and_wait)
{
    rt_poller_backend b = (rt_poller_backend)(_i / 3);
    rt_poll_mode m = (rt_poll_mode)(_i % 3);
    if (!supported(b, m))
        return;
    rt_poller *p = rt_poller_new(b, m);
    ck_assert_ptr_nonnull(p);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    int high = fcntl(sv[0], F_DUPFD_CLOEXEC, 700); /* beyond every initial table */
    ck_assert_int_ge(high, 700);
    rt_alloc_fail_after(1);
    int rc = rt_poller_add(p, high, RT_READABLE, 77);
    rt_alloc_fail_after(0);
    if (b == RT_POLLER_EPOLL) {
        ck_assert_int_eq(rc, 0);
    } else {
        ck_assert_int_eq(rc, -ENOMEM);
        ck_assert_int_eq(rt_poller_del(p, high), -ENOENT);
        ck_assert_int_eq(rt_poller_add(p, high, RT_READABLE, 77), 0);
    }
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    /* A wait asking for more slots than the backend has buffered, with allocation failing. */
    rt_poll_event ev[512];
    rt_alloc_fail_after(1);
    rc = rt_poller_wait(p, ev, 512, GUARD_MS);
    rt_alloc_fail_after(0);
    ck_assert_int_eq(rc, 1);
    ck_assert_uint_eq(ev[0].token, 77);
    rt_poller_free(p);
    close(high), close(sv[0]), close(sv[1]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("poller_errors");
    TCase *tc = tcase_create("errors");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_bad_input_same_errors_everywhere, 0, NCOMBOS);
    tcase_add_loop_test(tc, test_no_fd_leak_and_cloexec, 0, NCOMBOS);
    tcase_add_loop_test(tc, test_enomem_on_every_allocation_of_new, 0, NCOMBOS);
    tcase_add_loop_test(tc, test_enomem_in_add_and_wait, 0, NCOMBOS);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

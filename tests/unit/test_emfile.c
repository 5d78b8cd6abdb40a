/* test_emfile.c: EMFILE during accept -- each echo server backs off, keeps serving, and recovers when fds free up. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "example_kit.h"
#include "rt_clock.h"
#include "rt_testkit.h"

/*
 * The example servers are run as children with RLIMIT_NOFILE set to FD_LIMIT (soft and hard,
 * so the server's own "raise the soft limit to the hard one" cannot undo it). We then connect
 * more clients than it has descriptors for. The extra ones wait in the listen backlog, and
 * accept fails with EMFILE for as long as they do: the listener stays readable, which is
 * exactly where a naive accept loop spins. The checks:
 *   (a) the connections it did accept are still served, byte for byte, during that time;
 *   (b) it backs off: its CPU time over a window is far below the window's length, and far
 *       below that of a naive loop (a child of ours calling accept() in the same state) over
 *       the same window -- a ratio on the same machine at the same time, not a speed;
 *   (c) once some clients close, the waiting ones are accepted and served.
 * Which clients were accepted is known without guessing: the kernel hands connections out of
 * the backlog in order, and the server's descriptor count says how many it took.
 * Every wait has a generous deadline that only catches a hang; nothing asserts a duration.
 */

#define FD_LIMIT 40
#define CLIENTS 48      /* more than FD_LIMIT: some must wait in the backlog */
#define HANG_MS 20000   /* a wait longer than this is a hang */
#define WINDOW_MS 2000  /* the CPU-time window */

static char examples_dir[PATH_MAX];

/* find_examples: BUILD/examples for the normal build, BUILD/VARIANT/examples otherwise. */
static void find_examples(void)
{
    ek_examples_dir(examples_dir, sizeof examples_dir);
}

typedef struct server {
    pid_t pid;
    int port;
    int err_fd;          /* its stderr, non-blocking */
    char err[16384];     /* everything it said so far */
    size_t err_len;
} server;

/* fd_limit: in the child -- RLIMIT_NOFILE = *arg, or exit 126 (the server then never listens). */
static void fd_limit(const void *arg)
{
    rlim_t limit = *(const rlim_t *)arg;
    struct rlimit rl = { limit, limit };
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        _exit(126);
}

/* server_start: run examples_dir/name with args, RLIMIT_NOFILE = limit, and read its port. */
static void server_start(server *s, const char *name, const char *arg2, rlim_t limit)
{
    char path[PATH_MAX + 64];
    ek_example_path(examples_dir, name, path, sizeof path);
    memset(s, 0, sizeof *s);
    int out[2], err[2];
    ek_pipe(out);
    ek_pipe(err);
    const char *const argv[] = { name, "0", arg2, NULL };
    s->pid = ek_spawn(path, argv, out[1], err[1], fd_limit, &limit);
    s->err_fd = err[0];
    fcntl(s->err_fd, F_SETFL, O_NONBLOCK);
    s->port = ek_read_port(out[0], name, HANG_MS);
    close(out[0]);
}

/* server_wait_for: read its stderr until `text` shows up; fails after HANG_MS. */
static void server_wait_for(server *s, const char *text)
{
    uint64_t deadline = rt_monotonic_ns() + (uint64_t)HANG_MS * 1000000u;
    while (strstr(s->err, text) == NULL) {
        ck_assert_msg(rt_monotonic_ns() < deadline, "server never said '%s'; it said:\n%s",
                      text, s->err);
        struct pollfd p = { s->err_fd, POLLIN, 0 };
        poll(&p, 1, 50);
        ssize_t n = read(s->err_fd, s->err + s->err_len, sizeof s->err - 1 - s->err_len);
        if (n > 0) {
            s->err_len += (size_t)n;
            s->err[s->err_len] = '\0';
        }
    }
}

/* count_fds: open descriptors of a process, from /proc. */
static int count_fds(pid_t pid)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "ls /proc/%d/fd | wc -l", (int)pid);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    int n = -1;
    ck_assert_int_eq(fscanf(f, "%d", &n), 1);
    pclose(f);
    return n;
}

/* cpu_ticks: user + system time of a whole process (all threads), in clock ticks. */
static long cpu_ticks(pid_t pid)
{
    char buf[1024];
    ek_read_proc(pid, "stat", buf, sizeof buf);
    /* Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15. */
    char *p = strrchr(buf, ')');
    ck_assert_ptr_nonnull(p);
    unsigned long ut = 0, st = 0;
    ck_assert_int_eq(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
                            &st), 2);
    return (long)(ut + st);
}

/* connect_to: a blocking client socket, with a receive timeout as a hang guard. */
static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    struct timeval tv = { HANG_MS / 1000, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* echo_check: send a message unique to (fd, round), expect exactly it back. */
static void echo_check(int fd, int who, int round)
{
    char msg[64], got[64];
    int len = snprintf(msg, sizeof msg, "client %d round %d", who, round);
    ck_assert_int_eq(send(fd, msg, (size_t)len, MSG_NOSIGNAL), len);
    int have = 0;
    while (have < len) {
        ssize_t n = recv(fd, got + have, (size_t)(len - have), 0);
        ck_assert_msg(n > 0, "client %d: no echo (recv %zd, %s)", who, n, strerror(errno));
        have += (int)n;
    }
    ck_assert_mem_eq(got, msg, (size_t)len);
}

/* naive_spinner: a child in the same state as the server -- a listener with a connection
 * waiting and no descriptor left -- that retries accept() at once, as a naive loop would. */
static pid_t naive_spinner(void)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid != 0)
        return pid;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sin;
    if (l < 0 || bind(l, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(l, 8) != 0 ||
        getsockname(l, (struct sockaddr *)&sin, &len) != 0)
        _exit(1);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&sin, sizeof sin) != 0)
        _exit(1);
    struct rlimit rl = { (rlim_t)c + 1, (rlim_t)c + 1 }; /* no descriptor left to accept into */
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        _exit(1);
    for (;;)
        if (accept(l, NULL, NULL) >= 0)
            _exit(2); /* cannot happen: there is no descriptor for it */
}

/* run_emfile: the whole scenario against one server. */
static void run_emfile(const char *name, const char *arg2)
{
    server s;
    server_start(&s, name, arg2, FD_LIMIT);
    int base = count_fds(s.pid);
    ck_assert_msg(base > 0 && base < FD_LIMIT - 4, "%s starts with %d descriptors", name, base);

    /* Connect everyone; connect() succeeds from the backlog whether accepted or not. */
    int fds[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        fds[i] = connect_to(s.port);
    server_wait_for(&s, "Too many open files");
    server_wait_for(&s, "raise `ulimit -n`"); /* the message says what to do about it */
    int accepted = count_fds(s.pid) - base;
    ck_assert_msg(accepted > 0 && accepted < CLIENTS, "%s accepted %d of %d", name, accepted,
                  CLIENTS);

    /* (a) the accepted ones (the first `accepted`, in backlog order) are served, while
     * (b) we measure the server's CPU time and the naive loop's over the same window. */
    pid_t naive = naive_spinner();
    struct timespec settle = { 0, 100000000 }; /* let the spinner reach its loop */
    nanosleep(&settle, NULL);
    long s0 = cpu_ticks(s.pid), n0 = cpu_ticks(naive);
    uint64_t t0 = rt_monotonic_ns();
    for (int round = 0; rt_monotonic_ns() - t0 < (uint64_t)WINDOW_MS * 1000000u; round++) {
        for (int i = 0; i < accepted; i++)
            echo_check(fds[i], i, round);
        struct timespec ts = { 0, 200000000 }; /* a few rounds: serving costs CPU too */
        nanosleep(&ts, NULL);
    }
    long s1 = cpu_ticks(s.pid), n1 = cpu_ticks(naive);
    long wall = (long)((rt_monotonic_ns() - t0) * (uint64_t)sysconf(_SC_CLK_TCK) / 1000000000u);
    kill(naive, SIGKILL);
    waitpid(naive, NULL, 0);
    long server_cpu = s1 - s0, naive_cpu = n1 - n0;
    fprintf(stderr, "test_emfile: %s%s%s: %d of %d clients accepted; over %ld ticks of EMFILE, "
            "server CPU %ld ticks, naive accept loop %ld\n", name, arg2 ? " " : "",
            arg2 ? arg2 : "", accepted, CLIENTS, wall, server_cpu, naive_cpu);
    ck_assert_msg(server_cpu * 5 <= wall, "%s used %ld of %ld ticks: spinning?", name,
                  server_cpu, wall);
    /* A tick is charged whole, so one of the server's may be mostly rounding. */
    ck_assert_msg((server_cpu - 1) * 4 < naive_cpu, "%s used %ld ticks, the naive loop %ld",
                  name, server_cpu, naive_cpu);
    ck_assert_msg(strstr(s.err, "descriptors are free again") == NULL, "recovered too soon");

    /* (c) close some accepted clients: as many waiting ones must get in and be served. */
    int freed = accepted < 4 ? accepted : 4;
    for (int i = 0; i < freed; i++)
        close(fds[i]);
    for (int i = accepted; i < accepted + freed && i < CLIENTS; i++)
        echo_check(fds[i], i, 1000);
    server_wait_for(&s, "descriptors are free again");
    for (int i = freed; i < accepted; i++)
        echo_check(fds[i], i, 2000); /* the old ones are still fine */

    /* Stop it: it drains and exits 0 (our clients' EOF ends its lingering at once). */
    kill(s.pid, SIGTERM);
    for (int i = freed; i < CLIENTS; i++)
        close(fds[i]);
    int status;
    ck_assert_int_eq(waitpid(s.pid, &status, 0), s.pid);
    server_wait_for(&s, "draining");
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status %d; stderr:\n%s",
                  name, status, s.err);
    close(s.err_fd);
}

START_TEST(test_tk_multi_thread_emfile)
{
    run_emfile("tk_echo_server", "multi_thread");
}
END_TEST

START_TEST(test_tk_current_thread_emfile)
{
    run_emfile("tk_echo_server", "current_thread");
}
END_TEST

START_TEST(test_as_emfile)
{
    run_emfile("as_echo_server", NULL);
}
END_TEST

/* emfile_suite: one case per server. */
static Suite *emfile_suite(void)
{
    Suite *s = suite_create("emfile");
    TCase *tc = tcase_create("accept");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, find_examples, NULL);
    tcase_add_test(tc, test_tk_multi_thread_emfile);
    tcase_add_test(tc, test_tk_current_thread_emfile);
    tcase_add_test(tc, test_as_emfile);
    suite_add_tcase(s, tc);
    return s;
}

/* main: run the suite; exit status is the number of failures. */
int main(void)
{
    return rt_suite_run(emfile_suite());
}

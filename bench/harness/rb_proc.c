/* rb_proc.c: fork/exec into a fresh process group, poll(2) both pipes against a deadline, kill the group on timeout. */
#include "rb_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Caps on what is kept of a child's output. stdout carries a few protocol lines (or wrk's
 * report), so 4 MiB is far beyond legitimate use; a runaway writer is drained and discarded
 * rather than allowed to block on a full pipe, which would turn into a false timeout.
 */
#define RB__OUT_CAP (4u << 20)
#define RB__ERR_CAP (64u << 10)
#define RB__MAX_LIVE 8

/*
 * The children still running, for the signal guard. Written only by the main thread, read by
 * the handler, which runs on the same thread: volatile sig_atomic_t-sized stores are all the
 * consistency a same-thread signal handler needs.
 */
static volatile pid_t rb__live[RB__MAX_LIVE];

/* rb_now: CLOCK_MONOTONIC, immune to wall-clock steps during a long run. */
double rb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* rb__track: remember (pid > 0) or forget (pid < 0 means forget -pid) a running child. */
static void rb__track(pid_t add, pid_t remove)
{
    for (int i = 0; i < RB__MAX_LIVE; i++) {
        if (remove && rb__live[i] == remove) {
            rb__live[i] = 0;
            return;
        }
        if (add && rb__live[i] == 0) {
            rb__live[i] = add;
            return;
        }
    }
}

/* rb__on_signal: kill every live child's group, then die of the same signal. */
static void rb__on_signal(int sig)
{
    for (int i = 0; i < RB__MAX_LIVE; i++)
        if (rb__live[i] > 0)
            kill(-rb__live[i], SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* rb_proc_guard_signals: the three signals a user or a session ending sends. */
void rb_proc_guard_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = rb__on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* rb__child: runs between fork and exec; only async-signal-safe calls, then _exit. */
static _Noreturn void rb__child(char *const argv[], int out_w, int err_w, int exec_w)
{
    setpgid(0, 0);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(out_w, 1);
    dup2(err_w, 2);
    execvp(argv[0], argv);
    int e = errno;
    ssize_t w = write(exec_w, &e, sizeof e);
    (void)w;
    _exit(127);
}

/* rb_proc_spawn: a CLOEXEC pipe reports exec's errno, so "not found" is an error, not exit 127. */
int rb_proc_spawn(rb_proc *p, char *const argv[])
{
    int out[2], err[2], ex[2];
    memset(p, 0, sizeof *p);
    p->out_fd = p->err_fd = -1;
    rb_buf_init(&p->out);
    rb_buf_init(&p->err);
    if (pipe2(out, O_CLOEXEC) != 0)
        return -errno;
    if (pipe2(err, O_CLOEXEC) != 0) {
        int e = errno;
        close(out[0]), close(out[1]);
        return -e;
    }
    if (pipe2(ex, O_CLOEXEC) != 0) {
        int e = errno;
        close(out[0]), close(out[1]), close(err[0]), close(err[1]);
        return -e;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(out[0]), close(out[1]), close(err[0]), close(err[1]), close(ex[0]), close(ex[1]);
        return -e;
    }
    if (pid == 0)
        rb__child(argv, out[1], err[1], ex[1]);
    /* Both sides call setpgid so that the group exists before either of them relies on it;
     * the parent's call fails harmlessly (EACCES) if the child already exec'd. */
    setpgid(pid, pid);
    rb__track(pid, 0);
    close(out[1]), close(err[1]), close(ex[1]);
    int child_errno = 0;
    ssize_t got;
    do
        got = read(ex[0], &child_errno, sizeof child_errno);
    while (got < 0 && errno == EINTR);
    close(ex[0]);
    if (got == (ssize_t)sizeof child_errno) {
        waitpid(pid, NULL, 0);
        rb__track(0, pid);
        close(out[0]), close(err[0]);
        return -(child_errno ? child_errno : ENOEXEC);
    }
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    fcntl(err[0], F_SETFL, O_NONBLOCK);
    p->pid = pid;
    p->out_fd = out[0];
    p->err_fd = err[0];
    return 0;
}

/* rb__drain: read what is available from one pipe into its buffer; closes it at EOF. */
static void rb__drain(int *fd, rb_buf *b, size_t cap)
{
    char chunk[4096];
    for (;;) {
        ssize_t n = read(*fd, chunk, sizeof chunk);
        if (n > 0) {
            if (b->len < cap)
                rb_buf_append(b, chunk, (size_t)n < cap - b->len ? (size_t)n : cap - b->len);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        close(*fd); /* EOF, or an error that will not go away */
        *fd = -1;
        return;
    }
}

/* rb__pump: one poll on the open pipes, at most until the deadline; -ETIMEDOUT once it passed. */
static int rb__pump(rb_proc *p, double deadline)
{
    struct pollfd fds[2];
    int nfds = 0;
    if (p->out_fd >= 0)
        fds[nfds++] = (struct pollfd){ .fd = p->out_fd, .events = POLLIN };
    if (p->err_fd >= 0)
        fds[nfds++] = (struct pollfd){ .fd = p->err_fd, .events = POLLIN };
    double left = deadline - rb_now();
    if (left <= 0)
        return -ETIMEDOUT;
    if (nfds == 0)
        return 0;
    int ms = left > 1000.0 ? 1000000 : (int)(left * 1000.0) + 1;
    int n = poll(fds, (nfds_t)nfds, ms);
    if (n < 0 && errno != EINTR)
        return -errno;
    if (p->out_fd >= 0)
        rb__drain(&p->out_fd, &p->out, RB__OUT_CAP);
    if (p->err_fd >= 0)
        rb__drain(&p->err_fd, &p->err, RB__ERR_CAP);
    return 0;
}

/* rb__has_line: a complete stdout line that starts with prefix. */
static int rb__has_line(const rb_buf *b, const char *prefix)
{
    size_t plen = strlen(prefix);
    const char *s = rb_buf_str(b);
    while (*s) {
        const char *nl = strchr(s, '\n');
        if (nl == NULL)
            return 0;
        if ((size_t)(nl - s) >= plen && strncmp(s, prefix, plen) == 0)
            return 1;
        s = nl + 1;
    }
    return 0;
}

/* rb_proc_wait_line: pump until the line shows up, stdout closes, or time runs out. */
int rb_proc_wait_line(rb_proc *p, const char *prefix, double deadline)
{
    for (;;) {
        if (rb__has_line(&p->out, prefix))
            return 1;
        if (p->out_fd < 0)
            return 0;
        int rc = rb__pump(p, deadline);
        if (rc == -ETIMEDOUT)
            return rc;
    }
}

/* rb__kill_and_reap: SIGKILL to the group (and the leader, should setpgid have lost a race). */
static void rb__kill_and_reap(rb_proc *p)
{
    if (p->pid == 0)
        return;
    kill(-p->pid, SIGKILL);
    kill(p->pid, SIGKILL);
    while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
        ;
    rb__track(0, p->pid);
    p->pid = 0;
}

/* rb_proc_finish: pipes first (a child blocked on a full pipe never exits), then its status. */
int rb_proc_finish(rb_proc *p, double deadline)
{
    while (p->out_fd >= 0 || p->err_fd >= 0) {
        if (rb__pump(p, deadline) == -ETIMEDOUT) {
            rb__kill_and_reap(p);
            p->timed_out = 1;
            return -ETIMEDOUT;
        }
    }
    while (p->pid != 0) {
        pid_t r = waitpid(p->pid, &p->status, WNOHANG);
        if (r == p->pid) {
            rb__track(0, p->pid);
            p->pid = 0;
            break;
        }
        if (r < 0 && errno != EINTR) {
            p->pid = 0;
            break;
        }
        if (rb_now() >= deadline) {
            rb__kill_and_reap(p);
            p->timed_out = 1;
            return -ETIMEDOUT;
        }
        struct timespec nap = { 0, 2 * 1000 * 1000 };
        nanosleep(&nap, NULL);
    }
    return 0;
}

/* rb_proc_signal: the whole group, since the child leads it. */
void rb_proc_signal(rb_proc *p, int sig)
{
    if (p->pid != 0)
        kill(-p->pid, sig);
}

/* rb_proc_free: safe on a finished, an unfinished or a never-spawned (zeroed) proc. */
void rb_proc_free(rb_proc *p)
{
    rb__kill_and_reap(p);
    if (p->out_fd >= 0)
        close(p->out_fd);
    if (p->err_fd >= 0)
        close(p->err_fd);
    p->out_fd = p->err_fd = -1;
    rb_buf_free(&p->out);
    rb_buf_free(&p->err);
}

/* rb_proc_exit_code: WEXITSTATUS for a normal exit. */
int rb_proc_exit_code(const rb_proc *p)
{
    return WIFEXITED(p->status) ? WEXITSTATUS(p->status) : -1;
}

/* rb_proc_term_signal: WTERMSIG for a signalled child. */
int rb_proc_term_signal(const rb_proc *p)
{
    return WIFSIGNALED(p->status) ? WTERMSIG(p->status) : 0;
}

/* rb_proc_capture_line: spawn, finish, keep the first line without its newline and spaces. */
int rb_proc_capture_line(char *const argv[], double seconds, char *out, size_t n)
{
    rb_proc p;
    out[0] = '\0';
    if (rb_proc_spawn(&p, argv) != 0)
        return -1;
    int rc = rb_proc_finish(&p, rb_now() + seconds);
    if (rc == 0 && rb_proc_exit_code(&p) == 0) {
        const char *s = rb_buf_str(&p.out);
        while (*s == ' ' || *s == '\t')
            s++;
        size_t len = strcspn(s, "\n");
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\r' || s[len - 1] == '\t'))
            len--;
        snprintf(out, n, "%.*s", (int)len, s);
    } else {
        rc = -1;
    }
    rb_proc_free(&p);
    return rc == 0 ? 0 : -1;
}

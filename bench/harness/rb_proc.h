/* rb_proc.h: a child process in its own process group, its output captured, waited for with a deadline. */
#ifndef RB_PROC_H
#define RB_PROC_H

#include <sys/types.h>

#include "rb_buf.h"

/*
 * Every run of an rtb-* executable (and wrk, pkg-config, gnuplot) goes through this. The child
 * leads its own process group, so a timeout can kill it together with anything it started,
 * and its stdout and stderr come back through pipes read with poll(2) against a deadline: a
 * child that hangs, or that fills a pipe and blocks, can never hang the harness.
 */
typedef struct rb_proc {
    pid_t pid;      /* also the process group id; 0 once reaped */
    int out_fd;     /* read ends, -1 once at EOF */
    int err_fd;
    rb_buf out;     /* everything read from stdout so far */
    rb_buf err;     /* stderr, up to a cap (the first part is what explains a failure) */
    int status;     /* waitpid status, valid once pid == 0 */
    int timed_out;  /* killed because the deadline passed */
} rb_proc;

/* Monotonic time in seconds: the clock of every deadline and duration in the harness. */
double rb_now(void);

/*
 * Start argv[0] (a path, or a name looked up in PATH) with stdin from /dev/null. Returns 0,
 * -ENOENT/-EACCES/... when it could not be executed (nothing left running), or -ENOMEM/-EMFILE
 * when the pipes or the fork failed.
 */
int rb_proc_spawn(rb_proc *p, char *const argv[]);

/*
 * Read stdout until it holds a complete line starting with `prefix` (returns 1), stdout ends
 * (0), or the deadline passes (-ETIMEDOUT; the child is left running). Stderr is drained too.
 */
int rb_proc_wait_line(rb_proc *p, const char *prefix, double deadline);

/*
 * Read both pipes to EOF and reap the child. If the deadline passes first, kill the whole
 * process group with SIGKILL, reap, set timed_out and return -ETIMEDOUT; else 0.
 */
int rb_proc_finish(rb_proc *p, double deadline);

/* Send `sig` to the child's process group (no-op once reaped). */
void rb_proc_signal(rb_proc *p, int sig);

/* Kill (if still running), reap, close the pipes and free the buffers. */
void rb_proc_free(rb_proc *p);

/* The exit code, or -1 when the child was killed by a signal. */
int rb_proc_exit_code(const rb_proc *p);

/* The signal that ended the child, or 0. */
int rb_proc_term_signal(const rb_proc *p);

/*
 * Install SIGINT/SIGTERM/SIGHUP handlers that kill the process groups of every running child
 * before the harness dies: the children are not in the terminal's foreground group, so ^C
 * would not reach them otherwise.
 */
void rb_proc_guard_signals(void);

/* Run argv to completion within `seconds` and return its stdout's first line (trimmed) in out;
 * 0 if it ran and exited 0, else -1 (out then holds ""). For version probes. */
int rb_proc_capture_line(char *const argv[], double seconds, char *out, size_t n);

#endif

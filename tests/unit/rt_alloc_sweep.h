/* rt_alloc_sweep.h: run an operation with its 1st, 2nd, 3rd ... allocation failing, for every N. */
#ifndef RT_ALLOC_SWEEP_H
#define RT_ALLOC_SWEEP_H

/*
 * The operation returns 0 when it did its whole job, or a negative errno when it reported a
 * failure. It must leave nothing behind either way (the ASan build's LeakSanitizer checks at
 * exit of each test process). A failure it absorbed -- a smaller batch, a fallback -- is fine
 * as long as it then returns 0.
 */
typedef int (*rt_sweep_op)(void *arg);

/* Set RT_SWEEP_VERBOSE=1 in the environment to see each run: n, what it returned. */

/* What one sweep saw; the figures go to stdout as one line per sweep. */
typedef struct rt_sweep_result {
    long runs;      /* armed runs, the last one (no failure left to inject) included */
    long injected;  /* allocations that failed on purpose during the sweep */
    long reported;  /* runs that returned the documented error */
    long absorbed;  /* runs that hit a failure and still returned 0 */
} rt_sweep_result;

/*
 * rt_alloc_sweep: for n = 1, 2, ...: arm rt_alloc_fail_after(n), run op, disarm. A run that
 * fails returns `expect` (e.g. -ENOMEM), never anything else; after each failing run, op runs
 * again unarmed and must succeed (the thing survived its failure). The sweep ends at the first
 * n whose run saw no injected failure, which must succeed; it fails the test past max_runs.
 * Every run must also leave the process with as many open descriptors as before.
 */
rt_sweep_result rt_alloc_sweep(const char *what, rt_sweep_op op, void *arg, int expect,
                               long max_runs);

/*
 * rt_alloc_sweep_forked: the same sweep, but each n runs in a fresh child process, for state
 * that only exists once per process (the as flavour's global runtime starts once, and a start
 * that failed stays failed). After a failing run the child calls `after` unarmed: it returns 0
 * when the process is in the documented state (working again, or refusing with a clear error).
 * A crash, a leak report (LeakSanitizer, at the child's exit) or a failed check in the child
 * fails the test.
 */
rt_sweep_result rt_alloc_sweep_forked(const char *what, rt_sweep_op op, rt_sweep_op after,
                                      void *arg, int expect, long max_runs);

/* rt_open_fds: the number of open descriptors of this process. */
int rt_open_fds(void);

#endif

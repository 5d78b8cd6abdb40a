/* as_internal.h: private to runtimes/asyncstd -- the global runtime's structures and the as__ calls between its files. */
#ifndef AS_INTERNAL_H
#define AS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "as_blocking.h"
#include "as_io.h"
#include "as_net.h"
#include "as_waitlist.h"
#include "rt_blocking_pool.h"
#include "rt_clock.h"
#include "rt_inject.h"
#include "rt_metrics.h"
#include "rt_mpmc.h"
#include "rt_parker.h"
#include "rt_poller.h"
#include "rt_task_list.h"
#include "rt_timer.h"

/*
 * The whole runtime is one as__runtime, created once per process by as__rt() (as_runtime.c).
 *
 *   as__runtime
 *     executor    nworkers x as__worker (local queue of 512, parker, metrics), a global
 *                 unbounded queue, the sleepers list               (as_executor.c, as_sleepers.c)
 *     reactor     the poller (epoll, ONESHOT), the drive lock, the as-io thread, the timer
 *                 heap and the table of registered fds            (as_reactor.c, as_time.c, as_io.c)
 *     tasks       the owned-task list that shutdown cancels
 *     blocking    the pool behind as_spawn_blocking                (as_blocking.c)
 *
 * Lock order, outermost first (never take an earlier one while holding a later one):
 *   drive_lock -> sources_lock -> an as_io's lock;   drive_lock -> timers_lock;
 *   sleepers.lock and the sync primitives' locks are leaves. No waker is ever woken or
 *   dropped while holding any of them: a wake can run arbitrary schedule code, and dropping
 *   the last reference to a task drops its future, whose drop may take these very locks.
 */

#define AS__LOCAL_QUEUE_CAP 512      /* smol's per-runner bounded queue */
#define AS__GLOBAL_EVERY_TICKS 64    /* refill from the global queue this often, for fairness */
#define AS__REACTOR_EVERY_TASKS 200  /* let the reactor in after this many tasks */
#define AS__MAX_THREADS 256          /* sanity cap on AS_THREAD_COUNT */
#define AS__WAKE_BATCH 64            /* wakers collected under a lock before waking them */
#define AS__EVENT_BATCH 256          /* poller events per wait */

/* ---- waking outside locks ---------------------------------------------------------------- */

/* A small buffer of wakers taken out under a lock, to be woken after unlocking. */
typedef struct as__wake_buf {
    unsigned n;
    rt_waker w[AS__WAKE_BATCH];
} as__wake_buf;

/* as__wake_buf_push: keep w (moved in); returns 1 when the buffer is now full. */
static inline int as__wake_buf_push(as__wake_buf *b, rt_waker w)
{
    if (w.vtable)
        b->w[b->n++] = w;
    return b->n == AS__WAKE_BATCH;
}
/* as__wake_buf_flush: wake (consume) every waker held, emptying the buffer. */
void as__wake_buf_flush(as__wake_buf *b);

/* ---- the executor ------------------------------------------------------------------------ */

typedef struct as__worker {
    struct as__runtime *rt;
    rt_mpmc_bounded local;     /* filled only by this worker's steals; anyone may pop */
    rt_parker parker;
    rt_worker_metrics metrics;
    pthread_t thread;
    int started;
    unsigned index;
    uint64_t rng;              /* xorshift state for picking a random victim */
    unsigned ticks;            /* tasks run, for the every-64 global refill */
    unsigned since_reactor;    /* tasks run since the last reactor turn */
    /* sleeper state, written under the sleepers lock */
    int sleeping;              /* counted in sleepers.count */
    _Atomic int waiting;       /* on the list of sleepers nobody has notified yet (read
                                * without the lock by the worker itself, seq_cst) */
    _Atomic int in_reactor;    /* this idle worker is waiting in the poller right now */
} as__worker;

/* smol's Sleepers: who is asleep, and whether one of them has already been notified. */
typedef struct as__sleepers {
    pthread_mutex_t lock;
    unsigned count;            /* sleeping workers, notified or not */
    unsigned nwaiting;         /* of those, the ones not notified yet ... */
    unsigned *waiting;         /* ... as a stack of worker indexes */
    _Atomic int notified;      /* 1: nobody needs a wake (none asleep, or one already woken) */
} as__sleepers;

/* ---- the reactor ------------------------------------------------------------------------- */

/* One slot of the fd table: the token handed to epoll is (generation << 32 | index), so an
 * event for an fd that was deregistered (and its slot reused) is recognised as stale. */
typedef struct as__slot {
    as_io *io;                 /* NULL when free */
    uint32_t gen;
    uint32_t next_free;
} as__slot;

typedef struct as__reactor {
    rt_poller *poller;         /* epoll, RT_MODE_ONESHOT */
    pthread_mutex_t drive_lock;/* held by whoever waits in the poller (one thread at a time) */
    _Atomic uint64_t ticks;    /* reactor turns, so the as-io thread sees others driving */
    _Atomic int block_on_count;/* threads inside as_block_on (for the exit handler) */
    _Atomic int stopping;
    rt_parker io_parker;       /* the as-io thread's, for its back-off while others drive */
    pthread_t io_thread;
    int io_started;
    rt_poll_event events[AS__EVENT_BATCH]; /* used by the drive_lock holder only */

    pthread_mutex_t timers_lock;
    rt_timers *timers;         /* the (deadline, seq) heap; entries live in as_sleep_futs */
    rt_clock clock;            /* ms since the runtime started; under timers_lock */

    pthread_mutex_t sources_lock;
    as__slot *slots;
    uint32_t nslots, cap_slots, free_head;

    _Atomic uint64_t io_ready_events, timers_fired;
} as__reactor;

/* ---- IO handles -------------------------------------------------------------------------- */

struct as_io {
    int fd;
    int is_socket;             /* use send(MSG_NOSIGNAL): a gone peer is EPIPE, not SIGPIPE */
    _Atomic unsigned refs;     /* the owner's + one per operation in progress */
    _Atomic int closed;
    pthread_mutex_t lock;
    as__waitlist waiters[2];   /* AS__DIR_READ, AS__DIR_WRITE */
    uint64_t token;            /* our slot in the reactor's table */
    as__reactor *reactor;
};

/* ---- the runtime ------------------------------------------------------------------------- */

typedef struct as__runtime {
    unsigned nworkers;
    as__worker *workers;
    rt_mpmc global;            /* smol's global queue: every schedule lands here */
    rt_inject spill;           /* only if the global queue cannot grow (out of memory) */
    _Atomic size_t spilled;    /* entries in spill, maintained seq_cst */
    as__sleepers sleepers;
    _Atomic int stopping;
    _Atomic uint64_t remote_schedules;
    rt_worker_metrics *metrics_snapshot; /* nworkers entries: what as_metrics hands out */
    rt_task_list tasks;
    as__reactor reactor;
    rt_blocking_pool *blocking;
} as__runtime;

/* as_runtime.c */
/* as__rt: the global runtime, started on first call; NULL if it could not start or already
 * shut down (then as__rt_error() says why, as a negative errno). */
as__runtime *as__rt(void);
/* as__rt_error: why as__rt() returned NULL: -ESHUTDOWN after exit, else the start error. */
int as__rt_error(void);
/* as__rt_peek: the runtime if it is running; never starts it. */
as__runtime *as__rt_peek(void);
/* as__runtime_torn_down: shutdown freed the reactor; late drops must only drop their wakers. */
int as__runtime_torn_down(void);
/* as__thread_spawn: start a runtime thread named `name` with all signals blocked; 0 or -errno. */
int as__thread_spawn(pthread_t *t, void *(*fn)(void *), void *arg, const char *name);
/* as__rt_or_panic: as__rt(), or a panic naming `who` when the runtime is unavailable. */
as__runtime *as__rt_or_panic(const char *who);
/* as__note_once: print a one-line note on stderr the first time `flag` is seen clear. */
void as__note_once(_Atomic int *flag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* as_executor.c */
extern const rt_task_vtable as__task_vtable;
/* as__executor_init: queues, sleepers and worker records (no threads yet); 0 or -errno. */
int as__executor_init(as__runtime *rt, unsigned nworkers);
/* as__executor_start: start the as-worker-N threads; 0 or -errno (the started ones stop). */
int as__executor_start(as__runtime *rt);
/* as__executor_stop: make every worker leave its loop and join it; 0, or -ETIMEDOUT if one is
 * stuck inside a task (then the caller must not free what workers use). */
int as__executor_stop(as__runtime *rt, unsigned timeout_ms);
/* as__executor_drain: after shutdown, run every queued entry once (dropping stale references);
 * returns how many entries it found. */
size_t as__executor_drain(as__runtime *rt);
/* as__executor_free: release queues and worker records. */
void as__executor_free(as__runtime *rt);
/* as__current_worker: the worker record of this thread, or NULL on other threads. */
as__worker *as__current_worker(void);
/* as__worker_run_one: find and run one task on worker w (used by a nested as_block_on on a
 * worker thread); 1 if one ran. */
int as__worker_run_one(as__runtime *rt, as__worker *w);

/* as_sleepers.c */
int as__sleepers_init(as__sleepers *s, unsigned nworkers);
void as__sleepers_destroy(as__sleepers *s);
/* as__sleepers_notify: wake one sleeping worker unless one is already on its way (smol's
 * State::notify). */
void as__sleepers_notify(as__runtime *rt);
/* as__sleepers_sleep: w found no work: register it (or re-register it if it was notified)
 * and return 1 (search once more), or return 0 if it is already registered and unnotified
 * (park now). */
int as__sleepers_sleep(as__runtime *rt, as__worker *w);
/* as__sleepers_wake: w found work: leave the sleepers if registered. */
void as__sleepers_wake(as__runtime *rt, as__worker *w);

/* as_reactor.c */
int as__reactor_init(as__reactor *r);
int as__reactor_start(as__reactor *r);
void as__reactor_stop(as__reactor *r);
void as__reactor_free(as__reactor *r);
/* as__reactor_turn: one reactor turn -- fire due timers, wait for IO up to the next deadline
 * (or not at all if !block), dispatch events. The caller holds drive_lock. Returns how many
 * timers fired and events were dispatched (0: the wait ended empty, by timeout or notify). */
size_t as__reactor_turn(as__reactor *r, int block);
/* as__reactor_try_turn: a non-blocking turn if nobody else holds the reactor; 1 if done. */
int as__reactor_try_turn(as__reactor *r);
/* as__reactor_hogging: a thread that has held the reactor since start_ns (while idle) and is
 * still not needed elsewhere should hand it back: async-io's 500 us rule. */
int as__reactor_hogging(uint64_t start_ns);
/* as__reactor_notify: make the thread waiting in the poller (if any) return promptly. */
void as__reactor_notify(as__reactor *r);

/* as_time.c: the timer half of the reactor */
/* as__timers_fire: pop every due timer, waking its sleeper; returns the next deadline in the
 * reactor clock's us (UINT64_MAX if none), the current time in *now_us and how many fired in
 * *fired. Takes timers_lock. */
uint64_t as__timers_fire(as__reactor *r, uint64_t *now_us, size_t *fired);

/* as_io.c */
/* as__io_dispatch: an event from the poller; wake the waiters it concerns and re-arm the fd
 * for the directions still waited on. */
void as__io_dispatch(as__reactor *r, uint64_t token, unsigned events);
/* as__io_ref / as__io_unref: the operation references (the last unref closes and frees). */
void as__io_ref(as_io *io);
void as__io_unref(as_io *io);
/* as__io_park: after EAGAIN: park waiter on io in direction dir and re-arm the fd; 0, or
 * -errno (-EBADF if the handle was closed) -- then nothing was parked. */
int as__io_park(as_io *io, int dir, as__waiter *w, const rt_waker *waker);
/* as__io_op_begin: an IO future's first steps on each poll: take the operation reference;
 * -EBADF if the handle is closed. */
int as__io_op_begin(as__io_op *op);
/* as__io_op_end: the operation is over: leave the wait list, drop the reference. */
void as__io_op_end(as__io_op *op);
/* as__io_op_wait: park op in direction dir after EAGAIN (see as__io_park). */
int as__io_op_wait(as__io_op *op, int dir, rt_context *cx);
/* as__io_op_init: the private part of a new IO future. */
as__io_op as__io_op_init(as_io *io);

/* as_net_*.c */
/* as__socket_open: a non-blocking close-on-exec socket wrapped in a handle; 0 or -errno. */
int as__socket_open(int family, int type, as_io **out);
/* as__addr_split: "host:port" or "[v6]:port" into host (brackets removed) and port; 0 or -EINVAL. */
int as__addr_split(const char *text, char *host, size_t host_size, int *port, int *bracketed);
/* as__accept: the accept future, for TCP and Unix listeners alike. */
as_accept_fut as__accept(as_io *listener);

/* as_blocking.c */
/* as__spawn_blocking_full: as_spawn_blocking, with free_arg(arg) called once the job is done
 * with arg (after it ran, or was cancelled), and free_result(result) called if nobody takes
 * the result (the future was dropped first). Either may be NULL. */
as_blocking_fut as__spawn_blocking_full(as_blocking_fn fn, void *arg, void (*free_arg)(void *),
                                        void (*free_result)(void *));
/* as__blocking_pool_new: the pool with async-std's policy. */
rt_blocking_pool *as__blocking_pool_new(void);

/* as_block_on.c */
/* as__block_on_active: this thread is inside as_block_on. */
int as__block_on_active(void);

/* as_metrics.c */
/* as__metrics_fill: snapshot rt's counters into m. */
void as__metrics_fill(as__runtime *rt, rt_runtime_metrics *m);

#endif

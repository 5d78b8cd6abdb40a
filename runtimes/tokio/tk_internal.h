/* tk_internal.h: what the tk files share privately -- the handle, the drivers, the thread context. */
#ifndef TK_INTERNAL_H
#define TK_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "rt_blocking_pool.h"
#include "rt_clock.h"
#include "rt_inject.h"
#include "rt_local_queue.h"
#include "rt_metrics.h"
#include "rt_parker.h"
#include "rt_poller.h"
#include "rt_task_list.h"
#include "rt_timer.h"
#include "tk_runtime.h"
#include "tk_registration.h"
#include "tk_time.h"

/* ------------------------------------------------------------------------------------------ */
/* The driver: IO (edge-triggered epoll) + time (the wheel) + a way to sleep and be woken.    */
/* One per runtime. Only the thread that holds it (block_on for current_thread, the worker    */
/* that won the trylock for multi_thread) may park in it; anyone may register and unpark.     */
/* ------------------------------------------------------------------------------------------ */

/*
 * One registered fd, tokio's ScheduledIo. `readiness` packs
 *     bits  0..15  ready bits (TK_READY_*)
 *     bits 16..31  the driver tick at which they were last set
 *     bits 32..63  the registration's generation
 * An operation remembers the tick it saw; when the syscall then says EAGAIN it clears the
 * bits only if the tick is unchanged. If an edge arrived while the syscall ran, the tick moved
 * and the readiness stays: the edge is not lost. Slots are never freed, only reused with a new
 * generation, so a stale event for a closed fd finds a generation mismatch and is ignored.
 */
typedef struct tk__scheduled_io {
    _Atomic uint64_t readiness;
    pthread_mutex_t waker_lock;     /* guards reader/writer */
    rt_waker reader;
    rt_waker writer;
    int fd;
    uint32_t index;
    struct tk__scheduled_io *next_free;
} tk__scheduled_io;

#define TK__IO_PAGE_SIZE 256
#define TK__IO_MAX_PAGES 4096 /* 1M registrations */

struct tk__driver {
    /* IO */
    rt_poller *poller;                 /* NULL when IO is disabled */
    pthread_mutex_t slab_lock;         /* guards the free list and page allocation */
    tk__scheduled_io *_Atomic pages[TK__IO_MAX_PAGES];
    unsigned page_count;
    tk__scheduled_io *free_list;
    unsigned tick;                     /* advanced once per park, by the parked thread */
    /* time */
    rt_timers *wheel;                  /* NULL when time is disabled */
    pthread_mutex_t time_lock;         /* guards the wheel and every tk__timer's waker */
    rt_clock clock;                    /* guarded by time_lock */
    _Atomic uint64_t next_wake_ms;     /* when the parked thread will wake by itself */
    /* parking without IO */
    rt_parker parker;
    /* metrics */
    _Atomic uint64_t io_ready_events;
    _Atomic uint64_t timers_fired;
};

/* tk__driver_init: create the parts the builder enabled; 0 or -errno. */
int tk__driver_init(tk__driver *d, bool io, bool time);
/* tk__driver_destroy: every registration must be gone (tasks cancelled first). */
void tk__driver_destroy(tk__driver *d);
/* tk__driver_park: sleep until an event, a timer, an unpark or timeout_ms (-1: no limit),
 * then dispatch readiness and fire timers. Only the thread holding the driver calls it. */
void tk__driver_park(tk__driver *d, int timeout_ms);
/* tk__driver_unpark: wake the thread parked in the driver (any thread, any time). */
void tk__driver_unpark(tk__driver *d);

void tk__io_dispatch(tk__driver *d, uint64_t token, unsigned events);

/* Timers (tk_time_driver.c). deadline_ms is on the driver's clock. */
uint64_t tk__time_now_ms(tk__driver *d);
uint64_t tk__time_deadline_from_ns(tk__driver *d, uint64_t monotonic_ns);
void tk__timer_init(tk__timer *t);
int tk__timer_register(tk__driver *d, tk__timer *t, uint64_t deadline_ms, const rt_waker *w);
void tk__timer_update_waker(tk__timer *t, const rt_waker *w);
void tk__timer_cancel(tk__timer *t);
void tk__time_process(tk__driver *d);
uint64_t tk__time_next_deadline(tk__driver *d);

/* ------------------------------------------------------------------------------------------ */
/* Schedulers                                                                                 */
/* ------------------------------------------------------------------------------------------ */

typedef struct tk__worker tk__worker;

/* Per-worker park state (tk_park.c): who to wake, and how. */
typedef struct tk__park {
    _Atomic uint32_t state; /* TK__PARK_EMPTY, _NOTIFIED, _PARKED_FUTEX, _PARKED_DRIVER */
} tk__park;

/* The idle-worker bookkeeping of multi_thread (tk_idle.c), tokio's Idle. */
typedef struct tk__idle {
    _Atomic uint64_t state;     /* low 16 bits: searching workers; above: unparked workers */
    unsigned num_workers;
    pthread_mutex_t lock;       /* guards sleepers */
    unsigned *sleepers;
    unsigned num_sleepers;
    _Atomic uint8_t *parked;    /* per worker: in the sleepers list */
} tk__idle;

struct tk__worker {
    tk_handle *handle;
    unsigned index;
    pthread_t thread;
    int started;
    rt_local_queue queue;
    rt_task *lifo;              /* the LIFO slot: the task most recently woken by this worker */
    rt_qnode *deferred_head;    /* tasks that yielded, in order, through queue_node.next: */
    rt_qnode *deferred_tail;    /* rescheduled after the next driver turn (tokio's Defer) */
    bool is_searching;
    bool in_driver;             /* parked in the driver: wakes go to lifo/queue, notify later */
    unsigned tick;
    uint32_t rng;
    tk__park park;
    rt_worker_metrics metrics;
};

struct tk_handle {
    tk_runtime *rt;
    tk_flavor flavor;
    tk_builder config;
    tk__driver driver;
    rt_task_list owned;
    rt_inject inject;                 /* remote schedules (both flavours) */
    rt_blocking_pool *blocking;
    _Atomic int shutdown;             /* workers: stop */
    /* Lifetime. The handle's memory is freed by the last of: tk_runtime_free, each task (its
     * reference goes at the task's release), each clone of a current_thread main waker. A
     * foreign thread that schedules brackets its work with tk__remote_begin/end; free sets
     * `closing` and waits for `inflight` to drain before it destroys the driver, so a late
     * wake can never touch a freed poller. */
    _Atomic long refs;
    _Atomic long inflight;
    _Atomic int closing;
    /* current_thread */
    pthread_mutex_t ct_core_lock;     /* held by the thread inside block_on */
    pthread_mutex_t ct_waiters_lock;  /* guards ct_waiters */
    struct tk__ct_waiter *ct_waiters; /* block_on calls waiting for the core */
    rt_qnode *ct_head, *ct_tail;      /* the local run queue, owned by the core holder */
    size_t ct_len;
    unsigned ct_tick;
    _Atomic int ct_main_woken;
    /* multi_thread */
    unsigned num_workers;
    tk__worker *workers;
    tk__idle idle;
    pthread_mutex_t driver_lock;      /* trylock: the worker that parks holds the drivers */
};

struct tk_runtime {
    tk_handle handle;
};

/* ------------------------------------------------------------------------------------------ */
/* The thread's context (tk_context.c)                                                        */
/* ------------------------------------------------------------------------------------------ */

typedef struct tk__context {
    tk_handle *handle;      /* set by block_on, worker threads, blocking threads, enter guards */
    tk__worker *worker;     /* set on multi_thread worker threads */
    bool ct_core;           /* this thread holds the current_thread core of `handle` */
    bool entered;           /* inside block_on or a worker: blocking on a runtime is forbidden */
} tk__context;

tk__context *tk__ctx(void);
/* tk__handle_for_leaf: the current handle for a leaf future, or panic with tokio's message. */
tk_handle *tk__handle_for_leaf(void);
/* tk__driver_for_io / tk__driver_for_time: the same, also checking the driver is enabled. */
tk__driver *tk__driver_for_io(void);
tk__driver *tk__driver_for_time(void);

/* Schedulers' entry points. */
extern const rt_task_vtable tk__ct_task_vtable;
extern const rt_task_vtable tk__mt_task_vtable;
int tk__ct_init(tk_handle *h);
void tk__ct_block_on(tk_handle *h, rt_future *future);
void tk__ct_shutdown(tk_handle *h);
void tk__ct_release_core_after_panic(tk_handle *h);
int tk__mt_init(tk_handle *h);
void tk__mt_shutdown(tk_handle *h);
void tk__mt_drain(tk_handle *h);

/* Lifetime (tk_runtime.c). */
void tk__handle_retain(tk_handle *h);
void tk__handle_release(tk_handle *h);
/* tk__task_release: the task vtables' release hook: the task's reference on its handle. */
void tk__task_release(rt_task *task);

/* tk__remote_begin: a foreign thread is about to push work or unpark; false if the runtime is
 * closing (then do not touch the driver). Always pair with tk__remote_end. The seq_cst RMW
 * here and the seq_cst store+load in tk_runtime_free order the two sides (Dekker). */
static inline bool tk__remote_begin(tk_handle *h)
{
    atomic_fetch_add_explicit(&h->inflight, 1, memory_order_seq_cst);
    return !atomic_load_explicit(&h->closing, memory_order_seq_cst);
}

/* tk__remote_end: the foreign thread is done with the runtime's resources. */
static inline void tk__remote_end(tk_handle *h)
{
    atomic_fetch_sub_explicit(&h->inflight, 1, memory_order_release);
}

/* Parking (tk_park.c). */
void tk__park_init(tk__park *p);
void tk__park_wait(tk__park *p, tk_handle *h, tk__worker *w, int timeout_ms);
void tk__park_unpark(tk__park *p, tk_handle *h);

/* Idle bookkeeping (tk_idle.c). */
int tk__idle_init(tk__idle *idle, unsigned num_workers);
void tk__idle_destroy(tk__idle *idle);
bool tk__idle_transition_to_searching(tk__idle *idle);
bool tk__idle_transition_from_searching(tk__idle *idle);
bool tk__idle_transition_to_parked(tk__idle *idle, unsigned worker, bool is_searching);
int tk__idle_worker_to_notify(tk__idle *idle);
bool tk__idle_is_parked(tk__idle *idle, unsigned worker);
void tk__idle_unpark_worker_by_id(tk__idle *idle, unsigned worker);
unsigned tk__idle_num_searching(tk__idle *idle);

/* Blocking pool glue (tk_blocking.c). */
int tk__blocking_init(tk_handle *h);
void tk__blocking_shutdown(tk_handle *h);
void tk__blocking_stats(tk_handle *h, rt_blocking_stats *out);

#endif

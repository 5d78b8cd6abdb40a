/* fault_kit.h: the flavour-independent half of the fault suites -- the misbehaving clients, what the server records, and the checks on both. */
#ifndef FAULT_KIT_H
#define FAULT_KIT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "fault_client.h"
#include "rt_combinators.h"
#include "rt_testkit.h"
#include "tk_testkit.h"

/*
 * test_fault_tk.c and test_fault_as.c run the same four attacks against a server written in
 * each flavour's idiom. Only the server futures differ (they are written against tk_ or as_
 * APIs); everything that happens outside the runtime lives here, so the two suites cannot
 * drift apart in what they demand:
 *
 *   - the protocol: one command byte per connection, then that command's exchange;
 *   - the client threads, which do the damage and then make the "still serving" probe;
 *   - fk_case, the contract between a suite and this kit: the suite's server fills in the
 *     fk_target the client connects to, starts the client with fk_start_client, and records
 *     how each connection's task ended with fk_note_ok / fk_note_panic;
 *   - the checks, run after the suite's fk_server_fn has returned (runtime gone, client joined).
 */

/* The command byte a client sends first. */
enum { FK_CMD_BIG = 'B', FK_CMD_HALF = 'H', FK_CMD_SMALL = 'S', FK_CMD_PANIC = 'P' };

#define FK_BIG_CHUNK (4u << 20)       /* the server's write_all size in the reset case */
#define FK_BIG_ROUNDS 64              /* 256 MiB at most: the client resets long before */
#define FK_BIG_CLIENT_READS (256u << 10)
#define FK_HALF_PAYLOAD (1u << 20)    /* what the half-closing client sends before its FIN */
#define FK_HALF_REPLY (1u << 20)      /* what the server still sends after reading that FIN */
#define FK_IO_CHUNK (64u << 10)
#define FK_PANIC_CONNS 40
#define FK_PANIC_EVERY 4
#define FK_MAX_CONNS (FK_PANIC_CONNS + 1)

/* 1M timers in the normal build; a tenth under the sanitizers, where each lock and waker clone
 * costs 5-15 times more (the code paths are the same, only the count differs). */
#define FK_STORM_TIMERS (RT_SANITIZED ? 100000u : 1000000u)
#define FK_STORM_TASKS 4

/* Where the client thread connects: TCP port, or a Unix path (then port is unused). */
typedef struct fk_target {
    unsigned port;
    const char *path;
} fk_target;

/* One scenario: what the suite's server is told, and what it records. */
typedef struct fk_case {
    /* input */
    const char *path;           /* Unix socket path, or NULL for TCP */
    int nconn;                  /* connections to accept (the probe included) */
    int panic_every;            /* FK_CMD_PANIC requests that are a multiple of this panic */
    void *(*client_fn)(void *); /* the client thread, started by fk_start_client */
    fk_target *client;          /* its argument; the server fills in port or path */
    /* state */
    pthread_t thread;
    int thread_started;
    /* output, per accepted connection in accept order */
    int accept_err;
    int outcome[FK_MAX_CONNS];  /* rt_outcome of the connection's task */
    int result[FK_MAX_CONNS];   /* 0, or the -errno of the server-side operation that failed */
    unsigned char cmd[FK_MAX_CONNS];
    uint64_t written[FK_MAX_CONNS];
    uint64_t nread[FK_MAX_CONNS];
    int panics_with_message;    /* panicked tasks whose message says "injected panic" */
} fk_case;

/* The server side of one connection, apart from its socket and I/O futures: the state the
 * flavour's connection future reads into and writes from (kept in the task, so a panic's drop
 * frees the buffer). */
typedef struct fk_conn {
    int panic_every;
    unsigned char cmd;          /* the command byte read first */
    uint32_t req;               /* FK_CMD_PANIC: the request number */
    int i;                      /* FK_CMD_BIG: rounds written */
    uint64_t nread, hash, written;
    int result;                 /* output: 0, or the -errno of the operation that failed */
    unsigned char *buf;
    unsigned char hdr[16];      /* FK_CMD_HALF: bytes read, then their hash */
    char line[32];              /* FK_CMD_PANIC: the answer */
} fk_conn;

/* The suite's part: run one whole exchange for k on its runtime (arg: e.g. the flavour), and
 * return only after the client thread has been joined (fk_join_client). */
typedef void (*fk_server_fn)(fk_case *k, void *arg);

/* fk_conn_begin: the command byte is in c->cmd: allocate the buffer that command needs
 * (FK_CMD_BIG: FK_BIG_CHUNK bytes, already holding the pattern; else FK_IO_CHUNK). */
void fk_conn_begin(fk_conn *c);
/* fk_conn_took: n more bytes of the half-close payload are in c->buf: count and hash them. */
void fk_conn_took(fk_conn *c, size_t n);
/* fk_conn_header: the half-close reply's 16-byte header (bytes read, their hash) into c->hdr. */
void fk_conn_header(fk_conn *c);
/* fk_conn_request: the FK_CMD_PANIC request number is in c->req: panic on every panic_every-th
 * request, otherwise put the answer line in c->line. */
void fk_conn_request(fk_conn *c);
/* fk_conn_free: free the buffer (safe to call twice). */
void fk_conn_free(fk_conn *c);

/* fk_fill: n bytes of the pattern named by seed, starting at stream offset `at`. */
void fk_fill(unsigned char *buf, size_t n, uint32_t seed, uint64_t at);
/* fk_unix_path: a fresh socket path for this process, suite and case. */
void fk_unix_path(char *buf, size_t len, const char *suite, const char *tag);

/* fk_start_client: start k's client thread (after the listener is bound and k->client filled). */
void fk_start_client(fk_case *k);
/* fk_join_client: join the client thread if it was started, then remove k's Unix path. */
void fk_join_client(fk_case *k);
/* fk_note_ok: connection i's task finished; record what its exchange ended with. */
void fk_note_ok(fk_case *k, int i, const fk_conn *c);
/* fk_note_panic: connection i's task panicked with msg (NULL if the message was lost). */
void fk_note_panic(fk_case *k, int i, const char *msg);

/* fk_check_reset: peer reset mid-write -- the writer saw ECONNRESET or EPIPE, its task ended
 * normally, and the probe after it got its answer. `label` starts the printed summary. */
void fk_check_reset(const char *label, fk_server_fn run, void *arg);
/* fk_check_half: half-close over TCP (path NULL) or a Unix stream -- every byte before the
 * client's FIN arrived, and the server's whole reply after it. */
void fk_check_half(fk_server_fn run, void *arg, const char *path);
/* fk_check_panics: exactly FK_PANIC_CONNS/FK_PANIC_EVERY tasks panic, all others answer, and
 * the probe after them is answered. */
void fk_check_panics(const char *label, fk_server_fn run, void *arg);

/* What a timer storm observed: the runtime's timer count before, fully armed, and after the
 * cancel; how many storm tasks ended cancelled; whether a fresh short sleep then fired. */
typedef struct fk_storm {
    size_t before, armed, after;
    int cancelled;
    int after_fired;
} fk_storm;

/* The flavour's half of a timer storm: how to build, in place, one sleep and one timeout around
 * a future that never finishes (each type's rt_future base comes first, as for every future). */
typedef struct fk_storm_ops {
    size_t sleep_size, timeout_size;
    void (*sleep)(void *at, uint64_t ms);
    void (*timeout)(void *at, rt_future *inner, uint64_t ms);
} fk_storm_ops;

/* One storm task: its first poll arms FK_STORM_TIMERS / FK_STORM_TASKS timers, half sleeps and
 * half timeouts, an hour out (none fires), then it waits forever; cancelling it drops them all.
 * The task that brings *armed_total to FK_STORM_TIMERS fires *all_armed. */
typedef struct fk_storm_task {
    rt_future base;
    const fk_storm_ops *ops;
    size_t n;                   /* n sleeps and n timeouts */
    int armed;
    unsigned char *sleeps, *timeouts;
    rt_pending_fut *nevers;     /* what each timeout waits on */
    _Atomic size_t *armed_total;
    slot *all_armed;
} fk_storm_task;

/* fk_storm_task_new: a storm task for the flavour's ops, ready to be spawned. */
fk_storm_task fk_storm_task_new(const fk_storm_ops *ops, _Atomic size_t *armed_total,
                                slot *all_armed);

/* fk_check_storm: the count goes 0 -> FK_STORM_TIMERS -> 0, every task was cancelled, and the
 * timers still work afterwards. */
void fk_check_storm(const fk_storm *st);

/* fk_heap_in_use: bytes malloc has handed out -- small blocks (uordblks) plus the big ones it
 * mmaps on their own (hblkhd), like a storm's arrays. */
size_t fk_heap_in_use(void);

#endif

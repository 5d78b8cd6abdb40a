/* rb_design.c: the design notes, one per workload, each checked against the flavours' sources. */
#include "rb_design.h"

#include <string.h>

static const rb_design_note rb__notes[] = {
    { "sock_ping_pong",
      "tk registers each socket once with edge-triggered epoll and keeps a readiness word with "
      "a tick, so waiting again costs no system call; each message is one wake and one task poll",
      "as arms every wait with oneshot epoll, so a read that has to wait costs an epoll_ctl to "
      "re-arm, and the event may be dispatched by whichever thread drives the reactor, which "
      "then wakes the task across cores",
      +1 },
    { "bench_c",
      "tk runs one watcher task per pipe: each event is a wake, a task poll and a readable "
      "future before the callback body, plus one EAGAIN read that clears the edge-triggered "
      "readiness; with timeouts=1 each re-arm is a timeout's sleep entering and leaving the wheel",
      "as re-arms the fd with oneshot epoll after every event, on top of the wake and the poll; "
      "with timeouts=1 each re-arm is an insert and a removal in the timer heap under its lock",
      +1 },
    { "million_timers",
      "tk keeps timers in a hierarchical wheel (6 levels of 64 one-millisecond slots): insert "
      "and fire are O(1), but every sleep is a future that registers on its first poll, through "
      "the time driver's lock and a waker clone",
      "as keeps a (deadline, seq) binary heap under one lock: O(log n) per insert and per fire",
      +1 },
    { "timer_churn",
      "tk re-arms with an O(1) wheel insert and an O(1) cancel (unlinking from a slot list), "
      "plus the wake of the yield",
      "as re-arms with a heap insert and a heap removal, O(log n) each under the timer lock, "
      "plus a wake through the global queue",
      +1 },
    { "spawn_many",
      "tk puts a task spawned on a worker into that worker's LIFO slot, bumping the previous one "
      "into its 256-slot ring (half the ring spills to the global queue when it is full), and "
      "notifies an idle sibling, which steals half the ring",
      "as pushes every spawn onto its one global MPMC queue, a compare-and-swap on shared "
      "memory, and its workers move half of that queue into their local queues",
      +1 },
    { "yield_many",
      "tk sends a yielding task to the back of the local ring, never into the LIFO slot, so a "
      "yield is a push and a pop on memory only this worker writes",
      "as treats a yield as a wake, which is a push onto the global queue that every worker "
      "shares (each refills from it at least every 64 tasks)",
      +1 },
    { "chained_spawn",
      "tk puts each new link into the LIFO slot, so it runs next on the same worker while its "
      "parent's data is still in cache",
      "as has no LIFO slot: each new link goes to the back of the global queue and waits its turn",
      +1 },
    { "task_ping_pong",
      "tk puts the woken peer into the LIFO slot, so ping and pong run back to back on one "
      "worker",
      "as pushes every wake onto the global queue, so the peer may be taken by the other worker "
      "and the two oneshots cross cores",
      +1 },
    { "cross_thread_wake",
      "tk takes a wake from a foreign thread through its global (inject) queue and unparks the "
      "worker, which sleeps in epoll_wait inside the driver and is woken by an eventfd write",
      "as takes it through the global queue too and unparks one sleeper at a time; when the "
      "workers are idle the reactor may be held by the dedicated as-io thread",
      0 },
    { "tcp_echo",
      "tk, edge-triggered, reads and writes until EAGAIN on each readiness and never "
      "re-registers a socket",
      "as, on oneshot epoll, re-arms a socket with an epoll_ctl every time a read or a write "
      "has to wait",
      +1 },
    { "http_hello",
      "tk registers a keep-alive connection once, edge-triggered, and reads each request until "
      "EAGAIN",
      "as re-arms the connection with an epoll_ctl (oneshot) each time it waits for the next "
      "request",
      +1 },
    { "blocking_hazard",
      "tk on current_thread has one thread, so a task that blocks makes the ticker late by the "
      "whole block; on multi_thread the other worker can steal the ticker from the blocked "
      "worker's ring, but not from its LIFO slot",
      "as fires the ticker's timer on whichever thread drives the reactor (the as-io thread "
      "when the workers are busy), and any idle worker takes the ticker from the global queue",
      0 },
    { "idle_task_memory",
      "tk allocates a task as one block, a header with tokio's state word and the future "
      "inline, and each oneshot separately",
      "as parks each task on a bounded(1) channel, a general MPMC channel with its own wait "
      "lists",
      0 },
};

/* rb_design_find: thirteen notes, a scan. */
const rb_design_note *rb_design_find(const char *workload)
{
    for (size_t i = 0; i < sizeof rb__notes / sizeof rb__notes[0]; i++)
        if (strcmp(rb__notes[i].workload, workload) == 0)
            return &rb__notes[i];
    return NULL;
}

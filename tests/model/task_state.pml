/* task_state.pml: a Promela model of the task state machine (rt_task_state.c, rt_task.c, rt_join_handle.c), checked with spin. */

/*
 * What is modelled. One task, spawned into an owned-task list, and every thread that can touch
 * it at the same time:
 *
 *   worker       executor threads (one or two) popping the run queue and calling rt_task_run:
 *                to_running, a poll of the future (which may hand out an owning waker, wake
 *                itself, return pending or ready, or panic), then to_idle / complete / cancel;
 *   waker x2     threads holding an owning waker (an IO driver, a timer, another task): wake by
 *                value, wake by reference, clone to the other thread, drop;
 *   join_handle  the JoinHandle's owner: poll it (store or replace the join waker, read the
 *                outcome and the output), abort, drop it early or after the output;
 *   shutdown     runtime shutdown (rt_task_list_close_and_shutdown), or none in this run;
 *   checker      runs once nothing else can move, and checks how things ended.
 *
 * Atomicity. Each C compare-and-swap loop is one d_step: a CAS loop has the effect of a single
 * atomic read-modify-write on the value it finally succeeded on. Plain memory that threads must
 * not touch at the same time -- the future (polled, dropped, its output read) and the join-waker
 * slot -- is accessed through "windows": a step that enters (asserting nobody else is inside)
 * and a later step that leaves, so spin explores every interleaving in which another thread
 * could come in between. Consecutive actions of one thread are merged into one step only where
 * that cannot hide a bug: where the actions touch nothing another thread reads (a queue pop and
 * the to_running that follows it change only ghost state in between), or where merging only
 * lengthens a window or moves a free earlier -- which makes a racing access easier to catch,
 * not harder. The C code's rt__corrupt aborts are assertions here.
 *
 * What is checked (every assertion must hold in every interleaving):
 *   use after free   every access to the task asserts !freed; freed is set in the same step
 *                    as the reference count reaches zero (rt__dealloc runs right after, and
 *                    nobody may touch the task from that moment);
 *   references       never below zero; at the end equal to the holders still alive, and the
 *                    task freed exactly when it reached zero (no leak, no early free);
 *   double schedule  a schedule into the run queue finds no entry for the task there already;
 *   lost wake-up     a wake (by value or by reference) that arrived while the task was not
 *                    complete is followed by a poll that began after it: "woken" is set by
 *                    the wake and cleared only by to_running; an abort or a shutdown ends in
 *                    COMPLETE; a JoinHandle parked on its join waker is woken on completion;
 *   no busy loop     the future is polled only for the first time or after a wake since its
 *                    last poll (a NOTIFIED left set would re-queue it after every poll), and
 *                    every execution ends (run.sh's progress run: no non-progress cycle);
 *   the future       never polled, read or dropped by two threads at once; never polled or
 *                    read after it was dropped; dropped exactly once by the time the task is
 *                    freed, and as soon as nobody can read the output any more;
 *   the output       read exactly once by a JoinHandle that awaited an OK outcome.
 *
 * Bounds that keep the state space finite: at most MAX_WAKERS owning wakers are ever created
 * (a poll may create one, a waker thread may clone one), the future wakes itself at most once,
 * each owning waker wakes by reference at most once, and the JoinHandle is polled spuriously at
 * most once. Every execution then ends, and the checker's `timeout` fires in each.
 *
 * References to C are "file:line" in common/ (as of the commit that added this model), always
 * with the C function's name, so that a moved line is easy to find again.
 */

/* The configuration: run.sh checks several, each exhaustively (spin -DNAME=value). */
#ifndef WORKERS
#define WORKERS 2            /* executor threads (1 or 2) */
#endif
#ifndef MAX_WAKERS
#define MAX_WAKERS 3         /* owning wakers ever created */
#endif
#ifndef JH_ABORT
#define JH_ABORT 1           /* the JoinHandle may abort the task */
#endif
#ifndef JH_SPURIOUS
#define JH_SPURIOUS 1        /* the JoinHandle may be polled once without its waker firing */
#endif
#ifndef SHUTDOWN
#define SHUTDOWN 1           /* runtime shutdown may happen */
#endif
#ifndef CLOSED_SPAWN
#define CLOSED_SPAWN 1       /* the spawn may find the list already closed */
#endif

/* results of the transitions (rt_task_state.h) */
#define TR_SUCCESS   0       /* RT_TO_RUNNING_SUCCESS */
#define TR_CANCELLED 1       /* RT_TO_RUNNING_CANCELLED */
#define TR_FAILED    2       /* RT_TO_RUNNING_FAILED or _DEALLOC (the free is in the step) */
#define TI_OK        0       /* RT_TO_IDLE_OK or _OK_DEALLOC (likewise) */
#define TI_NOTIFIED  1       /* RT_TO_IDLE_OK_NOTIFIED */
#define TI_CANCELLED 2       /* RT_TO_IDLE_CANCELLED */
#define N_NOTHING    0       /* RT_NOTIFY_DO_NOTHING or _DEALLOC (likewise) */
#define N_SUBMIT     1       /* RT_NOTIFY_SUBMIT */

/* task->outcome (rt_task.h) */
#define O_PENDING   0
#define O_OK        1
#define O_CANCELLED 2
#define O_PANICKED  3

/* what the JoinHandle's poll does after its snapshot */
#define J_READY   0
#define J_PENDING 1
#define J_UNSET   2
#define J_STORE   3

/* ---- the task: the state word, bit by bit, and the fields threads race on ----------------- */
bool RUNNING, COMPLETE, NOTIFIED, JOIN_INTEREST, JOIN_WAKER, CANCELLED;
byte refs;                   /* the count in bits 6..63 */
byte outcome = O_PENDING;
bool future_live = 1;        /* task->future_live */
bool in_list;                /* task->in_list: the owned list holds a reference */

/* ---- ghost state: what the checks need to know --------------------------------------------- */
bool freed;                  /* rt__dealloc ran: any later access is a use after free */
byte queued;                 /* run-queue entries for this task */
byte fut_users;              /* threads inside the future (poll, drop, output read) now */
byte slot_users;             /* threads touching task->join_waker now */
byte fut_drops;              /* times the future's drop actually ran */
bool woken;                  /* a wake arrived after the last poll began */
bool polled_once;            /* the future has been polled at least once */
bool abort_req, shutdown_done;
bool jh_alive = 1;           /* the JoinHandle still holds its reference */
bool jh_wake;                /* the join waker fired and the handle has not seen it yet */
bool jh_waiting;             /* the handle is parked until jh_wake */
bool jh_ready;               /* the handle's poll returned ready */
byte output_reads;
bool wk[2];                  /* an owning waker is held by waker thread i */
byte wakers_made;            /* owning wakers created so far (bounded by MAX_WAKERS) */
bool self_woke;              /* the future already woke itself once */

/* ---- bodies of atomic steps (used inside d_step) ------------------------------------------ */

/* rt__dealloc, rt_task.c:39-49: drop the future (:41), drop the join waker (:42), free. The
 * last reference is gone, so nobody may be inside the future or the join-waker slot. */
inline dealloc_body() {
    assert(refs == 0); assert(fut_users == 0); assert(slot_users == 0);
    /* Every freed task here completed (the list's reference goes only at completion), and a
     * completed task's output was dropped by whoever owned it: the completer, when nobody
     * wanted it, else the JoinHandle. Left to this drop, it would outlive its last reader. */
    assert(!(COMPLETE && future_live));
    if
    :: future_live -> future_live = 0; fut_drops++
    :: else -> skip
    fi;
    freed = 1
}

/* rt_task_state_ref_dec_n, rt_task_state.c:271-277, and the free that follows at zero
 * (rt_task_drop_ref, rt_task.c:63-67, and the other callers that check for the last ref). */
inline ref_dec_body(n) {
    assert(!freed); assert(refs >= n);         /* :274-275 underflow is corruption */
    refs = refs - n;
    if
    :: refs == 0 -> dealloc_body()
    :: else -> skip
    fi
}

/* rt_task_drop_future, rt_task.c:54-60, entering the future. The test of future_live and its
 * clearing are plain accesses, safe only because callers are serialised by the state word:
 * the window stays open until the caller's next step, and a thread coming in then is caught. */
inline drop_future_enter() {
    assert(!freed); assert(fut_users == 0); fut_users++;
    if
    :: future_live -> future_live = 0; fut_drops++
    :: else -> skip
    fi
}

/* rt_task_state_to_complete, rt_task_state.c:99-106 (a fetch_xor of RUNNING|COMPLETE); the
 * caller keeps the snapshot's JOIN_INTEREST and JOIN_WAKER (rt__complete, rt_task.c:79). */
inline to_complete_body() {
    assert(!freed); assert(RUNNING && !COMPLETE);    /* :103-104 */
    RUNNING = 0; COMPLETE = 1;
    c_ji = JOIN_INTEREST; c_jw = JOIN_WAKER
}

/* rt__complete, rt_task.c:88-92: leave the owned list if still in it (rt_task_list_remove,
 * rt_task_list.c:61-70, under the list's lock), then drop our reference and the list's. The
 * two are merged: only the shutdown thread also touches in_list, and its unlink commutes with
 * everything between them. */
inline remove_and_dec_body() {
    assert(!freed);
    if
    :: in_list -> in_list = 0; c_n = 2
    :: else -> c_n = 1
    fi;
    ref_dec_body(c_n)
}

/* rt_task_state_notify_by_ref, rt_task_state.c:113-132 */
inline notify_by_ref_body() {
    assert(!freed);
    if
    :: !COMPLETE -> woken = 1
    :: else -> skip
    fi;
    if
    :: COMPLETE || NOTIFIED -> act = N_NOTHING                    /* :119-120 */
    :: !(COMPLETE || NOTIFIED) && RUNNING ->                      /* :121-123 */
        NOTIFIED = 1; act = N_NOTHING        /* MUTATION-POINT notify-running (see run.sh) */
    :: !(COMPLETE || NOTIFIED) && !RUNNING ->                     /* :124-127 */
        NOTIFIED = 1; refs++; act = N_SUBMIT
    fi
}

/* rt_task_state_notify_by_val, rt_task_state.c:135-167: consumes the waker's reference,
 * except on SUBMIT, where it adds the queue's and the caller drops the waker's after
 * scheduling. RT_NOTIFY_DEALLOC's free (rt__waker_wake, rt_task.c:238-240) is in the step. */
inline notify_by_val_body() {
    assert(!freed); assert(refs > 0);                             /* :141-142 */
    if
    :: !COMPLETE -> woken = 1
    :: else -> skip
    fi;
    if
    :: RUNNING ->                                                 /* :143-150 */
        NOTIFIED = 1; refs--; assert(refs > 0); act = N_NOTHING
    :: !RUNNING && (COMPLETE || NOTIFIED) ->                      /* :151-153 */
        act = N_NOTHING; ref_dec_body(1)
    :: !RUNNING && !(COMPLETE || NOTIFIED) ->                     /* :154-162 */
        NOTIFIED = 1; refs++; act = N_SUBMIT
    fi
}

/* rt_task_state_to_running, rt_task_state.c:49-71, for the holder of a queue reference. On
 * success the poller enters the future in the same step (rt__poll_future, rt_task.c:119). */
inline to_running_body() {
    assert(!freed);
    if
    :: RUNNING || COMPLETE ->                 /* :55-62 a stale entry: drop its reference */
        r = TR_FAILED; ref_dec_body(1)        /* RT_TO_RUNNING_DEALLOC frees (rt_task.c:140-142) */
    :: else ->                                /* :63-67 */
        RUNNING = 1; NOTIFIED = 0;
        if
        :: CANCELLED -> r = TR_CANCELLED
        :: else -> r = TR_SUCCESS;
            /* Polled only for a reason: the first poll, or a wake since the last one. A
             * NOTIFIED left behind would re-queue the task after every poll, for ever. */
            assert(woken || !polled_once); polled_once = 1;
            assert(fut_users == 0); assert(future_live); fut_users++
        fi;
        woken = 0
    fi
}

/* rt_task_state_to_idle, rt_task_state.c:74-96, after a pending poll. */
inline to_idle_body() {
    assert(!freed); assert(RUNNING);                              /* :78-79 */
    if
    :: CANCELLED -> r = TI_CANCELLED                              /* :81-82 */
    :: else ->
        RUNNING = 0;
        if
        :: NOTIFIED -> r = TI_NOTIFIED                            /* :85-88 */
        :: else -> r = TI_OK; ref_dec_body(1)                     /* :89-91, free: rt_task.c:159-161 */
        fi
    fi
}

/* ---- steps shared by several threads ------------------------------------------------------ */

/* A flavour's schedule hook (rt_task_vtable.schedule): push the task's queue node, handing
 * over one reference. Exactly one entry at a time, or the task could run twice at once. */
inline schedule() {
    d_step { assert(!freed); assert(queued == 0); queued++ }
}

/* rt_task_drop_ref, rt_task.c:63-67 */
inline drop_ref() {
    d_step { ref_dec_body(1) }
}

/* rt__waker_clone, rt_task.c:222-227 (rt_task_state_ref_inc, rt_task_state.c:257-262): a new
 * owning waker for thread `to`, if `may` holds, the bound allows and `to` holds none (checking
 * and taking the slot is one step). The caller holds a reference, so the task is alive. */
inline make_waker(may, to) {
    d_step {
        may && wakers_made < MAX_WAKERS && !wk[to] ->
        assert(!freed); assert(refs > 0); refs++; wakers_made++; wk[to] = 1
    }
}

/* The rest of rt__complete, rt_task.c:80-92, after to_complete: drop an output nobody will
 * read (:80-82) or wake the joiner through the stored waker (:83-86), then leave the list and
 * drop the references (:88-92). The window on the future or the slot closes in that last step. */
inline complete_rest() {
    if
    :: !c_ji ->
        d_step { drop_future_enter() };
        d_step { fut_users--; remove_and_dec_body() }
    :: c_ji && c_jw ->
        d_step { assert(!freed); assert(slot_users == 0); slot_users++; jh_wake = 1 };
        d_step { slot_users--; remove_and_dec_body() }
    :: else ->
        d_step { remove_and_dec_body() }
    fi
}

/* rt__cancel then rt__complete (rt_task.c:70-74, 77-93), for the thread that owns the task:
 * drop the future, record CANCELLED, complete. Nobody reads the outcome before COMPLETE, so
 * recording it and completing are one step. */
inline cancel_and_complete() {
    d_step { drop_future_enter() };                               /* :72 */
    d_step { fut_users--; assert(!freed); outcome = O_CANCELLED; to_complete_body() };   /* :73, :79 */
    complete_rest()
}

/* rt_task_shutdown, rt_task.c:179-187, with the reference the caller took over. */
inline task_shutdown() {
    /* rt_task_state_to_shutdown, rt_task_state.c:198-209 */
    d_step {
        assert(!freed);
        idle = !(RUNNING || COMPLETE);
        CANCELLED = 1;
        if
        :: idle -> RUNNING = 1                /* claim it: no worker will poll it again */
        :: else -> skip
        fi
    }
    if
    :: idle -> cancel_and_complete()                              /* rt_task.c:185-186 */
    :: else -> drop_ref()                                         /* :181-183 */
    fi
}

/* rt_join_handle_abort, rt_join_handle.c:140-145 -> rt_task_state_notify_and_cancel,
 * rt_task_state.c:171-193. The handle's reference keeps the task alive throughout. */
inline abort_task() {
    d_step {
        assert(!freed);
        abort_req = 1;
        if
        :: CANCELLED || COMPLETE -> ok = 0                        /* :177-178 */
        :: !(CANCELLED || COMPLETE) && RUNNING ->                 /* :179-181 */
            NOTIFIED = 1; CANCELLED = 1; ok = 0
        :: !(CANCELLED || COMPLETE) && !RUNNING && NOTIFIED ->    /* :182-184 */
            CANCELLED = 1; ok = 0
        :: !(CANCELLED || COMPLETE) && !RUNNING && !NOTIFIED ->   /* :185-189 */
            NOTIFIED = 1; CANCELLED = 1; refs++; ok = 1
        fi
    }
    if
    :: ok -> schedule()                                           /* rt_join_handle.c:143-144 */
    :: else -> skip
    fi
}

/* ---- the threads -------------------------------------------------------------------------- */

/* An executor thread: pop the task's entry (the queue hands its reference to the popper) and
 * run it: rt_task_run, rt_task.c:135-176. With two, a task re-queued by one worker can be run
 * by the other while the first is still on its way out of rt_task_run. */
proctype worker() {
    byte r, c_n, act;
    bool c_ji, c_jw;
end_idle:
    do
    :: d_step { queued > 0 -> queued--; to_running_body() };     /* rt_task.c:137 */
        if
        :: r == TR_FAILED -> skip                                 /* :138-142 */
        :: r == TR_CANCELLED -> cancel_and_complete()             /* :143-146 */
        :: r == TR_SUCCESS ->
            /* Inside the future's poll (rt__poll_future, :107-132), with a borrowed waker.
             * The future may keep an owning clone of it (an IO driver or a timer holds it
             * for later), and may wake itself (yield_now: the borrowed waker's wake_by_ref,
             * which on a RUNNING task only marks NOTIFIED). */
            if
            :: make_waker(1, 0)
            :: make_waker(1, 1)
            :: skip
            fi;
            if
            :: d_step {
                   !self_woke -> self_woke = 1;
                   notify_by_ref_body(); assert(act == N_NOTHING)
               }
            :: skip
            fi;
            /* The poll returns: the window on the future closes in the step that acts on
             * the result (nothing between them is visible to another thread). */
            if
            :: d_step {                                           /* ready: :122-123, then :152 */
                   fut_users--; assert(!freed); outcome = O_OK; to_complete_body()
               };
               complete_rest()
            :: d_step {                                           /* rt_panic: :126-131, then :152 */
                   future_live = 0; fut_drops++;                  /* rt_task_drop_future, :130 */
                   fut_users--; assert(!freed); outcome = O_PANICKED; to_complete_body()
               };
               complete_rest()
            :: d_step { fut_users--; to_idle_body() };            /* pending: :156 */
               if
               :: r == TI_OK -> skip                              /* :157-161 */
               :: r == TI_NOTIFIED -> schedule()                  /* :162-170 yield_now or schedule */
               :: r == TI_CANCELLED -> cancel_and_complete()      /* :171-174 */
               fi
            fi
        fi;
        /* Forget the scratch values, so that states differing only in them are one state. */
        d_step { r = 0; c_n = 0; c_ji = 0; c_jw = 0; act = 0 }
    od
}

/* A thread that may hold an owning waker (wk[i]): wake by value consumes it; wake by reference
 * keeps it; clone gives the other thread one; drop releases it. */
proctype waker(bit i) {
    byte act;
    bool byref_done;
end_wait:
    do
    :: d_step { wk[i] -> notify_by_val_body(); wk[i] = 0; byref_done = 0 };   /* rt_task.c:233 */
        if
        :: act == N_SUBMIT -> schedule(); drop_ref()              /* :234-237 schedule, then ours */
        :: else -> skip                                           /* :238-243 (free in the step) */
        fi;
        act = 0
    :: d_step { wk[i] && !byref_done -> byref_done = 1; notify_by_ref_body() };   /* :250 */
        if
        :: act == N_SUBMIT -> schedule()                          /* :251 */
        :: else -> skip
        fi;
        act = 0
    :: make_waker(wk[i], 1 - i)               /* rt_waker_clone, for the other thread */
    :: d_step { wk[i] -> ref_dec_body(1); wk[i] = 0; byref_done = 0 }   /* rt__waker_drop, :255-258 */
    od
}

/* The JoinHandle, and the task that awaits it (rt_join_handle.c). */
proctype join_handle() {
    byte nx, c_n;
    bool ok, same, reading, dropping, aborted, polled, spurious;
    /* Drop it at once (detach, maybe after an abort), or await it. */
    if
    :: JH_ABORT -> abort_task(); goto detach
    :: goto detach
    :: skip
    fi;
poll:
    /* rt__join_poll, rt_join_handle.c:60-88. `same`: the awaiting task's waker is the one
     * already stored (the usual case on a re-poll), so will_wake (:74) holds. */
    if
    :: polled -> same = 1
    :: same = 0
    fi;
    d_step {                                  /* :69 the snapshot, and what it decides */
        assert(!freed);
        if
        :: COMPLETE -> nx = J_READY                               /* :70-71 */
        :: !COMPLETE && JOIN_WAKER && same -> nx = J_PENDING      /* :73-75 */
        :: !COMPLETE && JOIN_WAKER && !same -> nx = J_UNSET       /* :76 */
        :: !COMPLETE && !JOIN_WAKER -> nx = J_STORE               /* :80 */
        fi;
        same = 0
    }
    if
    :: nx == J_READY -> goto ready
    :: nx == J_PENDING -> goto pending
    :: nx == J_UNSET ->
        /* :76-77 rt_task_state_unset_join_waker, rt_task_state.c:243-254 */
        d_step {
            assert(!freed); assert(JOIN_INTEREST && JOIN_WAKER); /* :247-248 */
            if
            :: COMPLETE -> nx = J_READY
            :: else -> JOIN_WAKER = 0; nx = J_STORE
            fi
        }
        if
        :: nx == J_READY -> goto ready
        :: else -> skip
        fi
    :: nx == J_STORE -> skip
    fi;
    /* :80-81 the slot is ours: drop the old waker, store a clone of ours; then :82
     * rt_task_state_set_join_waker (rt_task_state.c:228-239) hands it to the task. */
    d_step { assert(!freed); assert(slot_users == 0); slot_users++; nx = 0 }
    d_step {
        slot_users--;
        assert(!freed); assert(JOIN_INTEREST && !JOIN_WAKER);    /* :232-233 */
        if
        :: COMPLETE -> ok = 0
        :: else -> JOIN_WAKER = 1; ok = 1
        fi
    }
    if
    :: !ok ->                                 /* :83-85 completed meanwhile: take it back */
        d_step { assert(!freed); assert(slot_users == 0); slot_users++ };
        slot_users--;
        goto ready
    :: else -> skip
    fi;
pending:
    /* Pending. What happens next is chosen now, not offered for ever: a handle that could
     * always give up would never be seen stuck, and a lost join wake-up would go unnoticed. */
    skip;
    d_step { polled = 1; nx = 0 }
    if
    :: jh_waiting = 1;                        /* park until the join waker fires */
end_parked:                                   /* a valid place to end: a task never done */
        d_step { jh_wake -> jh_wake = 0; jh_waiting = 0 };
        goto poll
    :: JH_SPURIOUS && !spurious ->            /* polled again for another reason */
        spurious = 1; goto poll
    :: JH_ABORT && !aborted ->                /* abort, then await the end */
        aborted = 1; abort_task(); goto pending
    :: goto detach                            /* dropped while pending (a select lost, say) */
    fi;
ready:
    skip;
    /* rt__read_outcome, rt_join_handle.c:47-51: COMPLETE was seen, so the outcome is there.
     * An OK output is then read through rt_join_handle_output (:111-116) for as long as the
     * handle lives: the window on the future stays open until the detach. */
    d_step {
        nx = 0;
        assert(!freed); assert(outcome != O_PENDING); jh_ready = 1;
        if
        :: outcome == O_OK ->
            assert(fut_users == 0); assert(future_live); fut_users++; output_reads++; reading = 1
        :: else -> skip
        fi
    }
detach:
    skip;
    /* rt_join_handle_detach, rt_join_handle.c:99-108: :105 rt_task_state_unset_join_interest
     * (rt_task_state.c:213-224); if the task already completed, the output is ours to drop
     * (:106, the drop's window closing in the next step); then our reference (:107). */
    d_step {
        if
        :: reading -> fut_users--; reading = 0
        :: else -> skip
        fi;
        assert(!freed); assert(JOIN_INTEREST);                    /* :217-218 */
        if
        :: COMPLETE -> drop_future_enter(); dropping = 1
        :: else -> JOIN_INTEREST = 0
        fi
    }
    d_step {
        if
        :: dropping -> fut_users--; dropping = 0
        :: else -> skip
        fi;
        jh_alive = 0;
        ref_dec_body(1)
    }
}

/* rt_task_list_close_and_shutdown, rt_task_list.c:78-92: close the list and unlink the task
 * under the lock (its reference is now ours), then shut it down. Or no shutdown in this run. */
proctype shutdown() {
    byte c_n;
    bool took, idle, c_ji, c_jw;
    if
    :: skip
    :: SHUTDOWN ->
        d_step { shutdown_done = 1; took = in_list; in_list = 0 };   /* :80-86 */
        if
        :: took -> task_shutdown()                                   /* :88 */
        :: else -> skip
        fi
    fi
}

/* Runs once nothing else can move: every execution of the model ends here. */
proctype checker() {
    timeout ->
    d_step {
        assert(queued == 0 && fut_users == 0 && slot_users == 0);
        assert(!wk[0] && !wk[1]);
        /* no lost wake-up, abort or shutdown */
        assert(COMPLETE || !woken);
        assert(COMPLETE || !abort_req);
        assert(COMPLETE || !shutdown_done);
        assert(!(jh_waiting && COMPLETE));    /* a parked JoinHandle was woken */
        /* references: exactly the holders left, freed exactly at zero */
        assert(refs == in_list + jh_alive);
        assert(!COMPLETE || !in_list);        /* a completed task left the owned list */
        assert(freed == (refs == 0));
        /* the future: dropped once, and as soon as nobody can read the output */
        assert(fut_drops <= 1);
        assert(!freed || fut_drops == 1);
        assert(!(COMPLETE && !jh_alive) || !future_live);
        assert(!COMPLETE || outcome != O_PENDING);
        /* the output: read exactly once by a handle that awaited an OK outcome */
        assert(output_reads == ((jh_ready && outcome == O_OK) -> 1 : 0))
    }
}

init {
    byte c_n;
    bool idle, c_ji, c_jw;
    /* rt_task_new (rt_task.c:17-36): RT_TASK_INITIAL_STATE, three references (the list, the
     * first queue entry, the JoinHandle), NOTIFIED and JOIN_INTEREST. */
    d_step { refs = 3; NOTIFIED = 1; JOIN_INTEREST = 1 }
    /* rt_task_spawn, rt_join_handle.c:25-44 */
    if
    :: in_list = 1; schedule()                /* bound to the list (:32), first schedule (:42) */
    :: CLOSED_SPAWN ->                        /* :32-39 the list was already closed: */
        d_step { refs-- };                    /* drop the list's reference (:35) and shut */
        task_shutdown()                       /* down with the queue's (:38) */
    fi;
    atomic {
        run worker();
#if WORKERS > 1
        run worker();
#endif
        run waker(0); run waker(1);
        run join_handle();
        run shutdown();
        run checker()
    }
}

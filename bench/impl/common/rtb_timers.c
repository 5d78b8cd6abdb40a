/* rtb_timers.c: bookkeeping, exactly-once checks and per-timer metrics for the two timer workloads. */
#include "rtb_timers.h"

#include "rt_alloc.h"

/* rtb_mt_params: timers in [1, 10^8]; the flag table is allocated here, outside any timing. */
void rtb_mt_params(rtb_mt *mt, rtb_args *args)
{
    mt->n = rtb_param_u64(args, "timers", 1, 100000000);
    rtb_params_done(args);
    mt->fired = rt_calloc(mt->n, 1);
    if (mt->fired == NULL)
        rtb_fail("out of memory for %llu timer flags", (unsigned long long)mt->n);
    mt->count = mt->released = 0;
    mt->cpu_dispatch = 0;
}

/* rtb_mt_timeout_ms: 1 ms for the first thousand, 2 ms for the next, and so on. */
uint64_t rtb_mt_timeout_ms(uint64_t i)
{
    return i / 1000 + 1;
}

/* rtb_mt_fire: one callback for timer i; a second one for the same timer fails the run. */
void rtb_mt_fire(rtb_mt *mt, uint64_t i)
{
    if (i >= mt->n || mt->fired[i] != 0)
        rtb_fail("timer %llu fired twice (or is not one of ours)", (unsigned long long)i);
    mt->fired[i] = 1;
    mt->count++;
}

/* rtb_mt_report: all n fired once (and were released), then init/dispatch/cleanup per timer. */
void rtb_mt_report(rtb_mt *mt, int want_released)
{
    if (mt->count != mt->n)
        rtb_fail("%llu of %llu timers fired", (unsigned long long)mt->count,
                 (unsigned long long)mt->n);
    for (uint64_t i = 0; i < mt->n; i++)
        if (mt->fired[i] != 1)
            rtb_fail("timer %llu did not fire", (unsigned long long)i);
    if (want_released && mt->released != mt->n)
        rtb_fail("%llu of %llu timers released", (unsigned long long)mt->released,
                 (unsigned long long)mt->n);
    double n = (double)mt->n;
    rtb_metric("init", "ns", (double)(mt->t_run - mt->t_init) / n);
    rtb_metric("dispatch", "ns", (double)(mt->t_ran - mt->t_run) / n);
    rtb_metric("cleanup", "ns", (double)(mt->t_done - mt->t_ran) / n);
    rtb_metric("dispatch_cpu", "ns", (double)mt->cpu_dispatch / n);
    rt_free(mt->fired);
    mt->fired = NULL;
}

/* rtb_churn_params: watchers in [1, 10^7], rounds in [1, 10^7]. */
void rtb_churn_params(rtb_churn *c, rtb_args *args)
{
    c->watchers = rtb_param_u64(args, "watchers", 1, 10000000);
    c->rounds = rtb_param_u64(args, "rounds", 1, 10000000);
    rtb_params_done(args);
    c->rounds_done = c->fired = 0;
    rtb_rng_seed(&c->rng, 0xc4u);
}

/* rtb_churn_timeout_ms: 10 s plus a seeded jitter below 1 s. */
uint64_t rtb_churn_timeout_ms(rtb_churn *c)
{
    return 10000 + rtb_rng_next(&c->rng) % 1000;
}

/* rtb_churn_report: R rounds, no timeout fired; ns per re-arm. */
void rtb_churn_report(rtb_churn *c)
{
    if (c->rounds_done != c->rounds || c->fired != 0)
        rtb_fail("timer_churn did %llu of %llu rounds and %llu timeouts fired",
                 (unsigned long long)c->rounds_done, (unsigned long long)c->rounds,
                 (unsigned long long)c->fired);
    rtb_metric("rearm", "ns", (double)(c->t1 - c->t0) / (double)(c->watchers * c->rounds));
}

/* rtb_util.c: clocks, process CPU and RSS, percentiles, a sleep, the xorshift generator, the fd limit and the tcp_echo pattern. */
#include "rtb_util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

/* rtb_now_ns: CLOCK_MONOTONIC in ns (vDSO, no system call). */
uint64_t rtb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* rtb_thread_cpu_ns: the calling thread's CPU time in ns. */
uint64_t rtb_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* rtb_rng_seed: set the state; xorshift must never hold 0, so 0 becomes a fixed constant. */
void rtb_rng_seed(rtb_rng *rng, uint64_t seed)
{
    rng->state = seed != 0 ? seed : 0x9e3779b97f4a7c15u;
}

/* rtb_rng_next: one xorshift64* step (Vigna); plenty for jitter, nowhere near crypto. */
uint64_t rtb_rng_next(rtb_rng *rng)
{
    uint64_t x = rng->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng->state = x;
    return x * 0x2545f4914f6cdd1du;
}

/* rtb_raise_nofile: lift the soft (and, as root, the hard) descriptor limit to at least need. */
int rtb_raise_nofile(uint64_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
        rl.rlim_max = need;  /* only root may do this; setrlimit says no otherwise */
    rl.rlim_cur = need;
    return setrlimit(RLIMIT_NOFILE, &rl);
}

/* rtb_need_fds: raise the limit or say exactly why not (an unprivileged hard limit is common). */
void rtb_need_fds(uint64_t need, const char *workload)
{
    if (rtb_raise_nofile(need) == 0)
        return;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rtb_fail("%s needs %llu descriptors but the hard RLIMIT_NOFILE is %llu (raise it with "
             "ulimit -Hn, as root with CAP_SYS_RESOURCE)", workload, (unsigned long long)need,
             (unsigned long long)rl.rlim_max);
}

/*
 * The pattern is a table of PERIOD pseudo-random bytes followed by a copy of its first SPAN
 * bytes, so any window of SPAN bytes starting inside the period is contiguous. PERIOD is the
 * largest prime below 2^16: chunk boundaries of 8 KiB never line up with the period's, and a
 * connection's starting point (conn * 7919) spreads the connections across the table.
 */
#define RTB__PATTERN_PERIOD 65521u
static unsigned char rtb__pattern[RTB__PATTERN_PERIOD + RTB_PATTERN_SPAN];
static pthread_once_t rtb__pattern_once = PTHREAD_ONCE_INIT;

/* rtb__pattern_init: fill the table once (pthread_once: the Rust-like lazy init, thread-safe). */
static void rtb__pattern_init(void)
{
    rtb_rng rng;
    rtb_rng_seed(&rng, 0x5eed);
    for (size_t i = 0; i < RTB__PATTERN_PERIOD; i++)
        rtb__pattern[i] = (unsigned char)(rtb_rng_next(&rng) >> 56);
    for (size_t i = 0; i < RTB_PATTERN_SPAN; i++)
        rtb__pattern[RTB__PATTERN_PERIOD + i] = rtb__pattern[i];
}

/* rtb_pattern_at: connection conn's expected bytes from stream offset `offset` on. */
const unsigned char *rtb_pattern_at(uint64_t offset, unsigned conn)
{
    pthread_once(&rtb__pattern_once, rtb__pattern_init);
    return rtb__pattern + (offset + (uint64_t)conn * 7919u) % RTB__PATTERN_PERIOD;
}

/* rtb_process_cpu_ns: CLOCK_PROCESS_CPUTIME_ID, as the anchor's util::process_cpu_ns. */
uint64_t rtb_process_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* rtb_rss_bytes: the second field of /proc/self/statm (resident pages) times the page size. */
uint64_t rtb_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        rtb_fail_errno("open /proc/self/statm");
    unsigned long long size, resident;
    int n = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    if (n != 2)
        rtb_fail("cannot parse /proc/self/statm");
    long page = sysconf(_SC_PAGESIZE);
    return (uint64_t)resident * (uint64_t)(page > 0 ? page : 4096);
}

/* rtb__cmp_double: qsort's ascending order for doubles (no NaN here: they are latencies). */
static int rtb__cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* rtb_percentile: nearest rank, exactly the anchor's util::percentile. */
double rtb_percentile(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, rtb__cmp_double);
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

/* rtb_sleep_ms: nanosleep for the whole duration, resuming after a signal with what is left. */
void rtb_sleep_ms(uint64_t ms)
{
    struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        continue;
}

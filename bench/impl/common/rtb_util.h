/* rtb_util.h: clocks, process CPU and RSS, percentiles, a sleep, a seeded generator, fd limits and the tcp_echo byte pattern. */
#ifndef RTB_UTIL_H
#define RTB_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "rtb_cli.h"

/* CLOCK_MONOTONIC in ns: every measured interval in the C benches is a difference of two of these. */
uint64_t rtb_now_ns(void);

/* CPU time of the calling thread in ns (CLOCK_THREAD_CPUTIME_ID): work without the sleeping. */
uint64_t rtb_thread_cpu_ns(void);

/* CPU time of the whole process in ns (every thread: workers, IO threads, blocking pools). */
uint64_t rtb_process_cpu_ns(void);
/* Resident set size in bytes, from /proc/self/statm; fails the run if it cannot be read. */
uint64_t rtb_rss_bytes(void);
/* The p-th percentile (0..100) by nearest rank; sorts v in place; n > 0. */
double rtb_percentile(double *v, size_t n, double p);
/* Block the calling thread for ms milliseconds (std::thread::sleep: nanosleep, EINTR resumed). */
void rtb_sleep_ms(uint64_t ms);

/* xorshift64*: a small, fast, seeded generator, so that every runtime draws the same jitter. */
typedef struct rtb_rng {
    uint64_t state;
} rtb_rng;

/* Seed the generator; any seed works (0 is mapped to a fixed non-zero state). */
void rtb_rng_seed(rtb_rng *rng, uint64_t seed);
/* The next 64 pseudo-random bits. */
uint64_t rtb_rng_next(rtb_rng *rng);

/* Make sure this process may open `need` descriptors, raising RLIMIT_NOFILE if it must; 0 or -1. */
int rtb_raise_nofile(uint64_t need);
/* rtb_raise_nofile, or fail the run (exit 1) naming the workload, the need and the hard limit. */
void rtb_need_fds(uint64_t need, const char *workload);

/*
 * The tcp_echo payload. Connection c's byte at stream offset o is a fixed function of (o, c), so
 * the receiver checks every byte with one memcmp against the same pattern, and a byte that was
 * dropped, duplicated or reordered shows up. RTB_PATTERN_SPAN bytes are always readable from the
 * returned pointer, so a sender can write a whole buffer straight out of the pattern.
 */
#define RTB_PATTERN_SPAN 65536
/* Pointer to connection `conn`'s expected bytes starting at stream offset `offset`. */
const unsigned char *rtb_pattern_at(uint64_t offset, unsigned conn);

#endif

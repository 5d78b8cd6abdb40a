/* fault_client.h: a plain blocking client for the fault suites -- it misbehaves on purpose, from outside any runtime. */
#ifndef FAULT_CLIENT_H
#define FAULT_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The fault suites put a server inside a runtime and attack it from an ordinary thread with
 * ordinary blocking sockets, because a misbehaving peer is, in real life, some other program:
 * it does not share the runtime's scheduler, and its resets and half-closes arrive whenever
 * the kernel delivers them. Every call here returns 0 or a negative errno and never asserts:
 * Check's assertions belong to the test's own thread, so the client records what it saw and
 * the test checks it after pthread_join.
 *
 * Every socket gets SO_RCVTIMEO and SO_SNDTIMEO of FC_IO_TIMEOUT_S seconds, so a server that
 * stops answering makes the client fail with -EAGAIN instead of hanging the suite.
 */

#define FC_IO_TIMEOUT_S 60

/* fc_connect_tcp: a blocking TCP connection to 127.0.0.1:port; fd or -errno. */
int fc_connect_tcp(unsigned port);
/* fc_connect_unix: a blocking connection to the Unix stream socket at path; fd or -errno. */
int fc_connect_unix(const char *path);
/* fc_write_all: send all n bytes (MSG_NOSIGNAL: a dead peer is -EPIPE, not SIGPIPE). */
int fc_write_all(int fd, const void *buf, size_t n);
/* fc_read_exact: exactly n bytes; -ENODATA if the peer closed first, -errno on error. */
int fc_read_exact(int fd, void *buf, size_t n);
/* fc_read_to_eof: read until end-of-file into buf (at most cap bytes; more is -EMSGSIZE);
 * *got is how many arrived, also on failure. */
int fc_read_to_eof(int fd, void *buf, size_t cap, size_t *got);
/* fc_reset: close with SO_LINGER {1, 0}, which makes the kernel send RST instead of FIN. */
int fc_reset(int fd);

/* fc_pattern: byte i of a deterministic stream named by seed (both ends compute it). */
static inline unsigned char fc_pattern(uint32_t seed, uint64_t i)
{
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ ((uint64_t)seed << 32 | seed);
    x ^= x >> 29;
    return (unsigned char)(x * 0xBF58476D1CE4E5B9ull >> 56);
}

/* fc_fnv1a: FNV-1a over n bytes, continuing from h (start with FC_FNV_INIT). */
#define FC_FNV_INIT 0xcbf29ce484222325ull
static inline uint64_t fc_fnv1a(uint64_t h, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

#endif

/* demo_epoll_modes.c: lesson 05 -- what epoll reports, step by step, in level, edge and oneshot mode. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_poller.h"

/*
 * A reactor asks the kernel one question: "which of my fds can I read (or write) now without
 * blocking?" -- readiness. Linux answers through epoll, in one of three modes, and the mode
 * decides when the same readiness is reported again. This demo runs the same script against
 * three socket pairs, one per mode, and prints what each wait reports.
 */

enum { MODES = 3 };
static const rt_poll_mode modes[MODES] = { RT_MODE_LEVEL, RT_MODE_EDGE, RT_MODE_ONESHOT };

static rt_poller *pollers[MODES];
static int reader[MODES], writer[MODES];

/* die: report a failed setup call and stop; a demo with a broken setup proves nothing. */
static void die(const char *what, int err)
{
    fprintf(stderr, "demo_epoll_modes: %s: %s\n", what, strerror(err));
    exit(1);
}

/* report: one non-blocking wait per mode, printed as one row of the table. */
static void report(const char *step)
{
    printf("%-42s", step);
    for (int m = 0; m < MODES; m++) {
        rt_poll_event ev[4];
        int n = rt_poller_wait(pollers[m], ev, 4, 0);
        if (n < 0)
            die("rt_poller_wait", -n);
        const char *what = n > 0 && (ev[0].events & RT_READABLE) ? "readable" : "-";
        printf(m + 1 < MODES ? "%-11s" : "%s", what);
    }
    printf("\n");
}

/* write_all_pairs: the peer of every pair sends `n` bytes. */
static void write_all_pairs(size_t n)
{
    static const char data[64] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int m = 0; m < MODES; m++)
        if (write(writer[m], data, n) != (ssize_t)n)
            die("write", errno);
}

/* read_all_pairs: read up to `n` bytes from every pair (n = 0: until EAGAIN). */
static void read_all_pairs(size_t n)
{
    char buf[256];
    for (int m = 0; m < MODES; m++) {
        if (n > 0) {
            if (read(reader[m], buf, n) < 0)
                die("read", errno);
            continue;
        }
        while (read(reader[m], buf, sizeof buf) > 0)
            ;
        if (errno != EAGAIN)
            die("read", errno);
    }
}

/* main: set up three pairs, run the script, clean up. */
int main(void)
{
    for (int m = 0; m < MODES; m++) {
        pollers[m] = rt_poller_new(RT_POLLER_EPOLL, modes[m]);
        if (!pollers[m])
            die("rt_poller_new", errno);
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
            die("socketpair", errno);
        reader[m] = sv[0];
        writer[m] = sv[1];
        int rc = rt_poller_add(pollers[m], reader[m], RT_READABLE, (uint64_t)m);
        if (rc != 0)
            die("rt_poller_add", -rc);
    }

    // region: script
    printf("%-42s%-11s%-11s%s\n", "what happened, then a wait", "level", "edge", "oneshot");
    report("nothing written yet");
    write_all_pairs(12);
    report("peer writes 12 bytes");
    read_all_pairs(4);
    report("we read 4 of them (8 left)");
    report("wait again, nothing changed");
    write_all_pairs(12);
    report("peer writes 12 more bytes");
    for (int m = 0; m < MODES; m++)
        if (modes[m] == RT_MODE_ONESHOT)
            rt_poller_modify(pollers[m], reader[m], RT_READABLE, (uint64_t)m);
    report("oneshot re-armed with rt_poller_modify");
    read_all_pairs(0);
    report("we read everything, up to EAGAIN");
    // endregion

    for (int m = 0; m < MODES; m++) {
        rt_poller_del(pollers[m], reader[m]);
        close(reader[m]);
        close(writer[m]);
        rt_poller_free(pollers[m]);
    }
    return 0;
}

/* rtb_pingpong.h: sock_ping_pong's pairs, message state machine, check and metric for the C loops. */
#ifndef RTB_PINGPONG_H
#define RTB_PINGPONG_H

#include <stddef.h>
#include <stdint.h>

#include "rtb_cli.h"

/*
 * P AF_UNIX socketpairs, all in flight at once. End 0 of a pair (the pinger) sends a 4-byte
 * counter and waits for it to come back; end 1 (the ponger) echoes any 4 bytes it receives. After
 * R round trips the pair is finished. The pinger checks that each reply is the counter it sent,
 * so a lost or duplicated message fails the run. The figure is wall time over P * R: ns per round
 * trip with all pairs interleaved in one loop.
 *
 * How bytes get in and out is each runtime's idiom; what a message means is shared here.
 */

typedef struct rtb_pp_pair {
    int fd[2];                /* [0] pinger, [1] ponger; non-blocking */
    unsigned char buf[2][4];  /* a message could arrive in pieces; it is collected here */
    unsigned have[2];
    uint32_t next;            /* the counter the pinger expects back */
    uint64_t done;            /* completed round trips */
} rtb_pp_pair;

typedef struct rtb_pp {
    uint64_t npairs, rounds;
    rtb_pp_pair *pairs;
    uint64_t running;         /* pairs not yet finished */
} rtb_pp;

/* What an end must do after receiving bytes. */
typedef enum rtb_pp_action {
    RTB_PP_NOTHING,   /* a partial message: wait for the rest */
    RTB_PP_SEND,      /* send the 4 bytes of *reply from this end */
    RTB_PP_FINISHED   /* the pair did its last round trip */
} rtb_pp_action;

/* Read pairs= and rounds= (then rtb_params_done). */
void rtb_pp_params(rtb_pp *pp, rtb_args *args);
/* Raise the fd limit and open the socketpairs; exits 1 on failure. */
void rtb_pp_open(rtb_pp *pp);
/* Feed n received bytes to one end; says what to do next (and fails the run on a wrong counter). */
rtb_pp_action rtb_pp_take(rtb_pp *pp, uint64_t pair, unsigned end, const void *data, size_t n,
                          uint32_t *reply);
/* For plain-syscall loops: read what is there, take it, and write the reply; 1 if the pair finished. */
int rtb_pp_readable(rtb_pp *pp, uint64_t pair, unsigned end);
/* Write one whole 4-byte message with write(2); a short write fails the run. */
void rtb_pp_write(int fd, uint32_t value);
/* Check that every pair did exactly R round trips and record ns per round trip. */
void rtb_pp_report(rtb_pp *pp, uint64_t t0, uint64_t t1);
/* Close the pairs and free. */
void rtb_pp_close(rtb_pp *pp);

#endif

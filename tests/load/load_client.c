/* load_client.c: 10,000 concurrent connections to an echo server, every byte verified, then a graceful shutdown under load. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * The client is deliberately plain: one thread, one level of epoll, non-blocking sockets, no
 * runtime of ours -- so that when something goes wrong, it is the server under test.
 *
 *     load_client [-n CONNS] [-q BYTES] [-w WINDOW] [-c CHUNK] [-t SECONDS] [-p MS]
 *                 -- SERVER ARGS...
 *
 * It starts the server itself (so it can time its exit and read its stderr), with the soft
 * RLIMIT_NOFILE the client itself started with, so the server has to raise its own limit. Then:
 *
 *   1. connect: open CONNS connections (at most 256 handshakes in flight, the server's backlog
 *      is finite) and keep every one open. When all are connected, count the server's open
 *      descriptors in /proc/PID/fd: that is the "held at the same moment" figure.
 *   2. echo: every connection sends its own pseudo-random byte stream (byte k of connection i
 *      is a function of (i, k): see stream_fill) in chunks of pseudo-random size, never more
 *      than WINDOW bytes ahead of its echo, and checks each echoed byte, in order, against the
 *      stream. epoll interleaves the connections' chunks.
 *   3. shutdown: once every connection has had at least BYTES echoed (while all of them keep
 *      streaming), SIGTERM the server. Keep writing and verifying until each connection sees
 *      end-of-file, then close it. The server must exit 0, and say how many bytes it read;
 *      since it echoes only what it read and we check every echoed byte, "nothing
 *      acknowledged was lost" is: the bytes we verified == the bytes the server read. Every
 *      connection must end with the server's FIN, never a reset.
 *
 * -p MS makes us a slow reader at the worst moment: after SIGTERM we read nothing for MS
 * milliseconds, and our receive buffers are small (16 KiB). With a window larger than that,
 * the server's last echoes sit in its send queue while it shuts down -- a server that closed
 * a socket with unread input at that point would reset it and lose them.
 *
 * Exit status 0 only if all of that held; every figure is printed either way.
 */

#define MAX_CONNECTING 256

enum { C_CONNECTING, C_OPEN, C_CLOSED };

typedef struct conn {
    int fd;
    int state;
    int wr_closed;        /* the server stopped taking our bytes (after SIGTERM) */
    uint64_t seed;
    uint64_t sent;        /* stream bytes written */
    uint64_t verified;    /* stream bytes echoed back and checked */
    uint64_t rng;         /* chunk sizes */
} conn;

static struct {
    int n;
    uint64_t quota, window, chunk;
    int timeout_s;
    int pause_ms;         /* after SIGTERM, read nothing for this long */
} opt = { 10000, 16384, 4096, 1024, 120, 0 };

static conn *conns;
static int epfd;
static uint8_t iobuf[65536], expect[65536];
static uint64_t mismatches, resets, eofs, write_errors;

/* now_s: CLOCK_MONOTONIC in seconds. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* mix64: splitmix64's finaliser, a bijection that scrambles every bit. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* stream_fill: bytes [off, off+len) of the stream with this seed -- random access, so a
 * partial write or a short read needs no bookkeeping beyond an offset. */
static void stream_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint64_t word = mix64(seed + ((off + i) >> 3) * 0x9e3779b97f4a7c15ull);
        for (unsigned b = (unsigned)((off + i) & 7); b < 8 && i < len; b++, i++)
            buf[i] = (uint8_t)(word >> (b * 8));
    }
}

static pid_t server_pid = -1;
static int server_err = -1; /* the file the server's stderr goes to */

/* die: say what went wrong, show what the server said, kill it and stop. */
static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "load_client: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    if (server_pid > 0)
        kill(server_pid, SIGKILL);
    static char err[4097];
    ssize_t n = server_err >= 0 ? pread(server_err, err, sizeof err - 1, 0) : 0;
    if (n > 0) {
        err[n] = '\0';
        fprintf(stderr, "---- server stderr (first 4 KiB) ----\n%s----\n", err);
    }
    exit(1);
}

/* raise_limit: soft RLIMIT_NOFILE up to the hard limit; refuse if that is not enough. */
static rlim_t raise_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        die("getrlimit: %s", strerror(errno));
    rlim_t old = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        die("cannot raise RLIMIT_NOFILE: %s", strerror(errno));
    if (rl.rlim_max < (rlim_t)opt.n + 64) {
        char msg[160];
        snprintf(msg, sizeof msg, "%d connections need %d descriptors, but the hard limit is "
                 "%llu: raise it (ulimit -Hn, or prlimit) or use -n", opt.n, opt.n + 64,
                 (unsigned long long)rl.rlim_max);
        die("%s", msg);
    }
    return old;
}

/* start_server: fork/exec argv with stdout on a pipe and stderr in errfile; returns the port
 * from its "listening on 127.0.0.1:PORT" line. The child gets back the soft fd limit we
 * started with, so raising it is the server's own job. */
static int start_server(char **argv, rlim_t soft, int errfile)
{
    int out[2];
    if (pipe(out) != 0)
        die("pipe: %s", strerror(errno));
    server_pid = fork();
    if (server_pid < 0)
        die("fork: %s", strerror(errno));
    if (server_pid == 0) {
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = soft;
        setrlimit(RLIMIT_NOFILE, &rl);
        dup2(out[1], 1);
        dup2(errfile, 2);
        close(out[0]);
        close(out[1]);
        execv(argv[0], argv);
        fprintf(stderr, "load_client: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(out[1]);
    char line[256];
    size_t used = 0;
    while (used + 1 < sizeof line) {
        ssize_t r = read(out[0], line + used, 1);
        if (r <= 0)
            die("the server exited before saying where it listens (see its stderr)%s", "");
        used++;
        if (line[used - 1] == '\n')
            break;
    }
    line[used] = '\0';
    close(out[0]); /* it prints nothing else on stdout */
    int port = 0;
    if (sscanf(line, "listening on 127.0.0.1:%d", &port) != 1 || port <= 0)
        die("unexpected first line from the server: %s", line);
    return port;
}

/* server_fds: how many descriptors the server has open right now. */
static int server_fds(void)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)server_pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* server_exited: non-blocking check; fills *status when the child is gone. */
static int server_exited(int *status)
{
    return waitpid(server_pid, status, WNOHANG) == server_pid;
}

/* start_connect: a non-blocking connect for conns[i], registered edge-triggered. */
static void start_connect(int i, int port)
{
    conn *c = &conns[i];
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        die("socket: %s", strerror(errno));
    if (opt.pause_ms > 0) {
        /* A slow reader's small receive buffer: the echo backs up into the server's send
         * queue instead of sitting in ours (set before connect, so the window is fixed). */
        int small = 16384;
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    }
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (connect(c->fd, (struct sockaddr *)&sin, sizeof sin) != 0 && errno != EINPROGRESS)
        die("connect: %s", strerror(errno));
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = (uint32_t)i };
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        die("epoll_ctl: %s", strerror(errno));
    c->state = C_CONNECTING;
    c->seed = mix64((uint64_t)i + 1);
    c->rng = c->seed ^ 0x5555;
}

/* close_conn: done with this connection (EOF, reset, or a failed check). */
static void close_conn(conn *c)
{
    if (c->state == C_CLOSED)
        return;
    close(c->fd); /* also removes it from the epoll set */
    c->state = C_CLOSED;
}

/* pump_read: read until EAGAIN, checking every byte against the stream. */
static void pump_read(conn *c)
{
    for (;;) {
        ssize_t r = recv(c->fd, iobuf, sizeof iobuf, 0);
        if (r > 0) {
            if (c->verified + (uint64_t)r > c->sent) {
                mismatches++;
                fprintf(stderr, "load_client: connection %td got more echo than it sent\n",
                        c - conns);
                close_conn(c);
                return;
            }
            stream_fill(c->seed, c->verified, expect, (size_t)r);
            if (memcmp(iobuf, expect, (size_t)r) != 0) {
                mismatches++;
                fprintf(stderr, "load_client: connection %td: echo differs from what was sent "
                        "near stream offset %" PRIu64 "\n", c - conns, c->verified);
                close_conn(c);
                return;
            }
            c->verified += (uint64_t)r;
            continue;
        }
        if (r == 0) {
            eofs++;
            close_conn(c); /* the server's FIN: it has echoed all it will */
            return;
        }
        if (errno == EAGAIN || errno == EINTR)
            return;
        resets++;
        fprintf(stderr, "load_client: connection %td: recv: %s\n", c - conns, strerror(errno));
        close_conn(c);
        return;
    }
}

/* pump_write: send chunks while the window allows, until EAGAIN. */
static void pump_write(conn *c)
{
    while (c->state == C_OPEN && !c->wr_closed && c->sent - c->verified < opt.window) {
        c->rng = mix64(c->rng);
        uint64_t len = 1 + c->rng % opt.chunk;
        if (len > opt.window - (c->sent - c->verified))
            len = opt.window - (c->sent - c->verified);
        stream_fill(c->seed, c->sent, iobuf, (size_t)len);
        ssize_t w = send(c->fd, iobuf, (size_t)len, MSG_NOSIGNAL);
        if (w > 0) {
            c->sent += (uint64_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        /* EPIPE/ECONNRESET: the server shut our direction; the reads will tell the rest. */
        write_errors++;
        c->wr_closed = 1;
        return;
    }
}

/* on_event: one epoll event for conns[i]. */
static int connected;
static int on_event(int i, uint32_t events)
{
    conn *c = &conns[i];
    if (c->state == C_CLOSED)
        return 0;
    if (c->state == C_CONNECTING) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return 0;
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0)
            die("connect failed: %s", strerror(err));
        c->state = C_OPEN;
        connected++;
        return 1;
    }
    pump_read(c);
    pump_write(c);
    return 0;
}

/* usage: what the options mean. */
static void usage(void)
{
    fprintf(stderr, "usage: load_client [-n CONNS] [-q BYTES] [-w WINDOW] [-c CHUNK] "
                    "[-t SECONDS] [-p MS] -- SERVER [ARGS...]\n"
                    "  -n connections held at once (10000); -q bytes each must echo before\n"
                    "  SIGTERM (16384); -w bytes in flight per connection (4096); -c largest\n"
                    "  write (1024); -t give up after this many seconds (120); -p after SIGTERM,\n"
                    "  read nothing for MS milliseconds (0)\n");
    exit(2);
}

/* main: parse, start the server, run the three phases, print the figures, judge. */
int main(int argc, char **argv)
{
    int a = 1;
    for (; a < argc && strcmp(argv[a], "--") != 0; a += 2) {
        if (a + 1 >= argc)
            usage();
        long long v = atoll(argv[a + 1]);
        if (v <= 0)
            usage();
        if (strcmp(argv[a], "-n") == 0)
            opt.n = (int)v;
        else if (strcmp(argv[a], "-q") == 0)
            opt.quota = (uint64_t)v;
        else if (strcmp(argv[a], "-w") == 0)
            opt.window = (uint64_t)v;
        else if (strcmp(argv[a], "-c") == 0)
            opt.chunk = (uint64_t)v;
        else if (strcmp(argv[a], "-t") == 0)
            opt.timeout_s = (int)v;
        else if (strcmp(argv[a], "-p") == 0)
            opt.pause_ms = (int)v;
        else
            usage();
    }
    if (a + 1 >= argc || opt.chunk > sizeof iobuf || opt.window < opt.chunk)
        usage();
    char **server_argv = argv + a + 1;

    rlim_t soft = raise_limit();
    char errpath[] = "/tmp/load_client_stderr_XXXXXX";
    int errfile = mkstemp(errpath);
    if (errfile < 0)
        die("mkstemp: %s", strerror(errno));
    server_err = errfile;
    unlink(errpath);
    conns = calloc((size_t)opt.n, sizeof *conns);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || epfd < 0)
        die("out of memory or epoll: %s", strerror(errno));

    double t0 = now_s(), deadline = t0 + opt.timeout_s;
    int port = start_server(server_argv, soft, errfile);
    printf("load: server %s (pid %d) on port %d; %d connections, %" PRIu64 " bytes each before "
           "SIGTERM, window %" PRIu64 ", chunks 1..%" PRIu64 "\n", server_argv[0],
           (int)server_pid, port, opt.n, opt.quota, opt.window, opt.chunk);
    fflush(stdout);

    static struct epoll_event evs[1024];
    int status = 0, exited = 0;

    /* 1. connect, MAX_CONNECTING handshakes at a time; nothing is sent yet. */
    int started = 0;
    while (connected < opt.n) {
        while (started < opt.n && started - connected < MAX_CONNECTING)
            start_connect(started++, port);
        int k = epoll_wait(epfd, evs, 1024, 100);
        for (int e = 0; e < k; e++)
            on_event((int)evs[e].data.u32, evs[e].events);
        if (server_exited(&status))
            die("the server died while we were connecting%s", "");
        if (now_s() > deadline)
            die("timed out while connecting%s", "");
    }
    double t_conn = now_s();
    /* Every connection is open at this instant, and none will close before SIGTERM. Wait for
     * the server's descriptor count to show it has accepted them all. */
    int held = server_fds();
    while (held < opt.n && now_s() < deadline) {
        struct timespec ts = { 0, 20000000 };
        nanosleep(&ts, NULL);
        held = server_fds();
    }
    printf("load: %d connections open at once (client side) after %.2f s; the server holds %d "
           "descriptors (its soft limit was %llu when it started)\n", connected, t_conn - t0,
           held, (unsigned long long)soft);
    fflush(stdout);
    if (held < opt.n)
        die("the server never held all the connections at once%s", "");

    /* 2. echo: kick every connection once (edge-triggered: the EPOLLOUT edge is long gone). */
    for (int i = 0; i < opt.n; i++)
        pump_write(&conns[i]);
    int below_quota = opt.n;
    while (below_quota > 0) {
        int k = epoll_wait(epfd, evs, 1024, 100);
        for (int e = 0; e < k; e++)
            on_event((int)evs[e].data.u32, evs[e].events);
        below_quota = 0;
        for (int i = 0; i < opt.n; i++)
            if (conns[i].verified < opt.quota)
                below_quota++;
        if (mismatches || resets || eofs)
            die("a connection failed before the shutdown (see above)%s", "");
        if (server_exited(&status))
            die("the server died under load%s", "");
        if (now_s() > deadline)
            die("timed out in the echo phase%s", "");
    }
    double t_echo = now_s();
    uint64_t verified_before = 0, in_flight = 0;
    int busy = 0;
    for (int i = 0; i < opt.n; i++) {
        verified_before += conns[i].verified;
        in_flight += conns[i].sent - conns[i].verified;
        busy += conns[i].sent > conns[i].verified;
    }
    printf("load: every connection echoed >= %" PRIu64 " bytes: %" PRIu64 " bytes verified in "
           "%.2f s (%.1f MB/s each way)\n", opt.quota, verified_before, t_echo - t_conn,
           (double)verified_before / 1e6 / (t_echo - t_conn));

    /* 3. SIGTERM with every connection still streaming; keep going until each sees EOF. */
    kill(server_pid, SIGTERM);
    printf("load: SIGTERM sent; %d of %d connections had bytes in flight (%" PRIu64 " bytes)\n",
           busy, opt.n, in_flight);
    fflush(stdout);
    int open_conns = opt.n;
    double t_exit = 0;
    if (opt.pause_ms > 0) {
        struct timespec ts = { opt.pause_ms / 1000, (long)(opt.pause_ms % 1000) * 1000000 };
        nanosleep(&ts, NULL);
        for (int i = 0; i < opt.n; i++) /* edge-triggered: the edges came while we slept */
            on_event(i, EPOLLIN | EPOLLOUT);
    }
    while ((open_conns > 0 || !exited) && now_s() < deadline) {
        int k = epoll_wait(epfd, evs, 1024, 20);
        for (int e = 0; e < k; e++)
            on_event((int)evs[e].data.u32, evs[e].events);
        if (!exited && server_exited(&status)) {
            exited = 1;
            t_exit = now_s();
        }
        open_conns = 0;
        for (int i = 0; i < opt.n; i++)
            open_conns += conns[i].state != C_CLOSED;
    }
    double t_end = now_s();

    uint64_t sent = 0, verified = 0;
    for (int i = 0; i < opt.n; i++) {
        sent += conns[i].sent;
        verified += conns[i].verified;
    }
    /* The server's own account, from its stderr. */
    static char err[1 << 20];
    ssize_t elen = pread(errfile, err, sizeof err - 1, 0);
    err[elen > 0 ? elen : 0] = '\0';
    unsigned long long srv_read = 0, srv_echoed = 0;
    const char *d = strstr(err, "drained: ");
    int have_account = d && sscanf(d, "drained: %llu bytes read, %llu echoed", &srv_read,
                                   &srv_echoed) == 2;

    printf("load: after SIGTERM: %" PRIu64 " connections ended with EOF, %" PRIu64 " with a "
           "reset, %d never ended; %" PRIu64 " writes refused\n", eofs, resets, open_conns,
           write_errors);
    if (exited)
        printf("load: server exited %s %d, %.2f s after SIGTERM\n",
               WIFEXITED(status) ? "with status" : "by signal",
               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), t_exit - t_echo);
    printf("load: bytes sent %" PRIu64 ", echoed and verified %" PRIu64 " (byte for byte, in "
           "order); the server read %llu and echoed %llu\n", sent, verified, srv_read,
           srv_echoed);
    printf("load: total time %.2f s\n", t_end - t0);

    int ok = 1;
    if (!exited) {
        fprintf(stderr, "load_client: FAIL: the server did not exit within the time limit\n");
        kill(server_pid, SIGKILL);
        waitpid(server_pid, &status, 0);
        ok = 0;
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "load_client: FAIL: the server did not exit 0\n");
        ok = 0;
    }
    if (mismatches) {
        fprintf(stderr, "load_client: FAIL: %" PRIu64 " connection(s) got wrong bytes\n",
                mismatches);
        ok = 0;
    }
    if (resets) {
        /* A drained connection ends with the server's FIN; a reset can throw away echo. */
        fprintf(stderr, "load_client: FAIL: %" PRIu64 " connection(s) were reset\n", resets);
        ok = 0;
    }
    if (open_conns) {
        fprintf(stderr, "load_client: FAIL: %d connection(s) never saw EOF\n", open_conns);
        ok = 0;
    }
    if (!have_account) {
        fprintf(stderr, "load_client: FAIL: the server did not report 'drained: ...'\n");
        ok = 0;
    } else if (srv_read != verified || srv_echoed != verified) {
        fprintf(stderr, "load_client: FAIL: acknowledged data lost: the server read %llu "
                "bytes, we got %" PRIu64 " back\n", srv_read, verified);
        ok = 0;
    }
    if (!ok || getenv("LOAD_SHOW_SERVER_STDERR"))
        fprintf(stderr, "---- server stderr (first 4 KiB) ----\n%.4096s----\n", err);
    printf("load: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}

/* as_net_connect.c: the connect future -- resolve on the blocking pool, then a non-blocking connect per address. */
#include "as_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "as_internal.h"
#include "rt_alloc.h"

/*
 * async-std's TcpStream::connect(addr) resolves the name with a blocking getaddrinfo on the
 * blocking pool (a name lookup can take seconds; a worker thread must never wait for it), and
 * then tries each address in turn until one connects. This future is that, as a state machine:
 *
 *   START    numeric address? go straight to TRY; a Unix path too; else submit the lookup
 *   RESOLVE  await the lookup (as_spawn_blocking's future, stored inline)
 *   NEXT     take the next resolved address, or give up with the last error
 *   TRY      socket + connect(2): done at once (loopback often is), EINPROGRESS -> WAIT,
 *            EAGAIN on a Unix socket (its listener's backlog is full) -> BACKOFF, else NEXT
 *   WAIT     until the socket is writable; SO_ERROR then says whether it connected
 *   BACKOFF  a short sleep (1, 2, 4 ... 64 ms), then TRY again
 *   DONE
 *
 * Once DONE with err == 0 the stream is the caller's; every other path closes what it opened.
 */

enum {
    AS__C_START,
    AS__C_RESOLVE,
    AS__C_NEXT,
    AS__C_TRY,
    AS__C_WAIT,
    AS__C_BACKOFF,
    AS__C_DONE,
};

/* What the lookup job gets and gives back (both on the heap: the job outlives nothing). */
typedef struct as__lookup_req {
    char host[256];
    char port[8];
} as__lookup_req;

typedef struct as__lookup_res {
    struct addrinfo *list;
    int gai_err;
    int sys_err;
} as__lookup_res;

/* as__lookup_run: getaddrinfo on a blocking-pool thread. */
static void *as__lookup_run(void *arg)
{
    as__lookup_req *req = arg;
    as__lookup_res *res = rt_calloc(1, sizeof *res);
    if (res == NULL)
        return NULL;
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    res->gai_err = getaddrinfo(req->host, req->port, &hints, &res->list);
    res->sys_err = errno;
    return res;
}

/* as__lookup_free_req: free_arg for the job. */
static void as__lookup_free_req(void *arg)
{
    rt_free(arg);
}

/* as__lookup_free_res: free_result for the job, and our own cleanup. */
static void as__lookup_free_res(void *arg)
{
    as__lookup_res *res = arg;
    if (res == NULL)
        return;
    if (res->list != NULL)
        freeaddrinfo(res->list);
    rt_free(res);
}

/* as__gai_errno: a lookup failure as an errno. */
static int as__gai_errno(const as__lookup_res *res)
{
    switch (res->gai_err) {
    case EAI_MEMORY:
        return -ENOMEM;
    case EAI_SYSTEM:
        return res->sys_err ? -res->sys_err : -EIO;
    case EAI_SERVICE:
    case EAI_BADFLAGS:
        return -EINVAL;
    default:
        return -EHOSTUNREACH; /* EAI_NONAME, EAI_AGAIN, EAI_FAIL, EAI_NODATA: no address */
    }
}

/* as__connect_finish: release everything but a successful stream, record the outcome. */
static rt_poll as__connect_finish(as_connect_fut *c, int err)
{
    if (c->state == AS__C_WAIT)
        as__io_op_end(&c->op);
    if (err != 0 && c->stream != NULL) {
        as_io_close(c->stream);
        c->stream = NULL;
    }
    as__lookup_free_res(c->resolved);
    c->resolved = NULL;
    c->next = NULL;
    c->err = err;
    c->state = AS__C_DONE;
    return RT_READY;
}

/* as__connect_fail_one: this address failed; try the next resolved one, if any. */
static void as__connect_fail_one(as_connect_fut *c, int err)
{
    if (c->state == AS__C_WAIT)
        as__io_op_end(&c->op);
    if (c->stream != NULL) {
        as_io_close(c->stream);
        c->stream = NULL;
    }
    c->err = err;
    c->state = c->resolved != NULL ? AS__C_NEXT : AS__C_DONE;
}

/* as__connect_start: pick the first step. */
static void as__connect_start(as_connect_fut *c)
{
    if (c->err != 0) {
        c->state = AS__C_DONE; /* the constructor already found the input bad */
        return;
    }
    if (c->addr_len > 0) {
        c->state = AS__C_TRY;
        return;
    }
    struct sockaddr_in *sin = (struct sockaddr_in *)&c->addr;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&c->addr;
    int port = 0;
    sscanf(c->port, "%d", &port);
    memset(&c->addr, 0, sizeof c->addr);
    if (inet_pton(AF_INET, c->host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        c->addr_len = sizeof *sin;
        c->state = AS__C_TRY;
    } else if (inet_pton(AF_INET6, c->host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        c->addr_len = sizeof *sin6;
        c->state = AS__C_TRY;
    } else {
        as__lookup_req *req = rt_malloc(sizeof *req);
        if (req == NULL) {
            c->err = -ENOMEM;
            c->state = AS__C_DONE;
            return;
        }
        memcpy(req->host, c->host, sizeof req->host);
        memcpy(req->port, c->port, sizeof req->port);
        c->resolve = as__spawn_blocking_full(as__lookup_run, req, as__lookup_free_req,
                                             as__lookup_free_res);
        c->state = AS__C_RESOLVE;
    }
}

/* as__connect_try: a socket and a connect(2) for c->addr. */
static void as__connect_try(as_connect_fut *c)
{
    int err = as__socket_open(c->addr.ss_family, SOCK_STREAM, &c->stream);
    if (err != 0) {
        c->stream = NULL;
        as__connect_fail_one(c, err);
        return;
    }
    if (connect(c->stream->fd, (struct sockaddr *)&c->addr, c->addr_len) == 0) {
        c->state = AS__C_DONE;
        c->err = 0;
        return;
    }
    int e = errno;
    if (e == EINPROGRESS || (e == EINTR && c->family_hint != AF_UNIX)) {
        c->op = as__io_op_init(c->stream);
        c->state = AS__C_WAIT;
    } else if (e == EAGAIN && c->family_hint == AF_UNIX) {
        as_io_close(c->stream);
        c->stream = NULL;
        c->backoff = as_sleep(c->backoff_ms);
        c->backoff_ms = c->backoff_ms < 64 ? c->backoff_ms * 2 : 64;
        c->state = AS__C_BACKOFF;
    } else {
        as__connect_fail_one(c, -e);
    }
}

/* as__connect_wait: the socket became writable (or we were polled early): connected, failed,
 * or still in progress. */
static rt_poll as__connect_wait(as_connect_fut *c, rt_context *cx)
{
    int err = as__io_op_begin(&c->op);
    if (err == 0) {
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (getsockopt(c->stream->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
            soerr = errno;
        if (soerr != 0) {
            err = -soerr;
        } else {
            struct sockaddr_storage peer;
            socklen_t plen = sizeof peer;
            if (getpeername(c->stream->fd, (struct sockaddr *)&peer, &plen) == 0) {
                as__io_op_end(&c->op);
                c->state = AS__C_DONE;
                c->err = 0;
                return RT_READY;
            }
            if (errno != ENOTCONN)
                err = -errno;
            else if ((err = as__io_op_wait(&c->op, AS__DIR_WRITE, cx)) == 0)
                return RT_PENDING;
        }
    }
    as__connect_fail_one(c, err);
    return RT_READY; /* not final: the caller's loop looks at the new state */
}

/* as__connect_poll: run the state machine until it waits or is done. */
static rt_poll as__connect_poll(rt_future *f, rt_context *cx)
{
    as_connect_fut *c = (as_connect_fut *)f;
    for (;;) {
        switch (c->state) {
        case AS__C_START:
            as__connect_start(c);
            break;
        case AS__C_RESOLVE: {
            if (rt_future_poll(&c->resolve.base, cx) == RT_PENDING)
                return RT_PENDING;
            as__lookup_res *res = c->resolve.result;
            if (c->resolve.err != 0 || res == NULL) {
                as__lookup_free_res(res);
                return as__connect_finish(c, c->resolve.err ? c->resolve.err : -ENOMEM);
            }
            if (res->gai_err != 0) {
                int err = as__gai_errno(res);
                as__lookup_free_res(res);
                return as__connect_finish(c, err);
            }
            c->resolved = res;
            c->next = res->list;
            c->err = -EHOSTUNREACH; /* what we report if the list turns out empty */
            c->state = AS__C_NEXT;
            break;
        }
        case AS__C_NEXT: {
            struct addrinfo *ai = c->next;
            if (ai == NULL)
                return as__connect_finish(c, c->err);
            c->next = ai->ai_next;
            if (ai->ai_addrlen > sizeof c->addr)
                break;
            memcpy(&c->addr, ai->ai_addr, ai->ai_addrlen);
            c->addr_len = ai->ai_addrlen;
            c->state = AS__C_TRY;
            break;
        }
        case AS__C_TRY:
            as__connect_try(c);
            break;
        case AS__C_WAIT:
            if (as__connect_wait(c, cx) == RT_PENDING)
                return RT_PENDING;
            break;
        case AS__C_BACKOFF:
            if (rt_future_poll(&c->backoff.base, cx) == RT_PENDING)
                return RT_PENDING;
            c->state = AS__C_TRY;
            break;
        default: /* AS__C_DONE */
            if (c->resolved != NULL || (c->err != 0 && c->stream != NULL))
                return as__connect_finish(c, c->err);
            return RT_READY;
        }
    }
}

/* as__connect_drop: whatever the state, release what it holds; a connected stream that was
 * delivered (DONE, err 0) is the caller's. */
static void as__connect_drop(rt_future *f)
{
    as_connect_fut *c = (as_connect_fut *)f;
    switch (c->state) {
    case AS__C_RESOLVE:
        rt_future_drop(&c->resolve.base);
        break;
    case AS__C_BACKOFF:
        rt_future_drop(&c->backoff.base);
        break;
    case AS__C_DONE:
        return;
    default:
        break;
    }
    as__connect_finish(c, c->err ? c->err : -ECANCELED);
}

static const rt_future_vtable as__connect_vtable = {
    .poll = as__connect_poll,
    .drop = as__connect_drop,
    .name = "as_connect",
};

/* as__connect_new: an unstarted connect future. */
static as_connect_fut as__connect_new(void)
{
    as_connect_fut c;
    memset(&c, 0, sizeof c);
    c.base.vtable = &as__connect_vtable;
    c.state = AS__C_START;
    c.backoff_ms = 1;
    return c;
}

/* as_tcp_connect: "host:port"; the input is checked now, the error reported at the first poll. */
as_connect_fut as_tcp_connect(const char *addr)
{
    as_connect_fut c = as__connect_new();
    int port, bracketed;
    if (as__addr_split(addr, c.host, sizeof c.host, &port, &bracketed) != 0)
        c.err = -EINVAL;
    else
        snprintf(c.port, sizeof c.port, "%d", port);
    return c;
}

/* as_tcp_connect_addr: a sockaddr the caller already has. */
as_connect_fut as_tcp_connect_addr(const struct sockaddr *sa, socklen_t len)
{
    as_connect_fut c = as__connect_new();
    if (sa == NULL || len == 0 || len > sizeof c.addr ||
        (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
        c.err = -EINVAL;
    else {
        memcpy(&c.addr, sa, len);
        c.addr_len = len;
    }
    return c;
}

/* as_unix_connect: a path in the file system (a leading '@' means Linux's abstract namespace). */
as_connect_fut as_unix_connect(const char *path)
{
    as_connect_fut c = as__connect_new();
    c.family_hint = AF_UNIX;
    struct sockaddr_un *sun = (struct sockaddr_un *)&c.addr;
    size_t n = path ? strlen(path) : 0;
    if (n == 0) {
        c.err = -EINVAL;
    } else if (n >= sizeof sun->sun_path) {
        c.err = -ENAMETOOLONG;
    } else {
        sun->sun_family = AF_UNIX;
        memcpy(sun->sun_path, path, n);
        if (path[0] == '@')
            sun->sun_path[0] = '\0';
        c.addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] != '@'));
    }
    return c;
}

/* rt_panic.c: panics as longjmp to the innermost catch frame, or Rust's message and exit 101. */
#include "rt_panic.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* One stack of catch frames per thread: frames nest when a task's poll polls other futures. */
static _Thread_local rt_panic_frame *rt__innermost;

/* rt_panic_push: link the frame on top of this thread's stack. */
void rt_panic_push(rt_panic_frame *frame)
{
    frame->prev = rt__innermost;
    frame->file = NULL;
    frame->line = 0;
    frame->message[0] = '\0';
    rt__innermost = frame;
}

/* rt_panic_pop: unlink the frame; popping out of order is a bug in an executor, so say so. */
void rt_panic_pop(rt_panic_frame *frame)
{
    if (rt__innermost != frame) {
        fprintf(stderr, "rt_panic_pop: catch frames popped out of order\n");
        abort();
    }
    rt__innermost = frame->prev;
}

/* rt_panic_is_caught: a frame exists on this thread. */
int rt_panic_is_caught(void)
{
    return rt__innermost != NULL;
}

/* rt_thread_name: Rust calls the main thread "main"; other threads go by their pthread name. */
void rt_thread_name(char *buf, unsigned len)
{
    if (len == 0)
        return;
    if (syscall(SYS_gettid) == getpid()) {
        snprintf(buf, len, "main");
        return;
    }
    if (pthread_getname_np(pthread_self(), buf, len) != 0 || buf[0] == '\0')
        snprintf(buf, len, "<unnamed>");
}

/* rt__panic_at: format the message, then unwind to the innermost frame or end the process. */
_Noreturn void rt__panic_at(const char *file, int line, const char *fmt, ...)
{
    rt_panic_frame *frame = rt__innermost;
    char message[RT_PANIC_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);

    if (frame) {
        /* Pop before jumping: the catch site then runs with the frame already gone, so a
         * second panic while it cleans up goes to the next frame out, never back here. */
        rt__innermost = frame->prev;
        frame->file = file;
        frame->line = line;
        memcpy(frame->message, message, sizeof message);
        longjmp(frame->env, 1);
    }

    char name[64];
    rt_thread_name(name, sizeof name);
    /* Flush what the program printed so far, so the transcript reads in order, then leave
     * without running atexit handlers: other threads may still be running, and a runtime's
     * orderly shutdown is not owed to a process that is failing. */
    fflush(stdout);
    fprintf(stderr, "thread '%s' panicked at %s:%d:\n%s\n", name, file, line, message);
    fflush(stderr);
    _exit(101);
}

/* rb_plan.c: expanding the table into the invocation's cases, and reading a case's parameters. */
#include "rb_plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_alloc.h"

/* rb_plan_nvariants: the NULL-terminated list's length. */
int rb_plan_nvariants(const rb_workload *w, rb_size size)
{
    int n = 0;
    while (n < RB_MAX_VARIANTS && w->sizes[size][n] != NULL)
        n++;
    return n;
}

/* rb_plan_build: count first, then fill, so a failed allocation leaves nothing behind. */
int rb_plan_build(rb_plan *p, const unsigned char *want_w, const unsigned char *want_rt,
                  rb_size size, int reps, int warmup)
{
    size_t n = 0;
    for (size_t i = 0; i < rb_nworkloads; i++) {
        if (want_w && !want_w[i])
            continue;
        for (size_t r = 0; r < rb_nruntimes; r++)
            if (!want_rt || want_rt[r])
                n += (size_t)rb_plan_nvariants(&rb_workloads[i], size);
    }
    p->cases = n ? rt_calloc(n, sizeof *p->cases) : NULL;
    if (n && p->cases == NULL)
        return -ENOMEM;
    p->ncases = 0;
    p->size = size;
    p->reps = reps;
    p->warmup = warmup;
    for (size_t i = 0; i < rb_nworkloads; i++) {
        const rb_workload *w = &rb_workloads[i];
        if (want_w && !want_w[i])
            continue;
        for (int v = 0; v < rb_plan_nvariants(w, size); v++)
            for (size_t r = 0; r < rb_nruntimes; r++) {
                if (want_rt && !want_rt[r])
                    continue;
                rb_case *c = &p->cases[p->ncases++];
                c->w = w;
                c->rt = &rb_runtimes[r];
                c->variant = v;
                c->params = w->sizes[size][v];
            }
    }
    return 0;
}

/* rb_plan_free: the cases point into the static tables, so only the array is ours. */
void rb_plan_free(rb_plan *p)
{
    rt_free(p->cases);
    p->cases = NULL;
    p->ncases = 0;
}

/* rb__token_value: in "k1=v1 k2=v2", the text of key's value (up to a space), or NULL. */
static const char *rb__token_value(const char *params, const char *key, size_t *len)
{
    size_t klen = strlen(key);
    const char *s = params;
    while (*s) {
        while (*s == ' ')
            s++;
        const char *end = strchr(s, ' ');
        if (end == NULL)
            end = s + strlen(s);
        if ((size_t)(end - s) > klen && strncmp(s, key, klen) == 0 && s[klen] == '=') {
            *len = (size_t)(end - s) - klen - 1;
            return s + klen + 1;
        }
        s = end;
    }
    return NULL;
}

/* rb_plan_param: strtod on the value; the table's values are all plain decimals. */
double rb_plan_param(const char *params, const char *key)
{
    size_t len;
    const char *v = rb__token_value(params, key, &len);
    if (v == NULL || len == 0 || len > 30)
        return -1;
    char tmp[32];
    memcpy(tmp, v, len);
    tmp[len] = '\0';
    return strtod(tmp, NULL);
}

/* rb__varies: does `key` take a different value in some other variant of this size? */
static int rb__varies(const rb_workload *w, rb_size size, int variant, const char *key)
{
    size_t mine_len;
    const char *mine = rb__token_value(w->sizes[size][variant], key, &mine_len);
    for (int v = 0; v < rb_plan_nvariants(w, size); v++) {
        size_t len;
        const char *other = rb__token_value(w->sizes[size][v], key, &len);
        if (other == NULL || len != mine_len || strncmp(other, mine, len) != 0)
            return 1;
    }
    return 0;
}

/* rb_plan_label: walk this variant's tokens and keep those whose key varies. */
void rb_plan_label(const rb_workload *w, rb_size size, int variant, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    const char *s = w->sizes[size][variant];
    while (*s) {
        while (*s == ' ')
            s++;
        const char *end = strchr(s, ' ');
        if (end == NULL)
            end = s + strlen(s);
        const char *eq = memchr(s, '=', (size_t)(end - s));
        if (eq != NULL && eq > s) {
            char key[64];
            size_t klen = (size_t)(eq - s) < sizeof key - 1 ? (size_t)(eq - s) : sizeof key - 1;
            memcpy(key, s, klen);
            key[klen] = '\0';
            if (rb__varies(w, size, variant, key)) {
                int k = snprintf(out + used, n - used, "%s%.*s", used ? " " : "",
                                 (int)(end - s), s);
                if (k < 0 || (size_t)k >= n - used)
                    return;
                used += (size_t)k;
            }
        }
        s = end;
    }
}

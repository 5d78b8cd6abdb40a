/* rb_machine.c: probing the machine, the libraries and the crates behind a set of results. */
#include "rb_machine.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "rb_buf.h"
#include "rb_proc.h"

/* rb_machine_set: replace in place if the key exists, so a fact can be corrected later. */
void rb_machine_set(rb_machine *m, const char *key, const char *value)
{
    int i = 0;
    while (i < m->n && strcmp(m->facts[i].key, key) != 0)
        i++;
    if (i == m->n) {
        if (m->n == RB_MACHINE_MAX)
            return;
        m->n++;
    }
    snprintf(m->facts[i].key, sizeof m->facts[i].key, "%s", key);
    snprintf(m->facts[i].value, sizeof m->facts[i].value, "%s", value);
}

/* rb_machine_get: a scan over at most RB_MACHINE_MAX facts. */
const char *rb_machine_get(const rb_machine *m, const char *key)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->facts[i].key, key) == 0)
            return m->facts[i].value;
    return "unknown";
}

/* rb__file_field: the value after "key:" on the first matching line of a /proc-style file. */
static int rb__file_field(const char *path, const char *key, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    char line[512];
    size_t klen = strlen(key);
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0)
            continue;
        char *v = line + klen;
        while (*v == ' ' || *v == '\t' || *v == ':' || *v == '=' || *v == '"')
            v++;
        v[strcspn(v, "\"\n")] = '\0';
        snprintf(out, n, "%s", v);
        fclose(f);
        return 0;
    }
    fclose(f);
    return -1;
}

/* rb__cmd: a version probe's first line, or "unknown (<tool> failed)". */
static void rb__cmd(rb_machine *m, const char *key, char *const argv[])
{
    char out[200], msg[200];
    if (rb_proc_capture_line(argv, 10.0, out, sizeof out) == 0 && out[0] != '\0') {
        rb_machine_set(m, key, out);
        return;
    }
    snprintf(msg, sizeof msg, "unknown (%s did not answer)", argv[0]);
    rb_machine_set(m, key, msg);
}

/* rb_machine_lock_version: Cargo.lock lists `name = "x"` then `version = "y"` per package. */
int rb_machine_lock_version(const char *lock_text, const char *name, char *out, size_t n)
{
    char needle[96];
    snprintf(needle, sizeof needle, "\nname = \"%s\"\n", name);
    const char *hit = strstr(lock_text, needle);
    if (hit == NULL)
        return -1;
    const char *v = strstr(hit + strlen(needle), "version = \"");
    if (v == NULL || v - hit > 200)
        return -1;
    v += strlen("version = \"");
    snprintf(out, n, "%.*s", (int)strcspn(v, "\""), v);
    return 0;
}

/* rb__crate: the anchors' Cargo.lock is what was built; Debian's registry is the fallback. */
static void rb__crate(rb_machine *m, const rb_env *e, const char *name)
{
    char path[PATH_MAX + 64], version[64], value[200];
    snprintf(path, sizeof path, "%s/bench/anchors/rust/Cargo.lock", e->root);
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        rb_buf text;
        char chunk[4096];
        size_t got;
        rb_buf_init(&text);
        rb_buf_append(&text, "\n", 1);
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            rb_buf_append(&text, chunk, got);
        fclose(f);
        int rc = rb_machine_lock_version(rb_buf_str(&text), name, version, sizeof version);
        rb_buf_free(&text);
        if (rc == 0) {
            snprintf(value, sizeof value, "%s (bench/anchors/rust/Cargo.lock)", version);
            rb_machine_set(m, name, value);
            return;
        }
    }
    DIR *d = opendir("/usr/share/cargo/registry");
    struct dirent *ent;
    size_t len = strlen(name);
    while (d && (ent = readdir(d)) != NULL) {
        if (strncmp(ent->d_name, name, len) == 0 && ent->d_name[len] == '-' &&
            ent->d_name[len + 1] >= '0' && ent->d_name[len + 1] <= '9') {
            snprintf(value, sizeof value, "%s (/usr/share/cargo/registry)", ent->d_name + len + 1);
            rb_machine_set(m, name, value);
            closedir(d);
            return;
        }
    }
    if (d)
        closedir(d);
    rb_machine_set(m, name, "not installed");
}

/* rb__basics: date, CPU, cores, memory, kernel, OS, the compiler and the fd limit. */
static void rb__basics(rb_machine *m, const rb_env *e)
{
    char v[200], tmp[160];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(v, sizeof v, "%Y-%m-%d %H:%M:%S %z", &tm);
    rb_machine_set(m, "date", v);
    rb_machine_set(m, "cpu", rb__file_field("/proc/cpuinfo", "model name", tmp, sizeof tmp) == 0
                                 ? tmp : "unknown (/proc/cpuinfo has no model name)");
    snprintf(v, sizeof v, "%ld online (multi-threaded runtimes ran with --workers %d)",
             sysconf(_SC_NPROCESSORS_ONLN), e->workers);
    rb_machine_set(m, "cores", v);
    if (rb__file_field("/proc/meminfo", "MemTotal", tmp, sizeof tmp) == 0)
        rb_machine_set(m, "memory", tmp);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(v, sizeof v, "%s %s %s", u.sysname, u.release, u.machine);
        rb_machine_set(m, "kernel", v);
    }
    if (rb__file_field("/etc/os-release", "PRETTY_NAME", tmp, sizeof tmp) == 0)
        rb_machine_set(m, "os", tmp);
#if defined(__clang__)
    rb_machine_set(m, "compiler",
                   "clang " __clang_version__ " (built rtbench and the rtb-* executables)");
#elif defined(__GNUC__)
    rb_machine_set(m, "compiler", "gcc " __VERSION__ " (built rtbench and the rtb-* executables)");
#else
    rb_machine_set(m, "compiler", "unknown");
#endif
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        snprintf(v, sizeof v, "soft %llu, hard %llu", (unsigned long long)rl.rlim_cur,
                 (unsigned long long)rl.rlim_max);
        rb_machine_set(m, "RLIMIT_NOFILE", v);
    }
}

/* rb_machine_probe: basics, then each library and tool the way its packaging tells a version. */
void rb_machine_probe(rb_machine *m, const rb_env *e)
{
    m->n = 0;
    rb__basics(m, e);
    char *pc_uv[] = { "pkg-config", "--modversion", "libuv", NULL };
    char *pc_event[] = { "pkg-config", "--modversion", "libevent", NULL };
    char *pc_uring[] = { "pkg-config", "--modversion", "liburing", NULL };
    char *dpkg_ev[] = { "dpkg-query", "-W", "-f=${Version}\\n", "libev-dev", NULL };
    char *dpkg_wrk[] = { "dpkg-query", "-W", "-f=${Version}\\n", "wrk", NULL };
    char *cargo[] = { "cargo", "--version", NULL };
    char *rustc[] = { "rustc", "--version", NULL };
    char *gnuplot[] = { "gnuplot", "--version", NULL };
    rb__cmd(m, "libuv", pc_uv);
    rb__cmd(m, "libevent", pc_event);
    rb__cmd(m, "liburing", pc_uring);
    rb__cmd(m, "libev", dpkg_ev);
    rb__crate(m, e, "tokio");
    rb__crate(m, e, "async-std");
    if (e->have_cargo) {
        rb__cmd(m, "cargo", cargo);
        rb__cmd(m, "rustc", rustc);
    } else {
        rb_machine_set(m, "cargo", "not found");
    }
    rb__cmd(m, "wrk", dpkg_wrk);
    rb__cmd(m, "gnuplot", gnuplot);
}

/* rb_machine_write: the facts as "key: value" lines. */
int rb_machine_write(FILE *f, const rb_machine *m)
{
    for (int i = 0; i < m->n; i++)
        fprintf(f, "%s: %s\n", m->facts[i].key, m->facts[i].value);
    return ferror(f) ? -1 : 0;
}

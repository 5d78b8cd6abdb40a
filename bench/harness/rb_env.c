/* rb_env.c: locating the tree, the rtb-* executables and the external tools (wrk, cargo, gnuplot). */
#include "rb_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rb_buf.h"

/* rb__is_file: a regular file we may read (WORKLOADS.md, a template). */
static int rb__is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* rb__is_dir: an existing directory. */
static int rb__is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* rb_env_in_path: what `command -v` does, without a shell. */
int rb_env_in_path(const char *name)
{
    const char *path = getenv("PATH");
    if (path == NULL)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t len = strcspn(path, ":");
        char full[PATH_MAX];
        if (len > 0 && rb_snprintf(full, sizeof full, "%.*s/%s", (int)len, path, name) == 0 &&
            access(full, X_OK) == 0 && rb__is_file(full))
            return 1;
        path += len;
        if (*path == ':')
            path++;
    }
    return 0;
}

/* rb__exe_dir: the directory of /proc/self/exe, or "" when it cannot be read. */
static void rb__exe_dir(char *out, size_t n)
{
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    out[0] = '\0';
    if (len <= 0)
        return;
    self[len] = '\0';
    char *slash = strrchr(self, '/');
    if (slash != NULL) {
        *slash = '\0';
        snprintf(out, n, "%s", self);
    }
}

/*
 * rb_env_init: the harness lives at build/bin/rtbench (or build/<variant>/bin/rtbench), so the
 * tree is two or three levels above it; walking up looking for bench/WORKLOADS.md finds it in
 * either case, and also when the harness runs from a copy of the tree elsewhere.
 */
void rb_env_init(rb_env *e, const char *bin_override, const char *tools_override)
{
    char exe_dir[PATH_MAX], probe[PATH_MAX + 64], dir[PATH_MAX];
    rb__exe_dir(exe_dir, sizeof exe_dir);
    snprintf(e->root, sizeof e->root, ".");
    snprintf(dir, sizeof dir, "%s", exe_dir);
    for (int up = 0; up < 5 && dir[0] != '\0'; up++) {
        snprintf(probe, sizeof probe, "%s/bench/WORKLOADS.md", dir);
        if (rb__is_file(probe)) {
            snprintf(e->root, sizeof e->root, "%s", dir);
            break;
        }
        char *slash = strrchr(dir, '/');
        if (slash == NULL || slash == dir)
            break;
        *slash = '\0';
    }
    if (strcmp(e->root, ".") == 0 && !rb__is_file("bench/WORKLOADS.md"))
        fprintf(stderr, "rtbench: warning: cannot find the source tree (bench/WORKLOADS.md)\n");

    if (bin_override != NULL) {
        snprintf(e->bin_dir, sizeof e->bin_dir, "%s", bin_override);
    } else {
        snprintf(probe, sizeof probe, "%s/../bench/bin", exe_dir);
        if (exe_dir[0] != '\0' && rb__is_dir(probe))
            rb_snprintf(e->bin_dir, sizeof e->bin_dir, "%s", probe);
        else
            rb_snprintf(e->bin_dir, sizeof e->bin_dir, "%s/build/bench/bin", e->root);
    }
    if (tools_override != NULL)
        snprintf(e->tools_dir, sizeof e->tools_dir, "%s", tools_override);
    else
        rb_snprintf(e->tools_dir, sizeof e->tools_dir, "%s/bench/tools", e->root);

    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    e->workers = cpus > 0 ? (int)cpus : 1;
    e->have_wrk = rb_env_in_path("wrk");
    e->have_cargo = rb_env_in_path("cargo");
    e->have_gnuplot = rb_env_in_path("gnuplot");
}

/* rb_env_exe_path: bin_dir/exe. */
void rb_env_exe_path(const rb_env *e, const rb_runtime *rt, char *out, size_t n)
{
    rb_snprintf(out, n, "%s/%s", e->bin_dir, rt->exe);
}

/*
 * rb_env_unavailable: the Rust anchors are the case worth telling apart: without cargo they
 * cannot be built at all (the brief's "not measured: cargo not found"); with cargo, a missing
 * binary means the offline build failed, and `make bench-rust` shows why.
 */
void rb_env_unavailable(const rb_env *e, const rb_runtime *rt, char *out, size_t n)
{
    char path[PATH_MAX];
    rb_env_exe_path(e, rt, path, sizeof path);
    out[0] = '\0';
    if (access(path, X_OK) == 0 && rb__is_file(path))
        return;
    if (rt->family == RB_FAM_ANCHOR && !e->have_cargo)
        snprintf(out, n, "cargo not found");
    else if (rt->family == RB_FAM_ANCHOR)
        snprintf(out, n, "not built (%s is missing although cargo is installed; `make bench-rust` "
                 "shows why)", rt->exe);
    else
        snprintf(out, n, "not built (%s is missing from %s)", rt->exe, e->bin_dir);
}

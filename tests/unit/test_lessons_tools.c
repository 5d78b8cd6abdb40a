/* test_lessons_tools.c: the lessons' excerpt checker fails on a drifted excerpt and passes on a matching one. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_testkit.h"

/*
 * lessons/tools/check_excerpts.sh is what keeps a lesson's quoted code equal to the compiled
 * code. These tests build a tiny tree in a temporary directory -- one C source with tagged
 * regions, one README quoting them -- and run the real script on it, so every way an excerpt
 * can go wrong is shown to fail the check, and the right way to pass. The suite runs from the
 * repository's top (as `make test` does), or from $RT_SOURCE_ROOT if that is set.
 */

#define RT__CHECKER "lessons/tools/check_excerpts.sh"

/* The source every test quotes: regions at two depths, one nested in another, one for `#`. */
static const char *const rt__source =
    "/* demo.c: a file with tagged regions. */\n"
    "int twice(int x)\n"
    "{\n"
    "    // region: body\n"
    "    int y = x;\n"
    "\n"
    "    // region: inner\n"
    "    y += x;\n"
    "    // endregion\n"
    "    return y;\n"
    "    // endregion\n"
    "}\n"
    "// region: top\n"
    "int three = 3;\n"
    "// endregion\n";

/* A README whose two excerpts match rt__source exactly (dedented, inner markers left out). */
static const char *const rt__good_readme =
    "# lesson\n"
    "\n"
    "<!-- excerpt: demo.c#body -->\n"
    "```c\n"
    "int y = x;\n"
    "\n"
    "y += x;\n"
    "return y;\n"
    "```\n"
    "\n"
    "Then:\n"
    "\n"
    "<!-- excerpt: demo.c#top -->\n"
    "\n"
    "```c\n"
    "int three = 3;\n"
    "```\n";

static char rt__dir[256];
static char rt__output[8192];

/* rt__write: create dir/name holding text; fails the test if it cannot. */
static void rt__write(const char *name, const char *text)
{
    char path[sizeof rt__dir + 64];
    snprintf(path, sizeof path, "%s/%s", rt__dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

/* rt__read_readme: the README as the checker left it (for --fix), into rt__output. */
static void rt__read_readme(void)
{
    char path[sizeof rt__dir + 64];
    snprintf(path, sizeof path, "%s/README.md", rt__dir);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    size_t n = fread(rt__output, 1, sizeof rt__output - 1, f);
    rt__output[n] = '\0';
    fclose(f);
}

/* rt__check: run the checker on the temporary README (with `options` before it); returns its
 * exit status and leaves stdout+stderr in rt__output. */
static int rt__check(const char *options)
{
    const char *top = getenv("RT_SOURCE_ROOT");
    char script[PATH_MAX], cmd[PATH_MAX + 3 * sizeof rt__dir];
    snprintf(script, sizeof script, "%s/%s", top ? top : ".", RT__CHECKER);
    ck_assert_msg(access(script, R_OK) == 0,
                  "%s not found: run this suite from the repository's top or set RT_SOURCE_ROOT",
                  script);
    snprintf(cmd, sizeof cmd, "bash '%s' --root '%s' %s '%s/README.md' 2>&1", script, rt__dir,
             options, rt__dir);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "popen failed");
    size_t n = fread(rt__output, 1, sizeof rt__output - 1, p);
    rt__output[n] = '\0';
    int status = pclose(p);
    ck_assert_msg(WIFEXITED(status), "the checker did not exit normally:\n%s", rt__output);
    return WEXITSTATUS(status);
}

/* rt__setup: a fresh temporary directory holding demo.c, for each test. */
static void rt__setup(void)
{
    snprintf(rt__dir, sizeof rt__dir, "%s/rt_excerpts.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_msg(mkdtemp(rt__dir) != NULL, "mkdtemp failed");
    rt__write("demo.c", rt__source);
}

/* rt__teardown: remove the files the tests create, then the directory. */
static void rt__teardown(void)
{
    const char *names[] = { "demo.c", "README.md" };
    char path[sizeof rt__dir + 64];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", rt__dir, names[i]);
        unlink(path);
    }
    rmdir(rt__dir);
}

START_TEST(test_matching_excerpts_pass)
{
    rt__write("README.md", rt__good_readme);
    ck_assert_msg(rt__check("") == 0, "a matching README failed:\n%s", rt__output);
    ck_assert_ptr_nonnull(strstr(rt__output, "2 excerpts in 1 files, all match"));
}
END_TEST

START_TEST(test_drifted_excerpt_fails)
{
    /* The README says `y *= x;` where the code says `y += x;`: one changed line. */
    char drifted[2048];
    snprintf(drifted, sizeof drifted, "%s", rt__good_readme);
    char *at = strstr(drifted, "y += x;");
    ck_assert_ptr_nonnull(at);
    memcpy(at, "y *= x;", 7);
    rt__write("README.md", drifted);
    ck_assert_int_eq(rt__check(""), 1);
    /* It says where, which region, and shows both sides. */
    ck_assert_msg(strstr(rt__output, "README.md:3: excerpt demo.c#body") != NULL, "%s", rt__output);
    ck_assert_ptr_nonnull(strstr(rt__output, "-y *= x;"));
    ck_assert_ptr_nonnull(strstr(rt__output, "+y += x;"));
    ck_assert_ptr_nonnull(strstr(rt__output, "1 of 2 excerpts"));
}
END_TEST

START_TEST(test_whitespace_drift_fails)
{
    /* Indentation is part of the text: a re-indented line is drift too. */
    char drifted[2048];
    snprintf(drifted, sizeof drifted, "%s", rt__good_readme);
    char *at = strstr(drifted, "int three = 3;");
    ck_assert_ptr_nonnull(at);
    memcpy(at, "int three =3; ", 14);
    rt__write("README.md", drifted);
    ck_assert_int_eq(rt__check(""), 1);
    ck_assert_ptr_nonnull(strstr(rt__output, "excerpt demo.c#top"));
}
END_TEST

START_TEST(test_missing_region_fails)
{
    rt__write("README.md", "<!-- excerpt: demo.c#nowhere -->\n```c\nint three = 3;\n```\n");
    ck_assert_int_eq(rt__check(""), 1);
    ck_assert_ptr_nonnull(strstr(rt__output, "has no region \"nowhere\""));
}
END_TEST

START_TEST(test_missing_file_fails)
{
    rt__write("README.md", "<!-- excerpt: gone.c#top -->\n```c\nint three = 3;\n```\n");
    ck_assert_int_eq(rt__check(""), 1);
    ck_assert_ptr_nonnull(strstr(rt__output, "no such source file"));
}
END_TEST

START_TEST(test_unclosed_region_fails)
{
    rt__write("demo.c", "// region: open\nint x;\n");
    rt__write("README.md", "<!-- excerpt: demo.c#open -->\n```c\nint x;\n```\n");
    ck_assert_int_eq(rt__check(""), 1);
    ck_assert_ptr_nonnull(strstr(rt__output, "never closed"));
}
END_TEST

START_TEST(test_duplicate_region_fails)
{
    rt__write("demo.c", "// region: twice\nint x;\n// endregion\n// region: twice\nint y;\n// endregion\n");
    rt__write("README.md", "<!-- excerpt: demo.c#twice -->\n```c\nint x;\n```\n");
    ck_assert_int_eq(rt__check(""), 1);
    ck_assert_ptr_nonnull(strstr(rt__output, "defined twice"));
}
END_TEST

START_TEST(test_marker_without_block_fails)
{
    rt__write("README.md", "<!-- excerpt: demo.c#top -->\nSome prose, no code block.\n");
    ck_assert_int_eq(rt__check(""), 1);
    ck_assert_ptr_nonnull(strstr(rt__output, "no fenced code block"));
}
END_TEST

START_TEST(test_fix_rewrites_then_passes)
{
    char drifted[2048];
    snprintf(drifted, sizeof drifted, "%s", rt__good_readme);
    memcpy(strstr(drifted, "return y;"), "return 0;", 9);
    rt__write("README.md", drifted);
    ck_assert_int_eq(rt__check(""), 1);
    ck_assert_msg(rt__check("--fix") == 0, "--fix failed:\n%s", rt__output);
    rt__read_readme();
    ck_assert_str_eq(rt__output, rt__good_readme); /* exactly the matching README again */
    ck_assert_int_eq(rt__check(""), 0);
}
END_TEST

START_TEST(test_fix_inserts_a_missing_block)
{
    rt__write("README.md", "<!-- excerpt: demo.c#top -->\nSome prose.\n");
    ck_assert_msg(rt__check("--fix") == 0, "--fix failed:\n%s", rt__output);
    rt__read_readme();
    ck_assert_str_eq(rt__output,
                     "<!-- excerpt: demo.c#top -->\n```c\nint three = 3;\n```\n\nSome prose.\n");
    ck_assert_int_eq(rt__check(""), 0);
}
END_TEST

/* main: every way an excerpt can go wrong, and the two ways it can be right. */
int main(void)
{
    Suite *s = suite_create("lessons_tools");
    TCase *tc = tcase_create("excerpts");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, rt__setup, rt__teardown);
    tcase_add_test(tc, test_matching_excerpts_pass);
    tcase_add_test(tc, test_drifted_excerpt_fails);
    tcase_add_test(tc, test_whitespace_drift_fails);
    tcase_add_test(tc, test_missing_region_fails);
    tcase_add_test(tc, test_missing_file_fails);
    tcase_add_test(tc, test_unclosed_region_fails);
    tcase_add_test(tc, test_duplicate_region_fails);
    tcase_add_test(tc, test_marker_without_block_fails);
    tcase_add_test(tc, test_fix_rewrites_then_passes);
    tcase_add_test(tc, test_fix_inserts_a_missing_block);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}

/* test_alloc.c: the allocation wrappers and their failure-injection countdown. */
#include <check.h>
#include <stdlib.h>

#include "rt_alloc.h"

START_TEST(test_alloc_plain)
{
    void *p = rt_malloc(64);
    ck_assert_ptr_nonnull(p);
    p = rt_realloc(p, 128);
    ck_assert_ptr_nonnull(p);
    rt_free(p);
    int *z = rt_calloc(4, sizeof *z);
    ck_assert_ptr_nonnull(z);
    ck_assert_int_eq(z[0] | z[1] | z[2] | z[3], 0);
    rt_free(z);
}
END_TEST

START_TEST(test_alloc_fails_exactly_the_nth)
{
    long before = rt_alloc_injected_failures();
    rt_alloc_fail_after(3);
    void *a = rt_malloc(8), *b = rt_malloc(8), *c = rt_malloc(8), *d = rt_malloc(8);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(rt_alloc_injected_failures(), before + 1);
    rt_free(a), rt_free(b), rt_free(d);
}
END_TEST

START_TEST(test_realloc_failure_keeps_block)
{
    char *p = rt_malloc(4);
    ck_assert_ptr_nonnull(p);
    p[0] = 'x';
    rt_alloc_fail_after(1);
    char *q = rt_realloc(p, 1 << 20);
    ck_assert_ptr_null(q);
    ck_assert_int_eq(p[0], 'x');
    rt_free(p);
}
END_TEST

START_TEST(test_disarm)
{
    rt_alloc_fail_after(1);
    rt_alloc_fail_after(0);
    void *p = rt_malloc(8);
    ck_assert_ptr_nonnull(p);
    rt_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("alloc");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_alloc_plain);
    tcase_add_test(tc, test_alloc_fails_exactly_the_nth);
    tcase_add_test(tc, test_realloc_failure_keeps_block);
    tcase_add_test(tc, test_disarm);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * version_test.c -- pmem_check_version() and pmem_errormsg().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <libpmem.h>

static void
check_version_accepts_same_major_older_or_equal_minor(void **state)
{
	(void)state;
	assert_null(pmem_check_version(PMEM_MAJOR_VERSION, PMEM_MINOR_VERSION));
	assert_null(pmem_check_version(1, 0));
	assert_null(pmem_check_version(1, 1));
}

static void
check_version_rejects_other_major_first(void **state)
{
	(void)state;
	const char *msg = pmem_check_version(2, 5);
	assert_non_null(msg);
	assert_string_equal(msg, "libpmem major version mismatch (need 2, found 1)");
	assert_ptr_equal(msg, pmem_errormsg());
	msg = pmem_check_version(0, 0);
	assert_string_equal(msg, "libpmem major version mismatch (need 0, found 1)");
}

static void
check_version_rejects_newer_minor(void **state)
{
	(void)state;
	const char *msg = pmem_check_version(1, 2);
	assert_non_null(msg);
	assert_string_equal(msg, "libpmem minor version mismatch (need 2, found 1)");
}

static void
errormsg_is_not_cleared_by_success(void **state)
{
	(void)state;
	pmem_check_version(1, 9);
	assert_null(pmem_check_version(1, 1));
	assert_string_equal(pmem_errormsg(),
		"libpmem minor version mismatch (need 9, found 1)");
}

static void *
other_thread(void *arg)
{
	const char **seen = arg;
	seen[0] = strdup(pmem_errormsg());
	pmem_check_version(7, 0);
	return NULL;
}

static void
errormsg_is_per_thread(void **state)
{
	(void)state;
	pmem_check_version(3, 0);
	const char *seen[1] = { NULL };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, other_thread, seen), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	/* a new thread starts with an empty message ... */
	assert_string_equal(seen[0], "");
	free((void *)seen[0]);
	/* ... and its errors do not reach this one */
	assert_string_equal(pmem_errormsg(),
		"libpmem major version mismatch (need 3, found 1)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check_version_accepts_same_major_older_or_equal_minor),
		cmocka_unit_test(check_version_rejects_other_major_first),
		cmocka_unit_test(check_version_rejects_newer_minor),
		cmocka_unit_test(errormsg_is_not_cleared_by_success),
		cmocka_unit_test(errormsg_is_per_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

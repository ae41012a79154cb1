/*
 * is_pmem_force_test.c -- PMEM_IS_PMEM_FORCE: read with atoi, 1 says every
 * non-empty range is pmem, 0 says none is, any other value leaves detection
 * on. BUILD runs this file once per setting, with EXPECT_IS_PMEM naming the
 * policy the setting must give: "always", "never" or "detect".
 *
 * A detected pmem range comes from a MAP_SYNC mapping the mmap wrapper lets
 * succeed (sys_wrap.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpmem.h>

#include "map_util.h"
#include "sys_wrap.h"

enum policy { ALWAYS, NEVER, DETECT };

static enum policy Expect;

/* map_file -- maps a new 2-page file; MAP_SYNC succeeds if map_sync */
static char *
map_file(const char *dir, const char *name, int map_sync, int *is_pmem)
{
	wrap_reset();
	Wrap.map_sync = map_sync ? WRAP_SUCCEED : 0;
	char *file = mu_join(dir, name);
	size_t mapped;
	char *addr = pmem_map_file(file, 8192, PMEM_FILE_CREATE, 0644, &mapped,
		is_pmem);
	free(file);
	wrap_reset();
	assert_non_null(addr);
	return addr;
}

static void
ordinary_memory_follows_the_policy(void **state)
{
	(void)state;
	char *heap = calloc(1, 4096);
	int want = Expect == ALWAYS;
	assert_int_equal(pmem_is_pmem(heap, 4096), want);
	assert_int_equal(pmem_is_pmem(heap + 1, 1), want);
	assert_int_equal(pmem_is_pmem(heap, SIZE_MAX), want);
	assert_int_equal(pmem_is_pmem(NULL, 1), want);
	free(heap);
}

static void
empty_range_is_never_pmem(void **state)
{
	(void)state;
	char *heap = calloc(1, 16);
	assert_int_equal(pmem_is_pmem(heap, 0), 0);
	assert_int_equal(pmem_is_pmem(NULL, 0), 0);
	free(heap);
}

static void
map_file_reports_the_policy(void **state)
{
	(void)state;
	char *dir = mu_mkdtemp();
	int plain = -1, sync = -1;
	char *a = map_file(dir, "plain", 0, &plain);
	char *b = map_file(dir, "sync", 1, &sync);
	assert_int_equal(plain, Expect == ALWAYS);
	assert_int_equal(sync, Expect != NEVER);
	assert_int_equal(pmem_is_pmem(a, 8192), Expect == ALWAYS);
	assert_int_equal(pmem_is_pmem(b, 8192), Expect != NEVER);
	assert_int_equal(pmem_is_pmem(b + 8191, 2), Expect == ALWAYS);
	assert_int_equal(pmem_unmap(a, 8192), 0);
	assert_int_equal(pmem_unmap(b, 8192), 0);
	mu_rmtree(dir);
	free(dir);
}

static void
policy_is_frozen_after_first_call(void **state)
{
	(void)state;
	char *heap = calloc(1, 64);
	int want = Expect == ALWAYS;
	assert_int_equal(pmem_is_pmem(heap, 64), want);
	setenv("PMEM_IS_PMEM_FORCE", want ? "0" : "1", 1);
	assert_int_equal(pmem_is_pmem(heap, 64), want);
	unsetenv("PMEM_IS_PMEM_FORCE");
	assert_int_equal(pmem_is_pmem(heap, 64), want);
	free(heap);
}

int
main(void)
{
	const char *e = getenv("EXPECT_IS_PMEM");
	if (e == NULL) {
		fprintf(stderr, "EXPECT_IS_PMEM not set\n");
		return 1;
	}
	Expect = strcmp(e, "always") == 0 ? ALWAYS :
		strcmp(e, "never") == 0 ? NEVER : DETECT;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ordinary_memory_follows_the_policy),
		cmocka_unit_test(empty_range_is_never_pmem),
		cmocka_unit_test(map_file_reports_the_policy),
		cmocka_unit_test(policy_is_frozen_after_first_call),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

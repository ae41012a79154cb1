/*
 * is_pmem_latch_test.c -- PMEM_IS_PMEM_FORCE is read at the first
 * pmem_is_pmem() call, not at load: setenv() before that call counts, after
 * it does not. pmem_map_file() makes that first call when asked for
 * is_pmem. Each case needs a fresh process: BUILD runs this file once per
 * case, named by the first argument.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpmem.h>

#include "map_util.h"

static char Heap[64];

static void
setenv_before_first_call_takes_effect(void **state)
{
	(void)state;
	setenv("PMEM_IS_PMEM_FORCE", "1", 1);
	assert_int_equal(pmem_is_pmem(Heap, sizeof(Heap)), 1);
	setenv("PMEM_IS_PMEM_FORCE", "0", 1);
	assert_int_equal(pmem_is_pmem(Heap, sizeof(Heap)), 1);
}

static void
setenv_after_first_call_is_ignored(void **state)
{
	(void)state;
	assert_int_equal(pmem_is_pmem(Heap, sizeof(Heap)), 0);
	setenv("PMEM_IS_PMEM_FORCE", "1", 1);
	assert_int_equal(pmem_is_pmem(Heap, sizeof(Heap)), 0);
}

static void
unsetenv_after_first_call_is_ignored(void **state)
{
	(void)state;
	assert_int_equal(pmem_is_pmem(Heap, sizeof(Heap)), 1);
	unsetenv("PMEM_IS_PMEM_FORCE");
	assert_int_equal(pmem_is_pmem(Heap, sizeof(Heap)), 1);
}

/* map_and_force -- maps a file, then sets PMEM_IS_PMEM_FORCE=1 */
static void
map_and_force(int *is_pmemp)
{
	char *dir = mu_mkdtemp();
	char *file = mu_join(dir, "f");
	size_t mapped;
	void *addr = pmem_map_file(file, 4096, PMEM_FILE_CREATE, 0644, &mapped,
		is_pmemp);
	assert_non_null(addr);
	assert_int_equal(pmem_unmap(addr, mapped), 0);
	mu_rmtree(dir);
	free(file);
	free(dir);
	setenv("PMEM_IS_PMEM_FORCE", "1", 1);
}

static void
map_file_asked_for_is_pmem_latches_the_policy(void **state)
{
	(void)state;
	int is_pmem = -1;
	map_and_force(&is_pmem);
	assert_int_equal(is_pmem, 0);
	assert_int_equal(pmem_is_pmem(Heap, sizeof(Heap)), 0);
}

static void
map_file_not_asked_for_is_pmem_does_not_latch(void **state)
{
	(void)state;
	map_and_force(NULL);
	assert_int_equal(pmem_is_pmem(Heap, sizeof(Heap)), 1);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest all[] = {
		cmocka_unit_test(setenv_before_first_call_takes_effect),
		cmocka_unit_test(setenv_after_first_call_is_ignored),
		cmocka_unit_test(unsetenv_after_first_call_is_ignored),
		cmocka_unit_test(map_file_asked_for_is_pmem_latches_the_policy),
		cmocka_unit_test(map_file_not_asked_for_is_pmem_does_not_latch),
	};
	for (size_t i = 0; argc == 2 && i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(argv[1], all[i].name) == 0) {
			const struct CMUnitTest one[] = { all[i] };
			return cmocka_run_group_tests(one, NULL, NULL);
		}
	fprintf(stderr, "usage: %s <case>\n", argv[0]);
	return 1;
}

/*
 * map_sync_test.c -- what pmem_map_file() does when MAP_SYNC succeeds, and
 * which MAP_SYNC errors it falls back from.
 *
 * The machine has no DAX filesystem, so the mmap wrapper (sys_wrap.c) makes
 * the MAP_SHARED_VALIDATE | MAP_SYNC attempt succeed by doing a plain shared
 * mapping: the library must then record the range, and pmem_is_pmem(),
 * pmem_unmap() and later mappings must honour the record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <libpmem.h>

#include "map_util.h"
#include "sys_wrap.h"

#define LEN_SENTINEL ((size_t)0xdeadbeef)
#define PMEM_SENTINEL 0x5a5a

static size_t Pg;

/* setup -- a fresh directory; MAP_SYNC succeeds */
static int
setup(void **state)
{
	wrap_reset();
	Wrap.map_sync = WRAP_SUCCEED;
	return mu_setup(state);
}

/* teardown -- wrappers off; nothing mapped, no descriptor leaked */
static int
teardown(void **state)
{
	wrap_reset();
	return mu_teardown(state);
}

/* map_new -- maps a new file of len bytes; is_pmem must be as expected */
static char *
map_new(struct mu_env *env, size_t len, int expect_pmem)
{
	char name[32];
	snprintf(name, sizeof(name), "f%d", env->files++);
	char *file = mu_join(env->dir, name);
	size_t mapped = LEN_SENTINEL;
	int is_pmem = PMEM_SENTINEL;
	char *addr = pmem_map_file(file, len, PMEM_FILE_CREATE |
		PMEM_FILE_SPARSE, 0644, &mapped, &is_pmem);
	free(file);
	if (addr == NULL)
		fail_msg("pmem_map_file: %s", pmem_errormsg());
	assert_int_equal(mapped, len);
	assert_int_equal(is_pmem, expect_pmem);
	return addr;
}

/* free_area -- a 2 MiB-aligned address with len bytes free after it */
static char *
free_area(size_t len)
{
	size_t align = 2 << 20;
	uintptr_t p = (uintptr_t)mu_unmapped_range(len + align);
	return (char *)((p + align - 1) & ~(uintptr_t)(align - 1));
}

static void
map_sync_is_tried_first_with_validate(void **state)
{
	struct mu_env *env = *state;
	char *addr = map_new(env, Pg, 1);
	assert_int_equal(Seen.map_sync_calls, 1);
	assert_int_equal(Seen.map_shared_calls, 0);
	assert_int_equal(Seen.map_sync_flags & MAP_TYPE, MAP_SHARED_VALIDATE);
	assert_int_equal(Seen.map_sync_flags & MAP_FIXED, 0);
	assert_int_equal(Seen.map_sync_prot, PROT_READ | PROT_WRITE);
	assert_ptr_equal(addr, Seen.map_sync_hint);
	assert_int_equal(pmem_unmap(addr, Pg), 0);
}

static void
map_sync_mapping_is_pmem_over_every_subrange(void **state)
{
	struct mu_env *env = *state;
	size_t len = 3 * Pg;
	char *addr = map_new(env, len, 1);
	assert_int_equal(pmem_is_pmem(addr, len), 1);
	assert_int_equal(pmem_is_pmem(addr, 1), 1);
	assert_int_equal(pmem_is_pmem(addr + 1, 10), 1);
	assert_int_equal(pmem_is_pmem(addr + Pg - 1, 2), 1);
	assert_int_equal(pmem_is_pmem(addr + len - 1, 1), 1);
	/* ranges sticking out at either end are not (wholly) pmem */
	assert_int_equal(pmem_is_pmem(addr, len + 1), 0);
	assert_int_equal(pmem_is_pmem(addr - 1, 2), 0);
	assert_int_equal(pmem_is_pmem(addr + len, 1), 0);
	assert_int_equal(pmem_is_pmem(addr, SIZE_MAX), 0);
	assert_int_equal(pmem_is_pmem(addr, 0), 0);
	assert_int_equal(pmem_unmap(addr, len), 0);
	/* unmapped, the range is forgotten */
	assert_int_equal(pmem_is_pmem(addr, 1), 0);
}

static void
map_sync_file_of_odd_length_is_pmem_for_its_length(void **state)
{
	struct mu_env *env = *state;
	char *addr = map_new(env, Pg + 1, 1);
	assert_int_equal(pmem_is_pmem(addr, Pg + 1), 1);
	assert_int_equal(pmem_unmap(addr, Pg + 1), 0);
	assert_int_equal(pmem_is_pmem(addr + Pg, 1), 0);
}

static void
adjacent_map_sync_mappings_are_pmem_together(void **state)
{
	struct mu_env *env = *state;
	char *area = free_area(5 * Pg);
	Wrap.map_addr = area;
	char *a = map_new(env, 2 * Pg, 1);
	Wrap.map_addr = area + 2 * Pg;
	char *b = map_new(env, 2 * Pg, 1);
	assert_ptr_equal(a, area);
	assert_ptr_equal(b, area + 2 * Pg);
	assert_int_equal(pmem_is_pmem(a, 4 * Pg), 1);
	assert_int_equal(pmem_is_pmem(a + Pg, 2 * Pg), 1);
	assert_int_equal(pmem_is_pmem(a + 2 * Pg - 1, 2), 1);
	assert_int_equal(pmem_is_pmem(a, 4 * Pg + 1), 0);
	assert_int_equal(pmem_unmap(b, 2 * Pg), 0);
	assert_int_equal(pmem_is_pmem(a, 4 * Pg), 0);
	assert_int_equal(pmem_is_pmem(a, 2 * Pg), 1);
	assert_int_equal(pmem_unmap(a, 2 * Pg), 0);
}

static void
gap_between_map_sync_mappings_is_not_pmem(void **state)
{
	struct mu_env *env = *state;
	char *area = free_area(5 * Pg);
	Wrap.map_addr = area;
	char *a = map_new(env, 2 * Pg, 1);
	Wrap.map_addr = area + 3 * Pg;
	char *b = map_new(env, 2 * Pg, 1);
	assert_ptr_equal(b, a + 3 * Pg);
	assert_int_equal(pmem_is_pmem(a, 5 * Pg), 0);
	assert_int_equal(pmem_is_pmem(a + 2 * Pg - 1, Pg + 2), 0);
	assert_int_equal(pmem_is_pmem(b, 2 * Pg), 1);
	assert_int_equal(pmem_unmap(a, 2 * Pg), 0);
	assert_int_equal(pmem_unmap(b, 2 * Pg), 0);
}

static void
fallback_mapping_next_to_map_sync_one_is_not_pmem(void **state)
{
	struct mu_env *env = *state;
	char *area = free_area(4 * Pg);
	Wrap.map_addr = area;
	char *a = map_new(env, 2 * Pg, 1);
	Wrap.map_sync = EOPNOTSUPP;
	Wrap.map_addr = area + 2 * Pg;
	char *b = map_new(env, 2 * Pg, 0);
	assert_ptr_equal(b, a + 2 * Pg);
	assert_int_equal(pmem_is_pmem(a, 4 * Pg), 0);
	assert_int_equal(pmem_is_pmem(b, 1), 0);
	assert_int_equal(pmem_is_pmem(a, 2 * Pg), 1);
	assert_int_equal(pmem_unmap(a, 4 * Pg), 0);
}

static void
unmap_of_middle_page_splits_the_pmem_range(void **state)
{
	struct mu_env *env = *state;
	char *addr = map_new(env, 3 * Pg, 1);
	assert_int_equal(pmem_unmap(addr + Pg, Pg), 0);
	assert_int_equal(pmem_is_pmem(addr, Pg), 1);
	assert_int_equal(pmem_is_pmem(addr + 2 * Pg, Pg), 1);
	assert_int_equal(pmem_is_pmem(addr + Pg, 1), 0);
	assert_int_equal(pmem_is_pmem(addr, 3 * Pg), 0);
	addr[0] = 1;
	addr[3 * Pg - 1] = 1;
	/* a length that is not a page multiple forgets the whole page */
	assert_int_equal(pmem_unmap(addr + 2 * Pg, 1), 0);
	assert_int_equal(pmem_is_pmem(addr + 2 * Pg, 1), 0);
	assert_int_equal(pmem_is_pmem(addr + 3 * Pg - 1, 1), 0);
	assert_int_equal(pmem_is_pmem(addr, Pg), 1);
	assert_int_equal(pmem_unmap(addr, Pg), 0);
	assert_int_equal(pmem_is_pmem(addr, 1), 0);
}

static void
unmap_spanning_two_pmem_ranges_trims_both(void **state)
{
	struct mu_env *env = *state;
	char *area = free_area(4 * Pg);
	Wrap.map_addr = area;
	char *a = map_new(env, 2 * Pg, 1);
	Wrap.map_addr = area + 2 * Pg;
	char *b = map_new(env, 2 * Pg, 1);
	assert_int_equal(pmem_unmap(a + Pg, 2 * Pg), 0);
	assert_int_equal(pmem_is_pmem(a, Pg), 1);
	assert_int_equal(pmem_is_pmem(b + Pg, Pg), 1);
	assert_int_equal(pmem_is_pmem(a + Pg, 1), 0);
	assert_int_equal(pmem_is_pmem(b, 1), 0);
	assert_int_equal(pmem_unmap(a, 4 * Pg), 0);
	assert_int_equal(pmem_is_pmem(a, 1), 0);
	assert_int_equal(pmem_is_pmem(b + Pg, 1), 0);
}

static void
munmap_leaves_stale_range_so_next_mapping_there_fails_enomem(void **state)
{
	struct mu_env *env = *state;
	char *area = free_area(3 * Pg);
	Wrap.map_addr = area;
	char *a = map_new(env, 3 * Pg, 1);
	assert_ptr_equal(a, area);
	assert_int_equal(munmap(a, 3 * Pg), 0);
	/* the record outlives the mapping */
	assert_int_equal(pmem_is_pmem(a, 3 * Pg), 1);

	/* a new mapping at the same place, or over part of it, cannot be
	 * recorded */
	char *file = mu_join(env->dir, "second");
	size_t mapped = LEN_SENTINEL;
	int is_pmem = PMEM_SENTINEL;
	void *b;
	for (int i = 0; i < 2; i++) {
		Wrap.map_addr = area + (size_t)i * Pg;
		int fds = mu_count_fds();
		errno = 0;
		b = pmem_map_file(file, Pg, PMEM_FILE_CREATE, 0644, &mapped,
			&is_pmem);
		int err = errno;
		assert_null(b);
		assert_int_equal(err, ENOMEM);
		assert_non_null(strstr(pmem_errormsg(),
			"duplicated persistent memory range"));
		assert_int_equal(mapped, LEN_SENTINEL);
		assert_int_equal(is_pmem, PMEM_SENTINEL);
		assert_int_equal(mu_count_fds(), fds);
		/* the mapping made before the check is gone, as is the
		 * new file */
		assert_false(mu_is_mapped(area, 3 * Pg));
		assert_int_equal(mu_file_size(file), -1);
	}

	/* pmem_unmap() of the stale range clears it */
	assert_int_equal(pmem_unmap(area, 3 * Pg), 0);
	assert_int_equal(pmem_is_pmem(area, 1), 0);
	b = pmem_map_file(file, Pg, PMEM_FILE_CREATE, 0644, &mapped, &is_pmem);
	assert_ptr_equal(b, area + Pg);
	assert_int_equal(is_pmem, 1);
	assert_int_equal(pmem_unmap(b, Pg), 0);
	free(file);
}

/* expect_final -- a MAP_SYNC failure with err is reported, no fallback */
static void
expect_final(struct mu_env *env, int err)
{
	char *file = mu_join(env->dir, "file");
	Wrap.map_sync = err;
	int calls = Seen.map_shared_calls;
	size_t mapped = LEN_SENTINEL;
	int is_pmem = PMEM_SENTINEL;
	errno = 0;
	void *addr = pmem_map_file(file, Pg, PMEM_FILE_CREATE, 0644, &mapped,
		&is_pmem);
	int got = errno;
	assert_null(addr);
	assert_int_equal(got, err);
	assert_int_equal(Seen.map_shared_calls, calls);
	assert_int_equal(mapped, LEN_SENTINEL);
	assert_int_equal(is_pmem, PMEM_SENTINEL);
	assert_non_null(strstr(pmem_errormsg(), "mmap"));
	assert_non_null(strstr(pmem_errormsg(), strerror(err)));
	free(file);
}

static void
map_sync_errors_other_than_unsupported_are_final(void **state)
{
	struct mu_env *env = *state;
	const int errs[] = { ENOMEM, EACCES, ENODEV, EAGAIN, EPERM, ENXIO };
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		expect_final(env, errs[i]);
	assert_int_equal(Seen.map_sync_calls, 6);
	assert_int_equal(mu_count_entries(env->dir), 0);
}

static void
map_sync_refused_as_unsupported_falls_back_to_plain_shared(void **state)
{
	struct mu_env *env = *state;
	const int errs[] = { EINVAL, EOPNOTSUPP };
	for (size_t i = 0; i < 2; i++) {
		Wrap.map_sync = errs[i];
		char *addr = map_new(env, Pg, 0);
		assert_int_equal(Seen.map_sync_calls, (int)i + 1);
		assert_int_equal(Seen.map_shared_calls, (int)i + 1);
		/* at the same hint */
		assert_ptr_equal(addr, Seen.map_sync_hint);
		assert_int_equal(pmem_is_pmem(addr, Pg), 0);
		addr[0] = 1;
		assert_int_equal(pmem_unmap(addr, Pg), 0);
	}
}

static void
deep_drain_and_msync_of_map_sync_range_succeed(void **state)
{
	struct mu_env *env = *state;
	char *addr = map_new(env, 2 * Pg, 1);
	memset(addr, 7, 2 * Pg);
	assert_int_equal(pmem_deep_drain(addr, 2 * Pg), 0);
	assert_int_equal(pmem_deep_persist(addr + 1, Pg), 0);
	assert_int_equal(pmem_msync(addr, 2 * Pg), 0);
	/* part pmem, part not mapped: msync of the rest fails */
	assert_int_equal(pmem_unmap(addr + Pg, Pg), 0);
	errno = 0;
	assert_int_equal(pmem_deep_drain(addr, 2 * Pg), -1);
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(pmem_unmap(addr, Pg), 0);
}

int
main(void)
{
	Pg = (size_t)sysconf(_SC_PAGESIZE);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(map_sync_is_tried_first_with_validate),
		T(map_sync_mapping_is_pmem_over_every_subrange),
		T(map_sync_file_of_odd_length_is_pmem_for_its_length),
		T(adjacent_map_sync_mappings_are_pmem_together),
		T(gap_between_map_sync_mappings_is_not_pmem),
		T(fallback_mapping_next_to_map_sync_one_is_not_pmem),
		T(unmap_of_middle_page_splits_the_pmem_range),
		T(unmap_spanning_two_pmem_ranges_trims_both),
		T(munmap_leaves_stale_range_so_next_mapping_there_fails_enomem),
		T(map_sync_errors_other_than_unsupported_are_final),
		T(map_sync_refused_as_unsupported_falls_back_to_plain_shared),
		T(deep_drain_and_msync_of_map_sync_range_succeed),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}

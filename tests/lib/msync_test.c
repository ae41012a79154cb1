/*
 * msync_test.c -- pmem_msync() and the deep persistence calls
 * (pmem_deep_flush, pmem_deep_drain, pmem_deep_persist) on memory that is
 * not pmem: their results and errors, as PMDK's libpmem gives them.
 *
 * Only the public API is used, so the same file also runs against PMDK.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <libpmem.h>

#include "map_util.h"

static size_t Pg;

/* anon -- n private anonymous pages */
static char *
anon(size_t n)
{
	char *p = mmap(NULL, n * Pg, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

/* set_stale_message -- a message the failing call must replace */
static void
set_stale_message(void)
{
	pmem_check_version(99, 0);
}

/* expect_enomem -- ret is -1, errno ENOMEM, message from msync */
static void
expect_enomem(int ret, int err)
{
	assert_int_equal(ret, -1);
	assert_int_equal(err, ENOMEM);
	assert_string_equal(pmem_errormsg(), "msync: Cannot allocate memory");
}

static void
msync_of_anonymous_memory_succeeds(void **state)
{
	(void)state;
	char *p = anon(2);
	p[0] = 1;
	assert_int_equal(pmem_msync(p, 2 * Pg), 0);
	assert_int_equal(pmem_msync(p + 100, 10), 0);
	munmap(p, 2 * Pg);
}

static void
msync_of_heap_at_odd_offset_succeeds(void **state)
{
	(void)state;
	char *h = calloc(1, 1000);
	assert_int_equal(pmem_msync(h + 3, 997), 0);
	free(h);
}

static void
msync_of_file_mapping_succeeds(void **state)
{
	(void)state;
	char *dir = mu_mkdtemp();
	char *file = mu_join(dir, "f");
	size_t mapped;
	char *p = pmem_map_file(file, 3 * Pg, PMEM_FILE_CREATE, 0644, &mapped,
		NULL);
	assert_non_null(p);
	memset(p, 'm', mapped);
	assert_int_equal(pmem_msync(p, mapped), 0);
	assert_int_equal(pmem_msync(p + Pg + 7, 1), 0);
	assert_int_equal(pmem_deep_drain(p, mapped), 0);
	assert_int_equal(pmem_deep_persist(p + 1, Pg), 0);
	assert_int_equal(pmem_unmap(p, mapped), 0);
	mu_rmtree(dir);
	free(file);
	free(dir);
}

static void
msync_of_unmapped_range_fails_enomem(void **state)
{
	(void)state;
	char *hole = mu_unmapped_range(2 * Pg);
	set_stale_message();
	errno = 0;
	int ret = pmem_msync(hole, 2 * Pg);
	expect_enomem(ret, errno);
}

static void
msync_rounds_start_down_to_page(void **state)
{
	(void)state;
	/* mapped, unmapped, mapped: the hole is reached only by rounding */
	char *p = anon(3);
	assert_int_equal(munmap(p + Pg, Pg), 0);
	assert_int_equal(pmem_msync(p + 2 * Pg + 5, 10), 0);
	errno = 0;
	int ret = pmem_msync(p + Pg + 5, 1);
	expect_enomem(ret, errno);
	/* a range running from a mapped page into the hole */
	errno = 0;
	ret = pmem_msync(p + Pg - 1, 2);
	expect_enomem(ret, errno);
	munmap(p, 3 * Pg);
}

static void
msync_zero_length_at_aligned_unmapped_address_succeeds(void **state)
{
	(void)state;
	char *hole = mu_unmapped_range(Pg);
	assert_int_equal(pmem_msync(hole, 0), 0);
}

static void
msync_zero_length_at_unaligned_unmapped_address_fails_enomem(void **state)
{
	(void)state;
	char *hole = mu_unmapped_range(Pg);
	set_stale_message();
	errno = 0;
	int ret = pmem_msync(hole + 1, 0);
	expect_enomem(ret, errno);
}

static void
deep_calls_with_zero_length_succeed_without_touching_memory(void **state)
{
	(void)state;
	char *hole = mu_unmapped_range(Pg);
	assert_int_equal(pmem_deep_drain(hole, 0), 0);
	assert_int_equal(pmem_deep_drain(hole + 1, 0), 0);
	pmem_deep_flush(hole, 0);
	assert_int_equal(pmem_deep_persist(hole, 0), 0);
}

static void
deep_calls_on_anonymous_memory_succeed(void **state)
{
	(void)state;
	char *p = anon(2);
	memset(p, 1, 2 * Pg);
	pmem_deep_flush(p + 3, 2 * Pg - 3);
	assert_int_equal(pmem_deep_drain(p, 2 * Pg), 0);
	assert_int_equal(pmem_deep_drain(p + 1, 1), 0);
	assert_int_equal(pmem_deep_persist(p + 5, Pg), 0);
	char *h = calloc(1, 100);
	assert_int_equal(pmem_deep_persist(h + 1, 99), 0);
	free(h);
	munmap(p, 2 * Pg);
}

static void
deep_drain_of_unmapped_range_fails_enomem(void **state)
{
	(void)state;
	char *hole = mu_unmapped_range(2 * Pg);
	set_stale_message();
	errno = 0;
	int ret = pmem_deep_drain(hole, 2 * Pg);
	expect_enomem(ret, errno);
	/* also when only part of the range is unmapped */
	char *p = anon(2);
	assert_int_equal(munmap(p + Pg, Pg), 0);
	set_stale_message();
	errno = 0;
	ret = pmem_deep_drain(p, 2 * Pg);
	expect_enomem(ret, errno);
	munmap(p, Pg);
}

int
main(void)
{
	Pg = (size_t)sysconf(_SC_PAGESIZE);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(msync_of_anonymous_memory_succeeds),
		cmocka_unit_test(msync_of_heap_at_odd_offset_succeeds),
		cmocka_unit_test(msync_of_file_mapping_succeeds),
		cmocka_unit_test(msync_of_unmapped_range_fails_enomem),
		cmocka_unit_test(msync_rounds_start_down_to_page),
		cmocka_unit_test(
			msync_zero_length_at_aligned_unmapped_address_succeeds),
		cmocka_unit_test(
			msync_zero_length_at_unaligned_unmapped_address_fails_enomem),
		cmocka_unit_test(
			deep_calls_with_zero_length_succeed_without_touching_memory),
		cmocka_unit_test(deep_calls_on_anonymous_memory_succeed),
		cmocka_unit_test(deep_drain_of_unmapped_range_fails_enomem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * map_hint_test.c -- PMEM_MMAP_HINT: a hexadecimal address (0x optional,
 * parsed like strtoull base 16) below which pmem_map_file() does not place
 * mappings; it takes the first free gap of /proc/self/maps at or above the
 * hint, aligned to 2 MiB (1 GiB for 2 GiB or more). A value strtoull cannot
 * parse is ignored.
 *
 * The variable is read at load, so BUILD runs this file once per value, with
 * EXPECT_HINT giving the hint the library must use ("none" if ignored).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <libpmem.h>

#include "map_util.h"

#define MIB (1UL << 20)
#define GIB (1UL << 30)

static int Hint_set;
static uintptr_t Hint;
static uintptr_t Pg;

struct env {
	char *dir;
	int files;
};

/* setup -- a fresh directory */
static int
setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));
	env->dir = mu_mkdtemp();
	*state = env;
	return 0;
}

/* teardown -- removes the directory; nothing may still be mapped */
static int
teardown(void **state)
{
	struct env *env = *state;
	int maps = mu_count_maps(env->dir);
	mu_rmtree(env->dir);
	free(env->dir);
	free(env);
	assert_int_equal(maps, 0);
	return 0;
}

/* align_up -- p rounded up to a */
static uintptr_t
align_up(uintptr_t p, uintptr_t a)
{
	return (p + a - 1) & ~(a - 1);
}

/* first_gap -- lowest a-aligned address >= start with len bytes free */
static uintptr_t
first_gap(uintptr_t start, size_t len, uintptr_t a)
{
	FILE *f = fopen("/proc/self/maps", "re");
	assert_non_null(f);
	uintptr_t cand = align_up(start < Pg ? Pg : start, a);
	unsigned long lo, hi;
	char line[512];
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2 || hi <= cand)
			continue;
		if (lo >= cand && lo - cand >= len)
			break;
		cand = align_up(hi, a);
	}
	fclose(f);
	return cand;
}

/* map_new -- maps a new sparse file of len bytes */
static char *
map_new(struct env *env, size_t len)
{
	char name[32];
	snprintf(name, sizeof(name), "f%d", env->files++);
	char *file = mu_join(env->dir, name);
	size_t mapped;
	char *addr = pmem_map_file(file, len, PMEM_FILE_CREATE |
		PMEM_FILE_SPARSE, 0644, &mapped, NULL);
	if (addr == NULL)
		fail_msg("pmem_map_file: %s", pmem_errormsg());
	unlink(file);
	free(file);
	return addr;
}

/* expect_placed -- maps len bytes and checks where they land */
static char *
expect_placed(struct env *env, size_t len)
{
	uintptr_t align = len >= 2 * GIB ? GIB : 2 * MIB;
	uintptr_t lowest = first_gap(0, len, align);
	uintptr_t want = Hint_set ? first_gap(Hint, len, align) : 0;
	char *addr = map_new(env, len);
	assert_int_equal((uintptr_t)addr % align, 0);
	if (Hint_set)
		assert_ptr_equal(addr, (void *)want);
	else
		/* not the lowest gap, where a hint parsed as 0 would go */
		assert_true((uintptr_t)addr != lowest);
	return addr;
}

static void
mapping_goes_to_first_gap_at_or_above_hint(void **state)
{
	struct env *env = *state;
	char *a = expect_placed(env, 3 * Pg);
	assert_int_equal(pmem_unmap(a, 3 * Pg), 0);
}

static void
hinted_placement_is_repeatable(void **state)
{
	struct env *env = *state;
	char *a = map_new(env, 4 * MIB);
	assert_int_equal(pmem_unmap(a, 4 * MIB), 0);
	char *b = map_new(env, 4 * MIB);
	assert_ptr_equal(a, b);
	assert_int_equal(pmem_unmap(b, 4 * MIB), 0);
}

static void
second_mapping_goes_past_the_first(void **state)
{
	struct env *env = *state;
	char *a = expect_placed(env, 3 * MIB);
	char *b = expect_placed(env, 3 * MIB);
	if (Hint_set)
		assert_ptr_equal(b, a + 4 * MIB);
	assert_int_equal(pmem_unmap(a, 3 * MIB), 0);
	assert_int_equal(pmem_unmap(b, 3 * MIB), 0);
}

static void
gap_too_small_at_hint_is_skipped(void **state)
{
	struct env *env = *state;
	uintptr_t h = first_gap(Hint, 8 * MIB, 2 * MIB);
	/* a page in the way 1 MiB above the hinted address */
	void *blocker = mmap((void *)(h + MIB), Pg, PROT_NONE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	assert_ptr_equal(blocker, (void *)(h + MIB));
	char *a = expect_placed(env, 2 * MIB);
	assert_ptr_equal(a, (void *)(h + 2 * MIB));
	assert_int_equal(pmem_unmap(a, 2 * MIB), 0);
	munmap(blocker, Pg);
}

static void
large_mapping_goes_to_first_1gib_aligned_gap(void **state)
{
	struct env *env = *state;
	char *a = expect_placed(env, 2 * GIB);
	assert_int_equal(pmem_unmap(a, 2 * GIB), 0);
}

int
main(void)
{
	Pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	const char *e = getenv("EXPECT_HINT");
	if (e == NULL) {
		fprintf(stderr, "EXPECT_HINT not set\n");
		return 1;
	}
	if (strcmp(e, "none") != 0) {
		Hint_set = 1;
		Hint = (uintptr_t)strtoull(e, NULL, 16);
	}
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest hinted[] = {
		T(mapping_goes_to_first_gap_at_or_above_hint),
		T(hinted_placement_is_repeatable),
		T(second_mapping_goes_past_the_first),
		T(gap_too_small_at_hint_is_skipped),
		T(large_mapping_goes_to_first_1gib_aligned_gap),
	};
	/* an ignored hint: only where the mappings do not go */
	const struct CMUnitTest ignored[] = {
		T(mapping_goes_to_first_gap_at_or_above_hint),
		T(second_mapping_goes_past_the_first),
		T(large_mapping_goes_to_first_1gib_aligned_gap),
	};
#undef T
	if (Hint_set)
		return cmocka_run_group_tests(hinted, NULL, NULL);
	return cmocka_run_group_tests(ignored, NULL, NULL);
}

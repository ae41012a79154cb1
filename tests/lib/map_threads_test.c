/*
 * map_threads_test.c -- pmem_map_file(), pmem_unmap() and pmem_is_pmem()
 * from several threads at once, with MAP_SYNC made to succeed (sys_wrap.c)
 * so every mapping is recorded. Meant for bazel test --config=tsan; plain
 * and ASan runs check the answers.
 *
 * Threads only count what went wrong; the main thread asserts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpmem.h>

#include "map_util.h"
#include "sys_wrap.h"

#define THREADS 4
#define ROUNDS 40

static size_t Pg;
static char *Dir;
static pthread_barrier_t Start;

struct worker {
	int id;
	int errors;
	char first_error[160];
};

/* bad -- counts a wrong answer, keeping the first for the report */
static void
bad(struct worker *w, const char *what, int round)
{
	if (w->errors++ == 0)
		snprintf(w->first_error, sizeof(w->first_error),
			"thread %d round %d: %s (%s)", w->id, round, what,
			pmem_errormsg());
}

/* mapper -- maps, checks, splits and unmaps its own files */
static void *
mapper(void *arg)
{
	struct worker *w = arg;
	char name[32];
	snprintf(name, sizeof(name), "t%d", w->id);
	char *file = mu_join(Dir, name);
	char heap[64] = { 0 };
	pthread_barrier_wait(&Start);
	/* every thread's first call may be the one that latches the policy */
	if (pmem_is_pmem(heap, sizeof(heap)) != 0)
		bad(w, "heap is pmem", -1);
	for (int r = 0; r < ROUNDS; r++) {
		size_t len = (size_t)(1 + r % 3) * Pg;
		size_t mapped = 0;
		int is_pmem = -1;
		char *a = pmem_map_file(file, len, PMEM_FILE_CREATE |
			PMEM_FILE_SPARSE, 0644, &mapped, &is_pmem);
		if (a == NULL) {
			bad(w, "map failed", r);
			continue;
		}
		if (mapped != len || is_pmem != 1)
			bad(w, "wrong mapped length or is_pmem", r);
		memset(a, w->id, len);
		if (pmem_is_pmem(a, len) != 1 || pmem_is_pmem(a + 1, 1) != 1)
			bad(w, "own mapping not pmem", r);
		if (len == 3 * Pg) {
			if (pmem_unmap(a + Pg, Pg) != 0)
				bad(w, "unmap of middle page failed", r);
			/* the middle page may be someone else's now: only
			 * the outer pages are certain */
			if (pmem_is_pmem(a, Pg) != 1 ||
					pmem_is_pmem(a + 2 * Pg, Pg) != 1)
				bad(w, "outer pages not pmem after split", r);
			if (a[0] != w->id || a[3 * Pg - 1] != w->id)
				bad(w, "outer pages lost their data", r);
			if (pmem_unmap(a, Pg) != 0 ||
					pmem_unmap(a + 2 * Pg, Pg) != 0)
				bad(w, "unmap of outer pages failed", r);
		} else if (pmem_unmap(a, len) != 0) {
			bad(w, "unmap failed", r);
		}
	}
	unlink(file);
	free(file);
	return NULL;
}

/* failer -- failing calls: errno and the message are this thread's own */
static void *
failer(void *arg)
{
	struct worker *w = arg;
	char *file = mu_join(Dir, "existing");
	pthread_barrier_wait(&Start);
	for (int r = 0; r < ROUNDS; r++) {
		errno = 0;
		if (pmem_map_file(NULL, 0, 0, 0, NULL, NULL) != NULL ||
				errno != EINVAL ||
				strcmp(pmem_errormsg(), "invalid (NULL) path") != 0)
			bad(w, "NULL path", r);
		errno = 0;
		if (pmem_map_file(file, Pg, PMEM_FILE_CREATE | PMEM_FILE_EXCL,
				0644, NULL, NULL) != NULL || errno != EEXIST ||
				strncmp(pmem_errormsg(), "open ", 5) != 0)
			bad(w, "EEXIST", r);
		char heap[16];
		if (pmem_is_pmem(heap, sizeof(heap)) != 0)
			bad(w, "stack is pmem", r);
	}
	free(file);
	return NULL;
}

static void
concurrent_map_unmap_and_is_pmem_keep_ranges_consistent(void **state)
{
	(void)state;
	wrap_reset();
	Wrap.map_sync = WRAP_SUCCEED;
	Dir = mu_mkdtemp();
	char *existing = mu_join(Dir, "existing");
	mu_make_file(existing, Pg, 0644);
	int fds = mu_count_fds();

	struct worker w[THREADS + 1];
	pthread_t t[THREADS + 1];
	pthread_barrier_init(&Start, NULL, THREADS + 1);
	for (int i = 0; i <= THREADS; i++) {
		w[i] = (struct worker){ .id = i };
		assert_int_equal(pthread_create(&t[i], NULL,
			i < THREADS ? mapper : failer, &w[i]), 0);
	}
	for (int i = 0; i <= THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&Start);

	for (int i = 0; i <= THREADS; i++)
		if (w[i].errors != 0)
			fail_msg("%d errors; first: %s", w[i].errors,
				w[i].first_error);
	assert_int_equal(Seen.map_sync_calls, THREADS * ROUNDS);
	assert_int_equal(mu_count_maps(Dir), 0);
	assert_int_equal(mu_count_fds(), fds);
	wrap_reset();
	mu_rmtree(Dir);
	free(existing);
	free(Dir);
}

int
main(void)
{
	Pg = (size_t)sysconf(_SC_PAGESIZE);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			concurrent_map_unmap_and_is_pmem_keep_ranges_consistent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

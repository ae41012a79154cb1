/*
 * emu_threads_test.c -- several threads persisting at once under emulation.
 *
 * Four threads own disjoint slots of one mapping: lines interleaved over
 * the same pages (line i belongs to thread i % 4) and 256-byte records in a
 * page of their own. Each rewrites its slots many times, making each write
 * durable with pmem_persist, pmem_flush + pmem_drain or
 * pmem_memcpy_persist in turn, and now and then reads its last write back
 * from the file with pread: it must be there (a drain makes at least the
 * calling thread's flushed lines durable). After the joins, the file holds
 * every slot's last write, with the mapping still live.
 *
 * Data-race free by construction (for bazel test --config=tsan): a thread
 * stores only into its own slots and reads only those back; the main
 * thread reads the threads' results after joining them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpmem.h>

#include "emu_record.h"
#include "emu_util.h"

#define THREADS 4
#define ITERATIONS 6000
#define CHECK_EVERY 50
#define PAGE 4096
#define SHARED_PAGES 4
#define LINES_EACH (SHARED_PAGES * PAGE / EU_LINE / THREADS)
#define RECORD 256
#define RECORDS_EACH (PAGE / RECORD)
#define FILE_SIZE ((SHARED_PAGES + THREADS) * PAGE)

static char *Map;
static char *Path;

struct worker {
	int id;
	uint64_t line_last[LINES_EACH];		/* last value of each line */
	uint64_t record_last[RECORDS_EACH];	/* and of each record */
	int errors;
	char first_error[160];
};

/* line_off -- file offset of line j of thread t */
static size_t
line_off(int t, int j)
{
	return (size_t)(j * THREADS + t) * EU_LINE;
}

/* record_off -- file offset of record k of thread t */
static size_t
record_off(int t, int k)
{
	return (size_t)(SHARED_PAGES + t) * PAGE + (size_t)k * RECORD;
}

/* write_durably -- value into the slot at off, made durable as i says */
static void
write_durably(size_t off, size_t size, uint64_t value, int i)
{
	char *d = Map + off;
	unsigned char buf[RECORD];
	switch (i % 3) {
	case 0:
		record_fill((unsigned char *)d, size, value);
		pmem_persist(d, size);
		break;
	case 1:
		record_fill((unsigned char *)d, size, value);
		pmem_flush(d, size);
		pmem_drain();
		break;
	default:
		record_fill(buf, size, value);
		pmem_memcpy_persist(d, buf, size);
		break;
	}
}

static void *
writer(void *arg)
{
	struct worker *w = arg;
	int fd = open(Path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		w->errors++;
		snprintf(w->first_error, sizeof(w->first_error), "open");
		return NULL;
	}
	for (int i = 0; i < ITERATIONS; i++) {
		uint64_t value = (uint64_t)w->id << 32 | (uint64_t)i;
		size_t off, size;
		if (i % 2 == 0) {
			int j = (i / 2) % LINES_EACH;
			off = line_off(w->id, j);
			size = EU_LINE;
			w->line_last[j] = value;
		} else {
			int k = (i / 2) % RECORDS_EACH;
			off = record_off(w->id, k);
			size = RECORD;
			w->record_last[k] = value;
		}
		write_durably(off, size, value, i);
		if (i % CHECK_EVERY != 0)
			continue;
		unsigned char buf[RECORD];
		if (pread(fd, buf, size, (off_t)off) != (ssize_t)size ||
				!record_ok(buf, size, value)) {
			if (w->errors++ == 0)
				snprintf(w->first_error,
					sizeof(w->first_error),
					"thread %d iteration %d: slot at %zu "
					"not in the file after its drain",
					w->id, i, off);
		}
	}
	close(fd);
	return NULL;
}

/* check_file -- every slot of every thread holds its last value */
static void
check_file(const struct worker *w)
{
	unsigned char *buf = malloc(FILE_SIZE);
	assert_non_null(buf);
	eu_pread(Path, 0, buf, FILE_SIZE);
	for (int t = 0; t < THREADS; t++) {
		for (int j = 0; j < LINES_EACH; j++)
			if (!record_ok(buf + line_off(t, j), EU_LINE,
					w[t].line_last[j]))
				fail_msg("thread %d line %d (offset %zu): not "
					"its last persisted value", t, j,
					line_off(t, j));
		for (int k = 0; k < RECORDS_EACH; k++)
			if (!record_ok(buf + record_off(t, k), RECORD,
					w[t].record_last[k]))
				fail_msg("thread %d record %d (offset %zu): "
					"not its last persisted value", t, k,
					record_off(t, k));
	}
	free(buf);
}

static void
threads_persist_disjoint_slots(void **state)
{
	(void)state;
	Path = eu_join(Eu_dir, "shared");
	eu_make_file(Path, FILE_SIZE, EU_OLD);
	size_t len;
	int is_pmem = 0;
	Map = pmem_map_file(Path, 0, 0, 0, &len, &is_pmem);
	assert_non_null(Map);
	assert_int_equal(len, FILE_SIZE);
	assert_int_equal(is_pmem, 1);

	static struct worker w[THREADS];
	pthread_t th[THREADS];
	for (int t = 0; t < THREADS; t++) {
		w[t].id = t;
		assert_int_equal(pthread_create(&th[t], NULL, writer, &w[t]),
			0);
	}
	for (int t = 0; t < THREADS; t++)
		assert_int_equal(pthread_join(th[t], NULL), 0);
	for (int t = 0; t < THREADS; t++)
		if (w[t].errors != 0)
			fail_msg("%d errors, first: %s", w[t].errors,
				w[t].first_error);

	check_file(w);		/* mapping live: what the drains made durable */
	assert_int_equal(pmem_unmap(Map, len), 0);
	check_file(w);
	assert_int_equal(eu_file_size(Path), FILE_SIZE);
	eu_remove_file(Path);
}

int
main(void)
{
	printf("domain %s\n", eu_domain_name(eu_domain()));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(threads_persist_disjoint_slots),
	};
	return cmocka_run_group_tests(tests, eu_setup, eu_teardown);
}

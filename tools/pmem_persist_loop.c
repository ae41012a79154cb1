/*
 * pmem_persist_loop.c -- the plainest persist-heavy workload, to compare
 * the cost of settings (PMEM_EMULATE, PMEM_EMULATE_REPORT, ...) by running
 * it under each: stores 64 bytes to each line of a file, one line after the
 * other, with one pmem_persist per line; then unmaps the file.
 *
 * usage: pmem-persist-loop FILE [PERSISTS]
 * FILE is created (or resized) to PERSISTS lines (default 100000). Prints
 * the time of the loop; time the whole process to include what unmap and
 * exit do.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpmem.h>

#define LINE 64

int
main(int argc, char *argv[])
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: pmem-persist-loop FILE [PERSISTS]\n");
		return 2;
	}
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 100000;
	if (n <= 0 || n > 100000000) {
		fprintf(stderr, "pmem-persist-loop: PERSISTS must be "
			"1..100000000\n");
		return 2;
	}
	size_t len = (size_t)n * LINE, mapped;
	int is_pmem;
	char *p = pmem_map_file(argv[1], len, PMEM_FILE_CREATE, 0644, &mapped,
		&is_pmem);
	if (p == NULL) {
		fprintf(stderr, "pmem-persist-loop: %s\n", pmem_errormsg());
		return 1;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		uint64_t *line = (uint64_t *)(p + (size_t)i * LINE);
		for (size_t k = 0; k < LINE / sizeof(uint64_t); k++)
			line[k] = (uint64_t)i * 8 + k;
		pmem_persist(line, LINE);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%ld persists of %d B (is_pmem %d): %.3f s, %.3f us each\n", n,
		LINE, is_pmem, s, s * 1e6 / (double)n);
	if (pmem_unmap(p, mapped) != 0) {
		fprintf(stderr, "pmem-persist-loop: %s\n", pmem_errormsg());
		return 1;
	}
	return 0;
}

/*
 * pmem_demo.c -- the main job: map a file, write and persist records, read
 * them back, and say what the library chose.
 *
 * usage: pmem-demo [FILE] [RECORDS]
 * FILE defaults to pmem-demo.pool in /dev/shm (or $TMPDIR, or /tmp); it is
 * created, or reused and overwritten.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpmem.h>

#include "lib/ops.h"

#define RECORD_SIZE 64
#define DEFAULT_RECORDS 10000

/* One record: a sequence number, a payload and a checksum of both. */
struct record {
	uint64_t seq;
	char payload[RECORD_SIZE - 2 * sizeof(uint64_t)];
	uint64_t sum;
};

_Static_assert(sizeof(struct record) == RECORD_SIZE, "record is one line");

static uint64_t
checksum(const struct record *r)
{
	uint64_t h = 1469598103934665603ULL ^ r->seq;
	for (size_t i = 0; i < sizeof(r->payload); i++)
		h = (h ^ (unsigned char)r->payload[i]) * 1099511628211ULL;
	return h;
}

static double
now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *
default_path(char *buf, size_t size)
{
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NULL;
	if (dir == NULL)
		dir = getenv("TMPDIR");
	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	snprintf(buf, size, "%s/pmem-demo.pool", dir);
	return buf;
}

int
main(int argc, char *argv[])
{
	char pathbuf[4096];
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
			strcmp(argv[1], "--help") == 0)) {
		printf("usage: %s [FILE] [RECORDS]\n"
			"Maps FILE (default /dev/shm/pmem-demo.pool), writes and "
			"persists RECORDS\n64-byte records (default %d) with "
			"libpmem, reads them back and reports.\n",
			argv[0], DEFAULT_RECORDS);
		return 0;
	}
	const char *path = argc > 1 ? argv[1] : default_path(pathbuf,
		sizeof(pathbuf));
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : DEFAULT_RECORDS;
	if (n <= 0 || n > 100000000) {
		fprintf(stderr, "pmem-demo: RECORDS must be 1..100000000\n");
		return 2;
	}

	size_t len = (size_t)n * RECORD_SIZE;
	size_t mapped;
	int is_pmem;
	struct record *log = pmem_map_file(path, len, PMEM_FILE_CREATE, 0644,
		&mapped, &is_pmem);
	if (log == NULL) {
		fprintf(stderr, "pmem-demo: %s\n", pmem_errormsg());
		return 1;
	}

	printf("library: mode %s, flush %s (%s: %s), drain %s, copy engine %s, "
		"streaming from %zu bytes\n", Chosen.mode, Chosen.flush,
		Chosen.flush_needed ? "needed" : "not needed",
		Chosen.flush_reason, Chosen.drain, Chosen.engine,
		Chosen.movnt_threshold);
	printf("mapped %s: %zu bytes, is_pmem %d (%s)\n", path, mapped, is_pmem,
		is_pmem ? "persisting with pmem_memcpy_persist"
			: "not pmem: copying, then pmem_msync per record");

	double t0 = now_sec();
	for (long i = 0; i < n; i++) {
		struct record r = { .seq = (uint64_t)i };
		snprintf(r.payload, sizeof(r.payload), "record %ld", i);
		r.sum = checksum(&r);
		if (is_pmem) {
			pmem_memcpy_persist(&log[i], &r, sizeof(r));
		} else {
			memcpy(&log[i], &r, sizeof(r));
			if (pmem_msync(&log[i], sizeof(r)) != 0) {
				fprintf(stderr, "pmem-demo: %s\n", pmem_errormsg());
				pmem_unmap(log, mapped);
				return 1;
			}
		}
	}
	double t1 = now_sec();

	long bad = 0;
	for (long i = 0; i < n; i++)
		if (log[i].seq != (uint64_t)i || log[i].sum != checksum(&log[i]))
			bad++;
	double us = (t1 - t0) * 1e6 / (double)n;
	printf("wrote and persisted %ld records of %d bytes in %.3f s "
		"(%.2f us per record); read back: %ld intact, %ld bad\n",
		n, RECORD_SIZE, t1 - t0, us, n - bad, bad);

	if (pmem_unmap(log, mapped) != 0) {
		fprintf(stderr, "pmem-demo: %s\n", pmem_errormsg());
		return 1;
	}
	return bad == 0 ? 0 : 1;
}

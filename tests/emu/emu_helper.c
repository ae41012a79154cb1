/*
 * emu_helper.c -- a program linked with the library, run by the tests with
 * the environment they choose (the library reads it at load):
 *
 *   emu_helper [version]          prints "main ran", checks the version
 *   emu_helper stats FILE         the sequence emu_stats_test counts
 *   emu_helper stats-copy FILE    a few copies, for the drain count
 *   emu_helper two FILE1 FILE2    persists line 0 of each file ('n')
 *   emu_helper persist FILE N D END
 *                                 persists N 256-byte records (emu_record.h)
 *                                 at the start of FILE, then D more drains,
 *                                 prints "done" and ends: END is "kill"
 *                                 (SIGKILL) or "exit" (return from main)
 *   emu_helper crash FILE         the persistence points of
 *                                 emu_crash_protocol_test (see crash())
 *
 * FILE must exist. Exit status 2 for a wrong use or a failed call.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpmem.h>

#include "emu_record.h"

#define LINE 64
#define RECORD 256

/* fail -- reports a failed step and exits with status 2 */
static void
fail(const char *what)
{
	fprintf(stderr, "emu_helper: %s: %s\n", what, pmem_errormsg());
	exit(2);
}

/* map -- maps the existing file whole */
static char *
map(const char *path, size_t *len)
{
	int is_pmem = 0;
	char *p = pmem_map_file(path, 0, 0, 0, len, &is_pmem);
	if (p == NULL)
		fail("pmem_map_file");
	if (!is_pmem)
		fail("is_pmem is 0");
	return p;
}

/*
 * stats -- 3 persists of one new line each; one flush of 2 new lines and a
 * drain; one flush of an unchanged line and a drain; one line stored and
 * never flushed; unmap.
 */
static int
stats(const char *path)
{
	size_t len;
	char *p = map(path, &len);
	if (len < 16 * LINE)
		fail("file too small");
	for (int i = 0; i < 3; i++) {
		memset(p + i * LINE, 'n', LINE);
		pmem_persist(p + i * LINE, LINE);
	}
	memset(p + 4 * LINE, 'n', 2 * LINE);
	pmem_flush(p + 4 * LINE, 2 * LINE);
	pmem_drain();
	pmem_flush(p + 8 * LINE, LINE);
	pmem_drain();
	memset(p + 10 * LINE, 'n', LINE);
	if (pmem_unmap(p, len) != 0)
		fail("pmem_unmap");
	return 0;
}

/* stats_copy -- a temporal copy and a streaming fill, each persisted */
static int
stats_copy(const char *path)
{
	size_t len;
	char *p = map(path, &len);
	if (len < 8192)
		fail("file too small");
	char src[2 * LINE];
	memset(src, 'c', sizeof(src));
	pmem_memcpy_persist(p, src, sizeof(src));
	pmem_memset_persist(p + 4096, 's', 1024);
	if (pmem_unmap(p, len) != 0)
		fail("pmem_unmap");
	return 0;
}

/* two -- line 0 of each of two files stored and persisted, both mapped */
static int
two(const char *path1, const char *path2)
{
	size_t len1, len2;
	char *p1 = map(path1, &len1);
	char *p2 = map(path2, &len2);
	memset(p1, 'n', LINE);
	pmem_persist(p1, LINE);
	memset(p2, 'n', LINE);
	pmem_persist(p2, LINE);
	if (pmem_unmap(p1, len1) != 0 || pmem_unmap(p2, len2) != 0)
		fail("pmem_unmap");
	return 0;
}

/* persist -- n records, d more drains, then the end asked for */
static int
persist(const char *path, long n, long d, const char *end)
{
	size_t len;
	char *p = map(path, &len);
	if ((size_t)n * RECORD > len)
		fail("file too small");
	record_persist_all((unsigned char *)p, RECORD, (size_t)n);
	for (long i = 0; i < d; i++)
		pmem_drain();
	printf("done\n");
	fflush(stdout);
	if (strcmp(end, "kill") == 0)
		raise(SIGKILL);
	return 0;
}

/*
 * crash -- on a file of at least one page: line 0 stored and flushed, line
 * 1 stored and never flushed, drain (point 1); 8 bytes of line 2 persisted
 * (point 2); line 4 copied non-temporally and persisted (point 3); msync of
 * line 0 (point 4); unmap (point 5); the end (point 6). Stores are 'n'.
 */
static int
crash(const char *path)
{
	size_t len;
	char *p = map(path, &len);
	char n[LINE];
	memset(n, 'n', sizeof(n));
	memset(p, 'n', LINE);
	pmem_flush(p, LINE);
	memset(p + LINE, 'n', LINE);
	pmem_drain();
	memcpy(p + 2 * LINE, n, 8);
	pmem_persist(p + 2 * LINE, 8);
	pmem_memcpy(p + 4 * LINE, n, LINE, PMEM_F_MEM_NONTEMPORAL);
	if (pmem_msync(p, LINE) != 0)
		fail("pmem_msync");
	if (pmem_unmap(p, len) != 0)
		fail("pmem_unmap");
	printf("done\n");
	return 0;
}

int
main(int argc, char *argv[])
{
	printf("main ran\n");
	if (argc < 2 || strcmp(argv[1], "version") == 0) {
		const char *msg = pmem_check_version(PMEM_MAJOR_VERSION,
			PMEM_MINOR_VERSION);
		if (msg != NULL) {
			fprintf(stderr, "emu_helper: %s\n", msg);
			return 2;
		}
		return 0;
	}
	if (strcmp(argv[1], "stats") == 0 && argc == 3)
		return stats(argv[2]);
	if (strcmp(argv[1], "crash") == 0 && argc == 3)
		return crash(argv[2]);
	if (strcmp(argv[1], "stats-copy") == 0 && argc == 3)
		return stats_copy(argv[2]);
	if (strcmp(argv[1], "two") == 0 && argc == 4)
		return two(argv[2], argv[3]);
	if (strcmp(argv[1], "persist") == 0 && argc == 6)
		return persist(argv[2], atol(argv[3]), atol(argv[4]), argv[5]);
	fprintf(stderr, "emu_helper: wrong use\n");
	return 2;
}

/*
 * emu_sparse_test.c -- a 64 GiB sparse file under emulation: mapping it
 * and persisting a few records far apart costs memory and disk in
 * proportion to what was touched, not to the mapping's length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libpmem.h>

#include "emu_record.h"
#include "emu_util.h"

#define GIB ((size_t)1 << 30)
#define MIB ((size_t)1 << 20)
#define SIZE (64 * GIB)
#define RECORD 256
#define MAX_RSS_GROWTH (8 * MIB)
#define MAX_ALLOCATED (8 * MIB)

static const size_t Offsets[] = {
	0,
	1 * GIB + 3 * 4096 + 64,
	32 * GIB + 100,			/* not line-aligned */
	48 * GIB + 4096 - 128,		/* over a page boundary */
	SIZE - RECORD,
};
#define NOFFSETS (sizeof(Offsets) / sizeof(Offsets[0]))

#define MARKER_OFF (40 * GIB + 7)
#define MARKER "marker in the file before mapping"

static bool Sparse_ok;

/* allocated -- bytes of disk the file holds */
static size_t
allocated(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return (size_t)st.st_blocks * 512;
}

/* expect_records -- the records are in the file (pread) */
static void
expect_records(const char *path)
{
	unsigned char buf[RECORD];
	for (size_t i = 0; i < NOFFSETS; i++) {
		eu_pread(path, (off_t)Offsets[i], buf, RECORD);
		if (!record_ok(buf, RECORD, i))
			fail_msg("record %zu at offset %zu not in the file", i,
				Offsets[i]);
	}
}

/* expect_mapped -- pmem_map_file gave p, len and is_pmem: the whole file,
 * pmem */
static void
expect_mapped(const char *p, size_t len, int is_pmem)
{
	if (p == NULL)
		fail_msg("pmem_map_file: %s", pmem_errormsg());
	assert_int_equal(len, SIZE);
	assert_int_equal(is_pmem, 1);
	assert_int_equal(pmem_is_pmem(p + SIZE - 1, 1), 1);
}

/*
 * persist_records -- the records, each persisted, and pmem_unmap: RSS grew
 * little, the records are durable with the mapping live and after it, the
 * file keeps its size and holds little disk
 */
static void
persist_records(const char *path, char *p, size_t rss0)
{
	for (size_t i = 0; i < NOFFSETS; i++) {
		record_fill((unsigned char *)p + Offsets[i], RECORD, i);
		pmem_persist(p + Offsets[i], RECORD);
	}
	expect_records(path);		/* durable with the mapping live */
	/* reading untouched parts: zeros, and no memory either */
	for (size_t off = 2 * GIB; off < SIZE; off += 4 * GIB)
		if (p[off] != 0)
			fail_msg("byte at %zu of the sparse file is 0x%02x",
				off, (unsigned char)p[off]);
	size_t rss = eu_rss();
	print_message("RSS grew by %zu KiB\n",
		rss > rss0 ? (rss - rss0) / 1024 : 0);
	if (rss > rss0 && rss - rss0 >= MAX_RSS_GROWTH)
		fail_msg("RSS grew by %zu KiB mapping %zu GiB and touching "
			"%zu records", (rss - rss0) / 1024, SIZE / GIB,
			NOFFSETS);
	assert_int_equal(pmem_unmap(p, SIZE), 0);
	assert_int_equal(eu_file_size(path), SIZE);
	expect_records(path);
	size_t a = allocated(path);
	print_message("file holds %zu KiB\n", a / 1024);
	assert_true(a < MAX_ALLOCATED);
}

static void
created_sparse_file(void **state)
{
	(void)state;
	if (!Sparse_ok)
		skip();
	char *path = eu_join(Eu_dir, "created");
	size_t rss0 = eu_rss();
	size_t len = 0;
	int is_pmem = 0;
	char *p = pmem_map_file(path, SIZE,
		PMEM_FILE_CREATE | PMEM_FILE_SPARSE, 0644, &len, &is_pmem);
	expect_mapped(p, len, is_pmem);
	persist_records(path, p, rss0);
	eu_remove_file(path);
}

static void
existing_sparse_file(void **state)
{
	(void)state;
	if (!Sparse_ok)
		skip();
	char *path = eu_join(Eu_dir, "existing");
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)SIZE), 0);
	assert_int_equal(pwrite(fd, MARKER, sizeof(MARKER), MARKER_OFF),
		sizeof(MARKER));
	close(fd);
	size_t rss0 = eu_rss();
	size_t len = 0;
	int is_pmem = 0;
	char *p = pmem_map_file(path, 0, 0, 0, &len, &is_pmem);
	expect_mapped(p, len, is_pmem);
	/* the mapping shows the file */
	assert_memory_equal(p + MARKER_OFF, MARKER, sizeof(MARKER));
	persist_records(path, p, rss0);
	char buf[sizeof(MARKER)];
	eu_pread(path, MARKER_OFF, buf, sizeof(buf));
	assert_memory_equal(buf, MARKER, sizeof(MARKER));
	eu_remove_file(path);
}

/* sparse_possible -- the directory takes a 64 GiB sparse file */
static bool
sparse_possible(const char *dir)
{
	char *probe = eu_join(dir, "probe");
	int fd = open(probe, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(probe);
		return false;
	}
	bool ok = ftruncate(fd, (off_t)SIZE) == 0 &&
		pwrite(fd, "x", 1, (off_t)SIZE - 1) == 1;
	if (!ok)
		printf("no 64 GiB sparse file in %s: %s\n", dir,
			strerror(errno));
	struct stat st;
	if (ok && (fstat(fd, &st) != 0 ||
			(size_t)st.st_blocks * 512 >= MAX_ALLOCATED)) {
		printf("files in %s are not sparse\n", dir);
		ok = false;
	}
	close(fd);
	unlink(probe);
	free(probe);
	return ok;
}

/* setup -- eu_setup, and whether its directory takes the sparse file */
static int
setup(void **state)
{
	int ret = eu_setup(state);
	Sparse_ok = sparse_possible(Eu_dir);
	return ret;
}

int
main(void)
{
	printf("domain %s\n", eu_domain_name(eu_domain()));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(created_sparse_file),
		cmocka_unit_test(existing_sparse_file),
	};
	return cmocka_run_group_tests(tests, setup, eu_teardown);
}

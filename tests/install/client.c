/*
 * client.c -- a program built outside Bazel against the installed library,
 * with cc $(pkg-config --cflags --libs libpmem): maps FILE, persists a
 * record, reads it back, and prints which libpmem.so.1 it runs on.
 *
 * usage: client FILE
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <libpmem.h>

int
main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	const char *why = pmem_check_version(PMEM_MAJOR_VERSION,
		PMEM_MINOR_VERSION);
	if (why != NULL) {
		fprintf(stderr, "client: %s\n", why);
		return 1;
	}
	size_t mapped;
	int is_pmem;
	char *p = pmem_map_file(argv[1], 4096, PMEM_FILE_CREATE, 0600,
		&mapped, &is_pmem);
	if (p == NULL) {
		fprintf(stderr, "client: %s\n", pmem_errormsg());
		return 1;
	}
	static const char rec[] = "persisted by the installed libpmem";
	pmem_memcpy_persist(p, rec, sizeof(rec));
	int ok = memcmp(p, rec, sizeof(rec)) == 0;
	if (pmem_unmap(p, mapped) != 0) {
		fprintf(stderr, "client: %s\n", pmem_errormsg());
		return 1;
	}
	Dl_info info;
	if (dladdr((void *)pmem_persist, &info) == 0 ||
			info.dli_fname == NULL) {
		fprintf(stderr, "client: dladdr found no library\n");
		return 1;
	}
	printf("library %s\nis_pmem %d\nrecord %s\n", info.dli_fname, is_pmem,
		ok ? "intact" : "bad");
	return ok ? 0 : 1;
}

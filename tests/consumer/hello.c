/*
 * hello.c -- a program of another workspace: maps FILE, persists a greeting,
 * reads it back.
 *
 * usage: hello FILE
 */
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
	size_t mapped;
	int is_pmem;
	char *p = pmem_map_file(argv[1], 4096, PMEM_FILE_CREATE, 0600,
		&mapped, &is_pmem);
	if (p == NULL) {
		fprintf(stderr, "hello: %s\n", pmem_errormsg());
		return 1;
	}
	static const char msg[] = "hello, persistent memory";
	if (is_pmem)
		pmem_memcpy_persist(p, msg, sizeof(msg));
	else
		memcpy(p, msg, sizeof(msg)), pmem_msync(p, sizeof(msg));
	int ok = strcmp(p, msg) == 0;
	printf("%s (is_pmem %d): %s\n", argv[1], is_pmem, ok ? p : "BAD");
	pmem_unmap(p, mapped);
	return ok ? 0 : 1;
}

/*
 * map_util.h -- helpers for the pmem_map_file tests: temporary directories,
 * descriptor and mapping counts, files of a given size, dropped privileges.
 */
#ifndef TESTS_LIB_MAP_UTIL_H
#define TESTS_LIB_MAP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A test's own directory, for the cmocka fixtures below. */
struct mu_env {
	char *dir;	/* fresh, removed at teardown */
	int fds;	/* descriptors open before the test */
	int files;	/* for tests that number the files they make */
};

/* cmocka setup: a fresh directory and the descriptor count before the test. */
int mu_setup(void **state);

/* cmocka teardown: nothing of the test's directory is mapped and no
 * descriptor leaked; removes the directory. */
int mu_teardown(void **state);

/* A new empty directory under $TEST_TMPDIR (or /tmp); free() it. */
char *mu_mkdtemp(void);

/* Removes dir and everything under it. */
void mu_rmtree(const char *dir);

/* "dir/name" in a buffer the caller frees. */
char *mu_join(const char *dir, const char *name);

/* Number of open descriptors of this process. */
int mu_count_fds(void);

/* Number of lines of /proc/self/maps that contain needle. */
int mu_count_maps(const char *needle);

/* The /proc/self/maps line of the mapping holding addr, or NULL; free() it. */
char *mu_maps_line(const void *addr);

/* Creates (or truncates) path with exactly size bytes of pattern 'x'. */
void mu_make_file(const char *path, off_t size, mode_t mode);

/* Size of path, or -1 if it does not exist. */
off_t mu_file_size(const char *path);

/* Number of entries (besides . and ..) in dir. */
int mu_count_entries(const char *dir);

/* True if any page of [addr, addr+len) is mapped. */
bool mu_is_mapped(const void *addr, size_t len);

/* Page-aligned address range of len bytes with nothing mapped (likely). */
void *mu_unmapped_range(size_t len);

/*
 * Runs fn(arg) on a thread without the capabilities that bypass file
 * permissions (as an ordinary user would be). Returns false, without running
 * fn, if they cannot be dropped.
 */
bool mu_without_dac_override(void (*fn)(void *arg), void *arg);

#endif

/*
 * sys_wrap.h -- link-time wrappers (-Wl,--wrap=...) around the system calls
 * pmem_map_file() makes, so tests can make them fail or, for MAP_SYNC,
 * succeed where the machine has no DAX. Link with WRAP_LINKOPTS (BUILD).
 */
#ifndef TESTS_LIB_SYS_WRAP_H
#define TESTS_LIB_SYS_WRAP_H

#include <limits.h>

/* Wrap.map_sync value: do the MAP_SYNC attempt as a plain MAP_SHARED. */
#define WRAP_SUCCEED (-1)

/* What the wrappers do. All zero: pass every call through unchanged. */
struct wrap_control {
	int map_sync;	/* MAP_SYNC attempt: 0 real, WRAP_SUCCEED, or errno */
	int map_shared;	/* plain MAP_SHARED of a file: 0 real, or errno */
	void *map_addr;	/* non-NULL: the hint file mappings pass instead */
	int ftruncate;	/* errno for ftruncate() */
	int fallocate;	/* error posix_fallocate() returns */
	int tmpfile;	/* errno for open(..., O_TMPFILE) */
};

/* What the wrappers saw since wrap_reset(). */
struct wrap_seen {
	int map_sync_calls;	/* mmap with MAP_SYNC */
	int map_shared_calls;	/* mmap MAP_SHARED of a file, no MAP_SYNC */
	int map_sync_flags;	/* flags of the last MAP_SYNC attempt */
	int map_sync_prot;
	void *map_sync_hint;
	int tmpfile_opens;	/* open() with O_TMPFILE */
	int tmpfile_flags;	/* its flags */
	int mkostemp_calls;
	char mkostemp_name[PATH_MAX];
	int file_fd;		/* dup of the last temp file made, or -1 */
};

extern struct wrap_control Wrap;
extern struct wrap_seen Seen;

/* Passes everything through again, forgets what was seen. */
void wrap_reset(void);

#endif

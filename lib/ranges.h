/*
 * ranges.h -- the process-wide list of mappings known to be pmem.
 *
 * pmem_map_file() records its MAP_SYNC and device-DAX mappings here;
 * pmem_is_pmem() and pmem_deep_drain() consult it; pmem_unmap() removes
 * ranges (splitting an entry when only part of it goes).
 */
#ifndef PMEM_RANGES_H
#define PMEM_RANGES_H

#include <stddef.h>
#include <stdint.h>

enum range_type {
	RANGE_MAP_SYNC,		/* file on fsdax, mapped with MAP_SYNC */
	RANGE_DEVDAX,		/* device DAX character device */
	RANGE_EMULATED,		/* emulated view of a file (PMEM_EMULATE) */
};

struct range {
	uintptr_t start;
	uintptr_t end;		/* exclusive */
	enum range_type type;
	int region_id;		/* device DAX region, -1 if unknown */
};

/* Records [addr, addr+len): 0, or -ENOMEM if it overlaps a recorded range
 * (or memory ran out). */
int ranges_add(const void *addr, size_t len, enum range_type type,
		int region_id);

/* Forgets every recorded byte inside [addr, addr+len). */
void ranges_remove(const void *addr, size_t len);

/* 1 if every byte of [addr, addr+len) is recorded (len > 0), else 0. */
int ranges_cover(const void *addr, size_t len);

/*
 * Calls fn for each piece of [addr, addr+len) in ascending order: recorded
 * pieces with their range, unrecorded gaps with NULL. Stops at and returns
 * the first non-zero result of fn. The list is read-locked meanwhile.
 */
int ranges_walk(const void *addr, size_t len,
		int (*fn)(uintptr_t start, uintptr_t end,
			const struct range *r, void *arg), void *arg);

#endif

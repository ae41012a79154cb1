/*
 * map_hint.h -- where to ask the kernel to place a pmem mapping.
 */
#ifndef PMEM_MAP_HINT_H
#define PMEM_MAP_HINT_H

#include <stddef.h>

/*
 * An address, aligned for huge pages (1 GiB for mappings of 2 GiB or more,
 * else 2 MiB), where len bytes are free; NULL lets the kernel choose. With
 * PMEM_MMAP_HINT, the first such gap at or above the hint.
 */
void *map_hint(size_t len);

#endif

/*
 * map_hint.c -- huge-page-friendly placement of pmem mappings.
 *
 * Without PMEM_MMAP_HINT, reserve len + align bytes of address space, give
 * them back and round the start up: the kernel's randomisation is kept and
 * the mapping can use 2 MiB or 1 GiB pages on DAX. With PMEM_MMAP_HINT (hex),
 * scan /proc/self/maps for the first free gap at or above the hint, as PMDK
 * does; if the maps cannot be read, the hint is ignored.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "config.h"
#include "log.h"
#include "map_hint.h"
#include "ops.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

/* align_up -- rounds p up to a power-of-two a, 0 on overflow (internal) */
static uintptr_t
align_up(uintptr_t p, uintptr_t a)
{
	uintptr_t r = (p + a - 1) & ~(a - 1);
	return r < p ? 0 : r;
}

/* hint_from_maps -- first gap of len bytes at or above start (internal) */
static void *
hint_from_maps(uintptr_t start, size_t len, uintptr_t align)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	if (maps == NULL)
		return NULL;
	uintptr_t cand = align_up(start, align);
	unsigned long lo, hi;
	char line[512];
	while (cand != 0 && fgets(line, sizeof(line), maps) != NULL) {
		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		if (hi <= cand)
			continue;
		if (lo >= cand && lo - cand >= len)
			break;
		cand = align_up(hi, align);
	}
	fclose(maps);
	if (cand == 0 || cand + len < cand)
		return NULL;
	return (void *)cand;
}

void *
map_hint(size_t len)
{
	uintptr_t align = len >= 2 * GIB ? GIB : 2 * MIB;
	if (Config.mmap_hint_set) {
		uintptr_t start = Config.mmap_hint < Pagesize ? Pagesize
			: Config.mmap_hint;
		void *hint = hint_from_maps(start, len, align);
		log_write(LOG_DETAIL, "PMEM_MMAP_HINT %p: hint %p for %zu bytes",
			(void *)Config.mmap_hint, hint, len);
		return hint;
	}
	if (len + align < len)
		return NULL;
	void *p = mmap(NULL, len + align, PROT_READ,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	munmap(p, len + align);
	return (void *)align_up((uintptr_t)p, align);
}

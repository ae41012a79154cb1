/*
 * deep.c -- pmem_deep_flush, pmem_deep_drain and pmem_deep_persist.
 *
 * Deep flush always flushes, even when eADR made pmem_flush() empty. Deep
 * drain walks the range: device-DAX parts get a drain and a write to their
 * region's deep_flush; everything else (MAP_SYNC files, plain memory) gets
 * msync, exactly as PMDK does.
 */
#include <errno.h>

#include "libpmem.h"
#include "api.h"
#include "devdax.h"
#include "emu.h"
#include "ops.h"
#include "ranges.h"

PMEM_API void
pmem_deep_flush(const void *addr, size_t len)
{
	EMU_NOTE_SITE_DEEP();
	Ops.deep_flush(addr, len);
}

/* deep_drain_part -- drains one piece of the range (internal) */
static int
deep_drain_part(uintptr_t start, uintptr_t end, const struct range *r,
		void *arg)
{
	(void)arg;
	if (r != NULL && r->type == RANGE_DEVDAX) {
		Ops.drain();
		devdax_region_deep_flush(r->region_id);
		return 0;
	}
	if (r != NULL && r->type == RANGE_EMULATED)
		return emu_sync((const void *)start, end - start);
	return pmem_msync((const void *)start, end - start);
}

PMEM_API int
pmem_deep_drain(const void *addr, size_t len)
{
	if (len == 0)
		return 0;
	return ranges_walk(addr, len, deep_drain_part, NULL);
}

PMEM_API int
pmem_deep_persist(const void *addr, size_t len)
{
	EMU_NOTE_SITE_DEEP();
	Ops.deep_flush(addr, len);
	return pmem_deep_drain(addr, len);
}

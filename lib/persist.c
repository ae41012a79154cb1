/*
 * persist.c -- pmem_flush, pmem_drain, pmem_persist, pmem_msync and
 * pmem_has_hw_drain.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "libpmem.h"
#include "api.h"
#include "emu.h"
#include "errormsg.h"
#include "ops.h"
#include "ranges.h"

PMEM_API void
pmem_flush(const void *addr, size_t len)
{
	EMU_NOTE_SITE();
	Ops.flush(addr, len);
}

PMEM_API void
pmem_drain(void)
{
	Ops.drain();
}

PMEM_API void
pmem_persist(const void *addr, size_t len)
{
	EMU_NOTE_SITE();
	Ops.flush(addr, len);
	Ops.drain();
}

/* x86-64 has no hardware drain: a fence is always needed after flushing */
PMEM_API int
pmem_has_hw_drain(void)
{
	return 0;
}

/* msync_real -- msync(MS_SYNC) of the pages holding the range (internal) */
static int
msync_real(const void *addr, size_t len)
{
	uintptr_t start = (uintptr_t)addr & ~(uintptr_t)(Pagesize - 1);
	len += (uintptr_t)addr - start;
	if (msync((void *)start, len, MS_SYNC) != 0) {
		int oerrno = errno;
		err_set_errno(oerrno, "msync");
		errno = oerrno;
		return -1;
	}
	return 0;
}

/* msync_part -- pmem_msync of one piece, emulated or not (internal) */
static int
msync_part(uintptr_t start, uintptr_t end, const struct range *r, void *arg)
{
	(void)arg;
	if ((r != NULL && r->type == RANGE_EMULATED) || (r == NULL &&
			emu_covers((const void *)start, end - start)))
		return emu_sync((const void *)start, end - start);
	return msync_real((const void *)start, end - start);
}

PMEM_API int
pmem_msync(const void *addr, size_t len)
{
	if (Emu_domain != EMU_OFF && len != 0)
		return ranges_walk(addr, len, msync_part, NULL);
	return msync_real(addr, len);
}

/*
 * is_pmem.c -- pmem_is_pmem(): is every byte of a range persistent memory?
 *
 * By default only ranges that pmem_map_file() mapped with MAP_SYNC or from a
 * device DAX count; under emulation, its views, and the file mappings the
 * program made itself, taken over as views on the way (emu/adopt.c).
 * PMEM_IS_PMEM_FORCE, read with atoi on the first call and then frozen for
 * the process (as in PMDK), overrides that: 1 answers yes for any non-empty
 * range, 0 answers no, other values leave detection on.
 */
#include <pthread.h>
#include <stdlib.h>

#include "libpmem.h"
#include "api.h"
#include "emu.h"
#include "ranges.h"

enum force { FORCE_DETECT, FORCE_YES, FORCE_NO };

static pthread_once_t Force_once = PTHREAD_ONCE_INIT;
static enum force Force;

/* read_force -- latches PMEM_IS_PMEM_FORCE (internal) */
static void
read_force(void)
{
	const char *v = secure_getenv("PMEM_IS_PMEM_FORCE");
	if (v == NULL)
		return;
	int n = atoi(v);
	if (n == 1)
		Force = FORCE_YES;
	else if (n == 0)
		Force = FORCE_NO;
}

PMEM_API int
pmem_is_pmem(const void *addr, size_t len)
{
	pthread_once(&Force_once, read_force);
	switch (Force) {
	case FORCE_YES:
		return len != 0;
	case FORCE_NO:
		return 0;
	case FORCE_DETECT:
		break;
	}
	if (ranges_cover(addr, len))
		return 1;
	/* a mapping of the program's own, taken over under emulation */
	return Emu_domain != EMU_OFF ? emu_adopt(addr, len, false) : 0;
}

/*
 * memops.c -- pmem_memmove, pmem_memcpy, pmem_memset and their _nodrain and
 * _persist forms, and the flag dispatch behind them.
 *
 * Flag precedence, as PMDK: NOFLUSH (cached, no flush, no drain) over
 * NONTEMPORAL/WC (stream) over TEMPORAL/WB (cached + flush) over the length
 * threshold. When flushing is off (eADR), only NONTEMPORAL streams and
 * everything else is cached without flushing. An empty range, or a copy onto
 * itself, stores nothing and flushes nothing; the final drain still happens
 * unless NODRAIN or NOFLUSH is given. Unknown flag bits are ignored.
 */
#include "libpmem.h"
#include "api.h"
#include "emu.h"
#include "engine.h"
#include "ops.h"

struct mem_engine Engine;
size_t Movnt_threshold;

#define STREAM_FLAGS (PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_WC)
#define CACHED_FLAGS (PMEM_F_MEM_TEMPORAL | PMEM_F_MEM_WB)

void *
memmove_nodrain_flushing(void *dst, const void *src, size_t len,
		unsigned flags)
{
	if (len == 0 || dst == src)
		return dst;
	if (flags & PMEM_F_MEM_NOFLUSH)
		Engine.mov_noflush(dst, src, len);
	else if (flags & STREAM_FLAGS)
		Engine.mov_nt(dst, src, len);
	else if ((flags & CACHED_FLAGS) || len < Movnt_threshold)
		Engine.mov_t(dst, src, len);
	else
		Engine.mov_nt(dst, src, len);
	return dst;
}

void *
memset_nodrain_flushing(void *dst, int c, size_t len, unsigned flags)
{
	if (len == 0)
		return dst;
	if (flags & PMEM_F_MEM_NOFLUSH)
		Engine.set_noflush(dst, c, len);
	else if (flags & STREAM_FLAGS)
		Engine.set_nt(dst, c, len);
	else if ((flags & CACHED_FLAGS) || len < Movnt_threshold)
		Engine.set_t(dst, c, len);
	else
		Engine.set_nt(dst, c, len);
	return dst;
}

void *
memmove_nodrain_eadr(void *dst, const void *src, size_t len, unsigned flags)
{
	if (len == 0 || dst == src)
		return dst;
	if ((flags & (PMEM_F_MEM_NOFLUSH | PMEM_F_MEM_NONTEMPORAL)) ==
			PMEM_F_MEM_NONTEMPORAL)
		Engine.mov_nt(dst, src, len);
	else
		Engine.mov_noflush(dst, src, len);
	return dst;
}

void *
memset_nodrain_eadr(void *dst, int c, size_t len, unsigned flags)
{
	if (len == 0)
		return dst;
	if ((flags & (PMEM_F_MEM_NOFLUSH | PMEM_F_MEM_NONTEMPORAL)) ==
			PMEM_F_MEM_NONTEMPORAL)
		Engine.set_nt(dst, c, len);
	else
		Engine.set_noflush(dst, c, len);
	return dst;
}

/* needs_drain -- true unless the flags skip the final drain (internal) */
static inline int
needs_drain(unsigned flags)
{
	return (flags & (PMEM_F_MEM_NODRAIN | PMEM_F_MEM_NOFLUSH)) == 0;
}

/* copy -- pmem_memmove and pmem_memcpy (internal) */
static inline void *
copy(void *pmemdest, const void *src, size_t len, unsigned flags)
{
	Ops.memmove_nodrain(pmemdest, src, len, flags);
	if (needs_drain(flags))
		Ops.drain();
	return pmemdest;
}

/*
 * Each public function notes its caller for PMEM_EMULATE_REPORT itself and
 * calls no other public one, which would note a site inside this library.
 */
PMEM_API void *
pmem_memmove(void *pmemdest, const void *src, size_t len, unsigned flags)
{
	EMU_NOTE_SITE();
	return copy(pmemdest, src, len, flags);
}

PMEM_API void *
pmem_memcpy(void *pmemdest, const void *src, size_t len, unsigned flags)
{
	EMU_NOTE_SITE();
	return copy(pmemdest, src, len, flags);
}

PMEM_API void *
pmem_memset(void *pmemdest, int c, size_t len, unsigned flags)
{
	EMU_NOTE_SITE();
	Ops.memset_nodrain(pmemdest, c, len, flags);
	if (needs_drain(flags))
		Ops.drain();
	return pmemdest;
}

PMEM_API void *
pmem_memmove_persist(void *pmemdest, const void *src, size_t len)
{
	EMU_NOTE_SITE();
	Ops.memmove_nodrain(pmemdest, src, len, 0);
	Ops.drain();
	return pmemdest;
}

PMEM_API void *
pmem_memcpy_persist(void *pmemdest, const void *src, size_t len)
{
	EMU_NOTE_SITE();
	Ops.memmove_nodrain(pmemdest, src, len, 0);
	Ops.drain();
	return pmemdest;
}

PMEM_API void *
pmem_memset_persist(void *pmemdest, int c, size_t len)
{
	EMU_NOTE_SITE();
	Ops.memset_nodrain(pmemdest, c, len, 0);
	Ops.drain();
	return pmemdest;
}

PMEM_API void *
pmem_memmove_nodrain(void *pmemdest, const void *src, size_t len)
{
	EMU_NOTE_SITE();
	return Ops.memmove_nodrain(pmemdest, src, len, PMEM_F_MEM_NODRAIN);
}

PMEM_API void *
pmem_memcpy_nodrain(void *pmemdest, const void *src, size_t len)
{
	EMU_NOTE_SITE();
	return Ops.memmove_nodrain(pmemdest, src, len, PMEM_F_MEM_NODRAIN);
}

PMEM_API void *
pmem_memset_nodrain(void *pmemdest, int c, size_t len)
{
	EMU_NOTE_SITE();
	return Ops.memset_nodrain(pmemdest, c, len, PMEM_F_MEM_NODRAIN);
}

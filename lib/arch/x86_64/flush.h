/*
 * flush.h -- per-line flush loops, one per flush instruction.
 *
 * Bodies are force-inlined with the instruction as a compile-time constant,
 * so each instantiation is a plain loop over one instruction.
 */
#ifndef PMEM_X86_FLUSH_H
#define PMEM_X86_FLUSH_H

#include <stddef.h>
#include <stdint.h>

#include "x86_insn.h"

#define CACHELINE 64
#define ALWAYS_INLINE static inline __attribute__((always_inline))

enum flush_kind {
	FLUSH_NONE,		/* flushing is off: eADR or PMEM_NO_FLUSH=1 */
	FLUSH_CLFLUSH,
	FLUSH_CLFLUSHOPT,
	FLUSH_CLWB,
};

/* flush_line -- flushes the line holding p with instruction k */
ALWAYS_INLINE void
flush_line(enum flush_kind k, const void *p)
{
	switch (k) {
	case FLUSH_CLWB:
		insn_clwb(p);
		break;
	case FLUSH_CLFLUSHOPT:
		insn_clflushopt(p);
		break;
	case FLUSH_CLFLUSH:
		insn_clflush(p);
		break;
	case FLUSH_NONE:
		break;
	}
}

/*
 * flush_range -- flushes every line from addr rounded down while the line
 * start is below addr + len (so an unaligned empty range still flushes the
 * line holding addr, as in PMDK)
 */
ALWAYS_INLINE void
flush_range(enum flush_kind k, const void *addr, size_t len)
{
	if (k == FLUSH_NONE)
		return;
	uintptr_t end = (uintptr_t)addr + len;
	for (uintptr_t p = (uintptr_t)addr & ~(uintptr_t)(CACHELINE - 1);
			p < end; p += CACHELINE)
		flush_line(k, (const void *)p);
}

/* fence_after_stream -- true if streamed data must be fenced by the copy
 * itself, because the drain that follows will not fence */
ALWAYS_INLINE int
fence_after_stream(enum flush_kind k)
{
	return k == FLUSH_CLFLUSH || k == FLUSH_NONE;
}

/* Out-of-line flush loops and drains for the dispatch table (flush.c). */
void x86_flush_clwb(const void *addr, size_t len);
void x86_flush_clflushopt(const void *addr, size_t len);
void x86_flush_clflush(const void *addr, size_t len);
void x86_drain_sfence(void);
void x86_drain_none(void);

#endif

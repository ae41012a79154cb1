/*
 * ops.h -- the dispatch table every persistence call goes through.
 *
 * Filled once at load (init.c) by the hardware paths or, later, by the
 * emulation backend; the public functions are one indirect call each and never
 * test the mode or the CPU again.
 */
#ifndef PMEM_OPS_H
#define PMEM_OPS_H

#include <stdbool.h>
#include <stddef.h>

struct pmem_ops {
	/* pmem_flush(): empty when flushing is not needed (eADR) */
	void (*flush)(const void *addr, size_t len);
	/* pmem_deep_flush(): always the flush instruction */
	void (*deep_flush)(const void *addr, size_t len);
	/* pmem_drain(): SFENCE, or nothing for CLFLUSH */
	void (*drain)(void);
	/* copy/fill and flush as flags say, without the final drain */
	void *(*memmove_nodrain)(void *dst, const void *src, size_t len,
			unsigned flags);
	void *(*memset_nodrain)(void *dst, int c, size_t len, unsigned flags);
};

extern struct pmem_ops Ops;

/* What was chosen at load, in words, for the log and the tools. */
struct pmem_chosen {
	const char *mode;		/* "hardware", "emulated ADR" or
					 * "emulated eADR" */
	const char *flush;		/* "clwb", "clflushopt" or "clflush" */
	bool flush_needed;		/* false on eADR or with PMEM_NO_FLUSH=1 */
	const char *flush_reason;	/* why flush_needed has its value */
	const char *drain;		/* "sfence" or "none" */
	const char *engine;		/* "avx512f", "avx", "sse2", "generic", "libc" */
	size_t movnt_threshold;		/* copies this long or longer stream */
	const char *threshold_reason;	/* where the threshold came from */
	bool wc_workaround;		/* SFENCE every 12 streamed lines */
};

extern struct pmem_chosen Chosen;

/* Page size, read once at load. */
extern size_t Pagesize;

#endif

/*
 * engine.h -- the copy and fill engine, chosen once at load.
 *
 * An engine is six leaf routines bound to one flush instruction. The
 * dispatchers in memops.c pick among them from the call's flags and length
 * (per-call data), never from the CPU or the mode.
 */
#ifndef PMEM_ENGINE_H
#define PMEM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

struct mem_engine {
	const char *name;
	/* cached stores, each written line flushed */
	void (*mov_t)(char *dst, const char *src, size_t len);
	/* streaming stores for whole lines, edges as mov_t; fences itself
	 * when the drain would not (CLFLUSH, or flushing off) */
	void (*mov_nt)(char *dst, const char *src, size_t len);
	/* cached stores, no flush */
	void (*mov_noflush)(char *dst, const char *src, size_t len);
	void (*set_t)(char *dst, int c, size_t len);
	void (*set_nt)(char *dst, int c, size_t len);
	void (*set_noflush)(char *dst, int c, size_t len);
};

extern struct mem_engine Engine;

/* Copies of this many bytes or more stream when no flag decides. */
extern size_t Movnt_threshold;

/* Engine that needs no particular CPU: 8-byte stores, flush per line. */
void engine_generic(struct mem_engine *e, void (*flush)(const void *, size_t));

/* Engine made of libc's memmove/memset followed by one flush of the range. */
void engine_libc(struct mem_engine *e, void (*flush)(const void *, size_t));

/* Dispatchers for Ops: while flushing is needed, and when it is not (eADR). */
void *memmove_nodrain_flushing(void *dst, const void *src, size_t len,
		unsigned flags);
void *memset_nodrain_flushing(void *dst, int c, size_t len, unsigned flags);
void *memmove_nodrain_eadr(void *dst, const void *src, size_t len,
		unsigned flags);
void *memset_nodrain_eadr(void *dst, int c, size_t len, unsigned flags);

#endif

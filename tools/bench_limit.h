/*
 * bench_limit.h -- the physical limits pmem-bench compares the library with:
 * plain streaming copies and raw flush loops, free of any dispatch.
 */
#ifndef PMEM_BENCH_LIMIT_H
#define PMEM_BENCH_LIMIT_H

#include <stddef.h>

/*
 * Streaming copies of len bytes to a 64-byte-aligned dst, then SFENCE. Whole
 * lines are streamed; a tail shorter than a line is copied with memcpy.
 * The AVX one may only run when the CPU and the OS support AVX.
 */
void *limit_copy_avx(void *dst, const void *src, size_t len);
void *limit_copy_sse2(void *dst, const void *src, size_t len);

/* Raw flush of every line of a range, one instruction each, no fence. */
void limit_flush_clwb(const void *addr, size_t len);
void limit_flush_clflushopt(const void *addr, size_t len);
void limit_flush_clflush(const void *addr, size_t len);

/* SFENCE alone. */
void limit_sfence(void);

#endif

/*
 * bench_limit_sse2.c -- the streaming-copy limit with 16-byte SSE2 stores,
 * and raw flush loops (baseline x86-64, no ISA flag needed).
 */
#include <emmintrin.h>
#include <stdint.h>
#include <string.h>

#include "bench_limit.h"

#define LINE 64

/* limit_copy_sse2 -- streams whole lines with SSE2, then fences */
void *
limit_copy_sse2(void *dst, const void *src, size_t len)
{
	char *d = dst;
	const char *s = src;
	while (len >= 64) {
		__m128i a = _mm_loadu_si128((const __m128i *)s);
		__m128i b = _mm_loadu_si128((const __m128i *)(s + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(s + 32));
		__m128i e = _mm_loadu_si128((const __m128i *)(s + 48));
		_mm_stream_si128((__m128i *)d, a);
		_mm_stream_si128((__m128i *)(d + 16), b);
		_mm_stream_si128((__m128i *)(d + 32), c);
		_mm_stream_si128((__m128i *)(d + 48), e);
		d += 64, s += 64, len -= 64;
	}
	if (len != 0)
		memcpy(d, s, len);
	_mm_sfence();
	return dst;
}

/* FLUSH_LOOP -- one instruction per line from addr rounded down */
#define FLUSH_LOOP(insn, addr, len) do { \
	uintptr_t end_ = (uintptr_t)(addr) + (len); \
	for (uintptr_t p_ = (uintptr_t)(addr) & ~(uintptr_t)(LINE - 1); \
			p_ < end_; p_ += LINE) \
		__asm__ volatile(insn " %0" :: \
			"m"(*(const volatile char *)p_) : "memory"); \
} while (0)

/* limit_flush_clwb -- CLWB on every line of the range */
void
limit_flush_clwb(const void *addr, size_t len)
{
	FLUSH_LOOP("clwb", addr, len);
}

/* limit_flush_clflushopt -- CLFLUSHOPT on every line of the range */
void
limit_flush_clflushopt(const void *addr, size_t len)
{
	FLUSH_LOOP("clflushopt", addr, len);
}

/* limit_flush_clflush -- CLFLUSH on every line of the range */
void
limit_flush_clflush(const void *addr, size_t len)
{
	FLUSH_LOOP("clflush", addr, len);
}

/* limit_sfence -- one SFENCE */
void
limit_sfence(void)
{
	__asm__ volatile("sfence" ::: "memory");
}

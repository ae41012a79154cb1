/*
 * mem_avx.c -- copy and fill engine with 32-byte AVX registers.
 *
 * Only this file is compiled with -mavx; it runs only when the CPU has AVX
 * and the OS saves its state (XCR0), see cpu.c.
 */
#include <immintrin.h>

#define ISA avx
#define WC_CAPABLE true

typedef struct {
	__m256i v0, v1;
} line_t;

static inline __attribute__((always_inline)) line_t
line_load(const char *s)
{
	line_t l;
	l.v0 = _mm256_loadu_si256((const __m256i *)s);
	l.v1 = _mm256_loadu_si256((const __m256i *)(s + 32));
	return l;
}

static inline __attribute__((always_inline)) void
line_store(char *d, line_t l)
{
	_mm256_store_si256((__m256i *)d, l.v0);
	_mm256_store_si256((__m256i *)(d + 32), l.v1);
}

static inline __attribute__((always_inline)) void
line_stream(char *d, line_t l)
{
	_mm256_stream_si256((__m256i *)d, l.v0);
	_mm256_stream_si256((__m256i *)(d + 32), l.v1);
}

static inline __attribute__((always_inline)) line_t
line_splat(int c)
{
	__m256i v = _mm256_set1_epi8((char)c);
	return (line_t){ v, v };
}

#include "mem_template.h"

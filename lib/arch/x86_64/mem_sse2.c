/*
 * mem_sse2.c -- copy and fill engine with 16-byte SSE2 registers.
 */
#include <emmintrin.h>

#define ISA sse2
#define WC_CAPABLE true

typedef struct {
	__m128i v0, v1, v2, v3;
} line_t;

static inline __attribute__((always_inline)) line_t
line_load(const char *s)
{
	line_t l;
	l.v0 = _mm_loadu_si128((const __m128i *)s);
	l.v1 = _mm_loadu_si128((const __m128i *)(s + 16));
	l.v2 = _mm_loadu_si128((const __m128i *)(s + 32));
	l.v3 = _mm_loadu_si128((const __m128i *)(s + 48));
	return l;
}

static inline __attribute__((always_inline)) void
line_store(char *d, line_t l)
{
	_mm_store_si128((__m128i *)d, l.v0);
	_mm_store_si128((__m128i *)(d + 16), l.v1);
	_mm_store_si128((__m128i *)(d + 32), l.v2);
	_mm_store_si128((__m128i *)(d + 48), l.v3);
}

static inline __attribute__((always_inline)) void
line_stream(char *d, line_t l)
{
	_mm_stream_si128((__m128i *)d, l.v0);
	_mm_stream_si128((__m128i *)(d + 16), l.v1);
	_mm_stream_si128((__m128i *)(d + 32), l.v2);
	_mm_stream_si128((__m128i *)(d + 48), l.v3);
}

static inline __attribute__((always_inline)) line_t
line_splat(int c)
{
	__m128i v = _mm_set1_epi8((char)c);
	return (line_t){ v, v, v, v };
}

#include "mem_template.h"

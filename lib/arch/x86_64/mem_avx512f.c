/*
 * mem_avx512f.c -- copy and fill engine with 64-byte AVX-512 registers.
 *
 * Only this file is compiled with -mavx512f; it runs only when the CPU has
 * AVX-512F and the OS saves the ZMM state (XCR0), see cpu.c. PMDK does not
 * apply its write-combining workaround to this engine, nor do we.
 */
#include <immintrin.h>

#define ISA avx512f
#define WC_CAPABLE false

typedef struct {
	__m512i v;
} line_t;

static inline __attribute__((always_inline)) line_t
line_load(const char *s)
{
	return (line_t){ _mm512_loadu_si512((const void *)s) };
}

static inline __attribute__((always_inline)) void
line_store(char *d, line_t l)
{
	_mm512_store_si512((void *)d, l.v);
}

static inline __attribute__((always_inline)) void
line_stream(char *d, line_t l)
{
	_mm512_stream_si512((void *)d, l.v);
}

static inline __attribute__((always_inline)) line_t
line_splat(int c)
{
	return (line_t){ _mm512_set1_epi8((char)c) };
}

#include "mem_template.h"

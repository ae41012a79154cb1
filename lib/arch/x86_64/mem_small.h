/*
 * mem_small.h -- copies and fills shorter than a cache line.
 *
 * Every load happens before the first store, so the copies are safe for
 * overlapping ranges. Widths: an 8-byte-aligned chunk of 8 bytes is always
 * written by one 8-byte store (PMDK writes it as two 4-byte stores, which a
 * reader or a power failure can observe torn).
 */
#ifndef PMEM_X86_MEM_SMALL_H
#define PMEM_X86_MEM_SMALL_H

#include <emmintrin.h>
#include <stdint.h>
#include <string.h>

#include "flush.h"

/* small_copy -- copies len < 64 bytes (internal) */
ALWAYS_INLINE void
small_copy(char *d, const char *s, size_t len)
{
	if (len >= 32) {
		__m128i a = _mm_loadu_si128((const __m128i *)s);
		__m128i b = _mm_loadu_si128((const __m128i *)(s + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(s + len - 32));
		__m128i e = _mm_loadu_si128((const __m128i *)(s + len - 16));
		_mm_storeu_si128((__m128i *)d, a);
		_mm_storeu_si128((__m128i *)(d + 16), b);
		_mm_storeu_si128((__m128i *)(d + len - 32), c);
		_mm_storeu_si128((__m128i *)(d + len - 16), e);
	} else if (len > 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)s);
		__m128i b = _mm_loadu_si128((const __m128i *)(s + len - 16));
		_mm_storeu_si128((__m128i *)d, a);
		_mm_storeu_si128((__m128i *)(d + len - 16), b);
	} else if (len >= 8) {
		uint64_t a, b;
		memcpy(&a, s, 8);
		memcpy(&b, s + len - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + len - 8, &b, 8);
	} else if (len >= 4) {
		uint32_t a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + len - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + len - 4, &b, 4);
	} else if (len > 0) {
		char a = s[0], b = s[len / 2], c = s[len - 1];
		d[0] = a;
		d[len / 2] = b;
		d[len - 1] = c;
	}
}

/* small_set -- fills len < 64 bytes with c (internal) */
ALWAYS_INLINE void
small_set(char *d, int c, size_t len)
{
	if (len > 16) {
		__m128i v = _mm_set1_epi8((char)c);
		_mm_storeu_si128((__m128i *)d, v);
		_mm_storeu_si128((__m128i *)(d + len - 16), v);
		if (len > 32) {
			_mm_storeu_si128((__m128i *)(d + 16), v);
			_mm_storeu_si128((__m128i *)(d + len - 32), v);
		}
	} else if (len >= 8) {
		uint64_t v = 0x0101010101010101ULL * (unsigned char)c;
		memcpy(d, &v, 8);
		memcpy(d + len - 8, &v, 8);
	} else if (len >= 4) {
		uint32_t v = 0x01010101U * (unsigned char)c;
		memcpy(d, &v, 4);
		memcpy(d + len - 4, &v, 4);
	} else if (len > 0) {
		d[0] = (char)c;
		d[len / 2] = (char)c;
		d[len - 1] = (char)c;
	}
}

/*
 * stream_tail -- streams len < 64 bytes to a 64-byte-aligned d when len is
 * a multiple of 4 (pieces of 32, 16, 8 and 4 stay aligned); returns 0 and
 * does nothing otherwise (internal)
 */
ALWAYS_INLINE int
stream_tail(char *d, const char *s, size_t len)
{
	if (len % 4 != 0)
		return 0;
	size_t off = 0;
	if (len & 32) {
		__m128i a = _mm_loadu_si128((const __m128i *)s);
		__m128i b = _mm_loadu_si128((const __m128i *)(s + 16));
		_mm_stream_si128((__m128i *)d, a);
		_mm_stream_si128((__m128i *)(d + 16), b);
		off = 32;
	}
	if (len & 16) {
		_mm_stream_si128((__m128i *)(d + off),
			_mm_loadu_si128((const __m128i *)(s + off)));
		off += 16;
	}
	if (len & 8) {
		long long v;
		memcpy(&v, s + off, 8);
		_mm_stream_si64((long long *)(d + off), v);
		off += 8;
	}
	if (len & 4) {
		int v;
		memcpy(&v, s + off, 4);
		_mm_stream_si32((int *)(d + off), v);
	}
	return 1;
}

/* stream_tail_set -- as stream_tail, for a fill (internal) */
ALWAYS_INLINE int
stream_tail_set(char *d, int c, size_t len)
{
	if (len % 4 != 0)
		return 0;
	size_t off = 0;
	__m128i v = _mm_set1_epi8((char)c);
	if (len & 32) {
		_mm_stream_si128((__m128i *)d, v);
		_mm_stream_si128((__m128i *)(d + 16), v);
		off = 32;
	}
	if (len & 16) {
		_mm_stream_si128((__m128i *)(d + off), v);
		off += 16;
	}
	if (len & 8) {
		_mm_stream_si64((long long *)(d + off),
			(long long)(0x0101010101010101ULL * (unsigned char)c));
		off += 8;
	}
	if (len & 4)
		_mm_stream_si32((int *)(d + off),
			(int)(0x01010101U * (unsigned char)c));
	return 1;
}

#endif

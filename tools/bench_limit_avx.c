/*
 * bench_limit_avx.c -- the streaming-copy limit with 32-byte AVX stores.
 *
 * Only this file is compiled with -mavx; pmem-bench calls it only when the
 * CPU and the OS support AVX.
 */
#include <immintrin.h>
#include <string.h>

#include "bench_limit.h"

/* limit_copy_avx -- streams whole lines with AVX, then fences */
void *
limit_copy_avx(void *dst, const void *src, size_t len)
{
	char *d = dst;
	const char *s = src;
	while (len >= 256) {
		__m256i a = _mm256_loadu_si256((const __m256i *)s);
		__m256i b = _mm256_loadu_si256((const __m256i *)(s + 32));
		__m256i c = _mm256_loadu_si256((const __m256i *)(s + 64));
		__m256i e = _mm256_loadu_si256((const __m256i *)(s + 96));
		__m256i f = _mm256_loadu_si256((const __m256i *)(s + 128));
		__m256i g = _mm256_loadu_si256((const __m256i *)(s + 160));
		__m256i h = _mm256_loadu_si256((const __m256i *)(s + 192));
		__m256i i = _mm256_loadu_si256((const __m256i *)(s + 224));
		_mm256_stream_si256((__m256i *)d, a);
		_mm256_stream_si256((__m256i *)(d + 32), b);
		_mm256_stream_si256((__m256i *)(d + 64), c);
		_mm256_stream_si256((__m256i *)(d + 96), e);
		_mm256_stream_si256((__m256i *)(d + 128), f);
		_mm256_stream_si256((__m256i *)(d + 160), g);
		_mm256_stream_si256((__m256i *)(d + 192), h);
		_mm256_stream_si256((__m256i *)(d + 224), i);
		d += 256, s += 256, len -= 256;
	}
	while (len >= 64) {
		__m256i a = _mm256_loadu_si256((const __m256i *)s);
		__m256i b = _mm256_loadu_si256((const __m256i *)(s + 32));
		_mm256_stream_si256((__m256i *)d, a);
		_mm256_stream_si256((__m256i *)(d + 32), b);
		d += 64, s += 64, len -= 64;
	}
	if (len != 0)
		memcpy(d, s, len);
	_mm_sfence();
	return dst;
}

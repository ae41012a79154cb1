/*
 * mem_template.h -- copy and fill bodies shared by the SIMD engines.
 *
 * Included once by each ISA file (mem_sse2.c, mem_avx.c, mem_avx512f.c),
 * which first defines ISA (the name suffix), WC_CAPABLE (whether PMDK's
 * write-combining workaround applies), a line_t holding 64 bytes in
 * registers, and line_load (unaligned), line_store and line_stream (to a
 * 64-byte-aligned address) and line_splat. This file then instantiates, for
 * every flush instruction, the six routines of a struct mem_engine, plus
 * x86_engine_<ISA>() which fills an engine from them.
 *
 * Direction: forward when the destination does not start inside the source
 * (unsigned d - s >= len), backward otherwise; each block is loaded whole
 * before it is stored, so overlapping moves are safe both ways.
 */
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "engines.h"
#include "flush.h"
#include "mem_small.h"

#define CAT3_(a, b, c) a##_##b##_##c
#define CAT3(a, b, c) CAT3_(a, b, c)
#define CAT4_(a, b, c, d) a##_##b##_##c##_##d
#define CAT4(a, b, c, d) CAT4_(a, b, c, d)
#define STR_(a) #a
#define STR(a) STR_(a)

#define LINES_PER_WC_FENCE 12

/* wc_fence -- with the WC workaround, SFENCE after every 12 streamed lines */
ALWAYS_INLINE void
wc_fence(bool wc, size_t *lines, size_t n)
{
	if (!wc)
		return;
	*lines += n;
	if (*lines >= LINES_PER_WC_FENCE) {
		insn_sfence();
		*lines = 0;
	}
}

/* mov_t_body -- cached copy, every written line flushed with k */
ALWAYS_INLINE void
mov_t_body(enum flush_kind k, char *d, const char *s, size_t len)
{
	if (len < CACHELINE) {
		small_copy(d, s, len);
		flush_range(k, d, len);
		return;
	}
	if ((uintptr_t)d - (uintptr_t)s >= len) {
		size_t head = (size_t)(-(uintptr_t)d & (CACHELINE - 1));
		if (head != 0) {
			small_copy(d, s, head);
			flush_line(k, d);
			d += head, s += head, len -= head;
		}
		while (len >= 4 * CACHELINE) {
			line_t a = line_load(s), b = line_load(s + 64);
			line_t c = line_load(s + 128), e = line_load(s + 192);
			line_store(d, a);
			flush_line(k, d);
			line_store(d + 64, b);
			flush_line(k, d + 64);
			line_store(d + 128, c);
			flush_line(k, d + 128);
			line_store(d + 192, e);
			flush_line(k, d + 192);
			d += 256, s += 256, len -= 256;
		}
		while (len >= CACHELINE) {
			line_store(d, line_load(s));
			flush_line(k, d);
			d += 64, s += 64, len -= 64;
		}
		if (len != 0) {
			small_copy(d, s, len);
			flush_line(k, d);
		}
	} else {
		char *de = d + len;
		const char *se = s + len;
		size_t tail = (uintptr_t)de & (CACHELINE - 1);
		if (tail != 0) {
			de -= tail, se -= tail, len -= tail;
			small_copy(de, se, tail);
			flush_line(k, de);
		}
		while (len >= 4 * CACHELINE) {
			de -= 256, se -= 256, len -= 256;
			line_t a = line_load(se), b = line_load(se + 64);
			line_t c = line_load(se + 128), e = line_load(se + 192);
			line_store(de + 192, e);
			flush_line(k, de + 192);
			line_store(de + 128, c);
			flush_line(k, de + 128);
			line_store(de + 64, b);
			flush_line(k, de + 64);
			line_store(de, a);
			flush_line(k, de);
		}
		while (len >= CACHELINE) {
			de -= 64, se -= 64, len -= 64;
			line_store(de, line_load(se));
			flush_line(k, de);
		}
		if (len != 0) {
			small_copy(d, s, len);
			flush_line(k, d);
		}
	}
}

/* mov_nt_body -- streaming copy of whole lines, edges cached and flushed */
ALWAYS_INLINE void
mov_nt_body(enum flush_kind k, bool wc, char *d, const char *s, size_t len)
{
	if (len < CACHELINE) {
		small_copy(d, s, len);
		flush_range(k, d, len);
		return;
	}
	size_t streamed = 0;
	if ((uintptr_t)d - (uintptr_t)s >= len) {
		size_t head = (size_t)(-(uintptr_t)d & (CACHELINE - 1));
		if (head != 0) {
			small_copy(d, s, head);
			flush_line(k, d);
			d += head, s += head, len -= head;
		}
		while (len >= 4 * CACHELINE) {
			line_t a = line_load(s), b = line_load(s + 64);
			line_t c = line_load(s + 128), e = line_load(s + 192);
			line_stream(d, a);
			line_stream(d + 64, b);
			line_stream(d + 128, c);
			line_stream(d + 192, e);
			wc_fence(wc, &streamed, 4);
			d += 256, s += 256, len -= 256;
		}
		while (len >= CACHELINE) {
			line_stream(d, line_load(s));
			wc_fence(wc, &streamed, 1);
			d += 64, s += 64, len -= 64;
		}
		if (len != 0 && !stream_tail(d, s, len)) {
			small_copy(d, s, len);
			flush_line(k, d);
		}
	} else {
		char *de = d + len;
		const char *se = s + len;
		size_t tail = (uintptr_t)de & (CACHELINE - 1);
		if (tail != 0) {
			de -= tail, se -= tail, len -= tail;
			small_copy(de, se, tail);
			flush_line(k, de);
		}
		while (len >= 4 * CACHELINE) {
			de -= 256, se -= 256, len -= 256;
			line_t a = line_load(se), b = line_load(se + 64);
			line_t c = line_load(se + 128), e = line_load(se + 192);
			line_stream(de + 192, e);
			line_stream(de + 128, c);
			line_stream(de + 64, b);
			line_stream(de, a);
			wc_fence(wc, &streamed, 4);
		}
		while (len >= CACHELINE) {
			de -= 64, se -= 64, len -= 64;
			line_stream(de, line_load(se));
			wc_fence(wc, &streamed, 1);
		}
		if (len != 0) {
			small_copy(d, s, len);
			flush_line(k, d);
		}
	}
	if (fence_after_stream(k))
		insn_sfence();
}

/* set_t_body -- cached fill, every written line flushed with k */
ALWAYS_INLINE void
set_t_body(enum flush_kind k, char *d, int c, size_t len)
{
	if (len < CACHELINE) {
		small_set(d, c, len);
		flush_range(k, d, len);
		return;
	}
	size_t head = (size_t)(-(uintptr_t)d & (CACHELINE - 1));
	if (head != 0) {
		small_set(d, c, head);
		flush_line(k, d);
		d += head, len -= head;
	}
	line_t v = line_splat(c);
	while (len >= 4 * CACHELINE) {
		line_store(d, v);
		flush_line(k, d);
		line_store(d + 64, v);
		flush_line(k, d + 64);
		line_store(d + 128, v);
		flush_line(k, d + 128);
		line_store(d + 192, v);
		flush_line(k, d + 192);
		d += 256, len -= 256;
	}
	while (len >= CACHELINE) {
		line_store(d, v);
		flush_line(k, d);
		d += 64, len -= 64;
	}
	if (len != 0) {
		small_set(d, c, len);
		flush_line(k, d);
	}
}

/* set_nt_body -- streaming fill of whole lines, edges cached and flushed */
ALWAYS_INLINE void
set_nt_body(enum flush_kind k, bool wc, char *d, int c, size_t len)
{
	if (len < CACHELINE) {
		small_set(d, c, len);
		flush_range(k, d, len);
		return;
	}
	size_t streamed = 0;
	size_t head = (size_t)(-(uintptr_t)d & (CACHELINE - 1));
	if (head != 0) {
		small_set(d, c, head);
		flush_line(k, d);
		d += head, len -= head;
	}
	line_t v = line_splat(c);
	while (len >= 4 * CACHELINE) {
		line_stream(d, v);
		line_stream(d + 64, v);
		line_stream(d + 128, v);
		line_stream(d + 192, v);
		wc_fence(wc, &streamed, 4);
		d += 256, len -= 256;
	}
	while (len >= CACHELINE) {
		line_stream(d, v);
		wc_fence(wc, &streamed, 1);
		d += 64, len -= 64;
	}
	if (len != 0 && !stream_tail_set(d, c, len)) {
		small_set(d, c, len);
		flush_line(k, d);
	}
	if (fence_after_stream(k))
		insn_sfence();
}

/* One set of routines per flush instruction (none = flushing is off). */
#define INSTANTIATE(kname, K) \
static void CAT3(mov_t, ISA, kname)(char *d, const char *s, size_t n) \
{ mov_t_body(K, d, s, n); } \
static void CAT3(set_t, ISA, kname)(char *d, int c, size_t n) \
{ set_t_body(K, d, c, n); } \
static void CAT3(mov_nt, ISA, kname)(char *d, const char *s, size_t n) \
{ mov_nt_body(K, false, d, s, n); } \
static void CAT3(set_nt, ISA, kname)(char *d, int c, size_t n) \
{ set_nt_body(K, false, d, c, n); } \
static void CAT4(mov_nt, ISA, kname, wc)(char *d, const char *s, size_t n) \
{ mov_nt_body(K, WC_CAPABLE, d, s, n); } \
static void CAT4(set_nt, ISA, kname, wc)(char *d, int c, size_t n) \
{ set_nt_body(K, WC_CAPABLE, d, c, n); }

INSTANTIATE(none, FLUSH_NONE)
INSTANTIATE(clflush, FLUSH_CLFLUSH)
INSTANTIATE(clflushopt, FLUSH_CLFLUSHOPT)
INSTANTIATE(clwb, FLUSH_CLWB)

#define VARIANTS(kname) { \
	CAT3(mov_t, ISA, kname), CAT3(set_t, ISA, kname), \
	CAT3(mov_nt, ISA, kname), CAT3(set_nt, ISA, kname), \
	CAT4(mov_nt, ISA, kname, wc), CAT4(set_nt, ISA, kname, wc) }

static const struct {
	void (*mov_t)(char *, const char *, size_t);
	void (*set_t)(char *, int, size_t);
	void (*mov_nt)(char *, const char *, size_t);
	void (*set_nt)(char *, int, size_t);
	void (*mov_nt_wc)(char *, const char *, size_t);
	void (*set_nt_wc)(char *, int, size_t);
} CAT3(Variants, ISA, by_flush)[] = {
	[FLUSH_NONE] = VARIANTS(none),
	[FLUSH_CLFLUSH] = VARIANTS(clflush),
	[FLUSH_CLFLUSHOPT] = VARIANTS(clflushopt),
	[FLUSH_CLWB] = VARIANTS(clwb),
};

void
CAT3(x86, engine, ISA)(struct mem_engine *e, enum flush_kind k, bool wc)
{
	e->name = STR(ISA);
	e->mov_t = CAT3(Variants, ISA, by_flush)[k].mov_t;
	e->set_t = CAT3(Variants, ISA, by_flush)[k].set_t;
	e->mov_nt = wc ? CAT3(Variants, ISA, by_flush)[k].mov_nt_wc
		: CAT3(Variants, ISA, by_flush)[k].mov_nt;
	e->set_nt = wc ? CAT3(Variants, ISA, by_flush)[k].set_nt_wc
		: CAT3(Variants, ISA, by_flush)[k].set_nt;
	e->mov_noflush = CAT3(Variants, ISA, by_flush)[FLUSH_NONE].mov_t;
	e->set_noflush = CAT3(Variants, ISA, by_flush)[FLUSH_NONE].set_t;
}

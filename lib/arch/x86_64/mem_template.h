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

/* wc_fence -- with the WC workaround, SFENCE after every 12 streamed lines
 * (wc is only ever true for streaming bodies) */
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

/* put_line -- writes one aligned line: streamed, or stored and flushed */
ALWAYS_INLINE void
put_line(enum flush_kind k, bool nt, char *d, line_t l)
{
	if (nt) {
		line_stream(d, l);
	} else {
		line_store(d, l);
		flush_line(k, d);
	}
}

/* put_edge -- copies a piece of one line (the head or tail of a copy) */
ALWAYS_INLINE void
put_edge(enum flush_kind k, bool nt, char *d, const char *s, size_t len)
{
	/* a tail that starts on a line boundary can stream too */
	if (nt && ((uintptr_t)d & (CACHELINE - 1)) == 0 && stream_tail(d, s, len))
		return;
	small_copy(d, s, len);
	flush_line(k, d);
}

/*
 * mov_body -- copies whole lines with cached stores flushed with k, or
 * streamed (nt); the unaligned head and tail go through put_edge
 */
ALWAYS_INLINE void
mov_body(enum flush_kind k, bool nt, bool wc, char *d, const char *s,
		size_t len)
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
			put_edge(k, false, d, s, head);
			d += head, s += head, len -= head;
		}
		while (len >= 4 * CACHELINE) {
			line_t a = line_load(s), b = line_load(s + 64);
			line_t c = line_load(s + 128), e = line_load(s + 192);
			put_line(k, nt, d, a);
			put_line(k, nt, d + 64, b);
			put_line(k, nt, d + 128, c);
			put_line(k, nt, d + 192, e);
			wc_fence(wc, &streamed, 4);
			d += 256, s += 256, len -= 256;
		}
		while (len >= CACHELINE) {
			put_line(k, nt, d, line_load(s));
			wc_fence(wc, &streamed, 1);
			d += 64, s += 64, len -= 64;
		}
		if (len != 0)
			put_edge(k, nt, d, s, len);
	} else {
		char *de = d + len;
		const char *se = s + len;
		size_t tail = (uintptr_t)de & (CACHELINE - 1);
		if (tail != 0) {
			de -= tail, se -= tail, len -= tail;
			put_edge(k, false, de, se, tail);
		}
		while (len >= 4 * CACHELINE) {
			de -= 256, se -= 256, len -= 256;
			line_t a = line_load(se), b = line_load(se + 64);
			line_t c = line_load(se + 128), e = line_load(se + 192);
			put_line(k, nt, de + 192, e);
			put_line(k, nt, de + 128, c);
			put_line(k, nt, de + 64, b);
			put_line(k, nt, de, a);
			wc_fence(wc, &streamed, 4);
		}
		while (len >= CACHELINE) {
			de -= 64, se -= 64, len -= 64;
			put_line(k, nt, de, line_load(se));
			wc_fence(wc, &streamed, 1);
		}
		if (len != 0)
			put_edge(k, false, d, s, len);
	}
	if (nt && fence_after_stream(k))
		insn_sfence();
}

/* put_edge_set -- fills a piece of one line (the head or tail of a fill) */
ALWAYS_INLINE void
put_edge_set(enum flush_kind k, bool nt, char *d, int c, size_t len)
{
	if (nt && ((uintptr_t)d & (CACHELINE - 1)) == 0 &&
			stream_tail_set(d, c, len))
		return;
	small_set(d, c, len);
	flush_line(k, d);
}

/* set_body -- fills as mov_body copies */
ALWAYS_INLINE void
set_body(enum flush_kind k, bool nt, bool wc, char *d, int c, size_t len)
{
	if (len < CACHELINE) {
		small_set(d, c, len);
		flush_range(k, d, len);
		return;
	}
	size_t streamed = 0;
	size_t head = (size_t)(-(uintptr_t)d & (CACHELINE - 1));
	if (head != 0) {
		put_edge_set(k, false, d, c, head);
		d += head, len -= head;
	}
	line_t v = line_splat(c);
	while (len >= 4 * CACHELINE) {
		put_line(k, nt, d, v);
		put_line(k, nt, d + 64, v);
		put_line(k, nt, d + 128, v);
		put_line(k, nt, d + 192, v);
		wc_fence(wc, &streamed, 4);
		d += 256, len -= 256;
	}
	while (len >= CACHELINE) {
		put_line(k, nt, d, v);
		wc_fence(wc, &streamed, 1);
		d += 64, len -= 64;
	}
	if (len != 0)
		put_edge_set(k, nt, d, c, len);
	if (nt && fence_after_stream(k))
		insn_sfence();
}

/* One set of routines per flush instruction (none = flushing is off). */
#define INSTANTIATE(kname, K) \
static void CAT3(mov_t, ISA, kname)(char *d, const char *s, size_t n) \
{ mov_body(K, false, false, d, s, n); } \
static void CAT3(set_t, ISA, kname)(char *d, int c, size_t n) \
{ set_body(K, false, false, d, c, n); } \
static void CAT3(mov_nt, ISA, kname)(char *d, const char *s, size_t n) \
{ mov_body(K, true, false, d, s, n); } \
static void CAT3(set_nt, ISA, kname)(char *d, int c, size_t n) \
{ set_body(K, true, false, d, c, n); } \
static void CAT4(mov_nt, ISA, kname, wc)(char *d, const char *s, size_t n) \
{ mov_body(K, true, WC_CAPABLE, d, s, n); } \
static void CAT4(set_nt, ISA, kname, wc)(char *d, int c, size_t n) \
{ set_body(K, true, WC_CAPABLE, d, c, n); }

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

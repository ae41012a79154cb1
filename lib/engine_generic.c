/*
 * engine_generic.c -- the portable copy engine (PMEM_NO_MOVNT=1).
 *
 * Byte stores up to 8-byte alignment, then 8-byte stores, then one flush of
 * the range. It has no streaming path: like PMDK's, it honours only the
 * NOFLUSH flag.
 */
#include <stdint.h>
#include <string.h>

#include "engine.h"

#define LINE 64

static void (*Generic_flush)(const void *, size_t);

/* copy_forward -- ascending copy (internal) */
static void
copy_forward(char *d, const char *s, size_t len)
{
	while (len > 0 && ((uintptr_t)d & 7) != 0)
		*d++ = *s++, len--;
	for (; len >= 8; d += 8, s += 8, len -= 8) {
		uint64_t v;
		memcpy(&v, s, 8);
		*(volatile uint64_t *)d = v;
	}
	while (len > 0)
		*d++ = *s++, len--;
}

/* copy_backward -- descending copy, for overlapping moves (internal) */
static void
copy_backward(char *d, const char *s, size_t len)
{
	char *de = d + len;
	const char *se = s + len;
	while (de > d && ((uintptr_t)de & 7) != 0)
		*--de = *--se;
	while ((size_t)(de - d) >= 8) {
		uint64_t v;
		de -= 8, se -= 8;
		memcpy(&v, se, 8);
		*(volatile uint64_t *)de = v;
	}
	while (de > d)
		*--de = *--se;
}

/* move -- copies in the safe direction (internal) */
static void
move(char *d, const char *s, size_t len, int flush)
{
	if ((uintptr_t)d - (uintptr_t)s >= len)
		copy_forward(d, s, len);
	else
		copy_backward(d, s, len);
	if (flush)
		Generic_flush(d, len);
}

static void
mov_flush(char *d, const char *s, size_t len)
{
	move(d, s, len, 1);
}

static void
mov_noflush(char *d, const char *s, size_t len)
{
	move(d, s, len, 0);
}

/* fill -- byte stores to 8-byte alignment, then 8-byte stores (internal) */
static void
fill(char *d, int c, size_t len, int flush)
{
	char *start = d;
	size_t total = len;
	uint64_t v = 0x0101010101010101ULL * (unsigned char)c;
	while (len > 0 && ((uintptr_t)d & 7) != 0)
		*d++ = (char)c, len--;
	for (; len >= 8; d += 8, len -= 8)
		*(volatile uint64_t *)d = v;
	while (len > 0)
		*d++ = (char)c, len--;
	if (flush)
		Generic_flush(start, total);
}

static void
set_flush(char *d, int c, size_t len)
{
	fill(d, c, len, 1);
}

static void
set_noflush(char *d, int c, size_t len)
{
	fill(d, c, len, 0);
}

void
engine_generic(struct mem_engine *e, void (*flush)(const void *, size_t))
{
	Generic_flush = flush;
	e->name = "generic";
	e->mov_t = e->mov_nt = mov_flush;
	e->mov_noflush = mov_noflush;
	e->set_t = e->set_nt = set_flush;
	e->set_noflush = set_noflush;
}

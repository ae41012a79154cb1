/*
 * engine_libc.c -- libc's memmove/memset, then one flush of the range
 * (PMEM_NO_MOVNT=1 with PMEM_NO_GENERIC_MEMCPY set).
 */
#include <string.h>

#include "engine.h"

static void (*Libc_flush)(const void *, size_t);

static void
mov_flush(char *d, const char *s, size_t len)
{
	memmove(d, s, len);
	Libc_flush(d, len);
}

static void
mov_noflush(char *d, const char *s, size_t len)
{
	memmove(d, s, len);
}

static void
set_flush(char *d, int c, size_t len)
{
	memset(d, c, len);
	Libc_flush(d, len);
}

static void
set_noflush(char *d, int c, size_t len)
{
	memset(d, c, len);
}

void
engine_libc(struct mem_engine *e, void (*flush)(const void *, size_t))
{
	Libc_flush = flush;
	e->name = "libc";
	e->mov_t = e->mov_nt = mov_flush;
	e->mov_noflush = mov_noflush;
	e->set_t = e->set_nt = set_flush;
	e->set_noflush = set_noflush;
}

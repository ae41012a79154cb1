/*
 * flush.c -- the flush and drain entries of the dispatch table.
 */
#include "flush.h"

void
x86_flush_clwb(const void *addr, size_t len)
{
	flush_range(FLUSH_CLWB, addr, len);
}

void
x86_flush_clflushopt(const void *addr, size_t len)
{
	flush_range(FLUSH_CLFLUSHOPT, addr, len);
}

void
x86_flush_clflush(const void *addr, size_t len)
{
	flush_range(FLUSH_CLFLUSH, addr, len);
}

/* SFENCE orders CLWB / CLFLUSHOPT and streaming stores before what follows */
void
x86_drain_sfence(void)
{
	insn_sfence();
}

/* CLFLUSH is ordered by itself: its drain has nothing to do */
void
x86_drain_none(void)
{
}

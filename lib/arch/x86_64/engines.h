/*
 * engines.h -- the SIMD copy engines, one per ISA file (mem_template.h).
 */
#ifndef PMEM_X86_ENGINES_H
#define PMEM_X86_ENGINES_H

#include <stdbool.h>

#include "engine.h"
#include "flush.h"

/* Fill e with the routines of one ISA bound to flush instruction k;
 * wc adds PMDK's SFENCE every 12 streamed lines. */
void x86_engine_sse2(struct mem_engine *e, enum flush_kind k, bool wc);
void x86_engine_avx(struct mem_engine *e, enum flush_kind k, bool wc);
void x86_engine_avx512f(struct mem_engine *e, enum flush_kind k, bool wc);

#endif

/*
 * init.c -- x86-64: picks the flush instruction, the fence and the copy
 * engine once, from CPUID and the environment.
 *
 * The best flush instruction wins by successive upgrade (CLFLUSH, then
 * CLFLUSHOPT, then CLWB), each vetoable with PMEM_NO_CLFLUSHOPT=1 or
 * PMEM_NO_CLWB=1. CLFLUSH is ordered by itself, so its drain is empty; the
 * other two need an SFENCE. The engine is the widest SIMD one allowed, bound
 * to the chosen instruction, so that its loops carry no test of either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "config.h"
#include "cpu.h"
#include "engine.h"
#include "engines.h"
#include "flush.h"
#include "log.h"

/* flush_none -- pmem_flush() when flushing is off (internal) */
static void
flush_none(const void *addr, size_t len)
{
	(void)addr;
	(void)len;
}

/*
 * default_threshold -- where streaming starts when no flag decides (internal).
 * PMDK streams from 256 bytes. On AMD (Zen 3, measured with pmem-bench)
 * writing a cached line back with CLWB costs about 190 ns against 115 ns for
 * streaming it, so whole lines stream from the first one there.
 */
static size_t
default_threshold(const struct x86_cpu *cpu, const char **reason)
{
	if (strcmp(cpu->vendor, "AuthenticAMD") == 0) {
		*reason = "default for AMD";
		return 64;
	}
	*reason = "default";
	return 256;
}

void
arch_init(struct pmem_ops *ops, bool flush_needed)
{
	struct x86_cpu cpu;
	x86_cpu_probe(&cpu);

	if (!cpu.clflush) {
		fprintf(stderr, "libpmem: this CPU has no CLFLUSH instruction; "
			"cannot flush caches\n");
		abort();
	}

	enum flush_kind k = FLUSH_CLFLUSH;
	void (*flush)(const void *, size_t) = x86_flush_clflush;
	Chosen.flush = "clflush";
	if (cpu.clflushopt && !Config.no_clflushopt) {
		k = FLUSH_CLFLUSHOPT;
		flush = x86_flush_clflushopt;
		Chosen.flush = "clflushopt";
	}
	if (cpu.clwb && !Config.no_clwb) {
		k = FLUSH_CLWB;
		flush = x86_flush_clwb;
		Chosen.flush = "clwb";
	}

	ops->deep_flush = flush;
	if (flush_needed) {
		ops->flush = flush;
		ops->drain = k == FLUSH_CLFLUSH ? x86_drain_none : x86_drain_sfence;
		Chosen.drain = k == FLUSH_CLFLUSH ? "none" : "sfence";
	} else {
		/* stores still need ordering, so drain keeps its fence */
		ops->flush = flush_none;
		ops->drain = x86_drain_sfence;
		Chosen.drain = "sfence";
		k = FLUSH_NONE;
	}

	Chosen.wc_workaround = Config.wc_workaround == TRI_AUTO ? cpu.intel
		: Config.wc_workaround == TRI_ON;

	if (Config.no_movnt) {
		if (Config.no_generic_memcpy)
			engine_libc(&Engine, ops->flush);
		else
			engine_generic(&Engine, ops->flush);
		Chosen.wc_workaround = false;
	} else if (cpu.avx512f && !Config.avx512f_off) {
		x86_engine_avx512f(&Engine, k, false);
		Chosen.wc_workaround = false;
	} else if (cpu.avx && !Config.avx_off) {
		x86_engine_avx(&Engine, k, Chosen.wc_workaround);
	} else {
		x86_engine_sse2(&Engine, k, Chosen.wc_workaround);
	}
	Chosen.engine = Engine.name;

	if (Config.movnt_threshold_set) {
		Movnt_threshold = (size_t)Config.movnt_threshold;
		Chosen.threshold_reason = "PMEM_MOVNT_THRESHOLD";
	} else {
		Movnt_threshold = default_threshold(&cpu,
			&Chosen.threshold_reason);
	}
	Chosen.movnt_threshold = Movnt_threshold;

	if (flush_needed) {
		ops->memmove_nodrain = memmove_nodrain_flushing;
		ops->memset_nodrain = memset_nodrain_flushing;
	} else {
		ops->memmove_nodrain = memmove_nodrain_eadr;
		ops->memset_nodrain = memset_nodrain_eadr;
	}

	log_write(LOG_INFO, "cpu %s: clflush %d clflushopt %d clwb %d avx %d "
		"(cpuid %d) avx512f %d (cpuid %d) movdir64b %d", cpu.vendor,
		cpu.clflush, cpu.clflushopt, cpu.clwb, cpu.avx, cpu.avx_cpuid,
		cpu.avx512f, cpu.avx512f_cpuid, cpu.movdir64b);
}

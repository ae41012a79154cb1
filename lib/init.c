/*
 * init.c -- what the library decides once, when it is loaded.
 *
 * Persistence calls are hot: a program may persist millions of small records
 * a second. So every decision that does not depend on the call's arguments is
 * taken here, once, and frozen into the Ops table; afterwards pmem_persist()
 * is two indirect calls and pmem_memcpy_persist() a flag dispatch, with no
 * test of the CPU or the mode on the way.
 *
 * Decided here, in order:
 *  1. the page size and the environment (config.c), including the log;
 *  2. whether flushing is needed at all: not with PMEM_NO_FLUSH=1, always
 *     with PMEM_NO_FLUSH=0, otherwise not iff every NVDIMM region reports
 *     eADR (cpu_cache persistence domain) right now;
 *  3. the flush instruction, the fence and the copy engine with its streaming
 *     threshold, which depend on the CPU (arch/<cpu>/init.c);
 *  4. with PMEM_EMULATE, the emulated flush and drain (emu/), which replace
 *     the hardware ones in Ops and keep the copy engine.
 *
 * Decided later, lazily: the PMEM_IS_PMEM_FORCE policy (is_pmem.c), at the
 * first pmem_is_pmem() call, as PMDK does.
 */
#include <stdbool.h>
#include <unistd.h>

#include "arch/arch.h"
#include "auto_flush.h"
#include "config.h"
#include "emu.h"
#include "errormsg.h"
#include "log.h"
#include "ops.h"

struct pmem_ops Ops;
struct pmem_chosen Chosen;
size_t Pagesize;

/* decide_flush -- is flushing needed, and why (internal) */
static bool
decide_flush(const char **reason)
{
	switch (Config.no_flush) {
	case TRI_ON:
		*reason = "PMEM_NO_FLUSH=1";
		return false;
	case TRI_OFF:
		*reason = "PMEM_NO_FLUSH=0";
		return true;
	case TRI_AUTO:
		break;
	}
	if (auto_flush_probe(ND_BUS_DEVICES) == 1) {
		*reason = "eADR: CPU caches are in the persistence domain";
		return false;
	}
	*reason = "no eADR detected";
	return true;
}

__attribute__((constructor)) static void
pmem_init(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	Pagesize = ps > 0 ? (size_t)ps : 4096;
	config_read();
	log_init(Config.log_level, Config.log_file);
	emu_configure();

	Chosen.mode = "hardware";
	Chosen.flush_needed = decide_flush(&Chosen.flush_reason);
	arch_init(&Ops, Chosen.flush_needed);
	if (Emu_domain != EMU_OFF) {
		/* same copy engine, emulated flush and drain */
		emu_install(&Ops);
		bool adr = Emu_domain == EMU_ADR;
		Chosen.mode = adr ? "emulated ADR" : "emulated eADR";
		Chosen.flush = "line recorded";
		Chosen.flush_needed = adr;
		Chosen.flush_reason = adr ? "PMEM_EMULATE: ADR" :
			"PMEM_EMULATE: eADR";
		Chosen.drain = "write-back to the file";
		emu_log_settings();
	}

	log_write(LOG_INFO, "mode %s; flush %s (%s: %s); drain %s; engine %s; "
		"streaming from %zu bytes (%s)%s", Chosen.mode, Chosen.flush,
		Chosen.flush_needed ? "needed" : "not needed",
		Chosen.flush_reason, Chosen.drain, Chosen.engine,
		Chosen.movnt_threshold, Chosen.threshold_reason,
		Chosen.wc_workaround ? "; WC workaround" : "");
}

__attribute__((destructor)) static void
pmem_fini(void)
{
	emu_fini();
	log_fini();
	err_fini();
}

/*
 * emu.h -- the emulation backend as the rest of the library sees it.
 *
 * With PMEM_EMULATE set, the file behind a pmem_map_file() mapping plays the
 * persistent media and the process's view of it plays the CPU caches: stores
 * reach the file only as the emulated durability domain (ADR or eADR) says
 * they would reach real media. The model is described in emu_int.h.
 */
#ifndef PMEM_EMU_H
#define PMEM_EMU_H

#include <stdbool.h>
#include <stddef.h>

#include "ops.h"

enum emu_domain {
	EMU_OFF,	/* hardware paths */
	EMU_ADR,	/* flushed and drained lines are durable */
	EMU_EADR,	/* every cached store is durable; streamed data at drain */
};

/* The domain chosen at load; EMU_OFF unless PMEM_EMULATE selects one. */
extern enum emu_domain Emu_domain;

/*
 * Reads PMEM_EMULATE and the other PMEM_EMULATE_* settings. A value that is
 * not accepted ends the process (status 1) with one line naming the accepted
 * values: a typo must not silently run the program unemulated.
 */
void emu_configure(void);

/* Logs the emulation settings (PMEM_LOG_LEVEL 2). */
void emu_log_settings(void);

/* Installs the emulated persistence calls in ops (after the hardware ones). */
void emu_install(struct pmem_ops *ops);

/* Answer of pmem_has_auto_flush() under emulation: 1 for eADR, else 0. */
int emu_has_auto_flush(void);

/*
 * Maps len bytes of the open file fd (offset 0) as an emulated view near
 * hint; name is used in messages. Returns the view, or MAP_FAILED with
 * errno set. The descriptor stays the caller's.
 */
void *emu_map(int fd, size_t len, void *hint, const char *name);

/*
 * Unmaps the emulated views inside [addr, addr+len), writing back first what
 * a clean shutdown writes back. Returns 0, or -1 with errno.
 */
int emu_unmap(void *addr, size_t len);

/* Makes every line of [addr, addr+len) in emulated views durable now. */
int emu_sync(const void *addr, size_t len);

/*
 * Takes over the file mappings of [addr, addr+len) that the program made
 * itself (not with pmem_map_file) as emulated views (adopt.c). Returns 1 if
 * every byte of the range is then in an emulated view, else 0. flushing:
 * called for a flush, where ranges already found not to be files are not
 * looked up again.
 */
int emu_adopt(const void *addr, size_t len, bool flushing);

/* 1 if some byte of [addr, addr+len) is in an emulated view. */
int emu_covers(const void *addr, size_t len);

/* Forgets the views taken over whose mapping the program has unmapped. */
void emu_prune(void);

/* At exit: writes back the remaining views and the statistics. */
void emu_fini(void);

/*
 * PMEM_EMULATE_REPORT (report.c): Emu_report is set at load when the
 * persistence-bug report is on. Each public flushing call then notes the
 * code that called it (its return address) in the thread's Emu_site, which
 * the emulation attaches to what it records; with the report off this costs
 * one predicted branch. deep: the call was pmem_deep_flush/persist, whose
 * deep drain msyncs memory that is not pmem (not a finding).
 */
struct emu_site {
	const void *ra;
	bool deep;
};

extern bool Emu_report;
extern __thread struct emu_site Emu_site;

#define EMU_NOTE_SITE_(is_deep) do { \
	if (__builtin_expect(Emu_report, 0)) \
		Emu_site = (struct emu_site){ \
			__builtin_return_address(0), (is_deep) }; \
} while (0)

/* In a public function: its caller is the site of what it flushes. */
#define EMU_NOTE_SITE() EMU_NOTE_SITE_(false)
#define EMU_NOTE_SITE_DEEP() EMU_NOTE_SITE_(true)

#endif

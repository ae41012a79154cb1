/*
 * config.h -- the environment settings, read once when the library loads.
 *
 * Every variable is PMDK's, with PMDK's parsing and default. They are read
 * with secure_getenv, so set-uid programs ignore them, and only in the
 * constructor: setenv() in main() comes too late (PMEM_IS_PMEM_FORCE, read on
 * the first pmem_is_pmem() call, is the one exception, see is_pmem.c).
 */
#ifndef PMEM_CONFIG_H
#define PMEM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

enum tristate { TRI_AUTO = -1, TRI_OFF = 0, TRI_ON = 1 };

struct pmem_config {
	enum tristate no_flush;		/* PMEM_NO_FLUSH: exactly "1" or "0" */
	bool no_clwb;			/* PMEM_NO_CLWB=1 */
	bool no_clflushopt;		/* PMEM_NO_CLFLUSHOPT=1 */
	bool no_movnt;			/* PMEM_NO_MOVNT=1 */
	bool no_generic_memcpy;		/* PMEM_NO_GENERIC_MEMCPY, atoll != 0 */
	bool avx_off;			/* PMEM_AVX=0 */
	bool avx512f_off;		/* PMEM_AVX512F=0 */
	enum tristate wc_workaround;	/* PMEM_WC_WORKAROUND: "1" / "0" */
	bool movnt_threshold_set;	/* PMEM_MOVNT_THRESHOLD given and >= 0 */
	uint64_t movnt_threshold;
	bool mmap_hint_set;		/* PMEM_MMAP_HINT valid hex */
	uintptr_t mmap_hint;
	const char *log_level;		/* PMEM_LOG_LEVEL, raw */
	const char *log_file;		/* PMEM_LOG_FILE, raw */
};

extern struct pmem_config Config;

/* Fills Config from the environment. */
void config_read(void);

#endif

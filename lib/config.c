/*
 * config.c -- reads PMDK's environment variables into Config.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

struct pmem_config Config;

/* is_exactly -- true if the variable is set to exactly value (internal) */
static bool
is_exactly(const char *name, const char *value)
{
	const char *v = secure_getenv(name);
	return v != NULL && strcmp(v, value) == 0;
}

/* tristate_of -- "1" -> ON, "0" -> OFF, anything else -> AUTO (internal) */
static enum tristate
tristate_of(const char *name)
{
	if (is_exactly(name, "1"))
		return TRI_ON;
	if (is_exactly(name, "0"))
		return TRI_OFF;
	return TRI_AUTO;
}

/*
 * read_hint -- PMEM_MMAP_HINT: hexadecimal, 0x optional; ignored if no digit
 * can be read or it overflows (internal). As in PMDK, whatever follows the
 * digits is ignored: "0x10000000000zz" is a hint.
 */
static void
read_hint(void)
{
	const char *v = secure_getenv("PMEM_MMAP_HINT");
	if (v == NULL)
		return;
	char *end;
	errno = 0;
	unsigned long long hint = strtoull(v, &end, 16);
	if (errno != 0 || end == v)
		return;
	Config.mmap_hint = (uintptr_t)hint;
	Config.mmap_hint_set = true;
}

void
config_read(void)
{
	Config.no_flush = tristate_of("PMEM_NO_FLUSH");
	Config.no_clwb = is_exactly("PMEM_NO_CLWB", "1");
	Config.no_clflushopt = is_exactly("PMEM_NO_CLFLUSHOPT", "1");
	Config.no_movnt = is_exactly("PMEM_NO_MOVNT", "1");
	const char *v = secure_getenv("PMEM_NO_GENERIC_MEMCPY");
	Config.no_generic_memcpy = v != NULL && atoll(v) != 0;
	Config.avx_off = is_exactly("PMEM_AVX", "0");
	Config.avx512f_off = is_exactly("PMEM_AVX512F", "0");
	Config.wc_workaround = tristate_of("PMEM_WC_WORKAROUND");

	/* atoll, as PMDK: a non-numeric value reads as 0, a negative one is ignored */
	v = secure_getenv("PMEM_MOVNT_THRESHOLD");
	if (v != NULL) {
		long long t = atoll(v);
		if (t >= 0) {
			Config.movnt_threshold = (uint64_t)t;
			Config.movnt_threshold_set = true;
		}
	}

	read_hint();
	Config.log_level = secure_getenv("PMEM_LOG_LEVEL");
	Config.log_file = secure_getenv("PMEM_LOG_FILE");
}

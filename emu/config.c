/*
 * config.c -- PMEM_EMULATE and the PMEM_EMULATE_* settings.
 *
 * Read once, in the library's constructor. Unlike PMDK's variables, whose
 * bad values are ignored, a bad value here ends the process: running a test
 * suite unemulated because of a typo would pass tests it should not.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu_int.h"
#include "log.h"

enum emu_domain Emu_domain = EMU_OFF;
struct emu_settings Emu = {
	.io = EMU_IO_AUTO,
	.on_error = EMU_ERR_ABORT,
	.gap = 8192,
};

void
emu_notice(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* one write, so that lines of several processes do not interleave */
	char out[sizeof(line) + 16];
	int len = snprintf(out, sizeof(out), "libpmem: %.*s", n, line);
	if (len > 0 && write(STDERR_FILENO, out, (size_t)len) < 0)
		return;
}

void
emu_out_of_memory(const char *doing)
{
	emu_notice("out of memory %s", doing);
	if (Emu.on_error == EMU_ERR_ABORT)
		abort();
}

/*
 * choose -- index of the value of variable name in the NULL-terminated list
 * values, or def if unset; refuses anything else (internal)
 */
static int
choose(const char *name, const char *const *values, const char *accepted,
		int def)
{
	const char *v = secure_getenv(name);
	if (v == NULL)
		return def;
	for (int i = 0; values[i] != NULL; i++)
		if (strcmp(v, values[i]) == 0)
			return i;
	emu_notice("%s=\"%s\" is not valid; accepted values: %s", name, v,
		accepted);
	_exit(1);
}

void
emu_configure(void)
{
	static const char *const domains[] = { "0", "1", "adr", "eadr", NULL };
	static const enum emu_domain domain_of[] = {
		EMU_OFF, EMU_ADR, EMU_ADR, EMU_EADR,
	};
	static const char *const bools[] = { "0", "1", NULL };
	static const char *const ios[] = { "auto", "uring", "pwrite", "mmap",
		NULL };
	static const enum emu_io io_of[] = {
		EMU_IO_AUTO, EMU_IO_URING, EMU_IO_PWRITE, EMU_IO_MMAP,
	};
	static const char *const errs[] = { "abort", "warn", NULL };

	Emu_domain = domain_of[choose("PMEM_EMULATE", domains,
		"0, 1, adr, eadr", 0)];
	/* the other settings are checked even when emulation is off */
	Emu.strict = choose("PMEM_EMULATE_STRICT", bools, "0, 1", 0) == 1;
	Emu.fsync = choose("PMEM_EMULATE_FSYNC", bools, "0, 1", 0) == 1;
	Emu.io = io_of[choose("PMEM_EMULATE_IO", ios,
		"auto, uring, pwrite, mmap", 0)];
	Emu.on_error = choose("PMEM_EMULATE_ON_ERROR", errs, "abort, warn",
		0) == 1 ? EMU_ERR_WARN : EMU_ERR_ABORT;
	const char *stats = secure_getenv("PMEM_EMULATE_STATS");
	Emu.stats = stats != NULL && stats[0] != '\0' ? stats : NULL;
	report_configure();
	crash_configure();
}

void
emu_log_settings(void)
{
	static const char *const ios[] = { "auto", "uring", "pwrite", "mmap" };
	log_write(LOG_INFO, "emulation: %s; strict %d, fsync %d, io %s, on "
		"error %s, statistics %s; lines up to %zu bytes apart are "
		"written as one request", Emu_domain == EMU_ADR ? "ADR" : "eADR",
		Emu.strict, Emu.fsync, ios[Emu.io],
		Emu.on_error == EMU_ERR_ABORT ? "abort" : "warn",
		Emu.stats != NULL ? Emu.stats : "not written", Emu.gap);
}

/*
 * log.c -- the diagnostic log behind PMEM_LOG_LEVEL and PMEM_LOG_FILE.
 *
 * PMDK keeps such a log only in its debug build; here it is always compiled
 * in and costs one predictable branch where it is off. A log file that cannot
 * be opened falls back to stderr with a warning (PMDK's debug build aborts).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

int Log_level;
static FILE *Log_out;
static int Log_owned;

void
log_init(const char *level, const char *file)
{
	if (level == NULL)
		return;
	int lvl = atoi(level);
	if (lvl <= 0)
		return;
	Log_out = stderr;
	if (file != NULL && file[0] != '\0') {
		char path[4096];
		size_t n = strlen(file);
		/* a trailing '-' asks for the process id, as in PMDK */
		if (file[n - 1] == '-')
			snprintf(path, sizeof(path), "%s%d", file, (int)getpid());
		else
			snprintf(path, sizeof(path), "%s", file);
		FILE *f = fopen(path, "we");
		if (f != NULL) {
			setvbuf(f, NULL, _IOLBF, 0);
			Log_out = f;
			Log_owned = 1;
		} else {
			fprintf(stderr, "libpmem: cannot open log file %s: %s; "
				"logging to stderr\n", path, strerror(errno));
		}
	}
	Log_level = lvl;
}

void
log_fini(void)
{
	Log_level = 0;
	if (Log_owned)
		fclose(Log_out);
	Log_out = NULL;
	Log_owned = 0;
}

void
log_write_(int level, const char *fmt, ...)
{
	FILE *out = Log_out;
	if (out == NULL)
		return;
	char line[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(out, "<libpmem>: <%d> [%d] %s\n", level, (int)getpid(), line);
}

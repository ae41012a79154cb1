/*
 * log.h -- optional diagnostic log, as PMDK's debug build keeps it.
 *
 * Off unless PMEM_LOG_LEVEL is set; goes to stderr or PMEM_LOG_FILE.
 */
#ifndef PMEM_LOG_H
#define PMEM_LOG_H

enum log_level {
	LOG_ERROR = 1,	/* every error recorded for pmem_errormsg() */
	LOG_INFO = 2,	/* what was chosen at load, and why */
	LOG_CALL = 3,	/* calls that map, unmap or sync */
	LOG_DETAIL = 4,	/* details of those calls */
};

/* Opens the log as PMEM_LOG_LEVEL / PMEM_LOG_FILE say (called once at load). */
void log_init(const char *level, const char *file);

/* Closes the log file, if one was opened (called at unload). */
void log_fini(void);

/* Current level: 0 when logging is off. */
extern int Log_level;

void log_write_(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Writes one line when the log level is at least level. */
#define log_write(level, ...) do { \
	if (__builtin_expect(Log_level >= (level), 0)) \
		log_write_((level), __VA_ARGS__); \
} while (0)

#endif

/*
 * errormsg.h -- the thread-local last-error message behind pmem_errormsg().
 */
#ifndef PMEM_ERRORMSG_H
#define PMEM_ERRORMSG_H

#define ERRORMSG_MAX 8192

/* Records a message for pmem_errormsg() (and the log); errno is left alone. */
void err_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Records "<message>: <strerror(errnum)>"; errno is left alone. */
void err_set_errno(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The calling thread's message buffer (what pmem_errormsg() returns). */
const char *err_buffer(void);

/*
 * Frees the calling thread's buffer and the key behind all others (at
 * unload: a later thread exit must not call into an unloaded library).
 */
void err_fini(void);

#endif

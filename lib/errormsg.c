/*
 * errormsg.c -- pmem_errormsg() and the helpers that fill its buffer.
 *
 * Each thread owns one buffer, allocated at its first error (so that threads
 * that never fail carry no 8 KiB of TLS) and freed when the thread exits. A
 * successful call never clears it, as in PMDK: the message is only meaningful
 * right after a call reported failure.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libpmem.h"
#include "api.h"
#include "errormsg.h"
#include "log.h"

/* where a thread's messages go when its buffer cannot be allocated */
#define FALLBACK_MAX 256

static __thread char *Errormsg;
static __thread char Fallback[FALLBACK_MAX];

static pthread_once_t Key_once = PTHREAD_ONCE_INIT;
static pthread_key_t Key;
static int Key_ok;

/* make_key -- the key whose destructor frees a thread's buffer (internal) */
static void
make_key(void)
{
	Key_ok = pthread_key_create(&Key, free) == 0;
}

/* buffer -- this thread's buffer, allocated on first use (internal) */
static char *
buffer(void)
{
	if (Errormsg != NULL)
		return Errormsg;
	pthread_once(&Key_once, make_key);
	char *b = Key_ok ? calloc(1, ERRORMSG_MAX) : NULL;
	if (b != NULL && pthread_setspecific(Key, b) == 0) {
		Errormsg = b;
	} else {
		free(b);
		Errormsg = Fallback;
	}
	return Errormsg;
}

/* capacity -- size of this thread's buffer, once it has one (internal) */
static size_t
capacity(void)
{
	return Errormsg == Fallback ? sizeof(Fallback) : ERRORMSG_MAX;
}

/* vformat -- writes a formatted message into the buffer (internal) */
static size_t
vformat(const char *fmt, va_list ap)
{
	char *b = buffer();
	int n = vsnprintf(b, capacity(), fmt, ap);
	if (n < 0) {
		b[0] = '\0';
		return 0;
	}
	return (size_t)n < capacity() ? (size_t)n : capacity() - 1;
}

void
err_set(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vformat(fmt, ap);
	va_end(ap);
	log_write(LOG_ERROR, "%s", Errormsg);
}

void
err_set_errno(int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = vformat(fmt, ap);
	va_end(ap);

	char tmp[256];
	/* the GNU strerror_r returns a pointer, not always into tmp */
	const char *text = strerror_r(errnum, tmp, sizeof(tmp));
	snprintf(Errormsg + n, capacity() - n, ": %s", text);
	log_write(LOG_ERROR, "%s", Errormsg);
}

const char *
err_buffer(void)
{
	return buffer();
}

void
err_fini(void)
{
	if (Errormsg != NULL && Errormsg != Fallback)
		free(Errormsg);
	Errormsg = NULL;
	if (Key_ok)
		pthread_key_delete(Key);
	Key_ok = 0;
}

PMEM_API const char *
pmem_errormsg(void)
{
	return buffer();
}

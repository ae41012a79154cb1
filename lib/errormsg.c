/*
 * errormsg.c -- pmem_errormsg() and the helpers that fill its buffer.
 *
 * Each thread owns one buffer. A successful call never clears it, as in PMDK:
 * the message is only meaningful right after a call reported failure.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libpmem.h"
#include "api.h"
#include "errormsg.h"
#include "log.h"

static __thread char Errormsg[ERRORMSG_MAX];

/* vformat -- writes a formatted message into the buffer (internal) */
static size_t
vformat(const char *fmt, va_list ap)
{
	int n = vsnprintf(Errormsg, sizeof(Errormsg), fmt, ap);
	if (n < 0) {
		Errormsg[0] = '\0';
		return 0;
	}
	return (size_t)n < sizeof(Errormsg) ? (size_t)n : sizeof(Errormsg) - 1;
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
	snprintf(Errormsg + n, sizeof(Errormsg) - n, ": %s", text);
	log_write(LOG_ERROR, "%s", Errormsg);
}

const char *
err_buffer(void)
{
	return Errormsg;
}

PMEM_API const char *
pmem_errormsg(void)
{
	return Errormsg;
}

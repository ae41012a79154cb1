/*
 * emu_on_error_test.c -- PMEM_EMULATE_ON_ERROR: what a failed write-back
 * does. The helper (argv[1], emu_helper.c, mode write-error) makes the
 * write-back of a line at offset 8192 fail with EFBIG (RLIMIT_FSIZE), then
 * persists a line at offset 0. "abort" (the default): one message naming
 * the file, the offset and the error, then abort(). "warn": the message,
 * and the program goes on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <libpmem.h>

#include "emu_util.h"

#define FILE_SIZE 16384

static const char *Helper;
static char *Dir;

/* run -- the helper's write-error mode with the given settings */
static char *
run(const char *on_error, const char *io, struct eu_run *r)
{
	char *f = eu_fresh_file(Dir, FILE_SIZE);
	char *env[4] = { "PMEM_EMULATE=adr" };
	int n = 1;
	char *v1 = NULL, *v2 = NULL;
	if (on_error != NULL) {
		assert_true(asprintf(&v1, "PMEM_EMULATE_ON_ERROR=%s",
			on_error) > 0);
		env[n++] = v1;
	}
	assert_true(asprintf(&v2, "PMEM_EMULATE_IO=%s", io) > 0);
	env[n++] = v2;
	env[n] = NULL;
	char *argv[] = { (char *)Helper, "write-error", f, NULL };
	eu_exec(argv, env, NULL, NULL, r);
	free(v1);
	free(v2);
	return f;
}

/* failure_lines -- lines naming the file, offset 8192 and the EFBIG text */
static int
failure_lines(const char *err, const char *file)
{
	int n = 0;
	const char *s = err;
	char line[4096];
	while (*s != '\0') {
		const char *end = strchr(s, '\n');
		size_t len = end != NULL ? (size_t)(end - s) : strlen(s);
		snprintf(line, sizeof(line), "%.*s", (int)len, s);
		if (strstr(line, file) != NULL &&
				(strstr(line, "8192") != NULL ||
				strstr(line, "0x2000") != NULL) &&
				strstr(line, strerror(EFBIG)) != NULL)
			n++;
		s += len;
		if (*s == '\n')
			s++;
	}
	return n;
}

static void
expect_aborted(const char *on_error, const char *io)
{
	struct eu_run r;
	char *f = run(on_error, io, &r);
	if (!WIFSIGNALED(r.status) || WTERMSIG(r.status) != SIGABRT)
		fail_msg("status 0x%x, expected SIGABRT; stderr:\n%s",
			r.status, r.err);
	assert_null(strstr(r.out, "went on"));
	if (failure_lines(r.err, f) != 1)
		fail_msg("stderr should name %s, 8192 and \"%s\" once:\n%s",
			f, strerror(EFBIG), r.err);
	eu_run_free(&r);
	free(f);
}

static void
expect_warned(const char *io)
{
	struct eu_run r;
	char *f = run("warn", io, &r);
	if (!WIFSIGNALED(r.status) || WTERMSIG(r.status) != SIGKILL)
		fail_msg("status 0x%x, expected SIGKILL; stderr:\n%s",
			r.status, r.err);
	assert_string_equal(r.out, "main ran\nwent on\n");
	if (failure_lines(r.err, f) < 1)
		fail_msg("stderr should name %s, 8192 and \"%s\":\n%s",
			f, strerror(EFBIG), r.err);
	/* the line persisted after the failure is durable */
	eu_expect_bytes(f, 0, EU_LINE, EU_NEW);
	eu_expect_bytes(f, EU_LINE, 8192 - EU_LINE, EU_OLD);
	eu_run_free(&r);
	free(f);
}

static void
default_aborts_uring(void **state)
{
	(void)state;
	expect_aborted(NULL, "uring");
}

static void
default_aborts_pwrite(void **state)
{
	(void)state;
	expect_aborted(NULL, "pwrite");
}

static void
abort_aborts_uring(void **state)
{
	(void)state;
	expect_aborted("abort", "uring");
}

static void
abort_aborts_pwrite(void **state)
{
	(void)state;
	expect_aborted("abort", "pwrite");
}

static void
warn_goes_on_uring(void **state)
{
	(void)state;
	expect_warned("uring");
}

static void
warn_goes_on_pwrite(void **state)
{
	(void)state;
	expect_warned("pwrite");
}

static int
setup(void **state)
{
	(void)state;
	Dir = eu_mkdtemp();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	eu_rmtree(Dir);
	free(Dir);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s emu_helper\n", argv[0]);
		return 1;
	}
	Helper = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_aborts_uring),
		cmocka_unit_test(default_aborts_pwrite),
		cmocka_unit_test(abort_aborts_uring),
		cmocka_unit_test(abort_aborts_pwrite),
		cmocka_unit_test(warn_goes_on_uring),
		cmocka_unit_test(warn_goes_on_pwrite),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * emu_stats_test.c -- the counters PMEM_EMULATE_STATS writes at exit.
 *
 * The helper (argv[1], emu_helper.c) runs a known sequence of calls (see
 * stats() there) with PMEM_EMULATE_STATS naming a file; the counters in the
 * JSON object it leaves must be exactly those of the sequence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libpmem.h>

#include "emu_util.h"

#define FILE_SIZE 8192

static const char *Helper;
static char *Dir;

static const char *const Keys[] = {
	"domain", "io", "flushes", "lines_flushed", "redundant_flushes",
	"drains", "write_requests", "bytes_written", "lines_never_flushed",
};

/* value_of -- start of the value of "key" in json, or NULL */
static const char *
value_of(const char *json, const char *key)
{
	char quoted[64];
	snprintf(quoted, sizeof(quoted), "\"%s\"", key);
	const char *p = strstr(json, quoted);
	if (p == NULL)
		return NULL;
	p += strlen(quoted);
	while (isspace((unsigned char)*p))
		p++;
	if (*p++ != ':')
		return NULL;
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* num -- the number of key; fails the test if missing */
static unsigned long long
num(const char *json, const char *key)
{
	const char *v = value_of(json, key);
	if (v == NULL || !isdigit((unsigned char)*v))
		fail_msg("no number \"%s\" in %s", key, json);
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	assert_int_equal(errno, 0);
	return n;
}

/* expect_str -- the string value of key is want */
static void
expect_str(const char *json, const char *key, const char *want)
{
	const char *v = value_of(json, key);
	size_t wl = strlen(want);
	if (v == NULL || v[0] != '"' || strncmp(v + 1, want, wl) != 0 ||
			v[wl + 1] != '"')
		fail_msg("\"%s\" should be \"%s\" in %s", key, want, json);
}

/* run_stats -- the helper's mode on a fresh file; returns the JSON */
static char *
run_stats(const char *mode, const char *const *extra_env, char **file)
{
	*file = eu_fresh_file(Dir, FILE_SIZE);
	char *stats = eu_join(Dir, "stats.json");
	unlink(stats);
	char *var;
	assert_true(asprintf(&var, "PMEM_EMULATE_STATS=%s", stats) > 0);
	char *env[8] = { var };
	int n = 1;
	for (int i = 0; extra_env[i] != NULL; i++)
		env[n++] = (char *)extra_env[i];
	env[n] = NULL;
	char *argv[] = { (char *)Helper, (char *)mode, *file, NULL };
	struct eu_run r;
	eu_exec(argv, env, NULL, NULL, &r);
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
		fail_msg("helper: status 0x%x, stderr:\n%s", r.status, r.err);
	assert_string_equal(r.out, "main ran\n");
	eu_run_free(&r);

	off_t size = eu_file_size(stats);
	if (size <= 0)
		fail_msg("no stats file written (size %jd)", (intmax_t)size);
	char *json = calloc(1, (size_t)size + 1);
	assert_non_null(json);
	eu_pread(stats, 0, json, (size_t)size);
	/* one object: '{' first, '}' last (before an optional newline) */
	size_t l = strlen(json);
	while (l > 0 && isspace((unsigned char)json[l - 1]))
		l--;
	if (json[0] != '{' || l == 0 || json[l - 1] != '}' ||
			strchr(json + 1, '{') != NULL ||
			strchr(json, '}') != json + l - 1)
		fail_msg("not one JSON object: %s", json);
	for (size_t i = 0; i < sizeof(Keys) / sizeof(Keys[0]); i++)
		if (value_of(json, Keys[i]) == NULL)
			fail_msg("no \"%s\" in %s", Keys[i], json);
	print_message("%s\n", json);
	free(var);
	free(stats);
	return json;
}

/* expect_sequence_content -- the file after the helper's stats sequence */
static void
expect_sequence_content(const char *file)
{
	eu_expect_bytes(file, 0, 3 * EU_LINE, EU_NEW);
	eu_expect_bytes(file, 3 * EU_LINE, EU_LINE, EU_OLD);
	eu_expect_bytes(file, 4 * EU_LINE, 2 * EU_LINE, EU_NEW);
	eu_expect_bytes(file, 6 * EU_LINE, 4 * EU_LINE, EU_OLD);
	eu_expect_bytes(file, 10 * EU_LINE, EU_LINE, EU_NEW);
	eu_expect_bytes(file, 11 * EU_LINE, FILE_SIZE - 11 * EU_LINE, EU_OLD);
}

/* expect_common -- the counters both domains count alike */
static void
expect_common(const char *json)
{
	assert_int_equal(num(json, "flushes"), 5);
	assert_int_equal(num(json, "lines_flushed"), 6);
	assert_int_equal(num(json, "drains"), 5);
}

/* expect_adr -- ADR: the counters of the sequence, exactly */
static void
expect_adr(const char *json)
{
	expect_str(json, "domain", "adr");
	expect_common(json);
	assert_int_equal(num(json, "redundant_flushes"), 1);
	assert_int_equal(num(json, "lines_never_flushed"), 1);
	/* 5 lines drained, 1 written back at unmap, at least */
	assert_true(num(json, "write_requests") >= 1);
	assert_true(num(json, "bytes_written") >= 6 * EU_LINE);
}

static void
adr_counts_exact(void **state)
{
	(void)state;
	const char *env[] = { "PMEM_EMULATE=adr", NULL };
	char *file;
	char *json = run_stats("stats", env, &file);
	expect_adr(json);
	expect_str(json, "io", "auto");
	expect_sequence_content(file);
	free(json);
	free(file);
}

static void
adr_uring_counts_exact(void **state)
{
	(void)state;
	const char *env[] = { "PMEM_EMULATE=adr", "PMEM_EMULATE_IO=uring",
		NULL };
	char *file;
	char *json = run_stats("stats", env, &file);
	expect_adr(json);
	expect_str(json, "io", eu_io_uring_works() ? "uring" : "pwrite");
	expect_sequence_content(file);
	free(json);
	free(file);
}

static void
adr_pwrite_counts_exact(void **state)
{
	(void)state;
	const char *env[] = { "PMEM_EMULATE=adr", "PMEM_EMULATE_IO=pwrite",
		NULL };
	char *file;
	char *json = run_stats("stats", env, &file);
	expect_adr(json);
	expect_str(json, "io", "pwrite");
	expect_sequence_content(file);
	free(json);
	free(file);
}

static void
adr_fsync_counts_exact(void **state)
{
	(void)state;
	const char *env[] = { "PMEM_EMULATE=adr", "PMEM_EMULATE_FSYNC=1",
		NULL };
	char *file;
	char *json = run_stats("stats", env, &file);
	expect_adr(json);
	expect_sequence_content(file);
	free(json);
	free(file);
}

static void
eadr_counts_calls(void **state)
{
	(void)state;
	const char *env[] = { "PMEM_EMULATE=eadr", NULL };
	char *file;
	char *json = run_stats("stats", env, &file);
	expect_str(json, "domain", "eadr");
	expect_common(json);
	expect_sequence_content(file);
	free(json);
	free(file);
}

static void
copies_count_their_drains(void **state)
{
	(void)state;
	const char *env[] = { "PMEM_EMULATE=adr", "PMEM_MOVNT_THRESHOLD=256",
		NULL };
	char *file;
	char *json = run_stats("stats-copy", env, &file);
	expect_str(json, "domain", "adr");
	/* a cached copy of 2 lines and a streamed fill, each persisted */
	assert_int_equal(num(json, "drains"), 2);
	assert_true(num(json, "flushes") >= 1);
	assert_true(num(json, "lines_flushed") >= 2);
	assert_int_equal(num(json, "lines_never_flushed"), 0);
	assert_true(num(json, "bytes_written") >= 2 * EU_LINE + 1024);
	eu_expect_bytes(file, 0, 2 * EU_LINE, 'c');
	eu_expect_bytes(file, 4096, 1024, 's');
	free(json);
	free(file);
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
		cmocka_unit_test(adr_counts_exact),
		cmocka_unit_test(adr_uring_counts_exact),
		cmocka_unit_test(adr_pwrite_counts_exact),
		cmocka_unit_test(adr_fsync_counts_exact),
		cmocka_unit_test(eadr_counts_calls),
		cmocka_unit_test(copies_count_their_drains),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

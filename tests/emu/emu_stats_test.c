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

static const char *const Keys[] = {
	"domain", "io", "flushes", "lines_flushed", "redundant_flushes",
	"drains", "write_requests", "bytes_written", "lines_never_flushed",
};

/* num -- the number of key; fails the test if missing */
static unsigned long long
num(const char *json, const char *key)
{
	const char *v = eu_json_value(json, key);
	if (v == NULL || !isdigit((unsigned char)*v))
		fail_msg("no number \"%s\" in %s", key, json);
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	assert_int_equal(errno, 0);
	return n;
}

/* run_stats -- the helper's mode on a fresh file; returns the JSON */
static char *
run_stats(const char *mode, const char *const *extra_env, char **file)
{
	*file = eu_fresh_file(FILE_SIZE);
	char *stats = eu_join(Eu_dir, "stats.json");
	unlink(stats);
	char *var;
	assert_true(asprintf(&var, "PMEM_EMULATE_STATS=%s", stats) > 0);
	char *env[8] = { var };
	int n = 1;
	for (int i = 0; extra_env[i] != NULL; i++)
		env[n++] = (char *)extra_env[i];
	env[n] = NULL;
	char *argv[] = { (char *)Eu_helper, (char *)mode, *file, NULL };
	struct eu_run r;
	eu_exec(argv, env, NULL, NULL, &r);
	eu_expect_exited(&r, 0, "helper");
	assert_string_equal(r.out, "main ran\n");
	eu_run_free(&r);

	char *json = eu_read_file(stats);
	if (json == NULL || json[0] == '\0')
		fail_msg("no stats file written (%s)",
			json == NULL ? "none" : "empty");
	/* one object: '{' first, '}' last (before an optional newline) */
	size_t l = strlen(json);
	while (l > 0 && isspace((unsigned char)json[l - 1]))
		l--;
	if (json[0] != '{' || l == 0 || json[l - 1] != '}' ||
			strchr(json + 1, '{') != NULL ||
			strchr(json, '}') != json + l - 1)
		fail_msg("not one JSON object: %s", json);
	for (size_t i = 0; i < sizeof(Keys) / sizeof(Keys[0]); i++)
		if (eu_json_value(json, Keys[i]) == NULL)
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
	eu_expect_json_str(json, "domain", "adr");
	expect_common(json);
	assert_int_equal(num(json, "redundant_flushes"), 1);
	assert_int_equal(num(json, "lines_never_flushed"), 1);
	/* 5 lines drained, 1 written back at unmap, at least */
	assert_true(num(json, "write_requests") >= 1);
	assert_true(num(json, "bytes_written") >= 6 * EU_LINE);
}

/*
 * adr_counts -- the sequence under ADR with setting (NULL: none) added;
 * the stats say "io" is io (NULL: not checked)
 */
static void
adr_counts(const char *setting, const char *io)
{
	const char *env[] = { "PMEM_EMULATE=adr", setting, NULL };
	char *file;
	char *json = run_stats("stats", env, &file);
	expect_adr(json);
	if (io != NULL)
		eu_expect_json_str(json, "io", io);
	expect_sequence_content(file);
	free(json);
	eu_remove_file(file);
}

static void
adr_counts_exact(void **state)
{
	(void)state;
	adr_counts(NULL, "auto");
}

static void
adr_uring_counts_exact(void **state)
{
	(void)state;
	adr_counts("PMEM_EMULATE_IO=uring",
		eu_io_uring_works() ? "uring" : "pwrite");
}

static void
adr_pwrite_counts_exact(void **state)
{
	(void)state;
	adr_counts("PMEM_EMULATE_IO=pwrite", "pwrite");
}

static void
adr_fsync_counts_exact(void **state)
{
	(void)state;
	adr_counts("PMEM_EMULATE_FSYNC=1", NULL);
}

static void
eadr_counts_calls(void **state)
{
	(void)state;
	const char *env[] = { "PMEM_EMULATE=eadr", NULL };
	char *file;
	char *json = run_stats("stats", env, &file);
	eu_expect_json_str(json, "domain", "eadr");
	expect_common(json);
	expect_sequence_content(file);
	free(json);
	eu_remove_file(file);
}

static void
copies_count_their_drains(void **state)
{
	(void)state;
	const char *env[] = { "PMEM_EMULATE=adr", "PMEM_MOVNT_THRESHOLD=256",
		NULL };
	char *file;
	char *json = run_stats("stats-copy", env, &file);
	eu_expect_json_str(json, "domain", "adr");
	/* a cached copy of 2 lines and a streamed fill, each persisted */
	assert_int_equal(num(json, "drains"), 2);
	assert_true(num(json, "flushes") >= 1);
	assert_true(num(json, "lines_flushed") >= 2);
	assert_int_equal(num(json, "lines_never_flushed"), 0);
	assert_true(num(json, "bytes_written") >= 2 * EU_LINE + 1024);
	eu_expect_bytes(file, 0, 2 * EU_LINE, 'c');
	eu_expect_bytes(file, 4096, 1024, 's');
	free(json);
	eu_remove_file(file);
}

int
main(int argc, char *argv[])
{
	if (!eu_helper_arg(argc, argv))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(adr_counts_exact),
		cmocka_unit_test(adr_uring_counts_exact),
		cmocka_unit_test(adr_pwrite_counts_exact),
		cmocka_unit_test(adr_fsync_counts_exact),
		cmocka_unit_test(eadr_counts_calls),
		cmocka_unit_test(copies_count_their_drains),
	};
	return cmocka_run_group_tests(tests, eu_setup, eu_teardown);
}

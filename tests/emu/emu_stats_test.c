/*
 * emu_stats_test.c -- the counters PMEM_EMULATE_STATS writes at exit.
 *
 * The helper (argv[1], emu_helper.c) runs a known sequence of calls (see
 * stats() there) with PMEM_EMULATE_STATS naming a file; the counters in the
 * JSON object it leaves must be exactly those of the sequence. "io" says
 * how the files were written back: a file written whole is fully
 * allocated, so auto and mmap copy into the shared mapping ("mmap"); one
 * with a hole is written back by system calls ("auto"), with a notice if
 * mmap was asked for; both at once give "mmap+auto".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libpmem.h>

#include "emu_util.h"

#define FILE_SIZE 8192
#define HOLE 4096	/* after FILE_SIZE, in a file with a hole */
#define NOTICE_MMAP "libpmem: PMEM_EMULATE_IO=mmap: "

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

/*
 * Copies into the shared mapping are possible in this directory: it is on
 * a file system whose allocation the library can tell.
 */
static bool Copies;

/* holed_file -- a fresh file of FILE_SIZE bytes EU_OLD, then a hole */
static char *
holed_file(void)
{
	char *f = eu_fresh_file(FILE_SIZE);
	assert_int_equal(truncate(f, FILE_SIZE + HOLE), 0);
	return f;
}

/*
 * run_stats_on -- the helper's mode on file (and file2 unless NULL);
 * returns the JSON, and in *err the helper's stderr unless err is NULL
 */
static char *
run_stats_on(const char *mode, const char *const *extra_env,
		const char *file, const char *file2, char **err)
{
	char *stats = eu_join(Eu_dir, "stats.json");
	unlink(stats);
	char *var;
	assert_true(asprintf(&var, "PMEM_EMULATE_STATS=%s", stats) > 0);
	char *env[8] = { var };
	int n = 1;
	for (int i = 0; extra_env[i] != NULL; i++)
		env[n++] = (char *)extra_env[i];
	env[n] = NULL;
	char *argv[] = { (char *)Eu_helper, (char *)mode, (char *)file,
		(char *)file2, NULL };
	struct eu_run r;
	eu_exec(argv, env, NULL, NULL, &r);
	eu_expect_exited(&r, 0, "helper");
	assert_string_equal(r.out, "main ran\n");
	if (err != NULL) {
		*err = r.err;
		r.err = NULL;
	}
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

/* run_stats -- the helper's mode on a fresh file; returns the JSON */
static char *
run_stats(const char *mode, const char *const *extra_env, char **file)
{
	*file = eu_fresh_file(FILE_SIZE);
	return run_stats_on(mode, extra_env, *file, NULL, NULL);
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
	adr_counts(NULL, Copies ? "mmap" : "auto");
}

static void
adr_mmap_counts_exact(void **state)
{
	(void)state;
	adr_counts("PMEM_EMULATE_IO=mmap", Copies ? "mmap" : "auto");
}

/*
 * holed_counts -- the sequence under ADR with setting on a file with a
 * hole: written back by system calls ("auto"), the counts exact; returns
 * the helper's stderr
 */
static char *
holed_counts(const char *setting)
{
	const char *env[] = { "PMEM_EMULATE=adr", setting, NULL };
	char *file = holed_file();
	char *err;
	char *json = run_stats_on("stats", env, file, NULL, &err);
	expect_adr(json);
	eu_expect_json_str(json, "io", "auto");
	expect_sequence_content(file);
	eu_expect_bytes(file, FILE_SIZE, HOLE, 0);
	assert_int_equal(eu_file_size(file), FILE_SIZE + HOLE);
	free(json);
	eu_remove_file(file);
	return err;
}

/* a file with a hole is not written back by copies, and says nothing */
static void
holed_file_auto_not_mmap(void **state)
{
	(void)state;
	char *err = holed_counts(NULL);
	assert_string_equal(err, "");
	free(err);
}

/* nor with mmap asked for: one notice then, naming the file */
static void
holed_file_mmap_falls_back(void **state)
{
	(void)state;
	char *err = holed_counts("PMEM_EMULATE_IO=mmap");
	if (eu_count_lines(err) != 1 || strncmp(err, NOTICE_MMAP,
			strlen(NOTICE_MMAP)) != 0 || strstr(err, Eu_dir) == NULL)
		fail_msg("stderr should be one line \"%s...\" naming the "
			"file, it is:\n%s", NOTICE_MMAP, err);
	free(err);
}

/* one file of each kind: "mmap+auto", both written back */
static void
mixed_files_say_both(void **state)
{
	(void)state;
	if (!Copies)
		skip();
	const char *env[] = { "PMEM_EMULATE=adr", NULL };
	char *whole = eu_fresh_file(FILE_SIZE);
	char *holed = holed_file();
	char *err;
	char *json = run_stats_on("two", env, whole, holed, &err);
	eu_expect_json_str(json, "io", "mmap+auto");
	assert_int_equal(num(json, "write_requests"), 2);
	assert_int_equal(num(json, "bytes_written"), 2 * EU_LINE);
	assert_string_equal(err, "");
	eu_expect_bytes(whole, 0, EU_LINE, EU_NEW);
	eu_expect_bytes(whole, EU_LINE, FILE_SIZE - EU_LINE, EU_OLD);
	eu_expect_bytes(holed, 0, EU_LINE, EU_NEW);
	eu_expect_bytes(holed, EU_LINE, FILE_SIZE - EU_LINE, EU_OLD);
	free(err);
	free(json);
	eu_remove_file(whole);
	eu_remove_file(holed);
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

/* setup -- eu_setup, and whether copies are possible in its directory */
static int
setup(void **state)
{
	int ret = eu_setup(state);
	struct statfs s;
	Copies = ret == 0 && statfs(Eu_dir, &s) == 0 &&
		(s.f_type == TMPFS_MAGIC || s.f_type == EXT4_SUPER_MAGIC ||
		s.f_type == XFS_SUPER_MAGIC);
	if (!Copies)
		printf("%s is on a file system the library does not copy "
			"into\n", Eu_dir);
	return ret;
}

int
main(int argc, char *argv[])
{
	if (!eu_helper_arg(argc, argv))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(adr_counts_exact),
		cmocka_unit_test(adr_mmap_counts_exact),
		cmocka_unit_test(holed_file_auto_not_mmap),
		cmocka_unit_test(holed_file_mmap_falls_back),
		cmocka_unit_test(mixed_files_say_both),
		cmocka_unit_test(adr_uring_counts_exact),
		cmocka_unit_test(adr_pwrite_counts_exact),
		cmocka_unit_test(adr_fsync_counts_exact),
		cmocka_unit_test(eadr_counts_calls),
		cmocka_unit_test(copies_count_their_drains),
	};
	return cmocka_run_group_tests(tests, setup, eu_teardown);
}

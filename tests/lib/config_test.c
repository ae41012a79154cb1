/*
 * config_test.c -- the environment is parsed as PMDK parses it.
 *
 * One source, many targets: each cc_test in BUILD sets some PMEM_* variables
 * and the EXPECT_* variables this test compares the library's choices with.
 * An EXPECT_* variable that is not set is not checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpmem.h>

#include "lib/config.h"
#include "lib/ops.h"

static void
streaming_threshold_is_as_expected(void **state)
{
	(void)state;
	const char *want = getenv("EXPECT_THRESHOLD");
	if (want == NULL)
		skip();
	assert_int_equal(Chosen.movnt_threshold, strtoull(want, NULL, 10));
}

static void
threshold_source_is_as_expected(void **state)
{
	(void)state;
	const char *want = getenv("EXPECT_THRESHOLD_FROM");
	const char *not = getenv("EXPECT_THRESHOLD_NOT_FROM");
	if (want == NULL && not == NULL)
		skip();
	if (want != NULL)
		assert_string_equal(Chosen.threshold_reason, want);
	if (not != NULL)
		assert_string_not_equal(Chosen.threshold_reason, not);
}

static void
flush_need_is_as_expected(void **state)
{
	(void)state;
	const char *want = getenv("EXPECT_FLUSH_NEEDED");
	if (want == NULL)
		skip();
	assert_int_equal(Chosen.flush_needed, atoi(want));
	const char *reason = getenv("EXPECT_FLUSH_REASON");
	if (reason != NULL)
		assert_string_equal(Chosen.flush_reason, reason);
}

static void
wc_workaround_is_as_expected(void **state)
{
	(void)state;
	const char *want = getenv("EXPECT_WC");
	if (want == NULL)
		skip();
	assert_int_equal(Chosen.wc_workaround, atoi(want));
}

static void
mmap_hint_is_as_expected(void **state)
{
	(void)state;
	const char *want = getenv("EXPECT_HINT");
	if (want == NULL)
		skip();
	if (strcmp(want, "none") == 0) {
		assert_false(Config.mmap_hint_set);
	} else {
		assert_true(Config.mmap_hint_set);
		assert_int_equal(Config.mmap_hint, strtoull(want, NULL, 16));
	}
}

/* log_has -- true if the log file named by EXPECT_LOG_IN holds text */
static int
log_has(const char *path, const char *text)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	char line[1024];
	int found = 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, text) != NULL;
	fclose(f);
	return found;
}

static void
log_records_choices_and_errors(void **state)
{
	(void)state;
	const char *file = getenv("PMEM_LOG_FILE");
	if (getenv("EXPECT_LOG") == NULL || file == NULL)
		skip();
	char path[4096];
	size_t n = strlen(file);
	if (file[n - 1] == '-')
		snprintf(path, sizeof(path), "%s%d", file, (int)getpid());
	else
		snprintf(path, sizeof(path), "%s", file);
	assert_true(log_has(path, "flush"));
	assert_false(log_has(path, "version mismatch"));
	pmem_check_version(9, 0);
	assert_true(log_has(path, "libpmem major version mismatch (need 9"));
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(streaming_threshold_is_as_expected),
		cmocka_unit_test(threshold_source_is_as_expected),
		cmocka_unit_test(flush_need_is_as_expected),
		cmocka_unit_test(wc_workaround_is_as_expected),
		cmocka_unit_test(mmap_hint_is_as_expected),
		cmocka_unit_test(log_records_choices_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

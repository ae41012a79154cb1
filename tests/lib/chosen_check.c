/*
 * chosen_check.c -- compares the library's load-time choices (Chosen) with
 * what the test target expects, and skips targets this CPU cannot run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cpuid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chosen_check.h"
#include "lib/ops.h"

/* cpu_has -- true if this CPU (and the OS) can run the named engine or
 * flush instruction, asked independently of the library (internal) */
static int
cpu_has(const char *name)
{
	__builtin_cpu_init();
	if (strcmp(name, "avx512f") == 0)
		return __builtin_cpu_supports("avx512f");
	if (strcmp(name, "avx") == 0)
		return __builtin_cpu_supports("avx");
	if (strcmp(name, "clwb") == 0)
		return __builtin_cpu_supports("clwb");
	if (strcmp(name, "clflushopt") == 0)
		return __builtin_cpu_supports("clflushopt");
	/* sse2 and clflush are part of x86-64; generic and libc need nothing */
	return 1;
}

/* first_supported -- copies into out the first name of the comma-separated
 * list that this CPU has; returns 0 if it has none (internal) */
static int
first_supported(const char *list, char *out, size_t size)
{
	const char *p = list;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		if (n < size) {
			memcpy(out, p, n);
			out[n] = '\0';
			if (cpu_has(out))
				return 1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

const char *
chosen_unsupported(void)
{
	static char why[160];
	static const char *const vars[] = { "EXPECT_ENGINE", "EXPECT_FLUSH" };
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *list = getenv(vars[i]);
		char name[32];
		if (list != NULL && !first_supported(list, name, sizeof(name))) {
			snprintf(why, sizeof(why), "this CPU lacks %s (%s)",
				list, vars[i]);
			return why;
		}
	}
	return NULL;
}

/* check_name -- Chosen's field equals the expected name, if one is set
 * (internal) */
static void
check_name(const char *var, const char *chosen)
{
	const char *list = getenv(var);
	if (list == NULL)
		return;
	char want[32];
	assert_true(first_supported(list, want, sizeof(want)));
	if (strcmp(chosen, want) != 0)
		fail_msg("%s=%s: expected %s, the library chose %s", var, list,
			want, chosen);
}

/*
 * vendor_default_threshold -- the documented default streaming threshold:
 * 64 bytes on AMD CPUs, PMDK's 256 elsewhere (internal)
 */
static unsigned long long
vendor_default_threshold(void)
{
	unsigned a, b, c, d;
	char vendor[13];
	__cpuid(0, a, b, c, d);
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	vendor[12] = '\0';
	return strcmp(vendor, "AuthenticAMD") == 0 ? 64 : 256;
}

/* check_number -- Chosen's number equals the expected one, if one is set
 * (internal) */
static void
check_number(const char *var, unsigned long long chosen)
{
	const char *v = getenv(var);
	if (v == NULL)
		return;
	unsigned long long want = strcmp(v, "vendor_default") == 0
		? vendor_default_threshold() : strtoull(v, NULL, 10);
	if (chosen != want)
		fail_msg("%s: expected %llu, the library chose %llu", var,
			want, chosen);
}

void
chosen_matches_target(void **state)
{
	(void)state;
	print_message("chosen: engine %s, flush %s (%s: %s), drain %s, "
		"streaming from %zu bytes, WC workaround %d\n", Chosen.engine,
		Chosen.flush, Chosen.flush_needed ? "needed" : "not needed",
		Chosen.flush_reason, Chosen.drain, Chosen.movnt_threshold,
		Chosen.wc_workaround);
	check_name("EXPECT_ENGINE", Chosen.engine);
	check_name("EXPECT_FLUSH", Chosen.flush);
	check_number("EXPECT_FLUSH_NEEDED", Chosen.flush_needed);
	check_number("EXPECT_MOVNT_THRESHOLD", Chosen.movnt_threshold);
	check_number("EXPECT_WC_WORKAROUND", Chosen.wc_workaround);
}

static const char *Skip_why;

/* target_needs_missing_hardware -- skips, saying why (internal) */
static void
target_needs_missing_hardware(void **state)
{
	(void)state;
	print_message("skipped: %s\n", Skip_why);
	skip();
}

int
chosen_skip_target(const char *name, const char *why)
{
	Skip_why = why;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(target_needs_missing_hardware),
	};
	return _cmocka_run_group_tests(name, tests, 1, NULL, NULL);
}

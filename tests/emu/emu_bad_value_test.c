/*
 * emu_bad_value_test.c -- an invalid value of an emulation variable stops
 * the program at load: one line on stderr naming the variable, the value
 * and the accepted values, exit status 1, and main never runs. Valid values
 * let main run.
 *
 * The program is the helper (argv[1], emu_helper.c), whose main prints
 * "main ran"; it is run with exactly the environment of each case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <libpmem.h>

#include "emu_util.h"

struct var {
	const char *name;
	const char *accepted[5];	/* NULL-terminated */
	const char *needs;		/* another variable the case sets */
};

static const struct var Emulate = {
	"PMEM_EMULATE", { "0", "1", "adr", "eadr", NULL }, NULL,
};

static const struct var Others[] = {
	{ "PMEM_EMULATE_STRICT", { "0", "1", NULL }, "PMEM_EMULATE=adr" },
	{ "PMEM_EMULATE_FSYNC", { "0", "1", NULL }, "PMEM_EMULATE=adr" },
	{ "PMEM_EMULATE_IO", { "auto", "uring", "pwrite", "mmap", NULL },
		"PMEM_EMULATE=adr" },
	{ "PMEM_EMULATE_ON_ERROR", { "abort", "warn", NULL },
		"PMEM_EMULATE=adr" },
};

/*
 * run -- the helper with var=value (and var->needs); returns the setting
 * quoted, NAME="value", to name the case in messages (free() it)
 */
static char *
run(const struct var *var, const char *value, struct eu_run *r)
{
	char *setting, *quoted;
	assert_true(asprintf(&setting, "%s=%s", var->name, value) > 0);
	assert_true(asprintf(&quoted, "%s=\"%s\"", var->name, value) > 0);
	char *env[] = { setting, (char *)var->needs, NULL };
	char *argv[] = { (char *)Eu_helper, "version", NULL };
	eu_exec(argv, env, NULL, NULL, r);
	free(setting);
	return quoted;
}

/* is_accepted -- word (len bytes) is one of the accepted values */
static bool
is_accepted(const struct var *var, const char *word, size_t len)
{
	for (int i = 0; var->accepted[i] != NULL; i++)
		if (strlen(var->accepted[i]) == len &&
				memcmp(var->accepted[i], word, len) == 0)
			return true;
	return false;
}

/*
 * expect_rejected -- exit status 1, nothing on stdout, and stderr the one
 * line "libpmem: NAME="value" is not valid; accepted values: a, b, ...",
 * the values in any order
 */
static void
expect_rejected(const struct var *var, const char *value)
{
	struct eu_run r;
	char *quoted = run(var, value, &r);
	eu_expect_exited(&r, 1, quoted);
	if (r.out[0] != '\0')
		fail_msg("%s: main ran (stdout \"%s\")", quoted, r.out);
	char *head;
	assert_true(asprintf(&head,
		"libpmem: %s=\"%s\" is not valid; accepted values: ",
		var->name, value) > 0);
	size_t hl = strlen(head);
	size_t el = strlen(r.err);
	if (eu_count_lines(r.err) != 1 || el == 0 || r.err[el - 1] != '\n' ||
			strncmp(r.err, head, hl) != 0)
		fail_msg("%s: stderr should be one line \"%s...\", it is:\n%s",
			quoted, head, r.err);
	if (var == &Emulate) {
		/* the SPEC gives this one's line word for word */
		char *line;
		assert_true(asprintf(&line, "%s0, 1, adr, eadr\n", head) > 0);
		assert_string_equal(r.err, line);
		free(line);
	}
	/* the list: every accepted value once, nothing else */
	int n = 0, want = 0;
	while (var->accepted[want] != NULL)
		want++;
	const char *p = r.err + hl;
	const char *end = r.err + el - 1;
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma != NULL ? comma : end;
		if (!is_accepted(var, p, (size_t)(stop - p)))
			fail_msg("%s: \"%.*s\" listed as accepted: %s",
				var->name, (int)(stop - p), p, r.err);
		n++;
		p = comma != NULL ? comma + 1 : end;
		if (p < end && *p == ' ')
			p++;
	}
	if (n != want)
		fail_msg("%s: %d accepted values listed, expected %d: %s",
			var->name, n, want, r.err);
	free(head);
	free(quoted);
	eu_run_free(&r);
}

/* expect_accepted -- main ran, exit status 0, no complaint */
static void
expect_accepted(const struct var *var, const char *value)
{
	struct eu_run r;
	char *quoted = run(var, value, &r);
	eu_expect_exited(&r, 0, quoted);
	if (strcmp(r.out, "main ran\n") != 0)
		fail_msg("%s: stdout \"%s\", stderr:\n%s", quoted, r.out,
			r.err);
	/* the io_uring notice is the one line a valid setting may print */
	eu_expect_notices(r.err, 0, 1, quoted);
	free(quoted);
	eu_run_free(&r);
}

static void
emulate_invalid_values_rejected(void **state)
{
	(void)state;
	static const char *bad[] = {
		"2", "-1", "01", "ADR", "Adr", "EADR", "yes", "true", "",
		"adr ", " adr", "eadr1", "adr,eadr",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_rejected(&Emulate, bad[i]);
}

static void
emulate_valid_values_run_main(void **state)
{
	(void)state;
	for (int i = 0; Emulate.accepted[i] != NULL; i++)
		expect_accepted(&Emulate, Emulate.accepted[i]);
}

static void
emulate_unset_runs_main(void **state)
{
	(void)state;
	char *env[] = { NULL };
	char *argv[] = { (char *)Eu_helper, "version", NULL };
	struct eu_run r;
	eu_exec(argv, env, NULL, NULL, &r);
	eu_expect_exited(&r, 0, "helper");
	assert_string_equal(r.out, "main ran\n");
	assert_string_equal(r.err, "");
	eu_run_free(&r);
}

static void
other_invalid_values_rejected(void **state)
{
	(void)state;
	static const char *bad[] = {
		"2", "yes", "", "ON", "1 ", "Pwrite", "uring,pwrite", "ABORT",
	};
	for (size_t v = 0; v < sizeof(Others) / sizeof(Others[0]); v++)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			expect_rejected(&Others[v], bad[i]);
	/* one variable's values are not another's */
	expect_rejected(&Others[0], "warn");
	expect_rejected(&Others[2], "1");
	expect_rejected(&Others[3], "0");
}

static void
other_valid_values_run_main(void **state)
{
	(void)state;
	for (size_t v = 0; v < sizeof(Others) / sizeof(Others[0]); v++)
		for (int i = 0; Others[v].accepted[i] != NULL; i++)
			expect_accepted(&Others[v], Others[v].accepted[i]);
}

int
main(int argc, char *argv[])
{
	if (!eu_helper_arg(argc, argv))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(emulate_invalid_values_rejected),
		cmocka_unit_test(emulate_valid_values_run_main),
		cmocka_unit_test(emulate_unset_runs_main),
		cmocka_unit_test(other_invalid_values_rejected),
		cmocka_unit_test(other_valid_values_run_main),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * emu_report_test.c -- the persistence-bug report (PMEM_EMULATE_REPORT).
 *
 * The helper (argv[1], emu_report_helper.c) makes one known bug per mode,
 * each in a function of its own; the report it leaves must list each bug
 * with its file offset and length, name the helper's function as the site
 * with offsets that agree with the helper's own (what addr2line needs), and
 * count exactly. A correct program's report is its summary alone. Both
 * domains, at unmap and at exit, to a file and to stderr; and the setting's
 * validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu_report.h"
#include "emu_util.h"

#define TAG "pmem-report: "

/* A run of the helper: its stdout (the functions' offsets) and report. */
struct rep {
	char *file;	/* the mapped file */
	char *out;	/* helper's stdout */
	char *report;
};

/* without_notices -- s without the lines of EU_NOTICE (free() it) */
static char *
without_notices(const char *s)
{
	char *out = calloc(1, strlen(s) + 1);
	assert_non_null(out);
	size_t o = 0;
	while (*s != '\0') {
		size_t len = strcspn(s, "\n");
		len += s[len] == '\n';
		if (memmem(s, len, EU_NOTICE, strlen(EU_NOTICE)) == NULL) {
			memcpy(out + o, s, len);
			o += len;
		}
		s += len;
	}
	return out;
}

/*
 * run -- the helper in mode on a fresh file, ending as end says, under
 * domain ("adr" or "eadr"), with the report in a file (to_stderr: on its
 * stderr); the helper must exit 0
 */
static void
run(const char *domain, const char *mode, const char *end, bool to_stderr,
		struct rep *r)
{
	r->file = eu_fresh_file(REP_FILE_MIN);
	char *report = eu_join(Eu_dir, "report.txt");
	unlink(report);
	char *emulate, *setting;
	assert_true(asprintf(&emulate, "PMEM_EMULATE=%s", domain) > 0);
	assert_true(asprintf(&setting, "PMEM_EMULATE_REPORT=%s",
		to_stderr ? "-" : report) > 0);
	char *env[] = { emulate, setting, NULL };
	char *argv[] = { (char *)Eu_helper, (char *)mode, r->file,
		(char *)end, NULL };
	struct eu_run er;
	eu_exec(argv, env, NULL, NULL, &er);
	eu_expect_exited(&er, 0, "emu_report_helper");
	r->out = strdup(er.out);
	if (to_stderr) {
		r->report = without_notices(er.err);
	} else {
		/* the io_uring notice (where it is unavailable), nothing else */
		eu_expect_notices(er.err, 0, 1, "emu_report_helper");
		r->report = eu_read_file(report);
		if (r->report == NULL)
			fail_msg("no report written");
	}
	assert_non_null(r->out);
	assert_non_null(r->report);
	print_message("%s %s %s:\n%s", domain, mode, end, r->report);
	eu_run_free(&er);
	unlink(report);
	free(report);
	free(emulate);
	free(setting);
}

static void
rep_free(struct rep *r)
{
	eu_remove_file(r->file);
	free(r->out);
	free(r->report);
}

/* count -- lines of the report of kind */
static int
count(const struct rep *r, const char *kind)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), TAG "%s ", kind);
	return eu_count_lines_with(r->report, prefix);
}

/*
 * line -- the report's line of kind holding needle (a copy to free());
 * fails if there is none
 */
static char *
line(const struct rep *r, const char *kind, const char *needle)
{
	char prefix[64];
	int plen = snprintf(prefix, sizeof(prefix), TAG "%s ", kind);
	for (const char *p = r->report; *p != '\0'; ) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char *l = strndup(p, len);
		assert_non_null(l);
		if (strncmp(l, prefix, (size_t)plen) == 0 &&
				strstr(l, needle) != NULL)
			return l;
		free(l);
		p += len + (nl != NULL);
	}
	fail_msg("no \"%s\" line with \"%s\" in:\n%s", kind, needle, r->report);
	return NULL;
}

/* field -- the value of key= in l, up to the next blank (free() it) */
static char *
field(const char *l, const char *key)
{
	char k[32];
	snprintf(k, sizeof(k), " %s=", key);
	const char *v = strstr(l, k);
	if (v == NULL)
		fail_msg("no %s= in: %s", key, l);
	v += strlen(k);
	char *out = strndup(v, strcspn(v, " "));
	assert_non_null(out);
	return out;
}

/* num -- the number key= in l (decimal, or hexadecimal with 0x) */
static uintmax_t
num(const char *l, const char *key)
{
	char *v = field(l, key);
	char *end;
	errno = 0;
	uintmax_t n = strtoumax(v, &end, 0);
	if (errno != 0 || end == v || *end != '\0')
		fail_msg("%s=%s is not a number in: %s", key, v, l);
	free(v);
	return n;
}

/*
 * expect_site -- the site of l is "fn+0xA (OBJ+0xB)" with OBJ the helper,
 * B the offset of fn in it (as the helper printed it) plus A, A inside fn
 */
static void
expect_site(const struct rep *r, const char *l, const char *fn)
{
	char want[128];
	snprintf(want, sizeof(want), "fn %s ", fn);
	const char *f = strstr(r->out, want);
	if (f == NULL)
		fail_msg("the helper printed no offset for %s", fn);
	uintmax_t fn_off, fn_size;
	assert_int_equal(sscanf(f + strlen(want), "%jx %ju", &fn_off, &fn_size),
		2);

	const char *s = strstr(l, " site=");
	assert_non_null(s);
	s += strlen(" site=");
	size_t nlen = strlen(fn);
	if (strncmp(s, fn, nlen) != 0 || strncmp(s + nlen, "+0x", 3) != 0)
		fail_msg("site is not %s+0x...: %s", fn, l);
	char *end;
	uintmax_t in_fn = strtoumax(s + nlen + 1, &end, 16);
	if (strncmp(end, " (", 2) != 0)
		fail_msg("no \" (object+0x...)\" after the symbol: %s", l);
	const char *obj = end + 2;
	const char *plus = strrchr(obj, '+');
	assert_non_null(plus);
	const char *name = "emu_report_helper";
	if ((size_t)(plus - obj) < strlen(name) ||
			strncmp(plus - strlen(name), name, strlen(name)) != 0)
		fail_msg("object is not the helper: %s", l);
	uintmax_t in_obj = strtoumax(plus + 1, &end, 16);
	if (strcmp(end, ")") != 0)
		fail_msg("no ')' ending the site: %s", l);
	/* a return address: after the call, inside the function */
	assert_true(in_fn > 0);
	assert_true(in_fn < fn_size);
	assert_int_equal(in_obj, fn_off + in_fn);
}

/* summary -- the summary line (exactly one, the last line) */
static char *
summary(const struct rep *r)
{
	assert_int_equal(count(r, "summary"), 1);
	char *l = line(r, "summary", "");
	size_t n = strlen(r->report), ln = strlen(l);
	assert_true(n > ln);
	assert_int_equal(r->report[n - 1], '\n');
	assert_memory_equal(r->report + n - ln - 1, l, ln);
	char *pid = field(l, "pid");
	assert_true(atoi(pid) > 0);
	free(pid);
	return l;
}

/* expect_summary -- the summary's counts, and the number of lines */
static void
expect_summary(const struct rep *r, const char *domain, uintmax_t findings,
		uintmax_t never, uintmax_t not_drained, uintmax_t streamed,
		uintmax_t redundant, uintmax_t not_pmem)
{
	char *l = summary(r);
	char *d = field(l, "domain");
	assert_string_equal(d, domain);
	free(d);
	assert_int_equal(num(l, "findings"), findings);
	assert_int_equal(num(l, "never-flushed"), never);
	assert_int_equal(num(l, "flushed-not-drained"), not_drained);
	assert_int_equal(num(l, "streamed-not-drained"), streamed);
	assert_int_equal(num(l, "redundant-flush"), redundant);
	assert_int_equal(num(l, "not-pmem"), not_pmem);
	/* one line per finding, and the summary */
	assert_int_equal(eu_count_lines(r->report), (int)findings + 1);
	assert_int_equal(eu_count_lines_with(r->report, TAG), (int)findings + 1);
	free(l);
}

/* expect_range -- a kind's line at off, len bytes long, of the file */
static char *
expect_range(const struct rep *r, const char *kind, unsigned off,
		unsigned len)
{
	char needle[64];
	snprintf(needle, sizeof(needle), " off=0x%x ", off);
	char *l = line(r, kind, needle);
	assert_int_equal(num(l, "len"), len);
	char *file = field(l, "file");
	assert_string_equal(file, r->file);
	free(file);
	return l;
}

/* expect_never -- a never-flushed range, whose site is unknown */
static void
expect_never(const struct rep *r, const char *kind, unsigned off,
		unsigned len)
{
	char *l = expect_range(r, kind, off, len);
	char *site = field(l, "site");
	assert_string_equal(site, "unknown");
	free(site);
	free(l);
}

/* expect_store -- the store mode's two never-flushed ranges */
static void
expect_store(const struct rep *r)
{
	assert_int_equal(count(r, "never-flushed"), 2);
	expect_never(r, "never-flushed", 0x1040, 64);
	expect_never(r, "never-flushed", 0x2000, 3 * 64);
}

/* expect_flush -- the flush mode's flushed-not-drained range */
static void
expect_flush(const struct rep *r)
{
	assert_int_equal(count(r, "flushed-not-drained"), 1);
	char *l = expect_range(r, "flushed-not-drained", 0x3000, 128);
	expect_site(r, l, "rep_flush_no_drain");
	free(l);
}

/* expect_redundant -- the redundant mode's count */
static void
expect_redundant(const struct rep *r)
{
	assert_int_equal(count(r, "redundant-flush"), 1);
	char *l = line(r, "redundant-flush", " off=0x4000 ");
	assert_int_equal(num(l, "count"), REP_REDUNDANT);
	char *file = field(l, "file");
	assert_string_equal(file, r->file);
	free(file);
	expect_site(r, l, "rep_redundant");
	free(l);
}

/* expect_malloc -- the malloc mode's count, at the address it printed */
static void
expect_malloc(const struct rep *r)
{
	assert_int_equal(count(r, "not-pmem"), 1);
	const char *h = strstr(r->out, "heap ");
	assert_non_null(h);
	char addr[64];
	assert_int_equal(sscanf(h, "heap %63s", addr), 1);
	char needle[80];
	snprintf(needle, sizeof(needle), " addr=%s ", addr);
	char *l = line(r, "not-pmem", needle);
	assert_int_equal(num(l, "count"), REP_NOT_PMEM);
	expect_site(r, l, "rep_malloc_persist");
	free(l);
}

/* ---- ADR ---- */

static void
adr_store_unmap(void **state)
{
	(void)state;
	struct rep r;
	run("adr", "store", "unmap", false, &r);
	expect_store(&r);
	expect_summary(&r, "adr", 2, 4, 0, 0, 0, 0);
	/* the clean shutdown still writes them back */
	eu_expect_bytes(r.file, 0x1040, 64, EU_NEW);
	rep_free(&r);
}

static void
adr_store_exit(void **state)
{
	(void)state;
	struct rep r;
	run("adr", "store", "exit", false, &r);
	expect_store(&r);
	expect_summary(&r, "adr", 2, 4, 0, 0, 0, 0);
	rep_free(&r);
}

static void
adr_flush_without_drain(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		struct rep r;
		run("adr", "flush", i == 0 ? "unmap" : "exit", false, &r);
		expect_flush(&r);
		expect_summary(&r, "adr", 1, 0, 2, 0, 0, 0);
		rep_free(&r);
	}
}

static void
adr_redundant_flushes(void **state)
{
	(void)state;
	struct rep r;
	run("adr", "redundant", "unmap", false, &r);
	expect_redundant(&r);
	expect_summary(&r, "adr", 1, 0, 0, 0, REP_REDUNDANT, 0);
	rep_free(&r);
}

static void
adr_persist_malloc(void **state)
{
	(void)state;
	struct rep r;
	run("adr", "malloc", "unmap", false, &r);
	expect_malloc(&r);
	expect_summary(&r, "adr", 1, 0, 0, 0, 0, REP_NOT_PMEM);
	rep_free(&r);
}

static void
adr_all_at_exit(void **state)
{
	(void)state;
	struct rep r;
	run("adr", "all", "exit", false, &r);
	expect_store(&r);
	expect_flush(&r);
	expect_redundant(&r);
	expect_malloc(&r);
	expect_summary(&r, "adr", 5, 4, 2, 0, REP_REDUNDANT, REP_NOT_PMEM);
	rep_free(&r);
}

static void
adr_all_to_stderr(void **state)
{
	(void)state;
	struct rep r;
	run("adr", "all", "unmap", true, &r);
	expect_store(&r);
	expect_flush(&r);
	expect_redundant(&r);
	expect_malloc(&r);
	expect_summary(&r, "adr", 5, 4, 2, 0, REP_REDUNDANT, REP_NOT_PMEM);
	rep_free(&r);
}

/* a copy without drain is flushed, not drained, under ADR */
static void
adr_copy_without_drain(void **state)
{
	(void)state;
	struct rep r;
	run("adr", "stream", "unmap", false, &r);
	char *l = expect_range(&r, "flushed-not-drained", 0x5000, 256);
	expect_site(&r, l, "rep_stream_no_drain");
	free(l);
	expect_summary(&r, "adr", 1, 0, 4, 0, 0, 0);
	rep_free(&r);
}

/* counts of several threads add up; a thread gone undrained is reported */
static void
adr_threads(void **state)
{
	(void)state;
	struct rep r;
	run("adr", "threads", "unmap", false, &r);
	char *l = line(&r, "redundant-flush", " count=");
	assert_int_equal(num(l, "count"), REP_THREADS * REP_REDUNDANT);
	expect_site(&r, l, "rep_thread_redundant");
	free(l);
	l = expect_range(&r, "flushed-not-drained", 0x6000, 64);
	expect_site(&r, l, "rep_thread_flush");
	free(l);
	expect_summary(&r, "adr", 2, 0, 1, 0, REP_THREADS * REP_REDUNDANT, 0);
	rep_free(&r);
}

/* a forked child reports what it does, its parent what it did */
static void
adr_fork(void **state)
{
	(void)state;
	struct rep r;
	run("adr", "fork", "unmap", false, &r);
	const char *c = strstr(r.out, "child ");
	assert_non_null(c);
	char needle[64];
	snprintf(needle, sizeof(needle), " pid=%d ", atoi(c + 6));
	assert_int_equal(count(&r, "summary"), 2);
	char *child = line(&r, "summary", needle);
	assert_int_equal(num(child, "findings"), 1);
	assert_int_equal(num(child, "flushed-not-drained"), 2);
	assert_int_equal(num(child, "redundant-flush"), 0);
	free(child);
	/* the parent's, last */
	char *l = strrchr(r.report, '\n');
	while (l > r.report && l[-1] != '\n')
		l--;
	char *parent = strndup(l, strcspn(l, "\n"));
	assert_null(strstr(parent, needle));
	assert_int_equal(num(parent, "findings"), 1);
	assert_int_equal(num(parent, "flushed-not-drained"), 0);
	assert_int_equal(num(parent, "redundant-flush"), REP_REDUNDANT);
	free(parent);
	expect_flush(&r);
	expect_redundant(&r);
	assert_int_equal(eu_count_lines(r.report), 4);
	rep_free(&r);
}

static void
adr_clean(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		struct rep r;
		run("adr", "clean", i == 0 ? "unmap" : "exit", false, &r);
		expect_summary(&r, "adr", 0, 0, 0, 0, 0, 0);
		rep_free(&r);
	}
}

/* ---- eADR ---- */

/* stores are durable and flushes need no drain: only not-pmem is a bug */
static void
eadr_all(void **state)
{
	(void)state;
	struct rep r;
	run("eadr", "all", "unmap", false, &r);
	expect_malloc(&r);
	expect_summary(&r, "eadr", 1, 0, 0, 0, 0, REP_NOT_PMEM);
	rep_free(&r);
}

static void
eadr_stream_without_drain(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		struct rep r;
		run("eadr", "stream", i == 0 ? "unmap" : "exit", false, &r);
		expect_never(&r, "streamed-not-drained", 0x5000, 256);
		expect_summary(&r, "eadr", 1, 0, 0, 4, 0, 0);
		rep_free(&r);
	}
}

static void
eadr_clean(void **state)
{
	(void)state;
	const char *modes[] = { "clean", "threads" };
	for (int i = 0; i < 2; i++) {
		struct rep r;
		run("eadr", modes[i], "unmap", false, &r);
		expect_summary(&r, "eadr", 0, 0, 0, 0, 0, 0);
		rep_free(&r);
	}
}

/* ---- the setting ---- */

/* the helper with env; returns how it ended */
static void
run_env(char **env, struct eu_run *er)
{
	char *file = eu_fresh_file(REP_FILE_MIN);
	char *argv[] = { (char *)Eu_helper, "clean", file, "unmap", NULL };
	eu_exec(argv, env, NULL, NULL, er);
	eu_remove_file(file);
}

static void
setting_rejected(void **state)
{
	(void)state;
	struct eu_run er;
	char *empty[] = { "PMEM_EMULATE=adr", "PMEM_EMULATE_REPORT=", NULL };
	run_env(empty, &er);
	eu_expect_exited(&er, 1, "helper with an empty report path");
	assert_string_equal(er.out, "");
	assert_int_equal(eu_count_lines(er.err), 1);
	assert_non_null(strstr(er.err, "libpmem: PMEM_EMULATE_REPORT=\"\" is "
		"not valid; accepted values: a file path, or - for standard "
		"error"));
	eu_run_free(&er);

	/* checked even when not emulating */
	char *off[] = { "PMEM_EMULATE_REPORT=", NULL };
	run_env(off, &er);
	eu_expect_exited(&er, 1, "unemulated helper, empty report path");
	eu_run_free(&er);

	char *nodir = eu_join(Eu_dir, "no-such-dir/report");
	char *setting;
	assert_true(asprintf(&setting, "PMEM_EMULATE_REPORT=%s", nodir) > 0);
	char *bad[] = { "PMEM_EMULATE=adr", setting, NULL };
	run_env(bad, &er);
	eu_expect_exited(&er, 1, "helper with a report it cannot open");
	assert_string_equal(er.out, "");
	assert_int_equal(eu_count_lines(er.err), 1);
	assert_non_null(strstr(er.err, "cannot open"));
	assert_non_null(strstr(er.err, nodir));
	eu_run_free(&er);
	free(setting);
	free(nodir);
}

/* not emulating: no report, no file */
static void
setting_ignored_unemulated(void **state)
{
	(void)state;
	char *report = eu_join(Eu_dir, "unemulated-report");
	char *setting;
	assert_true(asprintf(&setting, "PMEM_EMULATE_REPORT=%s", report) > 0);
	char *env[] = { setting, NULL };
	char *argv[] = { (char *)Eu_helper, "bad-use", NULL };
	struct eu_run er;
	eu_exec(argv, env, NULL, NULL, &er);
	eu_expect_exited(&er, 2, "unemulated helper");
	assert_int_equal(access(report, F_OK), -1);
	eu_run_free(&er);
	free(setting);
	free(report);
}

/* a trailing '-' names the report after the process */
static void
setting_pid_suffix(void **state)
{
	(void)state;
	char *base = eu_join(Eu_dir, "rep-");
	char *setting;
	assert_true(asprintf(&setting, "PMEM_EMULATE_REPORT=%s", base) > 0);
	char *env[] = { "PMEM_EMULATE=adr", setting, NULL };
	struct eu_run er;
	run_env(env, &er);
	eu_expect_exited(&er, 0, "helper");
	eu_run_free(&er);
	/* the one file rep-<pid>, whose summary names that pid */
	struct rep r = { NULL, NULL, NULL };
	DIR *dir = opendir(Eu_dir);
	assert_non_null(dir);
	int found = 0;
	struct dirent *d;
	while ((d = readdir(dir)) != NULL) {
		if (strncmp(d->d_name, "rep-", 4) != 0)
			continue;
		found++;
		char *path = eu_join(Eu_dir, d->d_name);
		r.report = eu_read_file(path);
		assert_non_null(r.report);
		char *l = summary(&r);
		char *pid = field(l, "pid");
		assert_string_equal(pid, d->d_name + 4);
		free(pid);
		free(l);
		free(r.report);
		unlink(path);
		free(path);
	}
	closedir(dir);
	assert_int_equal(found, 1);
	free(setting);
	free(base);
}

int
main(int argc, char *argv[])
{
	if (!eu_helper_arg(argc, argv))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(adr_store_unmap),
		cmocka_unit_test(adr_store_exit),
		cmocka_unit_test(adr_flush_without_drain),
		cmocka_unit_test(adr_redundant_flushes),
		cmocka_unit_test(adr_persist_malloc),
		cmocka_unit_test(adr_all_at_exit),
		cmocka_unit_test(adr_all_to_stderr),
		cmocka_unit_test(adr_copy_without_drain),
		cmocka_unit_test(adr_threads),
		cmocka_unit_test(adr_fork),
		cmocka_unit_test(adr_clean),
		cmocka_unit_test(eadr_all),
		cmocka_unit_test(eadr_stream_without_drain),
		cmocka_unit_test(eadr_clean),
		cmocka_unit_test(setting_rejected),
		cmocka_unit_test(setting_ignored_unemulated),
		cmocka_unit_test(setting_pid_suffix),
	};
	return cmocka_run_group_tests(tests, eu_setup, eu_teardown);
}

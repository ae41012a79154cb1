/*
 * pmem_info_test.c -- pmem-info, run as a program: its fields, its JSON, the
 * settings shown with their source under several environments, the NVDIMM
 * regions of fake sysfs trees, and a bad path or option refused.
 *
 * usage: pmem_info_test PMEM-INFO
 * Each case runs the binary with an environment of its own (the library
 * reads it at load), stdout and stderr going to files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *Tool;	/* the pmem-info binary */
static char Dir[4096];		/* scratch directory of the test */

/* What one run printed and how it ended. */
struct run {
	int status;	/* exit status, or -1 if killed */
	char *out;
	char *err;
};

/* slurp -- the content of a file, NUL-terminated */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *buf = NULL;
	size_t cap = 0, len = 0, n;
	do {
		if (cap - len < 4096) {
			cap = cap * 2 + 4096;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/*
 * run -- runs pmem-info with the NULL-terminated arguments args and the
 * NULL-terminated environment env (only those variables)
 */
static struct run
run(const char *const *args, const char *const *env)
{
	char out[4200], err[4200];
	snprintf(out, sizeof(out), "%s/stdout", Dir);
	snprintf(err, sizeof(err), "%s/stderr", Dir);
	const char *argv[16] = { Tool };
	int argc = 1;
	for (; args[argc - 1] != NULL; argc++)
		argv[argc] = args[argc - 1];
	argv[argc] = NULL;

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		execve(Tool, (char *const *)argv, (char *const *)env);
		_exit(127);
	}
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	struct run r = {
		.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1,
		.out = slurp(out),
		.err = slurp(err),
	};
	return r;
}

static void
run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* has -- asserts that text holds needle, printing the text if not */
static void
has(const char *text, const char *needle)
{
	if (strstr(text, needle) == NULL) {
		print_error("missing \"%s\" in:\n%s\n", needle, text);
		fail();
	}
}

/* ---- a minimal JSON syntax check ---- */

static const char *json_value(const char *p, int depth);

static const char *
json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* json_string -- past a string at p, or NULL */
static const char *
json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				p += 4;
			} else if (strchr("\"\\/bfnrt", *p) == NULL || *p == 0) {
				return NULL;
			}
		}
	}
	return p + 1;
}

/* json_number -- past a number at p, or NULL */
static const char *
json_number(const char *p)
{
	const char *s = p;
	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return NULL;
	if (*p == '0' && isdigit((unsigned char)p[1]))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return p > s ? p : NULL;
}

/* json_items -- past the members of an object or array, closing at end */
static const char *
json_items(const char *p, char end, bool object, int depth)
{
	p = json_ws(p);
	if (*p == end)
		return p + 1;
	for (;;) {
		if (object) {
			p = json_string(json_ws(p));
			if (p == NULL)
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = json_value(p, depth + 1);
		if (p == NULL)
			return NULL;
		p = json_ws(p);
		if (*p == end)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *
json_value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = json_ws(p);
	switch (*p) {
	case '{':
		return json_items(p + 1, '}', true, depth);
	case '[':
		return json_items(p + 1, ']', false, depth);
	case '"':
		return json_string(p);
	case 't':
		return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f':
		return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n':
		return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
	default:
		return json_number(p);
	}
}

/* json_valid -- one JSON object and nothing after it but white space */
static bool
json_valid(const char *s)
{
	if (*json_ws(s) != '{')
		return false;
	const char *p = json_value(s, 0);
	return p != NULL && *json_ws(p) == '\0';
}

/* the checker itself tells good from bad */
static void
test_json_checker(void **state)
{
	(void)state;
	assert_true(json_valid("{\"a\": [1, -2.5e3, true, null, "
		"{\"b\": \"x\\\"\\u00e9\"}]}\n"));
	assert_true(json_valid("{}"));
	assert_false(json_valid("{\"a\": 1,}"));
	assert_false(json_valid("{\"a\": 1} x"));
	assert_false(json_valid("{\"a\" 1}"));
	assert_false(json_valid("{\"a\": \"\n\"}"));
	assert_false(json_valid("{\"a\": tru}"));
	assert_false(json_valid("{\"a\": [1 2]}"));
	assert_false(json_valid("{\"a\": 01}"));
	assert_false(json_valid("[1]"));
}

/* ---- the cases ---- */

static const char *const No_env[] = { NULL };

/* the text report names every field, the library's choice among them */
static void
test_text_fields(void **state)
{
	(void)state;
	const char *const args[] = { NULL };
	struct run r = run(args, No_env);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	has(r.out, "flush instructions: clflush yes, clflushopt ");
	has(r.out, "\nmode: hardware\n");
	has(r.out, "\nflush chosen: ");
	has(r.out, "\ndrain: ");
	has(r.out, "\ncopy engine: ");
	has(r.out, "\nnon-temporal threshold: ");
	has(r.out, "\nnvdimm regions: ");
	has(r.out, "\neadr: ");
	has(r.out, "\nio_uring: ");
	has(r.out, "PMEM_EMULATE             0          (default)\n");
	has(r.out, "PMEM_EMULATE_IO          auto       (default)\n");
	has(r.out, "other settings: all default\n");
	/* no PATH: no path lines */
	assert_null(strstr(r.out, "\ndax: "));
	run_free(&r);
}

/* what is chosen follows the environment, and says so */
static void
test_text_follows_environment(void **state)
{
	(void)state;
	const char *const args[] = { NULL };
	const char *const env[] = { "PMEM_NO_MOVNT=1",
		"PMEM_MOVNT_THRESHOLD=1000", "PMEM_NO_FLUSH=1", NULL };
	struct run r = run(args, env);
	assert_int_equal(r.status, 0);
	has(r.out, "\ncopy engine: generic\n");
	has(r.out, "\nnon-temporal threshold: 1000 bytes "
		"(PMEM_MOVNT_THRESHOLD)\n");
	has(r.out, "(not needed: PMEM_NO_FLUSH=1)\n");
	has(r.out, "  PMEM_NO_MOVNT            1          (environment)\n");
	has(r.out, "  PMEM_MOVNT_THRESHOLD     1000       (environment)\n");
	assert_null(strstr(r.out, "all default"));
	assert_null(strstr(r.out, "PMEM_AVX "));
	run_free(&r);
}

/* emulated eADR: the settings in force and where each came from */
static void
test_emulation_eadr(void **state)
{
	(void)state;
	const char *const args[] = { NULL };
	const char *const env[] = { "PMEM_EMULATE=eadr", NULL };
	struct run r = run(args, env);
	assert_int_equal(r.status, 0);
	has(r.out, "\nmode: emulated eADR\n");
	has(r.out, "  PMEM_EMULATE             eadr       (environment)\n");
	has(r.out, "  PMEM_EMULATE_STRICT      0          (default)\n");
	has(r.out, "  PMEM_EMULATE_ON_ERROR    abort      (default)\n");
	has(r.out, "  PMEM_EMULATE_STATS       unset      (default)\n");
	has(r.out, "  PMEM_EMULATE_REPORT      unset      (default)\n");
	run_free(&r);
}

/* emulated ADR ("1") with every other emulation setting given, as JSON */
static void
test_emulation_adr_json(void **state)
{
	(void)state;
	const char *const args[] = { "--json", NULL };
	const char *const env[] = { "PMEM_EMULATE=1",
		"PMEM_EMULATE_STRICT=1", "PMEM_EMULATE_FSYNC=1",
		"PMEM_EMULATE_IO=pwrite", "PMEM_EMULATE_ON_ERROR=warn",
		"PMEM_EMULATE_STATS=/nonexistent/stats \"x\".json",
		"PMEM_EMULATE_REPORT=-", NULL };
	struct run r = run(args, env);
	assert_int_equal(r.status, 0);
	assert_true(json_valid(r.out));
	has(r.out, "\"mode\": \"emulated ADR\"");
	has(r.out, "\"PMEM_EMULATE\": {\"value\": \"adr\", "
		"\"source\": \"environment\"}");
	has(r.out, "\"PMEM_EMULATE_STRICT\": {\"value\": \"1\", "
		"\"source\": \"environment\"}");
	has(r.out, "\"PMEM_EMULATE_FSYNC\": {\"value\": \"1\", "
		"\"source\": \"environment\"}");
	has(r.out, "\"PMEM_EMULATE_IO\": {\"value\": \"pwrite\", "
		"\"source\": \"environment\"}");
	has(r.out, "\"PMEM_EMULATE_ON_ERROR\": {\"value\": \"warn\", "
		"\"source\": \"environment\"}");
	/* escaped as JSON */
	has(r.out, "\"PMEM_EMULATE_STATS\": {\"value\": "
		"\"/nonexistent/stats \\\"x\\\".json\", "
		"\"source\": \"environment\"}");
	has(r.out, "\"PMEM_EMULATE_REPORT\": {\"value\": \"-\", "
		"\"source\": \"environment\"}");
	run_free(&r);
}

/* --json: one valid object with every section; defaults as such */
static void
test_json_default(void **state)
{
	(void)state;
	const char *const args[] = { "--json", NULL };
	struct run r = run(args, No_env);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_true(json_valid(r.out));
	has(r.out, "\"cpu\": {\"vendor\": ");
	has(r.out, "\"clwb\": ");
	has(r.out, "\"mode\": \"hardware\"");
	has(r.out, "\"flush\": {\"chosen\": ");
	has(r.out, "\"copy\": {\"engine\": ");
	has(r.out, "\"movnt_threshold\": ");
	has(r.out, "\"nvdimm\": {\"bus\": \"/sys/bus/nd/devices\"");
	has(r.out, "\"io_uring\": {\"works\": ");
	has(r.out, "\"PMEM_EMULATE\": {\"value\": \"0\", "
		"\"source\": \"default\"}");
	has(r.out, "\"PMEM_EMULATE_STATS\": {\"value\": null, "
		"\"source\": \"default\"}");
	assert_null(strstr(r.out, "\"path\""));
	run_free(&r);
}

/* makes bus/NAME -> ../regions/NAME, with a persistence_domain unless NULL */
static void
fake_region(const char *root, const char *name, const char *domain)
{
	char dir[8192], link[8192], target[8192];
	snprintf(dir, sizeof(dir), "%s/regions/%s", root, name);
	assert_int_equal(mkdir(dir, 0755), 0);
	if (domain != NULL) {
		char file[8300];
		snprintf(file, sizeof(file), "%s/persistence_domain", dir);
		FILE *f = fopen(file, "w");
		assert_non_null(f);
		fprintf(f, "%s\n", domain);
		fclose(f);
	}
	snprintf(link, sizeof(link), "%s/bus/%s", root, name);
	snprintf(target, sizeof(target), "../regions/%s", name);
	assert_int_equal(symlink(target, link), 0);
}

/* each region's persistence domain; eADR only when all are */
static void
test_regions(void **state)
{
	(void)state;
	char root[4200], bus[4300], sub[4300];
	snprintf(root, sizeof(root), "%s/sysfs", Dir);
	snprintf(bus, sizeof(bus), "%s/bus", root);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(mkdir(bus, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/regions", root);
	assert_int_equal(mkdir(sub, 0755), 0);

	/* empty bus: none */
	const char *const args[] = { "--sysfs", bus, NULL };
	struct run r = run(args, No_env);
	assert_int_equal(r.status, 0);
	has(r.out, "\nnvdimm regions: none (");
	has(r.out, "\neadr: no\n");
	run_free(&r);

	/* all eADR */
	fake_region(root, "region10", "cpu_cache");
	fake_region(root, "region2", "cpu_cache");
	r = run(args, No_env);
	assert_int_equal(r.status, 0);
	has(r.out, "\nnvdimm regions: 2 (");
	has(r.out, "\n  region2: eADR (persistence_domain cpu_cache)\n"
		"  region10: eADR (persistence_domain cpu_cache)\n");
	has(r.out, "\neadr: yes, on every region\n");
	run_free(&r);

	/* one ADR and one without a domain */
	fake_region(root, "region3", "memory_controller");
	fake_region(root, "region4", NULL);
	r = run(args, No_env);
	assert_int_equal(r.status, 0);
	has(r.out, "\nnvdimm regions: 4 (");
	has(r.out, "  region3: ADR (persistence_domain memory_controller)\n");
	has(r.out, "  region4: none (persistence_domain absent)\n");
	has(r.out, "\neadr: no\n");
	run_free(&r);

	const char *const jargs[] = { "--json", "--sysfs", bus, NULL };
	r = run(jargs, No_env);
	assert_int_equal(r.status, 0);
	assert_true(json_valid(r.out));
	has(r.out, "{\"name\": \"region3\", \"persistence_domain\": "
		"\"memory_controller\", \"domain\": \"ADR\"}");
	has(r.out, "{\"name\": \"region4\", \"persistence_domain\": null, "
		"\"domain\": \"none\"}");
	has(r.out, "\"eadr\": false}");
	run_free(&r);
}

/* a tmpfs directory is not DAX; is_pmem follows PMEM_EMULATE */
static void
test_path_not_dax(void **state)
{
	(void)state;
	if (access("/dev/shm", W_OK) != 0)
		skip();
	const char *const args[] = { "/dev/shm", NULL };
	struct run r = run(args, No_env);
	assert_int_equal(r.status, 0);
	has(r.out, "\npath: /dev/shm (directory)\n");
	has(r.out, "\ndax: no (a MAP_SYNC mapping failed: ");
	has(r.out, "\nis_pmem: 0 (");
	run_free(&r);

	const char *const env[] = { "PMEM_EMULATE=adr", NULL };
	const char *const jargs[] = { "--json", "/dev/shm", NULL };
	r = run(jargs, env);
	assert_int_equal(r.status, 0);
	assert_true(json_valid(r.out));
	has(r.out, "\"kind\": \"directory\", \"dax\": false");
	has(r.out, "\"is_pmem\": 1");
	run_free(&r);
}

/* a regular file, and an empty one (pmem_map_file needs a length) */
static void
test_path_file(void **state)
{
	(void)state;
	char file[4200];
	snprintf(file, sizeof(file), "%s/file", Dir);
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	const char *const args[] = { file, NULL };
	struct run r = run(args, No_env);
	assert_int_equal(r.status, 0);
	has(r.out, "(file)\n");
	has(r.out, "\ndax: ");
	has(r.out, "\nis_pmem: unknown (not tried: the file is empty)\n");
	run_free(&r);

	assert_int_equal(ftruncate(fd, 8192), 0);
	close(fd);
	const char *const env[] = { "PMEM_IS_PMEM_FORCE=1", NULL };
	r = run(args, env);
	assert_int_equal(r.status, 0);
	has(r.out, "\nis_pmem: 1 (pmem_map_file of the file)\n");
	has(r.out, "  PMEM_IS_PMEM_FORCE       1          (environment)\n");
	run_free(&r);
}

/* a path that cannot be examined: one line on stderr, status 1 */
static void
test_bad_path(void **state)
{
	(void)state;
	const char *const args[] = { "/nonexistent/pmem-info/path", NULL };
	struct run r = run(args, No_env);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "pmem-info: /nonexistent/pmem-info/path: "
		"No such file or directory\n");
	run_free(&r);

	/* not a file, a directory or device DAX */
	const char *const args2[] = { "--json", "/dev/null", NULL };
	r = run(args2, No_env);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "");
	has(r.err, "pmem-info: /dev/null: ");
	assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
	run_free(&r);
}

/* --help documents every option; a bad option is status 2 */
static void
test_options(void **state)
{
	(void)state;
	const char *const help[] = { "--help", NULL };
	struct run r = run(help, No_env);
	assert_int_equal(r.status, 0);
	has(r.out, "usage: ");
	has(r.out, "--json");
	has(r.out, "--sysfs DIR");
	has(r.out, "PATH");
	has(r.out, "-h, --help");
	run_free(&r);

	const char *const bad[] = { "--bogus", NULL };
	r = run(bad, No_env);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.out, "");
	has(r.err, "usage: ");
	run_free(&r);

	const char *const two[] = { "/tmp", "/tmp", NULL };
	r = run(two, No_env);
	assert_int_equal(r.status, 2);
	run_free(&r);
}

/* a bad emulation setting stops the library at load, before pmem-info */
static void
test_bad_emulation_value(void **state)
{
	(void)state;
	const char *const args[] = { NULL };
	const char *const env[] = { "PMEM_EMULATE=eadrr", NULL };
	struct run r = run(args, env);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "");
	has(r.err, "PMEM_EMULATE=\"eadrr\" is not valid");
	run_free(&r);
}

int
main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PMEM-INFO\n", argv[0]);
		return 2;
	}
	Tool = argv[1];
	const char *tmp = getenv("TEST_TMPDIR");
	snprintf(Dir, sizeof(Dir), "%s/pmem-info-test.XXXXXX",
		tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(Dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_checker),
		cmocka_unit_test(test_text_fields),
		cmocka_unit_test(test_text_follows_environment),
		cmocka_unit_test(test_emulation_eadr),
		cmocka_unit_test(test_emulation_adr_json),
		cmocka_unit_test(test_json_default),
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_path_not_dax),
		cmocka_unit_test(test_path_file),
		cmocka_unit_test(test_bad_path),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_bad_emulation_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

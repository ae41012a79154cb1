/*
 * emu_fallback_test.c -- the write-back falls back to pwrite when io_uring
 * cannot be set up, saying so once per process.
 *
 * io_uring_setup is made to fail with a seccomp filter (raw BPF) installed
 * in a child before it execs the helper (argv[1], emu_helper.c), so that
 * the library meets the failure from its very load, whenever it sets its
 * ring up. The helper persists records and is killed with SIGKILL (or
 * exits); the records must be in the file, and its stderr must hold
 * exactly one line, the notice with "io_uring unavailable", however many
 * drains it made. That is with PMEM_EMULATE_IO=uring; the default (auto)
 * may not try io_uring on every file system, so with it the notice may be
 * missing, but the data must still be durable. With PMEM_EMULATE_IO=pwrite,
 * io_uring is not tried: no notice even with the filter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libpmem.h>

#include "emu_record.h"
#include "emu_util.h"

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif

#define NOTICE "io_uring unavailable"
#define RECORD 256
#define RECORDS 200
#define DRAINS 1000
#define FILE_SIZE 65536

static const char *Helper;
static char *Dir;

/* block_io_uring -- from now on io_uring_setup fails with errno *arg */
static void
block_io_uring(void *arg)
{
	int err = *(int *)arg;
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K,
			SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
			prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		fprintf(stderr, "seccomp: %s\n", strerror(errno));
		_exit(EU_CHILD_FAILED);
	}
	/* the filter works */
	errno = 0;
	if (syscall(__NR_io_uring_setup, 4, NULL) != -1 || errno != err) {
		fprintf(stderr, "io_uring_setup not blocked\n");
		_exit(EU_CHILD_FAILED);
	}
}

/* expect_records -- the helper's records are all in the file */
static void
expect_records(const char *path)
{
	unsigned char *buf = malloc(RECORDS * RECORD);
	assert_non_null(buf);
	eu_pread(path, 0, buf, RECORDS * RECORD);
	for (int i = 0; i < RECORDS; i++)
		if (!record_ok(buf + i * RECORD, RECORD, (uint64_t)i))
			fail_msg("record %d not in the file", i);
	free(buf);
	eu_expect_bytes(path, RECORDS * RECORD, FILE_SIZE - RECORDS * RECORD,
		EU_OLD);
}

/* expect_one_notice -- stderr is exactly one line, the notice */
static void
expect_one_notice(const char *err)
{
	if (eu_count_lines(err) != 1 || eu_count_lines_with(err, NOTICE) != 1)
		fail_msg("stderr should be one line with \"%s\", it is:\n%s",
			NOTICE, err);
}

/*
 * run_helper -- emu_helper persist on a fresh file, ending as end says
 * ("kill" or "exit"), with the environment env (NULL-terminated, at most 4)
 * and io_uring_setup failing with *err unless err is NULL
 */
static char *
run_helper(const char *const *env, int *err, const char *end,
		struct eu_run *r)
{
	char *f = eu_fresh_file(Dir, FILE_SIZE);
	char records[16], drains[16];
	snprintf(records, sizeof(records), "%d", RECORDS);
	snprintf(drains, sizeof(drains), "%d", DRAINS);
	char *argv[] = { (char *)Helper, "persist", f, records, drains,
		(char *)end, NULL };
	eu_exec(argv, (char *const *)env, err != NULL ? block_io_uring : NULL,
		err, r);
	bool killed = WIFSIGNALED(r->status) && WTERMSIG(r->status) == SIGKILL;
	bool exited = WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
	if (strcmp(end, "kill") == 0 ? !killed : !exited)
		fail_msg("helper ended with status 0x%x, stderr:\n%s",
			r->status, r->err);
	assert_string_equal(r->out, "main ran\ndone\n");
	return f;
}

static void
eperm_falls_back_with_one_notice(void **state)
{
	(void)state;
	const char *env[] = { "PMEM_EMULATE=adr", "PMEM_EMULATE_IO=uring",
		NULL };
	int err = EPERM;
	struct eu_run r;
	char *f = run_helper(env, &err, "kill", &r);
	expect_records(f);
	expect_one_notice(r.err);
	eu_run_free(&r);
	free(f);
}

static void
enosys_falls_back_with_one_notice(void **state)
{
	(void)state;
	const char *env[] = { "PMEM_EMULATE=adr", "PMEM_EMULATE_IO=uring",
		NULL };
	int err = ENOSYS;
	struct eu_run r;
	char *f = run_helper(env, &err, "kill", &r);
	expect_records(f);
	expect_one_notice(r.err);
	eu_run_free(&r);
	free(f);
}

static void
fallback_stats_say_pwrite(void **state)
{
	(void)state;
	char *stats = eu_join(Dir, "stats.json");
	char *var;
	assert_true(asprintf(&var, "PMEM_EMULATE_STATS=%s", stats) > 0);
	const char *env[] = { "PMEM_EMULATE=adr", "PMEM_EMULATE_IO=uring", var,
		NULL };
	int err = EPERM;
	struct eu_run r;
	char *f = run_helper(env, &err, "exit", &r);
	expect_records(f);
	expect_one_notice(r.err);
	off_t size = eu_file_size(stats);
	assert_true(size > 0);
	char *json = calloc(1, (size_t)size + 1);
	assert_non_null(json);
	eu_pread(stats, 0, json, (size_t)size);
	if (strstr(json, "\"io\":\"pwrite\"") == NULL &&
			strstr(json, "\"io\": \"pwrite\"") == NULL)
		fail_msg("stats do not say \"io\":\"pwrite\": %s", json);
	free(json);
	eu_run_free(&r);
	free(f);
	free(var);
	free(stats);
}

static void
pwrite_io_tries_no_io_uring(void **state)
{
	(void)state;
	const char *env[] = { "PMEM_EMULATE=adr", "PMEM_EMULATE_IO=pwrite",
		NULL };
	int err = EPERM;
	struct eu_run r;
	char *f = run_helper(env, &err, "kill", &r);
	expect_records(f);
	assert_string_equal(r.err, "");
	eu_run_free(&r);
	free(f);
}

static void
pwrite_io_durable_without_filter(void **state)
{
	(void)state;
	const char *env[] = { "PMEM_EMULATE=adr", "PMEM_EMULATE_IO=pwrite",
		NULL };
	struct eu_run r;
	char *f = run_helper(env, NULL, "kill", &r);
	expect_records(f);
	assert_string_equal(r.err, "");
	eu_run_free(&r);
	free(f);
}

static void
uring_available_no_notice(void **state)
{
	(void)state;
	if (!eu_io_uring_works()) {
		print_message("io_uring does not work here\n");
		skip();
	}
	const char *env[] = { "PMEM_EMULATE=adr", "PMEM_EMULATE_IO=uring",
		NULL };
	struct eu_run r;
	char *f = run_helper(env, NULL, "kill", &r);
	expect_records(f);
	assert_string_equal(r.err, "");
	eu_run_free(&r);
	free(f);
}

/* auto (the default) with io_uring blocked: durable, at most the notice */
static void
auto_blocked_still_durable(void **state)
{
	(void)state;
	const char *env[] = { "PMEM_EMULATE=adr", NULL };
	int err = EPERM;
	struct eu_run r;
	char *f = run_helper(env, &err, "kill", &r);
	expect_records(f);
	if (eu_count_lines(r.err) != eu_count_lines_with(r.err, NOTICE) ||
			eu_count_lines(r.err) > 1)
		fail_msg("stderr should be at most the notice, it is:\n%s",
			r.err);
	eu_run_free(&r);
	free(f);
}

/* eADR may need no write-back for cached stores: at most one notice. */
static void
eadr_blocked_still_durable(void **state)
{
	(void)state;
	const char *env[] = { "PMEM_EMULATE=eadr", "PMEM_EMULATE_IO=uring",
		NULL };
	int err = EPERM;
	struct eu_run r;
	char *f = run_helper(env, &err, "kill", &r);
	expect_records(f);
	if (eu_count_lines(r.err) != eu_count_lines_with(r.err, NOTICE) ||
			eu_count_lines(r.err) > 1)
		fail_msg("stderr should be at most the notice, it is:\n%s",
			r.err);
	eu_run_free(&r);
	free(f);
}

/*
 * Without exec: this process (PMEM_EMULATE=adr) forks a child, which
 * blocks io_uring, then maps and persists. The library may have set up the
 * child's ring before the filter (at fork), so at most one notice.
 */
static void
forked_child_blocked_still_durable(void **state)
{
	(void)state;
	char *f = eu_fresh_file(Dir, FILE_SIZE);
	char *errf = eu_join(Dir, "child.stderr");
	pid_t pid = eu_fork();
	if (pid == 0) {
		int fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0644);
		EU_CHECK(fd >= 0 && dup2(fd, 2) == 2);
		int err = EPERM;
		block_io_uring(&err);
		size_t len;
		char *p = eu_child_map(f, &len);
		for (int i = 0; i < RECORDS; i++) {
			unsigned char *rec = (unsigned char *)p + i * RECORD;
			record_fill(rec, RECORD, (uint64_t)i);
			pmem_persist(rec, RECORD);
		}
		for (int i = 0; i < DRAINS; i++)
			pmem_drain();
		eu_kill_self();
	}
	eu_expect_killed(pid);
	expect_records(f);
	off_t size = eu_file_size(errf);
	char *err = calloc(1, (size_t)size + 1);
	assert_non_null(err);
	if (size > 0)
		eu_pread(errf, 0, err, (size_t)size);
	if (eu_count_lines(err) != eu_count_lines_with(err, NOTICE) ||
			eu_count_lines(err) > 1)
		fail_msg("stderr should be at most the notice, it is:\n%s",
			err);
	free(err);
	free(errf);
	free(f);
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
		cmocka_unit_test(eperm_falls_back_with_one_notice),
		cmocka_unit_test(enosys_falls_back_with_one_notice),
		cmocka_unit_test(fallback_stats_say_pwrite),
		cmocka_unit_test(pwrite_io_tries_no_io_uring),
		cmocka_unit_test(pwrite_io_durable_without_filter),
		cmocka_unit_test(uring_available_no_notice),
		cmocka_unit_test(auto_blocked_still_durable),
		cmocka_unit_test(eadr_blocked_still_durable),
		cmocka_unit_test(forked_child_blocked_still_durable),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

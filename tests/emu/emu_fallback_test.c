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

#define RECORD 256
#define RECORDS 200
#define DRAINS 1000
#define FILE_SIZE 65536

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

/*
 * run_helper -- emu_helper persist on a fresh file, ending as end says
 * ("kill" or "exit"), with the environment env (NULL-terminated) and
 * io_uring_setup failing with *err unless err is NULL
 */
static char *
run_helper(const char *const *env, int *err, const char *end,
		struct eu_run *r)
{
	char *f = eu_fresh_file(FILE_SIZE);
	char records[16], drains[16];
	snprintf(records, sizeof(records), "%d", RECORDS);
	snprintf(drains, sizeof(drains), "%d", DRAINS);
	char *argv[] = { (char *)Eu_helper, "persist", f, records, drains,
		(char *)end, NULL };
	eu_exec(argv, (char *const *)env, err != NULL ? block_io_uring : NULL,
		err, r);
	if (strcmp(end, "kill") == 0)
		eu_expect_signaled(r, SIGKILL, "helper");
	else
		eu_expect_exited(r, 0, "helper");
	assert_string_equal(r->out, "main ran\ndone\n");
	return f;
}

/*
 * durable -- the helper killed after persisting, with the settings emulate
 * and io (NULL: none) and io_uring_setup failing with err (0: not
 * blocked): the records are in the file, and its stderr is from min to max
 * lines, each the io_uring notice
 */
static void
durable(const char *emulate, const char *io, int err, int min, int max)
{
	const char *env[] = { emulate, io, NULL };
	struct eu_run r;
	char *f = run_helper(env, err != 0 ? &err : NULL, "kill", &r);
	expect_records(f);
	eu_expect_notices(r.err, min, max, "helper");
	eu_run_free(&r);
	eu_remove_file(f);
}

static void
eperm_falls_back_with_one_notice(void **state)
{
	(void)state;
	durable("PMEM_EMULATE=adr", "PMEM_EMULATE_IO=uring", EPERM, 1, 1);
}

static void
enosys_falls_back_with_one_notice(void **state)
{
	(void)state;
	durable("PMEM_EMULATE=adr", "PMEM_EMULATE_IO=uring", ENOSYS, 1, 1);
}

static void
fallback_stats_say_pwrite(void **state)
{
	(void)state;
	char *stats = eu_join(Eu_dir, "stats.json");
	char *var;
	assert_true(asprintf(&var, "PMEM_EMULATE_STATS=%s", stats) > 0);
	const char *env[] = { "PMEM_EMULATE=adr", "PMEM_EMULATE_IO=uring", var,
		NULL };
	int err = EPERM;
	struct eu_run r;
	char *f = run_helper(env, &err, "exit", &r);
	expect_records(f);
	eu_expect_notices(r.err, 1, 1, "helper");
	char *json = eu_read_file(stats);
	assert_non_null(json);
	assert_true(json[0] != '\0');
	eu_expect_json_str(json, "io", "pwrite");
	free(json);
	eu_run_free(&r);
	eu_remove_file(f);
	free(var);
	free(stats);
}

static void
pwrite_io_tries_no_io_uring(void **state)
{
	(void)state;
	durable("PMEM_EMULATE=adr", "PMEM_EMULATE_IO=pwrite", EPERM, 0, 0);
}

static void
pwrite_io_durable_without_filter(void **state)
{
	(void)state;
	durable("PMEM_EMULATE=adr", "PMEM_EMULATE_IO=pwrite", 0, 0, 0);
}

static void
uring_available_no_notice(void **state)
{
	(void)state;
	if (!eu_io_uring_works()) {
		print_message("io_uring does not work here\n");
		skip();
	}
	durable("PMEM_EMULATE=adr", "PMEM_EMULATE_IO=uring", 0, 0, 0);
}

/* auto (the default) with io_uring blocked: durable, at most the notice */
static void
auto_blocked_still_durable(void **state)
{
	(void)state;
	durable("PMEM_EMULATE=adr", NULL, EPERM, 0, 1);
}

/* eADR may need no write-back for cached stores: at most one notice. */
static void
eadr_blocked_still_durable(void **state)
{
	(void)state;
	durable("PMEM_EMULATE=eadr", "PMEM_EMULATE_IO=uring", EPERM, 0, 1);
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
	char *f = eu_fresh_file(FILE_SIZE);
	char *errf = eu_join(Eu_dir, "child.stderr");
	pid_t pid = eu_fork();
	if (pid == 0) {
		int fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0644);
		EU_CHECK(fd >= 0 && dup2(fd, 2) == 2);
		int err = EPERM;
		block_io_uring(&err);
		size_t len;
		char *p = eu_child_map(f, &len);
		record_persist_all((unsigned char *)p, RECORD, RECORDS);
		for (int i = 0; i < DRAINS; i++)
			pmem_drain();
		eu_kill_self();
	}
	eu_expect_killed(pid);
	expect_records(f);
	char *err = eu_read_file(errf);
	assert_non_null(err);
	eu_expect_notices(err, 0, 1, "forked child");
	free(err);
	free(errf);
	eu_remove_file(f);
}

int
main(int argc, char *argv[])
{
	if (!eu_helper_arg(argc, argv))
		return 1;
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
	return cmocka_run_group_tests(tests, eu_setup, eu_teardown);
}

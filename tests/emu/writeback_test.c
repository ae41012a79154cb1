/*
 * writeback_test.c -- the write-back engine under ADR emulation: many
 * requests in one drain, gaps filled with durable content only, threads
 * draining neighbouring and shared lines, fdatasync on demand, and a failed
 * write-back (abort by default, or a warning).
 *
 * One body, several targets (BUILD): PMEM_EMULATE_IO=uring, auto, pwrite,
 * mmap; PMEM_EMULATE_FSYNC=1 (EXPECT_FSYNC=1) with auto, uring and mmap;
 * PMEM_EMULATE_ON_ERROR=warn (EXPECT_ON_ERROR=warn) with auto, uring and
 * pwrite, and =abort with uring and pwrite. The files are written whole
 * before they are mapped, so auto and mmap write back by copies into the
 * shared mapping, except in the failed write-back's file, which has a
 * hole, so that it is written back by system calls (the only ones that can
 * fail). Each case works in a forked child that ends with SIGKILL, so only
 * what the emulator wrote to the file survives, and the parent reads the
 * file.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "libpmem.h"
#include "tests/lib/map_util.h"

#define LINE 64
#define SHARED_LINES 4

#if defined(__SANITIZE_THREAD__)
static const bool Tsan = true;
#else
static const bool Tsan = false;
#endif

int __real_fdatasync(int fd);
static int Fdatasyncs;	/* atomic: threads of some tests drain too */

/* counts the library's fdatasync calls (linked with --wrap=fdatasync) */
int
__wrap_fdatasync(int fd)
{
	__atomic_add_fetch(&Fdatasyncs, 1, __ATOMIC_RELAXED);
	return __real_fdatasync(fd);
}

/*
 * map_holed -- a fresh emulated file of len bytes, pattern 'o' everywhere,
 * followed by a hole of hole bytes (mapped too)
 */
static char *
map_holed(const char *dir, const char *name, size_t len, size_t hole,
		char **pathp)
{
	char *path = mu_join(dir, name);
	mu_make_file(path, (off_t)len, 0600);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	char *buf = malloc(len);
	memset(buf, 'o', len);
	assert_int_equal(pwrite(fd, buf, len, 0), (ssize_t)len);
	free(buf);
	assert_int_equal(ftruncate(fd, (off_t)(len + hole)), 0);
	close(fd);
	size_t mapped;
	int is_pmem;
	char *p = pmem_map_file(path, 0, 0, 0, &mapped, &is_pmem);
	assert_non_null(p);
	assert_int_equal(mapped, len + hole);
	assert_int_equal(is_pmem, 1);
	*pathp = path;
	return p;
}

/* map -- a fresh emulated file of len bytes, pattern 'o' everywhere */
static char *
map(const char *dir, const char *name, size_t len, char **pathp)
{
	return map_holed(dir, name, len, 0, pathp);
}

/* file_byte -- the byte at off in the file */
static char
file_byte(const char *path, off_t off)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	char c = 0;
	assert_int_equal(pread(fd, &c, 1, off), 1);
	close(fd);
	return c;
}

/* killed -- waits for child pid, which must have died of signal sig */
static void
killed(pid_t pid, int sig)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != sig)
		fail_msg("child: status 0x%x, expected signal %d", status, sig);
}

/* 200 lines 64 KiB apart: 200 requests (more than a ring holds) in a drain */
static void
test_many_requests_in_one_drain(void **state)
{
	struct mu_env *env = *state;
	char *path;
	size_t len = 200 * 65536;
	char *p = map(env->dir, "many", len, &path);
	pid_t pid = fork();
	if (pid == 0) {
		for (size_t i = 0; i < 200; i++) {
			p[i * 65536 + 5] = 'n';
			pmem_flush(p + i * 65536 + 5, 1);
		}
		pmem_drain();
		raise(SIGKILL);
	}
	killed(pid, SIGKILL);
	for (size_t i = 0; i < 200; i++) {
		assert_int_equal(file_byte(path, (off_t)(i * 65536 + 5)), 'n');
		assert_int_equal(file_byte(path, (off_t)(i * 65536 + 4)), 'o');
		assert_int_equal(file_byte(path, (off_t)(i * 65536 + LINE)),
			'o');
	}
	assert_int_equal(pmem_unmap(p, len), 0);
	free(path);
}

/*
 * Lines 0, 2 and 10 flushed, lines 1 and 3..9 stored but not: the drain may
 * write all of 0..10 as one request, but the lines in between must come
 * from the file, not from the unflushed stores.
 */
static void
test_gaps_hold_durable_content(void **state)
{
	struct mu_env *env = *state;
	char *path;
	size_t len = 65536;
	char *p = map(env->dir, "gaps", len, &path);
	pid_t pid = fork();
	if (pid == 0) {
		for (int l = 0; l <= 10; l++)
			memset(p + l * LINE, 's', LINE);
		pmem_flush(p, LINE);
		pmem_flush(p + 2 * LINE, LINE);
		pmem_flush(p + 10 * LINE, LINE);
		pmem_drain();
		raise(SIGKILL);
	}
	killed(pid, SIGKILL);
	for (int l = 0; l <= 10; l++) {
		char want = (l == 0 || l == 2 || l == 10) ? 's' : 'o';
		for (int b = 0; b < LINE; b += 21)
			assert_int_equal(file_byte(path, l * LINE + b), want);
	}
	assert_int_equal(pmem_unmap(p, len), 0);
	free(path);
}

struct gap_race {
	char *p;
	uint64_t rounds;
	uint64_t last;		/* the last value the thread persisted */
};

/* gap_writer -- persists lines 0 and 10 together: one gap-filled request */
static void *
gap_writer(void *arg)
{
	struct gap_race *g = arg;
	for (uint64_t v = 1; v <= g->rounds; v++) {
		memcpy(g->p, &v, sizeof(v));
		memcpy(g->p + 10 * LINE, &v, sizeof(v));
		pmem_flush(g->p, sizeof(v));
		pmem_flush(g->p + 10 * LINE, sizeof(v));
		pmem_drain();
		g->last = v;
	}
	return NULL;
}

/* line_writer -- persists line 5, inside the other thread's gap */
static void *
line_writer(void *arg)
{
	struct gap_race *g = arg;
	for (uint64_t v = 1; v <= g->rounds; v++) {
		memcpy(g->p + 5 * LINE, &v, sizeof(v));
		pmem_persist(g->p + 5 * LINE, sizeof(v));
		g->last = v;
	}
	return NULL;
}

/*
 * One thread's drains fill a gap over the line another thread persists: the
 * gap must never write back an older content of that line over a newer one
 * already drained.
 */
static void
test_gap_does_not_undo_other_thread(void **state)
{
	struct mu_env *env = *state;
	char *path;
	size_t len = 4096;
	char *p = map(env->dir, "race", len, &path);
	memset(p, 0, 11 * LINE);
	pmem_persist(p, 11 * LINE);
	struct gap_race a = { p, 20000, 0 }, b = { p, 20000, 0 };
	pthread_t ta, tb;
	assert_int_equal(pthread_create(&ta, NULL, gap_writer, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, line_writer, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	uint64_t v0, v5, v10;
	assert_int_equal(pread(fd, &v0, 8, 0), 8);
	assert_int_equal(pread(fd, &v5, 8, 5 * LINE), 8);
	assert_int_equal(pread(fd, &v10, 8, 10 * LINE), 8);
	close(fd);
	assert_int_equal(v0, a.last);
	assert_int_equal(v10, a.last);
	assert_int_equal(v5, b.last);
	assert_int_equal(pmem_unmap(p, len), 0);
	free(path);
}

struct shared_line {
	char *p;
	char *path;
	int slot;		/* the thread's 8 bytes of each line */
	uint64_t rounds;
	uint64_t last[SHARED_LINES];	/* last value persisted per line */
	int errors;
};

/*
 * shared_writer -- persists its 8 bytes of each shared line in turn, and
 * now and then reads them back from the file: a drain that returned is never
 * undone by the other thread's write-back of the same line
 */
static void *
shared_writer(void *arg)
{
	struct shared_line *s = arg;
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		s->errors++;
		return NULL;
	}
	for (uint64_t v = 1; v <= s->rounds; v++) {
		int l = (int)(v % SHARED_LINES);
		char *field = s->p + l * LINE + s->slot * 8;
		memcpy(field, &v, sizeof(v));
		pmem_persist(field, sizeof(v));
		s->last[l] = v;
		if (v % 16 != 0)
			continue;
		uint64_t got = 0;
		if (pread(fd, &got, sizeof(got), l * LINE + s->slot * 8) !=
				sizeof(got) || got != v)
			s->errors++;
	}
	close(fd);
	return NULL;
}

/*
 * Two threads store into different bytes of the same lines and persist
 * them: each drain writes back the whole line, the other thread's bytes
 * included; neither may bring back an older content of the other's bytes
 * after that thread's drain returned. (Under ThreadSanitizer the library's
 * reads of a line race with the other thread's stores into it, as they
 * would on hardware: not run there.)
 */
static void
test_threads_share_lines(void **state)
{
	if (Tsan)
		skip();
	struct mu_env *env = *state;
	char *path;
	size_t len = 4096;
	char *p = map(env->dir, "shared", len, &path);
	memset(p, 0, SHARED_LINES * LINE);
	pmem_persist(p, SHARED_LINES * LINE);
	static struct shared_line s[2];
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		s[i] = (struct shared_line){ .p = p, .path = path,
			.slot = i * 7, .rounds = 20000 };
		assert_int_equal(pthread_create(&th[i], NULL, shared_writer,
			&s[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(s[i].errors, 0);
		for (int l = 0; l < SHARED_LINES; l++) {
			uint64_t got;
			assert_int_equal(pread(fd, &got, 8,
				l * LINE + s[i].slot * 8), 8);
			assert_int_equal(got, s[i].last[l]);
		}
	}
	close(fd);
	assert_int_equal(pmem_unmap(p, len), 0);
	free(path);
}

/* PMEM_EMULATE_FSYNC=1: a drain that wrote also reached the disk */
static void
test_fdatasync_on_demand(void **state)
{
	struct mu_env *env = *state;
	const char *expect = getenv("EXPECT_FSYNC");
	bool want = expect != NULL && strcmp(expect, "1") == 0;
	char *path;
	char *p = map(env->dir, "sync", 4096, &path);
	Fdatasyncs = 0;
	p[0] = 'x';
	pmem_persist(p, 1);
	if (want)
		assert_int_equal(Fdatasyncs, 1);
	else
		assert_int_equal(Fdatasyncs, 0);
	/* a drain with nothing to write syncs nothing */
	pmem_drain();
	assert_int_equal(Fdatasyncs, want ? 1 : 0);
	assert_int_equal(pmem_unmap(p, 4096), 0);
	free(path);
}

/*
 * A write-back the kernel refuses (beyond RLIMIT_FSIZE: EFBIG): by default
 * (or with PMEM_EMULATE_ON_ERROR=abort) the process ends with SIGABRT and
 * one message naming the file, the offset and the error; with
 * PMEM_EMULATE_ON_ERROR=warn it says so and goes on, and what it persists
 * afterwards is durable. Nothing else of the file changes either way. The
 * file ends with a hole: auto and mmap write it back by system calls.
 */
static void
test_failed_write_back(void **state)
{
	struct mu_env *env = *state;
	const char *expect = getenv("EXPECT_ON_ERROR");
	bool warn = expect != NULL && strcmp(expect, "warn") == 0;
	char *path;
	size_t len = 3 * 4096;
	char *p = map_holed(env->dir, "fail", len, 4096, &path);
	char *log = mu_join(env->dir, "stderr");
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, STDERR_FILENO);
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit rl = { 4096, 4096 };
		setrlimit(RLIMIT_FSIZE, &rl);
		p[8192 + 100] = 'x';
		pmem_persist(p + 8192 + 100, 1);
		/* only with warn does the program get here */
		p[10] = 'y';
		pmem_persist(p + 10, 1);
		raise(SIGKILL);
	}
	killed(pid, warn ? SIGKILL : SIGABRT);
	FILE *f = fopen(log, "r");
	assert_non_null(f);
	char line[1024] = "", extra[16];
	assert_non_null(fgets(line, sizeof(line), f));
	assert_null(fgets(extra, sizeof(extra), f));
	fclose(f);
	char want[1024];
	snprintf(want, sizeof(want), "libpmem: write-back to %s at offset "
		"8256 failed: %s\n", path, strerror(EFBIG));
	assert_string_equal(line, want);
	assert_int_equal(file_byte(path, 8192 + 100), 'o');
	assert_int_equal(file_byte(path, 10), warn ? 'y' : 'o');
	char *got = malloc(len);
	assert_non_null(got);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, got, len, 0), (ssize_t)len);
	close(fd);
	for (size_t off = 0; off < len; off++)
		if (off != 10 && got[off] != 'o')
			fail_msg("offset %zu changed to 0x%02x", off,
				(unsigned char)got[off]);
	free(got);
	assert_int_equal(pmem_unmap(p, len + 4096), 0);
	free(log);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_many_requests_in_one_drain, mu_setup, mu_teardown),
		cmocka_unit_test_setup_teardown(
			test_gaps_hold_durable_content, mu_setup, mu_teardown),
		cmocka_unit_test_setup_teardown(
			test_gap_does_not_undo_other_thread, mu_setup,
			mu_teardown),
		cmocka_unit_test_setup_teardown(
			test_threads_share_lines, mu_setup, mu_teardown),
		cmocka_unit_test_setup_teardown(
			test_fdatasync_on_demand, mu_setup, mu_teardown),
		cmocka_unit_test_setup_teardown(
			test_failed_write_back, mu_setup, mu_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

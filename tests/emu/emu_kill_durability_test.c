/*
 * emu_kill_durability_test.c -- under emulation, what a process reported as
 * persisted survives SIGKILL at any instant.
 *
 * Each round, a child maps a file, stores into a region it never flushes,
 * then persists numbered records one after the other, writing each record's
 * number to a pipe once pmem_persist returned. The parent kills it with
 * SIGKILL at a random instant (after a random number of reports, then a
 * random spin) and reads the file: every reported record is intact, the
 * ones the child had not begun still hold the old content, and the
 * never-flushed region holds the old content under ADR, the new under eADR.
 *
 * EMU_SEED=<n> replays a run (the seed is printed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libpmem.h>

#include "emu_record.h"
#include "emu_util.h"

#define ROUNDS 50
#define RECORD 256
#define RECORDS 1024
#define RECORDS_SIZE ((size_t)RECORD * RECORDS)
#define NEVER_SIZE ((size_t)65536)	/* after the records */
#define FILE_SIZE (RECORDS_SIZE + NEVER_SIZE)
#define READY UINT32_MAX		/* first report: region stored */
/* Reports are padded and the pipe made small, so that the child runs at
 * most a few dozen records ahead of the parent: kills land all along the
 * sequence, not mostly after its end. */
#define REPORT 64
#define PIPE_SIZE 4096

static uint64_t Rng;

/* rnd -- xorshift64* */
static uint64_t
rnd(void)
{
	Rng ^= Rng >> 12;
	Rng ^= Rng << 25;
	Rng ^= Rng >> 27;
	return Rng * 0x2545f4914f6cdd1dULL;
}

/* report -- writes one number to the pipe (child) */
static void
report(int fd, uint32_t n)
{
	char msg[REPORT] = { 0 };
	memcpy(msg, &n, sizeof(n));
	EU_CHECK(write(fd, msg, sizeof(msg)) == (ssize_t)sizeof(msg));
}

/* child -- the writer; never returns */
static void
child(const char *path, int fd)
{
	size_t len;
	char *p = eu_child_map(path, &len);
	EU_CHECK(len == FILE_SIZE);
	memset(p + RECORDS_SIZE, EU_NEW, NEVER_SIZE);
	report(fd, READY);
	for (uint32_t i = 0; i < RECORDS; i++) {
		unsigned char *rec = (unsigned char *)p + (size_t)i * RECORD;
		record_fill(rec, RECORD, i);
		pmem_persist(rec, RECORD);
		report(fd, i);
	}
	for (;;)
		pause();
}

/* next -- the next report, or false at end of file */
static bool
next(int fd, uint32_t *n)
{
	char msg[REPORT];
	size_t got = 0;
	while (got < sizeof(msg)) {
		ssize_t r = read(fd, msg + got, sizeof(msg) - got);
		if (r < 0 && errno == EINTR)
			continue;
		assert_true(r >= 0);
		if (r == 0) {
			assert_int_equal(got, 0);
			return false;
		}
		got += (size_t)r;
	}
	memcpy(n, msg, sizeof(*n));
	return true;
}

/* check -- the file after the kill of round r; last: last report or -1 */
static void
check(const char *path, int r, long last, enum eu_domain d)
{
	unsigned char *buf = malloc(FILE_SIZE);
	assert_non_null(buf);
	eu_pread(path, 0, buf, FILE_SIZE);
	for (long i = 0; i <= last; i++)
		if (!record_ok(buf + i * RECORD, RECORD, (uint64_t)i))
			fail_msg("round %d: record %ld reported persisted "
				"(last report %ld) but not intact in the file",
				r, i, last);
	/* last + 1 may be torn: it was being persisted */
	for (size_t o = (size_t)(last + 2) * RECORD; o < RECORDS_SIZE; o++)
		if (buf[o] != EU_OLD)
			fail_msg("round %d: offset %zu (record %zu) changed, "
				"but the child had not begun it (last report "
				"%ld)", r, o, o / RECORD, last);
	int want = d == EU_ADR ? EU_OLD : EU_NEW;
	for (size_t o = RECORDS_SIZE; o < FILE_SIZE; o++)
		if (buf[o] != want)
			fail_msg("round %d: never-flushed region at %zu holds "
				"0x%02x, expected '%c' under %s", r,
				o - RECORDS_SIZE, buf[o], want,
				eu_domain_name(d));
	free(buf);
}

static void
reported_records_survive_random_kills(void **state)
{
	(void)state;
	enum eu_domain d = eu_domain();
	char *path = eu_join(Eu_dir, "records");
	long kills_mid = 0;
	for (int r = 0; r < ROUNDS; r++) {
		eu_make_file(path, FILE_SIZE, EU_OLD);
		int fds[2];
		assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
		assert_true(fcntl(fds[1], F_SETPIPE_SZ, PIPE_SIZE) >= PIPE_SIZE);
		pid_t pid = eu_fork();
		if (pid == 0) {
			close(fds[0]);
			child(path, fds[1]);
		}
		close(fds[1]);
		uint32_t n;
		if (!next(fds[0], &n) || n != READY) {
			eu_expect_killed(pid);	/* names how it ended */
			fail_msg("round %d: the child did not start", r);
		}
		long last = -1;
		uint64_t k = rnd() % (RECORDS + 1);
		while ((uint64_t)(last + 1) < k) {
			if (!next(fds[0], &n)) {
				eu_expect_killed(pid);
				fail_msg("round %d: the child stopped", r);
			}
			assert_int_equal(n, (uint32_t)(last + 1));
			last = n;
		}
		for (volatile uint64_t spin = rnd() % 20000; spin > 0; spin--)
			;
		assert_int_equal(kill(pid, SIGKILL), 0);
		eu_expect_killed(pid);
		while (next(fds[0], &n)) {
			assert_int_equal(n, (uint32_t)(last + 1));
			last = n;
		}
		close(fds[0]);
		if (last + 1 < RECORDS)
			kills_mid++;
		check(path, r, last, d);
	}
	printf("%ld of %d kills before the last record\n", kills_mid, ROUNDS);
	eu_remove_file(path);
}

int
main(void)
{
	const char *s = getenv("EMU_SEED");
	Rng = s != NULL ? strtoull(s, NULL, 0) :
		(uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid();
	if (Rng == 0)
		Rng = 1;
	printf("EMU_SEED=%llu (domain %s)\n", (unsigned long long)Rng,
		eu_domain_name(eu_domain()));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reported_records_survive_random_kills),
	};
	return cmocka_run_group_tests(tests, eu_setup, eu_teardown);
}

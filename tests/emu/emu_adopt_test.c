/*
 * emu_adopt_test.c -- mappings the program makes itself (plain mmap, as
 * libpmemobj does) are emulated from the first pmem_is_pmem or flush on
 * them, at the same address with the same content; memory that is not a
 * file stays plain memory; and a mapping unmapped with munmap and replaced
 * by another does not send anything to the old file.
 *
 * Each case runs in a child that is then killed (SIGKILL: what the file
 * holds is what was durable) or exits; the domain comes from PMEM_EMULATE.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <libpmem.h>

#include "emu_util.h"

#define SIZE (4 * 4096)
#define A 4096			/* a line of page 1 */
#define B (A + 2 * EU_LINE)	/* another one */

/* own_map -- child: the file mapped by the program itself, shared */
static char *
own_map(const char *path)
{
	int fd = open(path, O_RDWR);
	EU_CHECK(fd >= 0);
	char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EU_CHECK(p != MAP_FAILED);
	close(fd);
	return p;
}

/*
 * child_exit -- child: exit(0), so that the library's exit runs, with the
 * parent's file names freed (they would be leaks to LeakSanitizer)
 */
static void __attribute__((noreturn))
child_exit(char *path, char *other)
{
	free(path);
	free(other);
	exit(0);
}

/* line A persisted, line B stored and not flushed; then killed */
static void
is_pmem_takes_over(void **state)
{
	(void)state;
	char *path = eu_fresh_file(SIZE);
	pid_t pid = eu_fork();
	if (pid == 0) {
		char *p = own_map(path);
		EU_CHECK(pmem_is_pmem(p, SIZE) == 1);
		/* same content at the same address */
		EU_CHECK(p[A] == EU_OLD && p[SIZE - 1] == EU_OLD);
		memset(p + A, EU_NEW, EU_LINE);
		pmem_persist(p + A, EU_LINE);
		memset(p + B, EU_NEW, EU_LINE);
		eu_kill_self();
	}
	eu_expect_killed(pid);
	eu_expect_bytes(path, A, EU_LINE, EU_NEW);
	/* ADR: never flushed, lost; eADR: a store is durable */
	eu_expect_bytes(path, B, EU_LINE,
		eu_domain() == EU_ADR ? EU_OLD : EU_NEW);
	eu_expect_bytes(path, 0, A, EU_OLD);
	eu_remove_file(path);
}

/* without pmem_is_pmem: the first flush takes the mapping over */
static void
flush_takes_over(void **state)
{
	(void)state;
	char *path = eu_fresh_file(SIZE);
	pid_t pid = eu_fork();
	if (pid == 0) {
		char *p = own_map(path);
		memset(p + A, EU_NEW, EU_LINE);
		pmem_persist(p + A, EU_LINE);	/* durable: it was shared */
		memset(p + B, EU_NEW, EU_LINE);
		pmem_flush(p + B, EU_LINE);	/* flushed, not drained */
		EU_CHECK(pmem_is_pmem(p, SIZE) == 1);
		eu_kill_self();
	}
	eu_expect_killed(pid);
	eu_expect_bytes(path, A, EU_LINE, EU_NEW);
	eu_expect_bytes(path, B, EU_LINE,
		eu_domain() == EU_ADR ? EU_OLD : EU_NEW);
	eu_remove_file(path);
}

/* pmem_msync of a mapping taken over makes its stores durable */
static void
msync_of_taken_over(void **state)
{
	(void)state;
	char *path = eu_fresh_file(SIZE);
	pid_t pid = eu_fork();
	if (pid == 0) {
		char *p = own_map(path);
		EU_CHECK(pmem_is_pmem(p, SIZE) == 1);
		memset(p + B, EU_NEW, EU_LINE);
		EU_CHECK(pmem_msync(p + B, EU_LINE) == 0);
		eu_kill_self();
	}
	eu_expect_killed(pid);
	eu_expect_bytes(path, B, EU_LINE, EU_NEW);
	eu_remove_file(path);
}

/* anonymous memory and private file mappings are not pmem */
static void
plain_memory_stays_plain(void **state)
{
	(void)state;
	char *path = eu_fresh_file(SIZE);
	pid_t pid = eu_fork();
	if (pid == 0) {
		char *anon = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		EU_CHECK(anon != MAP_FAILED);
		EU_CHECK(pmem_is_pmem(anon, SIZE) == 0);
		int fd = open(path, O_RDWR);
		char *priv = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE, fd, 0);
		EU_CHECK(priv != MAP_FAILED);
		EU_CHECK(pmem_is_pmem(priv, SIZE) == 0);
		memset(priv + A, EU_NEW, EU_LINE);
		pmem_persist(priv + A, EU_LINE);
		char *ro = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
		EU_CHECK(ro != MAP_FAILED);
		EU_CHECK(pmem_is_pmem(ro, SIZE) == 0);
		child_exit(path, NULL);
	}
	eu_expect_exit0(pid);
	eu_expect_bytes(path, 0, SIZE, EU_OLD);
	eu_remove_file(path);
}

/*
 * munmap, then another file mapped at the same address: its own view, and
 * nothing of the new mapping reaches the old file, then or at exit
 */
static void
remap_other_file_same_address(void **state)
{
	(void)state;
	char *path = eu_fresh_file(SIZE);
	char *other = eu_fresh_file(SIZE);
	pid_t pid = eu_fork();
	if (pid == 0) {
		char *p = own_map(path);
		EU_CHECK(pmem_is_pmem(p, SIZE) == 1);
		memset(p + A, EU_NEW, EU_LINE);
		pmem_persist(p + A, EU_LINE);
		EU_CHECK(munmap(p, SIZE) == 0);
		int fd = open(other, O_RDWR);
		char *q = mmap(p, SIZE, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_FIXED, fd, 0);
		EU_CHECK(q == p);
		close(fd);
		EU_CHECK(q[A] == EU_OLD);
		EU_CHECK(pmem_is_pmem(q, SIZE) == 1);
		memset(q + B, 'x', EU_LINE);
		pmem_persist(q + B, EU_LINE);
		memset(q + A, 'y', EU_LINE);	/* never flushed */
		child_exit(path, other);
	}
	eu_expect_exit0(pid);
	/* the old file: its one persisted line, nothing else */
	eu_expect_bytes(path, A, EU_LINE, EU_NEW);
	eu_expect_bytes(path, 0, A, EU_OLD);
	eu_expect_bytes(path, A + EU_LINE, SIZE - A - EU_LINE, EU_OLD);
	/* the new one: its persisted line, and at exit the rest */
	eu_expect_bytes(other, B, EU_LINE, 'x');
	eu_expect_bytes(other, A, EU_LINE, 'y');
	eu_remove_file(path);
	eu_remove_file(other);
}

/*
 * munmap, then anonymous memory at the same address: not pmem, and its
 * content (flushed or not) never reaches the old file
 */
static void
remap_anonymous_same_address(void **state)
{
	(void)state;
	char *path = eu_fresh_file(SIZE);
	pid_t pid = eu_fork();
	if (pid == 0) {
		char *p = own_map(path);
		EU_CHECK(pmem_is_pmem(p, SIZE) == 1);
		EU_CHECK(munmap(p, SIZE) == 0);
		char *q = mmap(p, SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		EU_CHECK(q == p);
		memset(q, 'z', SIZE);
		EU_CHECK(pmem_is_pmem(q, SIZE) == 0);
		pmem_persist(q + A, EU_LINE);
		EU_CHECK(pmem_msync(q + B, EU_LINE) == 0);
		child_exit(path, NULL);
	}
	eu_expect_exit0(pid);
	eu_expect_bytes(path, 0, SIZE, EU_OLD);
	eu_remove_file(path);
}

/* munmap, nothing mapped there again: exit does not touch the address */
static void
unmapped_view_forgotten_at_exit(void **state)
{
	(void)state;
	char *path = eu_fresh_file(SIZE);
	pid_t pid = eu_fork();
	if (pid == 0) {
		char *p = own_map(path);
		EU_CHECK(pmem_is_pmem(p, SIZE) == 1);
		memset(p + B, EU_NEW, EU_LINE);	/* never flushed */
		EU_CHECK(munmap(p, SIZE) == 0);
		child_exit(path, NULL);
	}
	eu_expect_exit0(pid);
	/* the store went with the private mapping: as with a crash */
	eu_expect_bytes(path, B, EU_LINE,
		eu_domain() == EU_ADR ? EU_OLD : EU_NEW);
	eu_remove_file(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(is_pmem_takes_over),
		cmocka_unit_test(flush_takes_over),
		cmocka_unit_test(msync_of_taken_over),
		cmocka_unit_test(plain_memory_stays_plain),
		cmocka_unit_test(remap_other_file_same_address),
		cmocka_unit_test(remap_anonymous_same_address),
		cmocka_unit_test(unmapped_view_forgotten_at_exit),
	};
	return cmocka_run_group_tests(tests, eu_setup, eu_teardown);
}

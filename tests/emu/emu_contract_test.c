/*
 * emu_contract_test.c -- the durability contract of the emulation backend,
 * one test per rule, in the domain PMEM_EMULATE of the target names (adr or
 * eadr).
 *
 * The file is the persistent media: a child maps a file whose bytes are all
 * EU_OLD, stores EU_NEW (or a pattern) through the library, and is killed
 * with SIGKILL (or exits); the parent then reads the file with pread. A
 * test that does not apply to the domain skips, saying why.
 *
 * The target sets PMEM_MOVNT_THRESHOLD, so that the lengths below and above
 * the streaming threshold do not depend on the CPU.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libpmem.h>

#include "emu_util.h"

#define PAGE 4096
#define FILE_SIZE (4 * PAGE)
#define SMALL 128	/* below the threshold */
#define LARGE 8192	/* above it, over page boundaries */

static enum eu_domain Domain;
static size_t Threshold;
/* adr_or_eadr -- what the domain of the target expects */
static int
adr_or_eadr(int adr, int eadr)
{
	return Domain == EU_ADR ? adr : eadr;
}

/* The children's steps, besides eu_step_*: store EU_NEW into the span,
 * then ... */

static void
do_msync(char *p, size_t len, void *arg)
{
	struct eu_span *s = arg;
	eu_step_store(p, len, arg);
	EU_CHECK(pmem_msync(p + s->off, s->len) == 0);
}

static void
do_deep_persist(char *p, size_t len, void *arg)
{
	struct eu_span *s = arg;
	eu_step_store(p, len, arg);
	EU_CHECK(pmem_deep_persist(p + s->off, s->len) == 0);
}

static void
do_deep_drain(char *p, size_t len, void *arg)
{
	struct eu_span *s = arg;
	eu_step_store(p, len, arg);
	EU_CHECK(pmem_deep_drain(p + s->off, s->len) == 0);
}

static void
do_deep_flush_drain(char *p, size_t len, void *arg)
{
	struct eu_span *s = arg;
	eu_step_store(p, len, arg);
	pmem_deep_flush(p + s->off, s->len);
	pmem_drain();
}

static void
has_auto_flush_0_adr_1_eadr(void **state)
{
	(void)state;
	assert_int_equal(pmem_has_auto_flush(), adr_or_eadr(0, 1));
}

/* check_is_pmem -- the mapping is pmem, whole and in parts (child) */
static void
check_is_pmem(char *p, size_t len, void *arg)
{
	(void)arg;
	EU_CHECK(pmem_is_pmem(p, len) == 1);
	EU_CHECK(pmem_is_pmem(p, 1) == 1);
	EU_CHECK(pmem_is_pmem(p + PAGE + 3, 100) == 1);
	EU_CHECK(pmem_is_pmem(p + len - 1, 1) == 1);
}

static void
map_file_and_is_pmem_say_pmem(void **state)
{
	(void)state;
	char *f = eu_fresh_file(FILE_SIZE);
	/* eu_child_map checks *is_pmem == 1 */
	eu_child_run(f, check_is_pmem, NULL, EU_EXIT);
	eu_remove_file(f);
}

static void
other_memory_is_not_pmem(void **state)
{
	(void)state;
	/* no DAX, no PMEM_IS_PMEM_FORCE: without emulation, not pmem */
	char *a = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(a != MAP_FAILED);
	char *h = malloc(1000);
	assert_non_null(h);
	assert_int_equal(pmem_is_pmem(a, PAGE), 0);
	assert_int_equal(pmem_is_pmem(h, 1000), 0);
	/* and the calls work on it as without emulation */
	memset(h, 1, 1000);
	pmem_persist(h, 1000);
	pmem_flush(a, PAGE);
	pmem_drain();
	assert_int_equal(pmem_msync(a, PAGE), 0);
	free(h);
	munmap(a, PAGE);
}

static void
map_file_errors_as_usual(void **state)
{
	(void)state;
	char *missing = eu_join(Eu_dir, "missing");
	errno = 0;
	assert_null(pmem_map_file(missing, 0, 0, 0, NULL, NULL));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(eu_file_size(missing), -1);
	char *f = eu_fresh_file(PAGE);
	errno = 0;
	assert_null(pmem_map_file(f, 0, 0x10, 0, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(pmem_map_file(f, PAGE, PMEM_FILE_CREATE | PMEM_FILE_EXCL,
		0644, NULL, NULL));
	assert_int_equal(errno, EEXIST);
	eu_expect_bytes(f, 0, PAGE, EU_OLD);
	eu_remove_file(f);
	free(missing);
}

static void
store_without_flush_killed(void **state)
{
	(void)state;
	eu_expect_two_lines(eu_step_store, EU_KILL,
		adr_or_eadr(EU_OLD, EU_NEW));
}

static void
store_without_flush_exit(void **state)
{
	(void)state;
	eu_expect_two_lines(eu_step_store, EU_EXIT, EU_NEW);
}

static void
flush_without_drain_killed(void **state)
{
	(void)state;
	eu_expect_two_lines(eu_step_flush, EU_KILL,
		adr_or_eadr(EU_OLD, EU_NEW));
}

static void
flush_without_drain_exit(void **state)
{
	(void)state;
	eu_expect_two_lines(eu_step_flush, EU_EXIT, EU_NEW);
}

static void
flush_drain_killed(void **state)
{
	(void)state;
	eu_expect_two_lines(eu_step_flush_drain, EU_KILL, EU_NEW);
}

static void
persist_killed(void **state)
{
	(void)state;
	eu_expect_two_lines(eu_step_persist, EU_KILL, EU_NEW);
}

static void
msync_killed(void **state)
{
	(void)state;
	eu_expect_two_lines(do_msync, EU_KILL, EU_NEW);
}

static void
deep_persist_killed(void **state)
{
	(void)state;
	eu_expect_two_lines(do_deep_persist, EU_KILL, EU_NEW);
}

static void
deep_drain_without_flush_killed(void **state)
{
	(void)state;
	eu_expect_two_lines(do_deep_drain, EU_KILL, EU_NEW);
}

static void
deep_flush_then_drain_killed(void **state)
{
	(void)state;
	eu_expect_two_lines(do_deep_flush_drain, EU_KILL, EU_NEW);
}

static void
unmap_writes_back_stores(void **state)
{
	(void)state;
	eu_expect_two_lines(eu_step_store, EU_UNMAP_KILL, EU_NEW);
}

static void
unmap_writes_back_flushed_lines(void **state)
{
	(void)state;
	eu_expect_two_lines(eu_step_flush, EU_UNMAP_KILL, EU_NEW);
}

/* Unaligned ranges: every byte of them durable, nothing else changed. */

static void
msync_of_unaligned_range_killed(void **state)
{
	(void)state;
	struct eu_span s = { PAGE + 10, 100 };
	eu_expect_step(FILE_SIZE, &s, do_msync, EU_KILL, EU_NEW);
}

static void
persist_over_several_pages_killed(void **state)
{
	(void)state;
	struct eu_span s = { 4000, 2 * PAGE + 200 };
	eu_expect_step(FILE_SIZE, &s, eu_step_persist, EU_KILL, EU_NEW);
}

/* store_lines_persist_one -- four lines stored, only the second persisted */
static void
store_lines_persist_one(char *p, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	memset(p + PAGE, EU_NEW, 4 * EU_LINE);
	pmem_persist(p + PAGE + EU_LINE, EU_LINE);
}

static void
persist_makes_only_its_lines_durable(void **state)
{
	(void)state;
	char *f = eu_fresh_file(FILE_SIZE);
	eu_child_run(f, store_lines_persist_one, NULL, EU_KILL);
	int other = adr_or_eadr(EU_OLD, EU_NEW);
	eu_expect_bytes(f, PAGE, EU_LINE, other);
	eu_expect_bytes(f, PAGE + EU_LINE, EU_LINE, EU_NEW);
	eu_expect_bytes(f, PAGE + 2 * EU_LINE, 2 * EU_LINE, other);
	eu_expect_bytes(f, 0, PAGE, EU_OLD);
	eu_expect_bytes(f, PAGE + 4 * EU_LINE, FILE_SIZE - PAGE - 4 * EU_LINE,
		EU_OLD);
	eu_remove_file(f);
}

/*
 * A drained line is never lost afterwards: content A made durable, then
 * B stored over it (and flushed, or flushed many times, but not drained):
 * after the kill the file holds A under ADR (B was not drained), B under
 * eADR, and never the older content.
 */

/* a_drained_then_b -- arg: 0 B stored, 1 B also flushed */
static void
a_drained_then_b(char *p, size_t len, void *arg)
{
	(void)len;
	int flush_b = *(int *)arg;
	char *l = p + PAGE;
	memset(l, 'A', EU_LINE);
	pmem_persist(l, EU_LINE);
	memset(l, 'B', EU_LINE);
	if (flush_b)
		pmem_flush(l, EU_LINE);
}

static void
drained_line_kept_after_new_store(void **state)
{
	(void)state;
	char *f = eu_fresh_file(FILE_SIZE);
	int flush_b = 0;
	eu_child_run(f, a_drained_then_b, &flush_b, EU_KILL);
	eu_expect_bytes(f, PAGE, EU_LINE, adr_or_eadr('A', 'B'));
	eu_remove_file(f);
}

static void
drained_line_kept_after_new_flush(void **state)
{
	(void)state;
	char *f = eu_fresh_file(FILE_SIZE);
	int flush_b = 1;
	eu_child_run(f, a_drained_then_b, &flush_b, EU_KILL);
	eu_expect_bytes(f, PAGE, EU_LINE, adr_or_eadr('A', 'B'));
	eu_remove_file(f);
}

/* many_persists_then_store -- 200 versions persisted, one more stored */
static void
many_persists_then_store(char *p, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	char *l = p + PAGE;
	for (int v = 0; v < 200; v++) {
		memset(l, v, EU_LINE);
		pmem_persist(l, EU_LINE);
		/* its neighbour flushed with it, unchanged */
		pmem_persist(l, 2 * EU_LINE);
	}
	memset(l, 200, EU_LINE);
}

static void
last_drained_version_kept(void **state)
{
	(void)state;
	char *f = eu_fresh_file(FILE_SIZE);
	eu_child_run(f, many_persists_then_store, NULL, EU_KILL);
	eu_expect_bytes(f, PAGE, EU_LINE, adr_or_eadr(199, 200));
	eu_expect_bytes(f, PAGE + EU_LINE, EU_LINE, EU_OLD);
	eu_remove_file(f);
}

/* store_flush_store_drain -- A stored and flushed, B stored, drained */
static void
store_flush_store_drain(char *p, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	char *l = p + PAGE;
	memset(l, 'A', EU_LINE);
	pmem_flush(l, EU_LINE);
	memset(l, 'B', EU_LINE);
	pmem_drain();
}

static void
store_between_flush_and_drain_either_content(void **state)
{
	(void)state;
	char *f = eu_fresh_file(FILE_SIZE);
	eu_child_run(f, store_flush_store_drain, NULL, EU_KILL);
	unsigned char l[EU_LINE];
	eu_pread(f, PAGE, l, sizeof(l));
	int want = l[0] == 'A' && Domain == EU_ADR ? 'A' : 'B';
	eu_expect_bytes(f, PAGE, EU_LINE, want);
	eu_remove_file(f);
}

/* store_two_pages_unmap_one -- pages 0 and 2 stored, page 2 unmapped */
static void
store_two_pages_unmap_one(char *p, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	memset(p, EU_NEW, PAGE);
	memset(p + 2 * PAGE, EU_NEW, PAGE);
	EU_CHECK(pmem_unmap(p + 2 * PAGE, PAGE) == 0);
}

static void
unmap_of_part_writes_back_that_part(void **state)
{
	(void)state;
	char *f = eu_fresh_file(FILE_SIZE);
	eu_child_run(f, store_two_pages_unmap_one, NULL, EU_KILL);
	eu_expect_bytes(f, 0, PAGE, adr_or_eadr(EU_OLD, EU_NEW));
	eu_expect_bytes(f, PAGE, PAGE, EU_OLD);
	eu_expect_bytes(f, 2 * PAGE, PAGE, EU_NEW);
	eu_expect_bytes(f, 3 * PAGE, PAGE, EU_OLD);
	eu_remove_file(f);
}

/*
 * eADR, a page with streamed data not yet drained: what was stored there
 * before stays durable; after the drain, stores are durable at once again.
 */

/* store_then_stream -- line 0 stored, then line 2 streamed, not drained */
static void
store_then_stream(char *p, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	memset(p + PAGE, 'X', EU_LINE);
	pmem_memset(p + PAGE + 2 * EU_LINE, 'S', EU_LINE,
		PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_NODRAIN);
}

static void
eadr_store_before_stream_in_page_kept(void **state)
{
	(void)state;
	if (Domain != EU_EADR) {
		print_message("eADR only: under ADR the store is not durable\n");
		skip();
	}
	char *f = eu_fresh_file(FILE_SIZE);
	eu_child_run(f, store_then_stream, NULL, EU_KILL);
	eu_expect_bytes(f, PAGE, EU_LINE, 'X');
	eu_expect_bytes(f, PAGE + EU_LINE, EU_LINE, EU_OLD);
	eu_expect_bytes(f, PAGE + 2 * EU_LINE, EU_LINE, EU_OLD);
	eu_remove_file(f);
}

/* stream_drain_store -- line 2 streamed and drained, then line 0 stored */
static void
stream_drain_store(char *p, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	pmem_memset(p + PAGE + 2 * EU_LINE, 'S', EU_LINE,
		PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_NODRAIN);
	pmem_drain();
	memset(p + PAGE, 'X', EU_LINE);
}

static void
eadr_store_after_drained_stream_durable_at_once(void **state)
{
	(void)state;
	if (Domain != EU_EADR) {
		print_message("eADR only: under ADR the store is not durable\n");
		skip();
	}
	char *f = eu_fresh_file(FILE_SIZE);
	eu_child_run(f, stream_drain_store, NULL, EU_KILL);
	eu_expect_bytes(f, PAGE, EU_LINE, 'X');
	eu_expect_bytes(f, PAGE + EU_LINE, EU_LINE, EU_OLD);
	eu_expect_bytes(f, PAGE + 2 * EU_LINE, EU_LINE, 'S');
	eu_remove_file(f);
}

/* Mappings whose length is not a multiple of the page size. */

#define ODD_SIZE 5000

static void
store_all(char *p, size_t len, void *arg)
{
	(void)arg;
	EU_CHECK(len == ODD_SIZE);
	memset(p, EU_NEW, len);
}

static void
persist_all(char *p, size_t len, void *arg)
{
	store_all(p, len, arg);
	pmem_persist(p, len);
}

static void
odd_length_persist_killed(void **state)
{
	(void)state;
	char *f = eu_fresh_file(ODD_SIZE);
	eu_child_run(f, persist_all, NULL, EU_KILL);
	eu_expect_bytes(f, 0, ODD_SIZE, EU_NEW);
	assert_int_equal(eu_file_size(f), ODD_SIZE);
	eu_remove_file(f);
}

static void
odd_length_store_exit(void **state)
{
	(void)state;
	char *f = eu_fresh_file(ODD_SIZE);
	eu_child_run(f, store_all, NULL, EU_EXIT);
	eu_expect_bytes(f, 0, ODD_SIZE, EU_NEW);
	assert_int_equal(eu_file_size(f), ODD_SIZE);
	eu_remove_file(f);
}

static void
odd_length_store_unmap(void **state)
{
	(void)state;
	char *f = eu_fresh_file(ODD_SIZE);
	eu_child_run(f, store_all, NULL, EU_UNMAP_KILL);
	eu_expect_bytes(f, 0, ODD_SIZE, EU_NEW);
	assert_int_equal(eu_file_size(f), ODD_SIZE);
	eu_remove_file(f);
}

static void
odd_length_created_file(void **state)
{
	(void)state;
	char *f = eu_join(Eu_dir, "created");
	pid_t pid = eu_fork();
	if (pid == 0) {
		size_t len;
		int is_pmem = 0;
		char *p = pmem_map_file(f, ODD_SIZE,
			PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0644, &len,
			&is_pmem);
		EU_CHECK(p != NULL);
		EU_CHECK(is_pmem == 1);
		EU_CHECK(len == ODD_SIZE);
		memset(p, EU_NEW, 100);
		pmem_persist(p, 100);
		memset(p + ODD_SIZE - 100, EU_NEW, 100);
		pmem_persist(p + ODD_SIZE - 100, 100);
		EU_CHECK(pmem_unmap(p, len) == 0);
		eu_kill_self();
	}
	eu_expect_killed(pid);
	assert_int_equal(eu_file_size(f), ODD_SIZE);
	eu_expect_bytes(f, 0, 100, EU_NEW);
	eu_expect_bytes(f, 100, ODD_SIZE - 200, 0);
	eu_expect_bytes(f, ODD_SIZE - 100, 100, EU_NEW);
	eu_remove_file(f);
}

/*
 * fork(): the child goes on using the mapping and the library. The child
 * of the test persists line 0, forks a grandchild that persists line 1 and
 * is killed, then stores line 2 without flushing and is killed.
 */
static void
persist_in_forked_child(char *p, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	memset(p, EU_NEW, EU_LINE);
	pmem_persist(p, EU_LINE);
	fflush(NULL);
	pid_t pid = fork();
	EU_CHECK(pid >= 0);
	if (pid == 0) {
		memset(p + EU_LINE, EU_NEW, EU_LINE);
		pmem_persist(p + EU_LINE, EU_LINE);
		eu_kill_self();
	}
	int status;
	EU_CHECK(waitpid(pid, &status, 0) == pid);
	EU_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	memset(p + 2 * EU_LINE, EU_NEW, EU_LINE);
}

static void
mapping_usable_after_fork(void **state)
{
	(void)state;
	char *f = eu_fresh_file(FILE_SIZE);
	eu_child_run(f, persist_in_forked_child, NULL, EU_KILL);
	eu_expect_bytes(f, 0, 2 * EU_LINE, EU_NEW);
	eu_expect_bytes(f, 2 * EU_LINE, EU_LINE, adr_or_eadr(EU_OLD, EU_NEW));
	eu_expect_bytes(f, 3 * EU_LINE, FILE_SIZE - 3 * EU_LINE, EU_OLD);
	eu_remove_file(f);
}

/*
 * The memcpy/memmove/memset family, one test per function, form, flags,
 * length and kill (before or after a pmem_drain). Expected, from the SPEC:
 * ADR keeps what was flushed (all but NOFLUSH) and then drained; eADR keeps
 * everything but streamed data not yet drained, and under eADR only an
 * explicit NONTEMPORAL without NOFLUSH streams (as on real eADR hardware:
 * WC, the threshold and the _persist forms use cached stores).
 */

enum op { OP_MEMCPY, OP_MEMMOVE, OP_MEMSET };
enum form { FORM_PERSIST, FORM_NODRAIN, FORM_FLAGS };

struct copy_case {
	enum op op;
	enum form form;
	unsigned flags;		/* FORM_FLAGS */
	size_t len;
	bool drain;		/* pmem_drain after it, before the kill */
	bool flush;		/* pmem_flush of the range before that drain */
};

#define COPY_OFF (PAGE + EU_LINE)

/* copy_byte -- byte i of what the copies write (never EU_OLD) */
static unsigned char
copy_byte(const struct copy_case *c, size_t i)
{
	return c->op == OP_MEMSET ? EU_NEW : (unsigned char)('A' + i % 26);
}

/* do_copy -- the child's part of a copy case */
static void
do_copy(char *p, size_t len, void *arg)
{
	(void)len;
	const struct copy_case *c = arg;
	char *d = p + COPY_OFF;
	char *src = malloc(c->len);
	EU_CHECK(src != NULL);
	for (size_t i = 0; i < c->len; i++)
		src[i] = (char)copy_byte(c, i);
	void *r = NULL;
	switch (c->form) {
	case FORM_PERSIST:
		r = c->op == OP_MEMCPY ? pmem_memcpy_persist(d, src, c->len) :
			c->op == OP_MEMMOVE ?
			pmem_memmove_persist(d, src, c->len) :
			pmem_memset_persist(d, EU_NEW, c->len);
		break;
	case FORM_NODRAIN:
		r = c->op == OP_MEMCPY ? pmem_memcpy_nodrain(d, src, c->len) :
			c->op == OP_MEMMOVE ?
			pmem_memmove_nodrain(d, src, c->len) :
			pmem_memset_nodrain(d, EU_NEW, c->len);
		break;
	case FORM_FLAGS:
		r = c->op == OP_MEMCPY ?
			pmem_memcpy(d, src, c->len, c->flags) :
			c->op == OP_MEMMOVE ?
			pmem_memmove(d, src, c->len, c->flags) :
			pmem_memset(d, EU_NEW, c->len, c->flags);
		break;
	}
	EU_CHECK(r == d);
	EU_CHECK(memcmp(d, src, c->len) == 0);
	if (c->flush)
		pmem_flush(d, c->len);
	if (c->drain)
		pmem_drain();
	free(src);
}

/* copy_kept -- whether the SPEC makes the copy durable before the kill */
static bool
copy_kept(const struct copy_case *c)
{
	unsigned f = c->form == FORM_FLAGS ? c->flags :
		c->form == FORM_NODRAIN ? PMEM_F_MEM_NODRAIN : 0;
	bool noflush = f & PMEM_F_MEM_NOFLUSH;
	bool drained = c->drain ||
		!(f & (PMEM_F_MEM_NODRAIN | PMEM_F_MEM_NOFLUSH));
	bool flushed = !noflush || c->flush;
	bool streamed = !noflush && (f & PMEM_F_MEM_NONTEMPORAL);
	return Domain == EU_ADR ? flushed && drained : !streamed || drained;
}

static void
copy_then_kill(void **state)
{
	const struct copy_case *c = *state;
	char *f = eu_fresh_file(FILE_SIZE);
	eu_child_run(f, do_copy, (void *)c, EU_KILL);
	eu_expect_bytes(f, 0, COPY_OFF, EU_OLD);
	if (copy_kept(c)) {
		unsigned char *want = malloc(c->len);
		assert_non_null(want);
		for (size_t i = 0; i < c->len; i++)
			want[i] = copy_byte(c, i);
		eu_expect_content(f, COPY_OFF, want, c->len);
		free(want);
	} else {
		eu_expect_bytes(f, COPY_OFF, c->len, EU_OLD);
	}
	eu_expect_bytes(f, COPY_OFF + (off_t)c->len,
		FILE_SIZE - COPY_OFF - c->len, EU_OLD);
	eu_remove_file(f);
}

/*
 * A copy over data already drained: the drained data A stays until the
 * copy is durable (under eADR, the streamed one is not until drained).
 */
struct over_case {
	size_t len;
	unsigned flags;
};

static void
copy_over_drained(char *p, size_t len, void *arg)
{
	(void)len;
	const struct over_case *c = arg;
	pmem_memset_persist(p + PAGE, 'A', c->len);
	pmem_memset(p + PAGE, 'B', c->len, c->flags);
}

static void
copy_over_drained_data(size_t len, unsigned flags, int adr, int eadr)
{
	char *f = eu_fresh_file(FILE_SIZE);
	struct over_case c = { len, flags };
	eu_child_run(f, copy_over_drained, &c, EU_KILL);
	eu_expect_bytes(f, PAGE, len, adr_or_eadr(adr, eadr));
	eu_remove_file(f);
}

static void
streamed_copy_over_drained_data_killed_before_drain(void **state)
{
	(void)state;
	copy_over_drained_data(LARGE,
		PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_NODRAIN, 'A', 'A');
	copy_over_drained_data(SMALL,
		PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_NODRAIN, 'A', 'A');
}

static void
cached_copy_over_drained_data_killed_before_drain(void **state)
{
	(void)state;
	copy_over_drained_data(SMALL, PMEM_F_MEM_NODRAIN, 'A', 'B');
	copy_over_drained_data(LARGE, PMEM_F_MEM_NODRAIN, 'A', 'B');
	copy_over_drained_data(LARGE, PMEM_F_MEM_WC | PMEM_F_MEM_NODRAIN,
		'A', 'B');
	copy_over_drained_data(LARGE, PMEM_F_MEM_TEMPORAL | PMEM_F_MEM_NODRAIN,
		'A', 'B');
	copy_over_drained_data(LARGE, PMEM_F_MEM_NOFLUSH, 'A', 'B');
}

/* move_overlapping -- a persisted pattern moved up by one line, persisted */
static void
move_overlapping(char *p, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	char *d = p + PAGE;
	for (size_t i = 0; i < LARGE; i++)
		d[i] = (char)('A' + i % 26);
	pmem_persist(d, LARGE);
	EU_CHECK(pmem_memmove_persist(d + EU_LINE, d, LARGE) == d + EU_LINE);
}

static void
overlapping_memmove_persist_killed(void **state)
{
	(void)state;
	char *f = eu_fresh_file(FILE_SIZE);
	eu_child_run(f, move_overlapping, NULL, EU_KILL);
	unsigned char *want = malloc(LARGE + EU_LINE);
	assert_non_null(want);
	for (size_t i = 0; i < EU_LINE; i++)
		want[i] = (unsigned char)('A' + i % 26);
	for (size_t i = 0; i < LARGE; i++)
		want[EU_LINE + i] = (unsigned char)('A' + i % 26);
	eu_expect_content(f, PAGE, want, LARGE + EU_LINE);
	free(want);
	eu_remove_file(f);
}

#define MAX_COPY_CASES 128

static struct copy_case Copy_cases[MAX_COPY_CASES];
static char *Copy_names[MAX_COPY_CASES];
static int Ncopy;

/* flag_names -- "NONTEMPORAL|NODRAIN" for the test names */
static void
flag_names(unsigned flags, char *buf, size_t size)
{
	static const struct {
		unsigned f;
		const char *name;
	} names[] = {
		{ PMEM_F_MEM_NONTEMPORAL, "NONTEMPORAL" },
		{ PMEM_F_MEM_TEMPORAL, "TEMPORAL" },
		{ PMEM_F_MEM_WC, "WC" },
		{ PMEM_F_MEM_WB, "WB" },
		{ PMEM_F_MEM_NOFLUSH, "NOFLUSH" },
		{ PMEM_F_MEM_NODRAIN, "NODRAIN" },
	};
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (flags & names[i].f) {
			if (buf[0] != '\0')
				strncat(buf, "|", size - strlen(buf) - 1);
			strncat(buf, names[i].name, size - strlen(buf) - 1);
		}
	}
	if (buf[0] == '\0')
		snprintf(buf, size, "0");
}

/* add_copy -- one copy case and its name */
static void
add_copy(enum op op, enum form form, unsigned flags, size_t len, bool drain,
		bool flush)
{
	static const char *ops[] = { "memcpy", "memmove", "memset" };
	assert_true(Ncopy < MAX_COPY_CASES);
	struct copy_case *c = &Copy_cases[Ncopy];
	*c = (struct copy_case){ op, form, flags, len, drain, flush };
	char fl[64];
	flag_names(flags, fl, sizeof(fl));
	const char *how = form == FORM_PERSIST ? "_persist" :
		form == FORM_NODRAIN ? "_nodrain" : "";
	int r = asprintf(&Copy_names[Ncopy], "pmem_%s%s%s%s_len_%zu%s%s",
		ops[op], how, form == FORM_FLAGS ? "_flags_" : "",
		form == FORM_FLAGS ? fl : "", len,
		flush ? "_then_flush" : "",
		drain ? "_then_drain_then_kill" : "_then_kill");
	assert_true(r > 0);
	Ncopy++;
}

/* add_copy_cases -- every function, form, flags and length */
static void
add_copy_cases(void)
{
	/* flags that leave the drain to the caller: killed before and after */
	static const unsigned undrained[] = {
		PMEM_F_MEM_NODRAIN,
		PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_NODRAIN,
		PMEM_F_MEM_TEMPORAL | PMEM_F_MEM_NODRAIN,
		PMEM_F_MEM_WC | PMEM_F_MEM_NODRAIN,
		PMEM_F_MEM_WB | PMEM_F_MEM_NODRAIN,
		PMEM_F_MEM_NOFLUSH,
	};
	/* flags with the drain inside */
	static const unsigned drained[] = {
		0,
		PMEM_F_MEM_NONTEMPORAL,
		PMEM_F_MEM_TEMPORAL,
	};
	static const size_t lens[] = { SMALL, LARGE };
	for (enum op op = OP_MEMCPY; op <= OP_MEMSET; op++) {
		for (size_t l = 0; l < 2; l++) {
			size_t len = lens[l];
			add_copy(op, FORM_PERSIST, 0, len, false, false);
			add_copy(op, FORM_NODRAIN, 0, len, false, false);
			add_copy(op, FORM_NODRAIN, 0, len, true, false);
			for (size_t i = 0; i < sizeof(drained) /
					sizeof(drained[0]); i++)
				add_copy(op, FORM_FLAGS, drained[i], len,
					false, false);
			for (size_t i = 0; i < sizeof(undrained) /
					sizeof(undrained[0]); i++) {
				add_copy(op, FORM_FLAGS, undrained[i], len,
					false, false);
				add_copy(op, FORM_FLAGS, undrained[i], len,
					true, false);
			}
			add_copy(op, FORM_FLAGS, PMEM_F_MEM_NOFLUSH, len, true,
				true);
		}
	}
}

#define TEST(f) { #f, f, NULL, NULL, NULL }

int
main(void)
{
	Domain = eu_domain();
	const char *t = getenv("PMEM_MOVNT_THRESHOLD");
	if (t == NULL) {
		fprintf(stderr, "the target must set PMEM_MOVNT_THRESHOLD\n");
		return 1;
	}
	Threshold = (size_t)atol(t);
	if (!(SMALL < Threshold && Threshold <= LARGE)) {
		fprintf(stderr, "PMEM_MOVNT_THRESHOLD must be in (%d, %d]\n",
			SMALL, LARGE);
		return 1;
	}
	printf("domain %s, streaming threshold %zu\n",
		eu_domain_name(Domain), Threshold);

	static const struct CMUnitTest fixed[] = {
		TEST(has_auto_flush_0_adr_1_eadr),
		TEST(map_file_and_is_pmem_say_pmem),
		TEST(other_memory_is_not_pmem),
		TEST(map_file_errors_as_usual),
		TEST(store_without_flush_killed),
		TEST(store_without_flush_exit),
		TEST(flush_without_drain_killed),
		TEST(flush_without_drain_exit),
		TEST(flush_drain_killed),
		TEST(persist_killed),
		TEST(msync_killed),
		TEST(deep_persist_killed),
		TEST(deep_drain_without_flush_killed),
		TEST(deep_flush_then_drain_killed),
		TEST(unmap_writes_back_stores),
		TEST(unmap_writes_back_flushed_lines),
		TEST(msync_of_unaligned_range_killed),
		TEST(persist_over_several_pages_killed),
		TEST(persist_makes_only_its_lines_durable),
		TEST(drained_line_kept_after_new_store),
		TEST(drained_line_kept_after_new_flush),
		TEST(last_drained_version_kept),
		TEST(store_between_flush_and_drain_either_content),
		TEST(unmap_of_part_writes_back_that_part),
		TEST(eadr_store_before_stream_in_page_kept),
		TEST(eadr_store_after_drained_stream_durable_at_once),
		TEST(odd_length_persist_killed),
		TEST(odd_length_store_exit),
		TEST(odd_length_store_unmap),
		TEST(odd_length_created_file),
		TEST(mapping_usable_after_fork),
		TEST(streamed_copy_over_drained_data_killed_before_drain),
		TEST(cached_copy_over_drained_data_killed_before_drain),
		TEST(overlapping_memmove_persist_killed),
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	add_copy_cases();
	struct CMUnitTest *tests = calloc(nfixed + (size_t)Ncopy,
		sizeof(*tests));
	if (tests == NULL)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	for (int i = 0; i < Ncopy; i++) {
		tests[nfixed + (size_t)i] = (struct CMUnitTest){
			Copy_names[i], copy_then_kill, NULL, NULL,
			&Copy_cases[i],
		};
	}
	int ret = _cmocka_run_group_tests("emu_contract", tests,
		nfixed + (size_t)Ncopy, eu_setup, eu_teardown);
	for (int i = 0; i < Ncopy; i++)
		free(Copy_names[i]);
	free(tests);
	return ret;
}

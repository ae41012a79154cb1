/*
 * memops_test.c -- pmem_memmove, pmem_memcpy, pmem_memset and their _nodrain
 * and _persist forms copy and fill correctly under the engine this target
 * selects (see BUILD: one target per engine, chosen by environment).
 *
 * Every operation runs on a buffer filled with a pattern and, as a model,
 * libc's memmove/memset runs on a copy; the two must then be equal over the
 * destination and GUARD bytes on each side, so a byte written outside the
 * destination is caught as surely as a wrong byte inside it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <libpmem.h>

#include "chosen_check.h"
#include "lib/ops.h"

#define KiB (1024u)
#define MiB (1024u * 1024u)
/* bytes compared on each side of a destination: the widest block an
 * engine stores at once (4 lines) */
#define GUARD 256
#define MAX_LEN (4 * MiB)
/* Buf, Ref and Src hold a destination or source of MAX_LEN at any offset
 * below 64 KiB from BASE, with room for GUARD and overlapping moves */
#define BASE (64 * KiB)
#define REGION (MAX_LEN + MiB)

#define F_NODRAIN PMEM_F_MEM_NODRAIN
#define F_NT PMEM_F_MEM_NONTEMPORAL
#define F_T PMEM_F_MEM_TEMPORAL
#define F_WC PMEM_F_MEM_WC
#define F_WB PMEM_F_MEM_WB
#define F_NOFLUSH PMEM_F_MEM_NOFLUSH
#define F_ALL PMEM_F_MEM_VALID_FLAGS

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static unsigned char *Buf;	/* what the library writes */
static unsigned char *Ref;	/* what libc writes, the model */
static unsigned char *Pat;	/* the pattern Buf and Ref start from */
static unsigned char *Src;	/* read-only source of non-overlapping copies */

enum op {
	MEMMOVE, MEMCPY, MEMSET,
	MEMMOVE_NODRAIN, MEMCPY_NODRAIN, MEMSET_NODRAIN,
	MEMMOVE_PERSIST, MEMCPY_PERSIST, MEMSET_PERSIST,
	NOPS
};

static const char *const Op_name[NOPS] = {
	"pmem_memmove", "pmem_memcpy", "pmem_memset",
	"pmem_memmove_nodrain", "pmem_memcpy_nodrain", "pmem_memset_nodrain",
	"pmem_memmove_persist", "pmem_memcpy_persist", "pmem_memset_persist",
};

static const enum op Move_ops[] = {
	MEMMOVE, MEMCPY, MEMMOVE_NODRAIN, MEMCPY_NODRAIN,
	MEMMOVE_PERSIST, MEMCPY_PERSIST,
};

static const enum op Set_ops[] = { MEMSET, MEMSET_NODRAIN, MEMSET_PERSIST };

/* flags that reach every path of the flag dispatch: none (the length
 * decides), streaming, cached with flush, and cached without flush */
static const unsigned Path_flags[] = { 0, F_NT, F_T, F_NOFLUSH };

/* is_set -- the op fills rather than copies */
static int
is_set(enum op op)
{
	return op == MEMSET || op == MEMSET_NODRAIN || op == MEMSET_PERSIST;
}

/* takes_flags -- the op has a flags argument */
static int
takes_flags(enum op op)
{
	return op == MEMMOVE || op == MEMCPY || op == MEMSET;
}

/* call -- runs op; flags are passed only to the ops that take them */
static void *
call(enum op op, void *d, const void *s, int c, size_t n, unsigned f)
{
	switch (op) {
	case MEMMOVE:
		return pmem_memmove(d, s, n, f);
	case MEMCPY:
		return pmem_memcpy(d, s, n, f);
	case MEMSET:
		return pmem_memset(d, c, n, f);
	case MEMMOVE_NODRAIN:
		return pmem_memmove_nodrain(d, s, n);
	case MEMCPY_NODRAIN:
		return pmem_memcpy_nodrain(d, s, n);
	case MEMSET_NODRAIN:
		return pmem_memset_nodrain(d, c, n);
	case MEMMOVE_PERSIST:
		return pmem_memmove_persist(d, s, n);
	case MEMCPY_PERSIST:
		return pmem_memcpy_persist(d, s, n);
	case MEMSET_PERSIST:
		return pmem_memset_persist(d, c, n);
	case NOPS:
		break;
	}
	fail();
	return NULL;
}

/* map -- anonymous private memory (fails the test if there is none) */
static unsigned char *
map(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

/* fill_pattern -- pseudo-random bytes, a different run for each seed, so
 * that a byte copied from a wrong place, or not copied, shows */
static void
fill_pattern(unsigned char *p, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)(x >> 24);
	}
}

/* setup -- the buffers, once for all tests */
static int
setup(void **state)
{
	(void)state;
	Buf = map(REGION, PROT_READ | PROT_WRITE);
	Ref = map(REGION, PROT_READ | PROT_WRITE);
	Pat = map(REGION, PROT_READ | PROT_WRITE);
	Src = map(REGION, PROT_READ | PROT_WRITE);
	fill_pattern(Pat, REGION, 1);
	fill_pattern(Src, REGION, 2);
	/* a copy that wrote to its source would fault */
	assert_int_equal(mprotect(Src, REGION, PROT_READ), 0);
	return 0;
}

/* reset -- Buf and Ref back to the pattern, before each test */
static int
reset(void **state)
{
	(void)state;
	memcpy(Buf, Pat, REGION);
	memcpy(Ref, Pat, REGION);
	return 0;
}

/* restore -- after a check that passed, the only bytes of Buf and Ref
 * that differ from the pattern are the destination's: put them back */
static void
restore(size_t doff, size_t len)
{
	memcpy(Buf + doff, Pat + doff, len);
	memcpy(Ref + doff, Pat + doff, len);
}

/* teardown -- unmaps the buffers */
static int
teardown(void **state)
{
	(void)state;
	munmap(Buf, REGION);
	munmap(Ref, REGION);
	munmap(Pat, REGION);
	munmap(Src, REGION);
	return 0;
}

/* describe -- the call, for failure messages */
static void
describe(char *out, size_t size, enum op op, size_t len, size_t doff,
		const char *src, unsigned flags)
{
	int n = snprintf(out, size, "%s(dst=%zu mod 64, %s, len=%zu", Op_name[op],
		doff % 64, src, len);
	if (takes_flags(op) && n > 0 && (size_t)n < size)
		snprintf(out + n, size - (size_t)n, ", flags=0x%x)", flags);
	else if (n > 0 && (size_t)n < size)
		snprintf(out + n, size - (size_t)n, ")");
}

/* first_difference -- offset from doff of the first byte in [lo, hi)
 * where Buf and Ref differ, and the two bytes; 0 if there is none */
static int
first_difference(size_t lo, size_t hi, size_t doff, char *out, size_t size)
{
	if (memcmp(Buf + lo, Ref + lo, hi - lo) == 0)
		return 0;
	size_t i = lo;
	while (Buf[i] == Ref[i])
		i++;
	snprintf(out, size, "byte at dst%+td is 0x%02x, expected 0x%02x",
		(ptrdiff_t)i - (ptrdiff_t)doff, Buf[i], Ref[i]);
	return 1;
}

/* check_copy -- copies len bytes to Buf+doff from Src+soff, or from
 * Buf+soff if overlap (so source and destination may overlap), and checks
 * the result, the bytes around it and the return value */
static void
check_copy(enum op op, size_t doff, size_t soff, size_t len, unsigned flags,
		int overlap)
{
	size_t lo = (doff < soff || !overlap ? doff : soff) - GUARD;
	size_t hi = (doff > soff || !overlap ? doff : soff) + len + GUARD;
	const unsigned char *s = overlap ? Buf + soff : Src + soff;
	const unsigned char *model_s = overlap ? Ref + soff : Src + soff;

	void *r = call(op, Buf + doff, s, 0, len, flags);
	memmove(Ref + doff, model_s, len);

	char diff[64] = "";
	if (r == Buf + doff && !first_difference(lo, hi, doff, diff,
			sizeof(diff))) {
		restore(doff, len);
		return;
	}
	char what[160];
	char src[48];
	if (overlap)
		snprintf(src, sizeof(src), "src=dst%+td",
			(ptrdiff_t)soff - (ptrdiff_t)doff);
	else
		snprintf(src, sizeof(src), "src=%zu mod 64", soff % 64);
	describe(what, sizeof(what), op, len, doff, src, flags);
	if (r != Buf + doff)
		fail_msg("%s returned dst%+td", what,
			(unsigned char *)r - (Buf + doff));
	fail_msg("%s: %s", what, diff);
}

/* check_set -- fills len bytes at Buf+doff with c and checks the result,
 * the bytes around it and the return value */
static void
check_set(enum op op, size_t doff, int c, size_t len, unsigned flags)
{
	size_t lo = doff - GUARD, hi = doff + len + GUARD;

	void *r = call(op, Buf + doff, NULL, c, len, flags);
	memset(Ref + doff, c, len);

	char diff[64] = "";
	if (r == Buf + doff && !first_difference(lo, hi, doff, diff,
			sizeof(diff))) {
		restore(doff, len);
		return;
	}
	char what[160];
	char cs[32];
	snprintf(cs, sizeof(cs), "c=%d", c);
	describe(what, sizeof(what), op, len, doff, cs, flags);
	if (r != Buf + doff)
		fail_msg("%s returned dst%+td", what,
			(unsigned char *)r - (Buf + doff));
	fail_msg("%s: %s", what, diff);
}

/* check_op -- check_copy or check_set, whichever op is; c varies with len */
static void
check_op(enum op op, size_t doff, size_t soff, size_t len, unsigned flags)
{
	if (is_set(op))
		check_set(op, doff, (int)(0x100 + 37 * len + doff), len, flags);
	else
		check_copy(op, doff, soff, len, flags, 0);
}

static void
every_entry_point_is_correct_for_sizes_0_to_300(void **state)
{
	(void)state;
	static const size_t offs[][2] = { {0, 0}, {1, 63}, {33, 7}, {63, 0} };
	for (enum op op = 0; op < NOPS; op++)
		for (size_t len = 0; len <= 300; len++)
			for (size_t o = 0; o < ARRAY_SIZE(offs); o++)
				check_op(op, BASE + offs[o][0],
					BASE + offs[o][1], len, 0);
}

/* sizes above 300, around every boundary an engine might have */
static const size_t Large_sizes[] = {
	320, 383, 384, 385, 511, 512, 513, 767, 768, 769, 1000, 1023, 1024,
	1025, 2047, 2048, 2049, 4095, 4096, 4097, 8191, 8192, 8193, 12345,
	32768, 65535, 65536, 65537, 131075, MiB - 1, 2 * MiB - 1, 2 * MiB,
	4 * MiB,
};

static void
every_entry_point_is_correct_for_large_sizes(void **state)
{
	(void)state;
	static const size_t offs[][2] = { {0, 0}, {17, 45} };
	for (enum op op = 0; op < NOPS; op++)
	for (size_t i = 0; i < ARRAY_SIZE(Large_sizes); i++)
	for (size_t o = 0; o < ARRAY_SIZE(offs); o++) {
		/* from 1 MiB on, one placement per size and only the
		 * default and streaming paths, to bound the time */
		int huge = Large_sizes[i] >= MiB;
		if (huge && (i + op) % 2 != o)
			continue;
		for (size_t f = 0; f < ARRAY_SIZE(Path_flags); f++) {
			if (f > 0 && !takes_flags(op))
				break;
			if (huge && f > 1)
				break;
			check_op(op, BASE + offs[o][0], BASE + offs[o][1],
				Large_sizes[i], Path_flags[f]);
		}
	}
}

/* sizes that reach every branch of the small copies, the line loops and
 * the streamed tails, whatever the misalignment */
static const size_t Grid_sizes[] = {
	1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129,
	255, 256, 257, 300, 1000,
};

static void
copy_is_correct_at_every_misalignment(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(Grid_sizes); i++)
		for (size_t f = 0; f < ARRAY_SIZE(Path_flags); f++)
			for (size_t d = 0; d < 64; d++)
				for (size_t s = 0; s < 64; s++)
					check_copy(MEMCPY, BASE + d, BASE + s,
						Grid_sizes[i], Path_flags[f],
						0);
}

static void
set_is_correct_at_every_misalignment(void **state)
{
	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(Path_flags); f++)
		for (size_t d = 0; d < 64; d++) {
			for (size_t len = 0; len <= 300; len++)
				check_set(MEMSET, BASE + d, (int)(len + d), len,
					Path_flags[f]);
			check_set(MEMSET, BASE + d, 0xa5, 1000, Path_flags[f]);
			check_set(MEMSET, BASE + d, 0x5a, 4097, Path_flags[f]);
		}
}

static void
every_flag_combination_is_correct(void **state)
{
	(void)state;
	static const size_t sizes[] = {
		0, 1, 8, 63, 64, 65, 200, 255, 256, 257, 1000, 4097,
	};
	static const size_t offs[][2] = { {0, 0}, {3, 17}, {60, 1} };
	/* bits outside PMEM_F_MEM_VALID_FLAGS must be ignored */
	static const unsigned unknown[] = { 0, 1u << 6, 1u << 31, ~F_ALL };
	static const enum op ops[] = { MEMMOVE, MEMCPY, MEMSET };
	for (unsigned f = 0; f <= F_ALL; f++)
		for (size_t u = 0; u < ARRAY_SIZE(unknown); u++)
			for (size_t op = 0; op < ARRAY_SIZE(ops); op++)
				for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
					for (size_t o = 0; o < ARRAY_SIZE(offs);
							o++)
						check_op(ops[op],
							BASE + offs[o][0],
							BASE + offs[o][1],
							sizes[i],
							f | unknown[u]);
}

/* run_overlaps -- every move op and flag path, dst at src + delta and at
 * src - delta, over the given sizes (only those that overlap) */
static void
run_overlaps(const size_t *sizes, size_t nsizes, const size_t *deltas,
		size_t ndeltas, const size_t *misalign, size_t nmisalign)
{
	for (size_t i = 0; i < ARRAY_SIZE(Move_ops); i++) {
		enum op op = Move_ops[i];
		for (size_t f = 0; f < ARRAY_SIZE(Path_flags); f++) {
			if (f > 0 && !takes_flags(op))
				break;
			for (size_t n = 0; n < nsizes; n++)
			for (size_t d = 0; d < ndeltas; d++)
			for (size_t m = 0; m < nmisalign; m++) {
				size_t len = sizes[n], delta = deltas[d];
				if (delta >= len)
					continue;
				size_t lo = BASE + misalign[m];
				/* destination above the source: backward */
				check_copy(op, lo + delta, lo, len,
					Path_flags[f], 1);
				/* destination below the source: forward */
				check_copy(op, lo, lo + delta, len,
					Path_flags[f], 1);
			}
		}
	}
}

static void
overlapping_moves_are_correct_both_ways(void **state)
{
	(void)state;
	static const size_t sizes[] = {
		2, 5, 8, 9, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129,
		255, 256, 257, 300, 511, 512, 1000, 4097,
	};
	static const size_t deltas[] = {
		1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127,
		128, 129, 255, 256, 257, 1000,
	};
	static const size_t misalign[] = { 0, 5, 60 };
	run_overlaps(sizes, ARRAY_SIZE(sizes), deltas, ARRAY_SIZE(deltas),
		misalign, ARRAY_SIZE(misalign));
}

static void
large_overlapping_moves_are_correct_both_ways(void **state)
{
	(void)state;
	static const size_t sizes[] = { 65537 };
	static const size_t deltas[] = { 1, 64, 4097 };
	static const size_t misalign[] = { 0, 27 };
	run_overlaps(sizes, ARRAY_SIZE(sizes), deltas, ARRAY_SIZE(deltas),
		misalign, ARRAY_SIZE(misalign));
	/* 2 MiB: the flag paths of pmem_memmove only, to bound the time */
	size_t lo = BASE + 27;
	for (size_t f = 0; f < ARRAY_SIZE(Path_flags); f++) {
		check_copy(MEMMOVE, lo + 1, lo, 2 * MiB, Path_flags[f], 1);
		check_copy(MEMMOVE, lo, lo + 4097, 2 * MiB, Path_flags[f], 1);
	}
}

static void
copy_onto_itself_changes_nothing(void **state)
{
	(void)state;
	static const size_t sizes[] = { 1, 8, 63, 64, 65, 256, 4097 };
	for (size_t i = 0; i < ARRAY_SIZE(Move_ops); i++)
		for (size_t f = 0; f < ARRAY_SIZE(Path_flags); f++) {
			if (f > 0 && !takes_flags(Move_ops[i]))
				break;
			for (size_t n = 0; n < ARRAY_SIZE(sizes); n++)
				check_copy(Move_ops[i], BASE + 3, BASE + 3,
					sizes[n], Path_flags[f], 1);
		}
}

/* An empty range, or a copy onto itself, must not touch memory at all:
 * both work even on a page that can be neither read nor written. */
static void
empty_range_and_copy_onto_itself_touch_no_memory(void **state)
{
	(void)state;
	unsigned char *none = map(4096, PROT_NONE);
	for (enum op op = 0; op < NOPS; op++)
		for (unsigned f = 0; f <= F_ALL; f++) {
			if (f > 0 && !takes_flags(op))
				break;
			for (size_t off = 0; off < 128; off += 61) {
				unsigned char *p = none + off;
				assert_ptr_equal(call(op, p, none + 7, 0x33, 0,
					f), p);
				if (!is_set(op))
					assert_ptr_equal(call(op, p, p, 0, 100,
						f), p);
			}
		}
	munmap(none, 4096);
}

static void
set_uses_c_as_unsigned_char(void **state)
{
	(void)state;
	static const int cs[] = {
		0x1ab, -1, -256, 0x80, 0x7f, INT_MIN + 0x42, INT_MAX, 0,
	};
	static const size_t sizes[] = {
		1, 7, 8, 9, 63, 64, 65, 255, 256, 257, 4097,
	};
	for (size_t i = 0; i < ARRAY_SIZE(Set_ops); i++)
	for (size_t f = 0; f < ARRAY_SIZE(Path_flags); f++) {
		if (f > 0 && !takes_flags(Set_ops[i]))
			break;
		for (size_t c = 0; c < ARRAY_SIZE(cs); c++)
		for (size_t n = 0; n < ARRAY_SIZE(sizes); n++) {
			unsigned char *d = Buf + BASE + 5;
			memset(d, ~cs[c], sizes[n]);
			call(Set_ops[i], d, NULL, cs[c], sizes[n],
				Path_flags[f]);
			for (size_t k = 0; k < sizes[n]; k++)
				if (d[k] != (unsigned char)cs[c])
					fail_msg("%s(c=%d, len=%zu): byte %zu "
						"is 0x%02x", Op_name[Set_ops[i]],
						cs[c], sizes[n], k, d[k]);
		}
	}
}

/*
 * Edge pages: two read-write pages between two inaccessible ones. A range
 * placed at the very start or the very end of the read-write part leaves
 * no slack: an engine that loads or stores a single byte beyond its source
 * or destination faults.
 */
#define EDGE_RW (2 * 4096)

/* edge_map -- PROT_NONE, EDGE_RW read-write bytes, PROT_NONE */
static unsigned char *
edge_map(void)
{
	unsigned char *p = map(EDGE_RW + 2 * 4096, PROT_NONE);
	assert_int_equal(mprotect(p + 4096, EDGE_RW, PROT_READ | PROT_WRITE),
		0);
	return p + 4096;
}

/* edge_unmap -- undoes edge_map */
static void
edge_unmap(unsigned char *rw)
{
	munmap(rw - 4096, EDGE_RW + 2 * 4096);
}

/* edge_check -- runs op with source and destination flush against the
 * given sides of their read-write areas, and checks the copy */
static void
edge_check(enum op op, unsigned flags, unsigned char *srw,
		unsigned char *drw, size_t len, int src_at_end, int dst_at_end)
{
	unsigned char *s = src_at_end ? srw + EDGE_RW - len : srw;
	unsigned char *d = dst_at_end ? drw + EDGE_RW - len : drw;
	int c = (int)(len * 3 + 1);
	memset(d, ~c, len);
	assert_ptr_equal(call(op, d, s, c, len, flags), d);
	for (size_t k = 0; k < len; k++)
		if (d[k] != (is_set(op) ? (unsigned char)c : s[k]))
			fail_msg("%s(len=%zu, flags 0x%x): byte %zu wrong",
				Op_name[op], len, flags, k);
}

static void
copy_and_set_touch_no_byte_outside_their_ranges(void **state)
{
	(void)state;
	unsigned char *srw = edge_map();
	unsigned char *drw = edge_map();
	fill_pattern(srw, EDGE_RW, 3);
	static const size_t extra[] = { 1000, 4095, 4096, 4097, EDGE_RW };
	for (size_t n = 0; n <= 300 + ARRAY_SIZE(extra); n++) {
		size_t len = n <= 300 ? n : extra[n - 301];
		for (enum op op = 0; op < NOPS; op++)
		for (size_t f = 0; f < ARRAY_SIZE(Path_flags); f++) {
			if (f > 0 && !takes_flags(op))
				break;
			for (int se = 0; se < 2; se++)
			for (int de = 0; de < 2; de++)
				edge_check(op, Path_flags[f], srw, drw, len,
					se, de);
		}
	}
	edge_unmap(srw);
	edge_unmap(drw);
}

/*
 * 8-byte atomicity. An 8-byte copy or fill to an 8-byte-aligned destination
 * must be one 8-byte store (PMDK's SIMD engines use two 4-byte stores and
 * are seen torn). A reader thread loads the word while this thread flips it
 * between all-zeros and all-ones; any other value is a torn store.
 */
#define RACE_WRITES 10000
#define RACE_MAX_NS (2 * 1000 * 1000 * 1000LL)

struct race {
	const uint64_t *word;
	int ready;		/* reader -> writer: it is reading */
	int stop;		/* writer -> reader: stop reading */
	int saw_both;		/* reader -> writer: saw both values */
	unsigned long reads;
	unsigned long torn;
	uint64_t torn_value;
};

/*
 * load_word -- one relaxed atomic 8-byte load of the word. The library's
 * stores are plain stores (its promise is about the instructions it uses,
 * not C11 atomics), so the race with them is the very thing under test:
 * ThreadSanitizer is told not to instrument this one load.
 */
__attribute__((no_sanitize_thread)) static uint64_t
load_word(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* race_reader -- loads the word until told to stop, counting torn values */
static void *
race_reader(void *arg)
{
	struct race *r = arg;
	int seen = 0;
	__atomic_store_n(&r->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		uint64_t v = load_word(r->word);
		r->reads++;
		if (v == 0)
			seen |= 1;
		else if (v == ~0ULL)
			seen |= 2;
		else if (r->torn++ == 0)
			r->torn_value = v;
		if (seen == 3)
			__atomic_store_n(&r->saw_both, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* now_ns -- monotonic time */
static long long
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const uint64_t Zeros = 0;
static const uint64_t Ones = ~0ULL;

/* race -- flips the word at line + off with pmem_memset (set) or
 * pmem_memcpy while a reader watches it; fails on a torn read */
static void
race(unsigned char *line, size_t off, int set, unsigned flags)
{
	uint64_t *word = (uint64_t *)(line + off);
	*word = 0;
	struct race r = { .word = word };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, race_reader, &r), 0);
	while (!__atomic_load_n(&r.ready, __ATOMIC_ACQUIRE))
		sched_yield();

	/* at least RACE_WRITES, and on until the reader has seen both values
	 * (it may not have been running), within a time bound */
	long long deadline = now_ns() + RACE_MAX_NS;
	unsigned long i;
	for (i = 0; i < RACE_WRITES ||
			(!__atomic_load_n(&r.saw_both, __ATOMIC_RELAXED) &&
			((i & 1023) != 0 || now_ns() < deadline)); i++) {
		if (set)
			pmem_memset(word, (i & 1) ? 0xff : 0, 8, flags);
		else
			pmem_memcpy(word, (i & 1) ? &Ones : &Zeros, 8, flags);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(t, NULL), 0);

	if (r.torn != 0)
		fail_msg("%s of 8 bytes at line+%zu, flags 0x%x: %lu of %lu "
			"reads torn (e.g. 0x%016llx)", set ? "pmem_memset" :
			"pmem_memcpy", off, flags, r.torn, r.reads,
			(unsigned long long)r.torn_value);
	/* else the test proved nothing */
	if (!r.saw_both)
		fail_msg("the reader never saw both values in %lu reads of "
			"%lu writes", r.reads, i);
}

/* race_all -- every 8-aligned offset in a line, flags 0 / NT / TEMPORAL */
static void
race_all(int set)
{
#ifdef __SANITIZE_ADDRESS__
	/* the libc engine copies with libc's memmove, which AddressSanitizer
	 * replaces with its own byte loop (internal_memmove) */
	if (!set && strcmp(Chosen.engine, "libc") == 0) {
		print_message("skipped: libc's memmove is AddressSanitizer's "
			"under --config=asan\n");
		skip();
	}
#endif
	static const unsigned flags[] = { 0, F_NT, F_T };
	unsigned char *line = Buf + BASE;
	for (size_t f = 0; f < ARRAY_SIZE(flags); f++)
		for (size_t off = 0; off < 64; off += 8)
			race(line, off, set, flags[f]);
}

static void
aligned_8_byte_memcpy_is_never_observed_torn(void **state)
{
	(void)state;
	race_all(0);
}

static void
aligned_8_byte_memset_is_never_observed_torn(void **state)
{
	(void)state;
	race_all(1);
}

int
main(void)
{
	const char *why = chosen_unsupported();
	if (why != NULL)
		return chosen_skip_target("memops", why);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(chosen_matches_target, reset),
		cmocka_unit_test_setup(every_entry_point_is_correct_for_sizes_0_to_300, reset),
		cmocka_unit_test_setup(every_entry_point_is_correct_for_large_sizes, reset),
		cmocka_unit_test_setup(copy_is_correct_at_every_misalignment, reset),
		cmocka_unit_test_setup(set_is_correct_at_every_misalignment, reset),
		cmocka_unit_test_setup(every_flag_combination_is_correct, reset),
		cmocka_unit_test_setup(overlapping_moves_are_correct_both_ways, reset),
		cmocka_unit_test_setup(large_overlapping_moves_are_correct_both_ways, reset),
		cmocka_unit_test_setup(copy_onto_itself_changes_nothing, reset),
		cmocka_unit_test_setup(empty_range_and_copy_onto_itself_touch_no_memory, reset),
		cmocka_unit_test_setup(set_uses_c_as_unsigned_char, reset),
		cmocka_unit_test_setup(copy_and_set_touch_no_byte_outside_their_ranges, reset),
		cmocka_unit_test_setup(aligned_8_byte_memcpy_is_never_observed_torn, reset),
		cmocka_unit_test_setup(aligned_8_byte_memset_is_never_observed_torn, reset),
	};
	return cmocka_run_group_tests_name("memops", tests, setup, teardown);
}

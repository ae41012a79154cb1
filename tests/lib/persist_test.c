/*
 * persist_test.c -- which flush and fence instructions pmem_flush,
 * pmem_drain, pmem_persist, pmem_deep_flush and the copy/set family issue,
 * under the flush instruction this target selects (see BUILD).
 *
 * The library is the counting build: every CLWB, CLFLUSHOPT, CLFLUSH and
 * SFENCE it executes is also counted, per thread, in Insn_counts. Expected
 * counts follow from Chosen (flush instruction, flushing on or off, engine,
 * threshold, WC workaround), which the first test checks against the target.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpmem.h>

#include "chosen_check.h"
#include "lib/ops.h"
#include "x86_insn.h"

#define LINE 64
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define F_NODRAIN PMEM_F_MEM_NODRAIN
#define F_NT PMEM_F_MEM_NONTEMPORAL
#define F_T PMEM_F_MEM_TEMPORAL
#define F_WC PMEM_F_MEM_WC
#define F_WB PMEM_F_MEM_WB
#define F_NOFLUSH PMEM_F_MEM_NOFLUSH
#define F_ALL PMEM_F_MEM_VALID_FLAGS

#define AREA (256 * 1024)

static unsigned char *Dst;	/* page-aligned destination area */
static unsigned char *Src;	/* page-aligned source area */

/* setup -- the buffers, once for all tests */
static int
setup(void **state)
{
	(void)state;
	Dst = aligned_alloc(4096, AREA);
	Src = aligned_alloc(4096, AREA);
	assert_non_null(Dst);
	assert_non_null(Src);
	memset(Dst, 0, AREA);
	memset(Src, 0x5c, AREA);
	return 0;
}

/* teardown -- frees the buffers */
static int
teardown(void **state)
{
	(void)state;
	free(Dst);
	free(Src);
	return 0;
}

/* The model: what Chosen implies. */

/* flushing -- pmem_flush flushes (no eADR, no PMEM_NO_FLUSH=1) */
static int
flushing(void)
{
	return Chosen.flush_needed;
}

/* clflush -- the chosen instruction is CLFLUSH, which orders itself */
static int
clflush(void)
{
	return strcmp(Chosen.flush, "clflush") == 0;
}

/* drain_fences -- pmem_drain issues an SFENCE: always, except when CLFLUSH
 * flushes (then there is nothing to order) */
static unsigned
drain_fences(void)
{
	return flushing() && clflush() ? 0 : 1;
}

/* stream_fences -- a streaming copy fences itself when the drain will not
 * (CLFLUSH), or when flushing is off (eADR: the drain is optional then) */
static unsigned
stream_fences(void)
{
	return !flushing() || clflush() ? 1 : 0;
}

/* wc_fences -- fences the WC workaround adds to a copy streaming n lines */
static unsigned long
wc_fences(size_t n)
{
	return Chosen.wc_workaround ? n / 12 : 0;
}

/* simd -- the engine streams whole lines; generic and libc never stream
 * and flush the whole range instead */
static int
simd(void)
{
	return strcmp(Chosen.engine, "generic") != 0 &&
		strcmp(Chosen.engine, "libc") != 0;
}

/* lines_of -- the lines pmem_flush covers: from addr rounded down to a line
 * while the line starts below addr + len */
static size_t
lines_of(const void *addr, size_t len)
{
	uintptr_t start = (uintptr_t)addr & ~(uintptr_t)(LINE - 1);
	uintptr_t end = (uintptr_t)addr + len;
	return (end - start + LINE - 1) / LINE;
}

struct counts {
	unsigned long flushes;	/* with the chosen instruction */
	unsigned long others;	/* with any other flush instruction */
	unsigned long sfences;
};

/* reset -- zeroes this thread's instruction counters */
static void
reset(void)
{
	memset(&Insn_counts, 0, sizeof(Insn_counts));
}

/* counted -- this thread's counters since reset() */
static struct counts
counted(void)
{
	struct counts c = { 0, 0, Insn_counts.sfence };
	unsigned long all = Insn_counts.clwb + Insn_counts.clflushopt +
		Insn_counts.clflush;
	if (strcmp(Chosen.flush, "clwb") == 0)
		c.flushes = Insn_counts.clwb;
	else if (strcmp(Chosen.flush, "clflushopt") == 0)
		c.flushes = Insn_counts.clflushopt;
	else
		c.flushes = Insn_counts.clflush;
	c.others = all - c.flushes;
	return c;
}

/* expect_counts -- the counters since reset() are these; what names the
 * call for the failure message */
static void
expect_counts(const char *what, unsigned long flushes, unsigned long sfences)
{
	struct counts c = counted();
	if (c.flushes != flushes || c.others != 0 || c.sfences != sfences)
		fail_msg("%s: %lu %s + %lu other flushes, %lu sfences; "
			"expected %lu %s, %lu sfences", what, c.flushes,
			Chosen.flush, c.others, c.sfences, flushes,
			Chosen.flush, sfences);
}

enum path { CACHED_FLUSHED, STREAMED, CACHED };

/* path_of -- where the flag dispatch sends a copy of len bytes */
static enum path
path_of(size_t len, unsigned flags)
{
	if (!flushing())
		return (flags & (F_NOFLUSH | F_NT)) == F_NT ? STREAMED : CACHED;
	if (flags & F_NOFLUSH)
		return CACHED;
	if (flags & (F_NT | F_WC))
		return STREAMED;
	if (flags & (F_T | F_WB))
		return CACHED_FLUSHED;
	return len < Chosen.movnt_threshold ? CACHED_FLUSHED : STREAMED;
}

/*
 * model -- flushes and fences of a copy or fill of len bytes to d, with
 * flags, not overlapping its source. A streamed copy stores whole lines
 * with streaming stores; the bytes before the first whole line, and those
 * after the last unless they are a multiple of 4 (streamed in 32/16/8/4
 * pieces), are stored cached and their line flushed. Copies shorter than
 * a line never stream.
 */
static void
model(const void *d, size_t len, unsigned flags, unsigned long *flushes,
		unsigned long *sfences)
{
	*flushes = 0;
	*sfences = (flags & (F_NODRAIN | F_NOFLUSH)) ? 0 : drain_fences();
	if (len == 0)
		return;
	enum path p = path_of(len, flags);
	if (p == CACHED || (!flushing() && !simd()))
		return;
	if (p == CACHED_FLUSHED || !simd() || len < LINE) {
		*flushes = flushing() ? lines_of(d, len) : 0;
		return;
	}
	size_t head = -(uintptr_t)d & (LINE - 1);
	size_t lines = (len - head) / LINE, tail = (len - head) % LINE;
	if (flushing())
		*flushes = (head != 0) + (tail % 4 != 0);
	*sfences += stream_fences() + wc_fences(lines);
}

enum op { MEMCPY, MEMMOVE, MEMSET };

static const char *const Op_name[] = {
	"pmem_memcpy", "pmem_memmove", "pmem_memset",
};

/* run -- op on len bytes at Dst + off with flags, counters reset first */
static void
run(enum op op, size_t off, size_t len, unsigned flags)
{
	reset();
	void *r;
	if (op == MEMCPY)
		r = pmem_memcpy(Dst + off, Src, len, flags);
	else if (op == MEMMOVE)
		r = pmem_memmove(Dst + off, Src + 7, len, flags);
	else
		r = pmem_memset(Dst + off, 0x77, len, flags);
	assert_ptr_equal(r, Dst + off);
}

/* check -- op's counts equal the model's */
static void
check(enum op op, size_t off, size_t len, unsigned flags)
{
	unsigned long flushes, sfences;
	model(Dst + off, len, flags, &flushes, &sfences);
	run(op, off, len, flags);
	char what[96];
	snprintf(what, sizeof(what), "%s(dst=line+%zu, len=%zu, flags=0x%x)",
		Op_name[op], off, len, flags);
	expect_counts(what, flushes, sfences);
}

/* check_ops -- check() for memcpy, memmove and memset */
static void
check_ops(size_t off, size_t len, unsigned flags)
{
	for (enum op op = MEMCPY; op <= MEMSET; op++)
		check(op, off, len, flags);
}

/* pmem_flush, pmem_drain, pmem_persist, pmem_deep_flush */

static void
flush_aligned_empty_range_flushes_nothing(void **state)
{
	(void)state;
	reset();
	pmem_flush(Dst + LINE, 0);
	expect_counts("pmem_flush(line, 0)", 0, 0);
}

static void
flush_unaligned_empty_range_flushes_one_line(void **state)
{
	(void)state;
	reset();
	pmem_flush(Dst + LINE + 5, 0);
	expect_counts("pmem_flush(line + 5, 0)", flushing() ? 1 : 0, 0);
}

static void
flush_of_two_bytes_straddling_a_line_boundary_flushes_two_lines(void **state)
{
	(void)state;
	reset();
	pmem_flush(Dst + LINE - 1, 2);
	expect_counts("pmem_flush(line - 1, 2)", flushing() ? 2 : 0, 0);
}

static void
flush_flushes_exactly_the_lines_of_the_range(void **state)
{
	(void)state;
	for (size_t off = 0; off < 2 * LINE + 3; off++)
		for (size_t len = 0; len <= 5 * LINE + 3; len++) {
			reset();
			pmem_flush(Dst + off, len);
			char what[64];
			snprintf(what, sizeof(what),
				"pmem_flush(line + %zu, %zu)", off, len);
			expect_counts(what,
				flushing() ? lines_of(Dst + off, len) : 0, 0);
		}
	reset();
	pmem_flush(Dst + 1, AREA - 1);
	expect_counts("pmem_flush of 256 KiB", flushing() ? AREA / LINE : 0,
		0);
}

static void
drain_issues_one_sfence_unless_clflush_is_in_use(void **state)
{
	(void)state;
	reset();
	pmem_drain();
	expect_counts("pmem_drain()", 0, drain_fences());
	assert_string_equal(Chosen.drain, drain_fences() ? "sfence" : "none");
}

static void
persist_flushes_the_range_then_drains(void **state)
{
	(void)state;
	static const size_t cases[][2] = {
		{0, 0}, {5, 0}, {0, 1}, {63, 2}, {0, 64}, {1, 64}, {3, 4093},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned char *p = Dst + cases[i][0];
		size_t len = cases[i][1];
		reset();
		pmem_persist(p, len);
		char what[64];
		snprintf(what, sizeof(what), "pmem_persist(line + %zu, %zu)",
			cases[i][0], len);
		expect_counts(what, flushing() ? lines_of(p, len) : 0,
			drain_fences());
	}
}

static void
deep_flush_flushes_every_line_even_when_flushing_is_off(void **state)
{
	(void)state;
	static const size_t cases[][2] = {
		{0, 0}, {5, 0}, {63, 2}, {0, 64}, {1, 64}, {3, 4093},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned char *p = Dst + cases[i][0];
		size_t len = cases[i][1];
		reset();
		pmem_deep_flush(p, len);
		char what[64];
		snprintf(what, sizeof(what), "pmem_deep_flush(line + %zu, %zu)",
			cases[i][0], len);
		expect_counts(what, lines_of(p, len), 0);
	}
}

/* the copy and set dispatch */

static void
temporal_copy_of_whole_lines_flushes_each_line(void **state)
{
	(void)state;
	static const size_t lines[] = { 1, 2, 3, 4, 5, 8, 13, 64 };
	static const unsigned flags[] = { F_T, F_WB, F_T | F_WB };
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		for (size_t f = 0; f < ARRAY_SIZE(flags); f++)
			for (enum op op = MEMCPY; op <= MEMSET; op++) {
				run(op, 0, lines[i] * LINE, flags[f]);
				char what[80];
				snprintf(what, sizeof(what), "%s of %zu lines, "
					"flags 0x%x", Op_name[op], lines[i],
					flags[f]);
				expect_counts(what, flushing() ? lines[i] : 0,
					drain_fences());
			}
}

static void
nontemporal_copy_of_whole_lines_flushes_none(void **state)
{
	(void)state;
	static const size_t lines[] = { 1, 2, 3, 4, 5, 8, 13, 64 };
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		for (enum op op = MEMCPY; op <= MEMSET; op++) {
			run(op, 0, lines[i] * LINE, F_NT);
			char what[80];
			snprintf(what, sizeof(what), "%s of %zu lines, "
				"NONTEMPORAL", Op_name[op], lines[i]);
			if (simd())
				expect_counts(what, 0, drain_fences() +
					stream_fences() + wc_fences(lines[i]));
			else
				expect_counts(what, flushing() ? lines[i] : 0,
					drain_fences());
		}
}

static void
nontemporal_copy_flushes_only_its_unaligned_edges(void **state)
{
	(void)state;
	static const struct {
		size_t off, len, edges;
	} cases[] = {
		{ 0, 4 * LINE + 3, 1 },		/* 3-byte tail */
		{ 0, 4 * LINE + 8, 0 },		/* 8-byte tail: streamed */
		{ 0, 4 * LINE + 60, 0 },	/* 60 = 32 + 16 + 8 + 4 */
		{ 0, 4 * LINE + 62, 1 },
		{ 5, 4 * LINE, 2 },		/* 59-byte head, 5-byte tail */
		{ 32, 4 * LINE, 1 },		/* head, 32-byte tail streamed */
		{ 63, LINE + 1, 1 },		/* 1-byte head, one line */
		{ 1, LINE, 2 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		for (enum op op = MEMCPY; op <= MEMSET; op++) {
			run(op, cases[i].off, cases[i].len, F_NT | F_NODRAIN);
			char what[96];
			snprintf(what, sizeof(what), "%s(line + %zu, len %zu, "
				"NONTEMPORAL)", Op_name[op], cases[i].off,
				cases[i].len);
			unsigned long edges = !flushing() ? 0 : simd() ?
				cases[i].edges :
				lines_of(Dst + cases[i].off, cases[i].len);
			expect_counts(what, edges, simd() ? stream_fences() : 0);
		}
}

static void
noflush_copy_flushes_nothing_and_does_not_drain(void **state)
{
	(void)state;
	static const size_t sizes[] = { 1, 63, 64, 255, 256, 4096 + 5 };
	for (unsigned f = 0; f <= F_ALL; f++)
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
			for (enum op op = MEMCPY; op <= MEMSET; op++) {
				run(op, 3, sizes[i], f | F_NOFLUSH);
				char what[80];
				snprintf(what, sizeof(what), "%s(len %zu, "
					"flags 0x%x)", Op_name[op], sizes[i],
					f | F_NOFLUSH);
				expect_counts(what, 0, 0);
			}
}

static void
nodrain_skips_the_final_sfence(void **state)
{
	(void)state;
	for (enum op op = MEMCPY; op <= MEMSET; op++) {
		run(op, 0, 4 * LINE, F_T | F_NODRAIN);
		expect_counts("TEMPORAL | NODRAIN, 4 lines",
			flushing() ? 4 : 0, 0);
		/* streaming fences itself only if the drain would not */
		run(op, 0, 8 * LINE, F_NT | F_NODRAIN);
		expect_counts("NONTEMPORAL | NODRAIN, 8 lines",
			simd() || !flushing() ? 0 : 8,
			simd() ? stream_fences() : 0);
	}
}

static void
nontemporal_copy_fences_itself_once_only_for_clflush_or_without_flushing(
		void **state)
{
	(void)state;
	for (enum op op = MEMCPY; op <= MEMSET; op++) {
		reset();
		if (op == MEMSET)
			pmem_memset(Dst, 1, 11 * LINE, F_NT);
		else
			pmem_memcpy(Dst, Src, 11 * LINE, F_NT);
		/* the drain's fence, and the copy's own when it has none */
		unsigned long want = drain_fences() + (simd() ?
			stream_fences() : 0);
		struct counts c = counted();
		assert_int_equal(c.sfences, want);
		if (simd() && flushing() && clflush())
			assert_int_equal(c.sfences, 1);
	}
}

static void
default_flags_flush_below_the_threshold_and_stream_from_it(void **state)
{
	(void)state;
	size_t t = Chosen.movnt_threshold;
	print_message("threshold %zu bytes\n", t);
	for (enum op op = MEMCPY; op <= MEMSET; op++) {
		if (t > 0) {
			run(op, 0, t - 1, 0);
			expect_counts("default flags, threshold - 1 bytes",
				flushing() ? lines_of(Dst, t - 1) : 0,
				drain_fences());
		}
		if (t >= LINE && t % 4 == 0 && simd()) {
			/* whole lines and a tail of 4s: nothing flushed */
			run(op, 0, t, 0);
			expect_counts("default flags, threshold bytes", 0,
				drain_fences() + (flushing() ?
				stream_fences() + wc_fences(t / LINE) : 0));
		}
		check(op, 0, t, 0);
		check(op, 0, t + 1, 0);
		check(op, 13, t + 4 * LINE, 0);
	}
}

static void
wc_flag_streams_only_while_flushing(void **state)
{
	(void)state;
	if (flushing()) {
		for (enum op op = MEMCPY; op <= MEMSET; op++) {
			run(op, 0, 16 * LINE, F_WC);
			expect_counts("WC, flushing", simd() ? 0 : 16,
				drain_fences() + (simd() ? stream_fences() +
				wc_fences(16) : 0));
		}
		return;
	}
	/* without flushing, only NONTEMPORAL streams */
	static const unsigned flags[] = {
		F_WC, F_T, F_WB, 0, F_NT | F_NOFLUSH,
	};
	for (enum op op = MEMCPY; op <= MEMSET; op++) {
		for (size_t f = 0; f < ARRAY_SIZE(flags); f++) {
			run(op, 0, 64 * LINE, flags[f]);
			/* cached, unflushed: just the drain */
			expect_counts("no flushing, not NONTEMPORAL", 0,
				flags[f] & F_NOFLUSH ? 0 : 1);
		}
		run(op, 0, 64 * LINE, F_NT);
		/* streamed: its own fence, then the drain */
		expect_counts("no flushing, NONTEMPORAL", 0,
			simd() ? 2 + wc_fences(64) : 1);
	}
}

static void
wc_workaround_fences_every_12_streamed_lines(void **state)
{
	(void)state;
	static const size_t lines[] = { 11, 12, 13, 23, 24, 25, 48, 100 };
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		for (enum op op = MEMCPY; op <= MEMSET; op++) {
			run(op, 0, lines[i] * LINE, F_NT | F_NODRAIN);
			char what[80];
			snprintf(what, sizeof(what), "%s of %zu lines, NT",
				Op_name[op], lines[i]);
			unsigned long want = !simd() ? 0 : stream_fences() +
				wc_fences(lines[i]);
			expect_counts(what, !simd() && flushing() ?
				lines[i] : 0, want);
		}
}

static void
empty_copy_or_copy_onto_itself_flushes_nothing_but_drains(void **state)
{
	(void)state;
	for (unsigned f = 0; f <= F_ALL; f++) {
		unsigned long drain = f & (F_NODRAIN | F_NOFLUSH) ? 0 :
			drain_fences();
		reset();
		pmem_memcpy(Dst + 5, Src, 0, f);
		expect_counts("pmem_memcpy of 0 bytes", 0, drain);
		reset();
		pmem_memset(Dst + 5, 0, 0, f);
		expect_counts("pmem_memset of 0 bytes", 0, drain);
		reset();
		pmem_memmove(Dst + 5, Dst + 5, 300, f);
		expect_counts("pmem_memmove onto itself", 0, drain);
	}
}

static void
persist_forms_are_flags_0_and_nodrain_forms_are_nodrain(void **state)
{
	(void)state;
	static const size_t sizes[] = { 0, 1, 64, 255, 256, 1000, 4096 };
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t n = sizes[i];
		unsigned long fl, sf, fl_nd, sf_nd;
		model(Dst + 1, n, 0, &fl, &sf);
		model(Dst + 1, n, F_NODRAIN, &fl_nd, &sf_nd);
		reset();
		pmem_memcpy_persist(Dst + 1, Src, n);
		expect_counts("pmem_memcpy_persist", fl, sf);
		reset();
		pmem_memmove_persist(Dst + 1, Src + 7, n);
		expect_counts("pmem_memmove_persist", fl, sf);
		reset();
		pmem_memset_persist(Dst + 1, 9, n);
		expect_counts("pmem_memset_persist", fl, sf);
		reset();
		pmem_memcpy_nodrain(Dst + 1, Src, n);
		expect_counts("pmem_memcpy_nodrain", fl_nd, sf_nd);
		reset();
		pmem_memmove_nodrain(Dst + 1, Src + 7, n);
		expect_counts("pmem_memmove_nodrain", fl_nd, sf_nd);
		reset();
		pmem_memset_nodrain(Dst + 1, 9, n);
		expect_counts("pmem_memset_nodrain", fl_nd, sf_nd);
	}
}

static void
every_flag_combination_dispatches_as_documented(void **state)
{
	(void)state;
	static const size_t sizes[] = {
		1, 8, 63, 64, 65, 255, 256, 257, 1000, 4096, 12 * 64 * 3 + 5,
	};
	static const size_t offs[] = { 0, 5, 32 };
	for (unsigned f = 0; f <= F_ALL; f++)
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
			for (size_t o = 0; o < ARRAY_SIZE(offs); o++)
				check_ops(offs[o], sizes[i], f);
}

static void
unknown_flag_bits_do_not_change_dispatch(void **state)
{
	(void)state;
	static const unsigned unknown[] = { 1u << 6, 1u << 31, ~F_ALL };
	static const size_t sizes[] = { 1, 64, 255, 256, 4096 + 3 };
	for (unsigned f = 0; f <= F_ALL; f++)
		for (size_t u = 0; u < ARRAY_SIZE(unknown); u++)
			for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
				for (enum op op = MEMCPY; op <= MEMSET; op++) {
					run(op, 5, sizes[i], f);
					struct counts known = counted();
					run(op, 5, sizes[i], f | unknown[u]);
					struct counts with = counted();
					if (memcmp(&known, &with,
							sizeof(known)) != 0)
						fail_msg("%s flags 0x%x vs 0x%x: "
							"%lu/%lu flushes, %lu/%lu "
							"sfences", Op_name[op], f,
							f | unknown[u],
							known.flushes,
							with.flushes,
							known.sfences,
							with.sfences);
				}
}

int
main(void)
{
	const char *why = chosen_unsupported();
	if (why != NULL)
		return chosen_skip_target("persist", why);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chosen_matches_target),
		cmocka_unit_test(flush_aligned_empty_range_flushes_nothing),
		cmocka_unit_test(flush_unaligned_empty_range_flushes_one_line),
		cmocka_unit_test(flush_of_two_bytes_straddling_a_line_boundary_flushes_two_lines),
		cmocka_unit_test(flush_flushes_exactly_the_lines_of_the_range),
		cmocka_unit_test(drain_issues_one_sfence_unless_clflush_is_in_use),
		cmocka_unit_test(persist_flushes_the_range_then_drains),
		cmocka_unit_test(deep_flush_flushes_every_line_even_when_flushing_is_off),
		cmocka_unit_test(temporal_copy_of_whole_lines_flushes_each_line),
		cmocka_unit_test(nontemporal_copy_of_whole_lines_flushes_none),
		cmocka_unit_test(nontemporal_copy_flushes_only_its_unaligned_edges),
		cmocka_unit_test(noflush_copy_flushes_nothing_and_does_not_drain),
		cmocka_unit_test(nodrain_skips_the_final_sfence),
		cmocka_unit_test(nontemporal_copy_fences_itself_once_only_for_clflush_or_without_flushing),
		cmocka_unit_test(default_flags_flush_below_the_threshold_and_stream_from_it),
		cmocka_unit_test(wc_flag_streams_only_while_flushing),
		cmocka_unit_test(wc_workaround_fences_every_12_streamed_lines),
		cmocka_unit_test(empty_copy_or_copy_onto_itself_flushes_nothing_but_drains),
		cmocka_unit_test(persist_forms_are_flags_0_and_nodrain_forms_are_nodrain),
		cmocka_unit_test(every_flag_combination_dispatches_as_documented),
		cmocka_unit_test(unknown_flag_bits_do_not_change_dispatch),
	};
	return cmocka_run_group_tests_name("persist", tests, setup, teardown);
}

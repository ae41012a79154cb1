/*
 * pmem_bench.c -- our libpmem against PMDK's, side by side in one process,
 * and both against the physical limits of the machine.
 *
 * Ours is linked statically; PMDK's libpmem.so.1 is loaded at run time with
 * RTLD_LOCAL | RTLD_DEEPBIND, so that its references to its own exported
 * names (pmem_persist calls pmem_flush, ...) bind inside it and never to our
 * copies of the same names; every PMDK entry is checked with dladdr() to lie
 * in PMDK's file. Without the reference, only ours is measured.
 *
 * Every measurement runs as many samples; in each sample every contestant
 * (ours, PMDK, the limit, ...) runs the same number of operations back to
 * back, so that they share the machine's noise, in an order shuffled from
 * sample to sample, so that none always runs after the same other one (a
 * player that leaves dirty lines, plain memcpy, also has them written back
 * untimed after each batch). Reported: the median time per operation of
 * each, and the medians of the per-sample ratios.
 *
 * The target is a file in /dev/shm, mapped shared and pre-faulted; the
 * destination of each operation moves on through the file, so that the
 * same lines are not written over and over. PMEM_IS_PMEM_FORCE=1 is set
 * before either library reads it (both read it at the first pmem_is_pmem()
 * call), so both answer that the mapping is pmem, as on real pmem.
 *
 * PMEM_MOVNT_THRESHOLD, when set, applies to ours only (read when the
 * program starts): it is removed from the environment before PMDK is
 * loaded, so that PMDK keeps its default unless --pmdk-env is given.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cpuid.h>
#include <libpmem.h>

#include "lib/engine.h"
#include "lib/ops.h"
#include "bench_limit.h"
#include "bench_svg.h"
#include "bench_util.h"

#define KIB ((size_t)1024)
#define MIB (KIB * KIB)
#define LINE 64
#define SRC_SIZE (64 * MIB)
#define SRC_WINDOW (32 * KIB)
#define MAX_PLAYERS 8
#define MAX_SAMPLES 101
#define MAX_THRESHOLDS 6
#define MAX_RESULTS 64

/* The entry points of one library under test. */
struct lib {
	void *(*memcpy_persist)(void *, const void *, size_t);
	void (*persist)(const void *, size_t);
	void (*flush)(const void *, size_t);
	void (*drain)(void);
	int (*is_pmem)(const void *, size_t);
};

enum test_kind { T_COPY, T_PERSIST, T_FLUSHN };

/* One contestant: what it calls, for each kind of test. */
struct player {
	const char *name;
	void *(*copy)(void *, const void *, size_t);
	void (*persist)(const void *, size_t);
	void (*flush)(const void *, size_t);
	void (*drain)(void);
	long threshold;		/* >= 0: ours with this streaming threshold */
	bool leaves_dirty;	/* its lines are written back after a batch */
};

/* The outcome of one measurement: one test at one size. */
struct result {
	const char *test;
	size_t size;
	size_t ops;
	int nplayers;
	const char *names[MAX_PLAYERS];
	double med[MAX_PLAYERS], p25[MAX_PLAYERS], p75[MAX_PLAYERS],
		min[MAX_PLAYERS];
	/* medians of per-sample ratios other/ours (> 1: ours is faster) */
	double vs_pmdk, vs_limit;
	double vs_pmdk_at[MAX_THRESHOLDS];	/* sweep only */
};

static struct {
	const char *dir;
	const char *file;
	size_t file_size;
	size_t window;
	int samples;
	double sample_ns;
	int cpu;
	const char *json;
	const char *svg;
	bool quick;
	bool pmdk_env;
	const char *pmdk_path;
	const char *only;
	long thresholds[MAX_THRESHOLDS];
	int nthresholds;
	bool thresholds_given;
} Opt = {
	.dir = "/dev/shm",
	.file_size = 256 * MIB,
	.cpu = -1,
	.pmdk_path = "libpmem.so.1",
};

static struct lib Ours, Pmdk;
static bool Have_pmdk;
static char Pmdk_file[4096];
static const char *Limit_isa;
static const char *Raw_flush_name;
static void (*Raw_flush)(const void *, size_t);
static void *(*Limit_copy)(void *, const void *, size_t);

static char *Dst;
static size_t Window, Cursor;
static char *Src;
static size_t Src_cursor;

static struct result Results[MAX_RESULTS];
static int Nresults;

/* next_dst -- the next line-aligned destination in the window (internal) */
static inline char *
next_dst(size_t size)
{
	size_t step = (size + LINE - 1) & ~(size_t)(LINE - 1);
	if (Cursor + step > Window)
		Cursor = 0;
	char *d = Dst + Cursor;
	Cursor += step;
	return d;
}

/* next_src -- the next source: small copies cycle in an L1-sized window,
 * large ones start at the beginning of the source buffer (internal) */
static inline const char *
next_src(size_t size)
{
	if (size >= SRC_WINDOW)
		return Src;
	if (Src_cursor + size > SRC_WINDOW)
		Src_cursor = 0;
	const char *s = Src + Src_cursor;
	Src_cursor += (size + LINE - 1) & ~(size_t)(LINE - 1);
	return s;
}

/* plain_memcpy -- libc's memcpy, called through a pointer (internal) */
static void *
plain_memcpy(void *d, const void *s, size_t n)
{
	return memcpy(d, s, n);
}

/* raw_persist -- the raw flush loop, then SFENCE (internal) */
static void
raw_persist(const void *addr, size_t len)
{
	Raw_flush(addr, len);
	limit_sfence();
}

/* run_batch -- ops operations by one player; elapsed ns (internal) */
static double
run_batch(enum test_kind kind, const struct player *p, size_t size,
	size_t ops)
{
	size_t saved = Movnt_threshold;
	size_t start = Cursor;
	if (p->threshold >= 0)
		Movnt_threshold = (size_t)p->threshold;
	double t0 = now_ns();
	switch (kind) {
	case T_COPY:
		for (size_t i = 0; i < ops; i++)
			p->copy(next_dst(size), next_src(size), size);
		break;
	case T_PERSIST:
		for (size_t i = 0; i < ops; i++) {
			char *d = next_dst(size);
			/* dirty every line of the range with one store */
			for (size_t off = 0; off < size; off += LINE)
				*(volatile uint64_t *)(d + off) = i;
			p->persist(d, size);
		}
		break;
	case T_FLUSHN:
		for (size_t i = 0; i < ops; i++) {
			char *d = next_dst(size);
			for (size_t off = 0; off < size; off += LINE)
				*(volatile uint64_t *)(d + off) = i;
			for (size_t off = 0; off < size; off += LINE)
				p->flush(d + off, LINE);
			p->drain();
		}
		break;
	}
	double t = now_ns() - t0;
	Movnt_threshold = saved;
	if (p->leaves_dirty) {
		/* write back what a non-persisting player left dirty, so
		 * that the next player does not pay for it */
		size_t end = Cursor;
		Cursor = start;
		for (size_t i = 0; i < ops; i++)
			Raw_flush(next_dst(size), size);
		limit_sfence();
		Cursor = end;
	}
	return t;
}

/* sample_quantile -- the q-quantile of n samples, in any order (internal) */
static double
sample_quantile(const double *v, int n, double q)
{
	double s[MAX_SAMPLES];
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return quantile(s, (size_t)n, q);
}

/* calibrate -- ops per sample: player 0 takes a sample's time (internal) */
static size_t
calibrate(enum test_kind kind, const struct player *p, size_t size)
{
	size_t ops = 1;
	double t = run_batch(kind, p, size, ops);
	while (t < Opt.sample_ns / 8 && ops < ((size_t)1 << 24)) {
		ops *= 2;
		t = run_batch(kind, p, size, ops);
	}
	double want = (double)ops * Opt.sample_ns / (t > 1 ? t : 1);
	return want < 1 ? 1 : (size_t)want;
}

/*
 * measure -- samples of every player at one size, order shuffled; fills a
 * result whose ratios compare player 0 (ours) with pmdk_i and limit_i
 * (-1 when absent) and, for a sweep, players 0..nt-1 with pmdk_i (internal)
 */
static struct result *
measure(const char *test, enum test_kind kind, const struct player *pl,
	int np, size_t size, int pmdk_i, int limit_i, int nt)
{
	if (Nresults == MAX_RESULTS) {
		fprintf(stderr, "pmem-bench: too many results\n");
		exit(1);
	}
	struct result *r = &Results[Nresults++];
	memset(r, 0, sizeof(*r));
	r->test = test;
	r->size = size;
	r->nplayers = np;

	size_t win = Window;
	if (Window < size)
		Window = size;
	size_t ops = calibrate(kind, &pl[0], size);
	r->ops = ops;
	for (int j = 0; j < np; j++)
		run_batch(kind, &pl[j], size, ops);	/* warm-up */

	static double t[MAX_PLAYERS][MAX_SAMPLES];
	int order[MAX_PLAYERS];
	for (int s = 0; s < Opt.samples; s++) {
		shuffle(order, np);
		for (int k = 0; k < np; k++) {
			int j = order[k];
			t[j][s] = run_batch(kind, &pl[j], size, ops) /
				(double)ops;
		}
	}
	Window = win;

	for (int j = 0; j < np; j++) {
		r->names[j] = pl[j].name;
		r->med[j] = sample_quantile(t[j], Opt.samples, 0.5);
		r->p25[j] = sample_quantile(t[j], Opt.samples, 0.25);
		r->p75[j] = sample_quantile(t[j], Opt.samples, 0.75);
		r->min[j] = sample_quantile(t[j], Opt.samples, 0.0);
	}
	double ratio[MAX_SAMPLES];
	r->vs_pmdk = r->vs_limit = 0;
	if (pmdk_i >= 0) {
		for (int s = 0; s < Opt.samples; s++)
			ratio[s] = t[pmdk_i][s] / t[0][s];
		r->vs_pmdk = sample_quantile(ratio, Opt.samples, 0.5);
		for (int j = 0; j < nt; j++) {
			for (int s = 0; s < Opt.samples; s++)
				ratio[s] = t[pmdk_i][s] / t[j][s];
			r->vs_pmdk_at[j] = sample_quantile(ratio,
				Opt.samples, 0.5);
		}
	}
	if (limit_i >= 0) {
		for (int s = 0; s < Opt.samples; s++)
			ratio[s] = t[limit_i][s] / t[0][s];
		r->vs_limit = sample_quantile(ratio, Opt.samples, 0.5);
	}
	return r;
}

/* size_str -- 64 B, 4 KiB, 2 MiB (internal) */
static const char *
size_str(size_t n, char *buf, size_t len)
{
	if (n >= MIB && n % MIB == 0)
		snprintf(buf, len, "%zu MiB", n / MIB);
	else if (n >= KIB && n % KIB == 0)
		snprintf(buf, len, "%zu KiB", n / KIB);
	else
		snprintf(buf, len, "%zu B", n);
	return buf;
}

/* ns_str -- a time in ns, one decimal below 10 us (internal) */
static const char *
ns_str(double ns, char *buf, size_t len)
{
	if (ns <= 0)
		snprintf(buf, len, "-");
	else if (ns < 10000)
		snprintf(buf, len, "%.1f", ns);
	else
		snprintf(buf, len, "%.0f", ns);
	return buf;
}

/* ratio_str -- 1.23x, or - when not measured (internal) */
static const char *
ratio_str(double r, char *buf, size_t len)
{
	if (r <= 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2fx", r);
	return buf;
}

/* fixed_str -- v with the given decimals, or - when negative (internal) */
static const char *
fixed_str(double v, int decimals, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.*f", decimals, v);
	return buf;
}

/* spread -- half the interquartile range, in % of the median (internal) */
static double
spread(const struct result *r, int j)
{
	return r->med[j] > 0 ? 50 * (r->p75[j] - r->p25[j]) / r->med[j] : 0;
}

/* ours_player -- ours, at the threshold chosen at load (internal) */
static struct player
ours_player(void)
{
	return (struct player){ .name = "ours",
		.copy = Ours.memcpy_persist, .persist = Ours.persist,
		.flush = Ours.flush, .drain = Ours.drain, .threshold = -1 };
}

/* pmdk_player -- PMDK's libpmem (internal) */
static struct player
pmdk_player(void)
{
	return (struct player){ .name = "pmdk",
		.copy = Pmdk.memcpy_persist, .persist = Pmdk.persist,
		.flush = Pmdk.flush, .drain = Pmdk.drain, .threshold = -1 };
}

/* bench_copy -- pmem_memcpy_persist against the limits (internal) */
static void
bench_copy(void)
{
	static const size_t sizes[] = { 64, 256, 4 * KIB, 64 * KIB, 2 * MIB,
		64 * MIB };
	struct player pl[MAX_PLAYERS];
	int np = 0;
	pl[np++] = ours_player();
	int pmdk_i = -1;
	if (Have_pmdk) {
		pmdk_i = np;
		pl[np++] = pmdk_player();
	}
	int limit_i = np;
	pl[np++] = (struct player){ .name = "nt-limit",
		.copy = Limit_copy, .threshold = -1 };
	int memcpy_i = np;
	pl[np++] = (struct player){ .name = "memcpy",
		.copy = plain_memcpy, .threshold = -1, .leaves_dirty = true };

	printf("\n(1) pmem_memcpy_persist: ns per call (median), GB/s; "
		"nt-limit = %s stream + SFENCE,\n    memcpy = plain libc "
		"memcpy "
		"(no persistence, for reference)\n", Limit_isa);
	printf("%8s %10s %10s %10s %10s | %7s %7s %7s | %9s %10s | %6s %6s\n",
		"size", "ours", "pmdk", "nt-limit", "memcpy", "ours", "pmdk",
		"limit", "ours/pmdk", "ours/limit", "ours±%", "pmdk±%");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct result *r = measure("memcpy_persist", T_COPY, pl, np,
			sizes[i], pmdk_i, limit_i, 0);
		char b[10][32];
		double po = pmdk_i >= 0 ? r->med[pmdk_i] : 0;
		printf("%8s %10s %10s %10s %10s | %7.2f %7s %7.2f | "
			"%9s %10s | %6.1f %6s\n",
			size_str(r->size, b[0], 32),
			ns_str(r->med[0], b[1], 32), ns_str(po, b[2], 32),
			ns_str(r->med[limit_i], b[3], 32),
			ns_str(r->med[memcpy_i], b[4], 32),
			(double)r->size / r->med[0],
			fixed_str(po > 0 ? (double)r->size / po : -1, 2,
				b[7], 32),
			(double)r->size / r->med[limit_i],
			ratio_str(r->vs_pmdk, b[5], 32),
			ratio_str(r->vs_limit, b[6], 32), spread(r, 0),
			fixed_str(pmdk_i >= 0 ? spread(r, pmdk_i) : -1, 1,
				b[8], 32));
		fflush(stdout);
	}
}

/* bench_persist -- flush-and-drain latency: pmem_persist of dirty ranges,
 * or pmem_flush line by line then pmem_drain (internal) */
static void
bench_persist(enum test_kind kind)
{
	static const size_t persist_sizes[] = { 8, 64, 256, 4 * KIB };
	static const size_t flushn_sizes[] = { LINE, 8 * LINE, 64 * LINE };
	const size_t *sizes = kind == T_PERSIST ? persist_sizes : flushn_sizes;
	size_t nsizes = kind == T_PERSIST ? 4 : 3;

	struct player pl[3];
	int np = 0;
	pl[np++] = ours_player();
	int pmdk_i = -1;
	if (Have_pmdk) {
		pmdk_i = np;
		pl[np++] = pmdk_player();
	}
	int limit_i = np;
	pl[np++] = (struct player){ .name = "raw",
		.persist = raw_persist, .flush = Raw_flush,
		.drain = limit_sfence, .threshold = -1 };

	if (kind == T_PERSIST)
		printf("\n(2) pmem_persist of a range dirtied by one store per "
			"line: ns per call (median);\n    raw = inline %s "
			"loop + "
			"SFENCE\n", Raw_flush_name);
	else
		printf("\n(3) N lines dirtied, pmem_flush per line, then "
			"pmem_drain: ns per round (median);\n    raw = %s per "
			"line + SFENCE\n", Raw_flush_name);
	printf("%8s %10s %10s %10s | %9s %9s | %6s %6s\n",
		kind == T_PERSIST ? "range" : "lines", "ours", "pmdk", "raw",
		"ours/pmdk", "ours/raw", "ours±%", "pmdk±%");
	for (size_t i = 0; i < nsizes; i++) {
		struct result *r = measure(kind == T_PERSIST ? "persist"
			: "flush_lines_drain", kind, pl, np, sizes[i], pmdk_i,
			limit_i, 0);
		char b[8][32];
		if (kind == T_PERSIST)
			size_str(r->size, b[0], 32);
		else
			snprintf(b[0], 32, "%zu", r->size / LINE);
		printf("%8s %10s %10s %10s | %9s %9s | %6.1f %6s\n", b[0],
			ns_str(r->med[0], b[1], 32),
			ns_str(pmdk_i >= 0 ? r->med[pmdk_i] : 0, b[2], 32),
			ns_str(r->med[limit_i], b[3], 32),
			ratio_str(r->vs_pmdk, b[4], 32),
			ratio_str(r->vs_limit, b[5], 32), spread(r, 0),
			fixed_str(pmdk_i >= 0 ? spread(r, pmdk_i) : -1, 1,
				b[6], 32));
		fflush(stdout);
	}
}

/* bench_sweep -- pmem_memcpy_persist of ours at several streaming
 * thresholds, set in-process, against PMDK and the limit (internal) */
static void
bench_sweep(void)
{
	static const size_t sizes[] = { 64, 128, 192, 256, 512, 1 * KIB,
		4 * KIB };
	static char names[MAX_THRESHOLDS][24];
	struct player pl[MAX_PLAYERS];
	int nt = Opt.nthresholds;
	int np = 0;
	for (int j = 0; j < nt; j++) {
		snprintf(names[j], sizeof(names[j]), "ours@%ld",
			Opt.thresholds[j]);
		pl[np] = ours_player();
		pl[np].name = names[j];
		pl[np++].threshold = Opt.thresholds[j];
	}
	int pmdk_i = -1;
	if (Have_pmdk) {
		pmdk_i = np;
		pl[np++] = pmdk_player();
	}
	int limit_i = np;
	pl[np++] = (struct player){ .name = "nt-limit",
		.copy = Limit_copy, .threshold = -1 };

	printf("\n(4) streaming threshold sweep of ours (copies of this many "
		"bytes or more stream):\n    pmem_memcpy_persist ns per call "
		"(median), then pmdk/ours ratio per threshold\n");
	printf("%8s", "size");
	for (int j = 0; j < nt; j++)
		printf(" %9s", pl[j].name);
	printf(" %9s %9s |", "pmdk", "nt-limit");
	for (int j = 0; j < nt; j++)
		printf(" %9s", pl[j].name);
	printf(" | %s\n", "best");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct result *r = measure("threshold_sweep", T_COPY, pl, np,
			sizes[i], pmdk_i, limit_i, nt);
		char b[32];
		printf("%8s", size_str(r->size, b, sizeof(b)));
		int best = 0;
		for (int j = 0; j < nt; j++) {
			printf(" %9s", ns_str(r->med[j], b, sizeof(b)));
			if (r->med[j] < r->med[best])
				best = j;
		}
		printf(" %9s", ns_str(pmdk_i >= 0 ? r->med[pmdk_i] : 0, b,
			sizeof(b)));
		printf(" %9s |", ns_str(r->med[limit_i], b, sizeof(b)));
		for (int j = 0; j < nt; j++)
			printf(" %9s", ratio_str(r->vs_pmdk_at[j], b,
				sizeof(b)));
		printf(" | %s\n", pl[best].name);
		fflush(stdout);
	}
}

/* find -- the result of a test at a size, or NULL (internal) */
static const struct result *
find(const char *test, size_t size)
{
	for (int i = 0; i < Nresults; i++)
		if (strcmp(Results[i].test, test) == 0 &&
				Results[i].size == size)
			return &Results[i];
	return NULL;
}

/* Goal verdicts, kept for the JSON file. */
static struct {
	const char *goal;
	bool measured;
	bool met;
	char detail[256];
} Goals[3];

/* check_goals -- the three goals, met or missed (internal) */
static void
check_goals(void)
{
	Goals[0].goal = "ours/pmdk >= 1.0 at every size";
	Goals[1].goal = "ours/pmdk >= 1.5 on 64 B pmem_memcpy_persist";
	Goals[2].goal = "ours/nt-limit >= 0.9 from 64 KiB up";

	char b[32];
	size_t off = 0;
	double worst = 0;
	for (int i = 0; i < Nresults; i++) {
		const struct result *r = &Results[i];
		if (strcmp(r->test, "threshold_sweep") == 0 || r->vs_pmdk <= 0)
			continue;
		Goals[0].measured = true;
		if (worst == 0 || r->vs_pmdk < worst)
			worst = r->vs_pmdk;
		if (strcmp(r->test, "flush_lines_drain") == 0)
			snprintf(b, sizeof(b), "%zu lines", r->size / LINE);
		else
			size_str(r->size, b, sizeof(b));
		if (r->vs_pmdk < 1.0 && off < sizeof(Goals[0].detail) - 64)
			off += (size_t)snprintf(Goals[0].detail + off,
				sizeof(Goals[0].detail) - off, "%s%s %s %.2fx",
				off ? ", " : "", r->test, b, r->vs_pmdk);
	}
	Goals[0].met = Goals[0].measured && worst >= 1.0;
	if (Goals[0].met)
		snprintf(Goals[0].detail, sizeof(Goals[0].detail),
			"lowest %.2fx", worst);
	else if (Goals[0].measured && worst >= 0.98 &&
			off < sizeof(Goals[0].detail) - 40)
		snprintf(Goals[0].detail + off, sizeof(Goals[0].detail) - off,
			" (all within 2%%: a tie)");

	const struct result *r = find("memcpy_persist", 64);
	if (r != NULL && r->vs_pmdk > 0) {
		Goals[1].measured = true;
		Goals[1].met = r->vs_pmdk >= 1.5;
		snprintf(Goals[1].detail, sizeof(Goals[1].detail), "%.2fx",
			r->vs_pmdk);
	}

	off = 0;
	worst = 0;
	for (int i = 0; i < Nresults; i++) {
		r = &Results[i];
		if (strcmp(r->test, "memcpy_persist") != 0 ||
				r->size < 64 * KIB)
			continue;
		Goals[2].measured = true;
		if (worst == 0 || r->vs_limit < worst)
			worst = r->vs_limit;
		if (r->vs_limit < 0.9 && off < sizeof(Goals[2].detail) - 64)
			off += (size_t)snprintf(Goals[2].detail + off,
				sizeof(Goals[2].detail) - off, "%s%s %.2fx",
				off ? ", " : "",
				size_str(r->size, b, sizeof(b)), r->vs_limit);
	}
	Goals[2].met = Goals[2].measured && worst >= 0.9;
	if (Goals[2].met)
		snprintf(Goals[2].detail, sizeof(Goals[2].detail),
			"lowest %.2fx", worst);

	printf("\ngoals:\n");
	for (int i = 0; i < 3; i++)
		printf("  %-46s %s%s%s\n", Goals[i].goal,
			!Goals[i].measured ? "not measured"
			: Goals[i].met ? "MET" : "MISSED",
			Goals[i].measured ? ": " : "", Goals[i].detail);
}

/* write_svg -- the copy bandwidths as a chart (internal) */
static int
write_svg(const char *path, const char *model)
{
	char ticks[MAX_RESULTS][16];
	const char *xticks[MAX_RESULTS];
	static double y[MAX_PLAYERS][MAX_RESULTS];
	struct svg_series series[MAX_PLAYERS];
	const struct result *first = NULL;
	int nx = 0;
	for (int i = 0; i < Nresults; i++) {
		const struct result *r = &Results[i];
		if (strcmp(r->test, "memcpy_persist") != 0)
			continue;
		if (first == NULL)
			first = r;
		size_str(r->size, ticks[nx], sizeof(ticks[nx]));
		xticks[nx] = ticks[nx];
		for (int j = 0; j < r->nplayers && j < MAX_PLAYERS; j++)
			y[j][nx] = r->med[j] > 0 ? (double)r->size / r->med[j] : 0;
		nx++;
	}
	if (first == NULL) {
		fprintf(stderr, "pmem-bench: --svg: no copy results to plot "
			"(--only without copy?)\n");
		return -1;
	}
	for (int j = 0; j < first->nplayers; j++) {
		const char *n = first->names[j];
		bool limit = strcmp(n, "nt-limit") == 0;
		bool plain = strcmp(n, "memcpy") == 0;
		series[j] = (struct svg_series){
			.name = strcmp(n, "ours") == 0 ? "ours (this library)" :
				strcmp(n, "pmdk") == 0 ? "PMDK's libpmem" :
				limit ? "streaming copy + SFENCE (limit)" :
				plain ? "memcpy, not persistent" : n,
			.y = y[j],
			.dashed = limit || plain,
		};
	}
	char sub[512], day[32];
	time_t now = time(NULL);
	strftime(day, sizeof(day), "%Y-%m-%d", localtime(&now));
	snprintf(sub, sizeof(sub), "%.200s, %s, %s", model, Opt.cpu >= 0 ?
		"pinned" : "not pinned", day);
	struct svg_chart c = {
		.title = "pmem_memcpy_persist bandwidth (median, higher is "
			"better)",
		.subtitle = sub,
		.xlabel = "bytes per call",
		.ylabel = "GB/s",
		.xticks = xticks,
		.nx = nx,
		.series = series,
		.ns = first->nplayers,
	};
	if (svg_write(path, &c) != 0) {
		fprintf(stderr, "pmem-bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* write_json -- every result and verdict to a file (internal) */
static int
write_json(const char *path, const char *model, const char *file)
{
	FILE *f = json_open(path, "pmem-bench", model, Opt.cpu);
	if (f == NULL)
		return -1;
	fprintf(f, "\"file\": ");
	json_str(f, file);
	fprintf(f, ",\n  \"window_bytes\": %zu,\n  \"samples\": %d,\n"
		"  \"sample_ms\": %.3f,\n  \"ours\": {\"engine\": ", Opt.window,
		Opt.samples, Opt.sample_ns / 1e6);
	json_str(f, Chosen.engine);
	fprintf(f, ", \"flush\": ");
	json_str(f, Chosen.flush);
	fprintf(f, ", \"movnt_threshold\": %zu, \"threshold_reason\": ",
		Chosen.movnt_threshold);
	json_str(f, Chosen.threshold_reason);
	fprintf(f, "},\n  \"pmdk\": {\"loaded\": %s, \"file\": ",
		Have_pmdk ? "true" : "false");
	json_str(f, Have_pmdk ? Pmdk_file : "");
	fprintf(f, "},\n  \"limit_isa\": ");
	json_str(f, Limit_isa);
	fprintf(f, ",\n  \"raw_flush\": ");
	json_str(f, Raw_flush_name);
	fprintf(f, ",\n  \"results\": [\n");
	for (int i = 0; i < Nresults; i++) {
		const struct result *r = &Results[i];
		fprintf(f, "    {\"test\": \"%s\", \"size\": %zu, "
			"\"ops_per_sample\": %zu, \"ns_per_op\": {", r->test,
			r->size, r->ops);
		for (int j = 0; j < r->nplayers; j++)
			fprintf(f, "%s\"%s\": {\"median\": %.2f, "
				"\"p25\": %.2f, "
				"\"p75\": %.2f, \"min\": %.2f}", j ? ", " : "",
				r->names[j], r->med[j], r->p25[j], r->p75[j],
				r->min[j]);
		fprintf(f, "}");
		if (r->vs_pmdk > 0)
			fprintf(f, ", \"ours_over_pmdk\": %.4f", r->vs_pmdk);
		if (r->vs_limit > 0)
			fprintf(f, ", \"ours_over_limit\": %.4f", r->vs_limit);
		if (strcmp(r->test, "threshold_sweep") == 0 && Have_pmdk) {
			fprintf(f, ", \"pmdk_over_ours_at\": {");
			for (int j = 0; j < Opt.nthresholds; j++)
				fprintf(f, "%s\"%ld\": %.4f", j ? ", " : "",
					Opt.thresholds[j], r->vs_pmdk_at[j]);
			fprintf(f, "}");
		}
		fprintf(f, "}%s\n", i + 1 < Nresults ? "," : "");
	}
	fprintf(f, "  ],\n  \"goals\": [\n");
	for (int i = 0; i < 3; i++) {
		fprintf(f, "    {\"goal\": ");
		json_str(f, Goals[i].goal);
		fprintf(f, ", \"measured\": %s, \"met\": %s, \"detail\": ",
			Goals[i].measured ? "true" : "false",
			Goals[i].met ? "true" : "false");
		json_str(f, Goals[i].detail);
		fprintf(f, "}%s\n", i < 2 ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	return json_close(f, path, "pmem-bench");
}

/* load_pmdk -- loads the reference, checks where its entries lie (internal) */
static void
load_pmdk(void)
{
	static const char *const names[] = { "pmem_memcpy_persist",
		"pmem_persist", "pmem_flush", "pmem_drain", "pmem_is_pmem" };
	void *fn[5];
	const void *ours[5] = { (const void *)pmem_memcpy_persist,
		(const void *)pmem_persist, (const void *)pmem_flush,
		(const void *)pmem_drain, (const void *)pmem_is_pmem };
	if (pmdk_open(Opt.pmdk_path, names, ours, fn, 5, Pmdk_file,
			sizeof(Pmdk_file), "; measuring ours only") != NULL)
		return;
	*(void **)&Pmdk.memcpy_persist = fn[0];
	*(void **)&Pmdk.persist = fn[1];
	*(void **)&Pmdk.flush = fn[2];
	*(void **)&Pmdk.drain = fn[3];
	*(void **)&Pmdk.is_pmem = fn[4];
	Have_pmdk = true;

	/* if this program exported pmem_* dynamically, PMDK's own calls
	 * could bind to ours without RTLD_DEEPBIND */
	void *self = dlopen(NULL, RTLD_NOW);
	bool exported = self != NULL &&
		dlsym(self, "pmem_memcpy_persist") != NULL;
	printf("reference: %s (all 5 entries checked inside it with dladdr; "
		"pmem_* %sexported by this program%s)\n", Pmdk_file,
		exported ? "" : "not ",
		exported ? ", RTLD_DEEPBIND keeps PMDK's calls inside PMDK"
			: "");
}

/* choose_limits -- the limit copy and raw flush for this CPU (internal) */
static void
choose_limits(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx")) {
		Limit_copy = limit_copy_avx;
		Limit_isa = "AVX _mm256_stream_si256";
	} else {
		Limit_copy = limit_copy_sse2;
		Limit_isa = "SSE2 _mm_stream_si128";
	}
	unsigned a = 0, b = 0, c = 0, d = 0;
	bool clwb = false, clflushopt = false;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		clwb = (b >> 24) & 1;
		clflushopt = (b >> 23) & 1;
	}
	if (clwb) {
		Raw_flush = limit_flush_clwb;
		Raw_flush_name = "CLWB";
	} else if (clflushopt) {
		Raw_flush = limit_flush_clflushopt;
		Raw_flush_name = "CLFLUSHOPT";
	} else {
		Raw_flush = limit_flush_clflush;
		Raw_flush_name = "CLFLUSH";
	}
}

/* map_target -- creates, maps and pre-faults the target file (internal) */
static char *
map_target(const char *path, size_t size)
{
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0) {
		fprintf(stderr, "pmem-bench: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (ftruncate(fd, (off_t)size) != 0) {
		fprintf(stderr, "pmem-bench: %s: %s\n", path, strerror(errno));
		close(fd);
		return NULL;
	}
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		MAP_SHARED | MAP_POPULATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "pmem-bench: mmap %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	memset(p, 0x5a, size);
	return p;
}

/* parse_thresholds -- "0,64,128,256" or "none" (internal) */
static int
parse_thresholds(const char *s)
{
	Opt.thresholds_given = true;
	Opt.nthresholds = 0;
	if (strcmp(s, "none") == 0)
		return 0;
	while (*s) {
		char *end;
		errno = 0;
		long v = strtol(s, &end, 10);
		if (errno || end == s || v < 0 ||
				Opt.nthresholds == MAX_THRESHOLDS)
			return -1;
		Opt.thresholds[Opt.nthresholds++] = v;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return 0;
}

/* usage -- the help text (internal) */
static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
"usage: %s [options]\n"
"Measures our libpmem (linked in) against PMDK's libpmem.so.1 (loaded at\n"
"run time, if present) and against plain streaming copies and flush loops,\n"
"on a file mapped from /dev/shm, with PMEM_IS_PMEM_FORCE=1 set for both.\n"
"\n"
"  --dir DIR         directory of the target file (default /dev/shm)\n"
"  --file PATH       target file (default DIR/pmem-bench.PID, removed once\n"
"                    mapped)\n"
"  --size MIB        target file size in MiB (default 256, at least 64)\n"
"  --window BYTES    destinations cycle through this many bytes of the file\n"
"                    (default: the whole file)\n"
"  --samples N       samples per measurement (default 31, --quick 7)\n"
"  --sample-ms MS    time of one contestant's batch (default 8, --quick 1)\n"
"  --cpu N           pin to CPU N (sched_setaffinity)\n"
"  --json FILE       also write the results as JSON to FILE\n"
"  --svg FILE        also draw the copy bandwidths as an SVG chart in FILE\n"
"  --quick           a short run: fewer, shorter samples, no threshold sweep\n"
"  --thresholds L    streaming thresholds of ours to sweep in-process, e.g.\n"
"                    0,64,128,256 (the default of a full run), or none\n"
"  --only LIST       run only some of: copy,persist,flush,sweep\n"
"  --pmdk PATH       the reference to dlopen (default libpmem.so.1)\n"
"  --pmdk-env        let PMEM_MOVNT_THRESHOLD apply to PMDK too\n"
"  --help            this text\n"
"\n"
"Tables: medians over samples in which all contestants run back to back,\n"
"in a shuffled order; ratios are medians of per-sample ratios, > 1 means\n"
"ours is faster; x±%% is half the interquartile range of x, in %% of its\n"
"median.\n"
"Environment: PMEM_MOVNT_THRESHOLD and the other PMEM_* variables of our\n"
"library are read when the program starts; PMEM_MOVNT_THRESHOLD is then\n"
"removed before PMDK is loaded (unless --pmdk-env).\n", prog);
}

/* selected -- is this part of the run asked for (internal) */
static bool
selected(const char *what)
{
	if (Opt.only == NULL)
		return true;
	size_t n = strlen(what);
	for (const char *p = Opt.only; (p = strstr(p, what)) != NULL; p += n)
		if ((p == Opt.only || p[-1] == ',') &&
				(p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

int
main(int argc, char *argv[])
{
	enum { O_DIR = 256, O_FILE, O_SIZE, O_WINDOW, O_SAMPLES, O_SAMPLE_MS,
		O_CPU, O_JSON, O_SVG, O_QUICK, O_THRESHOLDS, O_ONLY, O_PMDK,
		O_PMDK_ENV, O_HELP };
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, O_DIR },
		{ "file", required_argument, NULL, O_FILE },
		{ "size", required_argument, NULL, O_SIZE },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "samples", required_argument, NULL, O_SAMPLES },
		{ "sample-ms", required_argument, NULL, O_SAMPLE_MS },
		{ "cpu", required_argument, NULL, O_CPU },
		{ "json", required_argument, NULL, O_JSON },
		{ "svg", required_argument, NULL, O_SVG },
		{ "quick", no_argument, NULL, O_QUICK },
		{ "thresholds", required_argument, NULL, O_THRESHOLDS },
		{ "only", required_argument, NULL, O_ONLY },
		{ "pmdk", required_argument, NULL, O_PMDK },
		{ "pmdk-env", no_argument, NULL, O_PMDK_ENV },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int samples = 0;
	double sample_ms = 0;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_DIR:
			Opt.dir = optarg;
			break;
		case O_FILE:
			Opt.file = optarg;
			break;
		case O_SIZE:
			Opt.file_size = (size_t)strtoul(optarg, NULL, 10) * MIB;
			break;
		case O_WINDOW:
			Opt.window = (size_t)strtoull(optarg, NULL, 0);
			break;
		case O_SAMPLES:
			samples = atoi(optarg);
			break;
		case O_SAMPLE_MS:
			sample_ms = atof(optarg);
			break;
		case O_CPU:
			Opt.cpu = atoi(optarg);
			break;
		case O_JSON:
			Opt.json = optarg;
			break;
		case O_SVG:
			Opt.svg = optarg;
			break;
		case O_QUICK:
			Opt.quick = true;
			break;
		case O_THRESHOLDS:
			if (parse_thresholds(optarg) != 0) {
				fprintf(stderr, "pmem-bench: bad --thresholds "
					"%s (at most %d values >= 0)\n",
					optarg, MAX_THRESHOLDS);
				return 2;
			}
			break;
		case O_ONLY:
			Opt.only = optarg;
			break;
		case O_PMDK:
			Opt.pmdk_path = optarg;
			break;
		case O_PMDK_ENV:
			Opt.pmdk_env = true;
			break;
		case 'h':
		case O_HELP:
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr, argv[0]);
		return 2;
	}
	Opt.samples = samples > 0 ? samples : Opt.quick ? 7 : 31;
	if (Opt.samples > MAX_SAMPLES) {
		fprintf(stderr, "pmem-bench: at most %d samples\n",
			MAX_SAMPLES);
		return 2;
	}
	Opt.sample_ns = (sample_ms > 0 ? sample_ms : Opt.quick ? 1 : 8) * 1e6;
	if (Opt.file_size < 64 * MIB) {
		fprintf(stderr, "pmem-bench: --size must be at least 64\n");
		return 2;
	}
	if (Opt.window == 0 || Opt.window > Opt.file_size)
		Opt.window = Opt.file_size;
	if (!Opt.thresholds_given && !Opt.quick)
		parse_thresholds("0,64,128,256");

	/* both libraries read it at their first pmem_is_pmem() call */
	setenv("PMEM_IS_PMEM_FORCE", "1", 1);

	if (Opt.cpu >= 0 && pin_cpu(Opt.cpu, "pmem-bench") != 0)
		return 1;

	const char *threshold_env = getenv("PMEM_MOVNT_THRESHOLD");
	if (threshold_env != NULL && !Opt.pmdk_env)
		unsetenv("PMEM_MOVNT_THRESHOLD");
	Ours = (struct lib){ pmem_memcpy_persist, pmem_persist, pmem_flush,
		pmem_drain, pmem_is_pmem };
	choose_limits();

	char model[256];
	printf("pmem-bench: %s, %s, %d samples of ~%.1f ms per contestant\n",
		cpu_model(model, sizeof(model)),
		Opt.cpu >= 0 ? "pinned" : "not pinned", Opt.samples,
		Opt.sample_ns / 1e6);
	if (Opt.cpu >= 0)
		printf("pinned to CPU %d\n", Opt.cpu);
	printf("ours: engine %s, flush %s, drain %s, streaming from %zu bytes "
		"(%s)%s\n", Chosen.engine, Chosen.flush, Chosen.drain,
		Chosen.movnt_threshold, Chosen.threshold_reason,
		Chosen.flush_needed ? "" : ", flushing off");
	load_pmdk();
	if (threshold_env != NULL)
		printf("PMEM_MOVNT_THRESHOLD=%s applies to ours%s\n",
			threshold_env, Opt.pmdk_env ? " and PMDK" : " only");

	char pathbuf[4096];
	const char *path = Opt.file;
	if (path == NULL) {
		snprintf(pathbuf, sizeof(pathbuf), "%s/pmem-bench.%s",
			Opt.dir, run_tag());
		path = pathbuf;
	}
	Dst = map_target(path, Opt.file_size);
	if (Dst == NULL)
		return 1;
	/* the mapping keeps our own file alive; an interrupted run leaves
	 * nothing behind */
	if (Opt.file == NULL)
		unlink(path);
	Window = Opt.window;
	Src = mmap(NULL, SRC_SIZE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (Src == MAP_FAILED) {
		fprintf(stderr, "pmem-bench: mmap: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < SRC_SIZE; i++)
		Src[i] = (char)(i * 131 + 7);

	printf("target: %s, %zu MiB, destinations cycle through %zu bytes; "
		"is_pmem: ours %d, pmdk %s\n", path, Opt.file_size / MIB,
		Opt.window, Ours.is_pmem(Dst, Opt.file_size),
		Have_pmdk ? (Pmdk.is_pmem(Dst, Opt.file_size) ? "1" : "0")
			: "-");
	printf("limits: copy %s + SFENCE; raw flush %s + SFENCE\n", Limit_isa,
		Raw_flush_name);
	fflush(stdout);

	double t0 = now_ns();
	if (selected("copy"))
		bench_copy();
	if (selected("persist"))
		bench_persist(T_PERSIST);
	if (selected("flush"))
		bench_persist(T_FLUSHN);
	if (selected("sweep") && Opt.nthresholds > 0)
		bench_sweep();
	check_goals();
	printf("run time %.1f s\n", (now_ns() - t0) / 1e9);

	int ret = 0;
	if (Opt.json != NULL) {
		char jsonbuf[4096];
		const char *json = caller_path(Opt.json, jsonbuf,
			sizeof(jsonbuf));
		if (write_json(json, model, path) != 0)
			ret = 1;
		else
			printf("results written to %s\n", json);
	}
	if (Opt.svg != NULL) {
		char svgbuf[4096];
		const char *svg = caller_path(Opt.svg, svgbuf, sizeof(svgbuf));
		if (write_svg(svg, model) != 0)
			ret = 1;
		else
			printf("chart written to %s\n", svg);
	}
	munmap(Dst, Opt.file_size);
	return ret;
}

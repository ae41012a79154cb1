/*
 * pmem_emu_bench.c -- the emulation backend (PMEM_EMULATE) against the path
 * it replaces and the system calls it is made of, side by side in one run.
 *
 * Our library decides at load whether it emulates, so each variant of ours
 * runs in a child process: this program re-executes itself (/proc/self/exe)
 * with an internal option and PMEM_EMULATE=adr, once with each
 * PMEM_EMULATE_IO: auto (the default; the target file is written whole,
 * so fully allocated, and auto writes it back by copies into a shared
 * mapping), pwrite (pwritev, which auto uses for files with holes where
 * io_uring would hand writes to a worker thread) and uring. A child maps
 * the target file with pmem_map_file and then waits for jobs on a pipe:
 * "run N operations of this test from operation index K", answering with
 * the time of each operation. The parent runs the baselines itself, on the
 * same file:
 *   - PMDK's libpmem.so.1 (dlopen with RTLD_DEEPBIND, as pmem-bench does,
 *     without PMEM_IS_PMEM_FORCE): pmem_map_file, then the non-pmem path,
 *     stores followed by pmem_msync;
 *   - bare io_uring: one write SQE, io_uring_submit_and_wait, its CQE, with
 *     the ring flags the backend uses (SINGLE_ISSUER | DEFER_TASKRUN, or 0
 *     if the kernel refuses them) and with flags 0;
 *   - bare pwrite, and memcpy followed by pwrite.
 *
 * Every contender runs the same operations: operation k of a test has the
 * same offset in the file for all of them. A test runs in rounds; in each
 * round every contender runs one batch (about --batch-ms long), in an order
 * shuffled from round to round, so that they share the machine's noise.
 * Each operation is timed on its own; reported are the median and the 90th
 * percentile over all of them, after an untimed warm-up.
 *
 * Until the library emulates, a child's pmem_map_file answers is_pmem = 0
 * and its pmem_persist runs the hardware path (cache-line flushes of a
 * page-cache mapping: fast, and durable only at writeback). Such a variant
 * is marked "(hw)" in the tables and its goals are "n/a".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <liburing.h>
#include <libpmem.h>

#include "bench_util.h"

#define PROG "pmem-emu-bench"
#define KIB ((size_t)1024)
#define MIB (KIB * KIB)
#define LINE 64
#define SPAN_LINES 32		/* lines flushed per span operation */
#define COPY_SIZE (2 * MIB)
#define MAX_DIRS 8
#define MAX_OPS 4096		/* operations per batch, at most */
#define MAX_ROUNDS 101
#define MAX_THREADS 2
#define NCHILD 3		/* variants of ours: uring, pwrite, auto */
#define RING_DEPTH 64
#define CHILD_CMD_FD 3		/* where a child finds its pipes */
#define CHILD_RES_FD 4
#define CHILD_OPTION "--internal-child"

/* ---------------------------------------------------------------------- */
/* What is measured */

enum test_kind {
	T_PERSIST,	/* stores to each line of size bytes, then persist */
	T_SPAN,		/* 32 lines scattered in size bytes: store + flush
			 * each, then one drain */
	T_COPY,		/* copy size bytes, then make them durable */
	T_THREADS,	/* 64-byte persists by 1 or 2 threads */
};

/* One test of the run. */
struct test {
	enum test_kind kind;
	size_t size;
	const char *name;
	const char *key;	/* for --only */
};

static const struct test Tests[] = {
	{ T_PERSIST, 64, "persist 64 B", "p64" },
	{ T_PERSIST, 4 * KIB, "persist 4 KiB", "p4k" },
	{ T_SPAN, 64 * KIB, "32 lines in 64 KiB", "s64k" },
	{ T_SPAN, 1 * MIB, "32 lines in 1 MiB", "s1m" },
	{ T_COPY, COPY_SIZE, "copy 2 MiB", "copy" },
	{ T_THREADS, LINE, "threads 64 B", "threads" },
};
#define NTESTS ((int)(sizeof(Tests) / sizeof(Tests[0])))
enum { TI_P64, TI_P4K, TI_S64K, TI_S1M, TI_COPY, TI_THREADS };

/* A job: what the parent asks a contender (local or a child) to run. */
struct job {
	uint32_t test;		/* index in Tests */
	uint32_t nthreads;	/* T_THREADS: 1 or 2 */
	uint64_t first;		/* index of the first operation */
	uint64_t ops;		/* operations (per thread) */
	uint64_t salt;		/* operation k stores salt + k */
};

/* A child's answer to a job, followed by n doubles. */
struct reply {
	int32_t status;		/* 0, or -1: the job failed */
	uint32_t n;
};

/* A child's first message, once the file is mapped. */
struct hello {
	int32_t status;
	int32_t is_pmem;
	int32_t auto_flush;
	uint32_t pad;
	uint64_t mapped;
	double map_small_ns;	/* median map, persist, unmap: 1 MiB */
	double map_huge_ns;	/* the same, 64 GiB sparse */
};

/* ---------------------------------------------------------------------- */
/* Options and state */

static struct {
	const char *dirs[MAX_DIRS];
	int ndirs;
	size_t file_size;
	int rounds;
	double batch_ns;
	int cpu;
	const char *json;
	bool quick;
	const char *pmdk_path;
	unsigned tests;		/* bit i: run Tests[i] */
} Opt = {
	.file_size = 64 * MIB,
	.cpu = -1,
	.pmdk_path = "libpmem.so.1",
	.tests = (1u << NTESTS) - 1,
};

/* PMDK's libpmem, loaded at run time. */
static struct {
	void *(*map_file)(const char *, size_t, int, mode_t, size_t *, int *);
	int (*unmap)(void *, size_t);
	int (*msync)(const void *, size_t);
	int (*is_pmem)(const void *, size_t);
	bool loaded;
	char file[4096];
	const char *why_not;
} Pmdk;

/* The target of the current directory, as this process sees it. */
static int Fd = -1;		/* the file, for pwrite and io_uring */
static char *Map;		/* ours (child) or PMDK's (parent) mapping */
static char *Shadow;		/* parent: baselines store here, then write */
static char *Src;		/* source of the copies */
static size_t Size;		/* bytes of the file used */

/* Files to remove however the program ends. */
static char Cleanup[3 * MAX_DIRS][4096];

/* ---------------------------------------------------------------------- */
/* Offsets: the same for every contender */

/* op_off -- offset of operation k of size bytes in a region of region_len
 * bytes: the operations move on through the region (internal) */
static inline size_t
op_off(size_t region_len, size_t size, uint64_t k)
{
	size_t step = (size + LINE - 1) & ~(size_t)(LINE - 1);
	size_t slots = region_len / step;
	return (size_t)(k % slots) * step;
}

/* span_line -- offset of line i of span operation k within its span: one
 * line in each 1/32 of the span, at a place that changes with k (internal) */
static inline size_t
span_line(size_t span, uint64_t k, int i)
{
	size_t slot = span / SPAN_LINES;
	size_t lines = slot / LINE;
	return (size_t)i * slot +
		(size_t)((k * 7 + (uint64_t)i * 13) % lines) * LINE;
}

/* thread_base -- start of thread t's region in the threads test (internal) */
static inline size_t
thread_base(int t)
{
	return (size_t)t * (Size / MAX_THREADS);
}

/*
 * What operation k stores: Salt + k. The parent gives every batch its own
 * Salt, so that no store writes what the file already holds there (else the
 * backend would find the lines unchanged and write nothing back).
 */
static uint64_t Salt;

/* stamp_src -- makes every line of the copy source new: v in each
 * (internal) */
static void
stamp_src(uint64_t v)
{
	for (size_t off = 0; off < COPY_SIZE; off += LINE)
		*(uint64_t *)(Src + off) = v;
}

/* store_lines -- one 8-byte store in each line of [d, d + len) (internal) */
static inline void
store_lines(char *d, size_t len, uint64_t v)
{
	for (size_t off = 0; off < len; off += LINE)
		*(volatile uint64_t *)(d + off) = v;
}

/* ---------------------------------------------------------------------- */
/* Threads */

/*
 * The workers of the threads test: created at the first such job and kept,
 * so that a batch measures persists, not the start of threads (nor what a
 * library sets up per thread, such as a ring). Both workers pass the two
 * barriers of every batch; those numbered below Pool.active work.
 */
static struct {
	bool up;
	pthread_t tid[MAX_THREADS];
	pthread_barrier_t go, done;
	int (*one)(int t, uint64_t k);
	uint64_t first, ops;
	unsigned active;
	bool quit;
	struct {
		double t0, t1;	/* when it started and ended its work */
		int err;
	} st[MAX_THREADS];
} Pool;

/* pool_worker -- one worker's loop (internal) */
static void *
pool_worker(void *p)
{
	unsigned t = (unsigned)(uintptr_t)p;
	for (;;) {
		pthread_barrier_wait(&Pool.go);
		if (Pool.quit)
			return NULL;
		if (t < Pool.active) {
			Pool.st[t].err = 0;
			Pool.st[t].t0 = now_ns();
			for (uint64_t i = 0; i < Pool.ops; i++)
				if (Pool.one((int)t, Pool.first + i) != 0) {
					Pool.st[t].err = 1;
					break;
				}
			Pool.st[t].t1 = now_ns();
		}
		pthread_barrier_wait(&Pool.done);
	}
}

/* pool_stop -- ends the workers (internal) */
static void
pool_stop(void)
{
	if (!Pool.up)
		return;
	Pool.quit = true;
	pthread_barrier_wait(&Pool.go);
	for (unsigned t = 0; t < MAX_THREADS; t++)
		pthread_join(Pool.tid[t], NULL);
	pthread_barrier_destroy(&Pool.go);
	pthread_barrier_destroy(&Pool.done);
	Pool.up = false;
	Pool.quit = false;
}

/* run_threads -- n workers each run ops operations; wall time from the
 * first start to the last end, as the workers saw them (the caller may
 * run late when they occupy every CPU), or -1 (internal) */
static double
run_threads(int (*one)(int, uint64_t), unsigned n, uint64_t first,
	uint64_t ops)
{
	if (!Pool.up) {
		pthread_barrier_init(&Pool.go, NULL, MAX_THREADS + 1);
		pthread_barrier_init(&Pool.done, NULL, MAX_THREADS + 1);
		for (unsigned t = 0; t < MAX_THREADS; t++)
			if (pthread_create(&Pool.tid[t], NULL, pool_worker,
					(void *)(uintptr_t)t) != 0) {
				/* the barriers would wait forever */
				fprintf(stderr, "%s: pthread_create failed\n",
					PROG);
				exit(1);
			}
		Pool.up = true;
	}
	Pool.one = one;
	Pool.first = first;
	Pool.ops = ops;
	Pool.active = n;
	pthread_barrier_wait(&Pool.go);
	pthread_barrier_wait(&Pool.done);
	int err = 0;
	double t0 = 0, t1 = 0;
	for (unsigned t = 0; t < n; t++) {
		err |= Pool.st[t].err;
		if (t == 0 || Pool.st[t].t0 < t0)
			t0 = Pool.st[t].t0;
		if (t == 0 || Pool.st[t].t1 > t1)
			t1 = Pool.st[t].t1;
	}
	return err ? -1 : t1 - t0;
}

/* ---------------------------------------------------------------------- */
/* Ours: runs in a child, on the mapping of our pmem_map_file */

/* ours_thread_one -- one 64-byte persist of the threads test (internal) */
static int
ours_thread_one(int t, uint64_t k)
{
	char *d = Map + thread_base(t) + op_off(Size / MAX_THREADS, LINE, k);
	store_lines(d, LINE, Salt + k);
	pmem_persist(d, LINE);
	return 0;
}

/* ours_run -- a job on ours; lat[i]: time of operation i (internal) */
static int
ours_run(const struct job *j, double *lat)
{
	const struct test *t = &Tests[j->test];
	switch (t->kind) {
	case T_PERSIST:
		for (uint64_t i = 0; i < j->ops; i++) {
			uint64_t k = j->first + i;
			char *d = Map + op_off(Size, t->size, k);
			double t0 = now_ns();
			store_lines(d, t->size, Salt + k);
			pmem_persist(d, t->size);
			lat[i] = now_ns() - t0;
		}
		return 0;
	case T_SPAN:
		for (uint64_t i = 0; i < j->ops; i++) {
			uint64_t k = j->first + i;
			char *d = Map + op_off(Size, t->size, k);
			double t0 = now_ns();
			for (int l = 0; l < SPAN_LINES; l++) {
				char *line = d + span_line(t->size, k, l);
				*(volatile uint64_t *)line = Salt + k;
				pmem_flush(line, LINE);
			}
			pmem_drain();
			lat[i] = now_ns() - t0;
		}
		return 0;
	case T_COPY:
		for (uint64_t i = 0; i < j->ops; i++) {
			uint64_t k = j->first + i;
			char *d = Map + op_off(Size, t->size, k);
			stamp_src(Salt + k);
			double t0 = now_ns();
			pmem_memcpy_persist(d, Src, t->size);
			lat[i] = now_ns() - t0;
		}
		return 0;
	case T_THREADS:
		lat[0] = run_threads(ours_thread_one, j->nthreads, j->first,
			j->ops);
		return lat[0] < 0 ? -1 : 0;
	}
	return -1;
}

/* ---------------------------------------------------------------------- */
/* I/O helpers */

/* write_all -- the whole buffer to fd, or -1 (internal) */
static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* read_all -- exactly len bytes from fd; 0, 1 at end of file before the
 * first byte, -1 otherwise (internal) */
static int
read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return got == 0 ? 1 : -1;
		got += (size_t)n;
	}
	return 0;
}

/* pwrite_all -- len bytes at off, or -1 with a message (internal) */
static int
pwrite_all(const char *buf, size_t len, size_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(Fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "%s: pwrite: %s\n", PROG,
				n < 0 ? strerror(errno) : "wrote nothing");
			return -1;
		}
		buf += n;
		off += (size_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* alloc_src -- the source of the copies, filled (internal) */
static int
alloc_src(void)
{
	Src = mmap(NULL, COPY_SIZE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (Src == MAP_FAILED) {
		Src = NULL;
		fprintf(stderr, "%s: mmap: %s\n", PROG, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < COPY_SIZE; i++)
		Src[i] = (char)(i * 131 + 7);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* The child */

#define MAP_SMALL MIB
#define MAP_HUGE (64 * 1024 * MIB)
#define MAP_REPS 7

/*
 * map_cost -- median time to map a sparse file of size bytes (made beside
 * path beforehand), persist one line at its end and unmap it; 0 if that
 * fails (internal). Creating and removing the file are not timed: they are
 * the file system's cost (ext4 takes milliseconds for a 64 GiB file), not
 * the library's.
 */
static double
map_cost(const char *path, size_t size)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.map", path);
	unlink(tmp);
	size_t len;
	char *p = pmem_map_file(tmp, size, PMEM_FILE_CREATE | PMEM_FILE_SPARSE,
		0600, &len, NULL);
	if (p == NULL) {
		fprintf(stderr, "%s: child: mapping %zu bytes: %s\n", PROG,
			size, pmem_errormsg());
		return 0;
	}
	pmem_unmap(p, len);
	double t[MAP_REPS];
	for (int i = 0; i < MAP_REPS && p != NULL; i++) {
		uint64_t t0 = now_ns();
		p = pmem_map_file(tmp, 0, 0, 0, &len, NULL);
		if (p == NULL)
			break;
		p[len - LINE] = (char)(i + 1);
		pmem_persist(p + len - LINE, 1);
		pmem_unmap(p, len);
		t[i] = (double)(now_ns() - t0);
	}
	unlink(tmp);
	if (p == NULL)
		return 0;
	qsort(t, MAP_REPS, sizeof(t[0]), cmp_double);
	return t[MAP_REPS / 2];
}

/* child_main -- maps the file with our library, then runs jobs until the
 * parent closes the pipe (internal) */
static int
child_main(const char *path, size_t size)
{
	int cmd = CHILD_CMD_FD, res = CHILD_RES_FD;
	struct hello h = { .status = -1 };
	size_t mapped = 0;
	int is_pmem = 0;
	Size = size;
	/* "emu-uring", not "exe", in ps, top and perf */
	const char *io = getenv("PMEM_EMULATE_IO");
	char comm[16];
	snprintf(comm, sizeof(comm), "emu-%s", io != NULL ? io : "?");
	prctl(PR_SET_NAME, comm);
	h.map_small_ns = map_cost(path, MAP_SMALL);
	h.map_huge_ns = map_cost(path, MAP_HUGE);
	Map = pmem_map_file(path, 0, 0, 0, &mapped, &is_pmem);
	if (Map == NULL) {
		fprintf(stderr, "%s: child: pmem_map_file %s: %s\n", PROG,
			path, pmem_errormsg());
	} else if (mapped < size) {
		fprintf(stderr, "%s: child: %s: %zu bytes mapped, %zu "
			"needed\n", PROG, path, mapped, size);
	} else if (alloc_src() == 0) {
		/* every page faulted in and every line durable, as the
		 * parent left the file */
		pmem_memset_persist(Map, 0x5a, size);
		h.status = 0;
		h.is_pmem = is_pmem;
		h.auto_flush = pmem_has_auto_flush();
		h.mapped = mapped;
	}
	if (write_all(res, &h, sizeof(h)) != 0 || h.status != 0)
		return 1;

	double *lat = malloc(MAX_OPS * sizeof(*lat));
	if (lat == NULL)
		return 1;
	struct job j;
	int ret = 0;
	for (;;) {
		int r = read_all(cmd, &j, sizeof(j));
		if (r == 1)
			break;		/* the parent is done */
		if (r != 0 || j.test >= (uint32_t)NTESTS ||
				j.ops > MAX_OPS || j.ops == 0 ||
				j.nthreads > MAX_THREADS) {
			ret = 1;
			break;
		}
		Salt = j.salt;
		struct reply rep = { .status = ours_run(&j, lat) };
		rep.n = rep.status != 0 ? 0 : Tests[j.test].kind == T_THREADS
			? 1 : (uint32_t)j.ops;
		if (write_all(res, &rep, sizeof(rep)) != 0 || write_all(res,
				lat, rep.n * sizeof(*lat)) != 0) {
			ret = 1;
			break;
		}
	}
	free(lat);
	pool_stop();
	munmap(Src, COPY_SIZE);
	/* under emulation, the unmap writes back what is left */
	pmem_unmap(Map, mapped);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* The parent: children, baselines */

/* One of our variants, in its child process. */
struct child {
	const char *name;	/* ours:uring, ours:pwrite, ours:auto */
	const char *io;		/* PMEM_EMULATE_IO */
	pid_t pid;
	int cmd, res;		/* pipe ends of the parent */
	bool up;
	bool emulated;		/* pmem_map_file said is_pmem on a plain file */
	int auto_flush;
	double map_small_ns, map_huge_ns;	/* map_cost() */
	char stats_path[4096];
	char stats[1024];	/* the JSON the library wrote at exit */
	char label[32];		/* name, with (hw) when not emulated */
};

/* A ring of the bare io_uring baseline. */
struct ring {
	struct io_uring ring;
	bool up;
	unsigned flags;
	const char *name;
};

/* One contender of the run. */
struct contender {
	const char *name;
	struct child *child;	/* ours: runs there */
	struct ring *ring;	/* bare io_uring */
	int (*run)(const struct contender *, const struct job *, double *);
	bool x32;		/* span: one request per line */
	unsigned tests;		/* bit i: takes part in Tests[i] */
	bool failed;
};

#define MAX_CONTENDERS 12
#define MAX_RESULTS (MAX_CONTENDERS * (NTESTS + 1))

/* The timings of one contender in one test. */
struct result {
	int test;
	int contender;
	unsigned nthreads;	/* T_THREADS: 1 or 2; else 0 */
	uint64_t ops;		/* per batch (per thread) */
	double *v;		/* ns per operation, or per batch (threads) */
	size_t n;
	double med, p90;
};

/* Everything about one directory. */
struct dirrun {
	char dir[4096];
	char fs[32];
	char path[4096];
	struct child child[NCHILD];
	struct ring ring[2];	/* backend's flags, then 0 */
	const char *ring_note;
	struct contender c[MAX_CONTENDERS];
	int nc;
	struct result r[MAX_RESULTS];
	int nr;
	bool pmdk_mapped;
	int pmdk_is_pmem;
	size_t pmdk_len;
	bool ok;
};

static struct dirrun Runs[MAX_DIRS];
static int Nruns;

/* cleanup -- removes the files this program created (internal) */
static void
cleanup(void)
{
	for (size_t i = 0; i < sizeof(Cleanup) / sizeof(Cleanup[0]); i++)
		if (Cleanup[i][0] != '\0') {
			unlink(Cleanup[i]);
			Cleanup[i][0] = '\0';
		}
}

/* on_signal -- an interrupted run leaves nothing behind (internal) */
static void
on_signal(int sig)
{
	for (size_t i = 0; i < sizeof(Cleanup) / sizeof(Cleanup[0]); i++)
		if (Cleanup[i][0] != '\0')
			unlink(Cleanup[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* add_cleanup -- remembers a file to remove (internal) */
static void
add_cleanup(const char *path)
{
	for (size_t i = 0; i < sizeof(Cleanup) / sizeof(Cleanup[0]); i++)
		if (Cleanup[i][0] == '\0') {
			snprintf(Cleanup[i], sizeof(Cleanup[i]), "%s", path);
			return;
		}
}

/* remove_file -- removes a file this program created (internal) */
static void
remove_file(const char *path)
{
	for (size_t i = 0; i < sizeof(Cleanup) / sizeof(Cleanup[0]); i++)
		if (Cleanup[i][0] != '\0' && strcmp(Cleanup[i], path) == 0) {
			unlink(path);
			Cleanup[i][0] = '\0';
		}
}

/* child_start -- starts a variant of ours on the file; 0 or -1 (internal) */
static int
child_start(struct child *c, const char *path, const char *dir)
{
	int cmd[2], res[2];
	if (pipe2(cmd, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(res, O_CLOEXEC) != 0) {
		close(cmd[0]);
		close(cmd[1]);
		return -1;
	}
	snprintf(c->stats_path, sizeof(c->stats_path), "%s/%s.%s.%s.stats",
		dir, PROG, run_tag(), c->io);
	add_cleanup(c->stats_path);
	char size[32];
	snprintf(size, sizeof(size), "%zu", Size);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		close(cmd[0]);
		close(cmd[1]);
		close(res[0]);
		close(res[1]);
		return -1;
	}
	if (pid == 0) {
		/* the pipes at fixed numbers, without close-on-exec */
		if (dup2(cmd[0], CHILD_CMD_FD) < 0 ||
				dup2(res[1], CHILD_RES_FD) < 0)
			_exit(127);
		setenv("PMEM_EMULATE", "adr", 1);
		setenv("PMEM_EMULATE_IO", c->io, 1);
		setenv("PMEM_EMULATE_STATS", c->stats_path, 1);
		unsetenv("PMEM_IS_PMEM_FORCE");
		char *argv[] = { (char *)PROG, (char *)CHILD_OPTION,
			(char *)path, size, NULL };
		execv("/proc/self/exe", argv);
		fprintf(stderr, "%s: exec /proc/self/exe: %s\n", PROG,
			strerror(errno));
		_exit(127);
	}
	close(cmd[0]);
	close(res[1]);
	c->pid = pid;
	c->cmd = cmd[1];
	c->res = res[0];
	struct hello h;
	if (read_all(c->res, &h, sizeof(h)) != 0 || h.status != 0) {
		fprintf(stderr, "%s: %s: the child could not map %s\n", PROG,
			c->name, path);
		return -1;
	}
	c->up = true;
	c->emulated = h.is_pmem != 0;
	c->auto_flush = h.auto_flush;
	c->map_small_ns = h.map_small_ns;
	c->map_huge_ns = h.map_huge_ns;
	snprintf(c->label, sizeof(c->label), "%s%s", c->name,
		c->emulated ? "" : "(hw)");
	return 0;
}

/* child_stop -- ends a child: closes its pipe, waits, reads its statistics
 * (internal) */
static void
child_stop(struct child *c)
{
	if (c->pid <= 0)
		return;
	if (c->cmd >= 0)
		close(c->cmd);
	if (c->res >= 0)
		close(c->res);
	c->cmd = c->res = -1;
	int status = 0;
	pid_t w;
	while ((w = waitpid(c->pid, &status, 0)) < 0 && errno == EINTR)
		;
	c->pid = 0;
	if (w < 0) {
		fprintf(stderr, "%s: %s: waitpid: %s\n", PROG, c->name,
			strerror(errno));
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFSIGNALED(status))
			fprintf(stderr, "%s: %s: the child was killed by "
				"signal %d\n", PROG, c->name,
				WTERMSIG(status));
		else
			fprintf(stderr, "%s: %s: the child exited with %d\n",
				PROG, c->name, WEXITSTATUS(status));
	}
	c->stats[0] = '\0';
	int fd = open(c->stats_path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, c->stats, sizeof(c->stats) - 1);
		c->stats[n > 0 ? n : 0] = '\0';
		c->stats[strcspn(c->stats, "\n")] = '\0';
		if (c->stats[0] != '{')
			c->stats[0] = '\0';
		close(fd);
	}
	remove_file(c->stats_path);
}

/* remote_run -- a job on a child; 0 or -1 (internal) */
static int
remote_run(const struct contender *c, const struct job *j, double *lat)
{
	struct child *ch = c->child;
	struct reply rep;
	uint32_t want = Tests[j->test].kind == T_THREADS ? 1
		: (uint32_t)j->ops;
	if (write_all(ch->cmd, j, sizeof(*j)) != 0 ||
			read_all(ch->res, &rep, sizeof(rep)) != 0) {
		fprintf(stderr, "%s: %s: the child is gone\n", PROG, c->name);
		return -1;
	}
	if (rep.status != 0 || rep.n != want) {
		fprintf(stderr, "%s: %s: %s failed\n", PROG, c->name,
			Tests[j->test].name);
		return -1;
	}
	return read_all(ch->res, lat, rep.n * sizeof(*lat)) == 0 ? 0 : -1;
}

/* pmdk_run -- stores then PMDK's pmem_msync; memcpy then pmem_msync
 * (internal) */
static int
pmdk_run(const struct contender *c, const struct job *j, double *lat)
{
	(void)c;
	const struct test *t = &Tests[j->test];
	for (uint64_t i = 0; i < j->ops; i++) {
		uint64_t k = j->first + i;
		char *d = Map + op_off(Size, t->size, k);
		if (t->kind == T_COPY)
			stamp_src(Salt + k);
		double t0 = now_ns();
		if (t->kind == T_COPY)
			memcpy(d, Src, t->size);
		else
			store_lines(d, t->size, Salt + k);
		int ret = Pmdk.msync(d, t->size);
		lat[i] = now_ns() - t0;
		if (ret != 0) {
			fprintf(stderr, "%s: PMDK's pmem_msync: %s\n", PROG,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* ring_wait -- submits what is queued, waits for n completions, checks
 * each wrote all its bytes (len each); 0 or -1 (internal) */
static int
ring_wait(struct io_uring *ring, unsigned n, size_t len)
{
	int ret = io_uring_submit_and_wait(ring, n);
	if (ret < 0) {
		fprintf(stderr, "%s: io_uring_submit_and_wait: %s\n", PROG,
			strerror(-ret));
		return -1;
	}
	int err = 0;
	for (unsigned i = 0; i < n; i++) {
		struct io_uring_cqe *cqe;
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret < 0) {
			fprintf(stderr, "%s: io_uring_wait_cqe: %s\n", PROG,
				strerror(-ret));
			return -1;
		}
		if (cqe->res != (int)len)
			err = cqe->res < 0 ? -cqe->res : EIO;
		io_uring_cqe_seen(ring, cqe);
	}
	if (err != 0) {
		fprintf(stderr, "%s: io_uring write: %s\n", PROG,
			strerror(err));
		return -1;
	}
	return 0;
}

/* ring_write -- queues a write of len bytes of the shadow at off (internal) */
static inline void
ring_write(struct io_uring *ring, size_t off, size_t len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	io_uring_prep_write(sqe, Fd, Shadow + off, (unsigned)len, off);
}

/* uring_run -- stores then one write request of the bytes and its
 * completion; span: of the whole span, or (x32) one per line (internal) */
static int
uring_run(const struct contender *c, const struct job *j, double *lat)
{
	const struct test *t = &Tests[j->test];
	struct io_uring *ring = &c->ring->ring;
	for (uint64_t i = 0; i < j->ops; i++) {
		uint64_t k = j->first + i;
		size_t off = op_off(Size, t->size, k);
		int ret;
		double t0 = now_ns();
		if (t->kind == T_SPAN) {
			for (int l = 0; l < SPAN_LINES; l++) {
				size_t lo = off + span_line(t->size, k, l);
				*(volatile uint64_t *)(Shadow + lo) = Salt +
					k;
				if (c->x32)
					ring_write(ring, lo, LINE);
			}
			if (!c->x32)
				ring_write(ring, off, t->size);
			ret = c->x32 ? ring_wait(ring, SPAN_LINES, LINE)
				: ring_wait(ring, 1, t->size);
		} else {
			if (t->kind == T_PERSIST)
				store_lines(Shadow + off, t->size, Salt + k);
			ring_write(ring, off, t->size);
			ret = ring_wait(ring, 1, t->size);
		}
		lat[i] = now_ns() - t0;
		if (ret != 0)
			return -1;
	}
	return 0;
}

/* pwrite_thread_one -- one 64-byte store and pwrite of the threads test
 * (internal) */
static int
pwrite_thread_one(int t, uint64_t k)
{
	size_t off = thread_base(t) + op_off(Size / MAX_THREADS, LINE, k);
	store_lines(Shadow + off, LINE, Salt + k);
	return pwrite_all(Shadow + off, LINE, off);
}

/* pwrite_run -- stores then pwrite of the bytes; span: of the whole span,
 * or (x32) one per line (internal) */
static int
pwrite_run(const struct contender *c, const struct job *j, double *lat)
{
	const struct test *t = &Tests[j->test];
	if (t->kind == T_THREADS) {
		lat[0] = run_threads(pwrite_thread_one, j->nthreads, j->first,
			j->ops);
		return lat[0] < 0 ? -1 : 0;
	}
	for (uint64_t i = 0; i < j->ops; i++) {
		uint64_t k = j->first + i;
		size_t off = op_off(Size, t->size, k);
		int ret = 0;
		double t0 = now_ns();
		if (t->kind == T_SPAN) {
			for (int l = 0; l < SPAN_LINES; l++) {
				size_t lo = off + span_line(t->size, k, l);
				*(volatile uint64_t *)(Shadow + lo) = Salt +
					k;
				if (c->x32)
					ret |= pwrite_all(Shadow + lo, LINE,
						lo);
			}
			if (!c->x32)
				ret = pwrite_all(Shadow + off, t->size, off);
		} else {
			if (t->kind == T_PERSIST)
				store_lines(Shadow + off, t->size, Salt + k);
			ret = pwrite_all(Shadow + off, t->size, off);
		}
		lat[i] = now_ns() - t0;
		if (ret != 0)
			return -1;
	}
	return 0;
}

/* memcpy_pwrite_run -- memcpy into the shadow, then pwrite (internal) */
static int
memcpy_pwrite_run(const struct contender *c, const struct job *j,
	double *lat)
{
	(void)c;
	const struct test *t = &Tests[j->test];
	for (uint64_t i = 0; i < j->ops; i++) {
		size_t off = op_off(Size, t->size, j->first + i);
		stamp_src(Salt + j->first + i);
		double t0 = now_ns();
		memcpy(Shadow + off, Src, t->size);
		int ret = pwrite_all(Shadow + off, t->size, off);
		lat[i] = now_ns() - t0;
		if (ret != 0)
			return -1;
	}
	return 0;
}

/* run_job -- a job on a contender, locally or in its child, with a salt
 * of its own (internal) */
static int
run_job(struct contender *c, struct job *j, double *lat)
{
	static uint64_t batches;
	if (c->failed)
		return -1;
	j->salt = ++batches << 32;
	Salt = j->salt;
	int ret = c->child != NULL ? remote_run(c, j, lat) : c->run(c, j, lat);
	if (ret != 0)
		c->failed = true;
	return ret;
}

/* ---------------------------------------------------------------------- */
/* Statistics */

/* batch_ns -- total time of a batch's answer (internal) */
static double
batch_ns(const struct job *j, const double *lat)
{
	if (Tests[j->test].kind == T_THREADS)
		return lat[0];
	double s = 0;
	for (uint64_t i = 0; i < j->ops; i++)
		s += lat[i];
	return s;
}

/* calibrate -- warms a contender up and finds how many operations make a
 * batch of about --batch-ms; 0 if it failed (internal) */
static uint64_t
calibrate(struct contender *c, int test, double *lat)
{
	struct job j = { .test = (uint32_t)test, .nthreads = 1, .first = 0,
		.ops = 2 };
	/* the first operations set things up (a ring, the page faults of
	 * a first store): they make a batch of their own, not counted */
	if (run_job(c, &j, lat) != 0)
		return 0;
	j.first += j.ops;
	double t;
	for (;;) {
		if (run_job(c, &j, lat) != 0)
			return 0;
		t = batch_ns(&j, lat);
		if (t >= Opt.batch_ns / 4 || j.ops >= MAX_OPS)
			break;
		j.first += j.ops;
		j.ops *= 2;
	}
	double want = (double)j.ops * Opt.batch_ns / (t > 1 ? t : 1);
	uint64_t ops = want < 3 ? 3 : want > MAX_OPS ? MAX_OPS
		: (uint64_t)want;
	if (!Opt.quick) {
		/* one more untimed batch at the final size */
		j.first += j.ops;
		j.ops = ops;
		if (run_job(c, &j, lat) != 0)
			return 0;
	}
	return ops;
}

/* run_test -- all rounds of one test in one directory (internal) */
static void
run_test(struct dirrun *d, int test)
{
	const struct test *t = &Tests[test];
	int first = d->nr;
	static double lat[MAX_OPS];

	for (int i = 0; i < d->nc; i++) {
		struct contender *c = &d->c[i];
		if (!(c->tests & (1u << test)) || c->failed)
			continue;
		uint64_t ops = calibrate(c, test, lat);
		if (ops == 0)
			continue;
		for (unsigned nt = 1; nt <= (t->kind == T_THREADS ? 2u : 1u);
				nt++) {
			struct result *r = &d->r[d->nr++];
			*r = (struct result){ .test = test, .contender = i,
				.nthreads = t->kind == T_THREADS ? nt : 0,
				.ops = ops };
			size_t per = t->kind == T_THREADS ? 1 : ops;
			r->v = malloc((size_t)Opt.rounds * per *
				sizeof(*r->v));
			if (r->v == NULL) {
				fprintf(stderr, "%s: out of memory\n", PROG);
				exit(1);
			}
		}
	}
	int n = d->nr - first;
	int order[MAX_RESULTS];
	for (int round = 0; round < Opt.rounds; round++) {
		shuffle(order, n);
		for (int k = 0; k < n; k++) {
			struct result *r = &d->r[first + order[k]];
			struct contender *c = &d->c[r->contender];
			struct job j = { .test = (uint32_t)test,
				.nthreads = r->nthreads ? r->nthreads : 1,
				.first = (uint64_t)(round + 4) * MAX_OPS,
				.ops = r->ops };
			if (run_job(c, &j, lat) != 0)
				continue;
			if (t->kind == T_THREADS) {
				r->v[r->n++] = lat[0];
			} else {
				memcpy(r->v + r->n, lat, r->ops * sizeof(*lat));
				r->n += r->ops;
			}
		}
	}
	for (int k = first; k < d->nr; k++) {
		struct result *r = &d->r[k];
		if (d->c[r->contender].failed)
			r->n = 0;	/* a partial result is no result */
		qsort(r->v, r->n, sizeof(*r->v), cmp_double);
		r->med = quantile(r->v, r->n, 0.5);
		r->p90 = quantile(r->v, r->n, 0.9);
	}
}

/* find -- the result of a contender (by name) in a test, or NULL
 * (internal) */
static const struct result *
find(const struct dirrun *d, int test, const char *name, unsigned nthreads)
{
	for (int k = 0; k < d->nr; k++) {
		const struct result *r = &d->r[k];
		if (r->test == test && r->nthreads == nthreads && r->n > 0 &&
				strcmp(d->c[r->contender].name, name) == 0)
			return r;
	}
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Output */

/* us_str -- nanoseconds as microseconds, decimals by magnitude (internal) */
static const char *
us_str(double ns, char *buf, size_t len)
{
	double us = ns / 1e3;
	if (ns <= 0)
		snprintf(buf, len, "-");
	else if (us < 10)
		snprintf(buf, len, "%.3f", us);
	else if (us < 1000)
		snprintf(buf, len, "%.1f", us);
	else
		snprintf(buf, len, "%.0f", us);
	return buf;
}

/* label -- what a contender does in a test, for the tables (internal) */
static const char *
label(const struct contender *c, const struct test *t, char *buf,
	size_t len)
{
	if (c->child != NULL)
		snprintf(buf, len, "%s", c->child->label);
	else if (c->run == pmdk_run)
		snprintf(buf, len, "%s", t->kind == T_COPY
			? "pmdk:memcpy+msync" : "pmdk:msync");
	else if (t->kind == T_SPAN)
		snprintf(buf, len, "%s %s", c->name, c->x32 ? "32x64B"
			: "span");
	else
		snprintf(buf, len, "%s", c->name);
	return buf;
}

/* The goals, for each variant of ours. */
enum { G_PMDK, G_URING, G_SPAN, G_COPY, G_THREADS, NGOALS };

static const struct {
	const char *text;
	const char *json;
	double target;
	bool at_most;
} Goal[NGOALS] = {
	{ "64 B persist: PMDK msync path / ours >= 20x", "pmdk_over_ours_64B",
		20, false },
	{ "64 B persist: ours / bare io_uring <= 1.2x", "ours_over_uring_64B",
		1.2, true },
	{ "32 lines in 64 KiB + drain / 64 B persist <= 3x",
		"span64K_over_persist64", 3, true },
	{ "2 MiB memcpy_persist / memcpy+pwrite (bw) >= 0.5",
		"copy_bw_over_memcpy_pwrite_bw", 0.5, false },
	{ "2 threads / 1 thread (ops/s) >= 1.6x", "threads2_over_threads1",
		1.6, false },
};

/* A verdict. */
struct verdict {
	double ratio;		/* <= 0: not measured */
	const char *status;	/* PASS, MISS, n/a, not measured */
};

/* ratio_str -- a ratio, and its verdict if any; 3 decimals below 10, so
 * that the rounding does not hide why a verdict is what it is (internal) */
static const char *
ratio_str(double r, const char *status, char *buf, size_t len)
{
	int dec = r < 10 ? 3 : r < 100 ? 1 : 0;
	if (r <= 0)
		snprintf(buf, len, "%s", status != NULL ? status : "-");
	else
		snprintf(buf, len, "%.*fx%s%s", dec, r, status ? " " : "",
			status ? status : "");
	return buf;
}

/* ratio_of -- a / b of two medians, or 0 (internal) */
static double
ratio_of(const struct result *a, const struct result *b)
{
	return a != NULL && b != NULL && a->med > 0 && b->med > 0
		? a->med / b->med : 0;
}

/* goal -- the verdict of a goal for a variant of ours (internal) */
static struct verdict
goal(const struct dirrun *d, int g, const struct child *ch)
{
	const char *ours = ch->name;
	const char *uring = d->ring[0].up ? d->ring[0].name : d->ring[1].name;
	double r = 0;
	switch (uring == NULL && g == G_URING ? -1 : g) {
	case G_PMDK:
		r = ratio_of(find(d, TI_P64, "pmdk", 0),
			find(d, TI_P64, ours, 0));
		break;
	case G_URING:
		r = ratio_of(find(d, TI_P64, ours, 0),
			find(d, TI_P64, uring, 0));
		break;
	case G_SPAN:
		r = ratio_of(find(d, TI_S64K, ours, 0),
			find(d, TI_P64, ours, 0));
		break;
	case G_COPY:
		r = ratio_of(find(d, TI_COPY, "memcpy+pwrite", 0),
			find(d, TI_COPY, ours, 0));
		break;
	case G_THREADS:
		/* same operations per thread: ops/s ratio = 2 t1 / t2 */
		r = ratio_of(find(d, TI_THREADS, ours, 1),
			find(d, TI_THREADS, ours, 2));
		r *= 2;
		break;
	}
	struct verdict v = { .ratio = r };
	if (r <= 0)
		v.status = "not measured";
	else if (!ch->emulated)
		v.status = "n/a";
	else if (Goal[g].at_most ? r <= Goal[g].target : r >= Goal[g].target)
		v.status = "PASS";
	else
		v.status = "MISS";
	return v;
}

/* print_dir -- the tables of one directory (internal) */
static void
print_dir(const struct dirrun *d)
{
	char b[4][48];
	printf("\n%-28s %-22s %10s %10s %8s %9s %8s\n", "test", "contender",
		"median us", "p90 us", "n", "GB/s", "x ours");
	for (int test = 0; test < NTESTS; test++) {
		const struct test *t = &Tests[test];
		if (t->kind == T_THREADS)
			continue;
		const struct result *ref = find(d, test, "ours:uring", 0);
		bool first = true;
		for (int k = 0; k < d->nr; k++) {
			const struct result *r = &d->r[k];
			if (r->test != test)
				continue;
			const struct contender *c = &d->c[r->contender];
			char bw[16] = "", rel[16] = "-";
			if (t->kind == T_COPY && r->med > 0)
				snprintf(bw, sizeof(bw), "%.2f",
					(double)t->size / r->med);
			if (ref != NULL && r->med > 0)
				snprintf(rel, sizeof(rel), "%.2f",
					r->med / ref->med);
			printf("%-28s %-22s %10s %10s %8zu %9s %8s\n",
				first ? t->name : "",
				label(c, t, b[0], sizeof(b[0])),
				r->n ? us_str(r->med, b[1], sizeof(b[1]))
					: "failed",
				us_str(r->p90, b[2], sizeof(b[2])), r->n, bw,
				rel);
			first = false;
		}
	}
	printf("(x ours: median / median of ours:uring; GB/s: bytes per ns "
		"of the median)\n");

	if (!(Opt.tests & (1u << TI_THREADS)))
		goto goals;
	printf("\n%-28s %-22s %12s %12s %12s %8s\n",
		"threads: 64 B persists", "contender", "ops/thread",
		"1 thr ops/s", "2 thr ops/s", "2/1");
	for (int k = 0; k < d->nr; k++) {
		const struct result *r1 = &d->r[k];
		if (r1->test != TI_THREADS || r1->nthreads != 1)
			continue;
		const struct contender *c = &d->c[r1->contender];
		const struct result *r2 = find(d, TI_THREADS, c->name, 2);
		double o1 = r1->med > 0 ? (double)r1->ops * 1e9 / r1->med : 0;
		double o2 = r2 != NULL && r2->med > 0
			? 2.0 * (double)r2->ops * 1e9 / r2->med : 0;
		char s1[24], s2[24], s3[24];
		snprintf(s1, sizeof(s1), "%.0f", o1);
		snprintf(s2, sizeof(s2), o2 > 0 ? "%.0f" : "-", o2);
		snprintf(s3, sizeof(s3), o1 > 0 && o2 > 0 ? "%.2f" : "-",
			o2 / (o1 > 0 ? o1 : 1));
		printf("%-28s %-22s %12" PRIu64 " %12s %12s %8s\n", "",
			label(c, &Tests[TI_THREADS], b[0], sizeof(b[0])),
			r1->ops, o1 > 0 ? s1 : "failed", s2, s3);
	}
	if (Opt.cpu >= 0)
		printf("(pinned to one CPU: two threads cannot run at the "
			"same time)\n");

goals:
	printf("\ngoals in %s (%s):\n  %-49s", d->dir, d->fs, "");
	for (int i = 0; i < NCHILD; i++)
		printf(" %-18s", d->child[i].label);
	printf("\n");
	for (int g = 0; g < NGOALS; g++) {
		printf("  %-49s", Goal[g].text);
		for (int i = 0; i < NCHILD; i++) {
			struct verdict v = goal(d, g, &d->child[i]);
			char cell[32];
			printf(" %-18s", ratio_str(v.ratio, v.status, cell,
				sizeof(cell)));
		}
		printf("\n");
		if (g == G_SPAN) {
			printf("  %-49s", "  (32 lines in 1 MiB + drain / 64 B "
				"persist)");
			for (int i = 0; i < NCHILD; i++) {
				double r = ratio_of(find(d, TI_S1M,
					d->child[i].name, 0), find(d, TI_P64,
					d->child[i].name, 0));
				char cell[32];
				printf(" %-18s", ratio_str(r, NULL, cell,
					sizeof(cell)));
			}
			printf("\n");
		}
		if (g == G_URING) {
			printf("  %-49s",
				"  (64 B persist: ours / bare pwrite)");
			for (int i = 0; i < NCHILD; i++) {
				double r = ratio_of(find(d, TI_P64,
					d->child[i].name, 0), find(d, TI_P64,
					"pwrite", 0));
				char cell[32];
				printf(" %-18s", ratio_str(r, NULL, cell,
					sizeof(cell)));
			}
			printf("\n");
		}
	}
	for (int i = 0; i < NCHILD; i++)
		if (d->child[i].up && !d->child[i].emulated)
			printf("  %s: not emulated (PMEM_EMULATE ignored by "
				"this build: is_pmem 0), goals n/a\n",
				d->child[i].name);
	for (int i = 0; i < NCHILD; i++)
		if (d->child[i].stats[0] != '\0')
			printf("  %s stats: %s\n", d->child[i].name,
				d->child[i].stats);
	fflush(stdout);
}

/* write_json -- every result and verdict to a file; 0 or -1 (internal) */
static int
write_json(const char *path, const char *model)
{
	FILE *f = json_open(path, PROG, model, Opt.cpu);
	if (f == NULL)
		return -1;
	fprintf(f, "\"quick\": %s,\n  \"rounds\": %d,\n"
		"  \"batch_ms\": %.3f,\n  \"file_bytes\": %zu,\n"
		"  \"pmdk\": {\"loaded\": %s, \"file\": ",
		Opt.quick ? "true" : "false", Opt.rounds, Opt.batch_ns / 1e6,
		Opt.file_size, Pmdk.loaded ? "true" : "false");
	json_str(f, Pmdk.loaded ? Pmdk.file : "");
	fprintf(f, "},\n  \"dirs\": [");
	for (int di = 0; di < Nruns; di++) {
		const struct dirrun *d = &Runs[di];
		fprintf(f, "%s\n    {\"dir\": ", di ? "," : "");
		json_str(f, d->dir);
		fprintf(f, ", \"fs\": ");
		json_str(f, d->fs);
		fprintf(f, ", \"completed\": %s, \"ring_flags\": ",
			d->ok ? "true" : "false");
		json_str(f, d->ring_note);
		fprintf(f, ", \"pmdk_is_pmem\": %d,\n      \"variants\": [",
			d->pmdk_mapped ? d->pmdk_is_pmem : -1);
		for (int i = 0; i < NCHILD; i++) {
			const struct child *ch = &d->child[i];
			fprintf(f, "%s{\"name\": \"%s\", \"started\": %s, "
				"\"emulated\": %s, \"auto_flush\": %d, "
				"\"map_1mib_us\": %.1f, "
				"\"map_64gib_sparse_us\": %.1f, "
				"\"stats\": %s}", i ? ", " : "", ch->name,
				ch->up ? "true" : "false",
				ch->emulated ? "true" : "false",
				ch->auto_flush, ch->map_small_ns / 1e3,
				ch->map_huge_ns / 1e3, ch->stats[0] ? ch->stats
				: "null");
		}
		fprintf(f, "],\n      \"results\": [");
		for (int k = 0; k < d->nr; k++) {
			const struct result *r = &d->r[k];
			const struct test *t = &Tests[r->test];
			char b[48];
			fprintf(f, "%s\n        {\"test\": ", k ? "," : "");
			json_str(f, t->name);
			fprintf(f, ", \"size\": %zu, \"contender\": ", t->size);
			json_str(f, label(&d->c[r->contender], t, b,
				sizeof(b)));
			if (t->kind == T_THREADS) {
				double o = r->med > 0 ? r->nthreads *
					(double)r->ops * 1e9 / r->med : 0;
				fprintf(f, ", \"threads\": %u, "
					"\"ops_per_thread\": %" PRIu64 ", "
					"\"batches\": %zu, "
					"\"median_batch_ns\": %.1f, "
					"\"p90_batch_ns\": %.1f, "
					"\"ops_per_s\": %.1f}", r->nthreads,
					r->ops, r->n, r->med, r->p90, o);
			} else {
				fprintf(f, ", \"n\": %zu, \"median_ns\": %.1f, "
					"\"p90_ns\": %.1f", r->n, r->med,
					r->p90);
				if (t->kind == T_COPY && r->med > 0)
					fprintf(f, ", \"bytes_per_s\": %.0f",
						(double)t->size * 1e9 / r->med);
				fprintf(f, "}");
			}
		}
		fprintf(f, "\n      ],\n      \"goals\": [");
		int n = 0;
		for (int g = 0; g < NGOALS; g++)
			for (int i = 0; i < NCHILD; i++) {
				struct verdict v = goal(d, g, &d->child[i]);
				fprintf(f, "%s\n        {\"goal\": ",
					n++ ? "," : "");
				json_str(f, Goal[g].text);
				fprintf(f, ", \"key\": \"%s\", \"variant\": "
					"\"%s\", \"ratio\": %.4f, \"target\": "
					"%.2f, \"status\": \"%s\"}",
					Goal[g].json, d->child[i].name,
					v.ratio, Goal[g].target, v.status);
			}
		fprintf(f, "\n      ]\n    }");
	}
	fprintf(f, "\n  ]\n}\n");
	return json_close(f, path, PROG);
}

/* ---------------------------------------------------------------------- */
/* Setup */

/* load_pmdk -- loads the reference, checks where its entries lie (internal) */
static void
load_pmdk(void)
{
	static const char *const names[] = { "pmem_map_file", "pmem_unmap",
		"pmem_msync", "pmem_is_pmem" };
	const void *ours[] = { (const void *)pmem_map_file,
		(const void *)pmem_unmap, (const void *)pmem_msync,
		(const void *)pmem_is_pmem };
	void *fn[4];
	Pmdk.why_not = pmdk_open(Opt.pmdk_path, names, ours, fn, 4, Pmdk.file,
		sizeof(Pmdk.file), "");
	if (Pmdk.why_not != NULL)
		return;
	*(void **)&Pmdk.map_file = fn[0];
	*(void **)&Pmdk.unmap = fn[1];
	*(void **)&Pmdk.msync = fn[2];
	*(void **)&Pmdk.is_pmem = fn[3];
	Pmdk.loaded = true;
	printf("reference: %s (RTLD_DEEPBIND; pmem_map_file, pmem_msync "
		"checked inside it with dladdr)\n", Pmdk.file);
}

/* fs_name -- the type of the filesystem holding dir (internal) */
static void
fs_name(const char *dir, char *buf, size_t len)
{
	struct statfs s;
	if (statfs(dir, &s) != 0) {
		snprintf(buf, len, "?");
		return;
	}
	switch ((unsigned long)s.f_type) {
	case 0xEF53UL:
		snprintf(buf, len, "ext4");
		break;
	case 0x01021994UL:
		snprintf(buf, len, "tmpfs");
		break;
	case 0x58465342UL:
		snprintf(buf, len, "xfs");
		break;
	case 0x9123683EUL:
		snprintf(buf, len, "btrfs");
		break;
	case 0x794c7630UL:
		snprintf(buf, len, "overlayfs");
		break;
	default:
		snprintf(buf, len, "fs 0x%lx", (unsigned long)s.f_type);
		break;
	}
}

/* create_target -- the file of a directory, filled (internal) */
static int
create_target(const char *path)
{
	Fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (Fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", PROG, path, strerror(errno));
		return -1;
	}
	add_cleanup(path);
	memset(Shadow, 0x5a, Size);
	if (pwrite_all(Shadow, Size, 0) != 0 || fsync(Fd) != 0) {
		fprintf(stderr, "%s: %s: cannot write it\n", PROG, path);
		return -1;
	}
	return 0;
}

/* setup_rings -- the backend's ring flags, or 0 if refused, and 0
 * (internal) */
static void
setup_rings(struct dirrun *d)
{
	unsigned want = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	int ret = io_uring_queue_init(RING_DEPTH, &d->ring[0].ring, want);
	static char note[128];
	if (ret == 0) {
		d->ring[0].up = true;
		d->ring[0].flags = want;
		d->ring[0].name = "uring:sq+dt";
		d->ring_note = "SINGLE_ISSUER|DEFER_TASKRUN";
	} else {
		snprintf(note, sizeof(note), "SINGLE_ISSUER|DEFER_TASKRUN "
			"refused (%s): the backend falls back to 0",
			strerror(-ret));
		d->ring_note = note;
	}
	ret = io_uring_queue_init(RING_DEPTH, &d->ring[1].ring, 0);
	if (ret == 0) {
		d->ring[1].up = true;
		d->ring[1].name = "uring:0";
	} else {
		printf("io_uring unavailable here (%s): no bare io_uring "
			"baseline\n", strerror(-ret));
		if (!d->ring[0].up)
			d->ring_note = "io_uring unavailable";
	}
}

/* add -- a contender of a directory (internal) */
static struct contender *
add(struct dirrun *d, struct contender c)
{
	d->c[d->nc] = c;
	return &d->c[d->nc++];
}

#define BIT(t) (1u << (t))

/* contenders -- who runs which test (internal) */
static void
contenders(struct dirrun *d)
{
	unsigned all = (1u << NTESTS) - 1;
	for (int i = 0; i < NCHILD; i++)
		if (d->child[i].up)
			add(d, (struct contender){ .name = d->child[i].name,
				.child = &d->child[i], .tests = all });
	if (d->pmdk_mapped)
		add(d, (struct contender){ .name = "pmdk", .run = pmdk_run,
			.tests = BIT(TI_P64) | BIT(TI_P4K) | BIT(TI_COPY) });
	for (int i = 0; i < 2; i++) {
		if (!d->ring[i].up)
			continue;
		add(d, (struct contender){ .name = d->ring[i].name,
			.ring = &d->ring[i], .run = uring_run,
			.tests = BIT(TI_P64) | BIT(TI_P4K) | BIT(TI_S64K) |
				BIT(TI_COPY) });
		add(d, (struct contender){ .name = d->ring[i].name,
			.ring = &d->ring[i], .run = uring_run, .x32 = true,
			.tests = BIT(TI_S64K) | BIT(TI_S1M) });
	}
	add(d, (struct contender){ .name = "pwrite", .run = pwrite_run,
		.tests = BIT(TI_P64) | BIT(TI_P4K) | BIT(TI_S64K) |
			BIT(TI_COPY) | BIT(TI_THREADS) });
	add(d, (struct contender){ .name = "pwrite", .run = pwrite_run,
		.x32 = true, .tests = BIT(TI_S64K) | BIT(TI_S1M) });
	add(d, (struct contender){ .name = "memcpy+pwrite",
		.run = memcpy_pwrite_run, .tests = BIT(TI_COPY) });
}

/* run_dir -- everything in one directory; 0 or -1 (internal) */
static int
run_dir(struct dirrun *d, const char *dir)
{
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	fs_name(dir, d->fs, sizeof(d->fs));
	snprintf(d->path, sizeof(d->path), "%s/%s.%s", dir, PROG, run_tag());
	d->child[0] = (struct child){ .name = "ours:uring", .io = "uring",
		.cmd = -1, .res = -1 };
	d->child[1] = (struct child){ .name = "ours:pwrite", .io = "pwrite",
		.cmd = -1, .res = -1 };
	d->child[2] = (struct child){ .name = "ours:auto", .io = "auto",
		.cmd = -1, .res = -1 };
	for (int i = 0; i < NCHILD; i++)
		snprintf(d->child[i].label, sizeof(d->child[i].label), "%s",
			d->child[i].name);
	d->ring_note = "-";
	printf("\n== %s (%s): %s, %zu MiB ==\n", dir, d->fs, d->path,
		Size / MIB);
	fflush(stdout);
	int ret = -1;
	if (create_target(d->path) != 0)
		goto out;
	for (int i = 0; i < NCHILD; i++)
		child_start(&d->child[i], d->path, dir);
	for (int i = 0; i < NCHILD; i++)
		printf("%s: %s%s\n", d->child[i].name, !d->child[i].up
			? "did not start"
			: d->child[i].emulated ? "emulated (is_pmem 1)"
			: "NOT emulated: pmem_map_file said is_pmem 0, so "
				"PMEM_EMULATE is not implemented here; the "
				"hardware path (flushes of a page-cache "
				"mapping) is measured",
			d->child[i].up && d->child[i].emulated &&
				d->child[i].auto_flush ? ", auto flush" : "");
	for (int i = 0; i < NCHILD; i++) {
		const struct child *ch = &d->child[i];
		if (ch->up && ch->map_small_ns > 0 && ch->map_huge_ns > 0)
			printf("%s: map + persist a line + unmap: "
				"1 MiB %.1f us, 64 GiB sparse %.1f us (%.2fx)\n",
				ch->name, ch->map_small_ns / 1e3,
				ch->map_huge_ns / 1e3,
				ch->map_huge_ns / ch->map_small_ns);
	}

	if (Pmdk.loaded) {
		size_t len = 0;
		int is_pmem = 0;
		Map = Pmdk.map_file(d->path, 0, 0, 0, &len, &is_pmem);
		if (Map == NULL || len < Size) {
			printf("pmdk: pmem_map_file failed: %s\n",
				strerror(errno));
		} else {
			d->pmdk_mapped = true;
			d->pmdk_is_pmem = is_pmem;
			d->pmdk_len = len;
			printf("pmdk: pmem_map_file: is_pmem %d, so its "
				"non-pmem path: stores, then pmem_msync\n",
				is_pmem);
		}
	} else {
		printf("pmdk: %s, not measured\n", Pmdk.why_not);
	}
	setup_rings(d);
	printf("io_uring: backend's ring flags: %s%s\n", d->ring_note,
		d->ring[0].up ? "; also measured with flags 0" : "");
	fflush(stdout);

	contenders(d);
	for (int test = 0; test < NTESTS; test++)
		if (Opt.tests & (1u << test))
			run_test(d, test);
	d->ok = true;
	ret = 0;
out:
	pool_stop();
	for (int i = 0; i < NCHILD; i++)
		child_stop(&d->child[i]);
	if (d->pmdk_mapped) {
		Pmdk.unmap(Map, d->pmdk_len);
		Map = NULL;
	}
	for (int i = 0; i < 2; i++)
		if (d->ring[i].up) {
			io_uring_queue_exit(&d->ring[i].ring);
			d->ring[i].up = false;
		}
	if (Fd >= 0) {
		close(Fd);
		Fd = -1;
	}
	remove_file(d->path);
	if (ret == 0)
		print_dir(d);
	return ret;
}

/* usage -- the help text (internal) */
static void
usage(const char *prog)
{
	printf(
"usage: %s [options]\n"
"Measures our libpmem's emulation backend (PMEM_EMULATE=adr, with\n"
"PMEM_EMULATE_IO=uring, =pwrite and =auto, which copies into a shared\n"
"mapping here, each in a child process) against PMDK's\n"
"libpmem.so.1 on the same file (not pmem: stores, then pmem_msync), bare\n"
"io_uring write round trips and bare pwrite, in each directory.\n"
"\n"
"  --dir DIR       a directory to measure in, repeatable (default: the\n"
"                  current directory, or $TMPDIR if it is not writable, and\n"
"                  /dev/shm if it exists)\n"
"  --cpu N         pin everything (children too) to CPU N\n"
"  --quick         a short run (3 rounds of ~0.5 ms batches), a smoke test\n"
"  --json FILE     also write the results as JSON to FILE\n"
"  --size MIB      file size in MiB (default 64, at least 8)\n"
"  --rounds N      rounds per test (default 21, --quick 3)\n"
"  --batch-ms MS   time of one contender's batch (default 8, --quick 0.5)\n"
"  --pmdk PATH     the reference to dlopen (default libpmem.so.1)\n"
"  --only LIST     run only some tests: p64,p4k,s64k,s1m,copy,threads\n"
"  --help          this text\n"
"\n"
"Each test runs in rounds; in a round every contender runs one batch, in a\n"
"shuffled order; every operation is timed. Tables give the median and the\n"
"90th percentile of the operations' times, and the goals the ratios of\n"
"medians, for each variant of ours. Contenders run the same operations at\n"
"the same offsets. Tests: store + pmem_persist of 64 B and 4 KiB; 32 lines\n"
"stored and pmem_flush'ed, scattered in 64 KiB and in 1 MiB, then one\n"
"pmem_drain; pmem_memcpy_persist of 2 MiB; 64 B persists by 1 and 2\n"
"threads, each in its own half of the file.\n", prog);
}

/* bad_usage -- one line about a bad command line, status 2 (internal) */
static int
bad_usage(const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s%s%s (--help lists the options)\n", PROG, what,
		arg ? " " : "", arg ? arg : "");
	return 2;
}

/* parse_only -- "p64,s64k": the tests to run; 0 or -1 (internal) */
static int
parse_only(const char *s)
{
	Opt.tests = 0;
	while (*s) {
		size_t n = strcspn(s, ",");
		int i;
		for (i = 0; i < NTESTS; i++)
			if (strlen(Tests[i].key) == n &&
					strncmp(s, Tests[i].key, n) == 0)
				break;
		if (i == NTESTS)
			return -1;
		Opt.tests |= 1u << i;
		s += n;
		if (*s == ',' && *++s == '\0')
			return -1;
	}
	return Opt.tests != 0 ? 0 : -1;
}

/* parse_long -- a whole decimal number in [lo, hi], or -1 (internal) */
static long
parse_long(const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	return v;
}

/* default_dirs -- the current directory (or $TMPDIR) and /dev/shm
 * (internal) */
static void
default_dirs(void)
{
	/* under "bazel run" the working directory is the runfiles tree */
	const char *wd = getenv("BUILD_WORKING_DIRECTORY");
	const char *cur = wd != NULL && wd[0] != '\0' ? wd : ".";
	if (access(cur, W_OK) != 0) {
		const char *tmp = getenv("TMPDIR");
		cur = tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp";
	}
	Opt.dirs[Opt.ndirs++] = cur;
	struct stat st;
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode))
		Opt.dirs[Opt.ndirs++] = "/dev/shm";
}

int
main(int argc, char *argv[])
{
	if (argc == 4 && strcmp(argv[1], CHILD_OPTION) == 0)
		return child_main(argv[2], (size_t)strtoull(argv[3], NULL, 10));

	enum { O_DIR = 256, O_CPU, O_QUICK, O_JSON, O_SIZE, O_ROUNDS,
		O_BATCH_MS, O_PMDK, O_ONLY, O_HELP };
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, O_DIR },
		{ "cpu", required_argument, NULL, O_CPU },
		{ "quick", no_argument, NULL, O_QUICK },
		{ "json", required_argument, NULL, O_JSON },
		{ "size", required_argument, NULL, O_SIZE },
		{ "rounds", required_argument, NULL, O_ROUNDS },
		{ "batch-ms", required_argument, NULL, O_BATCH_MS },
		{ "pmdk", required_argument, NULL, O_PMDK },
		{ "only", required_argument, NULL, O_ONLY },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int rounds = 0;
	double batch_ms = 0;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		long v;
		switch (c) {
		case O_DIR:
			if (Opt.ndirs == MAX_DIRS)
				return bad_usage("too many --dir, at most",
					"8");
			Opt.dirs[Opt.ndirs++] = optarg;
			break;
		case O_CPU:
			if ((v = parse_long(optarg, 0, CPU_SETSIZE - 1)) < 0)
				return bad_usage("bad --cpu", optarg);
			Opt.cpu = (int)v;
			break;
		case O_QUICK:
			Opt.quick = true;
			break;
		case O_JSON:
			Opt.json = optarg;
			break;
		case O_SIZE:
			if ((v = parse_long(optarg, 8, 1L << 20)) < 0)
				return bad_usage("bad --size (MiB, at least 8)",
					optarg);
			Opt.file_size = (size_t)v * MIB;
			break;
		case O_ROUNDS:
			if ((v = parse_long(optarg, 1, MAX_ROUNDS)) < 0)
				return bad_usage("bad --rounds (1 to 101)",
					optarg);
			rounds = (int)v;
			break;
		case O_BATCH_MS: {
			char *end;
			batch_ms = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || !(batch_ms > 0) ||
					batch_ms > 10000)
				return bad_usage("bad --batch-ms", optarg);
			break;
		}
		case O_PMDK:
			Opt.pmdk_path = optarg;
			break;
		case O_ONLY:
			if (parse_only(optarg) != 0)
				return bad_usage("bad --only (a list of p64, "
					"p4k, s64k, s1m, copy, threads)",
					optarg);
			break;
		case 'h':
		case O_HELP:
			usage(argv[0]);
			return 0;
		case ':':
			return bad_usage("missing value of",
				argv[optind - 1]);
		default:
			return bad_usage("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument", argv[optind]);
	Opt.rounds = rounds > 0 ? rounds : Opt.quick ? 3 : 21;
	Opt.batch_ns = (batch_ms > 0 ? batch_ms : Opt.quick ? 0.5 : 8) * 1e6;
	if (Opt.ndirs == 0)
		default_dirs();
	Size = Opt.file_size;

	/* PMDK must take its non-pmem path, as a program on a plain file */
	unsetenv("PMEM_IS_PMEM_FORCE");
	signal(SIGPIPE, SIG_IGN);
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);

	if (Opt.cpu >= 0 && pin_cpu(Opt.cpu, PROG) != 0)
		return 1;
	char model[256];
	printf("%s: %s, %s, %d rounds of ~%.1f ms batches per contender, "
		"file %zu MiB\n", PROG, cpu_model(model, sizeof(model)),
		Opt.cpu >= 0 ? "pinned" : "not pinned", Opt.rounds,
		Opt.batch_ns / 1e6, Opt.file_size / MIB);
	if (Opt.cpu >= 0)
		printf("pinned to CPU %d (children and their threads too)\n",
			Opt.cpu);
	load_pmdk();
	fflush(stdout);

	Shadow = mmap(NULL, Size, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (Shadow == MAP_FAILED || alloc_src() != 0) {
		fprintf(stderr, "%s: mmap: %s\n", PROG, strerror(errno));
		return 1;
	}

	double t0 = now_ns();
	int ret = 0;
	for (int i = 0; i < Opt.ndirs; i++) {
		if (run_dir(&Runs[Nruns], Opt.dirs[i]) != 0)
			ret = 1;
		Nruns++;
	}
	printf("\nrun time %.1f s\n", (now_ns() - t0) / 1e9);

	if (Opt.json != NULL) {
		char jsonbuf[4096];
		const char *json = caller_path(Opt.json, jsonbuf,
			sizeof(jsonbuf));
		if (write_json(json, model) != 0)
			ret = 1;
		else
			printf("results written to %s\n", json);
	}
	for (int i = 0; i < Nruns; i++)
		for (int k = 0; k < Runs[i].nr; k++)
			free(Runs[i].r[k].v);
	munmap(Shadow, Size);
	munmap(Src, COPY_SIZE);
	return ret;
}

/*
 * bench_util.h -- what pmem-bench and pmem-emu-bench share: the clock,
 * order statistics, a shuffled order, the CPU's name and pinning, JSON
 * strings, the caller's paths under "bazel run" and the loading of PMDK's
 * libpmem as a reference.
 */
#ifndef PMEM_BENCH_UTIL_H
#define PMEM_BENCH_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

/*
 * now_ns -- monotonic time in nanoseconds; inline, so that timing one
 * operation costs what it did when each program had its own
 */
static inline double
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* cmp_double -- qsort order for doubles */
int cmp_double(const void *a, const void *b);

/* quantile -- the q-quantile of n sorted values, interpolated; 0 if n is 0 */
double quantile(const double *s, size_t n, double q);

/*
 * shuffle -- a random order of the n entries 0..n-1, the same from run to
 * run, so that none always follows the same other one
 */
void shuffle(int *order, int n);

/*
 * run_tag -- "PID-XXXXXXXX" (random hex), the same for the whole run: a
 * name for the run's files that two runs do not share even where PID
 * namespaces give them the same PID (Bazel's sandboxes, containers)
 */
const char *run_tag(void);

/* cpu_model -- the model name from /proc/cpuinfo, or "unknown", in buf */
const char *cpu_model(char *buf, size_t len);

/* json_str -- writes s (NULL: empty) as a JSON string */
void json_str(FILE *f, const char *s);

/*
 * json_open -- creates path and starts a JSON object with the members
 * "cpu" (model) and "pinned_cpu" (cpu, -1: none), ready for the next
 * member; NULL after a line on stderr starting with prog
 */
FILE *json_open(const char *path, const char *prog, const char *model,
	int cpu);

/* json_close -- closes f; 0, or -1 after a line on stderr */
int json_close(FILE *f, const char *path, const char *prog);

/*
 * pin_cpu -- pins this process, and the threads and processes it starts
 * later, to cpu; 0, or -1 after a line on stderr starting with prog
 */
int pin_cpu(int cpu, const char *prog);

/*
 * caller_path -- path as the caller meant it: under "bazel run", where the
 * working directory is the runfiles tree, a relative path names a file in
 * the caller's directory, written to buf
 */
const char *caller_path(const char *path, char *buf, size_t len);

/*
 * pmdk_open -- dlopens PMDK's libpmem at path, RTLD_LOCAL | RTLD_DEEPBIND,
 * its file's name to file; resolves the n names to fn, each of which must
 * lie in that file and differ from ours[i] (this program's entry of the
 * name). NULL, or why it failed, after a "reference: ..." line on stdout
 * ending with note.
 */
const char *pmdk_open(const char *path, const char *const *names,
	const void *const *ours, void **fn, int n, char *file, size_t len,
	const char *note);

#endif

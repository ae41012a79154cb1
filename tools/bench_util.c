/*
 * bench_util.c -- what pmem-bench and pmem-emu-bench share (see
 * bench_util.h).
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "bench_util.h"

/* cmp_double -- qsort order for doubles */
int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* quantile -- the q-quantile of n sorted values, interpolated */
double
quantile(const double *s, size_t n, double q)
{
	if (n == 0)
		return 0;
	double pos = q * (double)(n - 1);
	size_t i = (size_t)pos;
	if (i >= n - 1)
		return s[n - 1];
	return s[i] + (pos - (double)i) * (s[i + 1] - s[i]);
}

/* shuffle -- a random order of n entries, the same from run to run */
void
shuffle(int *order, int n)
{
	static uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = n - 1; i > 0; i--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int j = (int)(x % (uint64_t)(i + 1));
		int tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
}

/* cpu_model -- the model name from /proc/cpuinfo */
const char *
cpu_model(char *buf, size_t len)
{
	snprintf(buf, len, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f == NULL)
		return buf;
	char line[512];
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "model name", 10) != 0)
			continue;
		char *v = strchr(line, ':');
		if (v != NULL) {
			v += 1 + strspn(v + 1, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(buf, len, "%s", v);
		}
		break;
	}
	fclose(f);
	return buf;
}

/* json_str -- writes s as a JSON string */
void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s != NULL && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* json_open -- creates path, writes the members every result file has */
FILE *
json_open(const char *path, const char *prog, const char *model, int cpu)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return NULL;
	}
	fprintf(f, "{\n  \"cpu\": ");
	json_str(f, model);
	fprintf(f, ",\n  \"pinned_cpu\": %d,\n  ", cpu);
	return f;
}

/* json_close -- closes f, says why it failed */
int
json_close(FILE *f, const char *path, const char *prog)
{
	if (fclose(f) != 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	return 0;
}

/* pin_cpu -- pins this process and what it starts to cpu */
int
pin_cpu(int cpu, const char *prog)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		fprintf(stderr, "%s: cannot pin to CPU %d: %s\n", prog, cpu,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* caller_path -- path relative to the caller's directory under bazel run */
const char *
caller_path(const char *path, char *buf, size_t len)
{
	const char *wd = getenv("BUILD_WORKING_DIRECTORY");
	if (path[0] == '/' || wd == NULL || wd[0] == '\0')
		return path;
	snprintf(buf, len, "%s/%s", wd, path);
	return buf;
}

/* in_pmdk -- true if fn lies in PMDK's loaded file (internal) */
static bool
in_pmdk(const void *fn, const char *pmdk_file)
{
	Dl_info info;
	if (dladdr(fn, &info) == 0 || info.dli_fname == NULL)
		return false;
	return strcmp(info.dli_fname, pmdk_file) == 0;
}

/* pmdk_open -- loads the reference, checks where its entries lie */
const char *
pmdk_open(const char *path, const char *const *names,
	const void *const *ours, void **fn, int n, char *file, size_t len,
	const char *note)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	/* the sanitizers' runtimes refuse RTLD_DEEPBIND (and abort) */
	(void)path, (void)names, (void)ours, (void)fn, (void)n, (void)file,
		(void)len;
	printf("reference: PMDK's libpmem is not loaded under a "
		"sanitizer%s\n", note);
	return "not loaded under a sanitizer";
#endif
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
	if (h == NULL) {
		printf("reference: PMDK's libpmem is missing (%s)%s\n",
			dlerror(), note);
		return "missing";
	}
	struct link_map *lm = NULL;
	if (dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0 || lm == NULL) {
		printf("reference: dlinfo failed (%s)%s\n", dlerror(), note);
		return "dlinfo failed";
	}
	snprintf(file, len, "%s", lm->l_name);
	for (int i = 0; i < n; i++) {
		fn[i] = dlsym(h, names[i]);
		if (fn[i] == NULL || fn[i] == ours[i] ||
				!in_pmdk(fn[i], file)) {
			printf("reference: %s of %s does not resolve inside "
				"it%s\n", names[i], file, note);
			return "entries not inside it";
		}
	}
	return NULL;
}

const char *
run_tag(void)
{
	static char tag[32];
	if (tag[0] == '\0') {
		uint32_t r;
		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			r = (uint32_t)now_ns() ^ (uint32_t)((uintptr_t)&r >> 4);
		snprintf(tag, sizeof(tag), "%ld-%08x", (long)getpid(),
			(unsigned)r);
	}
	return tag;
}

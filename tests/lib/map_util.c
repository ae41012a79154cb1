/*
 * map_util.c -- helpers for the pmem_map_file tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "map_util.h"

/* die -- a helper failed where the test cannot go on */
static void
die(const char *what)
{
	perror(what);
	abort();
}

char *
mu_mkdtemp(void)
{
	const char *base = getenv("TEST_TMPDIR");
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	char *dir;
	if (asprintf(&dir, "%s/pmemtest.XXXXXX", base) < 0)
		die("asprintf");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	return dir;
}

/* rm_one -- nftw callback removing one entry */
static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		chmod(path, 0700);
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* make_searchable -- nftw callback restoring permissions before removal */
static int
make_searchable(const char *path, const struct stat *st, int type,
		struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D || type == FTW_DNR)
		chmod(path, 0700);
	else if (type == FTW_F)
		chmod(path, st->st_mode | 0600);
	return 0;
}

void
mu_rmtree(const char *dir)
{
	nftw(dir, make_searchable, 16, FTW_PHYS);
	if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		die("rmtree");
}

char *
mu_join(const char *dir, const char *name)
{
	char *p;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		die("asprintf");
	return p;
}

int
mu_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		die("opendir /proc/self/fd");
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory stream's own descriptor */
}

int
mu_count_maps(const char *needle)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (f == NULL)
		die("fopen /proc/self/maps");
	char *line = NULL;
	size_t cap = 0;
	int n = 0;
	while (getline(&line, &cap, f) > 0)
		if (strstr(line, needle) != NULL)
			n++;
	free(line);
	fclose(f);
	return n;
}

char *
mu_maps_line(const void *addr)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (f == NULL)
		die("fopen /proc/self/maps");
	char *line = NULL;
	size_t cap = 0;
	unsigned long lo, hi;
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 &&
				(uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
			fclose(f);
			return line;
		}
	}
	free(line);
	fclose(f);
	return NULL;
}

void
mu_make_file(const char *path, off_t size, mode_t mode)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		die("open");
	char buf[4096];
	memset(buf, 'x', sizeof(buf));
	for (off_t done = 0; done < size; ) {
		size_t n = size - done < (off_t)sizeof(buf) ?
			(size_t)(size - done) : sizeof(buf);
		ssize_t w = write(fd, buf, n);
		if (w <= 0)
			die("write");
		done += w;
	}
	if (fchmod(fd, mode) != 0)
		die("fchmod");
	close(fd);
}

off_t
mu_file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

int
mu_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		die("opendir");
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

bool
mu_is_mapped(const void *addr, size_t len)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t p = (uintptr_t)addr & ~(ps - 1);
	uintptr_t end = (uintptr_t)addr + len;
	unsigned char vec;
	for (; p < end; p += ps)
		if (mincore((void *)p, ps, &vec) == 0)
			return true;
	return false;
}

void *
mu_unmapped_range(size_t len)
{
	void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	munmap(p, len);
	return p;
}

struct dac_job {
	void (*fn)(void *);
	void *arg;
	bool dropped;
};

/* dac_thread -- drops the DAC capabilities of this thread only, runs the job */
static void *
dac_thread(void *arg)
{
	struct dac_job *job = arg;
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) != 0)
		return NULL;
	/* access() checks with the permitted set for root: drop from both */
	uint32_t drop = (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH) |
		(1u << CAP_FOWNER);
	data[0].effective &= ~drop;
	data[0].permitted &= ~drop;
	data[0].inheritable &= ~drop;
	if (syscall(SYS_capset, &hdr, data) != 0)
		return NULL;
	job->dropped = true;
	job->fn(job->arg);
	return NULL;
}

bool
mu_without_dac_override(void (*fn)(void *arg), void *arg)
{
	struct dac_job job = { fn, arg, false };
	pthread_t t;
	if (pthread_create(&t, NULL, dac_thread, &job) != 0)
		die("pthread_create");
	pthread_join(t, NULL);
	return job.dropped;
}

int
mu_setup(void **state)
{
	struct mu_env *env = calloc(1, sizeof(*env));
	if (env == NULL)
		die("calloc");
	env->dir = mu_mkdtemp();
	env->fds = mu_count_fds();
	*state = env;
	return 0;
}

int
mu_teardown(void **state)
{
	struct mu_env *env = *state;
	int maps = mu_count_maps(env->dir);
	int fds = mu_count_fds();
	mu_rmtree(env->dir);
	free(env->dir);
	int expected_fds = env->fds;
	free(env);
	assert_int_equal(maps, 0);
	assert_int_equal(fds, expected_fds);
	return 0;
}

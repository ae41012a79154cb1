/*
 * dax_guest.c -- the program the DAX VM test runs inside the guest, on a
 * real fsdax mount (ext4 -o dax on an emulated NVDIMM) and, if the guest has
 * one, a device DAX.
 *
 * Linked statically against the library, so that the guest needs nothing but
 * this file. Arguments are key=value words (run_vm_test.sh passes them
 * through the kernel command line and the guest's init):
 *
 *   dir=DIR           the DAX mount (required)
 *   nondax=DIR        a directory on a file system without DAX
 *   flush=NAME        the flush instruction the library must choose
 *   engine=NAME       the copy engine the library must choose
 *   auto_flush=0|1    what pmem_has_auto_flush() must answer
 *   domain=NAME       region0's persistence_domain: cpu_cache,
 *                     memory_controller, or absent
 *   devdax=PATH       a device DAX to map whole
 *   crash=write       ends by persisting a record and cutting the power
 *                     (reboot(2), no sync, no unmount)
 *   crash=verify      first checks the record a crash=write boot left
 *
 * Prints "ok ..." or "FAIL ..." per check, then "dax_guest: N failures"; the
 * exit status is 0 only if every check passed.
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpmem.h>

#include "lib/ops.h"

#define MIB (1024UL * 1024)
#define MAP_LEN (4 * MIB)
#define CRASH_LEN (4 * MIB)
#define CRASH_PATTERN_LEN (2 * MIB)
#define CRASH_MARKER "pmem-dax-crash-record-v1"

extern char **environ;

static int Failures;

/* check -- prints one result line; counts a failure (internal) */
__attribute__((format(printf, 2, 3)))
static void
check(int ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s ", ok ? "ok  " : "FAIL");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	if (!ok)
		Failures++;
}

/* info -- prints a line that is no check (internal) */
__attribute__((format(printf, 1, 2)))
static void
info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("info ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

/* arg -- the value of key=value among the arguments, or NULL (internal) */
static const char *
arg(int argc, char *argv[], const char *key)
{
	size_t n = strlen(key);
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], key, n) == 0 && argv[i][n] == '=')
			return argv[i] + n + 1;
	return NULL;
}

/* read_attr -- the first line of a small file, without its newline;
 * "absent" if it cannot be opened, "unreadable" if it cannot be read
 * (internal) */
static const char *
read_attr(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "absent";
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return "unreadable";
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* map_is_sync -- 1 if the mapping holding addr has the "sf" (synchronous
 * fault: MAP_SYNC) flag in /proc/self/smaps, 0 if not, -1 if not found
 * (internal) */
static int
map_is_sync(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	if (f == NULL)
		return -1;
	char line[512];
	int in = 0, found = -1;
	uintptr_t a = (uintptr_t)addr;
	while (fgets(line, sizeof(line), f) != NULL) {
		uintptr_t lo, hi;
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2
				&& strchr(line, ':') != NULL
				&& strncmp(line, "VmFlags", 7) != 0) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			found = strstr(line, " sf") != NULL;
			break;
		}
	}
	fclose(f);
	return found;
}

/* no_pmem_environment -- the library runs with no PMEM_* variable at all,
 * so nothing forces or emulates (internal) */
static void
no_pmem_environment(void)
{
	int n = 0;
	for (char **e = environ; *e != NULL; e++)
		if (strncmp(*e, "PMEM_", 5) == 0) {
			info("environment has %s", *e);
			n++;
		}
	check(n == 0, "no PMEM_* variable in the environment");
	check(strcmp(Chosen.mode, "hardware") == 0, "mode is %s",
		Chosen.mode);
}

/* cpu_flush_insn -- the best flush instruction CPUID reports (internal) */
static const char *
cpu_flush_insn(void)
{
	unsigned a, b, c, d;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		if (b & (1U << 24))
			return "clwb";
		if (b & (1U << 23))
			return "clflushopt";
	}
	return "clflush";
}

/* chosen_flush -- the instruction and whether flushing is needed follow
 * the CPU model and the persistence domain the VM was given (internal) */
static void
chosen_flush(const char *want_flush, int want_auto, const char *want_domain,
	const char *want_engine)
{
	char buf[64];
	const char *domain = read_attr(
		"/sys/bus/nd/devices/region0/persistence_domain", buf,
		sizeof(buf));
	info("region0/persistence_domain: %s; CPUID's best flush: %s; "
		"chosen: flush %s (%s: %s), drain %s, engine %s", domain,
		cpu_flush_insn(), Chosen.flush,
		Chosen.flush_needed ? "needed" : "not needed",
		Chosen.flush_reason, Chosen.drain, Chosen.engine);
	if (want_domain != NULL)
		check(strcmp(domain, want_domain) == 0,
			"persistence_domain is %s (want %s)", domain,
			want_domain);
	if (want_flush != NULL) {
		check(strcmp(cpu_flush_insn(), want_flush) == 0,
			"the VM's CPU offers %s as its best flush (want %s)",
			cpu_flush_insn(), want_flush);
		check(strcmp(Chosen.flush, want_flush) == 0,
			"library chose %s (want %s)", Chosen.flush, want_flush);
		const char *drain = strcmp(want_flush, "clflush") == 0 &&
			Chosen.flush_needed ? "none" : "sfence";
		check(strcmp(Chosen.drain, drain) == 0,
			"library drains with %s (want %s)", Chosen.drain, drain);
	}
	if (want_engine != NULL)
		check(strcmp(Chosen.engine, want_engine) == 0,
			"library chose the %s copy engine (want %s)",
			Chosen.engine, want_engine);
	int has = pmem_has_auto_flush();
	if (want_auto >= 0)
		check(has == want_auto, "pmem_has_auto_flush() = %d (want %d)",
			has, want_auto);
	check(Chosen.flush_needed == (has != 1),
		"flush %s, as pmem_has_auto_flush() = %d says",
		Chosen.flush_needed ? "needed" : "not needed", has);
	/* deep flush is always the instruction; pmem_flush is it only when
	 * flushing is needed, and empty on eADR */
	check((Ops.flush == Ops.deep_flush) == Chosen.flush_needed,
		"pmem_flush %s the flush instruction",
		Ops.flush == Ops.deep_flush ? "runs" : "skips");
}

/* map_dax -- maps a new file of the DAX mount: MAP_SYNC, is_pmem 1
 * (internal) */
static char *
map_dax(const char *path, size_t len, size_t *mapped)
{
	int is_pmem = -1;
	*mapped = 0;
	char *p = pmem_map_file(path, len, PMEM_FILE_CREATE, 0644, mapped,
		&is_pmem);
	check(p != NULL, "pmem_map_file(%s, %zu) maps it%s%s", path, len,
		p == NULL ? ": " : "", p == NULL ? pmem_errormsg() : "");
	if (p == NULL)
		return NULL;
	check(*mapped == len, "mapped length %zu (want %zu)", *mapped, len);
	check(is_pmem == 1, "is_pmem = %d on the DAX file (want 1)", is_pmem);
	check(map_is_sync(p) == 1, "the mapping is MAP_SYNC (smaps: sf)");
	check(pmem_is_pmem(p, *mapped) == 1, "pmem_is_pmem(whole) = 1");
	check(pmem_is_pmem(p + 4096 + 7, 100) == 1,
		"pmem_is_pmem(inner range) = 1");
	return p;
}

/* map_nondax -- a file on a file system without DAX: is_pmem 0 (internal) */
static void
map_nondax(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/nondax-file", dir);
	size_t mapped = 0;
	int is_pmem = -1;
	char *p = pmem_map_file(path, MIB, PMEM_FILE_CREATE, 0644, &mapped,
		&is_pmem);
	check(p != NULL, "pmem_map_file(%s) maps it", path);
	if (p == NULL)
		return;
	check(is_pmem == 0, "is_pmem = %d on the non-DAX file (want 0)",
		is_pmem);
	check(map_is_sync(p) == 0, "the non-DAX mapping is not MAP_SYNC");
	check(pmem_is_pmem(p, mapped) == 0, "pmem_is_pmem(non-DAX) = 0");
	check(pmem_unmap(p, mapped) == 0, "pmem_unmap(non-DAX) = 0");
	unlink(path);
}

/* fill -- a pattern that differs per seed and offset (internal) */
static void
fill(unsigned char *buf, size_t len, unsigned seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (size_t i = 0; i < len; i += sizeof(x)) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t n = len - i < sizeof(x) ? len - i : sizeof(x);
		memcpy(buf + i, &x, n);
	}
}

/* Shadow: what the DAX file must hold, compared through read(2). */
static unsigned char *Shadow;
static unsigned char *Readback;
static int Fd;

/* file_matches -- the file, read with pread (not through the mapping),
 * equals the shadow over [off, off + len) (internal) */
static int
file_matches(size_t off, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(Fd, Readback + off + done, len - done,
			(off_t)(off + done));
		if (n <= 0)
			return 0;
		done += (size_t)n;
	}
	return memcmp(Readback + off, Shadow + off, len) == 0;
}

/* A piece of the file: offset and length. */
struct piece {
	size_t off, len;
};

/* Offsets and lengths: sub-line, line-sized, unaligned, page and large
 * (streaming) copies. */
static const struct piece Pieces[] = {
	{ 1, 1 }, { 64, 8 }, { 128, 64 }, { 200, 63 }, { 333, 257 },
	{ 4096, 4096 }, { 3 * 4096 + 13, 3 * 4096 + 5 },
	{ 64 * 1024 + 7, 300 * 1024 + 3 }, { 2 * MIB + 64, MIB + 64 },
};
#define NPIECES (sizeof(Pieces) / sizeof(Pieces[0]))

/* persist_calls -- every persist call on the DAX mapping leaves its bytes
 * in the file (internal) */
static void
persist_calls(unsigned char *p)
{
	unsigned char *src = malloc(MAP_LEN);
	if (src == NULL) {
		check(0, "malloc");
		return;
	}
	static const struct {
		const char *name;
		unsigned flags;
	} Copy_flags[] = {
		{ "0", 0 },
		{ "NONTEMPORAL", PMEM_F_MEM_NONTEMPORAL },
		{ "TEMPORAL", PMEM_F_MEM_TEMPORAL },
		{ "WC", PMEM_F_MEM_WC },
		{ "WB", PMEM_F_MEM_WB },
		{ "NODRAIN", PMEM_F_MEM_NODRAIN },
		{ "NOFLUSH", PMEM_F_MEM_NOFLUSH },
	};
	unsigned seed = 1;
	int ok;

	/* plain stores, then pmem_persist */
	ok = 1;
	for (size_t i = 0; i < NPIECES; i++) {
		fill(Shadow + Pieces[i].off, Pieces[i].len, seed++);
		memcpy(p + Pieces[i].off, Shadow + Pieces[i].off,
			Pieces[i].len);
		pmem_persist(p + Pieces[i].off, Pieces[i].len);
		ok &= file_matches(Pieces[i].off, Pieces[i].len);
	}
	check(ok, "stores + pmem_persist reach the file (%zu ranges)",
		NPIECES);

	/* stores, pmem_flush, one pmem_drain */
	for (size_t i = 0; i < NPIECES; i++) {
		fill(Shadow + Pieces[i].off, Pieces[i].len, seed++);
		memcpy(p + Pieces[i].off, Shadow + Pieces[i].off,
			Pieces[i].len);
		pmem_flush(p + Pieces[i].off, Pieces[i].len);
	}
	pmem_drain();
	check(file_matches(0, MAP_LEN), "stores + pmem_flush + pmem_drain");

	ok = 1;
	for (size_t i = 0; i < NPIECES; i++) {
		fill(src, Pieces[i].len, seed++);
		void *r = pmem_memcpy_persist(p + Pieces[i].off, src,
			Pieces[i].len);
		memcpy(Shadow + Pieces[i].off, src, Pieces[i].len);
		ok &= r == p + Pieces[i].off && file_matches(Pieces[i].off,
			Pieces[i].len);
	}
	check(ok, "pmem_memcpy_persist (%zu sizes)", NPIECES);

	ok = 1;
	for (size_t i = 0; i < NPIECES; i++) {
		int c = (int)(seed++ & 0xff);
		void *r = pmem_memset_persist(p + Pieces[i].off, c,
			Pieces[i].len);
		memset(Shadow + Pieces[i].off, c, Pieces[i].len);
		ok &= r == p + Pieces[i].off && file_matches(Pieces[i].off,
			Pieces[i].len);
	}
	check(ok, "pmem_memset_persist (%zu sizes)", NPIECES);

	/* overlapping moves, both directions */
	fill(Shadow, MAP_LEN, seed++);
	memcpy(p, Shadow, MAP_LEN);
	pmem_persist(p, MAP_LEN);
	pmem_memmove_persist(p + 1000, p + 1000 + 4099, 512 * 1024);
	memmove(Shadow + 1000, Shadow + 1000 + 4099, 512 * 1024);
	pmem_memmove_persist(p + MIB + 4099, p + MIB, 512 * 1024);
	memmove(Shadow + MIB + 4099, Shadow + MIB, 512 * 1024);
	check(file_matches(0, MAP_LEN), "pmem_memmove_persist, overlapping");

	/* the flag variants, each finished by a persist or a drain */
	ok = 1;
	for (size_t f = 0; f < sizeof(Copy_flags) / sizeof(Copy_flags[0]);
			f++) {
		unsigned fl = Copy_flags[f].flags;
		for (size_t i = 0; i < NPIECES; i++) {
			const struct piece *pc = &Pieces[i];
			fill(src, pc->len, seed++);
			pmem_memcpy(p + pc->off, src, pc->len, fl);
			memcpy(Shadow + pc->off, src, pc->len);
			int c = (int)(seed++ & 0xff);
			pmem_memset(p + pc->off + pc->len / 2, c,
				pc->len - pc->len / 2, fl);
			memset(Shadow + pc->off + pc->len / 2, c,
				pc->len - pc->len / 2);
			if (fl & PMEM_F_MEM_NOFLUSH)
				pmem_persist(p + pc->off, pc->len);
			else
				pmem_drain();
			ok &= file_matches(pc->off, pc->len);
		}
	}
	check(ok, "pmem_memcpy/pmem_memset with each flag");
	free(src);
}

/* deep_calls -- deep flush, persist and drain on the DAX mapping: region0's
 * deep_flush cannot be written (QEMU's NFIT has no flush hints), and, as in
 * PMDK, a MAP_SYNC file's deep drain is an msync that succeeds (internal) */
static void
deep_calls(unsigned char *p)
{
	char buf[16];
	const char *df = read_attr("/sys/bus/nd/devices/region0/deep_flush",
		buf, sizeof(buf));
	int wfd = open("/sys/bus/nd/devices/region0/deep_flush",
		O_WRONLY | O_CLOEXEC);
	int werr = wfd < 0 ? errno : 0;
	if (wfd >= 0) {
		if (write(wfd, "1", 1) != 1)
			werr = errno;
		close(wfd);
	}
	info("region0/deep_flush reads %s; writing 1: %s", df,
		werr == 0 ? "accepted" : strerror(werr));
	check(werr != 0, "region0/deep_flush cannot be written");

	fill(Shadow + 4096, 8192, 777);
	memcpy(p + 4096, Shadow + 4096, 8192);
	pmem_deep_flush(p + 4096, 8192);
	errno = 0;
	int r = pmem_deep_drain(p + 4096, 8192);
	check(r == 0, "pmem_deep_flush + pmem_deep_drain = %d (%s)", r,
		r == 0 ? "ok" : strerror(errno));
	check(file_matches(4096, 8192), "the deep-flushed range is in the file");

	fill(Shadow + 3 * MIB + 3, 100000, 778);
	memcpy(p + 3 * MIB + 3, Shadow + 3 * MIB + 3, 100000);
	r = pmem_deep_persist(p + 3 * MIB + 3, 100000);
	check(r == 0, "pmem_deep_persist = %d", r);
	check(file_matches(3 * MIB + 3, 100000),
		"the deep-persisted range is in the file");

	r = pmem_deep_drain(p, MAP_LEN);
	check(r == 0, "pmem_deep_drain(whole mapping) = %d", r);
	check(pmem_deep_drain(p, 0) == 0, "pmem_deep_drain(len 0) = 0");
}

/* dax_file -- the fsdax checks on a new file of dir (internal) */
static void
dax_file(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/dax-file", dir);
	unlink(path);
	size_t mapped;
	unsigned char *p = (unsigned char *)map_dax(path, MAP_LEN, &mapped);
	if (p == NULL)
		return;
	Fd = open(path, O_RDONLY | O_CLOEXEC);
	Shadow = calloc(1, MAP_LEN);
	Readback = malloc(MAP_LEN);
	if (Fd < 0 || Shadow == NULL || Readback == NULL) {
		check(0, "open %s for reading back, or malloc", path);
		return;
	}
	check(file_matches(0, MAP_LEN), "a new DAX file reads as zeros");
	persist_calls(p);
	deep_calls(p);
	check(pmem_unmap(p, mapped) == 0, "pmem_unmap = 0");
	check(pmem_is_pmem(p, mapped) == 0,
		"pmem_is_pmem after pmem_unmap = 0");
	check(file_matches(0, MAP_LEN), "the file holds every write after "
		"unmap");
	close(Fd);
	free(Shadow);
	free(Readback);
}

/* devdax -- a whole device DAX: len 0 maps it all, is_pmem 1 (internal) */
static void
devdax(const char *path)
{
	char sys[256], buf[64];
	const char *name = strrchr(path, '/');
	snprintf(sys, sizeof(sys), "/sys/bus/dax/devices/%s/size",
		name != NULL ? name + 1 : path);
	unsigned long long size = strtoull(read_attr(sys, buf, sizeof(buf)),
		NULL, 0);
	info("%s: %llu bytes", path, size);
	check(size > 0, "%s has a size in sysfs", path);

	size_t mapped = 0;
	int is_pmem = -1;
	unsigned char *p = pmem_map_file(path, 0, 0, 0, &mapped, &is_pmem);
	check(p != NULL, "pmem_map_file(%s, len 0) maps it%s%s", path,
		p == NULL ? ": " : "", p == NULL ? pmem_errormsg() : "");
	if (p == NULL)
		return;
	check(mapped == size, "device DAX mapped whole: %zu (want %llu)",
		mapped, size);
	check(is_pmem == 1, "is_pmem = %d on device DAX (want 1)", is_pmem);
	check(pmem_is_pmem(p, mapped) == 1, "pmem_is_pmem(device DAX) = 1");

	unsigned char *want = malloc(2 * MIB);
	if (want == NULL)
		return;
	fill(want, 2 * MIB, 4242);
	pmem_memcpy_persist(p + mapped - 2 * MIB, want, 2 * MIB);
	check(pmem_deep_persist(p, 4096) == 0,
		"pmem_deep_persist on device DAX = 0");
	check(pmem_unmap(p, mapped) == 0, "pmem_unmap(device DAX) = 0");

	/* mapped again: the data is on the device */
	p = pmem_map_file(path, 0, 0, 0, &mapped, &is_pmem);
	check(p != NULL && memcmp(p + mapped - 2 * MIB, want, 2 * MIB) == 0,
		"device DAX keeps the data across mappings");
	if (p != NULL)
		pmem_unmap(p, mapped);
	free(want);
}

/* crash_path -- the file the power-loss record lives in (internal) */
static void
crash_path(char *buf, size_t size, const char *dir)
{
	snprintf(buf, size, "%s/crash-record", dir);
}

/* control_path -- a file written with write(2) and never synced before the
 * power cut: whether it survives is up to ext4's journal commit, so it is
 * only reported, to show the cut is real (internal) */
static void
control_path(char *buf, size_t size, const char *dir)
{
	snprintf(buf, size, "%s/crash-control", dir);
}

/* crash_write -- persists a record through MAP_SYNC, then cuts the power
 * with no sync, no unmap, no unmount; does not return (internal) */
static void
crash_write(const char *dir)
{
	char path[4096];
	crash_path(path, sizeof(path), dir);
	size_t mapped;
	unsigned char *p = (unsigned char *)map_dax(path, CRASH_LEN, &mapped);
	if (p == NULL || mapped != CRASH_LEN) {
		printf("dax_guest: %d failures\n", Failures);
		fflush(stdout);
		exit(1);
	}
	unsigned char *pat = malloc(CRASH_PATTERN_LEN);
	if (pat == NULL)
		abort();
	fill(pat, CRASH_PATTERN_LEN, 99);
	pmem_memcpy_persist(p + MIB, pat, CRASH_PATTERN_LEN);
	/* the marker last, as a commit record */
	pmem_memcpy_persist(p, CRASH_MARKER, sizeof(CRASH_MARKER));
	/* after the last MAP_SYNC fault, which committed ext4's journal */
	control_path(path, sizeof(path), dir);
	int cfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (cfd < 0 || write(cfd, CRASH_MARKER, sizeof(CRASH_MARKER)) !=
			(ssize_t)sizeof(CRASH_MARKER))
		info("control file %s: %s", path, strerror(errno));
	printf("dax_guest: %d failures\n", Failures);
	printf("crash: record persisted, cutting the power\n");
	fflush(stdout);
	fsync(STDOUT_FILENO);	/* the console line, not the DAX file */
	reboot(RB_POWER_OFF);
	printf("crash: reboot(RB_POWER_OFF): %s\n", strerror(errno));
	exit(1);
}

/* crash_verify -- after the crash and a new boot, the record is whole
 * (internal) */
static void
crash_verify(const char *dir)
{
	char path[4096], buf[64];
	control_path(path, sizeof(path), dir);
	const char *ctl = read_attr(path, buf, sizeof(buf));
	info("control: the file written with write(2) and no fsync before "
		"the cut %s", strcmp(ctl, "absent") == 0 ? "is gone" :
		strcmp(ctl, CRASH_MARKER) == 0 ? "survived (journal committed)" :
		"is there, without its data");
	unlink(path);
	crash_path(path, sizeof(path), dir);
	size_t mapped = 0;
	int is_pmem = -1;
	unsigned char *p = pmem_map_file(path, 0, 0, 0, &mapped, &is_pmem);
	check(p != NULL, "after the power cut, %s is there%s%s", path,
		p == NULL ? ": " : "", p == NULL ? pmem_errormsg() : "");
	if (p == NULL)
		return;
	check(mapped == CRASH_LEN, "its length is %zu (want %lu)", mapped,
		CRASH_LEN);
	check(is_pmem == 1, "is_pmem = %d after the new boot", is_pmem);
	check(mapped >= sizeof(CRASH_MARKER) &&
		memcmp(p, CRASH_MARKER, sizeof(CRASH_MARKER)) == 0,
		"the marker persisted before the power cut is intact");
	unsigned char *pat = malloc(CRASH_PATTERN_LEN);
	if (pat == NULL)
		abort();
	fill(pat, CRASH_PATTERN_LEN, 99);
	check(mapped >= MIB + CRASH_PATTERN_LEN &&
		memcmp(p + MIB, pat, CRASH_PATTERN_LEN) == 0,
		"the 2 MiB persisted before the power cut are intact");
	free(pat);
	pmem_unmap(p, mapped);
	unlink(path);
}

int
main(int argc, char *argv[])
{
	const char *dir = arg(argc, argv, "dir");
	const char *flush = arg(argc, argv, "flush");
	const char *autof = arg(argc, argv, "auto_flush");
	const char *nondax = arg(argc, argv, "nondax");
	const char *dd = arg(argc, argv, "devdax");
	const char *crash = arg(argc, argv, "crash");
	if (dir == NULL) {
		fprintf(stderr, "usage: %s dir=DIR [key=value...]\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		info("argument %s", argv[i]);

	if (crash != NULL && strcmp(crash, "verify") == 0)
		crash_verify(dir);
	no_pmem_environment();
	chosen_flush(flush, autof != NULL ? atoi(autof) : -1,
		arg(argc, argv, "domain"), arg(argc, argv, "engine"));
	dax_file(dir);
	if (nondax != NULL)
		map_nondax(nondax);
	if (dd != NULL)
		devdax(dd);
	if (crash != NULL && strcmp(crash, "write") == 0)
		crash_write(dir);

	printf("dax_guest: %d failures\n", Failures);
	return Failures == 0 ? 0 : 1;
}

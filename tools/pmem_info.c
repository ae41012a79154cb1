/*
 * pmem_info.c -- answers "what will this library do here?": the CPU's flush
 * instructions and the one chosen, the copy engine and its streaming
 * threshold, the NVDIMM regions and their persistence domains, whether
 * io_uring works, whether a path is on DAX, and the settings in force with
 * where each came from.
 *
 * usage: pmem-info [--json] [--sysfs DIR] [PATH]
 *
 * Everything it reports about the library is what the library itself decided
 * when it was loaded into this process (it is linked in), so the environment
 * acts on pmem-info exactly as on any program.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpmem.h>

#include "lib/arch/x86_64/cpu.h"
#include "lib/auto_flush.h"
#include "lib/devdax.h"
#include "lib/ops.h"
#include "emu/emu_int.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

#define MAX_REGIONS 256
#define MSG_MAX 256

/* One NVDIMM region of the bus directory. */
struct region {
	char name[256];
	char domain[64];	/* persistence_domain, "" if absent */
};

/* What was found about the path given on the command line. */
struct path_info {
	const char *path;
	const char *kind;	/* "file", "directory", "device DAX" */
	bool dax;		/* MAP_SYNC mapping succeeded, or device DAX */
	char why[MSG_MAX];	/* how dax was decided */
	int is_pmem;		/* pmem_map_file's answer, -1 if not tried */
	char is_pmem_why[MSG_MAX];
};

/* One setting: its variable, its value in force, where it came from. */
struct setting {
	const char *name;
	const char *value;
	bool from_env;
};

static struct region Regions[MAX_REGIONS];
static int Nregions;
static char Bus_error[MSG_MAX];

/* usage -- the help text (internal) */
static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--json] [--sysfs DIR] [PATH]\n"
		"Says what libpmem does on this machine: the CPU's flush "
		"instructions and the one\nchosen, the drain, the copy engine and "
		"its non-temporal threshold, the NVDIMM\nregions and their "
		"persistence domain (ADR or eADR), whether io_uring works, and\n"
		"the settings in force (PMEM_* variables) with where each came "
		"from.\n\n"
		"  PATH         also say whether PATH is on DAX (a MAP_SYNC "
		"mapping of it\n"
		"               succeeds; a directory is tried with a temporary "
		"file) and\n"
		"               whether pmem_map_file reports is_pmem for it; "
		"a PATH that\n"
		"               cannot be examined ends pmem-info with status 1\n"
		"  --json       print one JSON object instead of text\n"
		"  --sysfs DIR  read the NVDIMM regions from DIR instead of "
		"%s\n"
		"  -h, --help   print this help\n\n"
		"Exit status: 0, 1 if PATH cannot be examined, 2 on a bad "
		"option.\n", prog, ND_BUS_DEVICES);
}

/* read_line -- first line of a small file into buf, "" if none (internal) */
static int
read_line(const char *path, char *buf, size_t size)
{
	buf[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* region_cmp -- orders regions by name, region2 before region10 (internal) */
static int
region_cmp(const void *a, const void *b)
{
	return strverscmp(((const struct region *)a)->name,
		((const struct region *)b)->name);
}

/* scan_regions -- the *region* links of bus_dir, as the library walks them
 * (internal) */
static void
scan_regions(const char *bus_dir)
{
	DIR *dir = opendir(bus_dir);
	if (dir == NULL) {
		snprintf(Bus_error, sizeof(Bus_error), "%s", strerror(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(dir)) != NULL && Nregions < MAX_REGIONS) {
		if (strstr(e->d_name, "region") == NULL)
			continue;
		struct stat st;
		if (fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0
				|| !S_ISLNK(st.st_mode))
			continue;
		struct region *r = &Regions[Nregions++];
		snprintf(r->name, sizeof(r->name), "%s", e->d_name);
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s/persistence_domain",
			bus_dir, e->d_name);
		read_line(path, r->domain, sizeof(r->domain));
	}
	closedir(dir);
	qsort(Regions, (size_t)Nregions, sizeof(Regions[0]), region_cmp);
}

/* domain_name -- "eADR", "ADR" or "none" for a persistence_domain (internal) */
static const char *
domain_name(const char *domain)
{
	if (strcmp(domain, "cpu_cache") == 0)
		return "eADR";
	if (strcmp(domain, "memory_controller") == 0)
		return "ADR";
	return "none";
}

/* probe_uring -- 1 if a ring can be set up and completes a no-op, else 0
 * with the reason in why (internal) */
static int
probe_uring(char *why, size_t size)
{
	struct io_uring ring;
	int ret = io_uring_queue_init(2, &ring, 0);
	if (ret < 0) {
		snprintf(why, size, "io_uring_queue_init: %s", strerror(-ret));
		return 0;
	}
	int ok = 0;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	struct io_uring_cqe *cqe;
	if (sqe == NULL) {
		snprintf(why, size, "no submission entry");
		goto out;
	}
	io_uring_prep_nop(sqe);
	ret = io_uring_submit_and_wait(&ring, 1);
	if (ret < 0) {
		snprintf(why, size, "io_uring_submit_and_wait: %s",
			strerror(-ret));
		goto out;
	}
	ret = io_uring_peek_cqe(&ring, &cqe);
	if (ret < 0 || cqe->res < 0) {
		snprintf(why, size, "no-op failed: %s",
			strerror(ret < 0 ? -ret : -cqe->res));
		goto out;
	}
	io_uring_cqe_seen(&ring, cqe);
	snprintf(why, size, "a no-op request completed");
	ok = 1;
out:
	io_uring_queue_exit(&ring);
	return ok;
}

/* try_map_sync -- tries a MAP_SYNC mapping of fd (internal) */
static void
try_map_sync(struct path_info *pi, int fd, bool writable)
{
	size_t len = (size_t)sysconf(_SC_PAGESIZE);
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	void *addr = mmap(NULL, len, prot, MAP_SHARED_VALIDATE | MAP_SYNC, fd,
		0);
	if (addr != MAP_FAILED) {
		munmap(addr, len);
		pi->dax = true;
		snprintf(pi->why, sizeof(pi->why), "a MAP_SYNC mapping "
			"succeeded");
		return;
	}
	int err = errno;
	pi->dax = false;
	snprintf(pi->why, sizeof(pi->why), "a MAP_SYNC mapping failed: %s%s",
		strerror(err), err == EOPNOTSUPP ? " (not DAX)" :
		err == EINVAL ? " (the kernel may lack MAP_SYNC)" : "");
}

/* try_map_file -- what pmem_map_file answers for the path (internal) */
static void
try_map_file(struct path_info *pi, bool dir, off_t size)
{
	size_t mapped;
	int is_pmem;
	void *addr;
	if (dir) {
		addr = pmem_map_file(pi->path, (size_t)sysconf(_SC_PAGESIZE),
			PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0600, &mapped,
			&is_pmem);
	} else if (size > 0) {
		addr = pmem_map_file(pi->path, 0, 0, 0, &mapped, &is_pmem);
	} else {
		snprintf(pi->is_pmem_why, sizeof(pi->is_pmem_why),
			"not tried: the file is empty");
		return;
	}
	if (addr == NULL) {
		snprintf(pi->is_pmem_why, sizeof(pi->is_pmem_why),
			"pmem_map_file failed: %s", pmem_errormsg());
		return;
	}
	pi->is_pmem = is_pmem;
	snprintf(pi->is_pmem_why, sizeof(pi->is_pmem_why), "%s",
		dir ? "pmem_map_file of a temporary file in it"
			: "pmem_map_file of the file");
	pmem_unmap(addr, mapped);
}

/* probe_path -- fills pi; -1 with a one-line message if it cannot
 * (internal) */
static int
probe_path(struct path_info *pi, char *msg, size_t size)
{
	struct stat st;
	pi->is_pmem = -1;
	if (stat(pi->path, &st) != 0) {
		snprintf(msg, size, "%s: %s", pi->path, strerror(errno));
		return -1;
	}
	int fd;
	bool writable = true;
	if (S_ISDIR(st.st_mode)) {
		pi->kind = "directory";
		fd = open(pi->path, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0) {
			char tmpl[4096];
			snprintf(tmpl, sizeof(tmpl), "%s/.pmem-info.XXXXXX",
				pi->path);
			fd = mkostemp(tmpl, O_CLOEXEC);
			if (fd >= 0)
				unlink(tmpl);
		}
		if (fd < 0) {
			snprintf(msg, size, "%s: cannot create a file in it: "
				"%s", pi->path, strerror(errno));
			return -1;
		}
		if (ftruncate(fd, sysconf(_SC_PAGESIZE)) != 0) {
			snprintf(msg, size, "%s: cannot size a file in it: %s",
				pi->path, strerror(errno));
			close(fd);
			return -1;
		}
	} else if (S_ISREG(st.st_mode)) {
		pi->kind = "file";
		fd = open(pi->path, O_RDWR | O_CLOEXEC);
		if (fd < 0 && (errno == EACCES || errno == EROFS)) {
			writable = false;
			fd = open(pi->path, O_RDONLY | O_CLOEXEC);
		}
		if (fd < 0) {
			snprintf(msg, size, "%s: %s", pi->path,
				strerror(errno));
			return -1;
		}
	} else if (S_ISCHR(st.st_mode) && devdax_check(&st) == 1) {
		pi->kind = "device DAX";
		pi->dax = true;
		ssize_t dsize = devdax_size(&st);
		snprintf(pi->why, sizeof(pi->why), "device DAX of %zd bytes, "
			"region %d (no MAP_SYNC needed)", dsize,
			devdax_region(&st));
		try_map_file(pi, false, dsize);
		return 0;
	} else {
		snprintf(msg, size, "%s: not a file, a directory or a device "
			"DAX", pi->path);
		return -1;
	}
	try_map_sync(pi, fd, writable);
	close(fd);
	try_map_file(pi, S_ISDIR(st.st_mode), st.st_size);
	return 0;
}

/* setting -- one variable: the value in force and its source (internal) */
static struct setting
setting(const char *name, const char *value)
{
	return (struct setting){ name, value, secure_getenv(name) != NULL };
}

/* emu_settings -- the emulation settings the library read at load; returns
 * how many (internal) */
static int
emu_settings(struct setting *s)
{
	static const char *const domains[] = { "0", "adr", "eadr" };
	static const char *const ios[] = { "auto", "uring", "pwrite", "mmap" };
	int n = 0;
	s[n++] = setting("PMEM_EMULATE", domains[Emu_domain]);
	s[n++] = setting("PMEM_EMULATE_STRICT", Emu.strict ? "1" : "0");
	s[n++] = setting("PMEM_EMULATE_FSYNC", Emu.fsync ? "1" : "0");
	s[n++] = setting("PMEM_EMULATE_IO", ios[Emu.io]);
	s[n++] = setting("PMEM_EMULATE_ON_ERROR",
		Emu.on_error == EMU_ERR_WARN ? "warn" : "abort");
	s[n++] = setting("PMEM_EMULATE_STATS", Emu.stats ? Emu.stats : "");
	s[n++] = setting("PMEM_EMULATE_REPORT", Emu.report ? Emu.report : "");
	return n;
}

/* lib_settings -- PMDK's variables: the raw value, or "" when unset
 * (internal) */
static int
lib_settings(struct setting *s)
{
	static const char *const names[] = {
		"PMEM_IS_PMEM_FORCE", "PMEM_NO_FLUSH", "PMEM_NO_CLWB",
		"PMEM_NO_CLFLUSHOPT", "PMEM_NO_MOVNT",
		"PMEM_NO_GENERIC_MEMCPY", "PMEM_MOVNT_THRESHOLD", "PMEM_AVX",
		"PMEM_AVX512F", "PMEM_WC_WORKAROUND", "PMEM_MMAP_HINT",
		"PMEM_LOG_LEVEL", "PMEM_LOG_FILE",
	};
	int n = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = secure_getenv(names[i]);
		s[n++] = (struct setting){ names[i], v ? v : "", v != NULL };
	}
	return n;
}

/* json_str -- prints s as a JSON string (internal) */
static void
json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* json_key -- prints ,"key": (no comma for the first) (internal) */
static void
json_key(bool *first, const char *key)
{
	printf("%s", *first ? "" : ", ");
	*first = false;
	json_str(key);
	printf(": ");
}

static const char *
yes(bool b)
{
	return b ? "yes" : "no";
}

static const char *
jbool(bool b)
{
	return b ? "true" : "false";
}

/* print_settings_json -- one object of settings (internal) */
static void
print_settings_json(const struct setting *s, int n)
{
	printf("{");
	for (int i = 0; i < n; i++) {
		bool first = i == 0;
		json_key(&first, s[i].name);
		printf("{\"value\": ");
		if (s[i].value[0] == '\0' && !s[i].from_env)
			printf("null");
		else
			json_str(s[i].value);
		printf(", \"source\": \"%s\"}",
			s[i].from_env ? "environment" : "default");
	}
	printf("}");
}

/* print_json -- the whole report as one object (internal) */
static void
print_json(const struct x86_cpu *cpu, const char *bus_dir, int all_eadr,
		int uring_ok, const char *uring_why, const struct path_info *pi,
		const struct setting *emu, int nemu, const struct setting *lib,
		int nlib)
{
	printf("{\"cpu\": {\"vendor\": ");
	json_str(cpu->vendor);
	printf(", \"clflush\": %s, \"clflushopt\": %s, \"clwb\": %s, "
		"\"avx\": %s, \"avx512f\": %s, \"movdir64b\": %s},\n",
		jbool(cpu->clflush), jbool(cpu->clflushopt), jbool(cpu->clwb),
		jbool(cpu->avx), jbool(cpu->avx512f), jbool(cpu->movdir64b));
	printf(" \"mode\": ");
	json_str(Chosen.mode);
	printf(",\n \"flush\": {\"chosen\": ");
	json_str(Chosen.flush);
	printf(", \"needed\": %s, \"reason\": ", jbool(Chosen.flush_needed));
	json_str(Chosen.flush_reason);
	printf("},\n \"drain\": ");
	json_str(Chosen.drain);
	printf(",\n \"copy\": {\"engine\": ");
	json_str(Chosen.engine);
	printf(", \"movnt_threshold\": %zu, \"threshold_source\": ",
		Chosen.movnt_threshold);
	json_str(Chosen.threshold_reason);
	printf(", \"wc_workaround\": %s},\n", jbool(Chosen.wc_workaround));
	printf(" \"nvdimm\": {\"bus\": ");
	json_str(bus_dir);
	if (Bus_error[0] != '\0') {
		printf(", \"bus_error\": ");
		json_str(Bus_error);
	}
	printf(", \"regions\": [");
	for (int i = 0; i < Nregions; i++) {
		printf("%s{\"name\": ", i ? ", " : "");
		json_str(Regions[i].name);
		printf(", \"persistence_domain\": ");
		if (Regions[i].domain[0] != '\0')
			json_str(Regions[i].domain);
		else
			printf("null");
		printf(", \"domain\": \"%s\"}", domain_name(Regions[i].domain));
	}
	printf("], \"eadr\": %s},\n", jbool(all_eadr == 1));
	printf(" \"io_uring\": {\"works\": %s, \"detail\": ", jbool(uring_ok));
	json_str(uring_why);
	printf("},\n");
	if (pi->path != NULL) {
		printf(" \"path\": {\"path\": ");
		json_str(pi->path);
		printf(", \"kind\": ");
		json_str(pi->kind);
		printf(", \"dax\": %s, \"dax_detail\": ", jbool(pi->dax));
		json_str(pi->why);
		printf(", \"is_pmem\": ");
		if (pi->is_pmem < 0)
			printf("null");
		else
			printf("%d", pi->is_pmem);
		printf(", \"is_pmem_detail\": ");
		json_str(pi->is_pmem_why);
		printf("},\n");
	}
	printf(" \"emulation\": ");
	print_settings_json(emu, nemu);
	printf(",\n \"settings\": ");
	print_settings_json(lib, nlib);
	printf("}\n");
}

/* print_settings_text -- one line per setting (internal) */
static void
print_settings_text(const struct setting *s, int n, bool show_unset)
{
	for (int i = 0; i < n; i++) {
		if (!show_unset && !s[i].from_env)
			continue;
		printf("  %-24s %-10s (%s)\n", s[i].name,
			s[i].value[0] != '\0' || s[i].from_env ?
				s[i].value : "unset",
			s[i].from_env ? "environment" : "default");
	}
}

/* print_text -- the report for people (internal) */
static void
print_text(const struct x86_cpu *cpu, const char *bus_dir, int all_eadr,
		int uring_ok, const char *uring_why, const struct path_info *pi,
		const struct setting *emu, int nemu, const struct setting *lib,
		int nlib)
{
	printf("cpu: %s\n", cpu->vendor);
	printf("flush instructions: clflush %s, clflushopt %s, clwb %s\n",
		yes(cpu->clflush), yes(cpu->clflushopt), yes(cpu->clwb));
	printf("vector units: avx %s, avx512f %s, movdir64b %s\n",
		yes(cpu->avx), yes(cpu->avx512f), yes(cpu->movdir64b));
	printf("mode: %s\n", Chosen.mode);
	printf("flush chosen: %s (%s: %s)\n", Chosen.flush,
		Chosen.flush_needed ? "needed" : "not needed",
		Chosen.flush_reason);
	printf("drain: %s\n", Chosen.drain);
	printf("copy engine: %s\n", Chosen.engine);
	printf("non-temporal threshold: %zu bytes (%s)\n",
		Chosen.movnt_threshold, Chosen.threshold_reason);
	printf("wc workaround: %s\n", Chosen.wc_workaround ? "on" : "off");
	if (Bus_error[0] != '\0')
		printf("nvdimm regions: none (%s: %s)\n", bus_dir, Bus_error);
	else if (Nregions == 0)
		printf("nvdimm regions: none (%s)\n", bus_dir);
	else
		printf("nvdimm regions: %d (%s)\n", Nregions, bus_dir);
	for (int i = 0; i < Nregions; i++)
		printf("  %s: %s (persistence_domain %s)\n", Regions[i].name,
			domain_name(Regions[i].domain),
			Regions[i].domain[0] ? Regions[i].domain : "absent");
	printf("eadr: %s\n", all_eadr == 1 ? "yes, on every region" : "no");
	printf("io_uring: %s (%s)\n", uring_ok ? "works" : "unavailable",
		uring_why);
	if (pi->path != NULL) {
		printf("path: %s (%s)\n", pi->path, pi->kind);
		printf("dax: %s (%s)\n", yes(pi->dax), pi->why);
		if (pi->is_pmem < 0)
			printf("is_pmem: unknown (%s)\n", pi->is_pmem_why);
		else
			printf("is_pmem: %d (%s)\n", pi->is_pmem,
				pi->is_pmem_why);
	}
	printf("emulation settings:\n");
	print_settings_text(emu, nemu, true);
	printf("other settings:");
	bool any = false;
	for (int i = 0; i < nlib; i++)
		any = any || lib[i].from_env;
	printf("%s\n", any ? "" : " all default");
	print_settings_text(lib, nlib, false);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "sysfs", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* under "bazel run", relative paths are the caller's */
	const char *wd = getenv("BUILD_WORKING_DIRECTORY");
	if (wd != NULL && chdir(wd) != 0) {
		fprintf(stderr, "pmem-info: %s: %s\n", wd, strerror(errno));
		return 1;
	}
	bool json = false;
	const char *bus_dir = ND_BUS_DEVICES;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 's':
			bus_dir = optarg;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "pmem-info: one PATH at most\n");
		return 2;
	}

	/* the path first: a bad one ends here, with nothing else printed */
	struct path_info pi = { .path = argc > optind ? argv[optind] : NULL };
	if (pi.path != NULL) {
		char msg[MSG_MAX + 4096];
		if (probe_path(&pi, msg, sizeof(msg)) != 0) {
			fprintf(stderr, "pmem-info: %s\n", msg);
			return 1;
		}
	}

	struct x86_cpu cpu;
	x86_cpu_probe(&cpu);
	scan_regions(bus_dir);
	int all_eadr = auto_flush_probe(bus_dir);
	char uring_why[MSG_MAX];
	int uring_ok = probe_uring(uring_why, sizeof(uring_why));
	struct setting emu[8], lib[16];
	int nemu = emu_settings(emu);
	int nlib = lib_settings(lib);

	if (json)
		print_json(&cpu, bus_dir, all_eadr, uring_ok, uring_why, &pi,
			emu, nemu, lib, nlib);
	else
		print_text(&cpu, bus_dir, all_eadr, uring_ok, uring_why, &pi,
			emu, nemu, lib, nlib);
	return 0;
}

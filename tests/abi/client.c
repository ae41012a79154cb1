/*
 * client.c -- a program written against libpmem.h and linked against
 * libpmem.so.1, which exercises the whole API and prints a transcript of what
 * it observed.
 *
 * The transcript holds only what must not depend on which libpmem.so.1
 * answers: return values, errno names, data checks, and the error messages
 * whose wording this library copies from PMDK (paths shown as $DIR). No
 * addresses, no timings. client_test.sh runs this one binary on our library
 * and on PMDK's and requires identical transcripts.
 *
 * usage: client DIR
 * DIR is an empty scratch directory. The first line ("library ...") names the
 * libpmem.so.1 that was loaded; it is checked, not compared. Exits 1 if a
 * copy, fill or mapping gave wrong data, whatever the library.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpmem.h>

#define MiB (1024 * 1024)

/* The data area: a file mapping and its expected contents. */
#define AREA_SIZE (256 * 1024 + 100)
#define SRC_OFF (128 * 1024)	/* where in-area sources start */

static const char *Dir;
static size_t Pagesize;
static int Bad;			/* a check of data or return values failed */

static unsigned char *Area;	/* the mapping */
static unsigned char *Shadow;	/* what the mapping should hold */
static unsigned char *Heap_src;	/* a source outside the mapping */

/* name -- errno's symbolic name, or "0" */
static const char *
name(int e)
{
	if (e == 0)
		return "0";
	const char *n = strerrorname_np(e);
	return n != NULL ? n : "unknown";
}

/* yes -- "yes" or "no" */
static const char *
yes(int b)
{
	return b ? "yes" : "no";
}

/* show -- prints s with every occurrence of Dir written as $DIR */
static void
show(const char *s)
{
	size_t n = strlen(Dir);
	putchar('"');
	while (*s != '\0') {
		if (strncmp(s, Dir, n) == 0) {
			fputs("$DIR", stdout);
			s += n;
		} else {
			putchar(*s++);
		}
	}
	putchar('"');
}

/* path -- DIR/name in a static buffer (one of two, to allow two at a time) */
static const char *
path(const char *file)
{
	static char buf[2][PATH_MAX];
	static int i;
	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", Dir, file);
	return buf[i];
}

/* Random bytes, the same in every run. */
static uint64_t Rng = 0x9e3779b97f4a7c15ULL;

/* fill_random -- fills buf with the next len pseudo-random bytes */
static void
fill_random(unsigned char *buf, size_t len)
{
	/* eight bytes a step: sanitizers check each store, keep them few */
	for (size_t i = 0; i < len; i += sizeof(Rng)) {
		Rng ^= Rng << 13;
		Rng ^= Rng >> 7;
		Rng ^= Rng << 17;
		size_t n = len - i < sizeof(Rng) ? len - i : sizeof(Rng);
		memcpy(buf + i, &Rng, n);
	}
}

/* fnv -- 64-bit FNV-1a hash of buf */
static uint64_t
fnv(const unsigned char *buf, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ buf[i]) * 1099511628211ULL;
	return h;
}

/* find_libpmem -- adds each loaded libpmem.so* to the list (callback) */
static int
find_libpmem(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	char *list = arg;
	const char *base = strrchr(info->dlpi_name, '/');
	base = base != NULL ? base + 1 : info->dlpi_name;
	if (strncmp(base, "libpmem.so", 10) != 0)
		return 0;
	char real[PATH_MAX];
	if (realpath(info->dlpi_name, real) == NULL)
		snprintf(real, sizeof(real), "%s", info->dlpi_name);
	size_t used = strlen(list);
	snprintf(list + used, 4 * PATH_MAX - used, "%s%s", used ? " " : "",
		real);
	return 0;
}

/* print_library -- the first line: which libpmem.so.1 is in the process */
static void
print_library(void)
{
	static char list[4 * PATH_MAX];
	dl_iterate_phdr(find_libpmem, list);
	printf("library %s\n", list[0] != '\0' ? list : "(none)");
}

/* version -- pmem_check_version, with the messages PMDK words the same */
static void
version(void)
{
	static const unsigned v[][2] = {
		{ 1, 0 }, { 1, 1 }, { 1, 2 }, { 1, 100 }, { 2, 0 }, { 0, 1 },
		{ 0, 5 }, { 2, 5 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *r = pmem_check_version(v[i][0], v[i][1]);
		printf("check_version(%u, %u): ", v[i][0], v[i][1]);
		if (r == NULL) {
			printf("NULL\n");
			continue;
		}
		show(r);
		printf(" is errormsg: %s\n", yes(r == pmem_errormsg()));
	}
	pmem_check_version(1, 7);
	const char *before = pmem_errormsg();
	char saved[256];
	snprintf(saved, sizeof(saved), "%s", before);
	pmem_check_version(1, 1);
	printf("errormsg kept after success: %s\n",
		yes(strcmp(pmem_errormsg(), saved) == 0));
}

/* thread_errormsg -- a new thread's message (thread body) */
static void *
thread_errormsg(void *arg)
{
	const char **msg = arg;
	*msg = pmem_errormsg();
	printf("new thread errormsg: ");
	show(*msg);
	printf("\n");
	pmem_check_version(9, 9);
	return NULL;
}

/* threads -- the message buffer belongs to the calling thread */
static void
threads(void)
{
	pmem_check_version(3, 0);
	const char *mine = pmem_errormsg();
	const char *theirs = NULL;
	pthread_t t;
	if (pthread_create(&t, NULL, thread_errormsg, &theirs) != 0 ||
			pthread_join(t, NULL) != 0) {
		printf("pthread: %s\n", name(errno));
		Bad = 1;
		return;
	}
	printf("main errormsg after thread's error: ");
	show(pmem_errormsg());
	printf(" same buffer as thread's: %s\n", yes(mine == theirs));
}

#define THREADS 4
#define ROUNDS 20

/* worker -- maps, fills, checks and unmaps its own files (thread body) */
static void *
worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	uintptr_t errors = 0;
	unsigned char expect[4096];
	for (int r = 0; r < ROUNDS; r++) {
		char file[PATH_MAX];	/* not path(): its buffers are shared */
		snprintf(file, sizeof(file), "%s/thread%u-%d", Dir,
			(unsigned)id, r);
		size_t len = 0;
		int ispm = -1;
		size_t want = 64 * 1024 + id * 4096;
		unsigned char *m = pmem_map_file(file, want,
			PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0600, &len, &ispm);
		if (m == NULL || len != want) {
			errors++;
			continue;
		}
		if (ispm != pmem_is_pmem(m, len))
			errors++;
		memset(expect, (int)(id * 16 + (uintptr_t)r), sizeof(expect));
		pmem_memcpy_persist(m + 100, expect, sizeof(expect));
		pmem_memset_nodrain(m + len - 5000, 0x5a, 5000);
		pmem_drain();
		if (memcmp(m + 100, expect, sizeof(expect)) != 0 ||
				m[len - 1] != 0x5a || pmem_msync(m, len) != 0)
			errors++;
		/* each thread sees its own last error */
		if (pmem_map_file(NULL, 0, 0, 0, NULL, NULL) != NULL ||
				strcmp(pmem_errormsg(), "invalid (NULL) path") != 0)
			errors++;
		if (pmem_unmap(m, len) != 0 || unlink(file) != 0)
			errors++;
	}
	return (void *)errors;
}

/* concurrency -- threads mapping, copying and unmapping at once */
static void
concurrency(void)
{
	pthread_t t[THREADS];
	uintptr_t errors = 0;
	int started = 0;
	for (uintptr_t i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i) == 0)
			started++;
	for (int i = 0; i < started; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		errors += (uintptr_t)ret;
	}
	printf("%d threads x %d rounds of map, copy, check, unmap: %s\n",
		started, ROUNDS, errors == 0 ? "ok" : "WRONG");
	if (errors != 0 || started != THREADS)
		Bad = 1;
}

/* report_map -- prints the outcome of one pmem_map_file call */
static void *
report_map(const char *label, void *addr, int oerrno, size_t mlen, int ispm,
		int show_msg)
{
	printf("map %s: ", label);
	if (addr == NULL) {
		printf("NULL errno %s out-params untouched %s", name(oerrno),
			yes(mlen == 12345 && ispm == -7));
		if (show_msg) {
			printf(" msg ");
			show(pmem_errormsg());
		}
		printf("\n");
		return NULL;
	}
	printf("ok len %zu is_pmem %d (agrees %s) 2MiB-aligned %s\n", mlen,
		ispm, yes(ispm == pmem_is_pmem(addr, mlen)),
		yes((uintptr_t)addr % (2 * MiB) == 0));
	return addr;
}

/* map -- pmem_map_file with sentinel out-parameters, reported */
static void *
map(const char *label, const char *p, size_t len, int flags, mode_t mode,
		int show_msg, size_t *mlenp)
{
	size_t mlen = 12345;
	int ispm = -7;
	errno = 0;
	void *addr = pmem_map_file(p, len, flags, mode, &mlen, &ispm);
	int oerrno = errno;
	report_map(label, addr, oerrno, mlen, ispm, show_msg);
	if (mlenp != NULL)
		*mlenp = mlen;
	return addr;
}

/* map_and_unmap -- map() then pmem_unmap() of a success */
static void
map_and_unmap(const char *label, const char *p, size_t len, int flags,
		mode_t mode, int show_msg)
{
	size_t mlen;
	void *addr = map(label, p, len, flags, mode, show_msg, &mlen);
	if (addr != NULL && pmem_unmap(addr, mlen) != 0) {
		printf("  unmap: %s\n", name(errno));
		Bad = 1;
	}
}

/* file_mode -- permission bits of p, or -1 */
static int
file_mode(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* file_size -- size of p, or -1 */
static long long
file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

/* entries -- number of names in Dir */
static int
entries(void)
{
	DIR *d = opendir(Dir);
	int n = 0;
	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* write_file -- creates p with len bytes of 'x' */
static void
write_file(const char *p, size_t len)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char buf[4096];
	memset(buf, 'x', sizeof(buf));
	while (fd >= 0 && len > 0) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		if (write(fd, buf, n) != (ssize_t)n)
			break;
		len -= n;
	}
	if (fd >= 0)
		close(fd);
}

/* mapping -- pmem_map_file: flags, errors, out-parameters */
static void
mapping(void)
{
	size_t len;
	void *a, *b;

	map("NULL path", NULL, 4096, PMEM_FILE_CREATE, 0600, 1, NULL);
	map("CREATE|0x10", path("f"), 4096, PMEM_FILE_CREATE | 0x10,
		0600, 1, NULL);
	map("len without CREATE", path("f"), 4096, 0, 0600, 1, NULL);
	map("CREATE with len 0", path("f"), 0, PMEM_FILE_CREATE, 0600, 1, NULL);
	map("CREATE with len SIZE_MAX", path("f"), SIZE_MAX, PMEM_FILE_CREATE,
		0600, 1, NULL);
	map("TMPFILE without CREATE", Dir, 0, PMEM_FILE_TMPFILE, 0600, 1, NULL);
	map("missing file", path("missing"), 0, 0, 0, 1, NULL);
	map("CREATE in missing dir", path("missing/f"), 4096, PMEM_FILE_CREATE,
		0600, 1, NULL);
	printf("  missing dir still missing: %s\n",
		yes(file_mode(path("missing")) == -1));

	/* a new file: 1 MiB + 100 bytes, mode filtered by the umask */
	a = map("CREATE new", path("f"), MiB + 100, PMEM_FILE_CREATE, 0666, 1,
		&len);
	printf("  file size %lld mode 0%o\n", file_size(path("f")),
		file_mode(path("f")));
	if (a != NULL) {
		/* a second mapping of the same file sees the same bytes */
		b = map("existing, flags 0", path("f"), 0, 0, 0, 1, NULL);
		if (b != NULL) {
			memcpy(a, "shared!", 8);
			printf("  second mapping sees writes: %s\n",
				yes(memcmp(b, "shared!", 8) == 0));
			pmem_unmap(b, MiB + 100);
		}
		pmem_unmap(a, len);
	}
	map("CREATE|EXCL existing", path("f"), 4096,
		PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0600, 1, NULL);
	map_and_unmap("EXCL without CREATE", path("f"), 0, PMEM_FILE_EXCL, 0, 1);
	map_and_unmap("SPARSE without CREATE", path("f"), 0, PMEM_FILE_SPARSE,
		0, 1);
	map_and_unmap("CREATE existing, shrink to 8 KiB", path("f"), 8192,
		PMEM_FILE_CREATE, 0600, 1);
	printf("  file size %lld mode 0%o (mode kept)\n", file_size(path("f")),
		file_mode(path("f")));

	map_and_unmap("CREATE|EXCL|SPARSE new", path("sparse"), 8 * MiB,
		PMEM_FILE_CREATE | PMEM_FILE_EXCL | PMEM_FILE_SPARSE, 0600, 1);
	struct stat st;
	if (stat(path("sparse"), &st) == 0)
		printf("  sparse file size %lld, blocks below 1 MiB: %s\n",
			(long long)st.st_size, yes(st.st_blocks * 512 < MiB));
	map_and_unmap("CREATE not sparse", path("full"), 8 * MiB,
		PMEM_FILE_CREATE, 0600, 1);
	if (stat(path("full"), &st) == 0)
		printf("  file size %lld, all blocks allocated: %s\n",
			(long long)st.st_size,
			yes(st.st_blocks * 512 >= 8 * MiB));

	write_file(path("odd"), 4097);
	map_and_unmap("existing 4097 bytes", path("odd"), 0, 0, 0, 1);
	write_file(path("empty"), 0);
	map("existing empty file", path("empty"), 0, 0, 0, 1, NULL);

	int before = entries();
	map_and_unmap("CREATE|TMPFILE in dir", Dir, 3 * MiB,
		PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0644, 1);
	printf("  no name left in dir: %s\n", yes(entries() == before));
	map("CREATE|TMPFILE on a file", path("odd"), 4096,
		PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0600, 0, NULL);
	map("CREATE|TMPFILE in missing dir", path("missing"), 4096,
		PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0600, 0, NULL);

	map("below a regular file", path("odd/child"), 0, 0, 0, 1, NULL);
	map("a directory, flags 0", Dir, 0, 0, 0, 1, NULL);
	if (mkfifo(path("fifo"), 0600) == 0)
		map("a FIFO", path("fifo"), 0, 0, 0, 1, NULL);

	/* a character device that is not device DAX: the message is kept */
	pmem_check_version(1, 42);
	map("/dev/zero", "/dev/zero", 0, 0, 0, 0, NULL);
	printf("  errormsg kept: %s\n",
		yes(strcmp(pmem_errormsg(),
			"libpmem minor version mismatch (need 42, found 1)") == 0));
}

/* check_area -- whether the whole mapping holds what the shadow says */
static int
check_area(void)
{
	return memcmp(Area, Shadow, AREA_SIZE) == 0;
}

static const unsigned Flags[] = {
	0,
	PMEM_F_MEM_NODRAIN,
	PMEM_F_MEM_NONTEMPORAL,
	PMEM_F_MEM_TEMPORAL,
	PMEM_F_MEM_WC,
	PMEM_F_MEM_WB,
	PMEM_F_MEM_NOFLUSH,
	PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_TEMPORAL,
	PMEM_F_MEM_NODRAIN | PMEM_F_MEM_NONTEMPORAL,
	PMEM_F_MEM_NODRAIN | PMEM_F_MEM_WB,
	PMEM_F_MEM_NOFLUSH | PMEM_F_MEM_WC,
	PMEM_F_MEM_VALID_FLAGS,
	1u << 6,				/* unknown: ignored */
	(1u << 31) | PMEM_F_MEM_NONTEMPORAL,	/* unknown + known */
};
#define NFLAGS (sizeof(Flags) / sizeof(Flags[0]))

static const size_t Sizes[] = {
	0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128,
	129, 255, 256, 257, 511, 512, 1023, 1024, 4095, 4096, 4097, 65539,
};
#define NSIZES (sizeof(Sizes) / sizeof(Sizes[0]))

static const size_t Dst_offsets[] = { 0, 1, 7, 8, 63, 4096 + 32 };
#define NDST (sizeof(Dst_offsets) / sizeof(Dst_offsets[0]))

static const size_t Src_offsets[] = { 0, 5 };
#define NSRC (sizeof(Src_offsets) / sizeof(Src_offsets[0]))

/* One copy/fill function under test, called through a common shape. */
enum kind { MOVE, SET };
struct op {
	const char *name;
	enum kind kind;
	int has_flags;
	void *(*move)(void *, const void *, size_t, unsigned);
	void *(*set)(void *, int, size_t, unsigned);
	void *(*move3)(void *, const void *, size_t);
	void *(*set3)(void *, int, size_t);
};

/* call -- runs op once; returns what it returned */
static void *
call(const struct op *op, void *d, const void *s, int c, size_t n,
		unsigned flags)
{
	if (op->kind == MOVE)
		return op->has_flags ? op->move(d, s, n, flags) :
			op->move3(d, s, n);
	return op->has_flags ? op->set(d, c, n, flags) : op->set3(d, c, n);
}

/* Outcome of a batch of calls. */
struct tally {
	unsigned cases, bad_data, bad_return, errno_changed;
};

/* one_case -- runs op on the area and the shadow and compares */
static void
one_case(const struct op *op, size_t doff, const unsigned char *src,
		const unsigned char *shadow_src, int c, size_t n, unsigned flags,
		struct tally *t)
{
	errno = EDOM;
	void *r = call(op, Area + doff, src, c, n, flags);
	if (errno != EDOM)
		t->errno_changed++;
	if (r != Area + doff)
		t->bad_return++;
	if (op->kind == MOVE)
		memmove(Shadow + doff, shadow_src, n);
	else
		memset(Shadow + doff, c, n);
	size_t lo = doff >= 64 ? doff - 64 : 0;
	size_t hi = doff + n + 64 <= AREA_SIZE ? doff + n + 64 : AREA_SIZE;
	if (memcmp(Area + lo, Shadow + lo, hi - lo) != 0)
		t->bad_data++;
	t->cases++;
}

/* print_tally -- one transcript line; wrong data or returns are fatal */
static void
print_tally(const char *what, const struct tally *t)
{
	printf("%s: %u cases, data %s, return %s, errno %s\n", what, t->cases,
		t->bad_data ? "WRONG" : "ok", t->bad_return ? "WRONG" : "ok",
		t->errno_changed ? "changed" : "untouched");
	if (t->bad_data || t->bad_return)
		Bad = 1;
}

/* copies -- one op over every size, offset (and flag, if it takes flags) */
static void
copies(const struct op *op)
{
	size_t nflags = op->has_flags ? NFLAGS : 1;
	for (size_t f = 0; f < nflags; f++) {
		struct tally t = { 0 };
		unsigned flags = op->has_flags ? Flags[f] : 0;
		for (size_t si = 0; si < NSIZES; si++)
		for (size_t di = 0; di < NDST; di++)
		for (size_t oi = 0; oi < NSRC; oi++) {
			size_t n = Sizes[si];
			if (op->kind == MOVE) {
				unsigned char *src = Heap_src + Src_offsets[oi];
				fill_random(src, n);
				one_case(op, Dst_offsets[di], src, src, 0, n,
					flags, &t);
			} else {
				static const int values[] = { 0xa5, 0x1ff };
				one_case(op, Dst_offsets[di], NULL, NULL,
					values[oi], n, flags, &t);
			}
		}
		char what[96];
		if (op->has_flags)
			snprintf(what, sizeof(what), "%s flags 0x%x", op->name,
				flags);
		else
			snprintf(what, sizeof(what), "%s", op->name);
		print_tally(what, &t);
	}
}

/* overlaps -- op with source and destination overlapping in the mapping */
static void
overlaps(const struct op *op)
{
	static const long deltas[] = { -257, -64, -63, -8, -1, 1, 8, 63, 64, 257 };
	static const unsigned flags[] = { 0, PMEM_F_MEM_NONTEMPORAL,
		PMEM_F_MEM_TEMPORAL, PMEM_F_MEM_NOFLUSH };
	size_t nflags = op->has_flags ? sizeof(flags) / sizeof(flags[0]) : 1;
	struct tally t = { 0 };
	for (size_t f = 0; f < nflags; f++)
	for (size_t si = 0; si < NSIZES; si++)
	for (size_t di = 0; di < sizeof(deltas) / sizeof(deltas[0]); di++) {
		size_t n = Sizes[si];
		size_t soff = SRC_OFF + 512;
		size_t doff = (size_t)((long)soff + deltas[di]);
		/* fresh bytes around both ranges, in the area and the shadow */
		fill_random(Area + SRC_OFF, n + 1024);
		memcpy(Shadow + SRC_OFF, Area + SRC_OFF, n + 1024);
		one_case(op, doff, Area + soff, Shadow + soff, 0, n,
			op->has_flags ? flags[f] : 0, &t);
	}
	char what[96];
	snprintf(what, sizeof(what), "%s overlapping", op->name);
	print_tally(what, &t);
}

/* same_address -- src == dest copies leave the data and return dest */
static void
same_address(const struct op *op)
{
	struct tally t = { 0 };
	for (size_t si = 0; si < NSIZES; si++)
		one_case(op, 4096 + 3, Area + 4096 + 3, Shadow + 4096 + 3, 0,
			Sizes[si], 0, &t);
	char what[96];
	snprintf(what, sizeof(what), "%s onto itself", op->name);
	print_tally(what, &t);
}

/* data -- every copy/fill function on a file mapping, then the file */
static void
data(void)
{
	size_t len;
	int is_pmem;
	const char *p = path("area");
	Area = pmem_map_file(p, AREA_SIZE, PMEM_FILE_CREATE | PMEM_FILE_EXCL,
		0600, &len, &is_pmem);
	Shadow = calloc(1, AREA_SIZE);
	Heap_src = malloc(70 * 1024);
	if (Area == NULL || Shadow == NULL || Heap_src == NULL) {
		printf("data area: %s\n", name(errno));
		Bad = 1;
		return;
	}
	printf("data area: len %zu, new file reads as zeros: %s\n", len,
		yes(check_area()));

	static const struct op ops[] = {
		{ "pmem_memcpy", MOVE, 1, pmem_memcpy, NULL, NULL, NULL },
		{ "pmem_memmove", MOVE, 1, pmem_memmove, NULL, NULL, NULL },
		{ "pmem_memset", SET, 1, NULL, pmem_memset, NULL, NULL },
		{ "pmem_memcpy_persist", MOVE, 0, NULL, NULL,
			pmem_memcpy_persist, NULL },
		{ "pmem_memmove_persist", MOVE, 0, NULL, NULL,
			pmem_memmove_persist, NULL },
		{ "pmem_memset_persist", SET, 0, NULL, NULL, NULL,
			pmem_memset_persist },
		{ "pmem_memcpy_nodrain", MOVE, 0, NULL, NULL,
			pmem_memcpy_nodrain, NULL },
		{ "pmem_memmove_nodrain", MOVE, 0, NULL, NULL,
			pmem_memmove_nodrain, NULL },
		{ "pmem_memset_nodrain", SET, 0, NULL, NULL, NULL,
			pmem_memset_nodrain },
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		copies(&ops[i]);
		if (ops[i].kind == MOVE) {
			overlaps(&ops[i]);
			same_address(&ops[i]);
		}
		printf("%s: whole area as expected: %s\n", ops[i].name,
			yes(check_area()));
		if (!check_area())
			Bad = 1;
	}

	/* flush, drain, persist: ranges of every shape; they cannot fail */
	static const size_t offs[] = { 0, 1, 63, 64, 4095, 4096 };
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
	for (size_t si = 0; si < NSIZES; si++) {
		pmem_flush(Area + offs[i], Sizes[si]);
		pmem_persist(Area + offs[i], Sizes[si]);
		pmem_deep_flush(Area + offs[i], Sizes[si]);
	}
	pmem_drain();
	pmem_flush(Area, AREA_SIZE);
	pmem_drain();
	pmem_persist(Area, AREA_SIZE);
	printf("flush, drain, persist, deep_flush: area unchanged: %s\n",
		yes(check_area()));

	errno = 0;
	int r = pmem_msync(Area, AREA_SIZE);
	printf("msync whole area: %d errno %s\n", r, name(errno));
	r = pmem_deep_persist(Area + 100, 5000);
	printf("deep_persist part of area: %d\n", r);
	r = pmem_deep_drain(Area, AREA_SIZE);
	printf("deep_drain whole area: %d\n", r);

	/* the writes reached the file */
	unsigned char *file = malloc(AREA_SIZE);
	int fd = open(p, O_RDONLY);
	ssize_t got = file != NULL && fd >= 0 ?
		pread(fd, file, AREA_SIZE, 0) : -1;
	printf("file holds the area: %s, hash %016llx\n",
		yes(got == AREA_SIZE && memcmp(file, Shadow, AREA_SIZE) == 0),
		(unsigned long long)fnv(Shadow, AREA_SIZE));
	if (got != AREA_SIZE || memcmp(file, Shadow, AREA_SIZE) != 0)
		Bad = 1;
	if (fd >= 0)
		close(fd);
	free(file);
}

/* unmapped -- an address with nothing mapped at it (page-aligned) */
static unsigned char *
unmapped(void)
{
	void *p = mmap(NULL, 4 * Pagesize, PROT_NONE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		abort();
	munmap(p, 4 * Pagesize);
	return (unsigned char *)p + Pagesize;
}

/* print_int_call -- one line for a call returning 0 or -1 */
static void
print_int_call(const char *what, int r, int oerrno, int show_msg)
{
	printf("%s: %d", what, r);
	if (r != 0) {
		printf(" errno %s", name(oerrno));
		if (show_msg) {
			printf(" msg ");
			show(pmem_errormsg());
		}
	}
	printf("\n");
}

#define INT_CALL(what, call, show_msg) do { \
	errno = 0; \
	int r_ = (call); \
	print_int_call(what, r_, errno, show_msg); \
} while (0)

/* is_pmem -- answers for memory of every kind (honours PMEM_IS_PMEM_FORCE) */
static void
is_pmem(void)
{
	char stack[64];
	void *anon = mmap(NULL, Pagesize, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("is_pmem area: %d\n", Area ? pmem_is_pmem(Area, AREA_SIZE) : -1);
	printf("is_pmem area, len 0: %d\n", Area ? pmem_is_pmem(Area, 0) : -1);
	printf("is_pmem stack: %d\n", pmem_is_pmem(stack, sizeof(stack)));
	printf("is_pmem anonymous: %d\n", pmem_is_pmem(anon, Pagesize));
	printf("is_pmem NULL, 0: %d\n", pmem_is_pmem(NULL, 0));
	printf("is_pmem NULL, 1: %d\n", pmem_is_pmem(NULL, 1));
	printf("is_pmem unmapped: %d\n", pmem_is_pmem(unmapped(), Pagesize));
	munmap(anon, Pagesize);
}

/* syncs -- pmem_msync and deep drain on memory of every kind */
static void
syncs(void)
{
	char *heap = malloc(100);
	void *anon = mmap(NULL, Pagesize, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (Area != NULL)
		INT_CALL("msync area + 13, 100", pmem_msync(Area + 13, 100), 1);
	INT_CALL("msync heap + 1, 50", pmem_msync(heap + 1, 50), 1);
	INT_CALL("msync anonymous", pmem_msync(anon, Pagesize), 1);
	INT_CALL("msync unmapped", pmem_msync(unmapped(), Pagesize), 1);
	INT_CALL("msync unmapped, len 0",
		pmem_msync(unmapped(), 0), 1);
	INT_CALL("msync unmapped + 1, len 0",
		pmem_msync(unmapped() + 1, 0), 1);
	INT_CALL("deep_drain unmapped", pmem_deep_drain(unmapped(), Pagesize),
		1);
	INT_CALL("deep_drain unmapped, len 0",
		pmem_deep_drain(unmapped(), 0), 1);
	INT_CALL("deep_drain anonymous", pmem_deep_drain(anon, Pagesize), 1);
	INT_CALL("deep_persist anonymous", pmem_deep_persist(anon, Pagesize),
		1);
	INT_CALL("deep_persist heap + 3, 20", pmem_deep_persist(heap + 3, 20),
		1);
	munmap(anon, Pagesize);
	free(heap);
}

/* unmap -- pmem_unmap on mappings of every kind, and bad arguments */
static void
unmap(void)
{
	size_t len;
	unsigned char *m = pmem_map_file(path("three"), 3 * Pagesize,
		PMEM_FILE_CREATE, 0600, &len, NULL);
	if (m == NULL) {
		printf("map three pages: %s\n", name(errno));
		Bad = 1;
		return;
	}
	INT_CALL("unmap middle page", pmem_unmap(m + Pagesize, Pagesize), 1);
	m[0] = 1;
	m[2 * Pagesize] = 2;
	printf("outer pages still usable: yes\n");
	INT_CALL("unmap len 0", pmem_unmap(m, 0), 1);
	INT_CALL("unmap unaligned", pmem_unmap(m + 1, Pagesize), 1);
	INT_CALL("unmap first page, len not a page multiple",
		pmem_unmap(m, 100), 1);
	INT_CALL("unmap last page", pmem_unmap(m + 2 * Pagesize, Pagesize), 1);
	INT_CALL("unmap nothing mapped", pmem_unmap(unmapped(), Pagesize), 1);
	void *anon = mmap(NULL, Pagesize, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	INT_CALL("unmap anonymous mapping", pmem_unmap(anon, Pagesize), 1);
	if (Area != NULL)
		INT_CALL("unmap data area", pmem_unmap(Area, AREA_SIZE), 1);
	Area = NULL;
}

/* main -- prints the transcript; exits 1 if data was wrong */
int
main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: client DIR\n");
		return 2;
	}
	Dir = argv[1];
	Pagesize = (size_t)sysconf(_SC_PAGESIZE);
	umask(022);
	setvbuf(stdout, NULL, _IOLBF, 0);

	print_library();
	printf("has_hw_drain: %d\n", pmem_has_hw_drain());
	printf("has_auto_flush: %d\n", pmem_has_auto_flush());
	printf("errormsg at start: ");
	show(pmem_errormsg());
	printf("\n");
	version();
	threads();
	concurrency();
	mapping();
	data();
	is_pmem();
	syncs();
	unmap();
	free(Shadow);
	free(Heap_src);
	printf("end: data checks %s\n", Bad ? "FAILED" : "passed");
	return Bad;
}

/*
 * pmlog.c -- an append-only log on persistent memory, made crash-consistent
 * by a commit record: a record is durable before the committed length that
 * covers it is stored.
 *
 * usage: pmlog write FILE [N]
 *        pmlog check FILE [N]
 *
 * write removes FILE, creates it (LOG_FILE_SIZE bytes) with pmem_map_file,
 * initialises the header and appends N records (default DEFAULT_RECORDS).
 * check reads FILE as a crash may have left it and exits 0 if it is a
 * consistent log of at most N records, 1 with one line on stderr if it is
 * not. Both exit 2 on a usage error or a failed system call. Everything the
 * program writes, and the sequence of its flushes, drains and msyncs, depends
 * only on N.
 *
 * Layout: the header is the file's first cache line (magic, version,
 * capacity, committed, 8 bytes each, little-endian); the record area follows
 * at offset 64. A record is an 8-byte payload length, the payload padded with
 * zeros to a multiple of 8 bytes, and an 8-byte checksum of the record's
 * index, length and payload; record i's length and payload are computed from
 * i alone. The committed length counts the bytes of the record area that hold
 * committed records.
 *
 * The protocol, on pmem: the header's fields are persisted, then its magic
 * (an empty file is a log not yet created). Each append copies the whole
 * record past the committed end and makes it durable -- four ways, in turn:
 * stores and pmem_persist, pmem_memcpy_persist, pmem_memcpy_nodrain and
 * pmem_drain, a non-temporal pmem_memcpy and pmem_drain -- and only then
 * stores the new committed length (one aligned 8-byte store) and persists
 * it. Where the mapping is not pmem, plain copies and pmem_msync do the same.
 *
 * Built with one of these defines, the program breaks the protocol (its
 * check stays the correct one):
 *   BUG_NO_FLUSH     the record is stored with memcpy and never flushed
 *   BUG_FLAG_FIRST   the committed length is persisted before the record
 *   BUG_NO_DRAIN     the record is flushed, not drained, before the length
 *                    is stored (the length's persist drains both)
 *   BUG_NT_NO_DRAIN  the record is copied with non-temporal stores and not
 *                    drained before the length is stored
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpmem.h>

#define LOG_MAGIC 0x31474f4c4d454d50ULL	/* "PMEMLOG1" */
#define LOG_VERSION 1
#define LOG_FILE_SIZE (64 * 1024)
#define LOG_HDR_SIZE 64
#define LOG_CAPACITY (LOG_FILE_SIZE - LOG_HDR_SIZE)

#define DEFAULT_RECORDS 20
#define PAYLOAD_MIN 40
#define PAYLOAD_SPREAD 261		/* payloads of 40..300 bytes */
#define RECORD_MAX (16 + 304)

/* The header: one cache line at the start of the file. */
struct log_hdr {
	uint64_t magic;		/* LOG_MAGIC, stored last at creation */
	uint64_t version;	/* LOG_VERSION */
	uint64_t capacity;	/* bytes of the record area */
	uint64_t committed;	/* bytes of committed records */
	uint64_t unused[4];
};

_Static_assert(sizeof(struct log_hdr) == LOG_HDR_SIZE, "header is one line");

static const char *Prog;
static int Is_pmem;

/* payload_len -- the payload length of record i */
static size_t
payload_len(uint64_t i)
{
	return PAYLOAD_MIN + (size_t)((i * 97) % PAYLOAD_SPREAD);
}

/* record_size -- the bytes record i takes in the log */
static size_t
record_size(uint64_t i)
{
	return 8 + ((payload_len(i) + 7) & ~(size_t)7) + 8;
}

/* make_record -- fills buf with record i; returns its size */
static size_t
make_record(uint64_t i, unsigned char *buf)
{
	size_t len = payload_len(i);
	size_t size = record_size(i);
	uint64_t v = len;
	memset(buf, 0, size);
	memcpy(buf, &v, 8);
	for (size_t j = 0; j < len; j++)
		buf[8 + j] = (unsigned char)((i * 31 + j * 7 + (j >> 5)) ^ 0x5a);

	/* FNV-1a over the index, the length and the payload */
	uint64_t h = 14695981039346656037ULL ^ i;
	for (size_t j = 0; j < size - 8; j++)
		h = (h ^ buf[j]) * 1099511628211ULL;
	memcpy(buf + size - 8, &h, 8);
	return size;
}

/* fail -- reports a failed call and exits 2 */
static void __attribute__((noreturn))
fail(const char *what)
{
	fprintf(stderr, "%s: %s\n", Prog, what);
	exit(2);
}

/* persist -- makes a range durable: pmem_persist, or pmem_msync if not pmem */
static void
persist(const void *addr, size_t len)
{
	if (Is_pmem)
		pmem_persist(addr, len);
	else if (pmem_msync(addr, len) != 0)
		fail(pmem_errormsg());
}

/* commit -- stores the committed length and persists it */
static void
commit(struct log_hdr *hdr, uint64_t committed)
{
	hdr->committed = committed;
	persist(&hdr->committed, sizeof(hdr->committed));
}

/* write_record -- copies record i to dst and makes it durable */
static void
write_record(unsigned char *dst, const unsigned char *rec, size_t size,
	uint64_t i)
{
#if defined(BUG_NO_FLUSH)
	(void)i;
	memcpy(dst, rec, size);		/* BUG: never flushed */
#elif defined(BUG_NO_DRAIN)
	(void)i;
	memcpy(dst, rec, size);
	pmem_flush(dst, size);		/* BUG: no drain before the commit */
#elif defined(BUG_NT_NO_DRAIN)
	(void)i;
	/* BUG: streamed data is durable only from the next drain */
	pmem_memcpy(dst, rec, size,
		PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_NODRAIN);
#else
	if (!Is_pmem) {
		memcpy(dst, rec, size);
		persist(dst, size);
		return;
	}
	switch (i % 4) {
	case 0:
		memcpy(dst, rec, size);
		pmem_persist(dst, size);
		break;
	case 1:
		pmem_memcpy_persist(dst, rec, size);
		break;
	case 2:
		pmem_memcpy_nodrain(dst, rec, size);
		pmem_drain();
		break;
	default:
		pmem_memcpy(dst, rec, size,
			PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_NODRAIN);
		pmem_drain();
		break;
	}
#endif
}

/* log_write -- creates the log in path and appends n records */
static int
log_write(const char *path, uint64_t n)
{
	if (unlink(path) != 0 && errno != ENOENT) {
		fprintf(stderr, "%s: %s: %s\n", Prog, path, strerror(errno));
		return 2;
	}
	size_t mapped;
	unsigned char *base = pmem_map_file(path, LOG_FILE_SIZE,
		PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0666, &mapped, &Is_pmem);
	if (base == NULL)
		fail(pmem_errormsg());
	if (mapped != LOG_FILE_SIZE)
		fail("mapped length is not the file size");

	struct log_hdr *hdr = (struct log_hdr *)base;
	unsigned char *area = base + LOG_HDR_SIZE;
	hdr->version = LOG_VERSION;
	hdr->capacity = LOG_CAPACITY;
	hdr->committed = 0;
	persist(hdr, sizeof(*hdr));
	hdr->magic = LOG_MAGIC;
	persist(&hdr->magic, sizeof(hdr->magic));

	unsigned char rec[RECORD_MAX];
	for (uint64_t i = 0; i < n; i++) {
		size_t size = make_record(i, rec);
		uint64_t end = hdr->committed;
#ifdef BUG_FLAG_FIRST
		commit(hdr, end + size);	/* BUG: before the record */
		write_record(area + end, rec, size, i);
#else
		write_record(area + end, rec, size, i);
		commit(hdr, end + size);
#endif
	}

	if (pmem_unmap(base, mapped) != 0)
		fail(pmem_errormsg());
	return 0;
}

/* inconsistent -- reports what is wrong with the log; returns 1 */
static int __attribute__((format(printf, 2, 3)))
inconsistent(const char *path, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: %s: ", Prog, path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* log_check -- 0 if path holds a consistent log of at most n records */
static int
log_check(const char *path, uint64_t n)
{
	static unsigned char file[LOG_FILE_SIZE];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;	/* crashed before the file was created */
		fprintf(stderr, "%s: %s: %s\n", Prog, path, strerror(errno));
		return 2;
	}
	struct stat st;
	if (fstat(fd, &st) != 0)
		fail(strerror(errno));
	size_t have = 0;
	while (have < sizeof(file)) {
		ssize_t r = pread(fd, file + have, sizeof(file) - have,
			(off_t)have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail(strerror(errno));
		if (r == 0)
			break;
		have += (size_t)r;
	}
	close(fd);

	struct log_hdr hdr;
	if (have < sizeof(hdr))
		return 0;	/* crashed before the file was sized */
	memcpy(&hdr, file, sizeof(hdr));
	if (hdr.magic != LOG_MAGIC)
		return 0;	/* crashed before the header was complete */

	if (hdr.version != LOG_VERSION)
		return inconsistent(path, "version %" PRIu64 ", expected %d",
			hdr.version, LOG_VERSION);
	if (hdr.capacity != LOG_CAPACITY)
		return inconsistent(path, "capacity %" PRIu64 ", expected %d",
			hdr.capacity, LOG_CAPACITY);
	if ((uint64_t)st.st_size != LOG_FILE_SIZE)
		return inconsistent(path, "file is %jd bytes, expected %d",
			(intmax_t)st.st_size, LOG_FILE_SIZE);
	if (hdr.committed > hdr.capacity)
		return inconsistent(path, "committed length %" PRIu64
			" exceeds the capacity %" PRIu64, hdr.committed,
			hdr.capacity);

	const unsigned char *area = file + LOG_HDR_SIZE;
	unsigned char rec[RECORD_MAX];
	uint64_t off = 0;
	uint64_t i = 0;
	while (off < hdr.committed) {
		size_t size = make_record(i, rec);
		if (off + size > hdr.committed)
			return inconsistent(path, "committed length %" PRIu64
				" falls inside record %" PRIu64 " (bytes %"
				PRIu64 "..%" PRIu64 ")", hdr.committed, i, off,
				off + size);
		if (memcmp(area + off, rec, size) != 0) {
			size_t j = 0;
			while (area[off + j] == rec[j])
				j++;
			return inconsistent(path, "committed record %" PRIu64
				" (bytes %" PRIu64 "..%" PRIu64 ") differs at its"
				" byte %zu", i, off, off + size, j);
		}
		off += size;
		i++;
	}
	if (i > n)
		return inconsistent(path, "%" PRIu64 " records committed, at "
			"most %" PRIu64 " expected", i, n);
	return 0;
}

/* usage -- prints the usage and exits with status */
static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
		"usage: %s write FILE [N]\n"
		"       %s check FILE [N]\n"
		"write: creates FILE as a log of N records (default %d).\n"
		"check: exits 0 if FILE is a consistent log of at most N "
		"records (a missing\nor uninitialised FILE is an empty log), "
		"1 if not, 2 on errors.\n", Prog, Prog, DEFAULT_RECORDS);
	exit(status);
}

/* max_records -- how many records the log can hold */
static uint64_t
max_records(void)
{
	uint64_t total = 0;
	uint64_t i = 0;
	while (total + record_size(i) <= LOG_CAPACITY)
		total += record_size(i++);
	return i;
}

int
main(int argc, char *argv[])
{
	const char *slash = strrchr(argv[0], '/');
	Prog = slash != NULL ? slash + 1 : argv[0];
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
			strcmp(argv[1], "--help") == 0))
		usage(0);
	if (argc < 3 || argc > 4)
		usage(2);

	uint64_t n = DEFAULT_RECORDS;
	if (argc == 4) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(argv[3], &end, 10);
		if (errno != 0 || end == argv[3] || *end != '\0' ||
				argv[3][0] == '-' || v > max_records()) {
			fprintf(stderr, "%s: N must be 0..%" PRIu64 "\n", Prog,
				max_records());
			return 2;
		}
		n = v;
	}

	if (strcmp(argv[1], "write") == 0)
		return log_write(argv[2], n);
	if (strcmp(argv[1], "check") == 0)
		return log_check(argv[2], n);
	usage(2);
}

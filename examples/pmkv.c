/*
 * pmkv.c -- a small hash table on persistent memory, updated in place and
 * made failure-atomic by an undo log.
 *
 * usage: pmkv run FILE [N]
 *        pmkv check FILE [N]
 *
 * run removes FILE, creates it (KV_FILE_SIZE bytes) with pmem_map_file,
 * initialises the header and applies the first N operations (default
 * DEFAULT_OPS) of a fixed workload. check recovers FILE as a crash may have
 * left it (it rolls back an interrupted update, through libpmem), then exits
 * 0 if the table is exactly the one the first k operations of the workload
 * make, k being the operation counter, and k <= N; 1 with one line on stderr
 * if not. A missing or uninitialised FILE (no magic) is consistent: the crash
 * came before the table existed. Both exit 2 on a usage error or a failed
 * system call. Everything the program writes, and the sequence of its
 * flushes, drains and msyncs, depends only on N (for check, also on what it
 * finds in FILE).
 *
 * Layout (little-endian, 8-byte fields):
 *   offset   0  header: magic, version, nslots, ops (operations applied)
 *   offset  64  undo log: valid, slot index, ops before the update;
 *   offset 128  the slot's old content (128 bytes)
 *   offset 256  the table: KV_NSLOTS slots of 128 bytes (two cache lines):
 *               state (0 empty, 1 used, 2 deleted), key, value length,
 *               value (VALUE_MAX bytes, zero past the length)
 * Open addressing with linear probing; a delete leaves a tombstone, which an
 * insert reuses. Operation i is on one of KV_KEYS keys chosen from i: a
 * delete if i % 5 == 4 and the key is present, else a put of a 60..104-byte
 * value computed from i. Each operation changes exactly one slot.
 *
 * The protocol of an update, on pmem (pmem_msync instead where the mapping
 * is not pmem):
 *   1. the slot's index, the operation counter and the slot's old content
 *      go to the undo log, which is persisted (its valid flag is 0);
 *   2. valid = 1, persisted (one aligned 8-byte store);
 *   3. the new slot is written in place and persisted, then the new
 *      operation counter is stored and persisted;
 *   4. valid = 0, persisted.
 * Recovery, when valid is set: the old slot is copied back and the counter
 * restored, both persisted, then valid = 0, persisted. It may itself be
 * interrupted and run again.
 *
 * Built with BUG_RECOVERY, recovery clears the flag before it copies the
 * old slot back: recovery that completes is right, but recovery interrupted
 * after the flag loses the undo log (found by crashing the check itself).
 *
 * Built with BUG_NOT_ATOMIC, an update has no undo log: the slot is copied
 * in place with pmem_memcpy_nodrain, the counter stored, and one persist of
 * the counter drains both. A crash can leave a slot half old, half new, or
 * the counter out of step with the table (ADR). The check is the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpmem.h>

#define KV_MAGIC 0x3130564b4d454d50ULL	/* "PMEMKV01" */
#define KV_VERSION 1
#define KV_FILE_SIZE 8192
#define KV_NSLOTS 32
#define KV_KEYS 12
#define VALUE_MAX 104

#define DEFAULT_OPS 40
#define MAX_OPS 1000000

#define SLOT_EMPTY 0
#define SLOT_USED 1
#define SLOT_DELETED 2

/* A slot: two cache lines. */
struct kv_slot {
	uint64_t state;
	uint64_t key;
	uint64_t vlen;
	unsigned char value[VALUE_MAX];
};

/* The header: one cache line. */
struct kv_hdr {
	uint64_t magic;		/* KV_MAGIC, stored last at creation */
	uint64_t version;	/* KV_VERSION */
	uint64_t nslots;	/* KV_NSLOTS */
	uint64_t ops;		/* operations applied */
	uint64_t unused[4];
};

/* The undo log of one update. */
struct kv_undo {
	uint64_t valid;		/* 1: an update is in progress */
	uint64_t slot;		/* index of the slot being updated */
	uint64_t ops;		/* the operation counter before the update */
	uint64_t unused[5];
	struct kv_slot old;	/* the slot's content before the update */
};

/* The file. */
struct kv_file {
	struct kv_hdr hdr;
	struct kv_undo undo;
	struct kv_slot table[KV_NSLOTS];
};

_Static_assert(sizeof(struct kv_slot) == 128, "a slot is two lines");
_Static_assert(sizeof(struct kv_hdr) == 64, "the header is one line");
_Static_assert(offsetof(struct kv_file, undo) == 64, "undo log at 64");
_Static_assert(offsetof(struct kv_file, undo.old) == 128, "old slot at 128");
_Static_assert(offsetof(struct kv_file, table) == 256, "table at 256");
_Static_assert(sizeof(struct kv_file) <= KV_FILE_SIZE, "file is too short");

static const char *Prog;
static int Is_pmem;

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

/* copy_persist -- copies len bytes to dst and makes them durable */
static void
copy_persist(void *dst, const void *src, size_t len)
{
	if (Is_pmem) {
		pmem_memcpy_persist(dst, src, len);
	} else {
		memcpy(dst, src, len);
		persist(dst, len);
	}
}

/* slot_hash -- the first slot probed for key */
static unsigned
slot_hash(uint64_t key)
{
	return (unsigned)((key * 0x9e3779b97f4a7c15ULL) >> 59) % KV_NSLOTS;
}

/*
 * find -- the slot holding key (*found = 1), or else the slot an insert of
 * key takes: the first tombstone on its probe sequence, or the empty slot
 * that ends it (*found = 0)
 */
static unsigned
find(const struct kv_slot *table, uint64_t key, int *found)
{
	unsigned h = slot_hash(key);
	unsigned tomb = KV_NSLOTS;
	*found = 0;
	for (unsigned p = 0; p < KV_NSLOTS; p++) {
		unsigned s = (h + p) % KV_NSLOTS;
		if (table[s].state == SLOT_USED && table[s].key == key) {
			*found = 1;
			return s;
		}
		if (table[s].state == SLOT_DELETED && tomb == KV_NSLOTS)
			tomb = s;
		if (table[s].state == SLOT_EMPTY)
			return tomb != KV_NSLOTS ? tomb : s;
	}
	/* no empty slot: there are more slots than keys, so a tombstone */
	return tomb;
}

/*
 * workload_op -- operation i of the workload on table: returns the slot it
 * changes and writes the slot's new content to out
 */
static unsigned
workload_op(const struct kv_slot *table, uint64_t i, struct kv_slot *out)
{
	uint64_t k = (i * 7 + i / KV_KEYS) % KV_KEYS;
	uint64_t key = 1000 + k * 37;
	int found;
	unsigned s = find(table, key, &found);
	memset(out, 0, sizeof(*out));
	if (found && i % 5 == 4) {
		out->state = SLOT_DELETED;
		return s;
	}
	out->state = SLOT_USED;
	out->key = key;
	out->vlen = 60 + (i * 11) % 45;
	for (size_t j = 0; j < out->vlen; j++)
		out->value[j] = (unsigned char)(i * 17 + j * 3 + k);
	return s;
}

/* update -- applies operation i to the file, failure-atomically */
static void
update(struct kv_file *f, uint64_t i)
{
	struct kv_slot new;
	unsigned s = workload_op(f->table, i, &new);
#ifdef BUG_NOT_ATOMIC
	/* BUG: no undo log; slot and counter are drained together */
	if (Is_pmem) {
		pmem_memcpy_nodrain(&f->table[s], &new, sizeof(new));
	} else {
		memcpy(&f->table[s], &new, sizeof(new));
		persist(&f->table[s], sizeof(new));
	}
	f->hdr.ops = i + 1;
	persist(&f->hdr.ops, sizeof(f->hdr.ops));
#else
	struct kv_undo *u = &f->undo;
	u->slot = s;
	u->ops = f->hdr.ops;
	memcpy(&u->old, &f->table[s], sizeof(u->old));
	persist(u, sizeof(*u));

	u->valid = 1;
	persist(&u->valid, sizeof(u->valid));

	copy_persist(&f->table[s], &new, sizeof(new));
	f->hdr.ops = i + 1;
	persist(&f->hdr.ops, sizeof(f->hdr.ops));

	u->valid = 0;
	persist(&u->valid, sizeof(u->valid));
#endif
}

/* kv_run -- creates the table in path and applies n operations */
static int
kv_run(const char *path, uint64_t n)
{
	if (unlink(path) != 0 && errno != ENOENT) {
		fprintf(stderr, "%s: %s: %s\n", Prog, path, strerror(errno));
		return 2;
	}
	size_t mapped;
	struct kv_file *f = pmem_map_file(path, KV_FILE_SIZE,
		PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0666, &mapped, &Is_pmem);
	if (f == NULL)
		fail(pmem_errormsg());
	if (mapped != KV_FILE_SIZE)
		fail("mapped length is not the file size");

	/* a new file is zeros: an empty table and no undo log */
	f->hdr.version = KV_VERSION;
	f->hdr.nslots = KV_NSLOTS;
	f->hdr.ops = 0;
	persist(&f->hdr, sizeof(f->hdr));
	f->hdr.magic = KV_MAGIC;
	persist(&f->hdr.magic, sizeof(f->hdr.magic));

	for (uint64_t i = 0; i < n; i++)
		update(f, i);

	if (pmem_unmap(f, mapped) != 0)
		fail(pmem_errormsg());
	return 0;
}

/* inconsistent -- reports what is wrong with the table; returns 1 */
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

/* recover -- rolls back an interrupted update; 0, or 1 if it cannot */
static int
recover(const char *path, struct kv_file *f)
{
	struct kv_undo *u = &f->undo;
	if (u->valid == 0)
		return 0;
	if (u->valid != 1)
		return inconsistent(path, "undo flag is %" PRIu64
			", expected 0 or 1", u->valid);
	if (u->slot >= KV_NSLOTS)
		return inconsistent(path, "undo log names slot %" PRIu64
			" of %d", u->slot, KV_NSLOTS);

#ifdef BUG_RECOVERY
	/* the flag cleared first: recovery interrupted now loses the undo */
	u->valid = 0;
	persist(&u->valid, sizeof(u->valid));
#endif
	copy_persist(&f->table[u->slot], &u->old, sizeof(u->old));
	f->hdr.ops = u->ops;
	persist(&f->hdr.ops, sizeof(f->hdr.ops));
#ifndef BUG_RECOVERY
	u->valid = 0;
	persist(&u->valid, sizeof(u->valid));
#endif
	return 0;
}

/* verify -- 0 if the table is the workload's after its counter, at most n */
static int
verify(const char *path, const struct kv_file *f, uint64_t n)
{
	uint64_t k = f->hdr.ops;
	if (k > n)
		return inconsistent(path, "%" PRIu64 " operations applied, at "
			"most %" PRIu64 " expected", k, n);

	static struct kv_slot table[KV_NSLOTS];
	for (uint64_t i = 0; i < k; i++) {
		struct kv_slot new;
		unsigned s = workload_op(table, i, &new);
		table[s] = new;
	}
	for (unsigned s = 0; s < KV_NSLOTS; s++)
		if (memcmp(&f->table[s], &table[s], sizeof(table[s])) != 0)
			return inconsistent(path, "slot %u differs from the "
				"table after %" PRIu64 " operations", s, k);
	return 0;
}

/* kv_check -- recovers path, then 0 if it is consistent for n operations */
static int
kv_check(const char *path, uint64_t n)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;	/* crashed before the file was created */
		fprintf(stderr, "%s: %s: %s\n", Prog, path, strerror(errno));
		return 2;
	}
	struct kv_hdr hdr;
	struct stat st;
	if (fstat(fd, &st) != 0)
		fail(strerror(errno));
	ssize_t r = pread(fd, &hdr, sizeof(hdr), 0);
	if (r < 0)
		fail(strerror(errno));
	close(fd);
	if ((size_t)r < sizeof(hdr) || hdr.magic != KV_MAGIC)
		return 0;	/* crashed before the header was complete */

	if (hdr.version != KV_VERSION)
		return inconsistent(path, "version %" PRIu64 ", expected %d",
			hdr.version, KV_VERSION);
	if (hdr.nslots != KV_NSLOTS)
		return inconsistent(path, "%" PRIu64 " slots, expected %d",
			hdr.nslots, KV_NSLOTS);
	if (st.st_size != KV_FILE_SIZE)
		return inconsistent(path, "file is %jd bytes, expected %d",
			(intmax_t)st.st_size, KV_FILE_SIZE);

	size_t mapped;
	struct kv_file *f = pmem_map_file(path, 0, 0, 0, &mapped, &Is_pmem);
	if (f == NULL)
		fail(pmem_errormsg());
	int ret = recover(path, f);
	if (ret == 0)
		ret = verify(path, f, n);
	if (pmem_unmap(f, mapped) != 0)
		fail(pmem_errormsg());
	return ret;
}

/* usage -- prints the usage and exits with status */
static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
		"usage: %s run FILE [N]\n"
		"       %s check FILE [N]\n"
		"run: creates FILE as a table and applies N operations "
		"(default %d).\n"
		"check: rolls back an interrupted update, then exits 0 if FILE "
		"holds the table\nafter k <= N operations (a missing or "
		"uninitialised FILE is empty), 1 if\nnot, 2 on errors.\n",
		Prog, Prog, DEFAULT_OPS);
	exit(status);
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

	uint64_t n = DEFAULT_OPS;
	if (argc == 4) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(argv[3], &end, 10);
		if (errno != 0 || end == argv[3] || *end != '\0' ||
				argv[3][0] == '-' || v > MAX_OPS) {
			fprintf(stderr, "%s: N must be 0..%d\n", Prog, MAX_OPS);
			return 2;
		}
		n = v;
	}

	if (strcmp(argv[1], "run") == 0)
		return kv_run(argv[2], n);
	if (strcmp(argv[1], "check") == 0)
		return kv_check(argv[2], n);
	usage(2);
}

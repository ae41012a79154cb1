/*
 * obj_records.c -- a libpmemobj program: a persistent structure updated in
 * many transactions, then closed, reopened and verified.
 *
 * It is linked against PMDK's libpmemobj.so.1, which reaches libpmem.so.1
 * dynamically: run with LD_LIBRARY_PATH naming our libpmem.so.1's directory,
 * every flush, drain and copy libpmemobj makes is ours.
 *
 * usage: obj_records run --tx|--no-tx POOL UPDATES
 *        obj_records verify POOL
 *
 * "run" creates POOL if it does not exist (16 MiB, layout "obj_records"),
 * applies UPDATES more updates to it, closes it, reopens it and verifies it.
 * With --tx each update is one transaction (TX_BEGIN ... TX_END, snapshots
 * with pmemobj_tx_add_range, pmemobj_tx_alloc and pmemobj_tx_free); with
 * --no-tx the same stores are made in place and persisted one by one, the
 * object replaced with the atomic pmemobj_alloc and pmemobj_free, so that a
 * crash in the middle of an update can leave the structure inconsistent.
 * "verify" only checks the pool (pmemobj_check), opens it and verifies it.
 *
 * The root holds the number of updates applied (count), an array of records
 * and a ring of slots, each naming an allocated object. Update number i is a
 * deterministic function of i: a deposit into one record and a transfer from
 * it to another (the total of the values is kept in the root), and one update
 * in three replaces the object of a slot by a new one, of a size and content
 * given by i. Verifying replays "count" updates in memory and requires the
 * pool to hold exactly that state: the records, the total, each slot's object
 * and no other allocated object. So a pool is consistent exactly when it holds
 * the state after some whole number of updates, whatever was interrupted.
 *
 * Output: only what does not depend on the libpmem.so.1 below libpmemobj
 * (counts and hashes of the contents, no addresses, no UUIDs, no times).
 * Exit status: 0 consistent, 1 inconsistent or a failed call, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpmemobj.h>

#define LAYOUT "obj_records"
#define POOL_SIZE ((size_t)16 << 20)
#define MAGIC 0x6f626a7265637331ULL	/* "objrecs1" */

#define NRECORDS 64
#define NSLOTS 16
#define OBJ_EVERY 3		/* one update in OBJ_EVERY replaces an object */
#define OBJ_MIN 64
#define OBJ_SPREAD 2000		/* object sizes: OBJ_MIN .. OBJ_MIN+OBJ_SPREAD-1 */
#define OBJ_TYPE 1

/* a record: one cache line */
struct record {
	uint64_t value;
	uint64_t stamp;		/* the last update (1-based) that wrote it */
	uint64_t check;		/* hash of value, stamp and index */
	uint64_t pad[5];
};

struct root {
	uint64_t magic;
	uint64_t count;		/* updates applied */
	uint64_t total;		/* sum of the values of the records */
	uint64_t pad[5];
	struct record rec[NRECORDS];
	PMEMoid slot[NSLOTS];
};

/* the header of an allocated object; the data follows */
struct object {
	uint64_t seq;		/* the update that allocated it (0-based) */
	uint64_t size;		/* the whole object's size as allocated */
	unsigned char data[];
};

/* the state of the structure in memory, for replaying */
struct model {
	uint64_t count;
	uint64_t total;
	struct record rec[NRECORDS];
	int has_obj[NSLOTS];
	uint64_t obj_seq[NSLOTS];
};

/* one update, as computed from its number */
struct update {
	unsigned a, b;		/* deposit to a, transfer from a to b */
	uint64_t deposit, amount;
	int replace;		/* replaces the object of slot s */
	unsigned s;
	uint64_t obj_seq;
	size_t obj_size;
};

/* mix -- a 64-bit integer hash (splitmix64's finaliser) */
static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* record_check -- the check value of a record */
static uint64_t
record_check(unsigned idx, uint64_t value, uint64_t stamp)
{
	return mix(value ^ mix(stamp ^ mix(idx)));
}

/* obj_size -- the size of the object update i allocates */
static size_t
obj_size(uint64_t i)
{
	return OBJ_MIN + mix(i ^ 0x5157) % OBJ_SPREAD;
}

/* obj_byte -- byte k of the data of the object update i allocates */
static unsigned char
obj_byte(uint64_t i, size_t k)
{
	return (unsigned char)(mix(i) >> (8 * (k % 8))) ^ (unsigned char)(k / 8);
}

/* plan -- update number i */
static struct update
plan(uint64_t i)
{
	struct update u;
	uint64_t h = mix(i);
	u.a = (unsigned)(h % NRECORDS);
	u.b = (unsigned)((h >> 16) % (NRECORDS - 1));
	if (u.b >= u.a)
		u.b++;		/* b != a */
	u.deposit = i % 7 + 1;
	u.amount = (h >> 32) % 1000;
	u.replace = i % OBJ_EVERY == 0;
	u.s = (unsigned)(i / OBJ_EVERY % NSLOTS);
	u.obj_seq = i;
	u.obj_size = obj_size(i);
	return u;
}

/* apply_records -- the record stores of update u, numbered i, on rec */
static void
apply_records(struct record *rec, uint64_t *total, const struct update *u,
	uint64_t i)
{
	rec[u->a].value += u->deposit - u->amount;
	rec[u->b].value += u->amount;
	*total += u->deposit;
	rec[u->a].stamp = i + 1;
	rec[u->b].stamp = i + 1;
	rec[u->a].check = record_check(u->a, rec[u->a].value, i + 1);
	rec[u->b].check = record_check(u->b, rec[u->b].value, i + 1);
}

/* model_init -- the state of a new pool: no update applied */
static void
model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	for (unsigned k = 0; k < NRECORDS; k++)
		m->rec[k].check = record_check(k, 0, 0);
}

/* model_apply -- replays update number m->count */
static void
model_apply(struct model *m)
{
	uint64_t i = m->count;
	struct update u = plan(i);
	apply_records(m->rec, &m->total, &u, i);
	if (u.replace) {
		m->has_obj[u.s] = 1;
		m->obj_seq[u.s] = u.obj_seq;
	}
	m->count = i + 1;
}

/* fill_object -- writes the header and data of the object of update i */
static void
fill_object(struct object *o, uint64_t i, size_t size)
{
	o->seq = i;
	o->size = size;
	for (size_t k = 0; k < size - sizeof(*o); k++)
		o->data[k] = obj_byte(i, k);
}

/* update_tx -- update i as one transaction; 0 or -1 */
static int
update_tx(PMEMobjpool *pop, PMEMoid root_oid, uint64_t i)
{
	struct root *r = pmemobj_direct(root_oid);
	struct update u = plan(i);
	int ret = 0;

	TX_BEGIN(pop) {
		pmemobj_tx_add_range(root_oid, offsetof(struct root, count),
			2 * sizeof(uint64_t));
		pmemobj_tx_add_range(root_oid, offsetof(struct root, rec) +
			u.a * sizeof(struct record), sizeof(struct record));
		pmemobj_tx_add_range(root_oid, offsetof(struct root, rec) +
			u.b * sizeof(struct record), sizeof(struct record));
		apply_records(r->rec, &r->total, &u, i);
		if (u.replace) {
			pmemobj_tx_add_range(root_oid,
				offsetof(struct root, slot) +
				u.s * sizeof(PMEMoid), sizeof(PMEMoid));
			if (!OID_IS_NULL(r->slot[u.s]))
				pmemobj_tx_free(r->slot[u.s]);
			PMEMoid n = pmemobj_tx_alloc(u.obj_size, OBJ_TYPE);
			fill_object(pmemobj_direct(n), u.obj_seq, u.obj_size);
			r->slot[u.s] = n;
		}
		r->count = i + 1;
	} TX_ONABORT {
		ret = -1;
	} TX_END

	if (ret != 0)
		fprintf(stderr, "update %" PRIu64 ": transaction aborted: %s\n",
			i, pmemobj_errormsg());
	return ret;
}

/* update_no_tx -- update i with the same stores in place, each persisted */
static int
update_no_tx(PMEMobjpool *pop, struct root *r, uint64_t i)
{
	struct update u = plan(i);

	apply_records(r->rec, &r->total, &u, i);
	pmemobj_persist(pop, &r->rec[u.a], sizeof(struct record));
	pmemobj_persist(pop, &r->rec[u.b], sizeof(struct record));
	pmemobj_persist(pop, &r->total, sizeof(r->total));
	if (u.replace) {
		PMEMoid n;
		if (pmemobj_alloc(pop, &n, u.obj_size, OBJ_TYPE, NULL,
				NULL) != 0) {
			fprintf(stderr, "update %" PRIu64 ": pmemobj_alloc: "
				"%s\n", i, pmemobj_errormsg());
			return -1;
		}
		fill_object(pmemobj_direct(n), u.obj_seq, u.obj_size);
		pmemobj_persist(pop, pmemobj_direct(n), u.obj_size);
		PMEMoid old = r->slot[u.s];
		r->slot[u.s] = n;
		pmemobj_persist(pop, &r->slot[u.s], sizeof(PMEMoid));
		if (!OID_IS_NULL(old))
			pmemobj_free(&old);
	}
	r->count = i + 1;
	pmemobj_persist(pop, &r->count, sizeof(r->count));
	return 0;
}

/* hash_records -- a digest of the records, for the transcript */
static uint64_t
hash_records(const struct record *rec)
{
	uint64_t h = 0;
	for (unsigned k = 0; k < NRECORDS; k++)
		h = mix(h ^ rec[k].value) ^ rec[k].stamp;
	return h;
}

/* verify_pool -- compares an open pool with the replayed model */
static int
verify_pool(PMEMobjpool *pop)
{
	int bad = 0;
	if (pmemobj_root_size(pop) != sizeof(struct root)) {
		printf("verify: root size %zu, expected %zu\n",
			pmemobj_root_size(pop), sizeof(struct root));
		return -1;
	}
	PMEMoid root_oid = pmemobj_root(pop, sizeof(struct root));
	const struct root *r = pmemobj_direct(root_oid);
	if (r->magic != MAGIC) {
		printf("verify: bad magic %#" PRIx64 "\n", r->magic);
		return -1;
	}

	static struct model m;
	model_init(&m);
	while (m.count < r->count)
		model_apply(&m);

	for (unsigned k = 0; k < NRECORDS; k++) {
		const struct record *p = &r->rec[k], *e = &m.rec[k];
		if (p->check != record_check(k, p->value, p->stamp)) {
			printf("verify: record %u torn\n", k);
			bad = 1;
		} else if (p->value != e->value || p->stamp != e->stamp) {
			printf("verify: record %u holds value %" PRIu64
				" of update %" PRIu64 ", expected %" PRIu64
				" of update %" PRIu64 "\n", k, p->value,
				p->stamp, e->value, e->stamp);
			bad = 1;
		}
	}
	uint64_t sum = 0;
	for (unsigned k = 0; k < NRECORDS; k++)
		sum += r->rec[k].value;
	if (r->total != m.total || sum != m.total) {
		printf("verify: total %" PRIu64 ", sum of records %" PRIu64
			", expected %" PRIu64 "\n", r->total, sum, m.total);
		bad = 1;
	}

	unsigned objects = 0;
	size_t bytes = 0;
	for (unsigned s = 0; s < NSLOTS; s++) {
		PMEMoid oid = r->slot[s];
		if (!m.has_obj[s]) {
			if (!OID_IS_NULL(oid)) {
				printf("verify: slot %u names an object, "
					"expected none\n", s);
				bad = 1;
			}
			continue;
		}
		if (OID_IS_NULL(oid)) {
			printf("verify: slot %u is empty, expected the object "
				"of update %" PRIu64 "\n", s, m.obj_seq[s]);
			bad = 1;
			continue;
		}
		const struct object *o = pmemobj_direct(oid);
		uint64_t seq = m.obj_seq[s];
		size_t size = obj_size(seq);
		if (pmemobj_type_num(oid) != OBJ_TYPE ||
				pmemobj_alloc_usable_size(oid) < size ||
				o->seq != seq || o->size != size) {
			printf("verify: slot %u holds a wrong object (update "
				"%" PRIu64 ", %" PRIu64 " bytes), expected update "
				"%" PRIu64 " (%zu bytes)\n", s, o->seq, o->size,
				seq, size);
			bad = 1;
			continue;
		}
		for (size_t k = 0; k < size - sizeof(*o); k++) {
			if (o->data[k] != obj_byte(seq, k)) {
				printf("verify: slot %u: object data differs at "
					"byte %zu\n", s, k);
				bad = 1;
				break;
			}
		}
		objects++;
		bytes += size;
	}

	/* every allocated object but the root is named by a slot */
	unsigned allocated = 0;
	for (PMEMoid oid = pmemobj_first(pop); !OID_IS_NULL(oid);
			oid = pmemobj_next(oid))
		allocated++;
	if (allocated != objects) {
		printf("verify: %u objects allocated, %u named by slots\n",
			allocated, objects);
		bad = 1;
	}

	printf("verify: %" PRIu64 " updates, total %" PRIu64 ", records %016"
		PRIx64 ", %u objects of %zu bytes: %s\n", r->count, r->total,
		hash_records(r->rec), objects, bytes,
		bad ? "INCONSISTENT" : "consistent");
	return bad ? -1 : 0;
}

/* check_and_verify -- pmemobj_check, then open and verify */
static int
check_and_verify(const char *path)
{
	int c = pmemobj_check(path, LAYOUT);
	if (c != 1) {
		printf("pmemobj_check: %s\n", c == 0 ? "not consistent" :
			"error");
		fprintf(stderr, "pmemobj_check: %s\n", pmemobj_errormsg());
		return -1;
	}
	printf("pmemobj_check: consistent\n");
	PMEMobjpool *pop = pmemobj_open(path, LAYOUT);
	if (pop == NULL) {
		printf("pmemobj_open: failed\n");
		fprintf(stderr, "pmemobj_open %s: %s\n", path,
			pmemobj_errormsg());
		return -1;
	}
	int ret = verify_pool(pop);
	pmemobj_close(pop);
	return ret;
}

/* run -- creates or opens the pool, applies n updates, closes, verifies */
static int
run(const char *path, int tx, uint64_t n)
{
	PMEMobjpool *pop;
	if (access(path, F_OK) == 0) {
		pop = pmemobj_open(path, LAYOUT);
		printf("opened\n");
	} else {
		pop = pmemobj_create(path, LAYOUT, POOL_SIZE, 0600);
		printf("created\n");
	}
	if (pop == NULL) {
		fprintf(stderr, "%s: %s\n", path, pmemobj_errormsg());
		return -1;
	}

	PMEMoid root_oid = pmemobj_root(pop, sizeof(struct root));
	if (OID_IS_NULL(root_oid)) {
		fprintf(stderr, "pmemobj_root: %s\n", pmemobj_errormsg());
		pmemobj_close(pop);
		return -1;
	}
	struct root *r = pmemobj_direct(root_oid);
	if (r->magic != MAGIC) {
		/* a new root is zeroed: set up the records' check values */
		struct model m;
		model_init(&m);
		memcpy(r->rec, m.rec, sizeof(r->rec));
		pmemobj_persist(pop, r->rec, sizeof(r->rec));
		r->magic = MAGIC;
		pmemobj_persist(pop, &r->magic, sizeof(r->magic));
	}

	uint64_t first = r->count;
	for (uint64_t i = first; i < first + n; i++) {
		int ret = tx ? update_tx(pop, root_oid, i) :
			update_no_tx(pop, r, i);
		if (ret != 0) {
			pmemobj_close(pop);
			return -1;
		}
	}
	printf("updates %" PRIu64 " to %" PRIu64 " (%s)\n", first + 1,
		first + n, tx ? "transactions" : "no transactions");
	pmemobj_close(pop);
	printf("closed\n");
	return check_and_verify(path);
}

/* usage -- prints how to call the program, returns 2 */
static int
usage(void)
{
	fprintf(stderr, "usage: obj_records run --tx|--no-tx POOL UPDATES\n"
		"       obj_records verify POOL\n");
	return 2;
}

int
main(int argc, char *argv[])
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && strcmp(argv[1], "run") == 0) {
		int tx;
		if (strcmp(argv[2], "--tx") == 0)
			tx = 1;
		else if (strcmp(argv[2], "--no-tx") == 0)
			tx = 0;
		else
			return usage();
		char *end;
		errno = 0;
		unsigned long long n = strtoull(argv[4], &end, 10);
		if (errno != 0 || *end != '\0' || end == argv[4])
			return usage();
		return run(argv[3], tx, n) == 0 ? 0 : 1;
	}
	if (argc == 3 && strcmp(argv[1], "verify") == 0)
		return check_and_verify(argv[2]) == 0 ? 0 : 1;
	return usage();
}

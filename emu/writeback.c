/*
 * writeback.c -- turns lines to be made durable into write requests on the
 * backing file and completes them, through io_uring or pwrite.
 *
 * Requests: neighbouring lines become one request. Two groups of lines with
 * a short gap between them also become one request whose gap is filled from
 * the durable view, that is with the file's own current content: a request
 * costs microseconds of kernel work, copying a few KiB costs less, and the
 * durable content never brings unflushed data along. Such a request is
 * gathered into one buffer before it is written: see gather() for why, and
 * for the lock that keeps the gap from undoing another thread's write-back.
 *
 * Copies (PMEM_EMULATE_IO auto or mmap): for a file whose mapped range is
 * fully allocated, the durable view is writable and a write-back is a
 * memcpy of each differing line into it, with no system call: a store into
 * a shared file mapping is in the page cache at once, so it survives SIGKILL
 * as a pwrite does (64 B persist on tmpfs: 0.1 us against 1.3 us). Only
 * the lines flushed are copied, never a gap, so gathering and its lock play
 * no part; a lock per 4 KiB of the file (striped) is held around the
 * comparison and the copy of a line instead, so that of two threads
 * draining the same line the later one copies the later content, as the
 * kernel's page lock orders two pwrites. A store into a shared mapping
 * that needs a block the file does not have cannot fail with ENOSPC, it
 * raises SIGBUS: hence only fully allocated files (wb_map_file).
 *
 * Mechanism (PMEM_EMULATE_IO): where the file system completes a buffered
 * write at once when asked not to block (RWF_NOWAIT; XFS, for one), all
 * requests of a drain go to the calling thread's ring in one submission and
 * complete inline. Where it cannot (ext4 and tmpfs on Linux 6.18), io_uring
 * would hand each write to a kernel worker thread: 7-16 us a round trip on
 * the 2-vCPU machines we measured, against 1 us for pwritev on the draining
 * thread. "auto" asks each file once, with RWF_NOWAIT, and uses pwritev for
 * those that decline; "uring" sends everything to the ring regardless.
 *
 * Completion: all requests of a drain are submitted at once, then waited
 * for. Short writes are continued; a failed write ends the process unless
 * PMEM_EMULATE_ON_ERROR=warn, since a lost write-back is lost durability and
 * a void pmem_drain() cannot report it.
 */
#include <errno.h>
#include <limits.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "emu_int.h"
#include "log.h"

#define RING_ENTRIES 64
#define IOV_PER_REQ 1024	/* IOV_MAX */

static int Uring_unavailable;	/* atomic: set once io_uring failed */

int
emu_grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 64;
	void *p = realloc(*arr, ncap * sz);
	if (p == NULL)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

int
wb_add_run(struct emu_thread *t, struct emu_view *v, uintptr_t start,
		uintptr_t end, bool stored)
{
	if (emu_grow((void **)&t->runs, &t->capruns, t->nruns,
			sizeof(*t->runs)))
		return -1;
	t->runs[t->nruns++] = (struct emu_run){ v, start, end, stored };
	return 0;
}

/* cmp_run -- orders runs by address (internal) */
static int
cmp_run(const void *a, const void *b)
{
	const struct emu_run *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* add_iov -- appends one iovec to the pool; -1 if out of memory (internal) */
static int
add_iov(struct emu_thread *t, const void *base, size_t len)
{
	if (emu_grow((void **)&t->iov, &t->capiov, t->niov, sizeof(*t->iov)))
		return -1;
	t->iov[t->niov++] = (struct iovec){ (void *)base, len };
	return 0;
}

/*
 * add_segment -- adds bytes [s, e) of view v to the requests, joining the
 * last request when the gap is short and the durable view can fill it
 * (internal)
 */
static void
add_segment(struct emu_thread *t, struct emu_view *v, uintptr_t s,
		uintptr_t e, uintptr_t *last_end, struct emu_view **last_v)
{
	struct emu_req *r = t->nreqs ? &t->reqs[t->nreqs - 1] : NULL;
	bool join = r != NULL && *last_v == v && s >= *last_end &&
		r->iovcnt + 2 <= IOV_PER_REQ &&
		(s == *last_end ||
		 (v->durable != NULL && s - *last_end <= Emu.gap));
	if (join) {
		if (s > *last_end) {
			if (add_iov(t, v->durable + (*last_end - v->base),
					s - *last_end) != 0)
				goto nomem;
			r->iovcnt++;
		}
		if (add_iov(t, (const void *)s, e - s) != 0)
			goto nomem;
		r->iovcnt++;
		r->len += e - *last_end;
	} else {
		if (emu_grow((void **)&t->reqs, &t->capreqs, t->nreqs,
				sizeof(*t->reqs)) != 0)
			goto nomem;
		if (add_iov(t, (const void *)s, e - s) != 0)
			goto nomem;
		t->reqs[t->nreqs++] = (struct emu_req){
			.file = v->file,
			.off = v->off + (off_t)(s - v->base),
			.len = e - s,
			.iov_first = t->niov - 1,
			.iovcnt = 1,
		};
	}
	*last_end = e;
	*last_v = v;
	return;
nomem:
	emu_out_of_memory("writing back emulated persistent memory");
}

/* failed -- reports a failed request and marks it finished (internal) */
static void
failed(struct emu_req *r, int err)
{
	emu_notice("write-back to %s at offset %jd failed: %s", r->file->name,
		(intmax_t)(r->off + (off_t)r->done), strerror(err));
	if (Emu.on_error == EMU_ERR_ABORT)
		abort();
	r->done = r->len;
}

/*
 * advance -- records n more bytes of r written and moves its iovecs past
 * them, for the continuation of a short write (internal)
 */
static void
advance(struct emu_thread *t, struct emu_req *r, size_t n)
{
	r->done += n;
	struct iovec *iov = &t->iov[r->iov_first];
	while (n > 0 && r->iovcnt > 0) {
		if (n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			r->iov_first++;
			r->iovcnt--;
		} else {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= n;
			n = 0;
		}
	}
}

/* write_pwrite -- completes every unfinished request with pwritev (internal) */
static void
write_pwrite(struct emu_thread *t)
{
	for (size_t i = 0; i < t->nreqs; i++) {
		struct emu_req *r = &t->reqs[i];
		while (r->done < r->len) {
			ssize_t n = pwritev(r->file->fd, &t->iov[r->iov_first],
				(int)r->iovcnt, r->off + (off_t)r->done);
			if (n > 0)
				advance(t, r, (size_t)n);
			else if (n < 0 && errno == EINTR)
				continue;
			else
				failed(r, n < 0 ? errno : EIO);
		}
	}
}

/* note_written -- adds f to the files written by this write-back (internal) */
static void
note_written(struct emu_thread *t, struct emu_file *f)
{
	for (size_t i = t->nwritten; i > 0; i--)
		if (t->written[i - 1] == f)
			return;
	if (emu_grow((void **)&t->written, &t->capwritten, t->nwritten,
			sizeof(*t->written)) != 0) {
		emu_out_of_memory("writing back emulated persistent memory");
		return;
	}
	t->written[t->nwritten++] = f;
}

/* sync_files -- fdatasync of every file written (internal) */
static void
sync_files(struct emu_thread *t)
{
	for (size_t i = 0; i < t->nreqs; i++)
		note_written(t, t->reqs[i].file);
	for (size_t i = 0; i < t->nwritten; i++) {
		struct emu_file *f = t->written[i];
		while (fdatasync(f->fd) != 0) {
			if (errno == EINTR)
				continue;
			struct emu_req r = { .file = f };
			failed(&r, errno);
			break;
		}
	}
}

/* ring_ready -- sets up the calling thread's ring once; false if none (internal) */
static bool
ring_ready(struct emu_thread *t)
{
	if (t->ring_state != 0)
		return t->ring_state > 0;
	if (__atomic_load_n(&Uring_unavailable, __ATOMIC_RELAXED)) {
		t->ring_state = -1;
		return false;
	}
	/*
	 * One ring per thread, submitted to only by that thread: no lock on
	 * the way, and task work runs when the thread waits, not on another
	 * CPU (SINGLE_ISSUER | DEFER_TASKRUN, from Linux 6.1; plain before).
	 */
	struct io_uring_params p = { .flags = IORING_SETUP_SINGLE_ISSUER |
		IORING_SETUP_DEFER_TASKRUN };
	int ret = io_uring_queue_init_params(RING_ENTRIES, &t->ring, &p);
	if (ret == -EINVAL) {
		memset(&p, 0, sizeof(p));
		ret = io_uring_queue_init_params(RING_ENTRIES, &t->ring, &p);
	}
	if (ret < 0) {
		t->ring_state = -1;
		if (__atomic_exchange_n(&Uring_unavailable, 1,
				__ATOMIC_RELAXED) == 0)
			emu_notice("io_uring unavailable (%s); emulated "
				"write-back goes through pwrite", strerror(-ret));
		return false;
	}
	/*
	 * Registered with the thread, the ring needs no descriptor: close it,
	 * so that programs counting their descriptors see none appear. The
	 * ring lives until the thread exits.
	 */
	if (io_uring_register_ring_fd(&t->ring) == 1) {
		close(t->ring.ring_fd);
		t->ring.ring_fd = -1;
	}
	t->ring_state = 1;
	return true;
}

/* ---- copies into the durable view ---- */

static int Files_by_copy;	/* atomic: a file got by_copy */
static int Files_by_call;	/* atomic: a file did not */
static int Noticed_no_copy;	/* atomic: PMEM_EMULATE_IO=mmap refused */

#define FIEMAP_BATCH 64

/*
 * extents_cover -- FIEMAP: extents cover [0, len) of fd, each one with its
 * blocks allocated (or reserved: unwritten, delayed) and not shared; false
 * if not, or if it cannot be told (internal)
 */
static bool
extents_cover(int fd, uint64_t len)
{
	/* a fiemap header followed by its extents */
	union {
		struct fiemap m;
		char buf[sizeof(struct fiemap) +
			FIEMAP_BATCH * sizeof(struct fiemap_extent)];
	} u;
	const uint32_t ok = FIEMAP_EXTENT_LAST | FIEMAP_EXTENT_UNKNOWN |
		FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNWRITTEN |
		FIEMAP_EXTENT_MERGED | FIEMAP_EXTENT_DATA_ENCRYPTED;
	uint64_t covered = 0;
	while (covered < len) {
		memset(&u, 0, sizeof(u));
		u.m.fm_start = covered;
		u.m.fm_length = len - covered;
		u.m.fm_extent_count = FIEMAP_BATCH;
		if (ioctl(fd, FS_IOC_FIEMAP, &u.m) != 0 ||
				u.m.fm_mapped_extents == 0)
			return false;
		for (uint32_t i = 0; i < u.m.fm_mapped_extents; i++) {
			const struct fiemap_extent *e = &u.m.fm_extents[i];
			if (e->fe_logical > covered || (e->fe_flags & ~ok))
				return false;	/* a hole, or shared, inline */
			if (e->fe_logical + e->fe_length > covered)
				covered = e->fe_logical + e->fe_length;
			if (covered >= len)
				return true;
			if (e->fe_flags & FIEMAP_EXTENT_LAST)
				return false;
		}
	}
	return true;
}

/*
 * fully_allocated -- every block of [0, len) of the file has its storage:
 * a store through a shared mapping needs no allocation, so it cannot
 * raise SIGBUS for want of space. Told on ext4 and XFS by the extents, on
 * tmpfs by the count of pages; false elsewhere (internal)
 */
static bool
fully_allocated(int fd, size_t len)
{
	struct stat st;
	struct statfs sfs;
	if (len == 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
			(uint64_t)st.st_size < len)
		return false;
	/* fewer blocks than bytes: holes, without asking further (a sparse
	 * file of 64 GiB costs nothing here) */
	if ((uint64_t)st.st_blocks * 512 < len || fstatfs(fd, &sfs) != 0)
		return false;
	switch ((unsigned long)sfs.f_type) {
	case TMPFS_MAGIC:
		/*
		 * No FIEMAP, and SEEK_HOLE (like mincore) takes fallocated
		 * pages not yet written for holes; but st_blocks counts
		 * exactly the pages the file holds, metadata none: as many as
		 * its length has, none is missing (unless some were
		 * allocated past the end, with FALLOC_FL_KEEP_SIZE or a huge
		 * page: then the count is higher and the file is refused)
		 */
		return (uint64_t)st.st_blocks * 512 ==
			((uint64_t)st.st_size + Pagesize - 1) /
			Pagesize * Pagesize;
	case EXT4_SUPER_MAGIC:	/* ext2 and ext3 too */
	case XFS_SUPER_MAGIC:
		return extents_cover(fd, len);
	default:
		/* copy-on-write file systems (btrfs, ...) allocate at every
		 * write, network ones may fail it: unknown, not risked */
		return false;
	}
}

void
wb_map_file(struct emu_file *f, char *durable, size_t len)
{
	bool want = durable != NULL &&
		(Emu.io == EMU_IO_AUTO || Emu.io == EMU_IO_MMAP);
	if (want && fully_allocated(f->fd, len) &&
			mprotect(durable, len, PROT_READ | PROT_WRITE) == 0) {
		f->by_copy = true;
		__atomic_store_n(&Files_by_copy, 1, __ATOMIC_RELAXED);
		log_write(LOG_CALL, "%s: fully allocated: written back by "
			"copies into a shared mapping", f->name);
		return;
	}
	__atomic_store_n(&Files_by_call, 1, __ATOMIC_RELAXED);
	if (!want)
		return;
	log_write(LOG_CALL, "%s: not known to be fully allocated: written "
		"back by system calls", f->name);
	if (Emu.io == EMU_IO_MMAP && __atomic_exchange_n(&Noticed_no_copy, 1,
			__ATOMIC_RELAXED) == 0)
		emu_notice("PMEM_EMULATE_IO=mmap: %s is not fully allocated "
			"(holes, or a file system other than tmpfs, ext4 and "
			"XFS); its write-back goes through system calls", f->name);
}

const char *
wb_io_name(void)
{
	bool copy = __atomic_load_n(&Files_by_copy, __ATOMIC_RELAXED);
	bool call = __atomic_load_n(&Files_by_call, __ATOMIC_RELAXED);
	bool pw = Emu.io == EMU_IO_PWRITE ||
		__atomic_load_n(&Uring_unavailable, __ATOMIC_RELAXED);
	if (copy && call)
		return pw ? "mmap+pwrite" : "mmap+auto";
	if (copy || (Emu.io == EMU_IO_MMAP && !call && Emu_domain == EMU_ADR))
		return "mmap";
	if (pw)
		return "pwrite";
	return Emu.io == EMU_IO_URING ? "uring" : "auto";
}

void
wb_ring_release(struct emu_thread *t, bool owner)
{
	if (t->ring_state > 0) {
		if (owner) {
			io_uring_queue_exit(&t->ring);
		} else {
			/* a forked child: the ring is the parent's; drop our
			 * copies of its descriptor and memory */
			munmap(t->ring.sq.ring_ptr, t->ring.sq.ring_sz);
			if (t->ring.cq.ring_ptr != t->ring.sq.ring_ptr)
				munmap(t->ring.cq.ring_ptr, t->ring.cq.ring_sz);
			munmap(t->ring.sq.sqes, t->ring.sq.ring_entries *
				sizeof(struct io_uring_sqe));
			if (t->ring.ring_fd >= 0)
				close(t->ring.ring_fd);
		}
	}
	t->ring_state = 0;
}

/* for_uring -- is r still to be written through the ring? (internal) */
static bool
for_uring(const struct emu_req *r, bool nowait)
{
	return r->done < r->len && !r->by_pwrite && (!nowait ||
		__atomic_load_n(&r->file->inline_writes, __ATOMIC_RELAXED) >= 0);
}

/*
 * write_uring -- submits every request meant for the ring (up to its size at
 * a time), waits for all, and goes round again for continuations. With
 * nowait (AUTO), writes carry RWF_NOWAIT: one the file system cannot do at
 * once is declined, not handed to a worker thread, and its file is marked
 * for pwrite from then on; the caller finishes such requests (internal)
 */
static void
write_uring(struct emu_thread *t, bool nowait)
{
	size_t next = 0;	/* first request not yet known finished */
	for (;;) {
		while (next < t->nreqs && !for_uring(&t->reqs[next], nowait))
			next++;
		if (next == t->nreqs)
			return;
		unsigned inflight = 0;
		for (size_t i = next; i < t->nreqs && inflight < RING_ENTRIES;
				i++) {
			struct emu_req *r = &t->reqs[i];
			if (!for_uring(r, nowait))
				continue;
			struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);
			if (sqe == NULL)
				break;
			io_uring_prep_writev2(sqe, r->file->fd,
				&t->iov[r->iov_first], (unsigned)r->iovcnt,
				(uint64_t)(r->off + (off_t)r->done),
				nowait ? RWF_NOWAIT : 0);
			io_uring_sqe_set_data64(sqe, i);
			inflight++;
		}
		int ret;
		do {
			ret = io_uring_submit_and_wait(&t->ring, inflight);
		} while (ret == -EINTR);
		if (ret < 0) {
			/* the ring itself failed: finish with pwrite */
			emu_notice("io_uring submission failed (%s); emulated "
				"write-back goes through pwrite", strerror(-ret));
			wb_ring_release(t, true);
			t->ring_state = -1;
			return;		/* the caller finishes with pwrite */
		}
		while (inflight > 0) {
			struct io_uring_cqe *cqe;
			ret = io_uring_wait_cqe(&t->ring, &cqe);
			if (ret == -EINTR)
				continue;
			if (ret < 0)
				abort();	/* submitted, yet no completion */
			struct emu_req *r = &t->reqs[io_uring_cqe_get_data64(cqe)];
			int res = cqe->res;
			io_uring_cqe_seen(&t->ring, cqe);
			inflight--;
			int *mode = &r->file->inline_writes;
			if (res > 0) {
				if (nowait && __atomic_load_n(mode,
						__ATOMIC_RELAXED) == 0) {
					__atomic_store_n(mode, 1, __ATOMIC_RELAXED);
					log_write(LOG_CALL, "%s: io_uring writes "
						"complete at once: io_uring it is",
						r->file->name);
				}
				advance(t, r, (size_t)res);
			} else if (nowait && (res == -EAGAIN ||
					res == -EOPNOTSUPP)) {
				/* decided by the first try; a later refusal
				 * (page not cached, say) is this write's only */
				r->by_pwrite = true;
				if (__atomic_load_n(mode, __ATOMIC_RELAXED) ==
						0) {
					__atomic_store_n(mode, -1,
						__ATOMIC_RELAXED);
					log_write(LOG_CALL, "%s: io_uring would "
						"hand writes to a worker thread "
						"(%s): pwritev it is",
						r->file->name, strerror(-res));
				}
			} else if (res != -EINTR && res != -EAGAIN) {
				failed(r, res < 0 ? -res : EIO);
			}
		}
	}
}

/*
 * Gathering. A request of several pieces (lines from the view, gaps from the
 * durable twin) is copied into one buffer and written as one piece: file
 * systems pay per piece, XFS on preallocated (unwritten) extents up to 3x
 * (a 62 KiB request of 63 pieces: 44 us, gathered 14 us), the others a
 * little. The gaps are then read by us, not by the kernel under each page's
 * lock, so no other write-back may land between that read and the write:
 * a drain that gathers holds Gather_lock exclusively, every other drain
 * holds it shared (writers first, so that gathering is not starved).
 */
#define GATHER_MAX (4 * 1024 * 1024)	/* bytes gathered per drain */

static pthread_rwlock_t Gather_lock =
	PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;

/*
 * gather -- takes Gather_lock and copies the pieces of each multi-piece
 * request (up to GATHER_MAX bytes in all) into the thread's buffer (internal)
 */
static void
gather(struct emu_thread *t)
{
	size_t total = 0;
	for (size_t i = 0; i < t->nreqs; i++)
		if (t->reqs[i].iovcnt > 1 && total + t->reqs[i].len <= GATHER_MAX)
			total += t->reqs[i].len;
	if (total == 0) {
		pthread_rwlock_rdlock(&Gather_lock);
		return;
	}
	if (total > t->capgather) {
		char *g = realloc(t->gather, total);
		if (g == NULL) {
			pthread_rwlock_rdlock(&Gather_lock);
			return;		/* written piece by piece */
		}
		t->gather = g;
		t->capgather = total;
	}
	pthread_rwlock_wrlock(&Gather_lock);
	size_t pos = 0;
	for (size_t i = 0; i < t->nreqs; i++) {
		struct emu_req *r = &t->reqs[i];
		if (r->iovcnt <= 1 || pos + r->len > total)
			continue;
		char *dst = t->gather + pos;
		for (size_t k = 0; k < r->iovcnt; k++) {
			struct iovec *v = &t->iov[r->iov_first + k];
			memcpy(dst, v->iov_base, v->iov_len);
			dst += v->iov_len;
		}
		t->iov[r->iov_first] = (struct iovec){ t->gather + pos, r->len };
		r->iovcnt = 1;
		pos += r->len;
	}
}

/*
 * Copy locks: the lock of a line is that of its 4 KiB of the file, one of
 * STRIPES (files share them; a collision only makes one thread wait).
 */
#define STRIPE_BITS 4
#define STRIPES (1 << STRIPE_BITS)
#define STRIPE_SHIFT 12
#define STRIPE_SIZE ((uint64_t)1 << STRIPE_SHIFT)

static struct stripe {
	pthread_mutex_t m;
} __attribute__((aligned(64))) Stripe[STRIPES] = {
	[0 ... STRIPES - 1] = { PTHREAD_MUTEX_INITIALIZER },
};

/* stripe_of -- the lock of the 4 KiB of the file at off (internal) */
static inline pthread_mutex_t *
stripe_of(uint64_t off)
{
	/* hashed: threads working in pages far apart seldom meet */
	uint64_t h = (off >> STRIPE_SHIFT) * 0x9e3779b97f4a7c15ull;
	return &Stripe[h >> (64 - STRIPE_BITS)].m;
}

/* differs -- the line (n bytes) at p differs from its durable copy d (internal) */
static inline bool
differs(uintptr_t p, const char *d, size_t n)
{
	return memcmp((const void *)p, d, n) != 0;
}

/*
 * copy_run -- compares each line of [s, e) of v (by_copy) with the durable
 * view, under its lock, and copies the differing ones there, neighbours in
 * one memcpy (or, for WB_COUNT, counts them); all: every line differs
 * (stored by the library just now). Adds to *redundant the equal lines, to
 * *pieces and *bytes what was copied; returns the number of lines that
 * differed (internal)
 */
static size_t
copy_run(struct emu_view *v, uintptr_t s, uintptr_t e, enum wb_kind kind,
		bool all, size_t *redundant, size_t *pieces, size_t *bytes)
{
	size_t differed = 0;
	uintptr_t piece_end = 0;
	for (uintptr_t p = s; p < e; ) {
		uint64_t off = (uint64_t)v->off + (p - v->base);
		uintptr_t stop = p + (STRIPE_SIZE - (off & (STRIPE_SIZE - 1)));
		if (stop > e)
			stop = e;
		pthread_mutex_t *m = stripe_of(off);
		pthread_mutex_lock(m);
		while (p < stop) {
			/* the next differing lines, [p, q) */
			uintptr_t q = p;
			while (q < stop) {
				size_t n = stop - q < EMU_LINE ? stop - q :
					EMU_LINE;
				if (!all && !differs(q, v->durable +
						(q - v->base), n))
					break;
				differed++;
				q += n;
			}
			if (q > p && kind != WB_COUNT) {
				memcpy(v->durable + (p - v->base),
					(const void *)p, q - p);
				if (p != piece_end)
					(*pieces)++;
				piece_end = q;
				*bytes += q - p;
			}
			if (q < stop) {
				(*redundant)++;	/* the equal line at q */
				q += stop - q < EMU_LINE ? stop - q : EMU_LINE;
			}
			p = q;
		}
		pthread_mutex_unlock(m);
	}
	return differed;
}

void
wb_prefork(void)
{
	pthread_rwlock_rdlock(&Gather_lock);
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_lock(&Stripe[i].m);
}

void
wb_postfork(void)
{
	for (int i = STRIPES; i > 0; i--)
		pthread_mutex_unlock(&Stripe[i - 1].m);
	pthread_rwlock_unlock(&Gather_lock);
}

/* wants_ring -- does any request go to a file io_uring suits? (internal) */
static bool
wants_ring(const struct emu_thread *t)
{
	if (Emu.io == EMU_IO_URING)
		return true;
	for (size_t i = 0; i < t->nreqs; i++)
		if (for_uring(&t->reqs[i], true))
			return true;
	return false;
}

size_t
wb_runs(struct emu_thread *t, enum wb_kind kind)
{
	t->nreqs = 0;
	t->niov = 0;
	t->nwritten = 0;
	size_t differed = 0, redundant = 0, pieces = 0, bytes = 0;
	if (t->nruns > 1)
		qsort(t->runs, t->nruns, sizeof(*t->runs), cmp_run);

	uintptr_t last_end = 0;
	struct emu_view *last_v = NULL;
	for (size_t i = 0; i < t->nruns; i++) {
		struct emu_run run = t->runs[i];
		/* merge with the following overlapping or touching runs */
		while (i + 1 < t->nruns && t->runs[i + 1].v == run.v &&
				t->runs[i + 1].start <= run.end) {
			i++;
			if (t->runs[i].end > run.end)
				run.end = t->runs[i].end;
			run.stored = run.stored && t->runs[i].stored;
		}
		struct emu_view *v = run.v;
		if (run.start < last_end && last_v == v)
			run.start = last_end;
		if (run.end > v->end)
			run.end = v->end;
		if (run.start >= run.end)
			continue;
		if (v->file->by_copy) {
			size_t before = bytes;
			differed += copy_run(v, run.start, run.end, kind,
				kind == WB_PAGES || (kind == WB_DRAIN &&
				run.stored), &redundant, &pieces, &bytes);
			if (Emu.fsync && bytes > before)
				note_written(t, v->file);
			continue;
		}
		if (kind == WB_PAGES || (kind == WB_DRAIN && run.stored)) {
			/* stored by the copy family just now: all dirty */
			differed += (run.end - run.start + EMU_LINE - 1) /
				EMU_LINE;
			add_segment(t, v, run.start, run.end, &last_end, &last_v);
			continue;
		}
		/* only lines that differ from the file are written (or, for
		 * WB_COUNT, counted) */
		bool counting = kind == WB_COUNT;
		uintptr_t seg = 0;
		for (uintptr_t p = run.start; p < run.end; p += EMU_LINE) {
			size_t n = run.end - p < EMU_LINE ? run.end - p : EMU_LINE;
			bool dirty = memcmp((const void *)p,
				v->durable + (p - v->base), n) != 0;
			if (dirty) {
				differed++;
				if (seg == 0)
					seg = p;
				continue;
			}
			redundant++;
			if (seg != 0 && !counting)
				add_segment(t, v, seg, p, &last_end, &last_v);
			seg = 0;
		}
		if (seg != 0 && !counting)
			add_segment(t, v, seg, run.end, &last_end, &last_v);
	}
	t->nruns = 0;

	if (kind == WB_DRAIN)
		EMU_COUNT(t, redundant, redundant);
	if (t->nreqs > 0) {
		for (size_t i = 0; i < t->nreqs; i++)
			bytes += t->reqs[i].len;
		pieces += t->nreqs;
		gather(t);
		if (Emu.io != EMU_IO_PWRITE && wants_ring(t) && ring_ready(t))
			write_uring(t, Emu.io != EMU_IO_URING);
		write_pwrite(t);	/* what the ring did not take, or all */
		pthread_rwlock_unlock(&Gather_lock);
	}
	if (pieces == 0)
		return differed;
	EMU_COUNT(t, requests, pieces);
	EMU_COUNT(t, bytes, bytes);
	if (Emu.fsync)
		sync_files(t);
	return differed;
}

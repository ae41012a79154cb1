/*
 * emu_int.h -- the emulation backend's own structures (internal to emu/).
 *
 * Model. The user's view of an emulated file plays the CPU caches and the
 * file plays the persistent media:
 *  - ADR: the view is a private (copy-on-write) mapping of the file, so a
 *    store stays in the process until the library writes its line back; a
 *    second, shared mapping of the same bytes ("durable view") shows what
 *    the file holds. pmem_flush records lines per thread and pmem_drain
 *    writes them back: by copies into the durable view, made writable, for
 *    fully allocated files, else by system calls (writeback.c).
 *  - eADR: the view is a shared mapping, so every store is in the file at
 *    once (it survives SIGKILL, which is all the process can lose). Pages that
 *    receive streamed (non-temporal) data are made private until the next
 *    drain, which writes them back and shares them again.
 */
#ifndef PMEM_EMU_INT_H
#define PMEM_EMU_INT_H

#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "emu.h"
#include "crash_proto.h"

#define EMU_LINE 64u
#define LINE_DOWN(x) ((x) & ~(uintptr_t)(EMU_LINE - 1))
#define LINE_UP(x) (((x) + EMU_LINE - 1) & ~(uintptr_t)(EMU_LINE - 1))

/* ---- settings (config.c) ---- */

/*
 * How write-backs reach the file. MMAP: under ADR, copies into the durable
 * view, made writable, for files whose mapped range is fully allocated
 * (wb_map_file); the other files as AUTO. AUTO: the same for such files;
 * for the others io_uring where the file system completes a buffered write
 * at once (tried with RWF_NOWAIT, per file), pwritev on the draining thread
 * elsewhere, where io_uring would hand every write to a kernel worker thread
 * at many times the cost.
 */
enum emu_io { EMU_IO_AUTO, EMU_IO_URING, EMU_IO_PWRITE, EMU_IO_MMAP };
enum emu_on_error { EMU_ERR_ABORT, EMU_ERR_WARN };

struct emu_settings {
	bool strict;		/* PMEM_EMULATE_STRICT=1 */
	bool fsync;		/* PMEM_EMULATE_FSYNC=1 */
	enum emu_io io;		/* PMEM_EMULATE_IO */
	enum emu_on_error on_error;	/* PMEM_EMULATE_ON_ERROR */
	const char *stats;	/* PMEM_EMULATE_STATS, or NULL */
	const char *report;	/* PMEM_EMULATE_REPORT, or NULL */
	size_t gap;		/* bytes of durable content worth writing to
				 * join two requests into one */
};

extern struct emu_settings Emu;

/* ---- counters ---- */

struct emu_counters {
	uint64_t flushes;
	uint64_t lines_flushed;
	uint64_t redundant;
	uint64_t drains;
	uint64_t requests;
	uint64_t bytes;
	uint64_t never_flushed;
};

/* ---- views (views.c) ---- */

/* The open file behind one or more views. */
struct emu_file {
	int fd;
	unsigned refs;		/* views using it; under the registry lock */
	int inline_writes;	/* atomic; AUTO: 0 untried, 1 io_uring
				 * completes writes at once, -1 it does not */
	bool by_copy;		/* ADR: written back by copies into the
				 * durable view (set at map time) */
	char *name;		/* for messages */
	dev_t dev;		/* identity, for views taken over (adopt.c) */
	ino_t ino;
};

struct emu_view {
	uintptr_t base;		/* page aligned */
	uintptr_t end;		/* base + mapped length (exclusive) */
	off_t off;		/* file offset of base */
	uint64_t id;		/* unique per view, never reused */
	char *durable;		/* ADR: shared twin of [base, end), writable
				 * if file->by_copy, else read-only */
	struct emu_file *file;
	bool foreign;		/* a mapping of the program's, taken over */
	struct emu_view *next_free;
};

/* A piece of a view: [start, end), absolute addresses inside v. */
struct emu_run {
	struct emu_view *v;
	uintptr_t start;
	uintptr_t end;
	bool stored;		/* known written: skip the comparison */
};

/*
 * Registry of views. Lookups take the read lock; the per-thread cache in
 * emu.c avoids even that while the registry version does not change.
 */
extern pthread_rwlock_t Emu_reg_lock;
extern uint64_t Emu_reg_version;	/* atomic */

/* View containing addr, or NULL; registry read-locked by the caller. */
struct emu_view *views_find(uintptr_t addr);

/* First view ending after addr, or NULL; read-locked by the caller. */
struct emu_view *views_next(uintptr_t addr);

/*
 * The durable twin (ADR) of len bytes of fd from off: a shared mapping of
 * the file; MAP_FAILED with errno if it cannot be made.
 */
char *emu_map_durable(int fd, size_t len, off_t off);

/*
 * Registers [base, end), a mapping of the program's at file offset off of
 * fd (now the library's), as a view; write-locked; 0 or -1.
 */
int views_add_foreign(int fd, const char *name, uintptr_t base,
		uintptr_t end, off_t off, char *durable, dev_t dev, ino_t ino);

/* Forgets view v (its mapping is gone): nothing is written; write-locked. */
void views_forget(struct emu_view *v);

/* Forgets the views taken over whose mapping is gone; write-locked. */
void emu_prune_locked(void);

/* ---- write-back (writeback.c) ---- */

/* Per-thread state: flushed lines waiting for a drain, the ring, buffers. */
struct emu_pending {
	uintptr_t start;	/* line aligned */
	uintptr_t end;		/* line aligned, may pass the view's end */
	uint64_t id;		/* view the lines were flushed in */
	bool stored;		/* the library stored them (copy family): no
				 * need to compare them with the file */
};

struct emu_req {
	struct emu_file *file;
	off_t off;
	size_t len;
	size_t iov_first;	/* index into the thread's iovec pool */
	size_t iovcnt;
	size_t done;		/* bytes written so far */
	bool by_pwrite;		/* io_uring declined it: finish with pwrite */
};

struct emu_thread {
	struct emu_thread *prev, *next;	/* live threads, under Threads_lock */
	struct emu_counters c;		/* written by the owner only */

	struct emu_pending *pend;
	size_t npend, cappend;

	struct emu_run *runs;
	size_t nruns, capruns;
	struct emu_req *reqs;
	size_t nreqs, capreqs;
	struct iovec *iov;
	size_t niov, capiov;
	char *gather;			/* multi-piece requests, gathered */
	size_t capgather;
	struct emu_file **written;	/* files written to, for fdatasync */
	size_t nwritten, capwritten;

	int ring_state;			/* 0 untried, 1 ready, -1 none */
	pid_t ring_pid;			/* process that set the ring up */
	struct io_uring ring;

	struct emu_view *cached;	/* last view a flush hit */
	uint64_t cached_version;
};

/* The calling thread's state, created on first use; NULL if out of memory. */
struct emu_thread *emu_self(void);

/*
 * Writes back the lines t flushed (what a drain does); registry read-locked
 * by the caller.
 */
void emu_write_pending(struct emu_thread *t);

/* Adds n to a counter of the calling thread (relaxed, read at exit). */
#define EMU_COUNT(t, field, n) \
	__atomic_store_n(&(t)->c.field, (t)->c.field + (n), __ATOMIC_RELAXED)

/* Purposes of a write-back, for the counters. */
enum wb_kind {
	WB_DRAIN,	/* flushed lines: equal lines count as redundant */
	WB_SYNC,	/* msync / deep drain: equal lines skipped silently */
	WB_SHUTDOWN,	/* unmap / exit: differing lines were never durable */
	WB_PAGES,	/* eADR private pages: written whole */
	WB_COUNT,	/* strict shutdown: count differing lines, write none */
};

/*
 * Writes back t->runs (sorted by address, line aligned, inside their views)
 * by copies into the durable view (files with by_copy) or through io_uring
 * or pwrite, coalescing neighbours; for ADR kinds only lines whose content
 * differs from the durable view are written. Returns the number of lines
 * that differed. Registry read-locked by the caller.
 */
size_t wb_runs(struct emu_thread *t, enum wb_kind kind);

/*
 * A view of f has just been mapped, len bytes from offset 0, with durable
 * its read-only durable view (ADR) or NULL (eADR). Under ADR, with
 * PMEM_EMULATE_IO auto or mmap, a file whose range is fully allocated (see
 * writeback.c) gets by_copy and its durable view is made writable.
 */
void wb_map_file(struct emu_file *f, char *durable, size_t len);

/* Adds a run to t->runs; -1 if out of memory. */
int wb_add_run(struct emu_thread *t, struct emu_view *v, uintptr_t start,
		uintptr_t end, bool stored);

/* wb_runs(t, WB_COUNT): the differing lines of t->runs, nothing written. */
#define wb_count(t) wb_runs((t), WB_COUNT)

/* What write-backs go through, for the statistics: "mmap", "uring",
 * "pwrite", "auto" (per file, uring or pwrite), or "mmap+auto" and
 * "mmap+pwrite" when some files are written back by copies and others not. */
const char *wb_io_name(void);

/* Around fork(): take and release the write-back lock. */
void wb_prefork(void);
void wb_postfork(void);

/* Releases the ring of t (thread exit, or a child after fork). */
void wb_ring_release(struct emu_thread *t, bool owner);

/* ---- streamed data under eADR, shutdown, fork (views.c) ---- */

/*
 * Before a streaming copy to [dst, dst+len): makes its pages private, so
 * that the data reaches the file only at the next drain. True if done, with
 * locks held until emu_stream_end(); false if dst is not emulated.
 */
bool emu_stream_begin(void *dst, size_t len);
void emu_stream_end(void);

/* eADR drain: writes back the private pages and shares them again. */
void emu_publish_streamed(struct emu_thread *t);

/* At exit: the clean-shutdown write-back of every view. */
void emu_views_fini(void);

/* Around fork(): take and release the views' locks. */
void emu_views_prefork(void);
void emu_views_postfork(void);

/*
 * eADR: calls fn(v, start, end, arg) for each run of private (streamed, not
 * yet drained) pages of v; registry read-locked by the caller.
 */
void emu_streamed_each(struct emu_view *v,
		void (*fn)(struct emu_view *, uintptr_t, uintptr_t, void *),
		void *arg);

/* ---- persistence points for pmem-crashtest (crash.c) ---- */

/* The tool's socket (PMEM_EMULATE_CRASH_FD), or -1: no crash test. */
extern int Crash_fd;

/* Reads PMEM_EMULATE_CRASH_FD/_AT and greets the tool (emu_configure). */
void crash_configure(void);

/*
 * A persistence point of this kind is about to take effect: tells the tool
 * and does what it says (go on, or end the process). Call only with
 * Crash_fd >= 0 and no emulator lock held; crash_leave() once the point has
 * taken effect.
 */
void crash_enter(enum ct_kind kind);
void crash_leave(void);

/* In a child after fork: it is not under test. */
void crash_postfork_child(void);

/* ---- finding written pages (scan.c) ---- */

/*
 * Adds to t->runs the pages of [start, end) inside view v that the process
 * has written (copy-on-write pages of the private view). Returns 0, or -1 if
 * they cannot be found, in which case the whole range is added.
 */
int scan_written(struct emu_thread *t, struct emu_view *v, uintptr_t start,
		uintptr_t end);

/* ---- the persistence-bug report (report.c, PMEM_EMULATE_REPORT) ---- */

/*
 * Reads PMEM_EMULATE_REPORT (after PMEM_EMULATE) and, when emulating, opens
 * the report and sets Emu_report; a bad value ends the process.
 */
void report_configure(void);

/* The calling thread flushed [s, e) of view id (ADR; Emu_site names the
 * site): remembered with the site until its next drain. */
void report_pend(uintptr_t s, uintptr_t e, uint64_t id, bool stored);

/* A flush named no line of an emulated view (nor of a real pmem range). */
void report_not_pmem(const void *addr, size_t len);

/* The calling thread drains: its flushed lines still equal to the file
 * are redundant flushes. Registry read-locked by the caller. */
void report_drain(void);

/*
 * Unmap or exit, ADR: reports the lines of t->runs (the written pages of
 * v, as scan_written found them) that differ from the file, before they are
 * written back. Registry locked by the caller.
 */
void report_settle(struct emu_thread *t, struct emu_view *v);

/*
 * Unmap or exit, eADR: reports the lines of the private pages runs[0..n)
 * of v inside [s, e) that differ from the file (streamed, not drained).
 * Registry and the streamed pages' lock held by the caller.
 */
void report_streamed(struct emu_view *v, const struct emu_run *runs,
		size_t n, uintptr_t s, uintptr_t e);

/* At exit, after the views: the counts per site and the summary line. */
void report_fini(void);

/* Makes room for one more element of size sz in *arr (n used, *cap
 * allocated): 0, or -1 if out of memory. */
int emu_grow(void **arr, size_t *cap, size_t n, size_t sz);

/* ---- messages ---- */

/* One line on stderr prefixed "libpmem: ", for the emulator's notices. */
void emu_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * "out of memory <doing>": durability can no longer be emulated, so the
 * process ends unless PMEM_EMULATE_ON_ERROR=warn.
 */
void emu_out_of_memory(const char *doing);

#endif

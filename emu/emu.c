/*
 * emu.c -- the emulated persistence calls, installed in Ops at load, and the
 * per-thread state behind them.
 *
 * pmem_flush (ADR) looks up the view of the range -- in a per-thread cache,
 * without a lock, while no view was mapped or unmapped since -- and appends
 * the lines to the calling thread's pending list. pmem_drain writes back the
 * calling thread's pending lines (writeback.c), which is what SFENCE
 * guarantees on hardware: the lines this thread flushed. Under eADR flush has
 * nothing to do and drain publishes the pages holding streamed data.
 *
 * View structures are recycled, never freed, so that a stale cached pointer
 * read by a racing flush is still a view (its id, checked at drain, tells).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libpmem.h"
#include "emu_int.h"
#include "engine.h"

static pthread_key_t Self_key;
static __thread struct emu_thread *Self;

static pthread_mutex_t Threads_lock = PTHREAD_MUTEX_INITIALIZER;
static struct emu_thread *Threads;	/* live threads' states */
static struct emu_counters Gone;	/* of exited threads; atomic adds */

/* thread_gone -- folds an exiting thread's state away (internal) */
static void
thread_gone(void *arg)
{
	struct emu_thread *t = arg;
	pthread_mutex_lock(&Threads_lock);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		Threads = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	uint64_t *from = (uint64_t *)&t->c, *to = (uint64_t *)&Gone;
	for (size_t i = 0; i < sizeof(t->c) / sizeof(uint64_t); i++)
		__atomic_add_fetch(&to[i], from[i], __ATOMIC_RELAXED);
	pthread_mutex_unlock(&Threads_lock);
	wb_ring_release(t, true);
	free(t->pend);
	free(t->runs);
	free(t->reqs);
	free(t->iov);
	free(t->gather);
	free(t->written);
	free(t);
	Self = NULL;
}

struct emu_thread *
emu_self(void)
{
	struct emu_thread *t = Self;
	if (t != NULL)
		return t;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	pthread_mutex_lock(&Threads_lock);
	t->next = Threads;
	if (Threads != NULL)
		Threads->prev = t;
	Threads = t;
	pthread_mutex_unlock(&Threads_lock);
	pthread_setspecific(Self_key, t);
	Self = t;
	return t;
}

/* view_of -- the view holding addr, via the thread's cache (internal) */
static struct emu_view *
view_of(struct emu_thread *t, uintptr_t addr)
{
	uint64_t version = __atomic_load_n(&Emu_reg_version, __ATOMIC_ACQUIRE);
	struct emu_view *v = t->cached;
	if (v != NULL && t->cached_version == version &&
			addr >= __atomic_load_n(&v->base, __ATOMIC_RELAXED) &&
			addr < __atomic_load_n(&v->end, __ATOMIC_RELAXED))
		return v;
	pthread_rwlock_rdlock(&Emu_reg_lock);
	v = views_find(addr);
	t->cached = v;
	t->cached_version = version;
	pthread_rwlock_unlock(&Emu_reg_lock);
	return v;
}

/* pend -- appends flushed lines [s, e) of view id to t (internal) */
static void
pend(struct emu_thread *t, uintptr_t s, uintptr_t e, uint64_t id,
		bool stored)
{
	if (Emu_report)
		report_pend(s, e, id, stored);
	if (t->npend > 0) {
		struct emu_pending *last = &t->pend[t->npend - 1];
		if (last->id == id && s <= last->end && e >= last->start) {
			if (s < last->start)
				last->start = s;
			if (e > last->end)
				last->end = e;
			last->stored = last->stored && stored;
			return;
		}
	}
	if (t->npend == t->cappend) {
		size_t cap = t->cappend ? t->cappend * 2 : 64;
		struct emu_pending *p = realloc(t->pend, cap * sizeof(*p));
		if (p == NULL) {
			emu_out_of_memory("recording flushed lines");
			return;
		}
		t->pend = p;
		t->cappend = cap;
	}
	t->pend[t->npend++] = (struct emu_pending){ s, e, id, stored };
}

/*
 * record -- the flush of [addr, addr+len): counted, and under ADR its lines
 * of emulated views remembered for the drain; stored says the library has
 * just written them (internal)
 */
static void
record(const void *addr, size_t len, bool stored)
{
	static __thread bool adopting;
	if (len == 0)
		return;
	struct emu_thread *t = emu_self();
	if (t == NULL)
		return;
	uintptr_t s = LINE_DOWN((uintptr_t)addr);
	uintptr_t e = LINE_UP((uintptr_t)addr + len);
	struct emu_view *v = view_of(t, s);
	if (v != NULL && e <= LINE_UP(v->end)) {
		/* the usual case: one view holds the whole range */
		EMU_COUNT(t, flushes, 1);
		EMU_COUNT(t, lines_flushed, (e - s) / EMU_LINE);
		if (Emu_domain == EMU_ADR)
			pend(t, s, e, v->id, stored);
		return;
	}
	/* pieces in several views, or none */
	size_t lines = 0;
	pthread_rwlock_rdlock(&Emu_reg_lock);
	for (v = views_next(s); v != NULL && v->base < e;
			v = views_next(v->end)) {
		uintptr_t a = s > v->base ? s : v->base;
		uintptr_t b = e < LINE_UP(v->end) ? e : LINE_UP(v->end);
		lines += (b - a) / EMU_LINE;
		if (Emu_domain == EMU_ADR)
			pend(t, a, b, v->id, stored);
	}
	pthread_rwlock_unlock(&Emu_reg_lock);
	if (lines > 0) {
		EMU_COUNT(t, flushes, 1);
		EMU_COUNT(t, lines_flushed, lines);
	} else if (!adopting && emu_adopt(addr, len, true)) {
		/* a mapping of the program's, emulated from now on */
		adopting = true;
		record(addr, len, stored);
		adopting = false;
	} else if (Emu_report) {
		report_not_pmem(addr, len);
	}
}

/* emu_flush -- pmem_flush and pmem_deep_flush (internal) */
static void
emu_flush(const void *addr, size_t len)
{
	record(addr, len, false);
}

void
emu_write_pending(struct emu_thread *t)
{
	if (Emu_report)
		report_drain();
	if (t->npend == 0)
		return;
	for (size_t i = 0; i < t->npend; i++) {
		struct emu_pending *p = &t->pend[i];
		struct emu_view *v = views_find(p->start);
		if (v == NULL || v->id != p->id)
			continue;	/* unmapped since the flush */
		uintptr_t end = p->end < v->end ? p->end : v->end;
		if (wb_add_run(t, v, p->start, end, p->stored) != 0)
			emu_out_of_memory("writing back emulated persistent "
				"memory");
	}
	t->npend = 0;
	wb_runs(t, WB_DRAIN);
}

/* emu_drain -- writes back the calling thread's flushed lines (internal) */
static void
emu_drain(void)
{
	struct emu_thread *t = emu_self();
	if (t == NULL)
		return;
	EMU_COUNT(t, drains, 1);
	bool point = Crash_fd >= 0;
	if (point)
		crash_enter(CT_DRAIN);
	if (t->npend > 0) {
		pthread_rwlock_rdlock(&Emu_reg_lock);
		emu_write_pending(t);
		pthread_rwlock_unlock(&Emu_reg_lock);
	}
	if (Emu_domain == EMU_EADR)
		emu_publish_streamed(t);
	if (point)
		crash_leave();
}

/* streams_eadr -- does the library stream this copy on eADR hardware? (internal) */
static inline bool
streams_eadr(unsigned flags)
{
	/* on eADR hardware only an explicit NONTEMPORAL streams (memops.c) */
	return (flags & (PMEM_F_MEM_NOFLUSH | PMEM_F_MEM_NONTEMPORAL)) ==
		PMEM_F_MEM_NONTEMPORAL;
}

static void *
emu_memmove_nodrain(void *dst, const void *src, size_t len, unsigned flags)
{
	if (len == 0 || dst == src)
		return dst;
	if (Emu_domain == EMU_EADR && streams_eadr(flags) &&
			emu_stream_begin(dst, len)) {
		Engine.mov_noflush(dst, src, len);
		emu_stream_end();
		return dst;
	}
	Engine.mov_noflush(dst, src, len);
	if (!(flags & PMEM_F_MEM_NOFLUSH))
		record(dst, len, true);
	return dst;
}

static void *
emu_memset_nodrain(void *dst, int c, size_t len, unsigned flags)
{
	if (len == 0)
		return dst;
	if (Emu_domain == EMU_EADR && streams_eadr(flags) &&
			emu_stream_begin(dst, len)) {
		Engine.set_noflush(dst, c, len);
		emu_stream_end();
		return dst;
	}
	Engine.set_noflush(dst, c, len);
	if (!(flags & PMEM_F_MEM_NOFLUSH))
		record(dst, len, true);
	return dst;
}

int
emu_has_auto_flush(void)
{
	return Emu_domain == EMU_EADR;
}

/* ---- fork ---- */

static void
prefork(void)
{
	emu_views_prefork();
	wb_prefork();
	pthread_mutex_lock(&Threads_lock);
}

static void
postfork_parent(void)
{
	pthread_mutex_unlock(&Threads_lock);
	wb_postfork();
	emu_views_postfork();
}

static void
postfork_child(void)
{
	/* rings belong to the parent's threads; the child makes its own */
	for (struct emu_thread *t = Threads; t != NULL; t = t->next)
		wb_ring_release(t, false);
	pthread_mutex_unlock(&Threads_lock);
	wb_postfork();
	emu_views_postfork();
	crash_postfork_child();
}

void
emu_install(struct pmem_ops *ops)
{
	pthread_key_create(&Self_key, thread_gone);
	pthread_atfork(prefork, postfork_parent, postfork_child);
	ops->flush = emu_flush;
	ops->deep_flush = emu_flush;
	ops->drain = emu_drain;
	ops->memmove_nodrain = emu_memmove_nodrain;
	ops->memset_nodrain = emu_memset_nodrain;
}

/* ---- exit ---- */

/* write_stats -- the counters as one JSON object in Emu.stats (internal) */
static void
write_stats(void)
{
	struct emu_counters sum;
	uint64_t *s = (uint64_t *)&sum, *g = (uint64_t *)&Gone;
	size_t n = sizeof(sum) / sizeof(uint64_t);
	pthread_mutex_lock(&Threads_lock);
	for (size_t i = 0; i < n; i++)
		s[i] = __atomic_load_n(&g[i], __ATOMIC_RELAXED);
	for (struct emu_thread *t = Threads; t != NULL; t = t->next) {
		uint64_t *c = (uint64_t *)&t->c;
		for (size_t i = 0; i < n; i++)
			s[i] += __atomic_load_n(&c[i], __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&Threads_lock);

	FILE *f = fopen(Emu.stats, "we");
	if (f == NULL) {
		emu_notice("cannot write statistics to %s: %s", Emu.stats,
			strerror(errno));
		return;
	}
	fprintf(f, "{\"domain\":\"%s\",\"io\":\"%s\",\"flushes\":%" PRIu64
		",\"lines_flushed\":%" PRIu64 ",\"redundant_flushes\":%" PRIu64
		",\"drains\":%" PRIu64 ",\"write_requests\":%" PRIu64
		",\"bytes_written\":%" PRIu64 ",\"lines_never_flushed\":%"
		PRIu64 "}\n", Emu_domain == EMU_ADR ? "adr" : "eadr",
		wb_io_name(), sum.flushes, sum.lines_flushed, sum.redundant,
		sum.drains, sum.requests, sum.bytes, sum.never_flushed);
	if (fclose(f) != 0)
		emu_notice("cannot write statistics to %s: %s", Emu.stats,
			strerror(errno));
}

void
emu_fini(void)
{
	if (Emu_domain == EMU_OFF)
		return;
	if (Crash_fd >= 0) {
		crash_enter(CT_EXIT);
		crash_leave();
	}
	emu_views_fini();
	if (Emu_report)
		report_fini();
	if (Emu.stats != NULL)
		write_stats();
}

/*
 * views.c -- the emulated views: mapping, the registry, unmapping with the
 * shutdown write-back, msync, and (eADR) the pages holding streamed data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "emu_int.h"

pthread_rwlock_t Emu_reg_lock = PTHREAD_RWLOCK_INITIALIZER;
uint64_t Emu_reg_version;

static struct emu_view **Views;	/* sorted by base, disjoint */
static size_t Nviews, Capviews;
static struct emu_view *Free_views;	/* recycled, never freed: see emu.c */
static uint64_t Next_id = 1;

/* first_ending_after -- index of the first view with end > addr (internal) */
static size_t
first_ending_after(uintptr_t addr)
{
	size_t lo = 0, hi = Nviews;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (Views[mid]->end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct emu_view *
views_find(uintptr_t addr)
{
	size_t i = first_ending_after(addr);
	return i < Nviews && Views[i]->base <= addr ? Views[i] : NULL;
}

struct emu_view *
views_next(uintptr_t addr)
{
	size_t i = first_ending_after(addr);
	return i < Nviews ? Views[i] : NULL;
}

/* changed -- invalidates the threads' cached views (internal) */
static void
changed(void)
{
	__atomic_add_fetch(&Emu_reg_version, 1, __ATOMIC_RELEASE);
}

/* view_new -- a view from the free list or the heap; write-locked (internal) */
static struct emu_view *
view_new(void)
{
	struct emu_view *v = Free_views;
	if (v != NULL)
		Free_views = v->next_free;
	else if ((v = malloc(sizeof(*v))) == NULL)
		return NULL;
	memset(v, 0, sizeof(*v));
	v->id = Next_id++;
	return v;
}

static void view_remove_at(size_t i);

/* view_insert -- adds v to the registry; write-locked; 0 or -1 (internal) */
static int
view_insert(struct emu_view *v)
{
	/*
	 * The kernel has just given out these addresses, so a view recorded
	 * there was unmapped behind the library's back (munmap() instead of
	 * pmem_unmap()): forget it, its memory is gone.
	 */
	size_t j = first_ending_after(v->base);
	while (j < Nviews && Views[j]->base < v->end) {
		struct emu_view *old = Views[j];
		if (old->durable != NULL)
			munmap(old->durable, old->end - old->base);
		view_remove_at(j);
	}
	if (Nviews == Capviews) {
		size_t cap = Capviews ? Capviews * 2 : 16;
		struct emu_view **p = realloc(Views, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		Views = p;
		Capviews = cap;
	}
	size_t i = first_ending_after(v->base);
	memmove(&Views[i + 1], &Views[i], (Nviews - i) * sizeof(*Views));
	Views[i] = v;
	Nviews++;
	changed();
	return 0;
}

/* file_unref -- drops one view's reference to f; write-locked (internal) */
static void
file_unref(struct emu_file *f)
{
	if (--f->refs > 0)
		return;
	close(f->fd);
	free(f->name);
	free(f);
}

void *
emu_map(int fd, size_t len, void *hint, const char *name)
{
	struct emu_file *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return MAP_FAILED;
	f->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	f->name = strdup(name);
	f->refs = 1;
	char *durable = MAP_FAILED;
	void *addr = MAP_FAILED;
	if (f->fd < 0 || f->name == NULL)
		goto fail;
	if (Emu_domain == EMU_ADR) {
		/* no swap reserved: memory grows with the pages written */
		addr = mmap(hint, len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_NORESERVE, f->fd, 0);
		if (addr == MAP_FAILED)
			goto fail;
		/* read-only; writable if write-backs are copies into it */
		durable = mmap(NULL, len, PROT_READ, MAP_SHARED, f->fd, 0);
		if (durable == MAP_FAILED)
			goto fail;
		wb_map_file(f, durable, len);
	} else {
		addr = mmap(hint, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			f->fd, 0);
		if (addr == MAP_FAILED)
			goto fail;
		wb_map_file(f, NULL, len);
	}

	pthread_rwlock_wrlock(&Emu_reg_lock);
	struct emu_view *v = view_new();
	if (v != NULL) {
		v->base = (uintptr_t)addr;
		v->end = (uintptr_t)addr + len;
		v->durable = durable == MAP_FAILED ? NULL : durable;
		v->file = f;
		if (view_insert(v) != 0) {
			v->next_free = Free_views;
			Free_views = v;
			v = NULL;
		}
	}
	pthread_rwlock_unlock(&Emu_reg_lock);
	if (v != NULL)
		return addr;
	errno = ENOMEM;
fail:;
	int oerrno = errno;
	if (durable != MAP_FAILED)
		munmap(durable, len);
	if (addr != MAP_FAILED)
		munmap(addr, len);
	if (f->fd >= 0)
		close(f->fd);
	free(f->name);
	free(f);
	errno = oerrno;
	return MAP_FAILED;
}

char *
emu_map_durable(int fd, size_t len, off_t off)
{
	return mmap(NULL, len, PROT_READ, MAP_SHARED, fd, off);
}

int
views_add_foreign(int fd, const char *name, uintptr_t base, uintptr_t end,
		off_t off, char *durable, dev_t dev, ino_t ino)
{
	struct emu_file *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	f->name = strdup(name);
	struct emu_view *v = f->name != NULL ? view_new() : NULL;
	if (v == NULL) {
		free(f->name);
		free(f);
		return -1;
	}
	f->fd = fd;
	f->refs = 1;
	f->dev = dev;
	f->ino = ino;
	/* copies into the durable view where the file qualifies (checked
	 * from its start: a mapping from another offset uses system calls) */
	wb_map_file(f, off == 0 ? durable : NULL, end - base);
	v->base = base;
	v->end = end;
	v->off = off;
	v->durable = durable;
	v->file = f;
	v->foreign = true;
	if (view_insert(v) != 0) {
		v->next_free = Free_views;
		Free_views = v;
		free(f->name);
		free(f);
		return -1;
	}
	return 0;
}

/* ---- eADR: pages holding streamed data, private until the next drain ---- */

static pthread_mutex_t Stream_lock = PTHREAD_MUTEX_INITIALIZER;
static struct emu_run *Streamed;	/* sorted, disjoint page runs */
static size_t Nstreamed;		/* written locked, read at drain */
static size_t Capstreamed;

/* streamed_add -- records the private pages [s, e); locked (internal) */
static int
streamed_add(struct emu_view *v, uintptr_t s, uintptr_t e)
{
	if (Nstreamed == Capstreamed) {
		size_t cap = Capstreamed ? Capstreamed * 2 : 16;
		struct emu_run *p = realloc(Streamed, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		Streamed = p;
		Capstreamed = cap;
	}
	size_t i = 0;
	while (i < Nstreamed && Streamed[i].start < s)
		i++;
	memmove(&Streamed[i + 1], &Streamed[i],
		(Nstreamed - i) * sizeof(*Streamed));
	Streamed[i] = (struct emu_run){ v, s, e, true };
	__atomic_store_n(&Nstreamed, Nstreamed + 1, __ATOMIC_RELAXED);
	return 0;
}

/* privatize -- makes [s, e) of v private, page by page (internal) */
static int
privatize(struct emu_view *v, uintptr_t s, uintptr_t e)
{
	uintptr_t p = s;
	while (p < e) {
		/* the first private run that ends after p */
		size_t i = 0;
		while (i < Nstreamed && Streamed[i].end <= p)
			i++;
		if (i < Nstreamed && Streamed[i].start <= p) {
			p = Streamed[i].end;	/* private already */
			continue;
		}
		uintptr_t stop = i < Nstreamed && Streamed[i].start < e ?
			Streamed[i].start : e;
		/* the private pages start as the page cache's: stores made
		 * before this call are kept */
		if (mmap((void *)p, stop - p, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE,
				v->file->fd, v->off + (off_t)(p - v->base))
				== MAP_FAILED)
			return -1;
		if (streamed_add(v, p, stop) != 0)
			return -1;
		p = stop;
	}
	return 0;
}

bool
emu_stream_begin(void *dst, size_t len)
{
	uintptr_t s = (uintptr_t)dst & ~(uintptr_t)(Pagesize - 1);
	uintptr_t e = ((uintptr_t)dst + len + Pagesize - 1) &
		~(uintptr_t)(Pagesize - 1);
	pthread_rwlock_rdlock(&Emu_reg_lock);
	struct emu_view *v = views_find((uintptr_t)dst);
	if (v == NULL || (uintptr_t)dst + len > v->end) {
		pthread_rwlock_unlock(&Emu_reg_lock);
		return false;
	}
	pthread_mutex_lock(&Stream_lock);
	if (privatize(v, s, e) != 0) {
		pthread_mutex_unlock(&Stream_lock);
		pthread_rwlock_unlock(&Emu_reg_lock);
		emu_notice("cannot emulate streaming stores at %p: %s; they "
			"are durable at once", dst, strerror(errno));
		return false;
	}
	return true;	/* both locks held until emu_stream_end() */
}

void
emu_stream_end(void)
{
	pthread_mutex_unlock(&Stream_lock);
	pthread_rwlock_unlock(&Emu_reg_lock);
}

/*
 * publish -- writes back the private pages inside [s, e) and shares them
 * again (or, discard, drops their content); registry locked, Stream_lock
 * held (internal)
 */
static void
publish(struct emu_thread *t, uintptr_t s, uintptr_t e, bool discard)
{
	size_t first = Nstreamed, n = 0;
	for (size_t i = 0; i < Nstreamed; i++) {
		if (Streamed[i].end <= s || Streamed[i].start >= e)
			continue;
		if (first == Nstreamed)
			first = i;
		n++;
		if (!discard)
			wb_add_run(t, Streamed[i].v, Streamed[i].start,
				Streamed[i].end, true);
	}
	if (n == 0)
		return;
	if (!discard)
		wb_runs(t, WB_PAGES);
	for (size_t i = first; i < first + n; i++) {
		struct emu_run *r = &Streamed[i];
		/* now the file holds the pages: map them shared again */
		mmap((void *)r->start, r->end - r->start, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_FIXED, r->v->file->fd,
			r->v->off + (off_t)(r->start - r->v->base));
	}
	memmove(&Streamed[first], &Streamed[first + n],
		(Nstreamed - first - n) * sizeof(*Streamed));
	__atomic_store_n(&Nstreamed, Nstreamed - n, __ATOMIC_RELAXED);
}

void
emu_publish_streamed(struct emu_thread *t)
{
	if (__atomic_load_n(&Nstreamed, __ATOMIC_RELAXED) == 0)
		return;
	pthread_rwlock_rdlock(&Emu_reg_lock);
	pthread_mutex_lock(&Stream_lock);
	publish(t, 0, UINTPTR_MAX, false);
	pthread_mutex_unlock(&Stream_lock);
	pthread_rwlock_unlock(&Emu_reg_lock);
}

void
emu_streamed_each(struct emu_view *v,
		void (*fn)(struct emu_view *, uintptr_t, uintptr_t, void *),
		void *arg)
{
	pthread_mutex_lock(&Stream_lock);
	for (size_t i = 0; i < Nstreamed; i++)
		if (Streamed[i].v == v)
			fn(v, Streamed[i].start, Streamed[i].end, arg);
	pthread_mutex_unlock(&Stream_lock);
}

/* ---- shutdown write-back, unmap, sync ---- */

/*
 * settle -- makes [s, e) of v durable as a clean shutdown or msync would;
 * registry locked (internal)
 */
static void
settle(struct emu_thread *t, struct emu_view *v, uintptr_t s, uintptr_t e,
		enum wb_kind kind)
{
	if (v->durable == NULL) {
		pthread_mutex_lock(&Stream_lock);
		if (Emu_report && kind == WB_SHUTDOWN)
			report_streamed(v, Streamed, Nstreamed, s, e);
		publish(t, s, e, kind == WB_SHUTDOWN && Emu.strict);
		pthread_mutex_unlock(&Stream_lock);
		return;
	}
	if (scan_written(t, v, s, e) != 0)
		return;
	if (Emu_report && kind == WB_SHUTDOWN)
		report_settle(t, v);
	if (kind == WB_SHUTDOWN && Emu.strict) {
		/* count what is lost, write nothing */
		size_t lost = wb_count(t);
		EMU_COUNT(t, never_flushed, lost);
		return;
	}
	size_t differed = wb_runs(t, kind);
	if (kind == WB_SHUTDOWN)
		EMU_COUNT(t, never_flushed, differed);
}

int
emu_sync(const void *addr, size_t len)
{
	struct emu_thread *t = emu_self();
	if (t == NULL) {
		errno = ENOMEM;
		return -1;
	}
	uintptr_t s = (uintptr_t)addr, e = s + len;
	bool point = Crash_fd >= 0;
	if (point)
		crash_enter(CT_SYNC);
	emu_prune();
	pthread_rwlock_rdlock(&Emu_reg_lock);
	/* lines this thread flushed first, as a drain (and counted so) */
	emu_write_pending(t);
	for (struct emu_view *v = views_next(s); v != NULL && v->base < e;
			v = views_next(v->end)) {
		uintptr_t a = s > v->base ? s : v->base;
		uintptr_t b = e < v->end ? e : v->end;
		settle(t, v, a, b, WB_SYNC);
	}
	pthread_rwlock_unlock(&Emu_reg_lock);
	if (point)
		crash_leave();
	return 0;
}

/* view_remove_at -- takes Views[i] out and recycles it; write-locked (internal) */
static void
view_remove_at(size_t i)
{
	struct emu_view *v = Views[i];
	/* no streamed pages may name it any more (publish() maps them) */
	pthread_mutex_lock(&Stream_lock);
	size_t k = 0;
	for (size_t j = 0; j < Nstreamed; j++)
		if (Streamed[j].v != v)
			Streamed[k++] = Streamed[j];
	__atomic_store_n(&Nstreamed, k, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&Stream_lock);
	memmove(&Views[i], &Views[i + 1], (Nviews - i - 1) * sizeof(*Views));
	Nviews--;
	file_unref(v->file);
	v->next_free = Free_views;
	Free_views = v;
	changed();
}

void
views_forget(struct emu_view *v)
{
	size_t i = first_ending_after(v->base);
	if (i >= Nviews || Views[i] != v)
		return;
	if (v->durable != NULL)
		munmap(v->durable, v->end - v->base);
	view_remove_at(i);
}

int
emu_unmap(void *addr, size_t len)
{
	struct emu_thread *t = emu_self();
	uintptr_t s = (uintptr_t)addr;
	uintptr_t e = (s + len + Pagesize - 1) & ~(uintptr_t)(Pagesize - 1);
	bool point = Crash_fd >= 0;
	if (point)
		crash_enter(CT_UNMAP);
	pthread_rwlock_wrlock(&Emu_reg_lock);
	emu_prune_locked();
	size_t i = first_ending_after(s);
	while (i < Nviews && Views[i]->base < e) {
		struct emu_view *v = Views[i];
		uintptr_t a = s > v->base ? s : v->base;
		uintptr_t b = e < v->end ? e : v->end;
		if (t != NULL)
			settle(t, v, a, b, WB_SHUTDOWN);
		/* the part of the last page past the file's end goes too */
		uintptr_t bp = (b + Pagesize - 1) & ~(uintptr_t)(Pagesize - 1);
		if (v->durable != NULL)
			munmap(v->durable + (a - v->base), bp - a);
		if (a == v->base && b == v->end) {
			view_remove_at(i);
			continue;
		}
		if (a == v->base) {
			v->off += (off_t)(b - v->base);
			v->durable = v->durable ? v->durable + (b - v->base) : NULL;
			v->base = b;
		} else if (b == v->end) {
			v->end = a;
		} else {
			/* a hole in the middle: the upper part is a new view */
			struct emu_view *w = view_new();
			if (w == NULL) {
				v->end = a;	/* the upper part stays unemulated */
			} else {
				w->base = b;
				w->end = v->end;
				w->off = v->off + (off_t)(b - v->base);
				w->durable = v->durable ?
					v->durable + (b - v->base) : NULL;
				w->file = v->file;
				v->file->refs++;
				v->end = a;
				if (view_insert(w) != 0) {
					file_unref(w->file);
					w->next_free = Free_views;
					Free_views = w;
				}
			}
		}
		changed();
		i++;
	}
	pthread_rwlock_unlock(&Emu_reg_lock);
	if (point)
		crash_leave();
	/* the caller unmaps the views themselves, with whatever else */
	return 0;
}

/* fini_one -- clean-shutdown write-back of one view at exit (internal) */
static void
fini_one(struct emu_view *v)
{
	struct emu_thread *t = emu_self();
	if (t != NULL)
		settle(t, v, v->base, v->end, WB_SHUTDOWN);
}

void
emu_views_fini(void)
{
	/*
	 * A thread still draining when the process exits holds the registry;
	 * wait for it, but not forever: an exit must not hang.
	 */
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	if (pthread_rwlock_timedwrlock(&Emu_reg_lock, &until) != 0) {
		emu_notice("exit: emulated views busy; not written back");
		return;
	}
	emu_prune_locked();
	for (size_t i = 0; i < Nviews; i++)
		fini_one(Views[i]);
	pthread_rwlock_unlock(&Emu_reg_lock);
}

/*
 * fork: the child must find the locks free and the views whole. The
 * registry is read-locked, which keeps writers out: glibc releases a read
 * lock in the child, whose thread has a new identity, but not a write lock.
 */
void
emu_views_prefork(void)
{
	pthread_rwlock_rdlock(&Emu_reg_lock);
	pthread_mutex_lock(&Stream_lock);
}

void
emu_views_postfork(void)
{
	pthread_mutex_unlock(&Stream_lock);
	pthread_rwlock_unlock(&Emu_reg_lock);
}

/*
 * report.c -- the persistence-bug report (PMEM_EMULATE_REPORT).
 *
 * What the emulation sees anyway, written out as findings with file offsets
 * and the code that called the library (README.md, "Persistence-bug
 * report", gives the format):
 *  - at unmap and exit, lines whose content differs from the file: flushed
 *    by a thread that has not drained since ("flushed-not-drained", with the
 *    site of the flush) or never flushed ("never-flushed": stores are not
 *    traced, so their site is unknown); under eADR, lines of pages holding
 *    streamed data not drained ("streamed-not-drained");
 *  - at each drain, flushed lines still equal to the file, that is with no
 *    store since they were last durable ("redundant-flush", per site);
 *  - flushes that name no emulated memory ("not-pmem", per site).
 *
 * Sites are the return addresses the public functions note (EMU_NOTE_SITE
 * in emu.h), named with dladdr only when the report is written.
 *
 * Each thread's flushed lines are kept here a second time, with their
 * sites: emu.c's pending list is its owner's alone, while these are read by
 * whichever thread unmaps or exits, and outlive a thread that exits without
 * draining. All of it is under Rep_lock, which only the report mode takes.
 * Lock order: the registry, then the streamed pages' lock, then Rep_lock.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu_int.h"
#include "log.h"
#include "ranges.h"

/* Findings listed per kind of range; all are counted in the summary. */
#define LISTED_MAX 1000

enum rep_kind {
	K_NEVER,	/* differs from the file, never flushed */
	K_NOT_DRAINED,	/* differs from the file, flushed, not drained */
	K_STREAMED,	/* eADR: streamed, not drained */
	K_REDUNDANT,	/* flushed, equal to the file when drained */
	K_NOT_PMEM,	/* flush of memory that is no emulated view */
	K_KINDS,
};

static const char *const Kind_name[K_KINDS] = {
	"never-flushed", "flushed-not-drained", "streamed-not-drained",
	"redundant-flush", "not-pmem",
};

bool Emu_report;
__thread struct emu_site Emu_site;

static pthread_mutex_t Rep_lock = PTHREAD_MUTEX_INITIALIZER;
static int Rep_fd = -1;
static bool Rep_done;			/* the summary is written */
static uint64_t Counts[K_KINDS];	/* lines; calls for K_NOT_PMEM */
static uint64_t Findings[K_KINDS];	/* findings, listed or not */

/* Flushed lines of one thread, waiting for its drain. */
struct rep_pend {
	uintptr_t start;
	uintptr_t end;
	uint64_t id;		/* of the view */
	const void *ra;		/* site of the flush */
	bool stored;		/* by the copy family: not redundant */
};

struct rep_list {
	struct rep_pend *p;
	size_t n, cap;
};

struct rep_thread {
	struct rep_thread *prev, *next;
	struct rep_list pend;
};

static pthread_key_t Rep_key;
static __thread struct rep_thread *Self;
static struct rep_thread *Threads;	/* live threads with a state */
static struct rep_list Orphans;		/* of threads gone without draining */

/* Counts per site: an open-addressing table on (kind, ra). */
struct rep_site {
	bool used;
	enum rep_kind kind;
	const void *ra;
	uint64_t count;
	uintptr_t sample;	/* file offset, or address for K_NOT_PMEM */
	char *file;		/* K_REDUNDANT: file of the sample */
};

static struct rep_site *Sites;
static size_t Nsites, Capsites;

/* ---- output ---- */

/* rep_write -- one line "pmem-report: ..." in one write (internal) */
__attribute__((format(printf, 1, 2)))
static void
rep_write(const char *fmt, ...)
{
	if (Rep_fd < 0 || Rep_done)
		return;
	char line[8192];
	int n = snprintf(line, sizeof(line), "pmem-report: ");
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	const char *p = line;
	while (n > 0) {
		ssize_t w = write(Rep_fd, p, (size_t)n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (int)w;
	}
}

/*
 * escape -- s with blanks, control bytes, non-ASCII bytes and '\' as \xNN,
 * so that a file name is one word of the line (internal)
 */
static void
escape(const char *s, char *out, size_t size)
{
	size_t o = 0;
	for (; *s != '\0' && o + 5 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= ' ' || c >= 0x7f || c == '\\')
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

/*
 * site_name -- "symbol+0xoff (object+0xoff)" for a return address, else
 * "object+0xoff", else the address; the object's offset is the address
 * less the object's load bias, which is what addr2line -e object takes
 * (internal)
 */
static void
site_name(const void *ra, char *out, size_t size)
{
	if (ra == NULL) {
		snprintf(out, size, "unknown");
		return;
	}
	Dl_info info;
	struct link_map *lm = NULL;
	if (dladdr1(ra, &info, (void **)&lm, RTLD_DL_LINKMAP) == 0 ||
			info.dli_fname == NULL) {
		snprintf(out, size, "%p", ra);
		return;
	}
	uintptr_t bias = lm != NULL ? (uintptr_t)lm->l_addr :
		(uintptr_t)info.dli_fbase;
	char obj[PATH_MAX];
	escape(info.dli_fname[0] != '\0' ? info.dli_fname : "?", obj,
		sizeof(obj));
	uintptr_t rel = (uintptr_t)ra - bias;
	if (info.dli_sname != NULL && info.dli_saddr != NULL)
		snprintf(out, size, "%s+0x%jx (%s+0x%jx)", info.dli_sname,
			(uintmax_t)((uintptr_t)ra - (uintptr_t)info.dli_saddr),
			obj, (uintmax_t)rel);
	else
		snprintf(out, size, "%s+0x%jx", obj, (uintmax_t)rel);
}

/* emit_range -- one finding of kind k: [s, e) of view v; locked (internal) */
static void
emit_range(enum rep_kind k, struct emu_view *v, uintptr_t s, uintptr_t e,
		const void *ra)
{
	Counts[k] += (e - s + EMU_LINE - 1) / EMU_LINE;
	if (Findings[k]++ >= LISTED_MAX)
		return;
	char file[PATH_MAX], site[PATH_MAX + 256];
	escape(v->file->name, file, sizeof(file));
	site_name(ra, site, sizeof(site));
	rep_write("%s file=%s off=0x%jx len=%zu site=%s", Kind_name[k], file,
		(uintmax_t)(v->off + (off_t)(s - v->base)), (size_t)(e - s),
		site);
}

/* A finding being extended line by line. */
struct rep_run {
	bool open;
	enum rep_kind kind;
	uintptr_t start, end;
	const void *ra;
};

/* run_close -- emits the open finding, if any (internal) */
static void
run_close(struct rep_run *r, struct emu_view *v)
{
	if (r->open)
		emit_range(r->kind, v, r->start, r->end, r->ra);
	r->open = false;
}

/* run_line -- adds line [l, e) to the finding, or starts one (internal) */
static void
run_line(struct rep_run *r, struct emu_view *v, enum rep_kind kind,
		uintptr_t l, uintptr_t e, const void *ra)
{
	if (r->open && r->kind == kind && r->ra == ra && r->end == l) {
		r->end = e;
		return;
	}
	run_close(r, v);
	*r = (struct rep_run){ true, kind, l, e, ra };
}

/* ---- counts per site ---- */

/* site_slot -- the slot of (kind, ra) in a table of cap slots (internal) */
static size_t
site_slot(struct rep_site *tab, size_t cap, enum rep_kind kind,
		const void *ra)
{
	size_t i = (((uintptr_t)ra >> 2) * 0x9e3779b97f4a7c15ull + kind) &
		(cap - 1);
	while (tab[i].used && (tab[i].kind != kind || tab[i].ra != ra))
		i = (i + 1) & (cap - 1);
	return i;
}

/* site_add -- counts n for (kind, ra); locked (internal) */
static void
site_add(enum rep_kind kind, const void *ra, uint64_t n, uintptr_t sample,
		const char *file)
{
	Counts[kind] += n;
	if ((Nsites + 1) * 2 > Capsites) {
		size_t cap = Capsites ? Capsites * 2 : 64;
		struct rep_site *tab = calloc(cap, sizeof(*tab));
		if (tab == NULL) {
			emu_out_of_memory("counting flushes for the report");
			return;
		}
		for (size_t i = 0; i < Capsites; i++)
			if (Sites[i].used)
				tab[site_slot(tab, cap, Sites[i].kind,
					Sites[i].ra)] = Sites[i];
		free(Sites);
		Sites = tab;
		Capsites = cap;
	}
	struct rep_site *s = &Sites[site_slot(Sites, Capsites, kind, ra)];
	if (s->used) {
		s->count += n;
		return;
	}
	*s = (struct rep_site){ true, kind, ra, n, sample,
		file != NULL ? strdup(file) : NULL };
	Nsites++;
}

/* cmp_site -- by kind, then most counted first (internal) */
static int
cmp_site(const void *a, const void *b)
{
	const struct rep_site *x = a, *y = b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return (uintptr_t)x->ra < (uintptr_t)y->ra ? -1 :
		(uintptr_t)x->ra > (uintptr_t)y->ra;
}

/* ---- flushed lines per thread ---- */

/* list_add -- appends (or joins to the last) a flushed range (internal) */
static void
list_add(struct rep_list *l, const struct rep_pend *p)
{
	if (l->n > 0) {
		struct rep_pend *last = &l->p[l->n - 1];
		if (last->id == p->id && last->ra == p->ra &&
				last->stored == p->stored &&
				p->start <= last->end && p->end >= last->start) {
			if (p->start < last->start)
				last->start = p->start;
			if (p->end > last->end)
				last->end = p->end;
			return;
		}
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct rep_pend *n = realloc(l->p, cap * sizeof(*n));
		if (n == NULL) {
			emu_out_of_memory("recording flushed lines for the "
				"report");
			return;
		}
		l->p = n;
		l->cap = cap;
	}
	l->p[l->n++] = *p;
}

/* thread_gone -- a thread exits: its undrained lines stay reported (internal) */
static void
thread_gone(void *arg)
{
	struct rep_thread *t = arg;
	pthread_mutex_lock(&Rep_lock);
	for (size_t i = 0; i < t->pend.n; i++)
		list_add(&Orphans, &t->pend.p[i]);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		Threads = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&Rep_lock);
	free(t->pend.p);
	free(t);
	Self = NULL;
}

/* self -- the calling thread's state, made on first use; locked (internal) */
static struct rep_thread *
self(void)
{
	if (Self != NULL)
		return Self;
	struct rep_thread *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		emu_out_of_memory("recording flushed lines for the report");
		return NULL;
	}
	t->next = Threads;
	if (Threads != NULL)
		Threads->prev = t;
	Threads = t;
	pthread_setspecific(Rep_key, t);
	Self = t;
	return t;
}

void
report_pend(uintptr_t s, uintptr_t e, uint64_t id, bool stored)
{
	struct rep_pend p = { s, e, id, Emu_site.ra, stored };
	pthread_mutex_lock(&Rep_lock);
	struct rep_thread *t = self();
	if (t != NULL)
		list_add(&t->pend, &p);
	pthread_mutex_unlock(&Rep_lock);
}

void
report_not_pmem(const void *addr, size_t len)
{
	/* a deep drain msyncs such memory; device DAX is real pmem */
	if (Emu_site.deep || ranges_cover(addr, len))
		return;
	pthread_mutex_lock(&Rep_lock);
	site_add(K_NOT_PMEM, Emu_site.ra, 1, (uintptr_t)addr, NULL);
	pthread_mutex_unlock(&Rep_lock);
}

void
report_drain(void)
{
	struct rep_thread *t = Self;
	if (t == NULL)
		return;
	pthread_mutex_lock(&Rep_lock);
	for (size_t i = 0; i < t->pend.n; i++) {
		struct rep_pend *p = &t->pend.p[i];
		if (p->stored)
			continue;
		struct emu_view *v = views_find(p->start);
		if (v == NULL || v->id != p->id || v->durable == NULL)
			continue;
		uintptr_t end = p->end < v->end ? p->end : v->end;
		uint64_t equal = 0;
		uintptr_t first = 0;
		for (uintptr_t l = p->start; l < end; l += EMU_LINE) {
			size_t n = end - l < EMU_LINE ? end - l : EMU_LINE;
			if (memcmp((const void *)l, v->durable + (l - v->base),
					n) != 0)
				continue;
			if (equal++ == 0)
				first = l;
		}
		if (equal > 0)
			site_add(K_REDUNDANT, p->ra, equal,
				(uintptr_t)(v->off + (off_t)(first - v->base)),
				v->file->name);
	}
	t->pend.n = 0;
	pthread_mutex_unlock(&Rep_lock);
}

/* ---- unmap and exit ---- */

/* Lines flushed and not drained, disjoint and sorted, with a site each. */
struct rep_seg {
	uintptr_t start, end;
	const void *ra;
};

/* cmp_pend -- by start (internal) */
static int
cmp_pend(const void *a, const void *b)
{
	const struct rep_pend *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* collect -- appends the entries of view id in l to out (internal) */
static void
collect(const struct rep_list *l, uint64_t id, struct rep_list *out)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->p[i].id == id)
			list_add(out, &l->p[i]);
}

/*
 * undrained -- the lines of view id flushed by any thread and not drained
 * since, as disjoint sorted segments (a line flushed from several sites
 * gets the site of the range that starts first); locked (internal)
 */
static struct rep_seg *
undrained(uint64_t id, size_t *nsegs)
{
	struct rep_list all = { NULL, 0, 0 };
	for (struct rep_thread *t = Threads; t != NULL; t = t->next)
		collect(&t->pend, id, &all);
	collect(&Orphans, id, &all);
	*nsegs = 0;
	struct rep_seg *segs = all.n > 0 ? malloc(all.n * sizeof(*segs)) :
		NULL;
	if (segs == NULL) {
		if (all.n > 0)
			emu_out_of_memory("listing flushed lines for the "
				"report");
		free(all.p);
		return NULL;
	}
	qsort(all.p, all.n, sizeof(*all.p), cmp_pend);
	size_t n = 0;
	uintptr_t covered = 0;
	for (size_t i = 0; i < all.n; i++) {
		struct rep_pend *p = &all.p[i];
		if (p->end <= covered)
			continue;
		segs[n++] = (struct rep_seg){
			p->start > covered ? p->start : covered, p->end, p->ra };
		covered = p->end;
	}
	free(all.p);
	*nsegs = n;
	return segs;
}

/* seg_of -- the segment holding address l, or NULL (internal) */
static const struct rep_seg *
seg_of(const struct rep_seg *segs, size_t n, uintptr_t l)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (segs[mid].end <= l)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && segs[lo].start <= l ? &segs[lo] : NULL;
}

void
report_settle(struct emu_thread *t, struct emu_view *v)
{
	pthread_mutex_lock(&Rep_lock);
	size_t nsegs;
	struct rep_seg *segs = undrained(v->id, &nsegs);
	struct rep_run run = { .open = false };
	for (size_t i = 0; i < t->nruns; i++) {
		const struct emu_run *r = &t->runs[i];
		if (r->v != v)
			continue;
		uintptr_t s = r->start > v->base ? r->start : v->base;
		uintptr_t e = r->end < v->end ? r->end : v->end;
		for (uintptr_t l = s; l < e; l += EMU_LINE) {
			uintptr_t le = e - l < EMU_LINE ? e : l + EMU_LINE;
			if (memcmp((const void *)l, v->durable + (l - v->base),
					le - l) == 0) {
				run_close(&run, v);
				continue;
			}
			const struct rep_seg *g = seg_of(segs, nsegs, l);
			if (g != NULL)
				run_line(&run, v, K_NOT_DRAINED, l, le, g->ra);
			else
				run_line(&run, v, K_NEVER, l, le, NULL);
		}
	}
	run_close(&run, v);
	free(segs);
	pthread_mutex_unlock(&Rep_lock);
}

/* read_full -- pread of up to len bytes, short only at the end (internal) */
static size_t
read_full(int fd, char *buf, size_t len, off_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

void
report_streamed(struct emu_view *v, const struct emu_run *runs, size_t n,
		uintptr_t s, uintptr_t e)
{
	pthread_mutex_lock(&Rep_lock);
	struct rep_run run = { .open = false };
	for (size_t i = 0; i < n; i++) {
		if (runs[i].v != v)
			continue;
		uintptr_t a = runs[i].start > s ? runs[i].start : s;
		uintptr_t b = runs[i].end < e ? runs[i].end : e;
		if (b > v->end)
			b = v->end;
		if (a >= b)
			continue;
		/* the file holds what was durable before the streaming */
		char *buf = malloc(b - a);
		if (buf == NULL) {
			emu_out_of_memory("comparing streamed data for the "
				"report");
			continue;
		}
		size_t got = read_full(v->file->fd, buf, b - a,
			v->off + (off_t)(a - v->base));
		for (uintptr_t l = a; l < a + got; l += EMU_LINE) {
			uintptr_t le = a + got - l < EMU_LINE ? a + got :
				l + EMU_LINE;
			if (memcmp((const void *)l, buf + (l - a), le - l) == 0)
				run_close(&run, v);
			else
				run_line(&run, v, K_STREAMED, l, le, NULL);
		}
		free(buf);
	}
	run_close(&run, v);
	pthread_mutex_unlock(&Rep_lock);
}

void
report_fini(void)
{
	pthread_mutex_lock(&Rep_lock);
	if (Rep_fd < 0 || Rep_done) {
		pthread_mutex_unlock(&Rep_lock);
		return;
	}
	/* the counts per site, most counted first */
	size_t n = 0;
	for (size_t i = 0; i < Capsites; i++)
		if (Sites[i].used)
			Sites[n++] = Sites[i];
	if (n > 1)
		qsort(Sites, n, sizeof(*Sites), cmp_site);
	for (size_t i = 0; i < n; i++) {
		struct rep_site *s = &Sites[i];
		char site[PATH_MAX + 256];
		site_name(s->ra, site, sizeof(site));
		Findings[s->kind]++;
		if (s->kind == K_NOT_PMEM) {
			rep_write("%s count=%ju addr=%p site=%s",
				Kind_name[s->kind], (uintmax_t)s->count,
				(void *)s->sample, site);
		} else {
			char file[PATH_MAX];
			escape(s->file != NULL ? s->file : "?", file,
				sizeof(file));
			rep_write("%s count=%ju file=%s off=0x%jx site=%s",
				Kind_name[s->kind], (uintmax_t)s->count, file,
				(uintmax_t)s->sample, site);
		}
		free(s->file);
	}
	free(Sites);
	Sites = NULL;
	Nsites = Capsites = 0;

	uint64_t findings = 0;
	for (int k = 0; k < K_KINDS; k++) {
		findings += Findings[k];
		if (Findings[k] > LISTED_MAX)
			rep_write("unlisted kind=%s findings=%ju", Kind_name[k],
				(uintmax_t)(Findings[k] - LISTED_MAX));
	}
	rep_write("summary pid=%d domain=%s findings=%ju never-flushed=%ju "
		"flushed-not-drained=%ju streamed-not-drained=%ju "
		"redundant-flush=%ju not-pmem=%ju", (int)getpid(),
		Emu_domain == EMU_ADR ? "adr" : "eadr", (uintmax_t)findings,
		(uintmax_t)Counts[K_NEVER], (uintmax_t)Counts[K_NOT_DRAINED],
		(uintmax_t)Counts[K_STREAMED], (uintmax_t)Counts[K_REDUNDANT],
		(uintmax_t)Counts[K_NOT_PMEM]);
	Rep_done = true;
	if (Rep_fd != STDERR_FILENO)
		close(Rep_fd);
	Rep_fd = -1;
	pthread_mutex_unlock(&Rep_lock);
}

/* ---- fork ---- */

static void
rep_prefork(void)
{
	pthread_mutex_lock(&Rep_lock);
}

static void
rep_postfork_parent(void)
{
	pthread_mutex_unlock(&Rep_lock);
}

/*
 * rep_postfork_child -- the child counts from zero; of the flushed lines, it
 * keeps those of its own thread (internal)
 */
static void
rep_postfork_child(void)
{
	struct rep_thread *t = Threads;
	while (t != NULL) {
		struct rep_thread *next = t->next;
		if (t != Self) {
			free(t->pend.p);
			free(t);
		}
		t = next;
	}
	/* this thread's flushed lines are the child's too, as in emu.c */
	Threads = Self;
	if (Self != NULL)
		Self->prev = Self->next = NULL;
	Orphans.n = 0;
	for (size_t i = 0; i < Capsites; i++)
		free(Sites[i].file);
	free(Sites);
	Sites = NULL;
	Nsites = Capsites = 0;
	memset(Counts, 0, sizeof(Counts));
	memset(Findings, 0, sizeof(Findings));
	pthread_mutex_unlock(&Rep_lock);
}

/* ---- setting ---- */

void
report_configure(void)
{
	const char *v = secure_getenv("PMEM_EMULATE_REPORT");
	if (v == NULL)
		return;
	if (v[0] == '\0') {
		emu_notice("PMEM_EMULATE_REPORT=\"\" is not valid; accepted "
			"values: a file path, or - for standard error");
		_exit(1);
	}
	Emu.report = v;
	if (Emu_domain == EMU_OFF)
		return;		/* checked, like the other settings */
	char path[PATH_MAX];
	int fd = STDERR_FILENO;
	if (strcmp(v, "-") == 0) {
		snprintf(path, sizeof(path), "standard error");
	} else {
		/* a trailing '-' asks for the process id, as PMEM_LOG_FILE */
		int len = v[strlen(v) - 1] == '-' ?
			snprintf(path, sizeof(path), "%s%d", v, (int)getpid()) :
			snprintf(path, sizeof(path), "%s", v);
		if (len < 0 || (size_t)len >= sizeof(path)) {
			emu_notice("PMEM_EMULATE_REPORT=\"%s\" is not valid: "
				"too long", v);
			_exit(1);
		}
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
			O_CLOEXEC, 0666);
		if (fd < 0) {
			emu_notice("PMEM_EMULATE_REPORT=\"%s\": cannot open "
				"%s: %s", v, path, strerror(errno));
			_exit(1);
		}
	}
	if (pthread_key_create(&Rep_key, thread_gone) != 0) {
		emu_notice("PMEM_EMULATE_REPORT: no thread key left");
		_exit(1);
	}
	pthread_atfork(rep_prefork, rep_postfork_parent, rep_postfork_child);
	Rep_fd = fd;
	Emu_report = true;
	log_write(LOG_INFO, "emulation: persistence-bug report to %s", path);
}

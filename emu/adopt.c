/*
 * adopt.c -- emulating mappings the program made itself.
 *
 * PMDK's libpmemobj, for one, maps its pool with a plain mmap() and then asks
 * pmem_is_pmem() and flushes and drains that memory. Under emulation such a
 * mapping is taken over where it is first seen (pmem_is_pmem, or a flush of
 * memory no view holds): the file and offset behind it are read from
 * /proc/self/maps, and it becomes an emulated view of that file at the same
 * address with the same content. Under ADR the shared mapping is replaced by
 * the private one of a view (its content is the file's, which is what the
 * shared mapping showed); under eADR it stays as it is.
 *
 * The program may later munmap() it and map something else there, without
 * telling the library. So a view taken over is checked against
 * /proc/self/maps before the library reads it for anything but a drain: at
 * pmem_is_pmem, msync, unmap, each crash-test point and exit; a view whose
 * mapping is gone or changed is forgotten, and nothing is written for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "emu_int.h"
#include "log.h"

/* log_adopted, log_dropped -- PMEM_LOG_LEVEL 2 lines (internal) */
static void
log_adopted(const char *path, uintptr_t base, size_t len, off_t off)
{
	log_write(LOG_INFO, "emulation: took over the mapping of %s (offset "
		"%lld, %zu bytes) at %p", path, (long long)off, len,
		(void *)base);
}

static void
log_dropped(const struct emu_view *v)
{
	log_write(LOG_INFO, "emulation: the mapping of %s at %p is gone "
		"(unmapped by the program): forgotten", v->file->name,
		(void *)v->base);
}

/* one line of /proc/self/maps */
struct vma {
	uintptr_t start, end;
	bool write, shared;
	off_t off;
	dev_t dev;
	ino_t ino;
	const char *path;	/* NULL: not a file */
};

struct maps {
	char *text;
	struct vma *v;
	size_t n;
};

/* maps_read -- /proc/self/maps, parsed; false if it cannot be read */
static bool
maps_read(struct maps *m)
{
	memset(m, 0, sizeof(*m));
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	size_t len = 0, cap = 16384;
	m->text = malloc(cap + 1);
	for (;;) {
		if (m->text == NULL)
			break;
		ssize_t n = read(fd, m->text + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			char *p = realloc(m->text, 2 * cap + 1);
			if (p == NULL) {
				free(m->text);
				m->text = NULL;
				break;
			}
			m->text = p;
			cap *= 2;
		}
	}
	close(fd);
	if (m->text == NULL)
		return false;
	m->text[len] = '\0';
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += m->text[i] == '\n';
	m->v = calloc(lines + 1, sizeof(*m->v));
	if (m->v == NULL) {
		free(m->text);
		return false;
	}
	for (char *line = m->text; *line != '\0';) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		unsigned long long s, e, off, ino;
		unsigned maj, mnr;
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &s, &e,
				perms, &off, &maj, &mnr, &ino, &pos) >= 7) {
			struct vma *v = &m->v[m->n++];
			v->start = (uintptr_t)s;
			v->end = (uintptr_t)e;
			v->write = perms[1] == 'w';
			v->shared = perms[3] == 's';
			v->off = (off_t)off;
			v->dev = makedev(maj, mnr);
			v->ino = (ino_t)ino;
			const char *path = pos > 0 ? line + pos : "";
			/* "(deleted)": the name is no longer the file's */
			bool named = ino != 0 && path[0] == '/' &&
				strstr(path, " (deleted)") == NULL;
			v->path = named ? path : NULL;
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return true;
}

static void
maps_free(struct maps *m)
{
	free(m->text);
	free(m->v);
}

/* vma_at -- the VMA holding addr, or NULL (internal) */
static const struct vma *
vma_at(const struct maps *m, uintptr_t addr)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].start <= addr && addr < m->v[i].end)
			return &m->v[i];
	return NULL;
}

/*
 * alive -- is view v still mapped as the library left it: every page of it
 * in a mapping of its file, at its offset, private under ADR (under eADR
 * shared, but for the pages holding streamed data)? (internal)
 */
static bool
alive(const struct maps *m, const struct emu_view *v)
{
	uintptr_t end = (v->end + Pagesize - 1) & ~(uintptr_t)(Pagesize - 1);
	for (uintptr_t p = v->base; p < end;) {
		const struct vma *a = vma_at(m, p);
		if (a == NULL || a->ino != v->file->ino ||
				a->dev != v->file->dev ||
				a->off + (off_t)(p - a->start) !=
				v->off + (off_t)(p - v->base) ||
				(v->durable != NULL && a->shared))
			return false;
		p = a->end;
	}
	return true;
}

/* prune -- forgets the views taken over that m no longer shows (internal) */
static void
prune(const struct maps *m)
{
	for (struct emu_view *v = views_next(0); v != NULL;) {
		uintptr_t next = v->end;
		if (v->foreign && !alive(m, v)) {
			log_dropped(v);
			views_forget(v);
		}
		v = views_next(next);
	}
}

void
emu_prune_locked(void)
{
	bool any = false;
	for (struct emu_view *v = views_next(0); v != NULL && !any;
			v = views_next(v->end))
		any = v->foreign;
	struct maps m;
	if (!any || !maps_read(&m))
		return;
	prune(&m);
	maps_free(&m);
}

void
emu_prune(void)
{
	pthread_rwlock_wrlock(&Emu_reg_lock);
	emu_prune_locked();
	pthread_rwlock_unlock(&Emu_reg_lock);
}

/* adoptable -- can the VMA a be taken over as an emulated view? (internal) */
static bool
adoptable(const struct vma *a)
{
	return a->path != NULL && a->write && a->shared;
}

/*
 * take_over -- makes the VMA a an emulated view of its file; 0, or -1 with
 * errno; registry write-locked by the caller (internal)
 */
static int
take_over(const struct vma *a)
{
	int fd = open(a->path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_ino != a->ino || st.st_dev != a->dev) {
		/* the name now leads to another file */
		close(fd);
		errno = ESTALE;
		return -1;
	}
	size_t len = a->end - a->start;
	/* the view ends at the file's end, as pmem_map_file's do */
	if (a->off >= st.st_size) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if ((off_t)len > st.st_size - a->off)
		len = (size_t)(st.st_size - a->off);
	char *durable = NULL;
	if (Emu_domain == EMU_ADR) {
		durable = emu_map_durable(fd, len, a->off);
		if (durable == MAP_FAILED) {
			close(fd);
			return -1;
		}
		/*
		 * The shared mapping showed the file; the private one shows
		 * it too, and keeps stores from here on until written back.
		 */
		if (mmap((void *)a->start, a->end - a->start,
				PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, fd,
				a->off) == MAP_FAILED) {
			int oerrno = errno;
			munmap(durable, len);
			close(fd);
			errno = oerrno;
			return -1;
		}
	}
	if (views_add_foreign(fd, a->path, a->start, a->start + len, a->off,
			durable, st.st_dev, st.st_ino) != 0) {
		/* out of memory: the private mapping stays, unemulated */
		if (durable != NULL)
			munmap(durable, len);
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	log_adopted(a->path, a->start, len, a->off);
	return 0;
}

/* known -- is [s, e) held by views all the way? registry locked (internal) */
static bool
known(uintptr_t s, uintptr_t e)
{
	while (s < e) {
		struct emu_view *v = views_find(s);
		if (v == NULL)
			return false;
		s = v->end;
	}
	return true;
}

/*
 * A small memory of ranges found not to be file mappings, so that flushes
 * of such memory (which a program may make often) do not read
 * /proc/self/maps each time. Only for flushes: pmem_is_pmem looks again.
 */
#define NOT_FILES 8
static struct { uintptr_t s, e; } Not_files[NOT_FILES];
static unsigned Not_files_next;

int
emu_adopt(const void *addr, size_t len, bool flushing)
{
	if (len == 0)
		return 0;
	uintptr_t s = (uintptr_t)addr & ~(uintptr_t)(Pagesize - 1);
	uintptr_t e = (uintptr_t)addr + len;
	pthread_rwlock_wrlock(&Emu_reg_lock);
	if (flushing) {
		for (unsigned i = 0; i < NOT_FILES; i++)
			if (Not_files[i].s <= s && e <= Not_files[i].e) {
				pthread_rwlock_unlock(&Emu_reg_lock);
				return 0;
			}
	}
	struct maps m;
	int ret = 0;
	if (!maps_read(&m))
		goto out;
	/* views whose mapping is gone would hide the new ones */
	prune(&m);
	ret = 1;
	for (uintptr_t p = s; p < e;) {
		struct emu_view *v = views_find(p);
		if (v != NULL) {
			p = v->end;
			continue;
		}
		const struct vma *a = vma_at(&m, p);
		if (a == NULL || !adoptable(a)) {
			if (a != NULL && flushing) {
				unsigned i = Not_files_next++ % NOT_FILES;
				Not_files[i].s = a->start;
				Not_files[i].e = a->end;
			}
			ret = 0;
			break;
		}
		if (take_over(a) != 0) {
			emu_notice("cannot emulate the mapping of %s at %p: "
				"%s; it stays plain memory", a->path,
				(void *)a->start, strerror(errno));
			ret = 0;
			break;
		}
		p = a->end;
	}
	if (ret == 1 && !known(s, e))
		ret = 0;	/* a view shorter than its mapping */
	maps_free(&m);
out:
	pthread_rwlock_unlock(&Emu_reg_lock);
	return ret;
}

int
emu_covers(const void *addr, size_t len)
{
	uintptr_t s = (uintptr_t)addr, e = s + len;
	pthread_rwlock_rdlock(&Emu_reg_lock);
	struct emu_view *v = views_next(s);
	bool any = v != NULL && v->base < e;
	pthread_rwlock_unlock(&Emu_reg_lock);
	return any;
}

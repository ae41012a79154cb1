/*
 * crash.c -- persistence points for pmem-crashtest (crash_proto.h).
 *
 * With PMEM_EMULATE_CRASH_FD set, every persistence point stops the calling
 * thread before the point takes effect and tells the tool which lines are
 * not durable yet; the tool checks crash images made of the file and a
 * choice of those lines, then lets the point go on or ends the process.
 *
 * Points are serialised by one lock, held from the stop until the point has
 * taken effect: while the tool works on the file no other thread's drain can
 * write to it, and point numbers follow the order in which the points took
 * effect.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu_int.h"
#include "crash_proto.h"

int Crash_fd = -1;
static uint64_t Crash_at;		/* 0: stop at every point */
static uint64_t Points;			/* under Crash_lock */
static pthread_mutex_t Crash_lock = PTHREAD_MUTEX_INITIALIZER;

/* lost -- the tool is gone: no point can be tested any more (internal) */
static _Noreturn void
lost(const char *what)
{
	emu_notice("crash test: %s: %s; ending", what,
		errno ? strerror(errno) : "the tool went away");
	_exit(1);
}

/* send_all -- writes len bytes to the tool (internal) */
static void
send_all(const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = send(Crash_fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			lost("sending");
		p += n;
		len -= (size_t)n;
	}
}

/* reply -- the tool's answer, one byte (internal) */
static char
reply(void)
{
	char c;
	for (;;) {
		ssize_t n = recv(Crash_fd, &c, 1, 0);
		if (n == 1)
			return c;
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = 0;
		lost("waiting for the tool");
	}
}

/* ---- the state: files and lines not durable yet ---- */

struct collect {
	struct emu_file **files;
	struct stat *ids;		/* the files' identities (dev, ino) */
	size_t nfiles, capfiles;
	struct ct_line *lines;
	size_t nlines, caplines;
	char *page;			/* eADR: the file's copy of a page */
	uint32_t file;			/* index of the view being listed */
};

/*
 * file_index -- index of f in the state's files, added if new; two views of
 * one file (a program may map it twice) name one file (internal)
 */
static uint32_t
file_index(struct collect *c, struct emu_file *f)
{
	struct stat st;
	bool id = fstat(f->fd, &st) == 0;
	for (size_t i = 0; i < c->nfiles; i++)
		if (c->files[i] == f || (id && c->ids[i].st_dev == st.st_dev &&
				c->ids[i].st_ino == st.st_ino))
			return (uint32_t)i;
	size_t cap = c->capfiles;
	if (emu_grow((void **)&c->files, &c->capfiles, c->nfiles,
			sizeof(*c->files)) != 0)
		emu_out_of_memory("listing files for the crash test");
	if (cap != c->capfiles) {
		struct stat *p = realloc(c->ids, c->capfiles * sizeof(*p));
		if (p == NULL)
			emu_out_of_memory("listing files for the crash test");
		c->ids = p;
	}
	if (!id)
		memset(&st, 0, sizeof(st));
	c->ids[c->nfiles] = st;
	c->files[c->nfiles] = f;
	return (uint32_t)c->nfiles++;
}

/*
 * add_line -- the line at p of v (n bytes) if it differs from durable, the
 * file's content of the same bytes (internal)
 */
static void
add_line(struct collect *c, struct emu_view *v, uintptr_t p, size_t n,
		const char *durable)
{
	const char *mine = (const char *)p;
	uint8_t words = 0;
	for (size_t w = 0; w * 8 < n; w++) {
		size_t k = n - w * 8 < 8 ? n - w * 8 : 8;
		if (memcmp(mine + w * 8, durable + w * 8, k) != 0)
			words |= (uint8_t)(1u << w);
	}
	if (words == 0)
		return;
	if (emu_grow((void **)&c->lines, &c->caplines, c->nlines,
			sizeof(*c->lines)) != 0)
		emu_out_of_memory("listing lines for the crash test");
	struct ct_line *l = &c->lines[c->nlines++];
	memset(l, 0, sizeof(*l));
	l->file = c->file;
	l->len = (uint32_t)n;
	l->off = (uint64_t)(v->off + (off_t)(p - v->base));
	l->words = words;
	memcpy(l->data, mine, n);
}

/* add_private -- eADR: the lines of private pages [s, e) of v (internal) */
static void
add_private(struct emu_view *v, uintptr_t s, uintptr_t e, void *arg)
{
	struct collect *c = arg;
	if (c->page == NULL && (c->page = malloc(Pagesize)) == NULL)
		emu_out_of_memory("reading pages for the crash test");
	for (uintptr_t pg = s; pg < e && pg < v->end; pg += Pagesize) {
		size_t len = v->end - pg < Pagesize ? v->end - pg : Pagesize;
		off_t off = v->off + (off_t)(pg - v->base);
		ssize_t got = pread(v->file->fd, c->page, len, off);
		if (got < 0)
			got = 0;
		/* past the file's end the media holds nothing: zeros */
		memset(c->page + got, 0, len - (size_t)got);
		for (size_t i = 0; i < len; i += EMU_LINE) {
			size_t n = len - i < EMU_LINE ? len - i : EMU_LINE;
			add_line(c, v, pg + i, n, c->page + i);
		}
	}
}

/* collect -- the files and the lines not durable yet (internal) */
static void
collect(struct emu_thread *t, struct collect *c)
{
	pthread_rwlock_rdlock(&Emu_reg_lock);
	for (struct emu_view *v = views_next(0); v != NULL;
			v = views_next(v->end)) {
		c->file = file_index(c, v->file);
		if (v->durable == NULL) {
			emu_streamed_each(v, add_private, c);
			continue;
		}
		size_t first = t->nruns;
		scan_written(t, v, v->base, v->end);
		for (size_t r = first; r < t->nruns; r++) {
			uintptr_t e = t->runs[r].end < v->end ?
				t->runs[r].end : v->end;
			for (uintptr_t p = t->runs[r].start; p < e;
					p += EMU_LINE) {
				size_t n = e - p < EMU_LINE ? e - p : EMU_LINE;
				add_line(c, v, p, n,
					v->durable + (p - v->base));
			}
		}
		t->nruns = first;
	}
	pthread_rwlock_unlock(&Emu_reg_lock);
}

/* send_file -- one file of the state, its descriptor attached (internal) */
static void
send_file(uint32_t index, const struct emu_file *f)
{
	struct ct_file h = { index, (uint32_t)strlen(f->name) };
	struct iovec iov = { &h, sizeof(h) };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr m = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &f->fd, sizeof(int));
	ssize_t n;
	do
		n = sendmsg(Crash_fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		lost("sending a file");
	if ((size_t)n < sizeof(h))
		send_all((char *)&h + n, sizeof(h) - (size_t)n);
	send_all(f->name, h.pathlen);
}

/* send_state -- the state at this point (internal) */
static void
send_state(void)
{
	struct emu_thread *t = emu_self();
	if (t == NULL)
		emu_out_of_memory("collecting the crash state");
	struct collect c = { 0 };
	if (t != NULL)
		collect(t, &c);
	struct ct_state s = { (uint32_t)c.nfiles, (uint32_t)c.nlines };
	send_all(&s, sizeof(s));
	for (size_t i = 0; i < c.nfiles; i++)
		send_file((uint32_t)i, c.files[i]);
	send_all(c.lines, c.nlines * sizeof(*c.lines));
	free(c.files);
	free(c.ids);
	free(c.lines);
	free(c.page);
}

void
crash_configure(void)
{
	const char *fd = secure_getenv("PMEM_EMULATE_CRASH_FD");
	if (fd == NULL)
		return;
	char *end;
	errno = 0;
	long n = strtol(fd, &end, 10);
	const char *at = secure_getenv("PMEM_EMULATE_CRASH_AT");
	unsigned long long k = 0;
	char *end2 = NULL;
	if (at != NULL)
		k = strtoull(at, &end2, 10);
	if (errno != 0 || *fd == '\0' || *end != '\0' || n < 0 || n > 65535 ||
			(at != NULL && (*at == '\0' || *end2 != '\0' ||
			k == 0))) {
		emu_notice("PMEM_EMULATE_CRASH_FD=\"%s\" / PMEM_EMULATE_"
			"CRASH_AT=\"%s\" are not valid: pmem-crashtest sets "
			"them", fd, at ? at : "");
		_exit(1);
	}
	if (Emu_domain == EMU_OFF)
		return;
	struct stat st;
	if (fstat((int)n, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		emu_notice("PMEM_EMULATE_CRASH_FD=%ld is not a socket: "
			"pmem-crashtest sets it", n);
		_exit(1);
	}
	fcntl((int)n, F_SETFD, FD_CLOEXEC);
	Crash_fd = (int)n;
	Crash_at = k;
	/* not for the programs this one runs: they are not under test */
	unsetenv("PMEM_EMULATE_CRASH_FD");
	unsetenv("PMEM_EMULATE_CRASH_AT");
	struct ct_point h = { CT_MAGIC, CT_HELLO,
		Emu_domain == EMU_ADR ? 1 : 2 };
	send_all(&h, sizeof(h));
}

void
crash_enter(enum ct_kind kind)
{
	pthread_mutex_lock(&Crash_lock);
	uint64_t k = ++Points;
	if (Crash_at != 0 && k != Crash_at && kind != CT_EXIT)
		return;
	struct ct_point h = { CT_MAGIC, kind, k };
	send_all(&h, sizeof(h));
	char c = reply();
	if (c == CT_STATE) {
		emu_prune();
		send_state();
		c = reply();
	}
	if (c == CT_DIE)
		_exit(CT_DIED_STATUS);
	if (c != CT_GO) {
		errno = EPROTO;
		lost("unexpected reply");
	}
}

void
crash_leave(void)
{
	pthread_mutex_unlock(&Crash_lock);
}

void
crash_postfork_child(void)
{
	/* the child is not the process under test */
	if (Crash_fd >= 0)
		close(Crash_fd);
	Crash_fd = -1;
	pthread_mutex_init(&Crash_lock, NULL);
}

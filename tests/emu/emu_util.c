/*
 * emu_util.c -- helpers for the tests of the emulation backend.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libpmem.h>

#include "emu_util.h"

char *Eu_dir;
const char *Eu_helper;

/* die -- a helper failed where the test cannot go on */
static void
die(const char *what)
{
	perror(what);
	abort();
}

enum eu_domain
eu_domain(void)
{
	const char *v = getenv("PMEM_EMULATE");
	if (v != NULL && (strcmp(v, "adr") == 0 || strcmp(v, "1") == 0))
		return EU_ADR;
	if (v != NULL && strcmp(v, "eadr") == 0)
		return EU_EADR;
	fprintf(stderr, "test target without PMEM_EMULATE=adr|1|eadr\n");
	abort();
}

const char *
eu_domain_name(enum eu_domain d)
{
	return d == EU_ADR ? "adr" : "eadr";
}

/* mkdtemp_base -- a new empty directory under $TEST_TMPDIR (or /tmp) */
static char *
mkdtemp_base(void)
{
	const char *base = getenv("TEST_TMPDIR");
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	char *dir;
	if (asprintf(&dir, "%s/emutest.XXXXXX", base) < 0)
		die("asprintf");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	return dir;
}

char *
eu_join(const char *dir, const char *name)
{
	char *p;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		die("asprintf");
	return p;
}

/* rm_one -- nftw callback removing one entry */
static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* rmtree -- removes dir and everything under it */
static void
rmtree(const char *dir)
{
	if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		die("rmtree");
}

int
eu_setup(void **state)
{
	(void)state;
	Eu_dir = mkdtemp_base();
	return 0;
}

int
eu_teardown(void **state)
{
	(void)state;
	rmtree(Eu_dir);
	free(Eu_dir);
	Eu_dir = NULL;
	return 0;
}

bool
eu_helper_arg(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s emu_helper\n", argv[0]);
		return false;
	}
	Eu_helper = argv[1];
	return true;
}

void
eu_make_file(const char *path, size_t size, int byte)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die("open");
	char buf[65536];
	memset(buf, byte, sizeof(buf));
	for (size_t done = 0; done < size; ) {
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);
		ssize_t w = write(fd, buf, n);
		if (w <= 0)
			die("write");
		done += (size_t)w;
	}
	close(fd);
}

char *
eu_fresh_file(size_t size)
{
	static int n;
	char name[32];
	snprintf(name, sizeof(name), "f%d", n++);
	char *path = eu_join(Eu_dir, name);
	eu_make_file(path, size, EU_OLD);
	return path;
}

void
eu_remove_file(char *path)
{
	unlink(path);
	free(path);
}

void
eu_pread(const char *path, off_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open");
	size_t done = 0;
	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done,
			off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "pread %s at %jd: %s\n", path,
				(intmax_t)(off + (off_t)done),
				r == 0 ? "end of file" : strerror(errno));
			abort();
		}
		done += (size_t)r;
	}
	close(fd);
}

off_t
eu_file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

char *
eu_read_file(const char *path)
{
	off_t size = eu_file_size(path);
	if (size < 0)
		return NULL;
	char *s = calloc(1, (size_t)size + 1);
	if (s == NULL)
		die("calloc");
	eu_pread(path, 0, s, (size_t)size);
	return s;
}

void
eu_expect_bytes(const char *path, off_t off, size_t len, int byte)
{
	if (len == 0)
		return;
	unsigned char *buf = malloc(len);
	if (buf == NULL)
		die("malloc");
	eu_pread(path, off, buf, len);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != (unsigned char)byte) {
			size_t n = 1;
			while (i + n < len && buf[i + n] == buf[i])
				n++;
			fail_msg("file offset %jd (of [%jd, +%zu)): %zu bytes "
				"'%c' (0x%02x), expected '%c'",
				(intmax_t)(off + (off_t)i), (intmax_t)off, len,
				n, buf[i] >= 32 && buf[i] < 127 ? buf[i] : '?',
				buf[i], byte);
		}
	}
	free(buf);
}

void
eu_expect_content(const char *path, off_t off, const void *expect, size_t len)
{
	if (len == 0)
		return;
	unsigned char *buf = malloc(len);
	if (buf == NULL)
		die("malloc");
	eu_pread(path, off, buf, len);
	const unsigned char *e = expect;
	for (size_t i = 0; i < len; i++)
		if (buf[i] != e[i])
			fail_msg("file offset %jd (of [%jd, +%zu)): 0x%02x, "
				"expected 0x%02x", (intmax_t)(off + (off_t)i),
				(intmax_t)off, len, buf[i], e[i]);
	free(buf);
}

void
eu_expect_span(const char *path, size_t size, const struct eu_span *s,
		int byte)
{
	eu_expect_bytes(path, 0, s->off, EU_OLD);
	eu_expect_bytes(path, (off_t)s->off, s->len, byte);
	eu_expect_bytes(path, (off_t)(s->off + s->len),
		size - s->off - s->len, EU_OLD);
	assert_int_equal(eu_file_size(path), size);
}

void
eu_step_store(char *p, size_t len, void *arg)
{
	(void)len;
	const struct eu_span *s = arg;
	memset(p + s->off, EU_NEW, s->len);
}

void
eu_step_flush(char *p, size_t len, void *arg)
{
	const struct eu_span *s = arg;
	eu_step_store(p, len, arg);
	pmem_flush(p + s->off, s->len);
}

void
eu_step_flush_drain(char *p, size_t len, void *arg)
{
	eu_step_flush(p, len, arg);
	pmem_drain();
}

void
eu_step_persist(char *p, size_t len, void *arg)
{
	const struct eu_span *s = arg;
	eu_step_store(p, len, arg);
	pmem_persist(p + s->off, s->len);
}

void
eu_expect_step(size_t size, const struct eu_span *s, eu_child_fn *step,
		enum eu_end end, int want)
{
	char *f = eu_fresh_file(size);
	struct eu_span span = *s;
	eu_child_run(f, step, &span, end);
	eu_expect_span(f, size, &span, want);
	eu_remove_file(f);
}

void
eu_expect_two_lines(eu_child_fn *step, enum eu_end end, int want)
{
	static const struct eu_span two_lines = { 4096 + EU_LINE, 2 * EU_LINE };
	eu_expect_step(4 * 4096, &two_lines, step, end, want);
}

pid_t
eu_fork(void)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	return pid;
}

void
eu_kill_self(void)
{
	raise(SIGKILL);
	_exit(EU_CHILD_FAILED);	/* not reached */
}

char *
eu_child_map(const char *path, size_t *len)
{
	int is_pmem = -1;
	char *p = pmem_map_file(path, 0, 0, 0, len, &is_pmem);
	if (p == NULL)
		fprintf(stderr, "child: pmem_map_file %s: %s\n", path,
			pmem_errormsg());
	EU_CHECK(p != NULL);
	EU_CHECK(is_pmem == 1);
	return p;
}

void
eu_child_run(const char *path, eu_child_fn *fn, void *arg, enum eu_end end)
{
	pid_t pid = eu_fork();
	if (pid == 0) {
		size_t len;
		char *p = eu_child_map(path, &len);
		fn(p, len, arg);
		switch (end) {
		case EU_KILL:
			eu_kill_self();
		case EU_EXIT:
			exit(0);
		case EU_UNMAP_KILL:
			EU_CHECK(pmem_unmap(p, len) == 0);
			eu_kill_self();
		}
		_exit(EU_CHILD_FAILED);
	}
	if (end == EU_EXIT)
		eu_expect_exit0(pid);
	else
		eu_expect_killed(pid);
}

/* wait_for -- waits for pid and returns its status */
static int
wait_for(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	return status;
}

/* describe -- a wait status in words */
static void
describe(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited with status %d%s",
			WEXITSTATUS(status),
			WEXITSTATUS(status) == EU_CHILD_FAILED ?
			" (a check of the child failed, see stderr)" : "");
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "was killed by signal %d (%s)",
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "ended with status 0x%x", status);
}

/*
 * expect_end -- status is an exit with status code (sig 0) or a death by
 * signal sig; else fails naming who, how it ended and, unless NULL, err
 */
static void
expect_end(int status, int code, int sig, const char *who, const char *err)
{
	if (sig == 0 ? WIFEXITED(status) && WEXITSTATUS(status) == code :
			WIFSIGNALED(status) && WTERMSIG(status) == sig)
		return;
	char what[128], want[128];
	describe(status, what, sizeof(what));
	describe(sig == 0 ? W_EXITCODE(code, 0) : W_EXITCODE(0, sig), want,
		sizeof(want));
	fail_msg("%s %s, expected: %s%s%s", who, what, want,
		err != NULL ? "; stderr:\n" : "", err != NULL ? err : "");
}

void
eu_expect_killed(pid_t pid)
{
	expect_end(wait_for(pid), 0, SIGKILL, "child", NULL);
}

void
eu_expect_exit0(pid_t pid)
{
	expect_end(wait_for(pid), 0, 0, "child", NULL);
}

/* append -- reads what is available on fd into *buf; false at end of file */
static bool
append(int fd, char **buf, size_t *len, size_t *cap)
{
	if (*cap - *len < 4096) {
		*cap = *cap * 2 + 4096;
		*buf = realloc(*buf, *cap);
		if (*buf == NULL)
			die("realloc");
	}
	ssize_t r = read(fd, *buf + *len, *cap - *len - 1);
	if (r < 0 && errno == EINTR)
		return true;
	if (r < 0)
		die("read");
	*len += (size_t)r;
	(*buf)[*len] = '\0';
	return r > 0;
}

void
eu_exec(char *const argv[], char *const envp[], void (*pre_exec)(void *arg),
		void *arg, struct eu_run *r)
{
	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
		die("pipe2");
	pid_t pid = eu_fork();
	if (pid == 0) {
		if (dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
			_exit(127);
		if (pre_exec != NULL)
			pre_exec(arg);
		execve(argv[0], argv, envp);
		fprintf(stderr, "execve %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	size_t olen = 0, ocap = 4096, elen = 0, ecap = 4096;
	r->out = calloc(1, ocap);
	r->err = calloc(1, ecap);
	if (r->out == NULL || r->err == NULL)
		die("calloc");
	bool oopen = true, eopen = true;
	while (oopen || eopen) {
		struct pollfd pfd[2] = {
			{ .fd = oopen ? out[0] : -1, .events = POLLIN },
			{ .fd = eopen ? err[0] : -1, .events = POLLIN },
		};
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (pfd[0].revents)
			oopen = append(out[0], &r->out, &olen, &ocap);
		if (pfd[1].revents)
			eopen = append(err[0], &r->err, &elen, &ecap);
	}
	close(out[0]);
	close(err[0]);
	r->status = wait_for(pid);
}

void
eu_run_free(struct eu_run *r)
{
	free(r->out);
	free(r->err);
	r->out = NULL;
	r->err = NULL;
}

void
eu_expect_exited(const struct eu_run *r, int code, const char *who)
{
	expect_end(r->status, code, 0, who, r->err);
}

void
eu_expect_signaled(const struct eu_run *r, int sig, const char *who)
{
	expect_end(r->status, 0, sig, who, r->err);
}

void
eu_expect_notices(const char *err, int min, int max, const char *who)
{
	int n = eu_count_lines(err);
	if (n != eu_count_lines_with(err, EU_NOTICE) || n < min || n > max)
		fail_msg("%s: stderr should be %d to %d lines \"%s\", it "
			"is:\n%s", who, min, max, EU_NOTICE, err);
}

const char *
eu_json_value(const char *json, const char *key)
{
	char quoted[64];
	snprintf(quoted, sizeof(quoted), "\"%s\"", key);
	const char *p = strstr(json, quoted);
	if (p == NULL)
		return NULL;
	p += strlen(quoted);
	while (isspace((unsigned char)*p))
		p++;
	if (*p++ != ':')
		return NULL;
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

void
eu_expect_json_str(const char *json, const char *key, const char *want)
{
	const char *v = eu_json_value(json, key);
	size_t wl = strlen(want);
	if (v == NULL || v[0] != '"' || strncmp(v + 1, want, wl) != 0 ||
			v[wl + 1] != '"')
		fail_msg("\"%s\" should be \"%s\" in %s", key, want, json);
}

int
eu_count_lines(const char *s)
{
	int n = 0;
	for (const char *p = s; *p != '\0'; p++)
		if (*p == '\n' || p[1] == '\0')
			n++;
	return n;
}

int
eu_count_lines_with(const char *s, const char *needle)
{
	int n = 0;
	size_t nl = strlen(needle);
	while (*s != '\0') {
		const char *end = strchr(s, '\n');
		size_t len = end != NULL ? (size_t)(end - s) : strlen(s);
		for (size_t i = 0; i + nl <= len; i++) {
			if (memcmp(s + i, needle, nl) == 0) {
				n++;
				break;
			}
		}
		s += len;
		if (*s == '\n')
			s++;
	}
	return n;
}

bool
eu_io_uring_works(void)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	long fd = syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0)
		return false;
	close((int)fd);
	return true;
}

size_t
eu_rss(void)
{
	FILE *f = fopen("/proc/self/statm", "re");
	if (f == NULL)
		die("fopen /proc/self/statm");
	unsigned long size, resident;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		die("fscanf /proc/self/statm");
	fclose(f);
	return resident * (size_t)sysconf(_SC_PAGESIZE);
}

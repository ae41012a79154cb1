/*
 * map_file_test.c -- pmem_map_file() and pmem_unmap() as PMDK's libpmem
 * behaves: the validation order with its errno values, the flags, the
 * mapping's length and alignment, and pmem_unmap() on any memory.
 *
 * Only the public API is used, so the same file also runs against PMDK's
 * library. Every test runs in its own temporary directory; the teardown
 * checks that no descriptor was leaked and nothing there is still mapped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>
#include <libpmem.h>

#include "map_util.h"

#define KIB 1024UL
#define MIB (1024UL * KIB)
#define GIB (1024UL * MIB)

#define LEN_SENTINEL ((size_t)0xdeadbeef)
#define PMEM_SENTINEL 0x5a5a

static size_t Pagesize;

/* set_stale_message -- a message the failing call must replace */
static const char *
set_stale_message(void)
{
	pmem_check_version(99, 0);
	return "libpmem major version mismatch (need 99, found 1)";
}

/*
 * expect_failure -- the call fails with errnum, leaves the out-parameters
 * and the descriptor count alone, and writes a new message, which it returns
 */
static const char *
expect_failure(const char *path, size_t len, int flags, mode_t mode,
		int errnum)
{
	const char *stale = set_stale_message();
	size_t mapped = LEN_SENTINEL;
	int is_pmem = PMEM_SENTINEL;
	int fds = mu_count_fds();
	errno = 0;
	void *addr = pmem_map_file(path, len, flags, mode, &mapped, &is_pmem);
	int err = errno;
	if (addr != NULL)
		pmem_unmap(addr, mapped);
	assert_null(addr);
	assert_int_equal(err, errnum);
	assert_int_equal(mapped, LEN_SENTINEL);
	assert_int_equal(is_pmem, PMEM_SENTINEL);
	assert_int_equal(mu_count_fds(), fds);
	const char *msg = pmem_errormsg();
	assert_true(msg[0] != '\0');
	assert_string_not_equal(msg, stale);
	return msg;
}

/* assert_prefix -- s starts with prefix */
static void
assert_prefix(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", s, prefix);
}

/* map_ok -- maps, checking success; returns the address */
static void *
map_ok(const char *path, size_t len, int flags, mode_t mode, size_t *mapped)
{
	int is_pmem = PMEM_SENTINEL;
	void *addr = pmem_map_file(path, len, flags, mode, mapped, &is_pmem);
	if (addr == NULL)
		fail_msg("pmem_map_file(%s, %zu, %#x): %s", path, len, flags,
			pmem_errormsg());
	assert_int_equal(is_pmem, 0);	/* no DAX on the test filesystem */
	return addr;
}

/* file_mode -- permission bits of path */
static mode_t
file_mode(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* ---- validation order, §4.1 rows 1 to 14 ---- */

static void
null_path_fails_einval(void **state)
{
	(void)state;
	const char *msg = expect_failure(NULL, 0, 0, 0, EINVAL);
	assert_string_equal(msg, "invalid (NULL) path");
	/* first check of all: even with bad flags and a bad length */
	expect_failure(NULL, 4096, 0x100, 0, EINVAL);
}

static void
path_through_regular_file_fails_enotdir(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	mu_make_file(file, 4096, 0644);
	char *path = mu_join(file, "x");
	const char *msg = expect_failure(path, 0, 0, 0, ENOTDIR);
	assert_prefix(msg, "os_access");
	/* the access check comes before the flag and length checks */
	expect_failure(path, 4096, PMEM_FILE_CREATE, 0644, ENOTDIR);
	expect_failure(path, 0, 0x100, 0, ENOTDIR);
	free(path);
	free(file);
}

static void
too_long_path_fails_enametoolong(void **state)
{
	struct mu_env *env = *state;
	char name[NAME_MAX + 2];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	char *path = mu_join(env->dir, name);
	expect_failure(path, 4096, PMEM_FILE_CREATE, 0644, ENAMETOOLONG);
	free(path);

	char *huge = malloc(PATH_MAX + 16);
	memset(huge, 'a', PATH_MAX + 15);
	huge[0] = '/';
	huge[PATH_MAX + 15] = '\0';
	expect_failure(huge, 0, 0, 0, ENAMETOOLONG);
	free(huge);
	assert_int_equal(mu_count_entries(env->dir), 0);
}

static void
symlink_loop_fails_eloop(void **state)
{
	struct mu_env *env = *state;
	char *path = mu_join(env->dir, "loop");
	assert_int_equal(symlink("loop", path), 0);
	expect_failure(path, 0, 0, 0, ELOOP);
	expect_failure(path, 4096, PMEM_FILE_CREATE, 0644, ELOOP);
	free(path);
}

struct denied {
	const char *path;
	size_t len;
	int flags;
	void *addr;
	int err;
	size_t mapped;
	int is_pmem;
	char msg[256];
};

/* map_denied -- pmem_map_file on a thread without DAC override */
static void
map_denied(void *arg)
{
	struct denied *d = arg;
	d->mapped = LEN_SENTINEL;
	d->is_pmem = PMEM_SENTINEL;
	errno = 0;
	d->addr = pmem_map_file(d->path, d->len, d->flags, 0644, &d->mapped,
		&d->is_pmem);
	d->err = errno;
	snprintf(d->msg, sizeof(d->msg), "%s", pmem_errormsg());
	if (d->addr != NULL)
		pmem_unmap(d->addr, d->mapped);
}

/* expect_denied -- as expect_failure with EACCES, for an ordinary user */
static void
expect_denied(const char *path, size_t len, int flags, const char *prefix)
{
	struct denied d = { .path = path, .len = len, .flags = flags };
	int fds = mu_count_fds();
	if (!mu_without_dac_override(map_denied, &d))
		skip();	/* cannot drop CAP_DAC_OVERRIDE here */
	assert_null(d.addr);
	assert_int_equal(d.err, EACCES);
	assert_int_equal(d.mapped, LEN_SENTINEL);
	assert_int_equal(d.is_pmem, PMEM_SENTINEL);
	assert_int_equal(mu_count_fds(), fds);
	assert_prefix(d.msg, prefix);
}

static void
unsearchable_directory_fails_eacces_at_access(void **state)
{
	struct mu_env *env = *state;
	char *sub = mu_join(env->dir, "locked");
	assert_int_equal(mkdir(sub, 0700), 0);
	char *file = mu_join(sub, "file");
	mu_make_file(file, 4096, 0644);
	assert_int_equal(chmod(sub, 0), 0);
	expect_denied(file, 0, 0, "os_access");
	free(file);
	free(sub);
}

static void
read_only_file_fails_eacces_at_open(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "ro");
	mu_make_file(file, 4096, 0444);
	expect_denied(file, 0, 0, "open");
	free(file);
}

static void
create_in_read_only_directory_fails_eacces_at_open(void **state)
{
	struct mu_env *env = *state;
	char *sub = mu_join(env->dir, "ro");
	assert_int_equal(mkdir(sub, 0555), 0);
	char *file = mu_join(sub, "new");
	expect_denied(file, 4096, PMEM_FILE_CREATE, "open");
	assert_int_equal(mu_count_entries(sub), 0);
	free(file);
	free(sub);
}

static void
fifo_fails_einval_before_flag_checks(void **state)
{
	struct mu_env *env = *state;
	char *path = mu_join(env->dir, "fifo");
	assert_int_equal(mkfifo(path, 0644), 0);
	const char *msg = expect_failure(path, 0, 0, 0, EINVAL);
	assert_string_equal(msg, "file type 010000 not supported");
	msg = expect_failure(path, 0, 0x100, 0, EINVAL);
	assert_string_equal(msg, "file type 010000 not supported");
	expect_failure(path, 4096, PMEM_FILE_CREATE, 0644, EINVAL);
	free(path);
}

static void
socket_fails_einval(void **state)
{
	struct mu_env *env = *state;
	char *path = mu_join(env->dir, "sock");
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	/* bound by a relative name: the full path may be too long for one */
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "sock" };
	int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(cwd >= 0);
	assert_int_equal(chdir(env->dir), 0);
	int ret = bind(s, (struct sockaddr *)&sa, sizeof(sa));
	assert_int_equal(fchdir(cwd), 0);
	close(cwd);
	assert_int_equal(ret, 0);
	const char *msg = expect_failure(path, 0, 0, 0, EINVAL);
	assert_string_equal(msg, "file type 0140000 not supported");
	close(s);
	free(path);
}

static void
non_dax_char_device_fails_einval_keeping_message(void **state)
{
	(void)state;
	const int calls[][2] = {
		{ 0, 0 },
		{ 0x100, 0 },			/* device check before flags */
		{ PMEM_FILE_CREATE, 4096 },
	};
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		const char *stale = set_stale_message();
		size_t mapped = LEN_SENTINEL;
		int is_pmem = PMEM_SENTINEL;
		errno = 0;
		void *addr = pmem_map_file("/dev/zero", (size_t)calls[i][1],
			calls[i][0], 0644, &mapped, &is_pmem);
		assert_null(addr);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(mapped, LEN_SENTINEL);
		assert_int_equal(is_pmem, PMEM_SENTINEL);
		/* PMDK sets no message for this one */
		assert_string_equal(pmem_errormsg(), stale);
	}
}

/* make_node -- a device node in dir, or NULL where mknod is not allowed */
static char *
make_node(const char *dir, const char *name, mode_t type, dev_t dev)
{
	char *path = mu_join(dir, name);
	if (mknod(path, type | 0600, dev) == 0)
		return path;
	free(path);
	return NULL;
}

static void
char_device_unknown_to_sysfs_fails_with_realpath_errno(void **state)
{
	struct mu_env *env = *state;
	/* a major number reserved for local use, with no driver behind it */
	char *path = make_node(env->dir, "cdev", S_IFCHR, makedev(240, 77));
	if (path == NULL)
		skip();	/* mknod not allowed here */
	const char *msg = expect_failure(path, 0, 0, 0, ENOENT);
	assert_prefix(msg, "realpath \"/sys/dev/char/240:77/subsystem\"");
	/* before the flag check */
	expect_failure(path, 0, 0x100, 0, ENOENT);
	free(path);
}

static void
block_device_fails_einval(void **state)
{
	struct mu_env *env = *state;
	char *path = make_node(env->dir, "bdev", S_IFBLK, makedev(7, 200));
	if (path == NULL)
		skip();	/* mknod not allowed here */
	const char *msg = expect_failure(path, 0, 0, 0, EINVAL);
	assert_string_equal(msg, "file type 060000 not supported");
	free(path);
}

static void
unknown_flag_fails_einval_before_length_checks(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	mu_make_file(file, 4096, 0644);
	const char *msg = expect_failure(file, 0, 0x10, 0, EINVAL);
	assert_string_equal(msg, "invalid flag specified 10");
	msg = expect_failure(file, 0, 0x10 | PMEM_FILE_CREATE, 0, EINVAL);
	assert_string_equal(msg, "invalid flag specified 11");
	msg = expect_failure(file, SIZE_MAX, -1, 0, EINVAL);
	assert_string_equal(msg, "invalid flag specified ffffffff");
	assert_int_equal(mu_file_size(file), 4096);
	free(file);
}

static void
create_with_negative_length_fails_einval(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "new");
	const char *msg = expect_failure(file, SIZE_MAX, PMEM_FILE_CREATE,
		0644, EINVAL);
	assert_string_equal(msg, "invalid file length 18446744073709551615");
	expect_failure(file, (size_t)1 << 63, PMEM_FILE_CREATE, 0644, EINVAL);
	assert_int_equal(mu_file_size(file), -1);
	free(file);
}

static void
length_without_create_fails_einval(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	mu_make_file(file, 4096, 0644);
	const char *msg = expect_failure(file, 4096, 0, 0, EINVAL);
	assert_string_equal(msg,
		"non-zero 'len' not allowed without PMEM_FILE_CREATE");
	/* the length check wins over the TMPFILE one */
	msg = expect_failure(env->dir, 4096, PMEM_FILE_TMPFILE, 0, EINVAL);
	assert_string_equal(msg,
		"non-zero 'len' not allowed without PMEM_FILE_CREATE");
	/* also for a length that would be negative */
	expect_failure(file, SIZE_MAX, PMEM_FILE_EXCL, 0, EINVAL);
	free(file);
}

static void
zero_length_with_create_fails_einval(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "new");
	const char *msg = expect_failure(file, 0, PMEM_FILE_CREATE, 0644,
		EINVAL);
	assert_string_equal(msg, "zero 'len' not allowed with PMEM_FILE_CREATE");
	assert_int_equal(mu_file_size(file), -1);
	free(file);
}

static void
tmpfile_without_create_fails_einval(void **state)
{
	struct mu_env *env = *state;
	const char *msg = expect_failure(env->dir, 0, PMEM_FILE_TMPFILE, 0,
		EINVAL);
	assert_string_equal(msg,
		"PMEM_FILE_TMPFILE not allowed without PMEM_FILE_CREATE");
	assert_int_equal(mu_count_entries(env->dir), 0);
}

static void
missing_file_fails_enoent_at_open(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "missing");
	const char *msg = expect_failure(file, 0, 0, 0, ENOENT);
	assert_prefix(msg, "open");
	expect_failure(file, 0, PMEM_FILE_EXCL | PMEM_FILE_SPARSE, 0, ENOENT);
	free(file);
	/* CREATE does not make missing directories */
	char *deep = mu_join(env->dir, "nodir/new");
	msg = expect_failure(deep, 4096, PMEM_FILE_CREATE, 0644, ENOENT);
	assert_prefix(msg, "open");
	free(deep);
	assert_int_equal(mu_count_entries(env->dir), 0);
}

static void
create_excl_on_existing_file_fails_eexist(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	mu_make_file(file, 4096, 0644);
	const char *msg = expect_failure(file, 8192,
		PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0644, EEXIST);
	assert_prefix(msg, "open");
	/* the file is left as it was */
	assert_int_equal(mu_file_size(file), 4096);
	free(file);
}

static void
directory_fails_eisdir_at_open(void **state)
{
	struct mu_env *env = *state;
	const char *msg = expect_failure(env->dir, 0, 0, 0, EISDIR);
	assert_prefix(msg, "open");
	expect_failure(env->dir, 4096, PMEM_FILE_CREATE, 0644, EISDIR);
	expect_failure(env->dir, 4096, PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0644,
		EEXIST);
}

static void
huge_length_fails_efbig_at_ftruncate(void **state)
{
	struct mu_env *env = *state;
	const size_t huge = (size_t)1 << 50;
	char *probe = mu_join(env->dir, "probe");
	int fd = open(probe, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	int refused = ftruncate(fd, (off_t)huge) != 0 && errno == EFBIG;
	close(fd);
	unlink(probe);
	free(probe);
	if (!refused)
		skip();	/* this filesystem accepts 1 PiB files */

	char *file = mu_join(env->dir, "big");
	const char *msg = expect_failure(file, huge,
		PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0644, EFBIG);
	assert_string_equal(msg, "ftruncate: File too large");
	/* CREATE|EXCL made the file, so even PMDK removes it */
	assert_int_equal(mu_file_size(file), -1);
	free(file);
}

static void
empty_existing_file_fails_einval_at_mmap(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "empty");
	mu_make_file(file, 0, 0644);
	const char *msg = expect_failure(file, 0, 0, 0, EINVAL);
	assert_string_equal(msg, "mmap 0 bytes: Invalid argument");
	assert_int_equal(mu_file_size(file), 0);
	free(file);
}

/* ---- flags ---- */

static void
create_makes_file_of_exact_length(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "new");
	size_t mapped = 0;
	char *addr = map_ok(file, 3 * 4096 + 5, PMEM_FILE_CREATE, 0644,
		&mapped);
	assert_int_equal(mapped, 3 * 4096 + 5);
	assert_int_equal(mu_file_size(file), 3 * 4096 + 5);
	/* a new file reads as zeros */
	for (size_t i = 0; i < mapped; i++)
		if (addr[i] != 0)
			fail_msg("byte %zu is %d", i, addr[i]);
	assert_int_equal(pmem_unmap(addr, mapped), 0);
	free(file);
}

static void
create_extends_existing_file_keeping_its_data(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	mu_make_file(file, 100, 0644);
	size_t mapped = 0;
	char *addr = map_ok(file, 8192, PMEM_FILE_CREATE, 0644, &mapped);
	assert_int_equal(mapped, 8192);
	assert_int_equal(mu_file_size(file), 8192);
	assert_int_equal(addr[0], 'x');
	assert_int_equal(addr[99], 'x');
	assert_int_equal(addr[100], 0);
	assert_int_equal(pmem_unmap(addr, mapped), 0);
	free(file);
}

static void
create_shrinks_existing_file(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	mu_make_file(file, 3 * 4096, 0644);
	size_t mapped = 0;
	char *addr = map_ok(file, 100, PMEM_FILE_CREATE, 0644, &mapped);
	assert_int_equal(mapped, 100);
	assert_int_equal(mu_file_size(file), 100);
	assert_int_equal(addr[99], 'x');
	assert_int_equal(pmem_unmap(addr, mapped), 0);
	free(file);
}

static void
create_mode_is_filtered_by_umask(void **state)
{
	struct mu_env *env = *state;
	char *a = mu_join(env->dir, "a");
	char *b = mu_join(env->dir, "b");
	size_t mapped;
	mode_t old = umask(022);
	void *addr = map_ok(a, 4096, PMEM_FILE_CREATE, 0666, &mapped);
	assert_int_equal(pmem_unmap(addr, mapped), 0);
	umask(077);
	addr = map_ok(b, 4096, PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0666,
		&mapped);
	assert_int_equal(pmem_unmap(addr, mapped), 0);
	umask(old);
	assert_int_equal(file_mode(a), 0644);
	assert_int_equal(file_mode(b), 0600);
	free(a);
	free(b);
}

static void
create_keeps_mode_of_existing_file(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	mu_make_file(file, 4096, 0640);
	size_t mapped;
	void *addr = map_ok(file, 4096, PMEM_FILE_CREATE, 0666, &mapped);
	assert_int_equal(pmem_unmap(addr, mapped), 0);
	assert_int_equal(file_mode(file), 0640);
	free(file);
}

static void
create_excl_makes_new_file(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "new");
	size_t mapped;
	void *addr = map_ok(file, 4096, PMEM_FILE_CREATE | PMEM_FILE_EXCL,
		0600, &mapped);
	assert_int_equal(mapped, 4096);
	assert_int_equal(pmem_unmap(addr, mapped), 0);
	assert_int_equal(mu_file_size(file), 4096);
	free(file);
}

/* blocks_of -- 512-byte blocks allocated to path */
static long
blocks_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return (long)st.st_blocks;
}

static void
sparse_create_allocates_no_blocks(void **state)
{
	struct mu_env *env = *state;
	char *sparse = mu_join(env->dir, "sparse");
	char *full = mu_join(env->dir, "full");
	size_t mapped;
	void *addr = map_ok(sparse, 64 * KIB,
		PMEM_FILE_CREATE | PMEM_FILE_SPARSE, 0644, &mapped);
	assert_int_equal(pmem_unmap(addr, mapped), 0);
	addr = map_ok(full, 64 * KIB, PMEM_FILE_CREATE, 0644, &mapped);
	assert_int_equal(pmem_unmap(addr, mapped), 0);
	assert_int_equal(mu_file_size(sparse), 64 * KIB);
	assert_int_equal(blocks_of(sparse), 0);
	/* without SPARSE the whole length is allocated */
	assert_true(blocks_of(full) * 512 >= (long)(64 * KIB));
	free(sparse);
	free(full);
}

static void
excl_and_sparse_without_create_are_ignored(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	mu_make_file(file, 5000, 0644);
	const int flags[] = {
		PMEM_FILE_EXCL, PMEM_FILE_SPARSE,
		PMEM_FILE_EXCL | PMEM_FILE_SPARSE,
	};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		size_t mapped = 0;
		char *addr = map_ok(file, 0, flags[i], 0, &mapped);
		assert_int_equal(mapped, 5000);
		assert_int_equal(addr[4999], 'x');
		assert_int_equal(pmem_unmap(addr, mapped), 0);
	}
	assert_int_equal(mu_file_size(file), 5000);
	free(file);
}

static void
tmpfile_creates_unlinked_file_in_directory(void **state)
{
	struct mu_env *env = *state;
	size_t mapped = 0;
	char *addr = map_ok(env->dir, 3 * 4096,
		PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0644, &mapped);
	assert_int_equal(mapped, 3 * 4096);
	addr[0] = 'a';
	addr[mapped - 1] = 'z';
	/* nothing is left with a name ... */
	assert_int_equal(mu_count_entries(env->dir), 0);
	/* ... the mapping is of a deleted file in that directory */
	char *line = mu_maps_line(addr);
	assert_non_null(line);
	assert_non_null(strstr(line, env->dir));
	assert_non_null(strstr(line, "(deleted)"));
	free(line);
	assert_int_equal(pmem_unmap(addr, mapped), 0);
}

/* open_mapped_file -- the file mapped at addr, through /proc, or -1 */
static int
open_mapped_file(const void *addr)
{
	char *line = mu_maps_line(addr);
	assert_non_null(line);
	unsigned long lo, hi;
	assert_int_equal(sscanf(line, "%lx-%lx", &lo, &hi), 2);
	free(line);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", lo, hi);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* stat_tmpfile -- maps a TMPFILE of len with flags, stats it, unmaps it */
static bool
stat_tmpfile(const char *dir, size_t len, int flags, struct stat *st)
{
	mode_t old = umask(0);
	size_t mapped = 0;
	void *addr = map_ok(dir, len, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE |
		flags, 0777, &mapped);
	umask(old);
	assert_int_equal(mapped, len);
	int fd = open_mapped_file(addr);
	if (fd >= 0) {
		assert_int_equal(fstat(fd, st), 0);
		close(fd);
	}
	assert_int_equal(pmem_unmap(addr, mapped), 0);
	assert_int_equal(mu_count_entries(dir), 0);
	return fd >= 0;
}

static void
tmpfile_is_0600_unlinked_and_allocated(void **state)
{
	struct mu_env *env = *state;
	struct stat st;
	if (!stat_tmpfile(env->dir, 3 * 4096, 0, &st))
		skip();	/* /proc/self/map_files cannot be opened here */
	/* 0600 whatever the mode argument and the umask say */
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(st.st_size, 3 * 4096);
	assert_true(st.st_blocks * 512 >= 3 * 4096);
}

static void
tmpfile_sparse_allocates_no_blocks(void **state)
{
	struct mu_env *env = *state;
	struct stat st;
	if (!stat_tmpfile(env->dir, 64 * KIB, PMEM_FILE_SPARSE | PMEM_FILE_EXCL,
			&st))
		skip();	/* /proc/self/map_files cannot be opened here */
	assert_int_equal(st.st_size, 64 * KIB);
	assert_int_equal(st.st_blocks, 0);
}

static void
tmpfile_in_regular_file_fails_enotdir(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	mu_make_file(file, 4096, 0644);
	expect_failure(file, 4096, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0,
		ENOTDIR);
	assert_int_equal(mu_file_size(file), 4096);
	assert_int_equal(mu_count_entries(env->dir), 1);
	free(file);
}

static void
tmpfile_in_missing_directory_fails_enoent(void **state)
{
	struct mu_env *env = *state;
	char *missing = mu_join(env->dir, "missing");
	expect_failure(missing, 4096, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0,
		ENOENT);
	assert_int_equal(mu_count_entries(env->dir), 0);
	free(missing);
}

/* ---- the mapping ---- */

static void
existing_file_maps_exact_unrounded_length(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	mu_make_file(file, 4097, 0644);
	size_t mapped = 0;
	char *addr = map_ok(file, 0, 0, 0777, &mapped);
	assert_int_equal(mapped, 4097);
	assert_int_equal(addr[4096], 'x');
	assert_int_equal(pmem_unmap(addr, mapped), 0);
	/* the mode argument is ignored without CREATE */
	assert_int_equal(file_mode(file), 0644);
	free(file);
}

static void
out_parameters_may_be_null(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	void *addr = pmem_map_file(file, 4096, PMEM_FILE_CREATE, 0644, NULL,
		NULL);
	assert_non_null(addr);
	assert_int_equal(pmem_unmap(addr, 4096), 0);
	assert_null(pmem_map_file(NULL, 0, 0, 0, NULL, NULL));
	free(file);
}

static void
writes_through_mapping_are_visible_to_read(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	size_t mapped;
	char *addr = map_ok(file, 8192, PMEM_FILE_CREATE, 0644, &mapped);
	memcpy(addr + 4000, "hello, pmem", 11);
	assert_int_equal(pmem_msync(addr, mapped), 0);
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	char buf[11];
	assert_int_equal(pread(fd, buf, sizeof(buf), 4000), sizeof(buf));
	assert_memory_equal(buf, "hello, pmem", 11);
	/* and the other way round */
	close(fd);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	assert_int_equal(pwrite(fd, "back", 4, 8000), 4);
	close(fd);
	assert_memory_equal(addr + 8000, "back", 4);
	assert_int_equal(pmem_unmap(addr, mapped), 0);
	free(file);
}

static void
mapping_is_shared_and_writable_whole_file(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	mu_make_file(file, 3 * 4096, 0644);
	size_t mapped;
	char *addr = map_ok(file, 0, 0, 0, &mapped);
	char *line = mu_maps_line(addr);
	assert_non_null(line);
	/* rw-s: read, write, shared, at offset 0 */
	assert_non_null(strstr(line, " rw-s 00000000 "));
	free(line);
	assert_int_equal(pmem_unmap(addr, mapped), 0);
	free(file);
}

static void
small_mapping_is_2mib_aligned(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	for (int i = 0; i < 4; i++) {
		size_t mapped;
		void *addr = map_ok(file, 4096 << i, PMEM_FILE_CREATE, 0644,
			&mapped);
		assert_int_equal((uintptr_t)addr % (2 * MIB), 0);
		assert_int_equal(pmem_unmap(addr, mapped), 0);
	}
	free(file);
}

/* map_sparse -- maps a new sparse file of len bytes, returning its address */
static void *
map_sparse(const char *dir, size_t len)
{
	char *file = mu_join(dir, "big");
	size_t mapped = 0;
	void *addr = map_ok(file, len, PMEM_FILE_CREATE | PMEM_FILE_SPARSE,
		0644, &mapped);
	assert_int_equal(mapped, len);
	unlink(file);
	free(file);
	return addr;
}

static void
mapping_below_2gib_is_2mib_aligned(void **state)
{
	struct mu_env *env = *state;
	size_t len = 2 * GIB - 4096;
	void *addr = map_sparse(env->dir, len);
	assert_int_equal((uintptr_t)addr % (2 * MIB), 0);
	assert_int_equal(pmem_unmap(addr, len), 0);
}

static void
mapping_of_2gib_or_more_is_1gib_aligned(void **state)
{
	struct mu_env *env = *state;
	/* twice, since a 2 MiB-aligned address is 1 GiB-aligned by chance
	 * once in 512 */
	for (int i = 0; i < 2; i++) {
		size_t len = 2 * GIB + (size_t)i * GIB;
		void *addr = map_sparse(env->dir, len);
		assert_int_equal((uintptr_t)addr % GIB, 0);
		assert_int_equal(pmem_unmap(addr, len), 0);
	}
}

static void
map_sync_refused_here_so_mapping_is_not_pmem(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	mu_make_file(file, 4096, 0644);
	int fd = open(file, O_RDWR | O_CLOEXEC);
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	int err = errno;
	close(fd);
	if (p != MAP_FAILED) {
		munmap(p, 4096);
		free(file);
		skip();	/* a DAX filesystem: MAP_SYNC works here */
	}
	assert_true(err == EOPNOTSUPP || err == EINVAL);

	size_t mapped = 0;
	int is_pmem = PMEM_SENTINEL;
	char *addr = pmem_map_file(file, 0, 0, 0, &mapped, &is_pmem);
	assert_non_null(addr);
	assert_int_equal(is_pmem, 0);
	assert_int_equal(pmem_is_pmem(addr, mapped), 0);
	assert_int_equal(pmem_is_pmem(addr, 1), 0);
	addr[0] = 'y';	/* the fallback mapping works */
	assert_int_equal(pmem_unmap(addr, mapped), 0);
	free(file);
}

static void
is_pmem_is_0_for_memory_not_mapped_as_pmem(void **state)
{
	(void)state;
	char *heap = malloc(4096);
	char stack[64];
	void *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(anon != MAP_FAILED);
	assert_int_equal(pmem_is_pmem(heap, 4096), 0);
	assert_int_equal(pmem_is_pmem(heap + 1, 1), 0);
	assert_int_equal(pmem_is_pmem(stack, sizeof(stack)), 0);
	assert_int_equal(pmem_is_pmem(anon, 4096), 0);
	assert_int_equal(pmem_is_pmem(NULL, 4096), 0);
	assert_int_equal(pmem_is_pmem(NULL, 0), 0);
	assert_int_equal(pmem_is_pmem(anon, 0), 0);
	assert_int_equal(pmem_is_pmem(anon, SIZE_MAX), 0);
	munmap(anon, 4096);
	free(heap);
}

/* ---- pmem_unmap, §4.2 ---- */

static void
unmap_whole_mapping_removes_it(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	size_t mapped;
	void *addr = map_ok(file, 5000, PMEM_FILE_CREATE, 0644, &mapped);
	assert_int_equal(mu_count_maps(env->dir), 1);
	assert_int_equal(pmem_unmap(addr, mapped), 0);
	assert_int_equal(mu_count_maps(env->dir), 0);
	assert_false(mu_is_mapped(addr, mapped));
	free(file);
}

static void
unmap_middle_page_keeps_outer_pages(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	size_t mapped;
	char *addr = map_ok(file, 3 * Pagesize, PMEM_FILE_CREATE, 0644,
		&mapped);
	assert_int_equal(pmem_unmap(addr + Pagesize, Pagesize), 0);
	assert_false(mu_is_mapped(addr + Pagesize, Pagesize));
	addr[0] = 'a';
	addr[3 * Pagesize - 1] = 'z';
	assert_int_equal(mu_count_maps(env->dir), 2);
	assert_int_equal(pmem_unmap(addr, Pagesize), 0);
	assert_int_equal(pmem_unmap(addr + 2 * Pagesize, Pagesize), 0);
	free(file);
}

static void
unmap_works_on_any_mapping(void **state)
{
	(void)state;
	void *anon = mmap(NULL, 2 * Pagesize, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(anon != MAP_FAILED);
	assert_int_equal(pmem_unmap(anon, 2 * Pagesize), 0);
	assert_false(mu_is_mapped(anon, 2 * Pagesize));
}

static void
unmap_zero_length_fails_einval(void **state)
{
	(void)state;
	void *anon = mmap(NULL, Pagesize, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(anon != MAP_FAILED);
	set_stale_message();
	errno = 0;
	assert_int_equal(pmem_unmap(anon, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(pmem_errormsg(), "munmap: Invalid argument");
	assert_true(mu_is_mapped(anon, Pagesize));
	munmap(anon, Pagesize);
}

static void
unmap_unaligned_address_fails_einval(void **state)
{
	(void)state;
	char *anon = mmap(NULL, 2 * Pagesize, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(anon != MAP_FAILED);
	set_stale_message();
	errno = 0;
	assert_int_equal(pmem_unmap(anon + 1, Pagesize), -1);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(pmem_errormsg(), "munmap: Invalid argument");
	assert_true(mu_is_mapped(anon, 2 * Pagesize));
	munmap(anon, 2 * Pagesize);
}

static void
unmap_partial_page_length_unmaps_whole_page(void **state)
{
	(void)state;
	char *anon = mmap(NULL, 2 * Pagesize, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(anon != MAP_FAILED);
	assert_int_equal(pmem_unmap(anon, 1), 0);
	assert_false(mu_is_mapped(anon, Pagesize));
	assert_true(mu_is_mapped(anon + Pagesize, Pagesize));
	munmap(anon + Pagesize, Pagesize);
}

static void
unmap_of_nothing_mapped_succeeds(void **state)
{
	(void)state;
	void *hole = mu_unmapped_range(4 * Pagesize);
	assert_int_equal(pmem_unmap(hole, 4 * Pagesize), 0);
}

int
main(void)
{
	Pagesize = (size_t)sysconf(_SC_PAGESIZE);
#define T(f) cmocka_unit_test_setup_teardown(f, mu_setup, mu_teardown)
	const struct CMUnitTest tests[] = {
		T(null_path_fails_einval),
		T(path_through_regular_file_fails_enotdir),
		T(too_long_path_fails_enametoolong),
		T(symlink_loop_fails_eloop),
		T(unsearchable_directory_fails_eacces_at_access),
		T(read_only_file_fails_eacces_at_open),
		T(create_in_read_only_directory_fails_eacces_at_open),
		T(fifo_fails_einval_before_flag_checks),
		T(socket_fails_einval),
		T(non_dax_char_device_fails_einval_keeping_message),
		T(char_device_unknown_to_sysfs_fails_with_realpath_errno),
		T(block_device_fails_einval),
		T(unknown_flag_fails_einval_before_length_checks),
		T(create_with_negative_length_fails_einval),
		T(length_without_create_fails_einval),
		T(zero_length_with_create_fails_einval),
		T(tmpfile_without_create_fails_einval),
		T(missing_file_fails_enoent_at_open),
		T(create_excl_on_existing_file_fails_eexist),
		T(directory_fails_eisdir_at_open),
		T(huge_length_fails_efbig_at_ftruncate),
		T(empty_existing_file_fails_einval_at_mmap),
		T(create_makes_file_of_exact_length),
		T(create_extends_existing_file_keeping_its_data),
		T(create_shrinks_existing_file),
		T(create_mode_is_filtered_by_umask),
		T(create_keeps_mode_of_existing_file),
		T(create_excl_makes_new_file),
		T(sparse_create_allocates_no_blocks),
		T(excl_and_sparse_without_create_are_ignored),
		T(tmpfile_creates_unlinked_file_in_directory),
		T(tmpfile_is_0600_unlinked_and_allocated),
		T(tmpfile_sparse_allocates_no_blocks),
		T(tmpfile_in_regular_file_fails_enotdir),
		T(tmpfile_in_missing_directory_fails_enoent),
		T(existing_file_maps_exact_unrounded_length),
		T(out_parameters_may_be_null),
		T(writes_through_mapping_are_visible_to_read),
		T(mapping_is_shared_and_writable_whole_file),
		T(small_mapping_is_2mib_aligned),
		T(mapping_below_2gib_is_2mib_aligned),
		T(mapping_of_2gib_or_more_is_1gib_aligned),
		T(map_sync_refused_here_so_mapping_is_not_pmem),
		T(is_pmem_is_0_for_memory_not_mapped_as_pmem),
		T(unmap_whole_mapping_removes_it),
		T(unmap_middle_page_keeps_outer_pages),
		T(unmap_works_on_any_mapping),
		T(unmap_zero_length_fails_einval),
		T(unmap_unaligned_address_fails_einval),
		T(unmap_partial_page_length_unmaps_whole_page),
		T(unmap_of_nothing_mapped_succeeds),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}

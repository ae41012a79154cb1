/*
 * map_file_cleanup_test.c -- where pmem_map_file() deliberately does better
 * than PMDK: a failed call removes a file it created (PMDK only does so for
 * CREATE|EXCL) and gives a file it grew its old size back; TMPFILE uses
 * O_TMPFILE first and mkstemp only where the filesystem lacks it.
 *
 * Failures are injected after the file was opened through the wrappers of
 * sys_wrap.c (ftruncate, posix_fallocate, mmap, open, mkostemp).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libpmem.h>

#include "map_util.h"
#include "sys_wrap.h"

#define LEN_SENTINEL ((size_t)0xdeadbeef)
#define PMEM_SENTINEL 0x5a5a

/* setup -- a fresh directory, wrappers passing everything through */
static int
setup(void **state)
{
	wrap_reset();
	return mu_setup(state);
}

/* teardown -- wrappers off; nothing mapped, no descriptor leaked */
static int
teardown(void **state)
{
	wrap_reset();
	return mu_teardown(state);
}

/* forget_file -- closes the wrappers' copy of the last temporary file */
static void
forget_file(void)
{
	if (Seen.file_fd >= 0)
		close(Seen.file_fd);
	Seen.file_fd = -1;
}

/* expect_failure -- fails with errnum, out-parameters untouched, no fd kept */
static void
expect_failure(const char *path, size_t len, int flags, int errnum,
		const char *msg_prefix)
{
	size_t mapped = LEN_SENTINEL;
	int is_pmem = PMEM_SENTINEL;
	forget_file();
	int fds = mu_count_fds();
	errno = 0;
	void *addr = pmem_map_file(path, len, flags, 0644, &mapped, &is_pmem);
	int err = errno;
	forget_file();
	assert_null(addr);
	assert_int_equal(err, errnum);
	assert_int_equal(mapped, LEN_SENTINEL);
	assert_int_equal(is_pmem, PMEM_SENTINEL);
	assert_int_equal(mu_count_fds(), fds);
	const char *msg = pmem_errormsg();
	if (strncmp(msg, msg_prefix, strlen(msg_prefix)) != 0)
		fail_msg("message \"%s\" does not start with \"%s\"", msg,
			msg_prefix);
}

/* assert_file_is -- path exists with size bytes of 'x' */
static void
assert_file_is(const char *path, off_t size)
{
	assert_int_equal(mu_file_size(path), size);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	char buf[4096];
	off_t seen = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != 'x')
				fail_msg("byte %jd changed", (intmax_t)(seen + i));
		seen += n;
	}
	close(fd);
	assert_int_equal(seen, size);
}

static void
new_file_is_removed_when_ftruncate_fails(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "new");
	Wrap.ftruncate = EFBIG;
	expect_failure(file, 4096, PMEM_FILE_CREATE, EFBIG, "ftruncate");
	/* PMDK leaves an empty file behind here */
	assert_int_equal(mu_file_size(file), -1);
	assert_int_equal(mu_count_entries(env->dir), 0);
	free(file);
}

static void
new_file_is_removed_when_fallocate_fails(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "new");
	Wrap.fallocate = ENOSPC;
	expect_failure(file, 4096, PMEM_FILE_CREATE, ENOSPC, "posix_fallocate");
	assert_int_equal(mu_count_entries(env->dir), 0);
	/* with EXCL, as in PMDK */
	expect_failure(file, 4096, PMEM_FILE_CREATE | PMEM_FILE_EXCL, ENOSPC,
		"posix_fallocate");
	assert_int_equal(mu_count_entries(env->dir), 0);
	free(file);
}

static void
new_file_is_removed_when_mmap_fails(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "new");
	/* refused MAP_SYNC, then the plain mapping fails too */
	Wrap.map_sync = EOPNOTSUPP;
	Wrap.map_shared = ENOMEM;
	expect_failure(file, 4096, PMEM_FILE_CREATE | PMEM_FILE_SPARSE, ENOMEM,
		"mmap 4096 bytes");
	assert_int_equal(Seen.map_sync_calls, 1);
	assert_int_equal(Seen.map_shared_calls, 1);
	assert_int_equal(mu_count_entries(env->dir), 0);
	free(file);
}

static void
grown_file_gets_old_size_back_when_fallocate_fails(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	mu_make_file(file, 5000, 0644);
	Wrap.fallocate = ENOSPC;
	expect_failure(file, 64 * 1024, PMEM_FILE_CREATE, ENOSPC,
		"posix_fallocate");
	/* PMDK leaves it at 64 KiB */
	assert_file_is(file, 5000);
	free(file);
}

static void
grown_file_gets_old_size_back_when_mmap_fails(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	mu_make_file(file, 5000, 0644);
	Wrap.map_sync = EOPNOTSUPP;
	Wrap.map_shared = EACCES;
	expect_failure(file, 64 * 1024, PMEM_FILE_CREATE | PMEM_FILE_SPARSE,
		EACCES, "mmap");
	assert_file_is(file, 5000);
	free(file);
}

static void
existing_file_is_kept_when_ftruncate_fails(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	mu_make_file(file, 5000, 0644);
	Wrap.ftruncate = EPERM;
	expect_failure(file, 64 * 1024, PMEM_FILE_CREATE, EPERM, "ftruncate");
	assert_file_is(file, 5000);
	free(file);
}

static void
existing_file_is_kept_when_mapping_it_fails(void **state)
{
	struct mu_env *env = *state;
	char *file = mu_join(env->dir, "file");
	mu_make_file(file, 5000, 0644);
	Wrap.map_sync = EOPNOTSUPP;
	Wrap.map_shared = ENODEV;
	expect_failure(file, 0, 0, ENODEV, "mmap 5000 bytes");
	assert_file_is(file, 5000);
	free(file);
}

static void
tmpfile_leaves_nothing_when_fallocate_fails(void **state)
{
	struct mu_env *env = *state;
	Wrap.fallocate = ENOSPC;
	expect_failure(env->dir, 4096, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE,
		ENOSPC, "posix_fallocate");
	assert_int_equal(mu_count_entries(env->dir), 0);
	/* the same through the mkstemp fallback */
	Wrap.tmpfile = EOPNOTSUPP;
	expect_failure(env->dir, 4096, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE,
		ENOSPC, "posix_fallocate");
	assert_int_equal(Seen.mkostemp_calls, 1);
	assert_int_equal(mu_count_entries(env->dir), 0);
}

/* assert_tmpfile -- the file kept by the wrappers: 0600, unlinked, len */
static void
assert_tmpfile(off_t len)
{
	struct stat st;
	assert_true(Seen.file_fd >= 0);
	assert_int_equal(fstat(Seen.file_fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(st.st_size, len);
	assert_true(st.st_blocks * 512 >= len);
}

static void
tmpfile_uses_o_tmpfile_first(void **state)
{
	struct mu_env *env = *state;
	mode_t old = umask(0);
	size_t mapped = 0;
	char *addr = pmem_map_file(env->dir, 8192,
		PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0777, &mapped, NULL);
	umask(old);
	assert_non_null(addr);
	assert_int_equal(Seen.tmpfile_opens, 1);
	assert_int_equal(Seen.tmpfile_flags & O_ACCMODE, O_RDWR);
	assert_int_equal(Seen.tmpfile_flags & O_EXCL, 0);
	assert_int_equal(Seen.mkostemp_calls, 0);
	assert_tmpfile(8192);
	assert_int_equal(mu_count_entries(env->dir), 0);
	addr[8191] = 'q';
	char c;
	assert_int_equal(pread(Seen.file_fd, &c, 1, 8191), 1);
	assert_int_equal(c, 'q');
	assert_int_equal(pmem_unmap(addr, mapped), 0);
}

static void
tmpfile_excl_asks_for_a_file_that_cannot_be_linked(void **state)
{
	struct mu_env *env = *state;
	size_t mapped = 0;
	void *addr = pmem_map_file(env->dir, 4096, PMEM_FILE_CREATE |
		PMEM_FILE_TMPFILE | PMEM_FILE_EXCL, 0644, &mapped, NULL);
	assert_non_null(addr);
	assert_int_equal(Seen.tmpfile_flags & O_EXCL, O_EXCL);
	assert_tmpfile(4096);
	assert_int_equal(pmem_unmap(addr, mapped), 0);
}

static void
tmpfile_sparse_allocates_no_blocks(void **state)
{
	struct mu_env *env = *state;
	size_t mapped = 0;
	void *addr = pmem_map_file(env->dir, 64 * 1024, PMEM_FILE_CREATE |
		PMEM_FILE_TMPFILE | PMEM_FILE_SPARSE, 0644, &mapped, NULL);
	assert_non_null(addr);
	struct stat st;
	assert_int_equal(fstat(Seen.file_fd, &st), 0);
	assert_int_equal(st.st_size, 64 * 1024);
	assert_int_equal(st.st_blocks, 0);
	assert_int_equal(pmem_unmap(addr, mapped), 0);
}

/* map_tmpfile_by_fallback -- TMPFILE where open(O_TMPFILE) fails with err */
static void
map_tmpfile_by_fallback(const char *dir, int err)
{
	Wrap.tmpfile = err;
	mode_t old = umask(0);
	size_t mapped = 0;
	void *addr = pmem_map_file(dir, 4096,
		PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0777, &mapped, NULL);
	mode_t now = umask(old);
	assert_non_null(addr);
	assert_int_equal(now, 0);	/* the umask was restored */
	assert_int_equal(Seen.tmpfile_opens, 1);
	assert_int_equal(Seen.mkostemp_calls, 1);
	/* a pmem.XXXXXX name in the directory, removed at once */
	char *prefix = mu_join(dir, "pmem.");
	assert_int_equal(strncmp(Seen.mkostemp_name, prefix, strlen(prefix)), 0);
	free(prefix);
	assert_int_equal(mu_count_entries(dir), 0);
	assert_tmpfile(4096);
	assert_int_equal(pmem_unmap(addr, mapped), 0);
}

static void
tmpfile_falls_back_to_mkstemp_without_o_tmpfile_support(void **state)
{
	struct mu_env *env = *state;
	map_tmpfile_by_fallback(env->dir, EOPNOTSUPP);
}

static void
tmpfile_falls_back_to_mkstemp_on_eisdir_from_old_kernels(void **state)
{
	struct mu_env *env = *state;
	map_tmpfile_by_fallback(env->dir, EISDIR);
}

static void
tmpfile_other_open_errors_are_final(void **state)
{
	struct mu_env *env = *state;
	Wrap.tmpfile = ENOSPC;
	expect_failure(env->dir, 4096, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE,
		ENOSPC, "open");
	assert_int_equal(Seen.mkostemp_calls, 0);
	assert_int_equal(mu_count_entries(env->dir), 0);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(new_file_is_removed_when_ftruncate_fails),
		T(new_file_is_removed_when_fallocate_fails),
		T(new_file_is_removed_when_mmap_fails),
		T(grown_file_gets_old_size_back_when_fallocate_fails),
		T(grown_file_gets_old_size_back_when_mmap_fails),
		T(existing_file_is_kept_when_ftruncate_fails),
		T(existing_file_is_kept_when_mapping_it_fails),
		T(tmpfile_leaves_nothing_when_fallocate_fails),
		T(tmpfile_uses_o_tmpfile_first),
		T(tmpfile_excl_asks_for_a_file_that_cannot_be_linked),
		T(tmpfile_sparse_allocates_no_blocks),
		T(tmpfile_falls_back_to_mkstemp_without_o_tmpfile_support),
		T(tmpfile_falls_back_to_mkstemp_on_eisdir_from_old_kernels),
		T(tmpfile_other_open_errors_are_final),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}

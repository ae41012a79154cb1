/*
 * sys_wrap.c -- the --wrap'ed system calls behind sys_wrap.h.
 *
 * What mmap sees is recorded atomically: the thread tests map from several
 * threads at once. The controls are set before any thread starts; the
 * temporary-file wrappers are for single-threaded tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sys_wrap.h"

struct wrap_control Wrap;
struct wrap_seen Seen = { .file_fd = -1 };

void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd,
		off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		off_t off);
int __real_ftruncate(int fd, off_t len);
int __wrap_ftruncate(int fd, off_t len);
int __real_posix_fallocate(int fd, off_t off, off_t len);
int __wrap_posix_fallocate(int fd, off_t off, off_t len);
int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __real_mkostemp(char *tmpl, int flags);
int __wrap_mkostemp(char *tmpl, int flags);

/* bump -- counts one call */
static void
bump(int *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* keep_fd -- remembers a dup of a temporary file's descriptor */
static void
keep_fd(int fd)
{
	if (Seen.file_fd >= 0)
		close(Seen.file_fd);
	Seen.file_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

void
wrap_reset(void)
{
	if (Seen.file_fd >= 0)
		close(Seen.file_fd);
	memset(&Wrap, 0, sizeof(Wrap));
	memset(&Seen, 0, sizeof(Seen));
	Seen.file_fd = -1;
}

void *
__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (fd < 0 || (flags & MAP_TYPE) == MAP_PRIVATE)
		return __real_mmap(addr, len, prot, flags, fd, off);
	if (Wrap.map_addr != NULL)
		addr = Wrap.map_addr;
	if (flags & MAP_SYNC) {
		bump(&Seen.map_sync_calls);
		__atomic_store_n(&Seen.map_sync_flags, flags, __ATOMIC_RELAXED);
		__atomic_store_n(&Seen.map_sync_prot, prot, __ATOMIC_RELAXED);
		__atomic_store_n(&Seen.map_sync_hint, addr, __ATOMIC_RELAXED);
		if (Wrap.map_sync == WRAP_SUCCEED)
			return __real_mmap(addr, len, prot,
				(flags & ~(MAP_SYNC | MAP_TYPE)) | MAP_SHARED,
				fd, off);
		if (Wrap.map_sync != 0) {
			errno = Wrap.map_sync;
			return MAP_FAILED;
		}
		return __real_mmap(addr, len, prot, flags, fd, off);
	}
	bump(&Seen.map_shared_calls);
	if (Wrap.map_shared != 0) {
		errno = Wrap.map_shared;
		return MAP_FAILED;
	}
	return __real_mmap(addr, len, prot, flags, fd, off);
}

int
__wrap_ftruncate(int fd, off_t len)
{
	if (Wrap.ftruncate != 0) {
		errno = Wrap.ftruncate;
		return -1;
	}
	return __real_ftruncate(fd, len);
}

int
__wrap_posix_fallocate(int fd, off_t off, off_t len)
{
	if (Wrap.fallocate != 0)
		return Wrap.fallocate;
	return __real_posix_fallocate(fd, off, len);
}

int
__wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if ((flags & O_TMPFILE) != O_TMPFILE)
		return __real_open(path, flags, mode);
	bump(&Seen.tmpfile_opens);
	Seen.tmpfile_flags = flags;
	if (Wrap.tmpfile != 0) {
		errno = Wrap.tmpfile;
		return -1;
	}
	int fd = __real_open(path, flags, mode);
	if (fd >= 0)
		keep_fd(fd);
	return fd;
}

int
__wrap_mkostemp(char *tmpl, int flags)
{
	bump(&Seen.mkostemp_calls);
	int fd = __real_mkostemp(tmpl, flags);
	snprintf(Seen.mkostemp_name, sizeof(Seen.mkostemp_name), "%s", tmpl);
	if (fd >= 0)
		keep_fd(fd);
	return fd;
}

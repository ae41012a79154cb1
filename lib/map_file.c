/*
 * map_file.c -- pmem_map_file and pmem_unmap.
 *
 * The checks run in PMDK's order, so the same bad call fails with the same
 * errno. The mapping is tried with MAP_SHARED_VALIDATE | MAP_SYNC first and
 * falls back to MAP_SHARED only when the kernel or filesystem refuses
 * MAP_SYNC (EINVAL, EOPNOTSUPP); a MAP_SYNC or device-DAX mapping is pmem.
 *
 * On failure nothing is left behind: the descriptor is closed, a file this
 * call created is removed and a file this call grew gets its old size back
 * (PMDK removes the file only for CREATE|EXCL and leaves grown files grown),
 * and the out-parameters are untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libpmem.h"
#include "api.h"
#include "devdax.h"
#include "emu.h"
#include "errormsg.h"
#include "log.h"
#include "map_hint.h"
#include "ops.h"
#include "ranges.h"

#define FILE_FLAGS (PMEM_FILE_CREATE | PMEM_FILE_EXCL | PMEM_FILE_SPARSE | \
		PMEM_FILE_TMPFILE)

/* What has to be undone if the call fails after opening the file. */
struct opened {
	int fd;
	const char *created;	/* path this call created, to unlink */
	bool grown;		/* this call extended an existing file */
	off_t old_size;
};

/* fail -- records the message, undoes what was done, sets errno (internal) */
static void *
fail(struct opened *o, int errnum)
{
	if (o != NULL && o->fd >= 0) {
		if (o->created != NULL)
			unlink(o->created);
		else if (o->grown && ftruncate(o->fd, o->old_size) != 0)
			log_write(LOG_ERROR, "could not restore the file size");
		close(o->fd);
	}
	errno = errnum;
	return NULL;
}

/* fail_errno -- fail() with "<what>: <strerror>" as the message (internal) */
static void *
fail_errno(struct opened *o, int errnum, const char *what, const char *path)
{
	if (path != NULL)
		err_set_errno(errnum, "%s %s", what, path);
	else
		err_set_errno(errnum, "%s", what);
	return fail(o, errnum);
}

/* invalid -- fails with EINVAL and a fixed message (internal) */
#define invalid(...) (err_set(__VA_ARGS__), fail(NULL, EINVAL))

/*
 * open_create -- opens path for PMEM_FILE_CREATE, telling whether this call
 * created it (internal). Without EXCL it first tries to create exclusively,
 * so that a file it made can be removed again on failure.
 */
static int
open_create(const char *path, mode_t mode, bool excl, bool *created)
{
	int fd;
	*created = false;
	for (int tries = 0; tries < 8; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (fd >= 0) {
			*created = true;
			return fd;
		}
		if (excl || errno != EEXIST)
			return -1;
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			return fd;
		/* removed in between, or a dangling symlink: try again */
	}
	return open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode);
}

/*
 * open_tmpfile -- an unnamed file in directory dir, mode 0600 (internal).
 * O_TMPFILE first; where the filesystem lacks it, a mkstemp name removed at
 * once, made with signals blocked and umask 077 so it never lingers.
 */
static int
open_tmpfile(const char *dir, bool excl)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC | (excl ? O_EXCL : 0),
		S_IRUSR | S_IWUSR);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
		return fd;

	char name[PATH_MAX];
	if (snprintf(name, sizeof(name), "%s/pmem.XXXXXX", dir) >=
			(int)sizeof(name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	mode_t mask = umask(S_IRWXG | S_IRWXO);
	fd = mkostemp(name, O_CLOEXEC);
	int oerrno = errno;
	umask(mask);
	if (fd >= 0)
		unlink(name);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = oerrno;
	return fd;
}

/* map_shared -- MAP_SYNC if the file allows it, else plain shared (internal) */
static void *
map_shared(int fd, size_t len, bool *map_sync)
{
	void *hint = map_hint(len);
	void *addr = mmap(hint, len, PROT_READ | PROT_WRITE,
		MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	if (addr != MAP_FAILED) {
		*map_sync = true;
		return addr;
	}
	if (errno != EINVAL && errno != EOPNOTSUPP)
		return MAP_FAILED;
	*map_sync = false;
	return mmap(hint, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
}

/* finish -- maps the open file, records it, fills the out-parameters (internal) */
static void *
finish(struct opened *o, const char *name, size_t len, bool devdax, int region,
		size_t *mapped_lenp, int *is_pmemp)
{
	bool map_sync = false;
	/* a file under emulation is pmem, as on DAX; a device DAX is real */
	bool emulated = Emu_domain != EMU_OFF && !devdax;
	void *addr = emulated ? emu_map(o->fd, len, map_hint(len), name) :
		map_shared(o->fd, len, &map_sync);
	if (addr == MAP_FAILED) {
		int oerrno = errno;
		err_set_errno(oerrno, "mmap %zu bytes", len);
		return fail(o, oerrno);
	}
	if (devdax || map_sync || emulated) {
		enum range_type type = devdax ? RANGE_DEVDAX :
			emulated ? RANGE_EMULATED : RANGE_MAP_SYNC;
		if (ranges_add(addr, len, type, region) != 0) {
			if (emulated)
				emu_unmap(addr, len);
			munmap(addr, len);
			err_set_errno(ENOMEM, "duplicated persistent memory range; "
				"presumably unmapped with munmap() instead of "
				"pmem_unmap()");
			return fail(o, ENOMEM);
		}
	}
	close(o->fd);
	log_write(LOG_CALL, "mapped %zu bytes at %p (%s)", len, addr,
		devdax ? "device DAX" : emulated ? Chosen.mode :
		map_sync ? "MAP_SYNC" : "MAP_SHARED");
	if (mapped_lenp != NULL)
		*mapped_lenp = len;
	if (is_pmemp != NULL)
		*is_pmemp = pmem_is_pmem(addr, len);
	return addr;
}

/* map_devdax -- maps a whole device DAX (internal) */
static void *
map_devdax(const char *path, const struct stat *st, size_t len, int flags,
		size_t *mapped_lenp, int *is_pmemp)
{
	if (flags & ~(PMEM_FILE_CREATE | PMEM_FILE_SPARSE))
		return invalid("flag unsupported for Device DAX %x", flags);
	ssize_t size = devdax_size(st);
	if (size < 0)
		return invalid("unable to read Device DAX size");
	if (len != 0 && len != (size_t)size)
		return invalid("Device DAX length must be either 0 or the exact "
			"size of the device: %zd", size);
	struct opened o = { .fd = open(path, O_RDWR | O_CLOEXEC) };
	if (o.fd < 0)
		return fail_errno(NULL, errno, "open", path);
	return finish(&o, path, (size_t)size, true, devdax_region(st),
		mapped_lenp, is_pmemp);
}

/* size_file -- sets the size of a file opened with CREATE (internal) */
static int
size_file(struct opened *o, size_t len, int flags)
{
	struct stat st;
	if (fstat(o->fd, &st) != 0) {
		int oerrno = errno;
		err_set_errno(oerrno, "fstat");
		return oerrno;
	}
	o->old_size = st.st_size;
	if (ftruncate(o->fd, (off_t)len) != 0) {
		int oerrno = errno;
		err_set_errno(oerrno, "ftruncate");
		return oerrno;
	}
	o->grown = (off_t)len > st.st_size;
	if (flags & PMEM_FILE_SPARSE)
		return 0;
	int ret = posix_fallocate(o->fd, 0, (off_t)len);
	if (ret != 0) {
		err_set_errno(ret, "posix_fallocate");
		return ret;
	}
	return 0;
}

PMEM_API void *
pmem_map_file(const char *path, size_t len, int flags, mode_t mode,
		size_t *mapped_lenp, int *is_pmemp)
{
	log_write(LOG_CALL, "pmem_map_file %s len %zu flags 0x%x mode 0%o",
		path ? path : "(null)", len, flags, (unsigned)mode);
	if (path == NULL)
		return invalid("invalid (NULL) path");

	struct stat st;
	bool devdax = false;
	if (access(path, F_OK) != 0) {
		if (errno != ENOENT) {
			int oerrno = errno;
			err_set_errno(oerrno, "os_access \"%s\"", path);
			return fail(NULL, oerrno);
		}
	} else if (stat(path, &st) != 0) {
		return fail_errno(NULL, errno, "stat", path);
	} else if (S_ISCHR(st.st_mode)) {
		int r = devdax_check(&st);
		if (r < 0)
			return fail(NULL, -r);
		if (r == 0)
			return fail(NULL, EINVAL);	/* message untouched, as PMDK */
		devdax = true;
	} else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		return invalid("file type 0%o not supported",
			(unsigned)(st.st_mode & S_IFMT));
	}

	if (flags & ~FILE_FLAGS)
		return invalid("invalid flag specified %x", flags);
	if (devdax)
		return map_devdax(path, &st, len, flags, mapped_lenp, is_pmemp);

	bool create = (flags & PMEM_FILE_CREATE) != 0;
	bool excl = (flags & PMEM_FILE_EXCL) != 0;
	if (create && (off_t)len < 0)
		return invalid("invalid file length %zu", len);
	if (len != 0 && !create)
		return invalid("non-zero 'len' not allowed without "
			"PMEM_FILE_CREATE");
	if (len == 0 && create)
		return invalid("zero 'len' not allowed with PMEM_FILE_CREATE");
	if ((flags & PMEM_FILE_TMPFILE) && !create)
		return invalid("PMEM_FILE_TMPFILE not allowed without "
			"PMEM_FILE_CREATE");

	struct opened o = { .fd = -1 };
	if (flags & PMEM_FILE_TMPFILE) {
		o.fd = open_tmpfile(path, excl);
		if (o.fd < 0)
			return fail_errno(NULL, errno, "open (tmpfile in)", path);
	} else if (create) {
		bool created;
		o.fd = open_create(path, mode, excl, &created);
		if (o.fd < 0)
			return fail_errno(NULL, errno, "open", path);
		o.created = created ? path : NULL;
	} else {
		o.fd = open(path, O_RDWR | O_CLOEXEC | (excl ? O_EXCL : 0));
		if (o.fd < 0)
			return fail_errno(NULL, errno, "open", path);
	}

	if (create) {
		int ret = size_file(&o, len, flags);
		if (ret != 0)
			return fail(&o, ret);
	} else {
		if (fstat(o.fd, &st) != 0)
			return fail_errno(&o, errno, "fstat", path);
		if ((uint64_t)st.st_size >= INT64_MAX) {
			err_set("file size (%jd) too big to be mapped",
				(intmax_t)st.st_size);
			return fail(&o, ERANGE);
		}
		len = (size_t)st.st_size;
	}
	char name[PATH_MAX + 32];
	if (flags & PMEM_FILE_TMPFILE)
		snprintf(name, sizeof(name), "unnamed file in %s", path);
	else
		snprintf(name, sizeof(name), "%s", path);
	return finish(&o, name, len, false, -1, mapped_lenp, is_pmemp);
}

PMEM_API int
pmem_unmap(void *addr, size_t len)
{
	size_t rounded = (len + Pagesize - 1) & ~(Pagesize - 1);
	ranges_remove(addr, rounded < len ? len : rounded);
	/* emulated views first write back what a clean shutdown would */
	if (Emu_domain != EMU_OFF)
		emu_unmap(addr, len);
	if (munmap(addr, len) != 0) {
		int oerrno = errno;
		err_set_errno(oerrno, "munmap");
		errno = oerrno;
		return -1;
	}
	log_write(LOG_CALL, "unmapped %zu bytes at %p", len, addr);
	return 0;
}

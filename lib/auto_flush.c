/*
 * auto_flush.c -- pmem_has_auto_flush(): do CPU caches belong to the
 * persistence domain (eADR) on every NVDIMM region?
 *
 * The walk is PMDK's: symlinks named *region* directly under the nd bus
 * directory, each with a persistence_domain attribute that must read
 * "cpu_cache\n". A region without the attribute is not eADR. Evaluated
 * afresh on each call; only the decision made at load is cached (init.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libpmem.h"
#include "api.h"
#include "auto_flush.h"
#include "emu.h"
#include "errormsg.h"

#define DOMAIN_MAX 32

/* region_is_eadr -- 1, 0 or -1 for one region directory (internal) */
static int
region_is_eadr(const char *bus_dir, const char *region)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s/persistence_domain", bus_dir,
		region);
	/* a regular file itself, not a link to one, as PMDK's walk sees it */
	struct stat st;
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;

	/* PMDK takes a domain it cannot open for "not eADR", silently */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[DOMAIN_MAX + 1];
	ssize_t n = read(fd, buf, DOMAIN_MAX);
	int oerrno = errno;
	close(fd);
	if (n < 0) {
		err_set_errno(oerrno, "read(%s)", path);
		errno = oerrno;
		return -1;
	}
	if (n == 0) {
		err_set("read(%s): empty file", path);
		errno = EIO;
		return -1;
	}
	if (buf[n - 1] != '\n') {
		err_set("read(%s) invalid format", path);
		return -1;
	}
	/* PMDK's comparison: the text before the final newline, as a string */
	buf[n - 1] = '\0';
	return strcmp(buf, "cpu_cache") == 0;
}

int
auto_flush_probe(const char *bus_dir)
{
	DIR *dir = opendir(bus_dir);
	if (dir == NULL)
		return 0;

	int regions = 0, result = 1;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		if (strstr(e->d_name, "region") == NULL)
			continue;
		struct stat st;
		if (fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0
				|| !S_ISLNK(st.st_mode))
			continue;
		regions++;
		result = region_is_eadr(bus_dir, e->d_name);
		if (result != 1)
			break;
	}
	closedir(dir);
	return regions == 0 ? 0 : result;
}

PMEM_API int
pmem_has_auto_flush(void)
{
	if (Emu_domain != EMU_OFF)
		return emu_has_auto_flush();
	return auto_flush_probe(ND_BUS_DEVICES);
}

/*
 * devdax.c -- device DAX through sysfs, without libndctl.
 *
 * /sys/dev/char/<major>:<minor> leads to the device: its subsystem link
 * names the bus ("dax"), "size" gives its length, and the region it sits in
 * owns the deep_flush attribute.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devdax.h"
#include "errormsg.h"

/* char_path -- "/sys/dev/char/M:m/<leaf>" (internal) */
static void
char_path(char *buf, size_t size, const struct stat *st, const char *leaf)
{
	snprintf(buf, size, "/sys/dev/char/%u:%u/%s", major(st->st_rdev),
		minor(st->st_rdev), leaf);
}

/* read_small -- reads a short sysfs attribute into buf (internal) */
static int
read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

int
devdax_check(const struct stat *st)
{
	char path[PATH_MAX], real[PATH_MAX];
	char_path(path, sizeof(path), st, "subsystem");
	if (realpath(path, real) == NULL) {
		int oerrno = errno;
		err_set_errno(oerrno, "realpath \"%s\"", path);
		return -oerrno;
	}
	const char *base = strrchr(real, '/');
	return base != NULL && strcmp(base, "/dax") == 0;
}

ssize_t
devdax_size(const struct stat *st)
{
	char path[PATH_MAX], buf[64];
	char_path(path, sizeof(path), st, "size");
	if (read_small(path, buf, sizeof(buf)) != 0)
		return -1;
	char *end;
	errno = 0;
	unsigned long long size = strtoull(buf, &end, 0);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') ||
			size > SSIZE_MAX)
		return -1;
	return (ssize_t)size;
}

int
devdax_region(const struct stat *st)
{
	char path[PATH_MAX], buf[32];
	char_path(path, sizeof(path), st, "device/dax_region/id");
	if (read_small(path, buf, sizeof(buf)) != 0)
		return -1;
	return atoi(buf);
}

void
devdax_region_deep_flush(int region_id)
{
	char path[PATH_MAX], buf[8];
	if (region_id < 0)
		return;
	snprintf(path, sizeof(path), "/sys/bus/nd/devices/region%d/deep_flush",
		region_id);
	if (read_small(path, buf, sizeof(buf)) == 0 && strcmp(buf, "0\n") == 0)
		return;	/* the region has nothing to flush (and refuses writes) */
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) != 1) {
		/* ignored, as PMDK does: the data was already drained */
	}
	close(fd);
}

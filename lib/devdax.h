/*
 * devdax.h -- recognising and sizing device DAX character devices.
 */
#ifndef PMEM_DEVDAX_H
#define PMEM_DEVDAX_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * For a character device: 1 if it is device DAX (its sysfs subsystem is
 * "dax"), 0 if not; -errno (message set) if its sysfs entry cannot be
 * resolved.
 */
int devdax_check(const struct stat *st);

/* The device's size in bytes, or -1 if sysfs does not say. */
ssize_t devdax_size(const struct stat *st);

/* The NVDIMM region the device belongs to, or -1 if unknown. */
int devdax_region(const struct stat *st);

/* Writes 1 to the region's deep_flush unless it reads 0; errors ignored. */
void devdax_region_deep_flush(int region_id);

#endif

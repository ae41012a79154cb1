/*
 * auto_flush.h -- eADR detection from sysfs.
 */
#ifndef PMEM_AUTO_FLUSH_H
#define PMEM_AUTO_FLUSH_H

/* The sysfs directory PMDK reads. */
#define ND_BUS_DEVICES "/sys/bus/nd/devices"

/*
 * 1 if bus_dir holds at least one region and every region's
 * persistence_domain is "cpu_cache"; 0 if not (or no regions, or no such
 * directory, or a persistence_domain cannot be opened); -1 if one could not
 * be read or is malformed (message set).
 */
int auto_flush_probe(const char *bus_dir);

#endif

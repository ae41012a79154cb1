/*
 * api.h -- marks the functions libpmem.so.1 exports.
 *
 * Everything is compiled with hidden visibility; only functions marked
 * PMEM_API are candidates for export, and libpmem.map names the 23 of them.
 */
#ifndef PMEM_API_H
#define PMEM_API_H

#define PMEM_API __attribute__((visibility("default")))

#endif

/*
 * libpmem.h -- the public interface: PMDK libpmem 1.x compatible.
 *
 * A program written for PMDK's libpmem 1.x compiles against this header
 * unchanged, and a program already linked against PMDK's libpmem.so.1 runs on
 * this library: same names, flag values, version macros and prototypes.
 *
 * Conventions: functions that can fail return -1 or NULL, set errno and leave
 * a sentence for pmem_errormsg(); the flush, drain and copy functions cannot
 * fail.
 */
#ifndef LIBPMEM_H
#define LIBPMEM_H 1

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* API version provided by this header; pass to pmem_check_version(). */
#define PMEM_MAJOR_VERSION 1
#define PMEM_MINOR_VERSION 1

/* Smallest part size the pool libraries accept (not used by libpmem itself). */
#define PMEM_MIN_PART ((size_t)(1024 * 1024 * 2))

/* Flags of pmem_map_file(). */
#define PMEM_FILE_CREATE	(1 << 0)	/* create or resize to len */
#define PMEM_FILE_EXCL		(1 << 1)	/* with CREATE: fail if it exists */
#define PMEM_FILE_SPARSE	(1 << 2)	/* with CREATE: do not allocate blocks */
#define PMEM_FILE_TMPFILE	(1 << 3)	/* with CREATE: anonymous file in dir */

/* Flags of pmem_memmove(), pmem_memcpy() and pmem_memset(). */
#define PMEM_F_MEM_NODRAIN	(1U << 0)	/* skip the final drain */
#define PMEM_F_MEM_NONTEMPORAL	(1U << 1)	/* use streaming stores */
#define PMEM_F_MEM_TEMPORAL	(1U << 2)	/* use cached stores + flush */
#define PMEM_F_MEM_WC		(1U << 3)	/* write-combining: streaming */
#define PMEM_F_MEM_WB		(1U << 4)	/* write-back: cached + flush */
#define PMEM_F_MEM_NOFLUSH	(1U << 5)	/* no flush, no drain */

#define PMEM_F_MEM_VALID_FLAGS (PMEM_F_MEM_NODRAIN | PMEM_F_MEM_NONTEMPORAL | \
		PMEM_F_MEM_TEMPORAL | PMEM_F_MEM_WC | PMEM_F_MEM_WB | \
		PMEM_F_MEM_NOFLUSH)

/*
 * Maps the whole file at path (created or resized to len with
 * PMEM_FILE_CREATE; len must be 0 otherwise). Returns the address and stores
 * the mapped length and the pmem verdict through the non-NULL out-parameters;
 * on failure returns NULL with errno set and leaves them untouched.
 */
void *pmem_map_file(const char *path, size_t len, int flags, mode_t mode,
		size_t *mapped_lenp, int *is_pmemp);

/* Unmaps a range and forgets it; 0, or -1 with errno as munmap(2). */
int pmem_unmap(void *addr, size_t len);

/* 1 if every byte of the range is persistent memory, else 0. */
int pmem_is_pmem(const void *addr, size_t len);

/* Flushes the range and waits for it to be durable (pmem only). */
void pmem_persist(const void *addr, size_t len);

/* Makes the range durable through the kernel (any file mapping); 0 or -1. */
int pmem_msync(const void *addr, size_t len);

/* 1 if the platform flushes CPU caches on power loss (eADR), 0 if not, -1 on error. */
int pmem_has_auto_flush(void);

/* Starts writing back the cache lines of the range; pair with pmem_drain(). */
void pmem_flush(const void *addr, size_t len);

/* Waits for every flush issued so far to be durable. */
void pmem_drain(void);

/* 1 if the platform needs no drain after flush; always 0 on x86-64. */
int pmem_has_hw_drain(void);

/* Like pmem_flush(), but flushes even on eADR platforms. */
void pmem_deep_flush(const void *addr, size_t len);

/* Makes flushed data durable beyond the persistence domain; 0 or -1. */
int pmem_deep_drain(const void *addr, size_t len);

/* pmem_deep_flush() then pmem_deep_drain(); 0 or -1. */
int pmem_deep_persist(const void *addr, size_t len);

/* Copies/fills and persists; return pmemdest. memcpy is overlap-safe too. */
void *pmem_memmove_persist(void *pmemdest, const void *src, size_t len);
void *pmem_memcpy_persist(void *pmemdest, const void *src, size_t len);
void *pmem_memset_persist(void *pmemdest, int c, size_t len);

/* Copies/fills and flushes without the final drain; return pmemdest. */
void *pmem_memmove_nodrain(void *pmemdest, const void *src, size_t len);
void *pmem_memcpy_nodrain(void *pmemdest, const void *src, size_t len);
void *pmem_memset_nodrain(void *pmemdest, int c, size_t len);

/* Copies/fills as the PMEM_F_MEM_* flags say; return pmemdest. */
void *pmem_memmove(void *pmemdest, const void *src, size_t len, unsigned flags);
void *pmem_memcpy(void *pmemdest, const void *src, size_t len, unsigned flags);
void *pmem_memset(void *pmemdest, int c, size_t len, unsigned flags);

/*
 * NULL if this library provides the API version major.minor (same major,
 * minor not newer); otherwise a message, which pmem_errormsg() also returns.
 */
const char *pmem_check_version(unsigned major_required, unsigned minor_required);

/* The calling thread's last error message ("" if none); do not free. */
const char *pmem_errormsg(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBPMEM_H */

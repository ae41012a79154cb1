/*
 * not_libpmem.c -- a shared library that gets libpmem's ABI wrong on purpose,
 * to show that check_abi.sh notices: one function of the 23, unversioned, and
 * two symbols PMDK does not export.
 */
#include <stddef.h>

void pmem_persist(const void *addr, size_t len);
int pmem_extra(void);
int pmem_weak_extra(void);

/* pmem_persist -- does nothing; exported without a version node */
void
pmem_persist(const void *addr, size_t len)
{
	(void)addr;
	(void)len;
}

/* pmem_extra -- a global PMDK does not have */
int
pmem_extra(void)
{
	return 1;
}

/* pmem_weak_extra -- a weak global PMDK does not have */
__attribute__((weak)) int
pmem_weak_extra(void)
{
	return 2;
}

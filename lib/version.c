/*
 * version.c -- pmem_check_version(): is this library's API what the caller
 * was compiled for?
 */
#include "libpmem.h"
#include "api.h"
#include "errormsg.h"

PMEM_API const char *
pmem_check_version(unsigned major_required, unsigned minor_required)
{
	if (major_required != PMEM_MAJOR_VERSION) {
		err_set("libpmem major version mismatch (need %u, found %u)",
			major_required, PMEM_MAJOR_VERSION);
		return err_buffer();
	}
	if (minor_required > PMEM_MINOR_VERSION) {
		err_set("libpmem minor version mismatch (need %u, found %u)",
			minor_required, PMEM_MINOR_VERSION);
		return err_buffer();
	}
	return NULL;
}

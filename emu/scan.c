/*
 * scan.c -- which pages of a private (ADR) view has the process written?
 *
 * A written page of a private file mapping is an anonymous copy; a page only
 * read is the file's own page-cache page. The kernel tells them apart:
 * PAGEMAP_SCAN (Linux 6.7) returns the runs of anonymous pages of a range,
 * walking only the page tables that exist, so a 64 GiB view with a few
 * written pages is scanned in microseconds. Older kernels: /proc/self/pagemap,
 * eight bytes per page. Without either, every page of the range counts as
 * written (correct, only slower: equal lines are not written back).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "emu_int.h"

/* The PAGEMAP_SCAN ABI (linux/fs.h of Linux 6.7), for older headers. */
struct emu_page_region {
	uint64_t start;
	uint64_t end;
	uint64_t categories;
};

struct emu_pm_scan_arg {
	uint64_t size;
	uint64_t flags;
	uint64_t start;
	uint64_t end;
	uint64_t walk_end;
	uint64_t vec;
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};

#define EMU_PAGEMAP_SCAN _IOWR('f', 16, struct emu_pm_scan_arg)
#define EMU_PAGE_IS_FILE (1u << 2)
#define EMU_PAGE_IS_PRESENT (1u << 3)
#define EMU_PAGE_IS_SWAPPED (1u << 4)

/* pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_FILE (1ull << 61)

static int No_pagemap_scan;	/* atomic: the ioctl is not supported */

/* scan_ioctl -- PAGEMAP_SCAN; 0, or -1 if unsupported (internal) */
static int
scan_ioctl(int pm, struct emu_thread *t, struct emu_view *v, uintptr_t start,
		uintptr_t end)
{
	struct emu_page_region vec[64];
	while (start < end) {
		struct emu_pm_scan_arg a = {
			.size = sizeof(a),
			.start = start,
			.end = end,
			.vec = (uintptr_t)vec,
			.vec_len = sizeof(vec) / sizeof(vec[0]),
			/* present or swapped, and not a file page */
			.category_inverted = EMU_PAGE_IS_FILE,
			.category_mask = EMU_PAGE_IS_FILE,
			.category_anyof_mask = EMU_PAGE_IS_PRESENT |
				EMU_PAGE_IS_SWAPPED,
			.return_mask = EMU_PAGE_IS_PRESENT | EMU_PAGE_IS_SWAPPED,
		};
		int n = ioctl(pm, EMU_PAGEMAP_SCAN, &a);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (int i = 0; i < n; i++)
			if (wb_add_run(t, v, vec[i].start, vec[i].end, false) != 0)
				return -1;
		if (a.walk_end <= start)
			return -1;
		start = a.walk_end;
	}
	return 0;
}

/* scan_read -- reads /proc/self/pagemap; 0 or -1 (internal) */
static int
scan_read(int pm, struct emu_thread *t, struct emu_view *v, uintptr_t start,
		uintptr_t end)
{
	uint64_t ent[512];
	uintptr_t run = 0;
	while (start < end) {
		size_t pages = (end - start) / Pagesize;
		if (pages > 512)
			pages = 512;
		ssize_t n = pread(pm, ent, pages * sizeof(ent[0]),
			(off_t)(start / Pagesize * sizeof(ent[0])));
		if (n <= 0 || n % (ssize_t)sizeof(ent[0]) != 0)
			return -1;
		for (size_t i = 0; i < (size_t)n / sizeof(ent[0]); i++) {
			uintptr_t page = start + i * Pagesize;
			bool written = (ent[i] & PM_SWAPPED) ||
				((ent[i] & PM_PRESENT) && !(ent[i] & PM_FILE));
			if (written && run == 0)
				run = page;
			if (!written && run != 0) {
				if (wb_add_run(t, v, run, page, false) != 0)
					return -1;
				run = 0;
			}
		}
		start += (size_t)n / sizeof(ent[0]) * Pagesize;
	}
	if (run != 0 && wb_add_run(t, v, run, start, false) != 0)
		return -1;
	return 0;
}

int
scan_written(struct emu_thread *t, struct emu_view *v, uintptr_t start,
		uintptr_t end)
{
	size_t before = t->nruns;
	start &= ~(uintptr_t)(Pagesize - 1);
	end = (end + Pagesize - 1) & ~(uintptr_t)(Pagesize - 1);
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int ret = -1;
	if (pm >= 0) {
		if (!__atomic_load_n(&No_pagemap_scan, __ATOMIC_RELAXED)) {
			ret = scan_ioctl(pm, t, v, start, end);
			if (ret != 0 && (errno == ENOTTY || errno == EINVAL))
				__atomic_store_n(&No_pagemap_scan, 1,
					__ATOMIC_RELAXED);
		}
		if (ret != 0) {
			t->nruns = before;
			ret = scan_read(pm, t, v, start, end);
		}
		close(pm);
	}
	if (ret != 0) {
		t->nruns = before;
		if (wb_add_run(t, v, start, end, false) != 0)
			return -1;
	}
	return 0;
}

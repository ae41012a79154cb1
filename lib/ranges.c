/*
 * ranges.c -- the recorded pmem ranges: a sorted array of disjoint entries
 * under a reader-writer lock. Lookups are binary searches; mappings are few,
 * so inserting and removing by moving entries is cheap enough.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ranges.h"

static pthread_rwlock_t Lock = PTHREAD_RWLOCK_INITIALIZER;
static struct range *Ranges;
static size_t Count;
static size_t Capacity;

/* first_ending_after -- index of the first entry with end > addr (internal) */
static size_t
first_ending_after(uintptr_t addr)
{
	size_t lo = 0, hi = Count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (Ranges[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* reserve -- makes room for n more entries (internal) */
static int
reserve(size_t n)
{
	if (Count + n <= Capacity)
		return 0;
	size_t cap = Capacity ? Capacity * 2 : 16;
	while (cap < Count + n)
		cap *= 2;
	struct range *r = realloc(Ranges, cap * sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	Ranges = r;
	Capacity = cap;
	return 0;
}

/* insert_at -- inserts r at index i (room reserved) (internal) */
static void
insert_at(size_t i, const struct range *r)
{
	memmove(&Ranges[i + 1], &Ranges[i], (Count - i) * sizeof(*r));
	Ranges[i] = *r;
	Count++;
}

int
ranges_add(const void *addr, size_t len, enum range_type type, int region_id)
{
	struct range r = {
		.start = (uintptr_t)addr,
		.end = (uintptr_t)addr + len,
		.type = type,
		.region_id = region_id,
	};
	int ret = 0;
	pthread_rwlock_wrlock(&Lock);
	size_t i = first_ending_after(r.start);
	if (i < Count && Ranges[i].start < r.end)
		ret = -ENOMEM;	/* overlaps: a stale entry, as PMDK reports it */
	else if ((ret = reserve(1)) == 0)
		insert_at(i, &r);
	pthread_rwlock_unlock(&Lock);
	return ret;
}

void
ranges_remove(const void *addr, size_t len)
{
	uintptr_t start = (uintptr_t)addr, end = start + len;
	if (len == 0)
		return;
	pthread_rwlock_wrlock(&Lock);
	size_t i = first_ending_after(start);
	while (i < Count && Ranges[i].start < end) {
		struct range *r = &Ranges[i];
		if (r->start < start && r->end > end) {
			/* a hole in the middle: split in two */
			if (reserve(1) != 0)
				break;	/* keep the entry: ignored, as in PMDK */
			r = &Ranges[i];
			struct range upper = *r;
			upper.start = end;
			r->end = start;
			insert_at(i + 1, &upper);
			break;
		}
		if (r->start < start) {
			r->end = start;
			i++;
		} else if (r->end > end) {
			r->start = end;
			break;
		} else {
			memmove(r, r + 1, (Count - i - 1) * sizeof(*r));
			Count--;
		}
	}
	pthread_rwlock_unlock(&Lock);
}

int
ranges_cover(const void *addr, size_t len)
{
	if (len == 0)
		return 0;
	uintptr_t p = (uintptr_t)addr, end = p + len;
	if (end < p)
		return 0;
	int covered = 0;
	pthread_rwlock_rdlock(&Lock);
	for (size_t i = first_ending_after(p); i < Count; i++) {
		if (Ranges[i].start > p)
			break;
		p = Ranges[i].end;
		if (p >= end) {
			covered = 1;
			break;
		}
	}
	pthread_rwlock_unlock(&Lock);
	return covered;
}

int
ranges_walk(const void *addr, size_t len,
		int (*fn)(uintptr_t start, uintptr_t end,
			const struct range *r, void *arg), void *arg)
{
	uintptr_t p = (uintptr_t)addr, end = p + len;
	int ret = 0;
	pthread_rwlock_rdlock(&Lock);
	for (size_t i = first_ending_after(p); p < end && ret == 0; i++) {
		if (i >= Count || Ranges[i].start >= end) {
			ret = fn(p, end, NULL, arg);
			break;
		}
		if (Ranges[i].start > p) {
			ret = fn(p, Ranges[i].start, NULL, arg);
			p = Ranges[i].start;
			if (ret != 0)
				break;
		}
		uintptr_t e = Ranges[i].end < end ? Ranges[i].end : end;
		ret = fn(p, e, &Ranges[i], arg);
		p = e;
	}
	pthread_rwlock_unlock(&Lock);
	return ret;
}

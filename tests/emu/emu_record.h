/*
 * emu_record.h -- numbered records whose every byte depends on the number,
 * so that a torn, stale or misplaced record is told from an intact one.
 */
#ifndef TESTS_EMU_EMU_RECORD_H
#define TESTS_EMU_EMU_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <libpmem.h>

/* record_byte -- byte i of record seq (never 0 for i >= 8) */
static inline unsigned char
record_byte(uint64_t seq, size_t i)
{
	uint64_t x = (seq + 1) * 0x9e3779b97f4a7c15ULL + i * 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	unsigned char b = (unsigned char)(x * 0x94d049bb133111ebULL >> 56);
	return b == 0 ? 1 : b;
}

/* record_fill -- record seq into rec: the number, then its pattern */
static inline void
record_fill(unsigned char *rec, size_t size, uint64_t seq)
{
	memcpy(rec, &seq, sizeof(seq));
	for (size_t i = sizeof(seq); i < size; i++)
		rec[i] = record_byte(seq, i);
}

/* record_persist_all -- records 0 to n - 1 from p on, each persisted */
static inline void
record_persist_all(unsigned char *p, size_t size, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		record_fill(p + i * size, size, (uint64_t)i);
		pmem_persist(p + i * size, size);
	}
}

/* record_ok -- rec is record seq, whole */
static inline bool
record_ok(const unsigned char *rec, size_t size, uint64_t seq)
{
	uint64_t got;
	memcpy(&got, rec, sizeof(got));
	if (got != seq)
		return false;
	for (size_t i = sizeof(seq); i < size; i++)
		if (rec[i] != record_byte(seq, i))
			return false;
	return true;
}

#endif

/*
 * x86_insn.h (counting) -- the flush and fence instructions, each also counted.
 *
 * Linked only into the test build of the library: tests read Insn_counts to
 * see how many lines were flushed with which instruction and how many fences
 * were issued. Counters are per thread.
 */
#ifndef PMEM_X86_INSN_H
#define PMEM_X86_INSN_H

struct insn_counts {
	unsigned long clflush;
	unsigned long clflushopt;
	unsigned long clwb;
	unsigned long sfence;
};

extern __thread struct insn_counts Insn_counts;

static inline void
insn_clflush(const void *p)
{
	Insn_counts.clflush++;
	__asm__ volatile("clflush %0" :: "m"(*(const volatile char *)p) : "memory");
}

static inline void
insn_clflushopt(const void *p)
{
	Insn_counts.clflushopt++;
	__asm__ volatile("clflushopt %0" :: "m"(*(const volatile char *)p) : "memory");
}

static inline void
insn_clwb(const void *p)
{
	Insn_counts.clwb++;
	__asm__ volatile("clwb %0" :: "m"(*(const volatile char *)p) : "memory");
}

static inline void
insn_sfence(void)
{
	Insn_counts.sfence++;
	__asm__ volatile("sfence" ::: "memory");
}

#endif

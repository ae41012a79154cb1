/*
 * x86_insn.h -- the flush and fence instructions, as the library executes them.
 *
 * The test build swaps this header for insn/counting/x86_insn.h, which also
 * counts each instruction: the seam through which tests observe dispatch.
 */
#ifndef PMEM_X86_INSN_H
#define PMEM_X86_INSN_H

static inline void
insn_clflush(const void *p)
{
	__asm__ volatile("clflush %0" :: "m"(*(const volatile char *)p) : "memory");
}

static inline void
insn_clflushopt(const void *p)
{
	__asm__ volatile("clflushopt %0" :: "m"(*(const volatile char *)p) : "memory");
}

static inline void
insn_clwb(const void *p)
{
	__asm__ volatile("clwb %0" :: "m"(*(const volatile char *)p) : "memory");
}

static inline void
insn_sfence(void)
{
	__asm__ volatile("sfence" ::: "memory");
}

#endif

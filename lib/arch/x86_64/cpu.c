/*
 * cpu.c -- CPUID and XCR0: which flush instructions and vector widths exist.
 *
 * Unlike PMDK, AVX and AVX-512 count as present only when the OS has enabled
 * their register state in XCR0: a hypervisor may show the CPUID bit with the
 * state disabled, and using the registers would then fault.
 */
#include <cpuid.h>
#include <stdint.h>
#include <string.h>

#include "cpu.h"

#define CPUID1_EDX_CLFLUSH (1u << 19)
#define CPUID7_ECX_MOVDIR64B (1u << 28)

#define XCR0_SSE	(1u << 1)
#define XCR0_AVX	(1u << 2)
#define XCR0_OPMASK	(1u << 5)
#define XCR0_ZMM_HI256	(1u << 6)
#define XCR0_HI16_ZMM	(1u << 7)

/* xgetbv0 -- reads XCR0 (call only when OSXSAVE is set) (internal) */
static uint64_t
xgetbv0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

void
x86_cpu_probe(struct x86_cpu *cpu)
{
	unsigned a, b, c, d;
	memset(cpu, 0, sizeof(*cpu));

	unsigned max_leaf = __get_cpuid_max(0, NULL);
	__cpuid(0, a, b, c, d);
	memcpy(cpu->vendor, &b, 4);
	memcpy(cpu->vendor + 4, &d, 4);
	memcpy(cpu->vendor + 8, &c, 4);
	cpu->vendor[12] = '\0';
	cpu->intel = strcmp(cpu->vendor, "GenuineIntel") == 0;

	if (max_leaf < 1)
		return;
	__cpuid(1, a, b, c, d);
	cpu->clflush = (d & CPUID1_EDX_CLFLUSH) != 0;
	cpu->avx_cpuid = (c & bit_AVX) != 0;
	bool osxsave = (c & bit_OSXSAVE) != 0;
	uint64_t xcr0 = osxsave ? xgetbv0() : 0;
	bool os_ymm = (xcr0 & (XCR0_SSE | XCR0_AVX)) == (XCR0_SSE | XCR0_AVX);
	uint64_t zmm = XCR0_SSE | XCR0_AVX | XCR0_OPMASK | XCR0_ZMM_HI256 |
		XCR0_HI16_ZMM;
	bool os_zmm = (xcr0 & zmm) == zmm;
	cpu->avx = cpu->avx_cpuid && os_ymm;

	if (max_leaf < 7)
		return;
	__cpuid_count(7, 0, a, b, c, d);
	cpu->clflushopt = (b & bit_CLFLUSHOPT) != 0;
	cpu->clwb = (b & bit_CLWB) != 0;
	cpu->avx512f_cpuid = (b & bit_AVX512F) != 0;
	cpu->avx512f = cpu->avx512f_cpuid && os_zmm;
	cpu->movdir64b = (c & CPUID7_ECX_MOVDIR64B) != 0;
}

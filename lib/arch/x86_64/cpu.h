/*
 * cpu.h -- what the x86-64 CPU (and the OS) offer the library.
 */
#ifndef PMEM_X86_CPU_H
#define PMEM_X86_CPU_H

#include <stdbool.h>

struct x86_cpu {
	bool clflush;
	bool clflushopt;
	bool clwb;
	bool avx;		/* CPU has AVX and the OS saves YMM state */
	bool avx512f;		/* CPU has AVX-512F and the OS saves ZMM state */
	bool avx_cpuid;		/* the CPUID bit alone, whatever XCR0 says */
	bool avx512f_cpuid;
	bool movdir64b;
	bool intel;		/* vendor GenuineIntel */
	char vendor[13];
};

/* Reads CPUID (and XCR0 through XGETBV) once. */
void x86_cpu_probe(struct x86_cpu *cpu);

#endif

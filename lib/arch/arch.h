/*
 * arch.h -- the contract between the library core and CPU-specific code.
 *
 * The CPU code only fills tables; it never decides policy beyond its CPU.
 */
#ifndef PMEM_ARCH_H
#define PMEM_ARCH_H

#include <stdbool.h>

#include "ops.h"

/*
 * Probes the CPU and fills ops (flush, deep_flush, drain and the copy
 * dispatchers), Engine, Movnt_threshold and the CPU fields of Chosen, as
 * Config allows. flush_needed is false when flushing is off (eADR, or
 * PMEM_NO_FLUSH=1): flush becomes empty, drain an SFENCE, and copies use
 * cached stores without flushing unless asked to stream.
 */
void arch_init(struct pmem_ops *ops, bool flush_needed);

#endif

/*
 * counts.c -- storage for the test build's instruction counters.
 */
#include "x86_insn.h"

__thread struct insn_counts Insn_counts;

/*
 * crash_proto.h -- what the emulator and pmem-crashtest say to each other.
 *
 * pmem-crashtest starts the program with PMEM_EMULATE_CRASH_FD naming one
 * end of a Unix stream socket. The library, at load, sends a hello. Then, at
 * every persistence point (each drain -- explicit or inside persist, a
 * _persist copy or msync --, each pmem_unmap of an emulated view, and the end
 * of the program), before the point takes effect, it sends a point message
 * and waits:
 *
 *   library                          tool
 *   ct_point                 ->
 *                            <-      CT_GO (go on) or CT_STATE
 *   ct_state, ct_file x nfiles (each followed by its path),
 *   ct_line x nlines         ->
 *                            <-      CT_GO or CT_DIE
 *
 * CT_GO lets the point take effect and the program go on; CT_DIE ends the
 * process at once (_exit), as a power failure at that instant would: the
 * point never takes effect. The state lists the files of the emulated views
 * and every line whose content in the process differs from the file and is
 * not durable yet (under ADR: stored, whether flushed or not; under eADR:
 * streamed and not drained), with the words (8 bytes) that differ.
 *
 * With PMEM_EMULATE_CRASH_AT=K the library stops only at point K and at the
 * end of the program, and goes through the other points without a word.
 *
 * All integers are in the machine's byte order: both ends run on one host.
 */
#ifndef PMEM_CRASH_PROTO_H
#define PMEM_CRASH_PROTO_H

#include <stdint.h>

#define CT_MAGIC 0x54434d50u	/* "PMCT" */
#define CT_VERSION 1u

/* replies of the tool: one byte */
#define CT_GO 'g'
#define CT_STATE 's'
#define CT_DIE 'd'

/* the status of a process ended by CT_DIE */
#define CT_DIED_STATUS 77

enum ct_kind {
	CT_HELLO = 1,
	CT_DRAIN = 2,	/* pmem_drain, or the drain of a persist */
	CT_SYNC = 3,	/* pmem_msync, pmem_deep_drain, pmem_deep_persist */
	CT_UNMAP = 4,	/* pmem_unmap of an emulated view */
	CT_EXIT = 5,	/* the end of the program */
};

struct ct_point {
	uint32_t magic;
	uint32_t kind;		/* enum ct_kind */
	uint64_t point;		/* 1, 2, ...; for CT_HELLO the domain:
				 * 1 ADR, 2 eADR */
};

struct ct_state {
	uint32_t nfiles;
	uint32_t nlines;
};

struct ct_file {
	uint32_t index;		/* named by ct_line.file */
	uint32_t pathlen;	/* bytes of the absolute path that follow */
};

#define CT_LINE 64u

struct ct_line {
	uint32_t file;
	uint32_t len;		/* bytes of the line in the file: 64, or
				 * less at the end of a view */
	uint64_t off;		/* file offset, a multiple of 64 */
	uint8_t words;		/* bit i: bytes [8i, 8i+8) differ */
	uint8_t pad[7];
	uint8_t data[CT_LINE];	/* the process's content of the line */
};

#endif

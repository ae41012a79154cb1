/*
 * emu_report.h -- what emu_report_helper does, in numbers, for
 * emu_report_test to expect.
 */
#ifndef TESTS_EMU_EMU_REPORT_H
#define TESTS_EMU_EMU_REPORT_H

#define REP_FILE_MIN 0x20000	/* bytes of the file the helper maps */
#define REP_REDUNDANT 5		/* persists of a clean line */
#define REP_NOT_PMEM 3		/* persists of malloc'ed memory */
#define REP_THREADS 4		/* threads of the threads mode */
#define REP_THREAD_AREA 0x10000	/* their lines: a page each from here */

#endif

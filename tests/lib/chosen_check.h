/*
 * chosen_check.h -- checks that a test target runs the engine it means to.
 *
 * The library reads its environment once, at load, so the same test body is
 * run under several settings as several cc_test targets, each with its own
 * env. Besides the PMEM_* settings, a target names what they should select:
 *
 *   EXPECT_ENGINE            "avx512f", "avx", "sse2", "generic" or "libc"
 *   EXPECT_FLUSH             "clwb", "clflushopt" or "clflush"
 *   EXPECT_FLUSH_NEEDED      "1" or "0"
 *   EXPECT_MOVNT_THRESHOLD   a number of bytes, or vendor_default (64 on AMD,
 *                            256 elsewhere)
 *   EXPECT_WC_WORKAROUND     "1" or "0"
 *
 * EXPECT_ENGINE and EXPECT_FLUSH may list several names, best first
 * ("avx512f,avx,sse2"): the first one this CPU has is expected. A variable
 * left unset is not checked.
 */
#ifndef TESTS_LIB_CHOSEN_CHECK_H
#define TESTS_LIB_CHOSEN_CHECK_H

/*
 * Why this CPU cannot run what the target means to test (it lacks every
 * engine or flush instruction listed), or NULL if it can.
 */
const char *chosen_unsupported(void);

/* cmocka test: fails unless Chosen matches every EXPECT_* variable set. */
void chosen_matches_target(void **state);

/* Runs one cmocka test that skips with the message why; returns its status. */
int chosen_skip_target(const char *name, const char *why);

#endif

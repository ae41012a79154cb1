/*
 * emu_strict_test.c -- PMEM_EMULATE=adr with PMEM_EMULATE_STRICT=1: normal
 * exit and pmem_unmap do not write back what was not drained, so only
 * flushed-and-drained data reaches the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpmem.h>

#include "emu_util.h"

#define PAGE 4096
#define FILE_SIZE (4 * PAGE)

static void
store_without_flush_exit_lost(void **state)
{
	(void)state;
	eu_expect_two_lines(eu_step_store, EU_EXIT, EU_OLD);
}

static void
flush_without_drain_exit_lost(void **state)
{
	(void)state;
	eu_expect_two_lines(eu_step_flush, EU_EXIT, EU_OLD);
}

static void
store_without_flush_unmap_lost(void **state)
{
	(void)state;
	eu_expect_two_lines(eu_step_store, EU_UNMAP_KILL, EU_OLD);
}

static void
flush_without_drain_unmap_lost(void **state)
{
	(void)state;
	eu_expect_two_lines(eu_step_flush, EU_UNMAP_KILL, EU_OLD);
}

static void
flush_drain_exit_kept(void **state)
{
	(void)state;
	eu_expect_two_lines(eu_step_flush_drain, EU_EXIT, EU_NEW);
}

static void
persist_unmap_kept(void **state)
{
	(void)state;
	eu_expect_two_lines(eu_step_persist, EU_UNMAP_KILL, EU_NEW);
}

/* drained_then_undrained -- line 0: A persisted, later B stored and
 * flushed; line 2: a copy drained; line 1: a copy without drain (the
 * undrained ones last: any drain would make them durable) */
static void
drained_then_undrained(char *p, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	char *l = p + PAGE;
	memset(l, 'A', EU_LINE);
	pmem_persist(l, EU_LINE);
	pmem_memset_persist(l + 2 * EU_LINE, 'D', EU_LINE);
	memset(l, 'B', EU_LINE);
	pmem_flush(l, EU_LINE);
	pmem_memset_nodrain(l + EU_LINE, 'C', EU_LINE);
}

static void
only_drained_data_survives_exit(void **state)
{
	(void)state;
	char *f = eu_fresh_file(FILE_SIZE);
	eu_child_run(f, drained_then_undrained, NULL, EU_EXIT);
	eu_expect_bytes(f, PAGE, EU_LINE, 'A');
	eu_expect_bytes(f, PAGE + EU_LINE, EU_LINE, EU_OLD);
	eu_expect_bytes(f, PAGE + 2 * EU_LINE, EU_LINE, 'D');
	eu_expect_bytes(f, PAGE + 3 * EU_LINE, FILE_SIZE - PAGE - 3 * EU_LINE,
		EU_OLD);
	eu_remove_file(f);
}

int
main(void)
{
	if (eu_domain() != EU_ADR || getenv("PMEM_EMULATE_STRICT") == NULL ||
			strcmp(getenv("PMEM_EMULATE_STRICT"), "1") != 0) {
		fprintf(stderr, "the target must set PMEM_EMULATE=adr and "
			"PMEM_EMULATE_STRICT=1\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(store_without_flush_exit_lost),
		cmocka_unit_test(flush_without_drain_exit_lost),
		cmocka_unit_test(store_without_flush_unmap_lost),
		cmocka_unit_test(flush_without_drain_unmap_lost),
		cmocka_unit_test(flush_drain_exit_kept),
		cmocka_unit_test(persist_unmap_kept),
		cmocka_unit_test(only_drained_data_survives_exit),
	};
	return cmocka_run_group_tests(tests, eu_setup, eu_teardown);
}

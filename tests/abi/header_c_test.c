/*
 * header_c_test.c -- libpmem.h compiles alone as C (c99, c11, gnu11, with
 * -pedantic) and agrees with PMDK's header.
 */
#include <libpmem.h>

#include <stdio.h>

#include "header_checks.h"

/* main -- runs the checks, naming the C standard */
int
main(void)
{
#if __STDC_VERSION__ >= 201112L
	return run_header_checks("C11");
#else
	return run_header_checks("C99");
#endif
}

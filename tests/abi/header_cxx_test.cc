/*
 * header_cxx_test.cc -- libpmem.h compiles alone as C++ (c++98, c++11,
 * c++17, with -pedantic), its functions have C linkage, and it agrees with
 * PMDK's header.
 */
#include <libpmem.h>

#include <stdio.h>

#include "header_checks.h"

/* main -- runs the checks, naming the C++ standard */
int
main()
{
#if __cplusplus >= 201703L
	return run_header_checks("C++17");
#elif __cplusplus >= 201103L
	return run_header_checks("C++11");
#else
	return run_header_checks("C++98");
#endif
}

/*
 * header_checks.h -- what a program compiled against libpmem.h may rely on:
 * PMDK's macro values and types (checked at compile time) and PMDK's exact
 * prototypes with C linkage (redeclared: any difference is a compile error).
 *
 * Included right after <libpmem.h> by header_c_test.c and header_cxx_test.cc,
 * which are compiled under several language standards with -pedantic.
 */
#ifndef HEADER_CHECKS_H
#define HEADER_CHECKS_H

#define CHECK_CONCAT2(a, b) a##b
#define CHECK_CONCAT(a, b) CHECK_CONCAT2(a, b)

/* STATIC_CHECK -- fails the compilation if cond is false */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define STATIC_CHECK(cond) static_assert(cond, #cond)
#elif !defined(__cplusplus) && defined(__STDC_VERSION__) && \
	__STDC_VERSION__ >= 201112L
#define STATIC_CHECK(cond) _Static_assert(cond, #cond)
#else
/* C99 and C++98 have no static assertion: a negative array size fails */
#define STATIC_CHECK(cond) \
	typedef char CHECK_CONCAT(static_check_, __LINE__)[(cond) ? 1 : -1]
#endif

/* HAS_TYPE -- whether expression e has exactly type t */
#ifdef __cplusplus
template <typename A, typename B> struct same_type { enum { value = 0 }; };
template <typename A> struct same_type<A, A> { enum { value = 1 }; };
#define HAS_TYPE(e, t) (same_type<__typeof__(e), t>::value)
#else
#define HAS_TYPE(e, t) __builtin_types_compatible_p(__typeof__(e), t)
#endif

/* The header guard PMDK's header defines, which some programs test. */
#ifndef LIBPMEM_H
#error "libpmem.h does not define LIBPMEM_H"
#endif

/* Macros programs test in #if: they must be preprocessor constants. */
#if PMEM_MAJOR_VERSION != 1 || PMEM_MINOR_VERSION != 1
#error "API version is not 1.1"
#endif
#if PMEM_FILE_CREATE != 1 || PMEM_FILE_EXCL != 2 || PMEM_FILE_SPARSE != 4 || \
	PMEM_FILE_TMPFILE != 8
#error "PMEM_FILE_* values differ from PMDK's"
#endif
#if PMEM_F_MEM_NODRAIN != 1 || PMEM_F_MEM_NONTEMPORAL != 2 || \
	PMEM_F_MEM_TEMPORAL != 4 || PMEM_F_MEM_WC != 8 || PMEM_F_MEM_WB != 16 || \
	PMEM_F_MEM_NOFLUSH != 32 || PMEM_F_MEM_VALID_FLAGS != 0x3f
#error "PMEM_F_MEM_* values differ from PMDK's"
#endif

/* PMDK's values, numerically. */
STATIC_CHECK(PMEM_MAJOR_VERSION == 1);
STATIC_CHECK(PMEM_MINOR_VERSION == 1);
STATIC_CHECK(PMEM_MIN_PART == 2097152);
STATIC_CHECK(PMEM_FILE_CREATE == 1);
STATIC_CHECK(PMEM_FILE_EXCL == 2);
STATIC_CHECK(PMEM_FILE_SPARSE == 4);
STATIC_CHECK(PMEM_FILE_TMPFILE == 8);
STATIC_CHECK(PMEM_F_MEM_NODRAIN == 1u);
STATIC_CHECK(PMEM_F_MEM_NONTEMPORAL == 2u);
STATIC_CHECK(PMEM_F_MEM_TEMPORAL == 4u);
STATIC_CHECK(PMEM_F_MEM_WC == 8u);
STATIC_CHECK(PMEM_F_MEM_WB == 16u);
STATIC_CHECK(PMEM_F_MEM_NOFLUSH == 32u);
STATIC_CHECK(PMEM_F_MEM_VALID_FLAGS == 0x3fu);

/* PMDK's types: int for file flags, unsigned for copy flags, size_t. */
STATIC_CHECK(HAS_TYPE(PMEM_MAJOR_VERSION, int));
STATIC_CHECK(HAS_TYPE(PMEM_MINOR_VERSION, int));
STATIC_CHECK(HAS_TYPE(PMEM_MIN_PART, size_t));
STATIC_CHECK(HAS_TYPE(PMEM_FILE_CREATE, int));
STATIC_CHECK(HAS_TYPE(PMEM_FILE_EXCL, int));
STATIC_CHECK(HAS_TYPE(PMEM_FILE_SPARSE, int));
STATIC_CHECK(HAS_TYPE(PMEM_FILE_TMPFILE, int));
STATIC_CHECK(HAS_TYPE(PMEM_F_MEM_NODRAIN, unsigned));
STATIC_CHECK(HAS_TYPE(PMEM_F_MEM_NONTEMPORAL, unsigned));
STATIC_CHECK(HAS_TYPE(PMEM_F_MEM_TEMPORAL, unsigned));
STATIC_CHECK(HAS_TYPE(PMEM_F_MEM_WC, unsigned));
STATIC_CHECK(HAS_TYPE(PMEM_F_MEM_WB, unsigned));
STATIC_CHECK(HAS_TYPE(PMEM_F_MEM_NOFLUSH, unsigned));
STATIC_CHECK(HAS_TYPE(PMEM_F_MEM_VALID_FLAGS, unsigned));

/*
 * PMDK 1.12.1's prototypes. In C a redeclaration with another type is an
 * error; in C++ an extern "C" redeclaration of a function the header gave
 * C++ linkage, or another signature, is an error.
 */
#ifdef __cplusplus
extern "C" {
#endif
void *pmem_map_file(const char *path, size_t len, int flags, mode_t mode,
		size_t *mapped_lenp, int *is_pmemp);
int pmem_unmap(void *addr, size_t len);
int pmem_is_pmem(const void *addr, size_t len);
void pmem_persist(const void *addr, size_t len);
int pmem_msync(const void *addr, size_t len);
int pmem_has_auto_flush(void);
void pmem_flush(const void *addr, size_t len);
void pmem_deep_flush(const void *addr, size_t len);
int pmem_deep_drain(const void *addr, size_t len);
int pmem_deep_persist(const void *addr, size_t len);
void pmem_drain(void);
int pmem_has_hw_drain(void);
void *pmem_memmove_persist(void *pmemdest, const void *src, size_t len);
void *pmem_memcpy_persist(void *pmemdest, const void *src, size_t len);
void *pmem_memset_persist(void *pmemdest, int c, size_t len);
void *pmem_memmove_nodrain(void *pmemdest, const void *src, size_t len);
void *pmem_memcpy_nodrain(void *pmemdest, const void *src, size_t len);
void *pmem_memset_nodrain(void *pmemdest, int c, size_t len);
void *pmem_memmove(void *pmemdest, const void *src, size_t len,
		unsigned flags);
void *pmem_memcpy(void *pmemdest, const void *src, size_t len,
		unsigned flags);
void *pmem_memset(void *pmemdest, int c, size_t len, unsigned flags);
const char *pmem_check_version(unsigned major_required,
		unsigned minor_required);
const char *pmem_errormsg(void);
#ifdef __cplusplus
}
#endif

typedef void (*any_function)(void);

/* Every function, so that linking proves each exists under its C name. */
static const any_function All_functions[] = {
	(any_function)pmem_map_file, (any_function)pmem_unmap,
	(any_function)pmem_is_pmem, (any_function)pmem_persist,
	(any_function)pmem_msync, (any_function)pmem_has_auto_flush,
	(any_function)pmem_flush, (any_function)pmem_deep_flush,
	(any_function)pmem_deep_drain, (any_function)pmem_deep_persist,
	(any_function)pmem_drain, (any_function)pmem_has_hw_drain,
	(any_function)pmem_memmove_persist, (any_function)pmem_memcpy_persist,
	(any_function)pmem_memset_persist, (any_function)pmem_memmove_nodrain,
	(any_function)pmem_memcpy_nodrain, (any_function)pmem_memset_nodrain,
	(any_function)pmem_memmove, (any_function)pmem_memcpy,
	(any_function)pmem_memset, (any_function)pmem_check_version,
	(any_function)pmem_errormsg,
};

STATIC_CHECK(sizeof(All_functions) / sizeof(All_functions[0]) == 23);

/* run_header_checks -- the run-time half: the library agrees with the header */
static int
run_header_checks(const char *language)
{
	int failed = 0;
	size_t i;
	for (i = 0; i < sizeof(All_functions) / sizeof(All_functions[0]); i++) {
		if (All_functions[i] == 0) {
			printf("FAIL: function %u has a null address\n",
				(unsigned)i);
			failed = 1;
		}
	}
	if (pmem_check_version(PMEM_MAJOR_VERSION, PMEM_MINOR_VERSION) != 0) {
		printf("FAIL: the library refuses the header's version: %s\n",
			pmem_errormsg());
		failed = 1;
	}
	if (pmem_check_version(PMEM_MAJOR_VERSION + 1, 0) == 0) {
		printf("FAIL: the library accepts major version %d\n",
			PMEM_MAJOR_VERSION + 1);
		failed = 1;
	}
	if (!failed)
		printf("libpmem.h as %s: PMDK's macros, types and prototypes\n",
			language);
	return failed;
}

#endif

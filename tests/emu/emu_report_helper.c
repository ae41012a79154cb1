/*
 * emu_report_helper.c -- programs with known persistence bugs, for
 * emu_report_test (PMEM_EMULATE_REPORT):
 *
 *   emu_report_helper MODE FILE END
 *
 * MODE is one bug, "all" of the ADR ones, or "clean" (none); END is "unmap"
 * (pmem_unmap before returning from main) or "exit" (the mapping still
 * live at exit). FILE must exist, of at least FILE_MIN bytes. Each bug is
 * made by its own function, rep_<bug>, which calls the library itself:
 * the report must name that function as the site. Before the bugs, the
 * helper prints one line per such function,
 *   fn NAME 0xOFFSET SIZE
 * its offset in the program as the report's site gives it (the address less
 * the load bias) and its size, so that the test can check the site's
 * offsets. Built with -rdynamic (so that dladdr knows the functions' names)
 * and without sibling calls (a call in tail position would return to main).
 *
 * The bugs, at the offsets emu_report_test expects:
 *   store      one line stored at 0x1040, three at 0x2000: never flushed
 *   flush      two lines stored at 0x3000 and flushed, never drained
 *   redundant  a line at 0x4000 stored and persisted, then persisted
 *              REDUNDANT more times with no store
 *   malloc     pmem_persist of malloc'ed memory, NOT_PMEM times
 *   stream     (eADR) a non-temporal pmem_memcpy of 256 bytes to 0x5000,
 *              without drain
 *   threads    THREADS threads, each persisting its own lines correctly
 *              and persisting one clean line REDUNDANT times; then one
 *              thread that flushes 0x6000 and ends without a drain
 *   fork       the redundant bug, then a child (whose pid it prints,
 *              "child PID") that makes the flush bug and exits
 *
 * Exit status 2 for a wrong use or a failed call.
 */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libpmem.h>

#include "emu_report.h"

#define REP_FN __attribute__((noinline, noclone))

/* fail -- reports a failed step and exits with status 2 */
static void
fail(const char *what)
{
	fprintf(stderr, "emu_report_helper: %s: %s\n", what, pmem_errormsg());
	exit(2);
}

REP_FN void
rep_store(char *p)
{
	memset(p + 0x1040, 'n', 64);
	memset(p + 0x2000, 'n', 3 * 64);
}

REP_FN void
rep_flush_no_drain(char *p)
{
	memset(p + 0x3000, 'n', 128);
	pmem_flush(p + 0x3000, 128);
}

REP_FN void
rep_redundant(char *p)
{
	for (int i = 0; i < REP_REDUNDANT; i++)
		pmem_persist(p + 0x4000, 64);
}

REP_FN void
rep_malloc_persist(char *buf)
{
	for (int i = 0; i < REP_NOT_PMEM; i++) {
		buf[i] = 'n';
		pmem_persist(buf, 64);
	}
}

REP_FN void
rep_stream_no_drain(char *p, const char *src)
{
	pmem_memcpy(p + 0x5000, src, 256,
		PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_NODRAIN);
}

/* a correct program: store, then persist; copies persisted by the library */
REP_FN void
rep_clean(char *p)
{
	memset(p + 0x1000, 'c', 200);
	pmem_persist(p + 0x1000, 200);
	memset(p + 0x1800, 'c', 64);
	pmem_flush(p + 0x1800, 64);
	pmem_drain();
	char src[300];
	memset(src, 'c', sizeof(src));
	pmem_memcpy_persist(p + 0x2000, src, sizeof(src));
	pmem_memset_persist(p + 0x3000, 'c', 5000);
	pmem_memcpy(p + 0x5000, src, sizeof(src), PMEM_F_MEM_NONTEMPORAL);
	memset(p + 0x7000, 'c', 64);
	pmem_deep_persist(p + 0x7000, 64);
	/* memory that is not pmem made durable the way it needs */
	char *heap = malloc(64);
	if (heap == NULL)
		fail("malloc");
	memset(heap, 'c', 64);
	if (pmem_msync(heap, 64) != 0)
		fail("pmem_msync");
	pmem_deep_persist(heap, 64);
	free(heap);
}

/* what a thread of the threads mode persists */
struct thread_arg {
	char *p;
	int idx;
};

REP_FN void
rep_thread_redundant(char *line)
{
	for (int i = 0; i < REP_REDUNDANT; i++)
		pmem_persist(line, 64);
}

/* worker -- own lines persisted, then one clean line again and again */
static void *
worker(void *arg)
{
	struct thread_arg *a = arg;
	char *mine = a->p + REP_THREAD_AREA + (size_t)a->idx * 4096;
	for (int i = 0; i < 64; i++) {
		memset(mine + i * 64, 'a' + a->idx, 64);
		pmem_persist(mine + i * 64, 64);
	}
	rep_thread_redundant(mine);
	return NULL;
}

REP_FN void
rep_thread_flush(char *p)
{
	memset(p + 0x6000, 'n', 64);
	pmem_flush(p + 0x6000, 64);
}

/* flusher -- flushes a line and ends without a drain */
static void *
flusher(void *arg)
{
	rep_thread_flush(arg);
	return NULL;
}

/* run_threads -- the threads mode */
static void
run_threads(char *p)
{
	pthread_t th[REP_THREADS];
	struct thread_arg args[REP_THREADS];
	for (int i = 0; i < REP_THREADS; i++) {
		args[i] = (struct thread_arg){ p, i };
		if (pthread_create(&th[i], NULL, worker, &args[i]) != 0)
			fail("pthread_create");
	}
	for (int i = 0; i < REP_THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_t f;
	if (pthread_create(&f, NULL, flusher, p) != 0)
		fail("pthread_create");
	pthread_join(f, NULL);
}

/* print_fn -- "fn NAME 0xOFFSET SIZE" for a function of this program */
static void
print_fn(const char *name, void *fn)
{
	Dl_info info;
	struct link_map *lm = NULL;
	const ElfW(Sym) *sym = NULL;
	if (dladdr1(fn, &info, (void **)&lm, RTLD_DL_LINKMAP) == 0 ||
			lm == NULL)
		fail("dladdr1 (link map)");
	if (dladdr1(fn, &info, (void **)&sym, RTLD_DL_SYMENT) == 0 ||
			sym == NULL)
		fail("dladdr1 (symbol)");
	printf("fn %s 0x%jx %ju\n", name,
		(uintmax_t)((uintptr_t)fn - (uintptr_t)lm->l_addr),
		(uintmax_t)sym->st_size);
}

#define PRINT_FN(f) print_fn(#f, (void *)(f))

int
main(int argc, char *argv[])
{
	if (argc != 4 || (strcmp(argv[3], "unmap") != 0 &&
			strcmp(argv[3], "exit") != 0)) {
		fprintf(stderr, "usage: emu_report_helper MODE FILE unmap|exit\n");
		return 2;
	}
	PRINT_FN(rep_store);
	PRINT_FN(rep_flush_no_drain);
	PRINT_FN(rep_redundant);
	PRINT_FN(rep_malloc_persist);
	PRINT_FN(rep_stream_no_drain);
	PRINT_FN(rep_thread_redundant);
	PRINT_FN(rep_thread_flush);
	fflush(stdout);

	const char *mode = argv[1];
	size_t len;
	int is_pmem = 0;
	char *p = pmem_map_file(argv[2], 0, 0, 0, &len, &is_pmem);
	if (p == NULL)
		fail("pmem_map_file");
	if (!is_pmem || len < REP_FILE_MIN)
		fail("not an emulated file of FILE_MIN bytes");
	bool all = strcmp(mode, "all") == 0;
	bool known = all;
	if (all || strcmp(mode, "store") == 0) {
		rep_store(p);
		known = true;
	}
	if (all || strcmp(mode, "redundant") == 0) {
		memset(p + 0x4000, 'n', 64);
		pmem_persist(p + 0x4000, 64);	/* needed: not redundant */
		rep_redundant(p);
		known = true;
	}
	if (all || strcmp(mode, "malloc") == 0) {
		char *buf = malloc(64);
		if (buf == NULL)
			fail("malloc");
		printf("heap %p\n", (void *)buf);
		rep_malloc_persist(buf);
		free(buf);
		known = true;
	}
	/* last: any later drain would drain it */
	if (all || strcmp(mode, "flush") == 0) {
		rep_flush_no_drain(p);
		known = true;
	}
	if (strcmp(mode, "stream") == 0) {
		char src[256];
		memset(src, 's', sizeof(src));
		rep_stream_no_drain(p, src);
		known = true;
	}
	if (strcmp(mode, "threads") == 0) {
		run_threads(p);
		known = true;
	}
	if (strcmp(mode, "fork") == 0) {
		memset(p + 0x4000, 'n', 64);
		pmem_persist(p + 0x4000, 64);
		rep_redundant(p);
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0)
			fail("fork");
		if (pid == 0) {
			rep_flush_no_drain(p);
			exit(0);
		}
		int status;
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
				WEXITSTATUS(status) != 0)
			fail("child");
		printf("child %d\n", (int)pid);
		known = true;
	}
	if (strcmp(mode, "clean") == 0) {
		rep_clean(p);
		known = true;
	}
	if (!known) {
		fprintf(stderr, "emu_report_helper: unknown mode %s\n", mode);
		return 2;
	}
	printf("done\n");
	if (strcmp(argv[3], "unmap") == 0 && pmem_unmap(p, len) != 0)
		fail("pmem_unmap");
	return 0;
}

/*
 * emu_util.h -- helpers for the tests of the emulation backend: files of a
 * known content, children that map a file, store, and then are killed with
 * SIGKILL or exit, what the file holds afterwards (read with pread, as
 * another process sees the persistent media), and programs run with their
 * output captured.
 *
 * Functions named eu_expect_* assert with cmocka and belong to the parent
 * (the test process). A child never asserts with cmocka (a failed assertion
 * would go on running the remaining tests in the child): it uses EU_CHECK,
 * which reports on stderr and exits with EU_CHILD_FAILED.
 *
 * Every test program works in one directory, Eu_dir, made and removed by
 * the group fixtures eu_setup and eu_teardown. The tests that run the helper
 * program (emu_helper.c) get its path as their argument, into Eu_helper.
 */
#ifndef TESTS_EMU_EMU_UTIL_H
#define TESTS_EMU_EMU_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#define EU_LINE 64
#define EU_OLD 'o'	/* what the file holds before the child runs */
#define EU_NEW 'n'	/* what the child stores */

/* Exit status of a child whose EU_CHECK failed. */
#define EU_CHILD_FAILED 86

/* Child side: a failed check ends the child at once. */
#define EU_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "child %s:%d: check failed: %s\n", \
			__FILE__, __LINE__, #cond); \
		_exit(EU_CHILD_FAILED); \
	} \
} while (0)

enum eu_domain { EU_ADR, EU_EADR };

/* The domain PMEM_EMULATE of this process asks for; aborts if none. */
enum eu_domain eu_domain(void);

/* "adr" or "eadr". */
const char *eu_domain_name(enum eu_domain d);

/* The directory of the test program, from eu_setup to eu_teardown. */
extern char *Eu_dir;

/* cmocka group setup: a new empty Eu_dir under $TEST_TMPDIR (or /tmp). */
int eu_setup(void **state);

/* cmocka group teardown: removes Eu_dir and everything under it. */
int eu_teardown(void **state);

/* The helper program, for the tests that run it. */
extern const char *Eu_helper;

/* Sets Eu_helper from main's arguments, which must be the helper's path
 * alone; false, after a usage message, if they are not. */
bool eu_helper_arg(int argc, char *argv[]);

/* "dir/name" in a buffer the caller frees. */
char *eu_join(const char *dir, const char *name);

/* Creates (or truncates) path with size bytes, each of them byte. */
void eu_make_file(const char *path, size_t size, int byte);

/* A new file in Eu_dir, named by a counter, of size bytes all EU_OLD;
 * eu_remove_file() it. */
char *eu_fresh_file(size_t size);

/* Removes the file path (if there) and frees path. */
void eu_remove_file(char *path);

/* The whole file path as a NUL-terminated string, or NULL if there is no
 * such file; free() it. */
char *eu_read_file(const char *path);

/* Reads len bytes at off of path; aborts if it cannot read them all. */
void eu_pread(const char *path, off_t off, void *buf, size_t len);

/* Size of path, or -1. */
off_t eu_file_size(const char *path);

/* Parent: [off, off+len) of path holds only byte (else names the first
 * offset that does not and what it holds). */
void eu_expect_bytes(const char *path, off_t off, size_t len, int byte);

/* Parent: [off, off+len) of path equals expect. */
void eu_expect_content(const char *path, off_t off, const void *expect,
		size_t len);

/* A range of a file or mapping. */
struct eu_span {
	size_t off;
	size_t len;
};

/* Parent: the span of path holds only byte, the rest of its size bytes
 * EU_OLD, and the file is still size bytes long. */
void eu_expect_span(const char *path, size_t size, const struct eu_span *s,
		int byte);

/* How a child made by eu_child_run ends, after its function returned. */
enum eu_end {
	EU_KILL,	/* raise(SIGKILL), the mapping still live */
	EU_EXIT,	/* exit(0), the mapping still live */
	EU_UNMAP_KILL,	/* pmem_unmap, then raise(SIGKILL) */
};

/* Function a child runs on the mapping of the file (p, len). */
typedef void eu_child_fn(char *p, size_t len, void *arg);

/*
 * Parent: forks a child that maps path (which must exist) with
 * pmem_map_file, checks that the mapping is pmem, runs fn(p, len, arg), and
 * ends as end says; waits for it and asserts it ended so.
 */
void eu_child_run(const char *path, eu_child_fn *fn, void *arg,
		enum eu_end end);

/*
 * Child steps for eu_child_run, arg a struct eu_span: store EU_NEW into the
 * span, then nothing, pmem_flush, pmem_flush and pmem_drain, pmem_persist.
 */
eu_child_fn eu_step_store;
eu_child_fn eu_step_flush;
eu_child_fn eu_step_flush_drain;
eu_child_fn eu_step_persist;

/*
 * Parent: in a fresh file of size bytes, a child does step on the span s
 * and ends as end says; then the span holds want, the rest of the file
 * EU_OLD (eu_expect_span). Removes the file.
 */
void eu_expect_step(size_t size, const struct eu_span *s, eu_child_fn *step,
		enum eu_end end, int want);

/* Parent: eu_expect_step on two line-aligned lines of page 1 of a file of
 * four pages, the range most tests store to. */
void eu_expect_two_lines(eu_child_fn *step, enum eu_end end, int want);

/* Child: maps the existing file path whole, checking is_pmem. */
char *eu_child_map(const char *path, size_t *len);

/* Child: ends at once with SIGKILL. */
void eu_kill_self(void) __attribute__((noreturn));

/* fork() after flushing stdio, so buffered output is not written twice. */
pid_t eu_fork(void);

/* Parent: waits for pid; asserts it was killed with SIGKILL. */
void eu_expect_killed(pid_t pid);

/* Parent: waits for pid; asserts it exited with status 0. */
void eu_expect_exit0(pid_t pid);

/* A program run by eu_exec: how it ended and what it printed. */
struct eu_run {
	int status;	/* from waitpid */
	char *out;	/* stdout, NUL-terminated */
	char *err;	/* stderr, NUL-terminated */
};

/*
 * Runs argv[0] with argv and exactly the environment envp (NULL-terminated
 * "NAME=value" strings), capturing its stdout and stderr. If pre_exec is
 * not NULL, the child calls it (with arg) just before execve.
 */
void eu_exec(char *const argv[], char *const envp[],
		void (*pre_exec)(void *arg), void *arg, struct eu_run *r);

void eu_run_free(struct eu_run *r);

/* Parent: the program of r exited with status code; else fails naming who,
 * how it ended and its stderr. */
void eu_expect_exited(const struct eu_run *r, int code, const char *who);

/* Parent: the program of r was killed by signal sig; else as above. */
void eu_expect_signaled(const struct eu_run *r, int sig, const char *who);

/* What the line says that the library prints when io_uring cannot be set
 * up. */
#define EU_NOTICE "io_uring unavailable"

/* Parent: err (a program's stderr) is from min to max lines, each holding
 * EU_NOTICE; else fails naming who. */
void eu_expect_notices(const char *err, int min, int max, const char *who);

/* Start of the value of "key" in the JSON object json, or NULL. */
const char *eu_json_value(const char *json, const char *key);

/* Parent: the value of "key" in json is the string want. */
void eu_expect_json_str(const char *json, const char *key, const char *want);

/* Number of lines of s (a last line without '\n' counts). */
int eu_count_lines(const char *s);

/* Number of lines of s that contain needle. */
int eu_count_lines_with(const char *s, const char *needle);

/* True if io_uring_setup works in this process. */
bool eu_io_uring_works(void);

/* Resident set size of this process, in bytes. */
size_t eu_rss(void);

#endif

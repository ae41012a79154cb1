/*
 * pmem_crashtest.c -- simulated power failures at every persistence point
 * of a program, and a recovery check of every crash image.
 *
 * The program runs on this project's libpmem.so.1 (put first on the library
 * path) under PMEM_EMULATE, with PMEM_EMULATE_CRASH_FD naming a socket to
 * this tool: at each persistence point the library stops and reports the
 * lines that are not durable yet (emu/crash_proto.h). A crash image is the
 * file as it is at that instant (everything made durable before) plus a
 * choice of those lines, as the caches may have written any of them back:
 * none, all, every subset when there are few, or seeded random subsets;
 * with --tear, the choice is made per 8-byte word, the unit of failure
 * atomicity. Each image is written into the file, the check command is run
 * on it, and the file is put back.
 *
 * Two ways to reach a point. resume (the default): one run of the program,
 * stopped at every point while its images are checked, as a child forked
 * there would be, then let go on. rerun: the program is run again from the
 * start for every point and ended there, as a power failure ends it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emu/crash_proto.h"

#define PROG "pmem-crashtest"

/* exit statuses */
#define EX_PASSED 0
#define EX_FAILED 1
#define EX_USAGE 2
#define EX_TROUBLE 3	/* the test could not be carried out */

static const char *const Kind_name[] = {
	[CT_HELLO] = "hello", [CT_DRAIN] = "drain", [CT_SYNC] = "msync",
	[CT_UNMAP] = "unmap", [CT_EXIT] = "exit",
};

/* ---- options ---- */

enum mode { MODE_RESUME, MODE_RERUN };

static struct {
	const char *check;
	const char *setup;
	const char *domain;	/* "adr" or "eadr" */
	enum mode mode;
	uint64_t seed;
	unsigned images;	/* per point, at most */
	bool tear;
	uint64_t max_points;	/* 0: every point */
	uint64_t point;		/* 0: every point */
	const char *image;	/* NULL: every image of the point */
	unsigned nested;	/* crash points tried inside each check */
	uint64_t nested_point;	/* 0: the first `nested` ones */
	unsigned timeout;	/* seconds, per program or check run */
	unsigned jobs;		/* checks at once, with "{}" */
	size_t max_failures;	/* listed; 0: all */
	const char *keep;	/* folder for failing images, or NULL */
	const char *libdir;
	bool quiet;
	char **argv;		/* PROGRAM ARGS */
	int argc;
} Opt = {
	.domain = "adr",
	.seed = 1,
	.images = 16,
	.timeout = 60,
	.max_failures = 10,
};

static char Libdir[PATH_MAX];

static _Noreturn void
die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, PROG ": ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(status);
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " [OPTIONS] --check 'COMMAND' -- PROGRAM [ARGS...]\n"
"\n"
"Runs PROGRAM on this project's libpmem.so.1 under emulation and simulates a\n"
"power failure at each of its persistence points: every drain (pmem_drain,\n"
"and the drain inside pmem_persist, the _persist copies, pmem_msync and\n"
"pmem_deep_*), every pmem_unmap, and the end of the program. At a point the\n"
"file holds what was made durable before; each line stored but not durable\n"
"yet may or may not have reached the media. For each choice tried (a crash\n"
"image) the file is set to that image and COMMAND is run on it (by /bin/sh\n"
"if it has shell syntax): exit status 0 means the file is consistent.\n"
"PROGRAM must use libpmem.so.1 dynamically and be deterministic: the same\n"
"persistence points every run. It must create its files itself (or see\n"
"--setup), as it is run more than once.\n"
"\n"
"  --check 'COMMAND'   the recovery check, run on every crash image. If it\n"
"                      contains {}, each check gets a copy of the crash\n"
"                      image there instead of the file (the program must\n"
"                      have a single file), and checks run in parallel\n"
"  --jobs N            checks at once with {} (default: twice the CPUs\n"
"                      usable)\n"
"  --domain adr|eadr   the durability domain emulated (default adr). Under\n"
"                      eADR only non-temporal data not yet drained is at\n"
"                      risk\n"
"  --seed N            seed of the random choices (default 1); the same seed\n"
"                      gives the same images and verdicts\n"
"  --images N          crash images per point at most (default 16): none,\n"
"                      all, then every subset of the lines at risk if there\n"
"                      are few enough, else random subsets\n"
"  --tear              choose per 8-byte word instead of per 64-byte line:\n"
"                      only aligned 8-byte stores are failure-atomic\n"
"  --points N          test a seeded sample of N points, not all\n"
"  --point K           test point K only\n"
"  --image SPEC        with --point: only this image (none, all, subset:M,\n"
"                      random:R), as printed for a failure\n"
"  --nested N          also crash each check at its first N persistence\n"
"                      points (image: what it made durable), then run it\n"
"                      again: recovery must survive its own crash\n"
"  --nested-point J    with --nested: only the check's point J\n"
"  --mode resume|rerun resume (default): one run, stopped at each point while\n"
"                      its images are checked; rerun: a run per point, ended\n"
"                      there\n"
"  --setup 'COMMAND'   run before every run of PROGRAM (e.g. copy a file)\n"
"  --timeout SECONDS   per run of PROGRAM or COMMAND (default 60; 0: none)\n"
"  --lib DIR           the directory of libpmem.so.1 to test with (default:\n"
"                      ../lib next to this tool)\n"
"  --quiet             no progress line\n"
"  --max-failures N    failing images listed (default 10; 0: all)\n"
"  --keep DIR          write each failing crash image (the files as the check\n"
"                      found them) into DIR, as point-K.SPEC.NAME\n"
"  --help              this text\n"
"\n"
"Prints a summary (points, images, failures, time, images per second) and,\n"
"for each failing image, the check's last line and a command reproducing\n"
"exactly that image. Exit status: 0 all checks passed, 1 a check failed, 2\n"
"usage error, 3 the test could not be carried out (PROGRAM failed without a\n"
"crash, did not load this libpmem, or was not deterministic).\n");
}

/* number -- an unsigned option value, or a usage error (internal) */
static uint64_t
number(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *s == '\0' || *s == '-' || *end != '\0' ||
			v < min || v > max)
		die(EX_USAGE, "%s: \"%s\" is not a number from %" PRIu64
			" to %" PRIu64, opt, s, min, max);
	return v;
}

static void
parse(int argc, char **argv)
{
	enum { O_CHECK = 1, O_SETUP, O_DOMAIN, O_MODE, O_SEED, O_IMAGES,
		O_TEAR, O_POINTS, O_POINT, O_IMAGE, O_NESTED, O_NESTED_POINT,
		O_TIMEOUT, O_LIB, O_QUIET, O_HELP, O_JOBS, O_MAX_FAILURES,
		O_KEEP };
	static const struct option longopts[] = {
		{ "check", required_argument, NULL, O_CHECK },
		{ "setup", required_argument, NULL, O_SETUP },
		{ "domain", required_argument, NULL, O_DOMAIN },
		{ "mode", required_argument, NULL, O_MODE },
		{ "seed", required_argument, NULL, O_SEED },
		{ "images", required_argument, NULL, O_IMAGES },
		{ "tear", no_argument, NULL, O_TEAR },
		{ "points", required_argument, NULL, O_POINTS },
		{ "point", required_argument, NULL, O_POINT },
		{ "image", required_argument, NULL, O_IMAGE },
		{ "nested", required_argument, NULL, O_NESTED },
		{ "nested-point", required_argument, NULL, O_NESTED_POINT },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "lib", required_argument, NULL, O_LIB },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "jobs", required_argument, NULL, O_JOBS },
		{ "max-failures", required_argument, NULL, O_MAX_FAILURES },
		{ "keep", required_argument, NULL, O_KEEP },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	opterr = 0;
	/* "+": options end at PROGRAM even without "--" */
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case O_CHECK: Opt.check = optarg; break;
		case O_SETUP: Opt.setup = optarg; break;
		case O_DOMAIN:
			if (strcmp(optarg, "adr") != 0 &&
					strcmp(optarg, "eadr") != 0)
				die(EX_USAGE, "--domain: \"%s\" is not adr or "
					"eadr", optarg);
			Opt.domain = optarg;
			break;
		case O_MODE:
			if (strcmp(optarg, "resume") == 0)
				Opt.mode = MODE_RESUME;
			else if (strcmp(optarg, "rerun") == 0)
				Opt.mode = MODE_RERUN;
			else
				die(EX_USAGE, "--mode: \"%s\" is not resume or "
					"rerun", optarg);
			break;
		case O_SEED:
			Opt.seed = number("--seed", optarg, 0, UINT64_MAX);
			break;
		case O_IMAGES:
			Opt.images = (unsigned)number("--images", optarg, 1,
				1u << 20);
			break;
		case O_TEAR: Opt.tear = true; break;
		case O_POINTS:
			Opt.max_points = number("--points", optarg, 1,
				UINT64_MAX);
			break;
		case O_POINT:
			Opt.point = number("--point", optarg, 1, UINT64_MAX);
			break;
		case O_IMAGE: Opt.image = optarg; break;
		case O_NESTED:
			Opt.nested = (unsigned)number("--nested", optarg, 0,
				1u << 20);
			break;
		case O_NESTED_POINT:
			Opt.nested_point = number("--nested-point", optarg, 1,
				UINT64_MAX);
			break;
		case O_TIMEOUT:
			Opt.timeout = (unsigned)number("--timeout", optarg, 0,
				86400);
			break;
		case O_LIB: Opt.libdir = optarg; break;
		case O_KEEP: Opt.keep = optarg; break;
		case O_JOBS:
			Opt.jobs = (unsigned)number("--jobs", optarg, 1, 64);
			break;
		case O_MAX_FAILURES:
			Opt.max_failures = number("--max-failures", optarg, 0,
				SIZE_MAX);
			break;
		case O_QUIET: Opt.quiet = true; break;
		case 'h':
		case O_HELP:
			usage(stdout);
			exit(EX_PASSED);
		default:
			die(EX_USAGE, "unknown option or missing value: %s "
				"(see --help)", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		die(EX_USAGE, "no PROGRAM given (see --help)");
	if (Opt.check == NULL)
		die(EX_USAGE, "no --check 'COMMAND' given (see --help)");
	if (Opt.image != NULL && Opt.point == 0)
		die(EX_USAGE, "--image needs --point");
	if (Opt.nested_point != 0 && Opt.nested == 0)
		Opt.nested = 1;
	if (Opt.point != 0 && Opt.max_points != 0)
		die(EX_USAGE, "--point and --points exclude each other");
	Opt.argv = argv + optind;
	Opt.argc = argc - optind;
	if (Opt.keep != NULL) {
		struct stat st;
		if (stat(Opt.keep, &st) != 0 || !S_ISDIR(st.st_mode) ||
				access(Opt.keep, W_OK) != 0)
			die(EX_USAGE, "--keep %s: not a writable directory",
				Opt.keep);
	}
	if (Opt.jobs == 0) {
		cpu_set_t cpus;
		/* a check spends much of its life starting and ending, off
		 * the CPU: two per CPU keep the CPUs busy */
		Opt.jobs = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ?
			2 * (unsigned)CPU_COUNT(&cpus) : 2;
		if (Opt.jobs > 64)
			Opt.jobs = 64;
	}
}

/* find_lib -- the directory of the libpmem.so.1 to test (internal) */
static void
find_lib(void)
{
	char path[PATH_MAX];
	if (Opt.libdir != NULL) {
		snprintf(path, sizeof(path), "%s/libpmem.so.1", Opt.libdir);
		if (access(path, R_OK) != 0)
			die(EX_USAGE, "--lib %s: no libpmem.so.1 there",
				Opt.libdir);
		if (realpath(Opt.libdir, Libdir) == NULL)
			die(EX_USAGE, "--lib %s: %s", Opt.libdir,
				strerror(errno));
		return;
	}
	/* bazel-bin/tools/pmem-crashtest and bazel-bin/lib/, or an install:
	 * PREFIX/bin and PREFIX/lib */
	char self[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, PATH_MAX - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash != NULL) {
			strcpy(slash, "/../lib/libpmem.so.1");
			if (access(self, R_OK) == 0 &&
					realpath(self, path) != NULL) {
				*strrchr(path, '/') = '\0';
				snprintf(Libdir, sizeof(Libdir), "%s", path);
				return;
			}
		}
	}
	die(EX_USAGE, "cannot find libpmem.so.1 next to this tool; give "
		"--lib DIR");
}

/* ---- random choices: splitmix64 ---- */

static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* ---- running programs ---- */

static int Out_prog = -1, Out_check = -1;	/* memfds: their output */

/*
 * Set while starting the resumed run: stopped at its points for as long as
 * their checks take, it has no time limit of its own (the counting run has
 * shown that it ends).
 */
static bool No_alarm;

/* put_quoted -- s as one shell word */
static void
put_quoted(FILE *f, const char *s)
{
	if (*s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=,+@%") ==
			strlen(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/*
 * replace_braces -- s with each "{}" replaced by path, as one shell word if
 * quote (internal)
 */
static char *
replace_braces(const char *s, const char *path, bool quote)
{
	char *with;
	size_t wlen;
	FILE *f = open_memstream(&with, &wlen);
	if (f == NULL)
		die(EX_TROUBLE, "out of memory");
	if (quote)
		put_quoted(f, path);
	else
		fputs(path, f);
	if (fclose(f) != 0)
		die(EX_TROUBLE, "out of memory");
	size_t times = 0;
	for (const char *q = strstr(s, "{}"); q != NULL;
			q = strstr(q + 2, "{}"))
		times++;
	char *out = malloc(strlen(s) + times * wlen + 1);
	size_t k = 0;
	for (const char *q = s; *q;) {
		if (q[0] == '{' && q[1] == '}') {
			memcpy(out + k, with, wlen);
			k += wlen;
			q += 2;
		} else {
			out[k++] = *q++;
		}
	}
	out[k] = '\0';
	free(with);
	return out;
}

/*
 * command_argv -- the words of cmd, each "{}" in them replaced by path
 * (NULL: none), if cmd is plain words; NULL if it needs /bin/sh
 */
static char **
command_argv(const char *cmd, const char *path)
{
	for (const char *p = cmd; *p; p++) {
		if (p[0] == '{' && p[1] == '}') {
			p++;
			continue;
		}
		if (strchr("|&;<>()$`\\\"'*?[]#~=%{}\n!", *p) != NULL)
			return NULL;
	}
	size_t cap = strlen(cmd) / 2 + 2, n = 0;
	char **argv = calloc(cap, sizeof(*argv));
	char *copy = strdup(cmd);
	for (char *w = strtok(copy, " \t"); w != NULL; w = strtok(NULL, " \t"))
		argv[n++] = w;
	/* the words with "{}" in them: rebuilt with the path */
	for (size_t i = 0; path != NULL && i < n; i++)
		if (strstr(argv[i], "{}") != NULL)
			argv[i] = replace_braces(argv[i], path, false);
	if (n == 0) {
		free(copy);
		free(argv);
		return NULL;
	}
	return argv;
}

extern char **environ;

/*
 * child_env -- the environment of a child: the tool's, with the library
 * first on the library path, the domain, the seed, and the crash socket
 * (sock >= 0) with its point (crash_at != 0)
 */
static char **
child_env(int sock, uint64_t crash_at, size_t *added)
{
	static const char *const ours[] = { "LD_LIBRARY_PATH=",
		"PMEM_EMULATE=", "PMEM_EMULATE_CRASH_FD=",
		"PMEM_EMULATE_CRASH_AT=", "PMEM_CRASHTEST_SEED=" };
	size_t n = 0;
	while (environ[n] != NULL)
		n++;
	char **env = calloc(n + 6, sizeof(*env));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool mine = false;
		for (size_t j = 0; j < sizeof(ours) / sizeof(ours[0]); j++)
			mine |= strncmp(environ[i], ours[j],
				strlen(ours[j])) == 0;
		if (!mine)
			env[k++] = environ[i];
	}
	const char *old = getenv("LD_LIBRARY_PATH");
	*added = k;
	if (asprintf(&env[k++], "LD_LIBRARY_PATH=%s%s%s", Libdir,
			old && *old ? ":" : "", old ? old : "") < 0 ||
			asprintf(&env[k++], "PMEM_EMULATE=%s",
				Opt.domain) < 0 ||
			asprintf(&env[k++], "PMEM_CRASHTEST_SEED=%" PRIu64,
				Opt.seed) < 0 ||
			(sock >= 0 && asprintf(&env[k++],
				"PMEM_EMULATE_CRASH_FD=%d", sock) < 0) ||
			(crash_at != 0 && asprintf(&env[k++],
				"PMEM_EMULATE_CRASH_AT=%" PRIu64,
				crash_at) < 0))
		die(EX_TROUBLE, "out of memory");
	env[k] = NULL;
	return env;
}

/* free_env -- an environment of child_env(), its entries from added on */
static void
free_env(char **env, size_t added)
{
	for (size_t i = added; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

static int Devnull = -1;

/*
 * vfork_exec -- the child runs file with args and env, its output into
 * out, ended by SIGALRM after timeout seconds (0: never); in a function of
 * its own, which changes nothing after vfork() returns in the child
 */
static __attribute__((noinline)) pid_t
vfork_exec(const char *file, char *const *args, char *const *env, int out,
		unsigned timeout)
{
	pid_t pid = vfork();
	if (pid != 0)
		return pid;
	dup2(Devnull, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	if (timeout != 0)
		alarm(timeout);
	execvpe(file, args, env);
	/* the message is this child's output: a check's verdict */
	static const char msg[] = ": cannot be run\n";
	if (write(STDERR_FILENO, file, strlen(file)) < 0 ||
			write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(127);
	_exit(127);
}

/*
 * spawn -- starts PROGRAM ARGS (argv) or a command (cmd: argv NULL, by
 * /bin/sh), its output into out; with sock, under test (its end of the
 * socket stays open in it). vfork: the tool's page tables are not copied
 * for each of the thousands of checks; the child only makes system calls.
 */
static pid_t
spawn(char **argv, const char *cmd, int out, int sock, uint64_t crash_at)
{
	if (ftruncate(out, 0) != 0 || lseek(out, 0, SEEK_SET) != 0)
		die(EX_TROUBLE, "output file: %s", strerror(errno));
	size_t added;
	char **env = child_env(sock, crash_at, &added);
	char *sh[] = { "sh", "-c", (char *)cmd, NULL };
	char **args = argv != NULL ? argv : sh;
	const char *file = argv != NULL ? argv[0] : "/bin/sh";
	pid_t pid = vfork_exec(file, args, env, out,
		No_alarm ? 0 : Opt.timeout);
	int oerrno = errno;
	free_env(env, added);
	if (pid < 0)
		die(EX_TROUBLE, "vfork: %s", strerror(oerrno));
	return pid;
}

/* last_line -- the last line of the output in out, in buf */
static const char *
last_line(int out, char *buf, size_t len)
{
	off_t size = lseek(out, 0, SEEK_END);
	off_t from = size > (off_t)len - 1 ? size - (off_t)len + 1 : 0;
	ssize_t n = pread(out, buf, len - 1, from);
	if (n <= 0) {
		snprintf(buf, len, "(no output)");
		return buf;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	char *nl = strrchr(buf, '\n');
	return nl != NULL ? nl + 1 : buf;
}

/* describe -- what a wait status says, in buf */
static const char *
describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		snprintf(buf, len, "timed out after %u s", Opt.timeout);
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "status 0x%x", status);
	return buf;
}

static int
wait_for(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die(EX_TROUBLE, "waitpid: %s", strerror(errno));
	return status;
}

/* run_command -- runs argv (or cmd) to its end; its wait status */
static int
run_command(char **argv, const char *cmd, int out)
{
	return wait_for(spawn(argv, cmd, out, -1, 0));
}

/* ---- a process under test ---- */

struct state_file {
	int fd;
	char *name;
	char *backup;		/* content at the point */
	size_t size;
	struct timespec times[2];	/* atime, mtime at the point */
};

struct state {
	uint64_t point;
	uint32_t kind;
	size_t nfiles;
	struct state_file *files;
	int *fds;		/* the files' descriptors, in order */
	size_t nlines;
	struct ct_line *lines;
};

struct subject {
	pid_t pid;
	int sock;		/* the tool's end */
	int out;
	const char *what;	/* "PROGRAM" or "the check" */
};

static void
recv_all(struct subject *s, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = recv(s->sock, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die(EX_TROUBLE, "%s ended while sending its state",
				s->what);
		p += n;
		len -= (size_t)n;
	}
}

static void
send_byte(struct subject *s, char c)
{
	if (send(s->sock, &c, 1, MSG_NOSIGNAL) != 1 && c != CT_DIE)
		die(EX_TROUBLE, "%s went away: %s", s->what, strerror(errno));
}

/* recv_point -- a point header from s: its size, 0 at the end, or -1 */
static ssize_t
recv_point(struct subject *s, struct ct_point *h)
{
	ssize_t n;
	do
		n = recv(s->sock, h, sizeof(*h), MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	return n;
}

/*
 * start -- runs argv or cmd under test; false if it never greeted (it does
 * not use this libpmem), with its wait status in *status
 */
static bool
start(struct subject *s, char **argv, const char *cmd, int out,
		uint64_t crash_at, int *status)
{
	int sv[2];
	/* the child's end is inherited (no CLOEXEC), the tool's is not */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		die(EX_TROUBLE, "socketpair: %s", strerror(errno));
	fcntl(sv[0], F_SETFD, FD_CLOEXEC);
	s->sock = sv[0];
	s->out = out;
	s->what = argv == Opt.argv ? "PROGRAM" : "the check";
	s->pid = spawn(argv, cmd, out, sv[1], crash_at);
	close(sv[1]);
	struct ct_point h;
	if (recv_point(s, &h) == (ssize_t)sizeof(h) && h.magic == CT_MAGIC &&
			h.kind == CT_HELLO)
		return true;
	close(s->sock);
	*status = wait_for(s->pid);
	return false;
}

/* next_point -- the next point's header; false at the end of the run */
static bool
next_point(struct subject *s, struct ct_point *h)
{
	ssize_t n = recv_point(s, h);
	if (n == 0)
		return false;
	if (n != (ssize_t)sizeof(*h) || h->magic != CT_MAGIC ||
			h->kind < CT_DRAIN || h->kind > CT_EXIT)
		die(EX_TROUBLE, "%s: garbled message from the library",
			s->what);
	return true;
}

/* finish -- closes the socket and reaps the process; its wait status */
static int
finish(struct subject *s)
{
	close(s->sock);
	return wait_for(s->pid);
}

/* recv_file -- one ct_file with its descriptor (internal) */
static void
recv_file(struct subject *s, struct state_file *f)
{
	struct ct_file h;
	struct iovec iov = { &h, sizeof(h) };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	ssize_t n;
	do
		n = recvmsg(s->sock, &m, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	if (n != (ssize_t)sizeof(h) || cm == NULL ||
			cm->cmsg_type != SCM_RIGHTS)
		die(EX_TROUBLE, "%s: garbled file message", s->what);
	memcpy(&f->fd, CMSG_DATA(cm), sizeof(int));
	f->name = malloc(h.pathlen + 1);
	recv_all(s, f->name, h.pathlen);
	f->name[h.pathlen] = '\0';
}

/* read_state -- asks for and reads the state at point h */
static void
read_state(struct subject *s, const struct ct_point *h, struct state *st)
{
	send_byte(s, CT_STATE);
	struct ct_state cs;
	recv_all(s, &cs, sizeof(cs));
	st->point = h->point;
	st->kind = h->kind;
	st->nfiles = cs.nfiles;
	st->files = calloc(cs.nfiles + 1, sizeof(*st->files));
	st->fds = calloc(cs.nfiles + 1, sizeof(*st->fds));
	for (size_t i = 0; i < cs.nfiles; i++) {
		recv_file(s, &st->files[i]);
		st->fds[i] = st->files[i].fd;
	}
	st->nlines = cs.nlines;
	st->lines = malloc((cs.nlines + 1) * sizeof(*st->lines));
	recv_all(s, st->lines, cs.nlines * sizeof(*st->lines));
	for (size_t i = 0; i < cs.nlines; i++)
		if (st->lines[i].file >= cs.nfiles ||
				st->lines[i].len > CT_LINE)
			die(EX_TROUBLE, "%s: garbled line", s->what);
}

static void
free_state(struct state *st)
{
	for (size_t i = 0; i < st->nfiles; i++) {
		close(st->files[i].fd);
		free(st->files[i].name);
		free(st->files[i].backup);
	}
	free(st->files);
	free(st->fds);
	free(st->lines);
	memset(st, 0, sizeof(*st));
}

/* units -- what an image chooses from: lines, or words with --tear */
static size_t
units(const struct state *st)
{
	if (!Opt.tear)
		return st->nlines;
	size_t n = 0;
	for (size_t i = 0; i < st->nlines; i++)
		n += (size_t)__builtin_popcount(st->lines[i].words);
	return n;
}

/* ---- files: backup, images, restore ---- */

#define SENTINEL_SEC 1	/* mtime set after writing an image: a check that
			 * writes the file changes it */

static void
backup(struct state *st)
{
	for (size_t i = 0; i < st->nfiles; i++) {
		struct state_file *f = &st->files[i];
		struct stat sb;
		if (fstat(f->fd, &sb) != 0)
			die(EX_TROUBLE, "%s: %s", f->name, strerror(errno));
		f->size = (size_t)sb.st_size;
		f->times[0] = sb.st_atim;
		f->times[1] = sb.st_mtim;
		f->backup = malloc(f->size + 1);
		if (f->backup == NULL)
			die(EX_TROUBLE, "%s: %zu bytes: out of memory for its "
				"backup", f->name, f->size);
		size_t done = 0;
		while (done < f->size) {
			ssize_t n = pread(f->fd, f->backup + done,
				f->size - done, (off_t)done);
			if (n <= 0)
				die(EX_TROUBLE, "reading %s: %s", f->name,
					n < 0 ? strerror(errno) : "short file");
			done += (size_t)n;
		}
	}
}

static void
write_at(int fd, const char *name, const void *buf, size_t len, off_t off)
{
	if (pwrite(fd, buf, len, off) != (ssize_t)len)
		die(EX_TROUBLE, "writing %s: %s", name, strerror(errno));
}

/* durable -- the file's bytes of line l at the point (zeros past its end) */
static void
durable(const struct state *st, const struct ct_line *l, uint8_t *out)
{
	const struct state_file *f = &st->files[l->file];
	memset(out, 0, CT_LINE);
	if (l->off < f->size) {
		size_t n = f->size - l->off < l->len ? f->size - l->off :
			l->len;
		memcpy(out, f->backup + l->off, n);
	}
}

/*
 * apply_lines -- writes the chosen units (sel, a bit per unit) into fds,
 * one per file of st (the files themselves, or copies); only into file
 * only, unless it is SIZE_MAX. apply -- the same into every file, marked
 * with the sentinel time.
 */
static void
apply_lines(const struct state *st, const int *fds, const uint64_t *sel,
		size_t only)
{
	size_t u = 0;
	for (size_t i = 0; i < st->nlines; i++) {
		const struct ct_line *l = &st->lines[i];
		uint8_t buf[CT_LINE];
		bool any = false;
		durable(st, l, buf);
		for (unsigned w = 0; w < 8; w++) {
			if (!(l->words & (1u << w)))
				continue;
			size_t bit = Opt.tear ? u++ : u;
			if (!(sel[bit / 64] >> (bit % 64) & 1))
				continue;
			size_t k = l->len - w * 8 < 8 ? l->len - w * 8 : 8;
			memcpy(buf + w * 8, l->data + w * 8, k);
			any = true;
		}
		if (!Opt.tear)
			u++;
		if (any && (only == SIZE_MAX || l->file == only))
			write_at(fds[l->file], st->files[l->file].name, buf,
				l->len, (off_t)l->off);
	}
}

static void
apply(const struct state *st, const int *fds, const uint64_t *sel)
{
	apply_lines(st, fds, sel, SIZE_MAX);
	for (size_t i = 0; i < st->nfiles; i++) {
		struct timespec t[2] = { st->files[i].times[0],
			{ SENTINEL_SEC, 0 } };
		futimens(fds[i], t);
	}
}

/* fill -- makes fd a whole copy of file f at the point */
static void
fill(const struct state_file *f, int fd)
{
	write_at(fd, f->name, f->backup, f->size, 0);
	if (ftruncate(fd, (off_t)f->size) != 0)
		die(EX_TROUBLE, "%s: %s", f->name, strerror(errno));
	struct timespec t[2] = { f->times[0], { SENTINEL_SEC, 0 } };
	futimens(fd, t);
}

/*
 * restore -- puts fds back as the files were at the point: the lines an
 * image changed, or, where the check wrote to a file, all of it; with times,
 * their times too
 */
static void
restore(const struct state *st, const int *fds, bool times)
{
	for (size_t i = 0; i < st->nfiles; i++) {
		const struct state_file *f = &st->files[i];
		struct stat sb;
		if (fstat(fds[i], &sb) != 0)
			die(EX_TROUBLE, "%s: %s", f->name, strerror(errno));
		if (sb.st_mtim.tv_sec == SENTINEL_SEC &&
				sb.st_mtim.tv_nsec == 0 &&
				(size_t)sb.st_size == f->size) {
			for (size_t j = 0; j < st->nlines; j++) {
				const struct ct_line *l = &st->lines[j];
				if (l->file != i || l->off >= f->size)
					continue;
				size_t n = f->size - l->off < l->len ?
					f->size - l->off : l->len;
				write_at(fds[i], f->name, f->backup + l->off,
					n, (off_t)l->off);
			}
		} else {
			fill(f, fds[i]);
		}
	}
	if (times)
		for (size_t i = 0; i < st->nfiles; i++)
			futimens(fds[i], st->files[i].times);
}

/* ---- images ---- */

struct image {
	char spec[40];
	uint64_t *sel;		/* a bit per unit */
};

/*
 * choose -- the units of image spec (none, all, subset:M, random:R) out of
 * n at point k, into sel; false if spec is not valid for n
 */
static bool
choose(const char *spec, size_t n, uint64_t k, uint64_t *sel)
{
	size_t words = (n + 63) / 64;
	memset(sel, 0, (words ? words : 1) * sizeof(*sel));
	if (strcmp(spec, "none") == 0)
		return true;
	if (strcmp(spec, "all") == 0) {
		for (size_t i = 0; i < n; i++)
			sel[i / 64] |= 1ull << (i % 64);
		return true;
	}
	char *end;
	if (strncmp(spec, "subset:", 7) == 0) {
		errno = 0;
		unsigned long long m = strtoull(spec + 7, &end, 10);
		if (errno || *end || spec[7] == '\0' || n > 62 ||
				m >= (1ull << n))
			return false;
		sel[0] = m;
		return true;
	}
	if (strncmp(spec, "random:", 7) == 0) {
		errno = 0;
		unsigned long long r = strtoull(spec + 7, &end, 10);
		if (errno || *end || spec[7] == '\0')
			return false;
		uint64_t x = mix(mix(mix(Opt.seed) ^ k) ^ r);
		for (size_t i = 0; i < n; i++) {
			if (i % 64 == 0)
				x = mix(x);
			if (x >> (i % 64) & 1)
				sel[i / 64] |= 1ull << (i % 64);
		}
		return true;
	}
	return false;
}

/* image_list -- the images tried at a point with n units (internal) */
static size_t
image_list(size_t n, uint64_t k, struct image **out)
{
	size_t words = n ? (n + 63) / 64 : 1;
	size_t cap = Opt.image != NULL ? 1 : Opt.images;
	struct image *im = calloc(cap, sizeof(*im));
	size_t count = 0;
	char spec[40];
	for (uint64_t i = 0; count < cap; i++) {
		if (Opt.image != NULL) {
			if (i > 0)
				break;
			snprintf(spec, sizeof(spec), "%s", Opt.image);
		} else if (n <= 62 && (1ull << n) <= Opt.images) {
			/* few enough: every subset */
			if (i >= (1ull << n))
				break;
			uint64_t all = (1ull << n) - 1;
			snprintf(spec, sizeof(spec), i == 0 ? "none" :
				i == all ? "all" : "subset:%" PRIu64, i);
		} else if (i < 2) {
			snprintf(spec, sizeof(spec), i == 0 ? "none" : "all");
		} else if (i - 2 >= 4ull * Opt.images) {
			break;	/* random draws keep repeating */
		} else {
			snprintf(spec, sizeof(spec), "random:%" PRIu64, i - 1);
		}
		uint64_t *sel = malloc(words * sizeof(*sel));
		if (!choose(spec, n, k, sel))
			die(EX_USAGE, "--image %s: not an image of point %"
				PRIu64 " (%zu units at risk)", spec, k, n);
		bool dup = false;
		for (size_t j = 0; j < count && !dup; j++)
			dup = memcmp(im[j].sel, sel, words * sizeof(*sel)) == 0;
		if (dup) {
			free(sel);
			continue;
		}
		snprintf(im[count].spec, sizeof(im[count].spec), "%s", spec);
		im[count++].sel = sel;
	}
	*out = im;
	return count;
}

/* ---- the results ---- */

struct failure {
	uint64_t point;
	uint32_t kind;
	size_t index;		/* of the image at its point, for the order */
	char image[40];
	uint64_t nested;	/* 0: the check itself failed */
	char *why;
};

static struct {
	uint64_t points_total;
	uint64_t points_tested;
	uint64_t kinds[CT_EXIT + 1];
	uint64_t images;
	uint64_t nested;	/* checks crashed and run again */
	double distinct;	/* images there are at the tested points */
	size_t max_units;
	struct failure *fail;
	size_t nfail, capfail;
	double t0;
	double last_progress;
} R;

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
progress(bool final)
{
	if (Opt.quiet || !isatty(STDERR_FILENO))
		return;
	double t = now();
	if (!final && t - R.last_progress < 0.1)
		return;
	R.last_progress = t;
	if (final) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	fprintf(stderr, "\r\033[K" PROG ": point %" PRIu64 " of %" PRIu64
		", %" PRIu64 " images, %zu failing", R.points_tested,
		R.points_total, R.images, R.nfail);
}

static void
add_failure(const struct state *st, const char *image, size_t index,
		uint64_t nested, const char *why)
{
	if (R.nfail == R.capfail) {
		R.capfail = R.capfail ? R.capfail * 2 : 16;
		R.fail = realloc(R.fail, R.capfail * sizeof(*R.fail));
	}
	struct failure *f = &R.fail[R.nfail++];
	f->point = st->point;
	f->kind = st->kind;
	snprintf(f->image, sizeof(f->image), "%s", image);
	f->index = index;
	f->nested = nested;
	f->why = strdup(why);
}

/* ---- checking a point ---- */

/*
 * Workers run the check. Without "{}" in COMMAND there is one, and images
 * are written into the program's files themselves. With "{}", each worker
 * has a copy of the (single) file, named in its command instead of "{}",
 * and one check per worker runs at a time.
 */
struct worker {
	int fd;			/* its copy, or -1: the files themselves */
	char *path;		/* of the copy */
	char *cmd;		/* the check, "{}" replaced */
	char **argv;		/* its words, if it needs no shell */
	int out;		/* memfd: the check's output */
	pid_t pid;		/* 0: idle */
	int pidfd;
	size_t image;		/* index of the image it checks */
	bool holds_image;	/* an image is written in its target */
};

static struct worker *Workers;
static unsigned Nworkers;
static char Copies_dir[PATH_MAX];

static void
remove_copies(void)
{
	for (unsigned i = 0; i < Nworkers; i++)
		if (Workers[i].path != NULL)
			unlink(Workers[i].path);
	if (Copies_dir[0] != '\0')
		rmdir(Copies_dir);
}

/*
 * keep_file -- with "{}": the file of the last point that had one stands
 * for the file at points that have none (after its pmem_unmap), where no
 * line is at risk (internal)
 */
static void
keep_file(struct state *st)
{
	static int fd = -1;
	static char *name;
	if (st->nfiles == 1) {
		if (fd >= 0)
			close(fd);
		free(name);
		fd = fcntl(st->files[0].fd, F_DUPFD_CLOEXEC, 0);
		name = strdup(st->files[0].name);
	} else if (st->nfiles == 0 && fd >= 0) {
		st->nfiles = 1;
		st->files[0].fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		st->files[0].name = strdup(name);
		st->fds = realloc(st->fds, sizeof(*st->fds));
		st->fds[0] = st->files[0].fd;
	}
}

/* workers -- sets the workers up at the first point (internal) */
static void
workers(struct state *st)
{
	bool copies = strstr(Opt.check, "{}") != NULL;
	if (copies) {
		keep_file(st);
		if (st->nfiles != 1)
			die(EX_TROUBLE, "\"{}\" in --check needs a program with "
				"one mapped file; at point %" PRIu64 " it has "
				"%zu: give the check the file's name instead",
				st->point, st->nfiles);
	}
	if (Workers != NULL)
		return;
	Nworkers = copies ? Opt.jobs : 1;
	Workers = calloc(Nworkers, sizeof(*Workers));
	if (copies) {
		/* next to the file, on the same file system if possible */
		char self[64], real[PATH_MAX];
		snprintf(self, sizeof(self), "/proc/self/fd/%d",
			st->files[0].fd);
		ssize_t n = readlink(self, real, sizeof(real) - 1);
		char *slash = n > 0 ? (real[n] = '\0', strrchr(real, '/')) :
			NULL;
		if (slash != NULL)
			*slash = '\0';
		const char *tmp = getenv("TMPDIR");
		const char *dirs[] = { slash != NULL ? real : NULL,
			tmp && *tmp ? tmp : "/tmp" };
		for (int d = 0; d < 2 && Copies_dir[0] == '\0'; d++) {
			if (dirs[d] == NULL)
				continue;
			if (strlen(dirs[d]) + 24 > sizeof(Copies_dir))
				continue;
			strcpy(Copies_dir, dirs[d]);
			strcat(Copies_dir, "/.pmem-crashtest.XXXXXX");
			if (mkdtemp(Copies_dir) == NULL)
				Copies_dir[0] = '\0';
		}
		if (Copies_dir[0] == '\0')
			die(EX_TROUBLE, "cannot make a directory for copies "
				"of the file: %s", strerror(errno));
		atexit(remove_copies);
	}
	for (unsigned i = 0; i < Nworkers; i++) {
		struct worker *w = &Workers[i];
		w->fd = -1;
		w->pidfd = -1;
		w->out = i == 0 ? Out_check :
			memfd_create("check-output", MFD_CLOEXEC);
		if (w->out < 0)
			die(EX_TROUBLE, "memfd_create: %s", strerror(errno));
		if (!copies) {
			w->cmd = strdup(Opt.check);
			w->argv = command_argv(Opt.check, NULL);
			continue;
		}
		const char *base = strrchr(st->files[0].name, '/');
		base = base != NULL ? base + 1 : st->files[0].name;
		w->path = malloc(strlen(Copies_dir) + strlen(base) + 16);
		sprintf(w->path, "%s/%u.%s", Copies_dir, i, base);
		w->fd = open(w->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			0644);
		if (w->fd < 0)
			die(EX_TROUBLE, "%s: %s", w->path, strerror(errno));
		w->cmd = replace_braces(Opt.check, w->path, true);
		w->argv = command_argv(Opt.check, w->path);
	}
}

/* target -- where worker w writes images: its copy, or the files */
static const int *
target(const struct worker *w, const struct state *st)
{
	return w->fd >= 0 ? &w->fd : st->fds;
}

/*
 * judge -- NULL if w's check ended well (status), else why not, in buf; a
 * copy's path in its message is shown as the file's
 */
static const char *
judge(const struct worker *w, const struct state *st, int status, char *buf,
		size_t len)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return NULL;
	char line[1024], how[64], shown[1024];
	const char *msg = last_line(w->out, line, sizeof(line));
	const char *at = w->path != NULL ? strstr(msg, w->path) : NULL;
	if (at != NULL) {
		snprintf(shown, sizeof(shown), "%.*s%s%s", (int)(at - msg), msg,
			st->files[0].name, at + strlen(w->path));
		msg = shown;
	}
	snprintf(buf, len, "%s: %.900s", describe(status, how, sizeof(how)),
		msg);
	return buf;
}

/*
 * nested -- crashes w's check at its points (image: what it made durable)
 * and runs it again, each time on image im
 */
static void
nested(struct state *st, struct worker *w, const struct image *im,
		size_t index)
{
	uint64_t first = Opt.nested_point ? Opt.nested_point : 1;
	uint64_t last = Opt.nested_point ? Opt.nested_point : Opt.nested;
	for (uint64_t j = first; j <= last; j++) {
		/* the image again: the check that passed may have recovered
		 * it */
		restore(st, target(w, st), false);
		apply(st, target(w, st), im->sel);
		struct subject s;
		int status;
		if (!start(&s, w->argv, w->cmd, w->out, j, &status))
			return;	/* the check does not use libpmem */
		struct ct_point h;
		bool crashed = false;
		while (next_point(&s, &h)) {
			if (h.point == j) {
				send_byte(&s, CT_DIE);
				crashed = true;
				break;
			}
			send_byte(&s, CT_GO);	/* its end, before j */
		}
		finish(&s);
		if (!crashed)
			return;	/* it has fewer points */
		char why[1024];
		const char *bad = judge(w, st, run_command(w->argv, w->cmd,
			w->out), why, sizeof(why));
		R.nested++;
		if (bad != NULL)
			add_failure(st, im->spec, index, j, bad);
	}
}

/* wait_worker -- waits for a busy worker's check to end; that worker */
static struct worker *
wait_worker(int *status)
{
	struct worker *w = NULL;
	if (Nworkers == 1) {
		w = &Workers[0];
	} else {
		struct pollfd p[64];
		unsigned map[64], n = 0;
		for (unsigned i = 0; i < Nworkers && n < 64; i++)
			if (Workers[i].pid != 0) {
				p[n].fd = Workers[i].pidfd;
				p[n].events = POLLIN;
				map[n++] = i;
			}
		while (w == NULL) {
			if (poll(p, n, -1) < 0 && errno != EINTR)
				die(EX_TROUBLE, "poll: %s", strerror(errno));
			for (unsigned i = 0; i < n && w == NULL; i++)
				if (p[i].revents & (POLLIN | POLLHUP))
					w = &Workers[map[i]];
		}
		close(w->pidfd);
		w->pidfd = -1;
	}
	*status = wait_for(w->pid);
	w->pid = 0;
	return w;
}

/* keep_image -- with --keep: the files of image im of st, into Opt.keep */
static void
keep_image(const struct state *st, const struct image *im)
{
	for (size_t i = 0; i < st->nfiles; i++) {
		const struct state_file *f = &st->files[i];
		const char *base = strrchr(f->name, '/');
		base = base != NULL ? base + 1 : f->name;
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/point-%" PRIu64 ".%s.%s",
				Opt.keep, st->point, im->spec, base) >=
				(int)sizeof(path))
			die(EX_TROUBLE, "--keep: name too long in %s",
				Opt.keep);
		for (char *c = path + strlen(Opt.keep) + 1; *c; c++)
			if (*c == ':')
				*c = '-';
		int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			0644);
		if (fd < 0)
			die(EX_TROUBLE, "--keep: %s: %s", path, strerror(errno));
		/* the point's content, then the image's lines */
		int *fds = calloc(st->nfiles, sizeof(*fds));
		fds[i] = fd;
		write_at(fd, path, f->backup, f->size, 0);
		apply_lines(st, fds, im->sel, i);
		free(fds);
		close(fd);
	}
}

/* check_point -- every image of the point in st */
static void
check_point(struct state *st)
{
	workers(st);
	backup(st);
	size_t n = units(st);
	R.points_tested++;
	R.kinds[st->kind]++;
	if (n > R.max_units)
		R.max_units = n;
	R.distinct += n < 1000 ? ldexp(1.0, (int)n) : HUGE_VAL;
	struct image *im;
	size_t count = image_list(n, st->point, &im);
	for (unsigned i = 0; i < Nworkers; i++) {
		Workers[i].holds_image = false;
		if (Workers[i].fd >= 0)
			fill(&st->files[0], Workers[i].fd);
	}
	size_t next = 0, done = 0;
	while (done < count) {
		struct worker *w = NULL;
		for (unsigned i = 0; i < Nworkers && next < count; i++)
			if (Workers[i].pid == 0) {
				w = &Workers[i];
				break;
			}
		if (w != NULL) {
			if (w->holds_image)
				restore(st, target(w, st), false);
			apply(st, target(w, st), im[next].sel);
			w->holds_image = true;
			w->image = next++;
			w->pid = spawn(w->argv, w->cmd, w->out, -1, 0);
			if (Nworkers > 1 && (w->pidfd = (int)syscall(
					SYS_pidfd_open, w->pid, 0)) < 0)
				die(EX_TROUBLE, "pidfd_open: %s",
					strerror(errno));
			continue;
		}
		int status;
		w = wait_worker(&status);
		done++;
		R.images++;
		char why[1024];
		const char *bad = judge(w, st, status, why, sizeof(why));
		if (bad != NULL) {
			add_failure(st, im[w->image].spec, w->image, 0, bad);
			if (Opt.keep != NULL)
				keep_image(st, &im[w->image]);
		} else if (Opt.nested != 0) {
			nested(st, w, &im[w->image], w->image);
		}
		progress(false);
	}
	/* the files themselves as they were, for the program to go on */
	if (Workers[0].fd < 0 && Workers[0].holds_image)
		restore(st, st->fds, true);
	for (size_t i = 0; i < count; i++)
		free(im[i].sel);
	free(im);
}

/* ---- runs of the program ---- */

struct count {
	uint32_t kind;
	uint32_t lines;
};

static struct count *Counts;	/* per point, from the counting run */
static uint64_t Ncounts;

static char **Setup_argv;

/* run_setup -- the --setup command, before a run of PROGRAM */
static void
run_setup(void)
{
	if (Opt.setup == NULL)
		return;
	if (Setup_argv == NULL)
		Setup_argv = command_argv(Opt.setup, NULL);
	int status = run_command(Setup_argv, Opt.setup, Out_prog);
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		char line[256], how[64];
		die(EX_TROUBLE, "--setup failed (%s): %s", describe(status,
			how, sizeof(how)), last_line(Out_prog, line,
			sizeof(line)));
	}
}

/* start_program -- a run of PROGRAM under test, or the end of the tool */
static void
start_program(struct subject *s, uint64_t crash_at)
{
	run_setup();
	int status;
	if (start(s, Opt.argv, NULL, Out_prog, crash_at, &status))
		return;
	char line[256], how[64];
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		die(EX_TROUBLE, "cannot run %s: %s", Opt.argv[0],
			last_line(Out_prog, line, sizeof(line)));
	die(EX_TROUBLE, "%s did not load the libpmem.so.1 of %s (%s; last "
		"output: %s): it must be linked dynamically with libpmem",
		Opt.argv[0], Libdir, describe(status, how, sizeof(how)),
		last_line(Out_prog, line, sizeof(line)));
}

/* uncrashed -- the end of a run that was not ended by the tool */
static void
uncrashed(struct subject *s)
{
	int status = finish(s);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	char line[256], how[64];
	die(EX_TROUBLE, "%s failed without a crash (%s): %s", Opt.argv[0],
		describe(status, how, sizeof(how)),
		last_line(Out_prog, line, sizeof(line)));
}

static _Noreturn void
not_deterministic(const char *what)
{
	die(EX_TROUBLE, "%s is not deterministic: %s; crash images cannot be "
		"reproduced", Opt.argv[0], what);
}

/* count_points -- one run, every point gone through: how many, what kind */
static void
count_points(void)
{
	struct subject s;
	start_program(&s, 0);
	struct ct_point h;
	uint64_t cap = 0;
	while (next_point(&s, &h)) {
		struct state st;
		read_state(&s, &h, &st);
		if (Ncounts == cap) {
			cap = cap ? cap * 2 : 64;
			Counts = realloc(Counts, cap * sizeof(*Counts));
		}
		Counts[Ncounts++] = (struct count){ h.kind,
			(uint32_t)st.nlines };
		free_state(&st);
		send_byte(&s, CT_GO);
	}
	uncrashed(&s);
	R.points_total = Ncounts;
}

/* same_as_counted -- does point h with nlines match the counting run? */
static void
same_as_counted(const struct ct_point *h, size_t nlines)
{
	char what[160];
	if (h->point > Ncounts) {
		snprintf(what, sizeof(what), "%" PRIu64 " persistence points "
			"in one run, at least %" PRIu64 " in another", Ncounts,
			h->point);
		not_deterministic(what);
	}
	const struct count *c = &Counts[h->point - 1];
	if (c->kind != h->kind || (c->lines != nlines)) {
		snprintf(what, sizeof(what), "point %" PRIu64 " was a %s with "
			"%u lines at risk in one run, a %s with %zu in another",
			h->point, Kind_name[c->kind], c->lines,
			Kind_name[h->kind], nlines);
		not_deterministic(what);
	}
	if (h->kind == CT_EXIT && h->point != Ncounts) {
		snprintf(what, sizeof(what), "it ended after %" PRIu64
			" points in one run, %" PRIu64 " in another", Ncounts,
			h->point);
		not_deterministic(what);
	}
}

/* selected -- the points to test, a flag each (1-based) */
static bool *
selected(void)
{
	if (Opt.point > Ncounts)
		die(EX_USAGE, "--point %" PRIu64 ": %s has %" PRIu64
			" persistence points", Opt.point, Opt.argv[0], Ncounts);
	bool *sel = calloc(Ncounts + 1, sizeof(*sel));
	if (Opt.point != 0) {
		sel[Opt.point] = true;
	} else if (Opt.max_points != 0 && Opt.max_points < Ncounts) {
		/* a seeded sample: the first max_points of a shuffle */
		uint64_t *order = malloc(Ncounts * sizeof(*order));
		for (uint64_t i = 0; i < Ncounts; i++)
			order[i] = i + 1;
		uint64_t x = mix(Opt.seed);
		for (uint64_t i = 0; i < Opt.max_points; i++) {
			x = mix(x);
			uint64_t j = i + x % (Ncounts - i);
			uint64_t tmp = order[i];
			order[i] = order[j];
			order[j] = tmp;
			sel[order[i]] = true;
		}
		free(order);
	} else {
		for (uint64_t i = 1; i <= Ncounts; i++)
			sel[i] = true;
	}
	return sel;
}

/* test_resume -- one run, stopped at each selected point */
static void
test_resume(const bool *sel)
{
	struct subject s;
	No_alarm = true;
	start_program(&s, 0);
	No_alarm = false;
	struct ct_point h;
	uint64_t seen = 0;
	while (next_point(&s, &h)) {
		seen = h.point;
		if (h.point > Ncounts || !sel[h.point]) {
			if (h.point > Ncounts)
				same_as_counted(&h, 0);
			send_byte(&s, CT_GO);
			continue;
		}
		struct state st;
		read_state(&s, &h, &st);
		same_as_counted(&h, st.nlines);
		check_point(&st);
		free_state(&st);
		send_byte(&s, CT_GO);
	}
	uncrashed(&s);
	if (seen != Ncounts) {
		char what[160];
		snprintf(what, sizeof(what), "%" PRIu64 " persistence points "
			"in one run, %" PRIu64 " in another", Ncounts, seen);
		not_deterministic(what);
	}
}

/* test_rerun -- a run per selected point, ended there */
static void
test_rerun(const bool *sel)
{
	for (uint64_t k = 1; k <= Ncounts; k++) {
		if (!sel[k])
			continue;
		struct subject s;
		start_program(&s, k);
		struct ct_point h;
		bool reached = false;
		struct state st;
		while (next_point(&s, &h)) {
			if (h.point != k) {
				/* the end came first */
				send_byte(&s, CT_GO);
				continue;
			}
			read_state(&s, &h, &st);
			same_as_counted(&h, st.nlines);
			send_byte(&s, CT_DIE);
			reached = true;
			break;
		}
		if (!reached) {
			uncrashed(&s);
			char what[160];
			snprintf(what, sizeof(what), "it ended before point %"
				PRIu64 " of %" PRIu64, k, Ncounts);
			not_deterministic(what);
		}
		finish(&s);
		check_point(&st);
		free_state(&st);
	}
}

/* ---- the report ---- */

static void
print_repro(FILE *f, const struct failure *x)
{
	fprintf(f, "  repro: " PROG);
	if (strcmp(Opt.domain, "adr") != 0)
		fprintf(f, " --domain %s", Opt.domain);
	if (Opt.mode == MODE_RERUN)
		fprintf(f, " --mode rerun");
	fprintf(f, " --seed %" PRIu64 "%s --point %" PRIu64 " --image %s",
		Opt.seed, Opt.tear ? " --tear" : "", x->point, x->image);
	if (x->nested)
		fprintf(f, " --nested-point %" PRIu64, x->nested);
	if (Opt.setup != NULL) {
		fprintf(f, " --setup ");
		put_quoted(f, Opt.setup);
	}
	if (Opt.libdir != NULL) {
		fprintf(f, " --lib ");
		put_quoted(f, Opt.libdir);
	}
	fprintf(f, " --check ");
	put_quoted(f, Opt.check);
	fprintf(f, " --");
	for (int i = 0; i < Opt.argc; i++) {
		fputc(' ', f);
		put_quoted(f, Opt.argv[i]);
	}
	fputc('\n', f);
}

static int
cmp_failure(const void *a, const void *b)
{
	const struct failure *x = a, *y = b;
	if (x->point != y->point)
		return x->point < y->point ? -1 : 1;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->nested < y->nested ? -1 : x->nested > y->nested;
}

static void
report(void)
{
	double t = now() - R.t0;
	progress(true);
	printf(PROG ":");
	for (int i = 0; i < Opt.argc; i++) {
		putchar(' ');
		put_quoted(stdout, Opt.argv[i]);
	}
	printf("\n  domain %s, seed %" PRIu64 ", %s, up to %u images per "
		"point%s%s\n", strcmp(Opt.domain, "adr") == 0 ? "ADR" : "eADR",
		Opt.seed, Opt.mode == MODE_RESUME ? "resumed at each point" :
		"rerun per point", Opt.images, Opt.tear ? ", torn at 8 bytes" :
		"", Opt.nested ? ", nested crashes in the check" : "");
	printf("  points:   %" PRIu64 " tested of %" PRIu64 " (%" PRIu64
		" drain, %" PRIu64 " msync, %" PRIu64 " unmap, %" PRIu64
		" exit)\n", R.points_tested, R.points_total, R.kinds[CT_DRAIN],
		R.kinds[CT_SYNC], R.kinds[CT_UNMAP], R.kinds[CT_EXIT]);
	printf("  images:   %" PRIu64 " checked; %.6g distinct at the tested "
		"points (at most 2^%zu at one)\n", R.images, R.distinct,
		R.max_units);
	if (Opt.nested)
		printf("  nested:   %" PRIu64 " checks crashed at one of their "
			"points, then run again\n", R.nested);
	printf("  failures: %zu\n", R.nfail);
	printf("  time:     %.2f s, %.0f images/s\n", t,
		t > 0 ? (double)R.images / t : 0.0);
	if (R.nfail > 1)
		qsort(R.fail, R.nfail, sizeof(*R.fail), cmp_failure);
	size_t shown = Opt.max_failures && Opt.max_failures < R.nfail ?
		Opt.max_failures : R.nfail;
	for (size_t i = 0; i < shown; i++) {
		const struct failure *x = &R.fail[i];
		printf("FAIL point %" PRIu64 " (%s), image %s", x->point,
			Kind_name[x->kind], x->image);
		if (x->nested)
			printf(", check crashed at its point %" PRIu64
				" then rerun", x->nested);
		printf(": %s\n", x->why);
		print_repro(stdout, x);
	}
	if (shown < R.nfail)
		printf("... and %zu more failing images (--max-failures 0 "
			"lists all)\n", R.nfail - shown);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	parse(argc, argv);
	find_lib();
	Devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	Out_prog = memfd_create("program-output", MFD_CLOEXEC);
	Out_check = memfd_create("check-output", MFD_CLOEXEC);
	if (Out_prog < 0 || Out_check < 0)
		die(EX_TROUBLE, "memfd_create: %s", strerror(errno));
	R.t0 = now();
	count_points();
	bool *sel = selected();
	if (Opt.mode == MODE_RESUME)
		test_resume(sel);
	else
		test_rerun(sel);
	free(sel);
	report();
	return R.nfail ? EX_FAILED : EX_PASSED;
}

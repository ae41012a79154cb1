/*
 * emu_crash_protocol_test.c -- the library's side of pmem-crashtest's
 * protocol (emu/crash_proto.h), with this test playing the tool.
 *
 * The helper (argv[1], emu_helper.c "crash") runs six persistence points on
 * a file of 'o' bytes; at each the test may ask for the state, which must
 * list exactly the lines not durable yet, and lets the point go on or ends
 * the process there; the file must then hold exactly what was durable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emu/crash_proto.h"
#include "emu_util.h"

#define FILE_SIZE 4096

extern char **environ;

struct child {
	pid_t pid;
	int sock;
};

/* start -- the helper on path with PMEM_EMULATE=domain and the socket */
static void
start(struct child *c, const char *path, const char *domain,
		const char *crash_at, const char *fd_value)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		close(sv[0]);
		char fd[16];
		snprintf(fd, sizeof(fd), "%d", sv[1]);
		setenv("PMEM_EMULATE_CRASH_FD", fd_value ? fd_value : fd, 1);
		if (domain != NULL)
			setenv("PMEM_EMULATE", domain, 1);
		else
			unsetenv("PMEM_EMULATE");
		if (crash_at != NULL)
			setenv("PMEM_EMULATE_CRASH_AT", crash_at, 1);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		execl(Eu_helper, Eu_helper, "crash", path, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	c->sock = sv[0];
}

static void
get(struct child *c, void *buf, size_t len)
{
	assert_int_equal(recv(c->sock, buf, len, MSG_WAITALL), (ssize_t)len);
}

static void
put(struct child *c, char reply)
{
	assert_int_equal(send(c->sock, &reply, 1, MSG_NOSIGNAL), 1);
}

static void
expect_hello(struct child *c, uint64_t domain)
{
	struct ct_point h;
	get(c, &h, sizeof(h));
	assert_int_equal(h.magic, CT_MAGIC);
	assert_int_equal(h.kind, CT_HELLO);
	assert_int_equal(h.point, domain);
}

static void
expect_point(struct child *c, uint64_t point, uint32_t kind)
{
	struct ct_point h;
	get(c, &h, sizeof(h));
	assert_int_equal(h.magic, CT_MAGIC);
	assert_int_equal(h.point, point);
	assert_int_equal(h.kind, kind);
}

/* a line expected in a state: its offset and differing words */
struct want {
	uint64_t off;
	uint8_t words;
};

/*
 * expect_state -- asks for the state: nfiles files (the helper's, named as
 * given), and exactly the lines of want, each 'n' where it differs
 */
static void
expect_state(struct child *c, const char *path, uint32_t nfiles,
		const struct want *want, size_t nwant)
{
	put(c, CT_STATE);
	struct ct_state s;
	get(c, &s, sizeof(s));
	assert_int_equal(s.nfiles, nfiles);
	for (uint32_t i = 0; i < s.nfiles; i++) {
		struct ct_file f;
		char ctl[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { &f, sizeof(f) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl, .msg_controllen = sizeof(ctl) };
		assert_int_equal(recvmsg(c->sock, &m, MSG_WAITALL),
			(ssize_t)sizeof(f));
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		assert_non_null(cm);
		assert_int_equal(cm->cmsg_type, SCM_RIGHTS);
		int fd;
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		/* the descriptor is the file's: it reads the file's bytes */
		char byte = 0;
		assert_int_equal(pread(fd, &byte, 1, 3 * EU_LINE), 1);
		assert_int_equal(byte, EU_OLD);
		close(fd);
		char name[512];
		assert_true(f.pathlen < sizeof(name));
		get(c, name, f.pathlen);
		name[f.pathlen] = '\0';
		assert_string_equal(name, path);
	}
	assert_int_equal(s.nlines, nwant);
	for (size_t i = 0; i < nwant; i++) {
		struct ct_line l;
		get(c, &l, sizeof(l));
		assert_int_equal(l.file, 0);
		assert_int_equal(l.len, CT_LINE);
		assert_int_equal(l.off, want[i].off);
		assert_int_equal(l.words, want[i].words);
		for (unsigned w = 0; w < 8; w++)
			if (l.words & (1u << w))
				for (unsigned b = 0; b < 8; b++)
					assert_int_equal(l.data[w * 8 + b],
						EU_NEW);
	}
}

static int
end_status(struct child *c)
{
	/* the end: the socket closes */
	char x;
	assert_int_equal(recv(c->sock, &x, 1, 0), 0);
	close(c->sock);
	int status;
	assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
	return status;
}

#define L(i) ((uint64_t)(i) * EU_LINE)

/* ADR, every point let go on: the points, their kinds, their states */
static void
adr_points_and_states(void **state)
{
	(void)state;
	char *path = eu_fresh_file(FILE_SIZE);
	struct child c;
	start(&c, path, "adr", NULL, NULL);
	expect_hello(&c, 1);

	expect_point(&c, 1, CT_DRAIN);
	const struct want p1[] = { { L(0), 0xff }, { L(1), 0xff } };
	expect_state(&c, path, 1, p1, 2);
	put(&c, CT_GO);

	expect_point(&c, 2, CT_DRAIN);
	/* line 0 is durable; 8 bytes of line 2: one word */
	const struct want p2[] = { { L(1), 0xff }, { L(2), 0x01 } };
	expect_state(&c, path, 1, p2, 2);
	put(&c, CT_GO);

	expect_point(&c, 3, CT_DRAIN);
	const struct want p3[] = { { L(1), 0xff }, { L(4), 0xff } };
	expect_state(&c, path, 1, p3, 2);
	put(&c, CT_GO);

	/* points may also go on without a look at the state */
	expect_point(&c, 4, CT_SYNC);
	put(&c, CT_GO);
	/* msync made line 0's page durable, as the kernel's does: line 1 */
	expect_point(&c, 5, CT_UNMAP);
	expect_state(&c, path, 1, NULL, 0);
	put(&c, CT_GO);
	expect_point(&c, 6, CT_EXIT);
	expect_state(&c, path, 0, NULL, 0);
	put(&c, CT_GO);

	int status = end_status(&c);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	eu_expect_bytes(path, 0, 3 * EU_LINE - 56, EU_NEW);
	eu_expect_bytes(path, 4 * EU_LINE, EU_LINE, EU_NEW);
	eu_remove_file(path);
}

/* ADR, ended at point 2: only what point 1 made durable is in the file */
static void
adr_die_keeps_durable_only(void **state)
{
	(void)state;
	char *path = eu_fresh_file(FILE_SIZE);
	struct child c;
	start(&c, path, "adr", NULL, NULL);
	expect_hello(&c, 1);
	expect_point(&c, 1, CT_DRAIN);
	put(&c, CT_GO);
	expect_point(&c, 2, CT_DRAIN);
	put(&c, CT_DIE);
	int status = end_status(&c);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CT_DIED_STATUS);
	eu_expect_bytes(path, 0, EU_LINE, EU_NEW);
	eu_expect_bytes(path, EU_LINE, FILE_SIZE - EU_LINE, EU_OLD);
	eu_remove_file(path);
}

/* PMEM_EMULATE_CRASH_AT: silent up to the point, then the state there */
static void
adr_crash_at_skips_earlier_points(void **state)
{
	(void)state;
	char *path = eu_fresh_file(FILE_SIZE);
	struct child c;
	start(&c, path, "adr", "3", NULL);
	expect_hello(&c, 1);
	expect_point(&c, 3, CT_DRAIN);
	const struct want p3[] = { { L(1), 0xff }, { L(4), 0xff } };
	expect_state(&c, path, 1, p3, 2);
	put(&c, CT_DIE);
	int status = end_status(&c);
	assert_int_equal(WEXITSTATUS(status), CT_DIED_STATUS);
	eu_expect_bytes(path, 0, EU_LINE, EU_NEW);
	eu_expect_bytes(path, EU_LINE, EU_LINE, EU_OLD);
	eu_expect_bytes(path, 2 * EU_LINE, 8, EU_NEW);
	eu_expect_bytes(path, 2 * EU_LINE + 8, FILE_SIZE - 2 * EU_LINE - 8,
		EU_OLD);
	eu_remove_file(path);
}

/* the end of the program is always reported, past PMEM_EMULATE_CRASH_AT */
static void
crash_at_past_the_end_reports_the_end(void **state)
{
	(void)state;
	char *path = eu_fresh_file(FILE_SIZE);
	struct child c;
	start(&c, path, "adr", "100", NULL);
	expect_hello(&c, 1);
	expect_point(&c, 6, CT_EXIT);
	put(&c, CT_GO);
	int status = end_status(&c);
	assert_int_equal(WEXITSTATUS(status), 0);
	eu_remove_file(path);
}

/* eADR: only streamed data not yet drained is at risk */
static void
eadr_only_streamed_at_risk(void **state)
{
	(void)state;
	char *path = eu_fresh_file(FILE_SIZE);
	struct child c;
	start(&c, path, "eadr", NULL, NULL);
	expect_hello(&c, 2);
	expect_point(&c, 1, CT_DRAIN);
	expect_state(&c, path, 1, NULL, 0);
	put(&c, CT_GO);
	expect_point(&c, 2, CT_DRAIN);
	expect_state(&c, path, 1, NULL, 0);
	put(&c, CT_GO);
	expect_point(&c, 3, CT_DRAIN);
	const struct want p3[] = { { L(4), 0xff } };
	expect_state(&c, path, 1, p3, 1);
	put(&c, CT_DIE);
	int status = end_status(&c);
	assert_int_equal(WEXITSTATUS(status), CT_DIED_STATUS);
	/* cached stores are durable at once; the stream is not */
	eu_expect_bytes(path, 0, 2 * EU_LINE, EU_NEW);
	eu_expect_bytes(path, 2 * EU_LINE, 8, EU_NEW);
	eu_expect_bytes(path, 4 * EU_LINE, EU_LINE, EU_OLD);
	eu_remove_file(path);
}

/* without emulation the socket is ignored and the program runs */
static void
no_emulation_no_points(void **state)
{
	(void)state;
	char *path = eu_fresh_file(FILE_SIZE);
	struct child c;
	start(&c, path, NULL, NULL, NULL);
	int status = end_status(&c);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 2);	/* is_pmem is 0 */
	eu_remove_file(path);
}

/* a value that is not a socket ends the program before main */
static void
bad_fd_refused(void **state)
{
	(void)state;
	char *path = eu_fresh_file(FILE_SIZE);
	static const char *const bad[] = { "x", "-1", "0", "12a", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct child c;
		start(&c, path, "adr", NULL, bad[i]);
		int status = end_status(&c);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 1);
	}
	struct child c;
	start(&c, path, "adr", "0", NULL);	/* CRASH_AT must be >= 1 */
	int status = end_status(&c);
	assert_int_equal(WEXITSTATUS(status), 1);
	eu_expect_bytes(path, 0, FILE_SIZE, EU_OLD);
	eu_remove_file(path);
}

int
main(int argc, char *argv[])
{
	if (!eu_helper_arg(argc, argv))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(adr_points_and_states),
		cmocka_unit_test(adr_die_keeps_durable_only),
		cmocka_unit_test(adr_crash_at_skips_earlier_points),
		cmocka_unit_test(crash_at_past_the_end_reports_the_end),
		cmocka_unit_test(eadr_only_streamed_at_risk),
		cmocka_unit_test(no_emulation_no_points),
		cmocka_unit_test(bad_fd_refused),
	};
	return cmocka_run_group_tests(tests, eu_setup, eu_teardown);
}

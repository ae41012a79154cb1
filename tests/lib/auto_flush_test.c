/*
 * auto_flush_test.c -- eADR detection: auto_flush_probe() on fake sysfs
 * trees (symlinked region directories with persistence_domain files), and
 * pmem_has_auto_flush() / pmem_has_hw_drain() on this machine.
 *
 * The expected results are PMDK's, observed with the same trees bound over
 * /sys/bus/nd/devices. read() is wrapped (-Wl,--wrap=read) to make it fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libpmem.h>

#include "lib/auto_flush.h"
#include "map_util.h"

static int Fail_read;	/* errno for the next read() calls, 0: real */

ssize_t __real_read(int fd, void *buf, size_t len);
ssize_t __wrap_read(int fd, void *buf, size_t len);

ssize_t
__wrap_read(int fd, void *buf, size_t len)
{
	if (Fail_read != 0) {
		errno = Fail_read;
		return -1;
	}
	return __real_read(fd, buf, len);
}

struct tree {
	char *root;	/* holds bus/ and regions/ */
	char *bus;	/* what auto_flush_probe() reads */
};

/* setup -- an empty fake bus directory */
static int
setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	t->root = mu_mkdtemp();
	t->bus = mu_join(t->root, "bus");
	char *regions = mu_join(t->root, "regions");
	if (mkdir(t->bus, 0755) != 0 || mkdir(regions, 0755) != 0)
		return -1;
	free(regions);
	Fail_read = 0;
	*state = t;
	return 0;
}

/* teardown -- removes the tree */
static int
teardown(void **state)
{
	struct tree *t = *state;
	mu_rmtree(t->root);
	free(t->root);
	free(t->bus);
	free(t);
	return 0;
}

/* write_file -- path with exactly len bytes of content */
static void
write_file(const char *path, const char *content, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
}

/*
 * region_n -- regions/<dir> with a persistence_domain of len bytes (none if
 * content is NULL), linked from bus/<link>
 */
static void
region_n(struct tree *t, const char *link, const char *dir,
		const char *content, size_t len)
{
	char *target = mu_join("../regions", dir);
	char *real = mu_join(t->root, "regions");
	char *rdir = mu_join(real, dir);
	assert_int_equal(mkdir(rdir, 0755), 0);
	if (content != NULL) {
		char *domain = mu_join(rdir, "persistence_domain");
		write_file(domain, content, len);
		free(domain);
	}
	char *lpath = mu_join(t->bus, link);
	assert_int_equal(symlink(target, lpath), 0);
	free(lpath);
	free(rdir);
	free(real);
	free(target);
}

/* region -- region_n with a C string */
static void
region(struct tree *t, const char *name, const char *content)
{
	region_n(t, name, name, content, content ? strlen(content) : 0);
}

/* set_stale_message -- a message a failing probe must replace */
static const char *
set_stale_message(void)
{
	pmem_check_version(99, 0);
	return "libpmem major version mismatch (need 99, found 1)";
}

/* expect_error -- the probe returns -1 and says why */
static void
expect_error(struct tree *t)
{
	const char *stale = set_stale_message();
	assert_int_equal(auto_flush_probe(t->bus), -1);
	assert_true(pmem_errormsg()[0] != '\0');
	assert_string_not_equal(pmem_errormsg(), stale);
}

static void
missing_bus_directory_is_0(void **state)
{
	struct tree *t = *state;
	char *missing = mu_join(t->root, "missing");
	assert_int_equal(auto_flush_probe(missing), 0);
	free(missing);
}

static void
bus_that_is_a_file_is_0(void **state)
{
	struct tree *t = *state;
	char *file = mu_join(t->root, "file");
	write_file(file, "cpu_cache\n", 10);
	assert_int_equal(auto_flush_probe(file), 0);
	free(file);
}

static void
bus_without_regions_is_0(void **state)
{
	struct tree *t = *state;
	assert_int_equal(auto_flush_probe(t->bus), 0);
	/* entries that are not region links do not count */
	char *other = mu_join(t->bus, "ndbus0");
	assert_int_equal(mkdir(other, 0755), 0);
	free(other);
	assert_int_equal(auto_flush_probe(t->bus), 0);
}

static void
one_cpu_cache_region_is_1(void **state)
{
	struct tree *t = *state;
	region(t, "region0", "cpu_cache\n");
	assert_int_equal(auto_flush_probe(t->bus), 1);
}

static void
all_regions_cpu_cache_is_1(void **state)
{
	struct tree *t = *state;
	region(t, "region0", "cpu_cache\n");
	region(t, "region1", "cpu_cache\n");
	region(t, "region2", "cpu_cache\n");
	assert_int_equal(auto_flush_probe(t->bus), 1);
}

static void
one_memory_controller_region_among_cpu_cache_is_0(void **state)
{
	struct tree *t = *state;
	region(t, "region0", "cpu_cache\n");
	region(t, "region1", "memory_controller\n");
	region(t, "region2", "cpu_cache\n");
	assert_int_equal(auto_flush_probe(t->bus), 0);
}

static void
memory_controller_only_is_0(void **state)
{
	struct tree *t = *state;
	region(t, "region0", "memory_controller\n");
	assert_int_equal(auto_flush_probe(t->bus), 0);
}

static void
empty_line_is_0(void **state)
{
	struct tree *t = *state;
	region(t, "region0", "\n");
	assert_int_equal(auto_flush_probe(t->bus), 0);
}

static void
cpu_cache_with_trailing_space_is_0(void **state)
{
	struct tree *t = *state;
	region(t, "region0", "cpu_cache \n");
	region(t, "region1", "cpu_cache\n");
	assert_int_equal(auto_flush_probe(t->bus), 0);
}

static void
cpu_cache_followed_by_another_line_is_0(void **state)
{
	struct tree *t = *state;
	region(t, "region0", "cpu_cache\nmore\n");
	assert_int_equal(auto_flush_probe(t->bus), 0);
}

static void
region_without_persistence_domain_is_0(void **state)
{
	struct tree *t = *state;
	region(t, "region0", "cpu_cache\n");
	region(t, "region1", NULL);
	assert_int_equal(auto_flush_probe(t->bus), 0);
}

static void
persistence_domain_below_first_level_is_not_read(void **state)
{
	struct tree *t = *state;
	region(t, "region0", NULL);
	char *sub = mu_join(t->root, "regions/region0/sub");
	assert_int_equal(mkdir(sub, 0755), 0);
	char *domain = mu_join(sub, "persistence_domain");
	write_file(domain, "cpu_cache\n", 10);
	assert_int_equal(auto_flush_probe(t->bus), 0);
	free(domain);
	free(sub);
}

static void
persistence_domain_that_is_a_directory_is_absent(void **state)
{
	struct tree *t = *state;
	region(t, "region0", NULL);
	char *domain = mu_join(t->root, "regions/region0/persistence_domain");
	assert_int_equal(mkdir(domain, 0755), 0);
	assert_int_equal(auto_flush_probe(t->bus), 0);
	free(domain);
}

static void
persistence_domain_that_is_a_symlink_is_absent(void **state)
{
	struct tree *t = *state;
	region(t, "region0", NULL);
	char *file = mu_join(t->root, "regions/cpu_cache");
	write_file(file, "cpu_cache\n", 10);
	char *domain = mu_join(t->root, "regions/region0/persistence_domain");
	assert_int_equal(symlink("../cpu_cache", domain), 0);
	assert_int_equal(auto_flush_probe(t->bus), 0);
	free(domain);
	free(file);
}

struct unreadable {
	const char *bus;
	int result;
	char msg[64];
};

/* probe_unreadable -- probes on a thread that cannot open the domain file */
static void
probe_unreadable(void *arg)
{
	struct unreadable *u = arg;
	u->result = auto_flush_probe(u->bus);
	snprintf(u->msg, sizeof(u->msg), "%s", pmem_errormsg());
}

static void
persistence_domain_that_cannot_be_opened_is_0_without_message(void **state)
{
	struct tree *t = *state;
	region(t, "region0", "cpu_cache\n");
	char *domain = mu_join(t->root, "regions/region0/persistence_domain");
	assert_int_equal(chmod(domain, 0), 0);
	free(domain);
	struct unreadable u = { .bus = t->bus, .result = 99 };
	if (!mu_without_dac_override(probe_unreadable, &u))
		skip();	/* cannot drop CAP_DAC_OVERRIDE here */
	assert_int_equal(u.result, 0);
	/* a fresh thread's message stays empty: nothing was reported */
	assert_string_equal(u.msg, "");
}

static void
domain_text_is_compared_up_to_nul_without_final_newline(void **state)
{
	struct tree *t = *state;
	/* what PMDK does: drop the final newline, compare as a C string */
	region_n(t, "region0", "region0", "cpu_cache\0junk\n", 15);
	assert_int_equal(auto_flush_probe(t->bus), 1);
	region_n(t, "region1", "region1", "cpu_cache\n\0junk\n", 16);
	assert_int_equal(auto_flush_probe(t->bus), 0);
}

static void
dangling_region_link_is_0(void **state)
{
	struct tree *t = *state;
	region(t, "region0", "cpu_cache\n");
	char *link = mu_join(t->bus, "region1");
	assert_int_equal(symlink("../regions/none", link), 0);
	free(link);
	assert_int_equal(auto_flush_probe(t->bus), 0);
}

static void
only_symlinks_count_as_regions(void **state)
{
	struct tree *t = *state;
	region(t, "region0", "cpu_cache\n");
	/* a real directory named like a region is not one */
	char *dir = mu_join(t->bus, "region1");
	assert_int_equal(mkdir(dir, 0755), 0);
	char *domain = mu_join(dir, "persistence_domain");
	write_file(domain, "memory_controller\n", 18);
	assert_int_equal(auto_flush_probe(t->bus), 1);
	free(domain);
	free(dir);
}

static void
only_links_named_region_count(void **state)
{
	struct tree *t = *state;
	region(t, "xregiony", "cpu_cache\n");
	region_n(t, "ndbus0", "bus0", "memory_controller\n", 18);
	region_n(t, "dax0.0", "dax0", "memory_controller\n", 18);
	assert_int_equal(auto_flush_probe(t->bus), 1);
}

static void
cpu_cache_without_newline_is_error(void **state)
{
	struct tree *t = *state;
	region(t, "region0", "cpu_cache");
	expect_error(t);
}

static void
empty_persistence_domain_is_error(void **state)
{
	struct tree *t = *state;
	region(t, "region0", "");
	expect_error(t);
}

static void
persistence_domain_longer_than_32_bytes_is_error(void **state)
{
	struct tree *t = *state;
	/* the first 32 bytes do not end in a newline */
	region(t, "region0", "cpu_cache\ncpu_cache\ncpu_cache\ncpu_cache\n");
	expect_error(t);
}

static void
read_failure_is_error(void **state)
{
	struct tree *t = *state;
	region(t, "region0", "cpu_cache\n");
	Fail_read = EIO;
	expect_error(t);
	Fail_read = 0;
	assert_int_equal(auto_flush_probe(t->bus), 1);
}

/* nd_regions -- number of region links in the real nd bus directory */
static int
nd_regions(bool *all_cpu_cache)
{
	*all_cpu_cache = true;
	DIR *d = opendir(ND_BUS_DEVICES);
	if (d == NULL)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strstr(e->d_name, "region") == NULL)
			continue;
		n++;
		char path[512], buf[64] = "";
		snprintf(path, sizeof(path), "%s/%s/persistence_domain",
			ND_BUS_DEVICES, e->d_name);
		FILE *f = fopen(path, "re");
		if (f == NULL || fgets(buf, sizeof(buf), f) == NULL ||
				strcmp(buf, "cpu_cache\n") != 0)
			*all_cpu_cache = false;
		if (f != NULL)
			fclose(f);
	}
	closedir(d);
	return n;
}

static void
has_auto_flush_follows_this_machines_sysfs(void **state)
{
	(void)state;
	bool all_cpu_cache;
	int regions = nd_regions(&all_cpu_cache);
	int want = regions > 0 && all_cpu_cache;
	assert_int_equal(pmem_has_auto_flush(), want);
	assert_int_equal(pmem_has_auto_flush(), want);
}

static void
has_hw_drain_is_0_on_x86_64(void **state)
{
	(void)state;
	assert_int_equal(pmem_has_hw_drain(), 0);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(missing_bus_directory_is_0),
		T(bus_that_is_a_file_is_0),
		T(bus_without_regions_is_0),
		T(one_cpu_cache_region_is_1),
		T(all_regions_cpu_cache_is_1),
		T(one_memory_controller_region_among_cpu_cache_is_0),
		T(memory_controller_only_is_0),
		T(empty_line_is_0),
		T(cpu_cache_with_trailing_space_is_0),
		T(cpu_cache_followed_by_another_line_is_0),
		T(region_without_persistence_domain_is_0),
		T(persistence_domain_below_first_level_is_not_read),
		T(persistence_domain_that_is_a_directory_is_absent),
		T(persistence_domain_that_is_a_symlink_is_absent),
		T(persistence_domain_that_cannot_be_opened_is_0_without_message),
		T(domain_text_is_compared_up_to_nul_without_final_newline),
		T(dangling_region_link_is_0),
		T(only_symlinks_count_as_regions),
		T(only_links_named_region_count),
		T(cpu_cache_without_newline_is_error),
		T(empty_persistence_domain_is_error),
		T(persistence_domain_longer_than_32_bytes_is_error),
		T(read_failure_is_error),
		cmocka_unit_test(has_auto_flush_follows_this_machines_sysfs),
		cmocka_unit_test(has_hw_drain_is_0_on_x86_64),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}

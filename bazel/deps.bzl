"""What another Bazel workspace needs in order to depend on this one.

In its WORKSPACE:

    local_repository(name = "pmem", path = "/path/to/pmem")

    load("@pmem//bazel:deps.bzl", "pmem_dependencies")

    pmem_dependencies()

then `deps = ["@pmem//:pmem"]` (static library) in a cc_binary or cc_test.
The repository must be named "pmem". Like this one, the result builds
offline from Debian's packages (bazel-bootstrap, bazel-rules-cc,
bazel-rules-java).
"""

load("//bazel:debian_rules_cc.bzl", "debian_rules_cc")

_UNAVAILABLE = """#!/bin/sh
echo "coverage is not available in this offline build" >&2
exit 1
"""

_COVERAGE_BUILD = """# Stand-in for Bazel's downloaded coverage tools.
package(default_visibility = ["//visibility:public"])

sh_binary(
    name = "coverage_report_generator",
    srcs = ["unavailable.sh"],
)

sh_binary(
    name = "lcov_merger",
    srcs = ["unavailable.sh"],
)
"""

def _coverage_stub_impl(rctx):
    rctx.file("WORKSPACE", 'workspace(name = "remote_coverage_tools")\n')
    rctx.file("BUILD", _COVERAGE_BUILD)
    rctx.file("unavailable.sh", _UNAVAILABLE, executable = True)

# @remote_coverage_tools, which every cc_test depends on and Bazel would
# otherwise download: two scripts that say coverage is not offered.
_coverage_stub = repository_rule(implementation = _coverage_stub_impl)

def pmem_dependencies():
    """Defines @rules_cc, @rules_java and @remote_coverage_tools offline.

    Each only if the workspace has not defined it already.
    """
    existing = native.existing_rules()
    if "rules_cc" not in existing:
        debian_rules_cc(name = "rules_cc")
    if "rules_java" not in existing:
        native.local_repository(
            name = "rules_java",
            path = "/usr/share/bazel/rules/java",
        )
    if "remote_coverage_tools" not in existing:
        _coverage_stub(name = "remote_coverage_tools")

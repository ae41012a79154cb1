"""Builds the @rules_cc repository from Debian's bazel-rules-cc package.

Debian ships rules_cc 0.0.4, which is newer than Debian's Bazel 4.2.3: two of
its files load `use_cpp_toolchain`, a symbol Bazel 4.2.3 lacks. This rule
links every file of the installed copy into the repository and writes those
two with the plain toolchain-type list instead, so nothing is downloaded.
"""

_PATCHED = [
    "cc/private/rules_impl/compiler_flag.bzl",
    "cc/private/rules_impl/cc_flags_supplier.bzl",
]

def _debian_rules_cc_impl(rctx):
    root = str(rctx.path(rctx.attr.path))
    found = rctx.execute(["find", root, "-type", "f"])
    if found.return_code != 0 or not found.stdout:
        fail("rules_cc not found at %s: install Debian's bazel-rules-cc" % root)
    for full in found.stdout.splitlines():
        rel = full[len(root) + 1:]
        if rel == "WORKSPACE" or rel in _PATCHED:
            continue
        rctx.symlink(full, rel)
    rctx.file("WORKSPACE", 'workspace(name = "rules_cc")\n')
    for rel in _PATCHED:
        text = rctx.read(root + "/" + rel)
        text = text.replace(', "use_cpp_toolchain")', ")")
        text = text.replace("use_cpp_toolchain()", '["@bazel_tools//tools/cpp:toolchain_type"]')
        rctx.file(rel, text)

debian_rules_cc = repository_rule(
    implementation = _debian_rules_cc_impl,
    attrs = {"path": attr.string(default = "/usr/share/bazel/rules/cc")},
    local = True,
)

"""Build helpers shared by the project's BUILD files."""

load("@rules_cc//cc:defs.bzl", "cc_library")

def repo_path(path):
    """Path of a source folder as the compiler sees it, in this or a dependent workspace."""
    repo = native.repository_name()
    if repo == "@":
        return path
    return "external/%s/%s" % (repo[1:], path)

# Warnings are errors in the project's own code.
WARNINGS = [
    "-Wall",
    "-Wextra",
    "-Werror",
]

# Flags for the library sources (lib/ and emu/).
LIB_COPTS = [
    "-std=gnu11",
    "-D_GNU_SOURCE",
    "-O2",
    "-fPIC",
    "-fvisibility=hidden",
    "-Wmissing-prototypes",
] + WARNINGS

def pmem_library(name, insn, visibility = None):
    """The library: core, x86-64 paths and one cc_library per SIMD ISA.

    insn names the cc_library providing x86_insn.h: the real instructions,
    or the counting ones for tests. Everything is alwayslink, so that a shared
    library built from it holds every entry point.
    """
    includes = [
        "-I" + repo_path("lib"),
        "-I" + repo_path("lib/arch/x86_64"),
        "-I" + repo_path("emu"),
    ]
    copts = LIB_COPTS + includes
    hdrs = native.glob(["*.h", "arch/*.h", "arch/x86_64/*.h"])
    for isa, flag in [("avx", "-mavx"), ("avx512f", "-mavx512f")]:
        cc_library(
            name = "%s_%s" % (name, isa),
            srcs = ["arch/x86_64/mem_%s.c" % isa] + hdrs,
            copts = copts + [flag],
            deps = [insn, ":libpmem_h"],
            alwayslink = True,
            linkstatic = True,
        )
    cc_library(
        name = name,
        srcs = native.glob(["*.c", "arch/x86_64/*.c"], exclude = [
            "arch/x86_64/mem_avx.c",
            "arch/x86_64/mem_avx512f.c",
        ]) + hdrs,
        copts = copts,
        deps = [
            insn,
            ":libpmem_h",
            "//emu",
            ":%s_avx" % name,
            ":%s_avx512f" % name,
        ],
        linkopts = ["-lpthread"],
        alwayslink = True,
        linkstatic = True,
        visibility = visibility,
    )

# Flags for tests and tools.
TEST_COPTS = [
    "-std=gnu11",
    "-D_GNU_SOURCE",
    "-O2",
] + WARNINGS

def sanitizer_select(asan, tsan, default = []):
    """A select() on the sanitizer configuration (--config=asan / tsan)."""
    return select({
        "//bazel:asan": asan,
        "//bazel:tsan": tsan,
        "//conditions:default": default,
    })

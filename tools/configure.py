#!/usr/bin/python3
# SPDX-License-Identifier: MPL-2.0
"""Turn configs/<name>_defconfig into out/<name>/: .config, autoconf.h, build.ninja.

Usage: tools/configure.py NAME [--set SYM=VAL ...] [--regen]
       tools/configure.py --top

--top writes the top-level build.ninja, one sub-build per configuration in
configs/ (every `./ostd` command writes it too; it is not kept in git).

The Kconfig step is strict. An undefined symbol, an unmet dependency or a
value that does not stick is a fatal error naming the symbol, the file and
line, and the dependency. Files are rewritten only when their content
changes, so ninja rebuilds only what a change really touches.
"""

import argparse
import configparser
import os
import re
import sys

from manifests import Board, ManifestError, config_names

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

try:
    import kconfiglib
except ImportError:
    # --top needs no Kconfig, and ./ostd writes the top graph before it
    # installs the package; load_kconfig() says what is missing.
    kconfiglib = None

KCONFIGLIB_MISSING = (
    "python3-kconfiglib is missing; run `apt-get install "
    "python3-kconfiglib` (./ostd does this for you), and run this "
    "script with /usr/bin/python3"
)


class ConfigError(Exception):
    pass


def write_if_changed(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        with open(path) as f:
            if f.read() == text:
                return False
    except FileNotFoundError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    return True


ASSIGN_RE = re.compile(r"^(?:CONFIG_)?([A-Za-z0-9_]+)=(.*)$")
UNSET_RE = re.compile(r"^# CONFIG_([A-Za-z0-9_]+) is not set$")


def parse_assignments(path, lines):
    """Yield (symbol, value, 'file:line') for each assignment in `lines`."""
    for i, raw in enumerate(lines, 1):
        line = raw.strip()
        where = "%s:%d" % (path, i)
        m = UNSET_RE.match(line)
        if m:
            yield m.group(1), "n", where
            continue
        if not line or line.startswith("#"):
            continue
        m = ASSIGN_RE.match(line)
        if not m:
            raise ConfigError(
                "%s: cannot parse %r (expected CONFIG_NAME=value)" % (where, line)
            )
        val = m.group(2)
        if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
            val = val[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        yield m.group(1), val, where


def unmet_deps(sym):
    """A readable explanation of why `sym` cannot take a requested value."""
    parts = []
    if (
        sym.direct_dep is not sym.kconfig.y
        and kconfiglib.expr_value(sym.direct_dep) == 0
    ):
        parts.append(
            "it depends on `%s`, which is not met" % kconfiglib.expr_str(sym.direct_dep)
        )
    if sym.choice is not None:
        parts.append(
            "it is a member of the choice `%s`"
            % (sym.choice.name or sym.choice.nodes[0].prompt[0])
        )
    if kconfiglib.expr_value(sym.rev_dep) != 0:
        parts.append("it is selected by `%s`" % kconfiglib.expr_str(sym.rev_dep))
    if not sym.nodes[0].prompt:
        parts.append("it has no prompt, so only `select` or a default sets it")
    return "; ".join(parts) or "its value is fixed by a default or a range"


def load_kconfig(name, overrides):
    global kconfiglib
    if kconfiglib is None:
        try:
            import kconfiglib
        except ImportError:
            raise ConfigError(KCONFIGLIB_MISSING)
    defconfig = os.path.join("configs", name + "_defconfig")
    if not os.path.exists(os.path.join(TOP, defconfig)):
        raise ConfigError(
            "unknown configuration %r; valid ones: %s"
            % (name, ", ".join(config_names()))
        )
    old = os.getcwd()
    # kconfiglib reads $srctree; set it for this load only, so that it
    # never leaks into a child ./ostd working on another tree (new-board's
    # throwaway copy), which would then read this tree's Kconfig files.
    old_srctree = os.environ.get("srctree")
    os.chdir(TOP)
    try:
        os.environ["srctree"] = TOP
        kconf = kconfiglib.Kconfig("Kconfig", warn_to_stderr=False)
        with open(defconfig) as f:
            assigns = list(parse_assignments(defconfig, f.read().splitlines()))
        assigns += list(parse_assignments("--set", overrides))
        for sym_name, val, where in assigns:
            sym = kconf.syms.get(sym_name)
            if sym is None or not sym.nodes:
                raise ConfigError(
                    "%s: undefined Kconfig symbol CONFIG_%s" % (where, sym_name)
                )
            if sym.orig_type in (kconfiglib.BOOL, kconfiglib.TRISTATE) and val not in (
                "y",
                "n",
                "m",
            ):
                raise ConfigError(
                    "%s: CONFIG_%s is a bool; use y or n, not %r"
                    % (where, sym_name, val)
                )
            if not sym.set_value(val):
                raise ConfigError(
                    "%s: invalid value %r for CONFIG_%s" % (where, val, sym_name)
                )
        # Check every assignment stuck, now that all of them are made.
        for sym_name, val, where in assigns:
            sym = kconf.syms[sym_name]
            if sym.str_value != val:
                raise ConfigError(
                    "%s: CONFIG_%s=%s does not stick (it is %r): %s"
                    % (where, sym_name, val, sym.str_value, unmet_deps(sym))
                )
        if kconf.warnings:
            raise ConfigError("Kconfig: " + "\nKconfig: ".join(kconf.warnings))
        return kconf
    finally:
        os.chdir(old)
        if old_srctree is None:
            os.environ.pop("srctree", None)
        else:
            os.environ["srctree"] = old_srctree


def autoconf_text(kconf):
    out = ["/* Generated by tools/configure.py; do not edit. */", "#pragma once"]
    for sym in kconf.unique_defined_syms:
        if sym.type in (kconfiglib.BOOL, kconfiglib.TRISTATE):
            out.append("#define CONFIG_%s %d" % (sym.name, 1 if sym.tri_value else 0))
        elif sym.type == kconfiglib.STRING:
            out.append(
                '#define CONFIG_%s "%s"' % (sym.name, kconfiglib.escape(sym.str_value))
            )
        elif sym.type in (kconfiglib.INT, kconfiglib.HEX) and sym.str_value:
            out.append("#define CONFIG_%s %s" % (sym.name, sym.str_value))
    return "\n".join(out) + "\n"


# The benchmark build's second configuration header: the same symbols with
# the owner registry off, for ostd-bench-noregistry (what the registry
# costs, DESIGN.md §7). Its folder comes first on that binary's include
# path, so "generated/autoconf.h" resolves there.
NOREGISTRY_INCLUDE = "noregistry/include"
NOREGISTRY_AUTOCONF = NOREGISTRY_INCLUDE + "/generated/autoconf.h"


def noregistry_autoconf_text(kconf):
    sym = kconf.syms["VM_OWNER_REGISTRY"]
    old = sym.str_value
    sym.set_value("n")
    try:
        if sym.tri_value:
            raise ConfigError("CONFIG_VM_OWNER_REGISTRY cannot be turned off")
        return autoconf_text(kconf)
    finally:
        sym.set_value(old)


def dotconfig_text(kconf):
    out = []
    for sym in kconf.unique_defined_syms:
        if sym.type in (kconfiglib.BOOL, kconfiglib.TRISTATE):
            out.append("CONFIG_%s=%s" % (sym.name, "y" if sym.tri_value else "n"))
        elif sym.type == kconfiglib.STRING:
            out.append('CONFIG_%s="%s"' % (sym.name, kconfiglib.escape(sym.str_value)))
        elif sym.str_value:
            out.append("CONFIG_%s=%s" % (sym.name, sym.str_value))
    return "\n".join(out) + "\n"


def sources_in(d, exts=(".c", ".S")):
    path = os.path.join(TOP, d)
    if not os.path.isdir(path):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(path) if f.endswith(exts))


DRIVERS_INI = "platform/drivers/drivers.ini"
DRIVER_SYM_RE = re.compile(r"^CONFIG_([A-Z0-9_]+)$")


def driver_table():
    """platform/drivers/drivers.ini: [(symbol, [file, ...])], every .c in
    platform/drivers/ listed exactly once."""
    ini = configparser.ConfigParser(interpolation=None)
    ini.optionxform = str  # Symbols are upper case.
    try:
        ini.read(os.path.join(TOP, DRIVERS_INI))
    except configparser.Error as e:
        raise ConfigError("%s: %s" % (DRIVERS_INI, e))
    if not ini.has_section("drivers"):
        raise ConfigError("%s has no [drivers] section" % DRIVERS_INI)
    table = []
    listed = {}
    for key, val in ini.items("drivers"):
        m = DRIVER_SYM_RE.match(key)
        if not m:
            raise ConfigError(
                "%s: %r: expected CONFIG_X = file.c ..." % (DRIVERS_INI, key)
            )
        files = val.split()
        if not files:
            raise ConfigError("%s: %s names no file" % (DRIVERS_INI, key))
        for f in files:
            if f in listed:
                raise ConfigError(
                    "%s: %s is listed under %s and %s"
                    % (DRIVERS_INI, f, listed[f], key)
                )
            if not os.path.isfile(os.path.join(TOP, "platform/drivers", f)):
                raise ConfigError(
                    "%s: %s names platform/drivers/%s, which does not exist"
                    % (DRIVERS_INI, key, f)
                )
            listed[f] = key
        table.append((m.group(1), ["platform/drivers/" + f for f in files]))
    for src in sources_in("platform/drivers"):
        if os.path.basename(src) not in listed:
            raise ConfigError(
                "%s is in no line of %s; add `CONFIG_X = %s` there, X the "
                "symbol that builds it" % (src, DRIVERS_INI, os.path.basename(src))
            )
    return table


def selected_drivers(kconf):
    """The drivers whose symbol the configuration enables."""
    out = []
    for sym_name, files in driver_table():
        sym = kconf.syms.get(sym_name)
        if sym is None or not sym.nodes:
            raise ConfigError(
                "%s: names undefined symbol CONFIG_%s" % (DRIVERS_INI, sym_name)
            )
        if sym.tri_value:
            out += files
    return sorted(out)


def read_ini(path):
    ini = configparser.ConfigParser(interpolation=None)
    if not ini.read(os.path.join(TOP, path)):
        raise ConfigError("%s is missing" % path)
    return ini


def board_header_text(board):
    """generated/board.h: the board manifest's devices and RAM as macros.

    [devices] name = compatible@0xBASE gives BOARD_<NAME>_COMPAT and
    BOARD_<NAME>_BASE: the device-tree compatible a board looks for and
    the address it uses when there is no device tree (or no such node).
    [board] ram = 0xBASE 0xSIZE gives BOARD_RAM_BASE and BOARD_RAM_SIZE,
    for boards whose loader passes no device tree.
    """
    out = [
        "/* Generated by tools/configure.py from %s; do not edit. */" % board.path,
        "#pragma once",
    ]
    for d in board.devices:
        out.append('#define BOARD_%s_COMPAT "%s"' % (d.name, d.compat))
        out.append("#define BOARD_%s_BASE %#xULL" % (d.name, d.base))
    if board.ram is not None:
        out += [
            "#define BOARD_RAM_BASE %#xULL" % board.ram[0],
            "#define BOARD_RAM_SIZE %#xULL" % board.ram[1],
        ]
    return "\n".join(out) + "\n"


COMMON_WARN = "-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes"
KERNEL_CFLAGS = (
    "-std=c17 -O2 -g -ffreestanding -fno-builtin -fno-common "
    "-fno-stack-protector -fno-pic -fno-pie "
    "-fno-omit-frame-pointer -fno-strict-aliasing "
    "-fno-asynchronous-unwind-tables " + COMMON_WARN
)
HOST_CFLAGS = (
    "-std=c17 -O1 -g -fno-omit-frame-pointer "
    "-DUNIT_TESTING -D_GNU_SOURCE " + COMMON_WARN
)
HOST_SANITIZERS = {
    "HOST_ASAN": "-fsanitize=address,undefined -fno-sanitize-recover=all",
    "HOST_TSAN": "-fsanitize=thread",
    "HOST_INTSAN": "-fsanitize=address,undefined -fno-sanitize-recover=all",
    # Not a sanitizer: the benchmark build's optimisation (-O2 beats -O1).
    "HOST_OPTIMISED": "-O2",
}
# The benchmark program: no UNIT_TESTING (CHECK panics as in a kernel
# instead of calling CMocka), optimised. Its codec twins are linked with
# LTO, so the compile-time-bound codec can be inlined across files.
# DWARF 4: Debian 12's valgrind does not read clang 14's default DWARF 5.
BENCH_CFLAGS = (
    "-std=c17 -O2 -gdwarf-4 -fno-omit-frame-pointer " "-D_GNU_SOURCE " + COMMON_WARN
)
BENCH_LTO = "-flto"
BENCH_FIXED = "-DOSTD_PT_FIXED_CONFIG=x86_64_user_config"
# The software MMU of each kernel arch's format (arch/host/).
SIM_MMU = {
    "x86_64": "sim_mmu_x86_64.c",
    "riscv64": "sim_mmu_riscv.c",
    "aarch64": "sim_mmu_aarch64.c",
}
# Only the core's own arithmetic: libraries and tests may wrap on purpose.
INTSAN_CORE = (
    "-fsanitize=unsigned-integer-overflow,implicit-conversion "
    "-fno-sanitize-recover=all"
)
# core/ must also be free of silent integer conversions (STYLE.md).
CORE_CFLAGS = "-Wconversion -Wsign-conversion"


# Architectures whose PTE codecs the host build compiles and tests.
FORMAT_ARCHES = ("x86_64", "riscv64", "aarch64")


def arch_includes(arch):
    """A kernel sees its own arch's headers. The host also sees every real
    arch's, for their codecs and software MMUs; their names never collide
    (ostd/arch/<arch>_pte.h, ostd/arch/<arch>.h)."""
    arches = [arch] + (list(FORMAT_ARCHES) if arch == "host" else [])
    return " ".join("-Iarch/%s/include" % a for a in arches)


def host_sanitizer(kconf):
    for sym, flags in HOST_SANITIZERS.items():
        if kconf.syms[sym].tri_value:
            return flags
    return ""


def kconfig_files():
    out = []
    for root, _dirs, files in os.walk(TOP):
        rel = os.path.relpath(root, TOP)
        if rel.startswith(("out", ".git")):
            continue
        out += [os.path.normpath(os.path.join(rel, f)) for f in files if f == "Kconfig"]
    return sorted(out)


class Graph:
    """The lines of one out/<name>/build.ninja, and how objects get into it."""

    def __init__(self, name, kconf):
        self.out = "out/" + name
        self.kconf = kconf
        self.host = kconf.syms["ARCH"].str_value == "host"
        self.lines = []

    def add(self, *lines):
        self.lines += lines

    def compile(self, srcs, obj="obj", cflags=None, extra=""):
        """Compile `srcs` into out/<name>/<obj>/; return the objects."""
        objs = []
        for s in srcs:
            o = "%s/%s/%s.o" % (self.out, obj, s)
            flags = [extra] if extra else []
            if s.startswith("core/"):
                flags.append(CORE_CFLAGS)
                if self.host and self.kconf.syms["HOST_INTSAN"].tri_value:
                    flags.append(INTSAN_CORE)
            self.add(
                "build %s: cc %s || %s/include/generated/autoconf.h" % (o, s, self.out)
            )
            if flags:
                self.add("  extra = " + " ".join(flags))
            if cflags is not None:
                self.add("  cflags = " + cflags)
            objs.append(o)
        return objs


def toolchain_text(name, kconf, arch_ini):
    """The variables and rules: the compiler, its flags, and how to link."""
    arch = kconf.syms["ARCH"].str_value
    out = "out/" + name
    b = arch_ini["build"]
    cflags = (
        HOST_CFLAGS + " " + host_sanitizer(kconf) if arch == "host" else KERNEL_CFLAGS
    )
    return [
        "# Generated by tools/configure.py for %s; do not edit." % name,
        "ninja_required_version = 1.10",
        "builddir = %s" % out,
        "out = %s" % out,
        "cc = %s" % b.get("cc", "clang"),
        "target = %s" % b.get("target", ""),
        "includes = -Icore/include -Itest/include -Iplatform/drivers/include "
        "%s -I%s/include" % (arch_includes(arch), out),
        "cflags = %s %s" % (cflags, b.get("cflags", "")),
        "ldflags = %s" % b.get("ldflags", ""),
        "",
        "rule cc",
        "  command = $cc $target $cflags $extra $includes -MD -MF $out.d "
        "-c $in -o $out",
        "  depfile = $out.d",
        "  deps = gcc",
        "  description = CC $out",
        "rule link",
        "  command = $link $ldflags -o $out $in $libs",
        "  description = LINK $out",
        "rule objcopy",
        "  command = llvm-objcopy -O binary $in $out",
        "  description = OBJCOPY $out",
        "rule configure",
        "  command = /usr/bin/python3 tools/configure.py %s --regen" % name,
        "  description = CONFIGURE %s" % name,
        "  generator = 1",
        "  restat = 1",
        "",
    ]


def regen_text(name, kconf, board):
    """The edge that reruns this script when an input of it changes: the
    scripts, the manifests, Kconfig files, and the folders it lists."""
    arch = kconf.syms["ARCH"].str_value
    out = "out/" + name
    scanned = (
        ["core", "core/lib", "core/mm", "arch/" + arch, "platform/" + board]
        + ["arch/" + a for a in FORMAT_ARCHES]
        + ["platform/drivers", "test/unit", "test/harness", "test/host"]
        + ["test/lib", "test/kernel", "arch/common", "examples/hello"]
        + ["examples/hello/user", "examples/hello/user/" + arch, "configs"]
    )
    if arch == "host" and kconf.syms["HOST_BENCH"].tri_value:
        scanned.append("bench")
    deps = (
        ["tools/configure.py", "tools/manifests.py", "tools/packages.py"]
        + ["configs/%s_defconfig" % name, "arch/%s/build.ini" % arch]
        + ["platform/%s/board.ini" % board, DRIVERS_INI, out + "/overrides"]
        + kconfig_files()
        + [d for d in scanned if os.path.isdir(os.path.join(TOP, d))]
    )
    outputs = [out + "/build.ninja", out + "/include/generated/autoconf.h"]
    if arch == "host" and kconf.syms["HOST_BENCH"].tri_value:
        outputs.append("%s/%s" % (out, NOREGISTRY_AUTOCONF))
    return [
        "build %s | %s: configure | %s"
        % (outputs[0], " ".join(outputs[1:]), " ".join(deps)),
        "",
    ]


def base_sources(kconf, board):
    """What every image of the configuration links: the core, the arch,
    the board and its drivers, and the stand-ins the arch lacks."""
    arch = kconf.syms["ARCH"].str_value
    srcs = (
        sources_in("core")
        + sources_in("core/lib")
        + sources_in("core/mm")
        + sources_in("arch/" + arch)
        + sources_in("platform/" + board)
        + selected_drivers(kconf)
    )
    if arch == "host":
        # The codecs are pure: the host tests every real format.
        srcs += [
            f
            for a in FORMAT_ARCHES
            for f in sources_in("arch/" + a)
            if os.path.basename(f) == "pt_format.c"
        ]
        # No user mode, tasks or interrupts on the host: the stand-ins.
        srcs += ["arch/common/user.c", "arch/common/irq.c"]
    else:
        # Shared by the kernel ports: freestanding libc bits, and the
        # single-CPU and no-user-space stand-ins an arch replaces by
        # providing its own file of the same name.
        srcs += sources_in("core/freestanding")
        own = {os.path.basename(f) for f in sources_in("arch/" + arch)}
        srcs += [f for f in sources_in("arch/common") if os.path.basename(f) not in own]
    return srcs


def host_targets(g, base, base_objs, test_objs):
    """ostd-test, and with HOST_BENCH the benchmark programs."""
    # test/host/: host-only tests (they need files or host libraries).
    runner = g.compile(["test/harness/host_runner.c"] + sources_in("test/host"))
    g.add(
        "build %s/ostd-test: link %s"
        % (g.out, " ".join(base_objs + runner + test_objs)),
        "  link = $cc $cflags",
        "  libs = -lcmocka -lfdt -lpthread",
        "default %s/ostd-test" % g.out,
    )
    if not g.kconf.syms["HOST_BENCH"].tri_value:
        return
    # ostd-bench (the kernel's build model), its twin without the owner
    # registry, and the two LTO twins whose only difference is how the
    # codec is called.
    lto = BENCH_CFLAGS + " " + BENCH_LTO
    noreg = "-I%s/%s" % (g.out, NOREGISTRY_INCLUDE)
    for binary, obj, flags, ld, extra in (
        ("ostd-bench", "bench-obj", BENCH_CFLAGS, "", ""),
        ("ostd-bench-noregistry", "bench-noregistry-obj", BENCH_CFLAGS, "", noreg),
        ("ostd-bench-lto", "bench-lto-obj", lto, "-fuse-ld=lld", ""),
        (
            "ostd-bench-x86_64",
            "bench-x86_64-obj",
            lto + " " + BENCH_FIXED,
            "-fuse-ld=lld",
            "",
        ),
    ):
        objs = g.compile(base + sources_in("bench"), obj, flags, extra)
        g.add(
            "build %s/%s: link %s" % (g.out, binary, " ".join(objs)),
            "  link = $cc %s %s" % (flags, ld),
            "  libs = -lpthread -lm",
            "default %s/%s" % (g.out, binary),
        )


def kernel_targets(g, arch_ini, base_objs, test_objs):
    """kernel.elf and ktest.elf (and their raw images); returns them."""
    arch = g.kconf.syms["ARCH"].str_value
    b = arch_ini["build"]
    ld = "ld.lld -nostdlib -static -z noexecstack -T %s" % b["linker_script"]
    kernel_objs = g.compile(sources_in("examples/hello"))
    runner = g.compile(["test/harness/kernel_runner.c"])
    # test/kernel/: tests only a real (emulated) CPU can run. The
    # differential MMU test links this format's software MMU from the host
    # backend, to compare its prediction with the hardware.
    sim = ["arch/host/sim_walk.c", "arch/host/%s" % SIM_MMU[arch]]
    test_objs = test_objs + g.compile(
        sources_in("test/kernel") + sim, extra="-Iarch/host/include"
    )
    images = []
    for image, objs in (("kernel", kernel_objs), ("ktest", runner + test_objs)):
        elf = "%s/%s.elf" % (g.out, image)
        g.add(
            "build %s: link %s | %s"
            % (elf, " ".join(base_objs + objs), b["linker_script"]),
            "  link = " + ld,
        )
        images.append(elf)
        if b.get("image") == "binary":
            g.add("build %s/%s.bin: objcopy %s" % (g.out, image, elf))
            images.append("%s/%s.bin" % (g.out, image))
    return images


def user_programs(g, arch_ini):
    """The example kernel's user programs: static ELFs for this arch, one
    per examples/hello/user/<arch>/*.S and per examples/hello/user/*.c,
    shared by every arch (./ostd run --user). C is built as the kernel is,
    but for the small code model: user programs live low (user.ld)."""
    udir = "examples/hello/user/" + g.kconf.syms["ARCH"].str_value
    b = arch_ini["build"]
    ucflags = (KERNEL_CFLAGS + " " + b.get("cflags", "")).replace("-mcmodel=kernel", "")
    elfs = []
    for src in sources_in(udir) + sources_in("examples/hello/user", (".c",)):
        prog = os.path.splitext(os.path.basename(src))[0]
        obj = "%s/user/%s.o" % (g.out, prog)
        elf = "%s/user/%s.elf" % (g.out, prog)
        g.add(
            "build %s: cc %s" % (obj, src),
            "  cflags = -nostdlib -ffreestanding"
            + (" " + ucflags if src.endswith(".c") else ""),
            "build %s: link %s | %s/user.ld" % (elf, obj, udir),
            "  link = ld.lld -nostdlib -static -z noexecstack -T %s/user.ld" % udir,
        )
        elfs.append(elf)
    return elfs


def ninja_text(name, kconf, arch_ini, board):
    g = Graph(name, kconf)
    g.add(*toolchain_text(name, kconf, arch_ini))
    g.add(*regen_text(name, kconf, board))
    base = base_sources(kconf, board)
    base_objs = g.compile(base)
    test_objs = g.compile(sources_in("test/lib") + sources_in("test/unit"))
    if g.host:
        host_targets(g, base, base_objs, test_objs)
    else:
        images = kernel_targets(g, arch_ini, base_objs, test_objs)
        images += user_programs(g, arch_ini)
        g.add("default " + " ".join(images))
    return "\n".join(g.lines) + "\n"


# The top graph's sub-builds each run this many jobs, so that the top's own
# -j (how many configurations build at once) does not multiply into
# hundreds of compilers: ninja 1.11 has no jobserver to share one limit.
def sub_jobs():
    return max(2, (os.cpu_count() or 2) // 2)


TOP_INPUTS = ["tools/configure.py", "tools/manifests.py", "configs"]


def top_text():
    """The top-level build.ninja: every configuration in configs/ as a
    sub-build, and the edge that regenerates this file when a
    configuration is added or removed (configs/ is a folder, so its time
    changes then). The same input always gives the same text."""
    names = config_names()
    out = [
        "# Generated by tools/configure.py --top from configs/; do not edit.",
        "# `ninja` builds every configuration side by side, `ninja NAME` one.",
        "# Each configuration's own graph is out/NAME/build.ninja, generated",
        "# from configs/NAME_defconfig and Kconfig; it regenerates itself when",
        "# an input changes. The edges below create it the first time, then",
        "# run it.",
        "",
        "ninja_required_version = 1.10",
        "builddir = out",
        "subjobs = %d" % sub_jobs(),
        "",
        "rule top",
        "  command = /usr/bin/python3 tools/configure.py --top",
        "  description = CONFIGURE build.ninja",
        "  generator = 1",
        "  restat = 1",
        "",
        "rule configure",
        "  command = /usr/bin/python3 tools/configure.py $cfg --regen",
        "  description = CONFIGURE $cfg",
        "  generator = 1",
        "",
        "# No console pool: ninja buffers a sub-build's output and prints it",
        "# whole when the sub-build ends, so parallel ones do not interleave.",
        "# An up-to-date sub-build says nothing (not `no work to do`).",
        "rule subbuild",
        "  command = out=$$(ninja --quiet -j $subjobs -f out/$cfg/build.ninja "
        "2>&1); rc=$$?; printf '%s\\n' \"$$out\" | "
        "grep -vx -e 'ninja: no work to do.' -e ''; exit $$rc",
        "  description = BUILD $cfg",
        "",
        "build build.ninja: top | %s" % " ".join(TOP_INPUTS),
        "build always: phony",
        "",
    ]
    for n in names:
        out += [
            "build out/%s/build.ninja: configure configs/%s_defconfig" % (n, n),
            "  cfg = %s" % n,
            "build %s: subbuild out/%s/build.ninja | always" % (n, n),
            "  cfg = %s" % n,
            "",
        ]
    out.append("default " + " ".join(names))
    return "\n".join(out) + "\n"


def write_top():
    """Writes build.ninja at the top; True if its text changed."""
    return write_if_changed(os.path.join(TOP, "build.ninja"), top_text())


def configure(name, overrides, regen):
    out = os.path.join(TOP, "out", name)
    ov_path = os.path.join(out, "overrides")
    if regen:
        try:
            with open(ov_path) as f:
                overrides = [l for l in f.read().splitlines() if l]
        except FileNotFoundError:
            overrides = []
    kconf = load_kconfig(name, overrides)
    arch = kconf.syms["ARCH"].str_value
    board = kconf.syms["BOARD"].str_value
    arch_ini = read_ini("arch/%s/build.ini" % arch)
    manifest = Board(board)
    write_if_changed(ov_path, "".join(o + "\n" for o in overrides))
    write_if_changed(os.path.join(out, ".config"), dotconfig_text(kconf))
    write_if_changed(
        os.path.join(out, "include/generated/autoconf.h"), autoconf_text(kconf)
    )
    if arch == "host" and kconf.syms["HOST_BENCH"].tri_value:
        write_if_changed(
            os.path.join(out, NOREGISTRY_AUTOCONF), noregistry_autoconf_text(kconf)
        )
    write_if_changed(
        os.path.join(out, "include/generated/board.h"), board_header_text(manifest)
    )
    write_if_changed(
        os.path.join(out, "build.ninja"), ninja_text(name, kconf, arch_ini, board)
    )
    # ninja reloads a regenerated manifest only if it looks newer.
    if regen:
        os.utime(os.path.join(out, "build.ninja"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name", nargs="?")
    ap.add_argument("--set", action="append", default=[], metavar="SYM=VAL")
    ap.add_argument(
        "--regen",
        action="store_true",
        help="rerun with the overrides saved in out/NAME/",
    )
    ap.add_argument(
        "--top",
        action="store_true",
        help="write the top-level build.ninja (every configuration)",
    )
    args = ap.parse_args()
    if args.top == (args.name is not None):
        ap.error("give a configuration NAME or --top, not both")
    try:
        if args.top:
            write_top()
        else:
            configure(args.name, args.set, args.regen)
    except (ConfigError, ManifestError) as e:
        sys.exit("error: %s" % e)
    except kconfiglib.KconfigError as e:
        sys.exit("error: %s" % e)


if __name__ == "__main__":
    main()

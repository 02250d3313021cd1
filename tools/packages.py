# SPDX-License-Identifier: MPL-2.0
"""Every Debian package `./ostd` installs, and what needs it: the one list.

Commands name needs (`ensure("build")`), never packages, so a package
that a command forgets is missing everywhere at once and shows up on the
first fresh machine (../shared/tools/fresh-debian), not on one runner.
A board names its QEMU binary and firmware files in board.ini; the
packages that hold them are looked up here (QEMU, FIRMWARE).
"""

# The one package the ./ostd shell wrapper installs itself, since no
# Python runs before it. The wrapper reads this line with sed: keep it a
# single quoted name.
BOOTSTRAP = "python3"

# need -> the Debian packages it takes, each with why.
NEEDS = {
    # tools/configure.py: Kconfig.
    "kconfig": ["python3-kconfiglib"],
    # Every configuration: ninja, clang, ld.lld, llvm-objcopy.
    "build": ["ninja-build", "clang", "lld", "llvm"],
    # The host suite links CMocka and libfdt. The sanitizer runtimes and
    # headers (ASan, UBSan, TSan; test/host/pt_concurrency_test.c includes
    # <sanitizer/common_interface_defs.h>) are only a recommendation of
    # clang, and ./ostd installs without recommendations.
    "host": ["libcmocka-dev", "libfdt-dev", "libclang-rt-14-dev"],
    # ./ostd dtb: dtc turns QEMU's dumped device tree into text.
    "dtc": ["device-tree-compiler"],
    # ./ostd debug prints a gdb-multiarch command line.
    "debug": ["gdb-multiarch"],
    # ./ostd check and the style runners of ./ostd test.
    "check-c": ["clang-format", "clang-tidy"],
    "check-python": ["python3-pyflakes", "black"],
    # ./ostd format.
    "format": ["clang-format"],
    # ./ostd bench: callgrind (valgrind; callgrind_annotate needs only
    # perl-base, which every Debian has) and the plots.
    "bench": ["valgrind", "gnuplot-nox"],
    # tools/uboot.py builds the U-Boot boards' disk with `mke2fs -d`.
    "uboot-disk": ["e2fsprogs"],
    # The qemu-cleanup runner of ./ostd test runs `timeout` (coreutils is
    # essential on Debian; named so the audit sees it).
    "qemu-cleanup": ["coreutils"],
}

# board.ini's `binary` -> the package that has it. Each depends on
# qemu-system-data, which has the firmware `-bios default` loads (OpenSBI's
# fw_dynamic for riscv64, in /usr/share/qemu/) and SeaBIOS's ROMs.
QEMU = {
    "qemu-system-x86_64": "qemu-system-x86",
    "qemu-system-riscv64": "qemu-system-misc",
    "qemu-system-aarch64": "qemu-system-arm",
}

# A file that board.ini's QEMU arguments name, by the folder it is in ->
# the package that has it.
FIRMWARE = {
    "/usr/lib/u-boot/": "u-boot-qemu",
    "/usr/share/qemu/": "qemu-system-data",
}


def packages(*needs):
    """The packages of `needs`, in order, each once."""
    out = []
    for need in needs:
        out += NEEDS[need]
    return list(dict.fromkeys(out))


def firmware_package(path):
    """The package that has the file `path`, or None if none is listed."""
    for folder, pkg in FIRMWARE.items():
        if path.startswith(folder):
            return pkg
    return None

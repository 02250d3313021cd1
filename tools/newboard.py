# SPDX-License-Identifier: MPL-2.0
"""./ostd new-board NAME --from CONFIG: scaffold a board from an existing one.

It copies the board folder of CONFIG to platform/NAME/, gives the copy its
own Kconfig symbol (BOARD_<NAME>), adds it to platform/Kconfig's board
choice, and writes configs/NAME_defconfig; the top-level build.ninja is
generated from configs/, so the next `./ostd` or `ninja` builds it too.
The copy builds and boots as the original does; TODO markers show what a
real port changes (docs/porting-board.md walks through it).
"""

import os
import re
import shutil

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")


class ScaffoldError(Exception):
    pass


def symbol_of(name):
    return "BOARD_" + re.sub(r"[^A-Z0-9]", "_", name.upper())


def _board_symbol(kconfig_text, path):
    m = re.search(r"^config (BOARD_\w+)\s*$", kconfig_text, re.M)
    if not m:
        raise ScaffoldError("%s has no `config BOARD_...` entry" % path)
    return m.group(1)


def _insert_after_last(text, pattern, line, path):
    """Inserts `line` after the last line matching `pattern`."""
    lines = text.split("\n")
    hits = [i for i, l in enumerate(lines) if re.match(pattern, l)]
    if not hits:
        raise ScaffoldError("%s: cannot find where to add %r" % (path, line))
    lines.insert(hits[-1] + 1, line)
    return "\n".join(lines)


def scaffold(top, name, from_config, from_board):
    """Creates the board; returns the list of files written."""
    if not NAME_RE.match(name):
        raise ScaffoldError(
            "board name %r: use lower-case letters, digits, '-' and '_' "
            "(it names the folder platform/%s/ and configs/%s_defconfig)"
            % (name, name, name)
        )
    src_dir = os.path.join(top, "platform", from_board)
    dst_dir = os.path.join(top, "platform", name)
    defconfig = os.path.join(top, "configs", name + "_defconfig")
    for path in (dst_dir, defconfig):
        if os.path.exists(path):
            raise ScaffoldError(
                "%s exists already; pick another name" % os.path.relpath(path, top)
            )
    kpath = os.path.join(src_dir, "Kconfig")
    with open(kpath) as f:
        ktext = f.read()
    old_sym = _board_symbol(ktext, os.path.relpath(kpath, top))
    new_sym = symbol_of(name)
    plat_kconfig = os.path.join(top, "platform", "Kconfig")
    with open(plat_kconfig) as f:
        ptext = f.read()
    if re.search(r"\b%s\b" % new_sym, ptext):
        raise ScaffoldError("platform/Kconfig already has %s" % new_sym)

    with open(os.path.join(top, "configs", from_config + "_defconfig")) as f:
        if not re.search(r"^CONFIG_%s=y$" % old_sym, f.read(), re.M):
            raise ScaffoldError(
                "configs/%s_defconfig does not select %s" % (from_config, old_sym)
            )
    shutil.copytree(src_dir, dst_dir)
    written = []
    # Kconfig: the new symbol, a TODO in the prompt.
    ktext = re.sub(
        r"^config %s\s*$" % old_sym, "config %s" % new_sym, ktext, count=1, flags=re.M
    )
    ktext = re.sub(
        r'^(\tbool ")(.*)"', r'\1\2 [copy: TODO describe]"', ktext, count=1, flags=re.M
    )
    ktext = (
        "# TODO: the drivers this board selects (copied from %s).\n" % from_board
    ) + ktext
    with open(os.path.join(dst_dir, "Kconfig"), "w") as f:
        f.write(ktext)
    written.append("platform/%s/Kconfig" % name)
    # board.ini: a TODO for every part a port revisits.
    ipath = os.path.join(dst_dir, "board.ini")
    with open(ipath) as f:
        itext = f.read()
    itext = re.sub(
        r"^description = (.*)$",
        r"description = TODO: \1 (copied from %s)" % from_board,
        itext,
        count=1,
        flags=re.M,
    )
    itext = (
        "# TODO: a board scaffolded by `./ostd new-board %s --from %s`.\n"
        "# Check the QEMU machine and flags, the exit decoder and the\n"
        "# [devices] (compatible@fallback address) against the new\n"
        "# machine's device tree (docs/porting-board.md).\n" % (name, from_config)
    ) + itext
    with open(ipath, "w") as f:
        f.write(itext)
    written.append("platform/%s/board.ini" % name)
    # C files: a TODO line at the top.
    for fn in sorted(os.listdir(dst_dir)):
        if not fn.endswith(".c"):
            continue
        cpath = os.path.join(dst_dir, fn)
        with open(cpath) as f:
            ctext = f.read()
        first, _, rest = ctext.partition("\n")
        ctext = (
            first + "\n/*\n * TODO: adapt this glue to the board; it "
            "is a copy of\n * platform/%s/%s.\n */\n" % (from_board, fn) + rest
        )
        # A relative include of a sibling board keeps working from here.
        with open(cpath, "w") as f:
            f.write(ctext)
        written.append("platform/%s/%s" % (name, fn))
    # platform/Kconfig: the choice entry and the BOARD string.
    ptext = _insert_after_last(
        ptext,
        r'^source "platform/.*/Kconfig"$',
        'source "platform/%s/Kconfig"' % name,
        "platform/Kconfig",
    )
    ptext = _insert_after_last(
        ptext,
        r'^\tdefault ".*" if BOARD_\w+$',
        '\tdefault "%s" if %s' % (name, new_sym),
        "platform/Kconfig",
    )
    with open(plat_kconfig, "w") as f:
        f.write(ptext)
    written.append("platform/Kconfig")
    # The defconfig: the original's, on the new board.
    with open(os.path.join(top, "configs", from_config + "_defconfig")) as f:
        dtext = f.read()
    dtext, n = re.subn(
        r"^CONFIG_%s=y$" % old_sym, "CONFIG_%s=y" % new_sym, dtext, flags=re.M
    )
    if n != 1:
        raise ScaffoldError(
            "configs/%s_defconfig does not select %s" % (from_config, old_sym)
        )
    with open(defconfig, "w") as f:
        f.write(dtext)
    written.append("configs/%s_defconfig" % name)
    return written

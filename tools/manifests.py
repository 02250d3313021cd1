# SPDX-License-Identifier: MPL-2.0
"""The tree's manifests: the configurations and each board's board.ini.

This is the one reader of board.ini (./ostd and tools/configure.py both use
it). It is strict: an unknown section or key, an unknown `exit =` value, a
missing required key or a malformed [devices] line is an error naming the
file, the line and what is accepted, because a typo that silently falls
back to a default gives wrong results far from its cause (an `exit =` typo
read as `plain` once turned status 42 into 85).
"""

import os
import re
import shlex

import packages

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ManifestError(Exception):
    pass


def config_names(top=TOP):
    """Every configuration: the names of configs/*_defconfig, sorted."""
    return sorted(
        f[: -len("_defconfig")]
        for f in os.listdir(os.path.join(top, "configs"))
        if f.endswith("_defconfig")
    )


# How ./ostd reads QEMU's exit status, per `exit =` value. A new exit device
# that QEMU reports differently needs a value here and a case in
# tools/ostd.py's decode_exit (docs/porting-board.md).
EXIT_KINDS = {
    "isa-debug-exit": "x86 isa-debug-exit: QEMU exits (status << 1) | 1, "
    "7 bits; ACPI power-off exits 0",
    "sifive-test": "SiFive test finisher: QEMU exits with the 16-bit status",
    "semihosting": "semihosting SYS_EXIT: QEMU exits with the status",
    "plain": "QEMU always exits 0 (SBI SRST, PSCI SYSTEM_OFF): only the "
    "printed status and the summary line tell",
}

REQUIRED, OPTIONAL = "required", "optional"
# section -> key -> required or optional. [devices] takes any key.
SCHEMA = {
    "board": {
        "arch": REQUIRED,
        "description": REQUIRED,
        "boot": REQUIRED,
        "ram": OPTIONAL,
    },
    "qemu": {
        "binary": REQUIRED,
        "args": REQUIRED,
        "kernel": OPTIONAL,
        "exit": REQUIRED,
        "gdb_arch": OPTIONAL,
        "uboot_image": OPTIONAL,
    },
    "devices": None,
}

SECTION_RE = re.compile(r"^\[([^\]]*)\]\s*$")
KEY_RE = re.compile(r"^([A-Za-z0-9_.-]+)\s*=\s*(.*)$")
DEVICE_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
INLINE_COMMENT_RE = re.compile(r"\s+#.*$")


def parse_ini(path, text):
    """{section: {key: (value, line)}} from INI text.

    The subset board.ini uses: [section] lines, `key = value`, indented
    continuation lines (joined with a space), `#` and `;` comments, and a
    `#` comment after a value when a space comes before it.
    """
    sections = {}
    cur = None
    last = None
    for n, raw in enumerate(text.splitlines(), 1):
        where = "%s:%d" % (path, n)
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if raw[0] in " \t":
            if last is None:
                raise ManifestError(
                    "%s: an indented line continues a value, but no "
                    "`key = value` comes before it" % where
                )
            value, line = cur[last]
            extra = INLINE_COMMENT_RE.sub("", stripped)
            cur[last] = ((value + " " + extra).strip(), line)
            continue
        m = SECTION_RE.match(stripped)
        if m:
            name = m.group(1).strip()
            if name in sections:
                raise ManifestError("%s: section [%s] appears twice" % (where, name))
            cur = sections[name] = {}
            last = None
            continue
        m = KEY_RE.match(stripped)
        if not m or cur is None:
            raise ManifestError(
                "%s: cannot parse %r: expected [section] or key = value%s"
                % (where, stripped, "" if cur is not None else " in a section")
            )
        key = m.group(1)
        if key in cur:
            raise ManifestError(
                "%s: %s appears twice (first at line %d)" % (where, key, cur[key][1])
            )
        cur[key] = (INLINE_COMMENT_RE.sub("", m.group(2)).strip(), n)
        last = key
    return sections


class Device:
    def __init__(self, key, compat, base):
        self.key = key
        self.name = key.upper()
        self.compat = compat
        self.base = base


class Board:
    """platform/<name>/board.ini, validated."""

    def __init__(self, name, top=TOP):
        self.name = name
        self.path = os.path.join("platform", name, "board.ini")
        try:
            with open(os.path.join(top, self.path)) as f:
                text = f.read()
        except FileNotFoundError:
            raise ManifestError(
                "board %r has no %s (every board folder needs one; "
                "docs/porting-board.md)" % (name, self.path)
            )
        self.sections = parse_ini(self.path, text)
        self._check_schema()
        b = self.sections["board"]
        self.arch = b["arch"][0]
        self.description = b["description"][0]
        self.boot = b["boot"][0]
        self.ram = self._ram()
        q = self.sections.get("qemu", {})
        self.qemu = q["binary"][0] if q else None
        self.args = shlex.split(q["args"][0]) if q else []
        self.kernel_args = q.get("kernel", ("-kernel {image}.elf", 0))[0]
        self.exit_kind = q["exit"][0] if q else "plain"
        self.gdb_arch = q.get("gdb_arch", ("", 0))[0]
        self.uboot_image = q.get("uboot_image", (None, 0))[0]
        self.devices = self._devices()
        self._check_qemu(top)

    def where(self, section, key):
        return "%s:%d" % (self.path, self.sections[section][key][1])

    def _check_schema(self):
        for section, keys in self.sections.items():
            if section not in SCHEMA:
                raise ManifestError(
                    "%s: unknown section [%s]; accepted: %s"
                    % (
                        self.path,
                        section,
                        ", ".join("[%s]" % s for s in SCHEMA),
                    )
                )
            schema = SCHEMA[section]
            if schema is None:
                continue
            for key in keys:
                if key not in schema:
                    raise ManifestError(
                        "%s: unknown key %r in [%s]; accepted: %s"
                        % (
                            self.where(section, key),
                            key,
                            section,
                            ", ".join(schema),
                        )
                    )
        if "board" not in self.sections:
            raise ManifestError(
                "%s: no [board] section (arch, description, boot)" % self.path
            )
        for section in ("board", "qemu"):
            if section not in self.sections:
                continue  # No [qemu]: a host board that QEMU never boots.
            missing = [
                k
                for k, need in SCHEMA[section].items()
                if need is REQUIRED and k not in self.sections[section]
            ]
            if missing:
                raise ManifestError(
                    "%s: [%s] lacks %s (required there: %s)"
                    % (
                        self.path,
                        section,
                        ", ".join(missing),
                        ", ".join(
                            k for k, v in SCHEMA[section].items() if v is REQUIRED
                        ),
                    )
                )
        if "qemu" in self.sections:
            exit_kind = self.sections["qemu"]["exit"][0]
            if exit_kind not in EXIT_KINDS:
                raise ManifestError(
                    "%s: unknown exit = %s; accepted: %s (a new exit device: "
                    "docs/porting-board.md)"
                    % (self.where("qemu", "exit"), exit_kind, ", ".join(EXIT_KINDS))
                )

    def _ram(self):
        if "ram" not in self.sections["board"]:
            return None
        text = self.sections["board"]["ram"][0]
        try:
            base, size = (int(v, 0) for v in text.split())
        except ValueError:
            raise ManifestError(
                "%s: ram = %s: expected two numbers, base and size, "
                "e.g. ram = 0x0 0x3c000000" % (self.where("board", "ram"), text)
            )
        return base, size

    def _devices(self):
        out = []
        for key, (val, _line) in self.sections.get("devices", {}).items():
            where = self.where("devices", key)
            compat, at, base = val.partition("@")
            try:
                addr = int(base.strip(), 0)
            except ValueError:
                addr = None
            if not DEVICE_KEY_RE.match(key):
                raise ManifestError(
                    "%s: [devices] key %r: use lower-case letters, digits "
                    "and _ (it becomes BOARD_%s_*)" % (where, key, key.upper())
                )
            if not at or not compat.strip() or addr is None or addr < 0:
                raise ManifestError(
                    "%s: [devices] %s = %s: expected compatible@0xADDRESS, "
                    "e.g. console = ns16550a@0x10000000" % (where, key, val)
                )
            out.append(Device(key, compat.strip(), addr))
        return out

    def _check_qemu(self, top):
        if self.qemu is None:
            return
        if self.qemu not in packages.QEMU:
            raise ManifestError(
                "%s: binary = %s: no Debian package for it in "
                "tools/packages.py; accepted: %s (add a new one to QEMU there)"
                % (self.where("qemu", "binary"), self.qemu, ", ".join(packages.QEMU))
            )
        for key in ("args", "kernel"):
            text = self.sections["qemu"].get(key, ("", 0))[0]
            for path in _paths(text):
                if packages.firmware_package(path) is None:
                    raise ManifestError(
                        "%s: %s names %s, which no Debian package in "
                        "tools/packages.py has; add its folder and "
                        "package to FIRMWARE there"
                        % (self.where("qemu", key), key, path)
                    )

    def firmware_files(self):
        """The absolute paths the QEMU command names (firmware, U-Boot)."""
        return _paths(
            " ".join(shlex.quote(a) for a in self.args) + " " + self.kernel_args
        )

    def packages(self):
        """The Debian packages a QEMU run of this board needs."""
        if self.qemu is None:
            return []
        out = [packages.QEMU[self.qemu]]
        out += [packages.firmware_package(p) for p in self.firmware_files()]
        if self.uboot_image:
            out += packages.packages("uboot-disk")
        return list(dict.fromkeys(out))


def _paths(text):
    """The absolute file paths among QEMU arguments, also inside
    comma-separated options (`-drive file=/x,if=none`)."""
    out = []
    for arg in shlex.split(text):
        for part in arg.split(","):
            path = part.split("=", 1)[-1]
            if path.startswith("/"):
                out.append(path)
    return out

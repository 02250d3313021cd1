#!/usr/bin/python3
# SPDX-License-Identifier: MPL-2.0
"""ostd: build, boot, test and debug OSTD-C configurations.

  ./ostd run [CONFIG] [--user FILE] [--set SYM=VAL] [--timeout S]
             [-- QEMU ARGS]
  ./ostd test [host|CONFIG|tools|qemu-cleanup|new-board|build-graph|all]
             [--set SYM=VAL] [-v]
  ./ostd build [CONFIG|all]
  ./ostd list
  ./ostd debug CONFIG
  ./ostd dtb CONFIG     (the QEMU machine's device tree, as text)
  ./ostd new-board NAME --from CONFIG
  ./ostd check          (clang-format, clang-tidy, pyflakes and black)
  ./ostd format         (rewrite the tree with clang-format)
  ./ostd bench [--quick] [--callgrind] [--smoke] [--guest]

CONFIG is a name from configs/ without `_defconfig`; `./ostd list` shows them.
"""

import argparse
import atexit
import ctypes
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tools"))

import manifests  # noqa: E402 (tools/ is on the path only from here)
import packages  # noqa: E402

DEFAULT_CONFIG = "x86_64-q35"
DEFAULT_TIMEOUT = 120
SUMMARY_RE = re.compile(r"^(?:\w+: )?(\d+) passed, (\d+) failed\s*$")

# Tools the build always runs; tools/packages.py's "build" need has them.
BUILD_TOOLS = ["ninja", "clang", "ld.lld", "llvm-objcopy"]
# Configurations whose QEMU machines' device trees the host suite checks
# against libfdt.
DTB_CONFIGS = ["riscv64-virt", "aarch64-virt"]
# How long QEMU gets to dump a machine's device tree (seconds).
DTB_TIMEOUT = 30
# How long apt waits for another apt or dpkg to finish (seconds).
APT_LOCK_TIMEOUT = 600


def die(msg):
    print("error: " + msg, file=sys.stderr)
    sys.exit(2)


def note(msg):
    print("ostd: " + msg, flush=True)


# ---------------------------------------------------------------------------
# Debian packages


def pkg_installed(pkg):
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", pkg],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
    except FileNotFoundError:
        return None  # Not a Debian system: we can only check the tools.
    return out.returncode == 0 and "install ok installed" in out.stdout


_apt_updated = False


def apt_get(sudo, args, env):
    """Run apt-get, waiting for the lock another apt or dpkg holds.

    DPkg::Lock::Timeout covers install's dpkg lock; `apt-get update` takes
    the package lists' lock, which that option does not cover in Debian
    12's apt, so a busy update is retried until the same deadline.
    """
    cmd = sudo + ["apt-get", "-o", "DPkg::Lock::Timeout=%d" % APT_LOCK_TIMEOUT]
    deadline = time.monotonic() + APT_LOCK_TIMEOUT
    while True:
        r = subprocess.run(
            cmd + args,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if r.returncode == 0 or "Could not get lock" not in r.stderr:
            return r
        if time.monotonic() > deadline:
            return r
        time.sleep(5)


def ensure_packages(pkgs):
    """Install the missing Debian packages among `pkgs`, one line each."""
    global _apt_updated
    missing = [p for p in dict.fromkeys(pkgs) if pkg_installed(p) is False]
    if not missing:
        return
    sudo = []
    if os.geteuid() != 0:
        if not shutil.which("sudo"):
            die(
                "missing Debian packages: %s; install them as root with "
                "`apt-get install --no-install-recommends %s`"
                % (", ".join(missing), " ".join(missing))
            )
        sudo = ["sudo"]
    note(
        "installing missing Debian packages: %s (waits up to %d min if "
        "another apt or dpkg is running)" % (" ".join(missing), APT_LOCK_TIMEOUT // 60)
    )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if not _apt_updated:
        # A fresh machine has stale or empty package lists.
        r = apt_get(sudo, ["update", "-q"], env)
        if r.returncode != 0:
            die(
                "`apt-get update` failed; fix apt's sources (or wait for "
                "the other apt to finish) and rerun:\n" + r.stderr.strip()
            )
        _apt_updated = True
    r = apt_get(sudo, ["install", "-y", "-q", "--no-install-recommends"] + missing, env)
    if r.returncode != 0:
        die(
            "`apt-get install %s` failed; install them by hand and rerun:\n%s"
            % (" ".join(missing), r.stderr.strip())
        )
    for p in missing:
        note("installed " + p)


def ensure(*needs):
    """Install the packages of `needs` (tools/packages.py)."""
    ensure_packages(packages.packages(*needs))


def require_tool(tool, what):
    if not shutil.which(tool):
        die("%s not found; install %s" % (tool, what))


# ---------------------------------------------------------------------------
# Configurations and boards


def config_names():
    return manifests.config_names()


def check_config_name(name):
    if name not in config_names():
        die(
            "unknown configuration %r; valid ones: %s"
            % (name, ", ".join(config_names()))
        )


def read_dotconfig(name):
    vals = {}
    with open(os.path.join(TOP, "out", name, ".config")) as f:
        for line in f:
            m = re.match(r"^CONFIG_(\w+)=(.*)$", line.strip())
            if m:
                vals[m.group(1)] = m.group(2).strip('"')
    return vals


def defconfig_value(name, sym):
    """A symbol's value straight from the defconfig (before Kconfig runs)."""
    with open(os.path.join(TOP, "configs", name + "_defconfig")) as f:
        for line in f:
            m = re.match(r"^CONFIG_%s=(.*)$" % sym, line.strip())
            if m:
                return m.group(1).strip('"')
    return None


def defconfig_has_unset(name, sym):
    """The defconfig turns `sym` off (`# CONFIG_X is not set`)."""
    with open(os.path.join(TOP, "configs", name + "_defconfig")) as f:
        return any(l.strip() == "# CONFIG_%s is not set" % sym for l in f)


def load_board(name):
    """platform/<name>/board.ini, validated; a bad one stops ./ostd."""
    try:
        return manifests.Board(name)
    except manifests.ManifestError as e:
        die(str(e))


def board_of(name):
    """The board of configuration `name`, read from its defconfig's board
    symbol through the generated .config (configure first)."""
    return load_board(read_dotconfig(name)["BOARD"])


# ---------------------------------------------------------------------------
# Building


def configure(name, sets):
    """out/NAME/ from configs/NAME_defconfig and the --set overrides."""
    ensure("kconfig")
    r = subprocess.run(
        ["/usr/bin/python3", os.path.join(TOP, "tools", "configure.py"), name]
        + sum((["--set", s] for s in sets), []),
        cwd=TOP,
    )
    if r.returncode != 0:
        sys.exit(2)


def write_top_graph():
    """The top-level build.ninja, from configs/ (tools/configure.py --top):
    every ./ostd command writes it, so plain `ninja` works after any."""
    import configure as configure_py  # tools/configure.py

    try:
        configure_py.write_top()
    except OSError as e:
        die("cannot write build.ninja: %s" % e)


def configure_and_build(name, sets, targets=None):
    ensure("build", "kconfig")
    for tool in BUILD_TOOLS:
        require_tool(tool, " ".join(packages.packages("build")))
    configure(name, sets)
    if read_dotconfig(name)["ARCH"] == "host":
        ensure("host")
    r = subprocess.run(
        ["ninja", "--quiet", "-f", "out/%s/build.ninja" % name] + (targets or []),
        cwd=TOP,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out = [l for l in r.stdout.splitlines() if l != "ninja: no work to do."]
    if out:
        print("\n".join(out), flush=True)
    if r.returncode != 0:
        die("build of %s failed" % name)


# ---------------------------------------------------------------------------
# Running QEMU


POWER_OFF_RE = re.compile(r"^ostd: power off, status (-?\d+)\s*$")


def decode_exit(board, rc, lines=()):
    """Turn QEMU's exit status into the kernel's.

    The device may carry fewer bits than the status (isa-debug-exit: 7);
    the kernel also prints the whole status before powering off, which
    wins when it agrees with the bits the device did carry.
    """
    if board.exit_kind == "isa-debug-exit":
        printed = [int(m.group(1)) for m in map(POWER_OFF_RE.match, lines) if m]
        # QEMU itself exits 1 when it cannot start (a bad flag, a missing
        # file): that is status 0 only if the kernel said so.
        if rc == 1 and printed[-1:] != [0]:
            return 1
        # 0 comes from ACPI power-off; isa-debug-exit gives (v << 1) | 1.
        if rc & 1:
            rc = rc >> 1
        if printed and rc != 0 and (printed[-1] & 127) in (rc, 0):
            return printed[-1]
    return rc


def qemu_command(name, board, image, extra):
    out = os.path.join("out", name)
    kernel = shlex.split(board.kernel_args.format(image=os.path.join(out, image)))
    if board.uboot_image:
        import uboot  # The U-Boot path's extlinux disk (tools/uboot.py).

        try:
            disk, extra = uboot.prepare(TOP, out, board.uboot_image, image, extra)
        except RuntimeError as e:
            die("%s: %s" % (name, e))
        kernel += disk
    return (
        [board.qemu]
        + board.args
        + kernel
        + ["-display", "none", "-serial", "stdio", "-monitor", "none"]
        + extra
    )


# The process groups of the children ./ostd started (QEMU, test
# binaries). Each child leads its own group, so a terminal's Ctrl-C or
# `timeout`'s signal to ./ostd's group reaches only ./ostd, which then
# stops the whole group: QEMU never outlives ./ostd.
_children = set()
PR_SET_PDEATHSIG = 1


def kill_children():
    for pgid in list(_children):
        try:
            os.killpg(pgid, signal.SIGKILL)
            # Collect it too: a child ./ostd leaves unreaped lingers as a
            # zombie until init gets to it, and still shows in `ps`.
            os.waitpid(pgid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        _children.discard(pgid)


def _die_by_signal(signum, _frame):
    """SIGTERM, SIGHUP: stop the children, then die of the same signal, so
    whoever sent it (timeout, a shell) sees the status it expects."""
    kill_children()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def install_cleanup():
    """Every way out of ./ostd stops its children: a normal exit or an
    uncaught exception (atexit), SIGTERM and SIGHUP (handlers), SIGINT
    (KeyboardInterrupt unwinds to spawn's finally and to atexit); and
    SIGKILL, which no handler sees, through each child's PR_SET_PDEATHSIG."""
    atexit.register(kill_children)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _die_by_signal)


def _child_setup(parent):
    """In the child, before exec: its own process group, and SIGKILL when
    its parent dies. PDEATHSIG follows the thread that forked, which is
    ./ostd's main thread (the ostd wrapper execs Python, so that is the
    long-lived process). If the parent died before prctl, exit at once."""
    os.setpgid(0, 0)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def spawn(cmd, **kwargs):
    """subprocess.Popen for a child that must not outlive ./ostd."""
    parent = os.getpid()
    proc = subprocess.Popen(cmd, preexec_fn=lambda: _child_setup(parent), **kwargs)
    _children.add(proc.pid)
    return proc


def reap(proc):
    """Stop `proc`'s whole group (QEMU may have helpers) and collect it."""
    if proc.pid in _children:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _children.discard(proc.pid)
    return proc.wait()


def run_child(cmd, timeout=None, **kwargs):
    """subprocess.run for a child that must not outlive ./ostd: returns
    (output, returncode), returncode None after `timeout` seconds."""
    proc = spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)
    try:
        out, _ = proc.communicate(timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        reap(proc)
        out, _ = proc.communicate()
        rc = None
    finally:
        reap(proc)
    return out, rc


def run_qemu(name, board, image, extra, timeout, echo=True, log=None, raw=None):
    """Boot `image` and stream its console. Returns (status, output, how);
    the console's bytes, untouched, are appended to the list `raw`."""
    ensure_packages(board.packages())
    require_tool(board.qemu, packages.QEMU[board.qemu])
    cmd = qemu_command(name, board, image, extra)
    start = time.monotonic()
    proc = spawn(
        cmd,
        cwd=TOP,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    lines = []
    how = "exited"
    logf = open(log, "w") if log else None
    try:
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        buf = b""
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                how = "timeout"
                reap(proc)
                break
            if not sel.select(timeout=min(left, 1.0)):
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            if raw is not None:
                raw.append(chunk)
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode("utf-8", "replace").rstrip("\r")
                lines.append(text)
                if logf:
                    logf.write(text + "\n")
                if echo(text) if callable(echo) else echo:
                    print(text, flush=True)
        if buf:
            text = buf.decode("utf-8", "replace").rstrip("\r")
            lines.append(text)
            if echo is True:
                print(text, flush=True)
    finally:
        # Also on an exception (Ctrl-C included): QEMU goes with the run.
        if how == "timeout" or sys.exc_info()[0] is not None:
            reap(proc)
        rc = proc.wait()
        _children.discard(proc.pid)
        if logf:
            logf.close()
    if how == "timeout":
        return None, lines, "timeout after %d s" % timeout
    status = decode_exit(board, rc, lines)
    return status, lines, "exit %d" % status


# ---------------------------------------------------------------------------
# Commands


def cmd_list(_args):
    rows = []
    for name in config_names():
        board = defconfig_board(name)
        try:
            b = manifests.Board(board)
        except manifests.ManifestError as e:
            # A broken board should still be listed, with why.
            rows.append((name, "?", board, "?", "(%s)" % e))
            continue
        desc = b.description
        if defconfig_value(name, "HOST_TSAN") == "y":
            desc += ", ThreadSanitizer"
        elif defconfig_value(name, "HOST_INTSAN") == "y":
            desc += ", ASan + UBSan + trapping unsigned overflow in core/"
        elif defconfig_value(name, "HOST_OPTIMISED") == "y":
            desc += ", -O2 without sanitizers; builds ./ostd bench"
        elif b.arch == "host":
            desc += ", ASan + UBSan"
        if defconfig_value(name, "RISCV_SV39") == "y":
            desc += ", Sv39 paging (3 levels) instead of Sv48"
        if defconfig_has_unset(name, "VM_OWNER_REGISTRY"):
            desc += ", without the owner registry"
        rows.append((name, b.arch, board, b.boot, desc))
    w = [
        max(len(r[i]) for r in rows + [("config", "arch", "board", "boot")])
        for i in range(4)
    ]
    print(
        "%-*s  %-*s  %-*s  %-*s  %s"
        % (w[0], "config", w[1], "arch", w[2], "board", w[3], "boot", "description")
    )
    for r in rows:
        print(
            "%-*s  %-*s  %-*s  %-*s  %s"
            % (w[0], r[0], w[1], r[1], w[2], r[2], w[3], r[3], r[4])
        )


def defconfig_board(name):
    """The board folder a defconfig selects, without running Kconfig."""
    ensure("kconfig")
    from configure import load_kconfig

    try:
        kconf = load_kconfig(name, [])
    except Exception as e:  # A broken defconfig should still be listed.
        return "? (%s)" % e
    return kconf.syms["BOARD"].str_value


def cmd_build(args):
    if args.config != "all":
        check_config_name(args.config)
        configure_and_build(args.config, args.set)
        return
    if args.set:
        # The top graph configures each configuration with the overrides
        # saved in out/NAME/; --set replaces them, one configuration at a
        # time, before the sub-builds run side by side.
        for name in config_names():
            configure(name, args.set)
    build_all()


def build_all():
    """Every configuration, its sub-builds in parallel: ninja on the
    top-level build.ninja (main() has written it)."""
    ensure("build", "kconfig", "host")
    for tool in BUILD_TOOLS:
        require_tool(tool, " ".join(packages.packages("build")))
    r = subprocess.run(["ninja", "--quiet"], cwd=TOP)
    if r.returncode != 0:
        die("build of every configuration failed (the failing one's output is above)")


def user_program(name, path):
    """The ELF the example kernel runs: --user FILE, or the bundled hello."""
    if path is None:
        path = os.path.join(TOP, "out", name, "user", "hello.elf")
        if not os.path.exists(path):
            die(
                "configuration %s has no bundled user program (%s); pass "
                "one with --user FILE" % (name, os.path.relpath(path, TOP))
            )
        return path
    if not os.path.isfile(path):
        die("--user %s: no such file" % path)
    with open(path, "rb") as f:
        if f.read(4) != b"\x7fELF":
            die(
                "--user %s: not an ELF file; the example kernel runs static "
                "ELF executables for the configuration's arch" % path
            )
    return os.path.abspath(path)


def cmd_run(args):
    name = args.config or DEFAULT_CONFIG
    check_config_name(name)
    configure_and_build(name, args.set)
    board = board_of(name)
    if not board.qemu:
        die(
            "configuration %s (board %s) does not boot in QEMU; try "
            "`./ostd test %s`" % (name, board.name, name)
        )
    user = user_program(name, args.user)
    status, _lines, how = run_qemu(
        name, board, "kernel", ["-initrd", user] + args.qemu_args, args.timeout
    )
    if status is None:
        print("ostd: %s: %s, killed" % (name, how), file=sys.stderr)
        sys.exit(124)
    sys.exit(status)


def cmd_debug(args):
    name = args.config
    check_config_name(name)
    configure_and_build(name, args.set)
    board = board_of(name)
    ensure_packages(board.packages() + packages.packages("debug"))
    image = args.image
    elf = os.path.join("out", name, image + ".elf")
    gdb = ["gdb-multiarch", "-q"]
    if board.gdb_arch:
        gdb += ["-ex", "set architecture " + board.gdb_arch]
    gdb += ["-ex", "file " + elf, "-ex", "target remote :1234"]
    cmd = qemu_command(name, board, image, ["-s", "-S"] + args.qemu_args)
    print(
        "QEMU is waiting for the debugger on port 1234. In another "
        "terminal, from %s, run:\n\n  %s\n" % (TOP, shlex.join(gdb))
    )
    print(
        "Then `break ostd_boot`, `continue`. Quit QEMU with Ctrl-C here.\n", flush=True
    )
    os.chdir(TOP)
    os.execvp(cmd[0], cmd)


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.rows = []

    def add(self, runner, passed, failed, detail):
        self.passed += passed
        self.failed += failed
        self.rows.append((runner, passed, failed, detail))
        print(
            "runner %s: %d passed, %d failed (%s)" % (runner, passed, failed, detail),
            flush=True,
        )


def interesting(line):
    """Lines worth showing from a test run when not verbose."""
    return (
        "FAILED" in line
        or "assertion failed" in line
        or "PANIC" in line
        or "EXCEPTION" in line
        or "ERROR" in line
        or "error:" in line
        or SUMMARY_RE.match(line) is not None
        or line.startswith(("OSTD-C ", "model: ", "concurrency: "))
    )


def judge(runner, status, lines, how, tally):
    """Count a runner's result. The exit status and the summary line must
    agree, or the run counts as failed."""
    summary = None
    for line in lines:
        m = SUMMARY_RE.match(line)
        if m:
            summary = (int(m.group(1)), int(m.group(2)))
    if summary is None:
        tail = "\n".join("    " + l for l in lines[-15:])
        print(
            "  %s: no summary line (%s); last output:\n%s" % (runner, how, tail),
            flush=True,
        )
        tally.add(runner, 0, 1, how + ", no summary line")
        return
    passed, failed = summary
    if (status == 0) != (failed == 0):
        print(
            "  %s: exit status and summary disagree (%s, %d failed)"
            % (runner, how, failed),
            flush=True,
        )
        tally.add(runner, passed, max(failed, 1), how + ", disagreement")
        return
    tally.add(runner, passed, failed, how)


def dump_dtb(name, board, path):
    """QEMU's device tree for the machine of configuration `name`, as
    board.ini starts it (firmware and all), into `path`. Returns None, or
    why there is none."""
    ensure_packages(board.packages())
    require_tool(board.qemu, packages.QEMU[board.qemu])
    args = list(board.args)
    if "-machine" not in args:
        return "%s's QEMU arguments have no -machine" % board.path
    m = args.index("-machine") + 1
    args[m] += ",dumpdtb=" + path
    if os.path.exists(path):
        os.remove(path)
    # -S: QEMU dumps the tree when the machine is built, then exits; a
    # machine that builds no tree (raspi3b without -dtb) would run on, so
    # it waits paused until the time limit instead.
    out, rc = run_child(
        [board.qemu] + args + ["-display", "none", "-S"], timeout=DTB_TIMEOUT, cwd=TOP
    )
    if rc != 0 or not os.path.exists(path):
        how = "exit %d" % rc if rc is not None else "no dump in %d s" % DTB_TIMEOUT
        text = out.decode("utf-8", "replace").strip()
        return "QEMU did not dump a device tree (%s)%s" % (
            how,
            ":\n" + text if text else "",
        )
    return None


def dump_dtbs(outdir):
    """Real device trees for the host's libfdt cross-check."""
    os.makedirs(outdir, exist_ok=True)
    for name in DTB_CONFIGS:
        path = os.path.join(outdir, name + ".dtb")
        if os.path.exists(path):
            continue
        why = dump_dtb(name, load_board(defconfig_board(name)), path)
        if why:
            die("could not dump the %s device tree: %s" % (name, why))


def cmd_dtb(args):
    name = args.config
    check_config_name(name)
    board = load_board(defconfig_board(name))
    if not board.qemu:
        die("configuration %s (board %s) does not boot in QEMU" % (name, board.name))
    if board.arch == "x86_64":
        die(
            "a PC machine has no device tree; for its devices and I/O ports, "
            "start `%s %s -S -monitor stdio -display none` and type "
            "`info mtree -f` and `info qtree` (docs/porting-board.md)"
            % (board.qemu, " ".join(board.args))
        )
    ensure("dtc")
    require_tool("dtc", " ".join(packages.packages("dtc")))
    os.makedirs(os.path.join(TOP, "out", name), exist_ok=True)
    path = os.path.join("out", name, "machine.dtb")
    why = dump_dtb(name, board, path)
    if why:
        die(
            "%s: %s\n(a machine whose firmware or loader passes no device tree, "
            "like raspi3b without -dtb, has none to dump: read QEMU's source "
            "for it, hw/<arch>/<machine>.c)" % (name, why)
        )
    r = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", path], cwd=TOP)
    if r.returncode != 0:
        die("dtc could not read %s" % path)
    print(
        "/* %s: QEMU's device tree for %s (%s); the binary is %s */"
        % (name, board.name, " ".join(board.args), path),
        file=sys.stderr,
    )


def test_host(name, args, tally):
    configure_and_build(name, args.set)
    dtb_dir = os.path.join(TOP, "out", "dtb")
    dump_dtbs(dtb_dir)
    env = dict(
        os.environ,
        OSTD_DTB_DIR=dtb_dir,
        ASAN_OPTIONS="abort_on_error=0:detect_leaks=1",
        UBSAN_OPTIONS="print_stacktrace=1",
        TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1",
    )
    start = time.monotonic()
    out, rc = run_child(
        [os.path.join(TOP, "out", name, "ostd-test")],
        timeout=args.host_timeout,
        cwd=TOP,
        env=env,
    )
    lines = out.decode("utf-8", "replace").splitlines()
    with open(os.path.join(TOP, "out", name, "test.log"), "w") as f:
        f.write("\n".join(lines) + "\n")
    for line in lines:
        if args.verbose or interesting(line):
            print(line)
    if rc is None:
        judge(name, None, lines, "timeout after %d s" % args.host_timeout, tally)
        return
    judge(name, rc, lines, "exit %d, %.1f s" % (rc, time.monotonic() - start), tally)


def test_qemu(name, args, tally):
    configure_and_build(name, args.set)
    board = board_of(name)
    if not board.qemu:
        die("configuration %s has no QEMU machine" % name)
    start = time.monotonic()
    echo = True if args.verbose else interesting
    status, lines, how = run_qemu(
        name,
        board,
        "ktest",
        [],
        args.timeout,
        echo=echo,
        log=os.path.join(TOP, "out", name, "test.log"),
    )
    judge(name, status, lines, "%s, %.1f s" % (how, time.monotonic() - start), tally)
    test_user_programs(name, board, args, tally)


# The example kernel's bundled user programs (examples/hello/user/): the
# status each must end with, and bytes its console output must hold.
USER_PROGRAMS = [
    ("hello", 0, b"Hello, world!\r\n"),
    ("exit42", 42, None),
    ("badread", 139, None),
    ("badwrite", 14, None),
    ("syscalls", 77, None),
]
# Per-arch programs, checked in QEMU only: Linux emulates the instructions
# UMIP refuses (it returns dummy tables), so it does not kill sidt.elf.
ARCH_USER_PROGRAMS = {
    "x86_64": [
        ("sidt", 139, b"#GP general protection"),
        ("int3", 139, b"#BP breakpoint"),
    ],
}


def elf_variants(outdir, user):
    """Hostile copies of bundled programs, each with one program header
    changed: the example kernel must refuse the whole file (status 1)."""
    import struct

    variants = []
    for src, phdr, field, value, what in (
        ("hello", 0, 16, 0x10, "page0"),  # p_vaddr: page 0
        ("hello", 0, 8, 1 << 62, "bigoff"),  # p_offset: past the end
        ("syscalls", 1, 16, 1 << 63, "kdata"),  # 2nd segment: kernel
        # 2nd segment over the text page: Linux maps it over the text
        # (MAP_FIXED) and the program dies (139); the example refuses
        # overlaps (EEXIST), since it copies segments in page by page.
        ("syscalls", 1, 16, 0x400000, "overlap"),
    ):
        with open(os.path.join(user, src + ".elf"), "rb") as f:
            data = bytearray(f.read())
        (phoff,) = struct.unpack_from("<Q", data, 32)
        off = phoff + 56 * phdr
        if struct.unpack_from("<I", data, off)[0] != 1:  # PT_LOAD
            die("%s.elf: program header %d is not PT_LOAD" % (src, phdr))
        struct.pack_into("<Q", data, off + field, value)
        path = os.path.join(outdir, "%s-%s.elf" % (src, what))
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o755)  # Linux must get to refuse it too.
        variants.append(path)
    return variants


def have_pty():
    """A chroot without devpts (a bare /dev bind mount) has no ptys: the
    native comparison is then skipped, and the runner says so."""
    import pty

    try:
        master, slave = pty.openpty()
    except OSError:
        return False
    os.close(master)
    os.close(slave)
    return True


def run_native(path):
    """Runs a static ELF on this Linux host as the example kernel runs it:
    fds 1 and 2 a tty with the default termios, fd 0 read-only. Returns
    (status as a shell reports it, the tty's bytes), status None if the
    kernel refused to exec it."""
    import pty

    master, slave = pty.openpty()
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        proc = subprocess.Popen(
            [path], stdin=null, stdout=slave, stderr=slave, start_new_session=True
        )
    except OSError:
        return None, b""
    finally:
        os.close(slave)
        os.close(null)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)  # EIO once the program is gone.
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    rc = proc.wait(timeout=60)
    return (128 - rc if rc < 0 else rc), out


def test_user_programs(name, board, args, tally):
    """Each bundled user program and each hostile variant under the example
    kernel; on an x86_64 host the same ELFs also run natively, and Linux
    must give the same status and write the same bytes."""
    user = os.path.join(TOP, "out", name, "user")
    native = board.arch == "x86_64" and os.uname().machine == "x86_64"
    if native and not have_pty():
        print("  no pty here: the native comparison is skipped", flush=True)
        native = False
    runs = [(os.path.join(user, p + ".elf"), st, want) for p, st, want in USER_PROGRAMS]
    qemu_only = [
        os.path.join(user, p + ".elf")
        for p, st, want in ARCH_USER_PROGRAMS.get(board.arch, [])
    ]
    runs += [
        (os.path.join(user, p + ".elf"), st, want)
        for p, st, want in ARCH_USER_PROGRAMS.get(board.arch, [])
    ]
    runs += [
        (v, 1, b"hello: user program refused")
        for v in elf_variants(os.path.join(TOP, "out", name), user)
    ]
    passed, failed, start = 0, 0, time.monotonic()
    for path, want_status, want in runs:
        raw = []
        status, _lines, how = run_qemu(
            name, board, "kernel", ["-initrd", path], args.timeout, echo=False, raw=raw
        )
        raw = b"".join(raw)
        problems = []
        if status != want_status:
            problems.append("%s, not status %d" % (how, want_status))
        if want is not None and want not in raw:
            problems.append("no %r in its output" % want)
        if native and path not in qemu_only:
            n_status, n_out = run_native(path)
            # Linux refuses a file after the point of no return with
            # SIGSEGV (load_elf_binary()), before it with an exec error.
            if want_status == 1 and n_status not in (None, 139):
                problems.append("Linux ran it (status %s)" % n_status)
            elif want_status != 1 and n_status != status:
                problems.append("status %s natively, %s in QEMU" % (n_status, status))
            if n_out and n_out not in raw:
                problems.append(
                    "QEMU's output does not hold the %d bytes "
                    "Linux wrote" % len(n_out)
                )
        if problems:
            print(
                "  user %s: %s" % (os.path.relpath(path, TOP), "; ".join(problems)),
                flush=True,
            )
            failed += 1
        else:
            passed += 1
    tally.add(
        name + " user",
        passed,
        failed,
        "%d programs%s, %.1f s"
        % (len(runs), ", also natively" if native else "", time.monotonic() - start),
    )


def test_style(tally):
    """The format and lint checks count as one test each."""
    for tool, fn in (
        ("clang-format", check_format),
        ("clang-tidy", check_tidy),
        ("pyflakes", check_pyflakes),
        ("black", check_black),
        ("build-graph", check_build_graph),
        ("api-headers", check_api_headers),
    ):
        tally_problems(tally, tool, fn())


def tally_problems(tally, tool, problems):
    """A check's problems, printed, count as one failed test; none as one
    passed."""
    for p in problems:
        print("  " + p)
    tally.add(
        tool,
        0 if problems else 1,
        1 if problems else 0,
        "%d problem(s)" % len(problems),
    )


# The kernel-author API (README, "Headers"): what a kernel includes. The
# arch contract (ostd/arch/), board hooks (ostd/plat.h) and framework
# internals (ostd/internal/, core/mm/*.h) are not in it.
KERNEL_AUTHOR_HEADERS = [
    "assert",
    "boot",
    "compiler",
    "config",
    "console",
    "elf",
    "err",
    "frame",
    "math",
    "page_table",
    "panic",
    "printf",
    "pt_config",
    "string",
    "sync",
    "task",
    "timer",
    "types",
    "user",
    "vm_space",
]
# What none of them may declare: a raw copy or any other arch hook, a raw
# page-table cursor constructor, a table's life cycle, node or frame
# metadata (DESIGN.md §1 and §7, "Audiences").
API_FORBIDDEN = re.compile(
    r"\b(arch_\w+|(?:pt_cursor_new(?:_mut)?|page_table_new_\w+|page_table_destroy"
    r"|pt_node_meta|frame_meta_of)(?=\s*\()|struct\s+(?:frame_meta|pt_node_meta)(?=\s*\{))"
)


def check_api_headers():
    """A program that includes every kernel-author header, with only
    core/include on the path, compiles; the headers pull in nothing from the
    arch contract or the internals, and declare none of API_FORBIDDEN."""
    ensure("build")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "generated"))
        open(os.path.join(tmp, "generated", "autoconf.h"), "w").close()
        src = os.path.join(tmp, "kernel_author.c")
        with open(src, "w") as f:
            for h in KERNEL_AUTHOR_HEADERS:
                f.write('#include "ostd/%s.h"\n' % h)
            f.write("int ostd_main(void) { return vm_space_new(0, 0, false); }\n")
        base = ["clang", "-std=c17", "-ffreestanding", "-Wall", "-Wextra", "-Werror"]
        base += ["-Icore/include", "-I" + tmp]
        problems = []
        r = subprocess.run(
            base + ["-fsyntax-only", src], cwd=TOP, capture_output=True, text=True
        )
        if r.returncode != 0:
            problems.append("the kernel-author headers do not compile alone:")
            problems += r.stderr.splitlines()[:10]
        r = subprocess.run(base + ["-M", src], cwd=TOP, capture_output=True, text=True)
        for dep in r.stdout.replace("\\\n", " ").split()[1:]:
            rel = os.path.relpath(dep, TOP)
            if rel.startswith("core/include/ostd/") and not re.match(
                r"core/include/ostd/(%s)\.h$" % "|".join(KERNEL_AUTHOR_HEADERS), rel
            ):
                problems.append("a kernel-author header includes %s" % rel)
        r = subprocess.run(
            base + ["-E", "-P", src], cwd=TOP, capture_output=True, text=True
        )
        found = sorted(set(m.group(1) for m in API_FORBIDDEN.finditer(r.stdout)))
        if found:
            problems.append("the kernel-author headers declare %s" % ", ".join(found))
    return problems


def check_build_graph():
    """The top-level build.ninja is the generator's output from configs/:
    the generator gives the same text twice, builds every configuration
    and only those, the file on disk is that text, and ninja reads it."""
    import configure as configure_py  # tools/configure.py

    ensure("build")
    text = configure_py.top_text()
    problems = []
    if configure_py.top_text() != text:
        problems.append("tools/configure.py --top is not deterministic")
    listed = re.findall(r"^build (\S+): subbuild ", text, re.M)
    default = re.findall(r"^default (.*)$", text, re.M)
    want = config_names()
    if sorted(listed) != want:
        problems.append(
            "the top graph builds %s, configs/ has %s"
            % (" ".join(sorted(listed)), " ".join(want))
        )
    if len(default) != 1 or sorted(default[0].split()) != want:
        problems.append("the top graph's default line must name every configuration")
    try:
        with open(os.path.join(TOP, "build.ninja")) as f:
            if f.read() != text:
                problems.append(
                    "build.ninja differs from tools/configure.py --top's output"
                )
    except FileNotFoundError:
        problems.append("./ostd did not write build.ninja")
    r = subprocess.run(
        ["ninja", "-t", "targets", "all"],
        cwd=TOP,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if r.returncode != 0:
        problems.append("ninja cannot read build.ninja: %s" % r.stdout.strip())
    return problems


def test_build_graph(tally):
    """`./ostd test build-graph`: check_build_graph as a runner of its own."""
    tally_problems(tally, "build-graph", check_build_graph())


def c_sources(exts=(".c", ".h")):
    """The tree's files ending in `exts`: git's list where there is a git
    checkout and git (a minimal Debian has none), else a walk."""
    try:
        r = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard"],
            cwd=TOP,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        files = r.stdout.split() if r.returncode == 0 else []
    except FileNotFoundError:
        files = []
    if not files:
        for root, _d, fs in os.walk(TOP):
            rel = os.path.relpath(root, TOP)
            if rel.split(os.sep)[0] in ("out", ".git") or "__pycache__" in rel:
                continue
            files += [os.path.relpath(os.path.join(root, f), TOP) for f in fs]
    return sorted(
        f for f in files if f.endswith(exts) and os.path.exists(os.path.join(TOP, f))
    )


def check_format():
    ensure("check-c")
    require_tool("clang-format", "clang-format")
    bad = []
    for f in c_sources():
        r = subprocess.run(
            ["clang-format", "--dry-run", "--Werror", f],
            cwd=TOP,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if r.returncode != 0:
            first = r.stderr.strip().splitlines()[:1]
            bad.append(
                "%s is not clang-formatted (%s); run `./ostd format`"
                % (f, first[0] if first else "?")
            )
    return bad


def check_tidy():
    """clang-tidy over everything the host build compiles (the core, the
    codecs of every arch, the host backend and the tests), with the host
    configuration's flags."""
    ensure("check-c", "kconfig")
    require_tool("clang-tidy", "clang-tidy")
    # The host configuration's generated headers must exist.
    subprocess.run(
        ["/usr/bin/python3", "tools/configure.py", "host"], cwd=TOP, check=True
    )
    files = [
        f
        for f in c_sources((".c",))
        if f.startswith(
            ("core/", "test/unit/", "test/lib/", "test/host/", "arch/host/", "bench/")
        )
        or f.endswith("/pt_format.c")
    ]
    flags = [
        "-std=c17",
        "-DUNIT_TESTING",
        "-D_GNU_SOURCE",
        "-Icore/include",
        "-Itest/include",
        "-Iplatform/drivers/include",
        "-Iarch/host/include",
        "-Iarch/x86_64/include",
        "-Iarch/riscv64/include",
        "-Iarch/aarch64/include",
        "-Iout/host/include",
    ]
    r = subprocess.run(
        ["clang-tidy", "--quiet"] + files + ["--"] + flags,
        cwd=TOP,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if r.returncode == 0:
        return []
    return [l for l in r.stdout.splitlines() if "warning:" in l or "error:" in l] or [
        r.stdout.strip()
    ]


UNITTEST_RE = re.compile(r"^Ran (\d+) tests? in ")
UNITTEST_FAILED_RE = re.compile(r"^FAILED \((.*)\)$")


def test_tools(tally):
    """The tools' own unit tests (tools/tests/, Python's unittest): the
    Kconfig errors of configure.py and board.ini validation."""
    ensure("kconfig")
    start = time.monotonic()
    out, rc = run_child(
        ["/usr/bin/python3", "-m", "unittest", "discover", "-s", "tools/tests"],
        timeout=600,
        cwd=TOP,
        # The tests import the tools as modules, as ostd.py does.
        env=dict(os.environ, PYTHONPATH=os.path.join(TOP, "tools")),
    )
    lines = out.decode("utf-8", "replace").splitlines()
    ran = [int(m.group(1)) for m in map(UNITTEST_RE.match, lines) if m]
    failed = 0
    for m in map(UNITTEST_FAILED_RE.match, lines):
        if m:
            failed = sum(int(p.split("=")[1]) for p in m.group(1).split(", "))
    if rc != 0 or not ran:
        failed = max(failed, 1)
        for line in lines[-30:]:
            print("  " + line)
    total = ran[-1] if ran else 0
    tally.add(
        "tools",
        max(total - failed, 0),
        failed,
        "unittest, exit %s, %.1f s" % (rc, time.monotonic() - start),
    )


def qemu_pids(marker):
    """The QEMU processes whose command line has `marker` (from /proc)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if (
            os.path.basename(argv[0]).startswith(b"qemu-system")
            and marker.encode() in argv
        ):
            pids.append(int(d))
    return pids


def wait_for(cond, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return cond()


# How ./ostd is ended in the qemu-cleanup runner: signals to ./ostd alone,
# SIGKILL included (no handler runs then), and `timeout` (which signals
# ./ostd's whole process group), last.
CLEANUP_CASES = [
    ("SIGTERM", signal.SIGTERM),
    ("SIGHUP", signal.SIGHUP),
    ("SIGKILL", signal.SIGKILL),
    ("timeout", None),
]
CLEANUP_CONFIG = "riscv64-virt"
# The longest ./ostd may take to configure, find the build up to date and
# start QEMU on a busy machine.
CLEANUP_START = 60


def test_qemu_cleanup(tally):
    """QEMU never outlives ./ostd: a throwaway `./ostd run CLEANUP_CONFIG
    -- -S` (QEMU waits, paused) is ended each of CLEANUP_CASES's ways, and
    no QEMU with its marker (-name) may be left a second later."""
    configure_and_build(CLEANUP_CONFIG, [])
    ensure("qemu-cleanup")
    slowest = 0.0
    for case, sig in CLEANUP_CASES:
        marker = "ostd-cleanup-%d-%s" % (os.getpid(), case)
        cmd = [
            os.path.join(TOP, "ostd"),
            "run",
            CLEANUP_CONFIG,
            "--",
            "-S",
            "-name",
            marker,
        ]
        if sig is None:
            # Long enough for QEMU to start (the other cases timed it), as
            # `timeout 5 ./ostd run ...` on an idle machine.
            cmd = ["timeout", "%d" % max(5, 2 * slowest + 2)] + cmd
        start = time.monotonic()
        proc = spawn(cmd, cwd=TOP, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        problem = None
        try:
            started = wait_for(
                lambda: qemu_pids(marker) or proc.poll() is not None, CLEANUP_START
            )
            if not started or not qemu_pids(marker):
                problem = "QEMU never started"
            else:
                slowest = max(slowest, time.monotonic() - start)
                if sig is not None:
                    os.kill(proc.pid, sig)
                try:
                    proc.wait(timeout=CLEANUP_START)
                except subprocess.TimeoutExpired:
                    problem = "./ostd did not end"
            if problem is None and sig is None and proc.returncode != 124:
                problem = "timeout exited %s, not 124" % proc.returncode
            if problem is None and not wait_for(lambda: not qemu_pids(marker), 1):
                problem = "QEMU (pid %s) outlived ./ostd" % qemu_pids(marker)
        finally:
            # This runner leaves no mess either, whatever happened above.
            for pid in qemu_pids(marker):
                os.kill(pid, signal.SIGKILL)
            reap(proc)
        out = proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""
        if problem:
            for line in out.splitlines()[-10:]:
                print("  " + line)
        tally.add(
            "qemu-cleanup",
            0 if problem else 1,
            1 if problem else 0,
            "%s of ./ostd run %s -- -S: %s (%.1f s)"
            % (
                case,
                CLEANUP_CONFIG,
                problem or "no QEMU left",
                time.monotonic() - start,
            ),
        )


# Runners that are not configurations, by the name `./ostd test NAME` takes.
EXTRA_RUNNERS = {
    "tools": test_tools,
    "qemu-cleanup": test_qemu_cleanup,
    "build-graph": lambda tally: test_build_graph(tally),
    # Defined further down: looked up when called.
    "new-board": lambda tally: test_new_board(tally),
}


def cmd_test(args):
    what = args.what
    if (
        what not in ("all", "host")
        and what not in config_names()
        and what not in EXTRA_RUNNERS
    ):
        die(
            "unknown test target %r; use host, all, %s, or one of: %s"
            % (what, ", ".join(EXTRA_RUNNERS), ", ".join(config_names()))
        )
    tally = Tally()
    if what in EXTRA_RUNNERS:
        EXTRA_RUNNERS[what](tally)
        print("%d passed, %d failed" % (tally.passed, tally.failed), flush=True)
        sys.exit(0 if tally.failed == 0 else 1)
    if what == "all":
        # The host runners first: they are the fastest to fail.
        host = [n for n in config_names() if is_host_config(n)]
        names = sorted(host, key=lambda n: n != "host") + [
            n for n in config_names() if not is_host_config(n)
        ]
    else:
        names = [what]
    for name in names:
        if is_host_config(name):
            test_host(name, args, tally)
        else:
            test_qemu(name, args, tally)
    if what == "all":
        import bench  # tools/bench.py: the benchmark harness, smoke mode.

        bench.test_smoke(tally, configure_and_build)
        test_new_board(tally)
        test_tools(tally)
        test_qemu_cleanup(tally)
        test_style(tally)
    print("%d passed, %d failed" % (tally.passed, tally.failed), flush=True)
    sys.exit(0 if tally.failed == 0 else 1)


def is_host_config(name):
    return defconfig_value(name, "ARCH_HOST") == "y"


def python_sources():
    return [f for f in c_sources((".py",)) if f.startswith("tools/")]


def check_pyflakes():
    """tools/ holds to the C's standard: no unused names, no undefined
    ones (Debian's pyflakes, as `python3 -m pyflakes`)."""
    ensure("check-python")
    r = subprocess.run(
        ["/usr/bin/python3", "-m", "pyflakes"] + python_sources(),
        cwd=TOP,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if r.returncode == 0:
        return []
    return [l for l in r.stdout.splitlines() if l.strip()] or ["pyflakes failed"]


def check_black():
    """tools/ is formatted by black (Debian's), as the C by clang-format."""
    ensure("check-python")
    require_tool("black", " ".join(packages.packages("check-python")))
    r = subprocess.run(
        ["black", "--check", "--quiet"] + python_sources(),
        cwd=TOP,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if r.returncode == 0:
        return []
    return [
        "%s; run `black tools/` (or `./ostd format`)" % l.strip()
        for l in r.stdout.splitlines()
        if l.strip()
    ] or ["black --check failed"]


def cmd_check(_args):
    tally = Tally()
    test_style(tally)
    sys.exit(0 if tally.failed == 0 else 1)


def cmd_bench(args):
    import bench  # tools/bench.py has the driver.

    if args.guest:
        # The in-guest scaling benchmark boots every kernel configuration's
        # test image; it needs this module's QEMU plumbing.
        bench.guest_main(args, sys.modules[__name__])
        return
    bench.main(args, configure_and_build, ensure)


def cmd_new_board(args):
    import newboard  # tools/newboard.py

    check_config_name(args.from_config)
    if is_host_config(args.from_config):
        die(
            "%s is a host configuration; scaffold from a board that boots "
            "in QEMU (`./ostd list`)" % args.from_config
        )
    try:
        written = newboard.scaffold(
            TOP, args.name, args.from_config, defconfig_board(args.from_config)
        )
    except newboard.ScaffoldError as e:
        die(str(e))
    for path in written:
        print("  wrote " + path)
    print(
        "Next: `./ostd run %s` boots it as a copy of %s; then follow the "
        "TODO markers and docs/porting-board.md, and check it with "
        "`./ostd test %s`." % (args.name, args.from_config, args.name)
    )


def test_new_board(tally):
    """`./ostd new-board` on a throwaway copy of the tree: the scaffold
    must configure, build and pass the suite as a copy of riscv64-virt."""
    import tempfile

    tmp = tempfile.mkdtemp(prefix="ostd-new-board-")
    copy = os.path.join(tmp, "tree")
    start = time.monotonic()
    try:
        shutil.copytree(
            TOP,
            copy,
            symlinks=True,
            ignore=shutil.ignore_patterns("out", ".git", "__pycache__"),
        )
        steps = [
            ["new-board", "scaffold-check", "--from", "riscv64-virt"],
            ["test", "scaffold-check"],
        ]
        lines = []
        for step in steps:
            r = subprocess.run(
                [os.path.join(copy, "ostd")] + step,
                cwd=copy,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            lines += r.stdout.splitlines()
            if r.returncode != 0:
                break
        summary = [m for m in map(SUMMARY_RE.match, lines) if m]
        ok = r.returncode == 0 and summary and int(summary[-1].group(2)) == 0
        detail = "%s (%.1f s)" % (
            "scaffold-check from riscv64-virt built " "and passed its suite"
            if ok
            else "failed",
            time.monotonic() - start,
        )
        if not ok:
            for line in lines[-15:]:
                print("  " + line)
        tally.add("new-board", 1 if ok else 0, 0 if ok else 1, detail)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cmd_format(_args):
    ensure("format", "check-python")
    subprocess.run(["clang-format", "-i"] + c_sources(), cwd=TOP, check=True)
    subprocess.run(["black", "--quiet"] + python_sources(), cwd=TOP, check=True)


def main():
    argv = sys.argv[1:]
    qemu_args = []
    if "--" in argv:
        i = argv.index("--")
        argv, qemu_args = argv[:i], argv[i + 1 :]
    ap = argparse.ArgumentParser(
        prog="ostd",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND")

    def common(p):
        p.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="SYM=VAL",
            help="override a Kconfig symbol for this build",
        )
        p.add_argument(
            "--timeout",
            type=int,
            default=DEFAULT_TIMEOUT,
            help="host-side limit per QEMU run, in seconds",
        )

    p = sub.add_parser("run", help="build and boot a configuration")
    p.add_argument("config", nargs="?")
    p.add_argument(
        "--user",
        metavar="FILE",
        help="the static ELF the example kernel runs (default: "
        "the bundled hello program); exits with its status",
    )
    common(p)
    p = sub.add_parser("test", help="run the host suite and in-QEMU suites")
    p.add_argument("what", nargs="?", default="all")
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show every test line, not only failures",
    )
    p.add_argument(
        "--host-timeout",
        type=int,
        default=1800,
        help="limit for one host test binary, in seconds",
    )
    common(p)
    p = sub.add_parser("build", help="build without running")
    p.add_argument("config", nargs="?", default="all")
    common(p)
    sub.add_parser("list", help="list the configurations")
    p = sub.add_parser("debug", help="boot under QEMU's gdb stub")
    p.add_argument("config")
    p.add_argument("--image", default="kernel", choices=["kernel", "ktest"])
    common(p)
    p = sub.add_parser(
        "new-board", help="scaffold a board from an existing configuration"
    )
    p.add_argument("name", help="the new board's (and configuration's) name")
    p.add_argument(
        "--from",
        dest="from_config",
        required=True,
        metavar="CONFIG",
        help="the configuration to copy",
    )
    p = sub.add_parser("dtb", help="print a QEMU machine's device tree as text")
    p.add_argument("config")
    sub.add_parser("check", help="clang-format, clang-tidy, pyflakes and black")
    sub.add_parser("format", help="clang-format and black the tree in place")
    p = sub.add_parser("bench", help="benchmarks (docs/performance.md)")
    p.add_argument("--quick", action="store_true", help="small sweeps, 7 repetitions")
    p.add_argument(
        "--callgrind", action="store_true", help="instruction counts only (valgrind)"
    )
    p.add_argument(
        "--smoke", action="store_true", help="tiny sizes: check the harness, no timing"
    )
    p.add_argument(
        "--guest",
        action="store_true",
        help="in-guest SMP scaling (disjoint map+unmap, 1..N CPUs) on every "
        "kernel configuration, beside the host's H14",
    )
    p.add_argument(
        "--guest-cpus",
        type=int,
        default=4,
        metavar="N",
        help="vCPUs to give boards whose QEMU line sets none (default 4)",
    )
    p.add_argument(
        "--guest-config",
        action="append",
        default=[],
        metavar="CONFIG",
        help="with --guest: only this configuration (repeatable)",
    )
    args = ap.parse_args(argv)
    args.qemu_args = qemu_args
    if qemu_args and args.cmd not in ("run", "debug"):
        die("`-- QEMU ARGS` only goes with run and debug")
    handlers = {
        "run": cmd_run,
        "test": cmd_test,
        "build": cmd_build,
        "list": cmd_list,
        "debug": cmd_debug,
        "check": cmd_check,
        "format": cmd_format,
        "bench": cmd_bench,
        "dtb": cmd_dtb,
    }
    handlers["new-board"] = cmd_new_board
    if args.cmd is None:
        ap.print_help()
        sys.exit(2)
    install_cleanup()
    write_top_graph()
    try:
        handlers[args.cmd](args)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()

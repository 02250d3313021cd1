# SPDX-License-Identifier: MPL-2.0
"""board.ini validation (tools/manifests.py): every mistake stops with the
file, the line and what is accepted; the real boards all pass."""

import os
import shutil
import tempfile
import unittest

import manifests

GOOD = """\
# a comment
[board]
arch = riscv64
description = test board
boot = opensbi

[qemu]
binary = qemu-system-riscv64
args = -machine virt -m 256M
       -bios default
exit = sifive-test

[devices]
console = ns16550a@0x10000000
htif = ucb,htif0@0x1000
"""


class BoardIniTest(unittest.TestCase):
    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="ostd-manifest-test-")
        os.makedirs(os.path.join(self.top, "platform", "b"))

    def tearDown(self):
        shutil.rmtree(self.top)

    def board(self, text):
        with open(os.path.join(self.top, "platform", "b", "board.ini"), "w") as f:
            f.write(text)
        return manifests.Board("b", top=self.top)

    def error(self, text):
        with self.assertRaises(manifests.ManifestError) as cm:
            self.board(text)
        return str(cm.exception)

    def test_good(self):
        b = self.board(GOOD)
        self.assertEqual(b.arch, "riscv64")
        self.assertEqual(b.exit_kind, "sifive-test")
        self.assertEqual(b.args, ["-machine", "virt", "-m", "256M", "-bios", "default"])
        self.assertEqual(
            [(d.name, d.compat, d.base) for d in b.devices],
            [("CONSOLE", "ns16550a", 0x10000000), ("HTIF", "ucb,htif0", 0x1000)],
        )
        self.assertEqual(b.packages(), ["qemu-system-misc"])

    def test_exit_typo_names_file_line_and_values(self):
        e = self.error(GOOD.replace("exit = sifive-test", "exit = isa_debug_exit"))
        self.assertIn("platform/b/board.ini:11:", e)
        self.assertIn("isa_debug_exit", e)
        for kind in manifests.EXIT_KINDS:
            self.assertIn(kind, e)

    def test_unknown_key(self):
        e = self.error(GOOD.replace("boot = opensbi", "boot = opensbi\nbot = x"))
        self.assertIn("platform/b/board.ini:6:", e)
        self.assertIn("'bot'", e)
        self.assertIn("arch, description, boot, ram", e)

    def test_unknown_section(self):
        e = self.error(GOOD + "[qemuu]\nx = 1\n")
        self.assertIn("unknown section [qemuu]", e)

    def test_missing_required_key(self):
        e = self.error(GOOD.replace("exit = sifive-test\n", ""))
        self.assertIn("[qemu] lacks exit", e)
        e = self.error(GOOD.replace("arch = riscv64\n", ""))
        self.assertIn("[board] lacks arch", e)

    def test_malformed_device(self):
        e = self.error(GOOD.replace("ns16550a@0x10000000", "ns16550a 0x10000000"))
        self.assertIn("platform/b/board.ini:14:", e)
        self.assertIn("compatible@0xADDRESS", e)
        e = self.error(GOOD.replace("@0x10000000", "@ten"))
        self.assertIn("compatible@0xADDRESS", e)
        e = self.error(GOOD.replace("htif =", "Ht-if ="))
        self.assertIn("lower-case", e)

    def test_malformed_line(self):
        e = self.error(GOOD.replace("boot = opensbi", "boot opensbi"))
        self.assertIn("platform/b/board.ini:5:", e)
        self.assertIn("key = value", e)

    def test_duplicate_key(self):
        e = self.error(GOOD.replace("boot = opensbi", "boot = opensbi\nboot = pvh"))
        self.assertIn("appears twice", e)

    def test_ram(self):
        b = self.board(
            GOOD.replace("boot = opensbi", "boot = opensbi\nram = 0x0 0x1000")
        )
        self.assertEqual(b.ram, (0, 0x1000))
        e = self.error(GOOD.replace("boot = opensbi", "boot = opensbi\nram = 0x0"))
        self.assertIn("two numbers", e)

    def test_unknown_binary_and_firmware(self):
        e = self.error(GOOD.replace("qemu-system-riscv64", "qemu-system-mips"))
        self.assertIn("tools/packages.py", e)
        e = self.error(GOOD.replace("-bios default", "-bios /opt/fw.bin"))
        self.assertIn("/opt/fw.bin", e)
        self.assertIn("FIRMWARE", e)

    def test_firmware_package(self):
        b = self.board(
            GOOD.replace("-bios default", "-bios /usr/lib/u-boot/x/u-boot.bin")
        )
        self.assertEqual(b.packages(), ["qemu-system-misc", "u-boot-qemu"])

    def test_host_board_needs_no_qemu(self):
        b = self.board("[board]\narch = host\ndescription = h\nboot = host\n")
        self.assertIsNone(b.qemu)
        self.assertEqual(b.packages(), [])

    def test_every_board_in_the_tree(self):
        for name in sorted(os.listdir(os.path.join(manifests.TOP, "platform"))):
            if os.path.exists(
                os.path.join(manifests.TOP, "platform", name, "board.ini")
            ):
                with self.subTest(board=name):
                    manifests.Board(name)


if __name__ == "__main__":
    unittest.main()

# SPDX-License-Identifier: MPL-2.0
"""configure.py's strict Kconfig step: each mistake is an error naming the
symbol, where it was set, and why it failed."""

import unittest

import configure


class KconfigErrorTest(unittest.TestCase):
    def error(self, name, sets):
        with self.assertRaises(configure.ConfigError) as cm:
            configure.load_kconfig(name, sets)
        return str(cm.exception)

    def test_good(self):
        kconf = configure.load_kconfig("riscv64-virt", [])
        self.assertEqual(kconf.syms["ARCH"].str_value, "riscv64")

    def test_unknown_configuration(self):
        e = self.error("no-such-config", [])
        self.assertIn("unknown configuration 'no-such-config'", e)
        self.assertIn("riscv64-virt", e)

    def test_undefined_symbol(self):
        e = self.error("riscv64-virt", ["NO_SUCH_SYMBOL=y"])
        self.assertIn("--set:1: undefined Kconfig symbol CONFIG_NO_SUCH_SYMBOL", e)

    def test_bool_value(self):
        e = self.error("host", ["ASSERT=yes"])
        self.assertIn("CONFIG_ASSERT is a bool; use y or n", e)

    def test_unmet_dependency(self):
        # The host sanitizers are a choice that only a host build has.
        e = self.error("riscv64-virt", ["HOST_TSAN=y"])
        self.assertIn("CONFIG_HOST_TSAN=y does not stick", e)
        self.assertIn("the choice `Host sanitizers`", e)

    def test_unparsable_line(self):
        e = self.error("host", ["not an assignment"])
        self.assertIn("--set:1: cannot parse", e)

    def test_second_override_named_by_line(self):
        e = self.error("host", ["ASSERT=y", "NO_SUCH_SYMBOL=y"])
        self.assertIn("--set:2:", e)

    def test_board_header(self):
        import manifests

        text = configure.board_header_text(manifests.Board("qemu-q35"))
        self.assertIn("#define BOARD_POWEROFF_BASE 0x604ULL", text)
        self.assertIn('#define BOARD_CONSOLE_COMPAT "ns16550a"', text)


class GraphTest(unittest.TestCase):
    def test_top_graph(self):
        import manifests

        text = configure.top_text()
        self.assertEqual(text, configure.top_text())
        for name in manifests.config_names():
            self.assertIn("build %s: subbuild out/%s/build.ninja" % (name, name), text)
        self.assertIn("build build.ninja: top | ", text)
        self.assertNotIn("pool = console", text)

    def test_drivers_from_the_table(self):
        kconf = configure.load_kconfig("riscv64-virt", [])
        drivers = configure.selected_drivers(kconf)
        self.assertIn("platform/drivers/uart16550.c", drivers)
        self.assertIn("platform/drivers/sbi_timer.c", drivers)
        self.assertNotIn("platform/drivers/pl011.c", drivers)

    def test_noregistry_header(self):
        kconf = configure.load_kconfig("host-bench", [])
        text = configure.noregistry_autoconf_text(kconf)
        self.assertIn("#define CONFIG_VM_OWNER_REGISTRY 0", text)
        # The configuration itself keeps its value.
        self.assertEqual(kconf.syms["VM_OWNER_REGISTRY"].str_value, "y")


if __name__ == "__main__":
    unittest.main()

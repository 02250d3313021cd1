// SPDX-License-Identifier: MPL-2.0
/*
 * QEMU microvm (docs/system/i386/microvm.rst): a PC without PCI whose ISA
 * bus keeps COM1 and, in QEMU 7.2, the 8259/8254 pair (unless pic=off or
 * pit=off); its firmware leaves the local APIC masked (lapic.c). CPU 0
 * ticks from the 8254 through the 8259 in virtual-wire mode; the other
 * CPUs from their local APIC timers (lapic.c).
 *
 * Exit: no ICH9 PM block, so no q35 ACPI power-off. The ACPI sleep control
 * register QEMU adds at MMIO 0xfea00200 (acpi-ged-regs, gone with acpi=off)
 * would need a page mapped at power-off, maybe in a panic with no memory
 * left. isa-debug-exit is port I/O, usable from any context, so every
 * status leaves through it; the runner decodes QEMU exit 1 as status 0.
 */

#include "generated/board.h"

#include "ostd/arch/cpu.h"

#include "ostd/drivers/exit.h"
#include "ostd/drivers/lapic.h"
#include "ostd/drivers/pc_timer.h"
#include "ostd/drivers/uart16550.h"
#include "ostd/panic.h"
#include "ostd/plat.h"

/* isa-debug-exit carries 7 bits: QEMU's status is (v << 1) | 1. */
#define DEBUG_EXIT_MAX 127
/* Device interrupts start at vector 32, after the exceptions. */
#define IRQ_VECTOR_BASE 32

void plat_console_init(const struct ostd_boot_info *info)
{
	(void)info;
	uart16550_init(BOARD_CONSOLE_BASE);
}

void plat_console_putc(char c)
{
	uart16550_putc(c);
}

void plat_timer_init(void)
{
	lapic_init_boot(true);
	pc_timer_init(IRQ_VECTOR_BASE);
}

/* The 8259's sixteen lines, then the local APIC's vectors (lapic.h). */
void plat_irq_handle(unsigned int irq)
{
	if (irq < 16) {
		pc_timer_irq(irq);
	} else if (!lapic_irq(irq + IRQ_VECTOR_BASE)) {
		panic("unexpected interrupt vector %u", irq + IRQ_VECTOR_BASE);
	}
}

void plat_power_off(int status)
{
	/*
	 * The low 7 bits, never 0 for a failure. ostd_power_off() printed
	 * the whole status for the runner.
	 */
	int low = status & DEBUG_EXIT_MAX;

	if (status != 0 && low == 0) {
		low = DEBUG_EXIT_MAX;
	}
	exit_isa_debug(BOARD_EXIT_BASE, low);
	arch_halt();
}

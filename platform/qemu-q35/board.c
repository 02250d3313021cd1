// SPDX-License-Identifier: MPL-2.0
/*
 * QEMU q35: COM1, isa-debug-exit and the ICH9 ACPI PM1a control register
 * at the I/O ports of board.ini's [devices] (a PC has no device tree).
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

void plat_console_init(const struct ostd_boot_info *info)
{
	(void)info;
	uart16550_init(BOARD_CONSOLE_BASE);
}

void plat_console_putc(char c)
{
	uart16550_putc(c);
}

/* Device interrupts start at vector 32, after the exceptions. */
#define IRQ_VECTOR_BASE 32

/*
 * CPU 0 ticks from the 8254 through the 8259, which SeaBIOS left in
 * virtual-wire mode on its local APIC; the other CPUs tick from their
 * local APIC timers (lapic.c).
 */
void plat_timer_init(void)
{
	lapic_init_boot(false);
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
	if (status == 0) {
		exit_acpi_poweroff(BOARD_POWEROFF_BASE);
	} else {
		/*
		 * The low 7 bits; never 0 for a failure. ostd_power_off()
		 * printed the whole status for the runner.
		 */
		int low = status & DEBUG_EXIT_MAX;

		exit_isa_debug(BOARD_EXIT_BASE,
			       low != 0 ? low : DEBUG_EXIT_MAX);
	}
	arch_halt();
}

// SPDX-License-Identifier: MPL-2.0
/*
 * QEMU q35: COM1, isa-debug-exit and the ICH9 ACPI PM1a control register
 * at the I/O ports of board.ini's [devices] (a PC has no device tree).
 */

#include "generated/board.h"

#include "ostd/arch/cpu.h"

#include "ostd/drivers/exit.h"
#include "ostd/drivers/pc_timer.h"
#include "ostd/drivers/uart16550.h"
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

void plat_timer_init(void)
{
	pc_timer_init(IRQ_VECTOR_BASE);
}

void plat_irq_handle(unsigned int irq)
{
	pc_timer_irq(irq);
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

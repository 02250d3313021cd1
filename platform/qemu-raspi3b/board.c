// SPDX-License-Identifier: MPL-2.0
/*
 * QEMU raspi3b: no device tree (x0 is an ATAG list, entry.c), so every
 * device is at the manifest's address (board.ini [devices]): the PL011
 * UART0, which QEMU connects to the first -serial (hw/arm/
 * bcm2835_peripherals.c), and the BCM2836 local interrupt controller.
 *
 * Exit: no PSCI and no exit device, so semihosting SYS_EXIT, which carries
 * the status (board.ini starts QEMU with -semihosting). Without it the
 * probe returns (exit_semihosting.c) and we halt after core/ printed
 * "ostd: power off, status N"; only the runner's timeout ends QEMU then.
 */

#include "generated/board.h"

#include "ostd/arch/cpu.h"

#include "ostd/drivers/arm_timer.h"
#include "ostd/drivers/bcm2836_intc.h"
#include "ostd/drivers/exit.h"
#include "ostd/drivers/pl011.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/kernel_map.h"
#include "ostd/plat.h"

void plat_console_init(const struct ostd_boot_info *info)
{
	(void)info;
	pl011_init((uintptr_t)kernel_map_device_or_panic(
		pa_init(BOARD_CONSOLE_BASE), 0x1000, "the console"));
}

void plat_console_putc(char c)
{
	pl011_putc(c);
}

void plat_power_off(int status)
{
	exit_semihosting(status);
	arch_halt();
}

/*
 * The tick: each core's virtual timer, routed to that core's IRQ by the
 * local intc, which also carries the IPIs in mailbox 0.
 */
void plat_timer_init(void)
{
	bcm2836_intc_init(BOARD_IRQ_BASE);
	plat_cpu_init_secondary();
}

void plat_cpu_init_secondary(void)
{
	bcm2836_intc_init_cpu();
	arm_timer_init();
}

/* Cores are Aff0 = 0..3, the hardware ids smp.c enumerated. */
void plat_send_ipi(const struct cpu_local *target)
{
	bcm2836_intc_send_ipi((unsigned int)target->hw_id);
}

/* trap.c: irq 0 is an IRQ exception, 1 an FIQ (nothing is routed there). */
void plat_irq_handle(unsigned int irq)
{
	if (irq != 0) {
		return;
	}
	uint32_t pending = bcm2836_intc_pending();

	if ((pending & (1U << BCM2836_INTC_CNTV)) != 0) {
		arm_timer_irq();
	}
	if ((pending & (1U << BCM2836_INTC_MBOX0)) != 0) {
		bcm2836_intc_ack_ipi();
		smp_ipi_handle();
	}
}

// SPDX-License-Identifier: MPL-2.0
/*
 * QEMU sifive_u (riscv64): the SiFive UART, looked up in the device tree
 * by board.ini's [devices] compatible (fallback: the manifest's base);
 * exit through semihosting, then SBI; the SBI timer as on virt.
 */

#include "generated/board.h"

#include <stdint.h>

#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"
#include "ostd/arch/riscv64.h"

#include "ostd/drivers/exit.h"
#include "ostd/drivers/sbi_ipi.h"
#include "ostd/drivers/sbi_timer.h"
#include "ostd/drivers/uart_sifive.h"
#include "ostd/fdt.h"
#include "ostd/kernel_map.h"
#include "ostd/plat.h"

/* The device tree, or NULL (a panic before ostd_boot(): no boot info). */
static const void *board_fdt(const struct ostd_boot_info *info)
{
	if (info == NULL || pa_addr(info->fdt) == 0) {
		return NULL;
	}
	const void *fdt = arch_paddr_to_ptr(info->fdt);

	return ostd_fdt_check(fdt) == OSTD_OK ? fdt : NULL;
}

void plat_console_init(const struct ostd_boot_info *info)
{
	const void *fdt = board_fdt(info);
	uint64_t base;

	if (fdt == NULL || ostd_fdt_find_reg(fdt, BOARD_CONSOLE_COMPAT, &base,
					     NULL) != OSTD_OK) {
		base = BOARD_CONSOLE_BASE;
	}
	/* Seven 32-bit registers, txdata at 0 to div at 0x18 (uart_sifive.c). */
	uart_sifive_init((uintptr_t)kernel_map_device_or_panic(
		pa_init(base), 0x1c, "the console"));
}

void plat_console_putc(char c)
{
	uart_sifive_putc(c);
}

void plat_power_off(int status)
{
	/* QEMU's status has 8 bits: keep a failure (even 256) a failure. */
	if (status < 0 || status > 255) {
		status = 255;
	}
	exit_semihosting(status);
	/*
	 * No -semihosting: SBI SRST (SBI v1.0.0, ch. 10). OpenSBI 1.1 has no
	 * shutdown device here, only a reboot through the DT's gpio-restart
	 * (GPIO 10, which hw/riscv/sifive_u.c turns into a machine reset),
	 * and QEMU's -no-reboot makes that reset an exit with status 0.
	 */
	uint64_t reason = status == 0 ? RISCV_SBI_SRST_REASON_NONE
				      : RISCV_SBI_SRST_REASON_FAILURE;

	riscv_sbi_call(RISCV_SBI_EXT_SRST, RISCV_SBI_SRST_RESET,
		       RISCV_SBI_SRST_SHUTDOWN, reason);
	riscv_sbi_call(RISCV_SBI_EXT_SRST, RISCV_SBI_SRST_RESET,
		       RISCV_SBI_SRST_COLD_REBOOT, reason);
	arch_halt();
}

void plat_timer_init(void)
{
	const void *fdt = board_fdt(ostd_boot_info());
	uint64_t hz;

	/* No tree: sifive_u's 1 MHz RTC clock, its DT's timebase (QEMU). */
	if (fdt == NULL || ostd_fdt_prop_u64(fdt, "/cpus", "timebase-frequency",
					     &hz) != OSTD_OK) {
		hz = 1000000;
	}
	sbi_timer_init(hz);
	sbi_ipi_init_cpu();
}

void plat_cpu_init_secondary(void)
{
	/* Per hart: its own SBI timer, and IPIs through SBI as well. */
	sbi_timer_init_cpu();
	sbi_ipi_init_cpu();
}

/* @p irq is scause's interrupt code (arch/riscv64/trap.c). */
void plat_irq_handle(unsigned int irq)
{
	if (irq == RISCV_IRQ_S_TIMER) {
		sbi_timer_handle();
	} else if (irq == RISCV_IRQ_S_SOFT) {
		sbi_ipi_handle();
	}
}

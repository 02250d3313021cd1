// SPDX-License-Identifier: MPL-2.0
/*
 * QEMU virt (riscv64): an NS16550A console and the SiFive test finisher,
 * looked up in the device tree by the compatibles of board.ini's
 * [devices], so a changed memory map still works; the manifest's
 * addresses are the fallback.
 */

#include "generated/board.h"

#include <stdint.h>

#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"
#include "ostd/arch/riscv64.h"
#include "ostd/arch/riscv64_layout.h"

#include "ostd/drivers/exit.h"
#include "ostd/drivers/sbi_ipi.h"
#include "ostd/drivers/sbi_timer.h"
#include "ostd/drivers/uart16550.h"
#include "ostd/fdt.h"
#include "ostd/kernel_map.h"
#include "ostd/plat.h"
#include "ostd/timer.h"

/* A process exit status has 8 bits; a bigger code could read as success. */
#define EXIT_STATUS_MAX 255

/*
 * The finisher, through the linear map, or 0 if it could not be mapped.
 * The default works before plat_console_init() (boot.S's linear map
 * covers every physical address), e.g. for an early panic;
 * plat_console_init() finds the real one, a device window.
 */
static uintptr_t test_base = PHYS_OFFSET + BOARD_EXIT_BASE;

static uintptr_t fdt_reg(const void *fdt, const char *compat,
			 uintptr_t fallback)
{
	uint64_t base;

	if (fdt == NULL || ostd_fdt_check(fdt) != OSTD_OK ||
	    ostd_fdt_find_reg(fdt, compat, &base, NULL) != OSTD_OK) {
		return fallback;
	}
	return (uintptr_t)base;
}

/* The one board hook that runs early, so it finds the finisher too. */
void plat_console_init(const struct ostd_boot_info *info)
{
	/* NULL info: a panic before ostd_boot(); use the fallbacks. */
	const void *fdt = info == NULL || pa_addr(info->fdt) == 0
				  ? NULL
				  : arch_paddr_to_ptr(info->fdt);
	uint64_t test_pa = fdt_reg(fdt, BOARD_EXIT_COMPAT, BOARD_EXIT_BASE);
	void *test;

	/*
	 * Both are device windows (kernel_map_device()). Without the
	 * finisher plat_power_off() still has SBI.
	 */
	test_base = kernel_map_device(pa_init(test_pa), 4, &test) == OSTD_OK
			    ? (uintptr_t)test
			    : 0;
	uart16550_init((uintptr_t)kernel_map_device_or_panic(
		pa_init(fdt_reg(fdt, BOARD_CONSOLE_COMPAT, BOARD_CONSOLE_BASE)),
		8, "the console"));
}

void plat_console_putc(char c)
{
	uart16550_putc(c);
}

void plat_power_off(int status)
{
	if (status < 0 || status > EXIT_STATUS_MAX) {
		status = EXIT_STATUS_MAX;
	}
	if (test_base != 0) {
		exit_sifive_test(test_base, status);
	}
	/*
	 * No finisher: ask the SBI firmware. SRST (SBI v1.0.0, ch. 10) and
	 * the legacy shutdown (5.9) both make QEMU exit 0 whatever the
	 * reason, so a failure is then visible only on the console.
	 */
	riscv_sbi_call(RISCV_SBI_EXT_SRST, RISCV_SBI_SRST_RESET,
		       RISCV_SBI_SRST_SHUTDOWN,
		       status == 0 ? RISCV_SBI_SRST_REASON_NONE
				   : RISCV_SBI_SRST_REASON_FAILURE);
	riscv_sbi_call(RISCV_SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0);
	arch_halt();
}

/*
 * The `time` CSR's rate when the device tree does not say: QEMU virt's
 * ACLINT timebase (hw/riscv/virt.c, RISCV_ACLINT_DEFAULT_TIMEBASE_FREQ).
 */
#define VIRT_TIMEBASE_HZ 10000000ULL

void plat_timer_init(void)
{
	const struct ostd_boot_info *info = ostd_boot_info();
	uint64_t hz = VIRT_TIMEBASE_HZ;

	if (info != NULL && pa_addr(info->fdt) != 0 &&
	    ostd_fdt_prop_u64(arch_paddr_to_ptr(info->fdt), "/cpus",
			      "timebase-frequency", &hz) != OSTD_OK) {
		hz = VIRT_TIMEBASE_HZ;
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

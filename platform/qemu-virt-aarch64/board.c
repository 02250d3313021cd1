// SPDX-License-Identifier: MPL-2.0
/*
 * QEMU virt (aarch64): a PL011 console and two exit devices, both found
 * through the device tree with QEMU's fixed addresses as the fallback
 * (hw/arm/virt.c, base_memmap).
 *
 * Exit: semihosting SYS_EXIT first, because it is the only device that
 * carries the status; board.ini starts QEMU with -semihosting. Without it
 * the `hlt` is undefined, the probe returns (exit_semihosting.c) and we
 * fall back to PSCI SYSTEM_OFF, which always reports 0; the runner then
 * reads the summary line. The conduit is the DT's /psci "method": "hvc"
 * normally, "smc" with virtualization=on. Without a DT we try both, each
 * safely (exit_psci.c). If nothing stops the machine, we halt.
 */

#include "generated/board.h"

#include <stddef.h>
#include <stdint.h>

#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"

#include "ostd/assert.h"
#include "ostd/drivers/arm_timer.h"
#include "ostd/drivers/exit.h"
#include "ostd/drivers/gicv2.h"
#include "ostd/drivers/pl011.h"
#include "ostd/fdt.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/kernel_map.h"
#include "ostd/plat.h"
#include "ostd/smp.h"
#include "ostd/timer.h"

/*
 * Without a device tree, the GICv2 CPU interface follows the distributor
 * at +64 KiB on QEMU virt (hw/arm/virt.c, VIRT_GIC_CPU); with one, it is
 * the node's second reg pair.
 */
#define VIRT_GICC_OFFSET 0x10000

/*
 * The SGI that carries the kernel's IPIs (core/smp.c's calls). Any of
 * 0-15 would do; 0 is left alone for firmware that uses it.
 */
#define IPI_SGI 1U

static bool str_eq(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static const void *boot_fdt(const struct ostd_boot_info *info)
{
	if (info == NULL || pa_addr(info->fdt) == 0) {
		return NULL;
	}
	return arch_paddr_to_ptr(info->fdt);
}

/* NULL info: a panic before ostd_boot(); use the fallback. */
void plat_console_init(const struct ostd_boot_info *info)
{
	const void *fdt = boot_fdt(info);
	uint64_t base;

	if (fdt == NULL || ostd_fdt_find_reg(fdt, BOARD_CONSOLE_COMPAT, &base,
					     NULL) != OSTD_OK) {
		base = BOARD_CONSOLE_BASE;
	}
	pl011_init((uintptr_t)kernel_map_device_or_panic(pa_init(base), 0x1000,
							 "the console"));
}

void plat_console_putc(char c)
{
	pl011_putc(c);
}

void plat_power_off(int status)
{
	exit_semihosting(status);

	const char *method = NULL;
	const void *fdt = boot_fdt(ostd_boot_info());

	if (fdt != NULL) {
		method = ostd_fdt_prop_string(fdt, "/psci", "method");
	}
	if (method == NULL || str_eq(method, "hvc")) {
		exit_psci_system_off(1);
	}
	if (method == NULL || str_eq(method, "smc")) {
		exit_psci_system_off(0);
	}
	arch_halt();
}

/*
 * The interrupt controller: a GICv2 here; a board that includes this file
 * with VIRT_BOARD_OWN_IRQ defined (qemu-virt-aarch64-gicv3) brings its
 * own plat_timer_init(), plat_cpu_init_secondary(), plat_send_ipi() and
 * plat_irq_handle().
 */
#ifndef VIRT_BOARD_OWN_IRQ

/*
 * The tick: the generic timer's virtual timer PPI through the GICv2 that
 * QEMU virt has by default ("arm,cortex-a15-gic" in the DT), and the IPI
 * SGI. Both are banked per CPU: plat_cpu_init_secondary() does the same
 * on each of the others.
 */
void plat_timer_init(void)
{
	const void *fdt = boot_fdt(ostd_boot_info());
	uint64_t gicd = BOARD_IRQ_BASE;
	uint64_t gicc = BOARD_IRQ_BASE + VIRT_GICC_OFFSET;

	if (fdt != NULL &&
	    (ostd_fdt_find_reg(fdt, BOARD_IRQ_COMPAT, &gicd, NULL) != OSTD_OK ||
	     ostd_fdt_find_reg_index(fdt, BOARD_IRQ_COMPAT, 1, &gicc, NULL) !=
		     OSTD_OK)) {
		gicd = BOARD_IRQ_BASE;
		gicc = BOARD_IRQ_BASE + VIRT_GICC_OFFSET;
	}
	gicv2_init(gicd, gicc);
	plat_cpu_init_secondary();
}

void plat_cpu_init_secondary(void)
{
	gicv2_init_cpu(smp_cpu_id());
	gicv2_enable(IPI_SGI);
	arm_timer_init();
	gicv2_enable(ARM_TIMER_VIRT_INTID);
}

void plat_send_ipi(const struct cpu_local *target)
{
	CHECK(gicv2_send_sgi(target->id, IPI_SGI));
}

/* trap.c: irq 0 is an IRQ exception, 1 an FIQ (unused: all is Group 0). */
void plat_irq_handle(unsigned int irq)
{
	if (irq != 0) {
		return;
	}
	uint32_t iar = gicv2_ack();
	unsigned int intid = GICV2_IAR_INTID(iar);

	if (intid == GICV2_SPURIOUS) {
		return;
	}
	if (intid == ARM_TIMER_VIRT_INTID) {
		arm_timer_irq();
	}
	/*
	 * End the IPI before running the calls: one posted while they run
	 * sends another SGI, which must find this one inactive to be taken
	 * again (IHI 0048B, 3.2.4 "Interrupt handling state machine").
	 */
	gicv2_eoi(iar);
	if (intid == IPI_SGI) {
		smp_ipi_handle();
	}
}

#endif /* VIRT_BOARD_OWN_IRQ */

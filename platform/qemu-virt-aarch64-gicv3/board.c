// SPDX-License-Identifier: MPL-2.0
/*
 * QEMU virt (aarch64) with -machine virt,gic-version=3: the machine of
 * platform/qemu-virt-aarch64, whose console and exit glue this includes,
 * with a GICv3 instead of a GICv2 (hw/arm/virt.c, create_gic()): the
 * "arm,gic-v3" node's reg holds the distributor, then the redistributor
 * region (#redistributor-regions = 1 on QEMU virt). Its own part is the
 * interrupt controller: the tick (the virtual timer PPI) and the IPIs (an
 * SGI sent by affinity through ICC_SGI1R_EL1) on every CPU.
 */

#define VIRT_BOARD_OWN_IRQ 1
#include "../qemu-virt-aarch64/board.c"

#include "ostd/drivers/gicv3.h"
#include "ostd/panic.h"

/*
 * Without a device tree: QEMU virt's VIRT_GIC_REDIST window, 0x080a0000
 * (board.ini), for up to 123 CPUs of two 64 KiB frames.
 */
#define VIRT_GICR_SIZE 0xf60000

void plat_timer_init(void)
{
	const void *fdt = boot_fdt(ostd_boot_info());
	uint64_t gicd = BOARD_IRQ_BASE;
	uint64_t gicr = BOARD_IRQ_REDIST_BASE;
	uint64_t gicr_size = VIRT_GICR_SIZE;

	if (fdt != NULL &&
	    (ostd_fdt_find_reg(fdt, BOARD_IRQ_COMPAT, &gicd, NULL) != OSTD_OK ||
	     ostd_fdt_find_reg_index(fdt, BOARD_IRQ_COMPAT, 1, &gicr,
				     &gicr_size) != OSTD_OK)) {
		gicd = BOARD_IRQ_BASE;
		gicr = BOARD_IRQ_REDIST_BASE;
		gicr_size = VIRT_GICR_SIZE;
	}
	if (!gicv3_init(gicd, gicr, gicr_size)) {
		panic("gicv3: the distributor at %#llx did not settle",
		      (unsigned long long)gicd);
	}
	plat_cpu_init_secondary();
}

void plat_cpu_init_secondary(void)
{
	unsigned int cpu = smp_cpu_id();

	if (!gicv3_init_cpu(cpu)) {
		panic("gicv3: no redistributor or CPU interface for CPU %u",
		      cpu);
	}
	gicv3_enable_local(cpu, IPI_SGI);
	arm_timer_init();
	gicv3_enable_local(cpu, ARM_TIMER_VIRT_INTID);
}

void plat_send_ipi(const struct cpu_local *target)
{
	gicv3_send_sgi(target->hw_id, IPI_SGI);
}

/* trap.c: irq 0 is an IRQ exception (Group 1), 1 an FIQ (unused). */
void plat_irq_handle(unsigned int irq)
{
	if (irq != 0) {
		return;
	}
	uint32_t intid = gicv3_ack();

	if (intid == GICV3_SPURIOUS) {
		return;
	}
	if (intid == ARM_TIMER_VIRT_INTID) {
		arm_timer_irq();
	}
	/* As on the GICv2 board: end the IPI before running the calls. */
	gicv3_eoi(intid);
	if (intid == IPI_SGI) {
		smp_ipi_handle();
	}
}

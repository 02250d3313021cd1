// SPDX-License-Identifier: MPL-2.0
/*
 * Interrupt masking: sstatus.SIE, the global S-mode interrupt enable
 * (RISC-V Privileged Spec v1.12, 4.1.1). Which interrupts exist is sie's
 * business (the timer driver sets STIE).
 */

#include "ostd/arch/cpu.h"
#include "ostd/arch/riscv64.h"
#include "ostd/arch/task.h"

#include "ostd/timer.h"

void arch_irq_enable(void)
{
	riscv_csr_set(sstatus, RISCV_SSTATUS_SIE);
}

unsigned long arch_irq_save(void)
{
	unsigned long old;

	/* One atomic read-and-clear, so no interrupt slips in between. */
	__asm__ volatile("csrrci %0, sstatus, %1"
			 : "=r"(old)
			 : "i"(RISCV_SSTATUS_SIE)
			 : "memory");
	return old & RISCV_SSTATUS_SIE;
}

void arch_irq_restore(unsigned long flags)
{
	if ((flags & RISCV_SSTATUS_SIE) != 0) {
		riscv_csr_set(sstatus, RISCV_SSTATUS_SIE);
	}
}

void arch_wait_for_interrupt(void)
{
	unsigned long flags = arch_irq_save();

	/*
	 * 3.3.3 "Wait for Interrupt": wfi wakes when an interrupt is pending
	 * and enabled in sie, whatever SIE says, so waiting with SIE clear
	 * cannot miss one that arrives just before; setting SIE then takes
	 * it. wfi may also return early, which only makes this a short wait.
	 */
	__asm__ volatile("wfi" : : : "memory");
	riscv_csr_set(sstatus, RISCV_SSTATUS_SIE);
	riscv_csr_clear(sstatus, RISCV_SSTATUS_SIE);
	arch_irq_restore(flags);
}

// SPDX-License-Identifier: MPL-2.0
/*
 * Interrupt masking: PSTATE.I through DAIF (Arm ARM DDI 0487, C5.2.2
 * "DAIF" and C5.1.3 "MSR (immediate)": DAIFSet / DAIFClr bit 1 is I). Only
 * IRQs are unmasked; FIQs, SErrors and debug exceptions stay masked, as
 * boot.S left them.
 */

#include "ostd/arch/aarch64.h"
#include "ostd/arch/cpu.h"
#include "ostd/arch/task.h"

#include "ostd/timer.h"

#define DAIF_I (1UL << 7)

void arch_irq_enable(void)
{
	__asm__ volatile("msr daifclr, #2" : : : "memory");
}

unsigned long arch_irq_save(void)
{
	unsigned long flags = aarch64_read_sysreg(daif);

	__asm__ volatile("msr daifset, #2" : : : "memory");
	return flags & DAIF_I;
}

void arch_irq_restore(unsigned long flags)
{
	if (flags & DAIF_I) {
		__asm__ volatile("msr daifset, #2" : : : "memory");
	} else {
		__asm__ volatile("msr daifclr, #2" : : : "memory");
	}
}

void arch_wait_for_interrupt(void)
{
	unsigned long flags = arch_irq_save();

	/*
	 * WFI with PSTATE.I set still wakes on a pending IRQ (D1.16.2 "Wait
	 * for Interrupt": the mask does not stop the wake-up). Unmasking
	 * after it takes that interrupt, so none is lost between the check
	 * and the wait.
	 */
	__asm__ volatile("dsb sy\n\twfi" : : : "memory");
	__asm__ volatile("msr daifclr, #2\n\tisb" : : : "memory");
	arch_irq_restore(flags);
}

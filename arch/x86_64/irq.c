// SPDX-License-Identifier: MPL-2.0
/* Interrupt masking: RFLAGS.IF (Intel SDM vol 1, 3.4.3.2). */

#include "ostd/arch/cpu.h"
#include "ostd/arch/task.h"
#include "ostd/arch/x86_64_layout.h"

#include "ostd/timer.h"

void arch_irq_enable(void)
{
	__asm__ volatile("sti" : : : "memory");
}

unsigned long arch_irq_save(void)
{
	unsigned long flags;

	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags & X86_RFLAGS_IF;
}

void arch_irq_restore(unsigned long flags)
{
	if (flags & X86_RFLAGS_IF) {
		__asm__ volatile("sti" : : : "memory");
	} else {
		__asm__ volatile("cli" : : : "memory");
	}
}

void arch_wait_for_interrupt(void)
{
	unsigned long flags = arch_irq_save();

	/*
	 * STI delays interrupts by one instruction (SDM vol 2B, STI), so
	 * none can slip in between and leave HLT waiting for the next.
	 */
	__asm__ volatile("sti; hlt" : : : "memory");
	arch_irq_restore(flags);
}

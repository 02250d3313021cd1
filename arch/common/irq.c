// SPDX-License-Identifier: MPL-2.0
/*
 * Interrupt control for a port that takes no interrupts (the host): the
 * state is always "masked", and waiting for an interrupt returns at once.
 * A port with interrupts provides arch/<isa>/irq.c, which replaces this
 * file.
 */

#include "ostd/arch/cpu.h"
#include "ostd/arch/task.h"

#include "ostd/timer.h"

void arch_irq_enable(void)
{
}

unsigned long arch_irq_save(void)
{
	return 0;
}

void arch_irq_restore(unsigned long flags)
{
	(void)flags;
}

void arch_wait_for_interrupt(void)
{
}

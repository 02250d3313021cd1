/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdint.h>

#include "ostd/compiler.h"

/*
 * The CPU contract every port implements in arch/<isa>/.
 */

/**
 * Stops this CPU for good with interrupts masked. Used after power-off
 * failed, so it must not depend on anything else working.
 */
NORETURN void arch_halt(void);

/**
 * An address that no kernel mapping covers right now and that faults when
 * accessed, for tests that prove a kernel fault is reported, not hung on.
 */
uintptr_t arch_unmapped_test_addr(void);

/**
 * A spin-wait hint (x86 pause, Arm yield). On the host, where simulated
 * CPUs are threads that may outnumber the cores, it yields the thread so
 * a descheduled lock holder can run.
 */
void arch_cpu_relax(void);

/** Unmasks interrupts on this CPU (x86 sti, sstatus.SIE, DAIF.I). */
void arch_irq_enable(void);

/** Masks interrupts and returns the previous state for arch_irq_restore(). */
unsigned long arch_irq_save(void);

/** Restores the interrupt state @p flags that arch_irq_save() returned. */
void arch_irq_restore(unsigned long flags);

/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/* The task-switch contract (arch/<isa>/switch.S or the like). */

#include <stdint.h>

/**
 * Saves the callee-saved registers on the current stack, stores the stack
 * pointer in *@p save_sp, loads @p next_sp and restores from there.
 * Returns when something switches back to *@p save_sp.
 *
 * Context: core/task.c's scheduler, interrupts masked, no spinlock held
 * across the switch but the run queue's. Undefined: a @p next_sp not made
 * by arch_task_stack_init() or a previous switch.
 */
void arch_context_switch(uintptr_t *save_sp, uintptr_t next_sp);

/**
 * Prepares a new stack ending at @p stack_top (16-byte aligned) so that
 * switching to the returned stack pointer calls task_entry() (which never
 * returns).
 */
uintptr_t arch_task_stack_init(uintptr_t stack_top);

/**
 * Waits for the next interrupt with interrupts enabled (x86 sti; hlt,
 * wfi), then restores the interrupt state it found.
 *
 * Context: the idle loop or a task with nothing to do.
 */
void arch_wait_for_interrupt(void);

/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The scheduler's framework-internal half (core/task.c): what boot, the
 * secondary CPUs, the timer and the user-mode loop call.
 */

#include <stdbool.h>

#include "ostd/compiler.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/task.h"

/** Makes the current flow of a new CPU its idle task. */
void task_init_cpu(struct cpu_local *cl);

/** Gives the boot CPU an idle task (after frame_init()). */
void task_init_boot_cpu(void);

/** Runs ready tasks, and waits for interrupts while there are none. */
NORETURN void task_idle_loop(void);

/**
 * Called on every CPU's timer tick (interrupt context): accounts the tick
 * to the running task (to its user time if it interrupted user mode) and
 * ends its slice when used up.
 */
void task_tick(void);

/** This CPU's running task used up its slice (or another wants the CPU). */
bool task_need_resched(void);

/** The running task has a kernel event (its CPU-time limit ran out). */
bool task_kernel_event_pending(void);

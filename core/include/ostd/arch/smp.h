/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The SMP contract (arch/<isa>/smp.c): finding the CPUs, starting them,
 * and the per-CPU register.
 */

#include <stdint.h>

#include "ostd/compiler.h"
#include "ostd/err.h"
#include "ostd/internal/cpu_local.h"

/**
 * Points this CPU's per-CPU register at @p cl (x86_64: IA32_GS_BASE and
 * IA32_KERNEL_GS_BASE, SDM Vol. 3A §5.8.8 for swapgs; RISC-V: tp, and
 * sscratch for the trap entry, Privileged spec §4.1.4; AArch64:
 * TPIDR_EL1, Arm ARM D19.2). Called once per CPU, before any other core
 * code runs on it, with interrupts masked.
 */
void arch_cpu_local_install(struct cpu_local *cl);

/**
 * This CPU's area, as installed. Context: any, after the install;
 * interrupt handlers included (the arch restores the register on every
 * entry from user mode, where user code may have changed it).
 */
struct cpu_local *arch_cpu_local(void);

/**
 * Fills @p hw_ids with the hardware ids of up to @p max CPUs the firmware
 * describes (ACPI MADT or MP table; the device tree's /cpus nodes that
 * can run the kernel's mode) and sets *@p boot to the index of the CPU
 * running this call. Returns the count (>= 1). Called once, on the boot
 * CPU, after frame_init() and the kernel page table.
 */
unsigned int arch_smp_enumerate(uint64_t *hw_ids, unsigned int max,
				unsigned int *boot);

/**
 * Starts the CPU @p cl->hw_id so that it runs, on the stack ending at
 * @p stack_top, with this CPU's kernel page table, trap vectors and
 * privilege level, with interrupts masked, smp_secondary_entry(@p cl).
 * Returns without waiting for it (the core waits, with a timeout).
 *
 * @retval OSTD_ENODEV The firmware refused (PSCI or SBI error, no
 *         spin-table address); the CPU is reported and skipped.
 */
WARN_UNUSED ostd_err_t arch_cpu_start(struct cpu_local *cl,
				      uintptr_t stack_top);

/**
 * Makes every CPU in @p cpus (never this one) execute a full memory
 * barrier between this call's start and its return, as Linux's
 * membarrier() does for a process: RCU's expedited grace period reads
 * those CPUs' preemption counts after it (core/mm/pt_node.c). A port with
 * IPIs calls smp_barrier_by_ipi(); the host uses membarrier(2) on its
 * simulated CPUs' threads.
 * Context: preemption off or not; interrupts enabled or masked.
 */
void arch_cpu_barrier_remote(uint64_t cpus);

/** The first core function on every secondary CPU (core/smp.c). */
NORETURN void smp_secondary_entry(struct cpu_local *cl);

/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include "ostd/boot.h"
#include "ostd/compiler.h"

/*
 * The platform contract: what every board implements (platform/<board>/),
 * usually by selecting drivers from platform/drivers/.
 */

/**
 * Prepares the console. Called by ostd_boot() before anything prints, or
 * earlier by a panic in the arch entry code; then @p info is NULL and the
 * board must fall back to its default addresses. Output before this call
 * may be lost.
 */
void plat_console_init(const struct ostd_boot_info *info);

/**
 * Writes one raw byte to the console (no newline translation).
 *
 * Context: any, including trap handlers; may spin while the UART is busy.
 */
void plat_console_putc(char c);

/**
 * Starts the periodic timer at OSTD_TICK_HZ (ostd/timer.h); its interrupt
 * ends in ostd_timer_tick(). Called by ostd_boot() with interrupts masked,
 * after the kernel page table is up. A board without a timer yet does
 * nothing.
 */
void plat_timer_init(void);

/**
 * Prepares a secondary CPU's side of the interrupt controller (GIC CPU
 * interface or redistributor, local APIC) and starts its own timer tick.
 * Called by smp_secondary_entry() on that CPU, interrupts masked.
 */
void plat_cpu_init_secondary(void);

struct cpu_local;

/**
 * Sends an inter-processor interrupt to @p target (LAPIC ICR, SBI
 * sbi_send_ipi or an ACLINT SSWI, a GIC SGI, a BCM2836 mailbox). The
 * target's interrupt path calls smp_ipi_handle() and acknowledges it.
 * The caller's stores before this call are visible to the handler (the
 * driver owes the barrier: Arm DSB before the SGI write, RISC-V fence
 * before the SBI call; x86 orders them).
 *
 * Context: any, interrupts masked or not.
 */
void plat_send_ipi(const struct cpu_local *target);

/**
 * Handles device interrupt @p irq, as the arch's trap code numbers it
 * (x86_64: the vector less 32; the other ports document theirs), and
 * acknowledges it.
 *
 * Context: interrupt, interrupts masked.
 */
void plat_irq_handle(unsigned int irq);

/**
 * Powers the machine off, reporting @p status to whoever started it (QEMU's
 * exit status). If the exit device can only report success, the platform
 * reports what it can; the runner then also reads the console.
 */
NORETURN void plat_power_off(int status);

/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The local APIC (lapic.c): virtual-wire mode for the 8259 on the boot
 * CPU, IPIs and INIT/STARTUP through the ICR, and the secondary CPUs'
 * periodic tick. The driver also implements plat_send_ipi() and
 * plat_cpu_init_secondary() (ostd/plat.h) for the boards that select it.
 */

#include <stdbool.h>
#include <stdint.h>

/*
 * The vectors the local APIC delivers, above the 8259's 32-47. A higher
 * vector is a higher priority class (Intel SDM vol 3A, 11.8.3); the
 * spurious vector's low four bits must be 1 on older parts (11.9).
 */
#define LAPIC_VECTOR_TIMER 0xefU
#define LAPIC_VECTOR_IPI 0xf0U
#define LAPIC_VECTOR_SPURIOUS 0xffU

/**
 * Enables this (the boot) CPU's local APIC, in x2APIC mode where the CPU
 * has it, and with @p virtual_wire puts LINT0 in ExtINT and LINT1 in NMI
 * mode (for firmware that did not). Call before pc_timer_init().
 */
void lapic_init_boot(bool virtual_wire);

/** Enables a secondary CPU's APIC and starts its periodic tick. */
void lapic_init_secondary(void);

/** This CPU's APIC id (the x2APIC id in x2APIC mode). */
uint32_t lapic_id(void);

/** Signals the end of the interrupt in service. */
void lapic_eoi(void);

/** Sends fixed @p vector to the CPU with APIC id @p apic_id. */
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);

/** Sends INIT (level assert) to @p apic_id: it waits for a STARTUP. */
void lapic_send_init(uint32_t apic_id);

/** Sends STARTUP: @p apic_id starts in real mode at @p page << 12. */
void lapic_send_startup(uint32_t apic_id, uint8_t page);

/**
 * Handles the APIC's own vectors (timer, IPI, spurious) and returns true,
 * or returns false for any other vector.
 */
bool lapic_irq(unsigned int vector);

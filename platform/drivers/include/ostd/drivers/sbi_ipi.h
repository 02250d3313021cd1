/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * IPIs through the SBI IPI extension (platform/drivers/sbi_ipi.c). It
 * also provides plat_send_ipi() (ostd/plat.h).
 */

/**
 * Lets this hart take IPIs (sie.SSIE). Context: every CPU, once, with
 * interrupts masked (plat_timer_init() on the boot CPU,
 * plat_cpu_init_secondary() on the others).
 */
void sbi_ipi_init_cpu(void);

/**
 * The supervisor software interrupt (scause interrupt 1): acknowledges
 * it and runs the calls posted to this CPU (smp_ipi_handle()).
 * Context: interrupt, interrupts masked.
 */
void sbi_ipi_handle(void);

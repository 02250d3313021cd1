/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdint.h>

/*
 * The RISC-V timer through the SBI TIME extension (platform/drivers/
 * sbi_timer.c): a periodic tick at OSTD_TICK_HZ from the `time` counter.
 */

/**
 * Starts the tick on the boot CPU. @p timebase_hz is the rate of the
 * `time` CSR (the device tree's /cpus timebase-frequency), the same on
 * every hart.
 */
void sbi_timer_init(uint64_t timebase_hz);

/**
 * Starts the tick on a secondary CPU (plat_cpu_init_secondary()), after
 * sbi_timer_init() on the boot CPU. Interrupts masked.
 */
void sbi_timer_init_cpu(void);

/** The supervisor timer interrupt: re-arms the timer and ticks. */
void sbi_timer_handle(void);

/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdint.h>

/*
 * The RISC-V timer through the SBI TIME extension (platform/drivers/
 * sbi_timer.c): a periodic tick at OSTD_TICK_HZ from the `time` counter.
 */

/**
 * Starts the tick. @p timebase_hz is the rate of the `time` CSR (the
 * device tree's /cpus timebase-frequency).
 */
void sbi_timer_init(uint64_t timebase_hz);

/** The supervisor timer interrupt: re-arms the timer and ticks. */
void sbi_timer_handle(void);

/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * CPUs (DESIGN.md §9): how many are online, which one runs the caller,
 * and cross-CPU function calls. CPU indices are dense, 0 .. count - 1;
 * 0 is the CPU that booted. The hardware's own numbers (APIC ids, hart
 * ids, MPIDRs) stay inside the arch.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/compiler.h"
#include "ostd/err.h"

/** The calling CPU's index; stable while the caller cannot migrate. */
unsigned int smp_cpu_id(void);

/** How many CPUs are online (the boot CPU included). */
unsigned int smp_cpu_count(void);

/** The online CPUs, bit i for CPU i. */
uint64_t smp_cpu_online_mask(void);

/** Runs on the called CPU with interrupts masked; must not sleep. */
typedef void (*smp_call_fn)(void *arg);

/**
 * Runs @p fn(@p arg) on every online CPU in @p cpus (this one included if
 * it is in the set, directly). With @p wait, returns once every target
 * has returned from @p fn; without, once every target has the request
 * (the caller must keep @p arg alive until @p fn ran).
 *
 * A target that does not answer within OSTD_SMP_CALL_TIMEOUT_MS makes
 * the caller panic with that CPU's index: a lost IPI must be loud.
 * While it waits, the caller answers the calls other CPUs make to it, so
 * two CPUs calling each other do not deadlock, with interrupts masked or
 * not.
 *
 * @retval OSTD_EINVAL @p fn is NULL, or @p cpus names an offline CPU.
 *
 * Context: a task or the idle loop, not an interrupt handler.
 */
WARN_UNUSED ostd_err_t smp_call(uint64_t cpus, smp_call_fn fn, void *arg,
				bool wait);

#define OSTD_SMP_CALL_TIMEOUT_MS 5000

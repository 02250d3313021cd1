/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdint.h>

#include "ostd/compiler.h"

/*
 * Exit devices: ways to stop QEMU and hand it a status. Each returns only if
 * the device is absent or did not stop the machine, so boards chain them.
 */

/** QEMU isa-debug-exit: QEMU exits with (status << 1) | 1. */
void exit_isa_debug(uint16_t port, int status);

/** ACPI S5 through the PM1a control port; QEMU exits with 0. */
void exit_acpi_poweroff(uint16_t pm1a_cnt);

/** SiFive test finisher: pass (0) or fail with a 16-bit code. */
void exit_sifive_test(uintptr_t base, int status);

/** Semihosting SYS_EXIT (Arm, RISC-V) with a status (needs -semihosting). */
void exit_semihosting(int status);

/** PSCI SYSTEM_OFF through hvc (@p use_hvc) or smc; reports 0. */
void exit_psci_system_off(int use_hvc);

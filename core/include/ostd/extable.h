/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdint.h>

/*
 * The exception table: for each instruction that may fault on purpose (a
 * user access inside a fallible copy, a probe), where to resume. The arch
 * assembly emits entries into the `ostd_extable` section with
 * OSTD_EXTABLE_ENTRY (arch headers); the trap handler asks here.
 */

struct extable_entry {
	uintptr_t fault_pc;
	uintptr_t fixup_pc;
};

/**
 * The recovery point for a kernel fault at @p pc, or 0 if @p pc is not a
 * registered faulting instruction (then the fault is a kernel bug).
 */
uintptr_t extable_fixup(uintptr_t pc);

// SPDX-License-Identifier: MPL-2.0
/*
 * The instruction-fetch probe of the hardware tests (ostd/arch/probe.h).
 * A fetch fault is taken at the target, not at an instruction of the
 * probe, so no exception-table entry can name it: the arch's kernel fault
 * handler asks probe_exec_fault() instead and resumes at the return
 * address of the call, as the target's bare return would have.
 *
 * The caller has made the target's bytes visible to instruction fetch
 * (arch_sync_icache()).
 */

#include "ostd/arch/probe.h"

static volatile uintptr_t exec_probe_target;
static volatile bool exec_probe_faulted;

bool arch_probe_exec(uintptr_t va)
{
	exec_probe_faulted = false;
	exec_probe_target = va;
	((void (*)(void))va)();
	exec_probe_target = 0;
	return !exec_probe_faulted;
}

bool probe_exec_fault(uintptr_t pc)
{
	if (exec_probe_target == 0 || pc != exec_probe_target) {
		return false;
	}
	exec_probe_faulted = true;
	return true;
}

// SPDX-License-Identifier: MPL-2.0
/* The out-of-line half of ostd/sync.h. */

#include "ostd/sync.h"

#include "ostd/arch/cpu.h"

void spin_relax(void)
{
	arch_cpu_relax();
}

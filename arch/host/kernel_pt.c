// SPDX-License-Identifier: MPL-2.0
/*
 * The host "kernel" runs as a process: the core's kernel table is created
 * at boot (the tests build their own tables on the simulated MMUs) and
 * never installed.
 */

#include "ostd/arch/mm.h"

void arch_kernel_pt_activate(struct page_table *kpt)
{
	(void)kpt;
}

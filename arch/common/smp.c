// SPDX-License-Identifier: MPL-2.0
/*
 * The one-CPU stand-in for a port without its own arch/<isa>/smp.c: the
 * per-CPU area is a variable, the firmware describes one CPU, and no
 * remote flush or IPI ever has a target.
 */

#include "ostd/arch/smp.h"

#include "ostd/arch/tlb.h"

#include "ostd/assert.h"
#include "ostd/plat.h"

static struct cpu_local *the_cpu = &cpu_locals[0];

void arch_cpu_local_install(struct cpu_local *cl)
{
	the_cpu = cl;
}

struct cpu_local *arch_cpu_local(void)
{
	return the_cpu;
}

unsigned int arch_smp_enumerate(uint64_t *hw_ids, unsigned int max,
				unsigned int *boot)
{
	CHECK(max >= 1);
	hw_ids[0] = 0;
	*boot = 0;
	return 1;
}

ostd_err_t arch_cpu_start(struct cpu_local *cl, uintptr_t stack_top)
{
	(void)cl;
	(void)stack_top;
	return OSTD_ENODEV;
}

void arch_tlb_flush_remote(uint64_t cpus, const struct page_table *pt,
			   const struct tlb_op *ops, unsigned int count)
{
	(void)cpus;
	(void)pt;
	(void)ops;
	(void)count;
	/* No second CPU is ever started, so none is ever a target. */
	CHECK(false);
}

void arch_cpu_barrier_remote(uint64_t cpus)
{
	/* One CPU: there is no other to order. */
	CHECK(cpus == 0);
}

void plat_send_ipi(const struct cpu_local *target)
{
	(void)target;
	CHECK(false);
}

void plat_cpu_init_secondary(void)
{
	CHECK(false);
}

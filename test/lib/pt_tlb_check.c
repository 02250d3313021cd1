// SPDX-License-Identifier: MPL-2.0
/* The page-table tests' view of the simulated TLBs (pt_tlb_check.h). */

#include "pt_tlb_check.h"

#include "ostd/config.h"
#include "ostd/frame.h"
#include "ostd/printf.h"

#include "../../core/mm/frame_internal.h"

#if CONFIG_ARCH_HOST

#include "ostd/host/sim.h"

bool pt_test_tlb_attach(struct page_table *pt)
{
	const struct sim_mmu_hw *hw = sim_mmu_for(pt->cfg);

	if (hw == NULL) {
		return false;
	}
	for (unsigned int i = 0; i < PT_TEST_TLB_CPUS; i++) {
		struct sim_cpu *cpu = sim_cpu(i);

		sim_tlb_flush_all(cpu, true);
		cpu->mode = (struct sim_mode){ .nxe = true, .sum = true };
		sim_cpu_set_root(cpu, hw, pt->root, 0);
		cpu_set_add(&pt->active_cpus, i);
	}
	return true;
}

void pt_test_tlb_detach(struct page_table *pt)
{
	for (unsigned int i = 0; i < PT_TEST_TLB_CPUS; i++) {
		struct sim_cpu *cpu = sim_cpu(i);

		cpu_set_remove(&pt->active_cpus, i);
		/* No root first: the flush checks nothing against a table
		 * that is about to go (sim.h, break-before-make). */
		sim_cpu_set_root(cpu, NULL, pa_init(0), 0);
		sim_tlb_flush_all(cpu, true);
		cpu->mode = (struct sim_mode){ .user = false };
	}
}

bool pt_test_tlb_touch(uint64_t va)
{
	bool ok = false;

	for (unsigned int i = 0; i < PT_TEST_TLB_CPUS; i++) {
		bool t = pt_test_tlb_translates(i, va, NULL);

		ok = i == 0 ? t : ok;
	}
	return ok;
}

bool pt_test_tlb_translates(unsigned int cpu, uint64_t va, paddr_t *pa)
{
	struct sim_cpu *c = sim_cpu(cpu);
	struct sim_translation t;

	if (c->hw == NULL || sim_cpu_translate(c, va, SIM_READ, &t) != SIM_OK) {
		return false;
	}
	if (pa != NULL) {
		*pa = t.pa;
	}
	return true;
}

bool pt_test_tlb_caches(paddr_t pa)
{
	for (unsigned int i = 0; i < SIM_MAX_CPUS; i++) {
		if (sim_tlb_caches_pa(sim_cpu(i), pa, PAGE_SIZE)) {
			return true;
		}
	}
	return false;
}

/* Managed and free: the allocator may hand it out again. */
static bool frame_free(paddr_t pa)
{
	return frame_meta_of(pa) != NULL &&
	       frame_refcount(pa) == FRAME_REF_UNUSED;
}

unsigned int pt_test_tlb_freed_frames(void)
{
	unsigned int n = 0;

	for (unsigned int c = 0; c < SIM_MAX_CPUS; c++) {
		const struct sim_cpu *cpu = sim_cpu(c);

		for (unsigned int i = 0; i < SIM_TLB_ENTRIES; i++) {
			const struct sim_tlb_entry *e = &cpu->tlb[i];
			paddr_t first = e->t.page_pa;
			paddr_t last = pa_init(pa_addr(first) +
					       (e->t.page_size - PAGE_SIZE));

			if (!e->valid ||
			    (!frame_free(first) && !frame_free(last))) {
				continue;
			}
			ostd_printf("CPU %u TLB entry %u caches va %#llx -> pa "
				    "%#llx (size %#llx), a free frame\n",
				    c, i, (unsigned long long)e->t.page_va,
				    (unsigned long long)pa_addr(first),
				    (unsigned long long)e->t.page_size);
			n++;
		}
	}
	return n;
}

#else /* !CONFIG_ARCH_HOST */

bool pt_test_tlb_attach(struct page_table *pt)
{
	(void)pt;
	return false;
}

void pt_test_tlb_detach(struct page_table *pt)
{
	(void)pt;
}

bool pt_test_tlb_touch(uint64_t va)
{
	(void)va;
	return false;
}

bool pt_test_tlb_translates(unsigned int cpu, uint64_t va, paddr_t *pa)
{
	(void)cpu;
	(void)va;
	(void)pa;
	return false;
}

bool pt_test_tlb_caches(paddr_t pa)
{
	(void)pa;
	return false;
}

unsigned int pt_test_tlb_freed_frames(void)
{
	return 0;
}

#endif

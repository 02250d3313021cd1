// SPDX-License-Identifier: MPL-2.0
/*
 * The TLB invariant I7 (TESTING.md), checked against the page table as the
 * codec decodes it. See tlb_invariant.h.
 */

#include "tlb_invariant.h"

#include <stdio.h>

#include "ostd/frame.h"

/* What the table maps at one address, decoded with the codec. */
struct table_translation {
	bool mapped;
	paddr_t pa; /* Of the address itself. */
	struct pt_prop prop;
};

static struct table_translation table_translate(struct page_table *pt,
						uint64_t va)
{
	const struct pt_config *cfg = pt->cfg;
	struct table_translation none = { .mapped = false };
	paddr_t node = pt->root;

	for (pt_level_t level = cfg->nr_levels; level >= 1; level--) {
		const pte_t *entries = sim_phys_ptr(node, PAGE_SIZE);

		if (entries == NULL) {
			return none;
		}
		pte_t pte = __atomic_load_n(&entries[pt_index(cfg, va, level)],
					    __ATOMIC_ACQUIRE);

		switch (cfg->classify(cfg, pte, level)) {
		case PT_ENTRY_ABSENT:
			return none;
		case PT_ENTRY_TABLE:
			node = cfg->paddr(cfg, pte, level);
			continue;
		case PT_ENTRY_LEAF: {
			uint64_t off = va & (pt_page_size(level) - 1);

			return (struct table_translation){
				.mapped = true,
				.pa = pa_init(
					pa_addr(cfg->paddr(cfg, pte, level)) +
					off),
				.prop = cfg->prop(cfg, pte, level),
			};
		}
		}
		return none;
	}
	return none;
}

/* True if the table maps @p va to @p pa, writable if @p writable. */
static bool table_agrees(struct page_table *pt, uint64_t va, paddr_t pa,
			 bool writable)
{
	struct table_translation t = table_translate(pt, va);

	return t.mapped && pa_addr(t.pa) == pa_addr(pa) &&
	       (!writable || (t.prop.flags & PROT_W) != 0);
}

static bool entry_agrees(const struct sim_tlb_entry *e, struct page_table *pt)
{
	uint64_t tail = e->t.page_size - PAGE_SIZE;

	return table_agrees(pt, e->t.page_va, e->t.page_pa, e->t.writable) &&
	       table_agrees(pt, e->t.page_va + tail,
			    pa_init(pa_addr(e->t.page_pa) + tail),
			    e->t.writable);
}

/* A stale entry is tolerable only while its frames are not free. */
static bool entry_frames_held(const struct sim_tlb_entry *e)
{
	uint64_t tail = e->t.page_size - PAGE_SIZE;

	return frame_refcount(e->t.page_pa) != FRAME_REF_UNUSED &&
	       frame_refcount(pa_init(pa_addr(e->t.page_pa) + tail)) !=
		       FRAME_REF_UNUSED;
}

bool tlb_consistent(const struct sim_cpu *cpu, struct page_table *pt)
{
	bool ok = true;

	for (unsigned int i = 0; i < SIM_TLB_ENTRIES; i++) {
		const struct sim_tlb_entry *e = &cpu->tlb[i];

		if (!e->valid || entry_agrees(e, pt) || entry_frames_held(e)) {
			continue;
		}
		struct table_translation t = table_translate(pt, e->t.page_va);

		printf("I7: CPU %u TLB entry %u caches va 0x%llx -> pa 0x%llx "
		       "(size 0x%llx%s), the table maps %s0x%llx, and the "
		       "frame is free\n",
		       cpu->id, i, (unsigned long long)e->t.page_va,
		       (unsigned long long)pa_addr(e->t.page_pa),
		       (unsigned long long)e->t.page_size,
		       e->t.writable ? ", writable" : "",
		       t.mapped ? "pa " : "nothing, ",
		       (unsigned long long)(t.mapped ? pa_addr(t.pa) : 0));
		ok = false;
	}
	return ok;
}

unsigned int tlb_stale_count(const struct sim_cpu *cpu, struct page_table *pt)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < SIM_TLB_ENTRIES; i++) {
		const struct sim_tlb_entry *e = &cpu->tlb[i];

		n += e->valid && !entry_agrees(e, pt);
	}
	return n;
}

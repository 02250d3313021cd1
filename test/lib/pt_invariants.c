// SPDX-License-Identifier: MPL-2.0
#include "pt_invariants.h"

#include "ostd/internal/page_table.h"
#include "ostd/printf.h"

/* Tracked frames seen, with how often each is mapped. */
#define MAX_FRAMES 4096

struct seen {
	paddr_t pa[MAX_FRAMES];
	uint64_t mappings[MAX_FRAMES];
	unsigned int count;
	bool overflow;
};

static struct seen seen;

static void note(paddr_t pa)
{
	for (unsigned int i = 0; i < seen.count; i++) {
		if (pa_addr(seen.pa[i]) == pa_addr(pa)) {
			seen.mappings[i]++;
			return;
		}
	}
	if (seen.count == MAX_FRAMES) {
		seen.overflow = true;
		return;
	}
	seen.pa[seen.count] = pa;
	seen.mappings[seen.count++] = 1;
}

static void note_leaf(const struct pt_query *leaf, void *ctx)
{
	(void)ctx;
	if (leaf->item.kind == PT_ITEM_FRAME) {
		note(leaf->item.pa);
	}
}

static uint64_t kept_refs(const struct tlb_flusher *const *flushers,
			  unsigned int n, paddr_t pa)
{
	uint64_t refs = 0;

	for (unsigned int i = 0; i < n; i++) {
		const struct tlb_flusher *f = flushers[i];

		for (unsigned int k = 0; k < f->pending_count; k++) {
			refs += f->pending[k].kind == TLB_KEPT_FRAME &&
				pa_addr(f->pending[k].pa) == pa_addr(pa);
		}
		for (unsigned int k = 0; k < f->dispatched_count; k++) {
			refs += f->dispatched[k].kind == TLB_KEPT_FRAME &&
				pa_addr(f->dispatched[k].pa) == pa_addr(pa);
		}
	}
	return refs;
}

bool pt_check_accounting(struct page_table *pt,
			 const struct tlb_flusher *const *flushers,
			 unsigned int n,
			 uint64_t (*handles)(paddr_t pa, void *ctx), void *ctx)
{
	seen.count = 0;
	seen.overflow = false;
	pt_for_each_leaf(pt, note_leaf, NULL);
	if (seen.overflow) {
		ostd_printf("pt_check_accounting: more than %u frames\n",
			    MAX_FRAMES);
		return false;
	}
	for (unsigned int i = 0; i < seen.count; i++) {
		paddr_t pa = seen.pa[i];
		uint64_t want = seen.mappings[i] + kept_refs(flushers, n, pa) +
				(handles != NULL ? handles(pa, ctx) : 0);
		uint64_t got = frame_refcount(pa);

		if (got != want) {
			ostd_printf("pt_check_accounting: frame %#llx has "
				    "refcount %llu, expected %llu\n",
				    (unsigned long long)pa_addr(pa),
				    (unsigned long long)got,
				    (unsigned long long)want);
			return false;
		}
	}
	return true;
}

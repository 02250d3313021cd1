// SPDX-License-Identifier: MPL-2.0
#include "pt_builder.h"

#include "ostd/assert.h"
#include "ostd/string.h"

#define HALF_WINDOW (512ULL << 10)

static paddr_t new_page(struct pt_builder *b)
{
	paddr_t pa = pa_init(b->next);

	CHECK(b->next < b->end);
	b->next += PAGE_SIZE;
	memset(sim_phys_ptr(pa, PAGE_SIZE), 0, PAGE_SIZE);
	return pa;
}

void pt_builder_init(struct pt_builder *b, const struct pt_config *cfg,
		     uint64_t base)
{
	*b = (struct pt_builder){ .cfg = cfg,
				  .next = base,
				  .end = base + HALF_WINDOW };
	b->root = new_page(b);
}

uint64_t pt_builder_data(const struct pt_builder *b, unsigned int n)
{
	CHECK(n < HALF_WINDOW / PAGE_SIZE);
	return b->end + (uint64_t)n * PAGE_SIZE;
}

static pte_t *entry(const struct pt_builder *b, paddr_t table, uint64_t va,
		    pt_level_t level)
{
	pte_t *e = sim_phys_ptr(
		pa_init(pa_addr(table) + 8ULL * pt_index(b->cfg, va, level)),
		8);

	CHECK(e != NULL);
	return e;
}

/* The entry at @p level on the way to @p va, creating absent tables. */
static pte_t *descend(struct pt_builder *b, uint64_t va, pt_level_t level)
{
	const struct pt_config *cfg = b->cfg;
	paddr_t table = b->root;

	for (pt_level_t l = cfg->nr_levels; l > level; l--) {
		pte_t *e = entry(b, table, va, l);

		if (cfg->classify(cfg, *e, l) == PT_ENTRY_ABSENT) {
			*e = cfg->new_pt(cfg, new_page(b), l);
		}
		CHECK(cfg->classify(cfg, *e, l) == PT_ENTRY_TABLE);
		table = cfg->paddr(cfg, *e, l);
	}
	return entry(b, table, va, level);
}

void pt_builder_map(struct pt_builder *b, uint64_t va, uint64_t pa,
		    pt_level_t level, struct pt_prop prop)
{
	CHECK(pt_config_new_page(b->cfg, pa_init(pa), level, prop,
				 descend(b, va, level)) == OSTD_OK);
}

pte_t *pt_builder_put(struct pt_builder *b, uint64_t va, pt_level_t level,
		      pte_t pte)
{
	pte_t *e = descend(b, va, level);

	*e = pte;
	return e;
}

void pt_builder_use(struct pt_builder *b, const struct pt_config *cfg)
{
	CHECK(cfg->nr_levels == b->cfg->nr_levels);
	b->cfg = cfg;
}

pte_t *pt_builder_slot(const struct pt_builder *b, uint64_t va,
		       pt_level_t level)
{
	const struct pt_config *cfg = b->cfg;
	paddr_t table = b->root;

	for (pt_level_t l = cfg->nr_levels; l > level; l--) {
		table = cfg->paddr(cfg, *entry(b, table, va, l), l);
	}
	return entry(b, table, va, level);
}

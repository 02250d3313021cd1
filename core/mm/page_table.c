// SPDX-License-Identifier: MPL-2.0
/*
 * Page tables: creation with the kernel's shared root entries, teardown,
 * the structural checker and the leaf iterator. The cursors are in
 * cursor_*.c (cursor_internal.h lists them).
 */

#include "ostd/printf.h"

#include "pt_internal.h"

/*
 * The first address of the canonical hole of @p cfg's format, or 0 if it
 * has none (addresses not sign-extended).
 */
static uint64_t hole_start(const struct pt_config *cfg)
{
	return cfg->va_sign_extend ? 1ULL << (cfg->va_bits - 1) : 0;
}

static void set_range(struct page_table *pt)
{
	const struct pt_config *cfg = pt->cfg;
	uint64_t hole = hole_start(cfg);

	pt_config_vaddr_range(cfg, &pt->va_start, &pt->va_last);
	if (!cfg->top_level_can_unmap) {
		return;
	}
	if (pt->va_last >= MAX_USER_VADDR) {
		pt->va_last = MAX_USER_VADDR - 1;
	}
	/*
	 * The same rule at the format's own hole (DESIGN.md §2): on Sv39 the
	 * hole starts at 2^38, so [2^38 - 4096, 2^38) is not user space
	 * either, as [2^47 - 4096, 2^47) is not on the 48-bit formats.
	 */
	if (hole != 0 && pt->va_last >= hole - PAGE_SIZE) {
		pt->va_last = hole - PAGE_SIZE - 1;
	}
}

ostd_err_t page_table_new_kernel(const struct pt_config *cfg,
				 struct page_table *out)
{
	CHECKIF (cfg == NULL || out == NULL || cfg->top_level_can_unmap ||
		 cfg->nr_levels < 2) {
		return OSTD_EINVAL;
	}
	struct page_table pt = { .cfg = cfg, .kernel = NULL };
	ostd_err_t err = pt_node_alloc(cfg->nr_levels, false, &pt.root);

	if (err != OSTD_OK) {
		return err;
	}
	/* Every root slot of the kernel half gets its child now, forever. */
	for (unsigned int i = cfg->top_index_first; i <= cfg->top_index_last;
	     i++) {
		paddr_t child;

		err = pt_node_alloc(cfg->nr_levels - 1, false, &child);
		if (err != OSTD_OK) {
			page_table_destroy(&pt);
			return err;
		}
		pt_write(pt.root, i, 0,
			 pt_cfg_new_pt(cfg, child, cfg->nr_levels));
	}
	set_range(&pt);
	/* The kernel's leaves are global (they survive a space switch). */
	atomic_init(&pt.globals, true);
	*out = pt;
	return OSTD_OK;
}

ostd_err_t page_table_new_user(const struct pt_config *cfg,
			       struct page_table *kernel,
			       struct page_table *out)
{
	CHECKIF (cfg == NULL || out == NULL || !cfg->top_level_can_unmap) {
		return OSTD_EINVAL;
	}
	/* Only a kernel table's root entries are shared, never a user's. */
	CHECKIF (kernel != NULL && (kernel->cfg->top_level_can_unmap ||
				    kernel->cfg->nr_levels != cfg->nr_levels ||
				    kernel->cfg->new_pt != cfg->new_pt)) {
		return OSTD_EINVAL;
	}
	struct page_table pt = { .cfg = cfg, .kernel = kernel };
	ostd_err_t err = pt_node_alloc(cfg->nr_levels, false, &pt.root);

	if (err != OSTD_OK) {
		return err;
	}
	if (kernel != NULL) {
		const struct pt_config *kc = kernel->cfg;

		for (unsigned int i = kc->top_index_first;
		     i <= kc->top_index_last; i++) {
			pt_write(pt.root, i, 0, pt_read(kernel->root, i));
		}
	}
	set_range(&pt);
	*out = pt;
	return OSTD_OK;
}

void page_table_destroy(struct page_table *pt)
{
	const struct pt_config *cfg = pt->cfg;

	CHECK(atomic_load(&pt->active_cpus.bits) == 0);
	/* A table made later at the same address must not find our nodes. */
	pt_guard_hints_forget();
	/* Only this table's own half: shared kernel entries stay. */
	for (unsigned int i = cfg->top_index_first; i <= cfg->top_index_last;
	     i++) {
		pte_t pte = pt_read(pt->root, i);

		switch (pt_cfg_classify(cfg, pte, cfg->nr_levels)) {
		case PT_ENTRY_TABLE:
			pt_subtree_free(cfg,
					pt_cfg_paddr(cfg, pte, cfg->nr_levels),
					cfg->nr_levels - 1);
			break;
		case PT_ENTRY_LEAF:
		case PT_ENTRY_ABSENT:
			break;
		}
	}
	pt_node_free(pt->root);
	pt->root = pa_init(0);
}

/* ---------------------------------------------------------------------
 * Leaves and checks.
 * --------------------------------------------------------------------- */

struct pt_query pt_leaf_query(const struct pt_config *cfg, pte_t pte,
			      pt_level_t level, uint64_t va)
{
	struct pt_prop_memo memo = { .level = 0 };

	return pt_leaf_query_memo(cfg, &memo, pte, level, va);
}

struct leaf_ctx {
	const struct pt_config *cfg;
	void (*fn)(const struct pt_query *leaf, void *ctx);
	void *ctx;
};

static bool leaf_entry(void *c, paddr_t node, pt_level_t level,
		       unsigned int idx, pte_t pte, uint64_t va)
{
	struct leaf_ctx *lc = c;

	(void)node;
	(void)idx;
	if (pt_cfg_classify(lc->cfg, pte, level) == PT_ENTRY_LEAF) {
		struct pt_query q = pt_leaf_query(lc->cfg, pte, level, va);

		lc->fn(&q, lc->ctx);
	}
	return true;
}

/* The VA of the first byte of root slot 0 (sign-extended halves). */
static uint64_t root_base(const struct page_table *pt)
{
	unsigned int shift = pt->cfg->level[pt->cfg->nr_levels].shift;

	return pt->va_start - ((uint64_t)pt->cfg->top_index_first << shift);
}

void pt_for_each_leaf(struct page_table *pt,
		      void (*fn)(const struct pt_query *leaf, void *ctx),
		      void *ctx)
{
	struct leaf_ctx lc = { .cfg = pt->cfg, .fn = fn, .ctx = ctx };
	static const struct pt_dfs_ops ops = { .entry = leaf_entry };

	pt_dfs(pt->cfg, pt->root, pt->cfg->nr_levels, root_base(pt),
	       pt->va_start, pt->va_last, &ops, &lc);
}

struct check_ctx {
	const struct page_table *pt;
	struct pt_check_stats stats;
	ostd_err_t err;
};

static void fail(struct check_ctx *c, uint64_t va, pt_level_t level,
		 const char *what)
{
	if (c->err == OSTD_OK) {
		ostd_printf("pt_check %s: va %#llx level %u: %s\n",
			    c->pt->cfg->name, (unsigned long long)va, level,
			    what);
		c->err = OSTD_EINVAL;
	}
}

static bool check_entry(void *p, paddr_t node, pt_level_t level,
			unsigned int idx, pte_t pte, uint64_t va)
{
	struct check_ctx *c = p;
	const struct pt_config *cfg = c->pt->cfg;

	(void)node;
	(void)idx;
	if (pte == 0) {
		return false;
	}
	if (pt_cfg_classify(cfg, pte, level) == PT_ENTRY_TABLE) {
		paddr_t child = pt_cfg_paddr(cfg, pte, level);
		struct frame_meta *fm = frame_meta_of(child);

		if (fm == NULL || fm->type != &frame_type_pt_node) {
			fail(c, va, level, "table entry to a non-node frame");
			return false;
		}
		struct pt_node_meta *m = pt_node_meta(child);

		if (m->level != level - 1) {
			fail(c, va, level, "child node has the wrong level");
		}
		if (atomic_load(&m->stray)) {
			fail(c, va, level, "a linked node is stray");
		}
		c->stats.nodes++;
		return true;
	}
	if (pt_cfg_classify(cfg, pte, level) != PT_ENTRY_LEAF) {
		fail(c, va, level, "entry neither absent, table nor leaf");
		return false;
	}
	struct pt_query q = pt_leaf_query(cfg, pte, level, va);

	c->stats.leaves++;
	if (level > cfg->highest_translation_level ||
	    !cfg->level[level].leaf_ok) {
		fail(c, va, level, "leaf above the highest level");
	}
	if ((pa_addr(q.item.pa) & (q.size - 1)) != 0) {
		fail(c, va, level, "leaf pa not aligned to its size");
	}
	if (q.item.kind == PT_ITEM_FRAME) {
		c->stats.tracked_leaves++;
		uint64_t ref = frame_refcount(q.item.pa);

		if (level != 1 || ref == 0 || ref > FRAME_REF_MAX ||
		    frame_type_of(q.item.pa) == &frame_type_pt_node) {
			fail(c, va, level, "bad tracked leaf");
		}
	}
	/* S5: no kernel mapping is writable and executable. */
	if (!cfg->top_level_can_unmap && (q.prop.flags & PROT_W) != 0 &&
	    (q.prop.flags & PROT_X) != 0) {
		fail(c, va, level, "W+X kernel mapping");
	}
	return false;
}

static void check_leave(void *p, paddr_t node, pt_level_t level)
{
	struct check_ctx *c = p;
	struct pt_node_meta *m = pt_node_meta(node);
	/* Count every non-absent entry, also outside the managed range. */
	unsigned int n = 0;

	for (unsigned int i = 0; i < PT_ENTRIES; i++) {
		n += pt_read(node, i) != 0;
	}
	if (m->nr_children != n) {
		fail(c, 0, level, "child count disagrees with the entries");
	}
	if (m->level != level) {
		fail(c, 0, level, "node level is wrong");
	}
}

ostd_err_t pt_check(struct page_table *pt, struct pt_check_stats *stats)
{
	struct check_ctx c = { .pt = pt, .err = OSTD_OK };
	static const struct pt_dfs_ops ops = { .entry = check_entry,
					       .leave = check_leave };

	c.stats.nodes = 1;
	pt_dfs(pt->cfg, pt->root, pt->cfg->nr_levels, root_base(pt),
	       pt->va_start, pt->va_last, &ops, &c);
	/* A user table shares exactly the kernel's root entries. */
	if (pt->kernel != NULL) {
		const struct pt_config *kc = pt->kernel->cfg;

		for (unsigned int i = kc->top_index_first;
		     i <= kc->top_index_last; i++) {
			if (pt_read(pt->root, i) !=
			    pt_read(pt->kernel->root, i)) {
				fail(&c, 0, pt->cfg->nr_levels,
				     "kernel root entry not shared");
			}
		}
	}
	if (stats != NULL) {
		*stats = c.stats;
	}
	return c.err;
}

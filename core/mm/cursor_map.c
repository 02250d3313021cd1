// SPDX-License-Identifier: MPL-2.0
/*
 * Page-table cursors: map (cursor_internal.h lists the cursor's files).
 * pt_cursor_map() tries a fast path for a run of 4 KiB pages first; the
 * full path is map_prepare(), which may fail and changes nothing, then
 * map_commit(), which cannot fail. pt_cursor_map_pages() maps a batch of
 * 4 KiB pages the same way (batch_prepare(), batch_commit()), writing
 * each level-1 run from a leaf template (pt_config.h).
 */

#include "ostd/internal/page_table.h"

#include "cursor_internal.h"

/* ---------------------------------------------------------------------
 * Checks.
 * --------------------------------------------------------------------- */

/*
 * The user-mapping rules of a VmSpace cursor (S1, S6): user_prop_ok(),
 * and the item is an untyped frame or device memory, never other RAM.
 */
static bool user_item_ok(const struct pt_cursor *cur, struct pt_item item,
			 struct pt_prop prop)
{
	(void)cur;
	if (!user_prop_ok(prop)) {
		return false;
	}
	if (item.kind == PT_ITEM_FRAME) {
		return frame_is_untyped(item.pa);
	}
	return !frame_range_is_managed(item.pa, pt_page_size(item.level));
}

static ostd_err_t check_item(const struct pt_config *cfg, struct pt_item item,
			     struct pt_prop prop)
{
	CHECKIF (item.kind != PT_ITEM_FRAME && item.kind != PT_ITEM_UNTRACKED) {
		return OSTD_EINVAL;
	}
	CHECKIF (item.level < 1 ||
		 item.level > cfg->highest_translation_level ||
		 !cfg->level[item.level].leaf_ok) {
		return OSTD_EINVAL;
	}
	CHECKIF ((prop.flags & PT_AVAIL1) != 0) {
		return OSTD_EPERM;
	}
	CHECKIF (wx_forbidden(cfg, prop)) {
		return OSTD_EPERM;
	}
	if (item.kind == PT_ITEM_FRAME) {
		uint64_t ref = frame_refcount(item.pa);

		/* A shared, live frame that is not a page-table node. */
		CHECKIF (item.level != 1 || ref == 0 || ref > FRAME_REF_MAX ||
			 frame_type_of(item.pa) == &frame_type_pt_node) {
			return OSTD_EPERM;
		}
	}
	return OSTD_OK;
}

/*
 * Whether the format can store @p prop
 * depends on nothing else, so the last accepted one is remembered and
 * the next call with it only checks @p pa (the callers have checked
 * @p level), in the same order as pt_config_leaf_ok().
 */
ostd_err_t cursor_leaf_ok(struct pt_cursor *cur, paddr_t pa, pt_level_t level,
			  struct pt_prop prop)
{
	const struct pt_config *cfg = cfg_of(cur);

	if (!cur->prop_ok_valid || !pt_prop_eq(prop, cur->prop_ok)) {
		ostd_err_t err = pt_config_leaf_ok(cfg, pa, level, prop);

		if (err == OSTD_OK) {
			cur->prop_ok = prop;
			cur->prop_ok_valid = true;
		}
		return err;
	}
	CHECKIF (cfg->pa_bits < 64 && (pa_addr(pa) >> cfg->pa_bits) != 0) {
		return OSTD_EINVAL;
	}
	CHECKIF (!is_aligned(pa_addr(pa), pt_page_size(level))) {
		return OSTD_EUNALIGNED;
	}
	return OSTD_OK;
}

/*
 * map()'s checks of its arguments against the cursor, in the order that
 * decides which error a bad call gets. @p stored is @p prop as the entry
 * stores it.
 */
static ostd_err_t map_check(struct pt_cursor *cur, struct pt_item item,
			    struct pt_prop prop, struct pt_prop *stored)
{
	const struct pt_config *cfg = cfg_of(cur);

	CHECKIF (!cur->is_mut) {
		return OSTD_EPERM;
	}
	ostd_err_t err = check_item(cfg, item, prop);

	if (err != OSTD_OK) {
		return err;
	}
	CHECKIF (user_rules(cur) && !user_item_ok(cur, item, prop)) {
		return OSTD_EPERM;
	}
	*stored = prop;
	stored->flags |= item.kind == PT_ITEM_FRAME ? PT_AVAIL1 : 0;
	err = cursor_leaf_ok(cur, item.pa, item.level, *stored);
	if (err != OSTD_OK) {
		return err;
	}
	/* check_item() has checked the level. */
	uint64_t size = pt_page_size(item.level);

	CHECKIF (!is_aligned(cur->va, size)) {
		return OSTD_EUNALIGNED;
	}
	CHECKIF (at_end(cur) || size - 1 > cur->last - cur->va) {
		return OSTD_ERANGE;
	}
	return OSTD_OK;
}

/* ---------------------------------------------------------------------
 * Prepare and commit.
 * --------------------------------------------------------------------- */

/* What map_commit() writes; map_prepare() fills it. */
struct map_plan {
	/* Where the walk towards the leaf's level stopped. */
	struct pos at;
	/* The new leaf entry and its level. */
	pte_t leaf;
	pt_level_t level;
	/* The properties asked for (note_prop()). */
	struct pt_prop prop;
	/* An empty table where the leaf goes, detached first. */
	bool replace_empty;
	/* One node per level between @ref at and the leaf, allocated. */
	struct reserve nodes;
};

/*
 * Checks the map, finds what is there and allocates the nodes it needs,
 * then takes a tracked frame's reference, the last step that can fail.
 * On error nothing is changed and nothing is held.
 */
static ostd_err_t map_prepare(struct pt_cursor *cur, struct pt_item item,
			      struct pt_prop prop, struct map_plan *plan)
{
	const struct pt_config *cfg = cfg_of(cur);
	struct pt_prop stored;
	ostd_err_t err = map_check(cur, item, prop, &stored);

	if (err != OSTD_OK) {
		return err;
	}
	struct pos at = cursor_walk(cur, cur->va, item.level);

	*plan = (struct map_plan){
		.at = at,
		.leaf = pt_cfg_new_page(cfg, item.pa, item.level, stored),
		.level = item.level,
		.prop = prop,
	};
	if (plan->at.type == PT_ENTRY_LEAF) {
		return OSTD_EEXIST;
	}
	if (plan->at.type == PT_ENTRY_TABLE) {
		/* An empty table where the leaf goes is not a mapping. */
		if (cursor_subtree_has_leaf(cur, &plan->at, cur->va)) {
			return OSTD_EEXIST;
		}
		plan->replace_empty = true;
	}
	/* The common case, an empty slot in a node that exists: no nodes. */
	unsigned int need =
		plan->replace_empty ? 0 : plan->at.level - item.level;

	err = cursor_reserve_fill(&plan->nodes, need, true);
	if (err == OSTD_OK && item.kind == PT_ITEM_FRAME) {
		err = frame_ref_get(item.pa) == OSTD_OK ? OSTD_OK : OSTD_EPERM;
	}
	if (err != OSTD_OK) {
		cursor_reserve_release(&plan->nodes);
	}
	return err;
}

/* Writes the planned leaf, with the tables above it, and moves on. */
static void map_commit(struct pt_cursor *cur, struct map_plan *plan)
{
	const struct pt_config *cfg = cfg_of(cur);
	struct pos p = plan->at;

	note_prop(cur, plan->prop);
	if (plan->replace_empty) {
		(void)cursor_detach_subtree(cur, &p, cur->va);
		p.pte = 0;
		p.type = PT_ENTRY_ABSENT;
	}
	/* A leaf where a table was is a change of block size. */
	flush_before_make(cur, cfg);
	while (p.level > plan->level) {
		paddr_t child = cursor_reserve_take(&plan->nodes, p.level - 1);

		pt_write(p.node, p.idx, 0, pt_cfg_new_pt(cfg, child, p.level));
		p.node = child;
		p.level--;
		p.idx = pt_index(cfg, cur->va, p.level);
		if (p.level == 1) {
			/* The next pages will most likely go here too. */
			remember_leaf(cur, child, cur->va);
		}
	}
	pos_write(cur, &p, plan->leaf);
	CHECK(plan->nodes.count == 0);
	cur->va += pt_page_size(plan->level);
}

/* Everything map() does; pt_cursor_map() tries a shortcut first. */
static NOINLINE ostd_err_t map_slow(struct pt_cursor *cur, struct pt_item item,
				    struct pt_prop prop)
{
	struct map_plan plan;
	ostd_err_t err = map_prepare(cur, item, prop, &plan);

	if (err != OSTD_OK) {
		return err;
	}
	map_commit(cur, &plan);
	return OSTD_OK;
}

/* ---------------------------------------------------------------------
 * The fast path.
 * --------------------------------------------------------------------- */

/*
 * Arms the fast path for maps like the one that just succeeded: a 4 KiB
 * page of the same kind with the same properties. An untracked page under
 * the user rules must not be managed RAM, which depends on its address:
 * those always take the full path.
 */
static void map_done(struct pt_cursor *cur, struct pt_item item,
		     struct pt_prop prop)
{
	cur->fast_ok = item.level == 1 && pa_addr(cur->leaf) != 0 &&
		       (item.kind == PT_ITEM_FRAME || !user_rules(cur));
	cur->fast_kind = item.kind;
	cur->fast_prop = prop;
}

/* The checks of a tracked frame that depend on the frame (check_item()). */
static bool frame_ok(const struct pt_cursor *cur, paddr_t pa)
{
	const struct frame_type *t = frame_type_of(pa);

	return t != NULL && t != &frame_type_pt_node &&
	       (!user_rules(cur) || t->untyped);
}

ostd_err_t pt_cursor_map(struct pt_cursor *cur, struct pt_item item,
			 struct pt_prop prop)
{
	const struct pt_config *cfg = cfg_of(cur);
	uint64_t pa = pa_addr(item.pa);

	/*
	 * The common case first: a 4 KiB page of the kind and with the
	 * properties of the previous map, into an empty slot of the
	 * remembered node. Everything that does not depend on the addresses
	 * was checked for these properties by that map; anything else,
	 * errors included, takes the full path, which reports them.
	 */
	if (cur->fast_ok && item.kind == cur->fast_kind && item.level == 1 &&
	    pt_prop_eq(prop, cur->fast_prop) && !at_end(cur) &&
	    align_down(cur->va, pt_page_size(2)) == cur->leaf_base &&
	    is_aligned(pa, PAGE_SIZE) &&
	    (cfg->pa_bits >= 64 || (pa >> cfg->pa_bits) == 0)) {
		unsigned int idx = pt_index(cfg, cur->va, 1);
		bool tracked = item.kind == PT_ITEM_FRAME;

		/* A frame's reference is taken last: nothing can fail after. */
		if (READ_ONCE(cur->leaf_ptes[idx]) == 0 &&
		    (!tracked || (frame_ok(cur, item.pa) &&
				  frame_ref_get(item.pa) == OSTD_OK))) {
			struct pt_prop stored = prop;

			stored.flags |= tracked ? PT_AVAIL1 : 0;
			flush_before_make(cur, cfg);
			pt_write_meta(cur->leaf_meta, cur->leaf_ptes, idx, 0,
				      pt_cfg_new_page_tmpl(cfg, &cur->attr_memo,
							   item.pa, 1, stored));
			cur->va += PAGE_SIZE;
			return OSTD_OK;
		}
	}
	ostd_err_t err = map_slow(cur, item, prop);

	if (err == OSTD_OK) {
		map_done(cur, item, prop);
	}
	return err;
}

/* ---------------------------------------------------------------------
 * Batches: pt_cursor_map_pages().
 * --------------------------------------------------------------------- */

/*
 * The nodes a batch needs, which may be more than a struct reserve holds:
 * a stack linked through entry 0 of each node, which is the batch's own
 * memory until the node is taken (and is zeroed then).
 */
struct node_stack {
	paddr_t top;
	uint64_t count;
};

static ostd_err_t stack_fill(struct node_stack *s, uint64_t need)
{
	while (s->count < need) {
		paddr_t node;
		ostd_err_t err = pt_node_alloc(0, true, &node);

		if (err != OSTD_OK) {
			return err;
		}
		pt_entries(node)[0] = pa_addr(s->top);
		s->top = node;
		s->count++;
	}
	return OSTD_OK;
}

static paddr_t stack_take(struct node_stack *s, pt_level_t level)
{
	CHECK(s->count > 0);
	paddr_t node = s->top;
	pte_t *e = pt_entries(node);

	s->top = pa_init(e[0]);
	e[0] = 0;
	s->count--;
	pt_node_meta(node)->level = (uint8_t)level;
	return node;
}

static void stack_release(struct node_stack *s)
{
	while (s->count > 0) {
		pt_node_free(stack_take(s, 0));
	}
}

/* What batch_commit() writes; batch_prepare() fills it. */
struct batch_plan {
	uint64_t pa;
	uint64_t n;
	/* The properties asked for (note_prop()), and as entries store them. */
	struct pt_prop prop;
	struct pt_prop stored;
	struct node_stack nodes;
};

/*
 * The first of the pages [0, @p lim) that pt_cursor_map() would refuse
 * for the frame or the memory it maps (check_item(), user_item_ok()), or
 * @p lim.
 */
static uint64_t batch_first_bad_item(const struct pt_cursor *cur,
				     struct pt_item first, struct pt_prop prop,
				     uint64_t lim)
{
	bool tracked = first.kind == PT_ITEM_FRAME;

	if (!tracked && !user_rules(cur)) {
		return lim;
	}
	for (uint64_t i = 0; i < lim; i++) {
		struct pt_item item = first;

		item.pa = pa_init(pa_addr(first.pa) + i * PAGE_SIZE);
		if (tracked) {
			uint64_t ref = frame_refcount(item.pa);

			if (ref == 0 || ref > FRAME_REF_MAX ||
			    !frame_ok(cur, item.pa)) {
				return i;
			}
		} else if (!user_item_ok(cur, item, prop)) {
			return i;
		}
	}
	return lim;
}

/* The nodes at levels below @p k that [a, b] needs inside an empty slot. */
static uint64_t nodes_below(const struct pt_config *cfg, pt_level_t k,
			    uint64_t a, uint64_t b)
{
	uint64_t need = 0;

	for (pt_level_t l = 1; l < k; l++) {
		unsigned int s = cfg->level[l + 1].shift;

		need += (b >> s) - (a >> s) + 1;
	}
	return need;
}

/*
 * Walks [va, @p last] node by node: the first page already mapped (its
 * index from the cursor, or UINT64_MAX if none) and, in *@p need, the
 * nodes the empty slots need.
 */
static uint64_t batch_scan(struct pt_cursor *cur, uint64_t last, uint64_t *need)
{
	const struct pt_config *cfg = cfg_of(cur);
	uint64_t v = cur->va;

	*need = 0;
	for (;;) {
		struct pos p = cursor_walk(cur, v, 1);
		uint64_t slot = slot_last(v, pt_page_size(p.level));
		uint64_t b = MIN(slot, last);

		if (p.type == PT_ENTRY_LEAF) {
			return (v - cur->va) >> PAGE_SHIFT;
		}
		if (p.level == 1) {
			const pte_t *ptes = pt_entries(p.node);
			unsigned int end = pt_index(cfg, b, 1);

			/* The run is empty if its OR is: one test per run. */
			pte_t any = 0;

			for (unsigned int i = p.idx; i <= end; i++) {
				any |= READ_ONCE(ptes[i]);
			}
			for (unsigned int i = p.idx; any != 0 && i <= end;
			     i++) {
				if (READ_ONCE(ptes[i]) != 0) {
					return (v - cur->va) / PAGE_SIZE +
					       (i - p.idx);
				}
			}
		} else {
			*need += nodes_below(cfg, p.level, v, b);
		}
		if (slot >= last) {
			return UINT64_MAX;
		}
		v = slot + 1;
	}
}

/* Takes a reference on each of the @p n frames at @p pa, or on none. */
static ostd_err_t batch_ref_get(uint64_t pa, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		if (frame_ref_get(pa_init(pa + i * PAGE_SIZE)) != OSTD_OK) {
			while (i-- > 0) {
				frame_ref_put(pa_init(pa + i * PAGE_SIZE));
			}
			return OSTD_EPERM;
		}
	}
	return OSTD_OK;
}

/*
 * The error of the first page pt_cursor_map() would refuse for what only
 * varies along the batch, in its order of checks: the item (EPERM), the
 * address bits (EINVAL), the cursor's end (ERANGE), a mapping (EEXIST).
 * Fills @p need with the nodes the batch needs when there is none.
 */
static ostd_err_t batch_check_pages(struct pt_cursor *cur, struct pt_item first,
				    uint64_t n, struct pt_prop prop,
				    uint64_t *need)
{
	const struct pt_config *cfg = cfg_of(cur);
	uint64_t pa = pa_addr(first.pa);
	/* Pages before the cursor's end, and before the end of pa_bits. */
	uint64_t in_range = remaining(cur) / PAGE_SIZE;
	uint64_t pa_end = cfg->pa_bits >= 64 ? 0 : 1ULL << cfg->pa_bits;
	uint64_t in_pa = (pa_end - pa) / PAGE_SIZE;

	if (pa_end == 0 && pa == 0) {
		in_pa = UINT64_MAX;
	}
	uint64_t stop = MIN(n, MIN(in_range, in_pa));
	uint64_t bad = batch_first_bad_item(cur, first, prop,
					    stop == n ? n : stop + 1);

	stop = MIN(stop, bad);
	uint64_t mapped =
		stop == 0 ? UINT64_MAX
			  : batch_scan(cur, cur->va + (stop * PAGE_SIZE - 1),
				       need);

	CHECKIF (mapped != UINT64_MAX) {
		return OSTD_EEXIST;
	}
	CHECKIF (stop == bad && bad < n) {
		return OSTD_EPERM;
	}
	CHECKIF (stop == in_pa && in_pa < n) {
		return OSTD_EINVAL;
	}
	CHECKIF (stop < n) {
		return OSTD_ERANGE;
	}
	return OSTD_OK;
}

/*
 * Checks the batch, finds the nodes it needs and allocates them, then
 * takes the frames' references, the last step that can fail. On error
 * nothing is changed and nothing is held.
 */
static ostd_err_t batch_prepare(struct pt_cursor *cur, struct pt_item first,
				uint64_t n, struct pt_prop prop,
				struct batch_plan *plan)
{
	const struct pt_config *cfg = cfg_of(cur);

	CHECKIF (!cur->is_mut) {
		return OSTD_EPERM;
	}
	ostd_err_t err = check_item(cfg, first, prop);

	if (err != OSTD_OK) {
		return err;
	}
	CHECKIF (first.level != 1 || n == 0) {
		return OSTD_EINVAL;
	}
	*plan = (struct batch_plan){
		.pa = pa_addr(first.pa), .n = n, .prop = prop, .stored = prop
	};
	plan->stored.flags |= first.kind == PT_ITEM_FRAME ? PT_AVAIL1 : 0;
	/* Page 0's item checks come first, as in map_check(). */
	CHECKIF (user_rules(cur) && !user_item_ok(cur, first, prop)) {
		return OSTD_EPERM;
	}
	uint64_t need = 0;

	err = cursor_leaf_ok(cur, first.pa, 1, plan->stored);
	if (err == OSTD_OK) {
		err = batch_check_pages(cur, first, n, prop, &need);
	}
	if (err == OSTD_OK) {
		err = stack_fill(&plan->nodes, need);
	}
	if (err == OSTD_OK && first.kind == PT_ITEM_FRAME) {
		err = batch_ref_get(plan->pa, n);
	}
	if (err != OSTD_OK) {
		stack_release(&plan->nodes);
	}
	return err;
}

/*
 * Writes @p k leaves into the empty entries from @p idx of the level-1
 * node @p node, for the pages from @p pa: a store of the template OR the
 * placed address per entry, and the child count once for the run.
 */
static void batch_write_run(struct pt_cursor *cur, paddr_t node,
			    unsigned int idx, unsigned int k, uint64_t pa,
			    struct pt_prop stored)
{
	const struct pt_config *cfg = cfg_of(cur);
	struct pt_node_meta *m = pt_node_meta(node);
	pte_t *ptes = pt_entries(node) + idx;

	CHECK(m->nr_children + k <= PT_ENTRIES);
	m->nr_children += k;
	if (!pt_cfg_leaf_tmpl_ok(cfg, 1)) {
		for (unsigned int i = 0; i < k; i++) {
			WRITE_ONCE(ptes[i],
				   pt_cfg_new_page(cfg,
						   pa_init(pa + i * PAGE_SIZE),
						   1, stored));
		}
		return;
	}
	pte_t tmpl =
		pt_cfg_leaf_tmpl(cfg, &cur->attr_memo, pa_init(pa), 1, stored);

	for (unsigned int i = 0; i < k; i++) {
		WRITE_ONCE(ptes[i], tmpl | pt_cfg_leaf_place(cfg, pa, 1));
		pa += PAGE_SIZE;
	}
}

/* Writes the planned leaves, with the tables above them, and moves on. */
static void batch_commit(struct pt_cursor *cur, struct batch_plan *plan)
{
	const struct pt_config *cfg = cfg_of(cur);
	uint64_t pa = plan->pa;
	uint64_t left = plan->n;

	note_prop(cur, plan->prop);
	flush_before_make(cur, cfg);
	while (left > 0) {
		struct pos p = cursor_walk(cur, cur->va, 1);

		while (p.level > 1) {
			paddr_t child = stack_take(&plan->nodes, p.level - 1);

			pt_write(p.node, p.idx, 0,
				 pt_cfg_new_pt(cfg, child, p.level));
			p.node = child;
			p.level--;
			p.idx = pt_index(cfg, cur->va, p.level);
		}
		remember_leaf(cur, p.node, cur->va);
		unsigned int k = (unsigned int)MIN(left, PT_ENTRIES - p.idx);

		batch_write_run(cur, p.node, p.idx, k, pa, plan->stored);
		pa += (uint64_t)k * PAGE_SIZE;
		left -= k;
		cur->va += (uint64_t)k * PAGE_SIZE;
	}
	CHECK(plan->nodes.count == 0);
}

ostd_err_t pt_cursor_map_pages(struct pt_cursor *cur, struct pt_item first,
			       uint64_t n, struct pt_prop prop)
{
	struct batch_plan plan;
	ostd_err_t err = batch_prepare(cur, first, n, prop, &plan);

	if (err != OSTD_OK) {
		return err;
	}
	batch_commit(cur, &plan);
	map_done(cur, first, prop);
	return OSTD_OK;
}

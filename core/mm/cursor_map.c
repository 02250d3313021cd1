// SPDX-License-Identifier: MPL-2.0
/*
 * Page-table cursors: map (cursor_internal.h lists the cursor's files).
 * pt_cursor_map() tries a fast path for a run of 4 KiB pages first; the
 * full path is map_prepare(), which may fail and changes nothing, then
 * map_commit(), which cannot fail.
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
				      pt_cfg_new_page(cfg, item.pa, 1, stored));
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

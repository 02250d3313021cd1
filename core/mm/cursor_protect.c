// SPDX-License-Identifier: MPL-2.0
/*
 * Page-table cursors: protect_next (cursor_internal.h lists the cursor's
 * files). protect_prepare() finds the next leaf, works out the piece of it
 * inside the range, asks the caller's op for the new properties, checks
 * and encodes them and allocates the nodes a split needs; protect_commit()
 * writes the new entry, and cannot fail.
 */

#include "ostd/internal/page_table.h"

#include "cursor_internal.h"

/* What protect_commit() writes; protect_prepare() fills it. */
struct protect_plan {
	/* The leaf the piece lies in. */
	struct pos leaf;
	/* The piece: the largest leaf inside the range, at target level. */
	uint64_t piece_va;
	pt_level_t target;
	/* The piece's new entry. */
	pte_t pte;
	/* The properties the op chose (note_prop()). */
	struct pt_prop prop;
	/* One node per level from the leaf's down to target, allocated. */
	struct reserve nodes;
};

/*
 * The piece of the leaf at @p leaf_va to change: the largest leaf inside
 * [cur->va, last] at or below the leaf's level, where the leaf meets it.
 */
static void protect_piece(const struct pt_cursor *cur, uint64_t leaf_va,
			  uint64_t last, struct protect_plan *plan)
{
	uint64_t lo = MAX(leaf_va, cur->va);
	pt_level_t target = plan->leaf.level;

	while (target > 1 &&
	       (align_down(lo, pt_page_size(target)) < cur->va ||
		pt_page_size(target) - 1 >
			last - align_down(lo, pt_page_size(target)))) {
		target--;
	}
	plan->target = target;
	plan->piece_va = align_down(lo, pt_page_size(target));
}

/*
 * The leaf's properties through @p op, checked against the rules of every
 * leaf and of a user table; @p stored gets them as the entry stores them.
 */
static ostd_err_t protect_prop(struct pt_cursor *cur, pt_protect_op op,
			       void *ctx, struct protect_plan *plan,
			       struct pt_prop *stored)
{
	const struct pt_config *cfg = cfg_of(cur);
	struct pt_prop old = pt_cfg_prop_memo(cfg, &cur->prop_memo,
					      plan->leaf.pte, plan->leaf.level);
	struct pt_prop prop = { .flags = old.flags & ~PT_AVAIL1,
				.cache = old.cache };

	op(&prop, ctx);
	CHECKIF ((prop.flags & PT_AVAIL1) != 0 || wx_forbidden(cfg, prop) ||
		 (user_rules(cur) && !user_prop_ok(prop))) {
		return OSTD_EPERM;
	}
	plan->prop = prop;
	*stored = prop;
	stored->flags |= old.flags & PT_AVAIL1;
	return OSTD_OK;
}

/* Encodes the piece's new entry, of @p stored, into @p plan->pte. */
static ostd_err_t protect_pte(struct pt_cursor *cur, uint64_t leaf_va,
			      struct pt_prop stored, struct protect_plan *plan)
{
	const struct pt_config *cfg = cfg_of(cur);
	const struct pos *leaf = &plan->leaf;

	/*
	 * The common case: the whole leaf changes, to the properties of the
	 * last leaf this cursor encoded here. attr_memo only ever holds
	 * properties cursor_leaf_ok() accepted at that level; the address is
	 * the leaf's own, so its checks hold too. The new entry is the old
	 * address bits under the remembered attribute bits.
	 */
	if (plan->target == leaf->level &&
	    pt_cfg_leaf_rewrite(cfg, &cur->attr_memo, leaf->pte, plan->target,
				stored, &plan->pte)) {
		return OSTD_OK;
	}
	paddr_t pa =
		pa_init(pa_addr(pt_cfg_paddr(cfg, leaf->pte, leaf->level)) +
			(plan->piece_va - leaf_va));

	if (cursor_leaf_ok(cur, pa, plan->target, stored) != OSTD_OK) {
		return OSTD_EPERM;
	}
	plan->pte = pt_cfg_new_page_memo(cfg, &cur->attr_memo, pa, plan->target,
					 stored);
	return OSTD_OK;
}

/*
 * Fills @p plan for the next leaf in [va, va + len). On error nothing is
 * changed and nothing is held (OSTD_ENOENT moves the cursor to the end of
 * the range, as protect_next() reports).
 */
static ostd_err_t protect_prepare(struct pt_cursor *cur, uint64_t len,
				  pt_protect_op op, void *ctx,
				  struct protect_plan *plan)
{
	uint64_t last;
	uint64_t leaf_va;
	struct pt_prop stored;
	ostd_err_t err = OSTD_OK;

	CHECKIF (!cur->is_mut || op == NULL) {
		return cur->is_mut ? OSTD_EINVAL : OSTD_EPERM;
	}
	plan->nodes.count = 0;
	if (!cursor_leaf_at_cursor(cur, len, &last, &plan->leaf, &leaf_va)) {
		err = cursor_seek_leaf(cur, len, &last, &plan->leaf, &leaf_va);
	}
	if (err != OSTD_OK) {
		return err;
	}
	protect_piece(cur, leaf_va, last, plan);
	err = protect_prop(cur, op, ctx, plan, &stored);
	if (err != OSTD_OK) {
		return err;
	}
	err = protect_pte(cur, leaf_va, stored, plan);
	if (err != OSTD_OK) {
		return err;
	}
	err = cursor_reserve_fill(&plan->nodes, plan->leaf.level - plan->target,
				  true);
	if (err != OSTD_OK) {
		cursor_reserve_release(&plan->nodes);
	}
	return err;
}

/* Writes the piece's new entry, splitting the leaf down to it first. */
static void protect_commit(struct pt_cursor *cur, struct protect_plan *plan)
{
	note_prop(cur, plan->prop);
	/* The whole leaf changes: no split, no second walk. */
	if (plan->target == plan->leaf.level) {
		cursor_replace_entry(cur, &plan->leaf, plan->piece_va,
				     plan->pte, false);
	} else {
		for (;;) {
			struct pos p = cursor_walk(cur, plan->piece_va, 1);

			if (p.level == plan->target) {
				CHECK(p.type == PT_ENTRY_LEAF);
				cursor_replace_entry(cur, &p, plan->piece_va,
						     plan->pte, false);
				break;
			}
			cursor_split_leaf(cur, &p, plan->piece_va,
					  &plan->nodes);
		}
		CHECK(plan->nodes.count == 0);
	}
	cur->va = plan->piece_va + pt_page_size(plan->target);
}

ostd_err_t pt_cursor_protect_next(struct pt_cursor *cur, uint64_t len,
				  pt_protect_op op, void *ctx,
				  uint64_t *range_start, uint64_t *range_len)
{
	struct protect_plan plan;
	ostd_err_t err = protect_prepare(cur, len, op, ctx, &plan);

	if (err != OSTD_OK) {
		return err;
	}
	protect_commit(cur, &plan);
	if (range_start != NULL) {
		*range_start = plan.piece_va;
	}
	if (range_len != NULL) {
		*range_len = pt_page_size(plan.target);
	}
	return OSTD_OK;
}

// SPDX-License-Identifier: MPL-2.0
/*
 * Page-table cursors: protect_next and protect_mask (cursor_internal.h
 * lists the cursor's files).
 *
 * protect_next: protect_prepare() finds the next leaf, works out the piece
 * of it inside the range, asks the caller's op for the new properties,
 * checks and encodes them and allocates the nodes a split needs;
 * protect_commit() writes the new entry, and cannot fail.
 *
 * protect_mask: mask_prepare() checks every leaf of the range against the
 * new properties (once per run of equal attribute bits) and allocates the
 * nodes the splits at both ends need; mask_commit() splits, then rewrites
 * the leaves node by node in a loop that calls the codec only where the
 * attribute bits change, and queues one flush for the range.
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

/* ---------------------------------------------------------------------
 * protect_mask: a range, one flag mask, no callback.
 * --------------------------------------------------------------------- */

/*
 * Consecutive entries of one node that meet the range: the entries of a
 * level-1 node from the cursor's address on, or huge leaves and empty
 * entries of a higher node up to its first table.
 */
struct entry_run {
	paddr_t node;
	pte_t *ptes;
	pt_level_t level;
	unsigned int idx; /* The first entry... */
	unsigned int end; /* ...and one past the last. */
	uint64_t va;      /* The VA of entry idx's slot. */
};

/*
 * The run of entries from the one holding @p v, up to the one holding
 * @p last (empty where nothing is mapped above level 1). Returns the last
 * byte the run covers, which may lie past @p last for a slot that sticks
 * out of the range.
 */
static uint64_t find_run(struct pt_cursor *cur, uint64_t v, uint64_t last,
			 struct entry_run *r)
{
	struct pos p = cursor_walk(cur, v, 1);
	uint64_t size = pt_page_size(p.level);

	*r = (struct entry_run){ .node = p.node,
				 .level = p.level,
				 .idx = p.idx,
				 .end = p.idx,
				 .va = align_down(v, size) };
	if (p.level == 1) {
		uint64_t run_last = MIN(slot_last(v, pt_page_size(2)), last);

		r->ptes = pt_entries(p.node);
		r->end = p.idx + (unsigned int)((run_last - v) / PAGE_SIZE) + 1;
		return run_last;
	}
	if (p.type != PT_ENTRY_LEAF) {
		return slot_last(v, size);
	}
	/* Huge leaves: on through the node's entries up to a table. */
	const struct pt_config *cfg = cfg_of(cur);
	uint64_t most =
		MIN((uint64_t)(PT_ENTRIES - p.idx), (last - r->va) / size + 1);
	unsigned int n = 1;

	r->ptes = pt_entries(p.node);
	while (n < most) {
		pte_t pte = READ_ONCE(r->ptes[p.idx + n]);

		if (pte != 0 &&
		    pt_cfg_classify(cfg, pte, p.level) != PT_ENTRY_LEAF) {
			break;
		}
		n++;
	}
	r->end = p.idx + n;
	return r->va + ((uint64_t)n * size - 1);
}

/* What mask_commit() does; mask_prepare() fills it. */
struct mask_plan {
	uint32_t set;
	uint32_t clear;
	uint64_t last;
	/* The nodes the splits at both ends need, allocated. */
	struct reserve nodes;
	/* The last attribute bits (at level) checked or rewritten... */
	pt_level_t level;
	pte_t old_attrs;
	/* ...and what the commit writes for them. */
	pte_t new_attrs;
	bool bbm;
	/* The commit's result: leaves rewritten, and the span they cover. */
	uint64_t count;
	uint64_t lo;
	uint64_t hi;
};

/*
 * The properties the leaf @p pte at @p level gets, checked as
 * protect_prop() and protect_pte() check an op's: the leaf rules, W^X in
 * a kernel table, the user-mapping rules in a VmSpace's table.
 */
static ostd_err_t mask_prop(struct pt_cursor *cur, const struct mask_plan *plan,
			    pte_t pte, pt_level_t level, struct pt_prop *stored)
{
	const struct pt_config *cfg = cfg_of(cur);
	struct pt_prop prop =
		pt_cfg_prop_memo(cfg, &cur->prop_memo, pte, level);

	/* PT_AVAIL1 is in neither mask: the tracked bit stays. */
	prop.flags = (prop.flags & ~plan->clear) | plan->set;
	CHECKIF (wx_forbidden(cfg, prop) ||
		 (user_rules(cur) && !user_prop_ok(prop))) {
		return OSTD_EPERM;
	}
	if (cursor_leaf_ok(cur, pt_cfg_leaf_paddr(cfg, pte, level), level,
			   prop) != OSTD_OK) {
		return OSTD_EPERM;
	}
	*stored = prop;
	return OSTD_OK;
}

/*
 * The attribute bits @p plan last handled, if at @p r's level. Otherwise
 * @p pa_bits, which no leaf's attribute bits equal: they are disjoint from
 * it, and a leaf is not 0.
 */
static inline pte_t run_seen(const struct mask_plan *plan,
			     const struct entry_run *r, pte_t pa_bits)
{
	return plan->level == r->level ? plan->old_attrs : pa_bits;
}

/* Checks the leaves of @p r, once per run of equal attribute bits. */
static ostd_err_t mask_check_run(struct pt_cursor *cur, struct mask_plan *plan,
				 const struct entry_run *r)
{
	pte_t pa_bits = cfg_of(cur)->level[r->level].leaf_pa_bits;
	pte_t seen = run_seen(plan, r, pa_bits);
	/* Locals: with -fno-strict-aliasing a PTE store could be r's. */
	const pte_t *ptes = r->ptes;

	for (unsigned int i = r->idx; i < r->end; i++) {
		pte_t pte = READ_ONCE(ptes[i]);
		struct pt_prop stored;

		if (pte == 0 || (pte & ~pa_bits) == seen) {
			continue;
		}
		ostd_err_t err = mask_prop(cur, plan, pte, r->level, &stored);

		if (err != OSTD_OK) {
			return err;
		}
		seen = pte & ~pa_bits;
		plan->level = r->level;
		plan->old_attrs = seen;
	}
	return OSTD_OK;
}

/* Validates the masks and the length, in protect_next()'s error order. */
static ostd_err_t mask_check_args(const struct pt_cursor *cur, uint64_t len,
				  uint32_t set, uint32_t clear)
{
	CHECKIF (!cur->is_mut) {
		return OSTD_EPERM;
	}
	CHECKIF (((set | clear) & ~PT_FLAGS_ALL) != 0 || (set & clear) != 0) {
		return OSTD_EINVAL;
	}
	/* PT_AVAIL1 is the core's; the privileged bits of a user mapping
	 * are the framework's (S6), whatever the leaves hold. */
	CHECKIF (((set | clear) & PT_AVAIL1) != 0 ||
		 (user_rules(cur) &&
		  ((set | clear) & (PROT_USER | PT_GLOBAL | PT_AVAIL2)) != 0)) {
		return OSTD_EPERM;
	}
	return cursor_check_len(cur, len);
}

/*
 * Checks the call and every leaf in the range and allocates the split
 * nodes. On error nothing is changed and nothing is held.
 */
static ostd_err_t mask_prepare(struct pt_cursor *cur, uint64_t len,
			       struct mask_plan *plan)
{
	ostd_err_t err = mask_check_args(cur, len, plan->set, plan->clear);

	if (err != OSTD_OK || len == 0) {
		return err;
	}
	plan->last = cur->va + (len - 1);
	for (uint64_t v = cur->va;;) {
		struct entry_run r;
		uint64_t run_last = find_run(cur, v, plan->last, &r);

		err = mask_check_run(cur, plan, &r);
		if (err != OSTD_OK) {
			return err;
		}
		if (run_last >= plan->last) {
			break;
		}
		v = run_last + 1;
	}
	return cursor_reserve_ends(cur, plan->last, &plan->nodes);
}

/*
 * Works out what a leaf with @p old's attribute bits at @p level becomes:
 * the codec runs once per run of equal attribute bits, not per leaf.
 */
static void mask_learn(struct pt_cursor *cur, struct mask_plan *plan, pte_t old,
		       pt_level_t level)
{
	const struct pt_config *cfg = cfg_of(cur);
	pte_t pa_bits = cfg->level[level].leaf_pa_bits;
	struct pt_prop stored;
	pte_t pte;

	/* mask_prepare() checked these attributes, or their split pieces'. */
	CHECK(mask_prop(cur, plan, old, level, &stored) == OSTD_OK);
	note_prop(cur, stored);
	if (!pt_cfg_leaf_rewrite(cfg, &cur->attr_memo, old, level, stored,
				 &pte)) {
		pte = pt_cfg_new_page_memo(cfg, &cur->attr_memo,
					   pt_cfg_leaf_paddr(cfg, old, level),
					   level, stored);
	}
	plan->level = level;
	plan->old_attrs = old & ~pa_bits;
	plan->new_attrs = pte & ~pa_bits;
	plan->bbm = pt_cfg_needs_bbm(cfg, old, pte, level);
}

/*
 * mask_commit_run()'s slow path for the leaf @p old at entry @p i of @p r:
 * new attribute bits, or a change that needs break-before-make. Returns
 * the attribute bits the fast path may take from now on.
 */
static pte_t mask_commit_slow(struct pt_cursor *cur, struct mask_plan *plan,
			      const struct entry_run *r, unsigned int i,
			      pte_t old)
{
	pte_t pa_bits = cfg_of(cur)->level[r->level].leaf_pa_bits;

	if (plan->level != r->level || (old & ~pa_bits) != plan->old_attrs) {
		mask_learn(cur, plan, old, r->level);
	}
	pte_t pte = (old & pa_bits) | plan->new_attrs;

	if (!plan->bbm) {
		WRITE_ONCE(r->ptes[i], pte);
		return plan->old_attrs;
	}
	if (pte != old) {
		struct pos p = { .node = r->node,
				 .level = r->level,
				 .idx = i,
				 .pte = old,
				 .type = PT_ENTRY_LEAF };

		cursor_replace_entry(
			cur, &p, r->va + (i - r->idx) * pt_page_size(r->level),
			pte, false);
	}
	/* Every leaf of these attributes takes the slow path. */
	return pa_bits;
}

/*
 * Rewrites the leaves of @p r: the address bits stay, the attribute bits
 * are the run's. Leaves stay leaves, so the child count stays too. The
 * loop is a load, a compare and a store per leaf while the attribute bits
 * repeat.
 */
static void mask_commit_run(struct pt_cursor *cur, struct mask_plan *plan,
			    const struct entry_run *r)
{
	pte_t pa_bits = cfg_of(cur)->level[r->level].leaf_pa_bits;
	uint64_t size = pt_page_size(r->level);
	/* The attribute bits the fast path rewrites (pa_bits: none). */
	pte_t fast = plan->bbm ? pa_bits : run_seen(plan, r, pa_bits);
	pte_t attrs = plan->new_attrs;
	unsigned int first = r->idx;
	unsigned int last = r->end;
	uint64_t count = 0;

	/* Locals: with -fno-strict-aliasing a PTE store could be r's. */
	pte_t *ptes = r->ptes;

	/* The span to flush: from the first leaf to the last (none: empty). */
	while (first < last && READ_ONCE(ptes[first]) == 0) {
		first++;
	}
	while (last > first && READ_ONCE(ptes[last - 1]) == 0) {
		last--;
	}
	for (unsigned int i = first; i < last; i++) {
		pte_t old = READ_ONCE(ptes[i]);

		if (old == 0) {
			continue;
		}
		count++;
		if ((old & ~pa_bits) == fast) {
			WRITE_ONCE(ptes[i], (old & pa_bits) | attrs);
		} else {
			fast = mask_commit_slow(cur, plan, r, i, old);
			attrs = plan->new_attrs;
		}
	}
	if (count != 0) {
		uint64_t lo = r->va + (first - r->idx) * size;

		plan->lo = plan->count == 0 ? lo : plan->lo;
		plan->hi = r->va + (last - 1 - r->idx) * size + (size - 1);
		plan->count += count;
	}
}

/*
 * Splits the leaves straddling the range's ends, rewrites every leaf in
 * it and queues one flush for the span the leaves cover: the flusher
 * turns a long span into one full flush.
 */
static void mask_commit(struct pt_cursor *cur, struct mask_plan *plan)
{
	cursor_split_ends(cur, plan->last, &plan->nodes);
	plan->level = 0;
	for (uint64_t v = cur->va;;) {
		struct entry_run r;
		uint64_t run_last = find_run(cur, v, plan->last, &r);

		mask_commit_run(cur, plan, &r);
		if (run_last >= plan->last) {
			break;
		}
		v = run_last + 1;
	}
	if (plan->count != 0) {
		tlb_flusher_issue(&cur->flusher,
				  range_op(plan->lo, plan->hi - plan->lo + 1));
	}
	cur->va = plan->last + 1;
}

ostd_err_t pt_cursor_protect_mask(struct pt_cursor *cur, uint64_t len,
				  uint32_t set, uint32_t clear, uint64_t *count)
{
	struct mask_plan plan = { .set = set, .clear = clear };
	ostd_err_t err = mask_prepare(cur, len, &plan);

	/* A failed call leaves *count alone: written on success only. */
	if (err != OSTD_OK) {
		return err;
	}
	if (len != 0) {
		mask_commit(cur, &plan);
	}
	if (count != NULL) {
		*count = plan.count;
	}
	return OSTD_OK;
}

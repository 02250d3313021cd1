// SPDX-License-Identifier: MPL-2.0
/*
 * Page-table cursors: unmap (cursor_internal.h lists the cursor's files).
 * unmap_prepare() checks the call and allocates the nodes for splitting
 * the huge leaves that straddle either end of the range; unmap_commit()
 * splits them and empties the range, and cannot fail.
 */

#include "ostd/internal/page_table.h"

#include "cursor_internal.h"

/* What unmap_commit() removes; unmap_prepare() fills it. */
struct unmap_plan {
	/* Bytes to unmap from the cursor, and the last of them. */
	uint64_t len;
	uint64_t last;
	/* The nodes the splits at both ends need, allocated. */
	struct reserve nodes;
	/* The commit's result: the number of leaves removed. */
	uint64_t removed;
};

static ostd_err_t unmap_prepare(struct pt_cursor *cur, uint64_t len,
				struct unmap_plan *plan)
{
	CHECKIF (!cur->is_mut) {
		return OSTD_EPERM;
	}
	ostd_err_t err = cursor_check_len(cur, len);

	if (err != OSTD_OK) {
		return err;
	}
	*plan = (struct unmap_plan){ .len = len };
	if (len == 0) {
		return OSTD_OK;
	}
	plan->last = cur->va + (len - 1);
	return cursor_reserve_ends(cur, plan->last, &plan->nodes);
}

/* Root entries of the kernel half are shared forever: never detached. */
static bool may_detach(const struct pt_cursor *cur, pt_level_t level)
{
	const struct pt_config *cfg = cfg_of(cur);

	return level < cfg->nr_levels || cfg->top_level_can_unmap;
}

/*
 * The highest level whose slot holding @p v lies inside [v, last] and may
 * be detached: a table there goes as one sub-tree. Every level below it
 * qualifies too, so the walk may stop at the first table it meets there.
 */
static pt_level_t detach_level(const struct pt_cursor *cur, uint64_t v,
			       uint64_t last)
{
	pt_level_t l = cur->guard_level;

	while (l > 1) {
		uint64_t size = pt_page_size(l);

		if (is_aligned(v, size) && size - 1 <= last - v &&
		    may_detach(cur, l)) {
			break;
		}
		l--;
	}
	return l;
}

/*
 * Empties the slot holding @p v (a slot inside [v, last]: the splits made
 * every leaf fit the range) and counts the leaves removed into
 * @p removed. Returns the slot's last byte.
 */
static uint64_t unmap_slot(struct pt_cursor *cur, uint64_t v, uint64_t last,
			   uint64_t *removed)
{
	struct pos p = cursor_walk(cur, v, detach_level(cur, v, last));
	uint64_t size = pt_page_size(p.level);

	if (p.type == PT_ENTRY_TABLE) {
		*removed += cursor_detach_subtree(cur, &p, v);
	} else if (p.type == PT_ENTRY_LEAF) {
		struct pt_query q = pt_leaf_query_memo(
			cfg_of(cur), &cur->prop_memo, p.pte, p.level, v);

		CHECK(q.va == v && size - 1 <= last - v);
		pos_write(cur, &p, 0);
		(*removed)++;
		if (q.item.kind == PT_ITEM_FRAME) {
			tlb_flusher_issue_with(
				&cur->flusher, range_op(v, size),
				(struct tlb_kept){ .kind = TLB_KEPT_FRAME,
						   .pa = q.item.pa });
		} else {
			tlb_flusher_issue(&cur->flusher, range_op(v, size));
		}
	}
	return slot_last(v, size);
}

static void unmap_commit(struct pt_cursor *cur, struct unmap_plan *plan)
{
	if (plan->len == 0) {
		return;
	}
	cursor_split_ends(cur, plan->last, &plan->nodes);
	for (uint64_t v = cur->va;;) {
		uint64_t slot = unmap_slot(cur, v, plan->last, &plan->removed);

		if (slot >= plan->last) {
			break;
		}
		v = slot + 1;
	}
	cur->va = plan->last + 1;
}

ostd_err_t pt_cursor_unmap(struct pt_cursor *cur, uint64_t len, uint64_t *count)
{
	struct unmap_plan plan;
	ostd_err_t err = unmap_prepare(cur, len, &plan);

	/* A failed call leaves *count alone: written on success only. */
	if (err != OSTD_OK) {
		return err;
	}
	unmap_commit(cur, &plan);
	if (count != NULL) {
		*count = plan.removed;
	}
	return OSTD_OK;
}

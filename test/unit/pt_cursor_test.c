// SPDX-License-Identifier: MPL-2.0
/*
 * Page-table cursors (DESIGN.md §4), run once per format, user and kernel
 * halves: the bad-input table B1-B20 of TESTING.md, Asterinas OSTD's own
 * page-table tests (ostd/src/mm/page_table/test.rs) adapted, and the
 * basics of the TLB flusher (DESIGN.md §6).
 *
 * Error codes are page_table.h's, which are more specific than
 * TESTING.md's "-EINVAL". Where one bad range breaks two rules, the
 * checks that need only the arguments come first: empty or reversed
 * (OSTD_EINVAL), then unaligned (OSTD_EUNALIGNED), then outside the table
 * (OSTD_ERANGE).
 *
 * Addresses are relative to the table's managed range, so every format
 * works (Sv39 has a 39-bit space). A cursor's end can never be 2^64 (end
 * 0 counts as reversed), so the highest end any cursor has is TOP_END.
 *
 * Cursors, snapshots and fixtures are static: a cursor is several KiB and
 * a kernel image runs its tests on a small boot stack.
 */

#include "ostd/arch/mm.h"

#include "ostd/frame.h"
#include "ostd/internal/page_table.h"
#include "ostd/page_table.h"
#include "ostd/pt_config.h"
#include "ostd/string.h"
#include "ostd/test.h"

#include "../lib/pt_test_util.h"

#define SZ_2M (PAGE_SIZE << PT_ENTRY_BITS)
#define SZ_1G (SZ_2M << PT_ENTRY_BITS)
#define P PAGE_SIZE
/* The highest end a cursor can have: 2^64 itself cannot be represented. */
#define TOP_END ((uint64_t)0 - PAGE_SIZE)

static const struct pt_prop prop_rw = {
	.flags = PROT_R | PROT_W,
	.cache = PT_CACHE_WRITEBACK,
};

static const struct pt_prop prop_ro = {
	.flags = PROT_R,
	.cache = PT_CACHE_WRITEBACK,
};

/* The test body's cursor and the helpers' one. */
static struct pt_cursor cur;
static struct pt_cursor hcur;

/* ---------------------------------------------------------------------
 * Helpers. They return errors or booleans; only test bodies assert.
 * --------------------------------------------------------------------- */

static void table_destroy(struct page_table *pt)
{
	page_table_destroy(pt);
	pt_rcu_barrier();
}

/* The end of the highest page a cursor of @p pt can cover. */
static uint64_t range_end(const struct page_table *pt)
{
	return pt->va_last == UINT64_MAX ? TOP_END : pt->va_last + 1;
}

/* Tries both kinds of cursor over [s, e) and drops any that is created. */
static ostd_err_t try_cursor(struct page_table *pt, uint64_t s, uint64_t e)
{
	ostd_err_t a = pt_cursor_new(pt, s, e, &hcur);

	if (a == OSTD_OK) {
		pt_cursor_drop(&hcur);
	}
	ostd_err_t b = pt_cursor_new_mut(pt, s, e, &hcur);

	if (b == OSTD_OK) {
		pt_cursor_drop(&hcur);
	}
	/* OSTD_ERR_COUNT: the two kinds disagree. */
	return a == b ? a : OSTD_ERR_COUNT;
}

static ostd_err_t map_one(struct page_table *pt, uint64_t va,
			  struct pt_item item, struct pt_prop prop)
{
	ostd_err_t err =
		pt_cursor_new_mut(pt, va, va + pt_page_size(item.level), &hcur);

	if (err != OSTD_OK) {
		return err;
	}
	err = pt_cursor_map(&hcur, item, prop);
	pt_cursor_drop(&hcur);
	return err;
}

/* Maps [va, va + len) to [pa, pa + len), untracked, largest pages first. */
static ostd_err_t map_range(struct page_table *pt, uint64_t va, uint64_t pa,
			    uint64_t len, struct pt_prop prop)
{
	ostd_err_t err = pt_cursor_new_mut(pt, va, va + len, &hcur);

	if (err != OSTD_OK) {
		return err;
	}
	for (uint64_t off = 0; off < len && err == OSTD_OK;) {
		pt_level_t l = pt_config_largest_pages(
			pt->cfg, va + off, pa_init(pa + off), len - off);

		if (l == 0) {
			err = OSTD_EINVAL;
			break;
		}
		err = pt_cursor_map(
			&hcur, pt_item_untracked(pa_init(pa + off), l), prop);
		off += pt_page_size(l);
	}
	pt_cursor_drop(&hcur);
	return err;
}

/* The leaves map_range() would create at each level. */
static void count_largest_pages(const struct pt_config *cfg, uint64_t va,
				uint64_t pa, uint64_t len,
				uint64_t n_level[PT_MAX_LEVELS + 1])
{
	for (uint64_t off = 0; off < len;) {
		pt_level_t l = pt_config_largest_pages(
			cfg, va + off, pa_init(pa + off), len - off);

		if (l == 0) {
			return;
		}
		n_level[l]++;
		off += pt_page_size(l);
	}
}

static ostd_err_t unmap_range(struct page_table *pt, uint64_t va, uint64_t len,
			      uint64_t *count)
{
	ostd_err_t err = pt_cursor_new_mut(pt, va, va + len, &hcur);

	if (err != OSTD_OK) {
		return err;
	}
	err = pt_cursor_unmap(&hcur, len, count);
	pt_cursor_drop(&hcur);
	return err;
}

static ostd_err_t query_at(struct page_table *pt, uint64_t va,
			   struct pt_query *q)
{
	ostd_err_t err = pt_cursor_new(pt, va, va + PAGE_SIZE, &hcur);

	if (err != OSTD_OK) {
		return err;
	}
	err = pt_cursor_query(&hcur, q);
	pt_cursor_drop(&hcur);
	return err;
}

/* True if @p q is exactly this slot. */
static bool slot_is(const struct pt_query *q, uint64_t va, uint64_t size,
		    enum pt_item_kind kind, uint64_t pa, struct pt_prop prop)
{
	pt_level_t level = 1;

	while (pt_page_size(level) < size && level < PT_MAX_LEVELS) {
		level++;
	}
	return q->va == va && q->size == size && q->item.kind == kind &&
	       pa_addr(q->item.pa) == pa && q->item.level == level &&
	       pt_prop_eq(q->prop, prop);
}

/* Queries @p va and checks it against a slot (see slot_is()). */
static bool query_is(struct page_table *pt, uint64_t va, uint64_t slot_va,
		     uint64_t size, enum pt_item_kind kind, uint64_t pa,
		     struct pt_prop prop)
{
	struct pt_query q;

	return query_at(pt, va, &q) == OSTD_OK &&
	       slot_is(&q, slot_va, size, kind, pa, prop);
}

static bool query_none(struct page_table *pt, uint64_t va)
{
	struct pt_query q;

	return query_at(pt, va, &q) == OSTD_OK && q.item.kind == PT_ITEM_NONE;
}

struct protect_ctx {
	uint32_t clear;
	uint32_t set;
	unsigned int calls;
};

static void protect_apply(struct pt_prop *prop, void *ctx)
{
	struct protect_ctx *c = ctx;

	prop->flags = (prop->flags & ~c->clear) | c->set;
	c->calls++;
}

/* Protects every leaf in [va, va + len) with @p c; false on any misstep. */
static bool protect_range(struct page_table *pt, uint64_t va, uint64_t len,
			  struct protect_ctx *c)
{
	uint64_t end = va + len;
	bool ok = true;

	if (pt_cursor_new_mut(pt, va, end, &hcur) != OSTD_OK) {
		return false;
	}
	for (;;) {
		uint64_t rs = 0;
		uint64_t rl = 0;
		ostd_err_t err =
			pt_cursor_protect_next(&hcur, end - pt_cursor_va(&hcur),
					       protect_apply, c, &rs, &rl);

		if (err == OSTD_ENOENT) {
			break;
		}
		/* Every leaf changed lies inside the range (splits at ends). */
		if (err != OSTD_OK || rs < va || rl == 0 || rs + rl > end) {
			ok = false;
			break;
		}
	}
	tlb_flusher_issue(
		pt_cursor_flusher(&hcur),
		(struct tlb_op){ .kind = TLB_OP_RANGE, .va = va, .len = len });
	pt_cursor_drop(&hcur);
	return ok;
}

/* A snapshot of the leaves of a small table. */
#define SNAP_MAX 64

struct snap {
	unsigned int n;
	bool overflow;
	struct pt_query leaves[SNAP_MAX];
};

static void snap_visit(const struct pt_query *leaf, void *ctx)
{
	struct snap *s = ctx;

	if (s->n == SNAP_MAX) {
		s->overflow = true;
		return;
	}
	s->leaves[s->n++] = *leaf;
}

static void snap_take(struct page_table *pt, struct snap *s)
{
	s->n = 0;
	s->overflow = false;
	pt_for_each_leaf(pt, snap_visit, s);
}

static bool snap_eq(const struct snap *a, const struct snap *b)
{
	if (a->overflow || b->overflow || a->n != b->n) {
		return false;
	}
	for (unsigned int i = 0; i < a->n; i++) {
		const struct pt_query *x = &a->leaves[i];
		const struct pt_query *y = &b->leaves[i];

		if (x->va != y->va || x->size != y->size ||
		    x->item.kind != y->item.kind ||
		    pa_addr(x->item.pa) != pa_addr(y->item.pa) ||
		    x->item.level != y->item.level ||
		    !pt_prop_eq(x->prop, y->prop)) {
			return false;
		}
	}
	return true;
}

/* Counts the leaves of a table and checks untracked ones map va - delta. */
struct leaf_walk {
	uint64_t delta;
	uint64_t n;
	uint64_t n_level[PT_MAX_LEVELS + 1];
	uint64_t bad;
};

static void walk_visit(const struct pt_query *leaf, void *ctx)
{
	struct leaf_walk *w = ctx;

	w->n++;
	if (leaf->item.level >= 1 && leaf->item.level <= PT_MAX_LEVELS) {
		w->n_level[leaf->item.level]++;
	}
	if (leaf->item.kind != PT_ITEM_UNTRACKED ||
	    leaf->size != pt_page_size(leaf->item.level) ||
	    pa_addr(leaf->item.pa) != leaf->va - w->delta ||
	    (leaf->prop.flags & PT_AVAIL1) != 0) {
		w->bad++;
	}
}

static void walk_take(struct page_table *pt, uint64_t delta,
		      struct leaf_walk *w)
{
	memset(w, 0, sizeof(*w));
	w->delta = delta;
	pt_for_each_leaf(pt, walk_visit, w);
}

static uint64_t check_nodes(struct page_table *pt)
{
	struct pt_check_stats st;

	if (pt_check(pt, &st) != OSTD_OK) {
		return UINT64_MAX;
	}
	return st.nodes;
}

/* True if the flusher's queued work flushes everything. */
static bool flush_all_requested(const struct tlb_flusher *f)
{
	if (f->flush_all) {
		return true;
	}
	for (unsigned int i = 0; i < f->op_count; i++) {
		if (f->ops[i].kind == TLB_OP_ALL) {
			return true;
		}
	}
	return false;
}

/* The user and kernel halves of @p cfg's format ("x", "x-kernel"). */
static bool find_pair(const struct pt_config *cfg,
		      const struct pt_config **user,
		      const struct pt_config **kernel)
{
	bool is_user = cfg->top_level_can_unmap;

	*user = is_user ? cfg : pt_test_user_twin(cfg);
	*kernel = is_user ? pt_test_kernel_twin(cfg) : cfg;
	return *user != NULL && *kernel != NULL;
}

/* True if @p u's root holds the kernel half of @p k's root, all tables. */
static bool root_shares_kernel(const struct page_table *u,
			       const struct page_table *k)
{
	const pte_t *ur = arch_paddr_to_ptr(u->root);
	const pte_t *kr = arch_paddr_to_ptr(k->root);
	const struct pt_config *kc = k->cfg;

	for (unsigned int i = kc->top_index_first; i <= kc->top_index_last;
	     i++) {
		if (ur[i] != kr[i] ||
		    kc->classify(kc, kr[i], kc->nr_levels) != PT_ENTRY_TABLE) {
			return false;
		}
	}
	return true;
}

/* ---------------------------------------------------------------------
 * The fixture of the bad-input rows: a table with a tracked 4 KiB frame
 * at base and an untracked 2 MiB page at base + 2 MiB. A bad call must
 * leave the leaves, the frame's refcount and the frames in use as they
 * were.
 * --------------------------------------------------------------------- */

#define FX_HUGE_PA (3 * SZ_2M)

static struct {
	struct page_table pt;
	struct frame frame;
	uint64_t base; /* 1 GiB into the managed range. */
	uint64_t huge; /* base + 2 MiB. */
	uint64_t in_use;
} fx;

static struct snap fx_before;
static struct snap fx_after;

/* Records the state that bad calls must leave alone. */
static void fixture_snap(void)
{
	snap_take(&fx.pt, &fx_before);
	fx.in_use = frame_stats_in_use();
}

static ostd_err_t fixture_setup(const struct pt_config *cfg)
{
	fx.frame.pa = pa_init(0);
	ostd_err_t err = pt_test_new_table(cfg, &fx.pt);

	if (err != OSTD_OK) {
		return err;
	}
	fx.base = fx.pt.va_start + SZ_1G;
	fx.huge = fx.base + SZ_2M;
	err = frame_alloc(&frame_type_untyped, &fx.frame);
	if (err == OSTD_OK) {
		err = map_one(&fx.pt, fx.base, pt_item_frame(fx.frame.pa),
			      prop_rw);
	}
	if (err == OSTD_OK) {
		err = map_one(&fx.pt, fx.huge,
			      pt_item_untracked(pa_init(FX_HUGE_PA), 2),
			      prop_rw);
	}
	fixture_snap();
	return err;
}

static void fixture_teardown(void)
{
	table_destroy(&fx.pt);
	if (pa_addr(fx.frame.pa) != 0) {
		frame_drop(&fx.frame);
	}
}

/* The leaves and the frame's references are as fixture_snap() saw. */
static bool fixture_same_leaves(void)
{
	struct pt_check_stats st;

	snap_take(&fx.pt, &fx_after);
	return snap_eq(&fx_before, &fx_after) &&
	       frame_refcount(fx.frame.pa) == 2 &&
	       pt_check(&fx.pt, &st) == OSTD_OK;
}

/* Also no frame allocated or freed: for calls that create no cursor. */
#define ASSERT_FIXTURE_UNCHANGED()                          \
	do {                                                \
		ASSERT_TRUE(fixture_same_leaves());         \
		ASSERT_EQ(frame_stats_in_use(), fx.in_use); \
	} while (0)

/* The fixture and a cursor (@p mut: mutable) over [base, base + 4 pages). */
static ostd_err_t fixture_cursor(const struct pt_config *cfg, bool mut)
{
	ostd_err_t err = fixture_setup(cfg);
	uint64_t b = fx.base;

	if (err != OSTD_OK) {
		return err;
	}
	return mut ? pt_cursor_new_mut(&fx.pt, b, b + 4 * P, &cur)
		   : pt_cursor_new(&fx.pt, b, b + 4 * P, &cur);
}

/*
 * After bad calls on cur: no frame allocated or freed since @p used was
 * taken, and, cur dropped, the leaves as they were.
 */
#define ASSERT_CURSOR_LEFT_FIXTURE(used)                 \
	do {                                             \
		ASSERT_EQ(frame_stats_in_use(), (used)); \
		pt_cursor_drop(&cur);                    \
		ASSERT_TRUE(fixture_same_leaves());      \
	} while (0)

/* ---------------------------------------------------------------------
 * B1-B20: the bad-input table of TESTING.md.
 * --------------------------------------------------------------------- */

TEST_FORMAT(pt_cursor, bad_input_01_empty_range)
{
	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	ASSERT_EQ(try_cursor(&fx.pt, fx.pt.va_start, fx.pt.va_start),
		  OSTD_EINVAL);
	ASSERT_EQ(try_cursor(&fx.pt, fx.base, fx.base), OSTD_EINVAL);
	/* Never computes end - 1 (vostd#603). */
	ASSERT_EQ(try_cursor(&fx.pt, 0, 0), OSTD_EINVAL);
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_02_reversed_range)
{
	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	ASSERT_EQ(try_cursor(&fx.pt, P, 0), OSTD_EINVAL);
	ASSERT_EQ(try_cursor(&fx.pt, fx.base + P, fx.base), OSTD_EINVAL);
	ASSERT_EQ(try_cursor(&fx.pt, fx.base + SZ_2M, fx.base), OSTD_EINVAL);
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_03_unaligned_range)
{
	uint64_t s;

	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	s = fx.pt.va_start;
	ASSERT_EQ(try_cursor(&fx.pt, s + 1, s + P + 1), OSTD_EUNALIGNED);
	ASSERT_EQ(try_cursor(&fx.pt, s, s + P + 1), OSTD_EUNALIGNED);
	ASSERT_EQ(try_cursor(&fx.pt, fx.base + P - 1, fx.base + 2 * P),
		  OSTD_EUNALIGNED);
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_04_last_page_ok)
{
	struct frame g;

	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	/*
	 * User tables: U = va_last + 1, which is MAX_USER_VADDR wherever the
	 * format reaches it (not Sv39, whose user half ends at 2^38). Kernel
	 * tables: the highest page a cursor can end at.
	 */
	uint64_t u = range_end(&fx.pt);

	if (cfg->top_level_can_unmap && cfg->va_bits == 48) {
		ASSERT_EQ(u, MAX_USER_VADDR);
	}
	ASSERT_EQ(try_cursor(&fx.pt, u - P, u), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &g), OSTD_OK);
	ASSERT_EQ(pt_cursor_new_mut(&fx.pt, u - P, u, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_frame(g.pa), prop_rw), OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), u);
	ASSERT_EQ(pt_cursor_jump(&cur, u - P), OSTD_OK);
	struct pt_query q;

	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
	ASSERT_TRUE(
		slot_is(&q, u - P, P, PT_ITEM_FRAME, pa_addr(g.pa), prop_rw));
	uint64_t count = 0;

	ASSERT_EQ(pt_cursor_unmap(&cur, P, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	pt_cursor_drop(&cur);
	ASSERT_EQ(frame_refcount(g.pa), 1);
	frame_drop(&g);
	/* Nodes the cursor needed may stay; the leaves are as they were. */
	ASSERT_TRUE(fixture_same_leaves());
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_05_past_user_end)
{
	if (!cfg->top_level_can_unmap) {
		/* The kernel half has nothing above it: rows 9 and 10 and
		 * top_of_range_no_overflow cover its end. */
		return;
	}
	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	uint64_t u = range_end(&fx.pt);

	/* The SYSRET page (Fuchsia, S4), and what straddles or follows it. */
	ASSERT_EQ(try_cursor(&fx.pt, u, u + P), OSTD_ERANGE);
	ASSERT_EQ(try_cursor(&fx.pt, u - P, u + P), OSTD_ERANGE);
	ASSERT_EQ(try_cursor(&fx.pt, MAX_USER_VADDR, MAX_USER_VADDR + P),
		  OSTD_ERANGE);
	ASSERT_EQ(try_cursor(&fx.pt, fx.base, MAX_USER_VADDR + P), OSTD_ERANGE);
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_06_unaligned_straddle_of_user_end)
{
	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	/* Asterinas overflow_boundary_mapping: unaligned, so that first. */
	ASSERT_EQ(try_cursor(&fx.pt, MAX_USER_VADDR - P / 2,
			     MAX_USER_VADDR + P / 2),
		  OSTD_EUNALIGNED);
	ASSERT_EQ(
		try_cursor(&fx.pt, (1ULL << 47) - P / 2, (1ULL << 47) + P / 2),
		OSTD_EUNALIGNED);
	/* Aligned, it is out of range on both halves. */
	ASSERT_EQ(try_cursor(&fx.pt, (1ULL << 47) - P, (1ULL << 47) + P),
		  OSTD_ERANGE);
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_07_non_canonical)
{
	uint64_t lower_top = 1ULL << (cfg->va_bits - 1);
	uint64_t upper_bottom = (uint64_t)0 - lower_top;

	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	ASSERT_FALSE(pt_config_va_canonical(cfg, 0x0000800000000000ULL));
	ASSERT_FALSE(pt_config_va_canonical(cfg, lower_top));
	ASSERT_FALSE(pt_config_va_canonical(cfg, upper_bottom - P));
	ASSERT_EQ(try_cursor(&fx.pt, 0x0000800000000000ULL,
			     0x0000800000000000ULL + P),
		  OSTD_ERANGE);
	/* Both edges of this format's hole, and ranges across them. */
	ASSERT_EQ(try_cursor(&fx.pt, lower_top, lower_top + P), OSTD_ERANGE);
	ASSERT_EQ(try_cursor(&fx.pt, upper_bottom - P, upper_bottom),
		  OSTD_ERANGE);
	ASSERT_EQ(try_cursor(&fx.pt, lower_top - P, lower_top + P),
		  OSTD_ERANGE);
	ASSERT_EQ(try_cursor(&fx.pt, upper_bottom - P, upper_bottom + P),
		  OSTD_ERANGE);
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_08_other_half)
{
	uint64_t upper_bottom = (uint64_t)0 - (1ULL << (cfg->va_bits - 1));

	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	if (cfg->top_level_can_unmap) {
		/* Asterinas boundary_conditions. */
		ASSERT_EQ(try_cursor(&fx.pt, 0xffff800000000000ULL,
				     0xffff800000010000ULL),
			  OSTD_ERANGE);
		ASSERT_EQ(try_cursor(&fx.pt, upper_bottom, upper_bottom + P),
			  OSTD_ERANGE);
		ASSERT_EQ(try_cursor(&fx.pt, TOP_END - P, TOP_END),
			  OSTD_ERANGE);
	} else {
		ASSERT_EQ(try_cursor(&fx.pt, 0, P), OSTD_ERANGE);
		ASSERT_EQ(try_cursor(&fx.pt, SZ_1G, SZ_1G + P), OSTD_ERANGE);
	}
	/* A range over both halves. */
	ASSERT_EQ(try_cursor(&fx.pt, P, upper_bottom + P), OSTD_ERANGE);
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_09_end_wrapped_to_zero)
{
	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	/* end == 0 is reversed, never "up to 2^64", and never underflows. */
	ASSERT_EQ(try_cursor(&fx.pt, ~0ULL - P + 1, 0), OSTD_EINVAL);
	ASSERT_EQ(try_cursor(&fx.pt, TOP_END - P, 0), OSTD_EINVAL);
	ASSERT_EQ(try_cursor(&fx.pt, fx.base, 0), OSTD_EINVAL);
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_10_end_overflows)
{
	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	/* va + len wrapped below va: the checked add a caller forgot. */
	uint64_t len = ~0ULL & ~(P - 1);

	ASSERT_EQ(try_cursor(&fx.pt, fx.base, fx.base + len), OSTD_EINVAL);
	ASSERT_EQ(try_cursor(&fx.pt, fx.base + P, fx.base + P + (0 - fx.base)),
		  OSTD_EINVAL);
	if (!cfg->top_level_can_unmap) {
		/* At the top of the kernel half. */
		ASSERT_EQ(try_cursor(&fx.pt, TOP_END - P, TOP_END - P + 2 * P),
			  OSTD_EINVAL);
		ASSERT_EQ(try_cursor(&fx.pt, TOP_END - P, TOP_END - P + 3 * P),
			  OSTD_EINVAL);
	}
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_11_tagged_address)
{
	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	/*
	 * AArch64 TBI is off: a tagged pointer is just non-canonical, on
	 * every format and in both halves.
	 */
	uint64_t untagged = fx.base & ~(0xffULL << 56);

	for (uint64_t tag = 0x01; tag <= 0xff; tag += 0x59) {
		uint64_t va = untagged | (tag << 56);

		ASSERT_FALSE(pt_config_va_canonical(cfg, va));
		ASSERT_EQ(try_cursor(&fx.pt, va, va + P), OSTD_ERANGE);
	}
	ASSERT_FIXTURE_UNCHANGED();
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_12_unmap_unaligned_len)
{
	uint64_t count = 77;

	ASSERT_EQ(fixture_cursor(cfg, true), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_unmap(&cur, 1, &count), OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_unmap(&cur, P - 1, &count), OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_unmap(&cur, P + 1, &count), OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_unmap(&cur, 4 * P - 1, NULL), OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_va(&cur), fx.base);
	ASSERT_CURSOR_LEFT_FIXTURE(used);
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_13_unmap_zero_len)
{
	uint64_t count = 77;

	ASSERT_EQ(fixture_cursor(cfg, true), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	/* Pinned: OK and a no-op at the cursor level (ast@aa77747f9). */
	ASSERT_EQ(pt_cursor_unmap(&cur, 0, &count), OSTD_OK);
	ASSERT_EQ(count, 0);
	ASSERT_EQ(pt_cursor_va(&cur), fx.base);
	ASSERT_EQ(pt_cursor_unmap(&cur, 0, NULL), OSTD_OK);
	ASSERT_CURSOR_LEFT_FIXTURE(used);
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_14_unmap_past_end)
{
	uint64_t count = 77;

	ASSERT_EQ(fixture_cursor(cfg, true), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_unmap(&cur, 5 * P, &count), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_va(&cur), fx.base);
	ASSERT_EQ(pt_cursor_jump(&cur, fx.base + 3 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, 2 * P, &count), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_va(&cur), fx.base + 3 * P);
	ASSERT_CURSOR_LEFT_FIXTURE(used);
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_15_unmap_huge_len)
{
	uint64_t huge = ~0ULL & ~(P - 1);
	uint64_t count = 77;

	/* asterinas#3159: va + len wraps to below the end. */
	ASSERT_EQ(fixture_cursor(cfg, true), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_unmap(&cur, huge, &count), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_unmap(&cur, 0 - fx.base, &count), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_jump(&cur, fx.base + P), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, 0 - fx.base, &count), OSTD_EINVAL);
	ASSERT_CURSOR_LEFT_FIXTURE(used);

	/* A cursor over the whole managed range, where a wrap lands inside. */
	uint64_t s = fx.pt.va_start;

	ASSERT_EQ(pt_cursor_new_mut(&fx.pt, s, range_end(&fx.pt), &cur),
		  OSTD_OK);
	used = frame_stats_in_use();
	ASSERT_EQ(pt_cursor_unmap(&cur, huge, &count), OSTD_EINVAL);
	if (s != 0) {
		/* Wraps to P, below the end of the kernel half. */
		ASSERT_EQ(pt_cursor_unmap(&cur, 0 - s + P, &count),
			  OSTD_EINVAL);
	}
	ASSERT_EQ(pt_cursor_va(&cur), s);
	ASSERT_CURSOR_LEFT_FIXTURE(used);
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_16_protect_bad_len)
{
	struct protect_ctx c = { .clear = PROT_W };
	uint64_t rs = 77;
	uint64_t rl = 77;

	ASSERT_EQ(fixture_cursor(cfg, true), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_protect_next(&cur, 1, protect_apply, &c, &rs, &rl),
		  OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_protect_next(&cur, P + 1, protect_apply, &c, &rs,
					 &rl),
		  OSTD_EUNALIGNED);
	/* Asterinas protect_out_range_page. */
	ASSERT_EQ(pt_cursor_protect_next(&cur, 5 * P, protect_apply, &c, &rs,
					 &rl),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_protect_next(&cur, ~0ULL & ~(P - 1), protect_apply,
					 &c, &rs, &rl),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_protect_next(&cur, 0 - fx.base, protect_apply, &c,
					 &rs, &rl),
		  OSTD_EINVAL);
	ASSERT_EQ(c.calls, 0);
	ASSERT_EQ(pt_cursor_va(&cur), fx.base);
	ASSERT_CURSOR_LEFT_FIXTURE(used);
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_17_find_next_bad_len)
{
	uint64_t found = 77;
	uint64_t va;

	ASSERT_EQ(fixture_cursor(cfg, false), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_jump(&cur, fx.base + P), OSTD_OK);
	va = pt_cursor_va(&cur);
	/* find_next_rejects_overflowing_len: va + len wraps to 0. */
	ASSERT_EQ(pt_cursor_find_next(&cur, 0 - va, &found), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_find_next(&cur, ~0ULL & ~(P - 1), &found),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_find_next(&cur, 4 * P, &found), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_find_next(&cur, 1, &found), OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_find_next(&cur, P + 1, &found), OSTD_EUNALIGNED);
	ASSERT_EQ(found, 77);
	ASSERT_EQ(pt_cursor_va(&cur), va);
	/* len 0 finds nothing and stays. */
	ASSERT_EQ(pt_cursor_find_next(&cur, 0, &found), OSTD_ENOENT);
	ASSERT_EQ(found, 77);
	ASSERT_EQ(pt_cursor_va(&cur), va);
	ASSERT_CURSOR_LEFT_FIXTURE(used);
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_18_jump_out_of_range)
{
	uint64_t b;

	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	b = fx.base;
	ASSERT_EQ(pt_cursor_new(&fx.pt, b + P, b + 4 * P, &cur), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_jump(&cur, b), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, b + 4 * P), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, b + 5 * P), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, 0), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, ~0ULL & ~(P - 1)), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, b + 2 * P + 1), OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_va(&cur), b + P);
	ASSERT_EQ(pt_cursor_jump(&cur, b + 3 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), b + 3 * P);
	ASSERT_EQ(pt_cursor_jump(&cur, b + P), OSTD_OK);
	ASSERT_CURSOR_LEFT_FIXTURE(used);

	/* Near the top of the range (2^64 for the kernel): no wrap. */
	uint64_t e = range_end(&fx.pt);

	ASSERT_EQ(pt_cursor_new(&fx.pt, e - 4 * P, e, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_jump(&cur, e), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, e + P), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, ~0ULL & ~(P - 1)), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, 0), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, e - 5 * P), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_va(&cur), e - 4 * P);
	ASSERT_EQ(pt_cursor_jump(&cur, e - P), OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), e - P);
	pt_cursor_drop(&cur);
	ASSERT_TRUE(fixture_same_leaves());
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_19_map_bad_huge_page)
{
	pt_level_t top = cfg->highest_translation_level;
	uint64_t b;

	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	b = fx.base + 2 * SZ_2M;
	ASSERT_EQ(pt_cursor_new_mut(&fx.pt, b, b + 2 * SZ_2M, &cur), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	/* vostd map_panic_conditions: misaligned va, then misaligned pa. */
	ASSERT_EQ(pt_cursor_jump(&cur, b + P), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_untracked(pa_init(SZ_2M), 2),
				prop_rw),
		  OSTD_EUNALIGNED);
	ASSERT_EQ(pt_cursor_jump(&cur, b), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_untracked(pa_init(SZ_2M + P), 2),
				prop_rw),
		  OSTD_EUNALIGNED);
	/* Levels: 0, above the highest translation level, absurd. */
	ASSERT_EQ(
		pt_cursor_map(&cur, pt_item_untracked(pa_init(0), 0), prop_rw),
		OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_untracked(pa_init(0), top + 1),
				prop_rw),
		  OSTD_EINVAL);
	ASSERT_EQ(
		pt_cursor_map(&cur, pt_item_untracked(pa_init(0), 9), prop_rw),
		OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_va(&cur), b);
	ASSERT_EQ(frame_stats_in_use(), used);
	pt_cursor_drop(&cur);

	/* va + size past the end. */
	ASSERT_EQ(pt_cursor_new_mut(&fx.pt, b, b + SZ_2M / 2, &cur), OSTD_OK);
	used = frame_stats_in_use();
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_untracked(pa_init(SZ_2M), 2),
				prop_rw),
		  OSTD_ERANGE);
	ASSERT_EQ(frame_stats_in_use(), used);
	pt_cursor_drop(&cur);
	if (top >= 3) {
		/* 1 GiB: misaligned va, then past the end. */
		uint64_t g = fx.base + SZ_1G;

		ASSERT_EQ(pt_cursor_new_mut(&fx.pt, g, g + 2 * SZ_1G, &cur),
			  OSTD_OK);
		used = frame_stats_in_use();
		ASSERT_EQ(pt_cursor_jump(&cur, g + SZ_2M), OSTD_OK);
		ASSERT_EQ(pt_cursor_map(&cur,
					pt_item_untracked(pa_init(SZ_1G), 3),
					prop_rw),
			  OSTD_EUNALIGNED);
		ASSERT_EQ(frame_stats_in_use(), used);
		pt_cursor_drop(&cur);
		ASSERT_EQ(pt_cursor_new_mut(&fx.pt, g, g + SZ_1G / 2, &cur),
			  OSTD_OK);
		used = frame_stats_in_use();
		ASSERT_EQ(pt_cursor_map(&cur,
					pt_item_untracked(pa_init(SZ_1G), 3),
					prop_rw),
			  OSTD_ERANGE);
		ASSERT_EQ(frame_stats_in_use(), used);
		pt_cursor_drop(&cur);
	}
	ASSERT_TRUE(fixture_same_leaves());
	fixture_teardown();
}

TEST_FORMAT(pt_cursor, bad_input_20_map_over_existing)
{
	struct frame g;
	struct frame h;
	uint64_t b;

	ASSERT_EQ(fixture_setup(cfg), OSTD_OK);
	b = fx.base;
	/* One more 2 MiB region whose only mapping is its last page. */
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &h), OSTD_OK);
	ASSERT_EQ(map_one(&fx.pt, b + 3 * SZ_2M - P, pt_item_frame(h.pa),
			  prop_rw),
		  OSTD_OK);
	fixture_snap();
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &g), OSTD_OK);
	ASSERT_EQ(pt_cursor_new_mut(&fx.pt, b, b + 4 * SZ_2M, &cur), OSTD_OK);
	uint64_t used = frame_stats_in_use();
	const struct pt_item small = pt_item_untracked(pa_init(SZ_2M), 1);
	const struct pt_item big = pt_item_untracked(pa_init(SZ_2M), 2);

	/* 4 KiB over 4 KiB, tracked and untracked. */
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_frame(g.pa), prop_rw),
		  OSTD_EEXIST);
	ASSERT_EQ(pt_cursor_jump(&cur, b), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, small, prop_ro), OSTD_EEXIST);
	/* 4 KiB beneath a 2 MiB page: no split, no leak. */
	ASSERT_EQ(pt_cursor_jump(&cur, fx.huge), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, small, prop_rw), OSTD_EEXIST);
	ASSERT_EQ(pt_cursor_jump(&cur, fx.huge + 7 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_frame(g.pa), prop_rw),
		  OSTD_EEXIST);
	/* 2 MiB over a 4 KiB page at its start, and at its end. */
	ASSERT_EQ(pt_cursor_jump(&cur, b), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, big, prop_rw), OSTD_EEXIST);
	ASSERT_EQ(pt_cursor_jump(&cur, b + 2 * SZ_2M), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, big, prop_rw), OSTD_EEXIST);
	/* 2 MiB over 2 MiB. */
	ASSERT_EQ(pt_cursor_jump(&cur, fx.huge), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, big, prop_rw), OSTD_EEXIST);
	ASSERT_EQ(frame_stats_in_use(), used);
	pt_cursor_drop(&cur);
	if (cfg->highest_translation_level >= 3) {
		/* 1 GiB over everything above. */
		ASSERT_EQ(pt_cursor_new_mut(&fx.pt, b, b + SZ_1G, &cur),
			  OSTD_OK);
		used = frame_stats_in_use();
		ASSERT_EQ(pt_cursor_map(&cur,
					pt_item_untracked(pa_init(SZ_1G), 3),
					prop_rw),
			  OSTD_EEXIST);
		ASSERT_EQ(frame_stats_in_use(), used);
		pt_cursor_drop(&cur);
	}
	ASSERT_TRUE(fixture_same_leaves());
	ASSERT_EQ(frame_refcount(g.pa), 1);
	ASSERT_EQ(frame_refcount(h.pa), 2);
	frame_drop(&g);
	fixture_teardown();
	ASSERT_EQ(frame_refcount(h.pa), 1);
	frame_drop(&h);
}

/* ---------------------------------------------------------------------
 * Tables and ranges.
 * --------------------------------------------------------------------- */

TEST_FORMAT(pt_cursor, new_checks_the_half_and_the_range)
{
	struct page_table pt;
	uint64_t s;
	uint64_t l;
	uint64_t in_use = frame_stats_in_use();

	if (cfg->top_level_can_unmap) {
		ASSERT_EQ(page_table_new_kernel(cfg, &pt), OSTD_EINVAL);
	} else {
		ASSERT_EQ(page_table_new_user(cfg, NULL, &pt), OSTD_EINVAL);
	}
	ASSERT_EQ(frame_stats_in_use(), in_use);
	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	pt_config_vaddr_range(cfg, &s, &l);
	ASSERT_TRUE(pt.cfg == cfg);
	ASSERT_EQ(pt.va_start, s);
	if (cfg->top_level_can_unmap) {
		/* One page below the hole, wherever the format has it. */
		uint64_t cap = MAX_USER_VADDR - 1;

		if (cfg->va_sign_extend &&
		    (1ULL << (cfg->va_bits - 1)) - PAGE_SIZE - 1 < cap) {
			cap = (1ULL << (cfg->va_bits - 1)) - PAGE_SIZE - 1;
		}
		ASSERT_EQ(pt.va_last, l < cap ? l : cap);
	} else {
		ASSERT_EQ(pt.va_last, l);
	}
	ASSERT_NE(check_nodes(&pt), UINT64_MAX);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, new_user_rejects_kernel_of_other_levels)
{
	unsigned int count;
	const struct pt_config *const *all = arch_pt_configs_for_tests(&count);
	struct page_table k;
	struct page_table u;

	if (!cfg->top_level_can_unmap) {
		/* Runs for the user half; the loop picks the kernel one. */
		return;
	}
	for (unsigned int i = 0; i < count; i++) {
		if (all[i]->top_level_can_unmap ||
		    all[i]->nr_levels == cfg->nr_levels) {
			continue;
		}
		ASSERT_EQ(page_table_new_kernel(all[i], &k), OSTD_OK);
		uint64_t in_use = frame_stats_in_use();

		ASSERT_EQ(page_table_new_user(cfg, &k, &u), OSTD_EINVAL);
		ASSERT_EQ(frame_stats_in_use(), in_use);
		table_destroy(&k);
	}
}

TEST_FORMAT(pt_cursor, range_check)
{
	struct page_table pt;
	uint64_t s;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	ASSERT_EQ(try_cursor(&pt, s, s + P), OSTD_OK);
	ASSERT_EQ(try_cursor(&pt, s, s + P + 1), OSTD_EUNALIGNED);
	ASSERT_EQ(try_cursor(&pt, s, range_end(&pt)), OSTD_OK);
	/* Straddling the start (kernel) or the end (user). */
	if (s != 0) {
		ASSERT_EQ(try_cursor(&pt, s - P, s + P), OSTD_ERANGE);
	}
	if (cfg->top_level_can_unmap) {
		ASSERT_EQ(
			try_cursor(&pt, range_end(&pt) - P, range_end(&pt) + P),
			OSTD_ERANGE);
	}
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, start_boundary_mapping)
{
	struct page_table pt;
	struct frame f;
	uint64_t s;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	ASSERT_EQ(map_one(&pt, s, pt_item_frame(f.pa), prop_rw), OSTD_OK);
	ASSERT_TRUE(
		query_is(&pt, s, s, P, PT_ITEM_FRAME, pa_addr(f.pa), prop_rw));
	snap_take(&pt, &fx_after);
	ASSERT_EQ(fx_after.n, 1);
	ASSERT_EQ(fx_after.leaves[0].va, s);
	ASSERT_EQ(frame_refcount(f.pa), 2);
	table_destroy(&pt);
	ASSERT_EQ(frame_refcount(f.pa), 1);
	frame_drop(&f);
}

TEST_FORMAT(pt_cursor, end_boundary_mapping)
{
	struct page_table pt;
	struct frame f;
	uint64_t e;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	e = range_end(&pt);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	ASSERT_EQ(map_one(&pt, e - P, pt_item_frame(f.pa), prop_rw), OSTD_OK);
	ASSERT_TRUE(query_is(&pt, e - P, e - P, P, PT_ITEM_FRAME, pa_addr(f.pa),
			     prop_rw));
	snap_take(&pt, &fx_after);
	ASSERT_EQ(fx_after.n, 1);
	ASSERT_EQ(fx_after.leaves[0].va, e - P);
	/* I5: nothing in a user table reaches MAX_USER_VADDR. */
	if (cfg->top_level_can_unmap) {
		ASSERT_LE(fx_after.leaves[0].va + fx_after.leaves[0].size,
			  MAX_USER_VADDR);
		ASSERT_EQ(map_one(&pt, e, pt_item_frame(f.pa), prop_rw),
			  OSTD_ERANGE);
	} else {
		/* The top page: its end would be 2^64. */
		ASSERT_EQ(map_one(&pt, e, pt_item_frame(f.pa), prop_rw),
			  OSTD_EINVAL);
	}
	ASSERT_EQ(frame_refcount(f.pa), 2);
	table_destroy(&pt);
	ASSERT_EQ(frame_refcount(f.pa), 1);
	frame_drop(&f);
}

TEST_FORMAT(pt_cursor, top_of_range_no_overflow)
{
	struct page_table pt;
	struct pt_query q;
	uint64_t found = 77;
	uint64_t count = 0;
	uint64_t rs = 0;
	uint64_t rl = 0;
	uint64_t e;
	struct protect_ctx c = { .clear = PROT_W };

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	e = range_end(&pt);
	ASSERT_EQ(pt_cursor_new_mut(&pt, e - 4 * P, e, &cur), OSTD_OK);
	for (unsigned int i = 0; i < 4; i++) {
		ASSERT_EQ(pt_cursor_map(&cur,
					pt_item_untracked(pa_init(i * P), 1),
					prop_rw),
			  OSTD_OK);
	}
	/* At the end: not wrapped to 0 and nothing to do. */
	ASSERT_EQ(pt_cursor_va(&cur), e);
	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_find_next(&cur, 0, &found), OSTD_ENOENT);
	ASSERT_EQ(pt_cursor_find_next(&cur, P, &found), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_unmap(&cur, P, &count), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_protect_next(&cur, P, protect_apply, &c, &rs, &rl),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_jump(&cur, e), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_va(&cur), e);
	/* Jump back from the end; lengths that wrap past 2^64. */
	ASSERT_EQ(pt_cursor_jump(&cur, e - P), OSTD_OK);
	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
	ASSERT_TRUE(slot_is(&q, e - P, P, PT_ITEM_UNTRACKED, 3 * P, prop_rw));
	ASSERT_EQ(pt_cursor_find_next(&cur, 0 - (e - P), &found), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_unmap(&cur, 0 - (e - P), &count), OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_unmap(&cur, ~0ULL & ~(P - 1), &count), OSTD_EINVAL);
	ASSERT_EQ(found, 77);
	ASSERT_EQ(pt_cursor_find_next(&cur, P, &found), OSTD_OK);
	ASSERT_EQ(found, e - P);
	ASSERT_EQ(pt_cursor_jump(&cur, e - 4 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, 4 * P, &count), OSTD_OK);
	ASSERT_EQ(count, 4);
	ASSERT_EQ(pt_cursor_va(&cur), e);
	pt_cursor_drop(&cur);
	ASSERT_EQ(c.calls, 0);
	snap_take(&pt, &fx_after);
	ASSERT_EQ(fx_after.n, 0);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, jump_near_end)
{
	struct page_table pt;
	uint64_t b;
	uint64_t e;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	b = pt.va_start + SZ_1G;
	ASSERT_EQ(pt_cursor_new(&pt, b, b + 4 * P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_jump(&cur, b + 4 * P), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, b + 3 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), b + 3 * P);
	pt_cursor_drop(&cur);
	e = range_end(&pt);
	ASSERT_EQ(pt_cursor_new(&pt, e - P, e, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_jump(&cur, e), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, e - P), OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), e - P);
	pt_cursor_drop(&cur);
	table_destroy(&pt);
}

/* ---------------------------------------------------------------------
 * Navigation: OSTD's navigation module.
 * --------------------------------------------------------------------- */

TEST_FORMAT(pt_cursor, navigation_jump_and_query)
{
	struct page_table pt;
	struct frame f1;
	struct frame f2;
	struct pt_query q;
	uint64_t s;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f1), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f2), OSTD_OK);
	ASSERT_EQ(map_one(&pt, s + 7 * P, pt_item_frame(f1.pa), prop_rw),
		  OSTD_OK);
	ASSERT_EQ(map_one(&pt, s + SZ_1G, pt_item_frame(f2.pa), prop_rw),
		  OSTD_OK);
	ASSERT_EQ(pt_cursor_new(&pt, s, s + SZ_1G + P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), s);
	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
	ASSERT_EQ(q.item.kind, PT_ITEM_NONE);
	ASSERT_EQ(pt_cursor_jump(&cur, s + 7 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), s + 7 * P);
	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
	ASSERT_TRUE(slot_is(&q, s + 7 * P, P, PT_ITEM_FRAME, pa_addr(f1.pa),
			    prop_rw));
	ASSERT_EQ(pt_cursor_jump(&cur, s + SZ_1G), OSTD_OK);
	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
	ASSERT_TRUE(slot_is(&q, s + SZ_1G, P, PT_ITEM_FRAME, pa_addr(f2.pa),
			    prop_rw));
	pt_cursor_drop(&cur);
	table_destroy(&pt);
	frame_drop(&f1);
	frame_drop(&f2);
}

TEST_FORMAT(pt_cursor, jump_from_end_and_query_huge_middle)
{
	struct page_table pt;
	struct pt_query q;
	uint64_t b;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	b = pt.va_start + SZ_1G;
	ASSERT_EQ(pt_cursor_new_mut(&pt, b, b + 2 * SZ_2M, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_jump(&cur, b + SZ_2M), OSTD_OK);
	ASSERT_EQ(
		pt_cursor_map(&cur, pt_item_untracked(pa_init(0), 2), prop_rw),
		OSTD_OK);
	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_ERANGE);
	ASSERT_EQ(pt_cursor_jump(&cur, b), OSTD_OK);
	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
	ASSERT_EQ(q.item.kind, PT_ITEM_NONE);
	/* The slot of a huge page queried in its middle. */
	ASSERT_EQ(pt_cursor_jump(&cur, b + SZ_2M + SZ_2M / 2), OSTD_OK);
	ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
	ASSERT_TRUE(
		slot_is(&q, b + SZ_2M, SZ_2M, PT_ITEM_UNTRACKED, 0, prop_rw));
	pt_cursor_drop(&cur);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, jump_from_guard_level_end)
{
	struct page_table pt;
	uint64_t v;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	v = pt.va_start + SZ_2M - P;
	ASSERT_EQ(pt_cursor_new_mut(&pt, v, v + P, &cur), OSTD_OK);
	ASSERT_EQ(
		pt_cursor_map(&cur, pt_item_untracked(pa_init(0), 1), prop_rw),
		OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), v + P);
	ASSERT_EQ(pt_cursor_jump(&cur, v), OSTD_OK);
	ASSERT_EQ(pt_cursor_va(&cur), v);
	pt_cursor_drop(&cur);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, find_next_finds_mappings)
{
	struct page_table pt;
	uint64_t s;
	uint64_t found = 77;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	ASSERT_EQ(map_one(&pt, s + 7 * P, pt_item_untracked(pa_init(0), 1),
			  prop_rw),
		  OSTD_OK);
	ASSERT_EQ(map_one(&pt, s + SZ_1G, pt_item_untracked(pa_init(P), 1),
			  prop_rw),
		  OSTD_OK);
	ASSERT_EQ(pt_cursor_new(&pt, s, s + SZ_1G + P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_find_next(&cur, 8 * P, &found), OSTD_OK);
	ASSERT_EQ(found, s + 7 * P);
	ASSERT_EQ(pt_cursor_va(&cur), s + 7 * P);
	ASSERT_EQ(pt_cursor_jump(&cur, s + 8 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_find_next(&cur, SZ_1G - 7 * P, &found), OSTD_OK);
	ASSERT_EQ(found, s + SZ_1G);
	ASSERT_EQ(pt_cursor_va(&cur), s + SZ_1G);
	/* None: the cursor moves to va + len. */
	found = 77;
	ASSERT_EQ(pt_cursor_jump(&cur, s + 8 * P), OSTD_OK);
	ASSERT_EQ(pt_cursor_find_next(&cur, SZ_1G - 8 * P, &found),
		  OSTD_ENOENT);
	ASSERT_EQ(found, 77);
	ASSERT_EQ(pt_cursor_va(&cur), s + SZ_1G);
	/* Overflowing lengths. */
	ASSERT_EQ(pt_cursor_find_next(&cur, 0 - (s + SZ_1G), &found),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_find_next(&cur, ~0ULL & ~(P - 1), &found),
		  OSTD_EINVAL);
	ASSERT_EQ(pt_cursor_va(&cur), s + SZ_1G);
	pt_cursor_drop(&cur);

	/* A huge page that starts below the cursor is found at the cursor. */
	uint64_t h = s + 4 * SZ_2M;

	ASSERT_EQ(map_one(&pt, h, pt_item_untracked(pa_init(0), 2), prop_rw),
		  OSTD_OK);
	ASSERT_EQ(pt_cursor_new(&pt, h + 3 * P, h + 5 * P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_find_next(&cur, 2 * P, &found), OSTD_OK);
	ASSERT_EQ(found, h + 3 * P);
	ASSERT_EQ(pt_cursor_va(&cur), h + 3 * P);
	pt_cursor_drop(&cur);
	table_destroy(&pt);
}

/* ---------------------------------------------------------------------
 * Unmap: OSTD's unmap module and sub-tree removal.
 * --------------------------------------------------------------------- */

TEST_FORMAT(pt_cursor, unmap_one_page)
{
	struct page_table pt;
	uint64_t count = 0;
	uint64_t v;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	v = pt.va_start + P;
	ASSERT_EQ(map_one(&pt, v, pt_item_untracked(pa_init(100 * P), 1),
			  prop_rw),
		  OSTD_OK);
	ASSERT_TRUE(
		query_is(&pt, v, v, P, PT_ITEM_UNTRACKED, 100 * P, prop_rw));
	ASSERT_EQ(unmap_range(&pt, v, P, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	ASSERT_TRUE(query_none(&pt, v));
	ASSERT_NE(check_nodes(&pt), UINT64_MAX);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, unmap_detaches_sparse_subtree)
{
	struct page_table pt;
	uint64_t count = 0;
	uint64_t r;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	r = pt.va_start + 2 * SZ_1G;
	/* The next 1 GiB keeps the path above the region in place. */
	ASSERT_EQ(map_one(&pt, r + SZ_1G, pt_item_untracked(pa_init(0), 1),
			  prop_rw),
		  OSTD_OK);
	uint64_t nodes = check_nodes(&pt);
	uint64_t in_use = frame_stats_in_use();

	ASSERT_EQ(map_one(&pt, r + 513 * P, pt_item_untracked(pa_init(P), 1),
			  prop_rw),
		  OSTD_OK);
	uint64_t with_map = check_nodes(&pt);

	ASSERT_GT(with_map, nodes);
	/*
	 * A cursor over exactly the region (OSTD take_large_takes_subtree):
	 * the nodes below go; the region's own node may stay as the guard.
	 */
	ASSERT_EQ(unmap_range(&pt, r, SZ_1G, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	pt_rcu_barrier();
	ASSERT_LT(check_nodes(&pt), with_map);
	ASSERT_GE(check_nodes(&pt), nodes);
	/* A wider cursor detaches the region's node as well. */
	ASSERT_EQ(map_one(&pt, r + 513 * P, pt_item_untracked(pa_init(P), 1),
			  prop_rw),
		  OSTD_OK);
	ASSERT_EQ(pt_cursor_new_mut(&pt, r, r + 2 * SZ_1G, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, SZ_1G, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	pt_cursor_drop(&cur);
	pt_rcu_barrier();
	ASSERT_EQ(check_nodes(&pt), nodes);
	ASSERT_EQ(frame_stats_in_use(), in_use);
	ASSERT_TRUE(query_is(&pt, r + SZ_1G, r + SZ_1G, P, PT_ITEM_UNTRACKED, 0,
			     prop_rw));
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, unmap_whole_1g_of_4k_pages)
{
	const uint64_t pages = SZ_1G / P;
	struct page_table pt;
	struct pt_check_stats st0;
	struct pt_check_stats st;
	uint64_t count = 0;
	uint64_t r;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	r = pt.va_start + 2 * SZ_1G;
	ASSERT_EQ(map_one(&pt, r + SZ_1G, pt_item_untracked(pa_init(0), 1),
			  prop_rw),
		  OSTD_OK);
	ASSERT_EQ(pt_check(&pt, &st0), OSTD_OK);
	uint64_t in_use = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_new_mut(&pt, r, r + SZ_1G, &cur), OSTD_OK);
	for (uint64_t i = 0; i < pages; i++) {
		ASSERT_EQ(pt_cursor_map(&cur,
					pt_item_untracked(pa_init(i * P), 1),
					prop_rw),
			  OSTD_OK);
	}
	pt_cursor_drop(&cur);
	ASSERT_EQ(pt_check(&pt, &st), OSTD_OK);
	uint64_t added = st.nodes - st0.nodes;

	/* 512 leaf nodes, plus their parent unless it is pre-allocated. */
	ASSERT_GE(added, 512);
	ASSERT_LE(added, 513);
	ASSERT_EQ(st.leaves, st0.leaves + pages);
	ASSERT_EQ(frame_stats_in_use(), in_use + added);

	/* Wider than the region, so its own node can go too. */
	ASSERT_EQ(pt_cursor_new_mut(&pt, r, r + 2 * SZ_1G, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, SZ_1G, &count), OSTD_OK);
	ASSERT_EQ(count, pages);
	/*
	 * Detached, not freed: the flusher and RCU hold them (S2, R6). A
	 * full keep list may have released some, but only after a flush.
	 */
	uint64_t mid = frame_stats_in_use();

	ASSERT_LE(mid, in_use + added);
	if (mid < in_use + added) {
		ASSERT_GT(pt_cursor_flusher(&cur)->dispatches, 0);
	}
	ASSERT_GT(tlb_flusher_kept(pt_cursor_flusher(&cur)), 0);
	pt_cursor_drop(&cur);
	pt_rcu_barrier();
	ASSERT_EQ(pt_check(&pt, &st), OSTD_OK);
	ASSERT_EQ(st.nodes, st0.nodes);
	ASSERT_EQ(st.leaves, st0.leaves);
	ASSERT_EQ(frame_stats_in_use(), in_use);
	table_destroy(&pt);
}

/* ---------------------------------------------------------------------
 * Mixed granularity and huge-page splits: OSTD's mapping module.
 * --------------------------------------------------------------------- */

TEST_FORMAT(pt_cursor, mixed_granularity_map_unmap)
{
	struct page_table pt;
	struct leaf_walk w;
	uint64_t expect[PT_MAX_LEVELS + 1] = { 0 };
	uint64_t count = 0;
	uint64_t s;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	/* Pages 13245 .. +3*512+100 to pa 22 * 2 MiB lower: 4K, 2M, 4K. */
	uint64_t va = s + 13245 * P;
	uint64_t pa = (13245 - 11264) * P;
	uint64_t len = (3 * 512 + 100) * P;

	ASSERT_EQ(map_range(&pt, va, pa, len, prop_rw), OSTD_OK);
	count_largest_pages(cfg, va, pa, len, expect);
	ASSERT_GT(expect[1], 0);
	ASSERT_GT(expect[2], 0);
	walk_take(&pt, va - pa, &w);
	ASSERT_EQ(w.bad, 0);
	ASSERT_EQ(w.n_level[1], expect[1]);
	ASSERT_EQ(w.n_level[2], expect[2]);
	/* Queries at a stride that is not a page multiple. */
	for (uint64_t i = 0; i < 100; i++) {
		uint64_t off = i * (P + 1000);
		struct pt_query q;

		ASSERT_EQ(query_at(&pt, (va + off) & ~(P - 1), &q), OSTD_OK);
		ASSERT_EQ(q.item.kind, PT_ITEM_UNTRACKED);
		ASSERT_EQ(pa_addr(q.item.pa) + (va + off - q.va), pa + off);
	}
	/* One page inside the first 2 MiB page: split at both ends. */
	uint64_t u = s + 13456 * P;

	ASSERT_TRUE(query_is(&pt, u, s + 13312 * P, SZ_2M, PT_ITEM_UNTRACKED,
			     pa + (13312 - 13245) * P, prop_rw));
	ASSERT_EQ(unmap_range(&pt, u, P, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	ASSERT_TRUE(query_none(&pt, u));
	ASSERT_TRUE(query_is(&pt, u - P, u - P, P, PT_ITEM_UNTRACKED,
			     u - P - (va - pa), prop_rw));
	ASSERT_TRUE(query_is(&pt, u + P, u + P, P, PT_ITEM_UNTRACKED,
			     u + P - (va - pa), prop_rw));
	walk_take(&pt, va - pa, &w);
	ASSERT_EQ(w.bad, 0);
	ASSERT_EQ(w.n_level[1], expect[1] + 511);
	ASSERT_EQ(w.n_level[2], expect[2] - 1);
	ASSERT_NE(check_nodes(&pt), UINT64_MAX);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, mixed_granularity_protect_query)
{
	struct page_table pt;
	struct leaf_walk w;
	struct protect_ctx c = { .clear = PROT_W };
	uint64_t expect[PT_MAX_LEVELS + 1] = { 0 };
	uint64_t s;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	/* 1 GiB - 2 MiB .. 2 GiB + 2 MiB + 2 pages, pa 2 MiB lower. */
	uint64_t va = s + SZ_1G - SZ_2M;
	uint64_t pa = SZ_1G - 2 * SZ_2M;
	uint64_t len = SZ_1G + 2 * SZ_2M + 2 * P;

	ASSERT_EQ(map_range(&pt, va, pa, len, prop_rw), OSTD_OK);
	count_largest_pages(cfg, va, pa, len, expect);
	ASSERT_EQ(expect[2], 512 + 2);
	ASSERT_EQ(expect[1], 2);
	walk_take(&pt, va - pa, &w);
	ASSERT_EQ(w.bad, 0);
	ASSERT_EQ(w.n, 512 + 2 + 2);
	ASSERT_EQ(w.n_level[2], 512 + 2);
	/* Protect two pages in the first 2 MiB page. */
	uint64_t ps = va + 18 * P;

	ASSERT_TRUE(protect_range(&pt, ps, 2 * P, &c));
	ASSERT_EQ(c.calls, 2);
	ASSERT_TRUE(query_is(&pt, ps - P, ps - P, P, PT_ITEM_UNTRACKED,
			     ps - P - (va - pa), prop_rw));
	ASSERT_TRUE(query_is(&pt, ps, ps, P, PT_ITEM_UNTRACKED, ps - (va - pa),
			     prop_ro));
	ASSERT_TRUE(query_is(&pt, ps + P, ps + P, P, PT_ITEM_UNTRACKED,
			     ps + P - (va - pa), prop_ro));
	ASSERT_TRUE(query_is(&pt, ps + 2 * P, ps + 2 * P, P, PT_ITEM_UNTRACKED,
			     ps + 2 * P - (va - pa), prop_rw));
	ASSERT_TRUE(query_is(&pt, va + SZ_2M, va + SZ_2M, SZ_2M,
			     PT_ITEM_UNTRACKED, pa + SZ_2M, prop_rw));
	walk_take(&pt, va - pa, &w);
	ASSERT_EQ(w.bad, 0);
	ASSERT_EQ(w.n_level[1], 2 + 512);
	ASSERT_EQ(w.n_level[2], 512 + 1);
	ASSERT_NE(check_nodes(&pt), UINT64_MAX);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, mixed_granularity_1g)
{
	struct page_table pt;
	struct leaf_walk w;
	struct protect_ctx c = { .clear = PROT_W };
	uint64_t count = 0;
	uint64_t s;

	if (cfg->highest_translation_level < 3) {
		/* No 1 GiB leaves in this format (Sv39): the 4K and 2M
		 * mixes are covered by the tests above. */
		return;
	}
	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	/* 4K, 2M, 1G, 2M, 4K: pa congruent to va modulo 1 GiB. */
	uint64_t va = s + SZ_1G - SZ_2M - P;
	uint64_t pa = SZ_1G - SZ_2M - P;
	uint64_t len = SZ_1G + 2 * SZ_2M + 2 * P;
	uint64_t g = s + SZ_1G;

	ASSERT_EQ(map_range(&pt, va, pa, len, prop_rw), OSTD_OK);
	walk_take(&pt, va - pa, &w);
	ASSERT_EQ(w.bad, 0);
	ASSERT_EQ(w.n, 5);
	ASSERT_EQ(w.n_level[3], 1);
	ASSERT_TRUE(query_is(&pt, g + 5 * SZ_2M + 3 * P, g, SZ_1G,
			     PT_ITEM_UNTRACKED, SZ_1G, prop_rw));
	/* Unmap one page inside the 1 GiB page: 511 2M + 511 4K remain. */
	uint64_t u = g + 2 * SZ_2M + P;

	ASSERT_EQ(unmap_range(&pt, u, P, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	ASSERT_TRUE(query_none(&pt, u));
	ASSERT_TRUE(query_is(&pt, u - P, u - P, P, PT_ITEM_UNTRACKED,
			     u - P - (va - pa), prop_rw));
	ASSERT_TRUE(query_is(&pt, u + P, u + P, P, PT_ITEM_UNTRACKED,
			     u + P - (va - pa), prop_rw));
	ASSERT_TRUE(
		query_is(&pt, g, g, SZ_2M, PT_ITEM_UNTRACKED, SZ_1G, prop_rw));
	ASSERT_TRUE(query_is(&pt, g + SZ_1G - SZ_2M, g + SZ_1G - SZ_2M, SZ_2M,
			     PT_ITEM_UNTRACKED, 2 * SZ_1G - SZ_2M, prop_rw));
	walk_take(&pt, va - pa, &w);
	ASSERT_EQ(w.bad, 0);
	ASSERT_EQ(w.n_level[3], 0);
	ASSERT_EQ(w.n_level[2], 2 + 511);
	ASSERT_EQ(w.n_level[1], 2 + 511);
	/* Protect exactly one 2 MiB piece: no split. */
	ASSERT_TRUE(protect_range(&pt, g + 6 * SZ_2M, SZ_2M, &c));
	ASSERT_EQ(c.calls, 1);
	ASSERT_TRUE(query_is(&pt, g + 6 * SZ_2M, g + 6 * SZ_2M, SZ_2M,
			     PT_ITEM_UNTRACKED, SZ_1G + 6 * SZ_2M, prop_ro));
	ASSERT_TRUE(query_is(&pt, g + 7 * SZ_2M, g + 7 * SZ_2M, SZ_2M,
			     PT_ITEM_UNTRACKED, SZ_1G + 7 * SZ_2M, prop_rw));
	/* Everything goes. */
	ASSERT_EQ(unmap_range(&pt, va, len, &count), OSTD_OK);
	ASSERT_EQ(count, 4 + 511 + 511);
	walk_take(&pt, 0, &w);
	ASSERT_EQ(w.n, 0);
	ASSERT_NE(check_nodes(&pt), UINT64_MAX);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, unmap_splits_huge_page_at_both_ends)
{
	struct page_table pt;
	struct leaf_walk w;
	uint64_t count = 0;
	uint64_t b;
	uint64_t pa = 5 * SZ_2M;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	b = pt.va_start + SZ_1G;
	ASSERT_EQ(map_one(&pt, b, pt_item_untracked(pa_init(pa), 2), prop_rw),
		  OSTD_OK);
	ASSERT_EQ(unmap_range(&pt, b + P, 2 * P, &count), OSTD_OK);
	ASSERT_EQ(count, 2);
	ASSERT_TRUE(query_is(&pt, b, b, P, PT_ITEM_UNTRACKED, pa, prop_rw));
	ASSERT_TRUE(query_none(&pt, b + P));
	ASSERT_TRUE(query_none(&pt, b + 2 * P));
	ASSERT_TRUE(query_is(&pt, b + 3 * P, b + 3 * P, P, PT_ITEM_UNTRACKED,
			     pa + 3 * P, prop_rw));
	ASSERT_TRUE(query_is(&pt, b + SZ_2M - P, b + SZ_2M - P, P,
			     PT_ITEM_UNTRACKED, pa + SZ_2M - P, prop_rw));
	walk_take(&pt, b - pa, &w);
	ASSERT_EQ(w.bad, 0);
	ASSERT_EQ(w.n, 510);
	ASSERT_EQ(w.n_level[1], 510);
	ASSERT_NE(check_nodes(&pt), UINT64_MAX);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, protect_splits_huge_page_at_both_ends)
{
	struct page_table pt;
	struct leaf_walk w;
	struct protect_ctx c = { .clear = PROT_W };
	uint64_t rs = 0;
	uint64_t rl = 0;
	uint64_t b;
	uint64_t pa = 5 * SZ_2M;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	b = pt.va_start + SZ_1G;
	ASSERT_EQ(map_one(&pt, b, pt_item_untracked(pa_init(pa), 2), prop_rw),
		  OSTD_OK);
	ASSERT_EQ(pt_cursor_new_mut(&pt, b + P, b + 3 * P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_protect_next(&cur, 2 * P, protect_apply, &c, &rs,
					 &rl),
		  OSTD_OK);
	ASSERT_EQ(rs, b + P);
	ASSERT_EQ(rl, P);
	ASSERT_EQ(pt_cursor_va(&cur), b + 2 * P);
	ASSERT_EQ(pt_cursor_protect_next(&cur, P, protect_apply, &c, &rs, &rl),
		  OSTD_OK);
	ASSERT_EQ(rs, b + 2 * P);
	ASSERT_EQ(rl, P);
	ASSERT_EQ(pt_cursor_protect_next(&cur, 0, protect_apply, &c, &rs, &rl),
		  OSTD_ENOENT);
	tlb_flusher_issue(pt_cursor_flusher(&cur),
			  (struct tlb_op){ .kind = TLB_OP_RANGE,
					   .va = b + P,
					   .len = 2 * P });
	pt_cursor_drop(&cur);
	ASSERT_EQ(c.calls, 2);
	ASSERT_TRUE(query_is(&pt, b, b, P, PT_ITEM_UNTRACKED, pa, prop_rw));
	ASSERT_TRUE(query_is(&pt, b + P, b + P, P, PT_ITEM_UNTRACKED, pa + P,
			     prop_ro));
	ASSERT_TRUE(query_is(&pt, b + 2 * P, b + 2 * P, P, PT_ITEM_UNTRACKED,
			     pa + 2 * P, prop_ro));
	ASSERT_TRUE(query_is(&pt, b + 3 * P, b + 3 * P, P, PT_ITEM_UNTRACKED,
			     pa + 3 * P, prop_rw));
	walk_take(&pt, b - pa, &w);
	ASSERT_EQ(w.bad, 0);
	ASSERT_EQ(w.n, 512);
	ASSERT_EQ(w.n_level[1], 512);
	ASSERT_NE(check_nodes(&pt), UINT64_MAX);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, protect_next_empty_range)
{
	struct page_table pt;
	struct protect_ctx c = { .set = PROT_R, .clear = PROT_W };
	uint64_t rs = 77;
	uint64_t rl = 77;
	uint64_t s;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	ASSERT_EQ(pt_cursor_new_mut(&pt, s + P, s + 2 * P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_protect_next(&cur, P, protect_apply, &c, &rs, &rl),
		  OSTD_ENOENT);
	ASSERT_EQ(pt_cursor_va(&cur), s + 2 * P);
	pt_cursor_drop(&cur);
	ASSERT_EQ(c.calls, 0);
	ASSERT_EQ(rs, 77);
	ASSERT_EQ(rl, 77);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, protect_next_touches_only_mapped)
{
	struct page_table pt;
	struct protect_ctx c = { .clear = PROT_W };
	uint64_t rs = 0;
	uint64_t rl = 0;
	uint64_t s;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	s = pt.va_start;
	ASSERT_EQ(map_one(&pt, s + 2 * P, pt_item_untracked(pa_init(2 * P), 1),
			  prop_rw),
		  OSTD_OK);
	ASSERT_EQ(pt_cursor_new_mut(&pt, s + P, s + 3 * P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_protect_next(&cur, 2 * P, protect_apply, &c, &rs,
					 &rl),
		  OSTD_OK);
	ASSERT_EQ(rs, s + 2 * P);
	ASSERT_EQ(rl, P);
	ASSERT_EQ(pt_cursor_va(&cur), s + 3 * P);
	pt_cursor_drop(&cur);
	ASSERT_EQ(c.calls, 1);
	ASSERT_TRUE(query_is(&pt, s + 2 * P, s + 2 * P, P, PT_ITEM_UNTRACKED,
			     2 * P, prop_ro));
	table_destroy(&pt);
}

/* ---------------------------------------------------------------------
 * Tracked frames and properties.
 * --------------------------------------------------------------------- */

TEST_FORMAT(pt_cursor, tracked_frame_refcount_counts_mappings)
{
	struct page_table pt;
	struct pt_check_stats st;
	struct frame f;
	uint64_t count = 0;
	uint64_t a;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	a = pt.va_start + 3 * SZ_2M;
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	ASSERT_EQ(map_one(&pt, a, pt_item_frame(f.pa), prop_rw), OSTD_OK);
	ASSERT_EQ(map_one(&pt, a + P, pt_item_frame(f.pa), prop_ro), OSTD_OK);
	/* The handle's reference and one per mapping. */
	ASSERT_EQ(frame_refcount(f.pa), 3);
	ASSERT_EQ(pt_check(&pt, &st), OSTD_OK);
	ASSERT_EQ(st.tracked_leaves, 2);
	ASSERT_TRUE(
		query_is(&pt, a, a, P, PT_ITEM_FRAME, pa_addr(f.pa), prop_rw));
	ASSERT_TRUE(query_is(&pt, a + P, a + P, P, PT_ITEM_FRAME, pa_addr(f.pa),
			     prop_ro));
	ASSERT_EQ(unmap_range(&pt, a, P, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	pt_rcu_barrier();
	ASSERT_EQ(frame_refcount(f.pa), 2);
	ASSERT_EQ(pt_check(&pt, &st), OSTD_OK);
	ASSERT_EQ(st.tracked_leaves, 1);
	/* Destroying the table drops the remaining mapping's reference. */
	table_destroy(&pt);
	ASSERT_EQ(frame_refcount(f.pa), 1);
	frame_drop(&f);
}

TEST_FORMAT(pt_cursor, map_preserves_page_property)
{
	struct page_table pt;
	struct pt_query q;
	struct frame f;
	uint64_t a;
	unsigned int tried = 0;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	a = pt.va_start + SZ_1G;
	ASSERT_EQ(pt_cursor_new_mut(&pt, a, a + P, &cur), OSTD_OK);
	for (uint32_t flags = 0; flags <= PT_FLAGS_ALL; flags++) {
		/* AVAIL1 is the core's; W+X is never in a kernel table. */
		if ((flags & PT_AVAIL1) != 0 ||
		    (!cfg->top_level_can_unmap &&
		     (flags & (PROT_W | PROT_X)) == (PROT_W | PROT_X))) {
			continue;
		}
		for (int cache = 0; cache < PT_CACHE_COUNT; cache++) {
			struct pt_prop prop = { .flags = flags,
						.cache = (enum pt_cache)cache };

			if (pt_config_leaf_ok(cfg, pa_init(0), 1, prop) !=
			    OSTD_OK) {
				continue;
			}
			tried++;
			ASSERT_EQ(
				pt_cursor_map(&cur, pt_item_frame(f.pa), prop),
				OSTD_OK);
			ASSERT_EQ(pt_cursor_jump(&cur, a), OSTD_OK);
			ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
			ASSERT_TRUE(slot_is(&q, a, P, PT_ITEM_FRAME,
					    pa_addr(f.pa), prop));
			ASSERT_EQ(pt_cursor_unmap(&cur, P, NULL), OSTD_OK);
			ASSERT_EQ(pt_cursor_jump(&cur, a), OSTD_OK);
			ASSERT_EQ(
				pt_cursor_map(&cur,
					      pt_item_untracked(pa_init(P), 1),
					      prop),
				OSTD_OK);
			ASSERT_EQ(pt_cursor_jump(&cur, a), OSTD_OK);
			ASSERT_EQ(pt_cursor_query(&cur, &q), OSTD_OK);
			ASSERT_TRUE(
				slot_is(&q, a, P, PT_ITEM_UNTRACKED, P, prop));
			ASSERT_EQ(pt_cursor_unmap(&cur, P, NULL), OSTD_OK);
			ASSERT_EQ(pt_cursor_jump(&cur, a), OSTD_OK);
		}
	}
	pt_cursor_drop(&cur);
	ASSERT_GT(tried, 0);
	ASSERT_EQ(frame_refcount(f.pa), 1);
	table_destroy(&pt);
	frame_drop(&f);
}

TEST_FORMAT(pt_cursor, map_rejects_avail1_and_illegal_props)
{
	struct page_table pt;
	struct frame f;
	struct pt_prop avail = prop_rw;
	struct pt_prop bad_cache = prop_rw;
	struct pt_prop illegal = prop_rw;
	struct protect_ctx c = { .clear = PROT_W };
	uint64_t rs = 0;
	uint64_t rl = 0;
	bool found = false;
	uint64_t a;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	a = pt.va_start + SZ_1G;
	avail.flags |= PT_AVAIL1;
	bad_cache.cache = PT_CACHE_COUNT;
	for (uint32_t flags = 0; flags <= PT_FLAGS_ALL && !found; flags++) {
		illegal.flags = flags & ~PT_AVAIL1;
		found = pt_config_leaf_ok(cfg, pa_init(0), 1, illegal) ==
			OSTD_EPERM;
	}
	ASSERT_TRUE(found);
	ASSERT_EQ(pt_cursor_new_mut(&pt, a, a + P, &cur), OSTD_OK);
	uint64_t used = frame_stats_in_use();

	ASSERT_EQ(pt_cursor_map(&cur, pt_item_frame(f.pa), avail), OSTD_EPERM);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_untracked(pa_init(0), 1), avail),
		  OSTD_EPERM);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_frame(f.pa), illegal),
		  OSTD_EPERM);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_untracked(pa_init(0), 1),
				bad_cache),
		  OSTD_EPERM);
	ASSERT_EQ(pt_cursor_va(&cur), a);
	ASSERT_EQ(frame_stats_in_use(), used);
	pt_cursor_drop(&cur);

	/* A free frame cannot be mapped. */
	struct frame gone;

	ASSERT_EQ(frame_alloc(&frame_type_untyped, &gone), OSTD_OK);
	paddr_t gone_pa = gone.pa;

	frame_drop(&gone);
	ASSERT_EQ(map_one(&pt, a, pt_item_frame(gone_pa), prop_rw), OSTD_EPERM);
	ASSERT_EQ(frame_refcount(gone_pa), FRAME_REF_UNUSED);

	/* A read cursor changes nothing. */
	ASSERT_EQ(pt_cursor_new(&pt, a, a + P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_map(&cur, pt_item_frame(f.pa), prop_rw),
		  OSTD_EPERM);
	ASSERT_EQ(pt_cursor_unmap(&cur, P, NULL), OSTD_EPERM);
	ASSERT_EQ(pt_cursor_protect_next(&cur, P, protect_apply, &c, &rs, &rl),
		  OSTD_EPERM);
	ASSERT_EQ(c.calls, 0);
	pt_cursor_drop(&cur);

	snap_take(&pt, &fx_after);
	ASSERT_EQ(fx_after.n, 0);
	ASSERT_EQ(frame_refcount(f.pa), 1);
	table_destroy(&pt);
	frame_drop(&f);
}

TEST_FORMAT(pt_cursor, query_hides_avail1_of_tracked_leaves)
{
	struct page_table pt;
	struct frame f;
	uint64_t a;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	a = pt.va_start + SZ_1G;
	ASSERT_EQ(map_one(&pt, a, pt_item_frame(f.pa), prop_rw), OSTD_OK);
	ASSERT_TRUE(
		query_is(&pt, a, a, P, PT_ITEM_FRAME, pa_addr(f.pa), prop_rw));
	snap_take(&pt, &fx_after);
	ASSERT_EQ(fx_after.n, 1);
	ASSERT_EQ(fx_after.leaves[0].item.kind, PT_ITEM_FRAME);
	ASSERT_EQ(fx_after.leaves[0].prop.flags & PT_AVAIL1, 0);
	ASSERT_TRUE(pt_prop_eq(fx_after.leaves[0].prop, prop_rw));
	table_destroy(&pt);
	frame_drop(&f);
}

/* ---------------------------------------------------------------------
 * The kernel's top-level entries (DESIGN.md §2, I1).
 * --------------------------------------------------------------------- */

static pte_t kroot_before[PT_ENTRIES];

TEST_FORMAT(pt_cursor, kernel_top_level_shared_and_untouchable)
{
	const struct pt_config *ucfg;
	const struct pt_config *kcfg;
	struct page_table k;
	struct page_table u;
	struct pt_check_stats st0;
	struct pt_check_stats st;
	uint64_t count = 0;

	ASSERT_TRUE(find_pair(cfg, &ucfg, &kcfg));
	ASSERT_EQ(page_table_new_kernel(kcfg, &k), OSTD_OK);
	ASSERT_EQ(pt_check(&k, &st0), OSTD_OK);
	/* The root and one pre-allocated child per root index. */
	ASSERT_EQ(st0.nodes,
		  1 + (kcfg->top_index_last - kcfg->top_index_first + 1));
	ASSERT_EQ(page_table_new_user(ucfg, &k, &u), OSTD_OK);
	ASSERT_TRUE(u.kernel == &k);
	ASSERT_TRUE(root_shares_kernel(&u, &k));
	memcpy(kroot_before, arch_paddr_to_ptr(k.root), sizeof(kroot_before));

	uint64_t slot = pt_page_size(kcfg->nr_levels);
	uint64_t kva = k.va_start + SZ_2M;

	ASSERT_EQ(
		map_one(&k, kva, pt_item_untracked(pa_init(SZ_2M), 1), prop_rw),
		OSTD_OK);
	/* A user cursor cannot even be created over the kernel half. */
	ASSERT_EQ(try_cursor(&u, kva, kva + P), OSTD_ERANGE);
	ASSERT_EQ(try_cursor(&u, k.va_start, k.va_start + slot), OSTD_ERANGE);
	ASSERT_EQ(try_cursor(&u, u.va_start, k.va_start + slot), OSTD_ERANGE);
	ASSERT_TRUE(root_shares_kernel(&u, &k));

	/* Unmapping a whole root slot keeps the slot's child. */
	ASSERT_EQ(unmap_range(&k, k.va_start, slot, &count), OSTD_OK);
	ASSERT_EQ(count, 1);
	pt_rcu_barrier();
	ASSERT_EQ(pt_check(&k, &st), OSTD_OK);
	ASSERT_EQ(st.nodes, st0.nodes);
	ASSERT_EQ(st.leaves, 0);
	ASSERT_EQ(memcmp(kroot_before, arch_paddr_to_ptr(k.root),
			 sizeof(kroot_before)),
		  0);
	ASSERT_TRUE(root_shares_kernel(&u, &k));

	/* So does unmapping the whole kernel half. */
	ASSERT_EQ(unmap_range(&k, k.va_start, TOP_END - k.va_start, &count),
		  OSTD_OK);
	ASSERT_EQ(count, 0);
	pt_rcu_barrier();
	ASSERT_EQ(check_nodes(&k), st0.nodes);
	ASSERT_EQ(memcmp(kroot_before, arch_paddr_to_ptr(k.root),
			 sizeof(kroot_before)),
		  0);

	/* The whole user half from the user table: the kernel half stays. */
	ASSERT_EQ(map_one(&u, u.va_start + SZ_1G,
			  pt_item_untracked(pa_init(0), 1), prop_rw),
		  OSTD_OK);
	ASSERT_EQ(
		unmap_range(&u, u.va_start, range_end(&u) - u.va_start, &count),
		OSTD_OK);
	ASSERT_EQ(count, 1);
	pt_rcu_barrier();
	ASSERT_TRUE(root_shares_kernel(&u, &k));
	ASSERT_NE(check_nodes(&u), UINT64_MAX);

	/* Destroying the user table leaves the shared nodes to the kernel. */
	table_destroy(&u);
	ASSERT_EQ(check_nodes(&k), st0.nodes);
	ASSERT_EQ(memcmp(kroot_before, arch_paddr_to_ptr(k.root),
			 sizeof(kroot_before)),
		  0);
	table_destroy(&k);
}

/* ---------------------------------------------------------------------
 * The TLB flusher (DESIGN.md §6), checked through its struct so that the
 * tests stay arch-neutral.
 * --------------------------------------------------------------------- */

#define NR_KEPT 4

/* Maps NR_KEPT frames at @p b whose only references are their PTEs, and
 * an untracked page at b + 8 pages that keeps the leaf node in place. */
static ostd_err_t map_owned_frames(struct page_table *pt, uint64_t b,
				   paddr_t pas[NR_KEPT])
{
	ostd_err_t err = OSTD_OK;

	for (unsigned int i = 0; i < NR_KEPT && err == OSTD_OK; i++) {
		struct frame f;

		err = frame_alloc(&frame_type_untyped, &f);
		if (err != OSTD_OK) {
			break;
		}
		err = map_one(pt, b + i * P, pt_item_frame(f.pa), prop_rw);
		pas[i] = f.pa;
		frame_drop(&f);
	}
	if (err == OSTD_OK) {
		err = map_one(pt, b + 8 * P, pt_item_untracked(pa_init(0), 1),
			      prop_rw);
	}
	return err;
}

TEST_FORMAT(pt_cursor, flusher_keeps_frames_until_drop)
{
	struct page_table pt;
	paddr_t pas[NR_KEPT];
	uint64_t count = 0;
	uint64_t b;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	b = pt.va_start + SZ_1G;
	ASSERT_EQ(map_owned_frames(&pt, b, pas), OSTD_OK);
	for (unsigned int i = 0; i < NR_KEPT; i++) {
		ASSERT_EQ(frame_refcount(pas[i]), 1);
	}
	ASSERT_EQ(pt_cursor_new_mut(&pt, b, b + NR_KEPT * P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, NR_KEPT * P, &count), OSTD_OK);
	ASSERT_EQ(count, NR_KEPT);
	/* Unmapped, but the flusher holds them until the flush is done. */
	for (unsigned int i = 0; i < NR_KEPT; i++) {
		ASSERT_EQ(frame_refcount(pas[i]), 1);
	}
	ASSERT_GE(tlb_flusher_kept(pt_cursor_flusher(&cur)), NR_KEPT);
	pt_cursor_drop(&cur);
	for (unsigned int i = 0; i < NR_KEPT; i++) {
		ASSERT_EQ(frame_refcount(pas[i]), FRAME_REF_UNUSED);
	}
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, flusher_sync_releases_kept_frames)
{
	struct page_table pt;
	paddr_t pas[NR_KEPT];
	uint64_t count = 0;
	uint64_t b;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	b = pt.va_start + SZ_1G;
	ASSERT_EQ(map_owned_frames(&pt, b, pas), OSTD_OK);
	ASSERT_EQ(pt_cursor_new_mut(&pt, b, b + NR_KEPT * P, &cur), OSTD_OK);
	ASSERT_EQ(pt_cursor_unmap(&cur, NR_KEPT * P, &count), OSTD_OK);
	ASSERT_EQ(count, NR_KEPT);

	struct tlb_flusher *f = pt_cursor_flusher(&cur);
	uint64_t dispatches = f->dispatches;

	/* Dispatched is not yet done: still kept. */
	tlb_flusher_dispatch(f);
	ASSERT_GT(f->dispatches, dispatches);
	ASSERT_GE(tlb_flusher_kept(f), NR_KEPT);
	for (unsigned int i = 0; i < NR_KEPT; i++) {
		ASSERT_EQ(frame_refcount(pas[i]), 1);
	}
	tlb_flusher_sync(f);
	ASSERT_EQ(tlb_flusher_kept(f), 0);
	for (unsigned int i = 0; i < NR_KEPT; i++) {
		ASSERT_EQ(frame_refcount(pas[i]), FRAME_REF_UNUSED);
	}
	pt_cursor_drop(&cur);
	table_destroy(&pt);
}

TEST_FORMAT(pt_cursor, flusher_32_pages_flush_all)
{
	struct page_table pt;
	uint64_t count = 0;
	uint64_t b;
	const uint64_t n = TLB_FLUSH_ALL_PAGES;

	ASSERT_EQ(pt_test_new_table(cfg, &pt), OSTD_OK);
	b = pt.va_start + SZ_1G;
	ASSERT_EQ(map_range(&pt, b, 0, (n + 8) * P, prop_rw), OSTD_OK);

	/* Issued by hand: one page short stays a range, 32 flush all. */
	ASSERT_EQ(pt_cursor_new_mut(&pt, b, b + n * P, &cur), OSTD_OK);
	struct tlb_flusher *f = pt_cursor_flusher(&cur);

	tlb_flusher_issue(f, (struct tlb_op){ .kind = TLB_OP_RANGE,
					      .va = b,
					      .len = (n - 1) * P });
	ASSERT_FALSE(flush_all_requested(f));
	tlb_flusher_issue(
		f,
		(struct tlb_op){ .kind = TLB_OP_RANGE, .va = b, .len = n * P });
	ASSERT_TRUE(flush_all_requested(f));
	pt_cursor_drop(&cur);

	/* An unmap of 32 pages. */
	ASSERT_EQ(pt_cursor_new_mut(&pt, b, b + n * P, &cur), OSTD_OK);
	f = pt_cursor_flusher(&cur);
	ASSERT_FALSE(flush_all_requested(f));
	ASSERT_EQ(pt_cursor_unmap(&cur, n * P, &count), OSTD_OK);
	ASSERT_EQ(count, n);
	ASSERT_TRUE(flush_all_requested(f));
	pt_cursor_drop(&cur);

	/* A small unmap flushes just what it removed. */
	ASSERT_EQ(pt_cursor_new_mut(&pt, b + n * P, b + (n + 2) * P, &cur),
		  OSTD_OK);
	f = pt_cursor_flusher(&cur);
	ASSERT_EQ(pt_cursor_unmap(&cur, 2 * P, &count), OSTD_OK);
	ASSERT_EQ(count, 2);
	ASSERT_FALSE(flush_all_requested(f));
	ASSERT_GT(f->op_count, 0);
	pt_cursor_drop(&cur);
	table_destroy(&pt);
}

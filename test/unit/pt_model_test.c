// SPDX-License-Identifier: MPL-2.0
/*
 * Model-based randomized testing of the page-table cursors (TESTING.md
 * "Model-based randomized testing (M)"): random operations applied both to
 * a real table and to the reference model (test/lib/pt_model.h), for every
 * page-table format.
 *
 * After every operation the results (errors included), the outputs of a
 * failed call (untouched), the cursor address and the leaves of the range
 * the operation could change are compared; the range is read by the
 * model's own walker, which costs the nodes in that range only. A full
 * check runs at the first cursor drop after FULL_CHECK_OPS operations
 * (or with the cursor held, after four times as many): pt_check(), its
 * leaf counts against the model's, every window's leaves, and the frames
 * in use, which must be exactly the table's nodes plus its tracked pages.
 * Before a table is destroyed its leaves are compared through the core's
 * own pt_for_each_leaf(), and afterwards no frame may be left over.
 * (pt_check() after every operation would cost a walk of the whole table
 * each time; a kernel table alone has a node per root entry.)
 *
 * On a divergence the test prints the seed, the operation index, the
 * shortest failing prefix of the operation list shrunk by delta debugging
 * (ddmin), and fails.
 */

#include "ostd/frame.h"
#include "ostd/internal/page_table.h"
#include "ostd/page_table.h"
#include "ostd/printf.h"
#include "ostd/string.h"
#include "ostd/test.h"

#include "../lib/pt_model.h"
#include "../lib/pt_model_ops.h"
#include "../lib/pt_test_util.h"
#include "../lib/pt_tlb_check.h"

#ifdef UNIT_TESTING
#include <time.h>
#endif

/*
 * How much to run: Kconfig sets it per runner (TEST_MODEL_SEEDS/OPS): the
 * host's ASan runner does the full 64 x 20,000 per format; the TSan and
 * overflow-trapping runners and the kernel images, several times slower
 * per operation, a smaller slice.
 */
#define MODEL_SEEDS ((unsigned int)CONFIG_TEST_MODEL_SEEDS)
#define MODEL_OPS ((unsigned int)CONFIG_TEST_MODEL_OPS)

/* Operations between two full checks. */
#define FULL_CHECK_OPS 512U

/* ---------------------------------------------------------------------
 * Randomness: splitmix64 (pt_test_util.h), seeded per (format, seed).
 * --------------------------------------------------------------------- */

static uint64_t seed_of(const struct pt_config *cfg, unsigned int seed)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *p = cfg->name; *p != '\0'; p++) {
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	}
	return h ^ ((uint64_t)seed << 32);
}

/* ---------------------------------------------------------------------
 * One run: a table, a cursor, the model.
 * --------------------------------------------------------------------- */

struct pt_model model;

/* What a format's runs exercised, printed with the total. */
static struct {
	uint64_t errs[OP_JUMP + 1][OSTD_ERR_COUNT];
	uint64_t maps[4];
	uint64_t unmapped;
	uint64_t split_unmaps;
	uint64_t split_protects;
	uint64_t full_checks;
	uint64_t max_mappings;
} tally;
static struct op ops[MODEL_OPS];
static struct op trial[MODEL_OPS];
static struct op best[MODEL_OPS];

static void say(const struct run *r, unsigned int i, const char *what)
{
	if (!r->quiet) {
		ostd_printf("model divergence at op %u: %s\n", i, what);
	}
}

static bool diverge(struct run *r, unsigned int i, const char *what)
{
	say(r, i, what);
	r->failed = true;
	r->fail_op = i;
	return false;
}

static bool table_new(struct run *r)
{
	ostd_err_t err = pt_test_new_table(r->cfg, &r->pt);

	if (err != OSTD_OK) {
		ostd_printf("model: cannot create a %s table: %s\n",
			    r->cfg->name, ostd_err_name(err));
		r->infra = true;
		return false;
	}
	r->has_pt = true;
	/*
	 * On the host the table is live on simulated CPUs: maps fill their
	 * TLBs, so every unmap, split and protect must flush them before a
	 * frame goes (checked after every operation, exec_op()).
	 */
	(void)pt_test_tlb_attach(&r->pt);
	pt_model_init(&model, r->cfg, r->pt.va_start, r->pt.va_last);
	model.quiet = r->quiet;
	r->nwin = windows_for(&r->pt, r->win);
	return true;
}

static void cursor_drop(struct run *r)
{
	if (r->has_cursor) {
		pt_cursor_drop(&r->cur);
		r->has_cursor = false;
	}
	pt_model_cursor_drop(&model);
}

/* The leaves in every window: all the leaves a test makes. */
static bool compare_windows(struct run *r)
{
	for (unsigned int w = 0; w < r->nwin; w++) {
		if (!pt_model_compare_range(&model, &r->pt, r->win[w].start,
					    r->win[w].start +
						    (r->win[w].size - 1))) {
			return false;
		}
	}
	return true;
}

/*
 * The whole table against the model: pt_check(), its leaf counts, and the
 * leaves either through pt_for_each_leaf() (@p thorough) or the windows
 * (cheaper: a kernel table has a node for every root entry). With
 * @p settled (no cursor, RCU drained) also the frames in use.
 */
static bool full_check(struct run *r, unsigned int i, bool settled,
		       bool thorough)
{
	struct pt_check_stats stats;

	r->since_full = 0;
	tally.full_checks++;
	if (thorough ? !pt_model_compare_all(&model, &r->pt)
		     : !compare_windows(r)) {
		return diverge(r, i, "full comparison");
	}
	if (pt_check(&r->pt, &stats) != OSTD_OK) {
		return diverge(r, i, "pt_check");
	}
	if (stats.tracked_leaves != pt_model_tracked(&model) ||
	    stats.leaves != pt_model_count(&model)) {
		return diverge(r, i, "pt_check counts differ from the model");
	}
	if (settled) {
		pt_rcu_barrier();
		if (frame_stats_in_use() !=
		    r->frames_base + stats.nodes + stats.tracked_leaves) {
			if (!r->quiet) {
				ostd_printf("  in use %llu, base %llu, nodes "
					    "%llu, tracked %llu\n",
					    (unsigned long long)
						    frame_stats_in_use(),
					    (unsigned long long)r->frames_base,
					    (unsigned long long)stats.nodes,
					    (unsigned long long)
						    stats.tracked_leaves);
			}
			return diverge(r, i, "frames in use");
		}
	}
	return true;
}

static bool table_destroy(struct run *r, unsigned int i)
{
	cursor_drop(r);
	if (!r->has_pt) {
		return true;
	}
	pt_test_tlb_detach(&r->pt);
	page_table_destroy(&r->pt);
	r->has_pt = false;
	pt_rcu_barrier();
	pt_model_clear(&model);
	if (frame_stats_in_use() != r->frames_base) {
		return diverge(r, i, "frames leaked by page_table_destroy");
	}
	return true;
}

static void tally_op(enum op_kind kind, ostd_err_t err)
{
	if ((unsigned int)err < OSTD_ERR_COUNT) {
		tally.errs[kind][err]++;
	}
}

/* The real error must be one the model allows. */
static bool expect(struct run *r, unsigned int i, const char *what,
		   ostd_err_t got, const struct pt_model_res *want)
{
	if ((want->ok_errs & PT_MODEL_ERR(got)) != 0) {
		return true;
	}
	if (!r->quiet) {
		ostd_printf("model divergence at op %u: %s returned %s, the "
			    "model expects %s (set %#x)\n",
			    i, what, ostd_err_name(got),
			    ostd_err_name(want->err), want->ok_errs);
	}
	r->failed = true;
	r->fail_op = i;
	return false;
}

static bool expect_va(struct run *r, unsigned int i)
{
	if (!r->has_cursor || pt_cursor_va(&r->cur) == model.cur) {
		return true;
	}
	if (!r->quiet) {
		ostd_printf("  cursor at %#llx, the model at %#llx\n",
			    (unsigned long long)pt_cursor_va(&r->cur),
			    (unsigned long long)model.cur);
	}
	return diverge(r, i, "cursor address");
}

static bool expect_range(struct run *r, unsigned int i, uint64_t lo,
			 uint64_t last)
{
	if (!pt_model_compare_range(&model, &r->pt, lo, last)) {
		return diverge(r, i, "leaves in the changed range");
	}
	return true;
}

static bool model_ok(struct run *r, unsigned int i)
{
	if (model.overflow) {
		ostd_printf("model: capacity of %u mappings exceeded\n",
			    PT_MODEL_CAP);
		r->infra = true;
		return diverge(r, i, "model capacity");
	}
	return true;
}

static bool do_cursor(struct run *r, unsigned int i, const struct op *o)
{
	bool settled = r->since_full >= FULL_CHECK_OPS;

	cursor_drop(r);
	if (settled && !full_check(r, i, true, false)) {
		return false;
	}
	struct pt_model_res want =
		pt_model_cursor_new(&model, o->a, o->b, o->mut);
	ostd_err_t err = o->mut ? pt_cursor_new_mut(&r->pt, o->a, o->b, &r->cur)
				: pt_cursor_new(&r->pt, o->a, o->b, &r->cur);

	r->has_cursor = err == OSTD_OK;
	if (!expect(r, i, "cursor_new", err, &want)) {
		return false;
	}
	tally_op(OP_CURSOR, err);
	if (!r->has_cursor) {
		pt_model_cursor_drop(&model);
	}
	return true;
}

static bool do_map(struct run *r, unsigned int i, const struct op *o)
{
	uint64_t size = pt_page_size(o->level == 0 ? 1 : o->level);

	if (o->align_jump && (model.cur & (size - 1)) != 0 &&
	    size <= UINT64_MAX - model.cur) {
		uint64_t to = (model.cur + size - 1) & ~(size - 1);

		if (to < model.end) {
			struct pt_model_res want = pt_model_jump(&model, to);

			if (!expect(r, i, "jump", pt_cursor_jump(&r->cur, to),
				    &want) ||
			    !expect_va(r, i)) {
				return false;
			}
		}
	}
	struct frame f = { .pa = pa_init(0) };
	struct pt_item item;

	if (o->tracked) {
		if (frame_alloc(&frame_type_untyped, &f) != OSTD_OK) {
			r->infra = true;
			return diverge(r, i, "frame_alloc for a tracked map");
		}
		item = pt_item_frame(f.pa);
	} else {
		item = pt_item_untracked(pa_init(o->b), o->level);
	}
	uint64_t cur0 = model.cur;
	struct pt_model_res want = pt_model_map(&model, item, o->prop);
	ostd_err_t err = pt_cursor_map(&r->cur, item, o->prop);

	if (o->tracked) {
		/* The table's reference is now the only one. */
		frame_drop(&f);
	}
	if (!expect(r, i, "map", err, &want) || !expect_va(r, i) ||
	    !model_ok(r, i)) {
		return false;
	}
	tally_op(OP_MAP, err);
	if (err == OSTD_OK && o->level < ARRAY_SIZE(tally.maps)) {
		tally.maps[o->level]++;
	}
	if (pt_model_count(&model) > tally.max_mappings) {
		tally.max_mappings = pt_model_count(&model);
	}
	uint64_t rem = model.end - cur0;
	uint64_t span = size < rem ? size : rem;

	/*
	 * Cache the new leaf (its first and last page) in the TLBs. Only a
	 * leaf born accessed: on a read, x86 and RISC-V walkers set the A
	 * bit in memory, which the model does not predict.
	 */
	if (err == OSTD_OK && (o->prop.flags & PT_ACCESSED) != 0) {
		(void)pt_test_tlb_touch(cur0);
		(void)pt_test_tlb_touch(cur0 + (size - PAGE_SIZE));
	}
	return span == 0 || expect_range(r, i, cur0, cur0 + (span - 1));
}

/*
 * pt_cursor_map_pages() in the model: @p n maps of one page each, all
 * undone if one fails, whose error is the batch's.
 */
static struct pt_model_res model_map_pages(struct pt_item first, uint64_t n,
					   struct pt_prop prop)
{
	uint64_t cur0 = model.cur;
	uint64_t done = 0;
	struct pt_model_res want;

	do {
		struct pt_item item = first;

		item.pa = pa_init(pa_addr(first.pa) + done * PAGE_SIZE);
		want = pt_model_map(&model, item, prop);
	} while (want.err == OSTD_OK && ++done < n);
	if (want.err != OSTD_OK && done > 0) {
		model.cur = cur0;
		(void)pt_model_unmap(&model, done * PAGE_SIZE);
		model.cur = cur0;
	}
	return want;
}

/* A batch of 4 KiB pages across node ends (OP_MAP_PAGES). */
static bool do_map_pages(struct run *r, unsigned int i, const struct op *o)
{
	struct segment seg = { .pa = pa_init(0) };
	struct pt_item first = pt_item_untracked(pa_init(o->b), 1);

	if (o->tracked) {
		if (segment_alloc(o->a, &frame_type_untyped, 0, &seg) !=
		    OSTD_OK) {
			r->infra = true;
			return diverge(r, i, "segment_alloc for a batch");
		}
		first = pt_item_frame(seg.pa);
	}
	uint64_t cur0 = model.cur;
	struct pt_model_res want = model_map_pages(first, o->a, o->prop);
	ostd_err_t err = pt_cursor_map_pages(&r->cur, first, o->a, o->prop);

	if (o->tracked) {
		/* The table's references are now the only ones. */
		segment_drop(&seg);
	}
	if (!expect(r, i, "map_pages", err, &want) || !expect_va(r, i) ||
	    !model_ok(r, i)) {
		return false;
	}
	tally_op(OP_MAP_PAGES, err);
	if (err == OSTD_OK) {
		tally.maps[1] += o->a;
	}
	if (pt_model_count(&model) > tally.max_mappings) {
		tally.max_mappings = pt_model_count(&model);
	}
	uint64_t rem = (model.end - cur0) / PAGE_SIZE;
	uint64_t span = o->a < rem ? o->a : rem;

	return span == 0 ||
	       expect_range(r, i, cur0, cur0 + (span * PAGE_SIZE - 1));
}

static bool do_unmap(struct run *r, unsigned int i, const struct op *o)
{
	struct pt_model_res want = pt_model_unmap(&model, o->a);
	uint64_t count = UINT64_MAX;
	ostd_err_t err = pt_cursor_unmap(&r->cur, o->a, &count);

	if (!expect(r, i, "unmap", err, &want) || !expect_va(r, i) ||
	    !model_ok(r, i)) {
		return false;
	}
	tally_op(OP_UNMAP, err);
	if (err == OSTD_OK) {
		tally.unmapped += count;
		tally.split_unmaps += want.last - want.lo + 1 > o->a;
	}
	if (err != OSTD_OK && count != UINT64_MAX) {
		return diverge(r, i, "a failed unmap wrote its count");
	}
	if (err == OSTD_OK && count != want.count) {
		if (!r->quiet) {
			ostd_printf("  unmap removed %llu, the model %llu\n",
				    (unsigned long long)count,
				    (unsigned long long)want.count);
		}
		return diverge(r, i, "unmap count");
	}
	return err != OSTD_OK || expect_range(r, i, want.lo, want.last);
}

/* Whether the leaf's new prop is one the test wants to make. */
static bool prot_wanted(const struct run *r, struct pt_prop prop,
			enum prot_kind k, bool legal_only)
{
	prot_apply(&prop, &k);
	/* pt_check rejects W+X kernel leaves; the cursor does not. */
	if (!r->user && (prop.flags & PROT_W) != 0 &&
	    (prop.flags & PROT_X) != 0) {
		return false;
	}
	return !legal_only || r->cfg->prop_ok(r->cfg, prop);
}

static bool do_protect(struct run *r, unsigned int i, const struct op *o)
{
	const struct pt_model_map *leaf = pt_model_protect_peek(&model, o->a);
	enum prot_kind k = (enum prot_kind)(o->pref % PROT_KINDS);

	if (leaf != NULL) {
		/* Mostly a legal change; one in eight may be refused. */
		bool legal_only = (o->pref & 0x70) != 0;
		bool found = false;

		for (unsigned int t = 0; t < PROT_KINDS && !found; t++) {
			enum prot_kind c =
				(enum prot_kind)((o->pref + t) % PROT_KINDS);

			if (prot_wanted(r, leaf->prop, c, legal_only)) {
				k = c;
				found = true;
			}
		}
		if (!found) {
			return true;
		}
	}
	uint64_t start = UINT64_MAX;
	uint64_t len = UINT64_MAX;
	struct pt_model_res want =
		pt_model_protect_next(&model, o->a, prot_apply, &k);
	ostd_err_t err = pt_cursor_protect_next(&r->cur, o->a, prot_apply, &k,
						&start, &len);

	if (!expect(r, i, "protect_next", err, &want) || !expect_va(r, i) ||
	    !model_ok(r, i)) {
		return false;
	}
	tally_op(OP_PROTECT, err);
	if (err == OSTD_OK) {
		tally.split_protects += want.last - want.lo + 1 > len;
	}
	if (err != OSTD_OK) {
		if (start != UINT64_MAX || len != UINT64_MAX) {
			return diverge(r, i,
				       "a failed protect_next wrote its range");
		}
		return true;
	}
	if (start != want.range_start || len != want.range_len) {
		if (!r->quiet) {
			ostd_printf("  protected [%#llx, +%#llx), the model "
				    "[%#llx, +%#llx)\n",
				    (unsigned long long)start,
				    (unsigned long long)len,
				    (unsigned long long)want.range_start,
				    (unsigned long long)want.range_len);
		}
		return diverge(r, i, "protect_next range");
	}
	return expect_range(r, i, want.lo, want.last);
}

static bool do_protect_mask(struct run *r, unsigned int i, const struct op *o)
{
	struct pt_model_res want =
		pt_model_protect_mask(&model, o->a, o->set, o->clear);
	uint64_t count = UINT64_MAX;
	ostd_err_t err =
		pt_cursor_protect_mask(&r->cur, o->a, o->set, o->clear, &count);

	if (!expect(r, i, "protect_mask", err, &want) || !expect_va(r, i) ||
	    !model_ok(r, i)) {
		return false;
	}
	tally_op(OP_PROTECT_MASK, err);
	if (err != OSTD_OK) {
		if (count != UINT64_MAX) {
			return diverge(r, i,
				       "a failed protect_mask wrote its count");
		}
		/* Nothing changed: the range must still match the model. */
		uint64_t len = o->a <= model.end - model.cur ? o->a : 0;

		return len == 0 ||
		       expect_range(r, i, model.cur, model.cur + (len - 1));
	}
	tally.split_protects += want.last - want.lo + 1 > o->a;
	if (count != want.count) {
		if (!r->quiet) {
			ostd_printf("  protect_mask changed %llu, the model "
				    "%llu\n",
				    (unsigned long long)count,
				    (unsigned long long)want.count);
		}
		return diverge(r, i, "protect_mask count");
	}
	return want.lo > want.last || expect_range(r, i, want.lo, want.last);
}

static bool all_bytes(const void *p, size_t n, uint8_t v)
{
	const uint8_t *b = p;

	for (size_t k = 0; k < n; k++) {
		if (b[k] != v) {
			return false;
		}
	}
	return true;
}

static bool do_query(struct run *r, unsigned int i)
{
	struct pt_query q;

	memset(&q, 0xa5, sizeof(q));
	struct pt_model_res want = pt_model_query(&model);
	ostd_err_t err = pt_cursor_query(&r->cur, &q);

	if (!expect(r, i, "query", err, &want) || !expect_va(r, i)) {
		return false;
	}
	if (err != OSTD_OK && !all_bytes(&q, sizeof(q), 0xa5)) {
		return diverge(r, i, "a failed query wrote its result");
	}
	tally_op(OP_QUERY, err == OSTD_OK && q.item.kind == PT_ITEM_NONE
				   ? OSTD_ENOENT
				   : err);
	if (err != OSTD_OK) {
		return true;
	}
	const struct pt_query *w = &want.query;

	q.prop.flags &= ~PT_AVAIL1;
	if (q.item.kind != w->item.kind ||
	    (w->item.kind != PT_ITEM_NONE &&
	     (q.va != w->va || q.size != w->size ||
	      pa_addr(q.item.pa) != pa_addr(w->item.pa) ||
	      q.item.level != w->item.level || !pt_prop_eq(q.prop, w->prop)))) {
		if (!r->quiet) {
			ostd_printf("  query: kind %d va %#llx size %#llx pa "
				    "%#llx flags %#x; model: kind %d va %#llx "
				    "size %#llx pa %#llx flags %#x\n",
				    (int)q.item.kind, (unsigned long long)q.va,
				    (unsigned long long)q.size,
				    (unsigned long long)pa_addr(q.item.pa),
				    q.prop.flags, (int)w->item.kind,
				    (unsigned long long)w->va,
				    (unsigned long long)w->size,
				    (unsigned long long)pa_addr(w->item.pa),
				    w->prop.flags);
		}
		return diverge(r, i, "query result");
	}
	return true;
}

static bool do_find(struct run *r, unsigned int i, const struct op *o)
{
	uint64_t found = UINT64_MAX;
	struct pt_model_res want = pt_model_find_next(&model, o->a);
	ostd_err_t err = pt_cursor_find_next(&r->cur, o->a, &found);

	if (!expect(r, i, "find_next", err, &want) || !expect_va(r, i)) {
		return false;
	}
	tally_op(OP_FIND, err);
	if (err != OSTD_OK && found != UINT64_MAX) {
		return diverge(r, i, "a failed find_next wrote its address");
	}
	if (err == OSTD_OK && found != want.found) {
		return diverge(r, i, "find_next address");
	}
	return true;
}

/* Runs @p o on the table and the model. False on a divergence. */
static bool exec_op_body(struct run *r, unsigned int i, const struct op *o)
{
	r->since_full++;
	if (o->kind == OP_TABLE) {
		tally_op(OP_TABLE, OSTD_OK);
		cursor_drop(r);
		return (!r->has_pt || full_check(r, i, true, true)) &&
		       table_destroy(r, i) && table_new(r);
	}
	if (!r->has_pt) {
		return true;
	}
	if (o->kind == OP_CURSOR) {
		return do_cursor(r, i, o);
	}
	/* Without a cursor (a failed or shrunk-away OP_CURSOR): nothing. */
	if (!r->has_cursor) {
		return true;
	}
	bool ok = true;

	switch (o->kind) {
	case OP_MAP:
		ok = do_map(r, i, o);
		break;
	case OP_MAP_PAGES:
		ok = do_map_pages(r, i, o);
		break;
	case OP_UNMAP:
		ok = do_unmap(r, i, o);
		break;
	case OP_PROTECT:
		ok = do_protect(r, i, o);
		break;
	case OP_PROTECT_MASK:
		ok = do_protect_mask(r, i, o);
		break;
	case OP_QUERY:
		ok = do_query(r, i);
		break;
	case OP_FIND:
		ok = do_find(r, i, o);
		break;
	case OP_JUMP: {
		struct pt_model_res want = pt_model_jump(&model, o->a);

		ostd_err_t err = pt_cursor_jump(&r->cur, o->a);

		ok = expect(r, i, "jump", err, &want) && expect_va(r, i);
		tally_op(OP_JUMP, err);
		break;
	}
	default:
		break;
	}
	return ok;
}

/*
 * exec_op_body(), then the TLB invariant (DESIGN.md §6): no simulated
 * CPU's TLB translates into a frame that is free, whatever is pending.
 */
static bool exec_op(struct run *r, unsigned int i, const struct op *o)
{
	if (!exec_op_body(r, i, o)) {
		return false;
	}
	if (pt_test_tlb_freed_frames() != 0) {
		return diverge(r, i, "a freed frame is still in a TLB");
	}
	return true;
}

/* Ends a run: the last full check, then the table goes. */
static bool run_end(struct run *r, unsigned int n)
{
	bool ok = true;

	cursor_drop(r);
	if (r->has_pt && !r->failed) {
		ok = full_check(r, n, true, true);
	}
	return table_destroy(r, n) && ok;
}

/* ---------------------------------------------------------------------
 * Replay and shrinking.
 * --------------------------------------------------------------------- */

/*
 * Replays @p list on a fresh table, quietly. Returns true if it diverges
 * (or breaks the test's frame accounting).
 */
static bool replay_fails(const struct pt_config *cfg, const struct op *list,
			 unsigned int n)
{
	struct run r = { .cfg = cfg,
			 .user = cfg->top_level_can_unmap,
			 .quiet = true };

	r.frames_base = frame_stats_in_use();
	if (!table_new(&r)) {
		return false;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (!exec_op(&r, i, &list[i])) {
			break;
		}
	}
	(void)run_end(&r, n);
	return r.failed && !r.infra;
}

/*
 * ddmin over the failing prefix in best[0..*n): removes chunks while the
 * rest still fails, within SHRINK_RUNS replays.
 */
static void shrink(const struct pt_config *cfg, unsigned int *n)
{
	unsigned int runs = 0;
	unsigned int parts = 2;

	while (*n >= 2 && runs < SHRINK_RUNS) {
		unsigned int chunk = (*n + parts - 1) / parts;
		bool reduced = false;

		for (unsigned int c = 0; c < parts && runs < SHRINK_RUNS; c++) {
			unsigned int lo = c * chunk;
			unsigned int hi = lo + chunk < *n ? lo + chunk : *n;
			unsigned int m = 0;

			if (lo >= hi) {
				break;
			}
			for (unsigned int i = 0; i < *n; i++) {
				if (i < lo || i >= hi) {
					trial[m++] = best[i];
				}
			}
			runs++;
			if (replay_fails(cfg, trial, m)) {
				memcpy(best, trial, m * sizeof(best[0]));
				*n = m;
				parts = parts > 2 ? parts - 1 : 2;
				reduced = true;
				break;
			}
		}
		if (!reduced) {
			if (parts >= *n) {
				break;
			}
			parts = parts * 2 < *n ? parts * 2 : *n;
		}
	}
	ostd_printf("model: shrunk to %u ops in %u replays\n", *n, runs);
}

/* ---------------------------------------------------------------------
 * The test.
 * --------------------------------------------------------------------- */

struct seed_result {
	uint64_t ops;
	bool failed;
	bool infra;
};

static struct seed_result run_seed(const struct pt_config *cfg,
				   unsigned int seed)
{
	struct run r = { .cfg = cfg, .user = cfg->top_level_can_unmap };
	struct seed_result res = { 0 };
	uint64_t s = seed_of(cfg, seed);
	unsigned int i = 0;

	r.frames_base = frame_stats_in_use();
	if (!table_new(&r)) {
		res.failed = true;
		res.infra = true;
		return res;
	}
	for (; i < MODEL_OPS; i++) {
		gen_op(&r, &s, &ops[i]);
		if (!exec_op(&r, i, &ops[i])) {
			break;
		}
		if (r.since_full >= 4 * FULL_CHECK_OPS &&
		    !full_check(&r, i, false, false)) {
			break;
		}
	}
	res.ops = i;
	bool end_ok = run_end(&r, i);

	res.failed = r.failed || !end_ok;
	res.infra = r.infra;
	if (!res.failed) {
		return res;
	}
	unsigned int n =
		(r.fail_op < MODEL_OPS ? r.fail_op : MODEL_OPS - 1) + 1;

	ostd_printf("model: %s seed %u (%#llx) diverged at op %u%s\n",
		    cfg->name, seed, (unsigned long long)seed_of(cfg, seed),
		    r.fail_op, r.infra ? " (test infrastructure)" : "");
	memcpy(best, ops, n * sizeof(best[0]));
	if (!r.infra && replay_fails(cfg, best, n)) {
		shrink(cfg, &n);
	} else {
		ostd_printf("model: the prefix does not fail again alone\n");
	}
	ostd_printf("model: failing ops:\n");
	for (unsigned int k = 0; k < n; k++) {
		print_op(k, &best[k]);
	}
	/* Once more, loudly, for the details. */
	struct run loud = { .cfg = cfg, .user = cfg->top_level_can_unmap };

	loud.frames_base = frame_stats_in_use();
	if (table_new(&loud)) {
		for (unsigned int k = 0; k < n; k++) {
			if (!exec_op(&loud, k, &best[k])) {
				break;
			}
		}
		if (!loud.failed) {
			(void)full_check(&loud, n, false, true);
		}
		if (loud.failed) {
			pt_model_dump(&model);
		}
		(void)run_end(&loud, n);
	}
	return res;
}

static void print_tally(void)
{
	for (unsigned int k = 0; k <= OP_JUMP; k++) {
		ostd_printf("  %s:", op_names[k]);
		for (unsigned int e = 0; e < OSTD_ERR_COUNT; e++) {
			if (tally.errs[k][e] != 0) {
				ostd_printf(
					" %s %llu",
					ostd_err_name((ostd_err_t)e),
					(unsigned long long)tally.errs[k][e]);
			}
		}
		ostd_printf("\n");
	}
	ostd_printf("  maps 4K %llu 2M %llu 1G %llu; unmapped %llu leaves, "
		    "%llu unmaps and %llu protects split; %llu full checks; "
		    "at most %llu mappings\n",
		    (unsigned long long)tally.maps[1],
		    (unsigned long long)tally.maps[2],
		    (unsigned long long)tally.maps[3],
		    (unsigned long long)tally.unmapped,
		    (unsigned long long)tally.split_unmaps,
		    (unsigned long long)tally.split_protects,
		    (unsigned long long)tally.full_checks,
		    (unsigned long long)tally.max_mappings);
}

TEST_FORMAT(pt_model, random_ops_match_the_model)
{
	uint64_t base = frame_stats_in_use();
	uint64_t total = 0;
	unsigned int divergences = 0;

	memset(&tally, 0, sizeof(tally));
#ifdef UNIT_TESTING
	struct timespec t0;
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
#endif
	for (unsigned int seed = 0; seed < MODEL_SEEDS; seed++) {
		struct seed_result res = run_seed(cfg, seed);

		total += res.ops;
		if (res.failed) {
			divergences++;
			/* One shrunk report is enough. */
			break;
		}
	}
	pt_rcu_barrier();
	ostd_printf("model: %s: %llu ops, %u divergences\n", cfg->name,
		    (unsigned long long)total, divergences);
#ifdef UNIT_TESTING
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ostd_printf("  %lld ms\n", (long long)(t1.tv_sec - t0.tv_sec) * 1000 +
					   (t1.tv_nsec - t0.tv_nsec) / 1000000);
#endif
	print_tally();
	ASSERT_EQ(divergences, 0);
	ASSERT_EQ(total, (uint64_t)MODEL_SEEDS * MODEL_OPS);
	ASSERT_EQ(frame_stats_in_use(), base);
}

// SPDX-License-Identifier: MPL-2.0
/*
 * The page-table model test's operations and their generation
 * (pt_model_ops.h).
 */

#include "pt_model_ops.h"

#include "ostd/printf.h"
#include "ostd/string.h"

#include "pt_test_util.h"

/* ---------------------------------------------------------------------
 * Operations: recorded so that a failure can be replayed and shrunk.
 * --------------------------------------------------------------------- */

const char *const op_names[] = {
	[OP_CURSOR] = "cursor",
	[OP_TABLE] = "table",
	[OP_MAP] = "map",
	[OP_UNMAP] = "unmap",
	[OP_PROTECT] = "protect",
	[OP_QUERY] = "query",
	[OP_FIND] = "find_next",
	[OP_PROTECT_MASK] = "protect_mask",
	[OP_MAP_PAGES] = "map_pages",
	[OP_JUMP] = "jump",
};
void print_op(unsigned int i, const struct op *o)
{
	switch (o->kind) {
	case OP_CURSOR:
		ostd_printf("  #%u cursor%s [%#llx, %#llx)\n", i,
			    o->mut ? "_mut" : "", (unsigned long long)o->a,
			    (unsigned long long)o->b);
		break;
	case OP_MAP:
		ostd_printf("  #%u map level %u %s pa %#llx flags %#x cache %u"
			    "%s\n",
			    i, o->level, o->tracked ? "frame" : "untracked",
			    (unsigned long long)o->b, o->prop.flags,
			    (unsigned int)o->prop.cache,
			    o->align_jump ? " (jump to alignment first)" : "");
		break;
	case OP_MAP_PAGES:
		ostd_printf("  #%u map_pages %llu %s pa %#llx flags %#x cache "
			    "%u\n",
			    i, (unsigned long long)o->a,
			    o->tracked ? "frames" : "untracked",
			    (unsigned long long)o->b, o->prop.flags,
			    (unsigned int)o->prop.cache);
		break;
	case OP_PROTECT:
		ostd_printf("  #%u protect_next %#llx (preference %u)\n", i,
			    (unsigned long long)o->a, o->pref);
		break;
	case OP_PROTECT_MASK:
		ostd_printf("  #%u protect_mask %#llx set %#x clear %#x\n", i,
			    (unsigned long long)o->a, o->set, o->clear);
		break;
	case OP_UNMAP:
	case OP_FIND:
	case OP_JUMP:
		ostd_printf("  #%u %s %#llx\n", i, op_names[o->kind],
			    (unsigned long long)o->a);
		break;
	default:
		ostd_printf("  #%u %s\n", i, op_names[o->kind]);
		break;
	}
}

void prot_apply(struct pt_prop *prop, void *ctx)
{
	switch (*(const enum prot_kind *)ctx) {
	case PROT_TOGGLE_W:
		prop->flags ^= PROT_W;
		break;
	case PROT_SET_X:
		prop->flags |= PROT_X;
		break;
	case PROT_CLEAR_X:
		prop->flags &= ~PROT_X;
		break;
	case PROT_KINDS:
		break;
	}
}

/* ---------------------------------------------------------------------
 * Address windows (TESTING.md): where the boundaries are.
 * --------------------------------------------------------------------- */

unsigned int windows_for(const struct page_table *pt, struct window *w)
{
	uint64_t base = pt->va_start;
	unsigned int n = 0;
	static const struct {
		uint64_t off;
		uint64_t size;
		unsigned int weight;
	} fixed[] = {
		{ 0, SZ_8M, 25 },
		{ SZ_1G - SZ_8M / 2, SZ_8M, 20 },
		{ 512 * SZ_1G - SZ_8M / 2, SZ_8M, 15 },
		{ 4 * SZ_1G, 2 * SZ_1G, 20 },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(fixed); i++) {
		if (fixed[i].off + fixed[i].size - 1 <= pt->va_last - base) {
			w[n++] = (struct window){ base + fixed[i].off,
						  fixed[i].size,
						  fixed[i].weight };
		}
	}
	/* The top: 2 GiB up to the last page a cursor can end after. */
	uint64_t top = (pt->va_last & ~(SZ_1G - 1)) - SZ_1G;
	uint64_t end = pt->va_last == UINT64_MAX ? UINT64_MAX - PAGE_SIZE + 1
						 : pt->va_last + 1;

	w[n++] = (struct window){ top, end - top, 20 };
	return n;
}

/* ---------------------------------------------------------------------
 * Generation.
 * --------------------------------------------------------------------- */

uint64_t geometric_pages(uint64_t *s)
{
	uint64_t bits = pt_test_rng_next(s) | (1ULL << 18);
	unsigned int k = (unsigned int)__builtin_ctzll(bits);

	return (1ULL << k) + pt_test_rng_below(s, 1ULL << k);
}

uint64_t to_boundary(uint64_t va, uint64_t size)
{
	return size - (va & (size - 1));
}

uint64_t gen_len(uint64_t *s)
{
	uint64_t rem = model.end - model.cur;
	uint64_t len;

	if (pt_test_rng_pct(s, 3)) {
		switch (pt_test_rng_below(s, 3)) {
		case 0:
			return rem + PAGE_SIZE; /* Past the end. */
		case 1:
			return UINT64_MAX & ~(PAGE_SIZE - 1);
		default:
			/* Unaligned (and maybe past the end too). */
			return (pt_test_rng_below(s, 64) << PAGE_SHIFT) | 0x800;
		}
	}
	if (pt_test_rng_pct(s, 20)) {
		const uint64_t magic[] = {
			0,
			PAGE_SIZE,
			SZ_2M - PAGE_SIZE,
			SZ_2M,
			SZ_2M + PAGE_SIZE,
			SZ_1G - PAGE_SIZE,
			SZ_1G,
			rem,
			rem - (rem >= PAGE_SIZE ? PAGE_SIZE : 0),
			to_boundary(model.cur, SZ_2M),
			to_boundary(model.cur, SZ_1G),
			512 * SZ_1G,
		};

		len = magic[pt_test_rng_below(s, ARRAY_SIZE(magic))];
	} else {
		len = geometric_pages(s) << PAGE_SHIFT;
	}
	return len < rem ? len : rem;
}

struct pt_prop gen_prop(const struct run *r, uint64_t *s)
{
	const struct pt_config *cfg = r->cfg;

	for (int tries = 0; tries < 16; tries++) {
		uint32_t f = 0;

		f |= pt_test_rng_pct(s, 90) ? PROT_R : 0;
		f |= pt_test_rng_pct(s, 50) ? PROT_W : 0;
		f |= pt_test_rng_pct(s, 30) ? PROT_X : 0;
		f |= r->user ? PROT_USER
			     : (pt_test_rng_pct(s, 50) ? PT_GLOBAL : 0);
		f |= pt_test_rng_pct(s, 20) ? PT_ACCESSED : 0;
		f |= pt_test_rng_pct(s, 10) ? PT_DIRTY : 0;
		f |= pt_test_rng_pct(s, 10) ? PT_AVAIL2 : 0;
		f &= cfg->legal_flags & ~PT_AVAIL1;
		if (!r->user && (f & PROT_W) != 0) {
			f &= ~PROT_X;
		}
		struct pt_prop prop = {
			.flags = f,
			.cache = pt_test_rng_pct(s, 80)
					 ? PT_CACHE_WRITEBACK
					 : (enum pt_cache)pt_test_rng_below(
						   s, PT_CACHE_COUNT),
		};

		if (cfg->prop_ok(cfg, prop)) {
			return prop;
		}
	}
	return (struct pt_prop){ .flags = PROT_R | (r->user ? PROT_USER : 0),
				 .cache = PT_CACHE_WRITEBACK };
}

void gen_map(const struct run *r, uint64_t *s, struct op *o)
{
	const struct pt_config *cfg = r->cfg;
	uint64_t p = pt_test_rng_below(s, 1000);
	pt_level_t level = p < 850 ? 1 : p < 970 ? 2 : 3;

	while (level > 1 && (level > cfg->highest_translation_level ||
			     !cfg->level[level].leaf_ok)) {
		level--;
	}
	if (pt_test_rng_below(s, 200) == 0) {
		/* Above the highest translation level. */
		level = cfg->highest_translation_level + 1;
	}
	o->kind = OP_MAP;
	o->level = (uint8_t)level;
	o->tracked = level == 1 && pt_test_rng_pct(s, 50) &&
		     pt_model_tracked(&model) < TRACKED_BUDGET;
	o->align_jump = pt_test_rng_pct(s, 80);
	o->prop = gen_prop(r, s);
	/* Untracked memory far above any frame: nothing ever touches it. */
	uint64_t size = pt_page_size(level);

	o->b = (1ULL << 40) + pt_test_rng_below(s, 4096) * size;
	if (level > 1 && pt_test_rng_pct(s, 2)) {
		o->b += PAGE_SIZE; /* Misaligned pa. */
	}
}

/*
 * The model maps a batch page by page, each an insertion into its sorted
 * array: batches are kept short and rare, enough to cross a node's end.
 */
#ifdef UNIT_TESTING
#define BATCH_MAX 576U
#else
#define BATCH_MAX 160U
#endif

void gen_map_pages(const struct run *r, uint64_t *s, struct op *o)
{
	uint64_t n;

	o->kind = OP_MAP_PAGES;
	o->level = 1;
	o->prop = gen_prop(r, s);
	o->tracked = pt_test_rng_pct(s, 25) &&
		     pt_model_tracked(&model) + BATCH_MAX < TRACKED_BUDGET;
	if (pt_test_rng_pct(s, 70)) {
		/* Across the end of the level-1 node the cursor is in. */
		n = to_boundary(model.cur, SZ_2M) / PAGE_SIZE + 1 +
		    pt_test_rng_below(s, 64);
	} else {
		n = 1 + pt_test_rng_below(s, BATCH_MAX);
	}
	o->a = n < BATCH_MAX ? n : BATCH_MAX;
	o->b = (1ULL << 40) + pt_test_rng_below(s, 4096) * PAGE_SIZE;
}

const struct pt_model_map *pick_mapping(uint64_t *s, uint64_t lo, uint64_t hi)
{
	unsigned int first = pt_model_lookup(&model, lo);
	unsigned int last = pt_model_lookup(&model, hi);

	if (first >= last) {
		return NULL;
	}
	const struct pt_model_map *p =
		&model.maps[first + pt_test_rng_below(s, last - first)];

	return p->va >= lo && p->va < hi ? p : NULL;
}

void gen_jump(uint64_t *s, struct op *o)
{
	uint64_t pages = (model.end - model.start) >> PAGE_SHIFT;
	uint64_t p = pt_test_rng_below(s, 100);
	const struct pt_model_map *m = NULL;

	o->kind = OP_JUMP;
	if (p < 5) {
		o->a = model.end; /* Out of range. */
	} else if (p < 8) {
		o->a = model.start - PAGE_SIZE;
	} else if (p < 10) {
		o->a = model.start + 0x10;
	} else if (p < 20) {
		o->a = model.start;
	} else if (p < 60 &&
		   (m = pick_mapping(s, model.start, model.end)) != NULL) {
		/* Onto a mapping, or into a huge one. */
		uint64_t size = pt_page_size(m->level);

		o->a = m->va +
		       (pt_test_rng_below(s, size >> PAGE_SHIFT) << PAGE_SHIFT);
		if (pt_test_rng_pct(s, 50) || o->a >= model.end) {
			o->a = m->va;
		}
	} else {
		o->a = model.start +
		       (pt_test_rng_below(s, pages) << PAGE_SHIFT);
		if (pt_test_rng_pct(s, 30) &&
		    (o->a & ~(SZ_2M - 1)) >= model.start) {
			o->a &= ~(SZ_2M - 1);
		}
	}
}

void gen_protect_mask(uint64_t *s, struct op *o)
{
	static const struct {
		uint32_t set;
		uint32_t clear;
	} masks[] = {
		{ 0, PROT_W },
		{ PROT_W, 0 },
		{ PROT_X, 0 },
		{ 0, PROT_X },
		{ PROT_R | PROT_W, PROT_X },
		{ PT_DIRTY, 0 },
		{ 0, PROT_R }, /* W without R is illegal on RISC-V. */
		{ 0, 0 },
	};
	uint64_t p = pt_test_rng_below(s, 100);

	o->kind = OP_PROTECT_MASK;
	o->a = gen_len(s);
	if (p < 94) {
		unsigned int k =
			(unsigned int)pt_test_rng_below(s, ARRAY_SIZE(masks));

		o->set = masks[k].set;
		o->clear = masks[k].clear;
	} else if (p < 96) {
		o->set = PT_AVAIL1; /* The core's bit: OSTD_EPERM. */
	} else if (p < 98) {
		o->set = PROT_W; /* Overlapping masks: OSTD_EINVAL. */
		o->clear = PROT_W;
	} else {
		o->clear = 1U << 20; /* Not a flag: OSTD_EINVAL. */
	}
}

void gen_cursor(const struct run *r, uint64_t *s, struct op *o)
{
	unsigned int total = 0;

	for (unsigned int i = 0; i < r->nwin; i++) {
		total += r->win[i].weight;
	}
	uint64_t pick = pt_test_rng_below(s, total);
	const struct window *w = &r->win[0];

	for (unsigned int i = 0; i < r->nwin; i++) {
		if (pick < r->win[i].weight) {
			w = &r->win[i];
			break;
		}
		pick -= r->win[i].weight;
	}
	uint64_t wend = w->start + w->size;
	uint64_t start = w->start;

	const struct pt_model_map *m = NULL;

	o->kind = OP_CURSOR;
	o->mut = pt_test_rng_pct(s, 93);
	if (pt_test_rng_pct(s, 40) &&
	    (m = pick_mapping(s, w->start, wend)) != NULL) {
		/* Back to where something is mapped. */
		start = m->va - (pt_test_rng_below(s, 16) << PAGE_SHIFT);
		if (start > m->va) {
			start = w->start;
		}
	} else if (w->size > SZ_8M) {
		/* A big window: whole, or 8 MiB around one of its spots. */
		if (pt_test_rng_pct(s, 25)) {
			o->a = w->start;
			o->b = wend;
			return;
		}
		const uint64_t spots[] = {
			w->start,
			w->start + SZ_1G - SZ_8M / 2,
			w->start + SZ_1G,
			w->start + w->size / 4,
			w->start + w->size * 3 / 4,
			wend - SZ_8M,
		};

		start = spots[pt_test_rng_below(s, ARRAY_SIZE(spots))] +
			(pt_test_rng_below(s, SZ_8M >> PAGE_SHIFT)
			 << PAGE_SHIFT);
	} else {
		start += pt_test_rng_below(s, SZ_8M >> PAGE_SHIFT)
			 << PAGE_SHIFT;
	}
	if (pt_test_rng_pct(s, 30)) {
		start &= ~(SZ_2M - 1);
	}
	if (start < w->start || start >= wend) {
		start = w->start;
	}
	/*
	 * One page, now and then: a fault handler's cursor, which finds its
	 * guard through the CPU's guard hint when the last cursor was in
	 * the same 2 MiB, and must not when an unmap freed that node.
	 */
	uint64_t len = pt_test_rng_pct(s, 40) ? wend - start
		       : pt_test_rng_pct(s, 25)
			       ? PAGE_SIZE
			       : geometric_pages(s) << (PAGE_SHIFT + 4);

	o->a = start;
	o->b = len < wend - start ? start + len : wend;
	if (pt_test_rng_pct(s, 2)) {
		/* A bad range: the model predicts the error. */
		switch (pt_test_rng_below(s, 4)) {
		case 0:
			o->b = o->a;
			break;
		case 1:
			o->b = o->a + 0x10;
			break;
		case 2:
			o->a = r->pt.va_start - PAGE_SIZE;
			break;
		default:
			o->b = r->pt.va_last == UINT64_MAX
				       ? 0
				       : r->pt.va_last + 1 + PAGE_SIZE;
			break;
		}
	}
}

void gen_op(const struct run *r, uint64_t *s, struct op *o)
{
	memset(o, 0, sizeof(*o));
	if (pt_model_count(&model) > PT_MODEL_CAP - 4 * PT_ENTRIES) {
		o->kind = OP_TABLE;
		return;
	}
	if (!model.has_cursor) {
		gen_cursor(r, s, o);
		return;
	}
	uint64_t p = pt_test_rng_below(s, 100);

	if (model.cur == model.end && pt_test_rng_pct(s, 80)) {
		/* Nothing but errors at the end: mostly go back. */
		gen_jump(s, o);
		if (o->a >= model.end || o->a < model.start) {
			o->a = model.start;
		}
	} else if (p < 33) {
		gen_map(r, s, o);
	} else if (p < 35) {
		gen_map_pages(r, s, o);
	} else if (p < 60) {
		o->kind = OP_UNMAP;
		o->a = gen_len(s);
	} else if (p < 68) {
		o->kind = OP_PROTECT;
		o->a = gen_len(s);
		o->pref = (uint8_t)pt_test_rng_next(s);
	} else if (p < 75) {
		gen_protect_mask(s, o);
	} else if (p < 82) {
		o->kind = OP_QUERY;
	} else if (p < 90) {
		o->kind = OP_FIND;
		o->a = gen_len(s);
	} else if (p < 95) {
		gen_jump(s, o);
	} else if (pt_test_rng_pct(s, 2)) {
		/* Rare: a kernel table allocates a node per root entry. */
		o->kind = OP_TABLE;
	} else {
		gen_cursor(r, s, o);
	}
}

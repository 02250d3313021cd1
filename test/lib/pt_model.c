// SPDX-License-Identifier: MPL-2.0
/*
 * The page-table reference model (pt_model.h): vostd's CursorView spec
 * functions over a sorted array of disjoint mappings.
 */

#include "pt_model.h"

#include "ostd/arch/mm.h"

#include "ostd/compiler.h"
#include "ostd/internal/page_table.h"
#include "ostd/printf.h"
#include "ostd/string.h"

/* ---------------------------------------------------------------------
 * The mapping array.
 * --------------------------------------------------------------------- */

static uint64_t map_size(const struct pt_model_map *p)
{
	return pt_page_size(p->level);
}

/* The last byte: never overflows, even for the top page. */
static uint64_t map_last(const struct pt_model_map *p)
{
	return p->va + (map_size(p) - 1);
}

/*
 * Moves @p n mappings from index @p from to index @p to (they may
 * overlap). A plain loop: under ASan, memmove() becomes the sanitizer's
 * byte-at-a-time copy, which dominated the model's cost.
 */
static void move_maps(struct pt_model *m, unsigned int to, unsigned int from,
		      unsigned int n)
{
	struct pt_model_map *maps = m->maps;

	if (to < from) {
		for (unsigned int k = 0; k < n; k++) {
			maps[to + k] = maps[from + k];
		}
	} else if (to > from) {
		for (unsigned int k = n; k-- > 0;) {
			maps[to + k] = maps[from + k];
		}
	}
}

/* The first mapping whose last byte is at or above @p addr (or count). */
static unsigned int first_ending_from(const struct pt_model *m, uint64_t addr)
{
	unsigned int lo = 0;
	unsigned int hi = m->count;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (map_last(&m->maps[mid]) < addr) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/* The mapping containing @p addr, or -1. */
static int containing(const struct pt_model *m, uint64_t addr)
{
	unsigned int i = first_ending_from(m, addr);

	if (i < m->count && m->maps[i].va <= addr) {
		return (int)i;
	}
	return -1;
}

/* The first mapping overlapping [lo, last], or -1. */
static int first_overlapping(const struct pt_model *m, uint64_t lo,
			     uint64_t last)
{
	unsigned int i = first_ending_from(m, lo);

	if (i < m->count && m->maps[i].va <= last) {
		return (int)i;
	}
	return -1;
}

/* split_if_mapped_huge: mapping @p i becomes 512 pages one level down. */
static bool split(struct pt_model *m, unsigned int i)
{
	struct pt_model_map old = m->maps[i];
	uint64_t child = pt_page_size(old.level - 1);

	if (m->count + PT_ENTRIES - 1 > PT_MODEL_CAP) {
		m->overflow = true;
		return false;
	}
	move_maps(m, i + PT_ENTRIES, i + 1, m->count - i - 1);
	for (unsigned int k = 0; k < PT_ENTRIES; k++) {
		m->maps[i + k] = old;
		m->maps[i + k].level = (uint8_t)(old.level - 1);
		m->maps[i + k].va = old.va + k * child;
		m->maps[i + k].pa = old.pa + k * child;
	}
	m->count += PT_ENTRIES - 1;
	return true;
}

/*
 * split_while_huge(PAGE_SIZE) at @p addr, stopping as soon as @p addr is a
 * mapping boundary (or unmapped): exactly the splits a cursor needs to
 * change the pages on one side of @p addr only.
 */
static bool split_at(struct pt_model *m, uint64_t addr)
{
	for (;;) {
		int i = containing(m, addr);

		if (i < 0 || m->maps[i].va == addr) {
			return true;
		}
		if (!split(m, (unsigned int)i)) {
			return false;
		}
	}
}

/* Everything the format can store and a caller may pass. */
static bool prop_legal(const struct pt_config *cfg, struct pt_prop prop)
{
	if ((prop.flags & ~cfg->legal_flags) != 0 ||
	    (prop.flags & PT_AVAIL1) != 0 ||
	    (unsigned int)prop.cache >= PT_CACHE_COUNT) {
		return false;
	}
	return cfg->prop_ok(cfg, prop);
}

/* ---------------------------------------------------------------------
 * Results.
 * --------------------------------------------------------------------- */

static struct pt_model_res res_new(void)
{
	return (struct pt_model_res){
		.err = OSTD_OK,
		.ok_errs = 0,
		.lo = 1,
		.last = 0,
	};
}

/* Adds @p err to the set of errors that hold. */
static void res_err(struct pt_model_res *r, ostd_err_t err)
{
	r->ok_errs |= PT_MODEL_ERR(err);
}

/*
 * Settles the primary error: the first of @p order (the header's order of
 * checks) that holds. Returns true if any holds.
 */
static bool res_settle(struct pt_model_res *r, const ostd_err_t *order,
		       unsigned int n)
{
	if (r->ok_errs == 0) {
		r->err = OSTD_OK;
		r->ok_errs = PT_MODEL_ERR(OSTD_OK);
		return false;
	}
	for (unsigned int i = 0; i < n; i++) {
		if ((r->ok_errs & PT_MODEL_ERR(order[i])) != 0) {
			r->err = order[i];
			return true;
		}
	}
	return true;
}

/* Checks a range operation's @p len: unmap, protect_next, find_next. */
static bool len_bad(struct pt_model *m, struct pt_model_res *r, uint64_t len,
		    bool needs_mut)
{
	static const ostd_err_t order[] = { OSTD_EUNALIGNED, OSTD_EINVAL,
					    OSTD_EPERM };

	if ((len & (PAGE_SIZE - 1)) != 0) {
		res_err(r, OSTD_EUNALIGNED);
	}
	if (len > m->end - m->cur) {
		res_err(r, OSTD_EINVAL);
	}
	if (needs_mut && !m->is_mut) {
		res_err(r, OSTD_EPERM);
	}
	return res_settle(r, order, ARRAY_SIZE(order));
}

/* ---------------------------------------------------------------------
 * The model's operations.
 * --------------------------------------------------------------------- */

unsigned int pt_model_lookup(const struct pt_model *m, uint64_t va)
{
	return first_ending_from(m, va);
}

void pt_model_init(struct pt_model *m, const struct pt_config *cfg,
		   uint64_t va_start, uint64_t va_last)
{
	m->cfg = cfg;
	m->va_start = va_start;
	m->va_last = va_last;
	m->quiet = false;
	pt_model_clear(m);
}

void pt_model_clear(struct pt_model *m)
{
	m->has_cursor = false;
	m->is_mut = false;
	m->start = 0;
	m->end = 0;
	m->cur = 0;
	m->overflow = false;
	m->count = 0;
	m->tracked = 0;
}

struct pt_model_res pt_model_cursor_new(struct pt_model *m, uint64_t start,
					uint64_t end, bool is_mut)
{
	static const ostd_err_t order[] = { OSTD_EINVAL, OSTD_EUNALIGNED,
					    OSTD_ERANGE };
	struct pt_model_res r = res_new();

	if (end <= start) {
		res_err(&r, OSTD_EINVAL);
	}
	if (((start | end) & (PAGE_SIZE - 1)) != 0) {
		res_err(&r, OSTD_EUNALIGNED);
	}
	if (end > start && (start < m->va_start || end - 1 > m->va_last)) {
		res_err(&r, OSTD_ERANGE);
	}
	if (res_settle(&r, order, ARRAY_SIZE(order))) {
		/* The header fixes this precedence. */
		r.ok_errs = PT_MODEL_ERR(r.err);
		return r;
	}
	m->has_cursor = true;
	m->is_mut = is_mut;
	m->start = start;
	m->end = end;
	m->cur = start;
	return r;
}

void pt_model_cursor_drop(struct pt_model *m)
{
	m->has_cursor = false;
}

struct pt_model_res pt_model_query(struct pt_model *m)
{
	struct pt_model_res r = res_new();

	if (m->cur >= m->end) {
		r.err = OSTD_ERANGE;
		r.ok_errs = PT_MODEL_ERR(OSTD_ERANGE);
		return r;
	}
	r.ok_errs = PT_MODEL_ERR(OSTD_OK);
	int i = containing(m, m->cur);

	if (i < 0) {
		r.query.item.kind = PT_ITEM_NONE;
		return r;
	}
	const struct pt_model_map *p = &m->maps[i];

	r.query.va = p->va;
	r.query.size = map_size(p);
	r.query.item.kind = p->kind;
	r.query.item.pa = pa_init(p->pa);
	r.query.item.level = p->level;
	r.query.prop = p->prop;
	return r;
}

struct pt_model_res pt_model_find_next(struct pt_model *m, uint64_t len)
{
	struct pt_model_res r = res_new();

	if (len_bad(m, &r, len, false)) {
		return r;
	}
	int i = len == 0 ? -1 : first_overlapping(m, m->cur, m->cur + len - 1);

	if (i < 0) {
		m->cur += len;
		r.err = OSTD_ENOENT;
		r.ok_errs = PT_MODEL_ERR(OSTD_ENOENT);
		return r;
	}
	r.found = m->maps[i].va > m->cur ? m->maps[i].va : m->cur;
	m->cur = r.found;
	return r;
}

struct pt_model_res pt_model_jump(struct pt_model *m, uint64_t va)
{
	static const ostd_err_t order[] = { OSTD_EUNALIGNED, OSTD_ERANGE };
	struct pt_model_res r = res_new();

	if ((va & (PAGE_SIZE - 1)) != 0) {
		res_err(&r, OSTD_EUNALIGNED);
	}
	if (va < m->start || va >= m->end) {
		res_err(&r, OSTD_ERANGE);
	}
	if (!res_settle(&r, order, ARRAY_SIZE(order))) {
		m->cur = va;
	}
	return r;
}

struct pt_model_res pt_model_map(struct pt_model *m, struct pt_item item,
				 struct pt_prop prop)
{
	static const ostd_err_t order[] = { OSTD_EPERM, OSTD_EINVAL,
					    OSTD_EUNALIGNED, OSTD_ERANGE,
					    OSTD_EEXIST };
	const struct pt_config *cfg = m->cfg;
	struct pt_model_res r = res_new();
	pt_level_t level = item.level;

	if (!m->is_mut || !prop_legal(cfg, prop) ||
	    (item.kind == PT_ITEM_FRAME && level != 1) ||
	    (item.kind != PT_ITEM_FRAME && item.kind != PT_ITEM_UNTRACKED)) {
		res_err(&r, OSTD_EPERM);
	}
	if (level == 0 || level > cfg->highest_translation_level ||
	    !cfg->level[level].leaf_ok) {
		res_err(&r, OSTD_EINVAL);
		(void)res_settle(&r, order, ARRAY_SIZE(order));
		return r;
	}
	uint64_t size = pt_page_size(level);
	bool aligned = ((m->cur | pa_addr(item.pa)) & (size - 1)) == 0;
	bool fits = size <= m->end - m->cur;

	if (!aligned) {
		res_err(&r, OSTD_EUNALIGNED);
	}
	if (!fits) {
		res_err(&r, OSTD_ERANGE);
	}
	if (aligned && fits &&
	    first_overlapping(m, m->cur, m->cur + (size - 1)) >= 0) {
		res_err(&r, OSTD_EEXIST);
	}
	if (res_settle(&r, order, ARRAY_SIZE(order))) {
		return r;
	}
	if (m->count == PT_MODEL_CAP) {
		m->overflow = true;
		return r;
	}
	unsigned int i = first_ending_from(m, m->cur);

	move_maps(m, i + 1, i, m->count - i);
	m->maps[i] = (struct pt_model_map){
		.va = m->cur,
		.pa = pa_addr(item.pa),
		.prop = prop,
		.level = (uint8_t)level,
		.kind = item.kind,
	};
	m->count++;
	m->tracked += item.kind == PT_ITEM_FRAME;
	r.lo = m->cur;
	r.last = m->cur + (size - 1);
	m->cur += size;
	return r;
}

struct pt_model_res pt_model_unmap(struct pt_model *m, uint64_t len)
{
	struct pt_model_res r = res_new();

	if (len_bad(m, &r, len, true) || len == 0) {
		return r;
	}
	uint64_t lo = m->cur;
	uint64_t end = m->cur + len; /* <= m->end: never wraps. */
	int first = containing(m, lo);
	int last = containing(m, end - 1);

	r.lo = first >= 0 ? m->maps[first].va : lo;
	r.last = last >= 0 ? map_last(&m->maps[last]) : end - 1;
	if (!split_at(m, lo) || !split_at(m, end)) {
		return r;
	}
	unsigned int i = first_ending_from(m, lo);
	unsigned int j = i;

	while (j < m->count && m->maps[j].va < end) {
		m->tracked -= m->maps[j].kind == PT_ITEM_FRAME;
		j++;
	}
	move_maps(m, i, j, m->count - j);
	m->count -= j - i;
	r.count = j - i;
	m->cur = end;
	return r;
}

const struct pt_model_map *pt_model_protect_peek(const struct pt_model *m,
						 uint64_t len)
{
	if (!m->has_cursor || len == 0 || (len & (PAGE_SIZE - 1)) != 0 ||
	    len > m->end - m->cur) {
		return NULL;
	}
	int i = first_overlapping(m, m->cur, m->cur + (len - 1));

	return i < 0 ? NULL : &m->maps[i];
}

struct pt_model_res pt_model_protect_next(struct pt_model *m, uint64_t len,
					  pt_protect_op op, void *ctx)
{
	struct pt_model_res r = res_new();

	if (len_bad(m, &r, len, true)) {
		return r;
	}
	uint64_t range_last = m->cur + len - 1;
	int i = len == 0 ? -1 : first_overlapping(m, m->cur, range_last);

	if (i < 0) {
		m->cur += len;
		r.err = OSTD_ENOENT;
		r.ok_errs = PT_MODEL_ERR(OSTD_ENOENT);
		return r;
	}
	struct pt_prop prop = m->maps[i].prop;

	op(&prop, ctx);
	if (!prop_legal(m->cfg, prop)) {
		/* The leaf stays unchanged (and unsplit), and a failed call
		 * leaves the cursor where it was. */
		r.err = OSTD_EPERM;
		r.ok_errs = PT_MODEL_ERR(OSTD_EPERM);
		return r;
	}
	uint64_t target = m->maps[i].va > m->cur ? m->maps[i].va : m->cur;

	r.lo = m->maps[i].va;
	r.last = map_last(&m->maps[i]);
	while (m->maps[i].va < target || map_last(&m->maps[i]) > range_last) {
		if (!split(m, (unsigned int)i)) {
			return r;
		}
		i = containing(m, target);
	}
	m->maps[i].prop = prop;
	r.range_start = m->maps[i].va;
	r.range_len = map_size(&m->maps[i]);
	m->cur = r.range_start + r.range_len;
	return r;
}

/* The flags protect_mask() gives @p flags. */
static uint32_t mask_flags(uint32_t flags, uint32_t set, uint32_t clear)
{
	return (flags & ~clear) | set;
}

/* True if every mapping overlapping [lo, last] may take the masks. */
static bool mask_legal(const struct pt_model *m, uint64_t lo, uint64_t last,
		       uint32_t set, uint32_t clear)
{
	/* W+X is refused in a kernel table (S5). */
	bool kernel = !m->cfg->top_level_can_unmap;

	for (unsigned int i = first_ending_from(m, lo);
	     i < m->count && m->maps[i].va <= last; i++) {
		struct pt_prop prop = m->maps[i].prop;

		prop.flags = mask_flags(prop.flags, set, clear);
		if (!prop_legal(m->cfg, prop) ||
		    (kernel &&
		     (prop.flags & (PROT_W | PROT_X)) == (PROT_W | PROT_X))) {
			return false;
		}
	}
	return true;
}

struct pt_model_res pt_model_protect_mask(struct pt_model *m, uint64_t len,
					  uint32_t set, uint32_t clear)
{
	struct pt_model_res r = res_new();

	if (((set | clear) & ~PT_FLAGS_ALL) != 0 || (set & clear) != 0) {
		res_err(&r, OSTD_EINVAL);
	}
	if (((set | clear) & PT_AVAIL1) != 0) {
		res_err(&r, OSTD_EPERM);
	}
	if (len_bad(m, &r, len, true) || len == 0) {
		return r;
	}
	uint64_t end = m->cur + len; /* <= m->end: never wraps. */

	if (!mask_legal(m, m->cur, end - 1, set, clear)) {
		/* Nothing changes, not even a split; the cursor stays. */
		r.err = OSTD_EPERM;
		r.ok_errs = PT_MODEL_ERR(OSTD_EPERM);
		return r;
	}
	int first = containing(m, m->cur);
	int last = containing(m, end - 1);

	r.lo = first >= 0 ? m->maps[first].va : m->cur;
	r.last = last >= 0 ? map_last(&m->maps[last]) : end - 1;
	if (!split_at(m, m->cur) || !split_at(m, end)) {
		return r;
	}
	for (unsigned int i = first_ending_from(m, m->cur);
	     i < m->count && m->maps[i].va < end; i++) {
		m->maps[i].prop.flags =
			mask_flags(m->maps[i].prop.flags, set, clear);
		r.count++;
	}
	m->cur = end;
	return r;
}

/* ---------------------------------------------------------------------
 * Comparison with a real table.
 * --------------------------------------------------------------------- */

static const char *kind_name(enum pt_item_kind kind)
{
	switch (kind) {
	case PT_ITEM_NONE:
		return "none";
	case PT_ITEM_FRAME:
		return "frame";
	case PT_ITEM_UNTRACKED:
		return "untracked";
	}
	return "?";
}

static void print_leaf(const char *who, uint64_t va, uint64_t size,
		       enum pt_item_kind kind, uint64_t pa, struct pt_prop prop)
{
	ostd_printf("  %-6s va %#llx size %#llx %s pa %#llx flags %#x "
		    "cache %u\n",
		    who, (unsigned long long)va, (unsigned long long)size,
		    kind_name(kind), (unsigned long long)pa, prop.flags,
		    (unsigned int)prop.cache);
}

static void print_model_map(const struct pt_model_map *p)
{
	print_leaf("model", p->va, map_size(p), p->kind, p->pa, p->prop);
}

static void print_query(const struct pt_query *q)
{
	print_leaf("table", q->va, q->size, q->item.kind, pa_addr(q->item.pa),
		   q->prop);
}

/* A walk over the table compared, leaf by leaf, with maps[idx..]. */
struct cmp_ctx {
	const struct pt_model *m;
	unsigned int idx;
	/* The model's mappings end before this index. */
	unsigned int idx_end;
	bool ok;
};

static bool leaf_eq(const struct pt_model_map *p, const struct pt_query *q)
{
	struct pt_prop prop = q->prop;

	/* pt_leaf_query() strips the core's tracked bit; so does ours. */
	prop.flags &= ~PT_AVAIL1;
	return q->va == p->va && q->size == map_size(p) &&
	       q->item.kind == p->kind && pa_addr(q->item.pa) == p->pa &&
	       q->item.level == p->level && pt_prop_eq(prop, p->prop);
}

static void cmp_leaf(const struct pt_query *leaf, void *c)
{
	struct cmp_ctx *cc = c;

	if (!cc->ok) {
		return;
	}
	if (cc->idx >= cc->idx_end) {
		if (!cc->m->quiet) {
			ostd_printf("model mismatch: a leaf the model lacks\n");
			print_query(leaf);
		}
		cc->ok = false;
		return;
	}
	const struct pt_model_map *p = &cc->m->maps[cc->idx];

	if (!leaf_eq(p, leaf)) {
		if (!cc->m->quiet) {
			ostd_printf("model mismatch: mapping %u differs\n",
				    cc->idx);
			print_model_map(p);
			print_query(leaf);
		}
		cc->ok = false;
		return;
	}
	cc->idx++;
}

static bool cmp_finish(struct cmp_ctx *cc)
{
	if (cc->ok && cc->idx != cc->idx_end) {
		if (!cc->m->quiet) {
			ostd_printf("model mismatch: the table lacks a "
				    "mapping\n");
			print_model_map(&cc->m->maps[cc->idx]);
		}
		cc->ok = false;
	}
	return cc->ok;
}

bool pt_model_compare_all(const struct pt_model *m, struct page_table *pt)
{
	struct cmp_ctx cc = {
		.m = m, .idx = 0, .idx_end = m->count, .ok = true
	};

	pt_for_each_leaf(pt, cmp_leaf, &cc);
	return cmp_finish(&cc);
}

/* The VA bits the tables decode, as a mask. */
static uint64_t va_mask(const struct pt_config *cfg)
{
	return cfg->va_bits >= 64 ? UINT64_MAX : (1ULL << cfg->va_bits) - 1;
}

static uint64_t sign_extend(const struct pt_config *cfg, uint64_t va)
{
	if (cfg->va_sign_extend && cfg->va_bits < 64 &&
	    ((va >> (cfg->va_bits - 1)) & 1) != 0) {
		return va | ~va_mask(cfg);
	}
	return va;
}

struct walk_level {
	paddr_t node;
	uint64_t base; /* VA of entry 0, in va_bits. */
	unsigned int idx;
	unsigned int idx_last;
};

/*
 * Visits the leaves of @p pt overlapping [lo, last] in address order,
 * reading entries through the config's codec only. Iterative: the depth is
 * at most PT_MAX_LEVELS.
 */
static void walk_range(const struct page_table *pt, uint64_t lo, uint64_t last,
		       void (*fn)(const struct pt_query *leaf, void *ctx),
		       void *ctx)
{
	const struct pt_config *cfg = pt->cfg;
	uint64_t lo_t = lo & va_mask(cfg);
	uint64_t last_t = last & va_mask(cfg);
	struct walk_level st[PT_MAX_LEVELS + 1];
	pt_level_t top = cfg->nr_levels;
	pt_level_t level = top;

	st[top].node = pt->root;
	st[top].base = 0;
	st[top].idx = pt_index(cfg, lo_t, top);
	st[top].idx_last = pt_index(cfg, last_t, top);
	if (st[top].idx < cfg->top_index_first) {
		st[top].idx = cfg->top_index_first;
	}
	if (st[top].idx_last > cfg->top_index_last) {
		st[top].idx_last = cfg->top_index_last;
	}
	while (level <= top) {
		struct walk_level *w = &st[level];

		if (w->idx > w->idx_last) {
			level++;
			continue;
		}
		unsigned int idx = w->idx++;
		uint64_t size = pt_page_size(level);
		uint64_t va_t = w->base + idx * size;
		const pte_t *entries = arch_paddr_to_ptr(w->node);
		pte_t pte = READ_ONCE(entries[idx]);

		switch (cfg->classify(cfg, pte, level)) {
		case PT_ENTRY_ABSENT:
			break;
		case PT_ENTRY_TABLE: {
			struct walk_level *c = &st[level - 1];

			c->node = cfg->paddr(cfg, pte, level);
			c->base = va_t;
			c->idx = lo_t <= va_t ? 0
					      : pt_index(cfg, lo_t, level - 1);
			c->idx_last =
				last_t >= va_t + (size - 1)
					? PT_ENTRIES - 1
					: pt_index(cfg, last_t, level - 1);
			level--;
			break;
		}
		case PT_ENTRY_LEAF: {
			struct pt_prop prop = cfg->prop(cfg, pte, level);
			struct pt_query q = {
				.va = sign_extend(cfg, va_t),
				.size = size,
				.item = {
					.kind = (prop.flags & PT_AVAIL1) != 0
							? PT_ITEM_FRAME
							: PT_ITEM_UNTRACKED,
					.pa = cfg->paddr(cfg, pte, level),
					.level = level,
				},
				.prop = prop,
			};

			q.prop.flags &= ~PT_AVAIL1;
			fn(&q, ctx);
			break;
		}
		}
	}
}

bool pt_model_compare_range(const struct pt_model *m, struct page_table *pt,
			    uint64_t lo, uint64_t last)
{
	if (lo > last) {
		return true;
	}
	struct cmp_ctx cc = { .m = m, .ok = true };

	cc.idx = first_ending_from(m, lo);
	cc.idx_end = cc.idx;
	while (cc.idx_end < m->count && m->maps[cc.idx_end].va <= last) {
		cc.idx_end++;
	}
	walk_range(pt, lo, last, cmp_leaf, &cc);
	if (!cmp_finish(&cc)) {
		if (m->quiet) {
			return false;
		}
		ostd_printf("  (comparing [%#llx, %#llx])\n",
			    (unsigned long long)lo, (unsigned long long)last);
		return false;
	}
	return true;
}

static bool continues(const struct pt_model_map *a,
		      const struct pt_model_map *b, unsigned int run)
{
	uint64_t off = run * map_size(a);

	return b->level == a->level && b->kind == a->kind &&
	       pt_prop_eq(b->prop, a->prop) && b->va == a->va + off &&
	       b->pa == a->pa + off;
}

void pt_model_dump(const struct pt_model *m)
{
	ostd_printf("model: %u mappings (%u tracked)\n", m->count, m->tracked);
	for (unsigned int i = 0; i < m->count;) {
		const struct pt_model_map *a = &m->maps[i];
		unsigned int n = 1;

		while (i + n < m->count && continues(a, &m->maps[i + n], n)) {
			n++;
		}
		ostd_printf("  va %#llx + %u x %#llx %s pa %#llx flags %#x "
			    "cache %u\n",
			    (unsigned long long)a->va, n,
			    (unsigned long long)map_size(a), kind_name(a->kind),
			    (unsigned long long)a->pa, a->prop.flags,
			    (unsigned int)a->prop.cache);
		i += n;
	}
}

// SPDX-License-Identifier: MPL-2.0
/*
 * Geometry and validation shared by every PageTableConfig. Nothing here
 * knows a PTE bit; that is the codec's business (arch/<isa>/pt_format.c).
 */

#include "ostd/pt_config.h"

#include "ostd/assert.h"
#include "ostd/printf.h"

static ostd_err_t reject(const struct pt_config *cfg, const char *why)
{
	ostd_printf("pt_config %s: %s\n", cfg->name != NULL ? cfg->name : "?",
		    why);
	return OSTD_EINVAL;
}

/*
 * Checks the promise of leaf_pa_bits (pt_config.h) on every property the
 * format accepts at @p level, at the lowest and the highest aligned
 * address and an uneven one in between: the address bits are the same
 * for every property, the attribute bits the same at every address,
 * paddr() and the leaf_pa_rot shortcut both give the address back, and
 * prop() does not change when every address bit flips. This is
 * what lets the core skip prop() and new_page() by attribute bits, so a
 * port that gets the mask wrong fails here, at boot, not in a protect.
 */
/*
 * pt_cfg_leaf_paddr() with the format's own paddr() as the fallback: the
 * check runs on every config of a port, also in a build whose codec calls
 * are bound to one other format (OSTD_PT_FIXED_CONFIG).
 */
static paddr_t leaf_paddr(const struct pt_config *cfg, pte_t pte,
			  pt_level_t level)
{
	if (cfg->level[level].leaf_pa_rot == PT_PA_ROT_NONE) {
		return cfg->paddr(cfg, pte, level);
	}
	return pt_cfg_leaf_paddr(cfg, pte, level);
}

static bool leaf_pa_bits_ok(const struct pt_config *cfg, pt_level_t level)
{
	pte_t mask = cfg->level[level].leaf_pa_bits;
	uint64_t size = pt_page_size(level);
	paddr_t lo = pa_init(0);
	uint64_t top = cfg->pa_bits >= 64 ? ~0ULL : (1ULL << cfg->pa_bits) - 1;
	paddr_t hi = pa_init(top & ~(size - 1));
	/* An uneven pattern, so that a wrong leaf_pa_rot shows. */
	paddr_t mid = pa_init(0x5a3c96e1b4d2f087ULL & top & ~(size - 1));
	bool first = true;
	pte_t lo_addr = 0;
	pte_t hi_addr = 0;
	pte_t mid_addr = 0;

	if (mask == 0) {
		return false;
	}
	/* Every subset of legal_flags, with every cache policy. */
	for (uint32_t flags = 0; flags <= PT_FLAGS_ALL; flags++) {
		if ((flags & ~cfg->legal_flags) != 0) {
			continue;
		}
		for (unsigned int c = 0; c < PT_CACHE_COUNT; c++) {
			struct pt_prop prop = { .flags = flags,
						.cache = (enum pt_cache)c };

			if (!cfg->prop_ok(cfg, prop)) {
				continue;
			}
			pte_t a = cfg->new_page(cfg, lo, level, prop);
			pte_t b = cfg->new_page(cfg, hi, level, prop);
			pte_t m = cfg->new_page(cfg, mid, level, prop);

			if (first) {
				lo_addr = a & mask;
				hi_addr = b & mask;
				mid_addr = m & mask;
				first = false;
			}
			if ((a & mask) != lo_addr || (b & mask) != hi_addr ||
			    (m & mask) != mid_addr ||
			    (a & ~mask) != (b & ~mask) ||
			    (a & ~mask) != (m & ~mask) ||
			    pa_addr(leaf_paddr(cfg, a, level)) != pa_addr(lo) ||
			    pa_addr(leaf_paddr(cfg, b, level)) != pa_addr(hi) ||
			    pa_addr(leaf_paddr(cfg, m, level)) !=
				    pa_addr(mid) ||
			    pa_addr(cfg->paddr(cfg, m, level)) !=
				    pa_addr(mid) ||
			    pa_addr(cfg->paddr(cfg, a, level)) != pa_addr(lo) ||
			    pa_addr(cfg->paddr(cfg, b, level)) != pa_addr(hi) ||
			    !pt_prop_eq(cfg->prop(cfg, a, level),
					cfg->prop(cfg, a ^ mask, level)) ||
			    !pt_prop_eq(cfg->prop(cfg, b, level),
					cfg->prop(cfg, a, level))) {
				return false;
			}
		}
	}
	return !first;
}

/* True if @p pte passes the format's table test (table_kind_mask). */
static bool looks_like_table(const struct pt_config *cfg, pte_t pte)
{
	return (pte & cfg->table_kind_mask) == cfg->table_kind_match;
}

/*
 * True if no leaf new_page() makes at @p level, with any legal property,
 * at address @p pa (aligned to the level) passes the table test.
 */
static bool no_leaf_looks_like_table(const struct pt_config *cfg,
				     pt_level_t level, paddr_t pa)
{
	for (uint32_t flags = 0; flags <= PT_FLAGS_ALL; flags++) {
		for (unsigned int c = 0; c < PT_CACHE_COUNT; c++) {
			struct pt_prop prop = { .flags = flags,
						.cache = (enum pt_cache)c };

			if ((flags & ~cfg->legal_flags) == 0 &&
			    cfg->prop_ok(cfg, prop) &&
			    looks_like_table(
				    cfg, cfg->new_page(cfg, pa, level, prop))) {
				return false;
			}
		}
	}
	return true;
}

/*
 * Checks the table-entry data (table_kind_mask, table_pa_bits): at every
 * level above 1, what new_pt() makes at the lowest, an uneven and the
 * highest address passes the table test and decodes to its address, as
 * classify() and paddr() say; and no leaf at the lowest or highest
 * address, with any legal property, passes the test. A format that
 * declares nothing passes.
 */
static bool table_bits_ok(const struct pt_config *cfg)
{
	uint64_t top = cfg->pa_bits >= 64 ? ~0ULL : (1ULL << cfg->pa_bits) - 1;
	uint64_t pages = top & ~(PAGE_SIZE - 1);
	const uint64_t pas[] = { 0, 0x5a3c96e1b4d2f087ULL & pages, pages };

	if (cfg->table_kind_match == 0) {
		return true;
	}
	for (pt_level_t l = 2; l <= cfg->nr_levels; l++) {
		for (unsigned int i = 0; i < ARRAY_SIZE(pas); i++) {
			pte_t pte = cfg->new_pt(cfg, pa_init(pas[i]), l);
			paddr_t child = pa_init(0);

			if (!looks_like_table(cfg, pte) ||
			    pt_cfg_table_child(cfg, pte, l, &child) !=
				    PT_ENTRY_TABLE ||
			    cfg->classify(cfg, pte, l) != PT_ENTRY_TABLE ||
			    pa_addr(child) != pas[i] ||
			    pa_addr(cfg->paddr(cfg, pte, l)) != pas[i]) {
				return false;
			}
		}
	}
	/* At level 1 a leaf may look like a table (Arm's page descriptor). */
	for (pt_level_t l = 2; l <= cfg->highest_translation_level; l++) {
		uint64_t size = pt_page_size(l);

		if (cfg->level[l].leaf_ok &&
		    (!no_leaf_looks_like_table(cfg, l, pa_init(0)) ||
		     !no_leaf_looks_like_table(cfg, l,
					       pa_init(pages & ~(size - 1))))) {
			return false;
		}
	}
	return true;
}

ostd_err_t pt_config_check(const struct pt_config *cfg)
{
	CHECKIF (cfg == NULL) {
		return OSTD_EINVAL;
	}
	if (cfg->nr_levels < 1 || cfg->nr_levels > PT_MAX_LEVELS) {
		return reject(cfg, "nr_levels out of range");
	}
	if (cfg->highest_translation_level < 1 ||
	    cfg->highest_translation_level > cfg->nr_levels) {
		return reject(cfg, "highest_translation_level out of range");
	}
	/* Levels decode contiguous VA bits: 12, 21, 30, ... up to va_bits. */
	for (pt_level_t l = 1; l <= cfg->nr_levels; l++) {
		if (cfg->level[l].shift !=
		    PAGE_SHIFT + PT_ENTRY_BITS * (l - 1)) {
			return reject(cfg, "level shifts are not contiguous");
		}
		if (cfg->level[l].leaf_ok !=
		    (l <= cfg->highest_translation_level)) {
			return reject(cfg, "leaf_ok disagrees with "
					   "highest_translation_level");
		}
	}
	if (cfg->va_bits != cfg->level[cfg->nr_levels].shift + PT_ENTRY_BITS) {
		return reject(cfg, "va_bits is not what the levels decode");
	}
	if (cfg->pa_bits < 32 || cfg->pa_bits > 64) {
		return reject(cfg, "pa_bits out of range");
	}
	if (cfg->top_index_first > cfg->top_index_last ||
	    cfg->top_index_last >= PT_ENTRIES) {
		return reject(cfg, "bad top-level index range");
	}
	/* With sign extension a range must stay inside one half. */
	if (cfg->va_sign_extend &&
	    (cfg->top_index_first < PT_ENTRIES / 2) !=
		    (cfg->top_index_last < PT_ENTRIES / 2)) {
		return reject(cfg,
			      "top-level range crosses the canonical hole");
	}
	if ((cfg->legal_flags & ~PT_FLAGS_ALL) != 0 ||
	    (cfg->legal_flags & PROT_R) == 0) {
		return reject(cfg, "legal_flags must include PROT_R and only "
				   "known flags");
	}
	if (cfg->new_absent == NULL || cfg->new_page == NULL ||
	    cfg->new_pt == NULL || cfg->classify == NULL ||
	    cfg->paddr == NULL || cfg->prop == NULL || cfg->prop_ok == NULL) {
		return reject(cfg, "a codec hook is missing");
	}
	for (pt_level_t l = 1; l <= cfg->nr_levels; l++) {
		if (!cfg->level[l].leaf_ok && cfg->level[l].leaf_pa_bits != 0) {
			return reject(cfg, "leaf_pa_bits at a level without "
					   "leaves");
		}
		if (cfg->level[l].leaf_ok && !leaf_pa_bits_ok(cfg, l)) {
			return reject(cfg, "leaf_pa_bits does not split the "
					   "leaves new_page() makes");
		}
	}
	if (!table_bits_ok(cfg)) {
		return reject(cfg, "table_kind_mask or table_pa_bits disagree "
				   "with new_pt(), classify() or paddr()");
	}
	/* DESIGN.md §2: an all-zero PTE means absent, at every level. */
	for (pt_level_t l = 1; l <= cfg->nr_levels; l++) {
		if (cfg->new_absent(cfg, l) != 0 ||
		    cfg->classify(cfg, 0, l) != PT_ENTRY_ABSENT) {
			return reject(cfg, "the absent PTE is not all zeros");
		}
	}
	return OSTD_OK;
}

/* Sign-extends @p va from bit va_bits - 1 if the format wants that. */
static uint64_t canonicalize(const struct pt_config *cfg, uint64_t va)
{
	unsigned int unused = 64U - cfg->va_bits;

	if (!cfg->va_sign_extend || unused == 0) {
		return va;
	}
	/* Arithmetic shift on the two's-complement value, done by hand. */
	uint64_t top = 1ULL << (cfg->va_bits - 1);

	return (va & top) != 0 ? va | ~((top << 1) - 1) : va & ((top << 1) - 1);
}

void pt_config_vaddr_range(const struct pt_config *cfg, uint64_t *start,
			   uint64_t *last)
{
	unsigned int shift = cfg->level[cfg->nr_levels].shift;
	uint64_t first = (uint64_t)cfg->top_index_first << shift;
	/* The last byte under top_index_last, computed without overflow. */
	uint64_t end = ((uint64_t)cfg->top_index_last << shift) +
		       ((1ULL << shift) - 1);

	*start = canonicalize(cfg, first);
	*last = canonicalize(cfg, end);
}

bool pt_config_va_canonical(const struct pt_config *cfg, uint64_t va)
{
	if (cfg->va_sign_extend) {
		return canonicalize(cfg, va) == va;
	}
	return cfg->va_bits == 64 || (va >> cfg->va_bits) == 0;
}

pt_level_t pt_config_largest_pages(const struct pt_config *cfg, uint64_t va,
				   paddr_t pa, uint64_t len)
{
	for (pt_level_t l = cfg->highest_translation_level; l >= 1; l--) {
		uint64_t size = pt_page_size(l);

		if (cfg->level[l].leaf_ok && len >= size &&
		    (va & (size - 1)) == 0 && (pa_addr(pa) & (size - 1)) == 0) {
			return l;
		}
	}
	return 0;
}

ostd_err_t pt_config_leaf_ok(const struct pt_config *cfg, paddr_t pa,
			     pt_level_t level, struct pt_prop prop)
{
	CHECKIF (level < 1 || level > cfg->highest_translation_level ||
		 !cfg->level[level].leaf_ok) {
		return OSTD_EINVAL;
	}
	/* The last byte of the page must be below 2^pa_bits. */
	uint64_t size = pt_page_size(level);

	CHECKIF (cfg->pa_bits < 64 && (pa_addr(pa) >> cfg->pa_bits) != 0) {
		return OSTD_EINVAL;
	}
	CHECKIF ((pa_addr(pa) & (size - 1)) != 0) {
		return OSTD_EUNALIGNED;
	}
	CHECKIF ((prop.flags & ~cfg->legal_flags) != 0 ||
		 (unsigned int)prop.cache >= PT_CACHE_COUNT ||
		 !pt_cfg_prop_ok(cfg, prop)) {
		return OSTD_EPERM;
	}
	return OSTD_OK;
}

ostd_err_t pt_config_new_page(const struct pt_config *cfg, paddr_t pa,
			      pt_level_t level, struct pt_prop prop, pte_t *out)
{
	ostd_err_t err = pt_config_leaf_ok(cfg, pa, level, prop);

	if (err != OSTD_OK) {
		return err;
	}
	pte_t pte = pt_cfg_new_page(cfg, pa, level, prop);

	/* An encoder that produces something else is a broken port. */
	CHECK(pt_cfg_classify(cfg, pte, level) == PT_ENTRY_LEAF);
	*out = pte;
	return OSTD_OK;
}

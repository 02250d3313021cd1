/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * PageTableConfig: the one runtime vtable of OSTD-C (DESIGN.md §3).
 *
 * LEVELS COUNT FROM THE LEAF. Level 1 is the leaf table, whose entries map
 * 4 KiB pages; level `nr_levels` is the root. This is OSTD's numbering and
 * the only one used in code: never a manual's (the Arm ARM counts from the
 * root, RISC-V from the leaf starting at 0, Intel names its tables).
 *
 * A config is a `static const` object with a data half (geometry, managed
 * range) and a hook half (a pure PTE codec: no global state, no hardware
 * access). The same format is usually exported twice, once for user tables
 * (the lower half) and once for the kernel table (the upper half). Effects
 * (TLB invalidation, barriers, activating a root) are link-time arch_*
 * functions, never hooks.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/compiler.h"
#include "ostd/err.h"
#include "ostd/types.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ULL << PAGE_SHIFT)
#define PT_ENTRY_BITS 9
#define PT_ENTRIES (1U << PT_ENTRY_BITS)
#define PT_MAX_LEVELS 5

typedef uint64_t pte_t;
typedef unsigned int pt_level_t;

enum pt_entry_type {
	PT_ENTRY_ABSENT,
	PT_ENTRY_TABLE,
	PT_ENTRY_LEAF,
};

/*
 * Arch-neutral page properties. PROT_USER and PT_GLOBAL are privileged:
 * only the framework sets them, never a user-mapping request. PT_AVAIL1/2
 * are the software bits the core keeps its own bookkeeping in.
 */
#define PROT_R (1U << 0)
#define PROT_W (1U << 1)
#define PROT_X (1U << 2)
#define PROT_USER (1U << 3)
#define PT_GLOBAL (1U << 4)
#define PT_ACCESSED (1U << 5)
#define PT_DIRTY (1U << 6)
#define PT_AVAIL1 (1U << 7)
#define PT_AVAIL2 (1U << 8)
#define PT_FLAGS_ALL ((1U << 9) - 1)

enum pt_cache {
	/* Normal memory, write-back cacheable. */
	PT_CACHE_WRITEBACK,
	/* Normal memory, write-through. */
	PT_CACHE_WRITETHROUGH,
	/* Normal memory, uncached, writes may combine (frame buffers). */
	PT_CACHE_WRITECOMBINE,
	/* Strongly ordered, uncached: MMIO (x86 UC, Arm Device-nGnRnE). */
	PT_CACHE_UNCACHED,
	PT_CACHE_COUNT,
};

struct pt_prop {
	uint32_t flags;
	enum pt_cache cache;
};

static inline bool pt_prop_eq(struct pt_prop a, struct pt_prop b)
{
	return a.flags == b.flags && a.cache == b.cache;
}

struct pt_level_info {
	/* The lowest VA bit this level's index decodes. */
	uint8_t shift;
	/* A leaf (huge page at levels > 1) is architecturally allowed here. */
	bool leaf_ok;
	/* The manual's name for this table, for messages only. */
	const char *name;
	/**
	 * In a leaf at this level, the bits that hold the physical address
	 * (0 where leaf_ok is false). Every other bit is an attribute bit.
	 * The codec promises, and pt_config_check() tests on every leaf it
	 * can encode, that:
	 * - new_page() sets these bits from @p pa and @p level alone, and the
	 *   others from @p prop and @p level alone;
	 * - prop() reads only the attribute bits.
	 * So a leaf's properties are a function of (pte & ~leaf_pa_bits,
	 * level), and changing them keeps (pte & leaf_pa_bits). The core
	 * uses this to skip the codec when a run of leaves shares its
	 * attributes (struct pt_prop_memo, pt_cfg_leaf_rewrite()); it never
	 * looks at which bits these are.
	 */
	pte_t leaf_pa_bits;
	/**
	 * How those bits hold the address, if they hold it plainly: paddr()
	 * of a leaf at this level is (pte & leaf_pa_bits) rotated right by
	 * this many bits (0 when the field is the address in place). A format
	 * whose address is scattered otherwise sets PT_PA_ROT_NONE, and the
	 * core calls paddr() (and new_page() per leaf where it would use a
	 * leaf template, below). pt_config_check() compares the two.
	 */
	uint8_t leaf_pa_rot;
};

/* leaf_pa_rot for a format whose leaf address is not a rotated field. */
#define PT_PA_ROT_NONE 0xff

struct pt_config {
	const char *name;

	/* --- Data half. --- */
	pt_level_t nr_levels;
	/* The largest level a leaf may be created at (<= nr_levels). */
	pt_level_t highest_translation_level;
	/* Virtual address bits the tables decode (39 or 48). */
	uint8_t va_bits;
	/* Addresses are canonical: bits above va_bits copy bit va_bits-1. */
	bool va_sign_extend;
	/* Physical address bits an entry can hold. */
	uint8_t pa_bits;
	/* The root indices this table manages, inclusive. */
	uint16_t top_index_first;
	uint16_t top_index_last;
	/* Whether root entries may be cleared (false for the kernel). */
	bool top_level_can_unmap;
	/*
	 * The other half of the same format (same codec and levels): a user
	 * config's kernel config and back. vm_space_new() builds a space's
	 * user table from its kernel table's twin.
	 */
	const struct pt_config *twin;
	/* The PROT_ and PT_ flags the format can store. */
	uint32_t legal_flags;
	/* Indexed by level, 1..nr_levels; [0] unused. */
	struct pt_level_info level[PT_MAX_LEVELS + 1];
	/**
	 * Break-before-make. When set, the core never overwrites a valid
	 * entry with a valid one that differs in kind (a leaf for a table or
	 * back: a change of block size), in the address it holds, or in
	 * bbm_attr_bits: it writes the entry invalid, flushes it from every
	 * CPU that may cache it, and only then writes the new one
	 * (pt_cfg_needs_bbm()). AArch64 requires this ("Using
	 * break-before-make when updating translation table entries", Arm
	 * ARM D8.16.1 in DDI 0487K; without FEAT_BBM level 2 even a block
	 * size change needs it); x86_64 and RISC-V do not, and leave it
	 * false so that they pay one test of this flag.
	 */
	bool break_before_make;
	/**
	 * In a leaf: the attribute bits whose change needs break-before-make
	 * (Arm: AttrIndx, SH, nG). Changes of the other bits (access rights,
	 * execute-never, software bits) are written in place and flushed
	 * afterwards. Only read when break_before_make is set.
	 */
	pte_t bbm_attr_bits;

	/* --- Hook half: a pure codec. Inputs are valid (see below). --- */

	/** The absent entry. It must be all zeros. */
	pte_t (*new_absent)(const struct pt_config *cfg, pt_level_t level);
	/**
	 * A leaf mapping @p pa at @p level with @p prop. The caller has
	 * checked pt_config_leaf_ok(): the level may hold a leaf, @p pa is
	 * aligned to the page size and fits, @p prop is legal.
	 */
	pte_t (*new_page)(const struct pt_config *cfg, paddr_t pa,
			  pt_level_t level, struct pt_prop prop);
	/** An entry at @p level pointing to the table at @p pa (level-1). */
	pte_t (*new_pt)(const struct pt_config *cfg, paddr_t pa,
			pt_level_t level);
	/** What @p pte at @p level is. Never reads memory. */
	enum pt_entry_type (*classify)(const struct pt_config *cfg, pte_t pte,
				       pt_level_t level);
	/** The address a table or leaf entry points to. */
	paddr_t (*paddr)(const struct pt_config *cfg, pte_t pte,
			 pt_level_t level);
	/** The properties of a leaf entry. */
	struct pt_prop (*prop)(const struct pt_config *cfg, pte_t pte,
			       pt_level_t level);
	/** True if the format can represent @p prop exactly. */
	bool (*prop_ok)(const struct pt_config *cfg, struct pt_prop prop);

	/* --- Table entries as data (pt_cfg_table_child()). --- */

	/**
	 * A test for table entries at every level above 1: an entry with
	 * (pte & table_kind_mask) == table_kind_match is one classify()
	 * calls PT_ENTRY_TABLE, and new_pt() makes only such entries. The
	 * test need not catch every table (x86 ignores PS in a PML4E; the
	 * core asks classify() about whatever fails it), but no leaf and no
	 * absent entry may pass it. A table_kind_match of 0 declares
	 * nothing: the core then calls classify() and paddr() on every
	 * table entry (arch/host/pt_hostile.c, whose entries are scrambled).
	 */
	pte_t table_kind_mask;
	pte_t table_kind_match;
	/**
	 * The bits of a table entry that hold the child's address, and how:
	 * paddr() of a table entry is (pte & table_pa_bits) rotated right by
	 * table_pa_rot bits, as leaf_pa_rot does for leaves (PT_PA_ROT_NONE:
	 * the core calls paddr()). Read only when table_kind_match is set.
	 */
	pte_t table_pa_bits;
	uint8_t table_pa_rot;
};

/* ---------------------------------------------------------------------
 * Calling the codec. The core calls the hooks only through these
 * wrappers, so that a build can bind them to one format at compile time:
 * with -DOSTD_PT_FIXED_CONFIG=<config object> the hooks are read from
 * that const object instead of @p cfg, which the compiler folds into
 * direct calls and, with link-time optimisation, inlines. The benchmark
 * builds the core both ways to measure what the indirect calls cost
 * (docs/performance.md). Such a build must only ever be given tables of
 * that format; the data half is still read from @p cfg.
 * --------------------------------------------------------------------- */

#ifdef OSTD_PT_FIXED_CONFIG
extern const struct pt_config OSTD_PT_FIXED_CONFIG;
#define PT_CODEC(cfg) (&OSTD_PT_FIXED_CONFIG)
#else
#define PT_CODEC(cfg) (cfg)
#endif

static inline pte_t pt_cfg_new_absent(const struct pt_config *cfg,
				      pt_level_t level)
{
	return PT_CODEC(cfg)->new_absent(cfg, level);
}

static inline pte_t pt_cfg_new_page(const struct pt_config *cfg, paddr_t pa,
				    pt_level_t level, struct pt_prop prop)
{
	return PT_CODEC(cfg)->new_page(cfg, pa, level, prop);
}

static inline pte_t pt_cfg_new_pt(const struct pt_config *cfg, paddr_t pa,
				  pt_level_t level)
{
	return PT_CODEC(cfg)->new_pt(cfg, pa, level);
}

static inline enum pt_entry_type pt_cfg_classify(const struct pt_config *cfg,
						 pte_t pte, pt_level_t level)
{
	return PT_CODEC(cfg)->classify(cfg, pte, level);
}

static inline paddr_t pt_cfg_paddr(const struct pt_config *cfg, pte_t pte,
				   pt_level_t level)
{
	return PT_CODEC(cfg)->paddr(cfg, pte, level);
}

static inline struct pt_prop pt_cfg_prop(const struct pt_config *cfg, pte_t pte,
					 pt_level_t level)
{
	return PT_CODEC(cfg)->prop(cfg, pte, level);
}

static inline bool pt_cfg_prop_ok(const struct pt_config *cfg,
				  struct pt_prop prop)
{
	return PT_CODEC(cfg)->prop_ok(cfg, prop);
}

/**
 * True if overwriting the entry @p old at @p level with @p pte needs
 * break-before-make on @p cfg's format (see break_before_make): both are
 * valid and they differ in kind, in address, or in bbm_attr_bits.
 */
static inline bool pt_cfg_needs_bbm(const struct pt_config *cfg, pte_t old,
				    pte_t pte, pt_level_t level)
{
	if (!cfg->break_before_make || old == 0 || pte == 0) {
		return false;
	}
	enum pt_entry_type t = pt_cfg_classify(cfg, old, level);

	if (t != pt_cfg_classify(cfg, pte, level)) {
		return true;
	}
	if (t == PT_ENTRY_LEAF) {
		return ((old ^ pte) & (cfg->level[level].leaf_pa_bits |
				       cfg->bbm_attr_bits)) != 0;
	}
	return pa_addr(pt_cfg_paddr(cfg, old, level)) !=
	       pa_addr(pt_cfg_paddr(cfg, pte, level));
}

/* ---------------------------------------------------------------------
 * Table entries without the codec. A walk from the root reads one table
 * entry per level; declared as data (table_kind_mask and table_pa_bits),
 * each costs a mask and a compare instead of two indirect calls.
 * --------------------------------------------------------------------- */

/** The rotation of leaf_pa_rot and table_pa_rot (@p rot below 64). */
static inline uint64_t pt_pa_rotate(pte_t field, unsigned int rot)
{
	return rot == 0 ? field : (field >> rot) | (field << (64 - rot));
}

/**
 * What the entry @p pte at @p level (above 1) is, as classify() says;
 * for a table, its child's address in @p child. A table entry of a format
 * that declares table_kind_match, and an absent entry (all zeros) of any,
 * cost no codec call.
 */
static inline enum pt_entry_type pt_cfg_table_child(const struct pt_config *cfg,
						    pte_t pte, pt_level_t level,
						    paddr_t *child)
{
	if (cfg->table_kind_match != 0 &&
	    (pte & cfg->table_kind_mask) == cfg->table_kind_match &&
	    cfg->table_pa_rot < 64) {
		*child = pa_init(pt_pa_rotate(pte & cfg->table_pa_bits,
					      cfg->table_pa_rot));
		return PT_ENTRY_TABLE;
	}
	if (pte == 0) {
		return PT_ENTRY_ABSENT;
	}
	enum pt_entry_type type = pt_cfg_classify(cfg, pte, level);

	if (type == PT_ENTRY_TABLE) {
		*child = pt_cfg_paddr(cfg, pte, level);
	}
	return type;
}

/* ---------------------------------------------------------------------
 * Skipping the codec where attributes repeat. The codec is pure and
 * separates a leaf into address bits and attribute bits (leaf_pa_bits),
 * so decoding and encoding properties can be cached by the attribute
 * bits alone. A run of leaves with the same attributes (the pages of one
 * mapping, every entry of a level-1 node) then costs one codec call, not
 * one per entry: a masked compare replaces prop()'s decode of every field
 * when the core only wants one bit (the tracked bit, PT_AVAIL1), and
 * protect rewrites the attribute bits of the raw PTE directly.
 * --------------------------------------------------------------------- */

/** paddr() of the leaf @p pte at @p level, from leaf_pa_bits if it can. */
static inline paddr_t pt_cfg_leaf_paddr(const struct pt_config *cfg, pte_t pte,
					pt_level_t level)
{
	const struct pt_level_info *li = &cfg->level[level];
	pte_t field = pte & li->leaf_pa_bits;
	unsigned int rot = li->leaf_pa_rot;

	if (rot == 0) {
		return pa_init(field);
	}
	if (rot >= 64) {
		return pt_cfg_paddr(cfg, pte, level);
	}
	return pa_init((field >> rot) | (field << (64 - rot)));
}

/** A one-entry cache of prop(); zero-initialise it (level 0: empty). */
struct pt_prop_memo {
	pte_t attrs;
	pt_level_t level;
	struct pt_prop prop;
};

/** A one-entry cache of the attribute bits new_page() makes for a prop. */
struct pt_attr_memo {
	struct pt_prop prop;
	pt_level_t level;
	pte_t attrs;
};

/** prop() of the leaf @p pte at @p level, through @p memo. */
static inline struct pt_prop pt_cfg_prop_memo(const struct pt_config *cfg,
					      struct pt_prop_memo *memo,
					      pte_t pte, pt_level_t level)
{
	pte_t attrs = pte & ~cfg->level[level].leaf_pa_bits;

	if (memo->level != level || memo->attrs != attrs) {
		memo->prop = pt_cfg_prop(cfg, pte, level);
		memo->attrs = attrs;
		memo->level = level;
	}
	return memo->prop;
}

/** new_page(), remembering the attribute bits it made in @p memo. */
static inline pte_t pt_cfg_new_page_memo(const struct pt_config *cfg,
					 struct pt_attr_memo *memo, paddr_t pa,
					 pt_level_t level, struct pt_prop prop)
{
	pte_t pte = pt_cfg_new_page(cfg, pa, level, prop);

	memo->prop = prop;
	memo->level = level;
	memo->attrs = pte & ~cfg->level[level].leaf_pa_bits;
	return pte;
}

/**
 * The leaf @p old at @p level with its properties replaced by @p prop,
 * without the codec: old's address bits OR the attribute bits @p memo
 * holds for @p prop. This is new_page() of old's address with @p prop.
 *
 * @return False, and @p out untouched, if @p memo holds another prop or
 *         level: then call pt_cfg_new_page_memo().
 */
static inline bool pt_cfg_leaf_rewrite(const struct pt_config *cfg,
				       const struct pt_attr_memo *memo,
				       pte_t old, pt_level_t level,
				       struct pt_prop prop, pte_t *out)
{
	if (memo->level != level || !pt_prop_eq(memo->prop, prop)) {
		return false;
	}
	*out = (old & cfg->level[level].leaf_pa_bits) | memo->attrs;
	return true;
}

/* ---------------------------------------------------------------------
 * Leaf templates: encoding a run of leaves once. (Leaf side only; the
 * table-entry side has its own block.)
 *
 * Where a format declares leaf_pa_rot (not PT_PA_ROT_NONE), the address
 * bits of a leaf are exactly the address rotated left by it: paddr() is
 * the field rotated right (which pt_config_check() tests), and rotation
 * is a bijection. With the attribute bits a function of the properties
 * and the level alone (leaf_pa_bits), every leaf at a level is
 *
 *     template(prop, level) | rotl(pa, leaf_pa_rot)
 *
 * so a run of leaves costs one new_page() for the template and, per
 * entry, a rotate and an OR. A format that scatters its address field
 * declares PT_PA_ROT_NONE and gets one new_page() per entry.
 * --------------------------------------------------------------------- */

/** True if leaves at @p level can be made from a template. */
static inline bool pt_cfg_leaf_tmpl_ok(const struct pt_config *cfg,
				       pt_level_t level)
{
	return cfg->level[level].leaf_pa_rot != PT_PA_ROT_NONE;
}

/**
 * The address bits of a leaf mapping @p pa at @p level, after
 * pt_cfg_leaf_tmpl_ok(): @p pa rotated left by leaf_pa_rot. (With a
 * rotation of 0 both shifts leave @p pa whole: no branch.)
 */
static inline pte_t pt_cfg_leaf_place(const struct pt_config *cfg, uint64_t pa,
				      pt_level_t level)
{
	unsigned int rot = cfg->level[level].leaf_pa_rot & 63U;

	return (pa << rot) | (pa >> ((64U - rot) & 63U));
}

/**
 * The attribute bits new_page() makes for @p prop at @p level (the
 * template), through @p memo: one codec call per change of @p prop.
 * @p pa is any address the caller has checked with pt_config_leaf_ok().
 */
static inline pte_t pt_cfg_leaf_tmpl(const struct pt_config *cfg,
				     struct pt_attr_memo *memo, paddr_t pa,
				     pt_level_t level, struct pt_prop prop)
{
	if (memo->level != level || !pt_prop_eq(memo->prop, prop)) {
		(void)pt_cfg_new_page_memo(cfg, memo, pa, level, prop);
	}
	return memo->attrs;
}

/**
 * new_page() of @p pa at @p level with @p prop, from the template in
 * @p memo where the format allows it.
 */
static inline pte_t pt_cfg_new_page_tmpl(const struct pt_config *cfg,
					 struct pt_attr_memo *memo, paddr_t pa,
					 pt_level_t level, struct pt_prop prop)
{
	if (!pt_cfg_leaf_tmpl_ok(cfg, level)) {
		return pt_cfg_new_page(cfg, pa, level, prop);
	}
	return pt_cfg_leaf_tmpl(cfg, memo, pa, level, prop) |
	       pt_cfg_leaf_place(cfg, pa_addr(pa), level);
}

/* ---------------------------------------------------------------------
 * Geometry, shared by every format. All of it is overflow-safe at the top
 * of the address space: ranges are inclusive at the end.
 * --------------------------------------------------------------------- */

/** The size a leaf at @p level maps: 4096 << 9 * (level - 1). */
static inline uint64_t pt_page_size(pt_level_t level)
{
	return PAGE_SIZE << (PT_ENTRY_BITS * (level - 1));
}

/** The index of @p va in a table at @p level. */
static inline unsigned int pt_index(const struct pt_config *cfg, uint64_t va,
				    pt_level_t level)
{
	return (unsigned int)(va >> cfg->level[level].shift) & (PT_ENTRIES - 1);
}

/**
 * Checks a config's internal consistency: levels decode contiguous VA bits
 * up to va_bits, the leaf level allows leaves, huge levels do not exceed
 * the highest translation level, the managed root range is sane and every
 * hook is present; and that leaf_pa_bits splits every leaf the codec can
 * encode as documented there (every legal property at every leaf level,
 * at the lowest and highest aligned address).
 *
 * @retval OSTD_OK Consistent.
 * @retval OSTD_EINVAL Not; the reason is printed.
 */
WARN_UNUSED ostd_err_t pt_config_check(const struct pt_config *cfg);

/**
 * The managed virtual range [*start, *last] (inclusive), derived from the
 * root index range with sign extension.
 */
void pt_config_vaddr_range(const struct pt_config *cfg, uint64_t *start,
			   uint64_t *last);

/** True if @p va is canonical for @p cfg (sign-extended if it must be). */
bool pt_config_va_canonical(const struct pt_config *cfg, uint64_t va);

/**
 * The largest level at which a leaf could map @p va to @p pa without
 * exceeding @p len bytes: both aligned to the page size, the level allowed
 * to hold leaves, not above highest_translation_level.
 *
 * @return The level (>= 1), or 0 if not even a 4 KiB page fits (@p len
 *         below PAGE_SIZE, or @p va / @p pa unaligned).
 */
pt_level_t pt_config_largest_pages(const struct pt_config *cfg, uint64_t va,
				   paddr_t pa, uint64_t len);

/**
 * Checks a leaf request against the format.
 *
 * @retval OSTD_OK The codec can encode it.
 * @retval OSTD_EINVAL @p level is 0, above the highest translation level
 *         or not a leaf level, or @p pa does not fit in pa_bits.
 * @retval OSTD_EUNALIGNED @p pa is not aligned to pt_page_size(@p level).
 * @retval OSTD_EPERM @p prop has flags or a cache policy the format cannot
 *         store.
 */
WARN_UNUSED ostd_err_t pt_config_leaf_ok(const struct pt_config *cfg,
					 paddr_t pa, pt_level_t level,
					 struct pt_prop prop);

/**
 * Encodes a leaf after pt_config_leaf_ok(); on error @p out is untouched.
 */
WARN_UNUSED ostd_err_t pt_config_new_page(const struct pt_config *cfg,
					  paddr_t pa, pt_level_t level,
					  struct pt_prop prop, pte_t *out);

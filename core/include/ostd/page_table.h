/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The page-table core (DESIGN.md §4): page tables built from typed frames,
 * and cursors that query and change a locked virtual range.
 *
 * Levels count from the leaf (level 1 = 4 KiB entries), as in pt_config.h.
 *
 * A cursor is a transaction over [start, end): creating it locks the
 * smallest sub-tree covering the range (per-node locks, taken parent
 * first, lower address first: one global order), so cursors over disjoint
 * ranges run in parallel and overlapping ones wait. Everything a cursor
 * does is seen together when it is dropped.
 *
 * Mapped items are tracked (a frame; the PTE owns one reference, so the
 * frame's refcount counts its mappings; always 4 KiB) or untracked (a raw
 * physical range such as MMIO or the kernel's linear map, any leaf size).
 * The core marks tracked leaves with PT_AVAIL1: callers never pass it.
 *
 * Removed frames and page-table nodes are never freed before the TLB flush:
 * they go to the cursor's TLB flusher, which releases them only after
 * every CPU that may cache a translation has flushed (and, for nodes,
 * after an RCU grace period, since lock-free walkers may still be reading
 * them). A flusher whose keep list fills up flushes early, mid-cursor.
 *
 * A failed call leaves the cursor where it was and its outputs untouched.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ostd/compiler.h"
#include "ostd/err.h"
#include "ostd/frame.h"
#include "ostd/pt_config.h"
#include "ostd/types.h"

/* ---------------------------------------------------------------------
 * CPU sets and the TLB flusher (DESIGN.md §6).
 * --------------------------------------------------------------------- */

#define OSTD_MAX_CPUS 64

struct cpu_set {
	_Atomic uint64_t bits;
};

static inline void cpu_set_add(struct cpu_set *s, unsigned int cpu)
{
	atomic_fetch_or(&s->bits, 1ULL << cpu);
}

static inline void cpu_set_remove(struct cpu_set *s, unsigned int cpu)
{
	atomic_fetch_and(&s->bits, ~(1ULL << cpu));
}

static inline bool cpu_set_contains(const struct cpu_set *s, unsigned int cpu)
{
	return (atomic_load(&s->bits) & (1ULL << cpu)) != 0;
}

/*
 * What a flush drops from a TLB. PAGE and RANGE drop every entry that
 * translates an address in the range, global ones too (x86 invlpg, RISC-V
 * sfence.vma with rs1 = va and rs2 = x0, Arm TLBI VAAE1IS all do). The two
 * full flushes differ in the global entries (x86 G, RISC-V G, Arm nG = 0),
 * which survive a switch of spaces:
 * - TLB_OP_ALL promises every non-global entry and no more. A port may
 *   drop global entries too (RISC-V and AArch64 do, having no cheaper
 *   form for every address space), but the host's software TLB drops
 *   exactly the non-global ones, so the host suite passes only if the
 *   core never relies on more than the promise.
 * - TLB_OP_ALL_GLOBAL drops every entry, global ones included.
 * The flusher picks the second whenever the table may hold global leaves
 * (a kernel table always; a user table once a raw cursor mapped one), so
 * a range it widens to a full flush still covers everything it removed.
 */
enum tlb_op_kind {
	TLB_OP_PAGE,       /* One page at va. */
	TLB_OP_RANGE,      /* [va, va + len). */
	TLB_OP_ALL,        /* Every non-global entry. */
	TLB_OP_ALL_GLOBAL, /* Every entry, global ones too. */
};

struct tlb_op {
	enum tlb_op_kind kind;
	uint64_t va;
	uint64_t len;
};

/*
 * A range of this many pages or more becomes one full flush (DESIGN.md §6):
 * TLB_OP_ALL, or TLB_OP_ALL_GLOBAL on a table that may hold global leaves.
 */
#define TLB_FLUSH_ALL_PAGES 32
#define TLB_MAX_OPS 16
#define TLB_MAX_KEPT 64

/* Something a flusher keeps alive until its flush is done. */
enum tlb_kept_kind {
	TLB_KEPT_FRAME, /* One reference to a frame (tracked mapping). */
	TLB_KEPT_NODE,  /* A detached page-table sub-tree. */
};

struct tlb_kept {
	enum tlb_kept_kind kind;
	paddr_t pa;
	pt_level_t level; /* TLB_KEPT_NODE: the sub-tree root's level. */
};

struct page_table;

struct tlb_flusher {
	struct page_table *pt;
	struct tlb_op ops[TLB_MAX_OPS];
	unsigned int op_count;
	bool flush_all;
	/* Issued, not yet dispatched. */
	struct tlb_kept pending[TLB_MAX_KEPT];
	unsigned int pending_count;
	/* Dispatched, waiting for sync() to release them. */
	struct tlb_kept dispatched[TLB_MAX_KEPT];
	unsigned int dispatched_count;
	/* Statistics, for tests and benchmarks. */
	uint64_t dispatches;
};

/**
 * Makes @p f an empty flusher for @p pt. Only the counts are set: the
 * arrays are read up to them, so a cursor need not clear 3 KiB.
 */
void tlb_flusher_init(struct tlb_flusher *f, struct page_table *pt);

/** Queues a flush of @p op. */
void tlb_flusher_issue(struct tlb_flusher *f, struct tlb_op op);

/**
 * The full flush that covers every translation of @p pt: TLB_OP_ALL_GLOBAL
 * if it may hold global leaves (page_table.globals), else TLB_OP_ALL.
 */
enum tlb_op_kind tlb_full_flush_kind(const struct page_table *pt);

/**
 * Queues a flush of @p op and keeps @p kept alive until it is done. If
 * the keep list is full, it dispatches and syncs first.
 */
void tlb_flusher_issue_with(struct tlb_flusher *f, struct tlb_op op,
			    struct tlb_kept kept);

/**
 * Performs the queued flushes on this CPU and sends them to every other
 * CPU that has the page table active (an IPI on hardware).
 */
void tlb_flusher_dispatch(struct tlb_flusher *f);

/**
 * Waits until every CPU acknowledged the dispatched flushes, then releases
 * what was kept: frame references are dropped, and detached sub-trees go
 * to RCU, which frees them after the grace period.
 */
void tlb_flusher_sync(struct tlb_flusher *f);

/** The number of things kept and not yet released. */
unsigned int tlb_flusher_kept(const struct tlb_flusher *f);

/* ---------------------------------------------------------------------
 * RCU for page-table nodes.
 * --------------------------------------------------------------------- */

/** Enters a lock-free read section on this CPU (may nest). */
void pt_rcu_read_lock(void);
void pt_rcu_read_unlock(void);

/** Frees the retired nodes whose grace period has passed. */
void pt_rcu_poll(void);

/**
 * Waits until every node retired so far is freed. The caller must not be
 * in a read section.
 */
void pt_rcu_barrier(void);

/** Nodes retired and not yet freed. */
uint64_t pt_rcu_pending(void);

/* ---------------------------------------------------------------------
 * Page tables.
 * --------------------------------------------------------------------- */

/*
 * User space ends one page below the canonical hole on every ISA: the page
 * just below it is never mappable (a SYSRET to the first non-canonical
 * address is the CVE-2012-0217 class; DESIGN.md §2). This is the bound of
 * the 48-bit formats; a format with fewer VA bits has its hole lower and
 * caps its user tables the same way below it (Sv39: 2^38 - 4096), which
 * page_table.va_last says per table.
 */
#define MAX_USER_VADDR ((1ULL << 47) - PAGE_SIZE)

struct page_table {
	const struct pt_config *cfg;
	paddr_t root;
	/* What cursors may cover: the config's range, and for a user table
	 * nothing at or above MAX_USER_VADDR. Inclusive. */
	uint64_t va_start;
	uint64_t va_last;
	/* The CPUs that have this table active: targets of TLB flushes. */
	struct cpu_set active_cpus;
	/* The kernel table whose root entries this one shares, or NULL. */
	struct page_table *kernel;
	/*
	 * The table may hold global leaves: set for a kernel table, and on a
	 * user table by the first map or protect that stores PT_GLOBAL
	 * (sticky). A full flush of it must then drop global entries too.
	 */
	atomic_bool globals;
};

/** The frame type of page-table nodes (typed: never mapped to users). */
extern const struct frame_type frame_type_pt_node;

/* ---------------------------------------------------------------------
 * Items and cursors.
 * --------------------------------------------------------------------- */

enum pt_item_kind {
	PT_ITEM_NONE,
	PT_ITEM_FRAME,     /* Tracked: a frame, one reference per mapping. */
	PT_ITEM_UNTRACKED, /* A raw physical range of one leaf's size. */
};

struct pt_item {
	enum pt_item_kind kind;
	paddr_t pa;
	pt_level_t level; /* Leaf level: always 1 for PT_ITEM_FRAME. */
};

static inline struct pt_item pt_item_frame(paddr_t pa)
{
	return (struct pt_item){ .kind = PT_ITEM_FRAME, .pa = pa, .level = 1 };
}

static inline struct pt_item pt_item_untracked(paddr_t pa, pt_level_t level)
{
	return (struct pt_item){ .kind = PT_ITEM_UNTRACKED,
				 .pa = pa,
				 .level = level };
}

/* What query() finds at an address. */
struct pt_query {
	/* The slot: page-size aligned; may stick out of the cursor range. */
	uint64_t va;
	uint64_t size;
	/* kind PT_ITEM_NONE if nothing is mapped there. */
	struct pt_item item;
	struct pt_prop prop;
};

#define PT_MAX_LOCKED 1024

struct pt_cursor {
	struct page_table *pt;
	uint64_t start;
	uint64_t last; /* Inclusive end: never overflows. */
	uint64_t va;
	bool at_end; /* va went past last. */
	bool is_mut;
	/* The locked sub-tree root. */
	paddr_t guard;
	pt_level_t guard_level;
	struct pt_node_meta *guard_meta;
	/*
	 * A shortcut past the walk from the guard: the last level-1 node
	 * this cursor reached (pa 0: none), which maps the 2 MiB at
	 * leaf_base, with its entries and metadata. The cursor holds that
	 * node's lock, so it stays linked until the cursor itself detaches
	 * a sub-tree, which forgets it.
	 */
	paddr_t leaf;
	uint64_t leaf_base;
	pte_t *leaf_ptes;
	struct pt_node_meta *leaf_meta;
	/* The last properties pt_config_leaf_ok() accepted (if valid). */
	struct pt_prop prop_ok;
	bool prop_ok_valid;
	/*
	 * map()'s fast path: set after a 4 KiB map into the remembered node;
	 * the next map of the same kind with the same properties only runs
	 * the checks that depend on its addresses.
	 */
	struct pt_prop fast_prop;
	enum pt_item_kind fast_kind;
	bool fast_ok;
	/*
	 * The last leaf attributes decoded, and the last ones protect
	 * encoded (pt_config.h): query, unmap and protect over a run of
	 * leaves with the same attributes call the codec once.
	 */
	struct pt_prop_memo prop_memo;
	struct pt_attr_memo attr_memo;
	struct tlb_flusher flusher;
};

/**
 * Ends the transaction: dispatches and syncs the flusher (a mut cursor's
 * changes are visible to every CPU afterwards) and unlocks.
 */
void pt_cursor_drop(struct pt_cursor *cur);

/** The cursor's current address. */
static inline uint64_t pt_cursor_va(const struct pt_cursor *cur)
{
	return cur->va;
}

/**
 * Reports the slot containing the cursor's address. Never allocates.
 *
 * @retval OSTD_ERANGE The cursor is at the end of its range.
 */
WARN_UNUSED ostd_err_t pt_cursor_query(struct pt_cursor *cur,
				       struct pt_query *out);

/**
 * Moves to the first mapped address in [va, va + len), if any.
 *
 * @param[out] found Set to the mapped slot's start (the cursor address
 *             if the slot started below it), or untouched if none.
 * @retval OSTD_OK A mapping was found; the cursor is at *found.
 * @retval OSTD_ENOENT None (also for @p len 0): the cursor moved to
 *         va + len.
 * @retval OSTD_EUNALIGNED @p len is not page aligned.
 * @retval OSTD_EINVAL @p len runs past the cursor's end (checked without
 *         overflow).
 */
WARN_UNUSED ostd_err_t pt_cursor_find_next(struct pt_cursor *cur, uint64_t len,
					   uint64_t *found);

/**
 * Moves to @p va.
 *
 * @retval OSTD_EUNALIGNED @p va is not page aligned.
 * @retval OSTD_ERANGE @p va is outside [start, end).
 */
WARN_UNUSED ostd_err_t pt_cursor_jump(struct pt_cursor *cur, uint64_t va);

/**
 * Maps @p item with @p prop at the cursor's address and moves past it.
 * Nodes are allocated before anything is written, so on any error the
 * mapping set is unchanged and nothing leaks. A tracked frame gains one
 * reference on success; the caller keeps its own.
 *
 * @retval OSTD_EPERM The cursor is not mutable, @p prop is illegal for the
 *         format, or has PT_AVAIL1 (the core's), or is writable and
 *         executable in a kernel table (S5: no W+X kernel mappings), or
 *         @p item is a tracked frame that is free, a page-table node, or
 *         not 4 KiB.
 * @retval OSTD_EINVAL The item's level is 0 or above the highest
 *         translation level.
 * @retval OSTD_EUNALIGNED The cursor address or the item's pa is not
 *         aligned to the item's page size.
 * @retval OSTD_ERANGE The item runs past the cursor's end.
 * @retval OSTD_EEXIST Something is already mapped in the item's range.
 * @retval OSTD_ENOMEM Out of memory for nodes.
 */
WARN_UNUSED ostd_err_t pt_cursor_map(struct pt_cursor *cur, struct pt_item item,
				     struct pt_prop prop);

/**
 * Maps @p n 4 KiB pages with @p prop at the cursor and moves past them:
 * page i is @p first's kind at first.pa + i * 4 KiB (untracked memory, or
 * tracked frames, each of which gains one reference). All of it or
 * nothing: every page is checked and every node allocated before anything
 * is written, so on any error the mapping set is unchanged, nothing
 * leaks and the cursor does not move. The result is that of @p n calls of
 * pt_cursor_map() with those items, except that on error none of them
 * happened; the error is the one the first failing page would get.
 *
 * @retval OSTD_EINVAL @p n is 0, first.level is not 1, or the last page
 *         does not fit in the address space.
 * Otherwise as pt_cursor_map().
 */
WARN_UNUSED ostd_err_t pt_cursor_map_pages(struct pt_cursor *cur,
					   struct pt_item first, uint64_t n,
					   struct pt_prop prop);

/**
 * Removes every mapping in [va, va + len), splitting huge pages that
 * straddle the ends and detaching whole sub-trees in one step, and moves
 * to va + len. Removed frames and nodes go to the flusher. Sub-trees are
 * detached below the cursor's guard node: the guard itself (and the
 * kernel's pre-allocated root children) stay, emptied.
 *
 * @param[out] count The number of leaf mappings removed (may be NULL).
 * @retval OSTD_EUNALIGNED @p len is not page aligned.
 * @retval OSTD_EINVAL @p len runs past the cursor's end.
 * @retval OSTD_EPERM The cursor is not mutable.
 * @retval OSTD_ENOMEM A split needed memory; nothing changed.
 */
WARN_UNUSED ostd_err_t pt_cursor_unmap(struct pt_cursor *cur, uint64_t len,
				       uint64_t *count);

/** A property change applied by protect_next(). */
typedef void (*pt_protect_op)(struct pt_prop *prop, void *ctx);

/**
 * Finds the next mapped leaf in [va, va + len), splits it if it straddles
 * the range's ends, applies @p op to its properties and moves past it. The
 * TLB is not flushed: issue that through the cursor's flusher. (Where the
 * format needs break-before-make for the change, such as a new memory type
 * on AArch64, the old leaf is written invalid and flushed everywhere before
 * the new one is written; see pt_config.break_before_make.)
 *
 * @param[out] range_start, range_len The leaf's range, if one was found.
 * @retval OSTD_OK A leaf was changed.
 * @retval OSTD_ENOENT None in the range; the cursor moved to va + len.
 * @retval OSTD_EUNALIGNED / OSTD_EINVAL As for unmap.
 * @retval OSTD_EPERM Not mutable, or the new prop is illegal or W+X in a
 *         kernel table (the leaf is then left unchanged).
 * @retval OSTD_ENOMEM A split needed memory; nothing changed.
 */
WARN_UNUSED ostd_err_t pt_cursor_protect_next(struct pt_cursor *cur,
					      uint64_t len, pt_protect_op op,
					      void *ctx, uint64_t *range_start,
					      uint64_t *range_len);

/**
 * Sets the flags @p set and clears the flags @p clear in every leaf in
 * [va, va + len), splitting the huge leaves that straddle the range's
 * ends, and moves to va + len. The cache policy and the address of each
 * leaf stay. One call for a whole range: no callback, and the codec runs
 * once per run of leaves with the same attributes. Every leaf is checked
 * before any is written, so on any error the mapping set is unchanged.
 * One flush for the span the leaves cover is queued on the cursor's
 * flusher (done at the latest when the cursor is dropped); where the
 * format needs break-before-make for the change, each leaf is broken and
 * flushed first, as for protect_next().
 *
 * @param[out] count The number of leaves in the range after the splits,
 *             each now with the new flags (may be NULL; written on
 *             success only).
 * @retval OSTD_OK Done (also for @p len 0, or a range with no leaf).
 * @retval OSTD_EPERM Not mutable; or a mask holds PT_AVAIL1 (the
 *         core's), or on a VmSpace's table PROT_USER, PT_GLOBAL or
 *         PT_AVAIL2; or a leaf's new flags are illegal for the format,
 *         W+X in a kernel table, or break the user-mapping rules.
 * @retval OSTD_EINVAL A mask holds bits outside PT_FLAGS_ALL, the masks
 *         overlap, or @p len runs past the cursor's end (checked without
 *         overflow).
 * @retval OSTD_EUNALIGNED @p len is not page aligned.
 * @retval OSTD_ENOMEM A split needed memory; nothing changed.
 */
WARN_UNUSED ostd_err_t pt_cursor_protect_mask(struct pt_cursor *cur,
					      uint64_t len, uint32_t set,
					      uint32_t clear, uint64_t *count);

/** The flusher of a mutable cursor. */
static inline struct tlb_flusher *pt_cursor_flusher(struct pt_cursor *cur)
{
	return &cur->flusher;
}

/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * Physical frames (DESIGN.md §5).
 *
 * Every frame of managed memory has a 64-byte metadata slot in one array
 * indexed by frame number. The slot holds a reference count with two
 * sentinels, the frame's type and a small in-place storage area for that
 * type (a page-table node keeps its level and child count there).
 *
 * - A `struct frame` handle owns one reference; so does every PTE that maps
 *   a tracked frame. Dropping the last reference runs the type's drop hook
 *   and gives the frame back to the allocator.
 * - Untyped frames hold user data: only they may be mapped into user space
 *   or reached through VmReader/VmWriter. Typed frames (page-table nodes,
 *   kernel objects) never are.
 * - Allocation is zeroed unless FRAME_ALLOC_NOZERO is given: memory that
 *   reaches a user must never carry old contents.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ostd/boot.h"
#include "ostd/compiler.h"
#include "ostd/err.h"
#include "ostd/pt_config.h"
#include "ostd/types.h"

/* Refcount sentinels (vostd MetaSlot): free, or owned by one UniqueFrame. */
#define FRAME_REF_UNUSED UINT64_MAX
#define FRAME_REF_UNIQUE (UINT64_MAX - 1)
/* The largest real count; reaching it is a leak or a bug. */
#define FRAME_REF_MAX (UINT64_MAX - 2)

#define FRAME_META_STORAGE 40
/* The size of one frame's metadata slot. */
#define FRAME_META_SIZE 64

/*
 * A frame's metadata slot. Opaque: the framework's (core/mm/
 * frame_internal.h), so no frame can be retyped (a page-table node made
 * untyped, say, to reach user space) through this header.
 */
struct frame_meta;

struct frame_type {
	const char *name;
	/* User data: mappable into user space, reachable by VmReader. */
	bool untyped;
	/**
	 * Runs when the last reference goes, before the frame is freed;
	 * frame_meta_storage(meta) is the type's storage.
	 */
	void (*drop)(paddr_t pa, struct frame_meta *meta);
};

/* User data frames. */
extern const struct frame_type frame_type_untyped;
/* Kernel objects: typed, never mapped to user space. */
extern const struct frame_type frame_type_kernel;

/* A reference to one frame. pa is 0 in a dropped handle. */
struct frame {
	paddr_t pa;
};

/* The sole owner of a frame (refcount FRAME_REF_UNIQUE). */
struct unique_frame {
	paddr_t pa;
};

/* References to a contiguous run of frames, one per frame. */
struct segment {
	paddr_t pa;
	uint64_t nr_frames;
};

/* ---------------------------------------------------------------------
 * Allocator interface: injectable. The default is a buddy allocator fed
 * from the boot memory map.
 * --------------------------------------------------------------------- */

struct frame_allocator {
	const char *name;
	/** Allocates @p nr_frames contiguous frames; *pfn gets the first. */
	ostd_err_t (*alloc)(struct frame_allocator *self, uint64_t nr_frames,
			    uint64_t *pfn);
	/** Frees a run that alloc() returned (or part of one). */
	void (*dealloc)(struct frame_allocator *self, uint64_t pfn,
			uint64_t nr_frames);
	/** Frames currently free. */
	uint64_t (*nr_free)(struct frame_allocator *self);
};

/*
 * In front of the allocator, each CPU keeps a small cache of free single
 * frames (up to FRAME_CACHE_CAP, ostd/internal/cpu_local.h), refilled from
 * and drained to the allocator in batches through its alloc() and
 * dealloc(). Frames in a cache are free: frame_stats_in_use() does not
 * count them, and an allocation the allocator cannot satisfy drains every
 * CPU's cache and tries again, so no cached frame is out of reach.
 */

/**
 * Installs @p a as the allocator; returns the previous one. Every CPU's
 * cache is drained into the previous allocator first, so each frame goes
 * back to the allocator it came from.
 */
struct frame_allocator *frame_allocator_set(struct frame_allocator *a);

/**
 * Gives every frame in every CPU's cache back to the allocator (for tests
 * that compare the allocator's counts); returns how many.
 */
uint64_t frame_cache_drain(void);

/** Frames waiting in the CPUs' caches. */
uint64_t frame_stats_cached(void);

/**
 * Fault injection: makes the @p n-th allocation from now fail with
 * OSTD_ENOMEM (1 = the next one), even if a cache holds frames; 0 turns it
 * off.
 */
void frame_fi_fail_nth(uint64_t n);

/**
 * Allocation attempts since boot (for counting fail-nth sites): the sum
 * of per-CPU counts, exact once the allocating CPUs are quiet.
 */
uint64_t frame_fi_alloc_count(void);

/* ---------------------------------------------------------------------
 * Initialisation and statistics.
 * --------------------------------------------------------------------- */

/**
 * Builds the metadata array and the allocator from @p info: usable
 * regions less reserved ones, the kernel image and frame 0. Called once by
 * ostd_boot().
 *
 * @retval OSTD_ENOMEM There is not enough memory for the metadata.
 */
WARN_UNUSED ostd_err_t frame_init(const struct ostd_boot_info *info);

/**
 * Gives the frames of [@p pa, + @p len), part of the kernel image that the
 * boot code no longer uses (its page tables), to the allocator. Once per
 * boot; the caller has unmapped them from the image's own mapping.
 *
 * @retval OSTD_EUNALIGNED @p pa or @p len is not page aligned.
 * @retval OSTD_EINVAL @p len is 0, or the range is not inside the kernel
 *         image of frame_init()'s boot info (checked without overflow).
 * @retval OSTD_EBADSTATE Boot memory was released already.
 */
WARN_UNUSED ostd_err_t frame_release_boot_memory(paddr_t pa, uint64_t len);

/**
 * Frames handed out and not yet freed (cached frames are free): the sum
 * of per-CPU counts, exact once the allocating CPUs are quiet.
 */
uint64_t frame_stats_in_use(void);

/** Frames the allocator manages (free or not). */
uint64_t frame_stats_total(void);

/* ---------------------------------------------------------------------
 * Frames and segments.
 * --------------------------------------------------------------------- */

#define FRAME_ALLOC_NOZERO (1U << 0)

/**
 * Allocates one zeroed frame of @p type.
 *
 * @retval OSTD_EINVAL @p type is NULL.
 * @retval OSTD_ENOMEM No memory (or fault injection).
 */
WARN_UNUSED ostd_err_t frame_alloc(const struct frame_type *type,
				   struct frame *out);

/** Allocates a frame owned by one unique handle. */
WARN_UNUSED ostd_err_t frame_alloc_unique(const struct frame_type *type,
					  struct unique_frame *out);

/** Turns a unique frame into a shared one with refcount 1. */
struct frame unique_frame_into_shared(struct unique_frame *u);

/** Frees a unique frame (runs the drop hook). */
void unique_frame_drop(struct unique_frame *u);

/**
 * Allocates @p nr_frames contiguous frames of @p type, zeroed unless
 * @p flags has FRAME_ALLOC_NOZERO.
 *
 * @retval OSTD_EINVAL @p nr_frames is 0 or @p type is NULL.
 * @retval OSTD_ENOMEM No run that long is free; nothing is allocated.
 */
WARN_UNUSED ostd_err_t segment_alloc(uint64_t nr_frames,
				     const struct frame_type *type,
				     unsigned int flags, struct segment *out);

/** Takes another reference to @p f. */
struct frame frame_clone(struct frame f);

/** Drops @p f's reference and empties the handle. */
void frame_drop(struct frame *f);

/**
 * Splits @p seg at @p offset bytes into [0, offset) and [offset, end).
 * @p seg is consumed on success and untouched on error.
 *
 * @retval OSTD_EUNALIGNED @p offset is not page aligned.
 * @retval OSTD_EINVAL @p offset is 0 or not inside the segment.
 */
WARN_UNUSED ostd_err_t segment_split(struct segment *seg, uint64_t offset,
				     struct segment *first,
				     struct segment *second);

/**
 * A new segment over [@p offset, @p offset + @p len) of @p seg, taking one
 * more reference to each frame in it.
 *
 * @retval OSTD_EUNALIGNED @p offset or @p len is not page aligned.
 * @retval OSTD_EINVAL @p len is 0 or the range is not inside @p seg
 *         (checked without overflow).
 */
WARN_UNUSED ostd_err_t segment_slice(const struct segment *seg, uint64_t offset,
				     uint64_t len, struct segment *out);

/** The frame at @p index of @p seg, as a new reference. */
WARN_UNUSED ostd_err_t segment_frame(const struct segment *seg, uint64_t index,
				     struct frame *out);

/** Drops every reference @p seg holds and empties it. */
void segment_drop(struct segment *seg);

/* ---------------------------------------------------------------------
 * Metadata queries.
 * --------------------------------------------------------------------- */

/** The type's storage of the frame whose slot is @p meta (drop hooks). */
uint8_t *frame_meta_storage(struct frame_meta *meta);

/**
 * The FRAME_META_STORAGE bytes of storage of the allocated frame at @p pa
 * for its type @p type, or NULL if the frame is free, not managed, not of
 * @p type, or @p type is the framework's own (page-table nodes keep their
 * lock and level there).
 */
uint8_t *frame_storage(paddr_t pa, const struct frame_type *type);

/** The refcount of the frame at @p pa (FRAME_REF_UNUSED if free). */
uint64_t frame_refcount(paddr_t pa);

/** The type of the frame at @p pa, or NULL if free or not managed. */
const struct frame_type *frame_type_of(paddr_t pa);

/**
 * True if any frame of [@p pa, @p pa + @p len) is managed memory (has a
 * metadata slot): RAM that the allocator owns, as opposed to device
 * memory. Computed without overflow.
 */
bool frame_range_is_managed(paddr_t pa, uint64_t len);

/** True if @p pa is an allocated untyped frame. */
bool frame_is_untyped(paddr_t pa);

/**
 * Takes a reference on behalf of a PTE (a tracked mapping).
 *
 * @retval OSTD_EINVAL @p pa is not an allocated, shared frame.
 */
WARN_UNUSED ostd_err_t frame_ref_get(paddr_t pa);

/** Drops a reference taken by frame_ref_get(). */
void frame_ref_put(paddr_t pa);

/*
 * Dropping many references at once, as tearing down a page table does:
 * the frames whose last reference goes are given back to the allocator in
 * runs of consecutive frames, one call per run rather than one per frame.
 * Until frame_put_batch_flush() they are free but not yet allocatable.
 */
struct frame_put_batch {
	uint64_t pfn;   /* The first frame of the run waiting. */
	uint64_t count; /* Frames in it; 0 for none. */
};

/** Like frame_ref_put(); a frame it frees may wait in @p b. */
void frame_ref_put_batched(struct frame_put_batch *b, paddr_t pa);

/** Gives the frames waiting in @p b to the allocator; @p b is empty. */
void frame_put_batch_flush(struct frame_put_batch *b);

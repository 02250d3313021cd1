/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The frame metadata array's slots (DESIGN.md §5): the framework's. A
 * slot's type decides whether the frame may reach user space, so nothing
 * outside core/mm may write one.
 */

#include <stdatomic.h>
#include <stdint.h>

#include "ostd/frame.h"

struct frame_meta {
	_Atomic uint64_t refcount;
	const struct frame_type *type;
	uint32_t flags; /* Allocator-private. */
	uint32_t order; /* Allocator-private: order of a free block. */
	union {
		/* While free: the allocator's list links (frame numbers). */
		struct {
			uint64_t prev;
			uint64_t next;
		} free;
		/* While allocated: the type's storage. */
		_Alignas(8) uint8_t storage[FRAME_META_STORAGE];
	};
};

_Static_assert(sizeof(struct frame_meta) == FRAME_META_SIZE,
	       "A frame's metadata slot is 64 bytes, so the array costs "
	       "1/64 of memory and a slot never straddles a cache line.");

/** The metadata of the frame at @p pa, or NULL if it is not managed. */
struct frame_meta *frame_meta_of(paddr_t pa);

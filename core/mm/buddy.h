/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/* The buddy allocator, private to core/mm. */

#include <stdint.h>

#include "ostd/frame.h"
#include "ostd/sync.h"

#include "frame_internal.h"

/* Blocks up to 2^18 frames (1 GiB): the largest huge page. */
#define BUDDY_MAX_ORDER 18

struct buddy {
	struct frame_allocator base; /* First: the allocator handle. */
	struct spinlock lock;
	struct frame_meta *meta; /* Slot of base_pfn. */
	uint64_t base_pfn;
	uint64_t nr_pfns;
	uint64_t free_frames;
	uint64_t free_head[BUDDY_MAX_ORDER + 1];
};

void buddy_init(struct buddy *b, struct frame_meta *meta_array,
		uint64_t base_pfn, uint64_t nr_pfns);

/* Hands [pfn, pfn + nr) to the allocator as free memory. */
void buddy_add_range(struct buddy *b, uint64_t pfn, uint64_t nr);

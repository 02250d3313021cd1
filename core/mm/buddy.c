// SPDX-License-Identifier: MPL-2.0
/*
 * The default frame allocator: a binary buddy allocator over frame numbers
 * (Knowlton 1965; the shape of Linux's mm/page_alloc.c without zones).
 *
 * A free block of 2^k frames starts at a frame number that is a multiple of
 * 2^k. Its first frame's metadata slot is the list node: flags has
 * BUDDY_FREE_HEAD, order is k, and free.prev/free.next link the per-order
 * list by frame number (BUDDY_NIL ends it). A block's buddy is the block
 * whose number differs in bit k; two free buddies merge into one block of
 * order k + 1. The metadata array doubles as the allocator's state, so the
 * allocator needs no memory of its own.
 *
 * Locking: one spinlock around every list operation.
 */

#include "buddy.h"

#include "ostd/assert.h"
#include "ostd/frame.h"
#include "ostd/sync.h"

#define BUDDY_NIL UINT64_MAX
#define BUDDY_FREE_HEAD 1U

static struct frame_meta *meta(struct buddy *b, uint64_t pfn)
{
	ASSERT(pfn >= b->base_pfn && pfn - b->base_pfn < b->nr_pfns);
	return &b->meta[pfn - b->base_pfn];
}

static bool managed(const struct buddy *b, uint64_t pfn)
{
	return pfn >= b->base_pfn && pfn - b->base_pfn < b->nr_pfns;
}

static void list_push(struct buddy *b, uint64_t pfn, unsigned int order)
{
	struct frame_meta *m = meta(b, pfn);

	m->flags = BUDDY_FREE_HEAD;
	m->order = order;
	m->free.prev = BUDDY_NIL;
	m->free.next = b->free_head[order];
	if (b->free_head[order] != BUDDY_NIL) {
		meta(b, b->free_head[order])->free.prev = pfn;
	}
	b->free_head[order] = pfn;
}

static void list_remove(struct buddy *b, uint64_t pfn)
{
	struct frame_meta *m = meta(b, pfn);

	CHECK(m->flags == BUDDY_FREE_HEAD);
	if (m->free.prev != BUDDY_NIL) {
		meta(b, m->free.prev)->free.next = m->free.next;
	} else {
		b->free_head[m->order] = m->free.next;
	}
	if (m->free.next != BUDDY_NIL) {
		meta(b, m->free.next)->free.prev = m->free.prev;
	}
	m->flags = 0;
}

/* Frees one aligned block of 2^order frames, merging with its buddies. */
static void free_block(struct buddy *b, uint64_t pfn, unsigned int order)
{
	while (order < BUDDY_MAX_ORDER) {
		uint64_t buddy = pfn ^ (1ULL << order);

		if (!managed(b, buddy) ||
		    meta(b, buddy)->flags != BUDDY_FREE_HEAD ||
		    meta(b, buddy)->order != order) {
			break;
		}
		list_remove(b, buddy);
		pfn &= ~(1ULL << order);
		order++;
	}
	list_push(b, pfn, order);
}

/* The largest order whose block fits at @p pfn within @p nr frames. */
static unsigned int fit_order(uint64_t pfn, uint64_t nr)
{
	unsigned int order = 0;

	while (order < BUDDY_MAX_ORDER && (pfn & ((2ULL << order) - 1)) == 0 &&
	       (2ULL << order) <= nr) {
		order++;
	}
	return order;
}

/* Frees [pfn, pfn + nr) as maximal aligned blocks. Lock held. */
static void free_range(struct buddy *b, uint64_t pfn, uint64_t nr)
{
	while (nr > 0) {
		unsigned int order = fit_order(pfn, nr);

		free_block(b, pfn, order);
		pfn += 1ULL << order;
		nr -= 1ULL << order;
	}
}

static unsigned int order_for(uint64_t nr)
{
	unsigned int order = 0;

	while ((1ULL << order) < nr) {
		order++;
	}
	return order;
}

static ostd_err_t buddy_alloc(struct frame_allocator *self, uint64_t nr_frames,
			      uint64_t *pfn_out)
{
	struct buddy *b = (struct buddy *)self;

	CHECKIF (nr_frames == 0 || nr_frames > (1ULL << BUDDY_MAX_ORDER)) {
		return nr_frames == 0 ? OSTD_EINVAL : OSTD_ENOMEM;
	}
	unsigned int want = order_for(nr_frames);

	spin_lock(&b->lock);
	unsigned int k = want;

	while (k <= BUDDY_MAX_ORDER && b->free_head[k] == BUDDY_NIL) {
		k++;
	}
	if (k > BUDDY_MAX_ORDER) {
		spin_unlock(&b->lock);
		return OSTD_ENOMEM;
	}
	uint64_t pfn = b->free_head[k];

	list_remove(b, pfn);
	/* Split down, returning the upper halves. */
	while (k > want) {
		k--;
		list_push(b, pfn + (1ULL << k), k);
	}
	/* A request that is not a power of two gives back its tail. */
	free_range(b, pfn + nr_frames, (1ULL << want) - nr_frames);
	b->free_frames -= nr_frames;
	spin_unlock(&b->lock);
	*pfn_out = pfn;
	return OSTD_OK;
}

static void buddy_free(struct frame_allocator *self, uint64_t pfn,
		       uint64_t nr_frames)
{
	struct buddy *b = (struct buddy *)self;

	CHECK(nr_frames > 0 && managed(b, pfn) &&
	      nr_frames <= b->nr_pfns - (pfn - b->base_pfn));
	spin_lock(&b->lock);
	free_range(b, pfn, nr_frames);
	b->free_frames += nr_frames;
	spin_unlock(&b->lock);
}

static uint64_t buddy_free_frames(struct frame_allocator *self)
{
	struct buddy *b = (struct buddy *)self;

	return b->free_frames;
}

void buddy_init(struct buddy *b, struct frame_meta *meta_array,
		uint64_t base_pfn, uint64_t nr_pfns)
{
	*b = (struct buddy){
		.base = { .name = "buddy",
			  .alloc = buddy_alloc,
			  .dealloc = buddy_free,
			  .nr_free = buddy_free_frames },
		.meta = meta_array,
		.base_pfn = base_pfn,
		.nr_pfns = nr_pfns,
	};
	for (unsigned int k = 0; k <= BUDDY_MAX_ORDER; k++) {
		b->free_head[k] = BUDDY_NIL;
	}
}

void buddy_add_range(struct buddy *b, uint64_t pfn, uint64_t nr)
{
	if (nr == 0) {
		return;
	}
	CHECK(managed(b, pfn) && nr <= b->nr_pfns - (pfn - b->base_pfn));
	spin_lock(&b->lock);
	free_range(b, pfn, nr);
	b->free_frames += nr;
	spin_unlock(&b->lock);
}

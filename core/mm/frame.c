// SPDX-License-Identifier: MPL-2.0
/*
 * Frames: the metadata array, reference counts, typed and untyped frames,
 * segments, and the allocator front end with fault injection. See
 * ostd/frame.h for the rules; vostd's MetaSlot is the model for the
 * refcount sentinels.
 */

#include "ostd/frame.h"

#include "ostd/arch/mm.h"

#include "ostd/assert.h"
#include "ostd/math.h"
#include "ostd/page_table.h"
#include "ostd/printf.h"
#include "ostd/string.h"

#include "buddy.h"
#include "frame_internal.h"

const struct frame_type frame_type_untyped = {
	.name = "untyped",
	.untyped = true,
};

const struct frame_type frame_type_kernel = {
	.name = "kernel",
	.untyped = false,
};

static struct frame_meta *meta_array;
static uint64_t meta_base_pfn;
static uint64_t meta_nr_pfns;
static uint64_t total_frames;
static _Atomic uint64_t in_use;

static struct buddy buddy;
/* The kernel image, which frame_init() leaves out. */
static uint64_t image_start;
static uint64_t image_end;
static bool boot_memory_released;
static struct frame_allocator *allocator;

static _Atomic uint64_t fi_count;
static _Atomic uint64_t fi_target;

/* ---------------------------------------------------------------------
 * Initialisation: which frames are free.
 * --------------------------------------------------------------------- */

#define MAX_HOLES (OSTD_MAX_MEM_REGIONS + 3)

struct range {
	uint64_t start; /* Frame numbers, [start, end). */
	uint64_t end;
};

struct holes {
	struct range r[MAX_HOLES];
	unsigned int count;
};

static void hole_add(struct holes *h, uint64_t start_pa, uint64_t size)
{
	if (size == 0) {
		return;
	}
	CHECK(h->count < MAX_HOLES);
	/* Whole frames, rounded outwards; the last byte must not wrap. */
	uint64_t last = pa_addr(pa_init(start_pa)) + (size - 1);

	h->r[h->count++] = (struct range){
		.start = start_pa >> PAGE_SHIFT,
		.end = (last >> PAGE_SHIFT) + 1,
	};
}

/*
 * Calls @p fn for each run of frames in [start, end) that no hole covers,
 * in ascending order.
 */
static void
for_each_free_run(const struct holes *h, uint64_t start, uint64_t end,
		  void (*fn)(uint64_t start, uint64_t end, void *ctx),
		  void *ctx)
{
	while (start < end) {
		/* The lowest hole overlapping [start, end). */
		const struct range *first = NULL;

		for (unsigned int i = 0; i < h->count; i++) {
			const struct range *r = &h->r[i];

			if (r->end > start && r->start < end &&
			    (first == NULL || r->start < first->start)) {
				first = r;
			}
		}
		if (first == NULL) {
			fn(start, end, ctx);
			return;
		}
		if (first->start > start) {
			fn(start, first->start, ctx);
		}
		start = first->end;
	}
}

/* Usable region @p r as whole frames, rounded inwards. */
static struct range usable_frames(const struct ostd_mem_region *r)
{
	uint64_t start = pa_addr(r->base);
	uint64_t last = start + (r->size - 1);
	uint64_t first_pfn = (start + PAGE_SIZE - 1) >> PAGE_SHIFT;

	if (start > UINT64_MAX - (PAGE_SIZE - 1)) {
		first_pfn = UINT64_MAX >> PAGE_SHIFT;
	}
	/* The frame holding the last byte counts only if it is whole. */
	uint64_t end_pfn = (last + 1) >> PAGE_SHIFT;

	if (last == UINT64_MAX) {
		end_pfn = UINT64_MAX >> PAGE_SHIFT;
	}
	return (struct range){ .start = first_pfn,
			       .end = MAX(first_pfn, end_pfn) };
}

struct placement {
	uint64_t need;
	uint64_t found; /* Frame number, or UINT64_MAX. */
};

static void find_room(uint64_t start, uint64_t end, void *ctx)
{
	struct placement *p = ctx;

	if (p->found == UINT64_MAX && end - start >= p->need) {
		p->found = start;
	}
}

static void give_to_buddy(uint64_t start, uint64_t end, void *ctx)
{
	(void)ctx;
	buddy_add_range(&buddy, start, end - start);
	total_frames += end - start;
}

ostd_err_t frame_init(const struct ostd_boot_info *info)
{
	struct holes holes = { .count = 0 };
	uint64_t lo = UINT64_MAX;
	uint64_t hi = 0;

	for (unsigned int i = 0; i < info->mem_count; i++) {
		const struct ostd_mem_region *r = &info->mem[i];

		if (r->kind == OSTD_MEM_RESERVED) {
			hole_add(&holes, pa_addr(r->base), r->size);
			continue;
		}
		struct range f = usable_frames(r);

		if (f.start < f.end) {
			lo = MIN(lo, f.start);
			hi = MAX(hi, f.end);
		}
	}
	CHECKIF (lo >= hi) {
		return OSTD_ENOMEM;
	}
	/* Frame 0 stays unused: a zero paddr must never be a live frame. */
	hole_add(&holes, 0, PAGE_SIZE);
	hole_add(&holes, pa_addr(info->kernel_start),
		 pa_addr(info->kernel_end) - pa_addr(info->kernel_start));
	image_start = pa_addr(info->kernel_start);
	image_end = pa_addr(info->kernel_end);

	/* Place the metadata array in the first free run that holds it. */
	uint64_t meta_bytes = (hi - lo) * sizeof(struct frame_meta);
	struct placement place = {
		.need = (meta_bytes + PAGE_SIZE - 1) >> PAGE_SHIFT,
		.found = UINT64_MAX,
	};

	for (unsigned int i = 0; i < info->mem_count; i++) {
		if (info->mem[i].kind == OSTD_MEM_USABLE) {
			struct range f = usable_frames(&info->mem[i]);

			for_each_free_run(&holes, f.start, f.end, find_room,
					  &place);
		}
	}
	CHECKIF (place.found == UINT64_MAX) {
		return OSTD_ENOMEM;
	}
	meta_array = arch_paddr_to_ptr(pa_init(place.found << PAGE_SHIFT));
	meta_base_pfn = lo;
	meta_nr_pfns = hi - lo;
	for (uint64_t i = 0; i < meta_nr_pfns; i++) {
		atomic_init(&meta_array[i].refcount, FRAME_REF_UNUSED);
		meta_array[i].type = NULL;
		meta_array[i].flags = 0;
		meta_array[i].order = 0;
	}
	hole_add(&holes, place.found << PAGE_SHIFT, place.need << PAGE_SHIFT);

	buddy_init(&buddy, meta_array, meta_base_pfn, meta_nr_pfns);
	allocator = &buddy.base;
	total_frames = 0;
	atomic_store(&in_use, 0);
	for (unsigned int i = 0; i < info->mem_count; i++) {
		if (info->mem[i].kind == OSTD_MEM_USABLE) {
			struct range f = usable_frames(&info->mem[i]);

			for_each_free_run(&holes, f.start, f.end, give_to_buddy,
					  NULL);
		}
	}
	return OSTD_OK;
}

ostd_err_t frame_release_boot_memory(paddr_t pa, uint64_t len)
{
	uint64_t start = pa_addr(pa);

	CHECKIF (len == 0) {
		return OSTD_EINVAL;
	}
	CHECKIF (((start | len) & (PAGE_SIZE - 1)) != 0) {
		return OSTD_EUNALIGNED;
	}
	CHECKIF (start < image_start || start > image_end ||
		 len > image_end - start) {
		return OSTD_EINVAL;
	}
	/*
	 * The image lies inside the metadata's span (it is in usable RAM),
	 * and none of its frames ever reached the allocator: once only.
	 */
	CHECKIF (boot_memory_released) {
		return OSTD_EBADSTATE;
	}
	boot_memory_released = true;
	buddy_add_range(&buddy, start >> PAGE_SHIFT, len >> PAGE_SHIFT);
	total_frames += len >> PAGE_SHIFT;
	return OSTD_OK;
}

uint64_t frame_stats_in_use(void)
{
	return atomic_load(&in_use);
}

uint64_t frame_stats_total(void)
{
	return total_frames;
}

struct frame_allocator *frame_allocator_set(struct frame_allocator *a)
{
	struct frame_allocator *old = allocator;

	CHECK(a != NULL);
	allocator = a;
	return old;
}

void frame_fi_fail_nth(uint64_t n)
{
	atomic_store(&fi_target, n == 0 ? 0 : atomic_load(&fi_count) + n);
}

uint64_t frame_fi_alloc_count(void)
{
	return atomic_load(&fi_count);
}

/* ---------------------------------------------------------------------
 * Metadata.
 * --------------------------------------------------------------------- */

struct frame_meta *frame_meta_of(paddr_t pa)
{
	uint64_t pfn = pa_addr(pa) >> PAGE_SHIFT;

	if (meta_array == NULL || pfn < meta_base_pfn ||
	    pfn - meta_base_pfn >= meta_nr_pfns) {
		return NULL;
	}
	return &meta_array[pfn - meta_base_pfn];
}

bool frame_range_is_managed(paddr_t pa, uint64_t len)
{
	if (meta_array == NULL || len == 0) {
		return false;
	}
	uint64_t first = pa_addr(pa) >> PAGE_SHIFT;
	/* The last byte's frame; a range past 2^64 is clamped to the top. */
	uint64_t last = (len - 1 > UINT64_MAX - pa_addr(pa)
				 ? UINT64_MAX
				 : pa_addr(pa) + (len - 1)) >>
			PAGE_SHIFT;

	return first < meta_base_pfn + meta_nr_pfns && last >= meta_base_pfn;
}

/* The metadata of a frame the caller holds a reference to. */
static struct frame_meta *held_meta(paddr_t pa)
{
	struct frame_meta *m = frame_meta_of(pa);

	CHECK(m != NULL);
	return m;
}

uint64_t frame_refcount(paddr_t pa)
{
	struct frame_meta *m = frame_meta_of(pa);

	return m == NULL ? FRAME_REF_UNUSED : atomic_load(&m->refcount);
}

const struct frame_type *frame_type_of(paddr_t pa)
{
	struct frame_meta *m = frame_meta_of(pa);

	if (m == NULL || atomic_load(&m->refcount) == FRAME_REF_UNUSED) {
		return NULL;
	}
	return m->type;
}

bool frame_is_untyped(paddr_t pa)
{
	const struct frame_type *t = frame_type_of(pa);

	/* A page-table node is never user data, whatever its type says. */
	return t != NULL && t->untyped && t != &frame_type_pt_node;
}

uint8_t *frame_meta_storage(struct frame_meta *meta)
{
	return meta->storage;
}

uint8_t *frame_storage(paddr_t pa, const struct frame_type *type)
{
	const struct frame_type *t = frame_type_of(pa);

	if (t == NULL || t != type || t == &frame_type_pt_node) {
		return NULL;
	}
	return frame_meta_of(pa)->storage;
}

/* ---------------------------------------------------------------------
 * Allocation and release.
 * --------------------------------------------------------------------- */

static ostd_err_t raw_alloc(uint64_t nr, uint64_t *pfn)
{
	uint64_t n = atomic_fetch_add(&fi_count, 1) + 1;
	uint64_t target = atomic_load(&fi_target);

	if (target != 0 && n == target) {
		atomic_store(&fi_target, 0);
		return OSTD_ENOMEM;
	}
	return allocator->alloc(allocator, nr, pfn);
}

/* Frees the frame's slot; the caller gives the frame to the allocator. */
static void release_meta(paddr_t pa, struct frame_meta *m)
{
	if (m->type->drop != NULL) {
		m->type->drop(pa, m);
	}
	m->type = NULL;
	/* Release: the slot's last writes come before anyone reuses it. */
	atomic_store_explicit(&m->refcount, FRAME_REF_UNUSED,
			      memory_order_release);
}

static void release(paddr_t pa, struct frame_meta *m)
{
	release_meta(pa, m);
	atomic_fetch_sub(&in_use, 1);
	allocator->dealloc(allocator, pa_addr(pa) >> PAGE_SHIFT, 1);
}

static ostd_err_t alloc_run(uint64_t nr, const struct frame_type *type,
			    unsigned int flags, uint64_t refcount, paddr_t *out)
{
	uint64_t pfn;

	CHECKIF (nr == 0 || type == NULL) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = raw_alloc(nr, &pfn);

	if (err != OSTD_OK) {
		return err;
	}
	paddr_t pa = pa_init(pfn << PAGE_SHIFT);

	for (uint64_t i = 0; i < nr; i++) {
		struct frame_meta *m =
			held_meta(pa_init(pa_addr(pa) + (i << PAGE_SHIFT)));

		CHECK(atomic_load(&m->refcount) == FRAME_REF_UNUSED);
		m->type = type;
		memset(m->storage, 0, sizeof(m->storage));
		/* Release: the slot's initialisation is seen before its count. */
		atomic_store_explicit(&m->refcount, refcount,
				      memory_order_release);
	}
	if ((flags & FRAME_ALLOC_NOZERO) == 0) {
		memset(arch_paddr_to_ptr(pa), 0, (size_t)(nr << PAGE_SHIFT));
	}
	atomic_fetch_add(&in_use, nr);
	*out = pa;
	return OSTD_OK;
}

ostd_err_t frame_alloc(const struct frame_type *type, struct frame *out)
{
	CHECKIF (out == NULL) {
		return OSTD_EINVAL;
	}
	return alloc_run(1, type, 0, 1, &out->pa);
}

ostd_err_t frame_alloc_unique(const struct frame_type *type,
			      struct unique_frame *out)
{
	CHECKIF (out == NULL) {
		return OSTD_EINVAL;
	}
	return alloc_run(1, type, 0, FRAME_REF_UNIQUE, &out->pa);
}

struct frame unique_frame_into_shared(struct unique_frame *u)
{
	struct frame_meta *m = held_meta(u->pa);
	uint64_t expect = FRAME_REF_UNIQUE;

	CHECK(atomic_compare_exchange_strong(&m->refcount, &expect, 1));
	struct frame f = { .pa = u->pa };

	u->pa = pa_init(0);
	return f;
}

void unique_frame_drop(struct unique_frame *u)
{
	struct frame_meta *m = held_meta(u->pa);

	CHECK(atomic_load(&m->refcount) == FRAME_REF_UNIQUE);
	release(u->pa, m);
	u->pa = pa_init(0);
}

ostd_err_t segment_alloc(uint64_t nr_frames, const struct frame_type *type,
			 unsigned int flags, struct segment *out)
{
	CHECKIF (out == NULL) {
		return OSTD_EINVAL;
	}
	paddr_t pa;
	ostd_err_t err = alloc_run(nr_frames, type, flags, 1, &pa);

	if (err == OSTD_OK) {
		*out = (struct segment){ .pa = pa, .nr_frames = nr_frames };
	}
	return err;
}

/* Adds a reference to a frame that already has at least one. */
static void ref_inc_held(paddr_t pa)
{
	struct frame_meta *m = held_meta(pa);
	uint64_t old = atomic_fetch_add(&m->refcount, 1);

	CHECK(old != 0 && old < FRAME_REF_MAX);
}

static void ref_dec(paddr_t pa)
{
	struct frame_meta *m = held_meta(pa);
	uint64_t old = atomic_fetch_sub(&m->refcount, 1);

	CHECK(old != 0 && old <= FRAME_REF_MAX);
	if (old == 1) {
		release(pa, m);
	}
}

struct frame frame_clone(struct frame f)
{
	ref_inc_held(f.pa);
	return f;
}

void frame_drop(struct frame *f)
{
	CHECK(pa_addr(f->pa) != 0);
	ref_dec(f->pa);
	f->pa = pa_init(0);
}

ostd_err_t frame_ref_get(paddr_t pa)
{
	struct frame_meta *m = frame_meta_of(pa);

	CHECKIF (m == NULL) {
		return OSTD_EINVAL;
	}
	uint64_t v = atomic_load(&m->refcount);

	do {
		/* Free, unique, or dying: nothing to share. */
		CHECKIF (v == 0 || v >= FRAME_REF_MAX) {
			return OSTD_EINVAL;
		}
	} while (!atomic_compare_exchange_weak(&m->refcount, &v, v + 1));
	return OSTD_OK;
}

void frame_ref_put(paddr_t pa)
{
	ref_dec(pa);
}

void frame_put_batch_flush(struct frame_put_batch *b)
{
	if (b->count != 0) {
		atomic_fetch_sub(&in_use, b->count);
		allocator->dealloc(allocator, b->pfn, b->count);
		b->count = 0;
	}
}

void frame_ref_put_batched(struct frame_put_batch *b, paddr_t pa)
{
	struct frame_meta *m = held_meta(pa);
	uint64_t old = atomic_fetch_sub(&m->refcount, 1);

	CHECK(old != 0 && old <= FRAME_REF_MAX);
	if (old != 1) {
		return;
	}
	release_meta(pa, m);
	uint64_t pfn = pa_addr(pa) >> PAGE_SHIFT;

	if (b->count != 0 && pfn != b->pfn + b->count) {
		frame_put_batch_flush(b);
	}
	if (b->count == 0) {
		b->pfn = pfn;
	}
	b->count++;
}

/* ---------------------------------------------------------------------
 * Segments.
 * --------------------------------------------------------------------- */

static uint64_t segment_bytes(const struct segment *seg)
{
	return seg->nr_frames << PAGE_SHIFT;
}

ostd_err_t segment_split(struct segment *seg, uint64_t offset,
			 struct segment *first, struct segment *second)
{
	CHECKIF (seg == NULL || first == NULL || second == NULL) {
		return OSTD_EINVAL;
	}
	CHECKIF (!is_aligned(offset, PAGE_SIZE)) {
		return OSTD_EUNALIGNED;
	}
	CHECKIF (offset == 0 || offset >= segment_bytes(seg)) {
		return OSTD_EINVAL;
	}
	uint64_t head = offset >> PAGE_SHIFT;

	*first = (struct segment){ .pa = seg->pa, .nr_frames = head };
	*second = (struct segment){ .pa = pa_init(pa_addr(seg->pa) + offset),
				    .nr_frames = seg->nr_frames - head };
	*seg = (struct segment){ .pa = pa_init(0), .nr_frames = 0 };
	return OSTD_OK;
}

ostd_err_t segment_slice(const struct segment *seg, uint64_t offset,
			 uint64_t len, struct segment *out)
{
	CHECKIF (seg == NULL || out == NULL) {
		return OSTD_EINVAL;
	}
	CHECKIF (!is_aligned(offset, PAGE_SIZE) ||
		 !is_aligned(len, PAGE_SIZE)) {
		return OSTD_EUNALIGNED;
	}
	CHECKIF (len == 0 ||
		 !range_within(offset, len, 0, segment_bytes(seg))) {
		return OSTD_EINVAL;
	}
	paddr_t pa = pa_init(pa_addr(seg->pa) + offset);

	for (uint64_t i = 0; i < len >> PAGE_SHIFT; i++) {
		ref_inc_held(pa_init(pa_addr(pa) + (i << PAGE_SHIFT)));
	}
	*out = (struct segment){ .pa = pa, .nr_frames = len >> PAGE_SHIFT };
	return OSTD_OK;
}

ostd_err_t segment_frame(const struct segment *seg, uint64_t index,
			 struct frame *out)
{
	CHECKIF (seg == NULL || out == NULL || index >= seg->nr_frames) {
		return OSTD_EINVAL;
	}
	out->pa = pa_init(pa_addr(seg->pa) + (index << PAGE_SHIFT));
	ref_inc_held(out->pa);
	return OSTD_OK;
}

void segment_drop(struct segment *seg)
{
	struct frame_put_batch b = { .count = 0 };

	for (uint64_t i = 0; i < seg->nr_frames; i++) {
		frame_ref_put_batched(
			&b, pa_init(pa_addr(seg->pa) + (i << PAGE_SHIFT)));
	}
	frame_put_batch_flush(&b);
	*seg = (struct segment){ .pa = pa_init(0), .nr_frames = 0 };
}

// SPDX-License-Identifier: MPL-2.0
/*
 * Frames: the metadata array, reference counts, typed and untyped frames,
 * segments, and the allocator front end with fault injection. See
 * ostd/frame.h for the rules; vostd's MetaSlot is the model for the
 * refcount sentinels.
 */

#include "ostd/frame.h"

#include <stddef.h>

#include "ostd/arch/mm.h"

#include "ostd/assert.h"
#include "ostd/internal/cpu_local.h"
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

static struct buddy buddy;
/* The kernel image, which frame_init() leaves out. */
static uint64_t image_start;
static uint64_t image_end;
static bool boot_memory_released;
static struct frame_allocator *allocator;

/*
 * Fault injection: the allocations still to go before one fails (1: the
 * next), 0 when off. Only read on the allocation path while off, so the
 * line stays shared between CPUs.
 */
static _Atomic uint64_t fi_left;

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

/*
 * The sum of one per-CPU counter over every CPU (modulo 2^64: one CPU's
 * in_use goes "negative" when it frees frames another allocated).
 */
static OSTD_WRAPS uint64_t sum_per_cpu(size_t offset)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < OSTD_MAX_CPUS; i++) {
		_Atomic uint64_t *v =
			(_Atomic uint64_t *)(void *)((char *)&cpu_local_of(i)
							     ->frame_cache +
						     offset);

		sum += atomic_load_explicit(v, memory_order_relaxed);
	}
	return sum;
}

uint64_t frame_stats_in_use(void)
{
	return sum_per_cpu(offsetof(struct frame_cache, in_use));
}

uint64_t frame_stats_total(void)
{
	return total_frames;
}

struct frame_allocator *frame_allocator_set(struct frame_allocator *a)
{
	struct frame_allocator *old = allocator;

	CHECK(a != NULL);
	frame_cache_drain();
	allocator = a;
	return old;
}

void frame_fi_fail_nth(uint64_t n)
{
	atomic_store(&fi_left, n);
}

uint64_t frame_fi_alloc_count(void)
{
	return sum_per_cpu(offsetof(struct frame_cache, attempts));
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
 * The per-CPU caches (struct frame_cache, ostd/internal/cpu_local.h).
 *
 * A cache holds free single frames as a stack of frame numbers; nothing
 * of a cached frame's metadata slot is touched until it is allocated.
 * An empty cache takes FRAME_CACHE_BATCH frames from the allocator in one
 * call (a contiguous run, smaller runs when memory is fragmented); a full
 * one gives its FRAME_CACHE_BATCH oldest frames back. Frames can sit in a
 * cache whose CPU no longer allocates (a CPU gone idle, a host thread that
 * ran as that CPU); frame_cache_drain() takes them from any CPU, and an
 * allocation the allocator refuses runs it before it gives up.
 *
 * Locking: a cache's lock is held across every use of it, so a task that
 * moves to another CPU, or two host threads that run as the same CPU,
 * only ever use a cache whole; it is uncontended but for a drain. It
 * nests outside the allocator's own lock. Frames are neither allocated
 * nor freed in interrupt handlers (the allocator's spinlock already
 * relies on it), so the lock does not mask interrupts.
 * --------------------------------------------------------------------- */

#define FRAME_CACHE_BATCH 16

_Static_assert(FRAME_CACHE_CAP >= 2 * FRAME_CACHE_BATCH,
	       "A refill must fit below the drain mark.");

static struct frame_cache *this_cache(void)
{
	return &cpu_local()->frame_cache;
}

/*
 * Adds @p d to, or takes it from, a counter of a cache whose lock is held
 * (see cpu_local.h). Modulo 2^64 on purpose: only the sum over every CPU
 * is meaningful.
 */
static OSTD_WRAPS void counter_add(_Atomic uint64_t *v, uint64_t d)
{
	atomic_store_explicit(v,
			      atomic_load_explicit(v, memory_order_relaxed) + d,
			      memory_order_relaxed);
}

static OSTD_WRAPS void counter_sub(_Atomic uint64_t *v, uint64_t d)
{
	atomic_store_explicit(v,
			      atomic_load_explicit(v, memory_order_relaxed) - d,
			      memory_order_relaxed);
}

/*
 * Gives @p n frame numbers from @p pfns to the allocator, a run of
 * consecutive ones per call.
 */
static void dealloc_pfns(const uint64_t *pfns, unsigned int n)
{
	unsigned int i = 0;

	while (i < n) {
		unsigned int j = i + 1;

		while (j < n && pfns[j] == pfns[j - 1] + 1) {
			j++;
		}
		allocator->dealloc(allocator, pfns[i], j - i);
		i = j;
	}
}

/* Fills an empty cache from the allocator; false if it has nothing. */
static bool cache_refill(struct frame_cache *c)
{
	for (uint64_t run = FRAME_CACHE_BATCH; run > 0; run /= 2) {
		uint64_t pfn;

		if (allocator->alloc(allocator, run, &pfn) == OSTD_OK) {
			/* Pushed downwards: allocations come out ascending. */
			for (uint64_t i = run; i > 0; i--) {
				c->pfn[c->count++] = pfn + i - 1;
			}
			return true;
		}
	}
	return false;
}

/* Caches [@p pfn, + @p nr), @p nr <= FRAME_CACHE_BATCH. Lock held. */
static void cache_push(struct frame_cache *c, uint64_t pfn, uint64_t nr)
{
	if (c->count + nr > FRAME_CACHE_CAP) {
		/* The oldest frames go: the newest are the warmest in cache. */
		dealloc_pfns(c->pfn, FRAME_CACHE_BATCH);
		c->count -= FRAME_CACHE_BATCH;
		memmove(c->pfn, c->pfn + FRAME_CACHE_BATCH,
			c->count * sizeof(c->pfn[0]));
	}
	for (uint64_t i = nr; i > 0; i--) {
		c->pfn[c->count++] = pfn + i - 1;
	}
}

uint64_t frame_cache_drain(void)
{
	uint64_t drained = 0;

	for (unsigned int i = 0; i < OSTD_MAX_CPUS; i++) {
		struct frame_cache *c = &cpu_local_of(i)->frame_cache;

		spin_lock(&c->lock);
		dealloc_pfns(c->pfn, c->count);
		drained += c->count;
		c->count = 0;
		spin_unlock(&c->lock);
	}
	return drained;
}

uint64_t frame_stats_cached(void)
{
	uint64_t cached = 0;

	for (unsigned int i = 0; i < OSTD_MAX_CPUS; i++) {
		struct frame_cache *c = &cpu_local_of(i)->frame_cache;

		spin_lock(&c->lock);
		cached += c->count;
		spin_unlock(&c->lock);
	}
	return cached;
}

/* True if fault injection fails this allocation. */
static bool fi_fires(void)
{
	uint64_t v = atomic_load_explicit(&fi_left, memory_order_relaxed);

	while (v != 0) {
		if (atomic_compare_exchange_weak(&fi_left, &v, v - 1)) {
			return v == 1;
		}
	}
	return false;
}

/* One allocation of @p nr frames from @p c or the allocator. Lock held. */
static ostd_err_t take_locked(struct frame_cache *c, uint64_t nr, uint64_t *pfn)
{
	if (nr == 1 && (c->count > 0 || cache_refill(c))) {
		*pfn = c->pfn[--c->count];
	} else {
		ostd_err_t err = allocator->alloc(allocator, nr, pfn);

		if (err != OSTD_OK) {
			return err;
		}
	}
	counter_add(&c->in_use, nr);
	return OSTD_OK;
}

static ostd_err_t raw_alloc(uint64_t nr, uint64_t *pfn)
{
	struct frame_cache *c = this_cache();

	spin_lock(&c->lock);
	counter_add(&c->attempts, 1);
	/*
	 * Before the cache, and without the retry below: an injected
	 * failure fails a warm cache too.
	 */
	if (fi_fires()) {
		spin_unlock(&c->lock);
		return OSTD_ENOMEM;
	}
	ostd_err_t err = take_locked(c, nr, pfn);

	spin_unlock(&c->lock);
	if (err == OSTD_ENOMEM && frame_cache_drain() != 0) {
		/* The frames other CPUs cached were all there was. */
		c = this_cache();
		spin_lock(&c->lock);
		err = take_locked(c, nr, pfn);
		spin_unlock(&c->lock);
	}
	return err;
}

/*
 * Frees [@p pfn, + @p nr), whose slots are released: a short run into this
 * CPU's cache, a long one straight to the allocator.
 */
static void free_pfns(uint64_t pfn, uint64_t nr)
{
	struct frame_cache *c = this_cache();

	spin_lock(&c->lock);
	counter_sub(&c->in_use, nr);
	if (nr <= FRAME_CACHE_BATCH) {
		cache_push(c, pfn, nr);
	} else {
		allocator->dealloc(allocator, pfn, nr);
	}
	spin_unlock(&c->lock);
}

/* ---------------------------------------------------------------------
 * Allocation and release.
 * --------------------------------------------------------------------- */

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
	free_pfns(pa_addr(pa) >> PAGE_SHIFT, 1);
}

/*
 * Initialises the slot of a frame being allocated: the one place a slot
 * is written for an allocation, once, and nothing else of it is read but
 * the count that says it is free.
 */
static void meta_claim(struct frame_meta *m, const struct frame_type *type,
		       uint64_t refcount)
{
	CHECK(atomic_load_explicit(&m->refcount, memory_order_relaxed) ==
	      FRAME_REF_UNUSED);
	m->type = type;
	memset(m->storage, 0, sizeof(m->storage));
	/* Release: the slot's initialisation is seen before its count. */
	atomic_store_explicit(&m->refcount, refcount, memory_order_release);
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
	/* The allocator's frames are managed: their slots are consecutive. */
	struct frame_meta *m = held_meta(pa);

	CHECK(nr <= meta_nr_pfns - (pfn - meta_base_pfn));
	for (uint64_t i = 0; i < nr; i++) {
		meta_claim(&m[i], type, refcount);
	}
	if ((flags & FRAME_ALLOC_NOZERO) == 0) {
		arch_zero_pages(arch_paddr_to_ptr(pa), nr);
	}
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
		free_pfns(b->pfn, b->count);
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

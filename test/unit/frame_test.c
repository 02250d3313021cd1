// SPDX-License-Identifier: MPL-2.0
/*
 * Frames, segments and the allocator (DESIGN.md §5). The runner checks
 * after every test that the frames in use are back at their baseline.
 */

#include "ostd/arch/mm.h"

#include "ostd/boot.h"
#include "ostd/frame.h"
#include "ostd/page_table.h"
#include "ostd/string.h"
#include "ostd/test.h"

#include "../lib/pt_test_util.h"

static bool all_bytes(paddr_t pa, uint64_t len, uint8_t v)
{
	const uint8_t *p = arch_paddr_to_ptr(pa);

	for (uint64_t i = 0; i < len; i++) {
		if (p[i] != v) {
			return false;
		}
	}
	return true;
}

TEST(frame, alloc_is_zeroed_and_refcounted)
{
	struct frame f;
	uint64_t base = frame_stats_in_use();

	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_OK);
	ASSERT_NE(pa_addr(f.pa), 0);
	ASSERT_EQ(pa_addr(f.pa) % PAGE_SIZE, 0);
	ASSERT_EQ(frame_stats_in_use(), base + 1);
	ASSERT_EQ(frame_refcount(f.pa), 1);
	ASSERT_TRUE(frame_is_untyped(f.pa));
	ASSERT_TRUE(all_bytes(f.pa, PAGE_SIZE, 0));

	/* Dirty it, free it, and the next allocation is zero again. */
	memset(arch_paddr_to_ptr(f.pa), 0xa5, PAGE_SIZE);
	struct frame g = frame_clone(f);

	ASSERT_EQ(frame_refcount(f.pa), 2);
	frame_drop(&g);
	ASSERT_EQ(pa_addr(g.pa), 0);
	ASSERT_EQ(frame_refcount(f.pa), 1);
	paddr_t old = f.pa;

	frame_drop(&f);
	ASSERT_EQ(frame_refcount(old), FRAME_REF_UNUSED);
	ASSERT_TRUE(frame_type_of(old) == NULL);
	ASSERT_EQ(frame_stats_in_use(), base);

	struct segment s;

	ASSERT_EQ(segment_alloc(64, &frame_type_untyped, 0, &s), OSTD_OK);
	ASSERT_TRUE(all_bytes(s.pa, 64 * PAGE_SIZE, 0));
	segment_drop(&s);
}

TEST(frame, typed_and_untyped)
{
	struct frame k;
	struct frame u;

	ASSERT_EQ(frame_alloc(&frame_type_kernel, &k), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &u), OSTD_OK);
	ASSERT_FALSE(frame_is_untyped(k.pa));
	ASSERT_TRUE(frame_is_untyped(u.pa));
	ASSERT_TRUE(frame_type_of(k.pa) == &frame_type_kernel);
	ASSERT_EQ(frame_alloc(NULL, &k), OSTD_EINVAL);
	frame_drop(&k);
	frame_drop(&u);
	/* Addresses the allocator does not manage have no metadata. */
	ASSERT_TRUE(frame_type_of(pa_init(0xfffffffffffff000ULL)) == NULL);
	ASSERT_TRUE(frame_storage(pa_init(0xfffffffffffff000ULL),
				  &frame_type_untyped) == NULL);
	ASSERT_FALSE(frame_is_untyped(pa_init(0xfffffffffffff000ULL)));
}

static unsigned int drops_seen;

static void count_drop(paddr_t pa, struct frame_meta *meta)
{
	(void)pa;
	/* The storage is the type's until the drop hook returns. */
	if (frame_meta_storage(meta)[0] == 0x42) {
		drops_seen++;
	}
}

static const struct frame_type counted_type = {
	.name = "counted",
	.untyped = false,
	.drop = count_drop,
};

TEST(frame, unique_then_shared_and_drop_hook)
{
	struct unique_frame u;

	drops_seen = 0;
	ASSERT_EQ(frame_alloc_unique(&counted_type, &u), OSTD_OK);
	ASSERT_EQ(frame_refcount(u.pa), FRAME_REF_UNIQUE);
	frame_storage(u.pa, &counted_type)[0] = 0x42;
	/* A unique frame cannot be shared behind its owner's back. */
	ASSERT_EQ(frame_ref_get(u.pa), OSTD_EINVAL);

	struct frame f = unique_frame_into_shared(&u);

	ASSERT_EQ(pa_addr(u.pa), 0);
	ASSERT_EQ(frame_refcount(f.pa), 1);
	ASSERT_EQ(frame_ref_get(f.pa), OSTD_OK);
	ASSERT_EQ(frame_refcount(f.pa), 2);
	frame_ref_put(f.pa);
	ASSERT_EQ(drops_seen, 0);
	paddr_t pa = f.pa;

	frame_drop(&f);
	ASSERT_EQ(drops_seen, 1);
	/* A free frame cannot gain a reference. */
	ASSERT_EQ(frame_ref_get(pa), OSTD_EINVAL);

	ASSERT_EQ(frame_alloc_unique(&counted_type, &u), OSTD_OK);
	frame_storage(u.pa, &counted_type)[0] = 0x42;
	unique_frame_drop(&u);
	ASSERT_EQ(drops_seen, 2);
}

/*
 * Probe: retyping a page-table node as untyped (to map it to user space).
 * Impossible to write against the kernel-author headers: struct
 * frame_meta is opaque there and frame_meta_of() is not declared
 * (core/mm/frame_internal.h). What frame.h offers instead, a type's own
 * storage, refuses every frame not of the caller's type and the
 * framework's page-table nodes (whose lock and level live there).
 */
TEST(frame, metadata_not_reachable_for_retyping)
{
	struct frame k;
	struct frame u;

	ASSERT_EQ(frame_alloc(&frame_type_kernel, &k), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &u), OSTD_OK);
	ASSERT_TRUE(frame_storage(k.pa, &frame_type_untyped) == NULL);
	ASSERT_TRUE(frame_storage(u.pa, &frame_type_kernel) == NULL);
	ASSERT_TRUE(frame_storage(u.pa, &frame_type_untyped) != NULL);
	/* A page-table node: its storage is the framework's. */
	static struct page_table store;
	struct page_table *kpt;
	bool owned;

	ASSERT_EQ(pt_test_kernel_parent(
			  pt_test_kernel_twin(arch_pt_config_user()), &store,
			  &kpt, &owned),
		  OSTD_OK);
	ASSERT_TRUE(frame_type_of(kpt->root) == &frame_type_pt_node);
	ASSERT_TRUE(frame_storage(kpt->root, &frame_type_pt_node) == NULL);
	ASSERT_FALSE(frame_is_untyped(kpt->root));
	pt_test_kernel_parent_release(kpt, owned);
	frame_drop(&k);
	frame_drop(&u);
}

TEST(frame, segment_split_and_slice)
{
	struct segment s;
	struct segment a;
	struct segment b;
	struct segment c;

	ASSERT_EQ(segment_alloc(8, &frame_type_untyped, 0, &s), OSTD_OK);
	paddr_t base = s.pa;

	/* Errors leave everything as it was. */
	ASSERT_EQ(segment_split(&s, 100, &a, &b), OSTD_EUNALIGNED);
	ASSERT_EQ(segment_split(&s, 0, &a, &b), OSTD_EINVAL);
	ASSERT_EQ(segment_split(&s, 8 * PAGE_SIZE, &a, &b), OSTD_EINVAL);
	ASSERT_EQ(segment_split(&s, UINT64_MAX & ~(PAGE_SIZE - 1), &a, &b),
		  OSTD_EINVAL);
	ASSERT_EQ(s.nr_frames, 8);
	ASSERT_EQ(segment_slice(&s, PAGE_SIZE, 0, &c), OSTD_EINVAL);
	ASSERT_EQ(segment_slice(&s, 1, PAGE_SIZE, &c), OSTD_EUNALIGNED);
	ASSERT_EQ(segment_slice(&s, 0, PAGE_SIZE + 1, &c), OSTD_EUNALIGNED);
	ASSERT_EQ(segment_slice(&s, 7 * PAGE_SIZE, 2 * PAGE_SIZE, &c),
		  OSTD_EINVAL);
	/* offset + len wraps to a small number: still out of range. */
	ASSERT_EQ(segment_slice(&s, 2 * PAGE_SIZE,
				UINT64_MAX & ~(PAGE_SIZE - 1), &c),
		  OSTD_EINVAL);
	for (uint64_t i = 0; i < 8; i++) {
		ASSERT_EQ(
			frame_refcount(pa_init(pa_addr(base) + i * PAGE_SIZE)),
			1);
	}

	/* A slice holds its own references. */
	ASSERT_EQ(segment_slice(&s, 2 * PAGE_SIZE, 3 * PAGE_SIZE, &c), OSTD_OK);
	ASSERT_EQ(pa_addr(c.pa), pa_addr(base) + 2 * PAGE_SIZE);
	ASSERT_EQ(c.nr_frames, 3);
	ASSERT_EQ(frame_refcount(pa_init(pa_addr(base) + 2 * PAGE_SIZE)), 2);
	ASSERT_EQ(frame_refcount(pa_init(pa_addr(base) + 5 * PAGE_SIZE)), 1);

	ASSERT_EQ(segment_split(&s, 3 * PAGE_SIZE, &a, &b), OSTD_OK);
	ASSERT_EQ(s.nr_frames, 0);
	ASSERT_EQ(pa_addr(a.pa), pa_addr(base));
	ASSERT_EQ(a.nr_frames, 3);
	ASSERT_EQ(pa_addr(b.pa), pa_addr(base) + 3 * PAGE_SIZE);
	ASSERT_EQ(b.nr_frames, 5);

	struct frame f;

	ASSERT_EQ(segment_frame(&b, 5, &f), OSTD_EINVAL);
	ASSERT_EQ(segment_frame(&b, 4, &f), OSTD_OK);
	ASSERT_EQ(pa_addr(f.pa), pa_addr(base) + 7 * PAGE_SIZE);
	ASSERT_EQ(frame_refcount(f.pa), 2);

	/* Dropping in any order frees each frame exactly once. */
	segment_drop(&a);
	ASSERT_EQ(frame_refcount(pa_init(pa_addr(base) + 2 * PAGE_SIZE)), 1);
	ASSERT_EQ(frame_refcount(base), FRAME_REF_UNUSED);
	segment_drop(&b);
	ASSERT_EQ(frame_refcount(f.pa), 1);
	segment_drop(&c);
	frame_drop(&f);
	ASSERT_EQ(frame_refcount(pa_init(pa_addr(base) + 7 * PAGE_SIZE)),
		  FRAME_REF_UNUSED);
}

TEST(frame, zero_frames_and_exhaustion)
{
	struct segment s = { .pa = pa_init(0x1234000), .nr_frames = 99 };
	uint64_t base = frame_stats_in_use();

	ASSERT_EQ(segment_alloc(0, &frame_type_untyped, 0, &s), OSTD_EINVAL);
	ASSERT_EQ(s.nr_frames, 99);
	ASSERT_EQ(segment_alloc(UINT64_MAX, &frame_type_untyped, 0, &s),
		  OSTD_ENOMEM);

	/* Take everything in big runs, then single frames. */
	enum { MAX_HELD = 256 };
	struct segment held[MAX_HELD];
	unsigned int n = 0;
	uint64_t run = 1ULL << 14;

	while (n < MAX_HELD && run > 0) {
		if (segment_alloc(run, &frame_type_untyped, FRAME_ALLOC_NOZERO,
				  &held[n]) == OSTD_OK) {
			n++;
		} else {
			run /= 2;
		}
	}
	ASSERT_EQ(run, 0);
	ASSERT_EQ(frame_stats_in_use(), frame_stats_total());
	struct frame f;

	ASSERT_EQ(frame_alloc(&frame_type_untyped, &f), OSTD_ENOMEM);
	while (n > 0) {
		segment_drop(&held[--n]);
	}
	ASSERT_EQ(frame_stats_in_use(), base);
	/* After the storm, big runs coalesce back: 1024 frames in one go. */
	ASSERT_EQ(segment_alloc(1024, &frame_type_untyped, FRAME_ALLOC_NOZERO,
				&s),
		  OSTD_OK);
	segment_drop(&s);
}

TEST(frame, fail_nth_fails_exactly_that_allocation)
{
	uint64_t base = frame_stats_in_use();
	struct frame f[4];

	frame_fi_fail_nth(3);
	ASSERT_EQ(frame_alloc(&frame_type_kernel, &f[0]), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_kernel, &f[1]), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_kernel, &f[2]), OSTD_ENOMEM);
	ASSERT_EQ(frame_alloc(&frame_type_kernel, &f[3]), OSTD_OK);
	ASSERT_EQ(frame_stats_in_use(), base + 3);
	frame_drop(&f[0]);
	frame_drop(&f[1]);
	frame_drop(&f[3]);

	/* Every position of a 5-allocation sequence, nothing leaked. */
	for (uint64_t k = 1; k <= 5; k++) {
		struct segment s[5];
		unsigned int got = 0;

		frame_fi_fail_nth(k);
		for (unsigned int i = 0; i < 5; i++) {
			if (segment_alloc(i + 1, &frame_type_untyped, 0,
					  &s[got]) == OSTD_OK) {
				got++;
			}
		}
		ASSERT_EQ(got, 4);
		while (got > 0) {
			segment_drop(&s[--got]);
		}
		ASSERT_EQ(frame_stats_in_use(), base);
	}
	frame_fi_fail_nth(0);
}

/*
 * Boot memory goes back to the allocator once, and only from inside the
 * kernel image; every refusal leaves the allocator as it was. Valid
 * releases are the ports' business (x86_64 gives back its boot page
 * tables), so only the refusals run here.
 */
TEST(frame, release_boot_memory_refuses_bad_ranges)
{
	const struct ostd_boot_info *info = ostd_boot_info();
	uint64_t start = pa_addr(info->kernel_start) & ~(PAGE_SIZE - 1);
	uint64_t total = frame_stats_total();

	ASSERT_EQ(frame_release_boot_memory(pa_init(start), 0), OSTD_EINVAL);
	ASSERT_EQ(frame_release_boot_memory(pa_init(start + 1), PAGE_SIZE),
		  OSTD_EUNALIGNED);
	ASSERT_EQ(frame_release_boot_memory(pa_init(start), 1),
		  OSTD_EUNALIGNED);
	/* Outside the image, or running past its end (without overflow). */
	ASSERT_EQ(frame_release_boot_memory(
			  pa_init(pa_addr(info->kernel_end) + PAGE_SIZE),
			  PAGE_SIZE),
		  OSTD_EINVAL);
	ASSERT_EQ(frame_release_boot_memory(pa_init(start),
					    UINT64_MAX & ~(PAGE_SIZE - 1)),
		  OSTD_EINVAL);
	ASSERT_EQ(frame_release_boot_memory(
			  pa_init(UINT64_MAX & ~(PAGE_SIZE - 1)), PAGE_SIZE),
		  OSTD_EINVAL);
	ASSERT_EQ(frame_stats_total(), total);
}

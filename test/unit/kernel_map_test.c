// SPDX-License-Identifier: MPL-2.0
/* The device-window registry of the kernel half (ostd/kernel_map.h). */

#include <stdint.h>

#include "ostd/arch/mm.h"

#include "ostd/config.h"
#include "ostd/kernel_map.h"
#include "ostd/test.h"

/* Where the host test puts its windows: far from any board's devices. */
#define TEST_DEVICE_BASE 0x4000000000ULL

/* Rejections change nothing, so they run in every image too. */
TEST(kernel_map, device_rejects_bad_ranges)
{
	const uint64_t top = arch_kernel_layout.linear_size;
	unsigned int count = kernel_map_device_count();
	void *out = &out;

	ASSERT_EQ(kernel_map_device(pa_init(0x1000), 0x10, NULL), OSTD_EINVAL);
	ASSERT_EQ(kernel_map_device(pa_init(0x1000), 0, &out), OSTD_EINVAL);
	/* pa + len wraps past 2^64. */
	ASSERT_EQ(kernel_map_device(pa_init(UINT64_MAX - 0x10), 0x100, &out),
		  OSTD_ERANGE);
	ASSERT_EQ(kernel_map_device(pa_init(0x1000), UINT64_MAX, &out),
		  OSTD_ERANGE);
	/* Past the linear map, by a byte and from its end. */
	ASSERT_EQ(kernel_map_device(pa_init(top - 0x1000), 0x1001, &out),
		  OSTD_ERANGE);
	ASSERT_EQ(kernel_map_device(pa_init(top), 1, &out), OSTD_ERANGE);
	ASSERT_TRUE(out == &out);
	ASSERT_EQ(kernel_map_device_count(), count);
}

/*
 * Filling the registry: on the host only, where nothing maps the windows
 * (a kernel image would map these addresses into its table for good).
 */
TEST(kernel_map, device_registry_reuses_and_fills)
{
	if (!IS_ENABLED(CONFIG_ARCH_HOST)) {
		return;
	}
	const uint64_t linear = arch_kernel_layout.linear_base;
	void *out = NULL;

	/* Windows two pages apart until the registry is full. */
	for (unsigned int i = 0;
	     kernel_map_device_count() < KERNEL_MAP_DEVICE_MAX; i++) {
		uint64_t pa =
			TEST_DEVICE_BASE + (uint64_t)i * 2 * PAGE_SIZE + 0x10;

		ASSERT_TRUE(i < KERNEL_MAP_DEVICE_MAX);
		ASSERT_EQ(kernel_map_device(pa_init(pa), 0x20, &out), OSTD_OK);
		ASSERT_EQ((uint64_t)(uintptr_t)out, linear + pa);
	}
	/* Inside a window (the same page): reused, even when full. */
	ASSERT_EQ(kernel_map_device(pa_init(TEST_DEVICE_BASE + 0x800), 0x800,
				    &out),
		  OSTD_OK);
	ASSERT_EQ((uint64_t)(uintptr_t)out, linear + TEST_DEVICE_BASE + 0x800);
	ASSERT_EQ(kernel_map_device_count(), KERNEL_MAP_DEVICE_MAX);

	/* Full: a new window is refused, and nothing changes. */
	out = &out;
	ASSERT_EQ(kernel_map_device(pa_init(TEST_DEVICE_BASE - PAGE_SIZE), 4,
				    &out),
		  OSTD_ENOMEM);
	/* Over a window's end without lying inside it. */
	ASSERT_EQ(kernel_map_device(pa_init(TEST_DEVICE_BASE), 2 * PAGE_SIZE,
				    &out),
		  OSTD_EEXIST);
	/* Overflowing ranges are refused before the registry is looked at. */
	ASSERT_EQ(kernel_map_device(pa_init(UINT64_MAX - 0x10), 0x100, &out),
		  OSTD_ERANGE);
	ASSERT_TRUE(out == &out);
	ASSERT_EQ(kernel_map_device_count(), KERNEL_MAP_DEVICE_MAX);
}

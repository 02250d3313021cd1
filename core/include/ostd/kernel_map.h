/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdint.h>

#include "ostd/page_table.h"
#include "ostd/types.h"

/*
 * Building the kernel page table, for arch_kernel_pt_activate(): the
 * steps every port takes, each through the core's cursors. They panic on
 * failure, since the kernel cannot run without its mappings.
 */

/**
 * Maps physical [@p pa, + @p len) at @p va (all page aligned) as untracked
 * items of the largest page size both sides' alignment allows, at most
 * @p max_level. @p what names the range in a panic message.
 */
void kernel_map_range(struct page_table *kpt, uint64_t va, paddr_t pa,
		      uint64_t len, struct pt_prop prop, pt_level_t max_level,
		      const char *what);

/**
 * The linear map: every memory region of the boot info (usable or
 * reserved, merged and page aligned) at @p linear_base + its physical
 * address, with @p prop, in pages of at most @p max_level.
 */
void kernel_map_ram(struct page_table *kpt, uint64_t linear_base,
		    struct pt_prop prop, pt_level_t max_level);

/**
 * One section of the kernel image, [@p start, @p end) at its link address,
 * backed by physical (va - @p va_to_pa), with @p flags (PROT_*), global,
 * write-back, in 4 KiB pages.
 */
void kernel_map_image_section(struct page_table *kpt, const void *start,
			      const void *end, uint64_t va_to_pa,
			      uint32_t flags, const char *what);

/**
 * Walks @p kpt and panics at the first leaf that is writable and
 * executable; prints `W+X check: passed` otherwise.
 */
void kernel_check_no_wx(struct page_table *kpt);

/** True if [@p pa, + @p len) lies inside one memory region of the boot info. */
bool kernel_range_in_ram(uint64_t pa, uint64_t len);

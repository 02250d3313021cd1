/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdint.h>

#include "ostd/compiler.h"
#include "ostd/err.h"
#include "ostd/page_table.h"
#include "ostd/types.h"

/*
 * The kernel half of the address space: the kernel page table a port
 * builds in arch_kernel_pt_activate(), and the device windows drivers
 * and boards ask for. Where things go is the port's layout (struct
 * arch_kernel_layout, ostd/arch/mm.h); this module walks the ranges
 * through the core's cursors.
 */

/* ---- Building the kernel page table ---- */

/** One section of the kernel image, at its link address. */
struct kernel_image_section {
	/* [start, end): linker symbols, page aligned. */
	const void *start;
	const void *end;
	/* PROT_* rights, plus any PT_* flag the port's kernel leaves carry. */
	uint32_t flags;
	/* Names the section in a panic message ("the kernel text"). */
	const char *what;
};

/**
 * Fills the empty kernel table @p kpt and checks that no leaf is writable
 * and executable (printing `W+X check: passed`):
 *
 * - every memory region of the boot info (usable or reserved, merged and
 *   page aligned) at arch_kernel_layout.linear_base + its physical
 *   address, with the layout's ram_prop, in pages of at most
 *   @p ram_max_level;
 * - every device window recorded so far by kernel_map_device(); from
 *   here on a new window is mapped into @p kpt at once;
 * - each of the @p section_count @p sections at its link address, backed
 *   by physical va - arch_image_delta(), global, write-back, in 4 KiB
 *   pages.
 *
 * Panics if a mapping fails or a section asks for W+X: the kernel cannot
 * run without its table.
 *
 * Context: arch_kernel_pt_activate() on the boot CPU, once.
 */
void kernel_map_build(struct page_table *kpt, pt_level_t ram_max_level,
		      const struct kernel_image_section *sections,
		      unsigned int section_count);

/* ---- Device windows ---- */

/** How many device windows the registry holds. */
#define KERNEL_MAP_DEVICE_MAX 16

/**
 * The kernel pointer for device registers at physical [@p pa, + @p len):
 * arch_kernel_layout.linear_base + @p pa, mapped with the layout's
 * device_prop in 4 KiB pages.
 *
 * The registry holds page-aligned windows. A range inside a window
 * reuses it. A new window is recorded; before kernel_map_build() the
 * boot translation must reach it (arch_boot_maps_device()) and the build
 * maps it, afterwards it is mapped at once. A window inside a memory
 * region of the boot info is reached through the linear map of RAM and
 * mapped no second time.
 *
 * Context: any CPU, not from an interrupt handler; takes the registry's
 * lock and may allocate page-table nodes.
 *
 * @param[out] out The pointer; untouched on error.
 * @retval OSTD_OK Mapped, or inside a window already.
 * @retval OSTD_EINVAL @p out is NULL or @p len is 0.
 * @retval OSTD_ERANGE The range wraps, ends past the linear map
 *         (arch_kernel_layout.linear_size), or, before the kernel table
 *         is built, lies where the boot translation has no devices.
 * @retval OSTD_EEXIST The range overlaps a window without lying inside
 *         it, or the kernel table maps part of it already.
 * @retval OSTD_ENOMEM The registry is full (KERNEL_MAP_DEVICE_MAX
 *         windows), or page-table nodes could not be allocated.
 *
 * Every error leaves the registry and the kernel table as they were.
 */
WARN_UNUSED ostd_err_t kernel_map_device(paddr_t pa, uint64_t len, void **out);

/**
 * kernel_map_device() for a device the caller cannot run without (a
 * console, an interrupt controller): panics naming @p what, the range
 * and the error. The panic's own console comes through here too, at its
 * fallback address; if that fails as well there is nothing to print on,
 * and it powers off with OSTD_EXIT_PANIC.
 */
void *kernel_map_device_or_panic(paddr_t pa, uint64_t len, const char *what);

/** The number of windows in the registry. */
unsigned int kernel_map_device_count(void);

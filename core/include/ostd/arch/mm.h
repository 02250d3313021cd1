/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ostd/internal/asid.h"
#include "ostd/pt_config.h"
#include "ostd/types.h"

/*
 * The memory contract every port implements: how the kernel reaches
 * physical memory. The kernel ports reach it through the linear map of
 * their layout (struct arch_kernel_layout: boot.S's tables, then the
 * kernel page table); the host maps its simulated memory arena.
 */

struct page_table;
struct pt_config;

/**
 * A kernel port's address layout (DESIGN.md §2): the one rule behind
 * arch_paddr_to_ptr() and arch_ptr_to_paddr() on the kernel ports
 * (core/freestanding/phys.c) and behind kernel_map_device(). Each port
 * defines `arch_kernel_layout` in its mm.c; the host defines one for
 * kernel_map_device() alone, since it reaches its arena its own way.
 */
struct arch_kernel_layout {
	/* Physical address pa is reached at linear_base + pa ... */
	uint64_t linear_base;
	/* ... for every pa below linear_size (the linear map's span). */
	uint64_t linear_size;
	/*
	 * Addresses from image_base up belong to the kernel image, at
	 * physical va - arch_image_delta().
	 */
	uint64_t image_base;
	/*
	 * What RAM is mapped with in the linear map: read-write, never
	 * executable, global, write-back.
	 */
	struct pt_prop ram_prop;
	/*
	 * What a device window (kernel_map_device()) is mapped with in the
	 * linear map: read-write, never executable, global, and the
	 * memory type device registers need.
	 */
	struct pt_prop device_prop;
};

extern const struct arch_kernel_layout arch_kernel_layout;

/**
 * The kernel image's link address less its physical address, which boot
 * code measures where the loader may place the image anywhere.
 *
 * Context: any, once the arch entry code has run.
 */
uint64_t arch_image_delta(void);

/**
 * True if the boot translation (before arch_kernel_pt_activate())
 * reaches physical [@p pa, + @p len) at linear_base + pa in a way device
 * registers can use. kernel_map_device() refuses other ranges until the
 * kernel table is built.
 */
bool arch_boot_maps_device(uint64_t pa, uint64_t len);

/**
 * Called by kernel_map_device() after it added entries to the installed
 * kernel table, where there were none: returns once this CPU's later
 * accesses see them (a barrier, or a fence where the TLB may keep the
 * old invalid entries).
 *
 * Context: any; the caller holds the device registry's lock.
 */
void arch_kernel_map_sync(void);

/**
 * The kernel pointer through which physical address @p pa is reached:
 * arch_kernel_layout.linear_base + pa on the kernel ports.
 *
 * Context: any. @p pa must be in memory the boot info described.
 */
void *arch_paddr_to_ptr(paddr_t pa);

/**
 * The inverse of arch_paddr_to_ptr() for a pointer it returned, and the
 * physical address of a pointer into the kernel image (a static object).
 */
paddr_t arch_ptr_to_paddr(const void *ptr);

/**
 * Makes instruction fetches from physical [@p pa, + @p len) see what the
 * kernel wrote there through arch_paddr_to_ptr(): called before a frame
 * is mapped executable (vm_space_map_frame()). A no-op where the caches
 * are coherent for instructions (x86); a cache clean and invalidate where
 * they are not (Arm, RISC-V).
 */
void arch_sync_icache(paddr_t pa, uint64_t len);

/**
 * Zeroes @p nr_pages pages from @p p, a page-aligned pointer to normal
 * (cacheable) memory from arch_paddr_to_ptr(), with the fastest stores
 * the CPU has: x86_64 `rep stosb` (ERMS) or `rep stosq`, AArch64 `DC ZVA`
 * where it is permitted, RISC-V a store loop, the host memset().
 * Called by frame allocation for every zeroed frame.
 *
 * Context: any, once the kernel's linear map reaches the pages.
 */
void arch_zero_pages(void *p, uint64_t nr_pages);

/**
 * Fills the kernel page table @p kpt (just created by
 * vm_space_init_kernel(), empty) with the port's kernel mappings and
 * switches this CPU to it; the boot translation is unused afterwards.
 * Panics if it cannot. A port builds the table with kernel_map_build().
 *
 * Context: ostd_boot(), after frame_init() and vm_space_init_kernel();
 * then each secondary CPU's entry, which only switches to the table.
 */
void arch_kernel_pt_activate(struct page_table *kpt);

/**
 * Installs @p pt as this CPU's user root (CR3 / satp / TTBR0) and flushes
 * what the previous root left: the switch with ASIDs off, and the switch
 * to a kernel table (ASID 0).
 *
 * Context: vm_space_activate(), preemption off. Barriers: the root write
 * is ordered after the table's stores (x86 MOV CR3 serializes, SDM Vol.
 * 3A §8.3; RISC-V SFENCE.VMA after the satp write, Privileged spec
 * §4.1.11; AArch64 DSB ISHST before and ISB after the TTBR0_EL1 write,
 * Arm ARM D8.2).
 */
void arch_vm_activate(struct page_table *pt);

/**
 * The ASID width of this CPU's MMU that the port uses: 0 (none, or the
 * port does not use them) up to ASID_MAX_BITS. Called once, on the boot
 * CPU, by vm_space_init_kernel(); the other CPUs are assumed alike.
 */
unsigned int arch_asid_bits(void);

/**
 * arch_vm_activate() with ASIDs on: installs @p pt tagged with @p asid
 * (never 0), first dropping what @p flush says (ostd/internal/asid.h);
 * with ASID_FLUSH_NONE the TLB keeps every entry. Same context and
 * barriers as arch_vm_activate().
 */
void arch_vm_activate_asid(struct page_table *pt, uint16_t asid,
			   enum asid_flush flush);

/** The root this CPU translates user addresses with. */
paddr_t arch_vm_current_root(void);

/** The user-half config of this kernel's own format. */
const struct pt_config *arch_pt_config_user(void);

/** The kernel-half config of this kernel's own format. */
const struct pt_config *arch_pt_config_kernel(void);

/**
 * Every config this build can exercise, for the conformance suite: the
 * port's own on a kernel image; all five formats on the host.
 */
const struct pt_config *const *arch_pt_configs_for_tests(unsigned int *count);

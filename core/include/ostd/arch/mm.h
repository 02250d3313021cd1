/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include "ostd/types.h"

/*
 * The memory contract every port implements: how the kernel reaches
 * physical memory. x86_64 reaches it through the linear map at
 * PHYS_OFFSET (boot.S's tables, then the kernel page table); riscv64 and
 * aarch64 still run with the MMU off (identity); the host maps its
 * simulated memory arena.
 */

struct page_table;
struct pt_config;

/**
 * The kernel pointer through which physical address @p pa is reached.
 *
 * Context: any. @p pa must be in memory the boot info described.
 */
void *arch_paddr_to_ptr(paddr_t pa);

/** The inverse of arch_paddr_to_ptr() for a pointer it returned. */
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
 * Fills the kernel page table @p kpt (just created by
 * vm_space_init_kernel(), empty) with the port's kernel mappings and
 * switches this CPU to it; the boot translation is unused afterwards.
 * Panics if it cannot.
 *
 * Context: ostd_boot(), once, after frame_init() and
 * vm_space_init_kernel().
 */
void arch_kernel_pt_activate(struct page_table *kpt);

/**
 * Installs @p pt as this CPU's user root (CR3 / satp / TTBR0) and flushes
 * what the previous root left (no ASIDs yet).
 *
 * Context: vm_space_activate(), preemption off. Barriers: the root write
 * is ordered after the table's stores (x86 MOV CR3 serializes, SDM Vol.
 * 3A §8.3; RISC-V SFENCE.VMA after the satp write, Privileged spec
 * §4.1.11; AArch64 DSB ISHST before and ISB after the TTBR0_EL1 write,
 * Arm ARM D8.2).
 */
void arch_vm_activate(struct page_table *pt);

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

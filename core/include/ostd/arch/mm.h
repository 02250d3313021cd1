/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include "ostd/types.h"

/*
 * The memory contract every port implements: how the kernel reaches
 * physical memory. Today every kernel image runs with physical memory
 * identity-mapped (x86_64's boot tables, riscv64 and aarch64 with the MMU
 * off); the host maps its simulated memory arena. The linear map of the
 * kernel page table replaces this with an offset later.
 */

/**
 * The kernel pointer through which physical address @p pa is reached.
 *
 * Context: any. @p pa must be in memory the boot info described.
 */
void *arch_paddr_to_ptr(paddr_t pa);

/** The inverse of arch_paddr_to_ptr() for a pointer it returned. */
paddr_t arch_ptr_to_paddr(const void *ptr);

// SPDX-License-Identifier: MPL-2.0
/*
 * Physical memory access. Until the kernel page table with its linear map
 * exists, physical memory is reached at its own address (identity).
 */

#include "ostd/arch/mm.h"

#include <stdint.h>

void *arch_paddr_to_ptr(paddr_t pa)
{
	return (void *)(uintptr_t)pa_addr(pa);
}

paddr_t arch_ptr_to_paddr(const void *ptr)
{
	return pa_init((uintptr_t)ptr);
}

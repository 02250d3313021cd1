// SPDX-License-Identifier: MPL-2.0
/*
 * Physical memory access on the kernel ports: the linear map and the
 * image of the port's layout (struct arch_kernel_layout, ostd/arch/mm.h).
 * Kernel images only; the host reaches its simulated arena through
 * arch/host/sim.c.
 */

#include <stdint.h>

#include "ostd/arch/mm.h"

void *arch_paddr_to_ptr(paddr_t pa)
{
	return (void *)(uintptr_t)(arch_kernel_layout.linear_base +
				   pa_addr(pa));
}

paddr_t arch_ptr_to_paddr(const void *ptr)
{
	uintptr_t va = (uintptr_t)ptr;

	/* A pointer into the image (a static object) is reached there. */
	if (va >= arch_kernel_layout.image_base) {
		return pa_init(va - arch_image_delta());
	}
	return pa_init(va - arch_kernel_layout.linear_base);
}

// SPDX-License-Identifier: MPL-2.0
/*
 * Page zeroing on the host: the C library's memset() already picks the
 * widest stores the machine has.
 */

#include <string.h>

#include "ostd/arch/mm.h"

void arch_zero_pages(void *p, uint64_t nr_pages)
{
	memset(p, 0, (size_t)(nr_pages << PAGE_SHIFT));
}

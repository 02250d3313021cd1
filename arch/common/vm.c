// SPDX-License-Identifier: MPL-2.0
/*
 * User address spaces, for a kernel port that cannot install one yet. The
 * kernels still run on their boot translation (identity, or the MMU off),
 * which no user table shares: user spaces arrive with each arch's kernel
 * issue (kernel page table, traps, fallible copies with an exception
 * table), whose arch/<isa>/vm.c then replaces this file (same name) for that port.
 * Until then no user memory is reachable, and every user access reports a
 * fault at byte 0, which is the truth.
 */

#include "ostd/arch/mm.h"
#include "ostd/arch/usercopy.h"

#include "ostd/panic.h"
#include "ostd/vm_space.h"

void arch_vm_activate(struct page_table *pt)
{
	(void)pt;
	panic("user address spaces need this port's kernel page table, "
	      "which does not exist yet");
}

paddr_t arch_vm_current_root(void)
{
	return pa_init(0);
}

uint64_t arch_copy_from_user(void *dst, uint64_t src, uint64_t len)
{
	(void)dst;
	(void)src;
	(void)len;
	return 0;
}

uint64_t arch_copy_to_user(uint64_t dst, const void *src, uint64_t len)
{
	(void)dst;
	(void)src;
	(void)len;
	return 0;
}

uint64_t arch_fill_user(uint64_t dst, uint8_t byte, uint64_t len)
{
	(void)dst;
	(void)byte;
	(void)len;
	return 0;
}

bool arch_atomic_load_user(uint64_t va, uint32_t *val)
{
	(void)va;
	(void)val;
	return false;
}

bool arch_cmpxchg_user(uint64_t va, uint32_t expected, uint32_t new_val,
		       uint32_t *old)
{
	(void)va;
	(void)expected;
	(void)new_val;
	(void)old;
	return false;
}

/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The fallible user accesses (vm_space.h's arch_* copies) and the probes
 * of ostd/arch/probe.h. Each instruction that may fault on purpose has an
 * exception-table entry (core/extable.c); trap.c resumes a kernel fault
 * there at the fixup.
 *
 * The copies are REP MOVSB / REP STOSB: a fault leaves RCX holding the
 * iterations not yet done (Intel SDM vol 2B, REP: "the registers are
 * updated ... so the instruction can be restarted"), so the count of bytes
 * copied before the faulting one is exact. SMAP is opened (STAC) only
 * around the user access and closed (CLAC) on both exits (SDM vol 3A,
 * 4.6.1: with CR4.SMAP, supervisor data access to user pages faults unless
 * RFLAGS.AC = 1). STAC/CLAC are #UD without SMAP, hence the flag test.
 *
 * The probes never open SMAP: they are the raw access it must stop.
 */

#define EXTABLE(fault, fixup)			\
	.pushsection ostd_extable, "a";		\
	.balign 8;				\
	.quad fault, fixup;			\
	.popsection

.macro USER_ACCESS_BEGIN
	testb $1, x86_64_has_smap(%rip)
	jz 98f
	stac
98:
.endm

.macro USER_ACCESS_END
	testb $1, x86_64_has_smap(%rip)
	jz 99f
	clac
99:
.endm

	.text

/* uint64_t arch_copy_from_user(void *dst, uint64_t src, uint64_t len) */
	.global arch_copy_from_user
arch_copy_from_user:
	mov %rdx, %rcx
	USER_ACCESS_BEGIN
1:	rep movsb
2:	USER_ACCESS_END
	mov %rdx, %rax
	sub %rcx, %rax
	ret
	EXTABLE(1b, 2b)

/* uint64_t arch_copy_to_user(uint64_t dst, const void *src, uint64_t len) */
	.global arch_copy_to_user
arch_copy_to_user:
	mov %rdx, %rcx
	USER_ACCESS_BEGIN
1:	rep movsb
2:	USER_ACCESS_END
	mov %rdx, %rax
	sub %rcx, %rax
	ret
	EXTABLE(1b, 2b)

/* uint64_t arch_fill_user(uint64_t dst, uint8_t byte, uint64_t len) */
	.global arch_fill_user
arch_fill_user:
	mov %esi, %eax
	mov %rdx, %rcx
	USER_ACCESS_BEGIN
1:	rep stosb
2:	USER_ACCESS_END
	mov %rdx, %rax
	sub %rcx, %rax
	ret
	EXTABLE(1b, 2b)

/* bool arch_atomic_load_user(uint64_t va, uint32_t *val) */
	.global arch_atomic_load_user
arch_atomic_load_user:
	USER_ACCESS_BEGIN
	/* An aligned 32-bit load is atomic (SDM vol 3A, 9.1.1). */
1:	mov (%rdi), %eax
	USER_ACCESS_END
	mov %eax, (%rsi)
	mov $1, %eax
	ret
2:	USER_ACCESS_END
	xor %eax, %eax
	ret
	EXTABLE(1b, 2b)

/*
 * bool arch_cmpxchg_user(uint64_t va, uint32_t expected, uint32_t new_val,
 *			  uint32_t *old)
 */
	.global arch_cmpxchg_user
arch_cmpxchg_user:
	mov %esi, %eax
	USER_ACCESS_BEGIN
1:	lock cmpxchg %edx, (%rdi)
	USER_ACCESS_END
	mov %eax, (%rcx)
	mov $1, %eax
	ret
2:	USER_ACCESS_END
	xor %eax, %eax
	ret
	EXTABLE(1b, 2b)

/* bool arch_probe_read(uintptr_t va, uint8_t *out) */
	.global arch_probe_read
arch_probe_read:
1:	movb (%rdi), %al
	movb %al, (%rsi)
	mov $1, %eax
	ret
2:	xor %eax, %eax
	ret
	EXTABLE(1b, 2b)

/* bool arch_probe_write(uintptr_t va, uint8_t val) */
	.global arch_probe_write
arch_probe_write:
1:	movb %sil, (%rdi)
	mov $1, %eax
	ret
2:	xor %eax, %eax
	ret
	EXTABLE(1b, 2b)

/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The fallible user accesses (vm_space.h's arch_* copies) and the probes
 * of ostd/arch/probe.h. Each instruction that may fault on purpose has an
 * exception-table entry (core/extable.c); trap.c resumes a kernel fault
 * there at the fixup.
 *
 * Copies of COPY_REP_MIN bytes or more are one REP MOVSB (STOSB for the
 * fill): with ERMS (CPUID.(EAX=7,ECX=0):EBX[9]; Intel optimization
 * reference manual 248966, 3.7.6 "Enhanced REP MOVSB and STOSB operation")
 * it is the fastest copy the CPU has for large blocks, and its fixed
 * start-up cost is what smaller copies avoid: they go 32 bytes a round in
 * four 8-byte moves, then 8 bytes, then bytes.
 *
 * Exact partial counts: RCX holds the bytes not yet copied throughout. A
 * REP that faults leaves RCX, RSI and RDI at the iteration that faulted
 * (SDM vol 2B, REP: "the registers are updated ... so the instruction can
 * be restarted"); a block or word that faults has not advanced them. In
 * both cases the fixup goes on byte by byte from there, so the copy faults
 * again on exactly the first byte that cannot be accessed and RCX is then
 * the exact remainder. Bytes a faulting block stored before its fault are
 * stored again, with the same values.
 *
 * SMAP is opened (STAC) only around the user access and closed (CLAC) on
 * both exits (SDM vol 3A, 4.6.1: with CR4.SMAP, supervisor data access to
 * user pages faults unless RFLAGS.AC = 1). STAC/CLAC are #UD without SMAP,
 * hence the flag test.
 *
 * The probes never open SMAP: they are the raw access it must stop.
 */

#define EXTABLE(fault, fixup)			\
	.pushsection ostd_extable, "a";		\
	.balign 8;				\
	.quad fault, fixup;			\
	.popsection

/* From this many bytes on, a copy or fill is one REP MOVSB / STOSB. */
#define COPY_REP_MIN 2048

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

/*
 * uint64_t arch_copy_from_user(void *dst, uint64_t src, uint64_t len)
 * uint64_t arch_copy_to_user(uint64_t dst, const void *src, uint64_t len)
 * The same registers either way (RDI dst, RSI src, RDX len), and either
 * side may fault: one body.
 */
	.global arch_copy_from_user
	.global arch_copy_to_user
arch_copy_from_user:
arch_copy_to_user:
	mov %rdx, %rcx
	USER_ACCESS_BEGIN
	cmp $COPY_REP_MIN, %rcx
	jae .Lcopy_rep
.Lcopy_blocks:
	cmp $32, %rcx
	jb .Lcopy_words
10:	mov (%rsi), %rax
11:	mov 8(%rsi), %r8
12:	mov 16(%rsi), %r9
13:	mov 24(%rsi), %r10
14:	mov %rax, (%rdi)
15:	mov %r8, 8(%rdi)
16:	mov %r9, 16(%rdi)
17:	mov %r10, 24(%rdi)
	add $32, %rsi
	add $32, %rdi
	sub $32, %rcx
	jmp .Lcopy_blocks
.Lcopy_words:
	cmp $8, %rcx
	jb .Lcopy_bytes
20:	mov (%rsi), %rax
21:	mov %rax, (%rdi)
	add $8, %rsi
	add $8, %rdi
	sub $8, %rcx
	jmp .Lcopy_words
.Lcopy_rep:
30:	rep movsb
.Lcopy_bytes:
	test %rcx, %rcx
	jz .Lcopy_done
40:	movb (%rsi), %al
41:	movb %al, (%rdi)
	inc %rsi
	inc %rdi
	dec %rcx
	jmp .Lcopy_bytes
.Lcopy_done:
	USER_ACCESS_END
	mov %rdx, %rax
	sub %rcx, %rax
	ret
	EXTABLE(10b, .Lcopy_bytes)
	EXTABLE(11b, .Lcopy_bytes)
	EXTABLE(12b, .Lcopy_bytes)
	EXTABLE(13b, .Lcopy_bytes)
	EXTABLE(14b, .Lcopy_bytes)
	EXTABLE(15b, .Lcopy_bytes)
	EXTABLE(16b, .Lcopy_bytes)
	EXTABLE(17b, .Lcopy_bytes)
	EXTABLE(20b, .Lcopy_bytes)
	EXTABLE(21b, .Lcopy_bytes)
	EXTABLE(30b, .Lcopy_bytes)
	EXTABLE(40b, .Lcopy_done)
	EXTABLE(41b, .Lcopy_done)

/* uint64_t arch_fill_user(uint64_t dst, uint8_t byte, uint64_t len) */
	.global arch_fill_user
arch_fill_user:
	movzbl %sil, %eax
	movabs $0x0101010101010101, %r8
	imul %r8, %rax				/* The byte in every lane. */
	mov %rdx, %rcx
	USER_ACCESS_BEGIN
	cmp $COPY_REP_MIN, %rcx
	jae .Lfill_rep
.Lfill_words:
	cmp $8, %rcx
	jb .Lfill_bytes
50:	mov %rax, (%rdi)
	add $8, %rdi
	sub $8, %rcx
	jmp .Lfill_words
.Lfill_rep:
51:	rep stosb
.Lfill_bytes:
	test %rcx, %rcx
	jz .Lfill_done
52:	movb %al, (%rdi)
	inc %rdi
	dec %rcx
	jmp .Lfill_bytes
.Lfill_done:
	USER_ACCESS_END
	mov %rdx, %rax
	sub %rcx, %rax
	ret
	EXTABLE(50b, .Lfill_bytes)
	EXTABLE(51b, .Lfill_bytes)
	EXTABLE(52b, .Lfill_done)

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

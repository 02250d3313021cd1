/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The fallible user accesses (vm_space.h's arch_* copies) and the probes
 * of ostd/arch/probe.h. Each instruction that may fault on purpose has an
 * exception-table entry (core/extable.c); trap.c resumes a kernel fault
 * there at the fixup. "Arm ARM" is DDI 0487 (G.b).
 *
 * User memory is reached with the unprivileged LDTR/STTR forms (C3.2.5
 * "Load/store unprivileged"): EL1 executing them is checked as EL0 would
 * be, so a "user" pointer into the kernel half faults like a user access
 * would, and PSTATE.PAN, which only restricts privileged accesses (D5.4.7
 * "Privileged access never"), can stay set: the copies never open it. The
 * exclusive pair of the compare-and-exchange has no unprivileged form; it
 * alone clears PAN (MSR PAN, #0) around the one LDAXR/STLXR loop and sets
 * it again on both exits. MSR PAN is UNDEFINED without FEAT_PAN, hence the
 * aarch64_has_pan test.
 *
 * LDTR/STTR have no pair form and move at most 8 bytes (C6.2 LDTR,
 * STTR): that is the floor of a secure copy here, and the loops
 * get close to it by moving 64 bytes a round in eight of them, with the
 * kernel side in LDP/STP pairs. Opening PAN for LDP/STP pairs would lose
 * the EL0 permission check on the user pointer, so it is not done.
 *
 * Exact partial counts: bytes go one at a time until the user address is
 * 8-aligned, then 64 bytes a round while 64 remain, then 8 at a time,
 * then the tail byte-wise. An aligned 8-byte access lies in one page, so
 * when it faults none of its bytes was accessible. A round that faults
 * has not advanced the count (x3), so its fixup goes on 8 bytes at a time
 * from the round's start and faults again on the exact word: the count is
 * then exactly the bytes done before the faulting one. The words a
 * faulting round stored before its fault are stored again, unchanged.
 *
 * Before the first user access: DSB ISHST and ISB, so a translation this
 * CPU just wrote is seen by the walk (D5.10.1 "General TLB maintenance
 * requirements"), not reported as a spurious fault.
 *
 * The probes use plain LDRB/STRB/BLR and never clear PAN: they are the raw
 * privileged access PAN must stop.
 *
 * Without FEAT_PAN, software PAN (kernel_pt.c) keeps TTBR0_EL1 closed in
 * the kernel, so every user access here opens it first (UACCESS 1) and
 * closes it on each way out (UACCESS 0), the fixups included. The open
 * value is this CPU's (ostd/arch/aarch64_smp.h).
 */

#include "ostd/arch/aarch64_smp.h"

#define EXTABLE(fault, fixup)			\
	.pushsection ostd_extable, "a";		\
	.balign 8;				\
	.quad fault, fixup;			\
	.popsection

/* MSR PAN, #imm (C5.2.13, C6.2.194): clang-14 wants +pan for the name. */
#define INSN_MSR_PAN_0 0xd500409f
#define INSN_MSR_PAN_1 0xd500419f

.macro PAN_SET value
	adrp	x16, aarch64_has_pan
	ldrb	w16, [x16, :lo12:aarch64_has_pan]
	cbz	w16, 98f
	.if \value
	.inst	INSN_MSR_PAN_1
	.else
	.inst	INSN_MSR_PAN_0
	.endif
98:
.endm

/* Software PAN: TTBR0_EL1 = the space's (1) or the empty half (0). */
.macro UACCESS open
	adrp	x16, aarch64_uaccess_closed
	ldr	x17, [x16, :lo12:aarch64_uaccess_closed]
	cbz	x17, 97f
	.if \open
	mrs	x16, tpidr_el1
	ldr	x17, [x16, #AARCH64_CL_UACCESS_OPEN]
	.endif
	msr	ttbr0_el1, x17
	isb
97:
.endm

.macro WALK_SYNC
	dsb	ishst
	isb
.endm

/* A faulting access of a 64-byte round (31-38) goes on in words (3). */
.macro ROUND_FIXUPS
	EXTABLE(31b, 3b)
	EXTABLE(32b, 3b)
	EXTABLE(33b, 3b)
	EXTABLE(34b, 3b)
	EXTABLE(35b, 3b)
	EXTABLE(36b, 3b)
	EXTABLE(37b, 3b)
	EXTABLE(38b, 3b)
.endm

/*
 * The stores of arch_copy_to_user and arch_fill_user, user access open:
 * x0 the user cursor, x2 the length, x3 the count done. With \copy the
 * bytes come from the kernel buffer x1 + x3; without, x4 holds the fill
 * pattern in every byte. Returns the count, user access closed.
 */
.macro STORE_USER copy
	mov	x3, #0
	.if !\copy
	mov	x6, x4
	mov	x7, x4
	mov	x8, x4
	mov	x9, x4
	mov	x10, x4
	mov	x11, x4
	mov	x12, x4
	mov	x13, x4
	.endif
1:	cmp	x3, x2				/* Head: until dst is aligned. */
	b.hs	9f
	tst	x0, #7
	b.eq	30f
	.if \copy
	ldrb	w4, [x1, x3]
	.endif
2:	sttrb	w4, [x0]
	add	x0, x0, #1
	add	x3, x3, #1
	b	1b
30:	sub	x5, x2, x3			/* Rounds of 64 bytes. */
	cmp	x5, #64
	b.lo	3f
	.if \copy
	add	x5, x1, x3
	ldp	x6, x7, [x5]
	ldp	x8, x9, [x5, #16]
	ldp	x10, x11, [x5, #32]
	ldp	x12, x13, [x5, #48]
	.endif
31:	sttr	x6, [x0]
32:	sttr	x7, [x0, #8]
33:	sttr	x8, [x0, #16]
34:	sttr	x9, [x0, #24]
35:	sttr	x10, [x0, #32]
36:	sttr	x11, [x0, #40]
37:	sttr	x12, [x0, #48]
38:	sttr	x13, [x0, #56]
	add	x0, x0, #64
	add	x3, x3, #64
	b	30b
3:	sub	x5, x2, x3			/* Words. */
	cmp	x5, #8
	b.lo	5f
	.if \copy
	ldr	x4, [x1, x3]
	.endif
4:	sttr	x4, [x0]
	add	x0, x0, #8
	add	x3, x3, #8
	b	3b
5:	cmp	x3, x2				/* Tail. */
	b.hs	9f
	.if \copy
	ldrb	w4, [x1, x3]
	.endif
6:	sttrb	w4, [x0]
	add	x0, x0, #1
	add	x3, x3, #1
	b	5b
9:	UACCESS	0
	mov	x0, x3
	ret
	EXTABLE(2b, 9b)
	ROUND_FIXUPS
	EXTABLE(4b, 9b)
	EXTABLE(6b, 9b)
.endm

	.text

/* uint64_t arch_copy_from_user(void *dst, uint64_t src, uint64_t len) */
	.global arch_copy_from_user
arch_copy_from_user:
	WALK_SYNC
	UACCESS	1
	mov	x3, #0
1:	cmp	x3, x2				/* Head: until src is aligned. */
	b.hs	9f
	tst	x1, #7
	b.eq	30f
2:	ldtrb	w4, [x1]
	strb	w4, [x0, x3]
	add	x1, x1, #1
	add	x3, x3, #1
	b	1b
30:	sub	x5, x2, x3			/* Rounds of 64 bytes. */
	cmp	x5, #64
	b.lo	3f
31:	ldtr	x6, [x1]
32:	ldtr	x7, [x1, #8]
33:	ldtr	x8, [x1, #16]
34:	ldtr	x9, [x1, #24]
35:	ldtr	x10, [x1, #32]
36:	ldtr	x11, [x1, #40]
37:	ldtr	x12, [x1, #48]
38:	ldtr	x13, [x1, #56]
	add	x5, x0, x3
	stp	x6, x7, [x5]
	stp	x8, x9, [x5, #16]
	stp	x10, x11, [x5, #32]
	stp	x12, x13, [x5, #48]
	add	x1, x1, #64
	add	x3, x3, #64
	b	30b
3:	sub	x5, x2, x3			/* Words. */
	cmp	x5, #8
	b.lo	5f
4:	ldtr	x4, [x1]
	str	x4, [x0, x3]
	add	x1, x1, #8
	add	x3, x3, #8
	b	3b
5:	cmp	x3, x2				/* Tail. */
	b.hs	9f
6:	ldtrb	w4, [x1]
	strb	w4, [x0, x3]
	add	x1, x1, #1
	add	x3, x3, #1
	b	5b
9:	UACCESS	0
	mov	x0, x3
	ret
	EXTABLE(2b, 9b)
	ROUND_FIXUPS
	EXTABLE(4b, 9b)
	EXTABLE(6b, 9b)

/* uint64_t arch_copy_to_user(uint64_t dst, const void *src, uint64_t len) */
	.global arch_copy_to_user
arch_copy_to_user:
	WALK_SYNC
	UACCESS	1
	STORE_USER 1

/* uint64_t arch_fill_user(uint64_t dst, uint8_t byte, uint64_t len) */
	.global arch_fill_user
arch_fill_user:
	WALK_SYNC
	UACCESS	1
	and	x4, x1, #0xff
	mov	x5, #0x0101010101010101
	mul	x4, x4, x5			/* The byte in every lane. */
	STORE_USER 0

/* bool arch_atomic_load_user(uint64_t va, uint32_t *val) */
	.global arch_atomic_load_user
arch_atomic_load_user:
	WALK_SYNC
	UACCESS	1
	/*
	 * An aligned 32-bit LDTR is single-copy atomic (B2.2.1 "Requirements
	 * for single-copy atomicity"); the core checked the alignment.
	 */
1:	ldtr	w2, [x0]
	UACCESS	0
	str	w2, [x1]
	mov	w0, #1
	ret
2:	UACCESS	0
	mov	w0, #0
	ret
	EXTABLE(1b, 2b)

/*
 * bool arch_cmpxchg_user(uint64_t va, uint32_t expected, uint32_t new_val,
 *			  uint32_t *old)
 */
	.global arch_cmpxchg_user
arch_cmpxchg_user:
	WALK_SYNC
	UACCESS	1
	PAN_SET	0
	/*
	 * Load-acquire / store-release exclusive pair (B2.9 "Synchronization
	 * and semaphores"). It always stores: new_val on a match, else the
	 * value it loaded, so a read-only page faults whatever the compare
	 * says, as x86's LOCK CMPXCHG does (its write cycle always happens);
	 * VmWriter promises EFAULT for a page not mapped writable.
	 */
1:	ldaxr	w4, [x0]
	cmp	w4, w1
	csel	w6, w2, w4, eq
2:	stlxr	w5, w6, [x0]
	cbnz	w5, 1b
4:	PAN_SET	1
	UACCESS	0
	str	w4, [x3]
	mov	w0, #1
	ret
	/*
	 * The fault set PSTATE.PAN on entry (SCTLR_EL1.SPAN = 0), but the
	 * ERET to here restored the cleared one from SPSR_EL1: set it.
	 */
9:	PAN_SET	1
	UACCESS	0
	mov	w0, #0
	ret
	EXTABLE(1b, 9b)
	EXTABLE(2b, 9b)

/* bool arch_probe_read(uintptr_t va, uint8_t *out) */
	.global arch_probe_read
arch_probe_read:
	WALK_SYNC
1:	ldrb	w2, [x0]
	strb	w2, [x1]
	mov	w0, #1
	ret
2:	mov	w0, #0
	ret
	EXTABLE(1b, 2b)

/* bool arch_probe_write(uintptr_t va, uint8_t val) */
	.global arch_probe_write
arch_probe_write:
	WALK_SYNC
1:	strb	w1, [x0]
	mov	w0, #1
	ret
2:	mov	w0, #0
	ret
	EXTABLE(1b, 2b)

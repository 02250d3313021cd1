/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The fallible user-memory primitives (ostd/vm_space.h) and the hardware
 * probes (ostd/arch/probe.h). Every access that may fault has an exception
 * table entry; trap.c resumes a fault there at the entry's fixup. Nothing
 * else in the kernel may touch user memory: sstatus.SUM (Privileged Spec
 * v1.12, 4.1.1.2) is set on entry to a copy routine and cleared on every
 * way out, so a raw kernel access to a U=1 page faults everywhere else.
 * The probes never set SUM.
 *
 * Copies whose two sides are equally aligned modulo 8 go byte-wise until
 * they are aligned, then 64 bytes a round in eight ld/sd, then 8-byte
 * words, then bytes; other copies go byte-wise throughout (a misaligned
 * ld/sd may trap to the SBI and be emulated: Privileged Spec v1.12,
 * 3.6.3.2 "Misaligned accesses"). The count of bytes done (t0) only
 * moves once a round or word has been stored whole. A faulting round
 * goes on in words from its start, a faulting word in bytes: an aligned
 * word lies in one page, so the copy faults again on exactly the first
 * byte that cannot be accessed and the count returned is exact. What a
 * faulting round stored before its fault is stored again, unchanged.
 */

#include "ostd/arch/riscv64.h"

/*
 * An exception-table entry (ostd/extable.h): a fault at @p fault resumes
 * at @p fixup. Two pointer-sized words, as struct extable_entry.
 */
.macro extable fault, fixup
	.pushsection ostd_extable, "a"
	.balign 8
	.dword \fault
	.dword \fixup
	.popsection
.endm

.macro user_access_on
	li t6, RISCV_SSTATUS_SUM
	csrs sstatus, t6
.endm

.macro user_access_off
	li t6, RISCV_SSTATUS_SUM
	csrc sstatus, t6
.endm

	.text

/*
 * uint64_t arch_copy_from_user(void *dst, uint64_t src, uint64_t len)
 * a0 = dst, a1 = src (user), a2 = len; t0 = bytes done.
 */
	.global arch_copy_from_user
arch_copy_from_user:
	user_access_on
	li t0, 0
	xor t1, a0, a1
	andi t1, t1, 7
	bnez t1, .Lfrom_bytes
.Lfrom_head:
	add t3, a1, t0
	andi t1, t3, 7
	beqz t1, .Lfrom_rounds
	bgeu t0, a2, .Lfrom_done
.Lfrom_head_load:
	lbu t4, 0(t3)
	add t3, a0, t0
.Lfrom_head_store:
	sb t4, 0(t3)
	addi t0, t0, 1
	j .Lfrom_head
.Lfrom_rounds:
	sub t1, a2, t0
	li t2, 64
	bltu t1, t2, .Lfrom_words
	add t3, a1, t0
.Lfrom_r0:
	ld a3, 0(t3)
.Lfrom_r1:
	ld a4, 8(t3)
.Lfrom_r2:
	ld a5, 16(t3)
.Lfrom_r3:
	ld a6, 24(t3)
.Lfrom_r4:
	ld a7, 32(t3)
.Lfrom_r5:
	ld t4, 40(t3)
.Lfrom_r6:
	ld t5, 48(t3)
.Lfrom_r7:
	ld t6, 56(t3)
	add t3, a0, t0
	sd a3, 0(t3)
	sd a4, 8(t3)
	sd a5, 16(t3)
	sd a6, 24(t3)
	sd a7, 32(t3)
	sd t4, 40(t3)
	sd t5, 48(t3)
	sd t6, 56(t3)
	addi t0, t0, 64
	j .Lfrom_rounds
.Lfrom_words:
	sub t1, a2, t0
	li t2, 8
	bltu t1, t2, .Lfrom_bytes
	add t3, a1, t0
.Lfrom_word_load:
	ld t4, 0(t3)
	add t3, a0, t0
.Lfrom_word_store:
	sd t4, 0(t3)
	addi t0, t0, 8
	j .Lfrom_words
.Lfrom_bytes:
	bgeu t0, a2, .Lfrom_done
	add t3, a1, t0
.Lfrom_byte_load:
	lbu t4, 0(t3)
	add t3, a0, t0
.Lfrom_byte_store:
	sb t4, 0(t3)
	addi t0, t0, 1
	j .Lfrom_bytes
.Lfrom_done:
	user_access_off
	mv a0, t0
	ret
	extable .Lfrom_head_load, .Lfrom_done
	extable .Lfrom_r0, .Lfrom_words
	extable .Lfrom_r1, .Lfrom_words
	extable .Lfrom_r2, .Lfrom_words
	extable .Lfrom_r3, .Lfrom_words
	extable .Lfrom_r4, .Lfrom_words
	extable .Lfrom_r5, .Lfrom_words
	extable .Lfrom_r6, .Lfrom_words
	extable .Lfrom_r7, .Lfrom_words
	extable .Lfrom_word_load, .Lfrom_bytes
	extable .Lfrom_byte_load, .Lfrom_done

/*
 * uint64_t arch_copy_to_user(uint64_t dst, const void *src, uint64_t len)
 * a0 = dst (user), a1 = src, a2 = len; t0 = bytes done.
 */
	.global arch_copy_to_user
arch_copy_to_user:
	user_access_on
	li t0, 0
	xor t1, a0, a1
	andi t1, t1, 7
	bnez t1, .Lto_bytes
.Lto_head:
	add t3, a1, t0
	andi t1, t3, 7
	beqz t1, .Lto_rounds
	bgeu t0, a2, .Lto_done
.Lto_head_load:
	lbu t4, 0(t3)
	add t3, a0, t0
.Lto_head_store:
	sb t4, 0(t3)
	addi t0, t0, 1
	j .Lto_head
.Lto_rounds:
	sub t1, a2, t0
	li t2, 64
	bltu t1, t2, .Lto_words
	add t3, a1, t0
	ld a3, 0(t3)
	ld a4, 8(t3)
	ld a5, 16(t3)
	ld a6, 24(t3)
	ld a7, 32(t3)
	ld t4, 40(t3)
	ld t5, 48(t3)
	ld t6, 56(t3)
	add t3, a0, t0
.Lto_w0:
	sd a3, 0(t3)
.Lto_w1:
	sd a4, 8(t3)
.Lto_w2:
	sd a5, 16(t3)
.Lto_w3:
	sd a6, 24(t3)
.Lto_w4:
	sd a7, 32(t3)
.Lto_w5:
	sd t4, 40(t3)
.Lto_w6:
	sd t5, 48(t3)
.Lto_w7:
	sd t6, 56(t3)
	addi t0, t0, 64
	j .Lto_rounds
.Lto_words:
	sub t1, a2, t0
	li t2, 8
	bltu t1, t2, .Lto_bytes
	add t3, a1, t0
.Lto_word_load:
	ld t4, 0(t3)
	add t3, a0, t0
.Lto_word_store:
	sd t4, 0(t3)
	addi t0, t0, 8
	j .Lto_words
.Lto_bytes:
	bgeu t0, a2, .Lto_done
	add t3, a1, t0
.Lto_byte_load:
	lbu t4, 0(t3)
	add t3, a0, t0
.Lto_byte_store:
	sb t4, 0(t3)
	addi t0, t0, 1
	j .Lto_bytes
.Lto_done:
	user_access_off
	mv a0, t0
	ret
	extable .Lto_head_store, .Lto_done
	extable .Lto_w0, .Lto_words
	extable .Lto_w1, .Lto_words
	extable .Lto_w2, .Lto_words
	extable .Lto_w3, .Lto_words
	extable .Lto_w4, .Lto_words
	extable .Lto_w5, .Lto_words
	extable .Lto_w6, .Lto_words
	extable .Lto_w7, .Lto_words
	extable .Lto_word_store, .Lto_bytes
	extable .Lto_byte_store, .Lto_done

/*
 * uint64_t arch_fill_user(uint64_t dst, uint8_t byte, uint64_t len)
 * a0 = dst (user), a1 = byte, a2 = len; t0 = bytes done.
 */
	.global arch_fill_user
arch_fill_user:
	user_access_on
	li t0, 0
	andi a1, a1, 0xff
	/* The byte in all 8 lanes of t4. */
	li t1, 0x0101010101010101
	mul t4, a1, t1
.Lfill_head:
	add t3, a0, t0
	andi t1, t3, 7
	beqz t1, .Lfill_rounds
	bgeu t0, a2, .Lfill_done
.Lfill_head_store:
	sb a1, 0(t3)
	addi t0, t0, 1
	j .Lfill_head
.Lfill_rounds:
	sub t1, a2, t0
	li t2, 64
	bltu t1, t2, .Lfill_words
	add t3, a0, t0
.Lfill_w0:
	sd t4, 0(t3)
.Lfill_w1:
	sd t4, 8(t3)
.Lfill_w2:
	sd t4, 16(t3)
.Lfill_w3:
	sd t4, 24(t3)
.Lfill_w4:
	sd t4, 32(t3)
.Lfill_w5:
	sd t4, 40(t3)
.Lfill_w6:
	sd t4, 48(t3)
.Lfill_w7:
	sd t4, 56(t3)
	addi t0, t0, 64
	j .Lfill_rounds
.Lfill_words:
	sub t1, a2, t0
	li t2, 8
	bltu t1, t2, .Lfill_bytes
	add t3, a0, t0
.Lfill_word_store:
	sd t4, 0(t3)
	addi t0, t0, 8
	j .Lfill_words
.Lfill_bytes:
	bgeu t0, a2, .Lfill_done
	add t3, a0, t0
.Lfill_byte_store:
	sb a1, 0(t3)
	addi t0, t0, 1
	j .Lfill_bytes
.Lfill_done:
	user_access_off
	mv a0, t0
	ret
	extable .Lfill_head_store, .Lfill_done
	extable .Lfill_w0, .Lfill_words
	extable .Lfill_w1, .Lfill_words
	extable .Lfill_w2, .Lfill_words
	extable .Lfill_w3, .Lfill_words
	extable .Lfill_w4, .Lfill_words
	extable .Lfill_w5, .Lfill_words
	extable .Lfill_w6, .Lfill_words
	extable .Lfill_w7, .Lfill_words
	extable .Lfill_word_store, .Lfill_bytes
	extable .Lfill_byte_store, .Lfill_done

/*
 * bool arch_atomic_load_user(uint64_t va, uint32_t *val)
 * An aligned lw is single-copy atomic (Unprivileged Spec 20191213,
 * 14.1 "Definition of the RVWMO Memory Model"); the core checks alignment.
 */
	.global arch_atomic_load_user
arch_atomic_load_user:
	user_access_on
.Lload_user:
	lw t0, 0(a0)
	user_access_off
	sw t0, 0(a1)
	li a0, 1
	ret
.Lload_fault:
	user_access_off
	li a0, 0
	ret
	extable .Lload_user, .Lload_fault

/*
 * bool arch_cmpxchg_user(uint64_t va, uint32_t expected, uint32_t new_val,
 *			  uint32_t *old)
 * An LR/SC loop (Unprivileged Spec 20191213, 8.2 "Load-Reserved/Store-
 * Conditional Instructions"), aq and rl for a sequentially consistent
 * exchange. lr.w sign-extends, so expected is compared sign-extended too.
 * On a mismatch the old value is stored back, so that, like x86's locked
 * cmpxchg, the call faults on a page that is not writable whether or not
 * the values match (the contract: EFAULT if not mapped writable).
 */
	.global arch_cmpxchg_user
arch_cmpxchg_user:
	user_access_on
	addiw a1, a1, 0
1:
.Lcas_lr:
	lr.w.aqrl t0, (a0)
	mv t2, a2
	beq t0, a1, 2f
	mv t2, t0
2:
.Lcas_sc:
	sc.w.aqrl t1, t2, (a0)
	bnez t1, 1b
	user_access_off
	sw t0, 0(a3)
	li a0, 1
	ret
.Lcas_fault:
	user_access_off
	li a0, 0
	ret
	extable .Lcas_lr, .Lcas_fault
	extable .Lcas_sc, .Lcas_fault

/* bool arch_probe_read(uintptr_t va, uint8_t *out): no SUM. */
	.global arch_probe_read
arch_probe_read:
.Lprobe_load:
	lbu t0, 0(a0)
	sb t0, 0(a1)
	li a0, 1
	ret
.Lprobe_load_fault:
	li a0, 0
	ret
	extable .Lprobe_load, .Lprobe_load_fault

/* bool arch_probe_write(uintptr_t va, uint8_t val): no SUM. */
	.global arch_probe_write
arch_probe_write:
.Lprobe_store:
	sb a1, 0(a0)
	li a0, 1
	ret
.Lprobe_store_fault:
	li a0, 0
	ret
	extable .Lprobe_store, .Lprobe_store_fault

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
 * Copies run in 8-byte words while both sides are aligned and at least 8
 * bytes remain. A word access is within one page, so when it faults the
 * byte loop takes over at the same offset and faults again on the exact
 * first byte that cannot be accessed: the count returned is exact.
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
	or t1, a0, a1
	andi t1, t1, 7
	bnez t1, .Lfrom_bytes
.Lfrom_words:
	sub t1, a2, t0
	li t2, 8
	bltu t1, t2, .Lfrom_bytes
	add t3, a1, t0
.Lfrom_word_load:
	ld t4, 0(t3)
	add t3, a0, t0
	sd t4, 0(t3)
	addi t0, t0, 8
	j .Lfrom_words
.Lfrom_bytes:
	bgeu t0, a2, .Lfrom_done
	add t3, a1, t0
.Lfrom_byte_load:
	lbu t4, 0(t3)
	add t3, a0, t0
	sb t4, 0(t3)
	addi t0, t0, 1
	j .Lfrom_bytes
.Lfrom_done:
	user_access_off
	mv a0, t0
	ret
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
	or t1, a0, a1
	andi t1, t1, 7
	bnez t1, .Lto_bytes
.Lto_words:
	sub t1, a2, t0
	li t2, 8
	bltu t1, t2, .Lto_bytes
	add t3, a1, t0
	ld t4, 0(t3)
	add t3, a0, t0
.Lto_word_store:
	sd t4, 0(t3)
	addi t0, t0, 8
	j .Lto_words
.Lto_bytes:
	bgeu t0, a2, .Lto_done
	add t3, a1, t0
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
	andi t1, a0, 7
	bnez t1, .Lfill_bytes
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

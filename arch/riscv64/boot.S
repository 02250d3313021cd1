/* SPDX-License-Identifier: MPL-2.0 */
/*
 * riscv64 entry from OpenSBI (fw_dynamic, -bios default): S-mode, MMU off
 * (satp = 0), a0 = this hart's id and a1 = the physical address of the
 * device tree (RISC-V SBI Spec v1.0.0 and Linux
 * Documentation/riscv/boot.rst "Pre-kernel requirements").
 *
 * We install the trap vector first, so that any fault from here on is
 * reported instead of bouncing back into OpenSBI, mask interrupts, clear
 * the BSS, set up the boot stack and call riscv_entry(hartid, dtb).
 */

#include "ostd/arch/riscv64.h"

#define BOOT_STACK_SIZE 16384

	.section .text.boot, "ax"
	.global _start
_start:
	/*
	 * Privileged Spec v1.12, 4.1.2 stvec: the base must be 4-byte aligned
	 * (trap.S aligns it) and MODE = 0 selects direct mode: every trap
	 * jumps to the base.
	 */
	la t0, riscv_trap_entry
	ori t0, t0, RISCV_STVEC_MODE_DIRECT
	csrw stvec, t0

	/*
	 * No interrupts until the kernel wants them: clear sstatus.SIE
	 * (Privileged Spec v1.12, 4.1.1) and every enable bit in sie (4.1.3).
	 */
	csrci sstatus, RISCV_SSTATUS_SIE
	csrw sie, zero

	/*
	 * The kernel has no FP state to save (-march=rv64imac), so turn the
	 * FP unit off: sstatus.FS = Off makes any stray FP instruction an
	 * illegal-instruction trap (Privileged Spec v1.12, 3.1.6.6 and
	 * 4.1.1) instead of silently clobbering a user's registers later.
	 */
	li t0, RISCV_SSTATUS_FS
	csrc sstatus, t0

	/*
	 * Only one hart runs the kernel. OpenSBI's HSM starts just the boot
	 * hart, but firmware that releases every hart at once (BBL, some
	 * U-Boot setups) would otherwise run two kernels on one BSS; the
	 * first hart to swap in 1 wins, the others park. The lottery is in
	 * .data, so it is 0 from the image, not from the BSS clear below.
	 */
	la t0, boot_lottery
	li t1, 1
	amoswap.w.aqrl t1, t1, (t0)
	bnez t1, park

	mv s1, a0			/* hartid */
	mv s2, a1			/* dtb */

	/* The boot stack lives in the BSS, so clear that before using it. */
	la t0, __bss_start
	la t1, __bss_end
1:	bgeu t0, t1, 2f
	sd zero, (t0)
	addi t0, t0, 8
	j 1b
2:
	la sp, boot_stack_top
	mv s0, zero			/* fp = 0 ends backtraces. */
	mv a0, s1
	mv a1, s2
	call riscv_entry

park:
	csrci sstatus, RISCV_SSTATUS_SIE
3:	wfi
	j 3b

	.section .data
	.p2align 2
boot_lottery:
	.word 0

	.section .bss
	.p2align 4
boot_stack:
	.skip BOOT_STACK_SIZE
	.global boot_stack_top
boot_stack_top:

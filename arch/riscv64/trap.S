/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The S-mode trap vector (stvec, direct mode) and the way in and out of
 * U-mode. References are to the RISC-V Privileged Spec v1.12.
 *
 * tp and sscratch (4.1.6) tell where a trap came from. In the kernel tp
 * holds this CPU's struct cpu_local and sscratch is 0; while user code
 * runs, sscratch holds the cpu_local and tp is the user's. The first
 * instruction swaps them:
 *   - from S-mode it reads 0, so the swap is undone (tp is the cpu_local
 *     again, sscratch 0) and the trap is saved as a struct
 *     riscv_trap_frame on the current kernel stack, handled by
 *     riscv_trap(), and sret resumes where it hit;
 *   - from U-mode tp is now the cpu_local and sscratch the user tp: the
 *     kernel sp comes from the area (CL_KERNEL_SP, riscv64_asm.h, which
 *     arch_user_enter() set on this CPU), the user registers go to the
 *     user_context, riscv_user_trap() decides, and either user code is
 *     resumed (an interrupt the core lets it keep running after) or
 *     arch_user_enter() returns the reason.
 * tp is per CPU, not per task: switch.S does not save it, so a task that
 * moves to another CPU finds that CPU's area there.
 *
 * Kernel frame layout: x[0..31] at 8 * n (x[0] holds 0, x[2] the sp before
 * the trap), then sepc, sstatus, scause, stval; 36 doublewords keep sp
 * 16-byte aligned as the psABI requires.
 */

#include "ostd/arch/riscv64.h"
#include "ostd/arch/riscv64_asm.h"

#define FRAME_SEPC (32 * 8)
#define FRAME_SSTATUS (33 * 8)
#define FRAME_SCAUSE (34 * 8)
#define FRAME_STVAL (35 * 8)
#define FRAME_SIZE (36 * 8)

	.text
	/* 4.1.2: stvec's base is 4-byte aligned. */
	.p2align 2
	.global riscv_trap_entry
riscv_trap_entry:
	csrrw tp, sscratch, tp
	bnez tp, .Lfrom_user
	/* From S-mode: tp back (the cpu_local), sscratch stays 0. */
	csrrw tp, sscratch, tp

	addi sp, sp, -FRAME_SIZE
	.irp n, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, \
		19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	sd x\n, (\n * 8)(sp)
	.endr
	sd zero, 0(sp)
	addi t0, sp, FRAME_SIZE
	sd t0, (2 * 8)(sp)
	/* 4.1.7-4.1.9: sepc, scause, stval. */
	csrr t0, sepc
	sd t0, FRAME_SEPC(sp)
	csrr t0, sstatus
	sd t0, FRAME_SSTATUS(sp)
	csrr t0, scause
	sd t0, FRAME_SCAUSE(sp)
	csrr t0, stval
	sd t0, FRAME_STVAL(sp)
	/*
	 * 4.1.1.2: the handler does not get the interrupted copy routine's
	 * user access; sret restores SUM with the saved sstatus.
	 */
	li t0, RISCV_SSTATUS_SUM
	csrc sstatus, t0

	mv a0, sp
	call riscv_trap

	/*
	 * riscv_trap() returned: the trap is handled. Resume at the frame's
	 * sepc with its sstatus (SPP/SPIE select the mode and interrupt state
	 * sret restores, 4.1.1).
	 */
	ld t0, FRAME_SEPC(sp)
	csrw sepc, t0
	ld t0, FRAME_SSTATUS(sp)
	csrw sstatus, t0
	/*
	 * Not x4: tp belongs to the CPU, not to the interrupted code (it
	 * holds the same value unless the handler moved the code to another
	 * CPU, and then the saved one would be wrong).
	 */
	.irp n, 1, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, \
		19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	ld x\n, (\n * 8)(sp)
	.endr
	/* x2 last: the frame is addressed through it. */
	ld sp, (2 * 8)(sp)
	sret

.Lfrom_user:
	/*
	 * tp = this CPU's cpu_local, sscratch = the user tp. Onto the frame
	 * arch_user_enter() left on this CPU's kernel stack.
	 */
	sd sp, CL_USER_SP(tp)
	ld sp, CL_KERNEL_SP(tp)
	sd t0, UF_SCRATCH(sp)
	ld t0, UF_CTX(sp)
	.irp n, 1, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, \
		19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	sd x\n, CTX_REG(\n)(t0)
	.endr
	ld t1, UF_SCRATCH(sp)
	sd t1, CTX_REG(5)(t0)
	ld t1, CL_USER_SP(tp)
	sd t1, CTX_REG(2)(t0)
	/* The user tp, and sscratch = 0: the kernel runs again. */
	csrrw t1, sscratch, zero
	sd t1, CTX_REG(4)(t0)
	csrr t1, sepc
	sd t1, CTX_PC(t0)

	mv s0, zero			/* Backtraces stop here. */
	mv a0, t0
	csrr a1, scause
	csrr a2, stval
	call riscv_user_trap
	/* 0: an interrupt was handled, go back to user code. */
	beqz a0, riscv_user_resume

	/* Return the reason to arch_user_enter()'s caller. */
	ld ra, UF_RA(sp)
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	ld s\n, UF_S(\n)(sp)
	.endr
	/* The caller's interrupt state (the trap cleared SIE, 4.1.1). */
	ld t0, UF_SSTATUS(sp)
	andi t0, t0, RISCV_SSTATUS_SIE
	csrs sstatus, t0
	addi sp, sp, UF_SIZE
	ret

/*
 * enum user_return_reason arch_user_enter(struct user_context *ctx)
 *
 * Saves the kernel's callee-saved registers in a frame on this stack and
 * enters U-mode with @p ctx's registers at ctx->pc.
 */
	.global arch_user_enter
arch_user_enter:
	addi sp, sp, -UF_SIZE
	sd ra, UF_RA(sp)
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	sd s\n, UF_S(\n)(sp)
	.endr
	sd a0, UF_CTX(sp)
	csrr t0, sstatus
	sd t0, UF_SSTATUS(sp)

	.global riscv_user_resume
riscv_user_resume:
	/*
	 * No interrupt between setting sscratch and sret: the trap would
	 * take this kernel code for user code (4.1.1 SIE).
	 */
	csrci sstatus, RISCV_SSTATUS_SIE
	ld t0, UF_CTX(sp)
	ld t1, CTX_PC(t0)
	csrw sepc, t1
	/*
	 * 4.1.1: sret returns to the mode in SPP (0 = U) and sets SIE from
	 * SPIE; in U-mode supervisor interrupts are taken whatever SIE says
	 * (3.1.6.1), so SPIE = 1 only matters for the trap's SPIE. SUM is
	 * already clear.
	 */
	li t1, RISCV_SSTATUS_SPP
	csrc sstatus, t1
	li t1, RISCV_SSTATUS_SPIE
	csrs sstatus, t1
	/*
	 * The trap from U-mode finds this frame through this CPU's area,
	 * and the area through sscratch; tp becomes the user's below.
	 */
	sd sp, CL_KERNEL_SP(tp)
	csrw sscratch, tp
	.irp n, 1, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, \
		19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	ld x\n, CTX_REG(\n)(t0)
	.endr
	ld sp, CTX_REG(2)(t0)
	ld t0, CTX_REG(5)(t0)
	sret

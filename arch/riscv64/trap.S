/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The S-mode trap vector (stvec, direct mode). It saves every GPR and the
 * trap CSRs into a struct riscv_trap_frame (trap.c) on the current stack and
 * calls riscv_trap(frame). For now only the kernel traps, so the current sp
 * is a kernel stack; the sscratch swap for user mode comes with user mode.
 *
 * Frame layout: x[0..31] at 8 * n (x[0] holds 0, x[2] the sp before the
 * trap), then sepc, sstatus, scause, stval; 36 doublewords keep sp 16-byte
 * aligned as the psABI requires.
 */

#define FRAME_SEPC (32 * 8)
#define FRAME_SSTATUS (33 * 8)
#define FRAME_SCAUSE (34 * 8)
#define FRAME_STVAL (35 * 8)
#define FRAME_SIZE (36 * 8)

	.text
	/* Privileged Spec v1.12, 4.1.2: stvec's base is 4-byte aligned. */
	.p2align 2
	.global riscv_trap_entry
riscv_trap_entry:
	addi sp, sp, -FRAME_SIZE
	.irp n, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, \
		19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	sd x\n, (\n * 8)(sp)
	.endr
	sd zero, 0(sp)
	addi t0, sp, FRAME_SIZE
	sd t0, (2 * 8)(sp)
	/* Privileged Spec v1.12, 4.1.7-4.1.9: sepc, scause, stval. */
	csrr t0, sepc
	sd t0, FRAME_SEPC(sp)
	csrr t0, sstatus
	sd t0, FRAME_SSTATUS(sp)
	csrr t0, scause
	sd t0, FRAME_SCAUSE(sp)
	csrr t0, stval
	sd t0, FRAME_STVAL(sp)

	mv a0, sp
	call riscv_trap

	/*
	 * riscv_trap() returned: the trap is handled. Resume at the frame's
	 * sepc with its sstatus (SPP/SPIE select the mode and interrupt state
	 * sret restores, Privileged Spec v1.12, 4.1.1).
	 */
	ld t0, FRAME_SEPC(sp)
	csrw sepc, t0
	ld t0, FRAME_SSTATUS(sp)
	csrw sstatus, t0
	.irp n, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, \
		19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	ld x\n, (\n * 8)(sp)
	.endr
	/* x2 last: the frame is addressed through it. */
	ld sp, (2 * 8)(sp)
	sret

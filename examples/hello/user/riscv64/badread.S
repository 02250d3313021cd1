/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Reads kernel memory (the image, at its link address): must fault and end
 * with status 139, never print.
 */
	.text
	.global _start
_start:
	li t0, 0xffffffff80200000
	ld t0, 0(t0)
	li a7, 64			/* write: not reached */
	li a0, 1
	lla a1, msg
	lla a2, msg_end
	sub a2, a2, a1		/* len */
	ecall
	li a7, 93
	li a0, 0
	ecall

	.section .rodata
msg:
	.ascii "read kernel memory!\n"
msg_end:

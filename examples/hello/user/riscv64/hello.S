/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The bundled user program: write(1, msg, len); exit(0). Linux riscv64
 * ABI: ecall with the number in a7 and arguments in a0-a5.
 */
	.text
	.global _start
_start:
	li a7, 64			/* write */
	li a0, 1
	lla a1, msg
	lla a2, msg_end
	sub a2, a2, a1		/* len */
	ecall
	li a7, 93			/* exit */
	li a0, 0
	ecall
	unimp

	.section .rodata
msg:
	.ascii "Hello, world!\n"
msg_end:

/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Passes write() a kernel buffer: the kernel's VmReader refuses it, the
 * call returns -14 (EFAULT), and the program exits with that status
 * negated back: exit(-a0) = 14.
 */
	.text
	.global _start
_start:
	li a7, 64			/* write(1, kernel address, 16) */
	li a0, 1
	li a1, 0xffffffff80200000
	li a2, 16
	ecall
	neg a0, a0
	li a7, 93			/* exit(14) */
	ecall
	unimp

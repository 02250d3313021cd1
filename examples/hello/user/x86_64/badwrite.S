/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Passes write() a kernel buffer: the kernel's VmReader refuses it, the
 * call returns -14 (EFAULT), and the program exits with that status's low
 * byte negated back: exit(-rax) = 14.
 */
	.text
	.global _start
_start:
	mov $1, %eax			/* write(1, kernel address, 16) */
	mov $1, %edi
	movabs $0xffffffff80100000, %rsi
	mov $16, %edx
	syscall
	neg %rax
	mov %rax, %rdi
	mov $60, %eax			/* exit(14) */
	syscall
	ud2

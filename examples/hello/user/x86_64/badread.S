/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Reads kernel memory (the image, at its link address): must fault and end
 * with status 139, never print.
 */
	.text
	.global _start
_start:
	movabs $0xffffffff80100000, %rax
	mov (%rax), %rax
	mov $1, %eax			/* write: not reached */
	mov $1, %edi
	lea msg(%rip), %rsi
	mov $(msg_end - msg), %edx
	syscall
	mov $60, %eax
	xor %edi, %edi
	syscall

	.section .rodata
msg:
	.ascii "read kernel memory!\n"
msg_end:

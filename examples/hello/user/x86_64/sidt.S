/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Reads the IDT register from ring 3: with CR4.UMIP (Intel SDM vol 3A,
 * 2.5; trap.c sets it where CPUID has it), SIDT at CPL 3 is #GP(0) (vol
 * 2B, SIDT), so this must end with status 139, never print the kernel
 * address the IDT is at.
 */
	.text
	.global _start
_start:
	sidt idtr(%rip)
	mov $1, %eax			/* write: not reached */
	mov $1, %edi
	lea msg(%rip), %rsi
	mov $(msg_end - msg), %edx
	syscall
	mov $60, %eax
	xor %edi, %edi
	syscall

	.data
idtr:
	.skip 10

	.section .rodata
msg:
	.ascii "read the IDT register!\n"
msg_end:

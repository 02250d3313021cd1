/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The secondary CPUs' start (smp.c). A STARTUP IPI starts a CPU in real
 * mode at CS:IP = (vector << 8):0, so smp.c copies this code to the page
 * X86_TRAMPOLINE_PA (below 1 MiB, 4 KiB aligned: Intel SDM vol 3A, 9.4.4.1
 * "Typical BSP Initialization Sequence"; 8.4.4.1 before the 2022
 * renumbering) and fills in the parameters at its end. The code runs
 * there, never at its link address, so it names itself only by offsets
 * from x86_64_trampoline_start.
 *
 * Real mode -> protected mode (10.9.1, "Switching to Protected Mode") ->
 * IA-32e mode (10.8.5 "Initializing IA-32e Mode", 9.8.5 before 2022): CR4
 * with PAE, CR3, EFER.LME, then CR0.PG, all with the boot CPU's values, so
 * the CPU comes up with the same WP, SMEP, SMAP, UMIP, PGE and NXE. CR3 is
 * smp.c's small table: the kernel table's upper half plus an identity map
 * of the trampoline's first 2 MiB, where the instruction after the CR0
 * write is fetched. Then a jump to the kernel's linked address, on the
 * CPU's stack, with x86_64_ap_entry(cl).
 */

#include "ostd/arch/x86_64_layout.h"

#define REL(x) ((x) - x86_64_trampoline_start)
#define ABS(x) (X86_TRAMPOLINE_PA + REL(x))
#define MSR_EFER 0xc0000080
#define CR0_PE 1

	/* Copied, never run in place: read-only data in the image. */
	.section .rodata
	.p2align 4
	.global x86_64_trampoline_start
x86_64_trampoline_start:
	.code16
	cli
	cld
	/* CS = X86_TRAMPOLINE_PA >> 4: address the page from DS too. */
	mov %cs, %ax
	mov %ax, %ds
	lgdtl REL(tramp_gdtr)
	mov %cr0, %eax
	or $CR0_PE, %eax
	mov %eax, %cr0
	/* 10.9.1: a far jump right after setting PE loads the new CS. */
	ljmpl $0x08, $ABS(tramp_pm32)

	.code32
tramp_pm32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	/* 10.8.5: PAE (in the boot CR4), CR3, EFER.LME, then CR0.PG. */
	mov ABS(tramp_cr4), %eax
	mov %eax, %cr4
	mov ABS(tramp_cr3), %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	mov ABS(tramp_efer), %eax
	mov ABS(tramp_efer) + 4, %edx
	wrmsr
	mov ABS(tramp_cr0), %eax
	mov %eax, %cr0
	/* Now in compatibility mode; a 64-bit CS enters 64-bit mode. */
	ljmp $0x18, $ABS(tramp_lm64)

	.code64
tramp_lm64:
	mov ABS(tramp_stack), %rsp
	mov ABS(tramp_cl), %rdi
	mov ABS(tramp_entry), %rax
	xor %ebp, %ebp
	/* The kernel's linked address: the table maps it (upper half). */
	call *%rax
1:	cli
	hlt
	jmp 1b

	/*
	 * Flat segments (3.4.5): 32-bit code 0x08, data 0x10, 64-bit code
	 * 0x18 (L = 1, 5.2.1). Accessed bits preset.
	 */
	.p2align 3
tramp_gdt:
	.quad 0
	.quad 0x00cf9b000000ffff
	.quad 0x00cf93000000ffff
	.quad 0x00af9b000000ffff
tramp_gdt_end:
tramp_gdtr:
	.word tramp_gdt_end - tramp_gdt - 1
	.long ABS(tramp_gdt)

	/* Filled in by smp.c before each STARTUP (struct tramp_params). */
	.p2align 3
	.global x86_64_trampoline_params
x86_64_trampoline_params:
tramp_cr0:
	.quad 0
tramp_cr3:
	.quad 0
tramp_cr4:
	.quad 0
tramp_efer:
	.quad 0
tramp_stack:
	.quad 0
tramp_cl:
	.quad 0
tramp_entry:
	.quad 0
	.global x86_64_trampoline_end
x86_64_trampoline_end:

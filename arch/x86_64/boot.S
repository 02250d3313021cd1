/* SPDX-License-Identifier: MPL-2.0 */
/*
 * x86_64 entry through PVH: QEMU jumps to _start32 in 32-bit protected mode
 * with paging off, flat segments and %ebx = the physical address of the
 * hvm_start_info (Xen "x86/HVM direct boot ABI", docs/misc/pvh.pandoc).
 *
 * The image is linked at KERNEL_VMA_OFFSET + 1 MiB and loaded at 1 MiB, so
 * until paging runs every symbol is used through its physical address
 * (PA()). We clear the BSS and map the first 4 GiB with 2 MiB pages three
 * times over (one set of page directories, shared):
 *
 *   [0, 4 GiB)                    identity, only while jumping high;
 *   [PHYS_OFFSET, +4 GiB)         the linear map (PML4[256]), so that
 *                                 arch_paddr_to_ptr() works from the start;
 *   [KERNEL_VMA_OFFSET, +1 GiB)   the kernel image (PML4[511], PDPT[510]).
 *
 * Then we enable long mode (Intel SDM vol 3A, 9.8.5 "Initializing IA-32e
 * Mode"), jump to the high address and call x86_64_entry(start_info) on
 * the boot stack. arch_kernel_pt_activate() later replaces these tables by
 * the core's kernel page table.
 */

#include "ostd/arch/x86_64_layout.h"

#define PA(x) ((x) - KERNEL_VMA_OFFSET)

#define CR0_PE (1 << 0)
#define CR0_WP (1 << 16)  /* Honour read-only pages in ring 0 too. */
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)  /* Make PTE bit 63 (XD) meaningful. */

/* SDM vol 3A, Table 4-15/4-17: P | RW, and PS for a 2 MiB leaf. */
#define PTE_P_RW 0x3
#define PTE_PS 0x80

#define BOOT_STACK_SIZE 16384

/* PVH ELF note: XEN_ELFNOTE_PHYS32_ENTRY (type 18), the 32-bit entry. */
	.section .note.pvh, "a", @note
	.p2align 2
	.long 4
	.long 4
	.long 18
	.asciz "Xen"
	.p2align 2
	.long PA(_start32)

	.section .text.boot, "ax"
	.code32
	.global _start32
_start32:
	cli
	cld
	mov %ebx, %esi			/* Keep start_info; rep stos uses edi/ecx. */

	/* Clear the BSS: the page tables and the stack live there. */
	mov $PA(__bss_start), %edi
	mov $PA(__bss_end), %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb

	mov $PA(boot_stack_top), %esp

	/*
	 * PML4[0] and PML4[256] (the linear map) -> PDPT, whose entries
	 * 0..3 -> PD0..PD3.
	 */
	mov $PA(boot_pdpt), %eax
	or $PTE_P_RW, %eax
	mov %eax, PA(boot_pml4)
	mov %eax, PA(boot_pml4) + 8 * PHYS_OFFSET_PML4_INDEX
	mov $PA(boot_pd), %eax
	or $PTE_P_RW, %eax
	xor %ecx, %ecx
1:	mov %eax, PA(boot_pdpt)(, %ecx, 8)
	add $4096, %eax
	inc %ecx
	cmp $4, %ecx
	jne 1b

	/* PML4[511] -> high PDPT, whose entry 510 -> PD0: [0, 1 GiB). */
	mov $PA(boot_pdpt_high), %eax
	or $PTE_P_RW, %eax
	mov %eax, PA(boot_pml4) + 8 * 511
	mov $PA(boot_pd), %eax
	or $PTE_P_RW, %eax
	mov %eax, PA(boot_pdpt_high) + 8 * 510

	/* 2048 PD entries of 2 MiB each: physical [0, 4 GiB). */
	mov $(PTE_P_RW | PTE_PS), %eax
	xor %ecx, %ecx
2:	mov %eax, PA(boot_pd)(, %ecx, 8)
	add $0x200000, %eax
	inc %ecx
	cmp $2048, %ecx
	jne 2b

	/* SDM 9.8.5: PAE, then CR3, then EFER.LME, then CR0.PG. */
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $PA(boot_pml4), %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $(EFER_LME | EFER_NXE), %eax
	wrmsr
	mov %cr0, %eax
	or $(CR0_PE | CR0_PG | CR0_WP), %eax
	mov %eax, %cr0

	lgdt PA(boot_gdt_desc32)
	ljmp $0x08, $PA(_start64)

	.code64
_start64:
	/* Still at the identity address: go to the linked one. */
	movabs $_start64_high, %rax
	jmp *%rax
_start64_high:
	/* The outermost frame: gdb's backtrace stops here. */
	.cfi_sections .debug_frame
	.cfi_startproc
	.cfi_undefined rip
	/* The GDT too: the identity map goes away with the boot tables. */
	lgdt boot_gdt_desc64
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %ax, %ax
	mov %ax, %fs
	mov %ax, %gs
	mov $boot_stack_top, %rsp
	xor %ebp, %ebp			/* Terminates frame-pointer backtraces. */
	mov %esi, %edi			/* x86_64_entry(start_info_pa) */
	call x86_64_entry
3:	cli
	hlt
	jmp 3b
	.cfi_endproc

	.section .rodata
	.p2align 3
/*
 * A flat GDT: null, 64-bit code (0x08), data (0x10). SDM vol 3A, 3.4.5.
 * The accessed bits (type bit 0) are preset: the CPU would otherwise set
 * them on a segment load, a write this read-only page refuses (CR0.WP).
 */
boot_gdt:
	.quad 0
	.quad 0x00af9b000000ffff
	.quad 0x00cf93000000ffff
boot_gdt_end:
/* For lgdt in 32-bit mode: a 32-bit base, the physical address. */
boot_gdt_desc32:
	.word boot_gdt_end - boot_gdt - 1
	.long PA(boot_gdt)
	.p2align 3
/* For lgdt in 64-bit mode: a 64-bit base, the linked address. */
boot_gdt_desc64:
	.word boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

/*
 * The boot page tables: a section of their own, page aligned, which the
 * linker script places inside the BSS (cleared above) and which
 * arch_kernel_pt_activate() gives to the frame allocator once CR3 points
 * at the kernel page table.
 */
	.section .boot_pt, "aw", @nobits
	.p2align 12
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
boot_pdpt_high:
	.skip 4096
boot_pd:
	.skip 4 * 4096

	.section .bss
	.p2align 4
boot_stack:
	.skip BOOT_STACK_SIZE
	.global boot_stack_top
boot_stack_top:

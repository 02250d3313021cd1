/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The x86_64 kernel's virtual memory layout (DESIGN.md §2), shared by
 * boot.S and C:
 *
 *   0xffff800000000000  PHYS_OFFSET: the linear map, pa at PHYS_OFFSET + pa
 *                       (the kernel half's first root slot, PML4[256]).
 *   0xffffc00000000000  X86_UNMAPPED_TEST_ADDR: nothing maps it (PML4[384]
 *                       stays empty), for the page-fault demo.
 *   0xffffffff80000000  KERNEL_VMA_OFFSET: the kernel image, linked at
 *                       KERNEL_VMA_OFFSET + 1 MiB and loaded at 1 MiB
 *                       (PML4[511], PDPT[510]; -mcmodel=kernel).
 */

#ifdef __ASSEMBLER__
#define X86_ULL(x) x
#else
#define X86_ULL(x) x##ULL
#endif

#define PHYS_OFFSET X86_ULL(0xffff800000000000)
#define PHYS_OFFSET_PML4_INDEX 256
#define KERNEL_VMA_OFFSET X86_ULL(0xffffffff80000000)
#define X86_UNMAPPED_TEST_ADDR X86_ULL(0xffffc00000000000)

/*
 * GDT selectors (gdt.c). The order is what SYSCALL/SYSRET need (SDM vol
 * 3A, 5.8.8): kernel code, kernel data = code + 8; user data, user code =
 * data + 8, both found from STAR[63:48] = KERNEL_DS.
 */
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_DS (0x18 | 3)
#define USER_CS (0x20 | 3)
#define TSS_SEL 0x28

/*
 * Interrupt Stack Table slots (SDM vol 3A, 6.14.5), each with a stack of
 * its own in the TSS (gdt.c), named by the IDT gates of trap.c. 0 in a
 * gate means "no IST": the legacy stack switch of 6.14.2.
 */
#define X86_IST_DF 1
#define X86_IST_NMI 2
#define X86_IST_DB 3
#define X86_IST_MC 4
#define X86_IST_COUNT 4
/* One CPU's IST stacks: X86_IST_COUNT of 8 KiB each (gdt.c). */
#define X86_IST_AREA_SIZE 32768

/*
 * What the entry code keeps in struct cpu_local's arch[] words (ostd/
 * internal/cpu_local.h), reached as %gs:offset once the GS base holds the
 * area (smp.c; swapgs on every crossing of the ring 3 boundary, SDM vol
 * 3A, 5.8.8):
 *
 *   0   the kernel stack pointer x86_64_user_enter() returns on;
 *   8   the struct user_context of the program running in ring 3;
 *   16  scratch: the user RSP while the SYSCALL entry switches stacks;
 *   24  the address of this CPU's TSS.RSP0 (gdt.c).
 */
#define X86_CL_KERNEL_RSP 0
#define X86_CL_USER_CTX 8
#define X86_CL_USER_RSP 16
#define X86_CL_TSS_RSP0 24
/* The area's own address (CPU_LOCAL_SELF_OFFSET). */
#define X86_CL_SELF 64

/*
 * The secondary CPUs' real-mode trampoline (trampoline.S, smp.c): four
 * pages below 1 MiB that entry.c keeps from the frame allocator: the code
 * page (the STARTUP vector is its page number, 0x08) and the start-up
 * table (PML4, PDPT, PD).
 */
#define X86_TRAMPOLINE_PA 0x8000
#define X86_TRAMPOLINE_PAGES 4

/* RFLAGS bits (SDM vol 1, 3.4.3). */
#define X86_RFLAGS_IF (1 << 9)
#define X86_RFLAGS_AC (1 << 18)

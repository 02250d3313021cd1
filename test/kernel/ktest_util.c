// SPDX-License-Identifier: MPL-2.0
#include "ktest_util.h"

#include "ostd/arch/mm.h"

#include "ostd/config.h"
#include "ostd/frame.h"
#include "ostd/printf.h"
#include "ostd/string.h"

/*
 * The kernel test images link the software MMU of their own format, which
 * reaches physical memory through the kernel's linear map here (the host
 * build has sim.c's arena instead).
 */
void *sim_phys_ptr(paddr_t pa, uint64_t len)
{
	(void)len;
	return arch_paddr_to_ptr(pa);
}

/* The rest needs the port's user mode and probes. */
#if CONFIG_ARCH_USER_MODE

const struct sim_mmu_hw *kt_sim_mmu(void)
{
#if CONFIG_ARCH_X86_64
	return &sim_mmu_x86_64;
#elif CONFIG_ARCH_RISCV64 && CONFIG_RISCV_SV39
	return &sim_mmu_sv39;
#elif CONFIG_ARCH_RISCV64
	return &sim_mmu_sv48;
#else
	return &sim_mmu_aarch64;
#endif
}

struct sim_mode kt_sim_mode(bool user)
{
	/*
	 * What the ports program: x86 CR0.WP, NX, SMEP and SMAP; RISC-V
	 * SUM and MXR clear; AArch64 PAN. Each software MMU reads only its
	 * own fields. The protections must be on (arch_user_access_protected()).
	 */
	bool prot = arch_user_access_protected();

	return (struct sim_mode){
		.user = user,
		.wp = true,
		.smep = prot,
		.smap = prot,
		.nxe = true,
		.pan = prot,
	};
}

ostd_err_t kt_space_new(struct vm_space **vs)
{
	ostd_err_t err = vm_space_new(vs, NULL, false);

	if (err == OSTD_OK) {
		err = vm_space_activate(*vs);
		if (err != OSTD_OK) {
			(void)vm_space_destroy(*vs);
		}
	}
	return err;
}

void kt_space_destroy(struct vm_space *vs)
{
	ostd_err_t err = vm_space_destroy(vs);

	if (err != OSTD_OK) {
		ostd_printf("kt_space_destroy: %s\n", ostd_err_name(err));
	}
}

static ostd_err_t fill_frame(struct frame f, uint8_t marker)
{
	uint8_t page[KT_WRITE_OFF + 8];
	struct vm_writer w = frame_writer(f);
	uint64_t done;

	memset(page, 0, sizeof(page));
	memcpy(page + KT_RET_OFF, arch_ret_insn.bytes, arch_ret_insn.len);
	memcpy(page + KT_SYSCALL_OFF, arch_syscall_insn.bytes,
	       arch_syscall_insn.len);
	page[KT_MARKER_OFF] = marker;

	struct vm_reader r = vm_reader_from_kernel(page, sizeof(page));

	return vm_reader_read(&r, &w, &done);
}

ostd_err_t kt_test_frame(uint8_t marker, paddr_t *pa)
{
	struct frame f;
	ostd_err_t err = frame_alloc(&frame_type_untyped, &f);

	if (err == OSTD_OK) {
		err = fill_frame(f, marker);
		if (err != OSTD_OK) {
			frame_drop(&f);
		} else {
			*pa = f.pa;
		}
	}
	return err;
}

static ostd_err_t map_frame(struct vm_space *vs, uint64_t va, paddr_t pa,
			    struct pt_prop prop)
{
	struct vm_space_cursor cur;
	ostd_err_t err = vm_space_cursor_mut(vs, va, va + PAGE_SIZE, &cur);

	if (err != OSTD_OK) {
		return err;
	}
	err = vm_space_map_frame(&cur, pa, prop);
	vm_space_cursor_drop(&cur);
	return err;
}

ostd_err_t kt_map_user_page(struct vm_space *vs, uint64_t va,
			    struct pt_prop prop, uint8_t marker, paddr_t *pa)
{
	paddr_t frame;
	ostd_err_t err = kt_test_frame(marker, &frame);

	if (err != OSTD_OK) {
		return err;
	}
	err = map_frame(vs, va, frame, prop);
	if (err == OSTD_OK && pa != NULL) {
		*pa = frame;
	}
	/* The mapping holds its own reference. */
	struct frame f = { frame };

	frame_drop(&f);
	return err;
}

ostd_err_t kt_map_probe_code(struct vm_space *vs, enum probe_access kind)
{
	return kt_map_code(vs, arch_user_probe_code(kind));
}

ostd_err_t kt_map_code(struct vm_space *vs, struct arch_code code)
{
	struct frame f;
	uint64_t done;
	ostd_err_t err = frame_alloc(&frame_type_untyped, &f);

	if (err != OSTD_OK) {
		return err;
	}
	struct vm_writer w = frame_writer(f);
	struct vm_reader r = vm_reader_from_kernel(code.bytes, code.len);

	err = vm_reader_read(&r, &w, &done);
	if (err == OSTD_OK) {
		(void)kt_unmap_user(vs, KT_CODE_VA, PAGE_SIZE);
		err = map_frame(vs, KT_CODE_VA, f.pa,
				(struct pt_prop){ .flags = PROT_R | PROT_X });
	}
	frame_drop(&f);
	return err;
}

ostd_err_t kt_unmap_user(struct vm_space *vs, uint64_t va, uint64_t len)
{
	struct vm_space_cursor cur;
	ostd_err_t err = vm_space_cursor_mut(vs, va, va + len, &cur);

	if (err != OSTD_OK) {
		return err;
	}
	err = vm_space_cursor_unmap(&cur, len, NULL);
	vm_space_cursor_drop(&cur);
	return err;
}

int kt_user_probe(enum probe_access kind, uint64_t addr, uint8_t val,
		  uint8_t *byte)
{
	struct user_context ctx;
	struct arch_code code = arch_user_probe_code(kind);

	user_context_init(&ctx, KT_CODE_VA, KT_STACK_TOP);
	user_context_set_arg(&ctx, 0, addr);
	user_context_set_arg(&ctx, 1, val);
	enum user_return_reason why = user_mode_execute(&ctx);
	const struct cpu_exception *e = user_context_exception(&ctx);

	if (why == USER_RETURN_SYSCALL) {
		uint64_t want_pc = kind == PROBE_EXEC
					   ? addr + arch_syscall_insn.len
					   : KT_CODE_VA + code.len;

		if (user_context_pc(&ctx) != want_pc) {
			ostd_printf("probe: syscall, but pc %#llx, not %#llx\n",
				    (unsigned long long)user_context_pc(&ctx),
				    (unsigned long long)want_pc);
			return -1;
		}
		if (byte != NULL) {
			*byte = (uint8_t)user_context_syscall_nr(&ctx);
		}
		return 1;
	}
	uint32_t want_access = kind == PROBE_READ    ? PROT_R
			       : kind == PROBE_WRITE ? PROT_W
						     : PROT_X;

	if (e->kind == CPU_EXC_PAGE_FAULT && e->addr == addr &&
	    e->access == want_access) {
		return 0;
	}
	ostd_printf("probe: unexpected %s (kind %d) at %#llx access %u, "
		    "pc %#llx\n",
		    e->name, (int)e->kind, (unsigned long long)e->addr,
		    e->access, (unsigned long long)user_context_pc(&ctx));
	return -1;
}

#endif /* CONFIG_ARCH_USER_MODE */

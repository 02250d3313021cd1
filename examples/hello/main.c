// SPDX-License-Identifier: MPL-2.0
/*
 * The example kernel (DESIGN.md §9): it loads the static ELF the boot
 * loader passed as the initrd into a fresh VmSpace, runs it in a task,
 * serves write and exit, and powers off with the program's status. A user
 * fault kills the program with one line and status 139. Public API only,
 * the same source on every arch.
 */

#include "ostd/boot.h"
#include "ostd/elf.h"
#include "ostd/math.h"
#include "ostd/printf.h"
#include "ostd/task.h"
#include "ostd/user.h"
#include "ostd/vm_space.h"

#define STACK_TOP 0x7fff00000000ULL
#define STACK_SIZE (64 * PAGE_SIZE)
#define EBADF 9
#define EFAULT 14
#define ENOSYS 38

static struct vm_space space;
static struct elf_image img;
static int status;

/* Maps fresh zeroed pages over [va, va + len), filled from @p seg's file bytes. */
static ostd_err_t map_pages(uint64_t va, uint64_t len, uint32_t prot,
			    const struct elf_segment *seg)
{
	struct pt_cursor cur;
	ostd_err_t err = vm_space_cursor_mut(&space, va, va + len, &cur);

	for (uint64_t page = va; err == OSTD_OK && page < va + len;
	     page += PAGE_SIZE) {
		struct frame f;
		uint64_t copied;

		err = frame_alloc(&frame_type_untyped, &f);
		if (err != OSTD_OK) {
			break;
		}
		uint64_t lo = seg ? MAX(page, seg->vaddr) : 0;
		uint64_t hi =
			seg ? MIN(page + PAGE_SIZE, seg->vaddr + seg->filesz)
			    : 0;
		struct vm_writer w = frame_writer(f);

		if (lo < hi && vm_writer_skip(&w, lo - page) == OSTD_OK) {
			struct vm_reader r = vm_reader_from_kernel(
				img.data + seg->offset + (lo - seg->vaddr),
				hi - lo);

			err = vm_reader_read(&r, &w, &copied);
		}
		err = err != OSTD_OK
			      ? err
			      : vm_space_map_frame(
					&cur, f.pa,
					(struct pt_prop){ .flags = prot });
		frame_drop(&f);
	}
	if (err != OSTD_ERANGE) {
		pt_cursor_drop(&cur);
	}
	return err;
}

static ostd_err_t load(const void *data, uint64_t size)
{
	struct elf_segment seg;
	ostd_err_t err = elf_parse(data, size, &img);

	for (unsigned int i = 0;
	     err == OSTD_OK && elf_segment(&img, i, &seg) == OSTD_OK; i++) {
		uint64_t start = align_down(seg.vaddr, PAGE_SIZE);
		uint64_t end = align_down(seg.vaddr + seg.memsz + PAGE_SIZE - 1,
					  PAGE_SIZE);

		err = map_pages(start, end - start, seg.prot, &seg);
	}
	/* The stack; sp points at argc = 0, argv = envp = auxv = NULL. */
	return err != OSTD_OK ? err
			      : map_pages(STACK_TOP - STACK_SIZE, STACK_SIZE,
					  PROT_R | PROT_W, NULL);
}

static int64_t sys_write(uint64_t fd, uint64_t buf, uint64_t len)
{
	struct vm_reader r;
	struct vm_io_owner tok;
	int64_t done = 0;

	if (fd != 1 && fd != 2) {
		return -EBADF;
	}
	if (len == 0 ||
	    vm_space_create_reader(&space, buf, len, &r, &tok) != OSTD_OK ||
	    vm_space_activate_reader(&space, &tok) != OSTD_OK) {
		return len == 0 ? 0 : -EFAULT;
	}
	for (ostd_err_t err = OSTD_OK;
	     err == OSTD_OK && vm_reader_remain(&r) > 0;) {
		char chunk[128];
		struct vm_writer w =
			vm_writer_from_kernel(chunk, sizeof(chunk));
		uint64_t n;

		err = vm_reader_read(&r, &w, &n);
		ostd_printf("%.*s", (int)n, chunk);
		done = err == OSTD_OK || n > 0 ? done + (int64_t)n : -EFAULT;
	}
	(void)vm_space_dispose_reader(&space, &tok);
	(void)vm_space_remove_reader(&space, &tok);
	return done;
}

static void run(void *arg)
{
	struct user_context ctx;

	(void)arg;
	user_context_init(&ctx, img.entry, STACK_TOP - 32);
	while (user_mode_execute(&ctx) == USER_RETURN_SYSCALL) {
		uint64_t nr = user_context_syscall_nr(&ctx);

		if (nr == user_syscall_abi.exit ||
		    nr == user_syscall_abi.exit_group) {
			status =
				(int)(user_context_syscall_arg(&ctx, 0) & 0xff);
			return;
		}
		user_context_set_syscall_ret(
			&ctx,
			nr != user_syscall_abi.write
				? (uint64_t)-ENOSYS
				: (uint64_t)sys_write(
					  user_context_syscall_arg(&ctx, 0),
					  user_context_syscall_arg(&ctx, 1),
					  user_context_syscall_arg(&ctx, 2)));
	}
	const struct cpu_exception *e = user_context_exception(&ctx);

	ostd_printf("hello: killed: %s at %#llx (pc %#llx)\n", e->name,
		    (unsigned long long)e->addr,
		    (unsigned long long)user_context_pc(&ctx));
	status = 139;
}

int ostd_main(void)
{
	uint64_t size;
	const void *prog = ostd_boot_initrd(&size);
	struct task task;
	ostd_err_t err =
		prog == NULL ? OSTD_ENOENT : vm_space_new(&space, NULL, false);

	err = err != OSTD_OK ? err : vm_space_activate(&space);
	err = err != OSTD_OK ? err : load(prog, size);
	err = err != OSTD_OK ? err : task_spawn(&task, "user", run, NULL);
	err = err != OSTD_OK ? err : task_join(&task, NULL);
	if (err != OSTD_OK) {
		ostd_printf(
			"hello: cannot run the user program (pass a static ELF "
			"as the initrd): %s\n",
			ostd_err_name(err));
		return 1;
	}
	return status;
}

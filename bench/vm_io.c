// SPDX-License-Identifier: MPL-2.0
/*
 * H12: VmReader/VmWriter against memcpy() and `rep movsb`. On the host
 * the fallible side translates every page through the simulated CPU's
 * TLB and MMU (arch/host/vm.c), which is the work a kernel's copy routine
 * leaves to the hardware: this measures the framework's path plus that
 * simulation.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ostd/frame.h"
#include "ostd/host/sim.h"
#include "ostd/vm_space.h"

#include "bench.h"

#define BASE_VA (1ULL << 40)

static void must_ok(ostd_err_t err)
{
	if (err != OSTD_OK) {
		bench_fail("core call failed: %s", ostd_err_name(err));
		exit(1);
	}
}

struct io_ctx {
	struct vm_space *vs;
	struct vm_user_reader reader;
	struct vm_user_writer writer;
	uint8_t *kbuf; /* Kernel side. */
	uint8_t *src;  /* The memcpy baseline's source. */
	uint64_t size;
	uint64_t offset; /* 1 for the unaligned case. */
	uint64_t count;  /* Copies per run. */
};

/* user -> kernel: copy_from_user through a VmReader. */
static void io_read(void *p)
{
	struct io_ctx *c = p;

	for (uint64_t i = 0; i < c->count; i++) {
		struct vm_writer w = vm_writer_from_kernel(c->kbuf, c->size);
		uint64_t done;

		c->reader.cursor = BASE_VA + c->offset;
		c->reader.end = c->reader.cursor + c->size;
		must_ok(vm_reader_read(&c->reader, &w, &done));
	}
	bench_clobber(c->kbuf);
}

/* kernel -> user: copy_to_user through a VmWriter. */
static void io_write(void *p)
{
	struct io_ctx *c = p;

	for (uint64_t i = 0; i < c->count; i++) {
		struct vm_reader r = vm_reader_from_kernel(c->kbuf, c->size);
		uint64_t done;

		c->writer.cursor = BASE_VA + c->offset;
		c->writer.end = c->writer.cursor + c->size;
		must_ok(vm_reader_read(&r, &c->writer, &done));
	}
}

/*
 * What the host's software MMU alone costs the copy: one translation per
 * page through this CPU's TLB (a walk on a miss), with the user-access
 * window open as arch/host/vm.c opens it, and no copy.
 */
static void io_sim_mmu(void *p)
{
	struct io_ctx *c = p;
	struct sim_cpu *cpu = sim_cpu_current();
	struct sim_mode saved = cpu->mode;

	cpu->mode.user = false;
	cpu->mode.ac = true;
	for (uint64_t i = 0; i < c->count; i++) {
		uint64_t va = BASE_VA + c->offset;
		uint64_t last = va + c->size - 1;

		for (uint64_t page = va & ~(PAGE_SIZE - 1); page <= last;
		     page += PAGE_SIZE) {
			struct sim_translation t;

			BENCH_CHECK(sim_cpu_translate(cpu, page, SIM_READ,
						      &t) == SIM_OK);
		}
	}
	cpu->mode = saved;
}

static void io_memcpy(void *p)
{
	struct io_ctx *c = p;

	for (uint64_t i = 0; i < c->count; i++) {
		memcpy(c->kbuf, c->src + c->offset, (size_t)c->size);
		bench_clobber(c->kbuf);
	}
}

static void io_movsb(void *p)
{
	struct io_ctx *c = p;

	for (uint64_t i = 0; i < c->count; i++) {
		void *d = c->kbuf;
		const void *s = c->src + c->offset;
		size_t n = (size_t)c->size;

		__asm__ volatile("rep movsb"
				 : "+D"(d), "+S"(s), "+c"(n)
				 :
				 : "memory");
	}
}

/*
 * The harness's own check: a pattern written through the writer reads
 * back through the reader, at an unaligned address across a page.
 */
static void io_check_write(struct io_ctx *c)
{
	struct vm_reader kr = vm_reader_from_kernel(c->src, 8192);
	uint64_t done;

	for (unsigned int i = 0; i < 8192; i++) {
		c->src[i] = (uint8_t)(i * 7 + 1);
	}
	c->writer.cursor = BASE_VA + 1;
	c->writer.end = BASE_VA + 1 + 8192;
	must_ok(vm_reader_read(&kr, &c->writer, &done));
}

static void io_check_read(struct io_ctx *c)
{
	struct vm_writer kw = vm_writer_from_kernel(c->kbuf, 8192);
	uint64_t done;

	c->reader.cursor = BASE_VA + 1;
	c->reader.end = BASE_VA + 1 + 8192;
	must_ok(vm_reader_read(&c->reader, &kw, &done));
	BENCH_CHECK(done == 8192 && memcmp(c->src, c->kbuf, 8192) == 0);
}

static void io_cases(struct io_ctx *base, bool write, unsigned int count)
{
	static const uint64_t sizes[] = { 64,      256,      4096,    65536,
					  1 << 20, 16 << 20, 64 << 20 };

	for (unsigned int i = 0; i < count; i++) {
		for (uint64_t off = 0; off <= 1; off++) {
			struct io_ctx c = *base;

			c.size = sizes[i];
			c.offset = off;
			/* At least ~1 MiB copied per run. */
			c.count = bench_opts.mode == BENCH_SMOKE
					  ? 1
					  : (1ULL << 20) / c.size + 1;
			struct bench_variant v[] = {
				{ .name = write ? "vm-writer" : "vm-reader",
				  .ctx = &c,
				  .run = write ? io_write : io_read },
				{ .name = "memcpy",
				  .ctx = &c,
				  .run = io_memcpy },
				{ .name = "rep-movsb",
				  .ctx = &c,
				  .run = io_movsb },
				{ .name = "sim-mmu",
				  .ctx = &c,
				  .run = io_sim_mmu },
			};
			char name[32];

			snprintf(name, sizeof(name), "%s-%s",
				 write ? "write" : "read",
				 off != 0 ? "unaligned" : "aligned");
			struct bench_case bc = { .id = "H12",
						 .name = name,
						 .n = c.size,
						 .ops = c.count,
						 .unit = "copy" };

			bench_run(&bc, v, 4);
		}
	}
}

void bench_vm_io(void)
{
	if (!bench_selected("H12")) {
		return;
	}
	unsigned int count = (unsigned int)bench_size(3, 5, 7);
	uint64_t max = 64ULL << 20;
	uint64_t len = max + 2 * PAGE_SIZE;
	struct vm_space *vs;
	struct vm_io_owner rt;
	struct vm_io_owner wt;
	struct io_ctx base = { .vs = NULL };

	if (bench_opts.mode != BENCH_FULL) {
		max = 1ULL << 20;
		len = max + 2 * PAGE_SIZE;
	}
	/* One user region, mapped once, read and written by every case. */
	must_ok(vm_space_new(&vs, &bench_fmt(0)->kpt, false));
	base.vs = vs;
	must_ok(vm_space_activate(vs));
	struct vm_space_cursor cur;

	must_ok(vm_space_cursor_mut(vs, BASE_VA, BASE_VA + len, &cur));
	for (uint64_t i = 0; i < len / PAGE_SIZE; i++) {
		struct frame f;

		must_ok(frame_alloc(&frame_type_untyped, &f));
		must_ok(vm_space_map_frame(
			&cur, f.pa,
			(struct pt_prop){ .flags = PROT_R | PROT_W,
					  .cache = PT_CACHE_WRITEBACK }));
		frame_drop(&f);
	}
	vm_space_cursor_drop(&cur);
	base.kbuf = aligned_alloc(4096, (size_t)len);
	base.src = aligned_alloc(4096, (size_t)len);
	if (base.kbuf == NULL || base.src == NULL) {
		exit(1);
	}
	memset(base.kbuf, 1, (size_t)len);
	memset(base.src, 2, (size_t)len);
	must_ok(vm_space_create_writer(vs, BASE_VA, len, &base.writer, &wt));
	must_ok(vm_space_activate_writer(vs, &wt));
	io_cases(&base, true, count);
	io_check_write(&base);
	must_ok(vm_space_dispose_writer(vs, &wt));
	must_ok(vm_space_create_reader(vs, BASE_VA, len, &base.reader, &rt));
	must_ok(vm_space_activate_reader(vs, &rt));
	io_check_read(&base);
	io_cases(&base, false, count);
	must_ok(vm_space_dispose_reader(vs, &rt));
	must_ok(vm_space_remove_writer(vs, &wt));
	must_ok(vm_space_remove_reader(vs, &rt));
	must_ok(vm_space_destroy(vs));
	free(base.kbuf);
	free(base.src);
}

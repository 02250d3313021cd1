// SPDX-License-Identifier: MPL-2.0
/*
 * H15: the owner-token path (DESIGN.md §7, "Cost"): one token's life,
 * create + activate + dispose + remove, beside N other active readers of
 * the same space. With CONFIG_VM_OWNER_REGISTRY the create and activate
 * steps scan the active tokens for an overlap, so their cost grows with
 * N; without it they do not. The same source is built twice
 * (ostd-bench and ostd-bench-noregistry, tools/configure.py), and
 * `./ostd bench` divides one's times by the other's: the variant's name
 * says which build a row comes from.
 */

#include "ostd/config.h"
#include "ostd/vm_space.h"

#include "bench.h"

#define OWNER_BASE_VA (1ULL << 40)
/* Each token covers one page; the others sit above the measured one. */
#define OWNER_SLOT(i) (OWNER_BASE_VA + ((uint64_t)(i) + 1) * PAGE_SIZE)

struct owner_ctx {
	struct vm_space *vs;
	uint64_t count; /* Token lives per run. */
};

/* One token's life; a reader's or a writer's by @p writer. */
static void cycle(struct owner_ctx *c, bool writer)
{
	for (uint64_t i = 0; i < c->count; i++) {
		struct vm_user_reader r;
		struct vm_user_writer w;
		struct vm_io_owner t;

		if (writer) {
			bench_must_ok(vm_space_create_writer(
				c->vs, OWNER_BASE_VA, PAGE_SIZE, &w, &t));
			bench_must_ok(vm_space_activate_writer(c->vs, &t));
			bench_must_ok(vm_space_dispose_writer(c->vs, &t));
			bench_must_ok(vm_space_remove_writer(c->vs, &t));
		} else {
			bench_must_ok(vm_space_create_reader(
				c->vs, OWNER_BASE_VA, PAGE_SIZE, &r, &t));
			bench_must_ok(vm_space_activate_reader(c->vs, &t));
			bench_must_ok(vm_space_dispose_reader(c->vs, &t));
			bench_must_ok(vm_space_remove_reader(c->vs, &t));
		}
	}
}

static void reader_cycle(void *p)
{
	cycle(p, false);
}

static void writer_cycle(void *p)
{
	cycle(p, true);
}

/* One case: @p others active readers beside the measured token. */
static void owner_case(struct vm_space *vs, unsigned int others)
{
	struct vm_io_owner held[VM_SPACE_MAX_IO];
	struct owner_ctx c = {
		.vs = vs,
		.count = bench_size(16, 20000, 100000),
	};
	const char *variant = IS_ENABLED(CONFIG_VM_OWNER_REGISTRY)
				      ? "registry"
				      : "no-registry";

	for (unsigned int i = 0; i < others; i++) {
		struct vm_user_reader r;

		bench_must_ok(vm_space_create_reader(vs, OWNER_SLOT(i),
						     PAGE_SIZE, &r, &held[i]));
		bench_must_ok(vm_space_activate_reader(vs, &held[i]));
	}
	for (unsigned int k = 0; k < 2; k++) {
		struct bench_variant v[] = {
			{ .name = variant,
			  .ctx = &c,
			  .run = k == 0 ? reader_cycle : writer_cycle },
		};
		struct bench_case bc = {
			.id = "H15",
			.name = k == 0 ? "reader-cycle" : "writer-cycle",
			.n = others,
			.ops = c.count,
			.unit = "token",
		};

		bench_run(&bc, v, 1);
	}
	/* The harness's own check: the registry is what it was. */
	BENCH_CHECK(vm_space_owner_inv(vs));
	for (unsigned int i = 0; i < others; i++) {
		bench_must_ok(vm_space_dispose_reader(vs, &held[i]));
		bench_must_ok(vm_space_remove_reader(vs, &held[i]));
	}
}

void bench_owner(void)
{
	/* The measured token is a reader too: one slot stays free for it. */
	static const unsigned int others[] = { 0, 8, VM_SPACE_MAX_IO - 1 };
	struct vm_space *vs;

	if (!bench_selected("H15")) {
		return;
	}
	bench_must_ok(vm_space_new(&vs, &bench_fmt(0)->kpt, false));
	bench_must_ok(vm_space_activate(vs));
	for (unsigned int i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		owner_case(vs, others[i]);
	}
	bench_must_ok(vm_space_destroy(vs));
}

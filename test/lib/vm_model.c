// SPDX-License-Identifier: MPL-2.0
/*
 * The VmSpace model test's model, set-up and checks (vm_model.h).
 */

#include "vm_model.h"

#include "ostd/arch/mm.h"
#include "ostd/arch/tlb.h"

#include "ostd/internal/vm_space_testing.h"
#include "ostd/printf.h"
#include "ostd/string.h"
#include "ostd/test.h"

#include "../../core/mm/vm_space_internal.h"

struct vm_model m;
struct vm_model_tally tally;

ostd_err_t tally_err(ostd_err_t want)
{
	tally.errs[want]++;
	return want;
}

/* ---------------------------------------------------------------------
 * The model.
 * --------------------------------------------------------------------- */

uint8_t *m_byte(struct mspace *s, uint64_t va, bool write)
{
	if (va < UBASE || va - UBASE >= MODEL_PAGES * P) {
		return NULL;
	}
	const struct mpage *pg = &s->pages[(va - UBASE) / P];

	if (pg->frame < 0 || (write && !pg->writable)) {
		return NULL;
	}
	return &m.frames[pg->frame].bytes[va & (P - 1)];
}

uint64_t m_run(struct mspace *s, uint64_t va, uint64_t n, bool write)
{
	uint64_t done = 0;

	while (done < n && m_byte(s, va + done, write) != NULL) {
		uint64_t chunk = P - ((va + done) & (P - 1));

		done += chunk < n - done ? chunk : n - done;
	}
	return done;
}

void m_copy(struct mspace *s, uint64_t va, uint8_t *buf, uint64_t n,
	    bool to_user)
{
	for (uint64_t done = 0; done < n;) {
		uint64_t chunk = P - ((va + done) & (P - 1));

		chunk = chunk < n - done ? chunk : n - done;
		uint8_t *b = m_byte(s, va + done, to_user);

		if (to_user) {
			memcpy(b, buf + done, chunk);
		} else {
			memcpy(buf + done, b, chunk);
		}
		done += chunk;
	}
}

bool tok_usable(const struct mspace *s, const struct mtoken *t)
{
	return s->exists && !s->destroyed && t->life == s->life &&
	       t->state == VM_IO_ACTIVE;
}

ostd_err_t side_err(const struct mspace *s, const struct mtoken *t)
{
	if (!tok_usable(s, t)) {
		return OSTD_EBADSTATE;
	}
	return m.cur == s - m.spaces ? OSTD_OK : OSTD_ENOTCURRENT;
}

bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

bool m_can_create(const struct mspace *s, enum vm_io_kind kind, uint64_t va,
		  uint64_t len)
{
	if (!m.registry) {
		return true;
	}
	for (unsigned int i = 0; i < MODEL_TOKENS; i++) {
		const struct mtoken *t = &s->toks[i];

		if (!t->used || t->life != s->life ||
		    t->state != VM_IO_ACTIVE ||
		    !overlaps(t->va, t->len, va, len)) {
			continue;
		}
		if (t->kind == VM_IO_WRITER || kind == VM_IO_WRITER ||
		    !s->shared) {
			return false;
		}
	}
	return true;
}

/* ---------------------------------------------------------------------
 * Set-up and tear-down.
 * --------------------------------------------------------------------- */

bool model_begin(const struct pt_config *cfg, uint64_t seed)
{
	const struct pt_config *kcfg = pt_test_kernel_twin(cfg);

	memset(&m, 0, sizeof(m));
	m.cfg = cfg;
	m.seed = seed;
	m.cur = -1;
	m.registry = IS_ENABLED(CONFIG_VM_OWNER_REGISTRY);
	if (kcfg == NULL || pt_test_kernel_parent(kcfg, &m.kpt_store, &m.kpt,
						  &m.kpt_owned) != OSTD_OK) {
		return false;
	}
	m.kpt_ok = true;
	for (int i = 0; i < MODEL_FRAMES; i++) {
		/* Allocation zeroes: the shadow starts as zeros too. */
		if (frame_alloc(&frame_type_untyped, &m.frames[i].f) !=
		    OSTD_OK) {
			return false;
		}
	}
	return true;
}

void model_end(void)
{
	for (int i = 0; i < MODEL_SPACES; i++) {
		struct mspace *s = &m.spaces[i];

		if (!s->exists || s->destroyed) {
			continue;
		}
		for (unsigned int j = 0; j < MODEL_TOKENS; j++) {
			struct mtoken *t = &s->toks[j];

			if (t->used && tok_usable(s, t)) {
				(void)(t->kind == VM_IO_READER
					       ? vm_space_dispose_reader(
							 s->vs, &t->tok)
					       : vm_space_dispose_writer(
							 s->vs, &t->tok));
			}
		}
		if (vm_space_destroy(s->vs) != OSTD_OK) {
			/* Only after a divergence: force it. */
			vm_space_test_dispose_all(s->vs);
			(void)vm_space_destroy(s->vs);
		}
	}
	for (int i = 0; i < MODEL_FRAMES; i++) {
		if (pa_addr(m.frames[i].f.pa) != 0) {
			frame_drop(&m.frames[i].f);
		}
	}
	if (m.kpt_ok) {
		cpu_forget_root();
		pt_test_kernel_parent_release(m.kpt, m.kpt_owned);
	}
	pt_rcu_barrier();
}

/* ---------------------------------------------------------------------
 * Checks after every operation.
 * --------------------------------------------------------------------- */

bool in_registry(struct vm_space *vs, const struct mtoken *t)
{
	struct vm_space_test_token r;

	return vm_space_test_token_of(vs, &t->tok, t->kind, &r) &&
	       r.state == VM_IO_ACTIVE && r.va == t->va && r.len == t->len;
}

bool check_space(int i)
{
	struct mspace *s = &m.spaces[i];
	struct vm_space *slot = vm_space_checked(s->vs);
	unsigned int readers = 0;
	unsigned int writers = 0;

	if (!s->exists) {
		return true;
	}
	if (slot == NULL) {
		return ADD_FAILURE("the space's handle");
	}
	if (!vm_space_owner_inv(s->vs)) {
		return ADD_FAILURE("owner invariant");
	}
	for (unsigned int j = 0; j < MODEL_TOKENS; j++) {
		struct mtoken *t = &s->toks[j];

		if (!t->used) {
			continue;
		}
		/* An old life's token is another space's: refused. */
		bool ok = EXPECT_EQ(vm_space_io_state(s->vs, &t->tok),
				    t->life == s->life ? t->state
						       : VM_IO_REMOVED);

		ok = ok && (t->kind == VM_IO_READER
				    ? EXPECT_EQ(t->r.cursor, t->cursor) &&
					      EXPECT_EQ(t->r.end, t->end)
				    : EXPECT_EQ(t->w.cursor, t->cursor) &&
					      EXPECT_EQ(t->w.end, t->end));
		if (!ok) {
			return false;
		}
		if (t->life != s->life || t->state != VM_IO_ACTIVE) {
			continue;
		}
		if (t->kind == VM_IO_READER) {
			readers++;
		} else {
			writers++;
		}
		if (!in_registry(s->vs, t)) {
			return ADD_FAILURE("active token registered");
		}
	}
	if (s->destroyed) {
		return EXPECT_EQ(vm_space_is_destroyed(s->vs), 1) &&
		       EXPECT_EQ(vm_space_is_current(s->vs), 0);
	}
	struct vm_space_test_owner o = vm_space_test_owner(s->vs);

	return EXPECT_EQ(o.active_tokens, readers + writers) &&
	       EXPECT_EQ(o.reader_count, readers) &&
	       EXPECT_EQ(o.writer_count, writers) &&
	       EXPECT_EQ(o.active, s->active) &&
	       EXPECT_EQ(vm_space_is_current(s->vs), m.cur == i) &&
	       EXPECT_EQ(cpu_set_contains(&vm_space_test_pt(s->vs)->active_cpus,
					  arch_cpu_id()),
			 m.cur == i);
}

bool check_all(bool full)
{
	for (int i = 0; i < MODEL_SPACES; i++) {
		if (!check_space(i)) {
			return false;
		}
	}
	for (int k = 0; k < MODEL_FRAMES; k++) {
		uint64_t maps = 0;

		for (int i = 0; i < MODEL_SPACES; i++) {
			const struct mspace *s = &m.spaces[i];

			for (int p = 0;
			     s->exists && !s->destroyed && p < MODEL_PAGES;
			     p++) {
				maps += s->pages[p].frame == k;
			}
		}
		if (!EXPECT_EQ(frame_refcount(m.frames[k].f.pa), 1 + maps)) {
			return false;
		}
		if (full && memcmp(arch_paddr_to_ptr(m.frames[k].f.pa),
				   m.frames[k].bytes, P) != 0) {
			return ADD_FAILURE("frame bytes match the shadow");
		}
	}
	tally.full_checks += full;
	return true;
}

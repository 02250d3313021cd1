// SPDX-License-Identifier: MPL-2.0
/*
 * A randomized VmSpace-level model test (DESIGN.md §7, §8; TESTING.md I6):
 * random sequences of space creation and destruction, switching this
 * simulated CPU between up to three spaces, mapping and unmapping pages
 * of a small frame pool, reader and writer tokens going through create,
 * activate, dispose and remove (also stale, of the wrong kind, or shown to
 * the wrong space), and every kind of copy, each applied both to the real
 * spaces and to a model:
 *
 * - a shadow of every pool frame's bytes, reached through each space's
 *   model page table, so a copy's bytes, its exact partial count (the
 *   first page that is unmapped, or read-only for a write) and the cursor
 *   moves are predicted and compared;
 * - the expected error of every call, from the header's contract alone;
 * - the owner registry: after every operation each space's registry must
 *   hold exactly the model's active tokens, vm_space_owner_inv() must
 *   hold, every token's state and every cursor must match the model's, and
 *   every pool frame's refcount must be its handle plus its mappings.
 *
 * On a divergence it prints the seed, the operation's index and what
 * differed, and fails. It runs where a space can be installed on this CPU
 * (CONFIG_ARCH_USER_SPACES: the host, and the kernel ports with a kernel
 * page table, whose spaces sit on the kernel's own table).
 */

#include "ostd/arch/mm.h"
#include "ostd/arch/tlb.h"

#include "ostd/frame.h"
#include "ostd/internal/vm_space_testing.h"
#include "ostd/page_table.h"
#include "ostd/printf.h"
#include "ostd/pt_config.h"
#include "ostd/string.h"
#include "ostd/test.h"
#include "ostd/vm_space.h"

#include "../../core/mm/vm_space_internal.h"
#include "../lib/pt_test_util.h"
#include "../lib/pt_tlb_check.h"
#include "../lib/vm_model.h"

#if CONFIG_ARCH_HOST
#include "ostd/host/sim.h"
#endif
static uint8_t kbuf[KBUF_SIZE];
static uint8_t kexp[KBUF_SIZE];

/* ---------------------------------------------------------------------
 * Operations. Each returns false on a divergence.
 * --------------------------------------------------------------------- */

static struct vm_space_cursor cur;

/*
 * A random existing space (live only, if @p live), or NULL. Mostly the
 * current one, where readers and writers can work.
 */
static struct mspace *pick_space(uint64_t *rs, bool live)
{
	int start = (int)pt_test_rng_below(rs, MODEL_SPACES);

	if (m.cur >= 0 && pt_test_rng_pct(rs, 75)) {
		return &m.spaces[m.cur];
	}

	for (int k = 0; k < MODEL_SPACES; k++) {
		struct mspace *s = &m.spaces[(start + k) % MODEL_SPACES];

		if (s->exists && (!live || !s->destroyed)) {
			return s;
		}
	}
	return NULL;
}

/* What a token op would like to find, most of the time. */
enum want_tok {
	WANT_ANY,
	WANT_USABLE,   /* Active, of this life: copies, dispose. */
	WANT_INACTIVE, /* Created or disposed, of this life: activate. */
};

static bool tok_wanted(const struct mspace *s, const struct mtoken *t,
		       enum want_tok want)
{
	switch (want) {
	case WANT_USABLE:
		return tok_usable(s, t);
	case WANT_INACTIVE:
		return t->life == s->life && (t->state == VM_IO_CREATED ||
					      t->state == VM_IO_DISPOSED);
	case WANT_ANY:
		break;
	}
	return true;
}

/* A token of @p s (of @p kind, if >= 0), mostly as @p want says. */
static struct mtoken *pick_token(uint64_t *rs, struct mspace *s, int kind,
				 enum want_tok want)
{
	unsigned int start = (unsigned int)pt_test_rng_below(rs, MODEL_TOKENS);
	struct mtoken *any = NULL;

	if (pt_test_rng_pct(rs, 20)) {
		want = WANT_ANY;
	}
	for (unsigned int k = 0; k < MODEL_TOKENS; k++) {
		struct mtoken *t = &s->toks[(start + k) % MODEL_TOKENS];

		if (!t->used ||
		    (kind >= 0 && t->kind != (enum vm_io_kind)kind)) {
			continue;
		}
		if (tok_wanted(s, t, want)) {
			return t;
		}
		any = any == NULL ? t : any;
	}
	return any;
}

static bool op_new_space(uint64_t *rs)
{
	for (int i = 0; i < MODEL_SPACES; i++) {
		struct mspace *s = &m.spaces[i];

		if (s->exists && !s->destroyed) {
			continue;
		}
		bool shared = pt_test_rng_pct(rs, 50);

		if (!EXPECT_EQ(vm_space_new(&s->vs, m.kpt, shared),
			       tally_err(OSTD_OK))) {
			return false;
		}
		s->exists = true;
		s->destroyed = false;
		s->life = ++m.next_life;
		s->shared = shared;
		s->active = true;
		for (int p = 0; p < MODEL_PAGES; p++) {
			s->pages[p] = (struct mpage){ .frame = -1 };
		}
		return true;
	}
	return true;
}

static bool op_destroy(uint64_t *rs)
{
	struct mspace *s = pick_space(rs, false);

	if (s == NULL) {
		return true;
	}
	ostd_err_t want = OSTD_OK;

	if (s->destroyed) {
		want = OSTD_EBADSTATE;
	}
	for (unsigned int j = 0; want == OSTD_OK && j < MODEL_TOKENS; j++) {
		if (s->toks[j].used && tok_usable(s, &s->toks[j])) {
			want = OSTD_EBUSY;
		}
	}
	if (!EXPECT_EQ(vm_space_destroy(s->vs), tally_err(want))) {
		return false;
	}
	if (want == OSTD_OK) {
		s->destroyed = true;
		s->active = false;
		if (m.cur == s - m.spaces) {
			m.cur = -1;
		}
	}
	return true;
}

static bool op_activate_space(uint64_t *rs)
{
	struct mspace *s = pick_space(rs, false);

	if (s == NULL) {
		return true;
	}
	ostd_err_t want = s->destroyed ? OSTD_EBADSTATE : OSTD_OK;

	if (!EXPECT_EQ(vm_space_activate(s->vs), tally_err(want))) {
		return false;
	}
	if (want == OSTD_OK) {
		m.cur = (int)(s - m.spaces);
	}
	return true;
}

static bool op_toggle_active(uint64_t *rs)
{
	struct mspace *s = pick_space(rs, true);

	if (s != NULL) {
		/* Deactivation is owner state: the model sets the flag. An
		 * inactive owner comes back soon, or nothing gets created. */
		s->active = !s->active || pt_test_rng_pct(rs, 50);
		vm_space_test_set_owner_active(s->vs, s->active);
	}
	return true;
}

/* Maps a pool frame not yet mapped in the space (no aliasing inside one
 * space, so user -> user copies never overlap physically). */
static bool op_map(uint64_t *rs)
{
	struct mspace *s = pick_space(rs, false);

	if (s == NULL) {
		return true;
	}
	int p = (int)pt_test_rng_below(rs, MODEL_PAGES);
	int f = (int)pt_test_rng_below(rs, MODEL_FRAMES);

	for (int q = 0; q < MODEL_PAGES; q++) {
		if (s->pages[q].frame == f && !s->destroyed) {
			return true;
		}
	}
	bool writable = pt_test_rng_pct(rs, 70);
	uint64_t va = UBASE + (uint64_t)p * P;
	ostd_err_t err = vm_space_cursor_mut(s->vs, va, va + P, &cur);

	if (s->destroyed) {
		return EXPECT_EQ(err, tally_err(OSTD_EBADSTATE));
	}
	if (!EXPECT_EQ(err, tally_err(OSTD_OK))) {
		return false;
	}
	struct pt_prop prop = { .flags = PROT_R | (writable ? PROT_W : 0),
				.cache = PT_CACHE_WRITEBACK };

	err = vm_space_map_frame(&cur, m.frames[f].f.pa, prop);
	vm_space_cursor_drop(&cur);
	if (s->pages[p].frame >= 0) {
		return EXPECT_EQ(err, tally_err(OSTD_EEXIST));
	}
	if (!EXPECT_EQ(err, tally_err(OSTD_OK))) {
		return false;
	}
	s->pages[p] = (struct mpage){ .frame = f, .writable = writable };
	return true;
}

/*
 * Picks a live space and 1 to @p most of its pages from a random one, and
 * opens the mutable cursor over them. NULL with *ok true: no live space;
 * NULL with *ok false: the cursor failed (a divergence).
 */
static struct mspace *cursor_over_pages(uint64_t *rs, uint64_t most,
					uint64_t *p, uint64_t *n, bool *ok)
{
	struct mspace *s = pick_space(rs, true);

	*ok = true;
	if (s == NULL) {
		return NULL;
	}
	*p = pt_test_rng_below(rs, MODEL_PAGES);
	*n = 1 + pt_test_rng_below(rs, most);
	*n = *p + *n > MODEL_PAGES ? MODEL_PAGES - *p : *n;
	uint64_t va = UBASE + *p * P;

	*ok = EXPECT_EQ(vm_space_cursor_mut(s->vs, va, va + *n * P, &cur),
			tally_err(OSTD_OK));
	return *ok ? s : NULL;
}

static bool op_unmap(uint64_t *rs)
{
	uint64_t p;
	uint64_t n;
	bool ok;
	struct mspace *s = cursor_over_pages(rs, 3, &p, &n, &ok);

	if (s == NULL) {
		return ok;
	}
	ostd_err_t err = vm_space_cursor_unmap(&cur, n * P, NULL);

	vm_space_cursor_drop(&cur);
	for (uint64_t q = p; q < p + n; q++) {
		s->pages[q] = (struct mpage){ .frame = -1 };
	}
	return EXPECT_EQ(err, tally_err(OSTD_OK));
}

/*
 * Write-protects or unprotects a few pages with one protect_mask call;
 * now and then asks for a privileged bit, which is refused with nothing
 * changed.
 */
static bool op_protect(uint64_t *rs)
{
	uint64_t p;
	uint64_t n;
	bool ok;
	struct mspace *s = cursor_over_pages(rs, 4, &p, &n, &ok);

	if (s == NULL) {
		return ok;
	}
	bool writable = pt_test_rng_pct(rs, 50);
	uint32_t set = writable ? PROT_W : 0;
	uint32_t clear = writable ? 0 : PROT_W;
	bool bad = pt_test_rng_pct(rs, 10);
	uint64_t count = UINT64_MAX;
	uint64_t want = 0;

	if (bad) {
		static const uint32_t privileged[] = { PROT_USER, PT_GLOBAL,
						       PT_AVAIL1, PT_AVAIL2 };

		set |= privileged[pt_test_rng_below(rs, 4)];
	}
	ostd_err_t err =
		vm_space_cursor_protect_mask(&cur, n * P, set, clear, &count);
	vm_space_cursor_drop(&cur);
	if (bad) {
		return EXPECT_EQ(err, tally_err(OSTD_EPERM)) &&
		       EXPECT_EQ(count, UINT64_MAX);
	}
	for (uint64_t q = p; q < p + n; q++) {
		if (s->pages[q].frame >= 0) {
			s->pages[q].writable = writable;
			want++;
		}
	}
	return EXPECT_EQ(err, tally_err(OSTD_OK)) && EXPECT_EQ(count, want);
}

/*
 * A token slot to (re)use: free, removed, or of an earlier life; failing
 * that, a random one retired through the calls (dispose if active, then
 * remove), which must succeed. NULL after a divergence.
 */
static struct mtoken *free_token(uint64_t *rs, struct mspace *s)
{
	unsigned int start = (unsigned int)pt_test_rng_below(rs, MODEL_TOKENS);

	for (unsigned int k = 0; k < MODEL_TOKENS; k++) {
		struct mtoken *t = &s->toks[(start + k) % MODEL_TOKENS];

		if (!t->used || t->state == VM_IO_REMOVED ||
		    t->life != s->life) {
			return t;
		}
	}
	/* Preferably one that is used up. */
	struct mtoken *t = &s->toks[start];

	for (unsigned int k = 0; k < MODEL_TOKENS; k++) {
		if (s->toks[k].cursor == s->toks[k].end) {
			t = &s->toks[k];
		}
	}
	bool reader = t->kind == VM_IO_READER;

	if (t->state == VM_IO_ACTIVE) {
		if (!EXPECT_EQ(reader ? vm_space_dispose_reader(s->vs, &t->tok)
				      : vm_space_dispose_writer(s->vs, &t->tok),
			       tally_err(OSTD_OK))) {
			return NULL;
		}
		t->state = VM_IO_DISPOSED;
	}
	if (!EXPECT_EQ(reader ? vm_space_remove_reader(s->vs, &t->tok)
			      : vm_space_remove_writer(s->vs, &t->tok),
		       tally_err(OSTD_OK))) {
		return NULL;
	}
	t->state = VM_IO_REMOVED;
	return t;
}

/* A range: mostly in and around the window, sometimes bad. */
static void pick_range(uint64_t *rs, uint64_t *va, uint64_t *len)
{
	uint64_t window = MODEL_PAGES * P;

	switch (pt_test_rng_below(rs, 40)) {
	case 0:
		*va = 0;
		*len = 1 + pt_test_rng_below(rs, P);
		return;
	case 1:
		*va = UBASE + pt_test_rng_below(rs, window);
		*len = 0;
		return;
	case 2:
		*va = MAX_USER_VADDR - pt_test_rng_below(rs, 16);
		*len = 1 + pt_test_rng_below(rs, 32);
		return;
	case 3:
		*va = UINT64_MAX - pt_test_rng_below(rs, P);
		*len = 1 + pt_test_rng_below(rs, 2 * P);
		return;
	case 4:
	case 5:
	case 6:
	case 7:
	case 8:
	case 9:
		/* Whole pages: neighbours touch without overlapping. */
		*va = UBASE + pt_test_rng_below(rs, MODEL_PAGES) * P;
		*len = (1 + pt_test_rng_below(rs, 2)) * P;
		return;
	default:
		*va = UBASE + pt_test_rng_below(rs, window);
		*len = 1 + pt_test_rng_below(rs, window + P - (*va - UBASE));
		*len = *len > 3 * P ? 1 + pt_test_rng_below(rs, 3 * P) : *len;
		return;
	}
}

/* What create_reader / create_writer must return, in the header's order. */
static ostd_err_t m_create_err(const struct mspace *s, enum vm_io_kind kind,
			       uint64_t va, uint64_t len)
{
	if (s->destroyed) {
		return OSTD_EBADSTATE;
	}
	if (!s->active) {
		return OSTD_EINACTIVE;
	}
	if (m.cur != s - m.spaces) {
		return OSTD_ENOTCURRENT;
	}
	if (va == 0 || len == 0) {
		return OSTD_EINVAL;
	}
	if (va > MAX_USER_VADDR || len > MAX_USER_VADDR - va) {
		return OSTD_ERANGE;
	}
	return m_can_create(s, kind, va, len) ? OSTD_OK : OSTD_EBUSY;
}

static bool op_create(uint64_t *rs)
{
	struct mspace *s = pick_space(rs, false);

	if (s == NULL) {
		return true;
	}
	struct mtoken *t = free_token(rs, s);

	if (t == NULL) {
		return false;
	}
	enum vm_io_kind kind =
		pt_test_rng_pct(rs, 50) ? VM_IO_READER : VM_IO_WRITER;
	uint64_t va;
	uint64_t len;

	pick_range(rs, &va, &len);
	ostd_err_t want = m_create_err(s, kind, va, len);
	/* A refused create leaves the slot's old token alone. */
	static struct mtoken probe;

	probe = *t;
	probe.kind = kind;
	ostd_err_t err = kind == VM_IO_READER
				 ? vm_space_create_reader(s->vs, va, len,
							  &probe.r, &probe.tok)
				 : vm_space_create_writer(s->vs, va, len,
							  &probe.w, &probe.tok);

	if (!EXPECT_EQ(err, tally_err(want))) {
		return false;
	}
	if (err != OSTD_OK) {
		return EXPECT_EQ(1, vm_io_owner_eq(&probe.tok, &t->tok));
	}
	*t = probe;
	t->used = true;
	t->state = VM_IO_CREATED;
	t->life = s->life;
	t->va = va;
	t->len = len;
	t->cursor = va;
	t->end = va + len;
	if (!EXPECT_EQ(vm_space_io_state(s->vs, &t->tok), VM_IO_CREATED)) {
		return false;
	}
	/* Mostly put to work at once: nothing changed since the checks. */
	if (pt_test_rng_pct(rs, 30)) {
		return true;
	}
	err = kind == VM_IO_READER ? vm_space_activate_reader(s->vs, &t->tok)
				   : vm_space_activate_writer(s->vs, &t->tok);
	if (!EXPECT_EQ(err, tally_err(OSTD_OK))) {
		return false;
	}
	t->state = VM_IO_ACTIVE;
	return true;
}

/* Activate, dispose or remove: which = 0, 1, 2. */
static bool op_token(uint64_t *rs, int which)
{
	struct mspace *s = pick_space(rs, false);
	static const enum want_tok wants[] = { WANT_INACTIVE, WANT_USABLE,
					       WANT_INACTIVE };
	struct mtoken *t =
		s != NULL ? pick_token(rs, s, -1, wants[which]) : NULL;

	if (t == NULL) {
		return true;
	}
	/* Sometimes shown to another space, or as the other kind. */
	struct mspace *to = s;
	enum vm_io_kind as = t->kind;

	if (pt_test_rng_pct(rs, 5)) {
		to = pick_space(rs, false);
	}
	if (pt_test_rng_pct(rs, 5)) {
		as = t->kind == VM_IO_READER ? VM_IO_WRITER : VM_IO_READER;
	}
	bool same = to == s && as == t->kind && t->life == s->life;
	ostd_err_t want = OSTD_EBADSTATE;
	enum vm_io_state next = t->state;

	if (which == 0 && same && !s->destroyed &&
	    (t->state == VM_IO_CREATED || t->state == VM_IO_DISPOSED)) {
		want = !s->active ? OSTD_EINACTIVE
		       : m_can_create(s, t->kind, t->va, t->len) ? OSTD_OK
								 : OSTD_EBUSY;
		next = VM_IO_ACTIVE;
	} else if (which == 1 && same && tok_usable(s, t)) {
		want = OSTD_OK;
		next = VM_IO_DISPOSED;
	} else if (which == 2 && same &&
		   (t->state == VM_IO_CREATED || t->state == VM_IO_DISPOSED)) {
		/* Also for a destroyed space (vm_space.c's remove_io). */
		want = OSTD_OK;
		next = VM_IO_REMOVED;
	}
	ostd_err_t err;

	if (which == 0) {
		err = as == VM_IO_READER
			      ? vm_space_activate_reader(to->vs, &t->tok)
			      : vm_space_activate_writer(to->vs, &t->tok);
	} else if (which == 1) {
		err = as == VM_IO_READER
			      ? vm_space_dispose_reader(to->vs, &t->tok)
			      : vm_space_dispose_writer(to->vs, &t->tok);
	} else {
		err = as == VM_IO_READER
			      ? vm_space_remove_reader(to->vs, &t->tok)
			      : vm_space_remove_writer(to->vs, &t->tok);
	}
	if (!EXPECT_EQ(err, tally_err(want))) {
		return false;
	}
	if (want == OSTD_OK) {
		t->state = next;
	}
	return true;
}

/* User -> kernel, or kernel -> user, through one token. */
static bool op_copy_kernel(uint64_t *rs, bool to_user)
{
	struct mspace *s = pick_space(rs, false);
	struct mtoken *t =
		s != NULL ? pick_token(rs, s,
				       to_user ? VM_IO_WRITER : VM_IO_READER,
				       WANT_USABLE)
			  : NULL;

	if (t == NULL) {
		return true;
	}
	uint64_t left = t->end - t->cursor;
	uint64_t klen = pt_test_rng_pct(rs, 60)
				? pt_test_rng_below(rs, left + 1)
				: pt_test_rng_below(rs, KBUF_SIZE + 1);
	ostd_err_t want = side_err(s, t);
	uint64_t n = t->end - t->cursor < klen ? t->end - t->cursor : klen;
	uint64_t done = want == OSTD_OK ? m_run(s, t->cursor, n, to_user) : 0;
	uint64_t copied = UINT64_MAX;
	ostd_err_t err;

	if (want == OSTD_OK && done < n) {
		want = OSTD_EFAULT;
	}
	if (to_user) {
		uint64_t salt = pt_test_rng_next(rs);

		for (uint64_t i = 0; i < klen; i++) {
			kbuf[i] = (uint8_t)(salt + i * 7 + (i >> 8));
		}
		struct vm_reader kr = vm_reader_from_kernel(kbuf, klen);

		err = vm_reader_read(&kr, &t->w, &copied);
		if (!EXPECT_EQ(vm_reader_remain(&kr), klen - done)) {
			return false;
		}
	} else {
		memset(kbuf, 0xcc, KBUF_SIZE);
		struct vm_writer kw = vm_writer_from_kernel(kbuf, klen);

		err = vm_reader_read(&t->r, &kw, &copied);
		if (!EXPECT_EQ(vm_writer_avail(&kw), klen - done)) {
			return false;
		}
	}
	if (!EXPECT_EQ(err, tally_err(want)) || !EXPECT_EQ(copied, done)) {
		return false;
	}
	if (to_user) {
		m_copy(s, t->cursor, kbuf, done, true);
	} else {
		memset(kexp, 0xcc, KBUF_SIZE);
		m_copy(s, t->cursor, kexp, done, false);
		if (memcmp(kbuf, kexp, KBUF_SIZE) != 0) {
			return ADD_FAILURE("bytes read");
		}
	}
	t->cursor += done;
	tally.copies++;
	tally.bytes += done;
	tally.partial += want == OSTD_EFAULT;
	return true;
}

/* User -> user between a reader and a writer of one space. */
static bool op_copy_user(uint64_t *rs)
{
	struct mspace *s = pick_space(rs, false);
	struct mtoken *r =
		s != NULL ? pick_token(rs, s, VM_IO_READER, WANT_USABLE) : NULL;
	struct mtoken *w =
		s != NULL ? pick_token(rs, s, VM_IO_WRITER, WANT_USABLE) : NULL;

	if (r == NULL || w == NULL) {
		return true;
	}
	/* Without the registry they may overlap: not this model's case. */
	if (overlaps(r->va, r->len, w->va, w->len) && !m.registry) {
		return true;
	}
	ostd_err_t want = side_err(s, r);

	want = want == OSTD_OK ? side_err(s, w) : want;
	uint64_t n = r->end - r->cursor < w->end - w->cursor
			     ? r->end - r->cursor
			     : w->end - w->cursor;
	uint64_t done = 0;

	if (want == OSTD_OK) {
		done = m_run(s, r->cursor, n, false);
		done = m_run(s, w->cursor, done, true);
		want = done < n ? OSTD_EFAULT : OSTD_OK;
	}
	uint64_t copied = UINT64_MAX;
	ostd_err_t err = vm_reader_read(&r->r, &w->w, &copied);

	if (!EXPECT_EQ(err, tally_err(want)) || !EXPECT_EQ(copied, done)) {
		return false;
	}
	m_copy(s, r->cursor, kexp, done, false);
	m_copy(s, w->cursor, kexp, done, true);
	r->cursor += done;
	w->cursor += done;
	tally.copies++;
	tally.bytes += done;
	tally.partial += want == OSTD_EFAULT;
	return true;
}

/* read_val, write_val: all or nothing for the cursor. */
static bool op_val(uint64_t *rs, bool write)
{
	struct mspace *s = pick_space(rs, false);
	struct mtoken *t =
		s != NULL
			? pick_token(rs, s, write ? VM_IO_WRITER : VM_IO_READER,
				     WANT_USABLE)
			: NULL;

	if (t == NULL) {
		return true;
	}
	uint64_t size = 1 + pt_test_rng_below(rs, 8);
	uint8_t val[8];
	ostd_err_t want = OSTD_EINVAL;
	uint64_t reach = 0;

	for (unsigned int i = 0; i < sizeof(val); i++) {
		val[i] = (uint8_t)pt_test_rng_next(rs);
	}
	/* The reader's or writer's checks come first (vm_io.c). */
	want = side_err(s, t);
	if (want == OSTD_OK && t->end - t->cursor < size) {
		want = OSTD_EINVAL;
	}
	if (want == OSTD_OK) {
		reach = m_run(s, t->cursor, size, write);
		want = reach == size ? OSTD_OK : OSTD_EFAULT;
	}
	if (write) {
		if (!EXPECT_EQ(vm_writer_write_val(&t->w, val, size),
			       tally_err(want))) {
			return false;
		}
		/* The bytes before a fault stay written. */
		m_copy(s, t->cursor, val, reach, true);
	} else {
		uint8_t got[8];

		if (!EXPECT_EQ(vm_reader_read_val(&t->r, got, size),
			       tally_err(want))) {
			return false;
		}
		if (want == OSTD_OK) {
			m_copy(s, t->cursor, val, size, false);
			if (memcmp(got, val, size) != 0) {
				return ADD_FAILURE("read_val bytes");
			}
		}
	}
	t->cursor += want == OSTD_OK ? size : 0;
	return true;
}

static bool op_fill_zeros(uint64_t *rs)
{
	static uint8_t zeros[3 * P];
	struct mspace *s = pick_space(rs, false);
	struct mtoken *t =
		s != NULL ? pick_token(rs, s, VM_IO_WRITER, WANT_USABLE) : NULL;

	if (t == NULL) {
		return true;
	}
	uint64_t len = pt_test_rng_below(rs, 3 * P);
	ostd_err_t want = side_err(s, t);
	uint64_t n = t->end - t->cursor < len ? t->end - t->cursor : len;
	uint64_t done = want == OSTD_OK ? m_run(s, t->cursor, n, true) : 0;
	uint64_t got = UINT64_MAX;

	want = want == OSTD_OK && done < n ? OSTD_EFAULT : want;
	if (!EXPECT_EQ(vm_writer_fill_zeros(&t->w, len, &got),
		       tally_err(want)) ||
	    !EXPECT_EQ(got, done)) {
		return false;
	}
	m_copy(s, t->cursor, zeros, done, true);
	t->cursor += done;
	return true;
}

static bool op_skip_limit(uint64_t *rs)
{
	struct mspace *s = pick_space(rs, false);
	struct mtoken *t =
		s != NULL ? pick_token(rs, s, -1, WANT_USABLE) : NULL;

	if (t == NULL) {
		return true;
	}
	uint64_t left = t->end - t->cursor;

	if (pt_test_rng_pct(rs, 30)) {
		uint64_t n = pt_test_rng_below(rs, left + 2);

		ostd_err_t want = side_err(s, t);
		ostd_err_t err = t->kind == VM_IO_READER
					 ? vm_reader_limit(&t->r, n)
					 : vm_writer_limit(&t->w, n);

		if (!EXPECT_EQ(err, tally_err(want))) {
			return false;
		}
		t->end = want == OSTD_OK && n < left ? t->cursor + n : t->end;
		return true;
	}
	/* Often to the next 4-byte boundary, for the atomics. */
	uint64_t n = pt_test_rng_pct(rs, 50) ? (4 - (t->cursor & 3)) & 3
					     : pt_test_rng_below(rs, left + 2);
	ostd_err_t err = t->kind == VM_IO_READER ? vm_reader_skip(&t->r, n)
						 : vm_writer_skip(&t->w, n);

	ostd_err_t want = side_err(s, t);

	if (want == OSTD_OK && n > left) {
		want = OSTD_EINVAL;
	}
	if (!EXPECT_EQ(err, tally_err(want))) {
		return false;
	}
	t->cursor += want != OSTD_OK ? 0 : n;
	return true;
}

static bool op_atomic(uint64_t *rs, bool cmpxchg)
{
	struct mspace *s = pick_space(rs, false);
	struct mtoken *t =
		s != NULL ? pick_token(rs, s,
				       cmpxchg ? VM_IO_WRITER : VM_IO_READER,
				       WANT_USABLE)
			  : NULL;

	if (t == NULL) {
		return true;
	}
	ostd_err_t want = OSTD_EINVAL;
	uint32_t cur_val = 0;
	uint8_t *b = NULL;

	want = side_err(s, t);
	if (want == OSTD_OK &&
	    (t->end - t->cursor < 4 || (t->cursor & 3) != 0)) {
		want = OSTD_EINVAL;
	}
	if (want == OSTD_OK) {
		b = m_byte(s, t->cursor, cmpxchg);
		want = b != NULL ? OSTD_OK : OSTD_EFAULT;
	}
	if (b != NULL) {
		memcpy(&cur_val, b, 4);
	}
	uint32_t got = 0;

	if (!cmpxchg) {
		return EXPECT_EQ(vm_reader_atomic_load(&t->r, &got),
				 tally_err(want)) &&
		       (want != OSTD_OK || EXPECT_EQ(got, cur_val));
	}
	uint32_t expected = pt_test_rng_pct(rs, 50)
				    ? cur_val
				    : (uint32_t)pt_test_rng_next(rs);
	uint32_t new_val = (uint32_t)pt_test_rng_next(rs);

	if (!EXPECT_EQ(vm_writer_atomic_cmpxchg(&t->w, expected, new_val, &got),
		       tally_err(want))) {
		return false;
	}
	if (want != OSTD_OK) {
		return true;
	}
	if (cur_val == expected) {
		memcpy(b, &new_val, 4);
	}
	return EXPECT_EQ(got, cur_val);
}

static bool run_op(uint64_t *rs)
{
	unsigned int k = (unsigned int)pt_test_rng_below(rs, 100);

	if (k < 3) {
		return op_new_space(rs);
	}
	if (k < 5) {
		return op_destroy(rs);
	}
	if (k < 12) {
		return op_activate_space(rs);
	}
	if (k < 13) {
		return op_toggle_active(rs);
	}
	if (k < 25) {
		return op_map(rs);
	}
	if (k < 28) {
		return op_unmap(rs);
	}
	if (k < 30) {
		return op_protect(rs);
	}
	if (k < 40) {
		return op_create(rs);
	}
	if (k < 48) {
		return op_token(rs, 0);
	}
	if (k < 54) {
		return op_token(rs, 1);
	}
	if (k < 58) {
		return op_token(rs, 2);
	}
	if (k < 68) {
		return op_copy_kernel(rs, false);
	}
	if (k < 76) {
		return op_copy_kernel(rs, true);
	}
	if (k < 81) {
		return op_copy_user(rs);
	}
	if (k < 84) {
		return op_val(rs, false);
	}
	if (k < 87) {
		return op_val(rs, true);
	}
	if (k < 89) {
		return op_fill_zeros(rs);
	}
	if (k < 94) {
		return op_skip_limit(rs);
	}
	if (k < 97) {
		return op_atomic(rs, false);
	}
	return op_atomic(rs, true);
}

/* One seed: 0 if the real spaces matched the model throughout. */
static unsigned int run_seed(const struct pt_config *cfg, uint64_t seed)
{
	uint64_t rs = seed * 0x2545f4914f6cdd1dULL + 1;
	unsigned int failed_at = 0;

	if (!model_begin(cfg, seed)) {
		model_end();
		return 1;
	}
	for (m.op = 0; m.op < MODEL_OPS; m.op++) {
		tally.ops++;
		/*
		 * The copies go through the simulated CPU's TLB; after every
		 * operation no TLB may translate into a freed frame
		 * (DESIGN.md §6).
		 */
		if (!run_op(&rs) ||
		    !check_all((m.op + 1) % FULL_CHECK_OPS == 0) ||
		    pt_test_tlb_freed_frames() != 0) {
			failed_at = m.op + 1;
			break;
		}
	}
	if (failed_at == 0 && !check_all(true)) {
		failed_at = MODEL_OPS;
	}
	if (failed_at != 0) {
		/* The expectation that failed said what and where. */
		ostd_printf("vm_model: %s seed %llu diverged at op %u\n",
			    cfg->name, (unsigned long long)seed, failed_at - 1);
	}
	model_end();
	return failed_at;
}

TEST_FORMAT(vm_model, random_ops_match_the_model)
{
	unsigned int divergences = 0;

	/*
	 * User copies need a space installed on this CPU (a port without
	 * a kernel page table cannot). Spaces exist for user formats
	 * only.
	 */
	if (!IS_ENABLED(CONFIG_ARCH_USER_SPACES) || !cfg->top_level_can_unmap) {
		return;
	}
	memset(&tally, 0, sizeof(tally));
	for (uint64_t seed = 1; seed <= MODEL_SEEDS; seed++) {
		divergences += run_seed(cfg, seed) != 0;
	}
	ostd_printf("vm_model: %s: %llu ops over %u seeds, %u divergences; "
		    "%llu copies (%llu bytes, %llu stopped by a fault); "
		    "%llu full checks; outcomes:",
		    cfg->name, (unsigned long long)tally.ops, MODEL_SEEDS,
		    divergences, (unsigned long long)tally.copies,
		    (unsigned long long)tally.bytes,
		    (unsigned long long)tally.partial,
		    (unsigned long long)tally.full_checks);
	for (unsigned int e = 0; e < OSTD_ERR_COUNT; e++) {
		if (tally.errs[e] != 0) {
			ostd_printf(" %s %llu", ostd_err_name((ostd_err_t)e),
				    (unsigned long long)tally.errs[e]);
		}
	}
	ostd_printf("\n");
	ASSERT_EQ(divergences, 0);
}

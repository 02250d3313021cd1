// SPDX-License-Identifier: MPL-2.0
/*
 * A VmSpace's run-time owner (DESIGN.md §7): the token table (the
 * registry), the invariant over it, and the token life cycle (create,
 * activate, dispose, remove). The comments name the vostd clause each
 * check stands for. Every function takes the space's lock, and no other.
 */

#include "ostd/assert.h"
#include "ostd/config.h"
#include "ostd/math.h"
#include "ostd/vm_space.h"

#include "vm_space_internal.h"

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	/* Non-empty ranges inside user space: no sum can wrap. */
	return a < b + blen && b < a + alen;
}

static unsigned int *count_of(struct vm_space *vs, enum vm_io_kind kind)
{
	return kind == VM_IO_READER ? &vs->owner.reader_count
				    : &vs->owner.writer_count;
}

static unsigned int count_of_const(const struct vm_space *vs,
				   enum vm_io_kind kind)
{
	return kind == VM_IO_READER ? vs->owner.reader_count
				    : vs->owner.writer_count;
}

/*
 * An active token of @p kind other than slot @p skip overlaps the range.
 * Scans the kind's active list only: with no other token active this is
 * no loop at all.
 */
static bool overlaps_active(const struct vm_space *vs, enum vm_io_kind kind,
			    unsigned int skip, uint64_t va, uint64_t len)
{
	const uint8_t *list = vs->index.active[kind];
	unsigned int n = count_of_const(vs, kind);

	for (unsigned int k = 0; k < n; k++) {
		unsigned int i = list[k];
		const struct vm_io_slot *t = &vs->tokens[i];

		if (i != skip && overlaps(t->va, t->len, va, len)) {
			return true;
		}
	}
	return false;
}

/* Slot @p i of @p kind becomes active: appended to its kind's list. */
static void active_add(struct vm_space *vs, unsigned int i,
		       enum vm_io_kind kind)
{
	unsigned int *count = count_of(vs, kind);

	CHECK(*count < VM_SPACE_MAX_IO);
	vs->index.active[kind][*count] = (uint8_t)i;
	vs->index.pos[i] = (uint8_t)*count;
	(*count)++;
	vs->owner.active_tokens++;
}

/* Slot @p i of @p kind stops being active: the list's last takes its place. */
static void active_del(struct vm_space *vs, unsigned int i,
		       enum vm_io_kind kind)
{
	unsigned int *count = count_of(vs, kind);
	uint8_t *list = vs->index.active[kind];
	unsigned int p = vs->index.pos[i];

	CHECK(vs->owner.active_tokens > 0 && *count > 0 && p < *count &&
	      list[p] == i);
	(*count)--;
	vs->owner.active_tokens--;
	list[p] = list[*count];
	vs->index.pos[list[p]] = (uint8_t)p;
}

static bool slot_used(const struct vm_space *vs, unsigned int i)
{
	return (vs->index.used[i / 64] >> (i % 64)) & 1;
}

/* The lowest free slot, or VM_SPACE_MAX_TOKENS when the table is full. */
static unsigned int free_slot(const struct vm_space *vs)
{
	for (unsigned int w = 0; w < VM_SPACE_TOKEN_WORDS; w++) {
		uint64_t free = ~vs->index.used[w];

		if (free != 0) {
			unsigned int i =
				w * 64 + (unsigned int)__builtin_ctzll(free);

			return i < VM_SPACE_MAX_TOKENS ? i
						       : VM_SPACE_MAX_TOKENS;
		}
	}
	return VM_SPACE_MAX_TOKENS;
}

static void set_used(struct vm_space *vs, unsigned int i, bool used)
{
	uint64_t bit = 1ULL << (i % 64);

	vs->index.used[i / 64] = used ? vs->index.used[i / 64] | bit
				      : vs->index.used[i / 64] & ~bit;
}

/* vostd VmSpaceOwner::can_create_reader / can_create_writer. Lock held. */
static bool can_create(const struct vm_space *vs, enum vm_io_kind kind,
		       unsigned int skip, uint64_t va, uint64_t len)
{
	if (!IS_ENABLED(CONFIG_VM_OWNER_REGISTRY)) {
		return true;
	}
	if (overlaps_active(vs, VM_IO_WRITER, skip, va, len)) {
		return false;
	}
	if (kind == VM_IO_WRITER || !vs->owner.shared_reader) {
		return !overlaps_active(vs, VM_IO_READER, skip, va, len);
	}
	return true;
}

/* The invariant over the token table. Lock held. */
static bool owner_inv_locked(const struct vm_space *vs)
{
	unsigned int readers = 0;
	unsigned int writers = 0;

	for (unsigned int i = 0; i < VM_SPACE_MAX_TOKENS; i++) {
		const struct vm_io_slot *t = &vs->tokens[i];

		if (slot_used(vs, i) != (t->id != 0)) {
			return false; /* The bitmap says what the table says. */
		}
		if (t->id == 0) {
			continue;
		}
		if (t->id >= vs->next_token ||
		    !range_within(t->va, t->len, 0, MAX_USER_VADDR) ||
		    t->va == 0 || t->len == 0) {
			return false;
		}
		if (t->state != VM_IO_ACTIVE) {
			continue;
		}
		/* It sits in its kind's active list, where pos says. */
		unsigned int p = vs->index.pos[i];

		if (p >= count_of_const(vs, t->kind) ||
		    vs->index.active[t->kind][p] != i) {
			return false;
		}
		*(t->kind == VM_IO_READER ? &readers : &writers) += 1;
		if (IS_ENABLED(CONFIG_VM_OWNER_REGISTRY) &&
		    !can_create(vs, t->kind, i, t->va, t->len)) {
			return false;
		}
	}
	return readers == vs->owner.reader_count &&
	       writers == vs->owner.writer_count &&
	       readers + writers == vs->owner.active_tokens;
}

bool vm_space_owner_inv(struct vm_space *vs)
{
	vs = vm_space_checked(vs);
	if (vs == NULL) {
		return false;
	}
	spin_lock(&vs->lock);
	bool ok = owner_inv_locked(vs);

	spin_unlock(&vs->lock);
	return ok;
}

/*
 * The slot @p t names in @p vs, if it is live (created, active or
 * disposed) and of @p kind; NULL otherwise. Lock held.
 */
static struct vm_io_slot *
slot_of(struct vm_space *vs, const struct vm_io_owner *t, enum vm_io_kind kind)
{
	if (t == NULL || t->space_id != vs->id ||
	    t->slot >= VM_SPACE_MAX_TOKENS || t->id == 0) {
		return NULL;
	}
	struct vm_io_slot *s = &vs->tokens[t->slot];

	return s->id == t->id && s->kind == kind ? s : NULL;
}

struct vm_io_slot *vm_space_slot_locked(struct vm_space *vs,
					const struct vm_io_owner *t,
					enum vm_io_kind kind)
{
	return slot_of(vs, t, kind);
}

/*
 * The checks of vostd's reader_requires / writer_requires, in order, one
 * error each. Lock held.
 */
static ostd_err_t create_check(const struct vm_space *vs, enum vm_io_kind kind,
			       uint64_t va, uint64_t len)
{
	if (vs->destroyed) {
		return OSTD_EBADSTATE;
	}
	if (!vs->owner.active) {
		return OSTD_EINACTIVE; /* requires owner.active */
	}
	if (!vm_space_slot_is_current(vs)) {
		/* requires: this CPU's page table is this space's root. */
		return OSTD_ENOTCURRENT;
	}
	if (va == 0 || len == 0) {
		return OSTD_EINVAL; /* requires vaddr != 0 && len > 0 */
	}
	if (!range_within(va, len, 0, MAX_USER_VADDR)) {
		/* requires vaddr + len <= MAX_USERSPACE_VADDR (no wrap). */
		return OSTD_ERANGE;
	}
	if (!can_create(vs, kind, VM_SPACE_MAX_TOKENS, va, len)) {
		return OSTD_EBUSY; /* requires can_create_reader/writer */
	}
	if ((kind == VM_IO_READER
		     ? vs->owner.reader_count
		     : vs->owner.writer_count) == VM_SPACE_MAX_IO) {
		return OSTD_ENOMEM; /* The registry is full. */
	}
	return OSTD_OK;
}

ostd_err_t vm_space_io_create(struct vm_space *vs, enum vm_io_kind kind,
			      uint64_t va, uint64_t len,
			      struct vm_io_owner *token)
{
	vs = vm_space_checked(vs);
	CHECKIF (vs == NULL || token == NULL) {
		return OSTD_EINVAL;
	}
	spin_lock(&vs->lock);
	ostd_err_t err = create_check(vs, kind, va, len);
	unsigned int slot = free_slot(vs);

	if (err == OSTD_OK && slot == VM_SPACE_MAX_TOKENS) {
		err = OSTD_ENOMEM; /* The token table is full. */
	}
	if (err == OSTD_OK) {
		unsigned int active = vs->owner.active_tokens;

		CHECK(vs->tokens[slot].id == 0);
		set_used(vs, slot, true);
		vs->tokens[slot] = (struct vm_io_slot){
			.id = vs->next_token++,
			.kind = kind,
			.state = VM_IO_CREATED,
			.va = va,
			.len = len,
		};
		*token = (struct vm_io_owner){
			.space_id = vs->id,
			.id = vs->tokens[slot].id,
			.slot = slot,
		};
		/* ensures: the registry is unchanged; the token has no view. */
		ASSERT(vs->owner.active_tokens == active);
		ASSERT(owner_inv_locked(vs));
	}
	spin_unlock(&vs->lock);
	return err;
}

ostd_err_t vm_space_create_reader(struct vm_space *vs, uint64_t va,
				  uint64_t len, struct vm_user_reader *reader,
				  struct vm_io_owner *token)
{
	CHECKIF (reader == NULL) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = vm_space_io_create(vs, VM_IO_READER, va, len, token);

	if (err == OSTD_OK) {
		*reader = (struct vm_user_reader){ .cursor = va,
						   .end = va + len,
						   .space = vs,
						   .owner = *token };
	}
	return err;
}

ostd_err_t vm_space_create_writer(struct vm_space *vs, uint64_t va,
				  uint64_t len, struct vm_user_writer *writer,
				  struct vm_io_owner *token)
{
	CHECKIF (writer == NULL) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = vm_space_io_create(vs, VM_IO_WRITER, va, len, token);

	if (err == OSTD_OK) {
		*writer = (struct vm_user_writer){ .cursor = va,
						   .end = va + len,
						   .space = vs,
						   .owner = *token };
	}
	return err;
}

/*
 * Checks the handles and takes the space's lock for a call on token @p t
 * of @p kind: returns the space's slot (NULL: a bad handle, nothing
 * locked) and puts the token's live slot, or NULL, in *@p s.
 */
static struct vm_space *lock_token(struct vm_space *vs,
				   const struct vm_io_owner *t,
				   enum vm_io_kind kind, struct vm_io_slot **s)
{
	vs = vm_space_checked(vs);
	if (vs == NULL || t == NULL) {
		return NULL;
	}
	spin_lock(&vs->lock);
	*s = slot_of(vs, t, kind);
	return vs;
}

ostd_err_t vm_space_io_activate(struct vm_space *vs,
				const struct vm_io_owner *t,
				enum vm_io_kind kind)
{
	struct vm_io_slot *s;

	vs = lock_token(vs, t, kind, &s);
	CHECKIF (vs == NULL) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = OSTD_OK;
	unsigned int *count = count_of(vs, kind);

	if (s == NULL || vs->destroyed || s->state == VM_IO_ACTIVE) {
		err = OSTD_EBADSTATE;
	} else if (!vs->owner.active) {
		err = OSTD_EINACTIVE; /* requires owner.active */
	} else if (!can_create(vs, kind, t->slot, s->va, s->len)) {
		err = OSTD_EBUSY;
	} else if (*count == VM_SPACE_MAX_IO) {
		err = OSTD_ENOMEM;
	}
	if (err == OSTD_OK) {
		active_add(vs, t->slot, kind);
		s->state = VM_IO_ACTIVE;
		ASSERT(owner_inv_locked(vs));
	}
	spin_unlock(&vs->lock);
	return err;
}

ostd_err_t vm_space_io_dispose(struct vm_space *vs, const struct vm_io_owner *t,
			       enum vm_io_kind kind)
{
	struct vm_io_slot *s;

	vs = lock_token(vs, t, kind, &s);
	CHECKIF (vs == NULL) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = OSTD_EBADSTATE;

	if (s != NULL && !vs->destroyed && s->state == VM_IO_ACTIVE) {
		active_del(vs, t->slot, kind);
		s->state = VM_IO_DISPOSED;
		err = OSTD_OK;
		ASSERT(owner_inv_locked(vs));
	}
	spin_unlock(&vs->lock);
	return err;
}

ostd_err_t vm_space_io_remove(struct vm_space *vs, const struct vm_io_owner *t,
			      enum vm_io_kind kind)
{
	struct vm_io_slot *s;

	vs = lock_token(vs, t, kind, &s);
	CHECKIF (vs == NULL) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = OSTD_EBADSTATE;

	/* Also in a destroyed space: that is how a holder cleans up. */
	if (s != NULL && s->state != VM_IO_ACTIVE) {
		/* Its number is never handed out again. */
		*s = (struct vm_io_slot){ .id = 0 };
		set_used(vs, t->slot, false);
		err = OSTD_OK;
	}
	spin_unlock(&vs->lock);
	return err;
}

ostd_err_t vm_space_activate_reader(struct vm_space *vs,
				    const struct vm_io_owner *token)
{
	return vm_space_io_activate(vs, token, VM_IO_READER);
}

ostd_err_t vm_space_activate_writer(struct vm_space *vs,
				    const struct vm_io_owner *token)
{
	return vm_space_io_activate(vs, token, VM_IO_WRITER);
}

ostd_err_t vm_space_dispose_reader(struct vm_space *vs,
				   const struct vm_io_owner *token)
{
	return vm_space_io_dispose(vs, token, VM_IO_READER);
}

ostd_err_t vm_space_dispose_writer(struct vm_space *vs,
				   const struct vm_io_owner *token)
{
	return vm_space_io_dispose(vs, token, VM_IO_WRITER);
}

ostd_err_t vm_space_remove_reader(struct vm_space *vs,
				  const struct vm_io_owner *token)
{
	return vm_space_io_remove(vs, token, VM_IO_READER);
}

ostd_err_t vm_space_remove_writer(struct vm_space *vs,
				  const struct vm_io_owner *token)
{
	return vm_space_io_remove(vs, token, VM_IO_WRITER);
}

enum vm_io_state vm_space_io_state(struct vm_space *vs,
				   const struct vm_io_owner *token)
{
	struct vm_io_slot *s;

	vs = lock_token(vs, token, VM_IO_READER, &s);
	if (vs == NULL) {
		return VM_IO_REMOVED;
	}
	if (s == NULL) {
		s = slot_of(vs, token, VM_IO_WRITER);
	}
	enum vm_io_state st = s == NULL ? VM_IO_REMOVED : s->state;

	spin_unlock(&vs->lock);
	return st;
}

/* ---------------------------------------------------------------------
 * Test-only.
 * --------------------------------------------------------------------- */

void vm_space_test_set_owner_active(struct vm_space *vs, bool active)
{
	vs = vm_space_checked(vs);
	CHECK(vs != NULL);
	spin_lock(&vs->lock);
	vs->owner.active = active && !vs->destroyed;
	spin_unlock(&vs->lock);
}

void vm_space_test_dispose_all(struct vm_space *vs)
{
	vs = vm_space_checked(vs);
	CHECK(vs != NULL);
	spin_lock(&vs->lock);
	for (unsigned int i = 0; i < VM_SPACE_MAX_TOKENS; i++) {
		if (vs->tokens[i].id != 0 &&
		    vs->tokens[i].state == VM_IO_ACTIVE) {
			active_del(vs, i, vs->tokens[i].kind);
			vs->tokens[i].state = VM_IO_DISPOSED;
		}
	}
	spin_unlock(&vs->lock);
}

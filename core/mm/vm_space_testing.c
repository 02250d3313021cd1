// SPDX-License-Identifier: MPL-2.0
/*
 * The tests' view of a space's owner state (ostd/internal/vm_space_testing.h):
 * copies taken under the space's lock, so that the tests never touch the
 * fields themselves.
 */

#include "ostd/internal/vm_space_testing.h"

#include "ostd/assert.h"
#include "ostd/string.h"

#include "vm_space_internal.h"

struct snap {
	struct vm_space_owner owner;
	struct vm_io_slot tokens[VM_SPACE_MAX_TOKENS];
	struct vm_io_index index;
	uint64_t id;
	uint64_t next_token;
	bool destroyed;
};

/* Static: a token table is several KiB and kernel tests run on a small stack. */
static struct snap snaps[VM_SPACE_TEST_SNAPS];

static struct vm_space *slot_locked(struct vm_space *vs)
{
	struct vm_space *slot = vm_space_checked(vs);

	CHECK(slot != NULL);
	spin_lock(&slot->lock);
	return slot;
}

struct vm_space_test_owner vm_space_test_owner(struct vm_space *vs)
{
	struct vm_space *slot = slot_locked(vs);
	struct vm_space_test_owner o = {
		.active = slot->owner.active,
		.shared_reader = slot->owner.shared_reader,
		.active_tokens = slot->owner.active_tokens,
		.reader_count = slot->owner.reader_count,
		.writer_count = slot->owner.writer_count,
	};

	spin_unlock(&slot->lock);
	return o;
}

unsigned int vm_space_test_active_tokens(struct vm_space *vs)
{
	return vm_space_test_owner(vs).active_tokens;
}

uint64_t vm_space_test_id(struct vm_space *vs)
{
	struct vm_space *slot = slot_locked(vs);
	uint64_t id = slot->id;

	spin_unlock(&slot->lock);
	return id;
}

bool vm_space_test_id_stale(struct vm_space *vs, uint64_t space_id)
{
	struct vm_space *slot = slot_locked(vs);
	bool stale = slot->destroyed || slot->id != space_id;

	spin_unlock(&slot->lock);
	return stale;
}

struct page_table *vm_space_test_pt(const struct vm_space *vs)
{
	struct vm_space *slot = vm_space_checked(vs);

	CHECK(slot != NULL);
	return &slot->pt;
}

static void token_copy(const struct vm_io_slot *t,
		       struct vm_space_test_token *out)
{
	*out = (struct vm_space_test_token){
		.id = t->id,
		.kind = t->kind,
		.state = t->state,
		.va = t->va,
		.len = t->len,
	};
}

bool vm_space_test_token_of(struct vm_space *vs, const struct vm_io_owner *t,
			    enum vm_io_kind kind,
			    struct vm_space_test_token *out)
{
	struct vm_space *slot = slot_locked(vs);
	const struct vm_io_slot *r = vm_space_slot_locked(slot, t, kind);

	if (r != NULL) {
		token_copy(r, out);
	}
	spin_unlock(&slot->lock);
	return r != NULL;
}

bool vm_space_test_token(struct vm_space *vs, unsigned int slot_index,
			 struct vm_space_test_token *out)
{
	if (slot_index >= VM_SPACE_MAX_TOKENS) {
		return false;
	}
	struct vm_space *slot = slot_locked(vs);
	token_copy(&slot->tokens[slot_index], out);
	spin_unlock(&slot->lock);
	return true;
}

void vm_space_test_snap_take(struct vm_space *vs, unsigned int i)
{
	CHECK(i < VM_SPACE_TEST_SNAPS);
	struct vm_space *slot = slot_locked(vs);
	struct snap *s = &snaps[i];

	s->owner = slot->owner;
	memcpy(s->tokens, slot->tokens, sizeof(s->tokens));
	s->index = slot->index;
	s->id = slot->id;
	s->next_token = slot->next_token;
	s->destroyed = slot->destroyed;
	spin_unlock(&slot->lock);
}

bool vm_space_test_snap_same(struct vm_space *vs, unsigned int i)
{
	CHECK(i < VM_SPACE_TEST_SNAPS);
	struct vm_space *slot = slot_locked(vs);
	const struct vm_space_owner *o = &slot->owner;
	const struct snap *s = &snaps[i];
	const struct vm_space_owner *p = &s->owner;
	bool same = o->active == p->active &&
		    o->shared_reader == p->shared_reader &&
		    o->active_tokens == p->active_tokens &&
		    o->reader_count == p->reader_count &&
		    o->writer_count == p->writer_count &&
		    memcmp(slot->tokens, s->tokens, sizeof(s->tokens)) == 0 &&
		    memcmp(&slot->index, &s->index, sizeof(s->index)) == 0 &&
		    slot->id == s->id && slot->next_token == s->next_token &&
		    slot->destroyed == s->destroyed;

	spin_unlock(&slot->lock);
	/* The invariant takes the lock itself. */
	return same && vm_space_owner_inv(vs);
}

// SPDX-License-Identifier: MPL-2.0
/*
 * A read-only flattened device tree walker (Devicetree Specification v0.4,
 * chapter 5). The structure block is a token stream: BEGIN_NODE name,
 * PROP len nameoff value, END_NODE, NOP, END (5.4.1). Properties precede
 * child nodes (5.4.2), so when a node ends we know everything about it,
 * and a node's #address-cells / #size-cells are known before its children.
 *
 * Every read is checked against the block it belongs to, so a malformed
 * blob yields OSTD_EINVAL rather than a wild read.
 */

#include "ostd/fdt.h"

#include <stddef.h>
#include <stdint.h>

#include "ostd/assert.h"

#define FDT_MAGIC 0xd00dfeedU
#define FDT_BEGIN_NODE 1U
#define FDT_END_NODE 2U
#define FDT_PROP 3U
#define FDT_NOP 4U
#define FDT_END 9U
#define FDT_MAX_DEPTH 16
#define FDT_HEADER_SIZE 40U

/* Header field offsets, 5.2. */
#define HDR_MAGIC 0
#define HDR_TOTALSIZE 4
#define HDR_OFF_STRUCT 8
#define HDR_OFF_STRINGS 12
#define HDR_OFF_RSVMAP 16
#define HDR_VERSION 20
#define HDR_LAST_COMP 24
#define HDR_SIZE_STRINGS 32
#define HDR_SIZE_STRUCT 36

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint32_t hdr(const void *fdt, unsigned int off)
{
	return be32((const uint8_t *)fdt + off);
}

static bool block_ok(uint32_t total, uint32_t off, uint32_t size)
{
	return off <= total && size <= total - off;
}

ostd_err_t ostd_fdt_check(const void *fdt)
{
	CHECKIF (fdt == NULL) {
		return OSTD_EINVAL;
	}
	uint32_t total = hdr(fdt, HDR_TOTALSIZE);

	CHECKIF (hdr(fdt, HDR_MAGIC) != FDT_MAGIC || total < FDT_HEADER_SIZE) {
		return OSTD_EINVAL;
	}
	/* Version 17 blobs, and newer ones that stay compatible with 16. */
	CHECKIF (hdr(fdt, HDR_VERSION) < 17 || hdr(fdt, HDR_LAST_COMP) > 17) {
		return OSTD_EINVAL;
	}
	CHECKIF (!block_ok(total, hdr(fdt, HDR_OFF_STRUCT),
			   hdr(fdt, HDR_SIZE_STRUCT)) ||
		 !block_ok(total, hdr(fdt, HDR_OFF_STRINGS),
			   hdr(fdt, HDR_SIZE_STRINGS)) ||
		 !block_ok(total, hdr(fdt, HDR_OFF_RSVMAP), 16) ||
		 (hdr(fdt, HDR_OFF_STRUCT) & 3) != 0) {
		return OSTD_EINVAL;
	}
	return OSTD_OK;
}

uint32_t ostd_fdt_size(const void *fdt)
{
	return hdr(fdt, HDR_TOTALSIZE);
}

/* What the walker knows about one open node. */
struct node {
	const char *name;
	uint32_t addr_cells; /* For this node's children. */
	uint32_t size_cells;
	const uint8_t *reg;
	uint32_t reg_len;
	bool is_memory;
	bool compat_match;
	bool disabled;
	bool resv_container; /* This is /reserved-memory. */
	bool on_path; /* Matches the first `depth` components of the path. */
	const char *path_value;
	/* The same property, as raw bytes (any value). */
	const uint8_t *path_raw;
	uint32_t path_raw_len;
};

struct walk {
	const uint8_t *fdt;
	const uint8_t *strings;
	uint32_t strings_size;
	/* Query inputs. */
	const char *compat;
	const char *path;
	const char *prop;
	uint32_t reg_index;
	/* Results. */
	struct ostd_boot_info *info;
	ostd_err_t err;
	unsigned int mem_added;
	bool found;
	uint64_t base;
	uint64_t size;
	const char *string;
	const uint8_t *raw;
	uint32_t raw_len;
	/* ostd_fdt_child_name(): the child wanted, and how many went by. */
	bool child_query;
	uint32_t child_index;
	uint32_t child_seen;
	const char *child_name;
};

static size_t str_nlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] != '\0') {
		n++;
	}
	return n;
}

static bool str_eq(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* True if the NUL-separated string list [p, p+len) contains @p s. */
static bool list_contains(const uint8_t *p, uint32_t len, const char *s)
{
	uint32_t i = 0;

	while (i < len) {
		const char *item = (const char *)p + i;
		size_t n = str_nlen(item, len - i);

		if (n == len - i) {
			return false; /* Unterminated. */
		}
		if (str_eq(item, s)) {
			return true;
		}
		i += (uint32_t)n + 1;
	}
	return false;
}

/* Reads @p cells big-endian 32-bit cells (1 or 2) as one number. */
static uint64_t read_cells(const uint8_t *p, uint32_t cells)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < cells; i++) {
		v = v << 32 | be32(p + (size_t)4 * i);
	}
	return v;
}

/*
 * True if the path component starting at @p comp (up to '/' or NUL) names
 * node @p name: exactly, or by its name before '@'.
 */
static bool component_matches(const char *comp, const char *name)
{
	size_t i = 0;

	while (comp[i] != '\0' && comp[i] != '/' && comp[i] == name[i]) {
		i++;
	}
	bool comp_done = comp[i] == '\0' || comp[i] == '/';

	return comp_done && (name[i] == '\0' || name[i] == '@');
}

/* The path component for depth @p depth (1 = first below the root). */
static const char *path_component(const char *path, int depth)
{
	const char *p = path;

	for (int d = 0; d < depth; d++) {
		while (*p == '/') {
			p++;
		}
		if (*p == '\0') {
			return NULL;
		}
		if (d + 1 == depth) {
			return p;
		}
		while (*p != '\0' && *p != '/') {
			p++;
		}
	}
	return NULL;
}

/* True if @p path names a node at exactly @p depth ("/" is depth 0). */
static bool path_ends_at(const char *path, int depth)
{
	const char *c = depth == 0 ? path : path_component(path, depth);

	if (c == NULL) {
		return false;
	}
	while (*c != '\0' && *c != '/') {
		c++;
	}
	while (*c == '/') {
		c++;
	}
	return *c == '\0';
}

static void handle_prop(struct walk *w, struct node *n, const char *name,
			const uint8_t *val, uint32_t len)
{
	if (str_eq(name, "#address-cells") && len == 4) {
		n->addr_cells = be32(val);
	} else if (str_eq(name, "#size-cells") && len == 4) {
		n->size_cells = be32(val);
	} else if (str_eq(name, "reg")) {
		n->reg = val;
		n->reg_len = len;
	} else if (str_eq(name, "device_type")) {
		n->is_memory = list_contains(val, len, "memory");
	} else if (str_eq(name, "compatible") && w->compat != NULL) {
		n->compat_match = list_contains(val, len, w->compat);
	} else if (str_eq(name, "status")) {
		n->disabled = !list_contains(val, len, "okay") &&
			      !list_contains(val, len, "ok");
	}
	if (n->on_path && w->prop != NULL && str_eq(name, w->prop)) {
		n->path_raw = val;
		n->path_raw_len = len;
		if (len > 0 && val[len - 1] == '\0') {
			n->path_value = (const char *)val;
		}
	}
}

static void handle_node_end(struct walk *w, const struct node *n,
			    const struct node *parent, int depth)
{
	if (n->on_path && path_ends_at(w->path, depth) && n->path_raw != NULL &&
	    !w->found) {
		w->string = n->path_value;
		w->raw = n->path_raw;
		w->raw_len = n->path_raw_len;
		w->found = true;
	}
	if (parent == NULL) {
		return;
	}
	uint32_t ac = parent->addr_cells;
	uint32_t sc = parent->size_cells;

	/* A corrupt blob may claim any cell count: check before using it. */
	if (ac < 1 || ac > 2 || sc > 2 || n->reg == NULL || n->disabled) {
		return;
	}
	uint32_t entry = 4 * (ac + sc);

	/*
	 * Children of /reserved-memory (spec 3.5) are carved out of RAM,
	 * e.g. OpenSBI's own firmware region, which S-mode cannot touch.
	 */
	bool reserved = parent->resv_container;

	if (w->info != NULL && (n->is_memory || reserved)) {
		for (uint32_t off = 0; off + entry <= n->reg_len;
		     off += entry) {
			uint64_t base = read_cells(n->reg + off, ac);
			uint64_t size =
				read_cells(n->reg + off + (size_t)4 * ac, sc);
			ostd_err_t err;

			if (size == 0) {
				continue;
			}
			err = ostd_boot_info_add_mem(
				w->info, pa_init(base), size,
				reserved ? OSTD_MEM_RESERVED : OSTD_MEM_USABLE);
			if (err != OSTD_OK) {
				w->err = err;
				return;
			}
			w->mem_added += reserved ? 0U : 1U;
		}
	}
	/* reg_index < reg_len / entry, so the offset cannot overflow. */
	if (w->compat != NULL && n->compat_match && !w->found &&
	    w->reg_index < n->reg_len / entry) {
		const uint8_t *r = n->reg + (size_t)entry * w->reg_index;

		w->base = read_cells(r, ac);
		w->size = sc == 0 ? 0 : read_cells(r + (size_t)4 * ac, sc);
		w->found = true;
	}
}

/*
 * FDT_BEGIN_NODE (spec 5.4.1): pushes the node whose name starts at
 * @p *off onto @p stack and moves @p *off past the padded name.
 */
static ostd_err_t begin_node(struct walk *w, struct node *stack, int *depth,
			     uint32_t *off, uint32_t end)
{
	const char *name = (const char *)w->fdt + *off;
	size_t len = str_nlen(name, end - *off);

	if (len == end - *off || *depth + 1 >= FDT_MAX_DEPTH) {
		return OSTD_EINVAL;
	}
	*off += ((uint32_t)len + 1 + 3) & ~3U;
	if (*off > end) {
		return OSTD_EINVAL;
	}
	int d = ++*depth;
	struct node *n = &stack[d];
	/* Spec 2.3.5: defaults are 2 address and 1 size cell. */
	*n = (struct node){ .name = name, .addr_cells = 2, .size_cells = 1 };
	n->resv_container = d == 1 && str_eq(name, "reserved-memory");
	if (w->child_query && d > 0 && stack[d - 1].on_path &&
	    path_ends_at(w->path, d - 1)) {
		if (w->child_seen == w->child_index) {
			w->child_name = name;
		}
		w->child_seen++;
	}
	if (d == 0) {
		n->on_path = w->path != NULL;
	} else if (stack[d - 1].on_path) {
		const char *c = path_component(w->path, d);

		n->on_path = c != NULL && component_matches(c, name);
	}
	return OSTD_OK;
}

/*
 * FDT_PROP (spec 5.4.1): hands the property at @p *off to @p n's handler
 * and moves @p *off past its padded value.
 */
static ostd_err_t read_prop(struct walk *w, struct node *n, uint32_t *off,
			    uint32_t end)
{
	const uint8_t *fdt = w->fdt;

	if (end - *off < 8) {
		return OSTD_EINVAL;
	}
	uint32_t len = be32(fdt + *off);
	uint32_t nameoff = be32(fdt + *off + 4);

	*off += 8;
	if (len > end - *off || nameoff >= w->strings_size) {
		return OSTD_EINVAL;
	}
	const char *name = (const char *)w->strings + nameoff;

	if (str_nlen(name, w->strings_size - nameoff) ==
	    w->strings_size - nameoff) {
		return OSTD_EINVAL;
	}
	handle_prop(w, n, name, fdt + *off, len);
	*off += (len + 3) & ~3U;
	if (*off > end) {
		return OSTD_EINVAL;
	}
	return OSTD_OK;
}

/* Walks the structure block, calling the handlers above. */
static ostd_err_t walk(struct walk *w)
{
	const uint8_t *fdt = w->fdt;
	uint32_t off = hdr(fdt, HDR_OFF_STRUCT);
	uint32_t end = off + hdr(fdt, HDR_SIZE_STRUCT);
	struct node stack[FDT_MAX_DEPTH];
	int depth = -1;

	w->strings = fdt + hdr(fdt, HDR_OFF_STRINGS);
	w->strings_size = hdr(fdt, HDR_SIZE_STRINGS);
	while (w->err == OSTD_OK) {
		if (end - off < 4) {
			return OSTD_EINVAL;
		}
		uint32_t token = be32(fdt + off);
		ostd_err_t err = OSTD_OK;

		off += 4;
		switch (token) {
		case FDT_BEGIN_NODE:
			err = begin_node(w, stack, &depth, &off, end);
			break;
		case FDT_END_NODE:
			if (depth < 0) {
				return OSTD_EINVAL;
			}
			handle_node_end(w, &stack[depth],
					depth > 0 ? &stack[depth - 1] : NULL,
					depth);
			depth--;
			break;
		case FDT_PROP:
			err = depth < 0
				      ? OSTD_EINVAL
				      : read_prop(w, &stack[depth], &off, end);
			break;
		case FDT_NOP:
			break;
		case FDT_END:
			return depth == -1 ? OSTD_OK : OSTD_EINVAL;
		default:
			return OSTD_EINVAL;
		}
		if (err != OSTD_OK) {
			return err;
		}
	}
	return w->err;
}

static ostd_err_t add_reserved(const uint8_t *fdt, struct ostd_boot_info *info)
{
	uint32_t total = hdr(fdt, HDR_TOTALSIZE);

	/* 5.3: (address, size) pairs of 64-bit values, ended by (0, 0). */
	for (uint32_t off = hdr(fdt, HDR_OFF_RSVMAP); off <= total - 16;
	     off += 16) {
		uint64_t base = read_cells(fdt + off, 2);
		uint64_t size = read_cells(fdt + off + 8, 2);

		if (base == 0 && size == 0) {
			return OSTD_OK;
		}
		ostd_err_t err = ostd_boot_info_add_mem(
			info, pa_init(base), size, OSTD_MEM_RESERVED);
		if (err != OSTD_OK) {
			return err;
		}
	}
	return OSTD_EINVAL;
}

ostd_err_t ostd_fdt_add_memory(const void *fdt, struct ostd_boot_info *info)
{
	CHECKIF (info == NULL || ostd_fdt_check(fdt) != OSTD_OK) {
		return OSTD_EINVAL;
	}
	struct ostd_boot_info scratch = *info;
	struct walk w = { .fdt = fdt, .info = &scratch };
	ostd_err_t err = walk(&w);

	if (err == OSTD_OK && w.mem_added == 0) {
		err = OSTD_ENOENT;
	}
	if (err == OSTD_OK) {
		err = add_reserved(fdt, &scratch);
	}
	/* All or nothing: @p info changes only on success. */
	if (err == OSTD_OK) {
		*info = scratch;
	}
	return err;
}

ostd_err_t ostd_fdt_find_reg(const void *fdt, const char *compat,
			     uint64_t *base, uint64_t *size)
{
	return ostd_fdt_find_reg_index(fdt, compat, 0, base, size);
}

ostd_err_t ostd_fdt_find_reg_index(const void *fdt, const char *compat,
				   uint32_t index, uint64_t *base,
				   uint64_t *size)
{
	CHECKIF (compat == NULL || base == NULL ||
		 ostd_fdt_check(fdt) != OSTD_OK) {
		return OSTD_EINVAL;
	}
	struct walk w = { .fdt = fdt, .compat = compat, .reg_index = index };
	ostd_err_t err = walk(&w);

	if (err != OSTD_OK) {
		return err;
	}
	if (!w.found) {
		return OSTD_ENOENT;
	}
	*base = w.base;
	if (size != NULL) {
		*size = w.size;
	}
	return OSTD_OK;
}

const char *ostd_fdt_prop_string(const void *fdt, const char *path,
				 const char *prop)
{
	if (path == NULL || prop == NULL || ostd_fdt_check(fdt) != OSTD_OK) {
		return NULL;
	}
	struct walk w = { .fdt = fdt, .path = path, .prop = prop };

	if (walk(&w) != OSTD_OK || !w.found) {
		return NULL;
	}
	return w.string;
}

ostd_err_t ostd_fdt_prop_u64(const void *fdt, const char *path,
			     const char *prop, uint64_t *val)
{
	if (path == NULL || prop == NULL || val == NULL ||
	    ostd_fdt_check(fdt) != OSTD_OK) {
		return OSTD_EINVAL;
	}
	struct walk w = { .fdt = fdt, .path = path, .prop = prop };

	if (walk(&w) != OSTD_OK || !w.found) {
		return OSTD_ENOENT;
	}
	/* One or two cells (DT spec 2.2.4: <u32> or <u64>, big-endian). */
	if (w.raw_len != 4 && w.raw_len != 8) {
		return OSTD_EINVAL;
	}
	*val = read_cells(w.raw, w.raw_len / 4);
	return OSTD_OK;
}

const char *ostd_fdt_child_name(const void *fdt, const char *path,
				uint32_t index)
{
	if (path == NULL || ostd_fdt_check(fdt) != OSTD_OK) {
		return NULL;
	}
	struct walk w = { .fdt = fdt,
			  .path = path,
			  .child_query = true,
			  .child_index = index };

	if (walk(&w) != OSTD_OK) {
		return NULL;
	}
	return w.child_name;
}

// SPDX-License-Identifier: MPL-2.0
/*
 * The ELF64 reader. Field offsets are those of the gABI's Elf64_Ehdr and
 * Elf64_Phdr; the file is read byte-wise (little-endian) so that neither
 * alignment nor the host's layout matters.
 */

#include "ostd/elf.h"

#include "ostd/arch/user.h"

#include "ostd/assert.h"
#include "ostd/math.h"
#include "ostd/page_table.h"
#include "ostd/pt_config.h"
#include "ostd/string.h"

#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define ET_EXEC 2
#define EV_CURRENT 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define PT_LOAD 1
#define PF_X 1
#define PF_W 2
#define PF_R 4

static uint64_t le(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = bytes; i > 0; i--) {
		v = (v << 8) | p[i - 1];
	}
	return v;
}

/* [off, off + len) inside a buffer of @p size, without overflow. */
static bool inside(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

ostd_err_t elf_parse(const void *data, uint64_t size, struct elf_image *img)
{
	const uint8_t *d = data;

	CHECKIF (d == NULL || img == NULL || size < EHDR_SIZE) {
		return OSTD_EINVAL;
	}
	CHECKIF (memcmp(d, "\177ELF", 4) != 0 || d[4] != ELFCLASS64 ||
		 d[5] != ELFDATA2LSB || d[6] != EV_CURRENT ||
		 le(d + 16, 2) != ET_EXEC ||
		 le(d + 18, 2) != arch_elf_machine ||
		 le(d + 54, 2) != PHDR_SIZE) {
		return OSTD_EINVAL;
	}
	uint64_t phoff = le(d + 32, 8);
	uint16_t phnum = (uint16_t)le(d + 56, 2);

	CHECKIF (phnum == 0 || phnum > ELF_MAX_PHNUM ||
		 !inside(phoff, (uint64_t)phnum * PHDR_SIZE, size)) {
		return OSTD_EINVAL;
	}
	uint64_t entry = le(d + 24, 8);

	CHECKIF (entry >= MAX_USER_VADDR) {
		return OSTD_ERANGE;
	}
	*img = (struct elf_image){
		.data = d,
		.size = size,
		.entry = entry,
		.phoff = phoff,
		.phnum = phnum,
	};
	return OSTD_OK;
}

ostd_err_t elf_segment(const struct elf_image *img, unsigned int index,
		       struct elf_segment *seg)
{
	CHECKIF (img == NULL || seg == NULL) {
		return OSTD_EINVAL;
	}
	if (index >= img->phnum) {
		return OSTD_ENOENT;
	}
	/* elf_parse() checked that every header is inside the buffer. */
	const uint8_t *ph =
		img->data + img->phoff + (uint64_t)index * PHDR_SIZE;
	uint32_t flags = (uint32_t)le(ph + 4, 4);
	struct elf_segment s = {
		.offset = le(ph + 8, 8),
		.vaddr = le(ph + 16, 8),
		.filesz = le(ph + 32, 8),
		.memsz = le(ph + 40, 8),
		.prot = ((flags & PF_R) != 0 ? PROT_R : 0) |
			((flags & PF_W) != 0 ? PROT_W : 0) |
			((flags & PF_X) != 0 ? PROT_X : 0),
	};

	*seg = (struct elf_segment){ 0 };
	if (le(ph, 4) != PT_LOAD) {
		return OSTD_OK;
	}
	/*
	 * Linux checks these for every PT_LOAD, memsz 0 included
	 * (load_elf_binary(): BAD_ADDR(vaddr), filesz > memsz); it maps
	 * nothing for memsz 0, so neither its file bytes nor its page matter.
	 */
	CHECKIF (s.filesz > s.memsz) {
		return OSTD_EINVAL;
	}
	CHECKIF (s.vaddr >= MAX_USER_VADDR) {
		return OSTD_ERANGE;
	}
	if (s.memsz == 0) {
		return OSTD_OK;
	}
	/* Linux reads no file for filesz 0 (elf_map() returns early). */
	if (s.filesz == 0) {
		s.offset = 0;
	}
	CHECKIF (!inside(s.offset, s.filesz, img->size) ||
		 (s.prot & (PROT_W | PROT_X)) == (PROT_W | PROT_X)) {
		return OSTD_EINVAL;
	}
	/* MAX_USER_VADDR is page aligned: so is the rounded end. */
	CHECKIF (!inside(s.vaddr, s.memsz, MAX_USER_VADDR) ||
		 s.vaddr < ELF_MIN_VADDR) {
		return OSTD_ERANGE;
	}
	s.page_start = align_down(s.vaddr, PAGE_SIZE);
	s.page_end = align_down(s.vaddr + s.memsz + PAGE_SIZE - 1, PAGE_SIZE);
	*seg = s;
	return OSTD_OK;
}

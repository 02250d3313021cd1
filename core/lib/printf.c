// SPDX-License-Identifier: MPL-2.0
/*
 * A small freestanding printf. ostd_vsnprintf() formats into a bounded
 * buffer and reports the untruncated length, like C's; ostd_printf() sends
 * each character straight to the console, so it needs no buffer and works
 * in trap context.
 */

#include "ostd/printf.h"

#include <stdbool.h>
#include <stdint.h>

#include "ostd/console.h"

/* Output goes to a bounded buffer, or straight to the console if none. */
struct out {
	char *buf;
	size_t size;
	size_t pos;
	bool console;
};

static void out_char(struct out *o, char c)
{
	if (o->console) {
		ostd_console_putc(c);
	} else if (o->pos + 1 < o->size) {
		o->buf[o->pos] = c;
	}
	o->pos++;
}

static void out_repeat(struct out *o, char c, int n)
{
	for (; n > 0; n--) {
		out_char(o, c);
	}
}

struct spec {
	bool left;
	bool zero;
	bool alt;
	bool plus;
	bool space;
	int width;
	int prec; /* -1: none */
};

static size_t str_len_max(const char *s, int max)
{
	size_t n = 0;

	while ((max < 0 || n < (size_t)max) && s[n] != '\0') {
		n++;
	}
	return n;
}

static void out_str(struct out *o, const struct spec *sp, const char *s)
{
	if (s == NULL) {
		s = "(null)";
	}
	size_t len = str_len_max(s, sp->prec);
	int pad = sp->width > (int)len ? sp->width - (int)len : 0;

	if (!sp->left) {
		out_repeat(o, ' ', pad);
	}
	for (size_t i = 0; i < len; i++) {
		out_char(o, s[i]);
	}
	if (sp->left) {
		out_repeat(o, ' ', pad);
	}
}

static void out_num(struct out *o, const struct spec *sp, uint64_t v,
		    bool negative, unsigned int base, bool upper,
		    const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	/* C: precision 0 with value 0 prints no digits. */
	if (!(v == 0 && sp->prec == 0)) {
		do {
			tmp[n++] = digits[v % base];
			v /= base;
		} while (v != 0);
	}

	int zeros = sp->prec > n ? sp->prec - n : 0;
	/* Octal's alternate form guarantees a leading zero. */
	if (base == 8 && sp->alt && zeros == 0 &&
	    (n == 0 || tmp[n - 1] != '0')) {
		zeros = 1;
	}
	const char *sign = negative    ? "-"
			   : sp->plus  ? "+"
			   : sp->space ? " "
				       : "";
	int prefix_len = (int)(str_len_max(prefix, -1) + str_len_max(sign, -1));
	int body = n + zeros + prefix_len;
	int pad = sp->width > body ? sp->width - body : 0;

	/* The '0' flag is ignored with '-' or with an explicit precision. */
	if (sp->zero && !sp->left && sp->prec < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!sp->left) {
		out_repeat(o, ' ', pad);
	}
	for (const char *p = sign; *p != '\0'; p++) {
		out_char(o, *p);
	}
	for (const char *p = prefix; *p != '\0'; p++) {
		out_char(o, *p);
	}
	out_repeat(o, '0', zeros);
	while (n > 0) {
		out_char(o, tmp[--n]);
	}
	if (sp->left) {
		out_repeat(o, ' ', pad);
	}
}

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE };

static int parse_int(const char **fmt)
{
	int v = 0;

	while (**fmt >= '0' && **fmt <= '9') {
		if (v < 100000) {
			v = v * 10 + (**fmt - '0');
		}
		(*fmt)++;
	}
	return v;
}

static uint64_t get_unsigned(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_CHAR:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_SHORT:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_LONG:
		return va_arg(*ap, unsigned long);
	case LEN_LLONG:
		return va_arg(*ap, unsigned long long);
	case LEN_SIZE:
		return va_arg(*ap, size_t);
	case LEN_INT:
		break;
	}
	return va_arg(*ap, unsigned int);
}

static int64_t get_signed(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_CHAR:
		return (signed char)va_arg(*ap, int);
	case LEN_SHORT:
		return (short)va_arg(*ap, int);
	case LEN_LONG:
		return va_arg(*ap, long);
	case LEN_LLONG:
		return va_arg(*ap, long long);
	case LEN_SIZE:
		/* ptrdiff_t and the signed size type share size_t's width. */
		return va_arg(*ap, ptrdiff_t);
	case LEN_INT:
		break;
	}
	return va_arg(*ap, int);
}

static const char *parse_spec(const char *fmt, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .prec = -1 };
	for (;; fmt++) {
		if (*fmt == '-') {
			sp->left = true;
		} else if (*fmt == '0') {
			sp->zero = true;
		} else if (*fmt == '#') {
			sp->alt = true;
		} else if (*fmt == '+') {
			sp->plus = true;
		} else if (*fmt == ' ') {
			sp->space = true;
		} else {
			break;
		}
	}
	if (*fmt == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		fmt++;
	} else {
		sp->width = parse_int(&fmt);
	}
	if (*fmt == '.') {
		fmt++;
		if (*fmt == '*') {
			sp->prec = va_arg(*ap, int);
			fmt++;
		} else {
			sp->prec = parse_int(&fmt);
		}
		if (sp->prec < 0) {
			sp->prec = -1;
		}
	}
	return fmt;
}

static const char *parse_length(const char *fmt, enum length *len)
{
	*len = LEN_INT;
	if (fmt[0] == 'h' && fmt[1] == 'h') {
		*len = LEN_CHAR;
		return fmt + 2;
	}
	if (fmt[0] == 'l' && fmt[1] == 'l') {
		*len = LEN_LLONG;
		return fmt + 2;
	}
	switch (*fmt) {
	case 'h':
		*len = LEN_SHORT;
		return fmt + 1;
	case 'l':
		*len = LEN_LONG;
		return fmt + 1;
	case 'j':
		*len = LEN_LLONG;
		return fmt + 1;
	case 'z':
	case 't':
		*len = LEN_SIZE;
		return fmt + 1;
	default:
		return fmt;
	}
}

/* Formats one conversion; returns false if @p c is not one we know. */
static bool convert(struct out *o, char c, struct spec *sp, enum length len,
		    va_list *ap)
{
	switch (c) {
	case 'd':
	case 'i': {
		int64_t v = get_signed(ap, len);
		/* |v| without wrapping, INT64_MIN included. */
		uint64_t mag = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;

		out_num(o, sp, mag, v < 0, 10, false, "");
		return true;
	}
	case 'u':
		out_num(o, sp, get_unsigned(ap, len), false, 10, false, "");
		return true;
	case 'o':
		out_num(o, sp, get_unsigned(ap, len), false, 8, false, "");
		return true;
	case 'x':
	case 'X': {
		uint64_t v = get_unsigned(ap, len);
		const char *prefix =
			(sp->alt && v != 0) ? (c == 'x' ? "0x" : "0X") : "";

		out_num(o, sp, v, false, 16, c == 'X', prefix);
		return true;
	}
	case 'p': {
		uintptr_t v = (uintptr_t)va_arg(*ap, void *);

		sp->plus = false;
		sp->space = false;
		out_num(o, sp, v, false, 16, false, "0x");
		return true;
	}
	case 's':
		out_str(o, sp, va_arg(*ap, const char *));
		return true;
	case 'c': {
		char s[2] = { (char)va_arg(*ap, int), '\0' };

		sp->prec = 1;
		out_str(o, sp, s);
		return true;
	}
	case '%':
		out_char(o, '%');
		return true;
	default:
		return false;
	}
}

static size_t format(struct out *o, const char *fmt, va_list ap_in)
{
	va_list ap;

	va_copy(ap, ap_in);
	while (*fmt != '\0') {
		if (*fmt != '%') {
			out_char(o, *fmt++);
			continue;
		}
		const char *start = fmt++;
		struct spec sp;
		enum length len;

		fmt = parse_spec(fmt, &sp, &ap);
		fmt = parse_length(fmt, &len);
		if (*fmt == '\0' || !convert(o, *fmt, &sp, len, &ap)) {
			/* Unknown conversion: show it verbatim. */
			for (; start < fmt && *start != '\0'; start++) {
				out_char(o, *start);
			}
			if (*fmt == '\0') {
				break;
			}
			out_char(o, *fmt);
		}
		fmt++;
	}
	va_end(ap);
	return o->pos;
}

static int clamp_int(size_t n)
{
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

int ostd_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size };
	size_t n = format(&o, fmt, ap);

	if (size > 0) {
		buf[n < size ? n : size - 1] = '\0';
	}
	return clamp_int(n);
}

int ostd_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = ostd_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int ostd_vprintf(const char *fmt, va_list ap)
{
	/* Straight to the console: no buffer to overflow, nothing allocated. */
	struct out o = { .console = true };

	return clamp_int(format(&o, fmt, ap));
}

int ostd_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = ostd_vprintf(fmt, ap);
	va_end(ap);
	return n;
}

void ostd_puts(const char *s)
{
	ostd_console_write(s, str_len_max(s, -1));
}

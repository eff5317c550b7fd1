/*
 * intercept_format.c - checked formatted output: the sprintf family into
 * the program's buffers, and the strings that %s conversions read.
 *
 * Formatting stays libc's.  Before it runs, a small walk over the format's
 * conversions (on a va_copy of the arguments) checks each %s argument: its
 * bytes up to the terminator, or up to the precision.  For output into a
 * buffer, libc first measures the output (vsnprintf(NULL, 0)), the bytes
 * that will be written - [buf, buf + min(len + 1, size)) - are checked,
 * and only then is the buffer written: a report comes before the overflow,
 * and a too large size that the output does not reach is not a bug (what
 * AddressSanitizer does too).  The price is formatting twice.
 *
 * A format with positional arguments (%1$s) is not walked: its %s
 * arguments go unchecked (the output range still is).
 */
#include "vk_internal.h"

#include <stdio.h>

/* These define the C library's functions under its names, many (the _chk
 * forms) with no public declaration: no prototype to have. */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"

extern int __vsnprintf(char *, size_t, const char *, va_list);
extern int _IO_vsprintf(char *, const char *, va_list);
extern void __chk_fail(void) __attribute__((noreturn));
extern int __vprintf_chk(int, const char *, va_list);
extern int __vfprintf_chk(FILE *, int, const char *, va_list);

#define INLINE static inline __attribute__((always_inline))
#define R(p, n) VKI_READ_RANGE(p, n)
#define W(p, n) VKI_WRITE_RANGE(p, n)

/*
 * The strings the format and its %s arguments make libc read, at most
 * MAX_STR of them (any further %s goes unchecked); ap is left untouched.
 * Functions with va_copy cannot be inlined, so this one collects the ranges
 * and the interceptor checks them (the report's first frame is its pc).
 */
#define MAX_STR 32
struct str_range {
	const char *p;
	size_t n;
};

static int scan_args(const char *fmt, va_list ap, struct str_range *out)
{
	int k = 0;
	out[k++] = (struct str_range){ fmt, vki_strlen(fmt) + 1 };
	va_list aq;
	va_copy(aq, ap);
	for (const char *p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == '%')
			continue;
		const char *q = p;
		while (*q >= '0' && *q <= '9')
			q++;
		if (*q == '$')
			break; /* positional: not walked */
		while (*p && vki_strchr("-+ #0'I", *p))
			p++;
		if (*p == '*') {
			(void)va_arg(aq, int);
			p++;
		}
		while (*p >= '0' && *p <= '9')
			p++;
		long prec = -1;
		if (*p == '.') {
			p++;
			prec = 0;
			if (*p == '*') {
				prec = va_arg(aq, int);
				p++;
			} else {
				while (*p >= '0' && *p <= '9')
					prec = prec * 10 + (*p++ - '0');
			}
		}
		int longs = 0; /* 0: int, 1: long, 2: long long, 3: long double */
		bool half = false;
		for (;; p++) {
			if (*p == 'h')
				half = true;
			else if (*p == 'l' || *p == 'z' || *p == 'Z' || *p == 't' || *p == 'j')
				longs = longs + 1 > 2 ? 2 : longs + 1;
			else if (*p == 'q')
				longs = 2;
			else if (*p == 'L')
				longs = 3;
			else
				break;
		}
		(void)half;
		switch (*p) {
		case 'd': case 'i': case 'o': case 'u': case 'x': case 'X': case 'c': case 'C':
			if (longs == 2)
				(void)va_arg(aq, long long);
			else if (longs == 1)
				(void)va_arg(aq, long);
			else
				(void)va_arg(aq, int);
			break;
		case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
			if (longs == 3)
				(void)va_arg(aq, long double);
			else
				(void)va_arg(aq, double);
			break;
		case 's': {
			const char *s = va_arg(aq, const char *);
			if (!s || longs) /* "(null)"; wide strings are not checked */
				break;
			if (k == MAX_STR)
				break;
			out[k].p = s;
			if (prec >= 0) {
				size_t n = vki_strnlen(s, (size_t)prec);
				out[k++].n = n < (size_t)prec ? n + 1 : n;
			} else {
				out[k++].n = vki_strlen(s) + 1;
			}
			break;
		}
		case 'S': case 'p': case 'n':
			(void)va_arg(aq, void *);
			break;
		case 'm':
			break;
		default: /* unknown conversion: stop rather than misread */
			va_end(aq);
			return k;
		}
		if (!*p)
			break;
	}
	va_end(aq);
	return k;
}

#define check_args(fmt, ap)                                                    \
	do {                                                                   \
		if (vki_opt.intercept) {                                       \
			struct str_range sr_[MAX_STR];                         \
			int k_ = scan_args(fmt, ap, sr_);                      \
			for (int i_ = 0; i_ < k_; i_++)                        \
				R(sr_[i_].p, sr_[i_].n);                       \
		}                                                              \
	} while (0)

/* The length of the output (ap untouched). */
static int measure(const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int n = __vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	return n;
}

/* The bytes vsnprintf(buf, size) will write, checked before it writes them
 * (size SIZE_MAX: unbounded, vsprintf). */
#define check_output(buf, size, fmt, ap)                                       \
	do {                                                                   \
		size_t sz_ = (size);                                           \
		if (vki_opt.intercept && sz_) {                                \
			int n_ = measure(fmt, ap);                             \
			if (n_ >= 0)                                           \
				W(buf, (size_t)n_ + 1 < sz_ ? (size_t)n_ + 1 : sz_); \
		}                                                              \
	} while (0)

/* _FORTIFY_SOURCE: glibc aborts when the output would not fit the object. */
static void chk_fits(size_t slen, const char *fmt, va_list ap)
{
	if (slen == (size_t)-1)
		return;
	int n = measure(fmt, ap);
	if (slen == 0 || (n >= 0 && (size_t)n >= slen))
		__chk_fail();
}

VKI_EXPORT int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
	check_args(fmt, ap);
	check_output(buf, size, fmt, ap);
	return __vsnprintf(buf, size, fmt, ap);
}

VKI_EXPORT int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap)
{
	check_args(fmt, ap);
	check_output(buf, SIZE_MAX, fmt, ap);
	return _IO_vsprintf(buf, fmt, ap);
}

VKI_EXPORT int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_args(fmt, ap);
	check_output(buf, size, fmt, ap);
	int r = __vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return r;
}

VKI_EXPORT int sprintf(char *restrict buf, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_args(fmt, ap);
	check_output(buf, SIZE_MAX, fmt, ap);
	int r = _IO_vsprintf(buf, fmt, ap);
	va_end(ap);
	return r;
}

VKI_EXPORT int __vsnprintf_chk(char *restrict buf, size_t size, int flag, size_t slen,
			       const char *restrict fmt, va_list ap)
{
	if (size > slen)
		__chk_fail();
	check_args(fmt, ap);
	check_output(buf, size, fmt, ap);
	return __vsnprintf(buf, size, fmt, ap);
}

VKI_EXPORT int __vsprintf_chk(char *restrict buf, int flag, size_t slen, const char *restrict fmt,
			      va_list ap)
{
	chk_fits(slen, fmt, ap);
	check_args(fmt, ap);
	check_output(buf, SIZE_MAX, fmt, ap);
	return _IO_vsprintf(buf, fmt, ap);
}

VKI_EXPORT int __snprintf_chk(char *restrict buf, size_t size, int flag, size_t slen,
			      const char *restrict fmt, ...)
{
	if (size > slen)
		__chk_fail();
	va_list ap;
	va_start(ap, fmt);
	check_args(fmt, ap);
	check_output(buf, size, fmt, ap);
	int r = __vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return r;
}

VKI_EXPORT int __sprintf_chk(char *restrict buf, int flag, size_t slen, const char *restrict fmt,
			     ...)
{
	va_list ap;
	va_start(ap, fmt);
	chk_fits(slen, fmt, ap);
	check_args(fmt, ap);
	check_output(buf, SIZE_MAX, fmt, ap);
	int r = _IO_vsprintf(buf, fmt, ap);
	va_end(ap);
	return r;
}

/* asprintf: the output is libc's own allocation; only the %s reads. */
typedef int (*vasprintf_fn)(char **, const char *, va_list);
typedef int (*vasprintf_chk_fn)(char **, int, const char *, va_list);

VKI_EXPORT int vasprintf(char **restrict strp, const char *restrict fmt, va_list ap)
{
	check_args(fmt, ap);
	return VKI_REAL(vasprintf_fn, vasprintf)(strp, fmt, ap);
}

VKI_EXPORT int asprintf(char **restrict strp, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_args(fmt, ap);
	int r = VKI_REAL(vasprintf_fn, vasprintf)(strp, fmt, ap);
	va_end(ap);
	return r;
}

VKI_EXPORT int __vasprintf_chk(char **restrict strp, int flag, const char *restrict fmt,
			       va_list ap)
{
	check_args(fmt, ap);
	return VKI_REAL(vasprintf_chk_fn, __vasprintf_chk)(strp, flag, fmt, ap);
}

VKI_EXPORT int __asprintf_chk(char **restrict strp, int flag, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_args(fmt, ap);
	int r = VKI_REAL(vasprintf_chk_fn, __vasprintf_chk)(strp, flag, fmt, ap);
	va_end(ap);
	return r;
}

/* printf and fprintf: the %s arguments (the v* forms are not intercepted). */
VKI_EXPORT int printf(const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_args(fmt, ap);
	int r = vprintf(fmt, ap);
	va_end(ap);
	return r;
}

VKI_EXPORT int fprintf(FILE *restrict f, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_args(fmt, ap);
	int r = vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

VKI_EXPORT int __printf_chk(int flag, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_args(fmt, ap);
	int r = __vprintf_chk(flag, fmt, ap);
	va_end(ap);
	return r;
}

VKI_EXPORT int __fprintf_chk(FILE *restrict f, int flag, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_args(fmt, ap);
	int r = __vfprintf_chk(f, flag, fmt, ap);
	va_end(ap);
	return r;
}

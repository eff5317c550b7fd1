/*
 * intercept_string.c - checked string and memory functions of libc.
 *
 * libc is not instrumented, so a strcpy into a vk_vmalloc buffer writes
 * past its end unseen.  These functions replace libc's for the program
 * (exported under the same names; tools/intercepted-names.txt lists them):
 * each computes what the function will touch with plain, uninstrumented
 * loops, checks exactly those bytes (the terminator it reads included) and
 * only then does the work, so a report comes before the damage.  The Call
 * Trace starts in the interceptor, which symbolizes as the libc name.
 *
 * What counts as touched follows AddressSanitizer: a function that may stop
 * early (strchr, strcmp, strspn...) is checked up to the byte where it
 * stops; strict_string_checks=1 checks its whole string argument instead.
 * memcmp and bcmp check all n bytes of both (libc may read them all).
 *
 * The computing is vkstring.c's (the runtime's unchecked vki_str*
 * helpers): runtime code must never call the intercepted names.  This file is built
 * with -fno-builtin and without loop pattern distribution, so the compiler
 * cannot turn a loop here back into a call to the function it implements.
 */
#include "vk_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

/* These define the C library's functions under its names, many (the _chk
 * forms) with no public declaration: no prototype to have. */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"

#define STRICT() (vki_opt.strict_string_checks)

/* ------------------------------------------------------------ helpers */

#define INLINE static inline __attribute__((always_inline))
#define R(p, n) VKI_READ_RANGE(p, n)
#define W(p, n) VKI_WRITE_RANGE(p, n)

extern void __chk_fail(void) __attribute__((noreturn));

/* A string argument read up to and including byte `upto` (an index), or the
 * whole string when strict. */
INLINE void read_str_upto(const char *s, size_t upto)
{
	if (!vki_opt.intercept)
		return;
	R(s, (STRICT() ? vki_strlen(s) : upto) + 1);
}

INLINE size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* ------------------------------------------------------------ lengths */

VKI_EXPORT size_t strlen(const char *s)
{
	size_t n = vki_strlen(s);
	R(s, n + 1);
	return n;
}

VKI_EXPORT size_t strnlen(const char *s, size_t max)
{
	size_t n = vki_strnlen(s, max);
	R(s, min_sz(n + 1, max));
	return n;
}

/* ------------------------------------------------------------ copies */

INLINE char *do_stpcpy(char *d, const char *s)
{
	size_t n = vki_strlen(s);
	R(s, n + 1);
	W(d, n + 1);
	vki_copy(d, s, n + 1);
	return d + n;
}

VKI_EXPORT char *strcpy(char *restrict d, const char *restrict s)
{
	do_stpcpy(d, s);
	return d;
}

VKI_EXPORT char *stpcpy(char *restrict d, const char *restrict s)
{
	return do_stpcpy(d, s);
}

/* strncpy writes all n bytes (zero padding); stpncpy returns the end. */
INLINE char *do_stpncpy(char *d, const char *s, size_t n)
{
	size_t len = vki_strnlen(s, n);
	R(s, min_sz(len + 1, n));
	W(d, n);
	vki_copy(d, s, len);
	vki_fill(d + len, 0, n - len);
	return d + len;
}

VKI_EXPORT char *strncpy(char *restrict d, const char *restrict s, size_t n)
{
	do_stpncpy(d, s, n);
	return d;
}

VKI_EXPORT char *stpncpy(char *restrict d, const char *restrict s, size_t n)
{
	return do_stpncpy(d, s, n);
}

INLINE char *do_strncat(char *d, const char *s, size_t n, size_t dlen, bool chk)
{
	size_t dl = vki_strlen(d), sl = vki_strnlen(s, n);
	if (chk && dl + sl >= dlen)
		__chk_fail();
	R(d, dl + 1);
	R(s, min_sz(sl + 1, n));
	W(d + dl, sl + 1);
	vki_copy(d + dl, s, sl);
	d[dl + sl] = 0;
	return d;
}

VKI_EXPORT char *strcat(char *restrict d, const char *restrict s)
{
	return do_strncat(d, s, SIZE_MAX, 0, false);
}

VKI_EXPORT char *strncat(char *restrict d, const char *restrict s, size_t n)
{
	return do_strncat(d, s, n, 0, false);
}

VKI_EXPORT void *mempcpy(void *restrict d, const void *restrict s, size_t n)
{
	R(s, n);
	W(d, n);
	vki_copy(d, s, n);
	return (char *)d + n;
}

VKI_EXPORT void *memccpy(void *restrict d, const void *restrict s, int c, size_t n)
{
	const unsigned char *p = s;
	size_t k = 0;
	while (k < n && p[k] != (unsigned char)c)
		k++;
	bool found = k < n;
	if (found)
		k++;
	R(s, k);
	W(d, k);
	vki_copy(d, s, k);
	return found ? (char *)d + k : NULL;
}

VKI_EXPORT void bzero(void *d, size_t n)
{
	W(d, n);
	vki_fill(d, 0, n);
}

VKI_EXPORT void explicit_bzero(void *d, size_t n)
{
	W(d, n);
	vki_fill(d, 0, n);
	__asm__ volatile("" : : "r"(d) : "memory"); /* the stores must stay */
}

VKI_EXPORT char *strdup(const char *s)
{
	size_t n = vki_strlen(s);
	R(s, n + 1);
	char *d = malloc(n + 1); /* the program's allocation, on its behalf */
	if (d)
		vki_copy(d, s, n + 1);
	return d;
}

VKI_EXPORT char *strndup(const char *s, size_t max)
{
	size_t n = vki_strnlen(s, max);
	R(s, min_sz(n + 1, max));
	char *d = malloc(n + 1);
	if (d) {
		vki_copy(d, s, n);
		d[n] = 0;
	}
	return d;
}

/* ------------------------------------------------------------ comparisons */

/* Index of the first byte where a and b differ or end (at most n - 1). */
#define CMP_LOOP(a, b, n, fold)                                                \
	size_t i = 0;                                                          \
	const unsigned char *x = (const unsigned char *)(a), *y = (const unsigned char *)(b); \
	while (i + 1 < (n) && x[i] && fold(x[i]) == fold(y[i]))                \
		i++

#define NOFOLD(c) (c)

INLINE int cmp_check(const char *a, const char *b, size_t i, size_t n, int r)
{
	if (!vki_opt.intercept)
		return r;
	if (STRICT()) {
		R(a, min_sz(vki_strnlen(a, n) + 1, n));
		R(b, min_sz(vki_strnlen(b, n) + 1, n));
	} else {
		R(a, i + 1);
		R(b, i + 1);
	}
	return r;
}

VKI_EXPORT int strcmp(const char *a, const char *b)
{
	CMP_LOOP(a, b, SIZE_MAX, NOFOLD);
	return cmp_check(a, b, i, SIZE_MAX, x[i] - y[i]);
}

VKI_EXPORT int strncmp(const char *a, const char *b, size_t n)
{
	if (!n)
		return 0;
	CMP_LOOP(a, b, n, NOFOLD);
	return cmp_check(a, b, i, n, x[i] - y[i]);
}

VKI_EXPORT int strcasecmp(const char *a, const char *b)
{
	CMP_LOOP(a, b, SIZE_MAX, tolower);
	return cmp_check(a, b, i, SIZE_MAX, tolower(x[i]) - tolower(y[i]));
}

VKI_EXPORT int strncasecmp(const char *a, const char *b, size_t n)
{
	if (!n)
		return 0;
	CMP_LOOP(a, b, n, tolower);
	return cmp_check(a, b, i, n, tolower(x[i]) - tolower(y[i]));
}

INLINE int do_memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	R(a, n);
	R(b, n);
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

VKI_EXPORT int memcmp(const void *a, const void *b, size_t n)
{
	return do_memcmp(a, b, n);
}

VKI_EXPORT int bcmp(const void *a, const void *b, size_t n)
{
	return do_memcmp(a, b, n);
}

/* ------------------------------------------------------------ searches */

VKI_EXPORT char *strchr(const char *s, int c)
{
	char *p = vki_strchrnul(s, c);
	read_str_upto(s, (size_t)(p - s));
	return (unsigned char)*p == (unsigned char)c ? p : NULL;
}

VKI_EXPORT char *index(const char *s, int c)
{
	char *p = vki_strchrnul(s, c);
	read_str_upto(s, (size_t)(p - s));
	return (unsigned char)*p == (unsigned char)c ? p : NULL;
}

VKI_EXPORT char *strchrnul(const char *s, int c)
{
	char *p = vki_strchrnul(s, c);
	read_str_upto(s, (size_t)(p - s));
	return p;
}

VKI_EXPORT char *strrchr(const char *s, int c)
{
	size_t n = vki_strlen(s);
	R(s, n + 1);
	return vki_strrchr(s, c);
}

VKI_EXPORT char *rindex(const char *s, int c)
{
	size_t n = vki_strlen(s);
	R(s, n + 1);
	return vki_strrchr(s, c);
}

VKI_EXPORT void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;
	size_t i = 0;
	while (i < n && p[i] != (unsigned char)c)
		i++;
	R(s, i < n ? i + 1 : n);
	return i < n ? (void *)(p + i) : NULL;
}

VKI_EXPORT void *memrchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;
	R(s, n);
	while (n--)
		if (p[n] == (unsigned char)c)
			return (void *)(p + n);
	return NULL;
}

/* strspn/strcspn/strpbrk read s up to the byte that stops them. */
/* A reject set of up to three bytes (the usual separators) is compared
 * directly: building the map would cost more than the scan. */
typedef uint64_t __attribute__((may_alias, aligned(1))) u64u;
#define ONES 0x0101010101010101ULL
#define HAS_ZERO(v) (((v) - ONES) & ~(v) & 0x8080808080808080ULL)

/* Eight bytes at a time where the load stays inside the page (so it cannot
 * fault, whatever follows the terminator); the lowest flagged byte of
 * HAS_ZERO is exact, so the first match or terminator is. */
static size_t cspan3(const char *s, const char *set, size_t sl)
{
	unsigned char a = (unsigned char)set[0], b = sl > 1 ? (unsigned char)set[1] : a;
	unsigned char c = sl > 2 ? (unsigned char)set[2] : a;
	uint64_t pa = a * ONES, pb = b * ONES, pc = c * ONES;
	const unsigned char *p = (const unsigned char *)s;
	for (;;) {
		if (((uintptr_t)p & (VKI_PAGE_SIZE - 1)) <= VKI_PAGE_SIZE - 8) {
			uint64_t v = *(const u64u *)p;
			uint64_t m = HAS_ZERO(v) | HAS_ZERO(v ^ pa) | HAS_ZERO(v ^ pb) |
				     HAS_ZERO(v ^ pc);
			if (!m) {
				p += 8;
				continue;
			}
			p += __builtin_ctzll(m) >> 3;
			return (size_t)((const char *)p - s);
		}
		if (!*p || *p == a || *p == b || *p == c)
			return (size_t)((const char *)p - s);
		p++;
	}
}

INLINE size_t do_span(const char *s, const char *set, bool in)
{
	uint64_t map[4];
	size_t sl = vki_strnlen(set, 4), n;
	if (!in && sl && sl < 4) {
		n = cspan3(s, set, sl);
	} else {
		sl = vki_byteset_make(map, set);
		n = vki_byteset_span(s, map, in);
	}
	R(set, sl + 1);
	read_str_upto(s, n);
	return n;
}

VKI_EXPORT size_t strspn(const char *s, const char *accept)
{
	return do_span(s, accept, true);
}

VKI_EXPORT size_t strcspn(const char *s, const char *reject)
{
	return do_span(s, reject, false);
}

VKI_EXPORT char *strpbrk(const char *s, const char *accept)
{
	size_t n = do_span(s, accept, false);
	return s[n] ? (char *)s + n : NULL;
}

/*
 * strstr, strcasestr, memmem: libc's (two-way, linear), then the check: the
 * haystack up to the end of the match, or whole with its terminator; the
 * needle whole.  If libc's cannot be looked up yet (during the dlsym that
 * finds it), a simple search does the work.
 */
static char *naive_strstr(const char *h, const char *n, bool fold)
{
	size_t nl = vki_strlen(n);
	for (;; h++) {
		size_t i = 0;
		while (i < nl && h[i] &&
		       (fold ? tolower((unsigned char)h[i]) == tolower((unsigned char)n[i])
			     : h[i] == n[i]))
			i++;
		if (i == nl)
			return (char *)h;
		if (!*h)
			return NULL;
	}
}

typedef char *(*strstr_fn)(const char *, const char *);

INLINE char *do_strstr(const char *h, const char *n, strstr_fn real, bool fold)
{
	char *r = real ? real(h, n) : naive_strstr(h, n, fold);
	if (!vki_opt.intercept)
		return r;
	size_t nl = vki_strlen(n);
	R(n, nl + 1);
	R(h, r && !STRICT() ? (size_t)(r - h) + nl : vki_strlen(h) + 1);
	return r;
}

VKI_EXPORT char *strstr(const char *h, const char *n)
{
	return do_strstr(h, n, VKI_REAL(strstr_fn, strstr), false);
}

VKI_EXPORT char *strcasestr(const char *h, const char *n)
{
	return do_strstr(h, n, VKI_REAL(strstr_fn, strcasestr), true);
}

typedef void *(*memmem_fn)(const void *, size_t, const void *, size_t);

VKI_EXPORT void *memmem(const void *h, size_t hl, const void *n, size_t nl)
{
	memmem_fn real = VKI_REAL(memmem_fn, memmem);
	R(h, hl);
	R(n, nl);
	if (real)
		return real(h, hl, n, nl);
	if (!nl)
		return (void *)h;
	for (size_t i = 0; i + nl <= hl; i++) {
		const char *p = (const char *)h + i;
		size_t j = 0;
		while (j < nl && p[j] == ((const char *)n)[j])
			j++;
		if (j == nl)
			return (void *)p;
	}
	return NULL;
}

/* ------------------------------------------------------------ strtok */

/* Reads s up to the end of the token and its delimiter; writes that
 * delimiter (now a terminator) when there is one. */
INLINE char *do_strtok(char *s, const char *delim, char **save)
{
	uint64_t map[4];
	size_t dl = vki_byteset_make(map, delim);
	R(delim, dl + 1);
	if (!s)
		s = *save;
	char *start = s + vki_byteset_span(s, map, true);
	if (!*start) {
		read_str_upto(s, (size_t)(start - s));
		*save = start;
		return NULL;
	}
	char *end = start + vki_byteset_span(start, map, false);
	read_str_upto(s, (size_t)(end - s));
	if (*end) {
		W(end, 1);
		*end++ = 0;
	}
	*save = end;
	return start;
}

VKI_EXPORT char *strtok_r(char *s, const char *delim, char **save)
{
	return do_strtok(s, delim, save);
}

VKI_EXPORT char *strtok(char *s, const char *delim)
{
	static char *save;
	return do_strtok(s, delim, &save);
}

/* ------------------------------------------------------------ strtol */

/*
 * glibc's parsers, under the names its own headers used to call them by
 * (part of its ABI), then the check: the bytes parsed and the one that
 * stopped the parse.
 */
extern long __strtol_internal(const char *, char **, int, int);
extern long long __strtoll_internal(const char *, char **, int, int);
extern unsigned long __strtoul_internal(const char *, char **, int, int);
extern unsigned long long __strtoull_internal(const char *, char **, int, int);
extern double __strtod_internal(const char *, char **, int);
extern float __strtof_internal(const char *, char **, int);
extern long double __strtold_internal(const char *, char **, int);

INLINE void parsed(const char *s, char *end, char **endptr)
{
	if (endptr) {
		W(endptr, sizeof(*endptr));
		*endptr = end;
	}
	read_str_upto(s, (size_t)(end - s));
}

#define STRTOI(name, type, real)                                               \
	VKI_EXPORT type name(const char *restrict s, char **restrict endptr, int base) \
	{                                                                      \
		char *end;                                                     \
		type v = real(s, &end, base, 0);                               \
		int e = errno;                                                 \
		parsed(s, end, endptr);                                        \
		errno = e;                                                     \
		return v;                                                      \
	}
STRTOI(strtol, long, __strtol_internal)
STRTOI(strtoll, long long, __strtoll_internal)
STRTOI(strtoul, unsigned long, __strtoul_internal)
STRTOI(strtoull, unsigned long long, __strtoull_internal)
STRTOI(strtoq, long long, __strtoll_internal)
STRTOI(strtouq, unsigned long long, __strtoull_internal)

#define STRTOF(name, type, real)                                               \
	VKI_EXPORT type name(const char *restrict s, char **restrict endptr)  \
	{                                                                      \
		char *end;                                                     \
		type v = real(s, &end, 0);                                     \
		int e = errno;                                                 \
		parsed(s, end, endptr);                                        \
		errno = e;                                                     \
		return v;                                                      \
	}
STRTOF(strtod, double, __strtod_internal)
STRTOF(strtof, float, __strtof_internal)
STRTOF(strtold, long double, __strtold_internal)

VKI_EXPORT int atoi(const char *s)
{
	char *end;
	long v = __strtol_internal(s, &end, 10, 0);
	read_str_upto(s, (size_t)(end - s));
	return (int)v;
}

VKI_EXPORT long atol(const char *s)
{
	char *end;
	long v = __strtol_internal(s, &end, 10, 0);
	read_str_upto(s, (size_t)(end - s));
	return v;
}

VKI_EXPORT long long atoll(const char *s)
{
	char *end;
	long long v = __strtoll_internal(s, &end, 10, 0);
	read_str_upto(s, (size_t)(end - s));
	return v;
}

/* ------------------------------------------------------------ _FORTIFY_SOURCE */

/* Keep glibc's abort when the object is smaller than the copy, then check
 * as the plain function.  __memcpy_chk, __memmove_chk, __memset_chk are
 * check.c's. */
VKI_EXPORT char *__strcpy_chk(char *restrict d, const char *restrict s, size_t dlen)
{
	if (vki_strlen(s) >= dlen)
		__chk_fail();
	do_stpcpy(d, s);
	return d;
}

VKI_EXPORT char *__stpcpy_chk(char *restrict d, const char *restrict s, size_t dlen)
{
	if (vki_strlen(s) >= dlen)
		__chk_fail();
	return do_stpcpy(d, s);
}

VKI_EXPORT char *__strncpy_chk(char *restrict d, const char *restrict s, size_t n, size_t dlen)
{
	if (n > dlen)
		__chk_fail();
	do_stpncpy(d, s, n);
	return d;
}

VKI_EXPORT char *__stpncpy_chk(char *restrict d, const char *restrict s, size_t n, size_t dlen)
{
	if (n > dlen)
		__chk_fail();
	return do_stpncpy(d, s, n);
}

VKI_EXPORT char *__strcat_chk(char *restrict d, const char *restrict s, size_t dlen)
{
	return do_strncat(d, s, SIZE_MAX, dlen, true);
}

VKI_EXPORT char *__strncat_chk(char *restrict d, const char *restrict s, size_t n, size_t dlen)
{
	return do_strncat(d, s, n, dlen, true);
}

VKI_EXPORT void *__mempcpy_chk(void *restrict d, const void *restrict s, size_t n, size_t dlen)
{
	if (n > dlen)
		__chk_fail();
	R(s, n);
	W(d, n);
	vki_copy(d, s, n);
	return (char *)d + n;
}

VKI_EXPORT void __explicit_bzero_chk(void *d, size_t n, size_t dlen)
{
	if (n > dlen)
		__chk_fail();
	W(d, n);
	vki_fill(d, 0, n);
	__asm__ volatile("" : : "r"(d) : "memory");
}

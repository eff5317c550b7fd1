/*
 * vkstring.c - libc's string functions without libc, unchecked: what the
 * runtime uses instead of the names it intercepts (intercept_string.c,
 * which builds its checked versions on these), so that linking the runtime
 * alone never pulls in the interceptors.  Built like the interceptors
 * (Makefile): the compiler must not turn these loops into calls to the
 * functions they implement.
 */
#include "vk_internal.h"

typedef uint64_t __attribute__((may_alias)) vki_word;

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define HAS_ZERO(v) (((v) - ONES) & ~(v) & HIGHS)


/* Word at a time: an aligned 8-byte load never crosses a page, so reading
 * past the terminator inside its word is safe. */
size_t vki_strlen(const char *s)
{
	const char *p = s;
	for (; (uintptr_t)p & 7; p++)
		if (!*p)
			return (size_t)(p - s);
	const vki_word *w = (const vki_word *)p;
	while (!HAS_ZERO(*w))
		w++;
	for (p = (const char *)w; *p; p++)
		;
	return (size_t)(p - s);
}

size_t vki_strnlen(const char *s, size_t max)
{
	size_t i = 0;
	while (i < max && s[i])
		i++;
	return i;
}

int vki_strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	while (*x && *x == *y)
		x++, y++;
	return *x - *y;
}

int vki_strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	for (; n; n--, x++, y++)
		if (*x != *y || !*x)
			return *x - *y;
	return 0;
}

int vki_memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

/* First c or the terminator, word at a time. */
char *vki_strchrnul(const char *s, int c)
{
	unsigned char ch = (unsigned char)c;
	const char *p = s;
	for (; (uintptr_t)p & 7; p++)
		if (!*p || (unsigned char)*p == ch)
			return (char *)p;
	uint64_t pat = ch * ONES;
	const vki_word *w = (const vki_word *)p;
	for (;; w++) {
		uint64_t v = *w;
		if (HAS_ZERO(v) || HAS_ZERO(v ^ pat))
			break;
	}
	for (p = (const char *)w; *p && (unsigned char)*p != ch; p++)
		;
	return (char *)p;
}

char *vki_strchr(const char *s, int c)
{
	char *p = vki_strchrnul(s, c);
	return (unsigned char)*p == (unsigned char)c ? p : NULL;
}

char *vki_strrchr(const char *s, int c)
{
	const char *last = NULL;
	for (;; s++) {
		if ((unsigned char)*s == (unsigned char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

size_t vki_byteset_make(uint64_t map[4], const char *set)
{
	const unsigned char *p = (const unsigned char *)set;
	map[0] = map[1] = map[2] = map[3] = 0;
	for (; *p; p++)
		map[*p >> 6] |= 1ULL << (*p & 63);
	return (size_t)((const char *)p - set);
}

size_t vki_byteset_span(const char *s, const uint64_t map[4], bool in)
{
	const unsigned char *p = (const unsigned char *)s;
	if (in)
		while (*p && vki_byteset_has(map, *p))
			p++;
	else
		while (*p && !vki_byteset_has(map, *p))
			p++;
	return (size_t)((const char *)p - s);
}

char *vki_strpbrk(const char *s, const char *set)
{
	uint64_t map[4];
	vki_byteset_make(map, set);
	size_t n = vki_byteset_span(s, map, false);
	return s[n] ? (char *)s + n : NULL;
}

char *vki_strcpy(char *d, const char *s)
{
	vki_copy(d, s, vki_strlen(s) + 1);
	return d;
}

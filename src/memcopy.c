/*
 * memcopy.c - moving and filling bytes without the C library.
 *
 * The runtime exports memcpy, memmove and memset (check.c) so that
 * instrumented code's calls are checked; the copy behind them cannot call
 * libc's, which the exported names replace, and must not be written as a
 * plain loop either: the compiler recognises such loops and turns them back
 * into a memcpy call - this very function.  So:
 *
 *   size          how
 *   ------------  ------------------------------------------------------
 *   0..32         two overlapping moves of the largest power of two <= n
 *   33..128       up to eight 16-byte loads, then the stores (overlap-safe)
 *   129..2047     64-byte blocks, the far end loaded before the loop
 *   2048..        "rep movsb" / "rep stosb" (fast strings: ERMS/FSRM)
 *
 * Every path loads a block completely before storing it, which is what
 * makes the same code right for memmove in the direction it is used.  The
 * empty asm statements in the loops keep the compiler from recognising them.
 */
#include "vk_internal.h"

typedef uint64_t __attribute__((aligned(1), may_alias)) u64u;
typedef uint32_t __attribute__((aligned(1), may_alias)) u32u;
typedef uint16_t __attribute__((aligned(1), may_alias)) u16u;
typedef long long v16 __attribute__((vector_size(16)));
typedef long long v16u __attribute__((vector_size(16), aligned(1), may_alias));

#define REP_THRESHOLD 2048

static inline v16 ld(const char *p)
{
	return *(const v16u *)p;
}

static inline void st(char *p, v16 v)
{
	*(v16u *)p = v;
}

static inline __attribute__((always_inline)) void move_upto32(char *d, const char *s, size_t n)
{
	if (n >= 16) {
		v16 a = ld(s), b = ld(s + n - 16);
		st(d, a);
		st(d + n - 16, b);
	} else if (n >= 8) {
		uint64_t a = *(const u64u *)s, b = *(const u64u *)(s + n - 8);
		*(u64u *)d = a;
		*(u64u *)(d + n - 8) = b;
	} else if (n >= 4) {
		uint32_t a = *(const u32u *)s, b = *(const u32u *)(s + n - 4);
		*(u32u *)d = a;
		*(u32u *)(d + n - 4) = b;
	} else if (n >= 2) {
		uint16_t a = *(const u16u *)s, b = *(const u16u *)(s + n - 2);
		*(u16u *)d = a;
		*(u16u *)(d + n - 2) = b;
	} else if (n) {
		*d = *s;
	}
}

/* 33..128 bytes, all loads first: right for any overlap. */
static inline __attribute__((always_inline)) void move_upto128(char *d, const char *s, size_t n)
{
	if (n <= 64) {
		v16 a = ld(s), b = ld(s + 16), c = ld(s + n - 32), e = ld(s + n - 16);
		st(d, a);
		st(d + 16, b);
		st(d + n - 32, c);
		st(d + n - 16, e);
		return;
	}
	v16 a = ld(s), b = ld(s + 16), c = ld(s + 32), e = ld(s + 48);
	v16 f = ld(s + n - 64), g = ld(s + n - 48), h = ld(s + n - 32), i = ld(s + n - 16);
	st(d, a);
	st(d + 16, b);
	st(d + 32, c);
	st(d + 48, e);
	st(d + n - 64, f);
	st(d + n - 48, g);
	st(d + n - 32, h);
	st(d + n - 16, i);
}

/* Forward in 64-byte blocks: right when d <= s or the ranges are apart. */
static void move_blocks_forward(char *d, const char *s, size_t n)
{
	v16 t0 = ld(s + n - 64), t1 = ld(s + n - 48), t2 = ld(s + n - 32), t3 = ld(s + n - 16);
	char *dend = d + n;
	while (n > 64) {
		v16 a = ld(s), b = ld(s + 16), c = ld(s + 32), e = ld(s + 48);
		st(d, a);
		st(d + 16, b);
		st(d + 32, c);
		st(d + 48, e);
		d += 64;
		s += 64;
		n -= 64;
		__asm__ volatile("" : : : "memory");
	}
	st(dend - 64, t0);
	st(dend - 48, t1);
	st(dend - 32, t2);
	st(dend - 16, t3);
}

/* Backward in 64-byte blocks: right when d > s and the ranges overlap. */
static void move_blocks_backward(char *d, const char *s, size_t n)
{
	v16 h0 = ld(s), h1 = ld(s + 16), h2 = ld(s + 32), h3 = ld(s + 48);
	char *d0 = d;
	while (n > 64) {
		n -= 64;
		v16 a = ld(s + n), b = ld(s + n + 16), c = ld(s + n + 32), e = ld(s + n + 48);
		st(d + n, a);
		st(d + n + 16, b);
		st(d + n + 32, c);
		st(d + n + 48, e);
		__asm__ volatile("" : : : "memory");
	}
	st(d0, h0);
	st(d0 + 16, h1);
	st(d0 + 32, h2);
	st(d0 + 48, h3);
}

void vki_copy(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;
	if (n <= 32)
		move_upto32(d, s, n);
	else if (n <= 128)
		move_upto128(d, s, n);
	else if (n < REP_THRESHOLD)
		move_blocks_forward(d, s, n);
	else /* byte-wise forward semantics: also right for d < s overlaps */
		__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

void vki_move(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;
	if (n <= 32)
		move_upto32(d, s, n);
	else if (n <= 128)
		move_upto128(d, s, n);
	else if ((uintptr_t)d - (uintptr_t)s >= n) /* d before s, or apart */
		vki_copy(d, s, n);
	else
		move_blocks_backward(d, s, n);
}

void vki_fill(void *dst, int c, size_t n)
{
	char *d = dst;
	uint64_t w = (uint8_t)c * 0x0101010101010101ULL;
	if (n <= 32) {
		if (n >= 16) {
			*(u64u *)d = w;
			*(u64u *)(d + 8) = w;
			*(u64u *)(d + n - 16) = w;
			*(u64u *)(d + n - 8) = w;
		} else if (n >= 8) {
			*(u64u *)d = w;
			*(u64u *)(d + n - 8) = w;
		} else if (n >= 4) {
			*(u32u *)d = (uint32_t)w;
			*(u32u *)(d + n - 4) = (uint32_t)w;
		} else if (n >= 2) {
			*(u16u *)d = (uint16_t)w;
			*(u16u *)(d + n - 2) = (uint16_t)w;
		} else if (n) {
			*d = (char)c;
		}
		return;
	}
	if (n >= REP_THRESHOLD) {
		__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
		return;
	}
	v16 v = { (long long)w, (long long)w };
	char *end = d + n;
	st(end - 32, v);
	st(end - 16, v);
	while (n > 32) {
		st(d, v);
		st(d + 16, v);
		d += 32;
		n -= 32;
		__asm__ volatile("" : : : "memory");
	}
}

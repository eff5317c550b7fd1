// libc string and memory functions on a vk_vmalloc buffer: the bytes they
// touch are checked, the report names the libc function as the first frame
// of the Call Trace, then the caller.  Every in-bounds call is silent.
// Inputs come from argv so that the compiler keeps the library calls.
//
// The symbolizer's [inline] frames (the interceptor's own inlined helpers,
// glibc's fortify wrappers) are filtered out: the checks are on the real
// frames, the interceptor first and its caller next.
// RUN: %cc %s -o %t
// (The program keeps its buffers to the end, on purpose: no leak check.)
// RUN: env VKASAN_OPTIONS=detect_leaks=0 %run %t ok 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=OK
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strlen 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strlen
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strnlen 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strnlen
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strcpy 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strcpy
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t stpcpy 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=stpcpy
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strncpy 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strncpy
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t stpncpy 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=stpncpy
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strcat 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strcat
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strncat 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strncat
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strcmp 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strcmp
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strncmp 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strncmp
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strcasecmp 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strcasecmp
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strncasecmp 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strncasecmp
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strchr 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strchr
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strrchr 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strrchr
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strchrnul 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strchrnul
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strstr 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strstr
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strcasestr 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strcasestr
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strspn 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strspn
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strcspn 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strcspn
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strpbrk 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strpbrk
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strtok 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strtok
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strtok_r 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strtok_r
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strdup 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strdup
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strndup 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strndup
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strtol 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strtol
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strtoull 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strtoull
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t strtod 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strtod
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t memchr 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=memchr
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t memrchr 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=memrchr
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t memcmp 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=memcmp
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t bcmp 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=bcmp
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t memmem 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=memmem
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t memccpy 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=memccpy
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t mempcpy 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=mempcpy
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t bzero 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=bzero
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t explicit_bzero 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=explicit_bzero
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t __strcpy_chk 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=__strcpy_chk
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t __strncat_chk 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=__strncat_chk
//
// Fortified: the same calls, through the _chk entry points where the
// compiler knows the object size; a copy larger than a known object still
// aborts as glibc's would.
// RUN: %cc -O2 -D_FORTIFY_SOURCE=2 %s -o %t.f
// RUN: env VKASAN_OPTIONS=detect_leaks=0 %run %t.f ok 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=OK
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t.f strcpy 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strcpy
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t.f strncat 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strncat
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t.f mempcpy 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=mempcpy
// RUN: not --crash env VKASAN_OPTIONS=detect_leaks=0 %run %t.f chk_fail 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=CHKFAIL
//
// Options: strict_string_checks=1 checks the whole string even where strchr
// stops early; intercept=0 checks nothing.
// RUN: env VKASAN_OPTIONS=detect_leaks=0 %run %t strict 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=OK
// RUN: env VKASAN_OPTIONS=strict_string_checks=1:detect_leaks=0 not %run %t strict 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=strchr
// RUN: env VKASAN_OPTIONS=intercept=0:detect_leaks=0 %run %t off 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=OFF
//
// Inline mode checks stack buffers too; outline mode reports nothing there.
// RUN: env VKASAN_OPTIONS=halt_on_error=0:detect_leaks=0 %run %t stack 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=STACK-%vkmode
#define _GNU_SOURCE
#include <stdlib.h>
#include <strings.h>
#include "vktest.h"

extern char *__strcpy_chk(char *, const char *, size_t);
extern char *__strncat_chk(char *, const char *, size_t, size_t);

static volatile long sink;

/* Use the copy: clang removes an unused strdup/free pair. */
static void use_free(char *d)
{
	sink += d ? d[0] : 0;
	free(d);
}
/* Compilers rewrite these as memcmp, memcpy and memset (checked, but
 * reported as the caller's): call them through pointers. */
static int (*volatile bcmp_p)(const void *, const void *, size_t) = bcmp;
static void *(*volatile mempcpy_p)(void *, const void *, size_t) = mempcpy;
static void (*volatile bzero_p)(void *, size_t) = bzero;

// BAD: BUG: KASAN: vmalloc-out-of-bounds in {{(__)?}}[[FN]]{{(_chk)?}}+0x
// BAD: Call Trace:
// BAD-NEXT: {{^ }}{{(__)?}}[[FN]]{{(_chk)?}}+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}}
// BAD-NEXT: {{^ }}main+0x
// OK-NOT: KASAN
// OK: done
// OFF-NOT: KASAN
// OFF: done
// CHKFAIL: buffer overflow detected
// STACK-inline: BUG: KASAN: stack-out-of-bounds in strcpy+0x
// STACK-inline: Write of size 17 at addr
// STACK-inline: done
// STACK-outline-NOT: KASAN
// STACK-outline: done

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "ok";
	size_t n = argc > 2 ? (size_t)atoi(argv[2]) : 16; /* 16: the buffer size */
	char *p = vk_vmalloc(n), *q = vk_vmalloc(64);
	char src[64], num[64];
	memset(src, 'a', sizeof(src));
	src[n] = 0;                        /* a string of n bytes: one too many */
	memset(num, '7', sizeof(num));
	num[n] = 0;
	memset(q, 'a', 64);
	q[63] = 0;
#define IS(s) (!strcmp(m, s))
#define BAD(access, size, at) vt_expect(access " of size %d at addr %p", (int)(size), (void *)(at))

	if (IS("ok") || IS("strict")) {
		/* Every function once, touching at most the buffer's n bytes. */
		src[n - 1] = 0;
		strcpy(p, src);
		sink += strlen(p) + strnlen(p, 100) + (stpcpy(p, src) - p);
		strncpy(p, src, n);
		sink += stpncpy(p, src, n) - p;
		p[0] = 0;
		strcat(p, src);
		p[3] = 0;
		strncat(p, src, n - 4);
		strcpy(p, src);
		sink += strcmp(p, src) + strncmp(p, q, 100) + strcasecmp(p, src) +
			strncasecmp(p, q, 100);
		sink += (long)strchr(p, 'a') + (long)strrchr(p, 'a') + (long)strchrnul(p, 'z');
		sink += (long)strstr(p, "aa") + (long)strcasestr(p, "AA") + strspn(p, "a") +
			strcspn(p, ",") + (long)strpbrk(p, "a");
		sink += (long)memchr(p, 'z', n) + (long)memrchr(p, 'a', n) + memcmp(p, q, n) +
			bcmp_p(p, q, n) + (long)memmem(p, n, "aa", 2);
		char *save, *t = strtok_r(p, ",", &save);
		sink += (long)t + (long)strtok(q, ",");
		strcpy(p, src);
		use_free(strdup(p));
		use_free(strndup(p, 100));
		memcpy(p, num, n - 1);
		sink += strtol(p, NULL, 10) + (long)strtoull(p, NULL, 10) + (long)strtod(p, NULL);
		sink += (long)memccpy(p, src, 'z', n) + (long)mempcpy_p(p, src, n);
		bzero_p(p, n);
		explicit_bzero(p, n);
		strcpy(p, src);
		__strcpy_chk(p, src, n);
		p[0] = 0;
		__strncat_chk(p, src, n, n);
		if (IS("strict")) { /* strchr stops at p[0]; the string goes on */
			memset(p, 'a', n);
			sink += (long)strchr(p, 'a');
		}
	}
	/* p holds n bytes without a terminator: functions that look for one
	 * read the byte past the end. */
	memset(p, 'a', n);
	if (IS("strlen")) {
		BAD("Read", n + 1, p);
		sink += strlen(p);
	} else if (IS("strnlen")) {
		BAD("Read", n + 1, p);
		sink += strnlen(p, n + 1);
	} else if (IS("strcpy")) {
		BAD("Write", n + 1, p);
		strcpy(p, src);
	} else if (IS("stpcpy")) {
		BAD("Write", n + 1, p);
		sink += (long)stpcpy(p, src);
	} else if (IS("strncpy")) {
		BAD("Write", n + 4, p);
		strncpy(p, src, n + 4);
	} else if (IS("stpncpy")) {
		BAD("Write", n + 4, p);
		sink += (long)stpncpy(p, src, n + 4);
	} else if (IS("strcat")) {
		p[4] = 0;
		BAD("Write", n - 4 + 1, p + 4);
		strcat(p, src + 4);
	} else if (IS("strncat")) {
		p[4] = 0;
		BAD("Write", n - 4 + 1, p + 4);
		strncat(p, src, n - 4);
	} else if (IS("strcmp")) {
		BAD("Read", n + 1, p);
		sink += strcmp(p, src);
	} else if (IS("strncmp")) {
		BAD("Read", n + 1, p);
		sink += strncmp(p, src, n + 5);
	} else if (IS("strcasecmp")) {
		BAD("Read", n + 1, p);
		sink += strcasecmp(p, src);
	} else if (IS("strncasecmp")) {
		BAD("Read", n + 1, p);
		sink += strncasecmp(p, src, n + 5);
	} else if (IS("strchr")) {
		BAD("Read", n + 1, p);
		sink += (long)strchr(p, 'z');
	} else if (IS("strrchr")) {
		BAD("Read", n + 1, p);
		sink += (long)strrchr(p, 'a');
	} else if (IS("strchrnul")) {
		BAD("Read", n + 1, p);
		sink += (long)strchrnul(p, 'z');
	} else if (IS("strstr")) {
		BAD("Read", n + 1, p);
		sink += (long)strstr(p, "zz");
	} else if (IS("strcasestr")) {
		BAD("Read", n + 1, p);
		sink += (long)strcasestr(p, "zz");
	} else if (IS("strspn")) {
		BAD("Read", n + 1, p);
		sink += strspn(p, "a");
	} else if (IS("strcspn")) {
		BAD("Read", n + 1, p);
		sink += strcspn(p, ",");
	} else if (IS("strpbrk")) {
		BAD("Read", n + 1, p);
		sink += (long)strpbrk(p, ",;");
	} else if (IS("strtok")) {
		BAD("Read", n + 1, p);
		sink += (long)strtok(p, ",");
	} else if (IS("strtok_r")) {
		char *save;
		BAD("Read", n + 1, p);
		sink += (long)strtok_r(p, ",", &save);
	} else if (IS("strdup")) {
		BAD("Read", n + 1, p);
		use_free(strdup(p));
	} else if (IS("strndup")) {
		BAD("Read", n + 1, p);
		use_free(strndup(p, n + 10));
	} else if (IS("strtol") || IS("strtoull") || IS("strtod")) {
		memset(p, '7', n);
		BAD("Read", n + 1, p);
		if (IS("strtol"))
			sink += strtol(p, NULL, 10);
		else if (IS("strtoull"))
			sink += (long)strtoull(p, NULL, 10);
		else
			sink += (long)strtod(p, NULL);
	} else if (IS("memchr")) {
		BAD("Read", n + 1, p);
		sink += (long)memchr(p, 'z', n + 1);
	} else if (IS("memrchr")) {
		BAD("Read", n + 1, p);
		sink += (long)memrchr(p, 'a', n + 1);
	} else if (IS("memcmp")) {
		BAD("Read", n + 1, p);
		sink += memcmp(p, q, n + 1);
	} else if (IS("bcmp")) {
		BAD("Read", n + 1, p);
		sink += bcmp_p(p, q, n + 1);
	} else if (IS("memmem")) {
		BAD("Read", n + 1, p);
		sink += (long)memmem(p, n + 1, "zz", 2);
	} else if (IS("memccpy")) {
		BAD("Write", n + 1, p);
		sink += (long)memccpy(p, src, 'z', n + 1);
	} else if (IS("mempcpy")) {
		BAD("Write", n + 1, p);
		sink += (long)mempcpy_p(p, src, n + 1);
	} else if (IS("bzero")) {
		BAD("Write", n + 1, p);
		bzero_p(p, n + 1);
	} else if (IS("explicit_bzero")) {
		BAD("Write", n + 1, p);
		explicit_bzero(p, n + 1);
	} else if (IS("__strcpy_chk")) {
		BAD("Write", n + 1, p);
		__strcpy_chk(p, src, 1000);
	} else if (IS("__strncat_chk")) {
		p[4] = 0;
		BAD("Write", n - 4 + 1, p + 4);
		__strncat_chk(p, src, n - 4, 1000);
	} else if (IS("chk_fail")) {
		char small[8];
		strcpy(small, src); /* known object size: __strcpy_chk aborts */
		sink += small[0];
	} else if (IS("off")) { /* intercept=0: unchecked */
		strcpy(p, src);
		sink += strlen(p);
	} else if (IS("stack")) {
		char local[16];
		vt_mark("stack\n");
		strcpy(local, src);
		sink += local[0];
	}
	vt_mark("done\n");
	return 0;
}

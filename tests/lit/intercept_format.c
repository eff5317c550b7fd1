// Formatted output into a vk_vmalloc buffer: the bytes written are checked
// before they are written (so a size larger than the buffer that the output
// does not reach is not reported), and every %s argument's bytes as reads.
// The report names the libc function first, then its caller.
//
// The symbolizer's [inline] frames (the interceptor's own inlined helpers,
// glibc's fortify wrappers) are filtered out: the checks are on the real
// frames, the interceptor first and its caller next.
// RUN: %cc %s -o %t
// (The program keeps its buffers to the end, on purpose: no leak check.)
// RUN: env VKASAN_OPTIONS=detect_leaks=0 %run %t ok 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=OK
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t sprintf 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=sprintf -DCALLER=main
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t snprintf 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=snprintf -DCALLER=main
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t vsprintf 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=vsprintf -DCALLER=vfmt
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t vsnprintf 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=vsnprintf -DCALLER=vfmt
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t snprintf-arg 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=snprintf -DCALLER=main
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t asprintf-arg 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=asprintf -DCALLER=main
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t vasprintf-arg 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=vasprintf -DCALLER=vfmt
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t printf-arg 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=printf -DCALLER=main
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t fprintf-arg 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=fprintf -DCALLER=main
//
// RUN: %cc -O2 -D_FORTIFY_SOURCE=2 %s -o %t.f
// RUN: env VKASAN_OPTIONS=detect_leaks=0 %run %t.f ok 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=OK
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t.f sprintf 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=sprintf -DCALLER=main
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t.f snprintf 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=snprintf -DCALLER=main
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t.f vsnprintf 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=vsnprintf -DCALLER=vfmt
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t.f printf-arg 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=printf -DCALLER=main
// RUN: not --crash env VKASAN_OPTIONS=detect_leaks=0 %run %t.f chk_fail 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=CHKFAIL
#include <stdarg.h>
#include <stdlib.h>
#include "vktest.h"

static volatile long sink;

// BAD: BUG: KASAN: vmalloc-out-of-bounds in {{(__)?}}[[FN]]{{(_chk)?}}+0x
// BAD: Call Trace:
// BAD-NEXT: {{^ }}{{(__)?}}[[FN]]{{(_chk)?}}+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}}
// BAD-NEXT: {{^ }}[[CALLER]]+0x
// OK-NOT: KASAN
// OK: done
// CHKFAIL: buffer overflow detected

VT_NOINLINE int vfmt(int how, char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r;
	if (how == 0) {
		r = vsprintf(buf, fmt, ap);
	} else if (how == 1) {
		r = vsnprintf(buf, size, fmt, ap);
	} else {
		char *s = NULL;
		r = vasprintf(&s, fmt, ap);
		free(s);
	}
	va_end(ap);
	VT_NO_TAIL();
	return r;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "ok";
	int n = argc > 2 ? atoi(argv[2]) : 16; /* 16: the buffer size */
	char *p = vk_vmalloc(n), *q = vk_vmalloc(256);
	char src[64], *s = NULL;
	memset(src, 'a', sizeof(src));
	src[n - 1] = 0; /* "%s-%d" of it and 5: n + 1 characters, n + 2 bytes */
#define IS(x) (!strcmp(m, x))
#define BAD(access, size, at) vt_expect(access " of size %d at addr %p", (int)(size), (void *)(at))

	if (IS("ok")) {
		src[n - 3] = 0; /* n - 3 + 2 characters and the terminator: fits */
		sink += sprintf(p, "%s-%d", src, 5);
		sink += snprintf(p, n, "%s-%d", src, 5);
		src[n - 3] = 'a';
		sink += snprintf(p, n, "%s-%d", src, 5);      /* truncated to fit */
		sink += snprintf(p, 1000, "%d", n);           /* size too large, unused */
		sink += vfmt(1, p, 1000, "%s-%d", "x", 5);
		sink += vfmt(2, NULL, 0, "%s", p);
		memset(p, 'b', n); /* no terminator: a precision keeps %s inside */
		sink += snprintf(q, 256, "<%.*s>", n, p);
		sink += snprintf(q, 256, "<%.16s> %d %ld %lld %zu %c %p %f %Lf %s", p, 1, 2L,
				 3LL, (size_t)4, 'c', (void *)p, 1.0, (long double)2.0, "end");
		sink += asprintf(&s, "<%.*s>", n, p);
		free(s);
		printf("<%.*s>\n", n, p);
		fprintf(stdout, "<%.*s>\n", n, p);
	}
	if (IS("sprintf")) {
		BAD("Write", n + 2, p);
		sink += sprintf(p, "%s-%d", src, 5);
	} else if (IS("snprintf")) {
		BAD("Write", n + 2, p);
		sink += snprintf(p, 1000, "%s-%d", src, 5);
	} else if (IS("vsprintf")) {
		BAD("Write", n + 2, p);
		sink += vfmt(0, p, 0, "%s-%d", src, 5);
	} else if (IS("vsnprintf")) {
		BAD("Write", n + 2, p);
		sink += vfmt(1, p, 1000, "%s-%d", src, 5);
	}
	memset(p, 'b', n); /* no terminator: %s reads one byte too many */
	if (IS("snprintf-arg")) {
		BAD("Read", n + 1, p);
		sink += snprintf(q, 256, "<%s>", p);
	} else if (IS("asprintf-arg")) {
		BAD("Read", n + 1, p);
		sink += asprintf(&s, "<%d %s>", 3, p);
		free(s);
	} else if (IS("vasprintf-arg")) {
		BAD("Read", n + 1, p);
		sink += vfmt(2, NULL, 0, "<%s>", p);
	} else if (IS("printf-arg")) {
		BAD("Read", n + 1, p);
		printf("<%s>\n", p);
	} else if (IS("fprintf-arg")) {
		BAD("Read", n + 1, p);
		fprintf(stdout, "<%s>\n", p);
	} else if (IS("chk_fail")) {
		char small[8];
		sink += sprintf(small, "%s-%d", src, 5); /* known size: aborts */
		sink += small[0];
	}
	vt_mark("done\n");
	return 0;
}

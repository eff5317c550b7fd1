// I/O into and out of a vk_vmalloc buffer.  Into it: the bytes the call
// wrote (its return value) are checked, so asking for more than the buffer
// holds is silent while the data fit; out of it: the whole request, before
// the call.  The report names the libc function first, then its caller.
//
// The symbolizer's [inline] frames (the interceptor's own inlined helpers,
// glibc's fortify wrappers) are filtered out: the checks are on the real
// frames, the interceptor first and its caller next.
// RUN: %cc %s -o %t
// (The program keeps its buffers to the end, on purpose: no leak check.)
// RUN: env VKASAN_OPTIONS=detect_leaks=0 %run %t ok 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=OK
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t read 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=read
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t pread 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=pread
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t readv 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=readv
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t recv 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=recv
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t recvfrom 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=recvfrom
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t recvmsg 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=recvmsg
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t write 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=write
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t pwrite 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=pwrite
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t writev 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=writev
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t send 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=send
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t sendto 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=sendto
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t fread 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=fread
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t fwrite 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=fwrite
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t fgets 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=fgets
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t fputs 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=fputs
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t getline 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=getline
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t getdelim 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=getdelim
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t getcwd 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=getcwd
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t realpath 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=realpath
//
// RUN: %cc -O2 -D_FORTIFY_SOURCE=2 %s -o %t.f
// RUN: env VKASAN_OPTIONS=detect_leaks=0 %run %t.f ok 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=OK
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t.f read 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=read
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t.f fgets 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=fgets
// RUN: not env VKASAN_OPTIONS=detect_leaks=0 %run %t.f getcwd 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=BAD -DFN=getcwd
// RUN: not --crash env VKASAN_OPTIONS=detect_leaks=0 %run %t.f chk_fail 16 2>&1 | grep -v ' \[inline\]$' | FileCheck %s --check-prefix=CHKFAIL
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "vktest.h"

static volatile long sink;
extern ssize_t __read_chk(int, void *, size_t, size_t);

// BAD: BUG: KASAN: vmalloc-out-of-bounds in {{(__)?}}[[FN]]{{(_chk)?}}+0x
// BAD: Call Trace:
// BAD-NEXT: {{^ }}{{(__)?}}[[FN]]{{(_chk)?}}+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}}
// BAD-NEXT: {{^ }}main+0x
// OK-NOT: KASAN
// OK: done
// CHKFAIL: buffer overflow detected

static char data[64];

/* A file holding 64 bytes of data, a line of 40 and "b:c" after it. */
static FILE *data_file(void)
{
	FILE *f = tmpfile();
	fwrite(data, 1, sizeof(data), f);
	fflush(f);
	rewind(f);
	return f;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "ok";
	int n = argc > 2 ? atoi(argv[2]) : 16; /* 16: the buffer size */
	char *p = vk_vmalloc(n), *big = vk_vmalloc(PATH_MAX);
	int sv[2];
	memset(data, 'd', sizeof(data));
	data[40] = '\n';
	data[44] = ':';
	FILE *f = data_file();
	int fd = fileno(f);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 2;
#define IS(x) (!strcmp(m, x))
#define BAD(access, size, at) vt_expect(access " of size %d at addr %p", (int)(size), (void *)(at))

	if (IS("ok")) {
		/* Asking for more than fits is fine while the data fit. */
		sink += write(sv[0], data, n);
		sink += read(sv[1], p, 1000);
		sink += pread(fd, p, n, 0);
		struct iovec iov = { p, (size_t)n };
		sink += writev(sv[0], &iov, 1) + readv(sv[1], &iov, 1);
		sink += send(sv[0], p, n, 0) + recv(sv[1], p, 1000, 0);
		sink += sendto(sv[0], p, n, 0, NULL, 0) + recvfrom(sv[1], p, n, 0, NULL, NULL);
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		sink += sendmsg(sv[0], &mh, 0) + recvmsg(sv[1], &mh, 0);
		sink += pwrite(fd, p, n, 100);
		sink += fread(p, 1, n, f) + fwrite(p, 1, n, stderr);
		rewind(f);
		sink += (long)fgets(p, n, f);
		p[n - 1] = 0;
		fputs(p, stderr);
		char *line = NULL;
		size_t cap = 0;
		sink += getline(&line, &cap, f) + getdelim(&line, &cap, ':', f);
		free(line);
		sink += (long)getcwd(big, PATH_MAX) + (long)realpath(".", big);
		vt_mark("\n");
	}
	memset(p, 'b', n);
	if (IS("read")) {
		sink += write(sv[0], data, n + 8);
		BAD("Write", n + 8, p);
		sink += read(sv[1], p, 1000);
	} else if (IS("pread")) {
		BAD("Write", n + 1, p);
		sink += pread(fd, p, n + 1, 0);
	} else if (IS("readv")) {
		struct iovec iov[2] = { { big, 4 }, { p, 100 } };
		sink += write(sv[0], data, 4 + n + 1);
		BAD("Write", n + 1, p);
		sink += readv(sv[1], iov, 2);
	} else if (IS("recv")) {
		sink += write(sv[0], data, n + 1);
		BAD("Write", n + 1, p);
		sink += recv(sv[1], p, 100, 0);
	} else if (IS("recvfrom")) {
		sink += write(sv[0], data, n + 1);
		BAD("Write", n + 1, p);
		sink += recvfrom(sv[1], p, 100, 0, NULL, NULL);
	} else if (IS("recvmsg")) {
		struct iovec iov = { p, 100 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		sink += write(sv[0], data, n + 1);
		BAD("Write", n + 1, p);
		sink += recvmsg(sv[1], &mh, 0);
	} else if (IS("write")) {
		BAD("Read", n + 1, p);
		sink += write(sv[0], p, n + 1);
	} else if (IS("pwrite")) {
		BAD("Read", n + 1, p);
		sink += pwrite(fd, p, n + 1, 0);
	} else if (IS("writev")) {
		struct iovec iov[2] = { { data, 4 }, { p, (size_t)n + 1 } };
		BAD("Read", n + 1, p);
		sink += writev(sv[0], iov, 2);
	} else if (IS("send")) {
		BAD("Read", n + 1, p);
		sink += send(sv[0], p, n + 1, 0);
	} else if (IS("sendto")) {
		BAD("Read", n + 1, p);
		sink += sendto(sv[0], p, n + 1, 0, NULL, 0);
	} else if (IS("fread")) {
		BAD("Write", 2 * (n / 2 + 1), p);
		sink += fread(p, 2, n / 2 + 1, f);
	} else if (IS("fwrite")) {
		BAD("Read", n + 1, p);
		sink += fwrite(p, 1, n + 1, stderr);
	} else if (IS("fgets")) {
		BAD("Write", 41 + 1, p);
		sink += (long)fgets(p, 100, f);
	} else if (IS("fputs")) {
		BAD("Read", n + 1, p);
		fputs(p, stderr);
	} else if (IS("getline") || IS("getdelim")) {
		/* The program's size variable straddles the end of the buffer. */
		char *line = NULL;
		size_t *cap = (size_t *)(p + n - 4);
		*(volatile int *)(p + n - 4) = 0;
		BAD("Read", sizeof(size_t), cap);
		if (IS("getline"))
			sink += getline(&line, cap, f);
		else
			sink += getdelim(&line, cap, ':', f);
		free(line);
	} else if (IS("getcwd")) {
		char here[PATH_MAX];
		if (!getcwd(here, sizeof(here)) || strlen(here) < (size_t)n)
			return 3;
		BAD("Write", strlen(here) + 1, p);
		sink += (long)getcwd(p, PATH_MAX);
	} else if (IS("realpath")) {
		char here[PATH_MAX];
		if (!realpath(".", here) || strlen(here) < (size_t)n)
			return 3;
		BAD("Write", strlen(here) + 1, p);
		sink += (long)realpath(".", p);
	} else if (IS("chk_fail")) {
		char small[8];
		/* What gcc's fortified read() of a known object calls (clang 14
		 * with glibc 2.36 does not fortify read): it must abort. */
		sink += __read_chk(fd, small, n, sizeof(small));
		sink += small[0];
	}
	vt_mark("done\n");
	return 0;
}

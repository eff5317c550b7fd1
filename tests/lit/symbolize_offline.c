// vkasan-symbolize (issue 16): a report written with symbolize=0 carries
// "(module+0xoff)" on each frame, and the offline tool turns it into the
// report the runtime prints when it symbolizes itself: same lines, inlined
// frames, file:line.  Also a stripped binary with a separate debug file.
// REQUIRES: O2
//
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %cc %s -o %t.d/prog
// RUN: env VKASAN_OPTIONS=symbolize=0 not %run %t.d/prog 2> %t.d/raw.log
// RUN: FileCheck %s --check-prefix=RAW < %t.d/raw.log
// RAW: Call Trace:
// RAW-NEXT: {{^ outer\+0x[0-9a-f]+/0x[0-9a-f]+ \(/.*/prog\+0x[0-9a-f]+\)$}}
// RAW-NEXT: {{^ main\+0x[0-9a-f]+/0x[0-9a-f]+ \(/.*/prog\+0x[0-9a-f]+\)$}}
// RAW-NOT: symbolize_offline.c:
// RUN: not %run %t.d/prog 2> %t.d/online.log
// RUN: %builddir/bin/vkasan-symbolize %t.d/raw.log | grep -v 'by task' > %t.d/offline.txt
// RUN: grep -v 'by task' %t.d/online.log | diff - %t.d/offline.txt
// RUN: FileCheck %s %lines < %t.d/offline.txt
// CHECK: BUG: KASAN: vmalloc-out-of-bounds in outer+0x
// CHECK: Call Trace:
// CHECK-NEXT: {{^ }}put_byte {{.*}}symbolize_offline.c:[[#PUT]] [inline]
// CHECK-NEXT: {{^ }}outer+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}symbolize_offline.c:[[#CALL]]
// CHECK-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}symbolize_offline.c:[[#MAIN]]
// Standard input works the same.
// RUN: %builddir/bin/vkasan-symbolize < %t.d/raw.log | grep -v 'by task' | diff - %t.d/offline.txt
//
// Stripped binary, debug info in prog.debug (found by its debuglink).
// RUN: objcopy --only-keep-debug %t.d/prog %t.d/prog.debug
// RUN: strip -g -o %t.d/stripped %t.d/prog
// RUN: objcopy --add-gnu-debuglink=%t.d/prog.debug %t.d/stripped
// RUN: env VKASAN_OPTIONS=symbolize=0 not %run %t.d/stripped 2> %t.d/raw2.log
// RUN: %builddir/bin/vkasan-symbolize %t.d/raw2.log | FileCheck %s %lines
#include "vktest.h"

static inline __attribute__((always_inline)) void put_byte(char *p, int i)
{
	((volatile char *)p)[i] = 1; // @PUT
}

__attribute__((noinline)) void outer(char *p, int i)
{
	put_byte(p, i); // @CALL
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	char *p = vk_vmalloc(16);
	outer(p, 16); // @MAIN
	return 0;
}

// What build systems and real projects ask of vkasan-cc (issue 16, points 3
// and 9): --version and --help answer as the compiler does (configure,
// CMake and Meson identify the compiler that way), no arguments at all get
// the compiler's answer plus a pointer to --vkasan-help; the wrapper's own
// --vkasan-help and --vkasan-version; a response file holding -c compiles
// only; a project's own -fsanitize=address is dropped (with a note under
// --vkasan-verbose) instead of clashing with kernel-address.
// REQUIRES: O0
//
// RUN: %vkcc --version | FileCheck %s --check-prefix=VERSION-%cckind
// VERSION-gcc: {{^(cc|gcc)}} ({{.*}}) {{[0-9]+}}.
// VERSION-gcc: Free Software Foundation
// VERSION-clang: clang version
// RUN: %vkcc --version | head -1 > %t.ver.wrapped
// RUN: %cckind --version | head -1 | sed 's/^gcc /cc /' > %t.ver.plain
// RUN: sed 's/^gcc /cc /' %t.ver.wrapped | cmp - %t.ver.plain
// RUN: %vkcc --help > %t.help.wrapped
// RUN: %cckind --help | cmp - %t.help.wrapped
// RUN: FileCheck %s --check-prefix=HELP < %t.help.wrapped
// HELP: {{Usage|USAGE}}:
// HELP-NOT: vkasan
// RUN: not %vkcc 2> %t.noargs
// RUN: FileCheck %s --check-prefix=NOARGS < %t.noargs
// NOARGS: no input files
// NOARGS: vkasan-cc: vkasan {{[0-9]+\.[0-9]+\.[0-9]+}} wrapper around '{{.*}}'; see vkasan-cc --vkasan-help
// RUN: %vkcc --vkasan-version | FileCheck %s --check-prefix=VKVER
// VKVER: {{^vkasan 0\.2\.0$}}
// RUN: grep -q '#define VKASAN_VERSION "0.2.0"' %incdir/vkasan.h
// RUN: %vkcc --vkasan-help | FileCheck %s --check-prefix=VKHELP
// VKHELP: usage: vkasan-cc
// VKHELP: --vkasan-version
// VKHELP: -flto
// VKHELP: man vkasan-cc
//
// A response file with -c: an object, no link.
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: printf '%%s\n' "-c" "-g" "%s" "-o" "%t.d/rsp.o" > %t.d/args.rsp
// RUN: %vkcc @%t.d/args.rsp 2>&1 | count 0
// RUN: nm %t.d/rsp.o | FileCheck %s --check-prefix=RSP-%vkmode
// RSP-outline: U __asan_store1_noabort
// RSP-inline: U __asan_report_store1_noabort
// RSP-NOT: vk_set_option
// A response file with the sources of a whole program: linked, with the runtime.
// RUN: printf '%%s\n' "-g" "%s" "-o" "%t.d/rsp-prog" > %t.d/link.rsp
// RUN: %vkcc @%t.d/link.rsp
// RUN: not %run %t.d/rsp-prog 2>&1 | FileCheck %s --check-prefix=BUG
// BUG: BUG: KASAN: vmalloc-out-of-bounds in main+0x
//
// -fsanitize=address from the project: dropped, the rest of the list kept.
// RUN: %vkcc --vkasan-verbose -fsanitize=address -g %s -o %t.d/asan 2> %t.d/asan.log
// RUN: FileCheck %s --check-prefix=DROP < %t.d/asan.log
// DROP: vkasan-cc: dropped -fsanitize=address
// DROP-NOT: -fsanitize=address
// RUN: not %run %t.d/asan 2>&1 | FileCheck %s --check-prefix=BUG
// RUN: %vkcc --vkasan-verbose -fsanitize=address,undefined -c %s -o %t.d/ub.o 2>&1 | FileCheck %s --check-prefix=UB
// UB: -fsanitize=undefined
// UB-NOT: -fsanitize=address
#include "vkasan.h"

int main(void)
{
	char *p = vk_vmalloc(10);
	((volatile char *)p)[10] = 1;
	return 0;
}

// VKASAN_OPTIONS: what happens after a report, and where it goes.
//   default            exit status 1 after the first report
//   exitcode=N         that status instead
//   abort_on_error=1   abort(): death by SIGABRT
//   halt_on_error=0    go on; every bad access reported; normal exit
//   max_reports=2      with halt_on_error=0: print two reports only
//   log_path=P         reports in P.<pid>, not on stderr
//   symbolize=0        frames still readable, without file:line, with
//                      (module+0xoffset) for vkasan-symbolize
//   an unknown option  a one-line warning, and the program runs
//
// RUN: %cc %s -o %t
// RUN: %run %t > %t.out 2>&1; test $? -eq 1
// RUN: FileCheck %s --check-prefix=HALT < %t.out
// RUN: env VKASAN_OPTIONS=exitcode=42 %run %t > /dev/null 2>&1; test $? -eq 42
// RUN: env VKASAN_OPTIONS=abort_on_error=1 not --crash %run %t 2>&1 | FileCheck %s --check-prefix=HALT
// RUN: env VKASAN_OPTIONS=halt_on_error=0:detect_leaks=0 %run %t 2>&1 | FileCheck %s --check-prefix=GO-ON
// RUN: env VKASAN_OPTIONS=halt_on_error=0:max_reports=2:detect_leaks=0 %run %t quiet 2>&1 | FileCheck %s --check-prefix=MAX
// RUN: rm -f %t.log.*
// RUN: env VKASAN_OPTIONS=halt_on_error=0:log_path=%t.log:detect_leaks=0 %run %t quiet > %t.out 2> %t.err
// RUN: FileCheck %s --check-prefix=LOG-STDERR < %t.err
// RUN: test -s %t.log.$(sed -n 's/^pid=//p' %t.err)
// RUN: cat %t.log.* | FileCheck %s --check-prefix=LOG
// RUN: %check_reports %t.log.*
// RUN: env VKASAN_OPTIONS=symbolize=0 not %run %t 2>&1 | FileCheck %s --check-prefix=NOSYM
// RUN: env VKASAN_OPTIONS=no_such_option=1:halt_on_error=0:detect_leaks=0 %run %t 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: env VKASAN_OPTIONS=halt_on_error=maybe not %run %t 2>&1 | FileCheck %s --check-prefix=BADVAL
// (the runs that go on after reports end with the mapping still live: detect_leaks=0)
#include "vktest.h"

int main(int argc, char **argv)
{
	int expect = argc == 1; // where every report reaches stderr
	char *p = vk_vmalloc(10);
	vt_mark("pid=%d\n", getpid());
	for (int i = 0; i < 3; i++) {
		if (expect)
			vt_expect("Read of size 1 at addr %p", (void *)(p + 10 + i));
		vt_read(p + 10 + i, 1);
	}
	vt_mark("went on: reports=%d\n", (int)vt_reports());
	return 0;
}
// HALT: BUG: KASAN: vmalloc-out-of-bounds in vt_read+0x
// HALT-NOT: went on

// GO-ON-COUNT-3: BUG: KASAN: vmalloc-out-of-bounds in vt_read+0x
// GO-ON-NOT: BUG: KASAN
// GO-ON: went on: reports=3

// MAX-COUNT-2: BUG: KASAN: vmalloc-out-of-bounds
// MAX-NOT: BUG: KASAN
// MAX: went on

// LOG-COUNT-3: BUG: KASAN: vmalloc-out-of-bounds in vt_read+0x
// LOG-NOT: BUG: KASAN

// LOG-STDERR: pid=
// LOG-STDERR-NOT: KASAN
// LOG-STDERR: went on: reports=3

// NOSYM: BUG: KASAN: vmalloc-out-of-bounds in
// NOSYM: Call Trace:
// NOSYM-NEXT: {{^ vt_read\+0x[0-9a-f]+/0x[0-9a-f]+ \(/.*\+0x[0-9a-f]+\)$}}
// NOSYM-NEXT: {{^ main\+0x[0-9a-f]+/0x[0-9a-f]+ \(/.*\+0x[0-9a-f]+\)$}}
// NOSYM-NOT: options.c:

// UNKNOWN: no_such_option
// UNKNOWN: went on: reports=3

// BADVAL: halt_on_error
// BADVAL: BUG: KASAN: vmalloc-out-of-bounds
// BADVAL-NOT: went on

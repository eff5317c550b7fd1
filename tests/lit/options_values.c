// Option values (issue 16, points 5 and 6): booleans take 0/1, true/false,
// yes/no, on/off; exitcode outside 0..255 and a negative max_reports are
// refused with a warning (never wrapped); verbosity=1 prints a start-up
// line (version, arena, mode) and a summary at exit; fail_on_report=1 makes
// a halt_on_error=0 run that printed a report exit with exitcode; log_path
// creates its file only when a report is written, and an unwritable path
// warns once.
// REQUIRES: O0
//
// RUN: %cc %s -o %t
// RUN: env VKASAN_OPTIONS=halt_on_error=no:print_stats=yes %run %t 2>&1 | FileCheck %s --check-prefix=WORDS
// WORDS-NOT: warning
// WORDS: BUG: KASAN: vmalloc-out-of-bounds
// WORDS: went on: reports=1
// WORDS: vkasan statistics
// RUN: env VKASAN_OPTIONS=halt_on_error=OFF:print_stats=On %run %t 2>&1 | FileCheck %s --check-prefix=WORDS
// RUN: env VKASAN_OPTIONS=halt_on_error=false:print_stats=true %run %t 2>&1 | FileCheck %s --check-prefix=WORDS
// RUN: env VKASAN_OPTIONS=halt_on_error=nope not %run %t 2>&1 | FileCheck %s --check-prefix=BADBOOL
// BADBOOL: vkasan: warning: bad value 'nope' for option halt_on_error
// BADBOOL-NOT: went on
//
// RUN: env VKASAN_OPTIONS=exitcode=300 %run %t > %t.out 2>&1; test $? -eq 1
// RUN: FileCheck %s --check-prefix=EXIT300 < %t.out
// EXIT300: vkasan: warning: option exitcode must be 0..255, not '300'; keeping the old value
// RUN: env VKASAN_OPTIONS=exitcode=120 %run %t > /dev/null 2>&1; test $? -eq 120
// RUN: env VKASAN_OPTIONS=exitcode=-1 %run %t > /dev/null 2>&1; test $? -eq 1
// RUN: env VKASAN_OPTIONS=max_reports=-5:halt_on_error=0 %run %t 2>&1 | FileCheck %s --check-prefix=MAXNEG
// MAXNEG: vkasan: warning: option max_reports must be 0..{{[0-9]+}}, not '-5'
// MAXNEG: BUG: KASAN
// MAXNEG: went on: reports=1
//
// RUN: env VKASAN_OPTIONS=verbosity=1 %run %t clean 2>&1 | FileCheck %s --check-prefix=VERB-%vkmode
// VERB-outline: vkasan 0.2.0: pid {{[0-9]+}}, arena [0x600000000000, 0x{{[0-9a-f]+}}) {{[0-9]+}} GiB, outline checks, shadow on, halt_on_error=1
// VERB-inline: vkasan 0.2.0: pid {{[0-9]+}}, arena [0x600000000000, 0x{{[0-9a-f]+}}) {{[0-9]+}} GiB, inline checks, shadow on, halt_on_error=1
// VERB: clean run
// VERB-NEXT: vkasan: exit of pid {{[0-9]+}}: 0 report(s), 1 live mapping(s) (10 bytes)
// RUN: env VKASAN_OPTIONS=verbosity=1 %run %t clean 2>&1 | FileCheck %s --check-prefix=VERB
// RUN: %run %t clean 2>&1 | FileCheck %s --check-prefix=QUIET
// QUIET-NOT: vkasan
//
// RUN: env VKASAN_OPTIONS=halt_on_error=0 %run %t > /dev/null 2>&1
// RUN: env VKASAN_OPTIONS=halt_on_error=0:fail_on_report=1:exitcode=9 %run %t > %t.out 2>&1; test $? -eq 9
// RUN: FileCheck %s --check-prefix=FAIL < %t.out
// FAIL: BUG: KASAN
// FAIL: went on: reports=1
// FAIL: vkasan: 1 report(s) printed; exit status 9 (fail_on_report=1)
// RUN: env VKASAN_OPTIONS=halt_on_error=0:fail_on_report=1 %run %t clean > /dev/null 2>&1
//
// RUN: rm -rf %t.logs && mkdir %t.logs
// RUN: env VKASAN_OPTIONS=log_path=%t.logs/vk %run %t clean
// RUN: ls %t.logs | count 0
// RUN: env VKASAN_OPTIONS=log_path=%t.logs/vk:halt_on_error=0 %run %t
// RUN: cat %t.logs/vk.* | FileCheck %s --check-prefix=LOGGED
// LOGGED: BUG: KASAN: vmalloc-out-of-bounds
// RUN: env VKASAN_OPTIONS=log_path=%t.logs/no/such/dir/vk:halt_on_error=0 %run %t 2>&1 | FileCheck %s --check-prefix=UNWRITABLE
// UNWRITABLE: vkasan: cannot open log file {{.*}}no/such/dir/vk.{{[0-9]+}}; reporting to stderr
// UNWRITABLE-NOT: cannot open log file
// UNWRITABLE: BUG: KASAN
// UNWRITABLE-NOT: cannot open log file
#include <string.h>
#include "vktest.h"

/* The mapping stays live to the end (the verbosity summary counts it), and
 * reachable: no leak report at exit. */
char *keep;

int main(int argc, char **argv)
{
	char *p = keep = vk_vmalloc(10);
	if (argc > 1 && !strcmp(argv[1], "clean")) {
		vt_read(p + 9, 1);
		vt_mark("clean run\n");
		return 0;
	}
	vt_read(p + 10, 1);
	vt_mark("went on: reports=%d\n", (int)vt_reports());
	return 0;
}

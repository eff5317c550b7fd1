// The leak report is a report like the others: it goes to log_path's file
// (nothing on stderr), it counts in the summary at exit (verbosity=1),
// which comes after it, and it sets the exit status (exitcode) unless
// leak_report_only=1 - then not even fail_on_report=1 fails the run, since
// the leaks were not counted.  The program's exit handlers run before the
// check: an object freed by one is no leak.  A run without leaks with
// log_path creates no file.
//
// RUN: %cc %s -o %t
// RUN: rm -f %t.log.*
// RUN: env VKASAN_OPTIONS=log_path=%t.log not %run %t drop 2> %t.err
// RUN: FileCheck %s --check-prefix=ERR --allow-empty < %t.err
// RUN: cat %t.log.* | FileCheck %s --check-prefix=LOG
// RUN: env VKASAN_OPTIONS=verbosity=1 not %run %t drop 2>&1 | FileCheck %s --check-prefix=SUMMARY
// RUN: env VKASAN_OPTIONS=leak_report_only=1:halt_on_error=0:fail_on_report=1:verbosity=1 %run %t drop 2>&1 | FileCheck %s --check-prefix=ONLY
// RUN: rm -rf %t.d && mkdir %t.d
// RUN: env VKASAN_OPTIONS=log_path=%t.d/vk %run %t atexit 2>&1 | FileCheck %s --check-prefix=ATEXIT
// RUN: ls %t.d | count 0
#include <stdlib.h>
#include "leaktest.h"

void *volatile sink;
static void *freed_at_exit;

VT_NOINLINE void drop(void)
{
	sink = malloc(40);
	sink = NULL;
	VT_NO_TAIL();
}

static void free_it(void)
{
	free(freed_at_exit);
	freed_at_exit = NULL;
	vt_mark("exit handler ran\n");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "drop"))
		drop();
	// ERR-NOT: unreferenced
	// LOG: unreferenced object 0x{{[0-9a-f]+}} (size 40):
	// LOG: vkasan: 1 unreferenced objects (40 bytes): 1 direct, 0 indirect
	// SUMMARY: unreferenced object 0x{{[0-9a-f]+}} (size 40):
	// SUMMARY: vkasan: exit of pid {{[0-9]+}}: 1 report(s)
	// ONLY: unreferenced object 0x{{[0-9a-f]+}} (size 40):
	// ONLY: vkasan: exit of pid {{[0-9]+}}: 0 report(s)
	// ONLY-NOT: fail_on_report
	if (!strcmp(mode, "atexit")) {
		freed_at_exit = malloc(64);
		atexit(free_it);
	}
	// ATEXIT: exit handler ran
	// ATEXIT-NOT: unreferenced
	vt_scrub();
	return 0;
}

// %run must not let `not` excuse a crash or a hang: it passes a death by a
// signal on, and turns a timeout into SIGABRT.  (So `not %run` really means
// "exited with a failure status", as after a KASAN report.)
//
// RUN: %cc %s -o %t
// RUN: %run %t ok | FileCheck %s --check-prefix=OK
// OK: ok
// RUN: not %run %t exit3
// RUN: not --crash %run %t segv
// RUN: env VK_LIT_TIMEOUT=1 not --crash %run %t hang
// RUN: not not %run %t segv
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "exit3"))
		return 3;
	if (!strcmp(mode, "segv"))
		raise(SIGSEGV);
	if (!strcmp(mode, "hang"))
		for (;;)
			pause();
	printf("ok\n");
	return 0;
}

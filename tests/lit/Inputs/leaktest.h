/*
 * leaktest.h - for the leak tests: vt_scrub() zeroes the 32 KiB of stack
 * below its caller's frame, where the frames of functions that already
 * returned were, so that no stale copy of a dropped pointer is left where
 * the leak check scans.  Written in assembly: a C function cannot wipe its
 * own frame (redzones, and the compiler's slots at -O0), and stores below
 * the stack pointer are fine on Linux.  Call it from the frame that called
 * the functions that allocated.
 */
#ifndef LEAKTEST_H
#define LEAKTEST_H

#include "vktest.h"

void vt_scrub(void);
__asm__(".text\n"
	".globl vt_scrub\n"
	".type vt_scrub, @function\n"
	"vt_scrub:\n"
	"\tlea -32768(%rsp), %rdi\n"
	"\tmov $32768, %ecx\n"
	"\txor %eax, %eax\n"
	"\tcld\n"
	"\trep stosb\n"
	"\tret\n"
	".size vt_scrub, .-vt_scrub\n");

#endif

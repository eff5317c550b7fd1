/*
 * vkasan-inline.c - linked into every program that `vkasan-cc --inline`
 * links (as vkasan-inline.o, never into the runtime library itself).
 *
 * Inline-instrumented code reads shadow for every address it touches, from
 * its very first instruction: constructors of libraries and of the program
 * included.  The shadow for the whole address space must therefore exist
 * before any of them runs, and .preinit_array is what runs first: the
 * dynamic linker calls it after relocation and before any constructor.
 * Only an executable may have one, which is why this is an object of its
 * own that goes into the program, whichever runtime (libvkasan.a or
 * libvkasan.so) it is linked with.  Its presence is also how the runtime
 * knows that inline code is there: outline programs never map the full
 * shadow.
 */
void vki_fullshadow_init(void);

__attribute__((section(".preinit_array"), used)) static void (*const vk_preinit)(void) =
	vki_fullshadow_init;

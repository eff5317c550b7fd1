/*
 * vkasan-inline-so.c - linked into every shared library that
 * `vkasan-cc --inline -shared` links (as vkasan-inline-so.o), the shared
 * library's counterpart of vkasan-inline.o.
 *
 * A shared library has no .preinit_array, and the program that loads it
 * may not be instrumented at all (a plain host that dlopen()s it): then
 * nobody mapped the full shadow that the library's inline checks read, and
 * its first check would be a bare segmentation fault.  So the first entry
 * of the library's .init_array (priority 0, before the compiler's own
 * module constructor that poisons the globals' redzones) maps it now, or
 * says why it cannot.  Mapping it late is sound: memory that existed before
 * has no poison (all-zero shadow), which is what the shadow would say of it
 * anyway for code that is not instrumented.
 */
void vki_fullshadow_init(void);

static void vk_inline_so_init(void)
{
	vki_fullshadow_init(); /* no-op when the host already did it */
}

__attribute__((section(".init_array.00000"), used)) static void (*const vk_init)(void) =
	vk_inline_so_init;

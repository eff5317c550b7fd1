// Instrumented shared libraries (issue 16, point 8): `vkasan-cc -shared`
// links libvkasan.so (with an rpath) into the library, so that a host that
// is not instrumented can dlopen() it and get reports; a host linked with
// the static runtime exports it, so the library binds to the host's copy
// and libvkasan.so stays idle (one arena, no "range is taken").  In inline
// mode the library maps the full shadow itself when the host did not
// (vkasan-inline-so.o) instead of dying with a bare segmentation fault.
//
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %cc -fPIC -shared %S/Inputs/dso_poke.c -o %t.d/libpoke.so
// RUN: readelf -d %t.d/libpoke.so | FileCheck %s --check-prefix=DYN -DLIBDIR=%libdir
// DYN-DAG: (NEEDED){{.*}}[libvkasan.so]
// DYN-DAG: {{RPATH|RUNPATH}}{{.*}}{{\[}}[[LIBDIR]]]
//
// A plain host: clean call, then an off-by-one.
// RUN: %cckind -g %S/Inputs/dso_host.c -o %t.d/plain-host -ldl
// RUN: %run %t.d/plain-host %t.d/libpoke.so 15 2>&1 | FileCheck %s --check-prefix=CLEAN
// CLEAN: host: calling poke({{15|17}})
// CLEAN-NOT: KASAN
// CLEAN-NOT: vkasan
// CLEAN: host: done
// RUN: not %run %t.d/plain-host %t.d/libpoke.so 16 2>&1 | FileCheck %s $(sh %S/lines.sh %S/Inputs/dso_poke.c)
// CHECK: host: calling poke(16)
// CHECK-NEXT: ==================================================================
// CHECK-NEXT: BUG: KASAN: vmalloc-out-of-bounds in poke+0x
// CHECK-NEXT: Write of size 1 at addr 0x{{[0-9a-f]+}}010 by task plain-host/
// CHECK: {{^ }}poke+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}dso_poke.c:[[#POKE]]
// CHECK-NOT: host: done
//
// Relative dlopen() path: still symbolized from the module's file.
// RUN: cd %t.d && not %run ./plain-host ./libpoke.so 16 2>&1 | FileCheck %s --check-prefix=REL
// REL: BUG: KASAN: vmalloc-out-of-bounds in poke+0x
//
// An instrumented host with the static runtime, and one with libvkasan.so.
// RUN: %cc %S/Inputs/dso_host.c -o %t.d/vk-host -ldl
// RUN: not %run %t.d/vk-host %t.d/libpoke.so 16 2>&1 | FileCheck %s --check-prefix=ONE
// RUN: %cc --shared-runtime %S/Inputs/dso_host.c -o %t.d/vk-host-so -ldl
// RUN: not %run %t.d/vk-host-so %t.d/libpoke.so 16 2>&1 | FileCheck %s --check-prefix=ONE
// ONE-NOT: cannot reserve
// ONE: BUG: KASAN: vmalloc-out-of-bounds in poke+0x
//
// The library's memcpy: checked through the runtime of an instrumented host
// (it exports memcpy), not in a plain host, whose libc comes first (the
// README says so).  The plain host's run is clean:
// RUN: not %run %t.d/vk-host %t.d/libpoke.so 17 copy 2>&1 | FileCheck %s --check-prefix=COPY
// COPY: BUG: KASAN: vmalloc-out-of-bounds in poke_copy+0x
// COPY-NEXT: Write of size 17 at addr
// RUN: %run %t.d/plain-host %t.d/libpoke.so 17 copy 2>&1 | FileCheck %s --check-prefix=CLEAN
//
// Linked at link time rather than dlopen()ed, with the static runtime.
// RUN: %cc %s -L%t.d -lpoke -Wl,-rpath,%t.d -o %t.d/linked
// RUN: not %run %t.d/linked 2>&1 | FileCheck %s --check-prefix=ONE
int poke(int n);

int main(void)
{
	return poke(16);
}

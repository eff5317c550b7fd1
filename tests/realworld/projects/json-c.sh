# json-c: JSON library; ctest runs its test programs against expected output.
PKG=json-c
LIB_TARGET=json-c
. "$RW_HERE/lib.sh"
build() { cmake_build -DBUILD_STATIC_LIBS=ON -DDISABLE_WERROR=ON; }
# Its test-defs.sh runs every test under valgrind when valgrind is
# installed: not with a sanitizer.
check() { USE_VALGRIND=0 cmake_check; }

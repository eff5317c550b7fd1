# json-c: JSON library; ctest runs its test programs against expected output.
PKG=json-c
LIB_TARGET=json-c
. "$RW_HERE/lib.sh"
build() { cmake_build -DBUILD_STATIC_LIBS=ON -DDISABLE_WERROR=ON; }
check() { cmake_check; }

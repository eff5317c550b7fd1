# jansson: JSON library; ctest runs its API tests and valid/invalid suites.
PKG=jansson
LIB_TARGET=jansson
. "$RW_HERE/lib.sh"
build() { cmake_build -DJANSSON_BUILD_DOCS=OFF -DJANSSON_WITHOUT_TESTS=OFF -DJANSSON_EXAMPLES=OFF; }
check() { cmake_check; }

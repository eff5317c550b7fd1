# tinyxml2 (C++): XML parser; ctest runs xmltest over its resources.
PKG=tinyxml2
LIB_TARGET=xmltest
. "$RW_HERE/lib.sh"
build() { cmake_build -Dtinyxml2_BUILD_TESTING=ON; }
check() { cmake_check; }

# expat: XML parser; its runtests (C) and runtests_cxx (the same, as C++).
PKG=expat
. "$RW_HERE/lib.sh"
build() { CMAKE_SRC=expat cmake_build -DEXPAT_BUILD_DOCS=OFF -DEXPAT_BUILD_EXAMPLES=OFF -DEXPAT_BUILD_TESTS=ON -DEXPAT_SHARED_LIBS=OFF; }
check() { cmake_check; }

# expat: XML parser; its runtests (C) and runtests_cxx (the same, as C++).
PKG=expat
LIB_TARGET=xmlwf
. "$RW_HERE/lib.sh"
build() {
	# Debian's security patches test "#if XML_DTD == 1", which cmake's
	# "#cmakedefine XML_DTD" leaves empty (Debian builds with autotools).
	sed -i 's/^#cmakedefine XML_DTD$/#cmakedefine01 XML_DTD/' expat/expat_config.h.cmake &&
	CMAKE_SRC=expat cmake_build -DEXPAT_BUILD_DOCS=OFF -DEXPAT_BUILD_EXAMPLES=OFF \
		-DEXPAT_BUILD_TESTS=ON -DEXPAT_BUILD_TOOLS=ON -DEXPAT_SHARED_LIBS=OFF
}
check() { cmake_check; }

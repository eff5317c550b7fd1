# jsoncpp (C++): JSON library; ctest runs its unit tests and the
# reader/writer round trips over its test data (python3 drives those).
PKG=libjsoncpp
LIB_TARGET=jsoncpp_test
. "$RW_HERE/lib.sh"
build() { cmake_build -DJSONCPP_WITH_TESTS=ON -DJSONCPP_WITH_POST_BUILD_UNITTEST=OFF -DJSONCPP_WITH_PKGCONFIG_SUPPORT=OFF -DBUILD_OBJECT_LIBS=OFF -DBUILD_STATIC_LIBS=ON; }
check() { cmake_check; }

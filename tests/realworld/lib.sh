# Helpers for the recipes in projects/ (sourced by them; POSIX sh).
# A recipe sets PKG (the Debian source package) and defines build, check
# and, when its build is not cmake's or make's, rebuild.  It runs in its own
# copy of the source tree with CC, CXX, CFLAGS, CXXFLAGS and MAKEFLAGS set
# for one of the four builds.  check may print "RW-COUNT passed=N failed=N"
# lines when the suite's own summary is not automake's or ctest's.

# cmake_build [cmake options]: configure in _b (static libraries, tests on).
cmake_build() {
	cmake -S "${CMAKE_SRC:-.}" -B _b -DCMAKE_BUILD_TYPE= -DBUILD_SHARED_LIBS=OFF \
		-DBUILD_TESTING=ON "$@" && cmake --build _b -j${RW_JOBS:-2}
}

cmake_check() {
	(cd _b && ctest -j1 --output-on-failure "$@")
}

# autotools_build [configure options]: static only, so that every test
# program carries the runtime it was built with.
autotools_build() {
	[ -x configure ] || autoreconf -fi || return 1
	./configure --disable-shared --enable-static "$@" && make -j${RW_JOBS:-2}
}

# rebuild: after a bug is applied or reverted; only $LIB_TARGET (the
# library the bugs' triggers use) when the recipe names it.
rebuild() {
	if [ -d _b ]; then cmake --build _b -j${RW_JOBS:-2} ${LIB_TARGET:+--target $LIB_TARGET}; else make -j${RW_JOBS:-2} $LIB_TARGET; fi
}

# rw_count PASSED FAILED: the suite's counts, for run.py.
rw_count() {
	echo "RW-COUNT passed=$1 failed=$2"
}

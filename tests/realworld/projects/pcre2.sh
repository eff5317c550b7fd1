# pcre2: regular expressions, with the JIT; make check runs RunTest (the
# pcre2test scripts), RunGrepTest and pcre2_jit_test.
PKG=pcre2
LIB_TARGET=pcre2test
. "$RW_HERE/lib.sh"
build() { autotools_build --enable-jit; }
check() { make check; }

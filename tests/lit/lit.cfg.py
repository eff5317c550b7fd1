# -*- Python -*-
# lit configuration of the vkasan test suite: C programs built with vkasan-cc,
# run, and their reports checked with FileCheck.
#
# One configuration is one (compiler, optimisation level, instrumentation
# mode).  run-lit.sh writes a lit.site.cfg.py per configuration that sets
# config.vk_* and loads this file, and runs them all in one lit process.
# By hand, from the top of the tree:
#
#   python3 $(llvm-config --prefix)/build/utils/lit/lit.py -sv \
#       --param build=build-lit --param cc=clang --param opt=-O2 tests/lit
#
# Substitutions:
#   %vkcc    the vkasan-cc wrapper alone ($VKASAN_CC is the configuration's)
#   %cc      %vkcc with the optimisation level, -g, -Wall and Inputs/
#   %opt     -O0 or -O2          %cckind  gcc or clang
#   %vkmode  outline or inline (for per-mode FileCheck prefixes, e.g.
#            --check-prefixes=CHECK,CHECK-%vkmode); %cc also defines
#            VK_LIT_INLINE=1 in inline mode, for what the program expects
#   %run     run.sh: time limit, crash pass-through, report shape check
#   %check_reports FILE   the report shape check alone (for log files)
#   %lines   FileCheck -D#NAME=N for each line of %s tagged "// @NAME", so
#            that CHECK lines can say file.c:[[#NAME]]
#   %srcroot, %builddir, %libdir, %incdir
# Features: gcc or clang, O0 or O2, outline or inline.

import glob
import os
import shutil
import subprocess

import lit.formats


def find_llvm_bin():
    """Where FileCheck, not and count are: $VK_LLVM_BIN (run-lit.sh sets
    it), else FileCheck on PATH, else llvm-config --bindir, else the newest
    /usr/lib/llvm-*/bin."""
    env = os.environ.get("VK_LLVM_BIN")
    if env:
        return env
    fc = shutil.which("FileCheck")
    if fc:
        return os.path.dirname(fc)
    lc = shutil.which("llvm-config")
    if lc:
        try:
            d = subprocess.run([lc, "--bindir"], capture_output=True, text=True).stdout.strip()
            if d and os.path.exists(os.path.join(d, "FileCheck")):
                return d
        except OSError:
            pass
    cands = [d for d in glob.glob("/usr/lib/llvm-*/bin")
             if os.path.exists(os.path.join(d, "FileCheck"))]
    def version(d):
        v = d.split("llvm-")[1].split("/")[0]
        return int(v) if v.isdigit() else 0
    cands.sort(key=version, reverse=True)
    return cands[0] if cands else ""


LLVM_BIN = find_llvm_bin()


def param(name, default):
    v = getattr(config, "vk_" + name, None)
    return v if v is not None else lit_config.params.get(name, default)


here = os.path.dirname(os.path.abspath(__file__))
srcroot = os.path.dirname(os.path.dirname(here))

cc = param("cc", "gcc")
opt = param("opt", "-O0")
mode = param("mode", "outline")
build = os.path.abspath(os.path.join(srcroot, param("build", "build")))

config.name = "vkasan-%s%s-%s" % (cc, opt, mode)
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".c", ".cc", ".test"]
config.excludes = ["Inputs"]
config.test_source_root = here
config.test_exec_root = getattr(config, "vk_exec_root", None) or os.path.join(
    build, "lit", "%s%s-%s" % (cc, opt, mode))

# Everything the suite needs must be there: a missing tool is a failure of
# the whole run, never a silently skipped test.
wrapper = os.path.join(build, "bin", "vkasan-cc")
need = {
    "compiler " + cc: shutil.which(cc),
    "FileCheck": os.path.join(LLVM_BIN, "FileCheck"),
    "not": os.path.join(LLVM_BIN, "not"),
    "count": os.path.join(LLVM_BIN, "count"),
    "the wrapper (run make B=%s)" % os.path.relpath(build, srcroot): wrapper,
    "the runtime libvkasan.a": os.path.join(build, "lib", "libvkasan.a"),
    "python3": shutil.which("python3"),
    "timeout": shutil.which("timeout"),
    # wrapper.c, make_project.c and install.c use these
    "make": shutil.which("make"),
    "nm": shutil.which("nm"),
    "readelf": shutil.which("readelf"),
    "pkg-config": shutil.which("pkg-config"),
    # cxx_names.test
    "g++": shutil.which("g++"),
    "clang++": shutil.which("clang++"),
}
for what, path in need.items():
    if not path or not os.path.exists(path):
        lit_config.fatal("vkasan lit suite: %s not found (%s)" % (what, path))
try:
    kind_out = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout
except OSError as e:
    lit_config.fatal("vkasan lit suite: cannot run %s: %s" % (cc, e))
cckind = "clang" if "clang" in kind_out else "gcc"
if opt not in ("-O0", "-O1", "-O2", "-O3", "-Os"):
    lit_config.fatal("vkasan lit suite: bad opt %r" % opt)
if mode not in ("outline", "inline"):
    lit_config.fatal("vkasan lit suite: bad mode %r" % mode)

config.available_features.update([cckind, opt.lstrip("-"), mode])

# A clean environment: the configuration's compiler, the LLVM tools, no
# VKASAN_OPTIONS from the caller.
config.environment["PATH"] = LLVM_BIN + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin")
config.environment["VKASAN_CC"] = cc
config.environment.pop("VKASAN_OPTIONS", None)
config.environment.pop("VKASAN_CC_KIND", None)

vkcc = "%s --%s" % (wrapper, mode)
mode_def = " -DVK_LIT_INLINE=1" if mode == "inline" else ""
config.substitutions.extend([
    ("%vkmode", mode),
    ("%vkcc", vkcc),
    ("%cckind", cckind),
    # C++ through vkasan-c++ with the configuration's C++ compiler
    ("%cxx", "env VKASAN_CC=%s %s --%s %s -g -Wall -Wno-unused-function%s -I%s" % (
        "clang++" if cckind == "clang" else "g++", os.path.join(build, "bin", "vkasan-c++"),
        mode, opt, mode_def, os.path.join(here, "Inputs"))),
    ("%cc", "%s %s -g -Wall -Wno-unused-function%s -I%s" % (vkcc, opt, mode_def, os.path.join(here, "Inputs"))),
    ("%opt", opt),
    ("%run", "sh %s 3>&2" % os.path.join(here, "run.sh")),
    ("%check_reports", "python3 " + os.path.join(here, "report_shape.py")),
    ("%lines", "$(sh %s %%s)" % os.path.join(here, "lines.sh")),
    ("%srcroot", srcroot),
    ("%builddir", build),
    ("%libdir", os.path.join(build, "lib")),
    ("%incdir", os.path.join(srcroot, "include")),
])

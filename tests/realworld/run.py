#!/usr/bin/env python3
"""vkasan against AddressSanitizer on real programs and their own test suites.

Each project (a recipe in projects/NAME.sh) is fetched as a Debian source
package with `apt-get source`, built four ways - plain, AddressSanitizer,
vkasan-cc (outline) and vkasan-cc --inline - in separate copies, and its own
test suite run under GNU time with every sanitizer report logged to files.
Then each injected bug (bugs/NAME/*.patch) is applied to the built copies,
rebuilt incrementally, triggered, reverted.  Results: results.md and
results.csv in the work directory.

  run.py [--quick] [--projects a,b] [--builds plain,asan,vk,vki]
         [--no-bugs] [--bugs-only] [--report-only]

Environment: VKASAN_BUILD (the vkasan build tree, default ./build),
VKASAN_RW_DIR (work directory, default $VKASAN_BUILD/realworld).
"""
import argparse, csv, glob, json, os, re, shutil, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILDS = ["plain", "asan", "vk", "vki"]
BUILD_NAMES = {"plain": "plain", "asan": "ASan", "vk": "vkasan outline", "vki": "vkasan inline"}
QUICK = ["libyaml", "zlib"]  # the two fastest to build (make realworld-quick)
CFLAGS = "-O2 -g"

VK_RE = re.compile(r"BUG: KASAN: ([\w-]+)")
ASAN_RE = re.compile(r"ERROR: AddressSanitizer: ([\w-]+)")


def log(msg):
    print("realworld %s: %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def sh(cmd, cwd=None, env=None, out=None, check=True, timeout=None):
    """Run a shell command; its output goes to the file `out` (appended).
    A command still running after `timeout` seconds is killed (status 124)."""
    f = open(out, "a") if out else None
    try:
        p = subprocess.Popen(cmd, shell=True, cwd=cwd, env=env, stdout=f or subprocess.DEVNULL,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            p.wait()
            rc = 124
            if f:
                f.write("\nrealworld: killed after %s s\n" % timeout)
    finally:
        if f:
            f.close()
    if check and rc != 0:
        raise RuntimeError("failed (%d): %s" % (rc, cmd))
    return rc


def recipe_var(name, var):
    """A variable of a recipe: `. projects/NAME.sh; echo $VAR`."""
    p = os.path.join(HERE, "projects", name + ".sh")
    r = subprocess.run(["sh", "-c", '. "$0"; eval "printf %s \\"\\$$1\\""', p, var],
                       capture_output=True, text=True)
    return r.stdout


# ------------------------------------------------------------------ sources

def setup_deb_src(work):
    """Add deb-src lines for the archive apt already uses (once)."""
    lst = "/etc/apt/sources.list.d/vkasan-src.list"
    lines = subprocess.run(["sh", os.path.join(HERE, "debsrc.sh")], capture_output=True,
                           text=True, check=True).stdout
    # Only Debian's archives publish sources here.
    lines = "".join(l + "\n" for l in lines.splitlines() if "/debian" in l)
    old = open(lst).read() if os.path.exists(lst) else None
    if old != lines:
        log("writing %s and running apt-get update" % lst)
        with open(lst, "w") as f:
            f.write(lines)
        sh("apt-get update -q", out=os.path.join(work, "apt.log"))


def install_tools(work):
    """The tools the recipes need, from the distribution (once)."""
    need = [p for p, exe in (("dpkg-dev", "dpkg-source"), ("time", "/usr/bin/time"),
                             ("cmake", "cmake"), ("autoconf", "autoreconf"),
                             ("automake", "automake"), ("libtool", "libtoolize"),
                             ("g++", "g++"), ("patch", "patch"), ("zlib1g-dev", None))
            if (exe and not shutil.which(exe)) or (not exe and not os.path.exists("/usr/include/zlib.h"))]
    if need:
        log("installing " + " ".join(need))
        sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q " + " ".join(need),
           out=os.path.join(work, "apt.log"))


def fetch(pkg, work):
    """Download (cached) and extract a source package; return its tree."""
    dl = os.path.join(work, "dl")
    os.makedirs(dl, exist_ok=True)
    dscs = sorted(glob.glob(os.path.join(dl, pkg + "_*.dsc")))
    if not dscs:
        aptlog = os.path.join(work, "apt.log")
        if sh("apt-get source --download-only -q %s" % pkg, cwd=dl, out=aptlog, check=False):
            # The newest version may live in a suite whose pool lacks it
            # (security updates): try the others, newest first.
            vers = subprocess.run("apt-cache showsrc %s | sed -n 's/^Version: //p'" % pkg,
                                  shell=True, capture_output=True, text=True).stdout.split()
            for v in reversed(sorted(vers, key=_debver)):
                if sh("apt-get source --download-only -q %s=%s" % (pkg, v), cwd=dl, out=aptlog,
                      check=False) == 0:
                    break
            else:
                raise RuntimeError("apt-get source %s failed (see %s)" % (pkg, aptlog))
        dscs = sorted(glob.glob(os.path.join(dl, pkg + "_*.dsc")))
    dsc = dscs[-1]
    src = os.path.join(work, "src", os.path.basename(dsc)[:-4])
    if not os.path.isdir(src):
        os.makedirs(os.path.dirname(src), exist_ok=True)
        sh("dpkg-source -x %s %s" % (dsc, src + ".tmp"),
           out=os.path.join(work, "apt.log"))
        os.rename(src + ".tmp", src)
    return src


def _debver(v):
    """Sort key for Debian versions, good enough for one package's list."""
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", v)]


# ------------------------------------------------------------------ compilers

def make_wrappers(work, vkb):
    """One directory of cc/c++ wrappers per build, so every build system
    sees a plain compiler path whatever the flags are."""
    vkcc = os.path.join(vkb, "bin", "vkasan-cc")
    if not os.access(vkcc, os.X_OK):
        sys.exit("realworld: %s not found: build vkasan first (make)" % vkcc)
    defs = {
        "plain": ("exec gcc \"$@\"", "exec g++ \"$@\""),
        "asan": ("exec gcc -fsanitize=address -fno-omit-frame-pointer \"$@\"",
                 "exec g++ -fsanitize=address -fno-omit-frame-pointer \"$@\""),
        "vk": ("VKASAN_CC=gcc exec %s \"$@\"" % vkcc, "VKASAN_CC=g++ exec %s \"$@\"" % vkcc),
        "vki": ("VKASAN_CC=gcc exec %s --inline \"$@\"" % vkcc,
                "VKASAN_CC=g++ exec %s --inline \"$@\"" % vkcc),
    }
    for b, (c, cxx) in defs.items():
        d = os.path.join(work, "cc", b)
        os.makedirs(d, exist_ok=True)
        for name, body in (("cc", c), ("c++", cxx)):
            p = os.path.join(d, name)
            with open(p, "w") as f:
                f.write("#!/bin/sh\n%s\n" % body)
            os.chmod(p, 0o755)


def build_env(work, build, logdir):
    env = dict(os.environ)
    d = os.path.join(work, "cc", build)
    env.update(CC=os.path.join(d, "cc"), CXX=os.path.join(d, "c++"), CFLAGS=CFLAGS,
               CXXFLAGS=CFLAGS, LDFLAGS="", MAKEFLAGS="-j2", LC_ALL="C")
    env["RW_HERE"] = HERE
    env.pop("MAKELEVEL", None)
    env.pop("MFLAGS", None)
    # Reports from every process go to files: nothing disturbs the suites'
    # own output checks, and every process is counted.
    env["ASAN_OPTIONS"] = "log_path=%s/asan:halt_on_error=0:detect_leaks=0" % logdir
    env["VKASAN_OPTIONS"] = "log_path=%s/vk:halt_on_error=0:print_stats=1" % logdir
    return env


# ------------------------------------------------------------------ logs

def scan_reports(logdir):
    """Sanitizer reports in a log directory: list of (kind, type, file)."""
    found = []
    for f in sorted(glob.glob(os.path.join(logdir, "*"))):
        try:
            text = open(f, errors="replace").read()
        except OSError:
            continue
        for m in VK_RE.finditer(text):
            found.append(("vkasan", m.group(1), f))
        for m in ASAN_RE.finditer(text):
            found.append(("asan", m.group(1), f))
    return found


def scan_shadow(logdir):
    """Largest resident shadow (pages present at exit) of any process."""
    best = 0
    for f in glob.glob(os.path.join(logdir, "vk.*")):
        for m in re.finditer(r"^\s+shadow_pages\s+(\d+)", open(f, errors="replace").read(), re.M):
            best = max(best, int(m.group(1)))
    return best * 4096


def parse_counts(text, rc):
    """(passed, failed) from a suite's output - automake's summaries, ctest's
    and the recipes' RW-COUNT lines, added up - or from its exit status."""
    p = f = 0
    hit = False
    for m in re.finditer(r"^# (PASS|FAIL|XPASS|ERROR):\s+(\d+)", text, re.M):
        hit = True
        if m.group(1) == "PASS":
            p += int(m.group(2))
        else:
            f += int(m.group(2))
    for m in re.finditer(r"tests passed, (\d+) tests failed out of (\d+)", text):
        hit = True
        f += int(m.group(1))
        p += int(m.group(2)) - int(m.group(1))
    for m in re.finditer(r"^RW-COUNT passed=(\d+) failed=(\d+)", text, re.M):
        hit = True
        p += int(m.group(1))
        f += int(m.group(2))
    if not hit:
        return (1, 0) if rc == 0 else (0, 1)
    if rc != 0 and f == 0:
        f = 1  # the suite failed in a way its counts do not show
    return p, f


# ------------------------------------------------------------------ phases

def run_project(name, work, builds, do_tests, do_bugs, resume=False):
    pkg = recipe_var(name, "PKG") or name
    src = fetch(pkg, work)
    recipe = os.path.join(HERE, "projects", name + ".sh")
    for b in builds:
        tree = os.path.join(work, "build", name, b)
        res_file = os.path.join(work, "results", "%s.%s.json" % (name, b))
        res = json.load(open(res_file)) if os.path.exists(res_file) else {}
        logs = os.path.join(work, "logs", name, b)
        if resume and res.get("builds") is not None and os.path.isdir(tree):
            log("%s/%s: kept from an earlier run (--resume)" % (name, b))
        elif do_tests:
            res = {"project": name, "build": b, "version": os.path.basename(src)}
            shutil.rmtree(tree, ignore_errors=True)
            shutil.rmtree(logs, ignore_errors=True)
            os.makedirs(logs)
            shutil.copytree(src, tree, symlinks=True)
            blog = os.path.join(logs, "build.log")
            os.makedirs(os.path.join(logs, "build"))
            env = build_env(work, b, os.path.join(logs, "build"))
            log("%s/%s: building" % (name, b))
            t0 = time.time()
            rc = sh('. "%s"; set -x; build' % recipe, cwd=tree, env=env, out=blog, check=False)
            res["build_s"] = round(time.time() - t0, 1)
            res["builds"] = rc == 0
            res["build_reports"] = len([r for r in scan_reports(os.path.join(logs, "build"))])
            if rc == 0:
                os.makedirs(os.path.join(logs, "test"))
                env = build_env(work, b, os.path.join(logs, "test"))
                tlog = os.path.join(logs, "test.log")
                rss = os.path.join(logs, "time.txt")
                log("%s/%s: running the test suite" % (name, b))
                t0 = time.time()
                rc = sh('/usr/bin/time -v -o "%s" sh -c \'. "%s"; set -x; check\'' % (rss, recipe),
                        cwd=tree, env=env, out=tlog, check=False, timeout=3600)
                res["test_s"] = round(time.time() - t0, 1)
                text = open(tlog, errors="replace").read()
                res["passed"], res["failed"] = parse_counts(text, rc)
                m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(rss).read())
                res["peak_rss_kb"] = int(m.group(1)) if m else None
                reps = scan_reports(os.path.join(logs, "test"))
                res["false_reports"] = len(reps)
                res["report_types"] = sorted({"%s:%s" % (k, t) for k, t, _ in reps})
                res["shadow_bytes"] = scan_shadow(os.path.join(logs, "test")) if b in ("vk", "vki") else None
            log("%s/%s: %s" % (name, b, json.dumps(res)))
            os.makedirs(os.path.dirname(res_file), exist_ok=True)
            json.dump(res, open(res_file, "w"), indent=1)
        if do_bugs and res.get("builds") and b != "plain" and not (resume and "bugs" in res):
            res["bugs"] = run_bugs(name, recipe, tree, work, b)
            json.dump(res, open(res_file, "w"), indent=1)


def bug_header(patch, key):
    for line in open(patch):
        if line.lower().startswith("# %s:" % key):
            return line.split(":", 1)[1].strip()
    return ""


def run_bugs(name, recipe, tree, work, b):
    """Apply each injected bug, rebuild incrementally, trigger, revert."""
    out = {}
    # A bug left applied by an interrupted run is reverted first.
    mark = os.path.join(tree, "_rw_applied")
    if os.path.exists(mark):
        sh('patch -R -p1 --no-backup-if-mismatch < "%s"' % open(mark).read().strip(), cwd=tree,
           check=False)
        os.remove(mark)
    for patch in sorted(glob.glob(os.path.join(HERE, "bugs", name, "*.patch"))):
        bug = os.path.basename(patch)[:-6]
        logs = os.path.join(work, "logs", name, b, "bug-" + bug)
        shutil.rmtree(logs, ignore_errors=True)
        os.makedirs(logs)
        blog = os.path.join(logs, "build.log")
        env = build_env(work, b, logs)
        env["RW_BUGS"] = os.path.join(HERE, "bugs", name)
        r = {"expect": bug_header(patch, "expect"), "caught": False, "type": None}
        modes = bug_header(patch, "modes").split("(")[0].split()
        if modes and b not in modes:
            r["type"] = "n/a"  # e.g. a stack bug in outline mode: nothing to catch it with
            out[bug] = r
            continue
        if sh('patch --dry-run -p1 < "%s"' % patch, cwd=tree, out=blog, check=False):
            r["type"] = "patch-failed"
            out[bug] = r
            continue
        with open(mark, "w") as f:
            f.write(patch + "\n")
        sh('patch -p1 --no-backup-if-mismatch < "%s"' % patch, cwd=tree, out=blog)
        try:
            if sh('. "%s"; set -x; rebuild' % recipe, cwd=tree, env=env, out=blog, check=False):
                r["type"] = "build-failed"
            else:
                trig = bug_header(patch, "trigger")
                rc = sh(trig, cwd=tree, env=env, out=os.path.join(logs, "trigger.log"), check=False,
                        timeout=60)
                reps = scan_reports(logs)
                r["rc"] = rc
                if reps:
                    r["caught"] = True
                    r["type"] = reps[0][1]
        finally:
            # Reverted now, rebuilt with the next bug's build (or below).
            sh('patch -R -p1 --no-backup-if-mismatch < "%s"' % patch, cwd=tree, out=blog)
            os.remove(mark)
        log("%s/%s bug %s: %s" % (name, b, bug, r))
        out[bug] = r
    if out:
        sh('. "%s"; rebuild' % recipe, cwd=tree, env=build_env(work, b, os.path.join(work, "logs", name, b)),
           out=os.path.join(work, "logs", name, b, "rebuild.log"), check=False)
    return out


# ------------------------------------------------------------------ report

def fmt_s(x):
    return "-" if x is None else "%.1f" % x


def fmt_mb(kb):
    return "-" if kb is None else "%.1f" % (kb / 1024.0)


def report(work, vkb):
    rows = []
    for f in sorted(glob.glob(os.path.join(work, "results", "*.json"))):
        rows.append(json.load(open(f)))
    order = {b: i for i, b in enumerate(BUILDS)}
    rows.sort(key=lambda r: (r["project"], order.get(r["build"], 9)))
    commit = subprocess.run("git -C %s rev-parse --short HEAD" % HERE, shell=True,
                            capture_output=True, text=True).stdout.strip()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    md = ["# vkasan real-world results", "",
          "%s, vkasan commit %s, build tree %s, gcc %s, %s %s." % (
              stamp, commit or "?", vkb,
              subprocess.run("gcc -dumpfullversion", shell=True, capture_output=True,
                             text=True).stdout.strip(), "CFLAGS", repr(CFLAGS)), "",
          "False reports: sanitizer reports (`BUG: KASAN`, `ERROR: AddressSanitizer`) from "
          "the unpatched build's processes, during the build (configure tests, generators) "
          "and the test suite.  Resident shadow: the largest `shadow_pages` of any process "
          "at exit (`print_stats=1`), x 4 KiB.", "",
          "| project | build | builds | tests passed | failed | false reports | suite wall s "
          "| peak RSS MiB | resident shadow KiB |",
          "|---|---|---|---|---|---|---|---|---|"]
    cw = csv.writer(open(os.path.join(work, "results.csv"), "w", newline=""))
    cw.writerow(["project", "version", "build", "builds", "build_s", "passed", "failed",
                 "false_reports", "report_types", "test_s", "peak_rss_kb", "shadow_bytes"])
    for r in rows:
        fr = r.get("false_reports", 0) + r.get("build_reports", 0)
        shadow = r.get("shadow_bytes")
        md.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["project"], BUILD_NAMES.get(r["build"], r["build"]),
            "yes" if r.get("builds") else "**no**", r.get("passed", "-"),
            r.get("failed", "-"), ("**%d** %s" % (fr, " ".join(r.get("report_types", []))))
            if fr else "0", fmt_s(r.get("test_s")), fmt_mb(r.get("peak_rss_kb")),
            "-" if shadow is None else "%d" % (shadow // 1024)))
        cw.writerow([r["project"], r.get("version"), r["build"], int(bool(r.get("builds"))),
                     r.get("build_s"), r.get("passed"), r.get("failed"), fr,
                     " ".join(r.get("report_types", [])), r.get("test_s"),
                     r.get("peak_rss_kb"), shadow])
    # Geometric means of the suite's wall time and peak RSS, relative to ASan,
    # over the projects that ran under both.
    by = {(r["project"], r["build"]): r for r in rows}
    md += ["", "| vs ASan (geomean over projects built both ways) | suite wall time | peak RSS | projects |",
           "|---|---|---|---|"]
    for b in ("plain", "vk", "vki"):
        tr, rr, n = 0.0, 0.0, 0
        import math
        for (p, bb), r in by.items():
            a = by.get((p, "asan"))
            if bb != b or not a or not r.get("test_s") or not a.get("test_s") \
                    or not r.get("peak_rss_kb") or not a.get("peak_rss_kb"):
                continue
            tr += math.log(r["test_s"] / a["test_s"])
            rr += math.log(r["peak_rss_kb"] / a["peak_rss_kb"])
            n += 1
        if n:
            md.append("| %s | %.2fx | %.2fx | %d |" % (BUILD_NAMES[b], math.exp(tr / n),
                                                      math.exp(rr / n), n))
    # Injected bugs.
    bugs = {}
    for r in rows:
        for bug, br in (r.get("bugs") or {}).items():
            bugs.setdefault((r["project"], bug), {})[r["build"]] = br
    md += ["", "## Injected bugs", "",
           "Caught: a report of any type; the type shown is the first report's.", "",
           "| project | bug | expected | vkasan outline | vkasan inline | ASan |",
           "|---|---|---|---|---|---|"]
    cb = csv.writer(open(os.path.join(work, "bugs.csv"), "w", newline=""))
    cb.writerow(["project", "bug", "expected", "vk", "vki", "asan"])

    def cell(br, build, modes, exp):
        if modes and build not in modes:
            return "n/a"
        if not br:
            return "-"
        if br.get("caught"):
            wrong = build != "asan" and exp and br["type"] != exp
            return "yes (%s%s)" % (br["type"], ", not the expected type" if wrong else "")
        return "no" + (" (%s)" % br["type"] if br.get("type") else "")
    caught = {"vk": [0, 0], "vki": [0, 0], "asan": [0, 0]}
    for (p, bug), per in sorted(bugs.items()):
        exp = next((x.get("expect") for x in per.values() if x.get("expect")), "")
        patch = os.path.join(HERE, "bugs", p, bug + ".patch")
        modes = bug_header(patch, "modes").split("(")[0].split() if os.path.exists(patch) else []
        cells = [cell(per.get(b), b, modes, exp) for b in ("vk", "vki", "asan")]
        for b, c in zip(("vk", "vki", "asan"), cells):
            if c not in ("n/a", "-"):
                caught[b][1] += 1
                caught[b][0] += c.startswith("yes")
        md.append("| %s | %s | %s | %s | %s | %s |" % (p, bug, exp, *cells))
        cb.writerow([p, bug, exp, *cells])
    md.append("| **caught** | | | %d/%d | %d/%d | %d/%d |" % (*caught["vk"], *caught["vki"], *caught["asan"]))
    with open(os.path.join(work, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    log("wrote %s/results.md, results.csv, bugs.csv" % work)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--projects")
    ap.add_argument("--builds", default=",".join(BUILDS))
    ap.add_argument("--no-bugs", action="store_true")
    ap.add_argument("--bugs-only", action="store_true")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--resume", action="store_true",
                    help="keep the builds and suite results of an earlier run")
    a = ap.parse_args()
    vkb = os.path.abspath(os.environ.get("VKASAN_BUILD", "build"))
    work = os.path.abspath(os.environ.get("VKASAN_RW_DIR", os.path.join(vkb, "realworld")))
    os.makedirs(work, exist_ok=True)
    if not a.report_only:
        if a.projects:
            names = a.projects.split(",")
        elif a.quick:
            names = QUICK
        else:
            names = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(HERE, "projects", "*.sh")))
        setup_deb_src(work)
        install_tools(work)
        make_wrappers(work, vkb)
        t0 = time.time()
        for n in names:
            try:
                run_project(n, work, a.builds.split(","), not a.bugs_only, not a.no_bugs, a.resume)
            except Exception as e:  # one project's trouble does not stop the others
                log("%s: %s" % (n, e))
        log("total %.0f s" % (time.time() - t0))
    report(work, vkb)


if __name__ == "__main__":
    main()

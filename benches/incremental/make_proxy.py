#!/usr/bin/env python3
"""Writes a file:// Go module proxy serving example.com/greeting v1.0.0 ...
v1.N.0, each carrying about 200 KB of data (a realistic small dependency),
for benches/incremental/bench.sh.  usage: make_proxy.py DIR VERSIONS"""
import hashlib, os, sys, zipfile

root, count = sys.argv[1], int(sys.argv[2])
module = "example.com/greeting"
at_v = os.path.join(root, module, "@v")
os.makedirs(at_v, exist_ok=True)
versions = [f"v1.{n}.0" for n in range(count)]
go_mod = f"module {module}\n\ngo 1.19\n"
for version in versions:
    blob = hashlib.sha256(version.encode()).hexdigest()
    while len(blob) < 200_000:
        blob += hashlib.sha256(blob[-64:].encode()).hexdigest()
    code = (f"// Package greeting is a benchmark dependency ({version}).\npackage greeting\n\n"
            f"var blob = \"{blob}\"\n\n"
            f"// Hello names the version.\nfunc Hello() string {{ return \"{version}\" + blob[:0] }}\n")
    with open(os.path.join(at_v, f"{version}.info"), "w") as f:
        f.write(f'{{"Version":"{version}","Time":"2024-01-01T00:00:00Z"}}\n')
    with open(os.path.join(at_v, f"{version}.mod"), "w") as f:
        f.write(go_mod)
    with zipfile.ZipFile(os.path.join(at_v, f"{version}.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{module}@{version}/go.mod", go_mod)
        z.writestr(f"{module}@{version}/greeting.go", code)
with open(os.path.join(at_v, "list"), "w") as f:
    f.write("".join(v + "\n" for v in versions))

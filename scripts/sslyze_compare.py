#!/usr/bin/env python3
"""Run `ferrotls diagnose` and sslyze on the same zoo of broken local servers.

Called by scripts/sslyze-compare.sh (which installs sslyze and builds ferrotls).
Each case is one server on 127.0.0.1 (`openssl s_server` or `ferrotls server`) with
one known problem, made from `ferrotls cert ca` / `ferrotls cert issue --broken ...`
certificates (and openssl for what `cert issue` cannot make: an intermediate, a leaf
without SAN). Prints a Markdown table: case, ferrotls's main finding, sslyze's
findings, and who names the known problem.

Environment: FERROTLS (the binary), PYTHON (the interpreter with sslyze).
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

FERROTLS = os.environ.get("FERROTLS", "target/debug/ferrotls")
PYTHON = os.environ.get("PYTHON", sys.executable)
WORK = tempfile.mkdtemp(prefix="ferrotls-sslyze-")


def run(*args, cwd=WORK, check=True, timeout=120):
    try:
        p = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, -9, "", f"timed out after {timeout} s")
    if check and p.returncode != 0:
        sys.exit(f"{' '.join(args)}: {p.stderr}")
    return p


def openssl(*args):
    run("openssl", *args)


def make_certs():
    f = os.path.abspath(FERROTLS)
    run(f, "cert", "ca")
    run(f, "cert", "issue", "localhost", "--key", "rsa")
    for kind in ["expired", "not-yet-valid", "wrong-name", "self-signed",
                 "weak-rsa-1024", "sha1"]:
        run(f, "cert", "issue", "localhost", "--key", "rsa", "--broken", kind)
    os.makedirs(os.path.join(WORK, "stranger"))
    run(f, "cert", "ca", cwd=os.path.join(WORK, "stranger"))
    run(f, "cert", "issue", "localhost", "--key", "rsa", cwd=os.path.join(WORK, "stranger"))
    # An intermediate (for "missing intermediate") and a leaf without SAN, via openssl.
    with open(os.path.join(WORK, "inter.cnf"), "w") as fh:
        fh.write("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                 "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    with open(os.path.join(WORK, "leaf.cnf"), "w") as fh:
        fh.write("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                 "subjectAltName=DNS:localhost\nauthorityKeyIdentifier=keyid\n")
    with open(os.path.join(WORK, "nosan.cnf"), "w") as fh:
        fh.write("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                 "authorityKeyIdentifier=keyid\n")
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "inter.key")
    openssl("req", "-new", "-key", "inter.key", "-subj", "/CN=Zoo Intermediate", "-out", "inter.csr")
    openssl("x509", "-req", "-in", "inter.csr", "-CA", "ferrotls-ca.pem", "-CAkey", "ferrotls-ca.key",
            "-set_serial", "100", "-days", "3650", "-extfile", "inter.cnf", "-out", "inter.pem")
    openssl("req", "-new", "-key", "localhost.key", "-subj", "/CN=localhost", "-out", "leaf.csr")
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "inter.pem", "-CAkey", "inter.key",
            "-set_serial", "101", "-days", "300", "-extfile", "leaf.cnf", "-out", "via-inter.pem")
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ferrotls-ca.pem", "-CAkey", "ferrotls-ca.key",
            "-set_serial", "102", "-days", "300", "-extfile", "nosan.cnf", "-out", "nosan.pem")


MODERN = ["-cipher", "ECDHE+AESGCM:ECDHE+CHACHA20"]
LEVEL0 = ["-cipher", "ECDHE+AESGCM:@SECLEVEL=0", "-no_tls1", "-no_tls1_1"]


def s(cert, key="localhost.key", extra=MODERN):
    return ["openssl", "s_server", "-www", "-quiet", "-cert", cert, "-key", key, *extra]


def f(*extra):
    return [os.path.abspath(FERROTLS), "server", "--cert", "localhost.pem", "--key", "localhost.key", *extra]


# name, server command (port appended), ferrotls finding ids that name the problem,
# regex on sslyze's findings that names it (None: the good server, nothing expected).
CASES = [
    ("good server", f(), None, None),
    ("expired leaf", s("localhost-expired.pem", "localhost-expired.key"), ["cert.expired"], r"expired|not valid at validation time"),
    ("not-yet-valid leaf", s("localhost-not-yet-valid.pem", "localhost-not-yet-valid.key"), ["cert.not-yet-valid"], r"not yet valid|not valid at validation time"),
    ("self-signed", s("localhost-self-signed.pem", "localhost-self-signed.key"), ["cert.self-signed"], r"self.signed"),
    ("unknown CA", s("stranger/localhost.pem", "stranger/localhost.key"), ["cert.untrusted", "cert.untrusted-root"], r"cert: .*(not trusted|unknown|issuer|signature does not match)"),
    ("missing intermediate", s("via-inter.pem"), ["cert.missing-intermediate"], r"intermediate|issuer"),
    ("wrong name, SNI ignored", s("localhost-wrong-name.pem", "localhost-wrong-name.key"), ["cert.name-mismatch"], r"name|hostname"),
    ("no SAN (CN only)", s("nosan.pem"), ["cert.name-mismatch"], r"subjectAltName|hostname"),
    ("SHA-1 signature", s("localhost-sha1.pem", "localhost-sha1.key", LEVEL0), ["cert.weak-signature"], r"sha1|sha-1|signature"),
    ("1024-bit RSA leaf", s("localhost-weak-rsa-1024.pem", "localhost-weak-rsa-1024.key", LEVEL0), ["cert.weak-key"], r"1024|rsa_key_size|weak key"),
    ("TLS 1.0/1.1 on", s("localhost.pem", extra=["-cipher", "DEFAULT:@SECLEVEL=0"]), ["versions.tls10", "versions.tls11"], r"TLS 1\.[01] accepted"),
    ("CBC only (TLS 1.2)", s("localhost.pem", extra=["-no_tls1_3", "-cipher", "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA384"]), ["suites.cbc-only"], r"CBC only"),
    ("TLS 1.2 only, no ECDHE", s("localhost.pem", extra=["-no_tls1_3", "-cipher", "AES128-SHA256:AES256-GCM-SHA384"]), ["suites.no-forward-secrecy"], r"no forward secrecy"),
    ("0-RTT on", f("--early-data", "1024"), ["early-data"], r"early data"),
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(cmd):
    port = free_port()
    if cmd[0] == "openssl":
        cmd = cmd[:2] + ["-accept", f"127.0.0.1:{port}"] + cmd[2:]
    else:
        cmd = cmd + ["--port", str(port)]
    # The server's log goes to a file: a pipe nobody reads fills up and stalls it.
    log = open(os.path.join(WORK, f"server-{port}.log"), "w")
    proc = subprocess.Popen(cmd, cwd=WORK, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                sys.exit(f"{cmd} exited; see {log.name}")
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"{cmd} did not start")


def ferrotls(port):
    p = run(os.path.abspath(FERROTLS), "diagnose", f"127.0.0.1:{port}", "--servername", "localhost",
            "--cafile", "ferrotls-ca.pem", "--json", "--timeout", "20", check=False, timeout=60)
    if p.returncode == -9:
        return -9, [{"id": "timeout", "title": "diagnose timed out"}], ""
    r = json.loads(p.stdout)
    bad = [x for x in r["findings"] if x["severity"] in ("error", "warning")]
    return r["exit_code"], bad, r["verdict"]


def sslyze(port):
    # localhost:PORT{127.0.0.1}: connect to 127.0.0.1, send SNI and check the name localhost.
    # Two runs: the default scan set (which the Mozilla compliance check needs), then
    # what that set leaves out (--early_data, --resum); their results are merged.
    p = run(PYTHON, "-m", "sslyze", "--json_out=sslyze.json", "--certinfo_ca_file", "ferrotls-ca.pem",
            f"localhost:{port}{{127.0.0.1}}", check=False, timeout=90)
    p2 = run(PYTHON, "-m", "sslyze", "--early_data", "--resum", "--json_out=sslyze-extra.json",
             f"localhost:{port}{{127.0.0.1}}", check=False, timeout=90)
    if p.returncode == -9 or p2.returncode == -9:
        return ["sslyze timed out after 90 s"], []
    with open(os.path.join(WORK, "sslyze.json")) as fh:
        res = json.load(fh)["server_scan_results"][0]
    if res["connectivity_status"] != "COMPLETED":
        return [f"could not connect: {res.get('connectivity_error_trace', '')[-120:]}"], []
    with open(os.path.join(WORK, "sslyze-extra.json")) as fh:
        extra = json.load(fh)["server_scan_results"][0].get("scan_result") or {}
    for k, v in extra.items():
        if v and v.get("status") == "COMPLETED":
            res["scan_result"][k] = v
    sr = res["scan_result"]
    out = []

    def result(name):
        return (sr.get(name) or {}).get("result") or {}

    for dep in result("certificate_info").get("certificate_deployments", []):
        for pv in dep["path_validation_results"]:
            if pv["trust_store"]["name"].startswith("Supplied") and not pv.get("was_validation_successful"):
                err = pv.get("validation_error") or pv.get("openssl_error_string") or "failed"
                out.append("cert: " + re.sub(r"\s*\(encountered processing.*", "", err))
        if dep.get("leaf_certificate_subject_matches_hostname") is False:
            out.append("hostname mismatch")
        if dep.get("verified_chain_has_sha1_signature"):
            out.append("SHA-1 signature in chain")
    accepted = {}
    for v, label in [("ssl_2_0", "SSL 2.0"), ("ssl_3_0", "SSL 3.0"), ("tls_1_0", "TLS 1.0"),
                     ("tls_1_1", "TLS 1.1"), ("tls_1_2", "TLS 1.2"), ("tls_1_3", "TLS 1.3")]:
        names = [c["cipher_suite"]["name"] for c in result(f"{v}_cipher_suites").get("accepted_cipher_suites", [])]
        accepted[label] = names
        if names and label in ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1"):
            out.append(f"{label} accepted")
    legacy = [n for k, ns in accepted.items() if k != "TLS 1.3" for n in ns]
    if not accepted["TLS 1.3"]:
        out.append("no TLS 1.3")
    if legacy and not accepted["TLS 1.3"]:
        if not any("_ECDHE_" in n or "_DHE_" in n for n in legacy):
            out.append("no forward secrecy")
        if all("_CBC_" in n for n in legacy):
            out.append("CBC only")
    for pat, label in [("RC4", "RC4"), ("3DES", "3DES"), ("NULL", "NULL"), ("EXPORT", "EXPORT"), ("anon", "anonymous")]:
        if any(pat in n for n in legacy):
            out.append(f"{label} suites")
    if result("heartbleed").get("is_vulnerable_to_heartbleed"):
        out.append("Heartbleed")
    if result("openssl_ccs_injection").get("is_vulnerable_to_ccs_injection"):
        out.append("CCS injection")
    if result("tls_1_3_early_data").get("supports_early_data"):
        out.append("early data accepted")
    if result("tls_fallback_scsv").get("supports_fallback_scsv") is False:
        out.append("no TLS_FALLBACK_SCSV")
    robot = result("robot").get("robot_result", "")
    if robot.startswith("VULNERABLE"):
        out.append("ROBOT")
    # Mozilla "intermediate" compliance, as printed (not part of the JSON).
    mozilla = re.findall(r"^\s+\* (\w+):", p.stdout.split("COMPLIANCE AGAINST MOZILLA")[-1], re.M) \
        if "COMPLIANCE AGAINST MOZILLA" in p.stdout else []
    return out, mozilla


def main():
    make_certs()
    rows = []
    for name, cmd, want_ids, want_sslyze in CASES:
        print(f"{name} ...", file=sys.stderr, flush=True)
        proc, port = start(cmd)
        try:
            code, bad, verdict = ferrotls(port)
            sz, mozilla = sslyze(port)
        finally:
            proc.kill()
            proc.wait()
        ids = [x["id"] for x in bad]
        if want_ids is None:
            f_ok = code == 0
            s_ok = not sz
        else:
            f_ok = any(i in ids for i in want_ids)
            s_ok = bool(re.search(want_sslyze, "; ".join(sz + mozilla), re.I))
        main_f = bad[0]["title"] + f" [{bad[0]['id']}]" if bad else verdict
        others = [i for i in ids if i != (bad[0]["id"] if bad else None)]
        who = {(True, True): "both", (True, False): "ferrotls", (False, True): "sslyze",
               (False, False): "neither"}[(f_ok, s_ok)]
        rows.append((name, f"{main_f} (exit {code})" + (f"; also {', '.join(others)}" if others else ""),
                     "; ".join(sz) or "nothing", ", ".join(mozilla) or "compliant", who))
    print("| case | ferrotls diagnose (main finding) | sslyze findings | sslyze Mozilla-intermediate failures | names the known problem |")
    print("|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(c.replace("|", "/") for c in r) + " |")
    print(f"\n(work dir {WORK})")


if __name__ == "__main__":
    main()

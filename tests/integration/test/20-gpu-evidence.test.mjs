// `chrysalis attest gpu verify` as an operator runs it on the real H100 evidence in tests/data/gpu:
// one JSON object, exit 0 only when verified, 1 with the reason when refused, 2 for bad usage.
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {test} from "node:test";
import {BIN, REPO_ROOT} from "../lib/harness.mjs";

const DATA = path.join(REPO_ROOT, "tests/data/gpu");
const NONCE = fs.readFileSync(path.join(DATA, "nonce.hex"), "utf8").trim();
const AT = "2024-06-01T00:00:00Z";  // inside the reference manifests' signers' validity

function verify(extra, {report = path.join(DATA, "attestationReport.txt"), nonce = NONCE} = {}) {
    const args = ["attest", "gpu", "verify", "--report", report, "--chain", path.join(DATA, "gpuAkCertChain.txt"),
        "--nonce", nonce, ...extra];
    const r = spawnSync(BIN, args, {encoding: "utf8"});
    let out = null;
    try {
        out = JSON.parse(r.stdout);
    } catch {}
    return {status: r.status, out, stderr: r.stderr};
}

test("the real H100 evidence verifies against the manifests in a directory", () => {
    const r = verify(["--rims", DATA, "--at", AT]);
    assert.equal(r.status, 0, r.stderr + JSON.stringify(r.out));
    assert.equal(r.out.verified, true);
    assert.equal(r.out.gpu.chip, "GH100");
    assert.equal(r.out.report.driver_version, "545.00");
    assert.equal(r.out.report.vbios_version, "96.00.5E.00.01");
    assert.equal(r.out.reference_manifests.measurements_checked, 32);
    assert.deepEqual(r.out.checks_not_done.sort(), ["fwid", "revocation"]);
});

test("refusals name what failed and exit 1", () => {
    const today = verify(["--rims", DATA]);
    assert.equal(today.status, 1);
    assert.equal(today.out.reason, "rim_expired", "the manifests' signers have expired by now");
    const otherNonce = verify(["--at", AT], {nonce: "00".repeat(32)});
    assert.equal(otherNonce.status, 1);
    assert.equal(otherNonce.out.reason, "nonce_mismatch");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-"));
    const hex = fs.readFileSync(path.join(DATA, "attestationReport.txt"), "utf8");
    const flipped = hex.slice(0, -1) + (hex.at(-1) === "0" ? "1" : "0");
    fs.writeFileSync(path.join(dir, "report.txt"), flipped);
    const tampered = verify(["--at", AT], {report: path.join(dir, "report.txt")});
    assert.equal(tampered.status, 1);
    assert.equal(tampered.out.reason, "report_signature");
    const noManifests = verify(["--rims", dir, "--at", AT]);  // a directory without the right RIMs
    assert.equal(noManifests.status, 1);
    assert.equal(noManifests.out.reason, "rim_missing");
    assert.match(noManifests.out.reason_text, /545\.00/);
});

test("bad usage exits 2 with a message", () => {
    const badNonce = verify([], {nonce: "abc"});
    assert.equal(badNonce.status, 2);
    assert.match(badNonce.stderr, /--nonce/);
    const missing = spawnSync(BIN, ["attest", "gpu", "verify", "--nonce", NONCE], {encoding: "utf8"});
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /required/);
    const noFile = verify([], {report: "/nonexistent/report.txt"});
    assert.equal(noFile.status, 2);
    assert.match(noFile.stderr, /cannot read/);
});

test("a simulated GPU's evidence verifies only under its own development root", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sim-gpu-"));
    const run = (args) => spawnSync(BIN, ["attest", "gpu", ...args], {encoding: "utf8"});
    assert.equal(run(["sim-ca", "--out", path.join(dir, "ca")]).status, 0);
    assert.equal(run(["sim-ca", "--out", path.join(dir, "ca")]).status, 2, "an existing CA is kept without --force");
    const nonce = "ab".repeat(32);
    const made = run(["sim-report", "--ca", path.join(dir, "ca"), "--nonce", nonce, "--out", path.join(dir, "ev")]);
    assert.equal(made.status, 0, made.stderr);
    const args = ["verify", "--report", path.join(dir, "ev/report.txt"), "--chain", path.join(dir, "ev/chain.pem"),
        "--nonce", nonce];
    const dev = run([...args, "--device-root", path.join(dir, "ca/sim_gpu_root.pem")]);
    assert.equal(dev.status, 0, dev.stdout);
    const out = JSON.parse(dev.stdout);
    assert.equal(out.gpu.fwid, out.report.fwid, "the report's FWID is the certificate's");
    assert.ok(!out.checks_not_done.includes("fwid"));
    const pinned = run(args);
    assert.equal(pinned.status, 1);
    assert.equal(JSON.parse(pinned.stdout).reason, "gpu_chain_untrusted");
});

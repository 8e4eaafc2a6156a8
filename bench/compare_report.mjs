#!/usr/bin/env node
// Turns the JSON files bench/compare_llama.sh collects into markdown tables (stdout):
//   node bench/compare_report.mjs --results DIR --threads N --preset NAME --labels "f16 q8_0 q4_k_m"
//                                 [--text FILE] [--hearth PATH] [--f16-bytes N]
// DIR holds hearth-LABEL.json (`hearth bench --json`), llama-LABEL.json (../shared/peers/bench.mjs --json),
// kld-LABEL.json (`hearth kld --json`), stream.txt (stream_bw output) and notes.txt. Missing files become
// "n/a" cells: a failed step never hides the others.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {execFileSync} from "node:child_process";

// node-llama-cpp reports its llama.cpp build as {repo, release}; older versions gave a plain string.
function llamaRelease(r) {
  if (r == null) return "unknown";
  if (typeof r === "string") return r;
  return [r.repo, r.release].filter(Boolean).join(" ");
}

function parseArgs(argv) {
  const o = {results: null, threads: "?", preset: "?", labels: [], text: "", hearth: "", f16Bytes: 0};
  for (let i = 2; i < argv.length; i++) {
    const v = () => argv[++i];
    switch (argv[i]) {
      case "--results": o.results = v(); break;
      case "--threads": o.threads = v(); break;
      case "--preset": o.preset = v(); break;
      case "--labels": o.labels = v().split(/\s+/).filter(Boolean); break;
      case "--text": o.text = v(); break;
      case "--hearth": o.hearth = v(); break;
      case "--f16-bytes": o.f16Bytes = Number(v()); break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!o.results) throw new Error("--results is required");
  return o;
}

const readJson = (file) => {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return null;
  }
};
const readText = (file) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");
const GB = 1e9;
const gb = (bytes) => (bytes > 0 ? `${(bytes / GB).toFixed(2)} GB` : "n/a");
const pm = (mean, sd, digits = 2) => (mean > 0 ? `${mean.toFixed(digits)} ± ${sd.toFixed(digits)}` : "n/a");
const ratio = (a, b) => (a > 0 && b > 0 ? `${(a / b).toFixed(2)}×` : "n/a");
const pct = (x) => (x > 0 ? `${(100 * x).toFixed(0)} %` : "n/a");

// stream_bw lines: "read       best   38.12 GB/s   avg   35.00 GB/s"
function bandwidth(text) {
  const out = {};
  for (const m of text.matchAll(/^(\w+)\s+best\s+([\d.]+) GB\/s\s+avg\s+([\d.]+) GB\/s/gm))
    out[m[1]] = {best: Number(m[2]) * GB, avg: Number(m[3]) * GB};
  return out;
}

function cpuModel() {
  try {
    const m = execFileSync("lscpu", {encoding: "utf8"}).match(/^Model name:\s+(.*)$/m);
    if (m) return m[1].trim();
  } catch {
    // fall through
  }
  return os.cpus()[0]?.model ?? "unknown";
}

function hearthTest(h, prefix) {
  const t = h?.tests?.find((x) => x.name.startsWith(prefix));
  return t ? {mean: t.avg_ts, sd: t.stddev_ts} : {mean: 0, sd: 0};
}

function llamaTest(l, name) {
  const t = l?.perf?.[name];
  return t ? {mean: t.mean, sd: t.sd} : {mean: 0, sd: 0};
}

function main() {
  const o = parseArgs(process.argv);
  const dir = o.results;
  const bw = bandwidth(readText(path.join(dir, "stream.txt")));
  const readBw = bw.read?.best ?? 0;
  const notes = readText(path.join(dir, "notes.txt")).split("\n").filter(Boolean);
  // "LABEL BYTES" lines: file sizes even where a benchmark failed.
  const sizes = Object.fromEntries(readText(path.join(dir, "sizes.txt")).split("\n").filter(Boolean)
                                     .map((l) => l.split(/\s+/)).map(([k, v]) => [k, Number(v)]));
  const rows = o.labels.map((label) => ({
    label,
    hearth: readJson(path.join(dir, `hearth-${label}.json`)),
    llama: readJson(path.join(dir, `llama-${label}.json`)),
    kld: readJson(path.join(dir, `kld-${label}.json`)),
    hearthErr: readText(path.join(dir, `hearth-${label}.err`)).trim().split("\n").filter((l) => l.startsWith("error:")).pop(),
  }));
  const f16 = rows.find((r) => r.label === "f16");
  const f16Bytes = o.f16Bytes || (f16?.hearth?.file_bytes ?? f16?.llama?.fileBytes ?? 0);

  const lines = [];
  const features = rows.find((r) => r.hearth)?.hearth?.cpu_features ?? "";
  const kernels = rows.find((r) => r.hearth)?.hearth?.backend ?? "";
  const llamaInfo = rows.find((r) => r.llama)?.llama;
  lines.push(`Machine: ${cpuModel()}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM; ` +
             `${o.threads} threads for every engine. CPU features Hearth sees: ${features || "n/a"}.`);
  lines.push(`Hearth: ${o.hearth ? path.basename(o.hearth) : "hearth"} (${kernels || "n/a"}); llama.cpp: ` +
             (llamaInfo ? `node-llama-cpp ${llamaInfo.env?.nodeLlamaCpp}, llama.cpp ${llamaRelease(llamaInfo.llama?.release)}` : "n/a") + ".");
  lines.push(`Model: random-weight Qwen3-MoE, shape \`${o.preset}\` (../shared/peers/make_random_gguf.py; dimensions in the notes when not a preset).`);
  if (bw.read) {
    lines.push(`Memory bandwidth (stream_bw.c, ${o.threads} threads, best of 10): read ${(bw.read.best / GB).toFixed(1)} GB/s, ` +
               `copy ${(bw.copy?.best / GB).toFixed(1)} GB/s, triad ${(bw.triad?.best / GB).toFixed(1)} GB/s.`);
  }
  lines.push("");

  lines.push("| type | file | engine | pp512 t/s | tg128 t/s | peak RSS |");
  lines.push("| --- | ---: | --- | ---: | ---: | ---: |");
  for (const r of rows) {
    const hp = hearthTest(r.hearth, "pp"), ht = hearthTest(r.hearth, "tg");
    const size = gb(r.hearth?.file_bytes ?? r.llama?.fileBytes ?? sizes[r.label] ?? 0);
    const hearthCells = r.hearth ? `${pm(hp.mean, hp.sd)} | ${pm(ht.mean, ht.sd)} | ${gb(r.hearth.peak_rss_bytes)}`
                                 : `${r.hearthErr ? "failed: " + r.hearthErr.replace(/\|/g, "/") : "n/a"} | n/a | n/a`;
    lines.push(`| ${r.label} | ${size} | Hearth | ${hearthCells} |`);
    if (r.llama) {
      const lp = llamaTest(r.llama, "pp512"), lt = llamaTest(r.llama, "tg128");
      lines.push(`| ${r.label} | ${size} | llama.cpp | ${pm(lp.mean, lp.sd)} | ${pm(lt.mean, lt.sd)} | ` +
                 `${gb((r.llama.memFinal?.peakRssMiB ?? 0) * 2 ** 20)} |`);
    }
  }
  lines.push("");

  lines.push("| type | pp512 Hearth / llama.cpp | tg128 Hearth / llama.cpp | weights read per token | tg floor t/s | " +
             "Hearth tg / floor | llama.cpp tg / floor |");
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    const hp = hearthTest(r.hearth, "pp"), ht = hearthTest(r.hearth, "tg");
    const lp = llamaTest(r.llama, "pp512"), lt = llamaTest(r.llama, "tg128");
    const perToken = r.hearth?.bytes_per_token ?? 0;
    const floor = perToken > 0 && readBw > 0 ? readBw / perToken : 0;
    lines.push(`| ${r.label} | ${ratio(hp.mean, lp.mean)} | ${ratio(ht.mean, lt.mean)} | ${gb(perToken)} | ` +
               `${floor > 0 ? floor.toFixed(1) : "n/a"} | ${pct(floor > 0 ? ht.mean / floor : 0)} | ` +
               `${pct(floor > 0 ? lt.mean / floor : 0)} |`);
  }
  lines.push("");

  const quality = rows.filter((r) => r.label !== "f16");
  if (quality.length) {
    const k = quality.find((r) => r.kld)?.kld;
    lines.push(`Quality against the f16 file (\`hearth kld\`${k ? `, ${k.tokens_scored} scored tokens: ${k.chunks} chunks of ${k.ctx}` : ""}` +
               `${o.text ? ` of ${path.basename(o.text)}` : ""}):`);
    lines.push("");
    lines.push("| type | file | size vs f16 | mean KLD | KLD 99th pct | top-1 agreement | PPL ratio | PPL |");
    lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const r of quality) {
      const bytes = r.hearth?.file_bytes ?? r.llama?.fileBytes ?? sizes[r.label] ?? 0;
      const q = r.kld;
      lines.push(`| ${r.label} | ${gb(bytes)} | ${bytes > 0 && f16Bytes > 0 ? (100 * bytes / f16Bytes).toFixed(1) + " %" : "n/a"} | ` +
                 (q ? `${q.kld_mean.toFixed(6)} ± ${q.kld_error.toFixed(6)} | ${q.kld_p99.toFixed(5)} | ` +
                      `${(100 * q.top1_agreement).toFixed(2)} ± ${(100 * q.top1_agreement_error).toFixed(2)} % | ` +
                      `${q.ppl_ratio.toFixed(4)} ± ${q.ppl_ratio_error.toFixed(4)} | ${q.ppl_model.toFixed(1)} (f16: ${q.ppl_reference.toFixed(1)}) |`
                    : "n/a | n/a | n/a | n/a | n/a |"));
    }
    lines.push("");
  }
  for (const n of notes) lines.push(`Note: ${n}`);
  console.log(lines.join("\n"));
}

main();

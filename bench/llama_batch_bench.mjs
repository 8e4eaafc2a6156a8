#!/usr/bin/env node
// llama.cpp's batched generation at several numbers of concurrent streams: the peer of build/bench/serve_bench,
// with the same workload and the same figures, through node-llama-cpp (CPU build, never compiled here).
//
//   node llama_batch_bench.mjs --model FILE.gguf [--streams 1,4,16] [-n 32] [-p 32] [-t 2] [--fa off|on|auto]
//
// Run it from a folder whose node_modules has node-llama-cpp (bench/compare_llama.sh's $PEER, or the interop
// test's cache, build/tests/interop/npm). Each stream is one sequence of one context (sequences = streams, batch
// 4096 tokens like hearth serve's default engine.max_batch_tokens), with its own random prompt of -p token ids
// (distinct per stream), decoding -n tokens greedily without stopping at end-of-generation tokens. All streams
// start at once; node-llama-cpp gathers the pending tokens of every sequence into one llama_decode per step
// (continuous batching). Prints a markdown table row per concurrency: aggregate generated tokens/s over the
// whole run (prefill included), decode tokens/s once every stream has its first token, time to first token
// p50/p99, the speed-up over one stream, and the wall time.
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { getLlama, LlamaLogLevel } from 'node-llama-cpp';

function parseArgs(argv) {
  const o = { model: null, streams: [1, 4, 16], n: 32, p: 32, threads: 2, fa: 'off' };
  const count = (flag, text) => {
    const v = Number(text);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${flag}: '${text}' is not a positive integer`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    switch (flag) {
      case '--model': case '-m': o.model = value(); break;
      case '--streams': o.streams = value().split(',').map((s) => count('--streams', s)); break;
      case '-n': o.n = count(flag, value()); break;
      case '-p': o.p = count(flag, value()); break;
      case '--threads': case '-t': o.threads = count(flag, value()); break;
      case '--fa': o.fa = value(); break;
      default: throw new Error(`unknown argument '${flag}'`);
    }
  }
  if (!o.model) throw new Error('--model is required');
  if (!['off', 'on', 'auto'].includes(o.fa)) throw new Error(`--fa: '${o.fa}' is not off, on or auto`);
  return o;
}

// Distinct pseudo-random prompts (a fixed LCG, so every run and both engines' benches can use the same kind).
function prompts(count, length, vocab) {
  let state = 12345;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state;
  };
  return Array.from({ length: count }, () => Array.from({ length }, () => 1000 + (next() % (vocab - 2000))));
}

// Prompt ids are drawn from [1000, vocabulary - 1000) of the Qwen vocabulary (the models these benches use).
const QWEN_VOCABULARY = 151936;

function percentile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function runStreams(model, o, streams) {
  const context = await model.createContext({
    contextSize: Math.ceil((streams * (o.p + o.n + 8)) / 256) * 256,
    batchSize: 4096,
    sequences: streams,
    threads: { ideal: o.threads, min: o.threads },
    flashAttention: o.fa === 'auto' ? 'auto' : o.fa === 'on',
  });
  try {
    const sequences = Array.from({ length: streams }, () => context.getSequence());
    const ids = prompts(streams, o.p, QWEN_VOCABULARY);
    const start = performance.now();
    const results = await Promise.all(sequences.map(async (sequence, i) => {
      let tokens = 0;
      let first = 0;
      for await (const _ of sequence.evaluate(ids[i], { temperature: 0, yieldEogToken: true })) {
        if (tokens === 0) first = performance.now();
        if (++tokens >= o.n) break;
      }
      return { tokens, first, done: performance.now() };
    }));
    const end = performance.now();
    const lastFirst = Math.max(...results.map((r) => r.first));
    const decodeTokens = results.reduce((s, r) => s + r.tokens - 1, 0);
    const ttft = results.map((r) => (r.first - start) / 1000).sort((a, b) => a - b);
    return {
      seconds: (end - start) / 1000,
      tokens: results.reduce((s, r) => s + r.tokens, 0),
      decodeTps: end > lastFirst ? decodeTokens / ((end - lastFirst) / 1000) : 0,
      ttftP50: percentile(ttft, 0.5),
      ttftP99: percentile(ttft, 0.99),
    };
  } finally {
    await context.dispose();
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const llama = await getLlama({ gpu: false, build: 'never', maxThreads: o.threads, progressLogs: false,
                                 logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: path.resolve(o.model), gpuLayers: 0 });
  await runStreams(model, o, 1);  // warm-up: page in the weights
  console.log(`llama.cpp (node-llama-cpp), ${path.basename(o.model)}, -p ${o.p} -n ${o.n}, ${o.threads} threads, ` +
              `flash attention ${o.fa}`);
  console.log('| streams | gen tok/s (aggregate) | decode tok/s | speed-up | TTFT p50 (s) | TTFT p99 (s) | wall (s) |');
  console.log('|--------:|----------------------:|-------------:|---------:|-------------:|-------------:|---------:|');
  let single = 0;
  for (const streams of o.streams) {
    const r = await runStreams(model, o, streams);
    const tps = r.tokens / r.seconds;
    if (streams === 1) single = tps;
    const speedup = single > 0 ? `${(tps / single).toFixed(2)}x` : '-';
    console.log(`| ${streams} | ${tps.toFixed(1)} | ${r.decodeTps.toFixed(1)} | ${speedup} | ` +
                `${r.ttftP50.toFixed(3)} | ${r.ttftP99.toFixed(3)} | ${r.seconds.toFixed(2)} |`);
  }
  await model.dispose();
  await llama.dispose();
}

main().catch((e) => {
  process.stderr.write(`error: ${e.message}\n`);
  process.exit(1);
});

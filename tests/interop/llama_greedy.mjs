#!/usr/bin/env node
// llama.cpp's greedy continuation of given token ids, for one GGUF file, through the prebuilt CPU library of the
// npm package node-llama-cpp (tests/interop/package.json pins it).
//
// Usage: node llama_greedy.mjs --model FILE.gguf --ids 9707,11,1879 [--n-predict 24] [--top 0] [--threads 1]
//                             [--flash-attention]
// Prints one JSON object on stdout:
//   {"model": FILE, "ids": [...], "tokens": [n-predict ids], "top": [per step: [[id, log_prob], ...]]}
// `tokens` is argmax decoding with the KV cache and no early stop (end-of-generation tokens are kept and fed
// back like any other). With --top K > 0, `top` lists for every generated step the K most likely tokens with
// their natural log-probabilities, largest first (differences between them are differences of raw logits, comparable
// with `hearth logits`); it costs about 0.4 s per step, because node-llama-cpp hands the whole vocabulary's
// probabilities to JavaScript. Exit status 1 with `error: ...` on stderr on failure.
//
// As a module: openLlama(threads) once, then withModel(llama, file, (model) => greedyContinuations(model, prompts,
// options)) (loading a file takes llama.cpp ~2 s here, so callers decode everything they need from one load).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { getLlama, LlamaLogLevel } from 'node-llama-cpp';

// Loads the CPU build of llama.cpp that ships with the package; never compiles one and never touches a GPU, so
// that a missing prebuilt binary fails fast instead of starting a 5-minute build.
export async function openLlama(threads) {
  return getLlama({
    gpu: false,
    build: 'never',
    maxThreads: threads,
    progressLogs: false,
    logLevel: LlamaLogLevel.error,
  });
}

// Loads `file` (CPU only), runs `body(model)` and frees the model again, whatever happens.
export async function withModel(llama, file, body) {
  const model = await llama.loadModel({ modelPath: path.resolve(file), gpuLayers: 0 });
  try {
    return await body(model);
  } finally {
    await model.dispose();
  }
}

// Greedy continuation of each prompt (an array of token ids) with a loaded model, in one new context.
// options: nPredict (tokens per prompt), top (entries of `top` per step; 0: none), threads, flashAttention
// (llama.cpp's fused attention kernel, which rounds Q and the running output to f16; false: the separate
// matrix products), teacherForce (one continuation per prompt: `forced` then holds llama.cpp's greedy choice at
// each step when fed that continuation instead of its own).
// Returns [{ids, tokens, top, forced}] in the order of `prompts`.
export async function greedyContinuations(model, prompts,
                                          { nPredict = 24, top = 0, threads = 1, flashAttention = false,
                                            teacherForce = null } = {}) {
  const longest = Math.max(...prompts.map((ids) => ids.length));
  const context = await model.createContext({
    contextSize: Math.ceil((longest + nPredict + 1) / 256) * 256,
    batchSize: Math.max(longest, 1),
    sequences: 1,
    threads: { ideal: threads, min: threads },
    flashAttention,
  });
  try {
    const sequence = context.getSequence();
    const results = [];
    for (const [i, ids] of prompts.entries()) {
      await sequence.clearHistory();
      const result = await continueGreedily(sequence, ids, nPredict, top);
      if (teacherForce) {
        await sequence.clearHistory();
        result.forced = await teacherForcedChoices(sequence, ids, teacherForce[i]);
      }
      results.push(result);
    }
    return results;
  } finally {
    await context.dispose();
  }
}

// The greedy choice after `ids` and after each prefix of `continuation`: one token is fed per step and the
// sampled token is dropped (the generator is left before it would be evaluated).
async function teacherForcedChoices(sequence, ids, continuation) {
  const choices = [];
  for (let step = 0; step < continuation.length; step++) {
    const feed = step === 0 ? ids : [continuation[step - 1]];
    for await (const next of sequence.evaluateWithMetadata(feed, {}, { temperature: 0, yieldEogToken: true })) {
      choices.push(next.token);
      break;
    }
  }
  if (choices.length < continuation.length) throw new Error('llama.cpp stopped while teacher-forced');
  return choices;
}

async function continueGreedily(sequence, ids, nPredict, top) {
  const tokens = [];
  const topPerStep = [];
  // temperature 0 selects llama.cpp's greedy sampler; `probabilities` returns the softmax of the raw logits over
  // the whole vocabulary, sorted, so the first entries are the top logits.
  const metadata = top > 0 ? { probabilities: true } : {};
  const steps = sequence.evaluateWithMetadata(ids, metadata, { temperature: 0, yieldEogToken: true });
  for await (const step of steps) {
    tokens.push(step.token);
    if (top > 0) {
      const best = [];
      for (const [id, p] of step.probabilities) {
        if (best.length >= top) break;
        best.push([id, Math.log(p)]);
      }
      topPerStep.push(best);
    }
    if (tokens.length >= nPredict) break;
  }
  if (tokens.length < nPredict) throw new Error(`llama.cpp stopped after ${tokens.length} of ${nPredict} tokens`);
  return { ids, tokens, top: topPerStep };
}

function parseArgs(argv) {
  const options = { model: null, ids: null, nPredict: 24, top: 0, threads: 1, flashAttention: false };
  const count = (flag, text) => {
    const v = Number(text);
    if (!Number.isInteger(v) || v < 0) throw new Error(`${flag}: '${text}' is not a non-negative integer`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    switch (flag) {
      case '--model': options.model = value(); break;
      case '--ids': options.ids = value().split(',').map((t) => count('--ids', t.trim())); break;
      case '--n-predict': options.nPredict = count(flag, value()); break;
      case '--top': options.top = count(flag, value()); break;
      case '--threads': options.threads = count(flag, value()); break;
      case '--flash-attention': options.flashAttention = true; break;
      default: throw new Error(`unknown argument '${flag}' (usage: --model FILE --ids 1,2,3 [--n-predict N] ` +
                               '[--top K] [--threads T] [--flash-attention])');
    }
  }
  if (!options.model) throw new Error('--model is required');
  if (!options.ids || options.ids.length === 0) throw new Error('--ids is required');
  if (options.nPredict < 1) throw new Error('--n-predict must be at least 1');
  if (options.threads < 1) throw new Error('--threads must be at least 1');
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const llama = await openLlama(options.threads);
  const [result] = await withModel(llama, options.model,
                                   (model) => greedyContinuations(model, [options.ids], options));
  process.stdout.write(`${JSON.stringify({ model: path.resolve(options.model), ...result })}\n`);
  await llama.dispose();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(1);
  });
}

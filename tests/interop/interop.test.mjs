// Interoperability with llama.cpp (ctest: interop_llama_cpp_tiny and _small): GGUF files that Hearth writes load
// in llama.cpp, and llama.cpp continues prompts the way Hearth does.
//
// For every model and quantization type below, Hearth writes the file (`hearth convert` to f32, then
// `hearth quantize IN OUT TYPE`), llama.cpp (node-llama-cpp's prebuilt CPU library, llama_greedy.mjs) decodes 24
// tokens greedily after each prompt, and Hearth is checked against it on the same file. llama.cpp runs twice: its
// continuation comes from the separate attention matrix products ("llama.cpp" below); a second context with its
// flash-attention kernel (which rounds Q and the running output to f16) measures how far llama.cpp's own
// arithmetic moves its choices on this file, both free-running and teacher-forced on the first continuation.
//
// 1. EXACT types (f32, f16, q8_0): Hearth's own greedy continuation (`hearth logits --greedy 24`, KV-cache
//    decoding) is identical to llama.cpp's for at least as many tokens as llama.cpp's two attention paths agree
//    with each other (all 24 on a file where they agree), unless the step where Hearth leaves it is a near-tie
//    (rule 2) (issue #3: "the same greedy continuation" for Q8_0).
// 2. Every type, "near-identical": Hearth is teacher-forced on llama.cpp's continuation (one `hearth logits` call
//    over prompt + continuation), so both engines see the same prefix at every step, also after a near-tie made
//    them choose differently once. A step where Hearth's top token is not llama.cpp's is excused when Hearth's own
//    top-2 logit gap there is below NEAR_TIE and llama.cpp's token is Hearth's runner-up. The other disagreements,
//    over all prompts of a file, may not outnumber the steps where llama.cpp's flash-attention path, fed the same
//    prefix, disagrees with llama.cpp itself; so on a file where llama.cpp's two paths always agree (the dense
//    tiny models, every f32 file), every step must agree.
//    Why the second bound: both engines read the same quantized weights, so their logits differ only by
//    arithmetic (summation order, rounding of activations to 8 bits, f16 in llama.cpp's attention): a few
//    hundredths of a logit where the computations match, while a wrong block layout, scale or mixture rule moves
//    logits by whole units. In a mixture-of-experts model with random weights, a difference that small can change
//    which experts a later layer picks and then moves the output by up to a logit (BENCHMARKS.md,
//    "Interoperability"); llama.cpp's two attention paths disagree at such steps as well, and no engine that does
//    not copy llama.cpp's arithmetic operation for operation can agree with it more closely than it agrees with
//    itself.
// 3. llama.cpp's continuation of Hearth's f32 file of a tiny model equals the reference continuation from
//    Hugging Face transformers (../shared/reference): the file means what the original model means.
//
// The tiny models have hidden size 64, so their K-quant mixtures fall back to Q8_0 (docs/quantization.md) and
// hold the q8_0 file's tensors: of those only q4_k_m (the mixture issue #3 names) is checked on them. The
// random-weight `small` Qwen3-MoE from ../shared/peers/make_random_gguf.py (hidden 256) carries real
// Q4_K/Q5_K/Q6_K tensors; every type is checked on it, with rule 2 only (issue #3 asks for identical
// continuations on the tiny models).
//
// Environment: HEARTH_BINARY, HEARTH_SHARED, HEARTH_INTEROP_WORK (folder for the generated models; files of
// passing cases are removed, a failing case's file is kept for its reproducer), HEARTH_INTEROP_PART (tiny: the
// tiny models only, small: the hidden-256 model only; ctest runs the two side by side), HEARTH_INTEROP_THREADS (1: both
// engines give the same logits for any thread count, and one thread keeps llama.cpp's spinning worker threads
// from starving when ctest runs other tests beside this one).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { greedyContinuations, openLlama, withModel } from './llama_greedy.mjs';

const HEARTH = process.env.HEARTH_BINARY;
const SHARED = process.env.HEARTH_SHARED;
const WORK = process.env.HEARTH_INTEROP_WORK;
const THREADS = Number(process.env.HEARTH_INTEROP_THREADS || 1);
const PART = process.env.HEARTH_INTEROP_PART || 'all';
assert.ok(['all', 'tiny', 'small'].includes(PART), `HEARTH_INTEROP_PART=${PART}: expected tiny, small or all`);
const HERE = path.dirname(fileURLToPath(import.meta.url));  // the npm folder: llama_greedy.mjs runs from there
const PYTHON = '/usr/bin/python3';  // make_random_gguf.py needs Debian's numpy (python3-numpy)

const N_PREDICT = 24;
const TOP = 2;
const TINY_MODELS = ['qwen3moe-tiny', 'qwen3-tiny', 'qwen2-tiny'];
const PROMPTS = ['capital', 'code', 'chat-multi-turn'];  // names in ../shared/reference/NAME.json
// Types whose free-running continuation must equal llama.cpp's exactly (rule 1).
const EXACT = new Set(['f32', 'f16', 'q8_0']);
const TINY_TYPES = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_k_m'];
const SMALL_TYPES = ['f16', 'q8_0', 'q4_0', 'q4_k_s', 'q4_k_m', 'q5_k_m', 'q6_k'];
// Rule 2: a step where Hearth's top-2 logits are closer than this may go either way. f32 files agree to 0.003
// logits between the engines; 0.1 is 30 times that, and 1% of the tiny models' logit scale (10 to 35).
const NEAR_TIE = 0.1;

const summary = [];
let llama;

function hearth(args) {
  try {
    return execFileSync(HEARTH, args, { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`hearth ${args.join(' ')} failed (exit ${e.status}): ${String(e.stderr).trim()}`);
  }
}

function hearthLogits(file, ids, { greedy = 0, top = 0 } = {}) {
  const out = JSON.parse(hearth(['logits', file, '--ids', ids.join(','), '--greedy', String(greedy), '--top',
                                 String(top), '-t', String(THREADS)]));
  assert.equal(out.positions.length, ids.length, 'hearth logits: one entry per input position');
  assert.equal(out.greedy.length, greedy, 'hearth logits: --greedy tokens');
  return out;
}

function referencePrompts(model) {
  const reference = JSON.parse(fs.readFileSync(path.join(SHARED, 'reference', `${model}.json`), 'utf8'));
  return PROMPTS.map((name) => {
    const prompt = reference.prompts.find((p) => p.name === name);
    assert.ok(prompt, `${model}.json has no prompt named ${name}`);
    return prompt;
  });
}

// Hearth's teacher-forced choices against llama.cpp's continuation of one prompt: the steps where they differ, as
// {step, excused (a near-tie), text}.
function compareSteps(llamaTokens, teacherForced, promptLength) {
  const differences = [];
  for (let step = 0; step < llamaTokens.length; step++) {
    const [[best, bestLogit], [second, secondLogit]] = teacherForced.positions[promptLength - 1 + step].top;
    const chosen = llamaTokens[step];
    if (best === chosen) continue;
    const excused = second === chosen && bestLogit - secondLogit < NEAR_TIE;
    const ranked = second === chosen ? `second, ${(bestLogit - secondLogit).toFixed(4)} below` : 'not in its top 2';
    differences.push({
      step, excused,
      text: `step ${step}: llama.cpp chose ${chosen}, Hearth ${best} (logit ${bestLogit.toFixed(4)}; ` +
            `llama.cpp's token is Hearth's ${ranked}; near-tie limit ${NEAR_TIE})`,
    });
  }
  return differences;
}

function firstDifference(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

// Steps where two sequences of choices differ.
function differingSteps(a, b) {
  return a.map((token, step) => (token === b[step] ? -1 : step)).filter((step) => step >= 0);
}

// Runs rule 2, and rule 1 when `exact`, on one file for every prompt; throws with a reproducer when one fails.
async function checkFile(t, label, exact, file, prompts) {
  const promptIds = prompts.map((p) => p.ids);
  const options = { nPredict: N_PREDICT, threads: THREADS };
  const [results, fused] = await withModel(llama, file, async (model) => {
    const plain = await greedyContinuations(model, promptIds, options);
    return [plain, await greedyContinuations(model, promptIds,
                                             { ...options, flashAttention: true,
                                               teacherForce: plain.map((r) => r.tokens) })];
  });
  const problems = [];
  const notes = [];
  const unexcused = [];  // rule 2: Hearth's disagreements that are not near-ties, with their prompts
  let selfDisagreements = 0;  // rule 2: llama.cpp's flash-attention path against llama.cpp, teacher-forced
  for (const [i, prompt] of prompts.entries()) {
    const fromLlama = results[i].tokens;
    const ids = prompt.ids;
    const teacherForced = hearthLogits(file, [...ids, ...fromLlama.slice(0, -1)], { top: TOP });
    const differences = compareSteps(fromLlama, teacherForced, ids.length);
    const selfSteps = differingSteps(fused[i].forced, fromLlama);
    selfDisagreements += selfSteps.length;
    for (const d of differences) if (!d.excused) unexcused.push(`${prompt.name}: ${d.text}`);

    const free = hearthLogits(file, ids, { greedy: N_PREDICT }).greedy;
    const at = firstDifference(free, fromLlama);
    const selfAt = firstDifference(fused[i].tokens, fromLlama);
    const note = at < 0 ? 'identical' : `diverges at step ${at} (llama.cpp ${fromLlama[at]}, Hearth ${free[at]})`;
    const excusedSteps = differences.filter((d) => d.excused).length;
    notes.push(`${prompt.name}: ${note}` + (excusedSteps ? `; ${excusedSteps} near-tie step(s) excused` : '') +
               `; llama.cpp's flash-attention path ` +
               (selfAt < 0 ? 'gives the same continuation' : `diverges at step ${selfAt}`) +
               (selfSteps.length ? `, teacher-forced it differs at step(s) ${selfSteps.join(', ')}` : ''));
    // Rule 1: Hearth has the same prefix as llama.cpp up to step `at`, so its teacher-forced choice there is its
    // free-running one and a near-tie there excuses the divergence.
    const nearTieAt = differences.some((d) => d.step === at && d.excused);
    const agreedLongEnough = at < 0 || (selfAt >= 0 && at >= selfAt) || nearTieAt;
    if (exact && !agreedLongEnough) {
      problems.push(`${prompt.name}: ${note}, before llama.cpp's own attention paths part (` +
                    (selfAt < 0 ? 'they never do' : `step ${selfAt}`) + `)\n      hearth:    ${JSON.stringify(free)}` +
                    `\n      llama.cpp: ${JSON.stringify(fromLlama)}`);
    }
  }
  if (unexcused.length > selfDisagreements) {
    problems.push(`${unexcused.length} step(s) where Hearth's top token is not llama.cpp's (near-ties aside), ` +
                  `more than the ${selfDisagreements} where llama.cpp's flash-attention path is not:`,
                  ...unexcused.map((u) => `  ${u}`));
  }
  if (problems.length) {
    for (const prompt of prompts) {
      problems.push(`reproduce (${prompt.name}): ${HEARTH} logits ${file} --ids ${prompt.ids.join(',')} ` +
                    `--greedy ${N_PREDICT}\n             node ${HERE}/llama_greedy.mjs --model ${file} ` +
                    `--ids ${prompt.ids.join(',')} --top 3 [--flash-attention]`);
    }
  }
  notes.push(`rule 2: ${unexcused.length} disagreement(s) beyond near-ties; llama.cpp's own: ${selfDisagreements}`);
  summary.push({ case: label, ok: problems.length === 0, prompts: notes });
  for (const note of notes) t.diagnostic(note);
  assert.ok(problems.length === 0, `${label}: llama.cpp and Hearth disagree on ${file}\n  ${problems.join('\n  ')}`);
  return results;
}

before(async () => {
  assert.ok(HEARTH && SHARED && WORK, 'HEARTH_BINARY, HEARTH_SHARED and HEARTH_INTEROP_WORK must be set');
  fs.mkdirSync(WORK, { recursive: true });
  llama = await openLlama(THREADS);
});

after(async () => {
  await llama?.dispose();
  console.log('interop summary (llama.cpp vs Hearth, greedy continuations of each prompt):');
  for (const row of summary) console.log(`  ${row.ok ? 'ok  ' : 'FAIL'} ${row.case}: ${row.prompts.join(' | ')}`);
});

for (const model of PART === 'small' ? [] : TINY_MODELS) {
  describe(model, () => {
    const source = path.join(WORK, `${model}-f32.gguf`);
    const prompts = () => referencePrompts(model);
    before(() => hearth(['convert', path.join(SHARED, 'models', model), '-o', source, '--type', 'f32', '-q',
                         '-t', String(THREADS)]));
    after(() => fs.rmSync(source, { force: true }));

    for (const type of TINY_TYPES) {
      test(type, async (t) => {
        const file = type === 'f32' ? source : path.join(WORK, `${model}-${type}.gguf`);
        if (type !== 'f32') hearth(['quantize', source, file, type, '-q', '-t', String(THREADS)]);
        const results = await checkFile(t, `${model} ${type}`, EXACT.has(type), file, prompts());
        if (type === 'f32') {
          // Check 3: the reference continuations come from transformers, not from either engine.
          for (const [i, prompt] of prompts().entries()) {
            assert.deepEqual(results[i].tokens, prompt.greedy, `${model} f32 in llama.cpp, prompt ${prompt.name}: ` +
                             'continuation differs from the transformers reference');
          }
        } else {
          fs.rmSync(file, { force: true });
        }
      });
    }
  });
}

if (PART !== 'tiny') describe('qwen3moe-small (random weights, hidden 256: real K-quant tensors)', () => {
  const generator = path.join(SHARED ?? '', 'peers', 'make_random_gguf.py');
  const source = path.join(WORK ?? '', 'qwen3moe-small-f32.gguf');
  let skip = false;
  try {
    execFileSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' });
  } catch {
    skip = `${PYTHON} cannot import numpy (apt-get install python3-numpy)`;
  }
  // The generator is deterministic and independent of Hearth, so its output is kept between runs.
  before(() => {
    if (skip || fs.existsSync(source)) return;
    execFileSync(PYTHON, [generator, '--preset', 'small', '--dtype', 'f32', '-o', source], { stdio: 'ignore' });
  });
  // Any prompt in the Qwen3 vocabulary will do: the reference prompts of the tiny models.
  const prompts = () => referencePrompts('qwen3moe-tiny');

  for (const type of SMALL_TYPES) {
    test(type, { skip }, async (t) => {
      const file = path.join(WORK, `qwen3moe-small-${type}.gguf`);
      hearth(['quantize', source, file, type, '-q', '-t', String(THREADS)]);
      await checkFile(t, `qwen3moe-small ${type}`, false, file, prompts());
      fs.rmSync(file, { force: true });
    });
  }
});

// Real clients against `hearth serve`: the official `openai` and `ollama` npm packages, unmodified.
//
// By default the server runs the fake engine (deterministic text, see src/server/fake_engine.h), which checks
// everything about the HTTP layer: request encoding, streaming framing, error mapping. The "tiny model" suite
// drives the real engine on a shared random-weight Qwen3 (HEARTH_COMPAT_TINY_MODEL; ctest sets it): constrained
// JSON, streaming and errors, whose results do not depend on what the weights say. Cases that need a trained
// model's output (tool calls, reasoning) live in the "real model" suite; it runs when HEARTH_COMPAT_MODEL names
// a model to serve and is skipped (with that reason) otherwise.
//
// Environment: HEARTH_BINARY (the hearth executable), HEARTH_COMPAT_TINY_MODEL, HEARTH_COMPAT_MODEL (optional).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

import OpenAI from 'openai';
import { Ollama } from 'ollama';

const HEARTH = process.env.HEARTH_BINARY;
const REAL_MODEL = process.env.HEARTH_COMPAT_MODEL || '';
const TINY_MODEL = process.env.HEARTH_COMPAT_TINY_MODEL || '';
// Options for tests that check the fake engine's exact output.
const fakeOnly = REAL_MODEL ? { skip: 'checks the fake engine output' } : {};
const FAKE_TEXT = 'Hello from Hearth! This is the fake engine speaking. The quick brown fox jumps over the lazy dog.';

// Starts `hearth serve` on a free port (serving `model`, else the fake engine); resolves once it prints its address.
async function startServer(args = [], model = REAL_MODEL) {
  // The fake engine paces its tokens a little so that a client can abort in the middle of a generation.
  const base = model
    ? ['serve', model]
    : ['serve', '--fake-engine', '--fake-token-delay-ms', '2', '--served-model-name', 'fake'];
  const proc = spawn(HEARTH, [...base, '--host', '127.0.0.1', '--port', '0', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hearth serve did not start:\n${log}`)), 120_000);
    proc.stderr.on('data', (chunk) => {
      log += chunk.toString();
      const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.on('error', (e) => reject(new Error(`cannot start ${HEARTH}: ${e.message}`)));
    proc.on('exit', (code) => reject(new Error(`hearth serve exited with ${code}:\n${log}`)));
  });
  // Wait until the model is loaded (and warmed up).
  for (let i = 0; i < 600; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null);
    if (r && r.status === 200) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  const stop = () =>
    new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve(proc.exitCode);
      proc.on('exit', (code) => resolve(code));
      proc.kill('SIGTERM');
    });
  return { port, stop, log: () => log, model: model ? undefined : 'fake' };
}

// The text, finish reason and usage of an OpenAI chat completion stream.
async function collectChatStream(stream) {
  let text = '';
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.delta?.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  return { text, finish, usage };
}

async function metric(port, series) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function eventually(pred, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await pred()) return true;
    await new Promise((res) => setTimeout(res, 50));
  }
  return pred();
}

describe('openai client', () => {
  let server;
  let client;
  let model;
  before(async () => {
    server = await startServer();
    client = new OpenAI({ baseURL: `http://127.0.0.1:${server.port}/v1`, apiKey: 'unused', maxRetries: 0 });
    model = (await client.models.list()).data[0].id;
  });
  after(async () => assert.equal(await server.stop(), 0));

  test('models.list returns the served model', async () => {
    const models = await client.models.list();
    assert.equal(models.data.length, 1);
    assert.equal(models.data[0].object, 'model');
    const one = await client.models.retrieve(model);
    assert.equal(one.id, model);
  });

  test('chat.completions.create', fakeOnly, async () => {
    const r = await client.chat.completions.create({
      model,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello!' }],
    });
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.equal(r.choices[0].message.content, FAKE_TEXT);
    assert.equal(r.choices[0].finish_reason, 'stop');
    assert.ok(r.usage.prompt_tokens > 0);
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  });

  test('chat streaming with usage', async () => {
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Hello!' }],
      max_tokens: 6,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, finish, usage } = await collectChatStream(stream);
    assert.equal(finish, 'length');
    assert.equal(usage.completion_tokens, 6);
    if (!REAL_MODEL) assert.equal(text, 'Hello from Hearth! This is');
  });

  test('stop sequences and n', fakeOnly, async () => {
    const r = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Hi' }],
      stop: ['fake'],
      n: 2,
    });
    assert.equal(r.choices.length, 2);
    for (const c of r.choices) {
      assert.equal(c.message.content, 'Hello from Hearth! This is the ');
      assert.equal(c.finish_reason, 'stop');
    }
  });

  test('completions.create', async () => {
    const r = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 3 });
    assert.equal(r.object, 'text_completion');
    assert.equal(r.choices[0].finish_reason, 'length');
    if (!REAL_MODEL) assert.equal(r.choices[0].text, 'Hello from Hearth');
  });

  test('errors map to the SDK error classes', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.NotFoundError && e.status === 404 && e.code === 'model_not_found',
    );
    await assert.rejects(
      client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }], temperature: 7 }),
      (e) => e instanceof OpenAI.BadRequestError && e.param === 'temperature',
    );
    await assert.rejects(
      client.chat.completions.create({ model, messages: [] }),
      (e) => e instanceof OpenAI.BadRequestError && e.param === 'messages',
    );
    await assert.rejects(
      client.embeddings.create({ model, input: 'hello' }),
      (e) => e instanceof OpenAI.APIError && e.status === 501,
    );
  });

  // The fake engine's scripted outputs exercise the parsing paths before a real model is there.
  test('tool calls (fake engine script)', fakeOnly, async () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
    const r = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: '[[fake:tool]] weather?' }],
      tools,
    });
    assert.equal(r.choices[0].finish_reason, 'tool_calls');
    const call = r.choices[0].message.tool_calls[0];
    assert.equal(call.type, 'function');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });

    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: '[[fake:tool]] weather?' }],
      tools,
      stream: true,
    });
    let args = '';
    let name = '';
    let finish = null;
    for await (const chunk of stream) {
      for (const d of chunk.choices[0]?.delta?.tool_calls ?? []) {
        name += d.function?.name ?? '';
        args += d.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(name, 'get_weather');
    assert.deepEqual(JSON.parse(args), { city: 'Paris' });
    assert.equal(finish, 'tool_calls');
  });

  test('reasoning_content (fake engine script)', fakeOnly, async () => {
    const r = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: '[[fake:think]] 2+2?' }],
    });
    assert.equal(r.choices[0].message.reasoning_content, 'Let me think.');
    assert.equal(r.choices[0].message.content, FAKE_TEXT);
  });

  test('aborting a stream cancels the generation', fakeOnly, async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model, messages: [{ role: 'user', content: 'Hi' }], stream: true, max_tokens: 3000, ignore_eos: true },
      { signal: controller.signal },
    );
    const cancelledBefore = (await metric(server.port, 'hearth_request_success_total{model="fake",finished_reason="cancelled"}')) ?? 0;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) {
          controller.abort();
          break;
        }
      }
    } catch (e) {
      // Depending on the SDK version an aborted stream ends quietly or throws an abort error.
      assert.ok(e instanceof OpenAI.APIUserAbortError || e.name === 'AbortError', String(e));
    }
    assert.ok(
      await eventually(async () =>
        (await metric(server.port, 'hearth_request_success_total{model="fake",finished_reason="cancelled"}')) ===
        cancelledBefore + 1),
    );
  });
});

describe('openai client with API keys', () => {
  let server;
  before(async () => {
    server = await startServer(['--api-key', 'sk-hearth-test']);
  });
  after(async () => assert.equal(await server.stop(), 0));

  test('missing or wrong key is 401, the right key works', async () => {
    const wrong = new OpenAI({ baseURL: `http://127.0.0.1:${server.port}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
    await assert.rejects(wrong.models.list(), (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
    const right = new OpenAI({ baseURL: `http://127.0.0.1:${server.port}/v1`, apiKey: 'sk-hearth-test' });
    const models = await right.models.list();
    assert.equal(models.data.length, 1);
  });

  test('ollama client with headers', async () => {
    const ollama = new Ollama({ host: `http://127.0.0.1:${server.port}`, headers: { Authorization: 'Bearer sk-hearth-test' } });
    const tags = await ollama.list();
    assert.equal(tags.models.length, 1);
    const anonymous = new Ollama({ host: `http://127.0.0.1:${server.port}` });
    await assert.rejects(anonymous.list(), (e) => e.status_code === 401);
  });
});

describe('ollama client', () => {
  let server;
  let ollama;
  let model;
  before(async () => {
    server = await startServer();
    ollama = new Ollama({ host: `http://127.0.0.1:${server.port}` });
    model = (await ollama.list()).models[0].name;
  });
  after(async () => assert.equal(await server.stop(), 0));

  test('chat', fakeOnly, async () => {
    const r = await ollama.chat({ model, messages: [{ role: 'user', content: 'Hello!' }] });
    assert.equal(r.message.role, 'assistant');
    assert.equal(r.message.content, FAKE_TEXT);
    assert.equal(r.done, true);
    assert.equal(r.done_reason, 'stop');
    assert.ok(r.prompt_eval_count > 0);
    assert.equal(r.eval_count, 21);
  });

  test('chat streaming', async () => {
    const parts = await ollama.chat({
      model,
      messages: [{ role: 'user', content: 'Hello!' }],
      stream: true,
      options: { num_predict: 5 },
    });
    let text = '';
    let last = null;
    for await (const part of parts) {
      text += part.message.content;
      last = part;
    }
    assert.equal(last.done, true);
    assert.equal(last.done_reason, 'length');
    assert.equal(last.eval_count, 5);
    if (!REAL_MODEL) assert.equal(text, 'Hello from Hearth! This');
  });

  test('generate', async () => {
    const r = await ollama.generate({ model, prompt: 'Why is the sky blue?', options: { num_predict: 3 } });
    assert.equal(r.done, true);
    assert.ok(Array.isArray(r.context));
    if (!REAL_MODEL) assert.equal(r.response, 'Hello from Hearth');
  });

  test('show, ps and version', async () => {
    const info = await ollama.show({ model });
    assert.ok(info.capabilities.includes('completion'));
    const ps = await ollama.ps();
    assert.equal(ps.models.length, 1);
    const v = await ollama.version();
    assert.equal(typeof v.version, 'string');
  });

  test('thinking and tool calls (fake engine scripts)', fakeOnly, async () => {
    const thought = await ollama.chat({ model, messages: [{ role: 'user', content: '[[fake:think]]' }], think: true });
    assert.equal(thought.message.thinking, 'Let me think.');
    assert.equal(thought.message.content, FAKE_TEXT);
    const r = await ollama.chat({
      model,
      messages: [{ role: 'user', content: '[[fake:tool]]' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    });
    assert.equal(r.message.tool_calls[0].function.name, 'get_weather');
    assert.deepEqual(r.message.tool_calls[0].function.arguments, { city: 'Paris' });
  });

  test('unknown model is a ResponseError with 404', async () => {
    await assert.rejects(
      ollama.chat({ model: 'llama3:8b', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e.status_code === 404 && /not found/.test(e.error),
    );
  });
});

// The real engine on the shared tiny Qwen3 (random weights): what must hold whatever the model says.
const tinyOnly =
  TINY_MODEL && existsSync(TINY_MODEL) ? {} : { skip: 'no tiny model: set HEARTH_COMPAT_TINY_MODEL (ctest does)' };

describe('real engine on a tiny model', tinyOnly, () => {
  let server;
  let client;
  let ollama;
  const model = 'qwen3-tiny';
  before(async () => {
    server = await startServer(
      ['--served-model-name', model, '--context', '1024', '--threads', '2', '--no-warmup'],
      TINY_MODEL,
    );
    client = new OpenAI({ baseURL: `http://127.0.0.1:${server.port}/v1`, apiKey: 'unused', maxRetries: 0 });
    ollama = new Ollama({ host: `http://127.0.0.1:${server.port}` });
  });
  after(async () => assert.equal(await server.stop(), 0));

  // Properties not in alphabetical order: the output follows the client's order.
  const personSchema = {
    type: 'object',
    properties: { name: { type: 'string', maxLength: 8 }, age: { type: 'integer' } },
    required: ['name', 'age'],
    additionalProperties: false,
  };
  const checkPerson = (text) => {
    const person = JSON.parse(text);
    assert.deepEqual(Object.keys(person), ['name', 'age']);
    assert.equal(typeof person.name, 'string');
    assert.ok([...person.name].length <= 8, person.name);
    assert.ok(Number.isInteger(person.age), text);
  };

  test('json_schema response_format: content parses and validates, after the reasoning when thinking', async () => {
    for (const thinking of [true, false]) {
      const r = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Give me a person.' }],
        temperature: 0,
        max_tokens: 512, // the reasoning gets half; a random model spends much of the rest on whitespace
        response_format: { type: 'json_schema', json_schema: { name: 'person', strict: true, schema: personSchema } },
        chat_template_kwargs: { enable_thinking: thinking },
      });
      const m = r.choices[0].message;
      checkPerson(m.content);
      assert.equal(r.choices[0].finish_reason, 'stop');
      if (thinking) assert.ok(m.reasoning_content.length > 0, 'the model reasons before the constrained answer');
      else assert.equal(m.reasoning_content, undefined);
    }
    const o = await ollama.chat({
      model,
      messages: [{ role: 'user', content: 'Give me a person as JSON.' }],
      format: personSchema,
      think: true,
      options: { temperature: 0, num_predict: 512 },
    });
    checkPerson(o.message.content);
    assert.ok(o.message.thinking.length > 0);
  });

  // tool_choice forces a call by constrained decoding, so even random weights must produce one that validates.
  const lookupTool = {
    type: 'function',
    function: {
      name: 'lookup',
      description: 'Find a person',
      parameters: {
        type: 'object',
        properties: { who: { $ref: '#/$defs/name' }, limit: { type: 'integer' } },
        required: ['who', 'limit'],
        additionalProperties: false,
        $defs: { name: { type: 'string', maxLength: 6 } },
      },
    },
  };
  const clockTool = { type: 'function', function: { name: 'clock', parameters: { type: 'object', properties: {} } } };
  const checkLookup = (call) => {
    assert.equal(call.function.name, 'lookup');
    const args = JSON.parse(call.function.arguments);
    assert.deepEqual(Object.keys(args), ['who', 'limit']);
    assert.ok([...args.who].length <= 6, args.who);
    assert.ok(Number.isInteger(args.limit), call.function.arguments);
  };

  test('tool_choice naming a function forces a call whose arguments validate, thinking or not', async () => {
    for (const thinking of [false, true]) {
      const r = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Find Ann.' }],
        temperature: 0,
        max_tokens: 256,
        tools: [clockTool, lookupTool],
        tool_choice: { type: 'function', function: { name: 'lookup' } },
        parallel_tool_calls: false,
        chat_template_kwargs: { enable_thinking: thinking },
      });
      const choice = r.choices[0];
      assert.equal(choice.finish_reason, 'tool_calls', JSON.stringify(choice.message));
      assert.equal(choice.message.tool_calls.length, 1);
      checkLookup(choice.message.tool_calls[0]);
    }
  });

  // Streams a forced-call request; returns the calls assembled from their deltas (indices must come in order) and
  // the finish reason.
  const streamToolCalls = async (request) => {
    const stream = await client.chat.completions.create({
      model,
      temperature: 0,
      tools: [lookupTool, clockTool],
      tool_choice: 'required',
      chat_template_kwargs: { enable_thinking: false },
      stream: true,
      ...request,
    });
    const calls = [];
    let finish = null;
    for await (const chunk of stream) {
      for (const d of chunk.choices[0]?.delta?.tool_calls ?? []) {
        assert.ok(d.index === calls.length - 1 || d.index === calls.length, `index ${d.index} after ${calls.length}`);
        if (d.index === calls.length) calls.push({ name: '', args: '' });
        calls[d.index].name += d.function?.name ?? '';
        calls[d.index].args += d.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    return { calls, finish };
  };
  const checkEitherTool = ({ name, args }) => {
    if (name === 'lookup') checkLookup({ function: { name, arguments: args } });
    else assert.deepEqual([name, typeof JSON.parse(args)], ['clock', 'object']);
  };

  test("tool_choice 'required' streams one call to one of the tools", async () => {
    const { calls, finish } = await streamToolCalls({
      messages: [{ role: 'user', content: 'Find Ann.' }],
      max_tokens: 128,
      parallel_tool_calls: false,
    });
    assert.equal(finish, 'tool_calls');
    assert.equal(calls.length, 1, JSON.stringify(calls));
    checkEitherTool(calls[0]);
  });

  // parallel_tool_calls (the default): after each call the model's own logits choose between the end and another
  // call, so random weights may make one or several (or run into max_tokens); every finished call validates.
  test("tool_choice 'required' with parallel calls: every call validates and they are indexed in order", async () => {
    const { calls, finish } = await streamToolCalls({
      messages: [{ role: 'user', content: 'Find Ann and Bob.' }],
      max_tokens: 160,
    });
    assert.ok(['tool_calls', 'length'].includes(finish), finish);
    const finished = finish === 'length' ? calls.slice(0, -1) : calls;  // max_tokens may cut the last one
    assert.ok(finished.length >= 1, JSON.stringify(calls));
    for (const call of finished) checkEitherTool(call);
  });

  test('a forced tool call with an unenforceable parameters schema is a 400 naming tools', async () => {
    const bad = { type: 'function', function: { name: 'f', parameters: { type: 'string', pattern: 'x' } } };
    await assert.rejects(
      client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'x' }],
        tools: [bad],
        tool_choice: 'required',
      }),
      (e) => e instanceof OpenAI.BadRequestError && e.param === 'tools' && /pattern/.test(e.message),
    );
  });

  test('streaming chat assembles to the unstreamed message', async () => {
    const request = {
      model,
      messages: [{ role: 'user', content: 'Tell me a story.' }],
      temperature: 0,
      max_tokens: 16,
      chat_template_kwargs: { enable_thinking: false },
    };
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, finish, usage } = await collectChatStream(stream);
    assert.equal(text, whole.choices[0].message.content);
    assert.equal(finish, whole.choices[0].finish_reason);
    // (The second request finds the first's prompt in the prefix cache, so only cached_tokens may differ.)
    assert.equal(usage.completion_tokens, whole.usage.completion_tokens);
    assert.equal(usage.prompt_tokens, whole.usage.prompt_tokens);
  });

  test('errors: an unenforceable schema and a prompt over the context are 400s', async () => {
    await assert.rejects(
      client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'x' }],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'a', schema: { type: 'string', pattern: '^a+$' } },
        },
      }),
      (e) => e instanceof OpenAI.BadRequestError && e.param === 'response_format' && /pattern/.test(e.message),
    );
    await assert.rejects(
      client.chat.completions.create({ model, messages: [{ role: 'user', content: 'word '.repeat(2000) }] }),
      (e) => e instanceof OpenAI.BadRequestError && e.code === 'context_length_exceeded',
    );
    await assert.rejects(
      ollama.chat({ model, messages: [{ role: 'user', content: 'x' }], format: { type: 'number', minimum: 1 } }),
      (e) => e.status_code === 400 && /minimum/.test(e.error),
    );
  });
});

// Cases that need real model output. Add new ones here; they run with HEARTH_COMPAT_MODEL set.
const realOnly = REAL_MODEL ? {} : { skip: 'needs a real model: set HEARTH_COMPAT_MODEL' };

describe('real model: tools, JSON schema, reasoning', realOnly, () => {
  let server;
  let client;
  let ollama;
  let model;
  before(async () => {
    server = await startServer();
    client = new OpenAI({ baseURL: `http://127.0.0.1:${server.port}/v1`, apiKey: 'unused', maxRetries: 0 });
    ollama = new Ollama({ host: `http://127.0.0.1:${server.port}` });
    model = (await client.models.list()).data[0].id;
  });
  after(async () => assert.equal(await server.stop(), 0));

  const weatherTool = {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  };

  test('tool calls are parsed into tool_calls (forced by tool_choice)', async () => {
    const r = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const call = r.choices[0].message.tool_calls[0];
    assert.equal(call.function.name, 'get_weather');
    assert.equal(typeof JSON.parse(call.function.arguments).city, 'string');
    assert.equal(r.choices[0].finish_reason, 'tool_calls');
  });

  test('streamed tool call deltas assemble to valid JSON', async () => {
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [weatherTool],
      tool_choice: 'required',
      parallel_tool_calls: false,
      stream: true,
    });
    let args = '';
    let name = '';
    for await (const chunk of stream) {
      for (const d of chunk.choices[0]?.delta?.tool_calls ?? []) {
        name ||= d.function?.name ?? '';
        args += d.function?.arguments ?? '';
      }
    }
    assert.equal(name, 'get_weather');
    JSON.parse(args);
  });

  test('response_format json_schema output parses and validates', async () => {
    const r = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Give me a person.' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'person',
          strict: true,
          schema: {
            type: 'object',
            properties: { name: { type: 'string' }, age: { type: 'integer' } },
            required: ['name', 'age'],
            additionalProperties: false,
          },
        },
      },
    });
    const person = JSON.parse(r.choices[0].message.content);
    assert.equal(typeof person.name, 'string');
    assert.ok(Number.isInteger(person.age));
  });

  test('reasoning is split into reasoning_content', async () => {
    const r = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'What is 2+2?' }],
      max_tokens: 256,
      chat_template_kwargs: { enable_thinking: true },
    });
    const m = r.choices[0].message;
    assert.equal(typeof m.reasoning_content, 'string');
    assert.ok(!m.content.includes('<think>'));
  });

  test('ollama format (JSON schema) and think', async () => {
    const r = await ollama.chat({
      model,
      messages: [{ role: 'user', content: 'Give me a person as JSON.' }],
      format: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      think: false,
    });
    assert.equal(typeof JSON.parse(r.message.content).name, 'string');
  });
});

'use strict'
// End-to-end check of Spoke's Confluent Schema Registry dialect (docs/confluent.md) through a real
// client, the npm package @kafkajs/confluent-schema-registry (installed by
// tests/harness/confluent_client.sh; found through NODE_PATH).
//
//   NODE_PATH=<prefix>/node_modules node client_test.js REGISTRY_URL
//
// Writes need a credential: the token comes from the environment variable SPOKE_CONFLUENT_TOKEN
// (not argv, where `ps` would show it) and is sent the way Confluent clients authenticate, with
// the client's own `auth` option: HTTP Basic, the token as the password.
//
// Every step is asserted; the first failure prints the step, the error, and the client's last
// requests with their answers, then exits 1. Exit 0 means every step passed.

const assert = require('node:assert/strict')
const http = require('node:http')

const USAGE = 'usage: SPOKE_CONFLUENT_TOKEN=<token> node client_test.js REGISTRY_URL'

let pkg
try {
  pkg = require('@kafkajs/confluent-schema-registry')
} catch (e) {
  console.error(`cannot load @kafkajs/confluent-schema-registry (set NODE_PATH): ${e.message}`)
  process.exit(2)
}
const { SchemaRegistry, SchemaType, COMPATIBILITY } = pkg
const { util: protobufUtil } = require('protobufjs')

const host = process.argv[2]
const token = process.env.SPOKE_CONFLUENT_TOKEN || ''
if (!host || process.argv.length > 3) {
  console.error(USAGE)
  process.exit(2)
}

// ---- what the client sent and got, for the failure report -------------------------------------
// An http.Agent sees every request the client makes (mappersmith's HTTP gateway takes it through
// the client's `agent` option), so it records the exact request and the raw answer: the client's
// own errors keep only the status and the body's `message`.
const transcript = []
const TRANSCRIPT_KEEP = 40

function clip(text, max = 800) {
  if (text === undefined || text === null) return ''
  const s = typeof text === 'string' ? text : JSON.stringify(text)
  return s.length > max ? `${s.slice(0, max)}...(${s.length} chars)` : s
}

class RecordingAgent extends http.Agent {
  addRequest(req, options) {
    const entry = { request: `${req.method} ${req.path}`, body: '', answer: '(no answer)' }
    transcript.push(entry)
    if (transcript.length > TRANSCRIPT_KEEP) transcript.shift()
    const write = req.write
    req.write = function (chunk, ...rest) {
      entry.body += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk)
      return write.call(this, chunk, ...rest)
    }
    req.on('error', error => {
      entry.answer = `error: ${error.message}`
    })
    req.on('response', res => {
      // the client's gateway sets the encoding, so chunks may be strings
      let text = ''
      entry.answer = `${res.statusCode} (reading)`
      res.on('data', chunk => {
        text += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : chunk
      })
      res.on('end', () => {
        entry.answer = `${res.statusCode} ${res.headers['content-type'] || '(no content-type)'} ${text}`
      })
    })
    return super.addRequest(req, options)
  }
}
const agent = new RecordingAgent()

function client(withToken = true) {
  const auth = withToken && token ? { username: 'token', password: token } : undefined
  return new SchemaRegistry({ host, clientId: 'spoke-e2e', auth, agent })
}

// ---- steps ------------------------------------------------------------------------------------
let stepCount = 0

async function step(name, fn) {
  stepCount++
  try {
    const value = await fn()
    console.log(`ok ${stepCount} - ${name}`)
    return value
  } catch (error) {
    console.error(`FAIL ${stepCount} - ${name}`)
    console.error(`  ${error && error.name}: ${error && error.message}`)
    if (error && error.status !== undefined) console.error(`  status: ${error.status}, request: ${error.url}`)
    if (error && error.stack) console.error(error.stack.split('\n').slice(1, 6).join('\n'))
    console.error('  the last requests, newest first:')
    for (const e of transcript.slice(-15).reverse()) {
      console.error(`    ${e.request}${e.body ? ` body=${clip(e.body)}` : ''}\n      -> ${clip(e.answer)}`)
    }
    process.exit(1)
  }
}

// Runs fn, which must fail; returns the error for further checks.
async function rejects(fn, what) {
  let result
  try {
    result = await fn()
  } catch (error) {
    return error
  }
  throw new assert.AssertionError({ message: `${what}: expected an error, got ${clip(result)}` })
}

function assertId(id, what) {
  assert.ok(Number.isInteger(id) && id > 0, `${what}: not a positive integer id: ${clip(id)}`)
}

// ---- the schemas --------------------------------------------------------------------------------
const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
const depSubject = 'dep/common.proto'
const orderSubject = `orders-value-${suffix}`

// proto3: without a syntax line a file is proto2, where every field needs a label.
const depSchema = `syntax = "proto3";
package dep;

message Common {
  string id = 1;
}
`
const orderSchema = `syntax = "proto3";
import "dep/common.proto";

message Order {
  dep.Common common = 1;
  int64 amount = 2;
}
`
// amount int64 -> string: incompatible at every level but NONE.
const orderAmountString = orderSchema.replace('int64 amount = 2;', 'string amount = 2;')
// a field added: backward compatible.
const orderWithNote = orderSchema.replace('int64 amount = 2;', 'int64 amount = 2;\n  string note = 3;')
const references = [{ name: 'dep/common.proto', subject: depSubject, version: 1 }]

function proto(schema, refs = references) {
  return { type: SchemaType.PROTOBUF, schema, references: refs }
}

// A decoded protobufjs message as plain JSON (int64 as a decimal string).
function plain(message) {
  assert.ok(message && typeof message.toJSON === 'function', `not a protobuf message: ${clip(message)}`)
  return message.toJSON()
}

// Besides its documented methods, the steps use `registry.api`, the client's own mappersmith
// client (left out of its typings), for the routes it calls only inside register():
// Subject.config (GET /config/{s}), Subject.updateConfig (PUT /config/{s}) and Subject.compatible
// (POST /compatibility/subjects/{s}/versions/latest).
async function main() {
  const registry = client()
  console.log(`registry ${host}, subject ${orderSubject}, token ${token ? 'given' : 'none'}`)

  if (!token) console.log('# skip: anonymous registration is refused with 401 (no token given)')
  else await step('anonymous registration is refused with 401', async () => {
    const error = await rejects(() => client(false).register(proto(depSchema, []), { subject: depSubject }),
      'register without a token')
    assert.equal(error.status, 401, `status of an anonymous register: ${error.status} (${error.message})`)
  })

  const depId = await step(`register ${depSubject}`, async () => {
    const { id } = await registry.register(proto(depSchema, []), { subject: depSubject })
    assertId(id, 'dep id')
    return id
  })

  await step(`register sets ${depSubject}'s compatibility to the default BACKWARD`, async () => {
    const config = (await registry.api.Subject.config({ subject: depSubject })).data()
    assert.equal(config.compatibilityLevel, COMPATIBILITY.BACKWARD, `GET /config/{s}: ${clip(config)}`)
  })

  const orderId = await step(`register ${orderSubject} with a reference, compatibility FULL`, async () => {
    const { id } = await registry.register(proto(orderSchema), { subject: orderSubject, compatibility: COMPATIBILITY.FULL })
    assertId(id, 'order id')
    assert.notEqual(id, depId, 'the order schema got the dep schema\'s id')
    return id
  })

  await step('getLatestSchemaId is the registered id', async () => {
    assert.equal(await registry.getLatestSchemaId(orderSubject), orderId)
    assert.equal(await registry.getLatestSchemaId(depSubject), depId)
    assert.equal(await registry.getRegistryId(orderSubject, 1), orderId)
  })

  await step('registering again returns the same ids', async () => {
    const again = await registry.register(proto(orderSchema), { subject: orderSubject, compatibility: COMPATIBILITY.FULL })
    assert.equal(again.id, orderId, 'order schema registered twice')
    const depAgain = await registry.register(proto(depSchema, []), { subject: depSubject })
    assert.equal(depAgain.id, depId, 'dep schema registered twice')
    // a fresh client (empty cache) too
    const fresh = await client().register(proto(orderSchema), { subject: orderSubject, compatibility: COMPATIBILITY.FULL })
    assert.equal(fresh.id, orderId, 'order schema registered by a fresh client')
    assert.equal(await registry.getLatestSchemaId(orderSubject), orderId, 'a version was added')
  })

  await step('the subject\'s compatibility is FULL; register with another level is refused by the client', async () => {
    const config = (await registry.api.Subject.config({ subject: orderSubject })).data()
    assert.equal(config.compatibilityLevel, COMPATIBILITY.FULL, `GET /config/{s}: ${clip(config)}`)
    const error = await rejects(
      () => registry.register(proto(orderSchema), { subject: orderSubject, compatibility: COMPATIBILITY.BACKWARD }),
      'register with BACKWARD on a FULL subject')
    assert.equal(error.name, 'ConfluentSchemaRegistryCompatibilityError', `${error.name}: ${error.message}`)
  })

  const order = { common: { id: 'c-1' }, amount: protobufUtil.Long.fromString('9007199254740993') }
  const expected = { common: { id: 'c-1' }, amount: '9007199254740993' }

  await step('encode and decode with the registered id (same client, then fresh clients)', async () => {
    const encoded = await registry.encode(orderId, order)
    assert.ok(Buffer.isBuffer(encoded), 'encode did not return a Buffer')
    assert.equal(encoded[0], 0, 'magic byte')
    assert.equal(encoded.readInt32BE(1), orderId, 'schema id in the wire header')
    assert.deepEqual(plain(await registry.decode(encoded)), expected, 'decode by the encoding client')
    // fresh clients fetch GET /schemas/ids/{id} and resolve its references themselves
    assert.deepEqual(plain(await client().decode(encoded)), expected, 'decode by a fresh client')
    const encodedFresh = await client().encode(orderId, order)
    assert.deepEqual(encodedFresh, encoded, 'a fresh client encodes the same bytes')
  })

  await step('compatibility check of an incompatible schema (amount int64 -> string) is false', async () => {
    const body = { schemaType: SchemaType.PROTOBUF, schema: orderAmountString, references }
    const answer = (await registry.api.Subject.compatible({ subject: orderSubject, body })).data()
    assert.equal(answer.is_compatible, false, `POST /compatibility/subjects/{s}/versions/latest: ${clip(answer)}`)
  })

  await step('registering the incompatible schema is rejected with 409 (FULL)', async () => {
    const error = await rejects(
      () => registry.register(proto(orderAmountString), { subject: orderSubject, compatibility: COMPATIBILITY.FULL }),
      'register an incompatible schema')
    assert.equal(error.status, 409, `${error.name}: ${error.message}`)
  })

  await step('set the subject\'s compatibility to BACKWARD through the client\'s API', async () => {
    const body = { compatibility: COMPATIBILITY.BACKWARD }
    const echoed = (await registry.api.Subject.updateConfig({ subject: orderSubject, body })).data()
    assert.deepEqual(echoed, body, 'PUT /config/{s} echoes the body')
    const config = (await registry.api.Subject.config({ subject: orderSubject })).data()
    assert.equal(config.compatibilityLevel, COMPATIBILITY.BACKWARD, `GET /config/{s}: ${clip(config)}`)
  })

  await step('registering the incompatible schema is rejected with 409 (BACKWARD)', async () => {
    const error = await rejects(
      () => registry.register(proto(orderAmountString), { subject: orderSubject, compatibility: COMPATIBILITY.BACKWARD }),
      'register an incompatible schema')
    assert.equal(error.status, 409, `${error.name}: ${error.message}`)
    assert.equal(await registry.getLatestSchemaId(orderSubject), orderId, 'the rejected schema became the latest')
  })

  const orderV2Id = await step('a compatible change (a field added) registers as version 2', async () => {
    const body = { schemaType: SchemaType.PROTOBUF, schema: orderWithNote, references }
    const answer = (await registry.api.Subject.compatible({ subject: orderSubject, body })).data()
    assert.equal(answer.is_compatible, true, `POST /compatibility/subjects/{s}/versions/latest: ${clip(answer)}`)
    const { id } = await registry.register(proto(orderWithNote), { subject: orderSubject, compatibility: COMPATIBILITY.BACKWARD })
    assertId(id, 'version 2 id')
    assert.notEqual(id, orderId, 'version 2 got version 1\'s id')
    assert.equal(await registry.getLatestSchemaId(orderSubject), id)
    assert.equal(await registry.getRegistryId(orderSubject, 2), id)
    assert.equal(await registry.getRegistryId(orderSubject, 1), orderId)
    const encoded = await client().encode(id, { ...order, note: 'n' })
    assert.deepEqual(plain(await client().decode(encoded)), { ...expected, note: 'n' }, 'version 2 round trip')
    return id
  })

  await step('getRegistryIdBySchema finds the ids (the client sends no references)', async () => {
    assert.equal(await registry.getRegistryIdBySchema(orderSubject, proto(orderSchema)), orderId)
    assert.equal(await registry.getRegistryIdBySchema(orderSubject, proto(orderWithNote)), orderV2Id)
    assert.equal(await registry.getRegistryIdBySchema(depSubject, proto(depSchema, [])), depId)
  })

  await step('getRegistryIdBySchema of a schema the subject does not hold fails with 404', async () => {
    const error = await rejects(() => registry.getRegistryIdBySchema(orderSubject, proto(orderAmountString)),
      'lookup of an unregistered schema')
    assert.equal(error.name, 'ConfluentSchemaRegistryError', `${error.name}: ${error.message}`)
  })

  console.log(`all ${stepCount} steps passed`)
}

main().catch(error => {
  console.error(`FAIL: unexpected error outside the steps: ${error && error.stack}`)
  process.exit(1)
})

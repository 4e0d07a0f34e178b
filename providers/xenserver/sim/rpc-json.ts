// The simulator's JSON encodings of XAPI calls: JSON-RPC 1.0 and 2.0 at POST /jsonrpc, and the
// legacy POST /json variant (a JSON request answered with XML-RPC's Status/Value envelope), as
// /work/shared/reference/xapi-wire.json describes them. Hand-written because the envelopes are a
// few lines each and XAPI's quirks (error as [CODE, ...] in 1.0, {code: 1, message, data} in 2.0,
// void as "", HTTP 500 for a malformed request) are exactly what a generic library would smooth over.

import { asFailure, type XapiFailure } from './backend.js';

/** Runs one call; rejects with XapiFailure for an API error. */
export type Dispatch = (method: string, params: unknown[]) => Promise<unknown>;

/** What the HTTP layer sends back. */
export interface WireReply {
  status: number;
  contentType: string;
  body: string;
}

/** A request that is not a well-formed call: XAPI answers HTTP 500 with an HTML page. */
export class MalformedRequest extends Error {}

export function malformedReply(what: string): WireReply {
  const text = what.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return { status: 500, contentType: 'text/html', body: `<html><body><h1>HTTP 500 internal server error</h1>${text}</body></html>` };
}

/** XAPI's datetime form on the wire: 20240102T03:04:05Z. */
export function xapiDateTime(d: Date): string {
  return d.toISOString().replace(/[-]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

function stringify(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
    // `this[key]` is the raw value: a Date is already a string by the time the replacer sees `v`.
    const raw = (this as Record<string, unknown>)[key];
    if (raw instanceof Date) return xapiDateTime(raw);
    return v === undefined ? '' : v;
  });
}

interface JsonCall {
  method: string;
  params: unknown[];
  id: unknown;
  v2: boolean;
}

function parseCall(body: string): JsonCall {
  let msg: unknown;
  try {
    msg = JSON.parse(body);
  } catch {
    throw new MalformedRequest('Jsonrpc.Parse_error: the body is not JSON');
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new MalformedRequest('Jsonrpc.Malformed_method_request: not an object');
  const m = msg as Record<string, unknown>;
  if (m.jsonrpc !== undefined && m.jsonrpc !== '2.0') throw new MalformedRequest(`Jsonrpc.Malformed_method_request: unknown version ${JSON.stringify(m.jsonrpc)}`);
  if (typeof m.method !== 'string') throw new MalformedRequest('Jsonrpc.Malformed_method_request: no method');
  if (!Array.isArray(m.params)) throw new MalformedRequest('Jsonrpc.Malformed_method_request: params must be an array');
  // XAPI has no notifications: every call needs an id.
  if (typeof m.id !== 'string' && typeof m.id !== 'number') throw new MalformedRequest('Jsonrpc.Malformed_method_request: id must be a string or a number');
  return { method: m.method, params: m.params, id: m.id, v2: m.jsonrpc === '2.0' };
}

/**
 * Both JSON endpoints: parse the call (a malformed one gets malformedReply), dispatch it, and wrap
 * the result or the XAPI failure in the endpoint's envelope.
 */
async function answerJson(
  body: string,
  dispatch: Dispatch,
  success: (call: JsonCall, result: unknown) => Record<string, unknown>,
  failure: (call: JsonCall, f: XapiFailure) => Record<string, unknown>,
): Promise<WireReply> {
  let call: JsonCall;
  try {
    call = parseCall(body);
  } catch (e) {
    if (e instanceof MalformedRequest) return malformedReply(e.message);
    throw e;
  }
  let envelope: Record<string, unknown>;
  try {
    envelope = success(call, await dispatch(call.method, call.params));
  } catch (e) {
    envelope = failure(call, asFailure(e));
  }
  return { status: 200, contentType: 'application/json', body: stringify(envelope) };
}

/** POST /jsonrpc. */
export function handleJsonRpc(body: string, dispatch: Dispatch): Promise<WireReply> {
  return answerJson(
    body,
    dispatch,
    (call, result) => (call.v2 ? { jsonrpc: '2.0', result: result ?? '', id: call.id } : { result: result ?? '', error: null, id: call.id }),
    (call, f) =>
      call.v2 ? { jsonrpc: '2.0', error: { code: 1, message: f.code, data: f.params }, id: call.id } : { result: null, error: [f.code, ...f.params], id: call.id },
  );
}

/** POST /json: the JSON request, answered with the XML-RPC style {Status, Value | ErrorDescription}. */
export function handleLegacyJson(body: string, dispatch: Dispatch): Promise<WireReply> {
  return answerJson(
    body,
    dispatch,
    (_call, result) => ({ Status: 'Success', Value: result ?? '' }),
    (_call, f) => ({ Status: 'Failure', ErrorDescription: [f.code, ...f.params] }),
  );
}

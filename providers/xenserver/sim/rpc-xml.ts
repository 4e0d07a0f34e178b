// XML-RPC as XAPI speaks it (POST / and /RPC2): calls decoded with every standard value tag, answers
// encoded the way XAPI's encoder does it (xapi-wire.json): strings and 64-bit ints as untyped
// <value>text</value> (so clients see ints as strings), booleans 0/1, doubles %.16g, datetimes
// 20240102T03:04:05Z, and API errors inside a {Status: "Failure", ErrorDescription: [...]} struct,
// never as an XML-RPC <fault>. Hand-written: a generic XML-RPC library would tag every value by its
// JS type (<string>, <int>), which is precisely the difference clients must cope with.

import { asFailure } from './backend.js';
import { malformedReply, MalformedRequest, xapiDateTime, type Dispatch, type WireReply } from './rpc-json.js';

type Tok = { t: 'open' | 'close' | 'empty'; name: string } | { t: 'text'; text: string };

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (all, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? all;
  });
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

function tokenize(xml: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) {
      out.push({ t: 'text', text: unescapeXml(xml.slice(i)) });
      break;
    }
    if (lt > i) out.push({ t: 'text', text: unescapeXml(xml.slice(i, lt)) });
    if (xml.startsWith('<?', lt)) {
      const end = xml.indexOf('?>', lt);
      if (end < 0) throw new MalformedRequest('Xmlrpc.Parse_error: unterminated declaration');
      i = end + 2;
    } else if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt);
      if (end < 0) throw new MalformedRequest('Xmlrpc.Parse_error: unterminated comment');
      i = end + 3;
    } else if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt);
      if (end < 0) throw new MalformedRequest('Xmlrpc.Parse_error: unterminated CDATA');
      out.push({ t: 'text', text: xml.slice(lt + 9, end) });
      i = end + 3;
    } else {
      const gt = xml.indexOf('>', lt);
      if (gt < 0) throw new MalformedRequest('Xmlrpc.Parse_error: unterminated tag');
      const inner = xml.slice(lt + 1, gt).trim();
      if (inner.startsWith('/')) out.push({ t: 'close', name: inner.slice(1).trim() });
      else if (inner.endsWith('/')) out.push({ t: 'empty', name: inner.slice(0, -1).trim().split(/\s/)[0] });
      else out.push({ t: 'open', name: inner.split(/\s/)[0] });
      i = gt + 1;
    }
  }
  // Whitespace between tags stays in the stream: inside <value> it is the value (an untyped string).
  return out;
}

class Reader {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private skipSpace(): void {
    while (this.i < this.toks.length) {
      const t = this.toks[this.i];
      if (t.t === 'text' && t.text.trim() === '') this.i++;
      else break;
    }
  }

  peek(): Tok | undefined {
    this.skipSpace();
    return this.toks[this.i];
  }

  /** The next token without skipping whitespace (a value's own text). */
  peekRaw(): Tok | undefined {
    return this.toks[this.i];
  }

  next(): Tok {
    const t = this.toks[this.i++];
    if (!t) throw new MalformedRequest('Xmlrpc.Parse_error: unexpected end of document');
    return t;
  }

  open(name: string): boolean {
    const t = this.peek();
    if (t && t.t === 'empty' && t.name === name) {
      this.i++;
      return false; // no content
    }
    if (!t || t.t !== 'open' || t.name !== name) throw new MalformedRequest(`Xmlrpc.Parse_error: expected <${name}>`);
    this.i++;
    return true;
  }

  close(name: string): void {
    const t = this.peek();
    if (!t || t.t !== 'close' || t.name !== name) throw new MalformedRequest(`Xmlrpc.Parse_error: expected </${name}>`);
    this.i++;
  }

  isOpen(name: string): boolean {
    const t = this.peek();
    return !!t && (t.t === 'open' || t.t === 'empty') && t.name === name;
  }

  /** Text up to the closing tag of `name` (which is consumed). */
  textUntilClose(name: string): string {
    let s = '';
    for (;;) {
      const t = this.next();
      if (t.t === 'text') s += t.text;
      else if (t.t === 'close' && t.name === name) return s;
      else throw new MalformedRequest(`Xmlrpc.Parse_error: unexpected tag inside <${name}>`);
    }
  }
}

function readValue(r: Reader): unknown {
  if (!r.open('value')) return '';
  // Untyped content: <value>text</value> (a string) or <value></value> ("").
  let text = '';
  while (r.peekRaw()?.t === 'text') text += (r.next() as { text: string }).text;
  const t = r.peekRaw();
  if (t && t.t === 'close' && t.name === 'value') {
    r.next();
    return text;
  }
  if (text.trim() !== '') throw new MalformedRequest('Xmlrpc.Parse_error: text mixed with a typed value');
  const tag = r.next();
  if (tag.t !== 'open' && tag.t !== 'empty') throw new MalformedRequest('Xmlrpc.Parse_error: expected a value');
  let v: unknown;
  if (tag.t === 'empty') {
    const emptyValues: Record<string, unknown> = { nil: null, string: '', array: [], struct: {}, base64: '' };
    if (!(tag.name in emptyValues)) throw new MalformedRequest(`Xmlrpc.Parse_error: empty <${tag.name}/>`);
    v = emptyValues[tag.name];
  } else {
    switch (tag.name) {
      case 'string':
      case 'dateTime.iso8601':
        v = r.textUntilClose(tag.name);
        break;
      case 'int':
      case 'i4':
      case 'i8': {
        const s = r.textUntilClose(tag.name).trim();
        if (!/^[-+]?\d+$/.test(s)) throw new MalformedRequest(`Xmlrpc.Parse_error: bad <${tag.name}> ${s}`);
        v = Number(s);
        break;
      }
      case 'double': {
        const s = r.textUntilClose(tag.name).trim();
        v = Number(s);
        if (s === '' || Number.isNaN(v)) throw new MalformedRequest(`Xmlrpc.Parse_error: bad <double> ${s}`);
        break;
      }
      case 'boolean': {
        const s = r.textUntilClose(tag.name).trim();
        v = s === '1' || s === 'true';
        break;
      }
      case 'base64':
        v = Buffer.from(r.textUntilClose(tag.name).replace(/\s+/g, ''), 'base64').toString('utf8');
        break;
      case 'nil':
        r.close('nil');
        v = null;
        break;
      case 'array': {
        const items: unknown[] = [];
        if (r.open('data')) {
          while (r.isOpen('value')) items.push(readValue(r));
          r.close('data');
        }
        r.close('array');
        v = items;
        break;
      }
      case 'struct': {
        const obj: Record<string, unknown> = {};
        while (r.isOpen('member')) {
          r.open('member');
          r.open('name');
          const key = r.textUntilClose('name');
          obj[key] = readValue(r);
          r.close('member');
        }
        r.close('struct');
        v = obj;
        break;
      }
      default:
        throw new MalformedRequest(`Xmlrpc.Parse_error: unknown value type <${tag.name}>`);
    }
  }
  r.close('value');
  return v;
}

/** Parses a <methodCall>; throws MalformedRequest. */
export function parseMethodCall(xml: string): { method: string; params: unknown[] } {
  const r = new Reader(tokenize(xml));
  r.open('methodCall');
  r.open('methodName');
  const method = r.textUntilClose('methodName').trim();
  const params: unknown[] = [];
  if (r.isOpen('params') && r.open('params')) {
    while (r.isOpen('param')) {
      r.open('param');
      params.push(readValue(r));
      r.close('param');
    }
    r.close('params');
  }
  r.close('methodCall');
  if (r.peek() !== undefined) throw new MalformedRequest('Xmlrpc.Parse_error: trailing content');
  if (!method) throw new MalformedRequest('Xmlrpc.Parse_error: empty methodName');
  return { method, params };
}

/** One value in XAPI's encoding. */
export function encodeValue(v: unknown): string {
  if (v === undefined) return '<value></value>';
  if (v === null) return '<value><nil/></value>';
  if (typeof v === 'string') return `<value>${escapeXml(v)}</value>`;
  if (typeof v === 'boolean') return `<value><boolean>${v ? 1 : 0}</boolean></value>`;
  if (typeof v === 'bigint') return `<value>${v}</value>`;
  if (typeof v === 'number') {
    // The model holds ints and floats alike as numbers: a whole number is taken for an int (untyped).
    if (Number.isInteger(v)) return `<value>${v}</value>`;
    return `<value><double>${Number(v.toPrecision(16))}</double></value>`;
  }
  if (v instanceof Date) return `<value><dateTime.iso8601>${xapiDateTime(v)}</dateTime.iso8601></value>`;
  if (Array.isArray(v)) return `<value><array><data>${v.map(encodeValue).join('')}</data></array></value>`;
  if (typeof v === 'object') {
    const members = Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `<member><name>${escapeXml(k)}</name>${encodeValue(x)}</member>`)
      .join('');
    return `<value><struct>${members}</struct></value>`;
  }
  return `<value>${escapeXml(String(v))}</value>`;
}

function response(struct: Record<string, unknown>): string {
  return `<?xml version="1.0"?><methodResponse><params><param>${encodeValue(struct)}</param></params></methodResponse>`;
}

/** POST / and /RPC2. */
export async function handleXmlRpc(body: string, dispatch: Dispatch): Promise<WireReply> {
  let call: { method: string; params: unknown[] };
  try {
    call = parseMethodCall(body);
  } catch (e) {
    if (e instanceof MalformedRequest) return malformedReply(e.message);
    throw e;
  }
  let xml: string;
  try {
    const value = await dispatch(call.method, call.params);
    // void travels as the empty string.
    xml = response({ Status: 'Success', Value: value ?? '' });
  } catch (e) {
    const f = asFailure(e);
    xml = response({ Status: 'Failure', ErrorDescription: [f.code, ...f.params] });
  }
  return { status: 200, contentType: 'text/xml', body: xml };
}

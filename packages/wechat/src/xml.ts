/**
 * The flat XML WeChat pushes to the callback URL and expects back (passive replies):
 * `<xml><ToUserName><![CDATA[…]]></ToUserName><CreateTime>123</CreateTime>…</xml>`.
 *
 * Quirks handled here:
 * - Values are kept as strings: `MsgId` (e.g. 6054768590064713728) does not fit a JS number.
 * - WeChat never sends a DOCTYPE; any document that declares one (entity expansion, "billion
 *   laughs", external entities) is refused before parsing. A person's text is another matter: a
 *   follower may type `<!DOCTYPE html>`, which WeChat sends inside CDATA, so only markup outside
 *   CDATA sections and comments counts.
 */
import { AppError } from '@weunion/errors';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  htmlEntities: false,
});

function cdata(text: string): string {
  // "]]>" cannot appear inside one CDATA section: split it across two.
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

/** Serializes a flat record as WeChat XML: strings in CDATA, numbers as text, root `<xml>`. */
export function buildXml(record: Record<string, string | number>): string {
  let body = '';
  for (const [name, value] of Object.entries(record)) {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw new TypeError(`not a valid XML element name: ${name}`);
    body += `<${name}>${typeof value === 'number' ? String(value) : cdata(value)}</${name}>`;
  }
  return `<xml>${body}</xml>`;
}

function invalid(reason: string): AppError {
  return new AppError('bad_request', `The WeChat XML is not valid: ${reason}`);
}

/**
 * Whether the document holds a markup declaration (`<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`, …): any
 * `<!` that does not open a CDATA section or a comment, those being skipped whole. An unterminated
 * section counts too (the document is not well-formed anyway).
 */
function declaresMarkup(text: string): boolean {
  let from = 0;
  for (;;) {
    const start = text.indexOf('<!', from);
    if (start < 0) return false;
    const [opening, closing] = text.startsWith('<![CDATA[', start) ? ['<![CDATA[', ']]>'] : ['<!--', '-->'];
    if (!text.startsWith(opening, start)) return true;
    const end = text.indexOf(closing, start + opening.length);
    if (end < 0) return true;
    from = end + closing.length;
  }
}

/**
 * Parses WeChat's flat XML into element name → text. Nested elements (a few event types carry
 * them, e.g. `ScanCodeInfo`) are left out: nothing weunion handles needs them.
 */
export function parseXml(text: string): Record<string, string> {
  if (declaresMarkup(text)) throw invalid('a DOCTYPE is not allowed');
  const validation = XMLValidator.validate(text);
  if (validation !== true) throw invalid(validation.err.msg);
  const document: unknown = parser.parse(text);
  if (typeof document !== 'object' || document === null) throw invalid('no root element');
  const roots = Object.values(document);
  const root: unknown = roots[0];
  if (roots.length !== 1) throw invalid('expected exactly one root element');
  const result: Record<string, string> = {};
  if (typeof root !== 'object' || root === null) return result;
  for (const [name, value] of Object.entries(root)) {
    // '#text' is the whitespace between elements; repeated elements come back as arrays.
    if (name !== '#text' && typeof value === 'string') result[name] = value;
  }
  return result;
}

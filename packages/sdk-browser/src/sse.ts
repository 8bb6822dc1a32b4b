/**
 * Server-Sent Events read from a `fetch` response body rather than through `EventSource`:
 * `EventSource` cannot send headers (the ticket secret goes in `x-ticket-secret`) and does not
 * exist in Node; a streamed body works in both. Parsing follows the HTML spec's event stream
 * rules: lines end in LF, CR or CRLF, `data` lines join with LF, `:` starts a comment, a blank
 * line dispatches.
 */

export interface ServerSentEvent {
  event: string;
  data: string;
  id?: string;
}

/** Yields events until the stream ends (or the request's signal aborts it). */
export async function* readEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  try {
    while (true) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const lines = buffer.split(/\r\n|\r|\n/);
      // The last piece may be an incomplete line (or a CR whose LF has not arrived yet).
      buffer = done ? '' : (lines.pop() ?? '');
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0)
            yield { event: event === '' ? 'message' : event, data: data.join('\n'), ...(id === undefined ? {} : { id }) };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let fieldValue = colon < 0 ? '' : line.slice(colon + 1);
        if (fieldValue.startsWith(' ')) fieldValue = fieldValue.slice(1);
        if (field === 'event') event = fieldValue;
        else if (field === 'data') data.push(fieldValue);
        else if (field === 'id') id = fieldValue;
      }
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

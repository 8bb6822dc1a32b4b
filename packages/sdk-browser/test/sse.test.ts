/** The event stream parser on the stream shapes the spec allows, split at awkward places. */
import { describe, expect, it } from 'vitest';
import { readEventStream, type ServerSentEvent } from '../src/sse.ts';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(chunks: string[]): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of readEventStream(streamOf(chunks))) events.push(event);
  return events;
}

describe('readEventStream', () => {
  it('reads named events, ids, multi-line data; skips comments; dispatches on blank lines only', async () => {
    const events = await collect([
      ': keep-alive\n\n',
      'id: 1\nevent: status\ndata: {"a"',
      ':1}\n\n',
      'data: line one\ndata: line two\n\n',
      'data: unfinished',
    ]);
    expect(events).toEqual([
      { event: 'status', data: '{"a":1}', id: '1' },
      { event: 'message', data: 'line one\nline two', id: '1' },
    ]);
  });

  it('accepts CRLF line endings and a multi-byte character split across chunks', async () => {
    const bytes = new TextEncoder().encode('event: status\r\ndata: 扫码\r\n\r\n');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 25));
        controller.enqueue(bytes.slice(25));
        controller.close();
      },
    });
    const events: ServerSentEvent[] = [];
    for await (const event of readEventStream(stream)) events.push(event);
    expect(events).toEqual([{ event: 'status', data: '扫码' }]);
  });
});

/**
 * Test helper (not a test file): Debian's headless Chromium driven over the DevTools protocol with
 * Node's own WebSocket — enough to load a hosted page, let its script run, click, type, read the
 * page and take a screenshot, without adding a browser-automation dependency. Tests using it are
 * skipped when the binary is absent.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export const CHROMIUM = '/usr/lib/chromium/chromium-headless-shell';
export const chromiumAvailable = existsSync(CHROMIUM);

const ARTIFACTS = path.resolve(import.meta.dirname, '../../../../test-results/hosted');

const messageSchema = z.object({
  id: z.number().optional(),
  method: z.string().optional(),
  sessionId: z.string().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  result: z.record(z.string(), z.unknown()).optional(),
  error: z.object({ message: z.string() }).optional(),
});
type Message = z.output<typeof messageSchema>;

export class HeadlessChromium {
  readonly #process: ChildProcess;
  readonly #profile: string;
  readonly #socket: WebSocket;
  readonly #waiting = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  readonly #listeners = new Set<(m: Message) => void>();
  /** Uncaught exceptions in any page (a broken script or one the content security policy blocked). */
  readonly exceptions: string[] = [];
  #nextId = 1;
  #sessionId = '';

  private constructor(process: ChildProcess, profile: string, socket: WebSocket) {
    this.#process = process;
    this.#profile = profile;
    this.#socket = socket;
    socket.addEventListener('message', (event) => {
      const message = messageSchema.parse(JSON.parse(String(event.data)));
      if (message.id !== undefined) {
        const waiter = this.#waiting.get(message.id);
        this.#waiting.delete(message.id);
        if (message.error !== undefined) waiter?.reject(new Error(message.error.message));
        else waiter?.resolve(message);
        return;
      }
      if (message.method === 'Runtime.exceptionThrown') this.exceptions.push(JSON.stringify(message.params));
      for (const listener of this.#listeners) listener(message);
    });
  }

  /** Starts Chromium with one page of `width`×`height`, speaking `language`. */
  static async launch(options: { width: number; height: number; language: string }): Promise<HeadlessChromium> {
    const profile = mkdtempSync(path.join(tmpdir(), 'weunion-chromium-'));
    const child = spawn(
      CHROMIUM,
      [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
        '--remote-debugging-port=0',
        `--user-data-dir=${profile}`,
        `--lang=${options.language}`,
        `--window-size=${options.width},${options.height}`,
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const endpoint = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`Chromium did not start: ${output}`)), 15_000);
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const found = /DevTools listening on (ws:\/\/\S+)/.exec(output);
        if (found?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(found[1]);
        }
      });
      child.once('exit', () => reject(new Error(`Chromium exited: ${output}`)));
    });
    const socket = new WebSocket(endpoint);
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve, { once: true });
      socket.addEventListener('error', reject, { once: true });
    });
    const browser = new HeadlessChromium(child, profile, socket);
    const { targetId } = z.object({ targetId: z.string() }).parse(await browser.send('Target.createTarget', { url: 'about:blank' }, ''));
    browser.#sessionId = z
      .object({ sessionId: z.string() })
      .parse(await browser.send('Target.attachToTarget', { targetId, flatten: true }, '')).sessionId;
    await browser.send('Page.enable');
    await browser.send('Runtime.enable');
    await browser.send('Network.enable');
    await browser.send('Network.setExtraHTTPHeaders', { headers: { 'accept-language': options.language } });
    await browser.send('Emulation.setDeviceMetricsOverride', {
      width: options.width,
      height: options.height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    return browser;
  }

  /** A DevTools command, to the page unless `sessionId` is '' (the browser). */
  async send(method: string, params: Record<string, unknown> = {}, sessionId = this.#sessionId): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    const answer = new Promise<Message>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    this.#socket.send(JSON.stringify({ id, method, params, ...(sessionId === '' ? {} : { sessionId }) }));
    return (await answer).result ?? {};
  }

  async setCookie(origin: string, name: string, value: string): Promise<void> {
    await this.send('Network.setCookie', { name, value, url: origin, httpOnly: true });
  }

  async cookie(origin: string, name: string): Promise<string | undefined> {
    const { cookies } = z
      .object({ cookies: z.array(z.object({ name: z.string(), value: z.string() })) })
      .parse(await this.send('Network.getCookies', { urls: [origin] }));
    return cookies.find((c) => c.name === name)?.value;
  }

  /** Navigates and waits for the page's load event. */
  async open(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => {
      const listener = (message: Message) => {
        if (message.method === 'Page.loadEventFired' && message.sessionId === this.#sessionId) {
          this.#listeners.delete(listener);
          resolve();
        }
      };
      this.#listeners.add(listener);
    });
    await this.send('Page.navigate', { url });
    await loaded;
  }

  /** Evaluates an expression in the page (awaiting a promise); its JSON value. */
  async evaluate(expression: string): Promise<unknown> {
    const answer = z
      .object({ result: z.object({ value: z.unknown().optional() }), exceptionDetails: z.unknown().optional() })
      .parse(await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }));
    if (answer.exceptionDetails !== undefined) throw new Error(`page threw: ${JSON.stringify(answer.exceptionDetails)}`);
    return answer.result.value;
  }

  /** Polls `expression` until it is truthy (or fails after `timeoutMs`). */
  async waitFor(expression: string, timeoutMs = 10_000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await this.evaluate(expression).catch(() => undefined);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Presses a key as the person would (Tab moves the focus, Enter activates or submits). */
  async press(key: 'Tab' | 'Enter'): Promise<void> {
    const keyCode = key === 'Tab' ? 9 : 13;
    const text = key === 'Enter' ? { text: '\r' } : {};
    await this.send('Input.dispatchKeyEvent', { type: 'keyDown', key, code: key, windowsVirtualKeyCode: keyCode, ...text });
    await this.send('Input.dispatchKeyEvent', { type: 'keyUp', key, code: key, windowsVirtualKeyCode: keyCode });
  }

  /** Types into the focused field. */
  async type(text: string): Promise<void> {
    await this.send('Input.insertText', { text });
  }

  /** Saves a full-page PNG to test-results/hosted/<name>.png. */
  async screenshot(name: string): Promise<string> {
    const { data } = z
      .object({ data: z.string() })
      .parse(await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }));
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `${name}.png`);
    writeFileSync(file, Buffer.from(data, 'base64'));
    return file;
  }

  async close(): Promise<void> {
    this.#socket.close();
    if (this.#process.exitCode === null && this.#process.signalCode === null) {
      const exited = new Promise((resolve) => this.#process.once('exit', resolve));
      this.#process.kill();
      await exited;
    }
    rmSync(this.#profile, { recursive: true, force: true });
  }
}

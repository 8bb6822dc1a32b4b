/**
 * A port for a server that a test (or benchmark) starts a moment later, when the URL must be known
 * first (PUBLIC_URL, callback URLs). Picked below the kernel's ephemeral range (32768–60999 on
 * Linux), which outgoing connections draw from, so the moment between picking and listening cannot
 * be lost to some client socket of a test running in parallel; random, and checked free, so
 * parallel workers do not pick the same one either. Servers whose URL is not needed in advance
 * should simply listen on port 0.
 */
import { createServer } from 'node:net';

const LOW = 20_000;
const SPAN = 12_000;

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOW + Math.floor(Math.random() * SPAN);
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port between ${LOW} and ${LOW + SPAN}`);
}

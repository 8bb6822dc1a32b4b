#!/usr/bin/env node
/**
 * The `weunion` command (commands.ts). This entry first turns on Node's module compile cache: a
 * start then reuses the type-stripped, compiled form of the ~470 modules it loads instead of
 * making it again, which is most of a cold start's CPU. The cache lives in NODE_COMPILE_CACHE
 * when set, else in the system's temporary folder; it is checked against each file, so an
 * upgrade never runs stale code. It only reaches modules loaded after it: the rest comes in by
 * `import()`.
 */
import module from 'node:module';

module.enableCompileCache?.();
// Output piped into a reader that stops early (`weunion export people | head`): stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('./commands.ts');
const code = await main(process.argv.slice(2));
// serve and sandbox keep running; every other command ends here.
if (code !== 0 || !['serve', 'sandbox'].includes(process.argv[2] ?? '')) process.exitCode = code;
if (code !== 0) process.exit(code);

import type { World } from './world.ts';

/** What every route and protocol module needs: the world and where the sandbox is reachable. */
export interface SandboxContext {
  world: World;
  /** Absolute URL of the sandbox (including any mount prefix), without a trailing slash. */
  publicUrl(): string;
}

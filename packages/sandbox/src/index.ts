export { type SandboxPluginOptions, sandboxPlugin } from './plugin.ts';
export * from './public-world.ts';
export { type RunningSandbox, type StartSandboxOptions, startSandbox } from './standalone.ts';

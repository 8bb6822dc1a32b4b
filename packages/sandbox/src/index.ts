export { DEMO_APPS, DEMO_OPEN_PLATFORM, DEMO_PEOPLE, type DemoApp, type DemoPerson, demoApp } from './demo-world.ts';
export { type MailMessage, SANDBOX_CLOUD_SMS, type SmsMessage } from './messages.ts';
export { type SandboxPluginOptions, sandboxPlugin } from './plugin.ts';
export { type RunningSandbox, type StartSandboxOptions, startSandbox } from './standalone.ts';

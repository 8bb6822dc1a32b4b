/**
 * The sandbox's fixed world as constants only (demo apps, the Open Platform account, the SMS
 * credentials its emulators accept), without the servers: what weunion needs at every start, so
 * that a start with the sandbox off does not load the emulators, the virtual phone and their QR
 * and image libraries (`@weunion/sandbox/public-world`).
 */
export { DEMO_APPS, DEMO_OPEN_PLATFORM, DEMO_PEOPLE, type DemoApp, type DemoPerson, demoApp } from './demo-world.ts';
export { type MailMessage, SANDBOX_CLOUD_SMS, type SmsMessage } from './messages.ts';

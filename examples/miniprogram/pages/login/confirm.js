// S3 and S7 — confirm a login happening elsewhere: on a computer that shows this mini program's
// code (S3), or in the mobile app that opened this mini program (S7, which then gets back to the
// app with the launchApp button carrying the one-time result code).
const { ticketFromLaunchOptions } = require('@weunion/sdk-miniprogram');
const { messageFor } = require('../../errors.js');

const app = getApp();

Page({
  data: {
    // loading | ask | done | cancelled | failed
    step: 'loading',
    ticket: '',
    scenario: '',
    phoneNumber: 'not_needed',
    resultCode: '',
    outcome: '',
    busy: false,
    error: '',
  },

  async onLoad(options) {
    const ticket = ticketFromLaunchOptions(options);
    if (ticket === null) {
      this.setData({ step: 'failed', error: 'This page was opened without a login to confirm.' });
      return;
    }
    this.setData({ ticket });
    try {
      const scanned = await app.weunion.scanQrLogin(ticket);
      this.setData({ step: 'ask', scenario: scanned.scenario, phoneNumber: scanned.phoneNumber });
      // A login code made before the phone button is tapped (see the login page).
      app.weunion.prepareLogin().catch(() => {});
    } catch (error) {
      this.setData({ step: 'failed', error: messageFor(error) });
    }
  },

  confirm() {
    this.run(() => app.weunion.confirmQrLogin(this.data.ticket));
  },

  confirmWithPhone(event) {
    // Refusing the phone is fine when it is optional: confirm without it.
    if (this.data.phoneNumber !== 'required' && /deny|fail/.test(event.detail.errMsg || '')) {
      this.confirm();
      return;
    }
    this.run(() => app.weunion.confirmQrLogin(this.data.ticket, event));
  },

  cancel() {
    this.run(async () => {
      await app.weunion.cancelQrLogin(this.data.ticket);
      return null;
    });
  },

  async run(attempt) {
    if (this.data.busy) return;
    this.setData({ busy: true, error: '' });
    try {
      const confirmed = await attempt();
      if (confirmed === null) this.setData({ step: 'cancelled' });
      else this.setData({ step: 'done', outcome: confirmed.outcome, resultCode: confirmed.resultCode || '' });
    } catch (error) {
      this.setData({ error: messageFor(error) });
      app.weunion.prepareLogin().catch(() => {});
    } finally {
      this.setData({ busy: false });
    }
  },

  launchAppFailed(event) {
    // Only possible when the app opened this mini program; otherwise the person switches back by hand.
    this.setData({ error: `Could not return to the app (${event.detail.errMsg}). Switch back to it yourself.` });
  },
});

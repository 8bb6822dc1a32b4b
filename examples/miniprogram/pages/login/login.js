// S5 — sign in inside the mini program: with wx.login alone, or with the phone number button.
// This is also the page a PC login's mini program code opens (S3, `scene` = the ticket): such
// visits go on to the confirm page.
const { ticketFromLaunchOptions } = require('@weunion/sdk-miniprogram');
const { messageFor } = require('../../errors.js');

const app = getApp();

Page({
  data: {
    busy: false,
    error: '',
    pending: null,
    password: { login: '', password: '' },
    code: { channel: 'sms', destination: '', code: '', sent: false },
  },

  onLoad(options) {
    const ticket = ticketFromLaunchOptions(options);
    if (ticket !== null) {
      wx.redirectTo({ url: `/pages/login/confirm?ticket=${ticket}` });
      return;
    }
    if (app.weunion.isLoggedIn()) wx.redirectTo({ url: '/pages/profile/profile' });
  },

  onShow() {
    // wx.login before the phone button is tapped: legacy encrypted phone data is readable only
    // with a login made before the tap (a later wx.login rotates the session_key).
    app.weunion.prepareLogin().catch(() => {});
  },

  login() {
    this.run(() => app.weunion.login());
  },

  loginWithPhone(event) {
    this.run(() => app.weunion.loginWithPhone(event));
  },

  selectAccount(event) {
    const { pending } = this.data;
    this.run(() => app.weunion.selectAccount(pending.pendingId, event.currentTarget.dataset.userId));
  },

  typed(event) {
    this.setData({ [`password.${event.currentTarget.dataset.field}`]: event.detail.value });
  },

  bindWithPassword() {
    const { pending, password } = this.data;
    this.run(() => app.weunion.bindWithPassword(pending.pendingId, password));
  },

  typedCode(event) {
    this.setData({ [`code.${event.currentTarget.dataset.field}`]: event.detail.value });
  },

  // SMS or email binding: the code goes to the existing account's phone (E.164) or email.
  async sendCode(event) {
    const { pending, code } = this.data;
    const channel = event.currentTarget.dataset.channel;
    if (this.data.busy) return;
    this.setData({ busy: true, error: '' });
    try {
      await app.weunion.sendBindingCode(pending.pendingId, { channel, destination: code.destination });
      this.setData({ code: { ...code, channel, sent: true } });
    } catch (error) {
      this.setData({ error: messageFor(error) });
    } finally {
      this.setData({ busy: false });
    }
  },

  bindWithCode() {
    const { pending, code } = this.data;
    this.run(() => app.weunion.bindWithCode(pending.pendingId, { channel: code.channel, destination: code.destination, code: code.code }));
  },

  createAccount() {
    this.run(() => app.weunion.createAccount(this.data.pending.pendingId));
  },

  // The person gives up choosing or linking: weunion ends the pending sign-in; back to the start.
  async cancel() {
    const { pending } = this.data;
    this.setData({ pending: null, error: '' });
    await app.weunion.cancelPending(pending.pendingId).catch(() => {});
    app.weunion.prepareLogin().catch(() => {});
  },

  async run(attempt) {
    if (this.data.busy) return;
    this.setData({ busy: true, error: '' });
    try {
      const result = await attempt();
      if (result.status === 'signed_in') {
        wx.redirectTo({ url: '/pages/profile/profile' });
        return;
      }
      // Several accounts are this person's (select), or an existing one must be proved (bind).
      this.setData({ pending: result });
    } catch (error) {
      this.setData({ error: messageFor(error) });
      app.weunion.prepareLogin().catch(() => {});
    } finally {
      this.setData({ busy: false });
    }
  },
});

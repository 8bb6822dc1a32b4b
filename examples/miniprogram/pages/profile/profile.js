// The signed-in person: the ID token's claims, a phone number added later, the access token an
// app's own backend would receive (refreshed before expiry), and logout.
const { messageFor } = require('../../errors.js');

const app = getApp();

Page({
  data: { user: null, expiresIn: 0, busy: false, error: '', notice: '' },

  onShow() {
    if (!app.weunion.isLoggedIn()) {
      wx.redirectTo({ url: '/pages/login/login' });
      return;
    }
    this.setData({ user: app.weunion.user(), expiresIn: app.weunion.expiresIn() });
    app.weunion.prepareLogin().catch(() => {});
  },

  addPhone(event) {
    this.run(async () => {
      const added = await app.weunion.addPhone(event);
      // The new phone appears in the ID token of the next login or refresh.
      this.setData({ notice: added.attached ? `Added ${added.phoneNumber}` : `${added.phoneNumber} belongs to another account` });
    });
  },

  callBackend() {
    this.run(async () => {
      const token = await app.weunion.accessToken();
      // An app's backend verifies this token against weunion's JWKS (see @weunion/sdk-node).
      this.setData({ notice: `Access token ready (${token.length} characters)`, expiresIn: app.weunion.expiresIn() });
    });
  },

  logout() {
    this.run(async () => {
      await app.weunion.logout();
      wx.redirectTo({ url: '/pages/login/login' });
    });
  },

  async run(attempt) {
    if (this.data.busy) return;
    this.setData({ busy: true, error: '', notice: '' });
    try {
      await attempt();
    } catch (error) {
      this.setData({ error: messageFor(error) });
      if (!app.weunion.isLoggedIn()) wx.redirectTo({ url: '/pages/login/login' });
    } finally {
      this.setData({ busy: false });
    }
  },
});

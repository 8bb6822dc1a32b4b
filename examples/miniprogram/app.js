// One weunion client for the whole mini program. The appid is read from the running mini program
// itself, so only project.config.json names it; weunion must have a connection for it.
const { createWeunion } = require('@weunion/sdk-miniprogram');
const { baseUrl } = require('./config.js');

App({
  weunion: createWeunion({ baseUrl, appid: wx.getAccountInfoSync().miniProgram.appId }),
});

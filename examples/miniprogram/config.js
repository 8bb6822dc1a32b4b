// Where this mini program finds weunion. The domain must be on the mini program's request domain
// whitelist (mp.weixin.qq.com → 开发管理 → 开发设置 → 服务器域名 → request合法域名), over https.
// While developing against a local weunion, tick "不校验合法域名" in DevTools' details panel.
module.exports = {
  baseUrl: 'https://id.example.com',
};

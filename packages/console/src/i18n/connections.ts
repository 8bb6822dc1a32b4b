import { defineDictionary } from './dictionary.ts';

/**
 * WeChat apps (connections): every field with where to find it on WeChat's platforms, the values to
 * paste back into WeChat, the scenarios in one sentence each, and the identity policy in plain words
 * (the policy keys are shared with the applications pages, which override them per application).
 * Menu paths are the ones WeChat's admin sites show in Chinese, kept in Chinese in both languages
 * because that is what the operator sees on screen.
 */
export const connections = defineDictionary({
  en: {
    'connections.title': 'WeChat apps',
    'connections.intro':
      'Each WeChat app weunion signs people in through: an official account, a mini program, a website app or a mobile app. Add one, paste the values shown into WeChat, test the credentials, and pick the login scenarios it serves.',
    'connections.add': 'Add a WeChat app',
    'connections.empty': 'No WeChat apps yet. Add your first one to start signing people in.',
    'connections.col.name': 'Name',
    'connections.col.type': 'Type',
    'connections.col.appid': 'AppID',
    'connections.col.scenarios': 'Scenarios',
    'connections.col.source': 'Source',
    'connections.col.secret': 'AppSecret',
    'connections.secretSet': 'stored',
    'connections.secretMissing': 'missing',
    'connections.source.api': 'Console / API',
    'connections.source.config': 'Config file',
    'connections.source.sandbox': 'Sandbox demo',
    'connections.sourceNote.config':
      'This app is declared in the config file (WEUNION_CONFIG, the connections: section). The file is applied on every start, so change it there: edits made here last only until the next restart.',
    'connections.sourceNote.sandbox':
      'This app was seeded from the WeChat sandbox’s demo world so every scenario works on first start. Your changes here are kept; it only opens the sandbox, never real WeChat.',
    'connections.newTitle': 'Add a WeChat app',
    'connections.editTitle': ({ name }) => `WeChat app: ${name}`,
    'connections.unboundUnionid': ({ appid }) =>
      `WeChat sends unionids for ${appid}, so it is bound to an Open Platform account in WeChat, but this connection names none: every person since is split in two. Set the Open Platform account below; saving reconciles everyone seen meanwhile.`,
    'connections.unboundUnionidDetected': ({ appid, openPlatformId }) =>
      `WeChat sends unionids for ${appid} that belong to Open Platform account ${openPlatformId}, but this connection names none: every person since is split in two. Set the Open Platform account to ${openPlatformId}; saving reconciles everyone seen meanwhile.`,
    'connections.chooseType': 'What kind of WeChat app is it?',
    'connections.typeHelp.official_account':
      'A service account (服务号) on 微信公众平台 mp.weixin.qq.com. Serves S1 (follow by QR on a computer) and S4 (pages opened inside WeChat). Web authorization needs a verified service account.',
    'connections.typeHelp.mini_program':
      'A mini program on 微信公众平台 mp.weixin.qq.com. Serves S3 (scan a mini program code on a computer), S5 (inside the mini program) and S7 (opened from your mobile app).',
    'connections.typeHelp.website':
      'A website app (网站应用) on 微信开放平台 open.weixin.qq.com. Serves S2 (WeChat’s website QR login on a computer).',
    'connections.typeHelp.mobile_app':
      'A mobile app (移动应用) on 微信开放平台 open.weixin.qq.com. Serves S6 (WeChat OpenSDK login) and S7 (the app opens your mini program).',
    'connections.section.basics': 'The app',
    'connections.section.secrets': 'Secrets',
    'connections.section.secretsHelp':
      'Secrets are write-only: weunion stores them encrypted and never shows them again. Leave a field empty to keep what is stored.',
    'connections.section.scenarios': 'Login scenarios',
    'connections.section.scenariosHelp': 'Only the scenarios this kind of app can serve are offered.',
    'connections.section.settings': 'Behaviour',
    'connections.section.policy': 'Identity policy',
    'connections.section.policyHelp':
      'What happens when someone signs in through this app and weunion does not recognise them yet. The defaults are the safe ones.',
    'connections.section.setup': 'Paste this into WeChat',
    'connections.section.setupHelp': 'weunion works these out from its public URL. Copy each one into the place named beside it.',
    'connections.setup.none':
      'Nothing to paste for a mobile app. Your app’s Bundle ID and Universal Links (iOS) or package name and signature (Android) are entered on 微信开放平台 → 管理中心 → 移动应用 → 查看 → 开发信息; they belong to your app, not to weunion.',
    'connections.setup.saveFirst': 'Save the app to see the values to paste into WeChat.',
    'connections.setup.server_url': 'Server URL — 服务器地址(URL)',
    'connections.setup.server_url.help':
      '微信公众平台 → 设置与开发 → 基本配置 → 服务器配置 → 修改配置. Enter this URL with the Token and EncodingAESKey stored on this app; 安全模式 (safe mode) is recommended. WeChat checks the URL right away, so save the app here first.',
    'connections.setup.oauth_domain': 'Authorization domain',
    'connections.setup.oauth_domain.help.official_account':
      'Web authorization domain — 网页授权域名: 微信公众平台 → 设置与开发 → 公众号设置 → 功能设置 → 网页授权域名. A domain, no https:// and no path. WeChat asks you to serve an MP_verify_….txt file at its root first.',
    'connections.setup.oauth_domain.help.website':
      'Authorization callback domain — 授权回调域: 微信开放平台 → 管理中心 → 网站应用 → 查看 → 开发信息 → 授权回调域 → 修改. A domain, no https:// and no path.',
    'connections.setup.js_domain': 'JS-SDK safe domain — JS接口安全域名',
    'connections.setup.js_domain.help':
      '微信公众平台 → 设置与开发 → 公众号设置 → 功能设置 → JS接口安全域名. Only needed if your pages use the WeChat JS-SDK.',
    'connections.setup.request_domain': 'request legal domain — request合法域名',
    'connections.setup.request_domain.help':
      '微信公众平台 (mini program) → 开发 → 开发管理 → 开发设置 → 服务器域名 → request合法域名. The mini program calls weunion here with wx.request (S3 confirm, S5 login). WeChat requires https and an ICP-registered domain.',
    'connections.setup.ipAllowlist':
      'WeChat refuses server calls from addresses not on the app’s IP allowlist (errcode 40164): add this server’s outgoing IP under 基本配置 → IP白名单 (official account) or 开发管理 → 开发设置 → IP白名单 (mini program).',
    'connections.field.id': 'Connection id',
    'connections.field.id.help':
      'A short stable name (lower-case letters, digits and dashes) used in URLs and the config file. It cannot be changed later.',
    'connections.field.name': 'Name',
    'connections.field.name.help': 'Shown to admins only, e.g. the app’s name on WeChat.',
    'connections.field.appid': 'AppID',
    'connections.field.appid.help.official_account':
      'Developer ID — 开发者ID(AppID): 微信公众平台 → 设置与开发 → 基本配置 → 公众号开发信息. Starts with wx.',
    'connections.field.appid.help.mini_program':
      'AppID(小程序ID): 微信公众平台 (mini program) → 开发 → 开发管理 → 开发设置 → 开发者ID. Starts with wx.',
    'connections.field.appid.help.website': 'AppID: 微信开放平台 → 管理中心 → 网站应用 → 查看. Starts with wx.',
    'connections.field.appid.help.mobile_app': 'AppID: 微信开放平台 → 管理中心 → 移动应用 → 查看. Starts with wx.',
    'connections.field.secret': 'AppSecret',
    'connections.field.secret.help.official_account':
      'Developer password — 开发者密码(AppSecret): 微信公众平台 → 设置与开发 → 基本配置 → 公众号开发信息 → 启用/重置 (an admin confirms by scanning). WeChat shows it only once; resetting it stops the old one.',
    'connections.field.secret.help.mini_program':
      'AppSecret(小程序密钥): 微信公众平台 (mini program) → 开发 → 开发管理 → 开发设置 → 开发者ID → 生成/重置. WeChat shows it only once.',
    'connections.field.secret.help.website':
      'AppSecret: 微信开放平台 → 管理中心 → 网站应用 → 查看 → AppSecret → 生成/重置 (an admin confirms by scanning).',
    'connections.field.secret.help.mobile_app':
      'AppSecret: 微信开放平台 → 管理中心 → 移动应用 → 查看 → AppSecret → 生成/重置 (an admin confirms by scanning).',
    'connections.field.token': 'Token',
    'connections.field.token.help.official_account':
      'Message token — 令牌(Token): you choose it (3–32 letters or digits) and enter the same value at 微信公众平台 → 设置与开发 → 基本配置 → 服务器配置. WeChat signs every pushed event with it; S1 needs it.',
    'connections.field.token.help.mini_program':
      'Message token — 令牌(Token): you choose it (3–32 letters or digits) and enter the same value at 开发 → 开发管理 → 开发设置 → 消息推送. Only needed if WeChat pushes events to weunion.',
    'connections.field.encodingAesKey': 'EncodingAESKey',
    'connections.field.encodingAesKey.help':
      'Message encryption key — 消息加解密密钥(EncodingAESKey): 43 letters and digits, generated by WeChat (随机生成) beside the Token. Copy it here so weunion can decrypt events in safe mode.',
    'connections.field.originalId': 'Original id',
    'connections.field.originalId.help.official_account':
      'Original id — 原始ID (gh_…): 微信公众平台 → 设置与开发 → 公众号设置 → 账号详情, at the bottom. Optional.',
    'connections.field.originalId.help.mini_program':
      'Original id — 原始ID (gh_…): 微信公众平台 (mini program) → 设置 → 基本设置, at the bottom. S7 needs it: your mobile app opens the mini program by this id.',
    'connections.field.openPlatformId': 'Open Platform account',
    'connections.field.openPlatformId.help':
      'If the app is bound to a WeChat Open Platform account (微信开放平台 → 管理中心 → 公众号/小程序 → 绑定; website and mobile apps are always inside one), people get a unionid shared across all its apps, so weunion recognises the same person everywhere. Enter one stable name for that Open Platform account, the same on every app bound to it. Leave empty when the app is not bound.',
    'connections.secretPlaceholderStored': 'stored — leave empty to keep',
    'connections.secretPlaceholderNew': 'paste from WeChat',
    'connections.secretNotStored': 'Not stored yet',
    'connections.settings.phoneNumber': 'Ask for the phone number (mini program)',
    'connections.settings.phoneNumber.help':
      'S3, S5 and S7 can ask WeChat for the person’s phone number. WeChat bills the mini program’s owner for each number.',
    'connections.settings.phoneNumber.off': 'Off — never ask',
    'connections.settings.phoneNumber.optional': 'Optional — the person may share it',
    'connections.settings.phoneNumber.required': 'Required — no login without one',
    'connections.settings.reusePhone': 'Reuse a phone number already on file',
    'connections.settings.reusePhone.help':
      'Skip the paid WeChat phone-number call when this WeChat identity already has a verified phone number.',
    'connections.settings.webAuthScope': 'Web authorization (S4)',
    'connections.settings.webAuthScope.help': 'How pages opened inside WeChat ask for the person’s identity.',
    'connections.settings.webAuthScope.auto': 'Automatic — silent for people already known, ask new people for their profile',
    'connections.settings.webAuthScope.snsapi_base': 'Silent only (snsapi_base) — openid, no profile, no unionid',
    'connections.settings.webAuthScope.snsapi_userinfo': 'Always ask (snsapi_userinfo) — nickname, avatar and unionid',
    'connections.settings.revealScanner': 'Show who scanned',
    'connections.settings.revealScanner.help':
      'QR logins (S1, S3): the computer’s waiting page shows the nickname and avatar of whoever scanned.',
    'connections.test': 'Test credentials',
    'connections.testing': 'Asking WeChat…',
    'connections.testHelp':
      'Asks WeChat for an access token with this AppID and AppSecret (or, for website and mobile apps, probes WeChat’s OAuth). Works before saving too.',
    'connections.testOk': 'WeChat accepted the credentials.',
    'connections.testFailed': ({ errcode, errmsg }) => `WeChat answered errcode ${errcode}: ${errmsg}`,
    'connections.testNeedsSecret': 'Enter the AppID and AppSecret to test them.',
    'connections.create': 'Add app',
    'connections.saved': 'Saved.',
    'connections.created': 'WeChat app added. Now paste the values shown into WeChat.',
    'connections.delete': 'Delete app',
    'connections.deleteTitle': ({ name }) => `Delete “${name}”?`,
    'connections.deleteBody':
      'weunion stops signing people in through this WeChat app. The people and their WeChat identities stay; you can add the app again later.',
    'connections.deleted': 'WeChat app deleted.',
    'connections.invalidUrl': 'Must be an absolute URL',
    'copy.selected': 'Selected — press Ctrl+C (⌘C) to copy.',
    'connections.error.appid': 'An AppID starts with wx, followed by letters and digits.',
    'connections.error.token': 'Use 3–32 letters or digits.',
    'connections.error.encodingAesKey': 'Exactly 43 letters or digits.',
    'connections.error.originalId': 'An original id starts with gh_.',
    'connections.error.scenarios': 'Pick at least one scenario.',
    'scenarioHelp.s1':
      'On a computer the login page shows the official account’s QR code; the person scans it, follows the account, and the computer is signed in.',
    'scenarioHelp.s2':
      'On a computer the person goes to WeChat’s website-login QR page, scans and confirms on the phone, and comes back signed in.',
    'scenarioHelp.s3':
      'On a computer the login page shows a mini program code; the person scans it, confirms in the mini program, and the computer is signed in.',
    'scenarioHelp.s4':
      'A page opened inside WeChat signs the person in through the official account’s web authorization, silently for people already known.',
    'scenarioHelp.s5': 'Inside the mini program the person is signed in with wx.login, optionally sharing a phone number.',
    'scenarioHelp.s6':
      'Your iOS or Android app signs the person in through WeChat’s OpenSDK: WeChat opens, the person confirms, the app is signed in.',
    'scenarioHelp.s7': 'Your mobile app opens your mini program, which signs the person in and hands the result back to the app.',
    'policy.registration': 'New people',
    'policy.registration.help': 'When a WeChat login matches no account.',
    'policy.registration.allow': 'Create an account for them',
    'policy.registration.deny': 'Refuse — only people who already have an account may sign in',
    'policy.fieldMatching': 'Link by matching data',
    'policy.fieldMatching.help':
      'Whether a new WeChat identity joins an existing account that has the same verified data. Names are never used.',
    'policy.fieldMatching.none': 'Never — a new WeChat identity is a new account (unless linked otherwise)',
    'policy.fieldMatching.phone': 'Same verified phone number',
    'policy.fieldMatching.phoneEmail': 'Same verified phone number, then same verified email',
    'policy.queryBinding': 'Ask about an existing account',
    'policy.queryBinding.help': 'Ask someone unrecognised whether they already have an account, and let them prove it.',
    'policy.queryBinding.off': 'Don’t ask',
    'policy.queryBinding.offer': 'Offer — they can prove an existing account or create a new one',
    'policy.queryBinding.require': 'Require — they must prove an existing account; no new accounts',
    'policy.bindingMethods': 'How they prove an account',
    'policy.bindingMethods.help': 'Used when asking about an existing account. Pick at least one.',
    'policy.bindingMethods.password': 'Password',
    'policy.bindingMethods.sms': 'Code by SMS',
    'policy.bindingMethods.email': 'Code by email',
    'policy.onMultipleMatches': 'Several accounts match',
    'policy.onMultipleMatches.help': 'When one login matches more than one account (e.g. the same phone on two accounts).',
    'policy.onMultipleMatches.select': 'Let the person choose which account is theirs',
    'policy.onMultipleMatches.refuse': 'Refuse the login (an admin sorts it out)',
    'policy.autoMergeOnUnionid': 'Merge on unionid',
    'policy.autoMergeOnUnionid.help': 'When a unionid that arrives later shows two accounts are the same person.',
    'policy.autoMergeOnUnionid.true': 'Merge them automatically',
    'policy.autoMergeOnUnionid.false': 'Leave it to an admin (a merge suggestion appears in the console)',
  },
  'zh-CN': {
    'connections.title': '微信应用',
    'connections.intro':
      'weunion 通过这些微信应用让用户登录：公众号、小程序、网站应用或移动应用。添加应用，把下方的值填到微信后台，测试凭据，再选择它支持的登录场景。',
    'connections.add': '添加微信应用',
    'connections.empty': '还没有微信应用。添加第一个，即可开始让用户登录。',
    'connections.col.name': '名称',
    'connections.col.type': '类型',
    'connections.col.appid': 'AppID',
    'connections.col.scenarios': '场景',
    'connections.col.source': '来源',
    'connections.col.secret': 'AppSecret',
    'connections.secretSet': '已保存',
    'connections.secretMissing': '未设置',
    'connections.source.api': '控制台 / API',
    'connections.source.config': '配置文件',
    'connections.source.sandbox': '沙箱演示',
    'connections.sourceNote.config':
      '此应用在配置文件中声明（WEUNION_CONFIG 的 connections: 部分）。每次启动都会应用该文件，请在文件中修改：在这里的修改只保留到下次重启。',
    'connections.sourceNote.sandbox':
      '此应用来自微信沙箱的演示世界，让所有场景在首次启动时即可使用。你在这里的修改会保留；它只连接沙箱，不连接真实的微信。',
    'connections.newTitle': '添加微信应用',
    'connections.editTitle': ({ name }) => `微信应用：${name}`,
    'connections.unboundUnionid': ({ appid }) =>
      `微信为 ${appid} 返回了 unionid，说明它已在微信开放平台绑定，但此连接未填写开放平台账号：此后每个用户都被拆成两个账号。请在下方填写开放平台账号，保存后会合并期间登录的用户。`,
    'connections.unboundUnionidDetected': ({ appid, openPlatformId }) =>
      `微信为 ${appid} 返回的 unionid 属于开放平台账号 ${openPlatformId}，但此连接未填写开放平台账号：此后每个用户都被拆成两个账号。请将开放平台账号设为 ${openPlatformId}，保存后会合并期间登录的用户。`,
    'connections.chooseType': '这是哪种微信应用？',
    'connections.typeHelp.official_account':
      '微信公众平台 mp.weixin.qq.com 上的服务号。支持 S1（电脑上扫码关注登录）和 S4（微信内打开的网页）。网页授权需要已认证的服务号。',
    'connections.typeHelp.mini_program':
      '微信公众平台 mp.weixin.qq.com 上的小程序。支持 S3（电脑上扫小程序码）、S5（小程序内登录）和 S7（由移动应用打开）。',
    'connections.typeHelp.website': '微信开放平台 open.weixin.qq.com 上的网站应用。支持 S2（电脑上微信扫码登录）。',
    'connections.typeHelp.mobile_app':
      '微信开放平台 open.weixin.qq.com 上的移动应用。支持 S6（微信 OpenSDK 登录）和 S7（应用打开小程序登录）。',
    'connections.section.basics': '应用信息',
    'connections.section.secrets': '密钥',
    'connections.section.secretsHelp': '密钥只写不读：weunion 加密保存，之后不再显示。留空即保留已保存的值。',
    'connections.section.scenarios': '登录场景',
    'connections.section.scenariosHelp': '只列出此类应用能支持的场景。',
    'connections.section.settings': '行为',
    'connections.section.policy': '身份策略',
    'connections.section.policyHelp': '有人通过此应用登录而 weunion 还不认识他时怎么办。默认值是最稳妥的选择。',
    'connections.section.setup': '填到微信后台',
    'connections.section.setupHelp': '这些值由 weunion 根据其公开地址生成。把每一项复制到旁边说明的位置。',
    'connections.setup.none':
      '移动应用无需填写任何值。应用的 Bundle ID 和 Universal Links（iOS）或包名和签名（Android）在 微信开放平台 → 管理中心 → 移动应用 → 查看 → 开发信息 中填写；它们属于你的应用，与 weunion 无关。',
    'connections.setup.saveFirst': '保存应用后，即可看到需要填到微信后台的值。',
    'connections.setup.server_url': '服务器地址(URL)',
    'connections.setup.server_url.help':
      '微信公众平台 → 设置与开发 → 基本配置 → 服务器配置 → 修改配置。填写此 URL，以及此应用保存的 Token 和 EncodingAESKey；建议选择安全模式。微信会立即校验该 URL，所以请先在这里保存应用。',
    'connections.setup.oauth_domain': '授权域名',
    'connections.setup.oauth_domain.help.official_account':
      '网页授权域名：微信公众平台 → 设置与开发 → 公众号设置 → 功能设置 → 网页授权域名。只填域名，不带 https:// 和路径。微信会先要求你在域名根目录放置 MP_verify_….txt 文件。',
    'connections.setup.oauth_domain.help.website':
      '授权回调域：微信开放平台 → 管理中心 → 网站应用 → 查看 → 开发信息 → 授权回调域 → 修改。只填域名，不带 https:// 和路径。',
    'connections.setup.js_domain': 'JS接口安全域名',
    'connections.setup.js_domain.help':
      '微信公众平台 → 设置与开发 → 公众号设置 → 功能设置 → JS接口安全域名。只有网页使用微信 JS-SDK 时才需要。',
    'connections.setup.request_domain': 'request合法域名',
    'connections.setup.request_domain.help':
      '微信公众平台（小程序）→ 开发 → 开发管理 → 开发设置 → 服务器域名 → request合法域名。小程序通过 wx.request 在这里调用 weunion（S3 确认、S5 登录）。微信要求 https 且域名已 ICP 备案。',
    'connections.setup.ipAllowlist':
      '不在应用 IP 白名单中的地址调用微信接口会被拒绝（errcode 40164）：请把本服务器的出口 IP 加到 基本配置 → IP白名单（公众号）或 开发管理 → 开发设置 → IP白名单（小程序）。',
    'connections.field.id': '连接 ID',
    'connections.field.id.help': '简短且不变的名称（小写字母、数字和短横线），用于 URL 和配置文件。创建后不能修改。',
    'connections.field.name': '名称',
    'connections.field.name.help': '只给管理员看，例如应用在微信上的名称。',
    'connections.field.appid': 'AppID',
    'connections.field.appid.help.official_account': '开发者ID(AppID)：微信公众平台 → 设置与开发 → 基本配置 → 公众号开发信息。以 wx 开头。',
    'connections.field.appid.help.mini_program':
      'AppID(小程序ID)：微信公众平台（小程序）→ 开发 → 开发管理 → 开发设置 → 开发者ID。以 wx 开头。',
    'connections.field.appid.help.website': 'AppID：微信开放平台 → 管理中心 → 网站应用 → 查看。以 wx 开头。',
    'connections.field.appid.help.mobile_app': 'AppID：微信开放平台 → 管理中心 → 移动应用 → 查看。以 wx 开头。',
    'connections.field.secret': 'AppSecret',
    'connections.field.secret.help.official_account':
      '开发者密码(AppSecret)：微信公众平台 → 设置与开发 → 基本配置 → 公众号开发信息 → 启用/重置（需管理员扫码确认）。微信只显示一次；重置后旧密码立即失效。',
    'connections.field.secret.help.mini_program':
      'AppSecret(小程序密钥)：微信公众平台（小程序）→ 开发 → 开发管理 → 开发设置 → 开发者ID → 生成/重置。微信只显示一次。',
    'connections.field.secret.help.website':
      'AppSecret：微信开放平台 → 管理中心 → 网站应用 → 查看 → AppSecret → 生成/重置（需管理员扫码确认）。',
    'connections.field.secret.help.mobile_app':
      'AppSecret：微信开放平台 → 管理中心 → 移动应用 → 查看 → AppSecret → 生成/重置（需管理员扫码确认）。',
    'connections.field.token': 'Token',
    'connections.field.token.help.official_account':
      '令牌(Token)：由你自定（3–32 位字母或数字），并在 微信公众平台 → 设置与开发 → 基本配置 → 服务器配置 中填写相同的值。微信用它为每条推送的事件签名；S1 需要它。',
    'connections.field.token.help.mini_program':
      '令牌(Token)：由你自定（3–32 位字母或数字），并在 开发 → 开发管理 → 开发设置 → 消息推送 中填写相同的值。只有微信需要向 weunion 推送事件时才需要。',
    'connections.field.encodingAesKey': 'EncodingAESKey',
    'connections.field.encodingAesKey.help':
      '消息加解密密钥(EncodingAESKey)：43 位字母和数字，在 Token 旁边由微信随机生成。复制到这里，weunion 才能在安全模式下解密事件。',
    'connections.field.originalId': '原始ID',
    'connections.field.originalId.help.official_account':
      '原始ID（gh_…）：微信公众平台 → 设置与开发 → 公众号设置 → 账号详情，页面底部。可选。',
    'connections.field.originalId.help.mini_program':
      '原始ID（gh_…）：微信公众平台（小程序）→ 设置 → 基本设置，页面底部。S7 需要它：移动应用通过此 ID 打开小程序。',
    'connections.field.openPlatformId': '开放平台账号',
    'connections.field.openPlatformId.help':
      '如果应用已绑定到微信开放平台账号（微信开放平台 → 管理中心 → 公众号/小程序 → 绑定；网站应用和移动应用本来就在开放平台内），用户会在其所有应用中拥有同一个 unionid，weunion 就能在各处认出同一个人。为该开放平台账号填写一个固定名称，绑定到它的每个应用都填相同的值。未绑定时留空。',
    'connections.secretPlaceholderStored': '已保存 — 留空则保留',
    'connections.secretPlaceholderNew': '从微信后台粘贴',
    'connections.secretNotStored': '尚未保存',
    'connections.settings.phoneNumber': '获取手机号（小程序）',
    'connections.settings.phoneNumber.help': 'S3、S5 和 S7 可以向微信获取用户的手机号。微信对每次获取向小程序主体收费。',
    'connections.settings.phoneNumber.off': '关闭 — 从不获取',
    'connections.settings.phoneNumber.optional': '可选 — 用户可以选择提供',
    'connections.settings.phoneNumber.required': '必须 — 没有手机号不能登录',
    'connections.settings.reusePhone': '复用已有的手机号',
    'connections.settings.reusePhone.help': '当这个微信身份已有验证过的手机号时，跳过收费的微信手机号接口。',
    'connections.settings.webAuthScope': '网页授权（S4）',
    'connections.settings.webAuthScope.help': '微信内打开的网页如何获取用户身份。',
    'connections.settings.webAuthScope.auto': '自动 — 已认识的用户静默授权，新用户请求授权资料',
    'connections.settings.webAuthScope.snsapi_base': '仅静默（snsapi_base）— 只有 openid，无资料、无 unionid',
    'connections.settings.webAuthScope.snsapi_userinfo': '总是请求（snsapi_userinfo）— 昵称、头像和 unionid',
    'connections.settings.revealScanner': '显示扫码者',
    'connections.settings.revealScanner.help': '扫码登录（S1、S3）：电脑上的等待页面显示扫码者的昵称和头像。',
    'connections.test': '测试凭据',
    'connections.testing': '正在询问微信…',
    'connections.testHelp': '用此 AppID 和 AppSecret 向微信获取 access token（网站应用和移动应用则探测微信 OAuth）。保存前也可以测试。',
    'connections.testOk': '微信接受了这组凭据。',
    'connections.testFailed': ({ errcode, errmsg }) => `微信返回 errcode ${errcode}：${errmsg}`,
    'connections.testNeedsSecret': '请输入 AppID 和 AppSecret 再测试。',
    'connections.create': '添加应用',
    'connections.saved': '已保存。',
    'connections.created': '微信应用已添加。现在把显示的值填到微信后台。',
    'connections.delete': '删除应用',
    'connections.deleteTitle': ({ name }) => `删除“${name}”？`,
    'connections.deleteBody': 'weunion 将不再通过此微信应用让用户登录。用户及其微信身份会保留；之后可以重新添加此应用。',
    'connections.deleted': '微信应用已删除。',
    'connections.invalidUrl': '必须是完整的 URL',
    'copy.selected': '已选中 — 按 Ctrl+C（⌘C）复制。',
    'connections.error.appid': 'AppID 以 wx 开头，后接字母和数字。',
    'connections.error.token': '请使用 3–32 位字母或数字。',
    'connections.error.encodingAesKey': '必须是 43 位字母或数字。',
    'connections.error.originalId': '原始ID 以 gh_ 开头。',
    'connections.error.scenarios': '至少选择一个场景。',
    'scenarioHelp.s1': '电脑上的登录页显示公众号二维码；用户扫码并关注公众号后，电脑即登录。',
    'scenarioHelp.s2': '电脑上跳转到微信网站扫码登录页；用户用手机扫码并确认后，回到网站即已登录。',
    'scenarioHelp.s3': '电脑上的登录页显示小程序码；用户扫码并在小程序中确认后，电脑即登录。',
    'scenarioHelp.s4': '在微信内打开的网页通过公众号网页授权登录，已认识的用户无需操作。',
    'scenarioHelp.s5': '在小程序内通过 wx.login 登录，可选提供手机号。',
    'scenarioHelp.s6': 'iOS 或 Android 应用通过微信 OpenSDK 登录：打开微信，用户确认，回到应用即已登录。',
    'scenarioHelp.s7': '移动应用打开你的小程序，小程序完成登录并把结果交回应用。',
    'policy.registration': '新用户',
    'policy.registration.help': '当微信登录匹配不到任何账号时。',
    'policy.registration.allow': '为其创建账号',
    'policy.registration.deny': '拒绝 — 只有已有账号的人才能登录',
    'policy.fieldMatching': '按资料关联',
    'policy.fieldMatching.help': '新的微信身份是否加入资料相同（已验证）的已有账号。从不按姓名关联。',
    'policy.fieldMatching.none': '从不 — 新的微信身份就是新账号（除非以其他方式关联）',
    'policy.fieldMatching.phone': '已验证的手机号相同',
    'policy.fieldMatching.phoneEmail': '先看已验证的手机号，再看已验证的邮箱',
    'policy.queryBinding': '询问已有账号',
    'policy.queryBinding.help': '询问未被认出的人是否已有账号，并让他证明。',
    'policy.queryBinding.off': '不询问',
    'policy.queryBinding.offer': '提供 — 可以证明已有账号，也可以新建账号',
    'policy.queryBinding.require': '要求 — 必须证明已有账号，不能新建',
    'policy.bindingMethods': '证明账号的方式',
    'policy.bindingMethods.help': '询问已有账号时使用。至少选一种。',
    'policy.bindingMethods.password': '密码',
    'policy.bindingMethods.sms': '短信验证码',
    'policy.bindingMethods.email': '邮件验证码',
    'policy.onMultipleMatches': '匹配到多个账号',
    'policy.onMultipleMatches.help': '一次登录匹配到不止一个账号时（例如两个账号有同一个手机号）。',
    'policy.onMultipleMatches.select': '让用户选择哪个账号是自己的',
    'policy.onMultipleMatches.refuse': '拒绝登录（由管理员处理）',
    'policy.autoMergeOnUnionid': '按 unionid 合并',
    'policy.autoMergeOnUnionid.help': '当后来出现的 unionid 表明两个账号属于同一个人时。',
    'policy.autoMergeOnUnionid.true': '自动合并',
    'policy.autoMergeOnUnionid.false': '交给管理员（控制台中出现合并建议）',
  },
});

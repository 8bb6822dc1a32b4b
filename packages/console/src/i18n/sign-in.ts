import { defineDictionary } from './dictionary.ts';

export const signIn = defineDictionary({
  en: {
    'signIn.title': 'Sign in to weunion',
    'signIn.username': 'Username',
    'signIn.password': 'Password',
    'signIn.totp': 'Authenticator code',
    'signIn.totpHint': 'The 6-digit code your authenticator app shows for weunion, or one of your recovery codes (xxxxx-xxxxx).',
    'signIn.submit': 'Sign in',
    'signIn.needsAdmin': 'No administrator exists yet. Create the first one on the server, then sign in here:',
    'origin.wrong': ({ here, publicUrl }) =>
      `This page is open at ${here}, but weunion's public address (PUBLIC_URL) is ${publicUrl}. The server refuses sign-in and changes from any other address.`,
    'origin.refused': ({ here, publicUrl }) =>
      `The server refused this because the page is open at ${here}, not at weunion's public address (PUBLIC_URL) ${publicUrl}.`,
    'origin.refusedProxy': ({ publicUrl }) =>
      `The server refused this because the request did not come from weunion's public address (PUBLIC_URL) ${publicUrl}. A proxy in front of weunion may be changing the request's Origin header.`,
    'origin.openAt': 'Open the console at:',
    'origin.setPublicUrl': ({ here }) =>
      `If ${here} is the address people should use, set PUBLIC_URL to it in weunion's environment and restart the server.`,
  },
  'zh-CN': {
    'signIn.title': '登录 weunion',
    'signIn.username': '用户名',
    'signIn.password': '密码',
    'signIn.totp': '动态验证码',
    'signIn.totpHint': '身份验证器 App 中 weunion 的 6 位验证码，或一个恢复码（xxxxx-xxxxx）。',
    'signIn.submit': '登录',
    'signIn.needsAdmin': '还没有管理员账号。请先在服务器上创建第一个管理员，然后在这里登录：',
    'origin.wrong': ({ here, publicUrl }) =>
      `当前页面的地址是 ${here}，但 weunion 的公开地址（PUBLIC_URL）是 ${publicUrl}。服务器会拒绝来自其他地址的登录和修改。`,
    'origin.refused': ({ here, publicUrl }) =>
      `服务器拒绝了此操作：当前页面的地址是 ${here}，而不是 weunion 的公开地址（PUBLIC_URL）${publicUrl}。`,
    'origin.refusedProxy': ({ publicUrl }) =>
      `服务器拒绝了此操作：请求不是来自 weunion 的公开地址（PUBLIC_URL）${publicUrl}。weunion 前面的代理可能修改了请求的 Origin 头。`,
    'origin.openAt': '请在此地址打开控制台：',
    'origin.setPublicUrl': ({ here }) =>
      `如果 ${here} 才是大家应该使用的地址，请在 weunion 的环境变量中把 PUBLIC_URL 设为它，然后重启服务器。`,
  },
});

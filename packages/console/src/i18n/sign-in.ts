import { defineDictionary } from './dictionary.ts';

export const signIn = defineDictionary({
  en: {
    'signIn.title': 'Sign in to weunion',
    'signIn.username': 'Username',
    'signIn.password': 'Password',
    'signIn.totp': 'Authenticator code',
    'signIn.totpHint': 'The 6-digit code your authenticator app shows for weunion.',
    'signIn.submit': 'Sign in',
    'signIn.needsAdmin': 'No administrator exists yet. Create the first one on the server, then sign in here:',
  },
  'zh-CN': {
    'signIn.title': '登录 weunion',
    'signIn.username': '用户名',
    'signIn.password': '密码',
    'signIn.totp': '动态验证码',
    'signIn.totpHint': '身份验证器 App 中 weunion 的 6 位验证码。',
    'signIn.submit': '登录',
    'signIn.needsAdmin': '还没有管理员账号。请先在服务器上创建第一个管理员，然后在这里登录：',
  },
});

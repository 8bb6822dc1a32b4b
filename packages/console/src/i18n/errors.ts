import { defineDictionary } from './dictionary.ts';

/** Problem codes from the server (packages/errors) worth saying in the reader's words; others show the server's detail. */
export const errors = defineDictionary({
  en: {
    'error.network_error': 'The server could not be reached. Check the connection and try again.',
    'error.bad_response': 'The server answered something the console does not understand.',
    'error.unauthorized': 'Your session has ended. Please sign in again.',
    'error.forbidden': 'You are not allowed to do this.',
    'error.csrf_failed': 'The page is out of date. Reload it and try again.',
    'error.rate_limited': 'Too many attempts. Wait a minute and try again.',
    'error.not_found': 'Not found. It may have been deleted.',
    'error.console_login_failed': 'Wrong username or password.',
    'error.totp_required': 'Enter the 6-digit code from your authenticator app.',
    'error.totp_invalid': 'That code is not right. Codes change every 30 seconds; try the current one.',
  },
  'zh-CN': {
    'error.network_error': '无法连接服务器，请检查网络后重试。',
    'error.bad_response': '服务器返回了控制台无法识别的内容。',
    'error.unauthorized': '登录已过期，请重新登录。',
    'error.forbidden': '你没有权限执行此操作。',
    'error.csrf_failed': '页面已过期，请刷新后重试。',
    'error.rate_limited': '尝试次数过多，请稍等一分钟再试。',
    'error.not_found': '未找到，可能已被删除。',
    'error.console_login_failed': '用户名或密码错误。',
    'error.totp_required': '请输入身份验证器 App 中的 6 位验证码。',
    'error.totp_invalid': '验证码不正确。验证码每 30 秒变化一次，请输入当前的验证码。',
  },
});

// What a page shows for a weunion or WeChat failure: the person's next step, by the error's code.
const MESSAGES = {
  phone_denied: 'The phone number was not shared.',
  phone_required: 'This app needs your phone number to sign in.',
  wechat_code_invalid: 'The WeChat login expired. Please try again.',
  wechat_high_risk_user: 'WeChat has blocked this login for security reasons.',
  wechat_rate_limited: 'Too many attempts. Try again in a minute.',
  rate_limited: 'Too many attempts. Try again in a minute.',
  login_refused: 'This WeChat account cannot sign in here.',
  gone: 'This code has expired. Refresh it on the other screen and scan again.',
  conflict: 'This login was already completed or cancelled.',
  not_found: 'This login has expired.',
  binding_failed: 'No account matches these details.',
  verification_failed: 'The code is wrong or has expired.',
  verification_attempts_exceeded: 'Too many wrong codes. Ask for a new one.',
  binding_locked: 'Too many failed attempts to link an account. Try again later.',
  login_expired: 'This sign-in has expired. Please start again.',
  network_error: 'weunion could not be reached. Check the network and the request domain whitelist.',
};

function messageFor(error) {
  if (error && typeof error.code === 'string') return MESSAGES[error.code] || error.message || error.code;
  return String(error);
}

module.exports = { messageFor };

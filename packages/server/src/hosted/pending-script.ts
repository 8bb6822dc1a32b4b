/**
 * The small script behind the select and bind pages (vanilla JS, no build step, no third-party
 * code). It calls the same JSON endpoints a custom page would (`/api/login/pending/…`, same-origin
 * cookies), reads their problem documents for what to say, and follows the answer: signed in →
 * `returnTo`, asked again → `next`. Its words come from the page (`#wu-copy`), so this source is
 * the same for every language and request.
 *
 * Wiring, by markup: `[data-select]` buttons (select page); `form[data-password]`,
 * `form[data-code]` with `[data-send]` and a hidden `[data-answer]` part (bind page);
 * `[data-create]`, `[data-cancel]`. `#wu-status` (polite) and `#wu-alert` (assertive) are the live regions, plus a
 * `[data-alert]` in each bind section so a wrong answer shows next to its form;
 * `#wu-restart` is revealed when the sign-in cannot go on.
 */
export const PENDING_PAGE_SCRIPT = `(() => {
  'use strict';
  const byId = (id) => document.getElementById(id);
  const copy = JSON.parse(byId('wu-copy').textContent);
  const status = byId('wu-status');
  const alertBox = byId('wu-alert');
  const restart = byId('wu-restart');
  const TERMINAL = ['login_expired', 'verification_attempts_exceeded', 'binding_locked'];
  let working = false;
  let ended = false;

  const isLocal = (path) => typeof path === 'string' && path.startsWith('/') && !path.startsWith('//') && !path.includes('\\\\');
  const alerts = () => document.querySelectorAll('#wu-alert, [data-alert]');
  const say = (text) => { for (const box of alerts()) box.textContent = ''; status.textContent = text; };
  /** Shows a problem beside the form it concerns (its section's own alert), else at the top. */
  const warn = (text, origin) => {
    say('');
    const box = (origin && origin.closest('section') && origin.closest('section').querySelector('[data-alert]')) || alertBox;
    box.textContent = text;
  };
  const controls = () => document.querySelectorAll('main button, main input');

  // Mainland numbers are usually typed without the country code; the server wants E.164.
  const phone = (value) => {
    const compact = value.replace(/[\\s()-]/g, '');
    if (/^1\\d{10}$/.test(compact)) return '+86' + compact;
    if (compact.startsWith('00')) return '+' + compact.slice(2);
    return compact;
  };
  const login = (value) => (value.includes('@') ? value.trim() : phone(value));

  const problemText = (problem) => {
    const own = copy.errors[problem.code];
    let text = own || problem.detail || problem.title || copy.errors.generic;
    const left = problem.attemptsLeft;
    if (typeof left === 'number' && left > 0) text += (left === 1 ? copy.attemptLeft : copy.attemptsLeft).replace('{n}', String(left));
    return text;
  };

  const end = (text) => {
    ended = true;
    warn(text);
    for (const control of controls()) control.disabled = true;
    restart.hidden = false;
    restart.querySelector('a').focus();
  };

  const follow = (answer) => {
    const target = answer.status === 'signed_in' ? answer.returnTo : answer.next;
    if (answer.status === 'cancelled') return location.assign(isLocal(target) ? target : '/login');
    say(copy.done);
    location.assign(isLocal(target) ? target : '/');
  };

  /** POSTs to a pending endpoint; resolves with the answer, or null after showing the problem (beside origin). */
  const call = async (path, body, origin) => {
    if (working || ended) return null;
    working = true;
    const active = document.activeElement;
    document.body.setAttribute('aria-busy', 'true');
    say(copy.working);
    try {
      const response = await fetch(path, {
        method: 'POST',
        credentials: 'same-origin',
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      let data = {};
      try { data = await response.json(); } catch { data = {}; }
      if (response.ok) return data;
      if (TERMINAL.includes(data.code)) end(problemText(data));
      else warn(problemText(data), origin);
      return null;
    } catch {
      warn(copy.errors.network, origin);
      return null;
    } finally {
      working = false;
      document.body.removeAttribute('aria-busy');
      if (!ended && active instanceof HTMLElement && document.activeElement !== active) active.focus();
    }
  };

  for (const button of document.querySelectorAll('[data-select]')) {
    button.addEventListener('click', async () => {
      const answer = await call('/api/login/pending/select', { userId: button.dataset.select }, button);
      if (answer) follow(answer);
    });
  }

  for (const form of document.querySelectorAll('form[data-password]')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const password = form.elements.namedItem('password');
      const answer = await call('/api/login/pending/bind/password', {
        login: login(form.elements.namedItem('login').value),
        password: password.value,
      }, form);
      if (answer) return follow(answer);
      if (!ended) { password.value = ''; password.focus(); }
    });
  }

  for (const form of document.querySelectorAll('form[data-code]')) {
    const channel = form.dataset.code;
    const destinationInput = form.elements.namedItem('destination');
    const codeInput = form.elements.namedItem('code');
    const send = form.querySelector('[data-send]');
    const answerPart = form.querySelector('[data-answer]');
    const destination = () => (channel === 'sms' ? phone(destinationInput.value) : destinationInput.value.trim());
    let wait = 0;
    const tick = () => {
      if (wait <= 0) { send.textContent = copy.send; send.removeAttribute('aria-disabled'); return; }
      send.textContent = copy.resendIn.replace('{n}', String(wait));
      send.setAttribute('aria-disabled', 'true');
      wait -= 1;
      setTimeout(tick, 1000);
    };
    send.addEventListener('click', async () => {
      if (wait > 0 || !destinationInput.reportValidity()) return;
      const sent = await call('/api/login/pending/bind/code/send', { channel, destination: destination() }, form);
      if (!sent) return;
      say(copy.sent.replace('{to}', destinationInput.value.trim()));
      answerPart.hidden = false;
      codeInput.required = true;
      codeInput.focus();
      wait = 60;
      tick();
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (answerPart.hidden) return send.click();
      const answer = await call('/api/login/pending/bind/code', { channel, destination: destination(), code: codeInput.value.trim() }, form);
      if (answer) return follow(answer);
      if (!ended) { codeInput.value = ''; codeInput.focus(); }
    });
  }

  for (const button of document.querySelectorAll('[data-create]')) {
    button.addEventListener('click', async () => {
      const answer = await call('/api/login/pending/create', undefined, button);
      if (answer) follow(answer);
    });
  }

  for (const button of document.querySelectorAll('[data-cancel]')) {
    button.addEventListener('click', async () => {
      const answer = await call('/api/login/pending/cancel', undefined, button);
      if (answer) follow(answer);
    });
  }

  // Last sign-in times in the reader's own time zone (the server rendered them in UTC).
  for (const time of document.querySelectorAll('time[data-local]')) {
    const date = new Date(time.dateTime);
    if (!Number.isNaN(date.getTime())) time.textContent = date.toLocaleString(document.documentElement.lang, { dateStyle: 'medium', timeStyle: 'short' });
  }
})();`;

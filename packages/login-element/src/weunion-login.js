/**
 * <weunion-login>: the WeChat login widget for PC pages, served by weunion at
 * /assets/weunion-login.js and used by its hosted login page.
 *
 * Shows the enabled methods as tabs: S1 (follow the official account by QR), S2 (WeChat website
 * QR, by redirect), S3 (mini program code) and `sms` (a code texted to a phone number). QR tickets are followed by Server-Sent Events with
 * a long-poll fallback; when the person confirms on the phone the ticket is redeemed (cookie-bound
 * to this browser) and the page moves on to `return-to` (or to account selection / binding).
 *
 * Only the ticket ends the watch (the same rules as @weunion/sdk-browser): when the connection
 * drops — the instance serving it died, the network blinked — the widget says it is reconnecting
 * and tries again after a backoff (0.5 s doubling to 10 s, with jitter), resuming from the last
 * version heard, and reaches whichever instance answers. A stream that never worked is checked
 * against the status route: if that answers, something in the way blocks event streams and the
 * widget long-polls from then on. A 4xx from weunion is the ticket's fate (404: gone, offered as
 * expired).
 *
 * On a phone outside WeChat, method `s3link` offers "Open in WeChat": a URL Scheme into the mini
 * program's login page with the ticket, followed the same way.
 *
 * Attributes: methods="s1 s2 s3 s3link sms" · agreed (the person ticked the application's "I agree";
 * sent as `agreed` when a ticket is opened) · return-to="/…" (a path on weunion, or a URL on a registered web
 * origin of an application, e.g. the embedding page's own) · client="<client_id>" (the application
 * the login is for: its scenarios and identity policy apply) · base="https://id.example" (default:
 * where this script was loaded from — weunion's /assets) · lang="zh-CN|en" (default: the
 * document's, then the browser's) · auto-refresh (renew an expired QR by itself, up to 5 times in a
 * row or `auto-refresh="N"`; then the person's button).
 *
 * On another site: load it from weunion (`<script type="module" src="https://id.example/assets/weunion-login.js">`)
 * on a page whose origin an application registered (its redirect URIs' origins count); weunion's
 * login APIs answer CORS with credentials for those origins only.
 * Events (bubbling, composed): weunion-scanned, weunion-confirmed, weunion-expired,
 * weunion-cancelled, weunion-reconnecting (detail: {attempt, delayMs}), weunion-error (detail:
 * {code, message}), weunion-login (detail: the answer;
 * cancel it with preventDefault() to handle navigation yourself).
 * Theming: --weunion-accent, --weunion-text, --weunion-muted, --weunion-surface, --weunion-radius.
 */

const TEXT = {
  en: {
    s1: 'Official account',
    s2: 'WeChat QR',
    s3: 'Mini program',
    s1Hint: 'Scan with WeChat and follow the official account to log in.',
    s2Hint: 'Log in with your WeChat account on the next page.',
    s2Button: 'Continue with WeChat',
    s3Hint: 'Scan the mini program code with WeChat to log in.',
    s3link: 'Open in WeChat',
    s3linkButton: 'Open in WeChat',
    s3linkHint: 'WeChat opens the mini program: confirm there (share your phone number if you like), then come back to this page.',
    linkLoading: 'Preparing the link…',
    opened: 'Opened in WeChat — confirm in the mini program.',
    loading: 'Preparing the QR code…',
    scanned: 'Scanned — confirm on your phone.',
    confirmed: 'Confirmed — logging you in…',
    expired: 'This QR code has expired.',
    cancelled: 'Login was cancelled on the phone.',
    refresh: 'Get a new QR code',
    failed: 'Something went wrong.',
    reconnecting: 'Connection lost — reconnecting…',
    unreachable: 'The login service cannot be reached from this page (is this site registered as a web origin of the application?).',
    by: 'scanned by',
    sms: 'SMS code',
    smsHint: 'Log in with a code texted to your phone.',
    phone: 'Mobile number',
    code: 'Code',
    send: 'Send code',
    resend: 'Send again',
    sent: 'Code sent to',
    logIn: 'Log in',
  },
  'zh-CN': {
    s1: '公众号',
    s2: '微信扫码',
    s3: '小程序',
    s1Hint: '请使用微信扫码，关注公众号即可登录。',
    s2Hint: '在下一页使用微信账号登录。',
    s2Button: '使用微信登录',
    s3Hint: '请使用微信扫描小程序码登录。',
    s3link: '在微信中打开',
    s3linkButton: '在微信中打开',
    s3linkHint: '将打开微信小程序：在小程序中确认登录（可授权手机号），然后回到本页面。',
    linkLoading: '正在生成链接…',
    opened: '已在微信中打开，请在小程序中确认。',
    loading: '正在生成二维码…',
    scanned: '已扫码，请在手机上确认。',
    confirmed: '已确认，正在登录…',
    expired: '二维码已过期。',
    cancelled: '已在手机上取消登录。',
    refresh: '刷新二维码',
    failed: '出错了。',
    reconnecting: '连接中断，正在重新连接…',
    unreachable: '此页面无法连接登录服务（该网站是否已登记为应用的网页来源？）。',
    by: '扫码用户',
    sms: '短信登录',
    smsHint: '使用手机短信验证码登录。',
    phone: '手机号',
    code: '验证码',
    send: '获取验证码',
    resend: '重新发送',
    sent: '验证码已发送至',
    logIn: '登录',
  },
};

const STYLE = `
:host { display: block; font-family: system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif;
  color: var(--weunion-text, #1f2328); --accent: var(--weunion-accent, #067a45); max-width: 22rem; }
.tabs { display: flex; gap: .25rem; border-bottom: 1px solid #d0d7de; margin-bottom: 1rem; overflow-x: auto; }
.tab { flex: 1 1 auto; background: none; border: 0; border-bottom: 2px solid transparent; padding: .5rem .4rem;
  cursor: pointer; white-space: nowrap; font: inherit; font-size: .9rem; color: var(--weunion-muted, #57606a); }
.tab[aria-selected="true"] { color: inherit; border-bottom-color: var(--accent); font-weight: 600; }
.tab:focus-visible, button:focus-visible, a:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.panel { text-align: center; background: var(--weunion-surface, transparent); border-radius: var(--weunion-radius, 8px); padding: .5rem; }
.qr { width: 200px; height: 200px; border: 1px solid #d0d7de; border-radius: var(--weunion-radius, 8px); }
.qr.dim, .primary.dim { opacity: .25; }
.hint { color: var(--weunion-muted, #57606a); font-size: .9rem; }
.status { min-height: 1.5rem; font-weight: 500; }
.status.error { color: #cf222e; }
.primary { display: inline-block; background: var(--accent); color: #fff; border: 0; border-radius: var(--weunion-radius, 8px);
  padding: .6rem 1.2rem; font: inherit; cursor: pointer; text-decoration: none; }
.sms { display: grid; gap: .5rem; text-align: left; }
.sms input { font: inherit; padding: .5rem; border: 1px solid #d0d7de; border-radius: var(--weunion-radius, 8px); }
.sms .row { display: flex; gap: .5rem; } .sms .row input { flex: 1; min-width: 0; }
.secondary { background: none; border: 1px solid #d0d7de; border-radius: var(--weunion-radius, 8px); padding: .4rem .9rem; font: inherit; cursor: pointer; }
`;

/**
 * The widget's styles as a constructable stylesheet where the browser has them: a page whose
 * content security policy allows no inline `<style>` (weunion's own login page among them) still
 * styles the widget, since adopted sheets are not inline styles. Older browsers get a `<style>`.
 */
let sharedSheet = null;
function adoptStyle(root) {
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    if (sharedSheet === null) {
      sharedSheet = new CSSStyleSheet();
      sharedSheet.replaceSync(STYLE);
    }
    root.adoptedStyleSheets = [sharedSheet];
    return;
  }
  const style = document.createElement('style');
  style.textContent = STYLE;
  root.append(style);
}

const QR_METHODS = new Set(['s1', 's3']);
/** Where this script came from: weunion, when a page on another site loads it from weunion's /assets. */
const SCRIPT_ORIGIN = ((origin) => (origin === 'null' ? location.origin : origin))(new URL(import.meta.url).origin);
const LONG_POLL_SECONDS = 25;
/** Expired QRs `auto-refresh` renews in a row before asking the person (as the browser SDK). */
const DEFAULT_AUTO_REFRESHES = 5;
const BACKOFF_INITIAL_MS = 500;
const BACKOFF_MAX_MS = 10_000;

/** Waits of 50–100 % of 0.5 s · 2^attempt, at most 10 s: many widgets do not all come back at once. */
function backoffDelay(attempt) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** An answer from weunion that was not a success: its problem code and status. */
class AnswerError extends Error {
  constructor(status, body) {
    super(body?.detail || body?.title || `weunion answered ${status}`);
    this.status = status;
    this.code = body?.code || `http_${status}`;
  }
}

/** 4xx other than 408/429: about the ticket, not the connection. */
const isTicketsFate = (error) =>
  error instanceof AnswerError && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;

function pickLanguage(element) {
  const wanted = element.getAttribute('lang') || document.documentElement.lang || navigator.language || 'en';
  return wanted.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export class WeunionLogin extends HTMLElement {
  static get observedAttributes() {
    return ['methods', 'lang', 'return-to'];
  }

  constructor() {
    super();
    this.attachShadow({ mode: 'open' });
    this._follow = null;
    this._active = null;
    // Bumped by every select(): async work started for an older selection must stand down, so a
    // page never holds more than one ticket (each costs a WeChat API call) or one follower.
    this._generation = 0;
    this._autoRefreshes = 0;
    this._connected = false;
  }

  connectedCallback() {
    this._connected = true;
    this._render();
  }

  disconnectedCallback() {
    this._connected = false;
    this._generation++;
    this._stopFollowing();
  }

  attributeChangedCallback(_name, before, after) {
    // Attributes present in the HTML arrive before connectedCallback: only later changes re-render.
    if (this._connected && before !== after) this._render();
  }

  get methods() {
    const list = (this.getAttribute('methods') || 's1 s2 s3').split(/[\s,]+/).filter((m) => m in TEXT.en && m.startsWith('s'));
    return list.length > 0 ? list : ['s2'];
  }

  get base() {
    return (this.getAttribute('base') || SCRIPT_ORIGIN).replace(/\/+$/, '');
  }

  get returnTo() {
    return this.getAttribute('return-to') || '/';
  }

  get client() {
    return this.getAttribute('client') || undefined;
  }

  _t(key) {
    return TEXT[pickLanguage(this)][key];
  }

  _render() {
    this._stopFollowing();
    const root = this.shadowRoot;
    root.innerHTML = '';
    adoptStyle(root);
    const methods = this.methods;
    const tabs = document.createElement('div');
    tabs.className = 'tabs';
    tabs.setAttribute('role', 'tablist');
    this._panel = document.createElement('div');
    this._panel.className = 'panel';
    this._panel.setAttribute('role', 'tabpanel');
    for (const method of methods) {
      const tab = document.createElement('button');
      tab.className = 'tab';
      tab.type = 'button';
      tab.setAttribute('role', 'tab');
      tab.dataset.method = method;
      tab.textContent = this._t(method);
      tab.addEventListener('click', () => this.select(method));
      tab.addEventListener('keydown', (event) => {
        const index = methods.indexOf(method);
        const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
        if (step === 0) return;
        const next = methods[(index + step + methods.length) % methods.length];
        this.select(next);
        root.querySelector(`[data-method="${next}"]`)?.focus();
      });
      tabs.append(tab);
    }
    if (methods.length > 1) root.append(tabs);
    root.append(this._panel);
    this.select(methods[0]);
  }

  /** Shows one method (s1, s2 or s3). */
  select(method) {
    this._selectBy(method, 'person');
  }

  _selectBy(method, by) {
    // The person choosing (a tab, the refresh button) starts the count of automatic renewals again.
    if (by === 'person') this._autoRefreshes = 0;
    this._stopFollowing();
    this._generation++;
    this._active = method;
    for (const tab of this.shadowRoot.querySelectorAll('.tab')) {
      const selected = tab.dataset.method === method;
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    this._panel.innerHTML = '';
    if (QR_METHODS.has(method)) this._startQr(method);
    else if (method === 's3link') this._startLink();
    else if (method === 'sms') this._showSms();
    else this._showRedirect(method);
  }

  _showRedirect(method) {
    const hint = document.createElement('p');
    hint.className = 'hint';
    hint.textContent = this._t(`${method}Hint`);
    const link = document.createElement('a');
    link.className = 'primary';
    const query = new URLSearchParams({ returnTo: this.returnTo });
    if (this.client) query.set('client', this.client);
    if (this.hasAttribute('agreed')) query.set('agreed', '1');
    link.href = `${this.base}/login/${method}?${query}`;
    link.textContent = this._t('s2Button');
    this._panel.append(hint, link);
  }

  /** SMS code login: number, code, session — through /api/login/sms/send and /verify. */
  _showSms() {
    const form = document.createElement('form');
    form.className = 'sms';
    const field = (name, type, autocomplete) => {
      const input = document.createElement('input');
      input.name = name;
      input.type = type;
      input.autocomplete = autocomplete;
      input.setAttribute('aria-label', this._t(name));
      input.placeholder = this._t(name);
      return input;
    };
    const phone = field('phone', 'tel', 'tel');
    const code = field('code', 'text', 'one-time-code');
    code.inputMode = 'numeric';
    const send = document.createElement('button');
    send.type = 'button';
    send.className = 'secondary';
    send.dataset.send = '';
    send.textContent = this._t('send');
    const row = document.createElement('div');
    row.className = 'row';
    row.append(phone, send);
    const submit = document.createElement('button');
    submit.type = 'submit';
    submit.className = 'primary';
    submit.textContent = this._t('logIn');
    const status = document.createElement('p');
    status.className = 'status';
    status.setAttribute('role', 'status');
    const hint = document.createElement('p');
    hint.className = 'hint';
    hint.textContent = this._t('smsHint');
    form.append(row, code, submit, status);
    this._panel.append(hint, form);
    this._status = status;
    const post = async (path, body) => {
      const payload = { ...body, phone: phone.value, returnTo: this.returnTo, ...(this.client ? { client: this.client } : {}) };
      const response = await fetch(`${this.base}${path}`, {
        method: 'POST',
        credentials: 'include',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) throw Object.assign(new Error(answer.detail || answer.title || ''), { code: answer.code });
      return answer;
    };
    send.addEventListener('click', async () => {
      status.classList.remove('error');
      send.disabled = true;
      try {
        const answer = await post('/api/login/sms/send', { language: pickLanguage(this) });
        status.textContent = `${this._t('sent')} ${answer.phone}`;
        send.textContent = this._t('resend');
        setTimeout(
          () => {
            send.disabled = false;
          },
          (answer.resendAfterSeconds || 60) * 1000,
        );
        code.focus();
      } catch (error) {
        send.disabled = false;
        this._fail(error);
      }
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      status.classList.remove('error');
      submit.disabled = true;
      try {
        const answer = await post('/api/login/sms/verify', { code: code.value.trim() });
        const proceed = this._emit('weunion-login', answer);
        if (proceed) location.assign(new URL(answer.returnTo || this.returnTo, `${this.base}/`).href);
      } catch (error) {
        submit.disabled = false;
        this._fail(error);
      }
    });
  }

  async _startQr(method) {
    const generation = this._generation;
    const image = document.createElement('img');
    image.className = 'qr dim';
    image.alt = this._t(method);
    const status = document.createElement('p');
    status.className = 'status';
    status.setAttribute('role', 'status');
    status.setAttribute('aria-live', 'polite');
    status.textContent = this._t('loading');
    const hint = document.createElement('p');
    hint.className = 'hint';
    hint.textContent = this._t(`${method}Hint`);
    this._panel.append(image, status, hint);
    this._status = status;
    this._image = image;
    try {
      const ticket = await this._openTicket(`/api/login/${method}`);
      if (generation !== this._generation) return;
      image.src = new URL(ticket.qrImageUrl, `${this.base}/`).href;
      image.classList.remove('dim');
      status.textContent = '';
      this._follow = this._followTicket(ticket, method);
    } catch (error) {
      if (generation !== this._generation) return;
      image.hidden = true; // no code to show: no empty frame either
      this._fail(error);
    }
  }

  /**
   * Opens a ticket at `path`, sending where to return, the application, and the person's agreement
   * when the page asked for it; throws weunion's problem (its detail, with the code) when refused.
   */
  async _openTicket(path) {
    const response = await fetch(`${this.base}${path}`, {
      method: 'POST',
      credentials: 'include',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        returnTo: this.returnTo,
        ...(this.client ? { client: this.client } : {}),
        ...(this.hasAttribute('agreed') ? { agreed: true } : {}),
      }),
    });
    const ticket = await response.json();
    if (!response.ok) throw Object.assign(new Error(ticket.detail || ticket.title), { code: ticket.code });
    return ticket;
  }

  /**
   * S3 on the same phone: a phone browser cannot scan its own screen, so weunion gets a link that
   * opens the mini program's login page with the ticket; the ticket is followed like a QR's.
   */
  async _startLink() {
    const generation = this._generation;
    const link = document.createElement('a');
    link.className = 'primary';
    link.hidden = true;
    link.textContent = this._t('s3linkButton');
    const status = document.createElement('p');
    status.className = 'status';
    status.setAttribute('role', 'status');
    status.setAttribute('aria-live', 'polite');
    status.textContent = this._t('linkLoading');
    const hint = document.createElement('p');
    hint.className = 'hint';
    hint.textContent = this._t('s3linkHint');
    this._panel.append(link, status, hint);
    this._status = status;
    this._image = link;
    try {
      const ticket = await this._openTicket('/api/login/s3/link');
      if (generation !== this._generation) return;
      link.href = ticket.openLink;
      link.hidden = false;
      status.textContent = '';
      this._follow = this._followTicket(ticket, 's3link');
    } catch (error) {
      if (generation !== this._generation) return;
      this._fail(error);
    }
  }

  _followTicket(ticket, method) {
    const state = { closed: false, source: null, version: 0, failures: 0, transport: 'sse', timer: null };
    const statusUrl = new URL(ticket.status, `${this.base}/`).href;
    const eventsUrl = new URL(ticket.events, `${this.base}/`).href;
    const onStatus = (update) => {
      if (state.closed || state !== this._follow || typeof update !== 'object' || update === null || update.id !== ticket.ticketId) return;
      state.failures = 0;
      if (this._status && this._status.dataset.reconnecting !== undefined) {
        this._status.textContent = this._status.dataset.reconnecting;
        delete this._status.dataset.reconnecting;
      }
      if (update.version < state.version || (update.version === state.version && update.state !== 'expired')) return;
      state.version = update.version;
      this._onStatus(update, ticket, method);
    };
    const fate = (error) => {
      if (state.closed) return;
      this._stopFollowing();
      if (error.status === 404) {
        // The ticket is gone (an instance that kept it in memory restarted, or it lived out its time).
        this._emit('weunion-expired', {
          id: ticket.ticketId,
          state: 'expired',
          version: state.version,
          qrExpiresAt: ticket.qrExpiresAt,
          expiresAt: ticket.expiresAt,
        });
        this._renewOrOffer(method);
      } else this._fail(error);
    };
    const getStatus = async (query) => {
      const response = await fetch(`${statusUrl}${query}`, { credentials: 'include' });
      const body = await response.json().catch(() => undefined);
      if (!response.ok) throw new AnswerError(response.status, body);
      if (body === undefined) throw new AnswerError(502, undefined);
      return body;
    };
    const retryLater = (next) => {
      if (state.closed) return;
      const delayMs = backoffDelay(state.failures);
      state.failures += 1;
      if (this._status && this._status.dataset.reconnecting === undefined) {
        // What the line said before (e.g. "scanned"), to put back once weunion answers again.
        this._status.dataset.reconnecting = this._status.textContent;
        this._status.textContent = this._t('reconnecting');
      }
      this._emit('weunion-reconnecting', { attempt: state.failures, delayMs });
      state.timer = setTimeout(() => {
        state.timer = null;
        if (!state.closed) next();
      }, delayMs);
    };
    const longPoll = async () => {
      while (!state.closed) {
        try {
          onStatus(await getStatus(`?since=${state.version}&wait=${LONG_POLL_SECONDS}`));
        } catch (error) {
          if (state.closed) return;
          if (isTicketsFate(error)) return fate(error);
          return retryLater(longPoll);
        }
      }
    };
    const stream = () => {
      if (state.closed) return;
      let delivered = false;
      // ?since= resumes: a new EventSource cannot send Last-Event-ID itself.
      const source = new EventSource(state.version > 0 ? `${eventsUrl}?since=${state.version}` : eventsUrl, { withCredentials: true });
      state.source = source;
      source.addEventListener('status', (event) => {
        delivered = true;
        let update;
        try {
          update = JSON.parse(event.data);
        } catch {
          return;
        }
        onStatus(update);
      });
      source.onerror = async () => {
        // Take over from EventSource's own reconnecting: it neither backs off nor survives an HTTP error.
        source.close();
        if (state.source === source) state.source = null;
        if (state.closed) return;
        if (delivered) return retryLater(stream);
        // Never worked: is weunion unreachable, is the ticket gone, or are streams blocked on the way?
        try {
          onStatus(await getStatus(''));
          state.transport = 'long-poll';
          longPoll();
        } catch (error) {
          if (state.closed) return;
          if (isTicketsFate(error)) return fate(error);
          retryLater(stream);
        }
      };
    };
    if (typeof EventSource === 'function') stream();
    else {
      state.transport = 'long-poll';
      longPoll();
    }
    return state;
  }

  _stopFollowing() {
    if (this._follow) {
      this._follow.closed = true;
      if (this._follow.source) this._follow.source.close();
      clearTimeout(this._follow.timer);
    }
    this._follow = null;
  }

  async _onStatus(update, ticket, method) {
    const status = this._status;
    status.classList.remove('error');
    switch (update.state) {
      case 'scanned': {
        const who = update.scanner?.nickname ? ` (${this._t('by')} ${update.scanner.nickname})` : '';
        status.textContent = this._t(method === 's3link' ? 'opened' : 'scanned') + who;
        this._image.classList.add('dim');
        this._emit('weunion-scanned', update);
        return;
      }
      case 'confirmed':
        this._stopFollowing();
        status.textContent = this._t('confirmed');
        this._emit('weunion-confirmed', update);
        await this._redeem(ticket);
        return;
      case 'expired':
        this._stopFollowing();
        this._emit('weunion-expired', update);
        this._renewOrOffer(method);
        return;
      case 'cancelled':
        this._stopFollowing();
        this._emit('weunion-cancelled', update);
        this._offerRefresh(method, this._t('cancelled'));
        return;
      default:
    }
  }

  async _redeem(ticket) {
    try {
      const url = new URL(ticket.redeem, `${this.base}/`).href;
      let response;
      for (let attempt = 0; ; attempt++) {
        // Sent again only when no instance answered (a network failure, or a balancer's 502–504): an
        // answered redeem happened, and happens once.
        response = await fetch(url, { method: 'POST', credentials: 'include' }).catch((error) => {
          if (attempt >= 3) throw error;
          return null;
        });
        if (response !== null && (![502, 503, 504].includes(response.status) || attempt >= 3)) break;
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt)));
      }
      const answer = await response.json();
      if (!response.ok) throw Object.assign(new Error(answer.detail || answer.title), { code: answer.code });
      const proceed = this._emit('weunion-login', answer);
      if (proceed) location.assign(new URL(answer.next || answer.returnTo || this.returnTo, `${this.base}/`).href);
    } catch (error) {
      this._fail(error);
    }
  }

  /**
   * An expired QR: with `auto-refresh`, a new one by itself — at most 5 times in a row (or the
   * attribute's number), as every official-account QR spends the account's daily WeChat quota and
   * an abandoned tab must not spend it all day — then the person's "Get a new QR code" button.
   */
  _renewOrOffer(method) {
    const given = Number.parseInt(this.getAttribute('auto-refresh') ?? '', 10);
    const most = Number.isInteger(given) && given >= 0 ? given : DEFAULT_AUTO_REFRESHES;
    if (this.hasAttribute('auto-refresh') && this._autoRefreshes < most) {
      this._autoRefreshes++;
      this._selectBy(method, 'auto');
      return;
    }
    this._offerRefresh(method, this._t('expired'));
  }

  _offerRefresh(method, message) {
    this._status.textContent = message;
    this._image?.classList.add('dim');
    const again = document.createElement('button');
    again.type = 'button';
    again.className = 'secondary';
    again.textContent = this._t('refresh');
    again.addEventListener('click', () => this.select(method));
    this._panel.append(again);
    again.focus();
  }

  _fail(error) {
    if (!this._status) return;
    // fetch rejects with a TypeError when nothing readable came back: down, or refused by CORS.
    const unreachable = error instanceof TypeError;
    const message = unreachable ? this._t('unreachable') : error.message || '';
    this._status.textContent = `${this._t('failed')} ${message}`.trim();
    this._status.classList.add('error');
    this._emit('weunion-error', { code: unreachable ? 'network_error' : error.code || 'error', message });
  }

  /** Dispatches a cancelable event; returns false when a listener called preventDefault(). */
  _emit(type, detail) {
    return this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable: true }));
  }
}

if (!customElements.get('weunion-login')) customElements.define('weunion-login', WeunionLogin);

/**
 * The login page's own script (static source, allowed by the response's nonce; its values come
 * from the `wu-config` JSON block). It asks for a code only once the person may have one — at
 * once, or after "I agree" is ticked when the application requires it — and then:
 * - S2: fetches `/api/login/s2/embedded`, loads wxLogin.js from WeChat (the sandbox in sandbox
 *   mode) and draws WeChat's QR into the page with `new WxLogin(...)`; after the scan WeChat's
 *   frame sends this window to the S2 callback;
 * - S1, S3, and "Open in WeChat" on a phone (`s3link`): a `<weunion-login>` with that one method,
 *   which follows the ticket and moves on when the person confirms.
 * A login for an OIDC application that is refused or cancelled ends at the application.
 */
export const LOGIN_PAGE_SCRIPT = `(function () {
  var config = JSON.parse(document.getElementById('wu-config').textContent);
  var agree = document.getElementById('wu-agree');
  var status = document.getElementById('wu-status');
  var primary = document.getElementById('wu-primary');
  var other = document.getElementById('wu-other');
  var choices = Array.prototype.slice.call(document.querySelectorAll('button[data-way]'));
  var agreed = function () { return !agree || agree.checked; };
  var say = function (text) { if (status) status.textContent = text || ''; };

  function widget(box, way) {
    var element = document.createElement('weunion-login');
    element.setAttribute('methods', way);
    element.setAttribute('return-to', config.returnTo);
    if (config.client) element.setAttribute('client', config.client);
    element.setAttribute('lang', config.lang);
    if (agree) element.setAttribute('agreed', '');
    box.replaceChildren(element);
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      if (window.WxLogin) return resolve();
      var script = document.createElement('script');
      script.src = src;
      script.addEventListener('load', resolve);
      script.addEventListener('error', function () { reject(new Error(src)); });
      document.head.appendChild(script);
    });
  }

  function wechatQr(box) {
    var query = new URLSearchParams({ returnTo: config.returnTo });
    if (config.client) query.set('client', config.client);
    if (agree) query.set('agreed', '1');
    fetch('/api/login/s2/embedded?' + query, { credentials: 'same-origin' })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.detail || body.title || String(response.status));
          return body;
        });
      })
      .then(function (params) {
        return loadScript(params.scriptUrl).then(function () {
          // As WeChat's docs say, redirect_uri goes in URL-encoded (wxLogin.js concatenates it as given).
          new window.WxLogin({
            self_redirect: false,
            id: box.id,
            appid: params.appid,
            scope: params.scope,
            redirect_uri: encodeURIComponent(params.redirect_uri),
            state: params.state,
            lang: config.lang === 'en' ? 'en' : 'cn'
          });
          var frame = box.querySelector('iframe');
          if (frame) frame.title = config.frameTitle;
        });
      })
      .catch(function (error) { say(config.failed + ' ' + error.message); });
  }

  function start(box, way) {
    say('');
    if (way === 's2') wechatQr(box);
    else widget(box, way);
  }

  var started = false;
  function startPrimary() {
    if (started || !primary || !agreed()) return;
    started = true;
    start(primary, primary.getAttribute('data-way'));
  }
  if (agree) agree.addEventListener('change', function () { if (agree.checked) say(''); startPrimary(); });
  startPrimary();

  choices.forEach(function (button) {
    button.addEventListener('click', function () {
      if (!agreed()) { say(config.agreeFirst); agree.focus(); return; }
      choices.forEach(function (each) { each.setAttribute('aria-expanded', String(each === button)); });
      start(other, button.getAttribute('data-way'));
    });
  });

  var copy = document.getElementById('wu-copy');
  if (copy) copy.addEventListener('click', function () {
    navigator.clipboard.writeText(location.href).then(function () { copy.textContent = copy.getAttribute('data-copied'); });
  });

  // A refusal the widget hears (registration closed, account blocked…) or a cancel on the phone
  // ends an OIDC login at the application, as "cancel" does.
  if (config.abortUrl) {
    var abort = function (reason) { location.assign(config.abortUrl + '?reason=' + reason); };
    document.addEventListener('weunion-error', function (event) { if (event.detail && event.detail.code === 'login_refused') abort('login_refused'); });
    document.addEventListener('weunion-cancelled', function () { abort('cancelled'); });
  }
})();`;

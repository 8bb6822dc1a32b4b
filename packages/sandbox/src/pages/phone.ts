/**
 * The virtual phone: one page, vanilla JS, no third-party assets. It only calls the control API
 * (relative URLs, so it works under any mount prefix and host) and sets the `sandbox_person`
 * cookie that the in-WeChat-browser authorize page reads as "the WeChat user of this browser".
 */
import { layout, scriptValue } from './layout.ts';

export interface PhonePageOptions {
  publicUrl: string;
  cookiePath: string;
  cookieName: string;
  /**
   * The weunion server behind the demo apps (the sandbox's `callbackBaseUrl`). When set, a scanned
   * mini program code, or an opened URL Scheme / URL Link carrying `ticket=`, opens an emulation of
   * weunion's sample mini program login page, which calls weunion's `/api/mp/tickets/…` exactly as
   * the real one does (S3, S7, and S3 from a phone browser).
   */
  backendUrl?: string | undefined;
}

const BODY = `
<div class="card">
  <h1>模拟手机 · Virtual phone</h1>
  <label>当前微信用户 · Current WeChat user
    <select id="person"></select>
  </label>
  <details><summary class="muted">新建用户 · New person</summary>
    <input id="newNickname" placeholder="昵称 nickname">
    <input id="newPhone" placeholder="+8613800000009">
    <label class="muted"><input type="checkbox" id="newSnapshot" style="width:auto"> 快照页用户 snapshot-page user</label>
    <button id="createPerson">创建 · Create</button>
  </details>
</div>

<div class="card">
  <h2>短信与邮件 · Messages</h2>
  <a class="button" id="smsInbox" href="phone/sms">短信收件箱 · SMS inbox</a>
  <a class="button" href="mail">邮件 · Email outbox</a>
</div>

<div class="card">
  <h2>扫一扫 · Scan</h2>
  <div id="drop" style="border:2px dashed #ccc;border-radius:8px;padding:16px;text-align:center" class="muted">
    粘贴或拖入二维码图片 · Paste or drop a QR image here
    <br><input type="file" id="file" accept="image/*" style="width:auto">
  </div>
  <textarea id="content" rows="2" placeholder="或粘贴二维码内容 · or paste the QR content (URL)"></textarea>
  <button class="primary" id="scan">扫描 · Scan</button>
  <div id="result"></div>
</div>

<div class="card">
  <h2>公众号 · Official accounts</h2>
  <div id="accounts" class="muted">…</div>
</div>

<div class="card">
  <h2>授权回调域名 · Redirect domains</h2>
  <p class="muted">WeChat sends people back only to these domains (网页授权域名 / 授权回调域, and the
  official account's JS接口安全域名); an app without any refuses every login with "redirect_uri 参数错误".
  The demo apps start with the domain of weunion's PUBLIC_URL. Change them here, or with
  <code>PATCH /_sandbox/apps/:appid {"redirectDomains": ["id.example.com"]}</code>.</p>
  <div id="domains" class="muted">…</div>
</div>

<div class="card">
  <h2>微信内浏览器 · WeChat browser</h2>
  <p class="muted">Open a page (e.g. a connect/oauth2/authorize URL) as the current user.</p>
  <input id="browseUrl" placeholder="https://…/connect/oauth2/authorize?…">
  <button id="browse">打开 · Open</button>
</div>

<div class="card">
  <h2>手机应用 · Mobile app (SendAuth)</h2>
  <select id="mobileApp"></select>
  <input id="mobileState" placeholder="state">
  <button id="appLogin">微信登录 · Log in with WeChat</button>
  <button id="sampleAppLogin" hidden>示例APP登录 weunion · Sample app: log in (S6)</button>
  <div id="appLoginResult"></div>
</div>

<div class="card" id="miniProgramCard" hidden>
  <h2>小程序 · Mini program (S5)</h2>
  <select id="miniProgram"></select>
  <button class="primary" id="sampleMpLogin">示例小程序登录 · Sample mini program: log in</button>
  <button id="sampleMpPhoneLogin">手机号快捷登录 · …with phone number</button>
  <div id="mpLoginResult"></div>
</div>
`;

const SCRIPT = `
(function () {
  var cfg = window.SANDBOX;
  var api = function (path) { return new URL('_sandbox/' + path, location.href).href; };
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'onclick') node.onclick = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) if (arguments[i]) node.appendChild(arguments[i]);
    return node;
  }
  function call(method, path, body) {
    return fetch(api(path), {
      method: method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (json) {
        if (!r.ok) throw new Error(json.detail || json.title || ('HTTP ' + r.status));
        return json;
      });
    });
  }
  function show(target, title, data, cls) {
    target.innerHTML = '';
    target.appendChild(el('p', { class: cls || 'ok', text: title }));
    if (data !== undefined) target.appendChild(el('pre', { text: JSON.stringify(data, null, 2) }));
  }
  function fail(target) { return function (e) { show(target, '✗ ' + e.message, undefined, 'error'); }; }
  function person() { return $('person').value; }
  function setCookie(id) {
    document.cookie = cfg.cookieName + '=' + encodeURIComponent(id) + '; path=' + cfg.cookiePath + '; SameSite=Lax';
    localStorage.setItem('sandbox_person', id);
  }
  var apps = [];

  function loadPeople(select) {
    return call('GET', 'people').then(function (people) {
      var current = select || localStorage.getItem('sandbox_person');
      $('person').innerHTML = '';
      people.forEach(function (p) {
        var option = el('option', { value: p.id, text: p.nickname + ' (' + p.id + (p.phone ? ', ' + p.phone : '') + (p.snapshot ? ', snapshot' : '') + ')' });
        option.dataset.phone = p.phone || '';
        if (p.id === current) option.selected = true;
        $('person').appendChild(option);
      });
      if (person()) setCookie(person());
      smsLink();
    });
  }

  // The SMS inbox opens on the current person's number.
  function smsLink() {
    var selected = $('person').selectedOptions[0];
    var number = selected ? selected.dataset.phone : '';
    $('smsInbox').href = 'phone/sms' + (number ? '?number=' + encodeURIComponent(number) : '');
  }

  function loadApps() {
    return call('GET', 'apps').then(function (list) {
      apps = list;
      renderAccounts();
      renderDomains();
      $('mobileApp').innerHTML = '';
      apps.filter(function (a) { return a.type === 'mobile_app'; }).forEach(function (a) {
        $('mobileApp').appendChild(el('option', { value: a.appid, text: a.name + ' (' + a.appid + ')' }));
      });
      $('miniProgram').innerHTML = '';
      apps.filter(function (a) { return a.type === 'mini_program'; }).forEach(function (a) {
        $('miniProgram').appendChild(el('option', { value: a.appid, text: a.name + ' (' + a.appid + ')' }));
      });
    });
  }

  function renderDomains() {
    var box = $('domains');
    box.innerHTML = '';
    var out = el('div');
    apps.filter(function (a) { return a.type === 'official_account' || a.type === 'website'; }).forEach(function (a) {
      var input = el('input', { value: a.redirectDomains.join(', '), placeholder: 'id.example.com', 'aria-label': 'Redirect domains of ' + a.name });
      box.appendChild(el('div', {},
        el('b', { text: a.name }), el('span', { class: 'muted', text: ' ' + a.appid }),
        input,
        el('button', { text: '保存 · Save', onclick: function () {
          var domains = input.value.split(/[ ,]+/).filter(function (d) { return d !== ''; });
          call('PATCH', 'apps/' + a.appid, { redirectDomains: domains }).then(function (r) { a.redirectDomains = r.redirectDomains; show(out, '已保存 Saved', r.redirectDomains); }, fail(out));
        } })
      ));
    });
    box.appendChild(out);
  }

  function renderAccounts() {
    var box = $('accounts');
    box.innerHTML = '';
    var out = el('div');
    apps.filter(function (a) { return a.type === 'official_account'; }).forEach(function (a) {
      box.appendChild(el('div', {},
        el('b', { text: a.name }), el('span', { class: 'muted', text: ' ' + a.appid + ' ' }),
        el('button', { text: '关注 Follow', onclick: function () { call('POST', 'actions/follow', { personId: person(), appid: a.appid }).then(function (r) { show(out, r.changed ? '已关注 Followed' : '已经关注 Already following', r); }, fail(out)); } }),
        el('button', { text: '取消关注 Unfollow', onclick: function () { call('POST', 'actions/unfollow', { personId: person(), appid: a.appid }).then(function (r) { show(out, r.changed ? '已取消关注 Unfollowed' : '未关注 Not following', r); }, fail(out)); } })
      ));
    });
    box.appendChild(out);
  }

  // The sample mini program's login page, as weunion ships it: every call carries a fresh wx.login
  // code (the mini program proves it is itself), the phone button shows only when weunion asks.
  function sampleLogin(result, ticket, target) {
    var out = el('div');
    var box = el('div', { class: 'card' });
    var mp = function (action, extra) {
      return call('POST', 'actions/js-login', { personId: person(), appid: result.appid }).then(function (login) {
        var body = Object.assign({ appid: result.appid, code: login.code }, extra || {});
        return fetch(cfg.backendUrl + '/api/mp/tickets/' + encodeURIComponent(ticket) + '/' + action, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body)
        }).then(function (r) {
          return r.json().then(function (json) {
            if (!r.ok) throw new Error(json.detail || json.title || ('HTTP ' + r.status));
            return json;
          });
        });
      });
    };
    var confirm = function (withPhone) {
      return function () {
        var phone = withPhone
          ? call('POST', 'actions/phone-code', { personId: person(), appid: result.appid }).then(function (p) { return { phoneCode: p.code }; })
          : Promise.resolve({});
        phone.then(function (extra) { return mp('confirm', extra); }).then(function (r) {
          show(out, r.outcome === 'signed_in' ? '✓ 已登录 Logged in — the other screen continues' : 'weunion: ' + r.outcome, r);
        }, fail(out));
      };
    };
    target.appendChild(box);
    box.appendChild(el('p', { text: 'weunion 示例小程序 · weunion sample mini program' }));
    box.appendChild(out);
    mp('scan').then(function (scan) {
      box.appendChild(el('p', { text: '确认登录? · Log in on the other screen?' }));
      if (scan.phoneNumber !== 'required') box.appendChild(el('button', { class: 'primary', text: '确认登录 · Confirm', onclick: confirm(false) }));
      if (scan.phoneNumber !== 'not_needed') box.appendChild(el('button', { class: scan.phoneNumber === 'required' ? 'primary' : '', text: '手机号快捷登录 · Confirm with phone number', onclick: confirm(true) }));
      box.appendChild(el('button', { text: '取消 · Cancel', onclick: function () { mp('cancel').then(function (r) { show(out, '已取消 Cancelled', r); }, fail(out)); } }));
    }, fail(out));
  }

  function miniProgram(result, target) {
    var app = apps.find(function (a) { return a.appid === result.appid; });
    // The login ticket: a mini program code's scene (S3), or the ticket query of a URL Scheme / URL
    // Link weunion made for a phone browser ("Open in WeChat"), as the sample page reads options.query.ticket.
    var ticket = result.kind === 'mini_program_link' ? new URLSearchParams(result.query).get('ticket') : result.scene;
    if (cfg.backendUrl && ticket) sampleLogin(result, ticket, target);
    var out = el('div');
    var ext = el('input', { placeholder: 'extMsg (app-parameter)' });
    var message = el('input', { placeholder: '客服消息 · message to customer service' });
    target.appendChild(el('div', {},
      el('p', { text: '小程序 Mini program: ' + (app ? app.name : result.appid) }),
      el('p', { class: 'muted', text: 'page: ' + result.page + (result.kind === 'mini_program_link' ? ' · query: ' + result.query : ' · scene: ' + result.scene) + ' · ' + result.envVersion }),
      el('button', { class: 'primary', text: 'wx.login', onclick: function () { call('POST', 'actions/js-login', { personId: person(), appid: result.appid }).then(function (r) { show(out, 'wx.login code', r); }, fail(out)); } }),
      el('button', { text: '允许获取手机号 · Share phone number', onclick: function () { call('POST', 'actions/phone-code', { personId: person(), appid: result.appid }).then(function (r) { show(out, 'getPhoneNumber code', r); }, fail(out)); } }),
      message,
      el('button', { text: '发送客服消息 · Send to customer service', onclick: function () {
        var push = function (msg) { return call('POST', 'actions/mp-message', { personId: person(), appid: result.appid, message: msg }); };
        push({ type: 'user_enter_tempsession', sessionFrom: 'phone' }).then(function () { return push({ type: 'text', content: message.value || '你好' }); })
          .then(function (r) { show(out, r.pushed ? (r.pushed.delivered ? '已推送 Pushed to the mini program server' : '推送失败 Push not accepted') : '未配置消息推送 No push URL set', r); }, fail(out));
      } }),
      ext,
      el('button', { text: '返回APP · Return to app', onclick: function () {
        var mobile = apps.find(function (a) { return a.type === 'mobile_app'; });
        call('POST', 'actions/return-to-app', { personId: person(), appid: mobile ? mobile.appid : result.appid, extMsg: ext.value }).then(function (r) { show(out, 'launchApp → extMsg', r); }, fail(out));
      } }),
      out));
  }

  function websiteLogin(result, content, target) {
    var out = el('div');
    var decide = function (decision) {
      return function () {
        call('POST', 'actions/authorize', { personId: person(), url: content, decision: decision }).then(function (r) {
          show(out, decision === 'allow' ? '已确认登录 Confirmed — the computer continues' : '已取消 Cancelled', r);
        }, fail(out));
      };
    };
    target.appendChild(el('div', {},
      el('p', { text: '登录 ' + result.appName + ' ? · Log in to ' + result.appName + '?' }),
      el('button', { class: 'primary', text: '确认登录 · Confirm', onclick: decide('allow') }),
      el('button', { text: '取消 · Cancel', onclick: decide('deny') }),
      out));
  }

  function scan(body) {
    var target = $('result');
    body.personId = person();
    call('POST', 'actions/scan', body).then(function (result) {
      show(target, '扫描结果 Scanned: ' + result.kind, result);
      if (result.kind === 'mini_program_code' || result.kind === 'mini_program_link') miniProgram(result, target);
      if (result.kind === 'website_login') websiteLogin(result, result.content, target);
      if (result.kind === 'unknown' && /^https?:/.test(result.content)) target.appendChild(el('a', { href: result.content, target: '_blank', text: result.content }));
    }, fail(target));
  }

  function scanImage(file) {
    var reader = new FileReader();
    reader.onload = function () {
      var img = new Image();
      img.onload = function () {
        var canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
        var g = canvas.getContext('2d');
        g.fillStyle = '#fff'; g.fillRect(0, 0, canvas.width, canvas.height);
        g.drawImage(img, 0, 0);
        scan({ imageBase64: canvas.toDataURL('image/png') });
      };
      img.src = reader.result;
    };
    reader.readAsDataURL(file);
  }

  $('person').onchange = function () { setCookie(person()); smsLink(); };
  $('createPerson').onclick = function () {
    var body = { nickname: $('newNickname').value || undefined, phone: $('newPhone').value || undefined, snapshot: $('newSnapshot').checked };
    call('POST', 'people', body).then(function (p) { return loadPeople(p.id); }, function (e) { alert(e.message); });
  };
  $('scan').onclick = function () { if ($('content').value.trim()) scan({ content: $('content').value.trim() }); };
  $('file').onchange = function () { if (this.files[0]) scanImage(this.files[0]); };
  var drop = $('drop');
  drop.ondragover = function (e) { e.preventDefault(); };
  drop.ondrop = function (e) { e.preventDefault(); var f = e.dataTransfer.files[0]; if (f) scanImage(f); };
  document.addEventListener('paste', function (e) {
    var items = (e.clipboardData && e.clipboardData.items) || [];
    for (var i = 0; i < items.length; i++) if (items[i].type.indexOf('image/') === 0) { scanImage(items[i].getAsFile()); return; }
  });
  $('browse').onclick = function () { setCookie(person()); window.open($('browseUrl').value, '_blank'); };
  // With weunion behind the sandbox, the sample app and mini program log in to it for real (S5,
  // S6), with the codes WeChat would give them; the tokens weunion answers with are shown.
  function backend(path, body) {
    return fetch(cfg.backendUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (json) { if (!r.ok) throw new Error(json.detail || json.title || ('HTTP ' + r.status)); return json; }); });
  }
  function mpLogin(withPhone) {
    return function () {
      var appid = $('miniProgram').value;
      call('POST', 'actions/js-login', { personId: person(), appid: appid }).then(function (login) {
        var phone = withPhone ? call('POST', 'actions/phone-code', { personId: person(), appid: appid }) : Promise.resolve(null);
        return phone.then(function (p) { return backend('/api/mp/login', p ? { appid: appid, code: login.code, phoneCode: p.code } : { appid: appid, code: login.code }); });
      }).then(function (r) { show($('mpLoginResult'), '✓ weunion /api/mp/login', r); }, fail($('mpLoginResult')));
    };
  }
  if (cfg.backendUrl) {
    $('miniProgramCard').hidden = false;
    $('sampleAppLogin').hidden = false;
    $('sampleMpLogin').onclick = mpLogin(false);
    $('sampleMpPhoneLogin').onclick = mpLogin(true);
    $('sampleAppLogin').onclick = function () {
      var appid = $('mobileApp').value;
      call('POST', 'actions/app-login', { personId: person(), appid: appid, state: 'sample' })
        .then(function (r) { return backend('/api/app/login', { appid: appid, code: r.code, state: r.state }); })
        .then(function (r) { show($('appLoginResult'), '✓ weunion /api/app/login', r); }, fail($('appLoginResult')));
    };
  }
  $('appLogin').onclick = function () {
    call('POST', 'actions/app-login', { personId: person(), appid: $('mobileApp').value, state: $('mobileState').value || undefined })
      .then(function (r) { show($('appLoginResult'), 'SendAuth.Resp', r); }, fail($('appLoginResult')));
  };

  Promise.all([loadPeople(), loadApps()]).then(function () {
    var pending = new URLSearchParams(location.search).get('scan');
    if (pending) { $('content').value = pending; scan({ content: pending }); }
  });
})();
`;

export function phonePage(options: PhonePageOptions): string {
  const config = {
    cookieName: options.cookieName,
    cookiePath: options.cookiePath,
    publicUrl: options.publicUrl,
    backendUrl: options.backendUrl ?? null,
  };
  return layout('模拟手机 · Virtual phone', `${BODY}<script>window.SANDBOX = ${scriptValue(config)};</script><script>${SCRIPT}</script>`);
}

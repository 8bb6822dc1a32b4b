/**
 * Browser pages: WeChat's own (qrconnect, oauth2/authorize — what `open.weixin.qq.com` shows),
 * the landing pages behind QR contents, avatars, and the virtual phone.
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SandboxContext } from '../context.ts';
import { issueOAuthCode } from '../oauth.ts';
import { avatarSvg } from '../pages/avatar.ts';
import { errorPage, escapeHtml, layout, scriptValue } from '../pages/layout.ts';
import { phonePage } from '../pages/phone.ts';
import { renderQrSvg } from '../qr-image.ts';
import {
  type AuthorizeQuery,
  decideOAuth2,
  openQrconnectSession,
  qrconnectStatus,
  redirectWithCode,
  validateOAuth2Authorize,
  validateQrconnect,
} from '../web-authorize.ts';
import { parseControl, readQuery } from './input.ts';

export const PERSON_COOKIE = 'sandbox_person';

/**
 * WeChat's `WxLogin` constructor: an iframe showing qrconnect with the same parameters. As WeChat's
 * own wxLogin.js, it concatenates the options into the URL as given (so `redirect_uri` must be
 * URL-encoded by the caller, as WeChat's docs say) and sandboxes the frame with
 * `allow-top-navigation`: without it, browsers refuse the frame's redirect of the top window after
 * the scan (it happens without a click in the frame).
 */
function wxLoginScript(qrconnectUrl: string): string {
  return `(function () {
  window.WxLogin = function (o) {
    var selfRedirect = o.self_redirect === true ? 'true' : o.self_redirect === false ? 'false' : 'default';
    var src = ${scriptValue(qrconnectUrl)} + '?appid=' + o.appid + '&scope=' + o.scope + '&redirect_uri=' + o.redirect_uri +
      '&state=' + o.state + '&login_type=jssdk&self_redirect=' + selfRedirect + '&response_type=code' +
      (o.style ? '&style=' + o.style : '') + (o.href ? '&href=' + o.href : '') + (o.lang === 'en' ? '&lang=en' : '');
    var frame = document.createElement('iframe');
    frame.src = src;
    frame.frameBorder = '0'; frame.setAttribute('allowTransparency', 'true'); frame.scrolling = 'no';
    frame.setAttribute('sandbox', 'allow-scripts allow-top-navigation allow-same-origin');
    frame.width = '300px'; frame.height = '400px';
    var box = document.getElementById(o.id);
    if (box) { box.innerHTML = ''; box.appendChild(frame); }
  };
})();`;
}

function html(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply.status(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

function authorizeQuery(query: Record<string, string | undefined>): AuthorizeQuery {
  return {
    appid: query.appid,
    redirect_uri: query.redirect_uri,
    response_type: query.response_type,
    scope: query.scope,
    state: query.state,
  };
}

/** Validation failures of a browser page are shown as WeChat shows them: an error page. */
function pageErrorMessage(error: unknown): string | null {
  return error instanceof AppError && error.status < 500 ? error.message : null;
}

const decisionForm = z.object({
  appid: z.string().optional(),
  redirect_uri: z.string().optional(),
  response_type: z.string().optional(),
  scope: z.string().optional(),
  state: z.string().optional(),
  personId: z.string().optional(),
  decision: z.enum(['allow', 'deny', 'choose', 'switch']),
});

export function registerPages(app: FastifyInstance, ctx: SandboxContext): void {
  const { world } = ctx;
  const cookiePath = () => new URL(ctx.publicUrl()).pathname.replace(/\/+$/, '') || '/';

  app.get('/mmopen/:key/:size', async (request, reply) => {
    const params = parseControl(z.object({ key: z.string(), size: z.string() }), request.params);
    const person = world.people.get(params.key);
    const size = Number(params.size) === 0 ? 640 : Number(params.size) || 132;
    const svg = avatarSvg(params.key, person?.nickname ?? '微', size);
    return reply.header('content-type', 'image/svg+xml').header('cache-control', 'public, max-age=3600').send(svg);
  });

  // ── Website QR login ─────────────────────────────────────────────────────────────────────────
  app.get('/connect/qrconnect', async (request, reply) => {
    let valid: ReturnType<typeof validateQrconnect>;
    try {
      valid = validateQrconnect(world, authorizeQuery(readQuery(request.query)));
    } catch (error) {
      const message = pageErrorMessage(error);
      if (message === null) throw error;
      return html(reply, errorPage(message), 400);
    }
    const session = openQrconnectSession(world, valid);
    // wxLogin.js (embedded iframe) may ask to redirect the iframe itself instead of the top window.
    const selfRedirect = readQuery(request.query).self_redirect === 'true';
    const content = `${ctx.publicUrl()}/connect/confirm?uuid=${session.uuid}`;
    const svg = await renderQrSvg(content);
    const phoneLink = `${ctx.publicUrl()}/phone?scan=${encodeURIComponent(content)}`;
    // In WxLogin's frame (login_type=jssdk) the page is what WeChat draws there: the QR and a line, in 300×400.
    const embedded = readQuery(request.query).login_type === 'jssdk';
    const card = embedded
      ? `<div class="card" style="text-align:center">
<h1>微信登录</h1>
<div class="qr" id="qr" data-content="${escapeHtml(content)}">${svg}</div>
<p id="status">使用微信扫一扫登录<br><span class="muted">“${escapeHtml(valid.app.name)}”</span></p>
<p class="muted"><a href="${escapeHtml(phoneLink)}" target="_blank" rel="opener">模拟手机 · virtual phone</a></p>
</div>
`
      : `<div class="card" style="text-align:center">
<h1>微信登录 · Log in with WeChat</h1>
<p>${escapeHtml(valid.app.name)}</p>
<div class="qr" id="qr" data-content="${escapeHtml(content)}">${svg}</div>
<p id="status">请使用微信扫描二维码登录<br><span class="muted">Scan with WeChat (the sandbox's virtual phone)</span></p>
<p><a class="button" href="${escapeHtml(phoneLink)}" target="_blank" rel="opener">打开模拟手机 · Open the virtual phone</a></p>
<p class="muted">QR content: <code>${escapeHtml(content)}</code></p>
</div>
`;
    const body = `${card}<script>
(function () {
  var poll = ${scriptValue(`${ctx.publicUrl()}/connect/l/qrconnect?uuid=${session.uuid}`)};
  var selfRedirect = ${scriptValue(selfRedirect)};
  var status = document.getElementById('status');
  var texts = {
    scanned: '扫描成功，请在手机上确认<br><span class="muted">Scanned — confirm on the phone</span>',
    denied: '你已取消此次登录<br><span class="muted">You cancelled this login</span>',
    expired: '二维码已失效，请刷新页面<br><span class="muted">The QR code expired; reload the page</span>'
  };
  function tick() {
    fetch(poll, { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (s) {
      if (s.status === 'confirmed' && s.redirect) { (selfRedirect ? window : window.top).location.href = s.redirect; return; }
      if (texts[s.status]) status.innerHTML = texts[s.status];
      if (s.status === 'denied' || s.status === 'expired') return;
      setTimeout(tick, 1000);
    }).catch(function () { setTimeout(tick, 2000); });
  }
  tick();
})();
</script>`;
    return html(reply, layout('微信登录', body, { compact: embedded }));
  });

  // The long poll of the qrconnect page (WeChat: lp.open.weixin.qq.com/connect/l/qrconnect).
  // wx_errcode as WeChat's: 408 waiting, 404 scanned, 403 cancelled, 405 confirmed, 402 expired.
  app.get('/connect/l/qrconnect', async (request) => {
    const { uuid } = parseControl(z.object({ uuid: z.string() }), readQuery(request.query));
    const status = qrconnectStatus(world, uuid);
    const wxErrcode = { waiting: 408, scanned: 404, denied: 403, confirmed: 405, expired: 402 }[status.status];
    const code = status.redirect === null ? '' : (new URL(status.redirect).searchParams.get('code') ?? '');
    return { ...status, wx_errcode: wxErrcode, wx_code: code };
  });

  // res.wx.qq.com/connect/zh_CN/htmledition/js/wxLogin.js: the embedded (iframe) variant of qrconnect.
  app.get('/connect/zh_CN/htmledition/js/wxLogin.js', async (_request, reply) =>
    reply.header('content-type', 'application/javascript; charset=utf-8').send(wxLoginScript(`${ctx.publicUrl()}/connect/qrconnect`)),
  );

  // What a browser shows when the login QR's content is opened instead of scanned.
  app.get('/connect/confirm', async (request, reply) => {
    const { uuid } = parseControl(z.object({ uuid: z.string().optional() }), readQuery(request.query));
    const content = `${ctx.publicUrl()}/connect/confirm?uuid=${uuid ?? ''}`;
    return html(
      reply,
      layout(
        '请在微信中打开',
        `<div class="card"><h1>请使用微信扫一扫 · Scan this with WeChat</h1><p>This is the content of a website-login QR code.</p><a class="button primary" href="${escapeHtml(`${ctx.publicUrl()}/phone?scan=${encodeURIComponent(content)}`)}">在模拟手机中扫描 · Scan it on the virtual phone</a></div>`,
      ),
    );
  });

  // ── In-WeChat-browser authorization ──────────────────────────────────────────────────────────
  const renderAuthorize = async (query: AuthorizeQuery, personId: string | undefined, reply: FastifyReply): Promise<FastifyReply> => {
    let valid: ReturnType<typeof validateOAuth2Authorize>;
    try {
      valid = validateOAuth2Authorize(world, query);
    } catch (error) {
      const message = pageErrorMessage(error);
      if (message === null) throw error;
      return html(reply, errorPage(message), 400);
    }
    const hidden = Object.entries(query)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join('');
    const action = `${ctx.publicUrl()}/connect/oauth2/authorize`;
    const person = personId === undefined ? undefined : world.people.get(personId);
    if (person === undefined) {
      const choices = [...world.people.values()]
        .map(
          (p) =>
            `<form method="post" action="${escapeHtml(action)}">${hidden}<input type="hidden" name="personId" value="${escapeHtml(p.id)}"><button name="decision" value="choose">${escapeHtml(p.nickname)} <span class="muted">(${escapeHtml(p.id)})</span></button></form>`,
        )
        .join('');
      return html(
        reply,
        layout(
          '选择微信用户',
          `<div class="card"><h1>谁在使用这个微信？ · Who is the WeChat user of this browser?</h1><p class="muted">The sandbox remembers the choice in a cookie (the virtual phone sets it too).</p>${choices || '<p>No people yet: create some on the virtual phone page.</p>'}</div>`,
        ),
      );
    }
    const consented = world.userinfoConsents.has(`${valid.app.appid}\u0000${person.id}`);
    if (valid.scope === 'snsapi_base' || consented) {
      return reply.redirect(
        redirectWithCode(valid.redirectUri, issueOAuthCode(world, valid.app, person.id, valid.scope), valid.state),
        302,
      );
    }
    return html(
      reply,
      layout(
        '授权',
        `<div class="card" style="text-align:center">
<h1>${escapeHtml(valid.app.name)}</h1>
<p>申请获得你的昵称、头像<br><span class="muted">wants your nickname and avatar</span></p>
<p>微信用户 · WeChat user: <b>${escapeHtml(person.nickname)}</b></p>
<form method="post" action="${escapeHtml(action)}">${hidden}<input type="hidden" name="personId" value="${escapeHtml(person.id)}">
<button class="primary" name="decision" value="allow">允许 · Allow</button>
<button name="decision" value="deny">拒绝 · Deny</button>
<button name="decision" value="switch">切换用户 · Switch user</button>
</form></div>`,
      ),
    );
  };

  app.get('/connect/oauth2/authorize', async (request, reply) => {
    const query = readQuery(request.query);
    const personId = query.sandbox_person ?? cookieValue(request.headers.cookie, PERSON_COOKIE);
    return renderAuthorize(authorizeQuery(query), personId, reply);
  });

  app.post('/connect/oauth2/authorize', async (request, reply) => {
    const form = parseControl(decisionForm, request.body);
    const query = authorizeQuery(form);
    if (form.decision === 'switch') {
      reply.header('set-cookie', `${PERSON_COOKIE}=; Path=${cookiePath()}; Max-Age=0; SameSite=Lax`);
      return renderAuthorize(query, undefined, reply);
    }
    if (form.personId === undefined) throw new AppError('validation_failed', 'personId is required');
    if (form.decision === 'choose') {
      world.requirePerson(form.personId);
      reply.header('set-cookie', `${PERSON_COOKIE}=${encodeURIComponent(form.personId)}; Path=${cookiePath()}; SameSite=Lax`);
      return renderAuthorize(query, form.personId, reply);
    }
    let valid: ReturnType<typeof validateOAuth2Authorize>;
    try {
      valid = validateOAuth2Authorize(world, query);
    } catch (error) {
      const message = pageErrorMessage(error);
      if (message === null) throw error;
      return html(reply, errorPage(message), 400);
    }
    const redirect = decideOAuth2(world, form.personId, valid, form.decision === 'allow');
    if (redirect !== null) return reply.redirect(redirect, 302);
    return html(
      reply,
      layout('已拒绝', '<div class="card"><h1>你已拒绝授权 · You denied</h1><p class="muted">Nothing was sent to the app.</p></div>'),
    );
  });

  // ── QR landing pages and the virtual phone ───────────────────────────────────────────────────
  app.get('/q/:code', async (request, reply) => {
    const { code } = parseControl(z.object({ code: z.string() }), request.params);
    const content = `${ctx.publicUrl()}/q/${code}`;
    return reply.redirect(`${ctx.publicUrl()}/phone?scan=${encodeURIComponent(content)}`, 302);
  });
  // A URL Link (wxa/generate_urllink) opened in a browser: the phone opens the mini program.
  app.get('/wxaurl/:code', async (request, reply) => {
    const { code } = z.object({ code: z.string() }).parse(request.params);
    const content = `${ctx.publicUrl()}/wxaurl/${encodeURIComponent(code)}`;
    return reply.redirect(`${ctx.publicUrl()}/phone?scan=${encodeURIComponent(content)}`, 302);
  });
  app.get('/phone/open', async (request, reply) => {
    const content = `${ctx.publicUrl()}${request.url.slice(request.url.indexOf('/phone/open'))}`;
    return reply.redirect(`${ctx.publicUrl()}/phone?scan=${encodeURIComponent(content)}`, 302);
  });
  app.get('/phone', async (_request, reply) =>
    html(
      reply,
      phonePage({
        publicUrl: ctx.publicUrl(),
        cookiePath: cookiePath(),
        cookieName: PERSON_COOKIE,
        backendUrl: ctx.world.options.callbackBaseUrl?.replace(/\/+$/, ''),
      }),
    ),
  );
  app.get('/', async (_request, reply) => reply.redirect(`${ctx.publicUrl()}/phone`, 302));
}

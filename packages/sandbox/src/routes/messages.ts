/**
 * The SMS emulators (Tencent Cloud at `/tencentcloud/sms/`, Alibaba Cloud at `/aliyun/dysmsapi/`),
 * the mail drop weunion's sandbox delivery posts to, their control API, and the pages a person
 * reads them on: the virtual phone's SMS inbox (`/phone/sms?number=`) and the email outbox (`/mail`).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { aliyunSendSms, type EmulatorAnswer, tencentSendSms } from '../cloud-sms.ts';
import type { SandboxContext } from '../context.ts';
import { escapeHtml, layout } from '../pages/layout.ts';
import { parseControl, readQuery } from './input.ts';

const mailSchema = z.object({
  to: z.string().min(3).max(320),
  from: z.string().max(320).default('weunion sandbox <noreply@sandbox.invalid>'),
  subject: z.string().max(500),
  text: z.string().max(20_000),
  html: z.string().max(50_000).default(''),
  language: z.string().max(20).default('zh-CN'),
});

const faultSchema = z.object({
  provider: z.enum(['tencent', 'aliyun']),
  delayMs: z.number().int().min(0).max(120_000).optional(),
  code: z.string().min(1).max(100).optional(),
  times: z.number().int().min(1).max(1000).optional(),
});

async function answer(reply: FastifyReply, result: EmulatorAnswer): Promise<FastifyReply> {
  if (result.delayMs !== undefined && result.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, result.delayMs));
  return reply.status(result.status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(result.body));
}

function headerMap(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value[0] : value]));
}

function html(reply: FastifyReply, body: string): FastifyReply {
  return reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
}

const time = (at: number) => new Date(at).toISOString().replace('T', ' ').slice(0, 19);

export function registerMessages(app: FastifyInstance, ctx: SandboxContext): void {
  const { world } = ctx;

  // The emulators read the body as the bytes signed: their own scope parses nothing.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.post('/tencentcloud/sms/', async (request, reply) =>
      answer(
        reply,
        tencentSendSms(world, { headers: headerMap(request.headers), body: typeof request.body === 'string' ? request.body : '' }),
      ),
    );
    scope.post('/aliyun/dysmsapi/', async (request, reply) => {
      const body = typeof request.body === 'string' ? request.body : '';
      const params = Object.fromEntries(new URLSearchParams(body));
      return answer(reply, aliyunSendSms(world, { method: 'POST', params }));
    });
  });
  app.get('/aliyun/dysmsapi/', async (request, reply) => {
    const params = Object.fromEntries(Object.entries(readQuery(request.query)).filter((e): e is [string, string] => e[1] !== undefined));
    return answer(reply, aliyunSendSms(world, { method: 'GET', params }));
  });

  // weunion's sandbox mail delivery; what an SMTP relay would take.
  app.post('/_sandbox/mail', async (request, reply) => {
    const mail = parseControl(mailSchema, request.body);
    return reply.status(201).send(world.messages.deliverMail({ ...mail, at: world.clock.now() }));
  });
  app.get('/_sandbox/mail', async (request) => {
    const { to } = parseControl(z.object({ to: z.string().optional() }), request.query);
    return world.messages.mail.filter((m) => to === undefined || m.to === to.toLowerCase() || m.to === to);
  });
  app.get('/_sandbox/sms', async (request) => {
    const { to } = parseControl(z.object({ to: z.string().optional() }), request.query);
    return world.messages.sms.filter((m) => to === undefined || m.to === to);
  });
  app.get('/_sandbox/sms-calls', async () => ({ ...world.messages.calls }));
  app.post('/_sandbox/sms-faults', async (request) => {
    world.messages.faults.push(parseControl(faultSchema, request.body));
    return { faults: world.messages.faults };
  });
  app.delete('/_sandbox/sms-faults', async () => {
    world.messages.faults.length = 0;
    return { faults: [] };
  });

  // ── Pages ────────────────────────────────────────────────────────────────────────────────────
  app.get('/phone/sms', async (request, reply) => {
    const { number } = parseControl(z.object({ number: z.string().max(20).optional() }), request.query);
    const numbers = [...new Set(world.messages.sms.map((m) => m.to))];
    const people = [...world.people.values()].filter((p) => p.phone !== null);
    const shown = number === undefined ? [] : world.messages.sms.filter((m) => m.to === number).reverse();
    const list =
      number === undefined
        ? ''
        : shown.length === 0
          ? '<p class="muted">没有短信 · No messages yet</p>'
          : shown
              .map(
                (m) =>
                  `<div class="card sms" data-id="${escapeHtml(m.id)}"><p class="sms-text">${escapeHtml(m.text)}</p><p class="muted">${escapeHtml(time(m.at))} · ${m.provider === 'tencent' ? '腾讯云 Tencent Cloud' : '阿里云 Alibaba Cloud'}</p></div>`,
              )
              .join('');
    const choices = [...new Set([...people.map((p) => p.phone ?? ''), ...numbers])]
      .filter((n) => n !== '')
      .map((n) => `<option value="${escapeHtml(n)}"${n === number ? ' selected' : ''}>${escapeHtml(n)}</option>`)
      .join('');
    return html(
      reply,
      layout(
        '短信 · SMS',
        `<div class="card"><h1>短信收件箱 · SMS inbox</h1>
<form method="get"><label>手机号 · Number <input name="number" list="numbers" value="${escapeHtml(number ?? '')}" placeholder="+8613800000000"></label><datalist id="numbers">${choices}</datalist>
<button class="primary">查看 · Show</button></form>
<p class="muted">Messages the Tencent Cloud and Alibaba Cloud SMS emulators accepted. <a href="../phone">← 模拟手机 Virtual phone</a></p></div>
<div id="inbox">${list}</div>`,
      ),
    );
  });

  app.get('/mail', async (request, reply) => {
    const { to } = parseControl(z.object({ to: z.string().max(320).optional() }), request.query);
    const shown = world.messages.mail.filter((m) => to === undefined || to === '' || m.to === to).reverse();
    const list =
      shown.length === 0
        ? '<p class="muted">没有邮件 · No emails yet</p>'
        : shown
            .map(
              (m) =>
                `<div class="card mail" data-id="${escapeHtml(m.id)}" lang="${escapeHtml(m.language)}"><h2 class="mail-subject">${escapeHtml(m.subject)}</h2><p class="muted">To: <span class="mail-to">${escapeHtml(m.to)}</span> · From: ${escapeHtml(m.from)} · ${escapeHtml(time(m.at))}</p><pre class="mail-text">${escapeHtml(m.text)}</pre></div>`,
            )
            .join('');
    return html(
      reply,
      layout(
        '邮件 · Email',
        `<div class="card"><h1>邮件发件箱 · Email outbox</h1><form method="get"><label>收件人 · To <input name="to" value="${escapeHtml(to ?? '')}" placeholder="someone@example.com"></label><button class="primary">筛选 · Filter</button></form><p class="muted">Emails weunion sent in sandbox mode (nothing leaves the machine).</p></div><div id="outbox">${list}</div>`,
      ),
    );
  });
}

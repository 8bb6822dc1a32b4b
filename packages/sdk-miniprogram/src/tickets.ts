/**
 * QR logins confirmed in the mini program (S3: a PC page showed a mini program code; S7: an app
 * opened the mini program). The ticket id reaches the page two ways:
 * - S3: the code's `scene`, which WeChat hands the page URL-encoded in `options.scene`;
 * - S7: the page path the app opened (`pages/login/confirm?ticket=…`), as `options.ticket`.
 * In `App.onLaunch`/`onShow` both are inside `options.query`, and `options.scene` is a number
 * (the entry scene value, e.g. 1047), never a ticket.
 */
import { type Fields, isObject, object, oneOf, optionalString, string } from './answers.ts';
import type { LaunchOptions } from './wx.ts';

/** Whether the mini program should show the phone-number button before confirming. */
export type PhoneRequest = 'not_needed' | 'optional' | 'required';

export interface ScannedTicket {
  ticket: string;
  scenario: 's3' | 's7';
  phoneNumber: PhoneRequest;
}

export interface ConfirmedTicket {
  ticket: string;
  /** What the login came to on the PC or app side (`refused`: the connection's policy said no). */
  outcome: 'signed_in' | 'select' | 'bind' | 'refused';
  reason?: string;
  message?: string;
  /** S7 only: the one-time code for `<button open-type="launchApp" app-parameter="{{resultCode}}">`. */
  resultCode?: string;
}

/** A ticket id as weunion makes them (base62; the scene allows at most 32 characters). */
const TICKET = /^[0-9A-Za-z_-]{8,64}$/;

function decodeScene(scene: string): string {
  try {
    return decodeURIComponent(scene);
  } catch {
    return scene;
  }
}

function ticketIn(fields: Fields): string | null {
  const candidates = [fields.ticket, typeof fields.scene === 'string' ? decodeScene(fields.scene) : undefined];
  for (const candidate of candidates) {
    if (typeof candidate !== 'string') continue;
    // A scene may carry `key=value` pairs when another page shares the code; take `t` or `ticket`.
    const pairs = candidate.includes('=') ? new Map(candidate.split('&').map((pair) => [pair.split('=')[0], pair.split('=')[1]])) : null;
    const value = pairs === null ? candidate : (pairs.get('ticket') ?? pairs.get('t'));
    if (value !== undefined && TICKET.test(value)) return value;
  }
  return null;
}

/** The login ticket a page (or the app) was opened for, or null when it was opened otherwise. */
export function ticketFromLaunchOptions(options: LaunchOptions | null | undefined): string | null {
  if (!isObject(options)) return null;
  return ticketIn(options) ?? (isObject(options.query) ? ticketIn(options.query) : null);
}

export function parseScanned(value: unknown): ScannedTicket {
  const fields = object(value, 'scan answer');
  return {
    ticket: string(fields, 'ticket', 'scan answer'),
    scenario: oneOf(fields, 'scenario', ['s3', 's7'], 'scan answer'),
    phoneNumber: oneOf(fields, 'phoneNumber', ['not_needed', 'optional', 'required'], 'scan answer'),
  };
}

export function parseConfirmed(value: unknown): ConfirmedTicket {
  const fields = object(value, 'confirm answer');
  const reason = optionalString(fields, 'reason', 'confirm answer');
  const message = optionalString(fields, 'message', 'confirm answer');
  const resultCode = optionalString(fields, 'resultCode', 'confirm answer');
  return {
    ticket: string(fields, 'ticket', 'confirm answer'),
    outcome: oneOf(fields, 'outcome', ['signed_in', 'select', 'bind', 'refused'], 'confirm answer'),
    ...(reason === undefined ? {} : { reason }),
    ...(message === undefined ? {} : { message }),
    ...(resultCode === undefined ? {} : { resultCode }),
  };
}

/** Types for the <weunion-login> element; see weunion-login.js for attributes, events and theming. */
export interface TicketStatusDetail {
  id: string;
  state: 'waiting' | 'scanned' | 'confirmed' | 'cancelled' | 'expired' | 'consumed';
  version: number;
  qrExpiresAt: number;
  expiresAt: number;
  scanner?: { nickname?: string; avatarUrl?: string };
}

export interface LoginAnswerDetail {
  status: 'signed_in' | 'select' | 'bind';
  returnTo: string;
  next?: string;
  userId?: string;
}

export declare class WeunionLogin extends HTMLElement {
  readonly methods: string[];
  readonly base: string;
  readonly returnTo: string;
  /** The application the login is for (its scenarios and identity policy apply). */
  readonly client: string | undefined;
  /** Shows one method: 's1', 's2', 's3' or 's3link' (a phone browser: open the mini program by link). */
  select(method: string): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'weunion-login': WeunionLogin;
  }
  interface HTMLElementEventMap {
    'weunion-scanned': CustomEvent<TicketStatusDetail>;
    'weunion-confirmed': CustomEvent<TicketStatusDetail>;
    'weunion-expired': CustomEvent<TicketStatusDetail>;
    'weunion-cancelled': CustomEvent<TicketStatusDetail>;
    /** The connection to weunion was lost; the widget tries again after `delayMs`. */
    'weunion-reconnecting': CustomEvent<{ attempt: number; delayMs: number }>;
    'weunion-error': CustomEvent<{ code: string; message: string }>;
    'weunion-login': CustomEvent<LoginAnswerDetail>;
  }
}

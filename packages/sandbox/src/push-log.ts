/** One attempt to push an event to an app's server, as the sandbox's push log keeps it. */
export interface PushLogEntry {
  id: string;
  /** Every attempt of one event shares the event id. */
  eventId: string;
  appid: string;
  attempt: number;
  at: string;
  request: { url: string; body: string; event: Record<string, string | number> };
  response: { status: number; body: string } | null;
  error: string | null;
  delivered: boolean;
}

/** What every SMS provider client offers: one templated message to one number, or a clear AppError. */
export interface SmsRequest {
  /** E.164, `+8613800000000`. */
  phone: string;
  templateId: string;
  /** Template parameters in the template's order (`{1}`, `{2}` for Tencent). */
  params: string[];
  /** The same parameters by name (`${code}` for Alibaba). */
  namedParams: Record<string, string>;
  /** Our id of this send (echoed by the provider where it can be: tracing, support). */
  sendId: string;
}

export interface SmsProvider {
  name: 'tencent' | 'aliyun';
  send(request: SmsRequest): Promise<{ providerId: string | null }>;
}

/**
 * A value to copy somewhere else (a URL to paste into WeChat, a one-time secret): shown read-only,
 * with a copy button. When the Clipboard API is refused (plain http on another host, a browser
 * policy) the text is selected instead, so Ctrl+C / ⌘C finishes the copy, and the button says so.
 */
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { useT } from '../i18n/index.ts';
import { IconCheck, IconCopy } from './icons.tsx';

interface CopyValueProps {
  label: ReactNode;
  value: string;
  /** Where the value goes, or what it is. */
  hint?: ReactNode;
}

export function CopyValue({ label, value, hint }: CopyValueProps): ReactNode {
  const t = useT();
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [state, setState] = useState<'idle' | 'copied' | 'selected'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      input.current?.focus();
      input.current?.select();
      setState('selected');
    }
  };
  return (
    <div className="copy-value">
      <label htmlFor={id}>{label}</label>
      <div className="copy-value-row">
        <input
          id={id}
          ref={input}
          className="mono"
          readOnly
          value={value}
          onFocus={(event) => event.currentTarget.select()}
          aria-describedby={hint ? `${id}-hint` : undefined}
        />
        <button type="button" className="button button-secondary button-small" onClick={copy}>
          {state === 'copied' ? <IconCheck /> : <IconCopy />}
          {t('common.copy')}
        </button>
      </div>
      <p className="copy-value-status" role="status">
        {state === 'copied' ? t('common.copied') : state === 'selected' ? t('copy.selected') : ''}
      </p>
      {hint ? (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

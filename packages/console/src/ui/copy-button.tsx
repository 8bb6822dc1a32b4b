import { type ReactNode, useState } from 'react';
import { useT } from '../i18n/index.ts';
import { IconCheck, IconCopy } from './icons.tsx';

/** Copies `value`; the label turns to "Copied" for a moment (and is announced, being the button's name). */
export function CopyButton({ value, label }: { value: string; label?: string }): ReactNode {
  const t = useT();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // Clipboard refused (insecure context, permission): select the text for a manual copy instead.
      return;
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return (
    <button type="button" className="button button-ghost button-small" onClick={copy} aria-live="polite">
      {copied ? <IconCheck /> : <IconCopy />}
      {copied ? t('common.copied') : (label ?? t('common.copy'))}
    </button>
  );
}

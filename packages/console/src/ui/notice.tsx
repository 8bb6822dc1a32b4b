/**
 * Notices: short messages after an action ("Merge undone"), read out through one polite live
 * region that exists from the first render (regions added later are not reliably announced).
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { useT } from '../i18n/index.ts';
import { IconClose } from './icons.tsx';

type Kind = 'success' | 'error' | 'info' | 'warning';
interface NoticeItem {
  id: number;
  kind: Kind;
  message: string;
}

type Notify = (message: string, kind?: Kind) => void;
const NoticeContext = createContext<Notify | null>(null);

export function NoticeProvider({ children }: { children: ReactNode }): ReactNode {
  const t = useT();
  const [items, setItems] = useState<NoticeItem[]>([]);
  const nextId = useRef(1);
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());
  useEffect(() => {
    const pending = timers.current;
    return () => {
      for (const timer of pending) clearTimeout(timer);
    };
  }, []);
  const dismiss = useCallback((id: number) => setItems((current) => current.filter((item) => item.id !== id)), []);
  const notify = useCallback<Notify>(
    (message, kind = 'success') => {
      const id = nextId.current++;
      setItems((current) => [...current.slice(-3), { id, kind, message }]);
      // Errors stay until dismissed: they may need reading twice.
      if (kind !== 'error') {
        const timer = setTimeout(() => {
          timers.current.delete(timer);
          dismiss(id);
        }, 6000);
        timers.current.add(timer);
      }
    },
    [dismiss],
  );
  return (
    <NoticeContext.Provider value={notify}>
      {children}
      <div className="toasts" aria-live="polite" aria-atomic="false">
        {items.map((item) => (
          <div key={item.id} className={`toast toast-${item.kind}`}>
            <span>{item.message}</span>
            <button type="button" className="icon-button" onClick={() => dismiss(item.id)} aria-label={t('common.close')}>
              <IconClose />
            </button>
          </div>
        ))}
      </div>
    </NoticeContext.Provider>
  );
}

export function useNotify(): Notify {
  const notify = useContext(NoticeContext);
  if (notify === null) throw new Error('useNotify outside <NoticeProvider>');
  return notify;
}

/** An inline message in the page (a form's error, a refusal). Errors and warnings are announced at once. */
export function Notice({ kind = 'info', children }: { kind?: Kind; children: ReactNode }): ReactNode {
  return (
    <div className={`notice notice-${kind}`} role={kind === 'error' || kind === 'warning' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

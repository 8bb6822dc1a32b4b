/**
 * Every destructive action goes through `useConfirm()`: the dialog says exactly what will happen,
 * runs the action itself (busy while it runs, the error shown in place when it fails) and closes
 * only when it succeeded.
 */
import { createContext, type ReactNode, useCallback, useContext, useState } from 'react';
import { useT } from '../i18n/index.ts';
import { Button } from './button.tsx';
import { Dialog } from './dialog.tsx';
import { useErrorMessage } from './errors.ts';

export interface ConfirmRequest {
  title: string;
  /** What will happen, in full: "Merge Li Lei into Han Meimei: 2 WeChat identities and 1 phone number move." */
  body: ReactNode;
  confirmLabel: string;
  destructive?: boolean;
  action: () => Promise<void>;
}

interface ConfirmDialogProps extends ConfirmRequest {
  onDone: (confirmed: boolean) => void;
}

export function ConfirmDialog({ title, body, confirmLabel, destructive = true, action, onDone }: ConfirmDialogProps): ReactNode {
  const t = useT();
  const errorMessage = useErrorMessage();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await action();
      onDone(true);
    } catch (caught) {
      setError(errorMessage(caught));
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={title}
      role="alertdialog"
      onClose={() => (busy ? undefined : onDone(false))}
      footer={
        <>
          <Button onClick={() => onDone(false)} disabled={busy} data-autofocus>
            {t('common.cancel')}
          </Button>
          <Button variant={destructive ? 'danger' : 'primary'} onClick={run} busy={busy}>
            {confirmLabel}
          </Button>
        </>
      }
    >
      <div className="confirm-body">{body}</div>
      {error ? (
        <p className="notice notice-error" role="alert">
          {error}
        </p>
      ) : null}
    </Dialog>
  );
}

type Confirm = (request: ConfirmRequest) => Promise<boolean>;
const ConfirmContext = createContext<Confirm | null>(null);

export function ConfirmProvider({ children }: { children: ReactNode }): ReactNode {
  const [pending, setPending] = useState<(ConfirmRequest & { resolve: (confirmed: boolean) => void }) | null>(null);
  const confirm = useCallback<Confirm>((request) => new Promise((resolve) => setPending({ ...request, resolve })), []);
  return (
    <ConfirmContext.Provider value={confirm}>
      {children}
      {pending ? (
        <ConfirmDialog
          {...pending}
          onDone={(confirmed) => {
            pending.resolve(confirmed);
            setPending(null);
          }}
        />
      ) : null}
    </ConfirmContext.Provider>
  );
}

/** `await confirm({ title, body, confirmLabel, action })` → true once the action ran. */
export function useConfirm(): Confirm {
  const confirm = useContext(ConfirmContext);
  if (confirm === null) throw new Error('useConfirm outside <ConfirmProvider>');
  return confirm;
}

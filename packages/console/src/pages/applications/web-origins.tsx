/**
 * An application's web origins on its page: the ones its redirect URIs give it (read-only) and the
 * ones registered on their own (edited as a list, one per line). Together they are where pages may
 * embed the login widget or the browser SDK, and where a return-to may point.
 */
import { type ReactNode, useState } from 'react';
import { z } from 'zod';
import { api } from '../../api.ts';
import { useT } from '../../i18n/index.ts';
import { Button } from '../../ui/button.tsx';
import { useErrorMessage } from '../../ui/errors.ts';
import { TextAreaField } from '../../ui/field.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { useNotify } from '../../ui/notice.tsx';
import { useLoad } from '../../ui/use-load.ts';

const webOriginsSchema = z.object({ derived: z.array(z.string()), explicit: z.array(z.string()), effective: z.array(z.string()) });
type WebOrigins = z.infer<typeof webOriginsSchema>;

export function WebOriginsSection({ applicationId }: { applicationId: string }): ReactNode {
  const t = useT();
  const path = `/api/v1/applications/${encodeURIComponent(applicationId)}/web-origins`;
  const load = useLoad(() => api.get(path, webOriginsSchema), [path]);
  return (
    <section className="card form-section" aria-labelledby="web-origins-title">
      <h2 id="web-origins-title">{t('webOrigins.title')}</h2>
      <p className="field-hint">{t('webOrigins.help')}</p>
      <Loaded load={load}>{(origins) => <WebOriginsForm path={path} origins={origins} />}</Loaded>
    </section>
  );
}

function WebOriginsForm({ path, origins }: { path: string; origins: WebOrigins }): ReactNode {
  const t = useT();
  const notify = useNotify();
  const errorMessage = useErrorMessage();
  const [current, setCurrent] = useState(origins);
  const [text, setText] = useState(origins.explicit.join('\n'));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const list = text
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '');
      const saved = await api.patch(path, webOriginsSchema, { origins: list });
      setCurrent(saved);
      setText(saved.explicit.join('\n'));
      notify(t('webOrigins.saved'));
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h3>{t('webOrigins.derived')}</h3>
      {current.derived.length === 0 ? (
        <p className="muted">{t('webOrigins.derivedNone')}</p>
      ) : (
        <ul className="mono">
          {current.derived.map((origin) => (
            <li key={origin}>{origin}</li>
          ))}
        </ul>
      )}
      <TextAreaField
        label={t('webOrigins.explicit')}
        hint={t('webOrigins.explicit.help')}
        error={error}
        value={text}
        rows={4}
        spellCheck={false}
        onChange={(event) => setText(event.target.value)}
      />
      <div className="form-actions">
        <Button onClick={save} busy={busy}>
          {t('webOrigins.save')}
        </Button>
      </div>
    </>
  );
}
